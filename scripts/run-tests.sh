#!/usr/bin/env bash
# The linter and the type checker (configured in pyproject.toml), then the whole test suite with
# line coverage of our packages (fails under 90%, see pyproject.toml).
# Tests marked `services` start the local stack themselves (tests/conftest.py) and stop it after.
# The container test (tests/containers/) builds the images and runs docker/compose.yaml under
# podman; IOT_CONTAINER_TESTS=0 leaves it out.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
.venv/bin/ruff check .
.venv/bin/mypy
rm -f .coverage .coverage.*
export IOT_CONTAINER_TESTS="${IOT_CONTAINER_TESTS:-1}"
.venv/bin/python -m pytest --cov --cov-report=term "$@"
