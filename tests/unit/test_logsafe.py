"""No client token, session ticket, PIN, document, phone or event payload reaches a log line."""

import logging

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
