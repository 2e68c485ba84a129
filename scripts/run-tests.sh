#!/usr/bin/env bash
# The linter and the type checker (configured in pyproject.toml), then the whole test suite with
# line coverage of our packages (fails under 90%, see pyproject.toml).
# Tests marked `services` start the local stack themselves (tests/conftest.py) and stop it after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
.venv/bin/ruff check .
.venv/bin/mypy
rm -f .coverage .coverage.*
.venv/bin/python -m pytest --cov --cov-report=term "$@"
