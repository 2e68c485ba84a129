"""The Cassandra sink: upserts, deletes, skipped update-befores, retries then failure."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pyflink.common import Row, RowKind

from jobs.explain import MemoryValueState
from results.records import decode_record
from settings import CassandraSettings
from tests.udfs.fake_metrics import FakeMetrics
from udfs import cassandra_writer
from udfs.cassandra_writer import CassandraResultWriter, RetryPolicy, apply_change, write_for

HOUR = datetime(2019, 4, 28, 4, tzinfo=UTC)
HOUR_MS = int(HOUR.timestamp() * 1000)


class FakeTables:
    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple] = []
        self.failures = failures

    def upsert(self, *args) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("cassandra is down")
        self.calls.append(("upsert", *args))

    def delete(self, *args) -> None:
        self.calls.append(("delete", *args))


def result(kind: RowKind, mean: float | None = 12.5, readings: int = 4, before: float | None = 10.0) -> Row:
    row = Row(hour_ms=HOUR_MS, region="Bretagne", mean_temperature=mean, readings=readings, mean_temperature_3h_before=before)
    row.set_row_kind(kind)
    return row


def test_inserts_and_update_afters_upsert_deletes_delete_update_befores_skip() -> None:
    tables = FakeTables()
    kinds = (RowKind.INSERT, RowKind.UPDATE_BEFORE, RowKind.UPDATE_AFTER, RowKind.DELETE)
    done = [apply_change(tables, result(kind), replaced_had_row=True) for kind in kinds]
    assert [applied.outcome for applied in done] == ["upserted", "skipped", "upserted", "deleted"]
    assert [call[:6] for call in tables.calls] == [
        ("upsert", HOUR, "Bretagne", 12.5, 4, 10.0),
        ("upsert", HOUR, "Bretagne", 12.5, 4, 10.0),
        ("delete", HOUR, "Bretagne"),
    ]


def test_each_write_becomes_the_results_topic_record_of_it() -> None:
    """An upsert's record is the row as written (the same updated_at), a delete's a tombstone."""
    tables = FakeTables()
    upserted = apply_change(tables, result(RowKind.INSERT), replaced_had_row=False)
    assert upserted.record is not None
    key, value = upserted.record
    assert value is not None
    row = decode_record(key.encode(), value.encode()).row
    assert key == "2019-04-28T04:00:00Z/Bretagne" and row is not None
    assert row[:5] == (HOUR, "Bretagne", 12.5, 4, 10.0)
    assert row.updated_at == tables.calls[0][6]  # the instant the tables got
    deleted = apply_change(tables, result(RowKind.DELETE), replaced_had_row=False)
    assert deleted.record == (key, None)
    assert apply_change(tables, result(RowKind.UPDATE_BEFORE), replaced_had_row=False).record is None


@pytest.mark.parametrize(("kind", "replaced_had_row", "expected"), [
    # A key whose hour has no reading of its own only carries the mean three hours before.
    (RowKind.INSERT, False, "skip"),
    (RowKind.UPDATE_BEFORE, True, "skip"),
    (RowKind.DELETE, False, "skip"),
    # Its hour lost its last reading while the hour three hours earlier keeps some: the row goes.
    (RowKind.UPDATE_AFTER, True, "delete"),
    # Only the mean three hours before changed, for an hour that has no row: nothing to write.
    (RowKind.UPDATE_AFTER, False, "skip"),
])
def test_a_result_without_readings_of_its_own_is_not_a_row(kind: RowKind, replaced_had_row: bool, expected: str) -> None:
    assert write_for(result(kind, mean=None, readings=0), replaced_had_row) == expected


def open_writer(monkeypatch: pytest.MonkeyPatch, tables: FakeTables, metrics: FakeMetrics, closed: list):
    session = SimpleNamespace(cluster=SimpleNamespace(shutdown=lambda: closed.append(True)))
    monkeypatch.setattr("results.session.connect", lambda settings: session)
    monkeypatch.setattr(cassandra_writer, "HourlyMeansTables", lambda s, keyspace: tables)
    writer = CassandraResultWriter(CassandraSettings(keyspace="iot"), RetryPolicy(budget_s=5, first_delay_s=0))
    state = MemoryValueState()
    writer.open(SimpleNamespace(get_metrics_group=lambda: metrics, get_state=lambda descriptor: state))
    return writer, state


def test_the_writer_deletes_the_row_of_an_hour_that_lost_its_last_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    tables, metrics = FakeTables(), FakeMetrics()
    writer, state = open_writer(monkeypatch, tables, metrics, [])
    changes = [
        result(RowKind.UPDATE_BEFORE), result(RowKind.UPDATE_AFTER, mean=None, readings=0),  # loses its last reading
        result(RowKind.UPDATE_BEFORE, mean=None, readings=0), result(RowKind.UPDATE_AFTER, mean=None, readings=0, before=11.0),
    ]
    emitted = [list(writer.process_element(change, None)) for change in changes]
    assert emitted == [[], [Row("2019-04-28T04:00:00Z/Bretagne", None)], [], []]  # the delete's tombstone
    assert tables.calls == [("delete", HOUR, "Bretagne")]
    assert state.value() is None  # nothing kept once the UPDATE_AFTER is applied


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_retry_backs_off_exponentially_then_succeeds() -> None:
    clock, tables, errors = FakeClock(), FakeTables(failures=3), list[Exception]()
    RetryPolicy(budget_s=10).run(lambda: tables.upsert(1), errors.append, clock.sleep, lambda: clock.now)
    assert clock.sleeps == [0.2, 0.4, 0.8]
    assert len(errors) == 3 and tables.calls == [("upsert", 1)]


def test_retry_gives_up_after_its_budget_so_flink_restarts_the_task() -> None:
    clock, tables = FakeClock(), FakeTables(failures=1000)
    with pytest.raises(ConnectionError):
        RetryPolicy(budget_s=3, max_delay_s=1).run(lambda: tables.upsert(1), lambda e: None, clock.sleep, lambda: clock.now)
    assert sum(clock.sleeps) <= 3


def test_writer_counts_what_it_does(monkeypatch: pytest.MonkeyPatch) -> None:
    tables, metrics, closed = FakeTables(failures=1), FakeMetrics(), list[bool]()
    writer, _ = open_writer(monkeypatch, tables, metrics, closed)
    kinds = (RowKind.INSERT, RowKind.UPDATE_BEFORE, RowKind.DELETE)
    emitted = [len(list(writer.process_element(result(kind), None))) for kind in kinds]
    assert emitted == [1, 0, 1]  # a record per write, none for a skip
    writer.close()
    counts = {name: c.count for name, c in metrics.counters.items()}
    assert counts == {"rows_upserted": 1, "rows_deleted": 1, "rows_skipped": 1, "cassandra_write_retries": 1}
    assert closed == [True]
