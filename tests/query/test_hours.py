"""``--hour``: an hour start in the brief's form or ISO 8601, or a clear refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from query.hours import parse_hour

H4 = datetime(2019, 4, 28, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2019-04-28 04", " 2019-04-28 04 ", "2019-04-28 04:00", "2019-04-28T04:00:00Z", "2019-04-28 04:00:00+0000",
     "2019-04-28T06:00+02:00"],
)
def test_hours_in_the_briefs_form_and_iso(text: str) -> None:
    assert parse_hour(text) == H4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-04-28", "is not an hour"),
        ("28/04/2019 04h", "is not an hour"),
        ("2019-04-28 25", "is not an hour"),
        ("2019-04-28 04:30", "is not the start of an hour"),
        ("2019-04-28T04:00:00.5", "is not the start of an hour"),
    ],
)
def test_what_is_not_an_hour_start_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hour(text)
