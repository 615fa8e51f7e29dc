import json
import logging

import httpx
import pytest
from sqlmodel import Session

from remote_vote_app.db import get_engine
from remote_vote_app.models import OutboxMessage
from remote_vote_app.services import notifications
from remote_vote_app.services.notifications import HttpGatewaySender, OutboxSender, latest


def _gateway(handler) -> HttpGatewaySender:
    return HttpGatewaySender("https://sms.example/send", "", "tok", client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_gateway_posts_json_after_commit_and_marks_sent():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization"), json.loads(request.content)))
        return httpx.Response(202)

    with Session(get_engine()) as session:
        message = _gateway(handler).send(session, "sms", "+996700123456", "Код 123456")
        message_id = message.id
        assert seen == []  # nothing leaves before the transaction commits
        session.commit()
    url, auth_header, body = seen[0]
    assert url == "https://sms.example/send" and auth_header == "Bearer tok"
    assert body == {"to": "+996700123456", "subject": "", "text": "Код 123456", "id": message_id}
    with Session(get_engine()) as session:
        assert session.get(OutboxMessage, message_id).status == "sent"


def test_rolled_back_message_is_never_sent():
    seen = []
    with Session(get_engine()) as session:
        _gateway(lambda request: seen.append(request) or httpx.Response(200)).send(session, "sms", "+996700123456", "x")
        session.rollback()
    assert seen == []


def test_gateway_failure_is_recorded_and_logged_without_personal_data(caplog):
    with Session(get_engine()) as session, caplog.at_level(logging.WARNING):
        message = _gateway(lambda request: httpx.Response(500)).send(session, "sms", "+996700123456", "Код 654321")
        message_id = message.id
        session.commit()
    with Session(get_engine()) as session:
        assert session.get(OutboxMessage, message_id).status == "failed"
    assert caplog.records and "+996700123456" not in caplog.text and "654321" not in caplog.text


def test_channel_without_gateway_stays_queued(session):
    sender = _gateway(lambda request: httpx.Response(200))
    assert sender.send(session, "email", "a@example.kg", "x").status == "queued"


@pytest.mark.parametrize("demo, stored", [(True, "Код 123456"), (False, "Код ••••••")])
def test_login_codes_are_kept_in_the_outbox_only_in_demo_mode(session, monkeypatch, demo, stored):
    monkeypatch.setattr(notifications, "settings", notifications.settings.__class__(
        **{**notifications.settings.__dict__, "demo_mode": demo}))
    assert OutboxSender().send(session, "sms", "+996700123456", "Код 123456", sensitive=True).body == stored
    assert OutboxSender().send(session, "sms", "+996700123456", "Заявление 123456", sensitive=False).body == "Заявление 123456"


def test_latest_is_newest_first(session):
    for i in range(3):
        OutboxSender().send(session, "sms", "+996700123456", f"m{i}")
    assert [m.body for m in latest(session, 2)] == ["m2", "m1"]
