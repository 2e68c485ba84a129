"""Messages for the oracle's tests: readings at known places, judged at a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from oracle import SentMessage

RENNES = (48.11, -1.68)  # Bretagne
CAEN = (49.18, -0.37)  # Normandie
MADRID = (40.4168, -3.7038)  # outside France
BASE = datetime(2019, 4, 28, 4, tzinfo=UTC)  # an hour start
CLOCK = BASE + timedelta(days=1)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def reading(
    reading_id: str, minutes: float, temperature: float, place: tuple[float, float] = RENNES, judged_at: datetime = CLOCK
) -> SentMessage:
    body = {"id": reading_id, "timestamp": at(minutes).strftime("%Y-%m-%d %H:%M:%S"),
            "lat": place[0], "lon": place[1], "temperature": temperature, "country": "France"}  # fmt: skip
    return SentMessage(json.dumps(body).encode(), ms(judged_at))


def raw(value: bytes, judged_at: datetime = CLOCK) -> SentMessage:
    return SentMessage(value, ms(judged_at))
