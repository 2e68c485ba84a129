"""A generated stream of sensor messages that exercises every rule of docs/contract.md §3.

Two phases: phase A covers seven hours of all 18 regions with out-of-order readings, exact
duplicates, corrections (of the temperature, the hour and the region) and broken messages;
phase B, sent once phase A has drained, brings readings late within the allowed lateness,
readings and corrections beyond it, and a late change of an hour that another hour's
"three hours before" column shows. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from geo import RegionIndex

HOUR = timedelta(hours=1)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Dataset:
    base_hour: datetime
    phase_a: list[bytes] = field(default_factory=list)
    phase_b: list[bytes] = field(default_factory=list)
    # The only reading of an (hour, region), then its correction to another region: a row that
    # is created, then deleted (a tombstone in the results topic).
    lonely: tuple[bytes, bytes] = (b"", b"")


def points_in(index: RegionIndex, name: str, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random points that the index places in region ``name``."""
    min_lon, min_lat, max_lon, max_lat = index.geometry(name).bounds
    found: list[tuple[float, float]] = []
    while len(found) < count:
        lat = np.array([rng.uniform(min_lat, max_lat) for _ in range(64)])
        lon = np.array([rng.uniform(min_lon, max_lon) for _ in range(64)])
        hits = index.lookup(lat, lon) == name
        found += [(round(a, 6), round(o, 6)) for a, o, hit in zip(lat, lon, hits, strict=True) if hit]
    return found[:count]


BROKEN_MESSAGES: list[bytes] = [
    b"",
    b"   ",
    b"{not json",
    b'{"id": "trunc-1", "timestamp": "2019-02-19 14:0',
    b"\xff\xfe\x00garbage",
    b"[1, 2, 3]",
    b'"just a string"',
    b'{"id": "missing-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6}',
    b'{"id": "strtemp-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": "29.4"}',
    b'{"id": "boollat-1", "timestamp": "2019-02-19 14:02:10", "lat": true, "lon": 0.06, "temperature": 29.4}',
    b'{"id": "nan-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": NaN}',
    b'{"id": "inf-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": Infinity}',
    b'{"id": "hot-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": 120.0}',
    b'{"id": "badts-1", "timestamp": "19/02/2019 14h02", "lat": 45.6, "lon": 0.06, "temperature": 9.4}',
    b'{"id": "lat-1", "timestamp": "2019-02-19 14:02:10", "lat": 95.0, "lon": 0.06, "temperature": 9.4}',
    b'{"id": "dup-key-1", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lat": 45.7, "lon": 0.06, "temperature": 9.4}',
    b'{"id": "", "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": 9.4}',
    json.dumps({"id": "x" * 5000, "timestamp": "2019-02-19 14:02:10", "lat": 45.6, "lon": 0.06, "temperature": 9.4}).encode(),
    b'{"id": "madrid-1", "timestamp": "2019-02-19 14:02:10", "lat": 40.4168, "lon": -3.7038, "temperature": 15.0}',
    b'{"id": "swapped-1", "timestamp": "2019-02-19 14:02:10", "lat": 2.3522, "lon": 48.8566, "temperature": 15.0}',
    b'{"id": "sea-1", "timestamp": "2019-02-19 14:02:10", "lat": 46.0, "lon": -4.0, "temperature": 12.0}',
]


def reading(reading_id: str, moment: datetime, point: tuple[float, float], temperature: float, **extra) -> bytes:
    body = {"id": reading_id, "timestamp": stamp(moment), "lat": point[0], "lon": point[1],
            "temperature": temperature, "country": "France", **extra}
    return json.dumps(body).encode()


def build(now: datetime, seed: int = 7, per_hour: int = 4) -> Dataset:
    """Seven hours ending about 30 hours before ``now``, so nothing is in the future."""
    rng = random.Random(seed)
    index = RegionIndex.default()
    base = (now - timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    data = Dataset(base)
    points = {name: points_in(index, name, 8, rng) for name in index.names}

    timed: list[tuple[datetime, bytes]] = []
    originals: dict[str, tuple[datetime, str]] = {}
    first_version: dict[str, bytes] = {}
    serial = 0
    for hour in range(7):
        for name in index.names:
            for _ in range(per_hour if hour < 6 else 1):
                serial += 1
                minutes = rng.uniform(0, 59.9) if hour < 6 else rng.uniform(0, 10)
                moment = base + hour * HOUR + timedelta(minutes=minutes)
                reading_id = f"r{serial:05d}"
                message = reading(reading_id, moment, rng.choice(points[name]), round(rng.uniform(-5, 30), 3))
                # Out of order within ten minutes; the watermark's 30 s bound makes none of them late.
                timed.append((moment + timedelta(minutes=rng.uniform(-10, 10)), message))
                originals[reading_id] = (moment, name)
                first_version[reading_id] = message
    timed.sort(key=lambda item: item[0])
    stream = [message for _, message in timed]

    ids = sorted(originals)
    for reading_id in rng.sample(ids, 20):  # exact duplicates, later in the stream
        original = first_version[reading_id]
        stream.insert(min(len(stream), stream.index(original) + rng.randint(1, 40)), original)
    correctable = [i for i in ids if originals[i][0] < base + 5 * HOUR]
    for n, reading_id in enumerate(rng.sample(correctable, 30)):  # corrections within phase A
        moment, name = originals[reading_id]
        original = json.loads(first_version[reading_id])
        if n % 3 == 1:
            moment += HOUR  # moves it to the next hour
        point = rng.choice(points[rng.choice(index.names)]) if n % 3 == 2 else (original["lat"], original["lon"])
        fixed = reading(reading_id, moment, point, round(original["temperature"] + rng.uniform(-3, 3), 3))
        position = stream.index(first_version[reading_id])
        stream.insert(min(len(stream), position + rng.randint(5, 60)), fixed)
    for message in BROKEN_MESSAGES:
        stream.insert(rng.randint(0, len(stream)), message)
    future = base + timedelta(hours=60)  # a sensor whose clock is a day and more ahead
    stream.insert(rng.randint(0, len(stream)), reading("future-1", future, points["Bretagne"][0], 10.0))
    stream.insert(rng.randint(0, len(stream)), reading("extra-1", base + 2 * HOUR, points["Corse"][0], 18.0, battery=0.7))
    data.phase_a = stream

    # Phase B: the watermark is now about base + 6:10 - 30 s, so the lateness horizon is ~base + 3:09.
    b: list[bytes] = []
    for n, name in enumerate(("Bretagne", "Normandie", "Corse")):  # late, within the lateness
        b.append(reading(f"within-{n}", base + 3 * HOUR + timedelta(minutes=40 + n), points[name][1], 40.0 + n))
    for n, name in enumerate(("Occitanie", "Grand Est")):  # beyond the lateness
        b.append(reading(f"beyond-{n}", base + HOUR + timedelta(minutes=30), points[name][1], -40.0))
    early = next(i for i in ids if originals[i][0] < base + 2 * HOUR and originals[i][0] >= base + HOUR)
    moment, name = originals[early]
    b.append(reading(early, base + 5 * HOUR, points[name][0], 0.5))  # replaces a version beyond the lateness
    recent = next(i for i in ids if base + 5 * HOUR <= originals[i][0] < base + 6 * HOUR)
    moment, name = originals[recent]
    other = next(n for n in index.names if n != name)
    b.append(reading(recent, base + 4 * HOUR + timedelta(minutes=5), points[other][2], 33.0))  # moves hour and region
    b.append(first_version[ids[-1]])  # an exact duplicate of a recent reading
    data.phase_b = b
    lonely = base + 7 * HOUR + timedelta(minutes=5)  # an hour no other reading has
    data.lonely = (reading("lonely-1", lonely, points["Bretagne"][3], 12.0),
                   reading("lonely-1", lonely, points["Corse"][3], 12.5))
    return data
