#!/usr/bin/env bash
# Stand-in for /docker-entrypoint.sh of the official Flink image, for what docker/compose.yaml uses:
#   jobmanager | taskmanager   point conf/config.yaml at JOB_MANAGER_RPC_ADDRESS (and the blob
#                              server at port 6124, as the official image does), run in the foreground
#   help                       this text
#   anything else              run as given (iot-provision, iot-submit, bash, ...)
set -euo pipefail

configure() {
  "$FLINK_HOME/bin/config-parser-utils.sh" "$FLINK_HOME/conf" "$FLINK_HOME/bin" "$FLINK_HOME/lib" \
    -D "jobmanager.rpc.address=${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}" -D blob.server.port=6124 >/dev/null
}

case "${1:-help}" in
  jobmanager) shift; configure; exec "$FLINK_HOME/bin/jobmanager.sh" start-foreground "$@" ;;
  taskmanager) shift; configure; exec "$FLINK_HOME/bin/taskmanager.sh" start-foreground "$@" ;;
  help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) exec "$@" ;;
esac
