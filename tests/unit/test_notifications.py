"""The transactional outbox: written with the caller's work, delivered by the worker with
retries, backoff and an idempotency key; a rolled-back message is never sent."""

import asyncio
import datetime as dt
import json
import logging

import httpx
import pytest
from sqlmodel import Session

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import OutboxMessage
from remote_vote_app.services.messaging import delivery, notifications
from remote_vote_app.services.messaging.notifications import OutboxSender, latest


@pytest.fixture
def gateway(override_settings):
    """An SMS gateway whose answers the test scripts; it records what it was sent."""
    override_settings(sms_gateway_url="https://sms.example/send", email_gateway_url="", gateway_token="tok")

    class Gateway:
        answers: list[int] = []
        seen: list[httpx.Request] = []

        def handler(self, request: httpx.Request) -> httpx.Response:
            self.seen.append(request)
            return httpx.Response(self.answers.pop(0) if self.answers else 202)

        def round(self) -> int:
            async def go():
                async with httpx.AsyncClient(transport=httpx.MockTransport(self.handler)) as client:
                    return await delivery.run_once(client)
            return asyncio.run(go())

    g = Gateway()
    g.answers, g.seen = [], []
    return g


def _queue(body="Код 123456", sensitive=False) -> int:
    with session_scope() as session:
        return OutboxSender().send(session, "sms", "+996700123456", body, sensitive=sensitive)


def _row(message_id) -> OutboxMessage:
    with Session(get_engine()) as session:
        return session.get(OutboxMessage, message_id)


def test_worker_posts_with_idempotency_key_and_marks_sent(gateway):
    message_id = _queue()
    assert gateway.round() == 1
    request = gateway.seen[0]
    body = json.loads(request.content)
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["idempotency-key"] == body["id"] == _row(message_id).delivery_id
    assert body["to"] == "+996700123456" and body["text"] == "Код 123456"
    row = _row(message_id)
    assert row.status == "sent" and row.sent_at and row.attempts == 1
    assert gateway.round() == 0  # sent once


def test_rolled_back_message_is_never_sent(gateway):
    with Session(get_engine()) as session:
        OutboxSender().send(session, "sms", "+996700123456", "x")
        session.rollback()
    assert gateway.round() == 0 and gateway.seen == []


def test_gateway_down_queues_and_delivers_when_back(gateway, caplog):
    message_id = _queue("Код 654321")
    gateway.answers = [503]
    with caplog.at_level(logging.WARNING):
        gateway.round()
    row = _row(message_id)
    assert row.status == "failed" and row.next_attempt_at > row.created_at and row.last_error == "HTTP 503"
    assert "+996700123456" not in caplog.text and "654321" not in caplog.text
    assert gateway.round() == 0  # not before its backoff
    with session_scope() as session:  # time passes
        session.get(OutboxMessage, message_id).next_attempt_at = row.created_at
    assert gateway.round() == 1 and _row(message_id).status == "sent"
    assert len({json.loads(r.content)["id"] for r in gateway.seen}) == 1  # the same delivery id twice


def test_a_refused_message_is_dead_and_not_retried(gateway):
    message_id = _queue()
    gateway.answers = [400]
    gateway.round()
    assert _row(message_id).status == "dead" and gateway.round() == 0


def test_backoff_grows_and_gives_up():
    waits = [delivery.backoff(n).total_seconds() for n in range(1, 8)]
    assert all(b > a for a, b in zip(waits, waits[1:])) or waits[-1] >= 3600 * 0.8
    assert waits[0] < 10 and max(waits) <= 3600 * 1.2


def test_two_workers_never_claim_the_same_message(gateway):
    _queue()
    with session_scope() as a:
        first = delivery.claim(a, ["sms"])
    with session_scope() as b:
        second = delivery.claim(b, ["sms"])
    assert len(first) == 1 and second == []


def test_a_claim_left_by_a_dead_worker_is_taken_over(gateway):
    message_id = _queue()
    with session_scope() as session:
        delivery.claim(session, ["sms"])
    with session_scope() as session:
        assert delivery.claim(session, ["sms"]) == []
        later = delivery.claim(session, ["sms"], now=_row(message_id).claimed_at + dt.timedelta(seconds=61))
    assert [j.id for j in later] == [message_id]


@pytest.mark.parametrize("demo", [True, False])
def test_login_codes_are_readable_only_in_demo_mode_and_delivered_in_full(gateway, override_settings, demo):
    override_settings(demo_mode=demo)
    message_id = _queue("Код 123456", sensitive=True)
    row = _row(message_id)
    assert row.body == ("Код 123456" if demo else "Код ••••••")
    assert "123456" not in row.sealed_body
    gateway.round()
    assert json.loads(gateway.seen[0].content)["text"] == "Код 123456"
    assert _row(message_id).sealed_body == ""  # wiped once delivered


def test_latest_is_newest_first(session):
    for i in range(3):
        OutboxSender().send(session, "sms", "+996700123456", f"m{i}")
    assert [m.body for m in latest(session, 2)] == ["m2", "m1"]
