"""docs/deployment.md's tables describe docker/compose.yaml as it is.

A service, volume or secret added to the compose file and not to its page (the archive's volume
was, once) leaves an operator without the one place that says what it is and where it lives.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy import compose_checks as checks
from tests.deploy.conftest import ROOT

DOC = ROOT / "docs" / "deployment.md"


def section_table(text: str, heading: str) -> list[list[str]]:
    """The cells of each body row of the first table under ``## heading``."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    return table[2:]  # after the header and its --- line


def quoted(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def by_name(rows: list[list[str]]) -> dict[str, list[str]]:
    """Each row by the first `name` of its first cell."""
    return {quoted(row[0])[0]: row for row in rows if quoted(row[0])}


def unmatched(kind: str, in_table: set[str], in_compose: set[str]) -> list[str]:
    return [f"{kind} {name}: in compose.yaml, not in the table" for name in sorted(in_compose - in_table)] + [
        f"{kind} {name}: in the table, not in compose.yaml" for name in sorted(in_table - in_compose)]


def service_problems(doc: str, compose: dict[str, Any]) -> list[str]:
    return unmatched("service", set(by_name(section_table(doc, "Services"))), set(checks.services(compose)))


def volume_problems(doc: str, compose: dict[str, Any]) -> list[str]:
    """Every named volume has its row, naming its mount point and exactly the services that mount it."""
    rows = by_name(section_table(doc, "Where data lives"))
    declared = set(compose.get("volumes") or {})
    problems = unmatched("volume", set(rows), declared)
    for volume in sorted(declared & set(rows)):
        mounts = {name: checks.named_volumes(service)[volume]
                  for name, service in checks.services(compose).items() if volume in checks.named_volumes(service)}
        named = set(quoted(rows[volume][1]))
        if set(mounts.values()) - named or named & set(checks.services(compose)) != set(mounts):
            problems.append(f"volume {volume}: mounted in {mounts}, the table says {rows[volume][1]!r}")
    return problems


def secret_problems(doc: str, compose: dict[str, Any]) -> list[str]:
    """Every secret has its row, naming exactly the services that mount it ("read by")."""
    rows = by_name(section_table(doc, "Secrets"))
    declared = set(compose.get("secrets") or {})
    problems = unmatched("secret", set(rows), declared)
    for secret in sorted(declared & set(rows)):
        readers = {name for name, service in checks.services(compose).items() if secret in checks.mounted_secrets(service)}
        listed = {re.sub(r"\s*\(.*\)", "", word).strip() for word in rows[secret][2].split(",")}
        if listed != readers:
            problems.append(f"secret {secret}: mounted in {sorted(readers)}, the table says {sorted(listed)}")
    return problems


CHECKS = [service_problems, volume_problems, secret_problems]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_page_describes_the_compose_file(check, compose: dict[str, Any]) -> None:
    assert check(DOC.read_text(encoding="utf-8"), compose) == []


def _add_service(compose: dict[str, Any]) -> None:
    compose["services"]["dashboard"] = {"image": "x"}


def _add_volume_mounted_by_ingest(compose: dict[str, Any]) -> None:
    compose["volumes"]["dashboard-cache"] = None
    compose["services"]["ingest"]["volumes"].append("dashboard-cache:/var/cache/x")


def _mount_a_volume_elsewhere(compose: dict[str, Any]) -> None:
    compose["services"]["ingest"]["volumes"].append("kafka-data:/var/lib/kafka/data")


def _move_a_volume(compose: dict[str, Any]) -> None:
    compose["services"]["ingest"]["volumes"] = ["ingest-spool:/srv/spool"]


def _give_a_secret_to_another_service(compose: dict[str, Any]) -> None:
    compose["services"]["mock-api"]["secrets"].append("kafka_password")


@pytest.mark.parametrize(("check", "break_it"), [
    (service_problems, _add_service),
    (volume_problems, _add_volume_mounted_by_ingest),
    (volume_problems, _mount_a_volume_elsewhere),
    (volume_problems, _move_a_volume),
    (secret_problems, _give_a_secret_to_another_service),
], ids=lambda value: value.__name__.strip("_"))
def test_a_compose_change_the_page_lacks_is_caught(check, break_it, compose: dict[str, Any]) -> None:
    break_it(compose)
    assert check(DOC.read_text(encoding="utf-8"), compose) != []


def test_a_row_gone_from_the_page_is_caught(compose: dict[str, Any]) -> None:
    doc = DOC.read_text(encoding="utf-8")
    without_spool = "\n".join(line for line in doc.splitlines() if not line.startswith("| `ingest-spool`"))
    assert volume_problems(doc, compose) == []
    assert volume_problems(without_spool, compose) == ["volume ingest-spool: in compose.yaml, not in the table"]
