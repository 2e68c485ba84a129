"""``PlainReading``, the JVM's parse of plainly valid readings, held to the Python parser.

The job trusts it to accept only what ``readings.ReadingParser`` accepts, with the same values to
the bit, since the readings it accepts never meet the Python rules (docs/streaming-job.md). So:
whatever it accepts, the parser accepts alike; and what sensors send (a flat ASCII object) it does
accept, or the job would parse everything twice.
"""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readings import Reading, ReadingParser
from settings import ReadingRules
from tests.support.plain_readings import jvm_plain_reading
from tests.support.reading_strategies import broker_ms, rules, stamps

JUDGED_AT_MS = 1_795_000_000_000  # 2026-11-18
NUMBER_TOKENS = ["0", "-0", "-0.0", "90", "90.0", "90.00000000000001", "-180", "1e2", "1E-7", "-1.5e+1",
                 "123456789012345678", "1234567890123456789", "0.1", "2.5e-324", "1e400", "70", "70.0000001",
                 "true", "null", '"5"', "NaN", "Infinity", "[1]", "{}", "01", "1.", ".5"]


def number_tokens():
    return st.one_of(
        st.floats(-90, 70).map(repr),
        st.sampled_from(NUMBER_TOKENS),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.floats(-95, 95).map(lambda value: f"{value:.6f}"),
        st.integers(-200, 200).map(str),
    )


ids = st.one_of(st.sampled_from(["r-1", "", " ", "  x ", "a" * 128, "a" * 129, "é", "a\\u00e9", 'q\\"', "\\ud800"]),
                st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e, exclude_characters='"\\'), max_size=10))


@st.composite
def messages(draw) -> bytes:
    """Objects of the reading's fields as raw JSON text: wild tokens, missing, repeated and extra members."""
    members = {
        "id": json.dumps(draw(ids)) if draw(st.booleans()) else draw(st.sampled_from(['"r-1"', "7", "null"])),
        "timestamp": json.dumps(draw(st.one_of(
            st.sampled_from(["2026-11-18 08:00:00", "2026-11-18T10:59:59.999999+01:00", "yesterday"]), stamps()))),
        "lat": draw(number_tokens()),
        "lon": draw(number_tokens()),
        "temperature": draw(number_tokens()),
    }
    pairs = [(name, token) for name, token in members.items() if draw(st.integers(0, 9))]  # a field may be missing
    extra = st.tuples(st.sampled_from(["country", "id", "lat", "x"]), st.sampled_from(['"France"', "1", "null", "[]"]))
    pairs += draw(st.lists(extra, max_size=2))
    pairs = draw(st.permutations(pairs))
    space = draw(st.sampled_from(["", " ", "\n\t"]))
    return ("{" + space + f",{space}".join(f'"{name}":{space}{token}' for name, token in pairs) + space + "}").encode()


IN_RANGE_TOKENS = ["0", "-0", "-0.0", "90", "-90.0", "-180", "180.0", "1e1", "1E-7", "-1.5e+1", "70", "-90", "0.1"]


@st.composite
def near_plain_messages(draw) -> bytes:
    """What sensors send and its close variants: every field there, tokens in range, the layout varied."""
    members = {
        "id": json.dumps(draw(st.one_of(ids, st.just("sensor-7")))),
        "timestamp": json.dumps(draw(st.sampled_from(
            ["2026-11-18 08:00:00", "2026-11-18 11:16:40", "2026-11-18 11:16:41", "2026-11-18T10:59:59.999999+01:00",
             "2026-11-18T11:06:40Z", "2026-11-18 08:00", "2026-03-29 02:30:00", "1999-12-31 23:59:59"]))),
        "lat": draw(st.one_of(st.sampled_from(IN_RANGE_TOKENS), st.floats(-90, 90).map(repr))),
        "lon": draw(st.one_of(st.sampled_from(IN_RANGE_TOKENS), st.floats(-180, 180).map(repr))),
        "temperature": draw(st.one_of(st.sampled_from(IN_RANGE_TOKENS), st.floats(-91, 71).map(repr))),
    }
    pairs = list(members.items()) + draw(st.lists(st.tuples(st.sampled_from(["country", "x", "id"]),
                                                            st.sampled_from(['"France"', "true", "null"])), max_size=1))
    pairs = draw(st.permutations(pairs))
    space = draw(st.sampled_from(["", " ", "\n\t"]))
    return ("{" + space + f",{space}".join(f'"{name}":{space}{token}' for name, token in pairs) + space + "}").encode()


def same_float(left: float, right: float) -> bool:
    return left == right and math.copysign(1, left) == math.copysign(1, right)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.one_of(messages(), near_plain_messages()), judged_at_ms=st.one_of(st.just(JUDGED_AT_MS), broker_ms),
       reading_rules=st.one_of(st.just(ReadingRules()), st.just(ReadingRules(timezone="Europe/Paris")), rules))
def test_what_the_jvm_accepts_the_parser_accepts_with_the_same_values(message: bytes, judged_at_ms: int,
                                                                       reading_rules: ReadingRules) -> None:
    plain = jvm_plain_reading(message, judged_at_ms, reading_rules)
    if plain is None:
        return
    verdict = ReadingParser(reading_rules).parse(message, judged_at_ms)
    assert type(verdict) is Reading, verdict
    assert (plain.id, plain.event_ms) == (verdict.id, verdict.event_time_ms)
    for jvm_value, python_value in zip(
        (plain.lat, plain.lon, plain.temperature), (verdict.lat, verdict.lon, verdict.temperature), strict=True
    ):
        assert same_float(jvm_value, python_value), (jvm_value, python_value)


@settings(max_examples=300, deadline=None)
@given(
    reading_id=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    temperature=st.floats(-90, 70),
    seconds_before=st.integers(0, 10 * 86_400),
    extra=st.booleans(),
)
def test_what_sensors_send_is_plain(reading_id: str, lat: float, lon: float, temperature: float,
                                    seconds_before: int, extra: bool) -> None:
    fields = {"id": reading_id, "timestamp": "2026-11-18 08:00:00", "lat": lat, "lon": lon, "temperature": temperature}
    message = json.dumps(fields | ({"country": "France"} if extra else {})).encode()
    if "\\" in message.decode():
        return  # an escape in the id: left to the Python parser, by design
    plain = jvm_plain_reading(message, JUDGED_AT_MS + seconds_before * 1000, ReadingRules())
    verdict = ReadingParser(ReadingRules()).parse(message, JUDGED_AT_MS + seconds_before * 1000)
    assert type(verdict) is Reading
    assert plain is not None
    assert (plain.id, plain.event_ms, plain.lat, plain.lon, plain.temperature) == verdict[:5]
