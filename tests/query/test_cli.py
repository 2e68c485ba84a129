"""``iot-query`` without Cassandra: its command line, its answers from fake tables, its errors."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from cassandra import InvalidRequest

from query import cli
from query.cli import Question, answer, main, question
from tests.query.rows import HISTORY_ROWS, HOUR, HOUR_ROWS, FakeTables


def test_an_hour_a_latest_or_a_region() -> None:
    assert question(["--hour", "1999-12-31 23"]) == Question(hour=HOUR)
    assert question(["--latest", "--map", "m.png"]) == Question(latest=True, map=Path("m.png"))
    assert question(["--region", "corse", "--last", "5"]) == Question(region="Corse", last=5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "one of the arguments --hour --latest --region is required"),
        (["--hour", "1999-12-31 23", "--latest"], "not allowed with argument"),
        (["--hour", "1999-12-31 23:30"], "is not the start of an hour"),
        (["--region", "Atlantis"], "is not a region of France"),
        (["--hour", "1999-12-31 23", "--last", "3"], "--last takes a positive number of hours and goes with --region"),
        (["--region", "Corse", "--last", "0"], "--last takes a positive number"),
        (["--region", "Corse", "--map", "m.png"], "--map goes with --hour or --latest"),
    ],
)
def test_wrong_command_lines_exit_2_and_say_why(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        question(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def ask(asked: Question, tables: FakeTables) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    answer(asked, tables, out, err)
    return out.getvalue(), err.getvalue()


def test_an_hour_prints_the_briefs_table() -> None:
    out, err = ask(Question(hour=HOUR), FakeTables({HOUR: HOUR_ROWS}))
    assert out.startswith("Mean temperature by region, 1999-12-31 23:00 UTC\n") and "Île-de-France" in out
    assert err == ""


def test_an_empty_hour_says_so_on_standard_error_only() -> None:
    assert ask(Question(hour=HOUR), FakeTables()) == ("", "no rows for hour 1999-12-31 23:00 UTC\n")


def test_latest_picks_the_most_recent_hour() -> None:
    earlier = HOUR - timedelta(hours=5)
    tables = FakeTables({earlier: HOUR_ROWS[:1], HOUR: HOUR_ROWS})
    out, _ = ask(Question(latest=True), tables)
    assert "1999-12-31 23:00 UTC" in out and tables.asked == [("hour", HOUR)]


def test_latest_on_empty_tables() -> None:
    assert ask(Question(latest=True), FakeTables()) == ("", "no rows in the results tables\n")


def test_a_region_prints_its_history() -> None:
    tables = FakeTables(history=HISTORY_ROWS)
    out, _ = ask(Question(region="Corse", last=1), tables)
    assert out.startswith("Corse, the 1 most recent hours with readings") and tables.asked == [("history", "Corse", 1)]


def test_a_region_without_rows() -> None:
    assert ask(Question(region="Mayotte"), FakeTables()) == ("", "no rows for region Mayotte\n")


def test_the_map_is_drawn_even_for_an_empty_hour(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    _, err = ask(Question(hour=HOUR, map=path), FakeTables())
    assert path.stat().st_size > 10_000
    assert err.splitlines() == ["no rows for hour 1999-12-31 23:00 UTC", f"map of 1999-12-31 23:00 UTC written to {path}"]


def test_unreachable_cassandra_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("IOT_CASSANDRA_PORT", "1")
    assert main(["--hour", "1999-12-31 23"]) == 1
    assert capsys.readouterr().err.startswith("iot-query: cannot reach Cassandra at 127.0.0.1:1: ")


class FakeCluster:
    def __init__(self) -> None:
        self.shut_down = False

    def shutdown(self) -> None:
        self.shut_down = True


class UnprovisionedSession:
    """Connects, then fails every statement like a keyspace that was never provisioned."""

    def __init__(self) -> None:
        self.cluster = FakeCluster()

    def prepare(self, text: str) -> None:
        raise InvalidRequest("keyspace iot does not exist")


def test_a_failing_read_exits_1_and_closes_the_session(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    session = UnprovisionedSession()
    monkeypatch.setattr(cli, "connect", lambda settings: session)
    assert main(["--latest"]) == 1
    assert "cannot read the results in keyspace" in capsys.readouterr().err
    assert session.cluster.shut_down


def test_an_answer_exits_0(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    session = UnprovisionedSession()  # never used: the tables are faked
    monkeypatch.setattr(cli, "connect", lambda settings: session)
    monkeypatch.setattr(cli, "ResultTables", lambda session, keyspace: FakeTables({HOUR: HOUR_ROWS}))
    assert main(["--latest"]) == 0
    assert "Occitanie" in capsys.readouterr().out and session.cluster.shut_down
