#!/usr/bin/env bash
# Stand-in for Kafka's kafka-storage.sh (random-uuid, format, ...).
KAFKA_HEAP_OPTS="-Xmx256M" exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
