"""Replay a sequence of messages under the rules of docs/contract.md §3, one message at a time, as the job would.

Parsing and locating do not depend on what came before, so they run over the whole sequence
at once (one vectorised region lookup); the watermark and the versions do, so they follow
in a plain loop in production order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import NamedTuple

from geo import RegionIndex
from oracle.hourly_means import Winner, hourly_means
from oracle.outcome import ExpectedLate, ExpectedOutcome, SentMessage
from oracle.watermark import watermark_time_ms
from readings import Reading, ReadingParser, Rejection, locate_readings
from readings.regions import RegionLookup
from settings import JobSettings, ReadingRules

DEFAULT_OUT_OF_ORDERNESS = timedelta(seconds=JobSettings.out_of_orderness_seconds)
DEFAULT_ALLOWED_LATENESS = timedelta(seconds=JobSettings.allowed_lateness_seconds)


class Located(NamedTuple):
    reading: Reading
    region: str


def parse_and_locate(
    messages: list[SentMessage], rules: ReadingRules, regions: RegionLookup
) -> list[Located | Rejection]:
    """Each message's verdict, in order: a located reading or its rejection."""
    parser = ReadingParser(rules)
    verdicts = [parser.parse(message.value, message.judged_at_ms) for message in messages]
    places = iter(locate_readings([v for v in verdicts if isinstance(v, Reading)], regions))
    located: list[Located | Rejection] = []
    for verdict in verdicts:
        if isinstance(verdict, Reading):
            place = next(places)
            located.append(Located(verdict, place) if isinstance(place, str) else place)
        else:
            located.append(verdict)
    return located


def expected_outcome(
    messages: Iterable[SentMessage],
    rules: ReadingRules = ReadingRules(),
    out_of_orderness: timedelta = DEFAULT_OUT_OF_ORDERNESS,
    allowed_lateness: timedelta = DEFAULT_ALLOWED_LATENESS,
    regions: RegionLookup | None = None,
) -> ExpectedOutcome:
    """The rows, late records and rejections the job must produce for ``messages`` (see ``oracle``)."""
    messages = list(messages)
    verdicts = parse_and_locate(messages, rules, regions or RegionIndex.default())
    out_of_orderness_ms = out_of_orderness // timedelta(milliseconds=1)
    lateness_ms = allowed_lateness // timedelta(milliseconds=1)
    winners: dict[str, Located] = {}  # ids are never forgotten here
    late: list[ExpectedLate] = []
    rejected: list[Rejection] = []
    max_time_ms: dict[int, int] = {}  # per Kafka partition, as the job's partition_watermarks
    for message, verdict in zip(messages, verdicts, strict=True):
        offered_ms = watermark_time_ms(message.value, message.judged_at_ms, rules)
        if offered_ms is not None and offered_ms > max_time_ms.get(message.partition, offered_ms - 1):
            max_time_ms[message.partition] = offered_ms
        highest_ms = max_time_ms.get(message.partition)
        watermark_ms = None if highest_ms is None else highest_ms - out_of_orderness_ms
        if isinstance(verdict, Rejection):
            rejected.append(verdict)
        else:
            too_late = lateness_verdict(verdict, winners.get(verdict.reading.id), watermark_ms, lateness_ms)
            if too_late is not None:
                late.append(too_late)
            else:
                # A correction replaces the winner; an exact duplicate replaces it with the same values.
                winners[verdict.reading.id] = verdict
    means = hourly_means(
        Winner(w.reading.event_time_ms, w.region, w.reading.temperature) for w in winners.values()
    )
    return ExpectedOutcome(means, tuple(late), tuple(rejected))


def lateness_verdict(
    new: Located, previous: Located | None, watermark_ms: int | None, lateness_ms: int
) -> ExpectedLate | None:
    """The late record when ``new`` or the version it would replace is older than watermark - lateness."""
    if watermark_ms is None:
        return None
    horizon_ms = watermark_ms - lateness_ms
    if new.reading.event_time_ms < horizon_ms:
        return ExpectedLate(new.reading, new.region, watermark_ms, replaced_version_too_late=False)
    if previous is not None and previous.reading.event_time_ms < horizon_ms:
        return ExpectedLate(new.reading, new.region, watermark_ms, replaced_version_too_late=True)
    return None
