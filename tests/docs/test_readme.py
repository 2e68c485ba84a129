"""A newcomer's path through the README: every command shown runs as written, and make does what it says."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RUNNABLE = ("make", "scripts/", ".venv/bin/")


def table_commands(text: str) -> list[str]:
    """The code spans of the ``command`` column of every table that has one."""
    commands: list[str] = []
    column = None
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            column = None
        elif "command" in cells:
            column = cells.index("command")
        elif column is not None and not set(cells[column]) <= set("-: "):
            commands += re.findall(r"`([^`]+)`", cells[column])
    return commands


def test_every_command_of_the_readmes_tables_runs_from_the_root_as_written() -> None:
    commands = table_commands(README)
    assert len(commands) >= 10
    assert [command for command in commands if not command.startswith(RUNNABLE)] == []


def test_every_make_target_the_readme_names_exists() -> None:
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    targets = set(re.findall(r"make ([a-z-]+)", listed))
    named = set(re.findall(r"`make ([a-z-]+)", README))
    assert named and named <= targets, named - targets


def dry_run_of_submit(jobmanager: str | None) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("JOBMANAGER", "MAKEFLAGS", "MAKELEVEL")}
    if jobmanager:
        env["JOBMANAGER"] = jobmanager
    return subprocess.run(["make", "--no-print-directory", "-n", "submit"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize(("jobmanager", "starts_the_local_stack"), [(None, True), ("flink.example.internal:8081", False)])
def test_make_submit_starts_the_local_stack_only_for_the_local_cluster(jobmanager: str | None,
                                                                       starts_the_local_stack: bool) -> None:
    printed = dry_run_of_submit(jobmanager)
    assert ("scripts/stack.sh up" in printed) == starts_the_local_stack
    assert ".venv/bin/iot-submit --jobmanager" in printed


def test_cqlsh_is_installed_by_make_install() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(requirement.startswith("cqlsh") for requirement in extras["tools"])
    installed = re.search(r'pip install -q -e "\.\[([a-z,]+)\]"', (ROOT / "scripts" / "bootstrap.sh").read_text())
    assert installed and "tools" in installed.group(1).split(",")
    assert "make cqlsh" in README and "region_hourly_temperature WHERE hour =" in README


def test_the_literal_flink_run_has_every_option_iot_submit_passes() -> None:
    block = README[README.index("### Submitting to a remote cluster"):]
    block = block[:block.index("## What has run")]
    source = (ROOT / "jobs" / "submit.py").read_text(encoding="utf-8")
    passed = set(re.findall(r'"(--[a-zA-Z]+)"', source[source.index("def flink_run_command"):source.index("class SubmitFailed")]))
    shown = set(re.findall(r"(--[a-zA-Z]+)", block))
    assert passed - {"--parallelism", "--fromSavepoint"} <= shown, passed - shown


def test_no_doc_shows_one_of_our_commands_bare_in_a_command_block() -> None:
    """Our commands live in .venv/bin: a block that shows ``iot-submit`` alone fails when pasted."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for language, block in re.findall(r"^```(bash|console|sh|)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            # In a console block (or one with prompts) only the prompt's lines are commands; the rest is output.
            console = language == "console" or re.search(r"^\$ ", block, re.MULTILINE)
            bare = re.compile(r"^\$ iot-[a-z-]+" if console else r"^iot-[a-z-]+", re.MULTILINE)
            found += [f"{path.name}: {command}" for command in bare.findall(block)]
    assert found == []
