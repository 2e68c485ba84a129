#!/usr/bin/env bash
# The pipeline end to end on this machine:
#   1. the local stack (Kafka, Cassandra, Flink) with topics and tables;
#   2. the streaming job submitted with `flink run` (kept if it is already running);
#   3. six hours of past readings replayed by the load generator, so hours and their
#      "three hours before" column fill at once;
#   4. the mock sensor API and the poller (iot-ingest) feeding live readings: six polls 5 s
#      apart (IOT_DEMO_POLLS), about half a minute;
#   5. the brief's results table for the latest hour, and its map as a PNG;
#   6. the live page of France (iot-dashboard), pushed from the results topic;
#   7. the archive's newest files, and an hour of the replay recomputed from them (iot-backfill).
# Services, the job and the live page keep running afterwards: `make down` stops everything.
# Set IOT_SENSOR_API_URL and IOT_SENSOR_API_KEY to poll a real API instead of the mock.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
VAR_DIR="${IOT_VAR_DIR:-$ROOT/var}"
DEMO_DIR="$VAR_DIR/demo"
POLLS="${IOT_DEMO_POLLS:-6}"
# The replay is read first, at the job's pace (tens of thousands of readings a second on a
# quiet 2-core machine, docs/benchmarks.md): a bigger replay makes the live hour wait longer.
REPLAY="${IOT_DEMO_REPLAY_READINGS:-18000}"
mkdir -p "$DEMO_DIR"

say() { printf '\n== %s\n' "$*"; }

say "Starting the local stack"
scripts/stack.sh up
iot-provision

say "Submitting the job"
job_id="$(python -m jobs.running_job "${IOT_JOB_NAME:-iot-hourly-region-means}" || true)"
if [[ -n "$job_id" ]]; then
  echo "already running: $job_id"
else
  job_id="$(iot-submit --job hourly)"
  echo "submitted: $job_id"
fi

say "Replaying six hours of past readings (iot-loadgen)"
start="$(date -u -d '-7 hours' '+%Y-%m-%dT%H:00:00')"
iot-loadgen --count "$REPLAY" --span 6h --start "$start" --seed "$RANDOM" --no-progress

mock_pid=""
cleanup() { [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null || true; }
trap cleanup EXIT
if [[ -z "${IOT_SENSOR_API_URL:-}" ]]; then
  say "Starting the mock sensor API (iot-mock-api), log in $DEMO_DIR/mock-api.log"
  key_file="$DEMO_DIR/api-key"
  (umask 077 && python -c 'import secrets; print(secrets.token_hex(16))' >"$key_file")
  export IOT_SENSOR_API_KEY_FILE="$key_file"
  iot-mock-api --seed "$RANDOM" --duplicates 0.02 --corrections 0.02 --malformed 0.01 --outside-france 0.01 --out-of-order 0.05 \
    >"$DEMO_DIR/mock-api.log" 2>&1 &
  mock_pid=$!
  sleep 2
fi

DASHBOARD_PORT="${IOT_DASHBOARD_PORT:-8050}"
dashboard_pid_file="$DEMO_DIR/dashboard.pid"
if [[ -f "$dashboard_pid_file" ]] && kill -0 "$(cat "$dashboard_pid_file")" 2>/dev/null; then
  say "The live page (iot-dashboard) is already running"
else
  say "Starting the live page (iot-dashboard), log in $DEMO_DIR/dashboard.log"
  iot-dashboard --port "$DASHBOARD_PORT" >"$DEMO_DIR/dashboard.log" 2>&1 &
  echo $! >"$dashboard_pid_file"
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$DASHBOARD_PORT/status" >/dev/null 2>&1 && break
    sleep 0.2
  done
fi

say "Polling the sensor API $POLLS times (iot-ingest)"
iot-ingest --interval 5 --polls "$POLLS" --metrics-address ""

say "Waiting for the results of the current hour"
hour="$(date -u '+%Y-%m-%d %H')"
for _ in $(seq 150); do  # up to 5 minutes: the replay is read first
  iot-query --hour "$hour" >"$DEMO_DIR/latest.txt" 2>/dev/null && grep -q '^Region' "$DEMO_DIR/latest.txt" && break
  sleep 2
done
iot-query --hour "$hour" --map "$DEMO_DIR/map.png"
# Two hours back: within the allowed lateness (3 h) even when the job resumed with current
# readings already read, so a second demo's replay of that hour counts (an older one goes to the
# late topic, as it should).
earlier="$(date -u -d '-2 hours' '+%Y-%m-%d %H')"
say "An hour of the replay, $earlier UTC, with its mean three hours before"
iot-query --hour "$earlier"

say "The archive of every message read, by event hour (docs/archive.md): the newest files"
archive="${IOT_ARCHIVE_PATH:-var/archive}"
find "$archive" -name 'part-*' -printf '%TT  %8s B  %P\n' 2>/dev/null | sort | tail -n 4
python -c "from archive.reads import archived_messages; print(archived_messages('$archive').num_rows, 'messages archived')"

say "The hour $earlier UTC recomputed from the archive by the same job, bounded (iot-backfill, docs/archive.md)"
# The archive commits with each checkpoint (every 10 s): wait until it holds what the job has read.
count_archived() { python -c "from archive.reads import archived_messages; print(archived_messages('$archive').num_rows)"; }
archived="$(count_archived)"
for _ in $(seq 6); do
  sleep 12
  now_archived="$(count_archived)"
  [[ "$now_archived" == "$archived" ]] && break
  archived="$now_archived"
done
iot-query --hour "$earlier" >"$DEMO_DIR/before-backfill.txt"
if iot-backfill --from "$earlier" --to "$earlier" 2>"$DEMO_DIR/backfill.log"; then
  iot-query --hour "$earlier" >"$DEMO_DIR/after-backfill.txt"
  if diff -u "$DEMO_DIR/before-backfill.txt" "$DEMO_DIR/after-backfill.txt"; then
    echo "the recomputed rows equal those the stream wrote ($DEMO_DIR/after-backfill.txt)"
  else
    echo "the recomputed rows differ from the stream's (above: - before, + after)"
  fi
else
  echo "iot-backfill failed: see $DEMO_DIR/backfill.log"
fi

cat <<MSG

The live page (updates as results change): http://127.0.0.1:$DASHBOARD_PORT/
The map of the current hour:   $DEMO_DIR/map.png
The Flink dashboard (job $job_id): http://127.0.0.1:8081/#/job/running/$job_id/overview
Query again:                   .venv/bin/iot-query --hour '$hour'   (or cqlsh, see docs/query.md)
Stop everything:               make down        (data and logs stay in var/; make clean removes them)
MSG
