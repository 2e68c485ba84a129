"""Security basics that hold by construction: no shell built from input, no data in CQL text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings import CassandraSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
OUR_CODE = ("settings", "readings", "results", "geo", "ingest", "jobs", "udfs", "oracle", "query", "reconcile", "infra",
            "archive", "backfill", "testkit", "benchmarks", "scripts", "tests")


def python_files() -> list[Path]:
    return [path for folder in OUR_CODE for path in (ROOT / folder).rglob("*.py")]


def test_no_subprocess_goes_through_a_shell() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in python_files() if path != Path(__file__)
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"shell\s*=\s*True|os\.system\(|os\.popen\(", line)]
    assert python_files() and not offenders


def test_cql_text_interpolates_only_names_never_values() -> None:
    """Values go through bind markers; what an f-string puts in CQL is a keyspace, a table or a column list."""
    allowed = {"keyspace", "table", "SELECTED", "WHOLE_TABLE_COLUMNS", "HOURLY_TABLE", "HISTORY_TABLE",
               "cassandra.keyspace", "self.settings.cassandra.keyspace", "settings.keyspace"}
    found = []
    for path in python_files():
        for match in re.finditer(r"(?:execute|prepare)\(\s*f\"([^\"]*)\"", path.read_text()):
            found += [(path.name, name) for name in re.findall(r"\{([^}]*)\}", match.group(1)) if name not in allowed]
    assert not found


@pytest.mark.parametrize("keyspace", ["iot; DROP KEYSPACE iot", "iot.x", "1iot", "", "a" * 49, "iot\n", "Iot"])
def test_a_keyspace_that_is_not_a_name_is_refused(keyspace: str) -> None:
    with pytest.raises(ValueError, match="not a Cassandra keyspace name"):
        CassandraSettings(keyspace=keyspace)
    with pytest.raises(ValueError, match="not a Cassandra keyspace name"):
        Settings.from_env({"IOT_CASSANDRA_KEYSPACE": keyspace})


def test_generated_keyspaces_are_names() -> None:
    assert CassandraSettings(keyspace="e2e_0123abcdef_x").keyspace


def test_no_shell_script_evaluates_text() -> None:
    scripts = [*ROOT.glob("scripts/*.sh"), *ROOT.glob("docker/**/*.sh"), ROOT / ".ci" / "run"]
    offenders = [f"{path.relative_to(ROOT)}:{number}" for path in scripts
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"(^|[\s;|&])(eval|bash -c|sh -c)\s", line)]
    assert len(scripts) > 3 and not offenders
