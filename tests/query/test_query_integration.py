"""``iot-query`` end to end on the real Cassandra: rows written in 1999 to a keyspace of its own.

A keyspace of its own, rather than hours of 1999 in ``iot``, because ``--latest`` and
``--region`` read the newest rows, which in ``iot`` belong to whatever else is running.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib.image
import pytest

from infra.provision import ensure_schema
from query.cli import main
from results.session import connect
from settings import CassandraSettings, Settings

pytestmark = pytest.mark.services

LAST_HOUR = datetime(1999, 12, 31, 23, tzinfo=UTC)
# (hours before LAST_HOUR, region, mean, readings)
RESULTS = [(3, "Bretagne", 7.25, 4), (2, "Bretagne", 8.0, 1), (0, "Bretagne", 9.5, 2), (0, "Corse", 15.125, 8),
           (0, "Île-de-France", 6.0, 3)]
IOT_QUERY = Path(sys.executable).with_name("iot-query")


@pytest.fixture
def results_keyspace(stack: Settings, unique_name: str) -> Iterator[CassandraSettings]:
    """A provisioned keyspace holding ``RESULTS`` in both tables, dropped afterwards."""
    cassandra = replace(stack.cassandra, keyspace=unique_name.replace("-", "_"))
    ensure_schema(cassandra)
    session = connect(cassandra, keyspace=cassandra.keyspace)
    try:
        by_hour = session.prepare(
            "INSERT INTO region_hourly_temperature"
            " (hour, region, mean_temperature, readings, mean_temperature_3h_before, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        by_region = session.prepare(
            "INSERT INTO region_temperature_history"
            " (region, hour, mean_temperature, readings, mean_temperature_3h_before, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        means = {(LAST_HOUR - timedelta(hours=back), region): mean for back, region, mean, _ in RESULTS}
        for back, region, mean, readings in RESULTS:
            hour = LAST_HOUR - timedelta(hours=back)
            before = means.get((hour - timedelta(hours=3), region))
            session.execute(by_hour, (hour, region, mean, readings, before, hour))
            session.execute(by_region, (region, hour, mean, readings, before, hour))
        yield cassandra
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {cassandra.keyspace}", timeout=60)
        session.cluster.shutdown()


def iot_query(cassandra: CassandraSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IOT_CASSANDRA_KEYSPACE": cassandra.keyspace}
    return subprocess.run([str(IOT_QUERY), *args], env=env, capture_output=True, text=True, timeout=120)


def test_an_hour_in_process(results_keyspace: CassandraSettings, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("IOT_CASSANDRA_KEYSPACE", results_keyspace.keyspace)
    assert main(["--hour", "1999-12-31 23"]) == 0
    assert capsys.readouterr().out.splitlines()[4:] == [
        "Bretagne                  9.50                  7.25         2",
        "Corse                    15.12                     -         8",
        "Île-de-France             6.00                     -         3",
    ]


def test_the_latest_hour_and_its_map_as_a_command(results_keyspace: CassandraSettings, tmp_path: Path) -> None:
    path = tmp_path / "latest.png"
    done = iot_query(results_keyspace, "--latest", "--map", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Mean temperature by region, 1999-12-31 23:00 UTC")
    assert matplotlib.image.imread(path).shape[1] > 1000


def test_a_regions_history_as_a_command(results_keyspace: CassandraSettings) -> None:
    done = iot_query(results_keyspace, "--region", "bretagne", "--last", "2")
    assert done.returncode == 0, done.stderr
    assert [line[:16] for line in done.stdout.splitlines()[4:]] == ["1999-12-31 23:00", "1999-12-31 21:00"]


def test_an_empty_hour_as_a_command(results_keyspace: CassandraSettings) -> None:
    done = iot_query(results_keyspace, "--hour", "1999-12-30 00")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "no rows for hour 1999-12-30 00:00 UTC\n")
