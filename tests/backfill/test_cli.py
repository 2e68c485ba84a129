"""``iot-backfill``'s refusals, each before any service is asked: one line, a non-zero status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backfill.cli import main
from tests.backfill.archive_files import write_archive
from tests.support.messages import BASE, reading


def test_hours_in_the_future_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(SystemExit) as stopped:
        main(["--from", f"{later:%Y-%m-%d %H}", "--to", f"{later:%Y-%m-%d %H}"])
    assert stopped.value.code == 2
    assert "is in the future" in capsys.readouterr().err


def test_daily_needs_a_whole_day(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--from", "2019-04-28 00", "--to", "2019-04-28 22", "--aggregation", "daily"])
    assert stopped.value.code == 2
    assert "whole UTC days" in capsys.readouterr().err


def test_hours_the_archive_has_no_files_for_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_archive([reading("r1", 10, 12.0, judged_at=BASE + timedelta(minutes=11))], tmp_path)  # hour BASE only
    assert main(["--from", f"{BASE:%Y-%m-%d %H}", "--to", f"{BASE + timedelta(hours=2):%Y-%m-%d %H}",
                 "--archive", str(tmp_path)]) == 1  # fmt: skip
    assert f"no archive files for 2 of the hours asked (the first: {BASE + timedelta(hours=1):%Y-%m-%d %H}:00)" in \
        capsys.readouterr().err
    assert main(["--from", "2019-04-28 04", "--to", "2019-04-28 04", "--archive", str(tmp_path / "nothing")]) == 1


