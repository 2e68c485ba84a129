#!/usr/bin/env bash
# Stand-in for /docker-entrypoint.sh of the official Flink image, for what docker/compose.yaml uses:
#   jobmanager | taskmanager   point conf/config.yaml at JOB_MANAGER_RPC_ADDRESS (and the blob
#                              server at port 6124, as the official image does), add the
#                              `key: value` lines of FLINK_PROPERTIES, run in the foreground
#   help                       this text
#   anything else              run as given (iot-provision, iot-submit, bash, ...)
set -euo pipefail

configure() {
  local options=(-D "jobmanager.rpc.address=${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}" -D blob.server.port=6124) line
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*([^:#[:space:]]+)[[:space:]]*:[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]]; then
      options+=(-D "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")
    fi
  done <<<"${FLINK_PROPERTIES:-}"
  "$FLINK_HOME/bin/config-parser-utils.sh" "$FLINK_HOME/conf" "$FLINK_HOME/bin" "$FLINK_HOME/lib" "${options[@]}" >/dev/null
}

case "${1:-help}" in
  jobmanager) shift; configure; exec "$FLINK_HOME/bin/jobmanager.sh" start-foreground "$@" ;;
  taskmanager) shift; configure; exec "$FLINK_HOME/bin/taskmanager.sh" start-foreground "$@" ;;
  help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) exec "$@" ;;
esac
