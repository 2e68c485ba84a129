"""scripts/compose_up.py: the start order and waits it derives from docker/compose.yaml."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compose_up", ROOT / "scripts" / "compose_up.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compose_up = load()


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))["services"]


def test_every_service_starts_after_what_it_depends_on(services: dict[str, Any]) -> None:
    wanted = [name for name, service in services.items() if not service.get("profiles")]
    order = compose_up.start_order(services, wanted)
    assert sorted(order) == sorted(wanted)
    for name in order:
        for dependency in compose_up.dependencies(services[name]):
            assert order.index(dependency) < order.index(name), f"{name} starts before {dependency}"


def test_a_named_service_brings_its_dependencies_only(services: dict[str, Any]) -> None:
    assert compose_up.start_order(services, ["provision"]) == ["kafka", "cassandra", "cassandra-init", "provision"]


def test_both_forms_of_depends_on() -> None:
    assert compose_up.dependencies({"depends_on": ["a", "b"]}) == {"a": "service_started", "b": "service_started"}
    assert compose_up.dependencies({"depends_on": {"a": {"condition": "service_healthy"}, "b": None}}) == {
        "a": "service_healthy", "b": "service_started"}
    assert compose_up.dependencies({}) == {}


def test_a_cycle_or_an_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        compose_up.start_order({"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}, ["a"])
    with pytest.raises(ValueError, match="no service 'c'"):
        compose_up.start_order({"a": {"depends_on": ["c"]}}, ["a"])


@pytest.mark.parametrize(("duration", "expected"),
                         [("10s", 10), ("2m", 120), ("1m30s", 90), ("1.5s", 1.5), (None, 7), ("45", 45)])
def test_compose_durations(duration: str | None, expected: float) -> None:
    assert compose_up.seconds(duration, 7) == expected


def test_health_deadline_is_compose_s_own(services: dict[str, Any]) -> None:
    """start_period + interval x retries: cassandra 60 s + 15 s x 20."""
    assert compose_up.health_deadline(services["cassandra"]) == 360
    assert compose_up.health_deadline({}) == 90
