"""Log lines from outside text: escaped, one line per event."""

from __future__ import annotations

import logging

import pytest

from ingest.log_escape import escape_lines_of, printable


def test_printable_escapes_what_could_forge_or_hide_a_log_line() -> None:
    """Issue 13, case 13: NUL, CR, LF from a server went into log lines as they were."""
    assert printable("fine é ü 42") == "fine é ü 42"
    assert printable("a\x00b\r\nFAKE ERROR\x1b[31m\u2028\t\x7f\x85") == "a\\x00b\\r\\nFAKE ERROR\\x1b[31m\\u2028\\t\\x7f\\x85"


def test_an_escaped_logger_writes_one_line_per_event(caplog: pytest.LogCaptureFixture) -> None:
    logger = escape_lines_of(logging.getLogger("test-escaped"))
    logger.warning("the server said %s", "ok\r\n2019-02-19 ERROR forged")
    [record] = caplog.records
    assert record.getMessage() == "the server said ok\\r\\n2019-02-19 ERROR forged"
