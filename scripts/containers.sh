#!/usr/bin/env bash
# docker/compose.yaml run by podman-compose, in a network namespace of its own.
#
#   scripts/containers.sh up [SERVICE...]        start (all but the tools profile), in dependency order
#   scripts/containers.sh down [--keep-volumes]  remove every container, the network, the namespace
#                                                and, unless --keep-volumes, the volumes
#   scripts/containers.sh compose ARGS...        any podman-compose command (ps, logs, stop, run ...)
#   scripts/containers.sh exec COMMAND...        COMMAND inside the namespace (e.g. curl 127.0.0.1:8081)
#
# The compose file's published ports (127.0.0.1:9092, :9042, :8081, ...) are the local stack's:
# here they open in a network namespace named after the compose project (iot-temperature, or
# IOT_CONTAINERS_PROJECT), never on the host, so both can run at once.
# Images come from scripts/images.sh (make images); secrets from docker/make-secrets.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_PREFIX=containers
# shellcheck source=scripts/podman-env.sh
source "$ROOT/scripts/podman-env.sh"
# Another project name (the test's) gives other containers, volumes, network and namespace.
PROJECT="${IOT_CONTAINERS_PROJECT:-iot-temperature}"
NETNS="$PROJECT"
export COMPOSE_PROJECT_NAME="$PROJECT"


# nsenter rather than `ip netns exec`, which mounts a new /sys and so hides the cgroup
# hierarchy that runc needs.
in_netns() { nsenter --net="/run/netns/$NETNS" "$@"; }
# podman-compose ignores `configs`: they come as bind mounts from a generated override file.
CONFIGS_OVERRIDE="$ROOT/build/containers/compose.configs.yaml"
COMPOSE=("$(dirname "$PYTHON")/podman-compose" -p "$PROJECT" -f docker/compose.yaml -f "$CONFIGS_OVERRIDE")
compose() { in_netns "${COMPOSE[@]}" "$@"; }

ensure_netns() {
  mkdir -p "$(dirname "$CONFIGS_OVERRIDE")"
  "$PYTHON" scripts/compose_up.py configs-override "$CONFIGS_OVERRIDE"
  [[ -e "/run/netns/$NETNS" ]] && return 0
  ip netns add "$NETNS"
  in_netns ip link set lo up
}

up() {
  podman image exists iot-temperature-pipeline:local || die "no image iot-temperature-pipeline:local: run make images"
  docker/make-secrets.sh >/dev/null
  ensure_netns
  in_netns "$PYTHON" scripts/compose_up.py up "${COMPOSE[@]}" -- "$@"
}

project_filter=(--filter "label=io.podman.compose.project=$PROJECT")

down() {
  local volumes=(--volumes)
  [[ "${1:-}" == --keep-volumes ]] && volumes=()
  if [[ -e "/run/netns/$NETNS" ]]; then
    # The poller's grace period (stop_grace_period 45 s) is the longest wait.
    compose down "${volumes[@]}" >/dev/null 2>&1 || true
    local left
    left="$(podman ps -aq "${project_filter[@]}")"
    [[ -z "$left" ]] || { log "removing leftover containers"; in_netns podman rm -f $left >/dev/null; }
    ip netns delete "$NETNS"
  fi
  if ((${#volumes[@]})); then
    local named
    named="$(podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT")"
    [[ -z "$named" ]] || podman volume rm $named >/dev/null
  fi
  podman network exists "${PROJECT}_default" && podman network rm "${PROJECT}_default" >/dev/null
  log "down"
}

command="${1:-}"; shift || true
case "$command" in
  up) up "$@" ;;
  down) down "$@" ;;
  compose) ensure_netns; compose "$@" ;;
  exec) ensure_netns; in_netns "$@" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
