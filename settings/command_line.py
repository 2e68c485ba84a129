"""What every command does with a wrong command line or environment: one line on standard error, exit 2.

argparse prints the whole usage before its error and lets a type's OverflowError through as a
traceback; a wrong ``IOT_*`` variable raised a ValueError from deep inside. Here a parser that
says what is wrong in one line, argument types that refuse what no command can use (NaN,
negative counts, ports out of range, values that are not ``host:port``), and a decorator that
turns the errors found after parsing (``UsageError``, ``SettingsError``) into that same line.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from settings import Settings, SettingsError, values

EXIT_USAGE = 2

T = TypeVar("T")
Main = TypeVar("Main", bound=Callable[..., int])


class UsageError(ValueError):
    """A value given to a command (flag, file, address) that it cannot use, found after parsing."""


def exit_usage(prog: str, message: str) -> NoReturn:
    """Print ``prog: message`` as one line on standard error and exit with status 2."""
    print(f"{prog}: {values.one_line(message)}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_USAGE)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (with a pointer to ``--help``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        exit_usage(self.prog, f"{message} (see {self.prog} --help)")


def reports_usage_errors(prog: str) -> Callable[[Main], Main]:
    """Decorate a command's ``main``: a UsageError or SettingsError ends it with one line and status 2."""

    def decorate(main: Main) -> Main:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> int:
            try:
                return main(*args, **kwargs)
            except (UsageError, SettingsError) as error:
                exit_usage(prog, str(error))

        return run  # type: ignore[return-value]  # functools.wraps keeps main's signature; mypy cannot see it

    return decorate


def settings_or_exit(prog: str) -> Settings:
    """The settings from the environment, or one line naming the wrong variable and status 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        exit_usage(prog, str(error))


def checked(check: Callable[[str], T], what: str) -> Callable[[str], T]:
    """An argparse type from a check of ``settings.values``: its reason becomes argparse's one-line error."""

    def parse(text: str) -> T:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{values.shown(text)}: {error}") from None

    parse.__name__ = what
    return parse


def whole_number(low: int, high: int = values.JAVA_INT_MAX) -> Callable[[str], int]:
    return checked(lambda text: int(values.bounded_number(text, int, low, high)), "whole number")


def real_number(low: float, high: float = math.inf) -> Callable[[str], float]:
    """A finite number in ``[low, high]`` (NaN and infinities never pass)."""
    return checked(lambda text: float(values.bounded_number(text, float, low, high)), "number")


def address(lowest_port: int = 1) -> Callable[[str], str]:
    """``host:port``, kept as the text given."""

    def check(text: str) -> str:
        values.address(text, lowest_port)
        return text

    return checked(check, "host:port")


def output_file(text: str) -> Path:
    """A file to write: its folder must exist, checked before any work is done."""
    path = Path(text)
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{values.shown(text)}: no folder {values.shown(str(path.parent))}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{values.shown(text)}: a folder, not a file")
    return path


host = checked(values.host, "host")
topic_name = checked(values.topic_name, "topic")
keyspace_name = checked(values.keyspace_name, "keyspace")
