"""Reading the archive with pyarrow, as docs/archive.md shows: hours chosen by directory, Kafka
order, files not yet committed left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from archive.reads import ARCHIVE_SCHEMA, archived_messages, hour_name

HOUR = timedelta(hours=1)
BASE = datetime(2026, 12, 5, 13, tzinfo=UTC)


STAMP = datetime(2026, 12, 5, 15, 0, 1, 234_000)


def write_part(root: Path, event_hour: str, name: str, rows: list[tuple[int, int, bytes]], int96: bool = False) -> None:
    """One part file as the job's sink writes it, its Kafka timestamps INT64 milliseconds (INT96
    with ``int96``, as before 2026-12-06): (partition, offset, payload) rows."""
    folder = root / f"event_hour={event_hour}"
    folder.mkdir(parents=True, exist_ok=True)
    columns = [pa.array([row[0] for row in rows], pa.int32()), pa.array([row[1] for row in rows], pa.int64()),
               pa.array([STAMP] * len(rows), pa.timestamp("ns")), pa.array([row[2] for row in rows], pa.binary())]  # fmt: skip
    table = pa.Table.from_arrays(columns, schema=ARCHIVE_SCHEMA.remove(4))
    if int96:
        pq.write_table(table, folder / name, use_deprecated_int96_timestamps=True)
    else:
        pq.write_table(table, folder / name, coerce_timestamps="ms")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    write_part(tmp_path, "2026-12-05T13", "part-a-0-0", [(1, 7, b"a"), (0, 9, b"b")])
    write_part(tmp_path, "2026-12-05T14", "part-a-0-1", [(0, 3, b"c")])
    write_part(tmp_path, "2026-12-05T14", ".part-a-0-2.inprogress.x", [(0, 4, b"uncommitted")])
    write_part(tmp_path, "2026-12-05T15", "part-a-1-0", [(1, 8, b"d")], int96=True)
    write_part(tmp_path, "none", "part-a-1-1", [(1, 2, b"\xff")])
    return tmp_path


def test_hours_are_chosen_by_directory_and_come_in_kafka_order(archive: Path) -> None:
    table = archived_messages(archive, BASE, BASE + HOUR)
    assert table.select(["kafka_partition", "kafka_offset", "payload", "event_hour"]).to_pylist() == [
        {"kafka_partition": 0, "kafka_offset": 3, "payload": b"c", "event_hour": "2026-12-05T14"},
        {"kafka_partition": 0, "kafka_offset": 9, "payload": b"b", "event_hour": "2026-12-05T13"},
        {"kafka_partition": 1, "kafka_offset": 7, "payload": b"a", "event_hour": "2026-12-05T13"},
    ]


def test_the_whole_archive_has_the_messages_without_an_event_time_and_never_an_uncommitted_file(archive: Path) -> None:
    payloads = archived_messages(archive).column("payload").to_pylist()
    assert sorted(payloads) == [b"a", b"b", b"c", b"d", b"\xff"]


def test_the_documented_query_counts_messages_per_hour(archive: Path) -> None:
    # docs/archive.md, "Reading it"
    table = archived_messages(archive, BASE, BASE + 2 * HOUR)
    counts = table.group_by("event_hour").aggregate([("kafka_offset", "count")]).sort_by("event_hour")
    assert counts.to_pylist() == [{"event_hour": "2026-12-05T13", "kafka_offset_count": 2},
                                  {"event_hour": "2026-12-05T14", "kafka_offset_count": 1},
                                  {"event_hour": "2026-12-05T15", "kafka_offset_count": 1}]  # fmt: skip
    bretagne = table.filter(pc.equal(table.column("payload"), b"c"))
    assert bretagne.column("kafka_offset").to_pylist() == [3]


def test_an_archive_not_written_yet_reads_empty(tmp_path: Path) -> None:
    assert archived_messages(tmp_path / "nothing").num_rows == 0
    assert hour_name(BASE) == "2026-12-05T13"


def test_files_of_either_timestamp_encoding_read_as_one_table(archive: Path) -> None:
    """The job wrote INT96 before 2026-12-06 and INT64 milliseconds since; an archive holds both."""
    encodings = {str(pq.ParquetFile(path).schema.column(2).physical_type) for path in archive.rglob("part-*")}
    assert encodings == {"INT64", "INT96"}
    stamps = archived_messages(archive).column("kafka_timestamp").to_pylist()
    assert len(stamps) == 5 and set(stamps) == {STAMP}
