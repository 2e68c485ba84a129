"""Hypothesis strategies for event times: timestamp texts near the edges of the accepted range,
reading rules, and broker clocks; shared by the parser's and the JVM parser's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from readings.timestamps import FIRST_MS, LAST_MS
from settings import ReadingRules

ZONES = ["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/St_Johns"]
YEARS = ["0000", "0001", "0002", "1899", "1969", "1970", "1999", "2000", "2019", "2026", "2027", "9998", "9999"]


@st.composite
def stamps(draw) -> str:
    """Texts of the timestamp's shape (ASCII digits, wild values), mostly near the range's edges."""
    def digits(count: int) -> st.SearchStrategy[str]:
        return st.text("0123456789", min_size=count, max_size=count)

    year = draw(st.one_of(st.sampled_from(YEARS), digits(4)))
    month, day = draw(st.sampled_from(["01", "12", "02", "13", "00"])), draw(st.sampled_from(["01", "31", "29", "30", "32"]))
    clock = draw(st.sampled_from(["00:00", "23:59", "24:00", "01:30"])) + draw(st.sampled_from(["", ":00", ":59", ":60"]))
    fraction = draw(st.sampled_from(["", ".5", ",999", ".9999999"])) if ":" in clock[3:] or len(clock) > 5 else ""
    offset = draw(st.sampled_from(["", "Z", "+01:00", "-23:59", "+14", "+0530", "-01:00", "+23:59"]))
    return f"{year}-{month}-{day}{draw(st.sampled_from(['T', ' ']))}{clock}{fraction}{offset}"


rules = st.builds(
    ReadingRules,
    timezone=st.sampled_from(ZONES),
    future_margin_seconds=st.sampled_from([0.0, 600.0, 86_400.0 * 366 * 8000]),
    earliest_year=st.sampled_from([1, 2, 1970, 2000, 9999]),
)
broker_ms = st.one_of(st.integers(FIRST_MS - 10**12, LAST_MS + 10**12), st.just(1_795_000_000_000))
