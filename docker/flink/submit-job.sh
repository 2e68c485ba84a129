#!/usr/bin/env bash
# Command of the one-shot `submit` service: make sure the hourly job runs on the cluster.
#
# A running job is left alone. Otherwise iot-submit submits it, resuming as it does everywhere
# (jobs/checkpoints.py): from the newest retained checkpoint of the jobs it submitted under the
# job's name, which it notes in /var/lib/iot/flink/submitted. This session cluster keeps no HA
# store, so a JobManager restart forgets its jobs, but their checkpoints and that note stay on
# the flink-state volume, and resuming from the last checkpoint keeps the tables exactly as an
# uninterrupted run would have written them.
# Arguments go on to iot-submit: `docker compose run --rm submit --parallelism 2`.
set -euo pipefail

if job_id="$(python -m jobs.running_job)"; then
  echo "job already running: $job_id"
  exit 0
fi

# --var-dir: where the flink-state volume is mounted (its flink/checkpoints is the
# execution.checkpointing.dir of docker/flink/config.yaml).
exec iot-submit --job hourly --jobmanager jobmanager:8081 --conf-dir /opt/flink/conf --var-dir /var/lib/iot "$@"
