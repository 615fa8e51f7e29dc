"""Keep secrets and personal data out of every log line, whoever writes it (Reflex included).

Reflex logs client tokens ("Attempting to send delta to disconnected client '<token>'") and whole
events ("Event data: {...}" with a PIN and document number). A token is enough to act as its tab
before the cookie check, and a PIN is personal data, so every record is redacted when it is made.
"""

from __future__ import annotations

import logging
import os
import re

_RULES = (
    (re.compile(r"(Event data:|Event data\b).*", re.S), r"\1 <redacted>"),
    # Not \b: Reflex's Redis keys glue a "_<state>" to the token ("Lock expired for token <token>_...").
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])"),
     "<token>"),
    (re.compile(r"\b((?:ticket|token|sid|t)=)[\w\-.~%]+"), r"\1<redacted>"),
    (re.compile(r"(?<!\d)[12]\d{13}(?!\d)"), "<pin>"),
    (re.compile(r"\b[A-Za-z]{2}\d{7}\b"), "<document>"),
    (re.compile(r"\+?996\s?\d{3}\s?\d{3}\s?\d{3}"), "<phone>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    # One record, one line: a value with a line break cannot forge a log line of its own.
    return text.replace("\r", "\\r").replace("\n", "\\n")


class RedactingFilter(logging.Filter):
    """Rewrites a record's message in place; usable on any logger or handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            # Tracebacks may quote arguments: keep only the exception type.
            record.msg += f" [{record.exc_info[0].__name__ if record.exc_info[0] else 'exception'}]"
            record.exc_info, record.exc_text = None, None
        return True


_installed = False


def install() -> None:
    """Redact every log record of this process at creation, and keep new files private (0600):
    Reflex's disk state manager writes tab states to .states/ with the process umask."""
    global _installed
    if _installed:
        return
    _installed = True
    os.umask(0o077)
    previous = logging.getLogRecordFactory()
    redacting = RedactingFilter()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redacting.filter(record)
        return record

    logging.setLogRecordFactory(factory)
