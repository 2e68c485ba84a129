"""Log lines that text from outside cannot forge, hide or cut.

A server controls the text of its errors, status lines and bodies; a NUL, a carriage return,
a line feed or a terminal escape quoted in a log line could end it early, fake a second line
or rewrite what a terminal shows. Every character that is not printable is written as its
Python escape (``\\x00``, ``\\r``, ``\\n``, ``\\x1b``, ``\\u2028``), so one event stays one line.
"""

from __future__ import annotations

import logging


def printable(text: str) -> str:
    """``text`` with every non-printable character (space aside) written as its escape."""
    if text.isprintable():
        return text
    return "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)


class EscapeUnprintable(logging.Filter):
    """Escapes the formatted message of every record of the logger it is added to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.isprintable():
            record.msg, record.args = printable(message), None
        return True


def escape_lines_of(logger: logging.Logger) -> logging.Logger:
    """``logger``, its lines escaped from now on."""
    logger.addFilter(EscapeUnprintable())
    return logger
