"""Which event time a message offers the watermark: the job's SQL reading of ``$.timestamp``."""

from __future__ import annotations

import pytest

from oracle.watermark import watermark_time_ms
from settings import ReadingRules

JUDGED_AT = 1_556_424_000_000  # 2019-04-28 04:00:00 UTC
RULES = ReadingRules()


@pytest.mark.parametrize(
    ("value", "offered"),
    [
        (b'{"timestamp": "2019-04-28 04:00:00"}', JUDGED_AT),
        (b'{"timestamp": "2019-04-28T04:00:00.999Z", "lat": "x"}', JUDGED_AT),
        (b'{"timestamp": "2019-04-28 04:10:00"}', JUDGED_AT + 600_000),
        (b'{"timestamp": "2019-04-28 04:10:01"}', None),
        (b'{"timestamp": "28/04/2019"}', None),
        (b'{"timestamp": 1556424000}', None),
        (b'{"id": "no stamp"}', None),
        (b'["2019-04-28 04:00:00"]', None),
        (b'{"timestamp": "2019-04-28 04:00:00", "temperature": Infinity}', None),
        (b'{"timestamp": "2019-04-28 04:00:00"', None),
        (b'{"timestamp": "2019-04-28 03:00:00", "timestamp": "2019-04-28 04:00:00"}', JUDGED_AT),
        (b'{"timestamp": "2019-04-28 04:00:00", "x": "\xff"}', JUDGED_AT),
    ],
)
def test_offered_time(value: bytes, offered: int | None) -> None:
    assert watermark_time_ms(value, JUDGED_AT, RULES) == offered


def test_naive_stamps_are_read_in_the_configured_zone() -> None:
    paris = ReadingRules(timezone="Europe/Paris")
    assert watermark_time_ms(b'{"timestamp": "2019-04-28 06:00:00"}', JUDGED_AT, paris) == JUDGED_AT
