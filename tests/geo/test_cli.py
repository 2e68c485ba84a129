"""iot-regions: lat,lon lines in, region names out; bad lines reported and skipped over."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from geo import RegionIndex
from geo.cli import MAX_LINE_BYTES, LineSplitter, LongLine, answer_stream, main, parse_line

INPUT = (
    b"48.8566,2.3522\n"          # Paris
    b"41.3874,2.1686\n"          # Barcelona: outside
    b"not a point\n"
    b"44.384, 4.991\r\n"         # Valreas, with a space and a Windows line end
    b"95,2\n"
    b"\n"
    b"-21.1151,55.5364"          # La Reunion, no final newline
)
OUTPUT = "Île-de-France\n\n\nProvence-Alpes-Côte d'Azur\n\n\nLa Réunion\n"


def run_main(monkeypatch: pytest.MonkeyPatch, data: bytes, *args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    status = main(list(args))
    return status, stdout.getvalue(), stderr.getvalue()


def test_one_answer_per_line_and_an_error_for_each_bad_line(monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, err = run_main(monkeypatch, INPUT)
    assert out == OUTPUT
    assert err.splitlines() == [
        "iot-regions: line 3: expected 'lat,lon': 'not a point'",
        "iot-regions: line 5: latitude not a number in [-90, 90]: '95,2'",
        "iot-regions: line 6: expected 'lat,lon': ''",
    ]
    assert status == 1


def test_good_input_exits_0_and_empty_input_prints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_main(monkeypatch, b"43.2965,5.3698\n") == (0, "Provence-Alpes-Côte d'Azur\n", "")
    assert run_main(monkeypatch, b"") == (0, "", "")


def test_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "lat,lon" in capsys.readouterr().out


class Trickle(io.RawIOBase):
    """A source that hands out its bytes a few at a time, like a slow pipe."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size

    def read1(self, _: int = -1) -> bytes:
        chunk, self._data = self._data[: self._size], self._data[self._size:]
        return chunk


@pytest.mark.parametrize("size", [1, 5, 17])
def test_lines_split_across_reads_are_joined_and_numbered_right(size: int) -> None:
    out, err = io.StringIO(), io.StringIO()
    bad = answer_stream(Trickle(INPUT, size), out, err, RegionIndex.default())
    assert (bad, out.getvalue()) == (3, OUTPUT)
    assert [line.split(":")[1] for line in err.getvalue().splitlines()] == [" line 3", " line 5", " line 6"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"48.5,2.25", (48.5, 2.25, None)),
        (b" -90 , 180 ", (-90.0, 180.0, None)),
        (b"1e1,2", (10.0, 2.0, None)),
        (b"48.5;2.25", "expected 'lat,lon'"),
        (b"48.5,2.25,3", "expected 'lat,lon'"),
        (b"north,east", "expected two numbers 'lat,lon'"),
        (b"nan,2", "latitude not a number in [-90, 90]"),
        (b"-90.01,2", "latitude not a number in [-90, 90]"),
        (b"48,inf", "longitude not a number in [-180, 180]"),
        (b"48,-180.5", "longitude not a number in [-180, 180]"),
    ],
)
def test_parse_line(line: bytes, expected: tuple | str) -> None:
    lat, lon, error = parse_line(line)
    if isinstance(expected, str):
        assert error == expected
    else:
        assert (lat, lon, error) == expected


def test_long_bad_lines_are_shortened_in_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, err = run_main(monkeypatch, b"x" * 200 + b"\n")
    assert err.endswith("'" + "x" * 77 + "...'\n")


def test_a_reader_that_goes_away_ends_the_command_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as closed_pipe:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(INPUT), encoding="utf-8"))
        monkeypatch.setattr(sys, "stdout", closed_pipe)
        assert main([]) == 1


def test_the_installed_command_end_to_end() -> None:
    command = Path(sys.executable).with_name("iot-regions")
    lines = b"".join(b"45.764,4.8357\n" for _ in range(50_000)) + b"bad\n50.8503,4.3517\n"
    run = subprocess.run([str(command)], input=lines, capture_output=True, timeout=60)
    out = run.stdout.decode("utf-8").split("\n")
    assert out[:50_000] == ["Auvergne-Rhône-Alpes"] * 50_000
    assert out[50_000:] == ["", "", ""]  # the bad line, Brussels, and the final newline
    assert run.stderr.decode("utf-8") == "iot-regions: line 50001: expected 'lat,lon': 'bad'\n"
    assert run.returncode == 1


class OneLongLine(io.RawIOBase):
    """A line of ``length`` digits handed out 64 KiB at a time, then a good point: no copy of the line exists."""

    CHUNK = b"1" * (1 << 16)

    def __init__(self, length: int) -> None:
        self._left, self._tail = length, b"\n48.8566,2.3522\n"

    def read1(self, _: int = -1) -> bytes:
        if self._left:
            size = min(self._left, len(self.CHUNK))
            self._left -= size
            return self.CHUNK if size == len(self.CHUNK) else self.CHUNK[:size]
        tail, self._tail = self._tail, b""
        return tail


def test_a_long_line_costs_memory_bounded_by_the_read_size_not_its_length() -> None:
    """Joining the unfinished line to each read copied it again and again: 50 MB took 21 s and held
    100 MB. With what is kept of a line bounded, each read costs its own size: linear time."""
    index = RegionIndex.default()
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    try:
        bad = answer_stream(OneLongLine(32 << 20), out, err, index)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak:,} bytes held for a 32 MiB line"
    assert (bad, out.getvalue()) == (1, "\nÎle-de-France\n")
    assert err.getvalue().startswith("iot-regions: line 1: longer than 4096 bytes (33,554,432 bytes): '1111")


@pytest.mark.parametrize("read_size", [1, 7, 4096, 1 << 16])
def test_the_splitter_keeps_a_bounded_head_and_cuts_lines_right(read_size: int) -> None:
    longest = b"2" * MAX_LINE_BYTES
    data = b"1,2\n" + longest + b"\n" + longest + b"3\n\n" + b"4" * 100_000 + b"\nlast"
    splitter = LineSplitter()
    lines = []
    for start in range(0, len(data), read_size):
        lines += splitter.feed(data[start:start + read_size])
        assert splitter.kept_bytes <= MAX_LINE_BYTES + 1
    lines += splitter.finish()
    assert lines == [b"1,2", longest, LongLine(longest, MAX_LINE_BYTES + 1), b"", LongLine(b"4" * MAX_LINE_BYTES, 100_000),
                     b"last"]
