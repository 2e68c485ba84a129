"""Figures in the docs tied to benchmark records, and the check that they agree.

A figure is followed, on the same line, by a marker naming where it comes from:

    the grid index runs at 25.2<!--fig region_lookup:grid_index.million_points_per_s--> M points/s
    S = 8<!--fig ceil(1.5 * message_size:one_gb_per_minute.readings_per_s / job_throughput:per_slot)--> slots

The marker holds a reference (``<record>:<key>.<key>…``, a number in
``benchmarks/records/<record>.json``'s figures) or arithmetic over references (+ - * / %, ``ceil``,
``floor``, ``min``, ``max``). The figure is the last number before the marker on its line; it
agrees when the marker's value, rounded to the figure's decimals, equals it (``1,593`` and
``98`` are whole numbers, ``0.43`` has two decimals).

A word of the prose that compares figures ("faster", "under its goal", "divides") is followed by
a claim, a comparison over the same arithmetic that must hold for the word to stay true:

    the grid index is slower<!--claim region_lookup:grid_index.batch_ms > region_lookup:rectangles.batch_ms--> per call

    .venv/bin/python -m benchmarks.doc_figures          # every marked figure that disagrees, and what it should read
    .venv/bin/python -m benchmarks.doc_figures --fix    # rewrite those figures from their records (then reread the prose)
"""

from __future__ import annotations

import ast
import math
import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks.records import RECORDS, ROOT, MissingFigure, figure

MARKER = re.compile(r"<!--fig (.+?)-->")
CLAIM = re.compile(r"<!--claim (.+?)-->")
REFERENCE = re.compile(r"\b([a-z][a-z0-9_]*):([A-Za-z0-9_.]*[A-Za-z0-9_])")
NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
FUNCTIONS: dict[str, Callable[..., float]] = {"ceil": math.ceil, "floor": math.floor, "min": min, "max": max}
OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
COMPARISONS: dict[type, Callable[[float, float], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


@dataclass(frozen=True)
class MarkedFigure:
    """One figure of a doc and the marker after it."""

    doc: str
    line: int
    shown: str | None  # the number as written, None when the line has none before the marker
    expression: str

    @property
    def records(self) -> set[str]:
        return {name for name, _ in REFERENCE.findall(self.expression)}

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass(frozen=True)
class MarkedClaim:
    """One comparison the prose of a doc makes, and the marker that states it."""

    doc: str
    line: int
    expression: str

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def without_claims(line: str) -> str:
    """``line`` with its claim markers blanked, at the same length: their numbers are no figures."""
    return CLAIM.sub(lambda claim: " " * len(claim.group(0)), line)


def marked_figures(text: str, doc: str) -> Iterator[MarkedFigure]:
    for number, line in enumerate(text.splitlines(), start=1):
        start = 0
        line = without_claims(line)
        for marker in MARKER.finditer(line):
            numbers = NUMBER.findall(line[start:marker.start()])
            yield MarkedFigure(doc, number, numbers[-1] if numbers else None, marker.group(1).strip())
            start = marker.end()


def marked_claims(text: str, doc: str) -> Iterator[MarkedClaim]:
    for number, line in enumerate(text.splitlines(), start=1):
        for claim in CLAIM.finditer(line):
            yield MarkedClaim(doc, number, claim.group(1).strip())


def value_of(expression: str, folder: Path = RECORDS) -> float:
    """The marker's value: its references read from the records, its arithmetic done (a claim's
    comparison gives 1.0 when it holds, 0.0 when not)."""
    names: dict[str, float] = {}

    def name_reference(match: re.Match[str]) -> str:
        names[f"ref{len(names)}"] = figure(match.group(0), folder)
        return f"ref{len(names) - 1}"

    tree = ast.parse(REFERENCE.sub(name_reference, expression), mode="eval")

    def evaluate(node: ast.AST) -> float:
        match node:
            case ast.Expression(body=body):
                return evaluate(body)
            case ast.Constant(value=int() | float() as number) if not isinstance(number, bool):
                return number
            case ast.Name(id=name) if name in names:
                return names[name]
            case ast.BinOp(left=left, op=op, right=right) if type(op) in OPERATORS:
                return OPERATORS[type(op)](evaluate(left), evaluate(right))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -evaluate(operand)
            case ast.Call(func=ast.Name(id=function), args=args, keywords=[]) if function in FUNCTIONS:
                return FUNCTIONS[function](*(evaluate(arg) for arg in args))
            case ast.Compare(left=left, ops=[op], comparators=[right]) if type(op) in COMPARISONS:
                return float(COMPARISONS[type(op)](evaluate(left), evaluate(right)))
        raise ValueError(f"not a figure's arithmetic: {ast.unparse(node)!r} in {expression!r}")

    return float(evaluate(tree))


def decimals(shown: str) -> int:
    return len(shown.partition(".")[2])


def rounded(value: float, places: int) -> str:
    """``value`` as a doc writes it with ``places`` decimals (thousands separated by commas)."""
    return f"{value:,.{places}f}"


def disagreement(marked: MarkedFigure, folder: Path = RECORDS) -> str | None:
    """Why the figure does not match its record, or None when it does (MissingFigure propagates)."""
    value = value_of(marked.expression, folder)
    if marked.shown is None:
        return f"{marked.where()}: no number before the marker {marked.expression!r} (record: {value:,})"
    shown = float(marked.shown.replace(",", ""))
    half_step = 0.5 * 10 ** -decimals(marked.shown)
    if abs(value - shown) <= half_step * (1 + 1e-9):
        return None
    return (f"{marked.where()}: {marked.shown} but the record gives {rounded(value, decimals(marked.shown))} "
            f"({marked.expression})")


def false_claim(claim: MarkedClaim, folder: Path = RECORDS) -> str | None:
    """Why the claim no longer holds with the records, or None when it does (MissingFigure propagates)."""
    if value_of(claim.expression, folder):
        return None
    return f"{claim.where()}: the records no longer bear out {claim.expression!r}: reword the prose before it"


def corrected(text: str, folder: Path = RECORDS) -> str:
    """``text`` with each marked figure rewritten from its record, at the decimals it had; figures
    whose record is missing stay as they are."""
    lines = []
    for line in text.splitlines(keepends=True):
        pieces, start = [], 0
        for marker in MARKER.finditer(line):
            before = line[start:marker.start()]
            numbers = list(NUMBER.finditer(without_claims(before)))
            try:
                value = value_of(marker.group(1).strip(), folder)
            except MissingFigure:
                numbers = []
            if numbers:
                last = numbers[-1]
                before = before[:last.start()] + rounded(value, decimals(last.group())) + before[last.end():]
            pieces.append(before + marker.group(0))
            start = marker.end()
        lines.append("".join(pieces) + line[start:])
    return "".join(lines)


def docs(root: Path = ROOT) -> dict[str, str]:
    """The README and every doc, by path from the root."""
    paths = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    return {str(path.relative_to(root)): path.read_text(encoding="utf-8") for path in paths if path.is_file()}


Marked = TypeVar("Marked", MarkedFigure, MarkedClaim)


def checked(marks: Iterable[Marked], check: Callable[[Marked], str | None]) -> list[str]:
    """What is wrong with each mark, a record or key it names that does not exist included."""
    problems = []
    for marked in marks:
        try:
            problem = check(marked)
        except MissingFigure as missing:
            problem = f"{marked.where()}: {missing} ({marked.expression})"
        if problem:
            problems.append(problem)
    return problems


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--fix"]:
        for doc, text in docs().items():
            fixed = corrected(text)
            if fixed != text:
                (ROOT / doc).write_text(fixed, encoding="utf-8")
                print(f"rewrote the figures of {doc}")
    problems = []
    for doc, text in docs().items():
        problems += checked(marked_figures(text, doc), disagreement)
        problems += checked(marked_claims(text, doc), false_claim)
    print("\n".join(problems) or "every marked figure agrees with its record, and every claim holds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
