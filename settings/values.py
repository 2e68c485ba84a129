"""What a setting or a flag may hold: numbers in a range, host names, ``host:port``, URLs, topic names.

Each check returns the parsed value or raises ``ValueError`` with a short reason on one line;
callers quote the offending text with ``shown``, which escapes control characters and cuts it,
so nothing from outside reaches a terminal or a log line raw. ``Settings.from_env`` uses them
for the ``IOT_*`` variables, the commands for their flags (``settings.command_line``).
"""

from __future__ import annotations

import ipaddress
import math
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JAVA_INT_MAX = 2**31 - 1  # what a count handed to Kafka, Cassandra or Flink may be at most
MAX_PORT = 65535
SHOWN_CHARACTERS = 200

_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?", re.ASCII)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
# Kafka's own rule (org.apache.kafka.common.internals.Topic): 1 to 249 of these, not "." or "..".
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}", re.ASCII)
# Lowercase only: Cassandra folds an unquoted name to lowercase, and the driver quotes one that is not.
_KEYSPACE = re.compile(r"[a-z][a-z0-9_]{0,47}", re.ASCII)
_DATACENTER = re.compile(r"[A-Za-z0-9_-]{0,48}", re.ASCII)


def one_line(text: str, limit: int = 1000) -> str:
    """``text`` with control characters escaped (a newline becomes ``\\n``) and cut to ``limit``."""
    escaped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


def shown(text: str) -> str:
    """``text`` quoted for a message: its repr, cut to a readable length."""
    return repr(text) if len(text) <= SHOWN_CHARACTERS else repr(text[:SHOWN_CHARACTERS]) + f"... ({len(text):,} characters)"


def number_range(low: float, high: float) -> str:
    """``from 1 to 65535``; ``a finite number`` when any is allowed."""

    def text(bound: float) -> str:
        return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"

    return "a finite number" if (low, high) == (-math.inf, math.inf) else f"from {text(low)} to {text(high)}"


def bounded_number(text: str, kind: type[int] | type[float], low: float, high: float) -> int | float:
    """``text`` as an int or a float in ``[low, high]``; NaN and infinities never pass."""
    try:
        value = kind(text)
    except ValueError:
        raise ValueError("not a whole number" if kind is int else "not a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"must be {number_range(low, high)}")
    return value


def host(text: str) -> str:
    """A host name or an IP address (IPv6 without brackets)."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(text):
        raise ValueError("not a host name or an IP address")
    return text


def address(text: str, lowest_port: int = 1) -> tuple[str, int]:
    """``host:port`` (``[v6 address]:port`` for IPv6) as (host, port).

    ``lowest_port=0`` lets a listener take any free port.
    """
    name, colon, port = text.rpartition(":")
    if not colon or not _PORT.fullmatch(port):
        raise ValueError("not host:port")
    if name.startswith("[") and name.endswith("]"):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            raise ValueError("not host:port: the part in brackets is not an IPv6 address") from None
        name = name[1:-1]
    else:
        try:
            host(name)
        except ValueError as error:
            raise ValueError(f"not host:port: {error}") from None
    if not lowest_port <= int(port) <= MAX_PORT:
        raise ValueError(f"the port must be from {lowest_port} to {MAX_PORT}")
    return name, int(port)


def addresses(text: str) -> list[tuple[str, int]]:
    """A comma-separated list of ``host:port``, at least one."""
    return [address(part.strip()) for part in text.split(",")]


def http_url(text: str) -> str:
    """An ``http://`` or ``https://`` URL with a host (any other scheme could read files or hang)."""
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as error:
        raise ValueError(f"not a URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    try:
        host(parts.hostname)
    except ValueError as error:
        raise ValueError(f"the URL's host is {error}") from None
    if port == 0:
        raise ValueError("the URL's port must be from 1 to 65535")
    if any(not c.isprintable() or c.isspace() for c in text):
        raise ValueError("the URL holds a space or a control character")
    return text


def topic_name(text: str) -> str:
    if not _TOPIC.fullmatch(text) or text in (".", ".."):
        raise ValueError("not a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'")
    return text


def keyspace_name(text: str) -> str:
    """A keyspace name safe to put in CQL text: bind markers cannot name a keyspace."""
    if not _KEYSPACE.fullmatch(text):
        raise ValueError(
            "not a Cassandra keyspace name: a lowercase letter, then up to 47 lowercase letters, digits or underscores")
    return text


def datacenter_name(text: str) -> str:
    """A datacenter name safe to put in CQL text (the keyspace's replication map), or empty."""
    if not _DATACENTER.fullmatch(text):
        raise ValueError("not a Cassandra datacenter name: up to 48 letters, digits, '_' or '-' (empty: SimpleStrategy)")
    return text


# The driver's levels that make sense for our reads and writes, in one datacenter or several.
CONSISTENCY_LEVELS = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE")


def consistency_level(text: str) -> str:
    if text not in CONSISTENCY_LEVELS:
        raise ValueError(f"not a consistency level: one of {', '.join(CONSISTENCY_LEVELS)}")
    return text


def time_zone(text: str) -> str:
    """A name the time zone database knows (``UTC``, ``Europe/Paris``)."""
    try:
        ZoneInfo(text)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: a folder, or a name too long for a file
        raise ValueError("not a time zone name such as UTC or Europe/Paris") from None
    return text
