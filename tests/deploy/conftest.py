"""The deployment files and the project facts they must agree with, read once per test."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import compose_checks

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"


@pytest.fixture(scope="session")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def console_scripts(pyproject: dict[str, Any]) -> set[str]:
    return set(pyproject["project"]["scripts"])


@pytest.fixture(scope="session")
def compose_file() -> dict[str, Any]:
    return compose_checks.load(COMPOSE)


@pytest.fixture
def compose(compose_file: dict[str, Any]) -> dict[str, Any]:
    """A private copy of the compose document, for tests that break it on purpose."""
    return copy.deepcopy(compose_file)
