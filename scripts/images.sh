#!/usr/bin/env bash
# Builds the pipeline's image (docker/Dockerfile) with podman, and the images compose.yaml runs.
#
#   scripts/images.sh            build what is missing or changed (layers are cached)
#   scripts/images.sh sizes      one line per image: name and size
#
# Where the official base images can be pulled (IOT_IMAGE_SOURCE=official), they are used as
# docker/Dockerfile and docker/compose.yaml name them. Where no registry answers (this
# workplace), IOT_IMAGE_SOURCE=auto (the default) builds stand-ins instead (docker/standins/):
# a Debian minbase made by debootstrap from the mirror apt uses here, plus the pieces the local
# stack runs (scripts/bootstrap.sh: Flink from the apache-flink wheel, the Kafka and Cassandra
# jars jvm/ fetched), tagged with the official names under localhost/ so that compose.yaml runs
# as written. Needs scripts/bootstrap.sh first (make images does it). See docs/deployment.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_PREFIX=images
# shellcheck source=scripts/podman-env.sh
source "$ROOT/scripts/podman-env.sh"
SOURCE="${IOT_IMAGE_SOURCE:-auto}"
WORK="$ROOT/build/images"
PIPELINE_IMAGE=iot-temperature-pipeline:local
DEBIAN_IMAGE=localhost/iot-debian:bookworm-min
CQLSH_VERSION=6.2.2


# The global ARG defaults of docker/Dockerfile and the images compose.yaml runs itself.
dockerfile_default() { sed -nE "s/^ARG $1=(.*)/\\1/p" docker/Dockerfile; }
compose_image() { sed -nE "/^  $1:/,/^  [a-z-]+:/ s/^    image: (.*)/\\1/p" docker/compose.yaml | head -1; }

FLINK_IMAGE="$(dockerfile_default FLINK_IMAGE)"
MAVEN_IMAGE="$(dockerfile_default MAVEN_IMAGE)"
UV_IMAGE="$(dockerfile_default UV_IMAGE)"
KAFKA_IMAGE="$(compose_image kafka)"
CASSANDRA_IMAGE="$(compose_image cassandra)"
OFFICIAL=("$FLINK_IMAGE" "$MAVEN_IMAGE" "$UV_IMAGE" "$KAFKA_IMAGE" "$CASSANDRA_IMAGE")

build() { podman build --network host --layers "$@"; }

# The local name of IMAGE's stand-in: localhost/ and IMAGE without its registry host, so that
# compose.yaml's short names (apache/kafka:4.1.1, cassandra:5.0) find it.
standin_name() { local first="${1%%/*}"; if [[ "$1" == */* && "$first" == *.* ]]; then echo "localhost/${1#*/}"; else echo "localhost/$1"; fi; }

# Pulled every time (quick when current): a local lookup of a short name would find a stand-in.
official_reachable() {
  local image
  for image in "${OFFICIAL[@]}"; do
    timeout 300 podman pull -q "$image" >/dev/null 2>&1 || return 1
  done
}

# The mirror apt uses here (deb822 .sources or one-line sources.list), or IOT_DEBIAN_MIRROR.
debian_mirror() {
  if [[ -n "${IOT_DEBIAN_MIRROR:-}" ]]; then echo "$IOT_DEBIAN_MIRROR"; return; fi
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list) existing=()
  for file in "${files[@]}"; do [[ -f "$file" ]] && existing+=("$file"); done
  ((${#existing[@]})) || return 0
  sed -nE -e 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' \
    -e 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "${existing[@]}" \
    | grep -E '/debian/?$' | head -1 || true
}

debian_base() {
  podman image exists "$DEBIAN_IMAGE" && return 0
  local mirror rootfs="$WORK/debian-rootfs"
  mirror="$(debian_mirror)"
  [[ -n "$mirror" ]] || die "no Debian mirror in /etc/apt/sources.list*: set IOT_DEBIAN_MIRROR"
  log "debootstrap --variant=minbase bookworm (about 30 s)"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $WORK/debootstrap.log"
  tar -C "$rootfs" -c . | podman import - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# The build context of docker/standins/Dockerfile: its scripts, and hard links to the pieces
# scripts/bootstrap.sh installed (the wheel's Flink distribution, build/lib's jars, the local
# stack's Cassandra settings), and the certificate authorities this machine adds to Debian's.
standin_context() {
  local context="$WORK/standins" flink_home
  flink_home="$("$PYTHON" -c 'import os, pyflink; print(os.path.dirname(os.path.abspath(pyflink.__file__)))')"
  [[ -d build/lib/kafka && -d build/lib/cassandra ]] || die "no jars in build/lib: run scripts/bootstrap.sh first"
  rm -rf "$context"
  mkdir -p "$context/flink/log"
  cp -a docker/standins/. "$context/"
  for part in bin conf lib opt plugins licenses; do link_tree "$flink_home/$part" "$context/flink/$part"; done
  link_tree build/lib/kafka/ "$context/kafka-libs"
  link_tree build/lib/cassandra/ "$context/cassandra-libs"
  cp stack/cassandra/cassandra.yaml stack/cassandra/jvm17.options "$context/cassandra/conf/"
  mkdir -p "$context/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$context/ca-certificates/" 2>/dev/null || true
  echo "$context"
}

link_tree() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }

standins() {
  debian_base
  local context
  context="$(standin_context)"
  local target image
  for target in flink maven uv kafka cassandra; do
    case "$target" in
      flink) image="$FLINK_IMAGE" ;; maven) image="$MAVEN_IMAGE" ;; uv) image="$UV_IMAGE" ;;
      kafka) image="$KAFKA_IMAGE" ;; cassandra) image="$CASSANDRA_IMAGE" ;;
    esac
    log "stand-in for $image"
    build -q -f docker/standins/Dockerfile --target "$target" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" \
      --build-arg CQLSH_VERSION="$CQLSH_VERSION" -t "$(standin_name "$image")" "$context" >/dev/null
  done
}

pipeline() {
  log "the pipeline's image $PIPELINE_IMAGE (docker/Dockerfile)"
  build --ignorefile docker/Dockerfile.dockerignore -f docker/Dockerfile \
    --build-arg FLINK_IMAGE="$1" --build-arg MAVEN_IMAGE="$2" --build-arg UV_IMAGE="$3" \
    -t "$PIPELINE_IMAGE" . >"$WORK/pipeline-build.log" 2>&1 || { tail -n 40 "$WORK/pipeline-build.log" >&2; die "build failed; see $WORK/pipeline-build.log"; }
  # A rebuild leaves the previous image and its stages' results untagged (about 4.5 GB a build):
  # remove ours that nothing uses; the cached layers under the new image stay.
  podman image prune -f --filter label=fr.iot.temperature.image=pipeline >/dev/null
}

sizes() {
  local image
  for image in "$PIPELINE_IMAGE" "${OFFICIAL[@]}"; do
    [[ "$SOURCE" == official || "$image" == "$PIPELINE_IMAGE" ]] || image="$(standin_name "$image")"
    podman image inspect --format '{{index .RepoTags 0}} {{.Size}}' "$image" 2>/dev/null \
      | awk '{printf "%-60s %6.0f MB\n", $1, $2 / 1e6}' || printf '%-60s missing\n' "$image"
  done
}

main() {
  ensure_podman
  mkdir -p "$WORK"
  case "$SOURCE" in
    official) official_reachable || die "cannot pull the official images" ;;
    standin) standins ;;
    auto) if official_reachable; then log "official base images"; else log "no registry answers: stand-in base images"; standins; SOURCE=standin; fi ;;
    *) die "IOT_IMAGE_SOURCE is official, standin or auto, not '$SOURCE'" ;;
  esac
  if [[ "$SOURCE" == standin ]]; then
    pipeline "$(standin_name "$FLINK_IMAGE")" "$(standin_name "$MAVEN_IMAGE")" "$(standin_name "$UV_IMAGE")"
  else
    pipeline "$FLINK_IMAGE" "$MAVEN_IMAGE" "$UV_IMAGE"
  fi
  sizes
}

case "${1:-build}" in
  build) main ;;
  sizes) sizes ;;
  *) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
