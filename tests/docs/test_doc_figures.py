"""Every figure the docs tie to a benchmark record matches that record (benchmarks/doc_figures.py).

Records that need the local stack and a long run are produced at the end of a piece of work;
until one is committed, the figures that name it are listed here as awaiting it, with the
command that writes it. Once the record is in ``benchmarks/records/``, delete its line below:
from then on its figures are checked like the others.
"""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.doc_figures import disagreement, docs, false_claim, marked_claims, marked_figures
from benchmarks.records import RECORDS

AWAITING: dict[str, str] = {}

FIGURES = [marked for doc, text in docs().items() for marked in marked_figures(text, doc)]
CLAIMS = [claim for doc, text in docs().items() for claim in marked_claims(text, doc)]


def test_the_docs_mark_their_figures_and_claims() -> None:
    assert len(FIGURES) >= 20, "the markers of the docs' figures are gone"
    assert len(CLAIMS) >= 8, "the markers of the docs' comparisons are gone"


@pytest.mark.parametrize("marked", [m for m in FIGURES if not m.records & AWAITING.keys()],
                         ids=lambda marked: marked.where())
def test_a_marked_figure_matches_its_record(marked) -> None:
    assert disagreement(marked) is None


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda claim: claim.where())
def test_a_claim_of_the_prose_holds_with_the_records(claim) -> None:
    assert false_claim(claim) is None


def test_an_awaited_record_is_still_missing() -> None:
    arrived = [name for name in sorted(AWAITING) if (RECORDS / f"{name}.json").exists()]
    assert not arrived, (
        f"benchmarks/records/ holds {arrived}: delete their lines from AWAITING in {__file__} so their figures are checked")


def test_figures_awaiting_a_record() -> None:
    waiting = [m for m in FIGURES if m.records & AWAITING.keys()]
    if waiting:
        per_doc = Counter(marked.doc for marked in waiting)
        commands = "; ".join(AWAITING[name] for name in sorted(set().union(*(m.records for m in waiting)) & AWAITING.keys()))
        pytest.skip(f"{len(waiting)} figures await a record ({', '.join(f'{doc}: {n}' for doc, n in per_doc.items())}); "
                    f"run: {commands}")
