"""docs/data-protection.md names every place the pipeline keeps something of a reading: a new
topic, table, archive or spool that the doc does not list fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from backfill.bounded_run import Scratch
from results.daily import DAILY_TABLE
from results.tables import RESULT_TABLES
from settings import ArchiveSettings, IngestSettings, KafkaSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "data-protection.md").read_text(encoding="utf-8")
KAFKA = KafkaSettings()
SCRATCH = Scratch("backfill-<tag>")
PLACES = [
    KAFKA.readings_topic, KAFKA.rejected_topic, KAFKA.late_topic, KAFKA.results_topic,
    *RESULT_TABLES, DAILY_TABLE,
    ArchiveSettings().path, IngestSettings().spool_dir,
    SCRATCH.readings_topic, *(topic.removeprefix(SCRATCH.tag) for topic in SCRATCH.other_topics),
]  # fmt: skip


@pytest.mark.parametrize("place", PLACES)
def test_the_data_protection_note_lists_the_place(place: str) -> None:
    assert f"`{place}`" in DOC


def test_the_archive_erasure_the_note_shows_is_the_module() -> None:
    assert ".venv/bin/python -m archive.erasure --lat" in DOC
