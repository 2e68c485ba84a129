"""Just enough of a Dockerfile parser to check stages and COPY sources without a Docker engine.

It reads instructions (continuation lines joined, comments and parser directives dropped),
splits them into FROM stages, resolves ``${ARG}`` in FROM from the global ARGs, and reads the
flags of COPY. It also answers whether a path is excluded by a ``.dockerignore`` file, with the
rules Docker applies (patterns in order, the last match wins, ``!`` re-includes, a pattern that
matches a folder matches everything in it).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass(frozen=True)
class Copy:
    """A COPY: where from (a stage name or None for the build context), sources, destination."""

    stage: str | None
    sources: tuple[str, ...]
    destination: str
    line: int


def instructions(text: str) -> list[Instruction]:
    result: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            keyword, _, arguments = " ".join(part for part in pending if part).partition(" ")
            result.append(Instruction(keyword.upper(), arguments.strip(), start))
            pending = []
    if pending:
        raise ValueError(f"line {start}: the file ends inside a continued instruction")
    return result


_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _expand(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise ValueError(f"{value}: ${name} is not a global ARG with a default")
        return variables[name]

    return _VARIABLE.sub(substitute, value)


def stages(text: str) -> list[Stage]:
    """The stages in order; FROM arguments expanded with the ARGs declared before the first FROM."""
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = [word for word in instruction.arguments.split() if not word.startswith("--")]
            if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "AS"):
                raise ValueError(f"line {instruction.line}: FROM {instruction.arguments!r} is not 'image [AS name]'")
            name = words[2] if len(words) == 3 else None
            result.append(Stage(_expand(words[0], global_args), name, instruction.line))
        elif not result:
            if instruction.keyword != "ARG":
                raise ValueError(f"line {instruction.line}: only ARG may come before the first FROM")
            key, _, default = instruction.arguments.partition("=")
            global_args[key.strip()] = default.strip()
        else:
            result[-1].instructions.append(instruction)
    if not result:
        raise ValueError("no FROM instruction")
    return result


def copy_instruction(instruction: Instruction) -> Copy:
    words = shlex.split(instruction.arguments)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    if len(words) < 2:
        raise ValueError(f"line {instruction.line}: COPY needs a source and a destination")
    return Copy(flags.get("from"), tuple(words[:-1]), words[-1], instruction.line)


def copies(stage: Stage) -> list[Copy]:
    return [copy_instruction(item) for item in stage.instructions if item.keyword == "COPY"]


def last(stage: Stage, keyword: str) -> Instruction | None:
    found = [item for item in stage.instructions if item.keyword == keyword]
    return found[-1] if found else None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def dockerignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, regex) per line: ``excludes`` is False for a ``!`` exception."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        patterns.append((excludes, _pattern_regex(pattern)))
    return patterns


def is_ignored(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether ``path`` (relative to the context, ``/``-separated) stays out of the context."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    ignored = False
    for excludes, regex in patterns:
        if any(regex.match(prefix) for prefix in prefixes):
            ignored = excludes
    return ignored
