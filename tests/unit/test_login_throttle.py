"""Lockouts throttle the attacker's client, with growing waits, and leave the owner free to log
in elsewhere; every failure and lockout leaves an audit row even though the login is refused."""

import re

import pytest
from sqlmodel import Session, select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import AuditEvent
from remote_vote_app.services import auth, ratelimit
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.seed import DEMO_VOTERS
from tests.unit.conftest import outbox

PIN, DOC = DEMO_VOTERS[0][0], DEMO_VOTERS[0][1]
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


class Clock:
    def __init__(self, monkeypatch):
        import limits.storage.memory as memory

        self.now = 1_900_000_000.0
        monkeypatch.setattr(memory.time, "time", lambda: self.now)
        monkeypatch.setattr(ratelimit.time, "time", lambda: self.now)


def _refusal(fn, *args):
    with pytest.raises(ServiceError) as info:
        fn(*args)
    return info.value


def _start(sender, client):
    with session_scope() as session:
        return auth.start_login(session, PIN, DOC, client, sender, "ru")


def _verify(token, code, client):
    with session_scope() as session:
        return auth.verify_code(session, token, code, client)


def _code() -> str:
    with Session(get_engine()) as session:
        return re.search(r"\b(\d{6})\b", outbox(session)[-1].body).group(1)


def _wrong(code: str) -> str:
    return "999999" if code != "999999" else "888888"


def test_wrong_codes_throttle_the_guessing_client_not_the_owner(sender):
    # The attacker knows PIN and document (printed on the card) and guesses codes.
    for _ in range(2):
        challenge = _start(sender, ATTACKER)
        for _ in range(3):
            _refusal(_verify, challenge.token, _wrong(_code()), ATTACKER)
    challenge = _start(sender, ATTACKER)
    assert _refusal(_verify, challenge.token, _code(), ATTACKER).code == "error.too_many_attempts"
    # The owner, on another connection, logs in at once.
    owner = _start(sender, OWNER)
    assert _verify(owner.token, _code(), OWNER)


def test_waits_grow_with_each_burst(monkeypatch):
    clock = Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-growing")
    for _ in range(5):
        throttle.failure("id", ATTACKER)
    first = throttle.locked("id", ATTACKER)
    assert first is not None and first.params["minutes"] == 1
    clock.now += 61
    assert throttle.locked("id", ATTACKER) is None
    for _ in range(5):
        throttle.failure("id", ATTACKER)
    second = throttle.locked("id", ATTACKER)
    assert second is not None and second.params["minutes"] >= 10
    assert throttle.locked("id", OWNER) is None


def test_a_distributed_guess_reaches_the_ceiling(monkeypatch):
    Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-ceiling", ceiling=ratelimit.parse("50/day"))
    for i in range(50):
        throttle.failure("id", f"10.9.{i // 250}.{i % 250}")
    assert throttle.locked("id", "10.200.0.1") is not None


def test_a_right_answer_clears_the_clients_tiers(monkeypatch):
    Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-clear")
    for _ in range(4):
        throttle.failure("id", OWNER)
    throttle.success("id", OWNER)
    for _ in range(4):
        throttle.failure("id", OWNER)
    assert throttle.locked("id", OWNER) is None


def test_failures_and_lockouts_are_audited_though_refused(sender):
    with Session(get_engine()) as session:
        before = max([e.id for e in session.exec(select(AuditEvent))] or [0])
    challenge = _start(sender, ATTACKER)
    for _ in range(5):
        _refusal(_verify, challenge.token, _wrong(_code()), ATTACKER)
    with Session(get_engine()) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.entity == "auth", AuditEvent.id > before)).all()
    actions = [r.action for r in rows]
    assert actions.count("auth.sms.failure") == 5 and "auth.sms.lockout" in actions
    assert "auth.sms.code_sent" in actions
    assert all(PIN not in r.details and DOC not in r.details and PIN not in r.entity_id for r in rows)
    assert all(ATTACKER in r.details for r in rows if r.action.startswith("auth.sms.failure"))
