#!/usr/bin/env bash
# The local stack: Kafka (KRaft), Cassandra and a Flink session cluster as plain JVM processes,
# and the monitoring that watches them (Prometheus on http://127.0.0.1:9090).
#
#   scripts/stack.sh up [monitoring|kafka|cassandra|flink]     start (idempotent) and wait until healthy
#   scripts/stack.sh down [monitoring|kafka|cassandra|flink]   stop, leaving no stray process
#   scripts/stack.sh restart monitoring|kafka|cassandra|flink
#   scripts/stack.sh status                           one line per service (up/down, resident memory); exit 1 if any is down
#
# Jars come from scripts/bootstrap.sh (build/lib); data, logs and pids live under $IOT_VAR_DIR
# (default var/). Ports are the defaults of docs/contract.md §6; override with IOT_KAFKA_PORT,
# IOT_CASSANDRA_PORT and IOT_FLINK_PORT only together with the matching flink-conf and stack files.
# Monitoring (docs/operations.md#monitoring): Prometheus 9090, its Pushgateway 9091 (Flink pushes
# there), the node exporter 9100, the Kafka probe 9465, the JMX exporter agents of Kafka 9404 and
# Cassandra 9405; every one on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="${IOT_VAR_DIR:-$ROOT/var}"
LIB_DIR="$ROOT/build/lib"
PYTHON="${IOT_PYTHON:-$ROOT/.venv/bin/python}"
KAFKA_PORT=9092
CASSANDRA_PORT=9042
FLINK_PORT=8081
KAFKA_HEAP="${IOT_KAFKA_HEAP:-1g}"
CASSANDRA_HEAP="${IOT_CASSANDRA_HEAP:-2g}"
START_TIMEOUT="${IOT_START_TIMEOUT:-180}"
PROMETHEUS_PORT=9090
PUSHGATEWAY_PORT=9091
NODE_EXPORTER_PORT=9100
KAFKA_PROBE_PORT=9465
KAFKA_JMX_EXPORTER_PORT=9404
CASSANDRA_JMX_EXPORTER_PORT=9405
# Monitoring first: the Pushgateway is there before Flink pushes to it, and goes last.
SERVICES=(monitoring kafka cassandra flink)

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_until <description> <seconds> <log file> <command...>: poll a health check.
wait_until() {
  local what="$1" timeout="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "$what not healthy after ${timeout}s; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      return 1
    fi
    sleep 1
  done
}

# wait_gone <pid file> <seconds>: wait for the process to end, then kill -9 what is left.
wait_gone() {
  local pidfile="$1" timeout="$2" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive after ${timeout}s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

require_jars() {
  [[ -d "$LIB_DIR/$1" ]] || die "no jars in $LIB_DIR/$1: run scripts/bootstrap.sh first"
}

# may_start NAME PIDFILE PORT: false when NAME already runs; dies when another process holds PORT
# or NAME's jars are missing.
may_start() {
  if pid_alive "$2"; then log "$1 already running (pid $(cat "$2"))"; return 1; fi
  port_open "$3" && die "port $3 is taken by another process"
  require_jars "$1"
}

# stop_pidfile NAME PIDFILE: stop the process of PIDFILE, if it runs, and wait until it is gone.
stop_pidfile() {
  pid_alive "$2" || { rm -f "$2"; return 0; }
  log "stopping $1"
  kill "$(cat "$2")"
  wait_gone "$2" 60
}

# jmx_exporter_agent PORT CONFIG: the JVM flag that serves a JVM's JMX metrics on 127.0.0.1:PORT.
jmx_exporter_agent() {
  local jar
  jar="$(ls "$LIB_DIR"/monitoring/jmx_prometheus_javaagent-*.jar 2>/dev/null | head -n 1)"
  [[ -n "$jar" ]] || die "no JMX exporter agent in $LIB_DIR/monitoring: run scripts/bootstrap.sh first"
  echo "-javaagent:$jar=127.0.0.1:$1:$ROOT/monitoring/jmx/$2"
}

# ---------------------------------------------------------------- Kafka
kafka_pidfile="$VAR_DIR/pids/kafka.pid"

kafka_healthy() { port_open "$KAFKA_PORT" && "$PYTHON" -m infra.status --quiet kafka; }

kafka_up() {
  may_start kafka "$kafka_pidfile" "$KAFKA_PORT" || return 0
  mkdir -p "$VAR_DIR/kafka/data" "$VAR_DIR/kafka/logs" "$VAR_DIR/pids"
  local props="$VAR_DIR/kafka/server.properties"
  { cat "$ROOT/stack/kafka/server.properties"; echo "log.dirs=$VAR_DIR/kafka/data"; } >"$props"
  local java=(java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true
    -Dkafka.logs.dir="$VAR_DIR/kafka/logs"
    -Dlog4j2.configurationFile="$ROOT/stack/kafka/log4j2.properties"
    -cp "$LIB_DIR/kafka/*")
  local agent; agent="$(jmx_exporter_agent "$KAFKA_JMX_EXPORTER_PORT" kafka.yml)"
  if [[ ! -f "$VAR_DIR/kafka/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$("${java[@]}" kafka.tools.StorageTool random-uuid)"
    "${java[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$props" >>"$VAR_DIR/kafka/logs/format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $VAR_DIR/kafka/logs/format.log"
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  nohup "${java[@]}" "$agent" kafka.Kafka "$props" >"$VAR_DIR/kafka/logs/stdout.log" 2>&1 &
  echo $! >"$kafka_pidfile"
  wait_until kafka "$START_TIMEOUT" "$VAR_DIR/kafka/logs/stdout.log" kafka_healthy
  log "kafka is up"
}

kafka_down() { stop_pidfile kafka "$kafka_pidfile"; }

kafka_status() { pid_alive "$kafka_pidfile" && kafka_healthy; }

# ---------------------------------------------------------------- Cassandra
cassandra_pidfile="$VAR_DIR/pids/cassandra.pid"

cassandra_healthy() { port_open "$CASSANDRA_PORT" && "$PYTHON" -m infra.status --quiet cassandra; }

cassandra_up() {
  may_start cassandra "$cassandra_pidfile" "$CASSANDRA_PORT" || return 0
  mkdir -p "$VAR_DIR/cassandra/logs" "$VAR_DIR/pids"
  local opts
  mapfile -t opts < <(grep -E '^-' "$ROOT/stack/cassandra/jvm17.options")
  local agent; agent="$(jmx_exporter_agent "$CASSANDRA_JMX_EXPORTER_PORT" cassandra.yml)"
  opts+=("$agent")
  log "starting cassandra on 127.0.0.1:$CASSANDRA_PORT (heap $CASSANDRA_HEAP)"
  nohup java "${opts[@]}" -Xms"$CASSANDRA_HEAP" -Xmx"$CASSANDRA_HEAP" \
    -Dcassandra.config="file://$ROOT/stack/cassandra/cassandra.yaml" \
    -Dcassandra.storagedir="$VAR_DIR/cassandra" \
    -Dcassandra.logdir="$VAR_DIR/cassandra/logs" \
    -Dlogback.configurationFile="$ROOT/stack/cassandra/logback.xml" \
    -Dcassandra-foreground=yes \
    -cp "$LIB_DIR/cassandra/*" org.apache.cassandra.service.CassandraDaemon \
    >"$VAR_DIR/cassandra/logs/stdout.log" 2>&1 &
  echo $! >"$cassandra_pidfile"
  wait_until cassandra "$START_TIMEOUT" "$VAR_DIR/cassandra/logs/system.log" cassandra_healthy
  log "cassandra is up"
}

cassandra_down() { stop_pidfile cassandra "$cassandra_pidfile"; }

cassandra_status() { pid_alive "$cassandra_pidfile" && cassandra_healthy; }

# ---------------------------------------------------------------- Flink
flink_home() { "$PYTHON" -c 'import os, pyflink; print(os.path.dirname(os.path.abspath(pyflink.__file__)))'; }

flink_conf_dir="$VAR_DIR/flink/conf"

render_flink_conf() {
  mkdir -p "$flink_conf_dir" "$VAR_DIR/flink/log" "$VAR_DIR/flink/pids" "$VAR_DIR/flink/checkpoints" "$VAR_DIR/flink/savepoints"
  cp "$ROOT"/flink-conf/{*.properties,*.xml,masters,workers} "$flink_conf_dir/"
  "$PYTHON" "$ROOT/flink-conf/render.py" local "$VAR_DIR" "$PYTHON" "$flink_conf_dir/config.yaml"
}

flink_lib_dir="$VAR_DIR/flink/lib"

# The cluster's lib/: the distribution's jars, PyFlink's runtime (flink-python, with Beam) and the
# libraries every job of ours ships (the Kafka connector, Parquet and its Hadoop pieces), as the
# image has them (docker/Dockerfile). The cluster loads them once (parent-first: flink-conf/,
# classloader), so their JIT-compiled code outlives each job; a job's own copies were compiled
# again at every submission (docs/benchmarks.md). build/lib's jars are copied, not linked: a
# rebuild must not change a jar that a running JVM reads. A new connector version needs
# `scripts/stack.sh restart flink`.
assemble_flink_lib() {
  local home; home="$(flink_home)"
  rm -rf "$flink_lib_dir"
  mkdir -p "$flink_lib_dir"
  ln -s "$home"/lib/*.jar "$home"/opt/flink-python-*.jar "$flink_lib_dir/"
  cp "$LIB_DIR"/flink-connectors/*.jar "$flink_lib_dir/"
}

# Flink runs outside the checkout and without PYTHONPATH, as on any cluster: its Python workers
# (`python -m`, so their folder is on sys.path) then find our code only where the job ships it.
flink_env() { (cd "$VAR_DIR/flink" && env -u PYTHONPATH FLINK_CONF_DIR="$flink_conf_dir" FLINK_LIB_DIR="$flink_lib_dir" FLINK_LOG_DIR="$VAR_DIR/flink/log" FLINK_PID_DIR="$VAR_DIR/flink/pids" "$@"); }

flink_healthy() { "$PYTHON" -m infra.status --quiet flink; }

# pgrep finds nothing with status 1, which pipefail would turn into a failed `down`.
flink_processes() { { pgrep -f "StandaloneSessionClusterEntrypoint|TaskManagerRunner" 2>/dev/null || true; } | while read -r pid; do
  if grep -qa -- "$flink_conf_dir" "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi; done; }

flink_taskmanagers() { flink_processes | while read -r pid; do
  grep -qa TaskManagerRunner "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"; done; }

start_taskmanager() { flink_env "$(flink_home)/bin/taskmanager.sh" start >>"$VAR_DIR/flink/log/start-cluster.out" 2>&1; }

taskmanager_watcher_pidfile="$VAR_DIR/flink/pids/taskmanager-watcher.pid"

# What Kubernetes does for the TaskManager pod: a TaskManager that dies (kill -9, OOM, a native
# crash) is started again, so the job restarts from its last checkpoint. Ends with the JobManager.
watch_taskmanager() {
  while sleep 2; do
    [[ -n "$(flink_processes)" ]] || exit 0
    if [[ -z "$(flink_taskmanagers)" ]]; then
      log "$(date -u +%FT%TZ) the TaskManager is gone: starting a new one"
      start_taskmanager
    fi
  done
}

start_taskmanager_watcher() {
  pid_alive "$taskmanager_watcher_pidfile" && return 0
  nohup "$0" _watch-taskmanager >>"$VAR_DIR/flink/log/taskmanager-watcher.log" 2>&1 &
  echo $! >"$taskmanager_watcher_pidfile"
}

stop_taskmanager_watcher() {
  pid_alive "$taskmanager_watcher_pidfile" && kill "$(cat "$taskmanager_watcher_pidfile")" 2>/dev/null
  wait_gone "$taskmanager_watcher_pidfile" 10
}

flink_up() {
  render_flink_conf
  if [[ -n "$(flink_processes)" ]]; then
    log "flink already running"
    if [[ -z "$(flink_taskmanagers)" ]]; then
      log "no TaskManager (killed?): starting one"
      start_taskmanager
    fi
  else
    port_open "$FLINK_PORT" && die "port $FLINK_PORT is taken by another process"
    require_jars flink-connectors
    assemble_flink_lib
    log "starting flink session cluster (dashboard http://127.0.0.1:$FLINK_PORT)"
    flink_env "$(flink_home)/bin/start-cluster.sh" >"$VAR_DIR/flink/log/start-cluster.out" 2>&1
  fi
  start_taskmanager_watcher
  wait_until flink "$START_TIMEOUT" "$VAR_DIR/flink/log/start-cluster.out" flink_healthy
  log "flink is up"
}

# The Python workers of this checkout's TaskManagers (the runner script and the interpreter it
# starts): a TaskManager that dies with kill -9, or is stopped while a job runs, leaves them behind.
python_workers() {
  local home; home="$(flink_home)"
  { pgrep -f "pyflink-udf-runner.sh|pyflink.fn_execution.beam" 2>/dev/null || true; } | while read -r pid; do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$home/" -e "$PYTHON "; then echo "$pid"; fi; done; }

flink_down() {
  stop_taskmanager_watcher
  if [[ -n "$(flink_processes)" ]]; then
    log "stopping flink"
    flink_env "$(flink_home)/bin/stop-cluster.sh" >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 60))
    while [[ -n "$(flink_processes)" ]] && ((SECONDS < deadline)); do sleep 1; done
    local left
    left="$(flink_processes)"
    [[ -z "$left" ]] || { log "killing leftover flink processes $left"; kill -9 $left 2>/dev/null || true; }
  fi
  local workers
  workers="$(python_workers | tr '\n' ' ')"
  if [[ -n "${workers// /}" ]]; then
    log "killing leftover python workers $workers"
    kill -9 $workers 2>/dev/null || true
    # A killed process lingers a moment while it exits: `down` returns once they are gone.
    local until=$((SECONDS + 10))
    while [[ -n "$(python_workers)" ]] && ((SECONDS < until)); do sleep 0.2; done
  fi
}

flink_status() { [[ -n "$(flink_processes)" ]] && flink_healthy; }

# ---------------------------------------------------------------- Monitoring
# Prometheus, the Pushgateway and the node exporter from Debian's packages (scripts/bootstrap.sh),
# and the Kafka probe (monitoring/kafka_probe.py). Each has its pid file; each listens on loopback.
monitoring_dir="$VAR_DIR/monitoring"
MONITORS=(prometheus pushgateway node-exporter kafka-probe)

monitor_port() { case "$1" in prometheus) echo "$PROMETHEUS_PORT" ;; pushgateway) echo "$PUSHGATEWAY_PORT" ;;
  node-exporter) echo "$NODE_EXPORTER_PORT" ;; kafka-probe) echo "$KAFKA_PROBE_PORT" ;; esac; }

# run_monitor NAME: become NAME's process (called in a background subshell, whose pid it keeps).
run_monitor() {
  case "$1" in
    prometheus) exec prometheus --config.file="$monitoring_dir/prometheus/prometheus.yml" \
      --storage.tsdb.path="$monitoring_dir/prometheus/data" --storage.tsdb.retention.time=7d \
      --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle ;;
    # In memory only: a restart forgets what the stopped Flink processes pushed.
    pushgateway) exec prometheus-pushgateway --web.listen-address="127.0.0.1:$PUSHGATEWAY_PORT" --persistence.file= ;;
    node-exporter) exec prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_EXPORTER_PORT" \
      --collector.disable-defaults --collector.filesystem --collector.cpu --collector.meminfo --collector.loadavg ;;
    kafka-probe) exec "$PYTHON" -m monitoring.kafka_probe --address "127.0.0.1:$KAFKA_PROBE_PORT" ;;
  esac
}

monitoring_healthy() {
  local monitor
  for monitor in "${MONITORS[@]}"; do pid_alive "$monitoring_dir/$monitor.pid" && port_open "$(monitor_port "$monitor")" || return 1; done
}

monitoring_up() {
  local monitor tool
  for tool in prometheus prometheus-pushgateway prometheus-node-exporter; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/bootstrap.sh (it installs Debian's packages)"
  done
  mkdir -p "$monitoring_dir"
  (cd "$ROOT" && "$PYTHON" -m monitoring.local_config "$monitoring_dir/prometheus")
  for monitor in "${MONITORS[@]}"; do
    pid_alive "$monitoring_dir/$monitor.pid" && continue
    port_open "$(monitor_port "$monitor")" && die "port $(monitor_port "$monitor") is taken by another process"
    (cd "$ROOT" && { (trap "" HUP; run_monitor "$monitor") </dev/null >"$monitoring_dir/$monitor.log" 2>&1 & echo $! >"$monitoring_dir/$monitor.pid"; })
  done
  # A running Prometheus rereads its configuration and rules (they may have changed).
  port_open "$PROMETHEUS_PORT" && curl -s -X POST "http://127.0.0.1:$PROMETHEUS_PORT/-/reload" >/dev/null 2>&1 || true
  wait_until monitoring "$START_TIMEOUT" "$monitoring_dir/prometheus.log" monitoring_healthy
  log "monitoring is up (Prometheus http://127.0.0.1:$PROMETHEUS_PORT)"
}

monitoring_down() {
  local monitor
  for monitor in "${MONITORS[@]}"; do stop_pidfile "$monitor" "$monitoring_dir/$monitor.pid"; done
}

monitoring_status() { monitoring_healthy; }

# ---------------------------------------------------------------- commands
each() {
  local action="$1"; shift
  local targets=("$@")
  ((${#targets[@]})) || targets=("${SERVICES[@]}")
  for service in "${targets[@]}"; do
    [[ " ${SERVICES[*]} " == *" $service "* ]] || die "unknown service '$service' (monitoring, kafka, cassandra, flink)"
    "${service}_${action}"
  done
}

# The pids of a service's processes, for the memory column of `status`.
kafka_pids() { cat "$kafka_pidfile" 2>/dev/null || true; }
cassandra_pids() { cat "$cassandra_pidfile" 2>/dev/null || true; }
flink_pids() { flink_processes; }
monitoring_pids() { local monitor; for monitor in "${MONITORS[@]}"; do cat "$monitoring_dir/$monitor.pid" 2>/dev/null || true; done; }

# Resident memory of the given pids, in MB (from /proc; 0 for pids that are gone).
resident_mb() { local total=0 kb; for pid in "$@"; do
  kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"; total=$((total + ${kb:-0})); done
  echo $((total / 1024)); }

status() {
  local all_up=0
  for service in "${SERVICES[@]}"; do
    if "${service}_status"; then
      # shellcheck disable=SC2046 # one pid per word
      printf '%-10s up    %6s MB resident\n' "$service" "$(resident_mb $("${service}_pids"))"
    else
      printf '%-10s down\n' "$service"; all_up=1
    fi
  done
  return $all_up
}

command="${1:-}"; shift || true
case "$command" in
  up) each up "$@" ;;
  down)
    # The whole stack: the live page `make demo` started goes too (it reads Kafka and Cassandra).
    if (($#)); then each down "$@"; else stop_pidfile iot-dashboard "$VAR_DIR/demo/dashboard.pid"; each down flink cassandra kafka monitoring; fi ;;
  restart) (($#)) || die "restart needs a service"; each down "$@"; each up "$@" ;;
  status) status ;;
  _watch-taskmanager) watch_taskmanager ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
