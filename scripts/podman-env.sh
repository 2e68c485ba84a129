# Sourced by scripts/images.sh and scripts/containers.sh: podman with this project's settings
# (docker/podman/containers.conf), installed from Debian's packages when missing; the Python
# they run, and their log lines (prefixed with LOG_PREFIX).
# shellcheck shell=bash

export CONTAINERS_CONF="$ROOT/docker/podman/containers.conf"
PYTHON="${IOT_PYTHON:-$ROOT/.venv/bin/python}"

log() { printf '[%s] %s\n' "${LOG_PREFIX:-podman}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ensure_podman: podman, runc, catatonit and debootstrap (apt), as scripts/bootstrap.sh installs Chromium.
ensure_podman() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  [[ -x /usr/sbin/runc ]] || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
  # The init process of services with `init: true`.
  [[ -x /usr/libexec/podman/catatonit ]] || missing+=(catatonit)
  # `ip netns` for the topology's own network namespace (scripts/containers.sh).
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  # Container networks whose containers find each other by name (compose's service names).
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/dnsname ]] || missing+=(containernetworking-plugins golang-github-containernetworking-plugin-dnsname)
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null 2>&1 || { echo "install ${missing[*]} (no apt-get here)" >&2; return 1; }
  local as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  echo "installing ${missing[*]} (apt)" >&2
  "${as_root[@]}" apt-get update -q >/dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" iptables uidmap >/dev/null
}
