"""What the ingestion commands (``iot-ingest``, ``iot-mock-api``, ``iot-loadgen``) share on their command line.

Each starts the same way (logging, settings from the environment, flags whose defaults come
from those settings); the two that talk to the sensor API need its key and say where it is
read from; the two that simulate faults take one ``--<fault>`` share option per field of a
fault mix.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from settings import Settings, configure_logging
from settings.command_line import UsageError, real_number, settings_or_exit

API_KEY_SOURCES = "The API key is read from IOT_SENSOR_API_KEY or IOT_SENSOR_API_KEY_FILE."

Mix = TypeVar("Mix")


def start_command(
    argv: list[str] | None, parse_args: Callable[[list[str] | None, Settings], argparse.Namespace]
) -> tuple[Settings, argparse.Namespace]:
    """Logging configured, then the settings and the flags parsed against them (flags override settings).

    A wrong IOT_* variable ends the command with one line naming it, and status 2.
    """
    configure_logging()
    settings = settings_or_exit(os.path.basename(sys.argv[0]))  # the name argparse gives the command too
    return settings, parse_args(argv, settings)


def configured_api_key(settings: Settings, log: logging.Logger) -> str | None:
    """The sensor API key, or None after logging how to give one: without it nothing can be called."""
    if not settings.sensor_api.api_key:
        log.error("no API key: set IOT_SENSOR_API_KEY or IOT_SENSOR_API_KEY_FILE")
        return None
    return settings.sensor_api.api_key


def add_share_options(parser: argparse.ArgumentParser, title: str, mix: type[Any]) -> None:
    """One ``--name`` option (a share from 0 to 1, default 0) per field of the fault-mix dataclass ``mix``."""
    options = parser.add_argument_group(title)
    for item in fields(mix):
        options.add_argument(f"--{item.name.replace('_', '-')}", type=real_number(0.0, 1.0), default=0.0, metavar="SHARE")


def shares_from_args(args: argparse.Namespace, mix: type[Mix]) -> Mix:
    """The fault mix the options of ``add_share_options`` describe; a UsageError if the mix refuses them."""
    try:
        return mix(**{item.name: getattr(args, item.name) for item in fields(mix)})  # type: ignore[arg-type]  # Mix is a dataclass
    except ValueError as error:  # shares that add up to more than 1
        raise UsageError(str(error)) from None
