"""Erasing a sensor's messages from the archive (docs/data-protection.md): only its messages go,
every other message and the uncommitted files stay, and readers see the rest as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.erasure import erase_sensor, main
from archive.reads import archived_messages
from tests.archive.test_reads import write_part

SENSOR = {"lat": 48.8566, "lon": 2.3522}
NEIGHBOUR = {"lat": 48.8566, "lon": 2.3523}


def reading(place: dict[str, float], temperature: float) -> bytes:
    return json.dumps({"id": f"r{temperature}", "timestamp": "2026-12-05T13:10:00Z", **place,
                       "temperature": temperature}).encode()  # fmt: skip


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    write_part(tmp_path, "2026-12-05T13", "part-a-0-0", [(0, 1, reading(SENSOR, 1.0)), (0, 2, reading(NEIGHBOUR, 2.0))])
    write_part(tmp_path, "2026-12-05T14", "part-a-0-1", [(1, 3, reading(NEIGHBOUR, 3.0))])
    write_part(tmp_path, "2026-12-05T14", ".part-a-0-2.inprogress.x", [(1, 4, reading(SENSOR, 4.0))])
    write_part(tmp_path, "none", "part-a-1-0", [(1, 5, b"not json"), (0, 6, reading(SENSOR, 6.0)), (0, 7, b"[1, 2]")])
    return tmp_path


def offsets(archive: Path) -> list[int]:
    return archived_messages(archive).column("kafka_offset").to_pylist()


def test_only_the_sensors_committed_messages_are_erased(archive: Path) -> None:
    result = erase_sensor(archive, SENSOR["lat"], SENSOR["lon"])
    assert (result.erased, result.files, result.unreadable) == (2, 2, 2)
    assert offsets(archive) == [2, 7, 3, 5]  # Kafka order; 1 and 6 were the sensor's
    assert (archive / "event_hour=2026-12-05T14" / ".part-a-0-2.inprogress.x").exists()  # the job's, not committed
    assert not list(archive.rglob("*.erasing"))
    assert erase_sensor(archive, SENSOR["lat"], SENSOR["lon"]).erased == 0


def test_a_dry_run_counts_and_rewrites_nothing(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {path: path.read_bytes() for path in archive.rglob("part-*")}
    assert main(["--lat", "48.8566", "--lon", "2.3522", "--archive", str(archive), "--dry-run"]) == 0
    assert "would erase 2 messages in 2 files; 2 messages without readable coordinates kept" in capsys.readouterr().out
    assert {path: path.read_bytes() for path in archive.rglob("part-*")} == before


def test_no_archive_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lat", "1", "--lon", "2", "--archive", str(tmp_path / "nothing")]) == 1
    assert "no archive at" in capsys.readouterr().err
