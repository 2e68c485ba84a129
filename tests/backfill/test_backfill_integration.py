"""``iot-backfill`` on the real stack: hours lost or altered in the tables come back as the stream
wrote them (and as the oracle has them), late readings and corrections included; a whole day gets
its minimum, maximum and mean, corrections honoured."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backfill.cli import main
from oracle import ExpectedOutcome, ExpectedRow, SentMessage, diff_tables, expected_outcome
from results.daily import DailyTable
from results.rows import ResultRow
from results.session import connect
from results.tables import HISTORY_TABLE, HOURLY_TABLE
from settings import Settings
from testkit.pipeline_run import PipelineRun
from testkit.waiting import wait_for
from tests.archive.coordinates import archive_coordinates, topic_coordinates
from tests.backfill.archive_files import write_archive
from tests.support.dataset import build
from tests.support.messages import CAEN, RENNES
from tests.support.pipeline_checks import REMEMBER_IDS_ALL_RUN

pytestmark = [pytest.mark.services, pytest.mark.slow]
HOUR = timedelta(hours=1)


@pytest.fixture
def run(stack: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineRun]:
    """A run of its own; the environment names it, so ``main()`` backfills this run's tables. Ids are
    remembered all the run, by the stream's job and the backfill's, as the oracle remembers them."""
    pipeline = PipelineRun.create("backfill-test")
    for name, value in {**pipeline.env, **REMEMBER_IDS_ALL_RUN}.items():
        if name.startswith("IOT_"):
            monkeypatch.setenv(name, value)
    yield pipeline
    pipeline.cancel()
    pipeline.drop()


def damage(run: PipelineRun, lost: datetime, altered: datetime) -> None:
    """Every row of hour ``lost`` deleted from both tables; one row of ``altered`` given a wrong mean."""
    session = connect(run.settings.cassandra, keyspace=run.settings.cassandra.keyspace)
    try:
        rows = list(session.execute(session.prepare(f"SELECT region FROM {HOURLY_TABLE} WHERE hour = ?"), (lost,)))
        for table in (HOURLY_TABLE, HISTORY_TABLE):
            delete = session.prepare(f"DELETE FROM {table} WHERE hour = ? AND region = ?")
            for row in rows:
                session.execute(delete, (lost, row.region))
        session.execute(session.prepare(f"UPDATE {HOURLY_TABLE} SET mean_temperature = 99.0 WHERE hour = ? AND region = ?"),
                        (altered, "Bretagne"))
    finally:
        session.cluster.shutdown()


def test_lost_and_altered_hours_come_back_as_the_stream_wrote_them(run: PipelineRun, capsys: pytest.CaptureFixture) -> None:
    # Event hours from 7 hours ago: messages sent now fall in the Kafka window of the hours 3 and 4.
    data = build(datetime.now(UTC) + timedelta(hours=23))
    lost, altered = data.base_hour + 3 * HOUR, data.base_hour + 4 * HOUR
    run.submit(overrides=REMEMBER_IDS_ALL_RUN)
    sent = run.produce(data.phase_a)
    wait_for("phase A in the tables", lambda: diff_tables(expected_outcome(sent), run.table_rows()), lambda d: not d, 180)
    sent += run.produce(data.phase_b)  # late readings and corrections, some of the hours backfilled
    expected = expected_outcome(sent)
    assert expected.late and {row.hour for row in expected.rows} >= {lost, altered}
    streamed = wait_for("phase B in the tables", run.table_rows, lambda rows: not diff_tables(expected, rows), 120)
    wanted = topic_coordinates(run)
    wait_for("the archive to hold the topic", lambda: archive_coordinates(run), lambda rows: rows == wanted, 120)
    run.cancel()  # the backfill's job gets the machine

    damage(run, lost, altered)
    assert diff_tables(expected, run.table_rows())
    assert main(["--from", f"{lost:%Y-%m-%d %H}", "--to", f"{altered:%Y-%m-%d %H}"]) == 0
    restored = run.table_rows()
    assert not diff_tables(expected, restored)
    assert not diff_tables(as_expected(streamed[HOURLY_TABLE]), restored)  # the stream's own rows
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and printed[0].startswith(f"{lost:%Y-%m-%d %H}:00: ") and " 0 unchanged" in printed[0]
    assert "1 written, 0 deleted" in printed[1]  # the altered row; the others equal to their last digits


def as_expected(rows: list[ResultRow]) -> ExpectedOutcome:
    """Rows the stream wrote, as the rows both tables must hold (compared with the oracle's tolerance:
    sums of doubles added in another order may differ in their last digits)."""
    return ExpectedOutcome(tuple(ExpectedRow(row.hour, row.region, row.mean_temperature, row.readings,
                                             row.mean_temperature_3h_before) for row in sorted(rows)), (), ())


def test_a_whole_day_gets_its_extremes_and_mean_with_corrections_honoured(run: PipelineRun, tmp_path: Path) -> None:
    day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    messages: list[SentMessage] = []

    def send(reading_id: str, minutes: float, temperature: float, place: tuple[float, float], partition: int) -> None:
        moment = day + timedelta(minutes=minutes)
        body = {"id": reading_id, "timestamp": f"{moment:%Y-%m-%d %H:%M:%S}", "lat": place[0], "lon": place[1],
                "temperature": temperature}  # fmt: skip
        stamp = int((moment + timedelta(minutes=1, seconds=len(messages))).timestamp() * 1000)
        messages.append(SentMessage(json.dumps(body).encode(), stamp, partition))

    for hour in range(24):  # every hour of the day has readings, in both regions
        send(f"b{hour}", hour * 60 + 10, 10.0 + hour % 5, RENNES, 0)
        send(f"n{hour}", hour * 60 + 20, 5.0 + hour % 3, CAEN, 1)
    send("cold", 300, -8.0, RENNES, 0)  # Bretagne's minimum, then corrected to 12
    send("hot", 600, 31.0, RENNES, 0)  # its maximum, then corrected to 13
    send("cold", 300, 12.0, RENNES, 0)
    send("hot", 600, 13.0, RENNES, 0)
    send("n3", 200, 5.0, CAEN, 1)  # an exact duplicate
    messages.sort(key=lambda message: message.judged_at_ms)
    write_archive(messages, tmp_path)

    assert main(["--from", f"{day:%Y-%m-%d} 00", "--to", f"{day:%Y-%m-%d} 23", "--aggregation", "daily",
                 "--archive", str(tmp_path)]) == 0  # fmt: skip
    session = connect(run.settings.cassandra)
    try:
        rows = {row.region: row for row in DailyTable(session, run.settings.cassandra.keyspace).day(day)}
    finally:
        session.cluster.shutdown()
    bretagne = [10.0 + hour % 5 for hour in range(24)] + [12.0, 13.0]
    normandie = [5.0 + hour % 3 for hour in range(24)]
    for region, values in (("Bretagne", bretagne), ("Normandie", normandie)):
        row = rows.pop(region)
        assert (row.min_temperature, row.max_temperature, row.readings) == (min(values), max(values), len(values))
        assert math.isclose(row.mean_temperature, math.fsum(values) / len(values), rel_tol=1e-12)
    assert rows == {}
    # The same readings as the oracle's hours of that day.
    hours = [row for row in expected_outcome(messages).rows if row.hour.date() == day.date()]
    assert sum(row.readings for row in hours) == len(bretagne) + len(normandie)
