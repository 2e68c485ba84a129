"""Records still unacknowledged when the poller had to stop, kept on disk for its next start.

Writing them is the last resort of a stop during a Kafka outage (or in the middle of a large
response): they are sent before anything new at the next start, so a fetched batch is never
lost (at worst a record arrives twice, which the job counts once: it is an exact duplicate).
A file is deleted once each of its records is acknowledged or rejected, and never copied: a
stop or an outage during its replay leaves it as it is, so a spool never grows by restarting.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

from ingest.producer import Record


class UnreadableSpoolFile(Exception):
    """A spool file that is not what ``Spool.save`` writes (edited by hand, or from another program)."""


def _text(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, records: Iterable[Record]) -> Path | None:
        """Write ``records`` (streamed, never all in memory) atomically: a crash leaves no half file.

        Returns the file, or None when there was nothing to write.
        """
        records = iter(records)
        first = next(records, None)
        if first is None:
            return None
        records = chain([first], records)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"undelivered-{stamp}-{os.getpid()}.jsonl"
        partial = path.with_suffix(".part")
        with partial.open("w", encoding="ascii") as file:
            for record in records:
                file.write(json.dumps({"topic": record.topic, "key": _text(record.key), "value": _text(record.value)}) + "\n")
            file.flush()
            os.fsync(file.fileno())
        partial.replace(path)
        return path

    def files(self) -> list[Path]:
        """Spooled files, oldest first."""
        return sorted(self.directory.glob("undelivered-*.jsonl")) if self.directory.is_dir() else []

    @staticmethod
    def load(path: Path) -> Iterator[Record]:
        """The records of one file, one at a time; ``UnreadableSpoolFile`` at the first that is not ours."""
        with path.open("rb") as file:
            for number, line in enumerate(file, 1):
                try:
                    item = json.loads(line)
                    if not isinstance(item["topic"], str):
                        raise TypeError("the topic is not a string")
                    record = Record(item["topic"], _bytes(item["key"]), _bytes(item["value"]) or b"")
                except (ValueError, KeyError, TypeError, binascii.Error) as error:
                    raise UnreadableSpoolFile(f"line {number}: {type(error).__name__}: {str(error)[:200]}") from None
                yield record

    @staticmethod
    def set_aside(path: Path) -> Path:
        """Rename a file that cannot be replayed, out of the way of the next start but kept for a person to read."""
        aside = path.with_suffix(".unreadable")
        path.replace(aside)
        return aside
