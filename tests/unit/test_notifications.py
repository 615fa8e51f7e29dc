import json
import logging

import httpx

from remote_vote_app.services.notifications import HttpGatewaySender, latest


def test_gateway_posts_json_and_marks_sent(session):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization"), json.loads(request.content)))
        return httpx.Response(202)

    sender = HttpGatewaySender("https://sms.example/send", "", "tok", client=httpx.Client(transport=httpx.MockTransport(handler)))
    message = sender.send(session, "sms", "+996700123456", "Код 123456")
    assert message.status == "sent"
    url, auth_header, body = seen[0]
    assert url == "https://sms.example/send" and auth_header == "Bearer tok"
    assert body == {"to": "+996700123456", "subject": "", "text": "Код 123456", "id": message.id}
    # No URL for e-mail: kept in the outbox as queued.
    assert sender.send(session, "email", "a@example.kg", "x").status == "queued"


def test_gateway_failure_is_logged_without_personal_data(session, caplog):
    sender = HttpGatewaySender("https://sms.example/send", "", "", client=httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(500))))
    with caplog.at_level(logging.WARNING):
        message = sender.send(session, "sms", "+996700123456", "Код 654321")
    assert message.status == "failed"
    assert caplog.records and "+996700123456" not in caplog.text and "654321" not in caplog.text


def test_latest_is_newest_first(session):
    sender = HttpGatewaySender("", "", "")
    for i in range(3):
        sender.send(session, "sms", "+996700123456", f"m{i}")
    assert [m.body for m in latest(session, 2)] == ["m2", "m1"]
