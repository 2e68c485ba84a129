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
        (["--hour", "1999-12-31 23", "--last", "3"], "--last goes with --region"),
        (["--region", "Corse", "--last", "0"], "argument --last: '0': must be from 1 to 2147483647"),
        (["--region", "Corse", "--last", "99999999999"], "must be from 1 to 2147483647"),
        (["--region", "Corse", "--map", "m.png"], "--map goes with --hour or --latest"),
        (["--latest", "--map", "m"], "argument --map: 'm': the map's file name must end in .png"),
        (["--latest", "--map", "/dev/full"], "must end in .png"),
        (["--latest", "--map", "/nonexistent/dir/x.png"], "no folder '/nonexistent/dir'"),
        (["--hour", "0001-01-01 00:00+01:00"], "is not an hour between years 1 and 9999 in UTC"),
    ],
)
def test_wrong_command_lines_exit_2_and_say_why_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        question(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("iot-query: ")


def test_a_folder_is_not_a_map_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "x.png").mkdir()
    with pytest.raises(SystemExit):
        question(["--latest", "--map", str(tmp_path / "x.png")])
    assert "a folder, not a file" in capsys.readouterr().err


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


def test_a_map_that_cannot_be_written_after_the_query_exits_1_in_one_line(tmp_path: Path) -> None:
    """The folder existed when the command line was read, and is gone when the map is drawn."""
    path = tmp_path / "gone" / "map.png"
    out, err = io.StringIO(), io.StringIO()
    assert answer(Question(hour=HOUR, map=path), FakeTables({HOUR: HOUR_ROWS}), out, err) == 1
    assert err.getvalue() == f"iot-query: cannot write the map to '{path}': No such file or directory\n"
    assert "Occitanie" in out.getvalue()


def test_a_wrong_variable_exits_2_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("IOT_CASSANDRA_PORT", "99999")
    with pytest.raises(SystemExit) as exit_:
        main(["--latest"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "iot-query: IOT_CASSANDRA_PORT='99999': must be from 1 to 65535\n"


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
