"""Plausible sensor readings, and the faults a real source has, for the mock API and the load generator.

Deterministic for a seed: the same calls give the same ids, places, temperatures and faults.
Every record carries what it is meant to be (``kind``) and the reason the ingestion should
reject it for (``expected_reason``, None for a valid reading), so a test can compute the
expected result from what was served without asking the code under test.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np

from readings import Reason
from readings.timestamps import zone_of
from results.hours import HOUR_MS

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon

MINUTE_MS = 60_000

# Mean annual temperature, half the July-January swing (negative south of the equator) and
# half the daily swing, in °C: rounded climate normals of each region.
CLIMATES: dict[str, tuple[float, float, float]] = {
    "Auvergne-Rhône-Alpes": (11.0, 9.0, 5.0),
    "Bourgogne-Franche-Comté": (10.5, 8.5, 5.0),
    "Bretagne": (12.0, 5.5, 3.5),
    "Centre-Val de Loire": (11.5, 7.5, 5.0),
    "Corse": (15.5, 7.0, 4.5),
    "Grand Est": (10.5, 9.0, 4.5),
    "Hauts-de-France": (10.8, 7.0, 4.0),
    "Île-de-France": (12.3, 7.8, 4.5),
    "Normandie": (11.0, 6.0, 4.0),
    "Nouvelle-Aquitaine": (13.0, 7.5, 5.5),
    "Occitanie": (14.0, 8.0, 5.5),
    "Pays de la Loire": (12.3, 6.5, 4.5),
    "Provence-Alpes-Côte d'Azur": (15.0, 8.5, 5.0),
    "Guadeloupe": (26.5, 1.5, 3.0),
    "Martinique": (26.5, 1.3, 3.0),
    "Guyane": (26.8, 0.8, 4.0),
    "La Réunion": (24.0, -2.5, 3.5),
    "Mayotte": (26.5, -1.5, 3.0),
}
# Well away from every French border (lat, lon): Madrid, Berlin, London, Rome, Algiers, the Atlantic.
ABROAD = ((40.42, -3.70), (52.52, 13.40), (51.51, -0.13), (41.90, 12.50), (36.75, 3.06), (46.0, -15.0))
POINTS_PER_REGION = 512

RECORD_FAULTS = (
    Reason.NOT_AN_OBJECT,
    Reason.MISSING_FIELD,
    Reason.INVALID_TYPE,
    Reason.INVALID_TIMESTAMP,
    Reason.FUTURE_TIMESTAMP,
    Reason.INVALID_COORDINATES,
    Reason.TEMPERATURE_OUT_OF_RANGE,
    Reason.DUPLICATE_KEY,
    Reason.INVALID_ID,
)
# Only a message on its own (a Kafka record) can be these; inside an array they break the response.
MESSAGE_FAULTS = (Reason.MALFORMED_JSON, Reason.INVALID_ENCODING, Reason.EMPTY_MESSAGE)


class RegionSource(Protocol):
    """The part of ``geo.RegionIndex`` the simulator uses to place sensors inside regions."""

    @property
    def names(self) -> Sequence[str]: ...

    def geometry(self, name: str) -> MultiPolygon: ...

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class FaultMix:
    """The share of records of each kind; what is left is plain valid readings."""

    out_of_order: float = 0.0  # taken 5 s to 10 min before their neighbours
    late: float = 0.0  # taken 3.5 to 6 h before (later than the job's default allowed lateness)
    duplicates: float = 0.0  # an exact copy of an earlier record
    corrections: float = 0.0  # the same id with a new temperature, time or position
    malformed: float = 0.0  # broken records, spread evenly over the reason codes
    outside_france: float = 0.0

    def __post_init__(self) -> None:
        shares = [getattr(self, item.name) for item in fields(self)]
        if any(not 0.0 <= share <= 1.0 for share in shares) or sum(shares) > 1.0 + 1e-9:
            raise ValueError(f"fault shares must be in [0, 1] and add up to at most 1: {self}")

    def kinds(self) -> tuple[list[str], list[float]]:
        names = [item.name for item in fields(self)]
        shares = [getattr(self, name) for name in names]
        return ["valid", *names], [max(0.0, 1.0 - sum(shares)), *shares]


@dataclass
class SimulatedBatch:
    """Records in serving order, as parallel lists (cheap to build at load-generator rates)."""

    texts: list[bytes] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)  # the id, where a reader can use it
    kinds: list[str] = field(default_factory=list)
    expected_reasons: list[Reason | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def set(self, index: int, text: bytes, key: bytes | None, kind: str, expected: Reason | None) -> None:
        self.texts[index] = text
        self.keys[index] = key
        self.kinds[index] = kind
        self.expected_reasons[index] = expected


@dataclass
class _Version:
    """The latest version served of a reading, for duplicates and corrections."""

    id: str
    time_ms: int
    lat: float
    lon: float
    temperature: float
    text: bytes


_READING = '{"id": "%s", "timestamp": "%s", "lat": %.7f, "lon": %.7f, "temperature": %.4f, "country": "France"}'


def reading_text(reading_id: str, timestamp: str, lat: float, lon: float, temperature: float) -> bytes:
    return (_READING % (reading_id, timestamp, lat, lon, temperature)).encode("ascii")


class SensorSimulator:
    def __init__(
        self,
        regions: RegionSource,
        seed: int = 0,
        faults: FaultMix = FaultMix(),
        timezone_name: str = "UTC",
        message_faults: bool = False,
        history_size: int = 10_000,
    ) -> None:
        self._rng = np.random.default_rng(seed)
        self.faults = faults  # may be changed between batches (the mock's per-call shares)
        self._zone = zone_of(timezone_name)
        self._malformed_kinds = RECORD_FAULTS + (MESSAGE_FAULTS if message_faults else ())
        self._history: deque[_Version] = deque(maxlen=history_size)
        self._region_names = [name for name in regions.names if name in CLIMATES]
        self._pools = [self._draw_points(regions, name) for name in self._region_names]
        climates = np.array([CLIMATES[name] for name in self._region_names])
        self._mean, self._seasonal, self._diurnal = climates.T

    def _draw_points(self, regions: RegionSource, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Points inside the region, drawn uniformly in its bounding box and kept when the index agrees."""
        west, south, east, north = regions.geometry(name).bounds
        lats: list[np.ndarray] = []
        lons: list[np.ndarray] = []
        found = 0
        while found < POINTS_PER_REGION:
            lat = self._rng.uniform(south, north, 4 * POINTS_PER_REGION)
            lon = self._rng.uniform(west, east, 4 * POINTS_PER_REGION)
            inside = regions.lookup(lat, lon) == name
            lats.append(lat[inside])
            lons.append(lon[inside])
            found += int(inside.sum())
        return np.concatenate(lats)[:POINTS_PER_REGION], np.concatenate(lons)[:POINTS_PER_REGION]

    # ------------------------------------------------------------------ valid readings

    def _ids(self, count: int) -> list[str]:
        """Random ids in the 8-4-4-4-12 layout of the brief's UUIDs."""
        digits = self._rng.bytes(16 * count).hex()
        return [
            f"{digits[at : at + 8]}-{digits[at + 8 : at + 12]}-{digits[at + 12 : at + 16]}"
            f"-{digits[at + 16 : at + 20]}-{digits[at + 20 : at + 32]}"
            for at in range(0, 32 * count, 32)
        ]

    def _places(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        regions = self._rng.integers(0, len(self._pools), count)
        slots = self._rng.integers(0, POINTS_PER_REGION, count)
        lat = np.empty(count)
        lon = np.empty(count)
        for index, (pool_lat, pool_lon) in enumerate(self._pools):
            chosen = regions == index
            lat[chosen] = pool_lat[slots[chosen]]
            lon[chosen] = pool_lon[slots[chosen]]
        return regions, lat, lon

    def _temperatures(self, regions: np.ndarray, lon: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        days = times_ms / 86_400_000
        day_of_year = np.mod(days, 365.2425)
        solar_hour = np.mod((days % 1.0) * 24 + lon / 15.0, 24)
        return (
            self._mean[regions]
            + self._seasonal[regions] * np.cos(2 * math.pi * (day_of_year - 201) / 365.2425)
            + self._diurnal[regions] * np.cos(2 * math.pi * (solar_hour - 15) / 24)
            + self._rng.normal(0.0, 1.0, len(regions))
        )

    def timestamp_text(self, time_ms: int) -> str:
        """``YYYY-MM-DD HH:MM:SS`` in the configured zone, the brief's format."""
        return datetime.fromtimestamp(time_ms / 1000, tz=self._zone).strftime("%Y-%m-%d %H:%M:%S")

    def _timestamp_texts(self, times_ms: np.ndarray) -> list[str]:
        if self._zone is UTC:
            texts = np.datetime_as_string(times_ms.astype("datetime64[ms]"), unit="s")
            return [text.replace("T", " ") for text in texts.tolist()]
        return [self.timestamp_text(int(time_ms)) for time_ms in times_ms]

    # ------------------------------------------------------------------ batches

    def batch(self, times_ms: np.ndarray, now_ms: int) -> SimulatedBatch:
        """One record per event time (UTC epoch ms), with faults mixed in; ``now_ms`` places future ones."""
        count = len(times_ms)
        names, shares = self.faults.kinds()
        kinds = self._rng.choice(len(names), size=count, p=np.array(shares) / sum(shares))
        times = np.asarray(times_ms, dtype=np.int64).copy()
        shifted = {"out_of_order": (5_000, 10 * MINUTE_MS), "late": (7 * HOUR_MS // 2, 6 * HOUR_MS)}
        for name, (low, high) in shifted.items():
            chosen = kinds == names.index(name)
            times[chosen] -= self._rng.integers(low, high, int(chosen.sum()))
        regions, lat, lon = self._places(count)
        temperatures = np.round(self._temperatures(regions, lon, times), 4)
        ids = self._ids(count)
        stamps = self._timestamp_texts(times)

        # Plain readings (the bulk, at load-generator rates) take the short road; the history of
        # versions grows in serving order, so a correction never comes before its original.
        kind_names = [names[kind] for kind in kinds.tolist()]
        batch = SimulatedBatch([b""] * count, [None] * count, kind_names, [None] * count)
        keep_history = bool(self.faults.duplicates or self.faults.corrections)
        last_plain = names.index("late")  # kinds are numbered valid, out_of_order, late, then the rest
        lats, lons, temps = lat.tolist(), lon.tolist(), temperatures.tolist()
        for index, kind in enumerate(kinds.tolist()):
            if kind <= last_plain:
                text = reading_text(ids[index], stamps[index], lats[index], lons[index], temps[index])
                batch.texts[index] = text
                batch.keys[index] = ids[index].encode("ascii")
                if keep_history:
                    self._history.append(_Version(ids[index], int(times[index]), lats[index], lons[index], temps[index], text))
            else:
                fresh = _Version(ids[index], int(times[index]), lats[index], lons[index], temps[index], b"")
                self._special(index, kind_names[index], fresh, now_ms, batch)
        return batch

    def _special(self, index: int, kind: str, fresh: _Version, now_ms: int, batch: SimulatedBatch) -> None:
        if kind == "outside_france":
            lat, lon = ABROAD[int(self._rng.integers(len(ABROAD)))]
            fresh.lat, fresh.lon = lat + self._rng.uniform(-0.1, 0.1), lon + self._rng.uniform(-0.1, 0.1)
            text = reading_text(fresh.id, self.timestamp_text(fresh.time_ms), fresh.lat, fresh.lon, fresh.temperature)
            batch.set(index, text, fresh.id.encode("ascii"), kind, Reason.OUTSIDE_FRANCE)
        elif kind == "malformed":
            reason = self._malformed_kinds[int(self._rng.integers(len(self._malformed_kinds)))]
            text, key = self._breakers[reason](self, fresh, now_ms)
            batch.set(index, text, key, str(reason), reason)
        elif not self._history:  # nothing served yet to repeat or correct
            fresh.text = reading_text(fresh.id, self.timestamp_text(fresh.time_ms), fresh.lat, fresh.lon, fresh.temperature)
            self._history.append(fresh)
            batch.set(index, fresh.text, fresh.id.encode("ascii"), "valid", None)
        elif kind == "duplicates":
            earlier = self._history[int(self._rng.integers(len(self._history)))]
            batch.set(index, earlier.text, earlier.id.encode("ascii"), "duplicate", None)
        else:
            batch.set(index, *self._correction(now_ms), "correction", None)

    def _correction(self, now_ms: int) -> tuple[bytes, bytes]:
        """A new version of an earlier reading: another temperature, time or place."""
        version = self._history[int(self._rng.integers(len(self._history)))]
        change = int(self._rng.integers(3))
        if change == 0:
            version.temperature = round(version.temperature + float(self._rng.choice([-1, 1]) * self._rng.uniform(0.5, 5.0)), 4)
        elif change == 1:
            version.time_ms = min(now_ms, version.time_ms + int(self._rng.integers(-90, 91)) * MINUTE_MS)
        else:
            _, lat, lon = self._places(1)
            version.lat, version.lon = float(lat[0]), float(lon[0])
        version.text = reading_text(version.id, self.timestamp_text(version.time_ms), version.lat, version.lon,
                                    version.temperature)
        return version.text, version.id.encode("ascii")

    # ------------------------------------------------------------------ broken records

    def _fields(self, fresh: _Version) -> dict[str, str]:
        """The JSON text of each field of a valid reading, to break one of them."""
        return {
            "id": f'"{fresh.id}"',
            "timestamp": f'"{self.timestamp_text(fresh.time_ms)}"',
            "lat": f"{fresh.lat:.7f}",
            "lon": f"{fresh.lon:.7f}",
            "temperature": f"{fresh.temperature:.4f}",
            "country": '"France"',
        }

    @staticmethod
    def _object(members: list[tuple[str, str]]) -> bytes:
        return ("{" + ", ".join(f'"{name}": {value}' for name, value in members) + "}").encode("utf-8")

    def _pick(self, options: Sequence[str]) -> str:
        return options[int(self._rng.integers(len(options)))]

    def _with(self, fresh: _Version, name: str, value: str) -> bytes:
        members = self._fields(fresh)
        members[name] = value
        return self._object(list(members.items()))

    def _not_an_object(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        return self._pick(['"reading"', "42", "null", "[1, 2]", "true"]).encode(), None

    def _missing_field(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        missing = self._pick(["id", "timestamp", "lat", "lon", "temperature"])
        members = [(name, value) for name, value in self._fields(fresh).items() if name != missing]
        return self._object(members), None if missing == "id" else fresh.id.encode()

    def _invalid_type(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        name, value = self._pick(
            ['temperature|"21.5"', "lat|true", "lon|null", "timestamp|1550584930", 'lat|"45.1"', "id|12345"]
        ).split("|")
        return self._with(fresh, name, value), None if name == "id" else fresh.id.encode()

    def _invalid_timestamp(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        value = self._pick(['"2019-02-30 10:00:00"', '"yesterday"', '"19/02/2019 14:02"', '"2019-02-19"', '""'])
        return self._with(fresh, "timestamp", value), fresh.id.encode()

    def _future_timestamp(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        ahead = now_ms + int(self._rng.integers(HOUR_MS, 48 * HOUR_MS))
        return self._with(fresh, "timestamp", f'"{self.timestamp_text(ahead)}"'), fresh.id.encode()

    def _invalid_coordinates(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        name, value = self._pick(["lat|91.5", "lat|-123.4", "lon|180.5", "lon|-999", "lat|NaN", "lon|Infinity"]).split("|")
        return self._with(fresh, name, value), fresh.id.encode()

    def _temperature_out_of_range(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        value = self._pick(["150.2", "-273.15", "NaN", "Infinity", "-Infinity", "1e400"])
        return self._with(fresh, "temperature", value), fresh.id.encode()

    def _duplicate_key(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        members = list(self._fields(fresh).items()) + [("temperature", f"{fresh.temperature + 3:.4f}")]
        return self._object(members), fresh.id.encode()

    def _invalid_id(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        return self._with(fresh, "id", self._pick(['""', '"   "', f'"{"x" * 300}"'])), None

    def _malformed_json(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        text = self._object(list(self._fields(fresh).items()))
        return text[: int(self._rng.integers(1, len(text) - 1))], None

    def _invalid_encoding(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        return self._with(fresh, "country", '"Fran\\u00e7ais"').replace(b"\\u00e7", b"\xe7"), None  # Latin-1 ç

    def _empty_message(self, fresh: _Version, now_ms: int) -> tuple[bytes, bytes | None]:
        return b"", None

    _breakers: dict[Reason, Callable[[SensorSimulator, _Version, int], tuple[bytes, bytes | None]]] = {
        Reason.NOT_AN_OBJECT: _not_an_object,
        Reason.MISSING_FIELD: _missing_field,
        Reason.INVALID_TYPE: _invalid_type,
        Reason.INVALID_TIMESTAMP: _invalid_timestamp,
        Reason.FUTURE_TIMESTAMP: _future_timestamp,
        Reason.INVALID_COORDINATES: _invalid_coordinates,
        Reason.TEMPERATURE_OUT_OF_RANGE: _temperature_out_of_range,
        Reason.DUPLICATE_KEY: _duplicate_key,
        Reason.INVALID_ID: _invalid_id,
        Reason.MALFORMED_JSON: _malformed_json,
        Reason.INVALID_ENCODING: _invalid_encoding,
        Reason.EMPTY_MESSAGE: _empty_message,
    }
