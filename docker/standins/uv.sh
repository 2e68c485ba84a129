#!/bin/sh
# Stand-in for uv: answers the two uv commands of docker/Dockerfile with the Python 3.11 of the
# image it runs in (Debian's), since uv's own Python builds cannot be downloaded here. Anything
# else is refused, so a Dockerfile that starts to rely on more of uv fails here loudly.
set -eu
case "$*" in
  "python install 3.11")
    # The interpreter stays Debian's in /usr; the runtime stage copies this folder, so it notes what stood in.
    mkdir -p "${UV_PYTHON_INSTALL_DIR:?}"
    python3.11 --version >"$UV_PYTHON_INSTALL_DIR/standin-debian-python" ;;
  "venv --seed --python 3.11 "*)
    [ "$#" -eq 5 ] || { echo "uv stand-in: one venv folder expected: uv $*" >&2; exit 2; }
    exec python3.11 -m venv "$5" ;;
  *)
    echo "uv stand-in: unsupported command: uv $*" >&2; exit 2 ;;
esac
