"""Records still unacknowledged when the poller had to stop, kept on disk for its next start.

Writing them is the last resort of a stop during a Kafka outage: they are sent again before
anything new, so a fetched batch is never lost (at worst a record arrives twice, which the
job counts once: it is an exact duplicate).
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ingest.producer import Record


def _text(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, records: list[Record]) -> Path:
        """Write ``records`` atomically (a crash leaves no half file); returns the file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
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
    def load(path: Path) -> list[Record]:
        with path.open(encoding="ascii") as file:
            return [
                Record(item["topic"], _bytes(item["key"]), _bytes(item["value"]) or b"")
                for item in map(json.loads, file)
            ]
