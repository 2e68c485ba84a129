"""The spool of records Kafka could not take yet: a round trip, and a file it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.producer import Record
from ingest.spool import Spool, UnreadableSpoolFile


def test_spool_round_trip(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.files() == []
    saved = [Record("a", None, b"\x00\xff"), Record("b", b"key", b"")]
    path = spool.save(saved)
    assert path is not None and spool.files() == [path] and not list(path.parent.glob("*.part"))
    assert list(Spool.load(path)) == saved
    assert spool.save([]) is None and spool.files() == [path]


def test_an_unreadable_spool_file_says_where_and_can_be_set_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    path = spool.save([Record("a", None, b"x")])
    assert path is not None
    path.write_text(path.read_text() + '{"topic": "a", "key": null, "value": "not base64!"}\n')
    with pytest.raises(UnreadableSpoolFile, match="line 2: Error"):
        list(Spool.load(path))
    aside = Spool.set_aside(path)
    assert spool.files() == [] and aside.read_text().startswith('{"topic": "a"')
