#!/usr/bin/env bash
# Installs everything the project needs from nothing, and again only what changed:
#   - .venv with our package and its test, benchmark and tools (cqlsh) extras (pip, from pyproject.toml)
#   - build/bare-python: Flink's Python and only the libraries the job imports at run time (the
#     requirements of pyproject.toml that jobs/shipped_code.py names), not our package: the
#     interpreter of the Python workers in the test that the job ships all the code it needs
#   - headless Chromium and its chromedriver from Debian's packages (apt), for the dashboard's
#     browser test, when they are missing and apt is there
#   - Prometheus (with promtool), its Pushgateway and the node exporter from Debian's packages
#     (apt), for the local monitoring (scripts/stack.sh up monitoring) and the alert rule tests
#   - the JVM pieces (Flink Kafka connector, Kafka broker, Cassandra, the Prometheus JMX exporter
#     agent) into build/lib (mvn, jvm/), and the job's own JVM functions compiled from jvm/job-functions
# Each step is skipped while the file it comes from is unchanged (stamps hold their sha256).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON_BIN="${PYTHON_BIN:-python3}"
STAMPS="$ROOT/build/stamps"
mkdir -p "$STAMPS"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required: $2"; }
need "$PYTHON_BIN" "install Python 3.11"
need java "install a Java 17 JDK (apt-get install openjdk-17-jdk-headless)"
need mvn "install Maven (apt-get install maven)"
"$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || die "Python >= 3.11 is required"
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
[[ "$java_major" -ge 17 ]] || die "Java >= 17 is required (found $java_major)"

# fresh <name> <files...>: true when the files changed since the step last succeeded.
fresh() {
  local name="$1"; shift
  local sum
  sum="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  [[ -f "$STAMPS/$name" && "$(cat "$STAMPS/$name")" == "$sum" ]] && return 1
  echo "$sum" >"$STAMPS/$name.pending"
}
done_step() { mv "$STAMPS/$1.pending" "$STAMPS/$1"; }

if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PYTHON_BIN" -m venv .venv
  rm -f "$STAMPS/python"
fi
if fresh python pyproject.toml; then
  log "installing Python packages (first time: about 2 minutes)"
  .venv/bin/python -m pip install -q --upgrade pip wheel setuptools
  .venv/bin/python -m pip install -q -e ".[test,bench,tools]"
  done_step python
else
  log "Python packages up to date"
fi

mkdir -p build
.venv/bin/python -m jobs.shipped_code requirements jobs/hourly_region_means.py >build/bare-python-requirements.txt
if fresh bare-python build/bare-python-requirements.txt || [[ ! -x build/bare-python/bin/python ]]; then
  log "creating build/bare-python: Flink and the job's libraries, without our package (first time: about 2 minutes)"
  rm -rf build/bare-python
  "$PYTHON_BIN" -m venv build/bare-python
  build/bare-python/bin/python -m pip install -q --upgrade pip wheel setuptools
  build/bare-python/bin/python -m pip install -q -r build/bare-python-requirements.txt
  [[ -f "$STAMPS/bare-python.pending" ]] && done_step bare-python
else
  log "build/bare-python up to date"
fi

if fresh jvm jvm/pom.xml jvm/*/pom.xml $(find jvm -name "*.java" | sort) || [[ ! -d build/lib ]]; then
  log "fetching JVM pieces from Maven Central (first time: about 2 minutes)"
  rm -rf build/lib
  (cd jvm && mvn -B -q package)
  [[ -f "$STAMPS/jvm.pending" ]] && done_step jvm
else
  log "JVM pieces up to date"
fi
# The browser test drives the system's Chromium through the system's chromedriver: no browser download.
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  log "chromium and chromedriver present"
elif command -v apt-get >/dev/null 2>&1; then
  as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  log "installing chromium and chromium-driver (apt) for the dashboard's browser test"
  "${as_root[@]}" apt-get update -q >/dev/null || die "apt-get update failed"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
    || die "apt-get install chromium chromium-driver failed"
else
  log "WARNING: no apt-get here: install Chromium and its chromedriver for the browser test (tests/dashboard/test_browser.py)"
fi
# The local monitoring runs Debian's Prometheus tools: nothing downloaded by hand.
monitoring_tools=(prometheus promtool prometheus-pushgateway prometheus-node-exporter)
missing_tools=()
for tool in "${monitoring_tools[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool"); done
if ((${#missing_tools[@]} == 0)); then
  log "prometheus, promtool, the pushgateway and the node exporter present"
elif command -v apt-get >/dev/null 2>&1; then
  as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  log "installing prometheus, prometheus-pushgateway and prometheus-node-exporter (apt) for the local monitoring"
  "${as_root[@]}" apt-get update -q >/dev/null || die "apt-get update failed"
  # Not started as services: scripts/stack.sh runs them on loopback, with the stack.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    prometheus prometheus-pushgateway prometheus-node-exporter >/dev/null \
    || die "apt-get install prometheus prometheus-pushgateway prometheus-node-exporter failed"
  # Under systemd the packages start their daemons on every interface, on the ports the stack's own use.
  if [[ -d /run/systemd/system ]]; then
    "${as_root[@]}" systemctl disable --now prometheus prometheus-pushgateway prometheus-node-exporter >/dev/null 2>&1 || true
  fi
else
  log "WARNING: no apt-get here: install Prometheus (with promtool), its Pushgateway and node exporter for the monitoring"
fi
log "ready"
