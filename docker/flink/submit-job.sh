#!/usr/bin/env bash
# Command of the one-shot `submit` service: make sure the hourly job runs on the cluster.
#
# A running job is left alone. Otherwise the job is submitted, resuming from the newest retained
# checkpoint if there is one: this session cluster keeps no HA store, so a JobManager restart
# forgets its jobs, but their checkpoints stay on the flink-state volume, and resuming from the
# last one keeps the tables exactly as an uninterrupted run would have written them.
# Arguments go on to iot-submit: `docker compose run --rm submit --parallelism 2`.
set -euo pipefail

checkpoints="${FLINK_CHECKPOINTS_DIR:-/var/lib/iot/flink/checkpoints}"

if job_id="$(python -m jobs.running_job)"; then
  echo "job already running: $job_id"
  exit 0
fi

# The newest completed checkpoint: a chk-N folder of some job with its _metadata written.
latest="$(find "$checkpoints" -mindepth 3 -maxdepth 3 -path '*/chk-*/_metadata' -printf '%T@ %h\n' 2>/dev/null \
  | sort -nr | head -n 1 | cut -d' ' -f2- || true)"
resume=()
if [[ -n "$latest" ]]; then
  echo "resuming from $latest"
  resume=(--from-savepoint "file://$latest")
fi
exec iot-submit --job hourly --jobmanager jobmanager:8081 --conf-dir /opt/flink/conf "${resume[@]}" "$@"
