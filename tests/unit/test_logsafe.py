"""No client token, session ticket, PIN, document, phone or event payload reaches a log line."""

import logging
import re

from remote_vote_app import logsafe

TOKEN = "3f2b8c1e-9a4d-4c2b-8e1f-0a1b2c3d4e5f"


def test_reflex_lines_that_leaked_are_redacted(caplog):
    logsafe.install()
    reflex_log = logging.getLogger("reflex.app")
    with caplog.at_level(logging.INFO):
        reflex_log.warning(f"Attempting to send delta to disconnected client {TOKEN!r}")
        reflex_log.warning("Received event from session abc with no associated token. This may indicate a bug. "
                           "Event data: {'name': 'x.start', 'payload': {'pin': '21412199500678', 'document': 'ID1234567'}}")
        # A lease's flush after the lock expired (Redis restarted): the token glued to its Redis key.
        logging.getLogger("asyncio").error(f"LockExpiredError('Lock expired for token {TOKEN}_reflex___state____state "
                                           "while processing.')")
        logging.getLogger("uvicorn.access").info("GET /auth/session?kind=voter&ticket=AbC-123_x&next=/apply 303")
        logging.getLogger("anything").error("voter %s phone %s mail %s", "12503199012345", "+996700123456", "a@b.kg")
    text = caplog.text
    for secret in (TOKEN, "21412199500678", "ID1234567", "AbC-123_x", "12503199012345", "+996700123456", "a@b.kg"):
        assert secret not in text, secret
    assert "disconnected client" in text and "Event data: <redacted>" in text


def test_counts_and_words_survive():
    assert logsafe.redact("count=5 amount=3 applications 1200") == "count=5 amount=3 applications 1200"


def test_a_line_break_cannot_forge_a_log_line():
    assert logsafe.redact("name=x\nINFO auth.staff.success actor=staff:1") == "name=x\\nINFO auth.staff.success actor=staff:1"


SID = "kQ2v9Xw3_sOmE-SeSsIoN-iD_43-characters-long0"
PIN = "21412199500678"
FRAME = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHR"
PIN_SPELLINGS = (PIN, "2 1412 1995 00678", "2-141219-95-00678", "2.14.12.1995.00678", "2 1 4 1 2 1 9 9 5 0 0 6 7 8")


def _secrets_in(text: str) -> list[str]:
    found = [s for s in (SID, TOKEN, "ID1234567", "ID 1234567", "+996700123456", "+996 700 123 456",
                         "0700-123-456", "a@b.kg", "/9j/4AAQSkZJRg", "Mozilla/5.0 secret-agent", "Асанова",
                         "Фрунзе") if s in text]
    found += [s for s in PIN_SPELLINGS if s in text]
    digits = re.sub(r"\D", "", text)
    return found + ([PIN] if PIN in digits else [])


def test_a_whole_event_of_an_unknown_handler_is_redacted_in_every_logger(caplog):
    """What Reflex logs for an event whose handler does not exist (`Error processing event queue
    entry for Event(...)`): the handshake headers with the session cookie, and the payload."""
    from reflex_base.event import Event

    logsafe.install()
    event = Event(
        name="reflex___state____state.remote_vote_app___state___app____app_state.no_such_handler",
        router_data={"pathname": "/cabinet", "token": TOKEN, "session_id": "abc",
                     "headers": {"cookie": f"lang=ru; __Host-rv_voter={SID}", "user-agent": "Mozilla/5.0 secret-agent",
                                 "host": "localhost:3000"}},
        payload={"pin": PIN, "spaced": PIN_SPELLINGS[1], "dashed": PIN_SPELLINGS[2], "dotted": PIN_SPELLINGS[3],
                 "apart": PIN_SPELLINGS[4], "document": "ID1234567", "doc2": "ID 1234567",
                 "phone": "+996700123456", "phone2": "+996 700 123 456", "phone3": "0700-123-456",
                 "email": "a@b.kg", "frames": [FRAME, FRAME],
                 # Free text no pattern knows: only dropping the whole dump keeps it out.
                 "full_name": "Асанова Айгуль Бакытовна", "address": "ул. Фрунзе, 547"},
    )
    with caplog.at_level(logging.DEBUG):
        for name in ("reflex_base.event.processor.event_processor", "reflex.app", "reflex.state", "reflex",
                     "uvicorn.error", "uvicorn.access", "granian", "granian.access", "starlette", "engineio.server",
                     "socketio.server", "asyncio", "root"):
            try:
                raise KeyError(f"No registered handler found for event: {event.name}")
            except KeyError:
                logging.getLogger(name).exception(f"Error processing event queue entry for {event} [txid=1]:")
            logging.getLogger(name).warning("Received event data as a string. Event data: %s", repr(event.payload))
            logging.getLogger(name).info("handshake headers=%s", event.router_data["headers"])
            logging.getLogger(name).info("Cookie: lang=ru; __Host-rv_voter=%s", SID)
            logging.getLogger(name).info("set-cookie: __Host-rv_voter=%s; HttpOnly", SID)
    text = caplog.text
    assert not _secrets_in(text), _secrets_in(text)
    assert "Event(name='reflex___state____state.remote_vote_app___state___app____app_state.no_such_handler'" in text
    assert "[KeyError]" in text  # the kind of failure stays readable


def test_loose_values_of_every_kind_are_redacted():
    for secret in PIN_SPELLINGS + ("ID1234567", "+996 (700) 123-456", "0 700 123 456"):
        assert secret not in logsafe.redact(f"value {secret} end"), secret
    assert logsafe.redact(f"frame {FRAME}") == "frame data:image/<redacted>"
    assert logsafe.redact(f"{{'cookie': '__Host-rv_staff={SID}'}}") == "{'cookie': '<redacted>'}"
    assert logsafe.redact(f"__Host-rv_bind_0123abcd={SID}; path=/") == "__Host-rv_bind_0123abcd=<redacted>; path=/"
    assert logsafe.redact(f"sent __Host-rv_device={SID}") == "sent __Host-rv_device=<redacted>"  # the trusted browser's
    # What must survive: times, addresses, counts.
    assert logsafe.redact("2026-12-07 14:46:19,123 GET /ping 200 10.0.0.1 took 0.25 s, 1200 rows") == \
        "2026-12-07 14:46:19,123 GET /ping 200 10.0.0.1 took 0.25 s, 1200 rows"
