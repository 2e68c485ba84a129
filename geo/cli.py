"""iot-regions: ``lat,lon`` lines on standard input -> region names on standard output.

One output line per input line, in order: the region's name, or an empty line when the point
is in no region. A bad line (not two comma-separated numbers, a non-finite number, a latitude
outside [-90, 90] or a longitude outside [-180, 180], longer than 4 KiB) prints an error on
standard error and an empty line, and the command goes on; it then exits with status 1 at the end.

Input is read as it arrives and answered in batches (whatever is available, up to 64 KiB),
so the command works in a live pipe and a million lines take about a second. Only the first
4 KiB of a line are kept, so time and memory grow with the input, however long one line is.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Protocol, TextIO, cast

import numpy as np

from geo.region_index import RegionIndex
from settings.command_line import OneLineParser

_READ_SIZE = 1 << 16
# 'lat,lon' takes under 60 bytes at full float precision; a longer line is kept only this far.
MAX_LINE_BYTES = 4096


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="iot-regions",
        description="Read 'lat,lon' lines on standard input; print each point's region of France "
        "(an empty line when it is in none).",
    )
    parser.parse_args(argv)
    try:
        # A BufferedReader, which typeshed calls a BinaryIO (without read1).
        stdin = cast(ByteChunks, sys.stdin.buffer)
        bad_lines = answer_stream(stdin, sys.stdout, sys.stderr, RegionIndex.default())
    except BrokenPipeError:  # the reader went away (`iot-regions < big.csv | head`)
        # Point stdout at /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 1 if bad_lines else 0


@dataclass(frozen=True)
class LongLine:
    """A line longer than MAX_LINE_BYTES: its first bytes (for the message) and its length."""

    head: bytes
    length: int


Line = bytes | LongLine


class ByteChunks(Protocol):
    """A byte stream read a chunk at a time, at most ``size`` bytes, without waiting for more."""

    def read1(self, size: int = -1, /) -> bytes: ...


class LineSplitter:
    """Cuts chunks of a byte stream into lines, keeping at most MAX_LINE_BYTES of the line in progress.

    Joining the unfinished line to each new chunk, as ``partial + chunk`` does, copies the whole
    line again at every read: quadratic in a line's length. Here what is kept of a line is bounded,
    so each chunk costs its own length.
    """

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self._limit = limit
        self._head = b""  # the first limit + 1 bytes of the line in progress, at most
        self._length = 0  # its length so far

    @property
    def kept_bytes(self) -> int:
        return len(self._head)

    def feed(self, chunk: bytes) -> list[Line]:
        """The lines that ``chunk`` completes, in order."""
        pieces = chunk.split(b"\n")
        if len(pieces) == 1:
            self._extend(chunk)
            return []
        lines = [self._end_line(pieces[0])]
        lines += [piece if len(piece) <= self._limit else LongLine(piece[: self._limit], len(piece)) for piece in pieces[1:-1]]
        self._extend(pieces[-1])
        return lines

    def finish(self) -> list[Line]:
        """The last line, when the stream does not end with a newline."""
        return [self._end_line(b"")] if self._length else []

    def _extend(self, piece: bytes) -> None:
        self._length += len(piece)
        if len(self._head) <= self._limit:
            self._head += piece[: self._limit + 1 - len(self._head)]

    def _end_line(self, piece: bytes) -> Line:
        self._extend(piece)
        line = self._head if self._length <= self._limit else LongLine(self._head[: self._limit], self._length)
        self._head, self._length = b"", 0
        return line


def answer_stream(source: ByteChunks, out: TextIO, err: TextIO, index: RegionIndex) -> int:
    """Answer every line of ``source``; returns how many lines were bad."""
    bad_lines = 0
    line_number = 1
    splitter = LineSplitter()
    while chunk := source.read1(_READ_SIZE):
        lines = splitter.feed(chunk)
        bad_lines += answer_lines(lines, line_number, out, err, index)
        line_number += len(lines)
    bad_lines += answer_lines(splitter.finish(), line_number, out, err, index)
    return bad_lines


def answer_lines(
    lines: list[Line], first_number: int, out: TextIO, err: TextIO, index: RegionIndex
) -> int:
    """Print the answers for ``lines`` (numbered from ``first_number``); returns the bad ones."""
    if not lines:
        return 0
    lats, lons = [], []
    errors = []
    error: str | None
    for number, line in enumerate(lines, start=first_number):
        if isinstance(line, LongLine):
            lat, lon, error = math.nan, math.nan, f"longer than {MAX_LINE_BYTES} bytes ({line.length:,} bytes)"
            line = line.head
        else:
            lat, lon, error = parse_line(line)
        lats.append(lat)
        lons.append(lon)
        if error:
            errors.append(f"iot-regions: line {number}: {error}: {_shown(line)}\n")
    names = index.lookup(np.array(lats), np.array(lons))
    out.write("".join(f"{name or ''}\n" for name in names))
    out.flush()
    if errors:
        err.write("".join(errors))
        err.flush()
    return len(errors)


def parse_line(line: bytes) -> tuple[float, float, str | None]:
    """(lat, lon, None) for a good line; (nan, nan, what is wrong) for a bad one."""
    fields = line.split(b",")
    if len(fields) != 2:
        return math.nan, math.nan, "expected 'lat,lon'"
    try:
        lat, lon = float(fields[0]), float(fields[1])
    except ValueError:
        return math.nan, math.nan, "expected two numbers 'lat,lon'"
    if not (-90.0 <= lat <= 90.0):  # False for NaN too
        return math.nan, math.nan, "latitude not a number in [-90, 90]"
    if not (-180.0 <= lon <= 180.0):
        return math.nan, math.nan, "longitude not a number in [-180, 180]"
    return lat, lon, None


def _shown(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").rstrip("\r")
    return repr(text if len(text) <= 80 else text[:77] + "...")
