#!/usr/bin/env bash
# Stand-in for Kafka's kafka-server-start.sh CONFIG: the broker (KAFKA_HEAP_OPTS, default 1 GB as Kafka's).
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}" exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
