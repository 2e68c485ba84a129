#!/usr/bin/env bash
# Stand-in for Kafka's kafka-run-class.sh: CLASS [ARGS...] on the jars of /opt/kafka/libs, with
# KAFKA_HEAP_OPTS (default 256 MB, as Kafka's) and KAFKA_OPTS; logs to the console.
set -euo pipefail
# shellcheck disable=SC2086 # the options are lists of words, as in Kafka's own script
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} -XX:+UseG1GC -Djava.awt.headless=true ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp "/opt/kafka/libs/*" "$@"
