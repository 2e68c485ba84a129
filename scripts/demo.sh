#!/usr/bin/env bash
# The pipeline end to end on this machine: the local stack, topics and tables, and the job
# submitted with `flink run`, visible in the dashboard.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/stack.sh up
.venv/bin/python -m infra.provision
job_id="$(.venv/bin/iot-submit --job smoke)"
echo
echo "Job $job_id is running: http://127.0.0.1:8081/#/job/running/$job_id/overview"
echo "Stop everything with: make down (logs are under var/)"
