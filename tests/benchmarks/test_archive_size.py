"""The archive benchmark's figures and what it counts, without the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.archive_size import CommittedFile, committed_files, figures, payload_bytes
from tests.archive.test_reads import write_part


def test_the_figures_are_bytes_over_messages_and_json_over_parquet() -> None:
    files = [CommittedFile("a", 4_000, 50), CommittedFile("b", 2_000, 30), CommittedFile("c", 2_000, 20)]
    measured = figures(files, json_bytes=16_000, expected=100)
    assert measured == {
        "messages": 100, "files": 3, "messages_per_file_mean": pytest.approx(100 / 3), "bytes": 8_000,
        "bytes_per_message": 80.0, "json_bytes_per_message": 160.0, "compression_ratio": 2.0,
    }


@pytest.mark.parametrize("archived", [99, 101])
def test_a_count_other_than_the_readings_sent_is_an_error(archived: int) -> None:
    files = [CommittedFile("a", 4_000, archived)]
    with pytest.raises(ValueError, match=f"{archived} messages, not the 100 sent"):
        figures(files, json_bytes=16_000, expected=100)


def test_only_committed_files_are_counted(tmp_path: Path) -> None:
    write_part(tmp_path, "2026-12-05T13", "part-a-0-0", [(0, 1, b"12345"), (1, 1, b"123")])
    write_part(tmp_path, "2026-12-05T14", ".part-a-0-1.inprogress.x", [(0, 2, b"uncommitted")])
    write_part(tmp_path, "none", "part-a-1-0", [(1, 2, b"1")])
    files = committed_files(tmp_path)
    assert sorted((Path(file.path).name, file.messages) for file in files) == [("part-a-0-0", 2), ("part-a-1-0", 1)]
    assert all(file.bytes == Path(file.path).stat().st_size for file in files)
    assert payload_bytes(tmp_path) == 9
