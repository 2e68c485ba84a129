"""docs/contract.md is the contract the code follows: the repo cites it, and nothing outside.

A citation is a section sign and a number (``docs/contract.md §3.4``); the section sign is used
for nothing else, so every ``§N`` in a tracked file, the contract's own cross-references
included, must name a heading of the contract.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "contract.md"
# What a clone does not contain: the contract's old home beside the repo.
OUTSIDE_REFERENCES = re.compile(r"PRODUCT\.md|(?:\.\.|/work)/shared")
SECTION_HEADING = re.compile(r"^#{2,4} §(\d+(?:\.\d+)*) ", re.MULTILINE)
CITATION = re.compile(r"§(\d+(?:\.\d+)*)")


def tracked_texts() -> dict[str, str]:
    """Every tracked file that is UTF-8 text, by path (binary files such as images left out)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    texts = {}
    for name in filter(None, listed.decode("utf-8").split("\0")):
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def sections(text: str) -> set[str]:
    return set(SECTION_HEADING.findall(text))


def citations(text: str) -> set[str]:
    return set(CITATION.findall(text))


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return tracked_texts()


def test_no_tracked_file_points_outside_the_repo(texts: dict[str, str]) -> None:
    pointing_out = {
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for name, text in texts.items()
        for match in OUTSIDE_REFERENCES.finditer(text)
    }
    assert not pointing_out, "cite docs/contract.md instead of:\n" + "\n".join(sorted(pointing_out))


def test_every_citation_names_a_section_of_the_contract(texts: dict[str, str]) -> None:
    existing = sections(CONTRACT.read_text(encoding="utf-8"))
    unknown = {f"{name}: §{number}" for name, text in texts.items() for number in citations(text) - existing}
    assert not unknown, f"sections not in docs/contract.md ({', '.join(sorted(existing))}):\n" + "\n".join(sorted(unknown))


def test_the_code_cites_the_contract(texts: dict[str, str]) -> None:
    citing = [name for name, text in texts.items() if "contract.md §" in text and name.endswith(".py")]
    assert len(citing) >= 10, citing


def test_section_numbers_are_unique_and_read_in_order() -> None:
    numbers = SECTION_HEADING.findall(CONTRACT.read_text(encoding="utf-8"))
    as_tuples = [tuple(int(part) for part in number.split(".")) for number in numbers]
    assert len(set(numbers)) == len(numbers) and as_tuples == sorted(as_tuples), numbers


@pytest.mark.parametrize(
    ("text", "found"),
    [("see docs/contract.md §3.4 and §1", {"3.4", "1"}), ("[contract.md\n§4.1](contract.md)", {"4.1"}), ("§ alone", set())],
)
def test_citations_are_read_as_written(text: str, found: set[str]) -> None:
    assert citations(text) == found


def test_headings_are_read_as_sections() -> None:
    assert sections("## §3 Rules\n### §3.4 Versions\n#### not one\n") == {"3", "3.4"}
