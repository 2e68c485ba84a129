"""Benchmark records and the markers that tie a doc's figures to them, on records written to a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import records
from benchmarks.doc_figures import corrected, disagreement, false_claim, marked_claims, marked_figures, value_of


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    records.write("region_lookup", {"grid_index": {"million_points_per_s": 25.23, "batch_ms": 0.694}, "load_ms": 212},
                  argv=["--points", "1000"], folder=tmp_path)
    records.write("job_throughput", {"job": {"median": 38238.4, "rates": [35034.2, 38238.4]}}, argv=[], folder=tmp_path)
    return tmp_path


def test_a_record_says_when_where_and_how(folder: Path) -> None:
    record = json.loads((folder / "region_lookup.json").read_text())
    assert record["command"] == ".venv/bin/python -m benchmarks.region_lookup --points 1000"
    assert record["machine"]["cores"] >= 1 and record["machine"]["memory_gib"] > 0
    assert record["date"].startswith("20") and record["commit"]
    assert record["figures"]["grid_index"]["batch_ms"] == 0.694


def test_a_reference_reads_a_number_and_names_what_is_missing(folder: Path) -> None:
    assert records.figure("region_lookup:grid_index.batch_ms", folder) == 0.694
    with pytest.raises(records.MissingFigure, match="no record freshness.json"):
        records.figure("freshness:p99", folder)
    with pytest.raises(records.MissingFigure, match="no figure grid_index.points"):
        records.figure("region_lookup:grid_index.points", folder)
    with pytest.raises(records.MissingFigure, match="not a number"):
        records.figure("region_lookup:grid_index", folder)
    assert records.figure("job_throughput:job.rates.1", folder) == 38238.4
    with pytest.raises(records.MissingFigure, match="no figure job.rates.2"):
        records.figure("job_throughput:job.rates.2", folder)


def test_the_figure_is_the_last_number_before_its_marker() -> None:
    text = "intro\n| grid | 25.2<!--fig region_lookup:grid_index.million_points_per_s--> M | 0.69 ms<!--fig x:y--> |\n"
    found = list(marked_figures(text, "docs/regions.md"))
    assert [(m.line, m.shown, m.expression) for m in found] == [
        (2, "25.2", "region_lookup:grid_index.million_points_per_s"), (2, "0.69", "x:y")]
    assert found[0].where() == "docs/regions.md:2" and found[0].records == {"region_lookup"}


def test_arithmetic_over_references(folder: Path) -> None:
    assert value_of("ceil(1.5 * 101378 / (job_throughput:job.median / 2))", folder) == 8
    assert value_of("region_lookup:load_ms / 1000", folder) == pytest.approx(0.212)
    with pytest.raises(ValueError, match="not a figure's arithmetic"):
        value_of("__import__('os')", folder)


@pytest.mark.parametrize(("line", "agrees"), [
    ("25.2<!--fig region_lookup:grid_index.million_points_per_s--> M", True),
    ("25<!--fig region_lookup:grid_index.million_points_per_s--> M", True),
    ("25.3<!--fig region_lookup:grid_index.million_points_per_s--> M", False),
    ("38,238<!--fig job_throughput:job.median--> readings/s", True),
    ("38,239<!--fig job_throughput:job.median--> readings/s", False),
    ("0.69 ms<!--fig region_lookup:grid_index.batch_ms-->", True),
    ("0.70 ms<!--fig region_lookup:grid_index.batch_ms-->", False),
])
def test_a_figure_agrees_when_its_record_rounds_to_it(folder: Path, line: str, agrees: bool) -> None:
    (marked,) = marked_figures(line, "doc.md")
    assert (disagreement(marked, folder) is None) == agrees


def test_a_disagreement_says_what_the_figure_should_read(folder: Path) -> None:
    (marked,) = marked_figures("about 40,000<!--fig job_throughput:job.median--> readings/s", "doc.md")
    assert disagreement(marked, folder) == "doc.md:1: 40,000 but the record gives 38,238 (job_throughput:job.median)"
    (bare,) = marked_figures("no figure here<!--fig job_throughput:job.median-->", "doc.md")
    assert "no number before the marker" in (disagreement(bare, folder) or "")


def test_fixing_rewrites_each_figure_at_its_decimals_and_leaves_the_rest(folder: Path) -> None:
    grid, batch = "<!--fig region_lookup:grid_index.million_points_per_s-->", "<!--fig region_lookup:grid_index.batch_ms-->"
    text = (f"| grid | 25.9{grid} M | 0.7 ms{batch} |\n"
            "about 40,000<!--fig job_throughput:job.median--> readings/s, 3 runs, 1.5<!--fig freshness:p99--> s\n")
    assert corrected(text, folder) == (
        f"| grid | 25.2{grid} M | 0.7 ms{batch} |\n"
        "about 38,238<!--fig job_throughput:job.median--> readings/s, 3 runs, 1.5<!--fig freshness:p99--> s\n")


@pytest.mark.parametrize(("claim", "holds"), [
    ("region_lookup:grid_index.batch_ms < 1", True),
    ("region_lookup:grid_index.batch_ms > 1", False),
    ("48 % ceil(job_throughput:job.median / 4780) == 0", True),  # ceil(8.0) = 8 divides 48
    ("48 % ceil(job_throughput:job.median / 4000) == 0", False),  # ceil(9.6) = 10 does not
])
def test_a_claim_holds_or_says_to_reword_the_prose(folder: Path, claim: str, holds: bool) -> None:
    (marked,) = marked_claims(f"| grid | faster<!--claim {claim}--> |", "doc.md")
    assert marked.where() == "doc.md:1"
    problem = false_claim(marked, folder)
    assert (problem is None) == holds
    assert holds or problem == f"doc.md:1: the records no longer bear out {claim!r}: reword the prose before it"


def test_a_claims_numbers_are_not_figures_and_fixing_leaves_the_claim(folder: Path) -> None:
    line = "S = 8<!--fig ceil(job_throughput:job.median / 4780)--> divides<!--claim 48 % 8 == 0--> 48<!--fig 48--> evenly\n"
    assert [m.shown for m in marked_figures(line, "doc.md")] == ["8", "48"]
    assert corrected(line.replace("S = 8", "S = 9"), folder) == line
