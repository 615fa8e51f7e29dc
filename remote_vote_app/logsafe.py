"""Keep secrets and personal data out of every log line, whoever writes it (Reflex included).

Reflex logs client tokens ("Attempting to send delta to disconnected client '<token>'") and whole
events ("Event data: {...}" with a PIN and document number). A token is enough to act as its tab
before the cookie check, and a PIN is personal data, so every record is redacted when it is made.
"""

from __future__ import annotations

import logging
import os
import re

_SEP = r"[\s._\-/]{0,2}"  # how a PIN or phone may be spelled: spaces, dots, dashes, slashes between digits


def _event_dump(match: re.Match) -> str:
    """A whole `Event(name=..., router_data=..., payload=...)` repr (Reflex logs one for an unknown
    handler, cookie header and payload included): only a plain handler name survives."""
    name = re.match(r"name=['\"]([\w.]{1,120})['\"]", match.group(1))
    return f"Event(name={name.group(1)!r}, <redacted>)" if name else "Event(<redacted>)"


_RULES = (
    # Whole event dumps first, to the end of the record: what follows may be the payload's tail.
    (re.compile(r"\bEvent\(((?:name|token)=.*)", re.S), _event_dump),
    (re.compile(r"(Event data:|Event data\b|event data:?|router_data:?)\s.*", re.S | re.I), r"\1 <redacted>"),
    # Request headers as a dict or mapping (cookie, authorization, client hints): never needed in a log.
    (re.compile(r"""(['"]?headers['"]?\s*[:=]\s*)(?:\{[^{}]*\}|\w*\([^()]*\)|\[[^\[\]]*\])""", re.I), r"\1<redacted>"),
    (re.compile(r"""(\b(?:set-)?cookie['"]?\s*[:=]\s*)(['"]).*?(?:\2|$)""", re.I | re.S), r"\1\2<redacted>\2"),
    (re.compile(r"""(\b(?:proxy-)?authorization['"]?\s*[:=]\s*)(['"]).*?(?:\2|$)""", re.I | re.S), r"\1\2<redacted>\2"),
    (re.compile(r"\b((?:set-)?cookie:\s*)[^\r\n]*", re.I), r"\1<redacted>"),
    (re.compile(r"\b((?:__Host-)?rv_(?:voter|staff|device|bind_\w+)=)[^;,\s'\"]*"), r"\1<redacted>"),
    # A camera frame of a FaceID capture.
    (re.compile(r"data:image/[\w.+-]*;base64,[A-Za-z0-9+/=\s\\]*"), "data:image/<redacted>"),
    # Not \b: Reflex's Redis keys glue a "_<state>" to the token ("Lock expired for token <token>_...").
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])"),
     "<token>"),
    (re.compile(r"""\b((?:ticket|token|sid|t|binding)=)['"]?[\w\-.~%]+['"]?"""), r"\1<redacted>"),
    (re.compile(rf"(?<!\d)[12](?:{_SEP}\d){{13}}(?!\d)"), "<pin>"),
    (re.compile(r"\b[A-Za-z]{2}\d{7}\b|\b[A-Z]{2}[\s\-.]{1,2}\d{7}\b"), "<document>"),
    (re.compile(rf"(?:\+{_SEP}996|(?<!\d)996|(?<!\d)0)[\s\-().]{{0,3}}\d{{3}}[\s\-().]{{0,3}}\d{{3}}[\s\-().]{{0,3}}\d{{3}}(?!\d)"),
     "<phone>"),
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
