"""Region lookup of a batch: one lookup, and ``outside_france`` rejections in place."""

from __future__ import annotations

from readings import Reading, Reason, Rejection, locate_readings
from tests.readings.box_regions import BoxRegions


def reading(reading_id: str, lat: float, lon: float) -> Reading:
    return Reading(reading_id, 0, lat, lon, 10.0, f'{{"id": "{reading_id}"}}')


def test_one_lookup_for_the_batch_and_rejections_in_place() -> None:
    regions = BoxRegions()
    batch = [reading("a", 48.0, -3.0), reading("b", 40.4, -3.7), reading("c", 47.5, -2.0)]
    located = locate_readings(batch, regions)
    assert regions.lookups == 1
    assert located[0] == "Bretagne" and located[2] == "Bretagne"
    assert located[1] == Rejection(
        Reason.OUTSIDE_FRANCE,
        "(40.4, -3.7) is in no region of France; nearest is Bretagne, 123.5 km away",
        '{"id": "b"}',
        "b",
    )


def test_an_empty_batch_needs_no_lookup() -> None:
    regions = BoxRegions()
    assert locate_readings([], regions) == []
    assert regions.lookups == 0
