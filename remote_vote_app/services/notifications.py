"""Outgoing SMS and e-mail through one sender interface.

The embedded default keeps messages in the outbox table (read on /dev/outbox in demo mode);
with a gateway URL configured, each message is also posted to that HTTP gateway.
"""

from __future__ import annotations

import logging
from typing import Protocol

import httpx
from sqlmodel import Session, select

from remote_vote_app.models import OutboxMessage
from remote_vote_app.services.clock import now_utc
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "") -> OutboxMessage: ...


class OutboxSender:
    """Writes the message to the outbox in the caller's transaction."""

    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "") -> OutboxMessage:
        message = OutboxMessage(
            channel=channel, recipient=recipient, subject=subject, body=body, created_at=now_utc()
        )
        session.add(message)
        session.flush()
        return message


class HttpGatewaySender(OutboxSender):
    """Posts each message to an HTTP gateway (JSON), keeping the outbox row as the record."""

    def __init__(self, sms_url: str, email_url: str, token: str, client: httpx.Client | None = None) -> None:
        self.urls = {"sms": sms_url, "email": email_url}
        self.token = token
        self.client = client or httpx.Client(timeout=10)

    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "") -> OutboxMessage:
        message = super().send(session, channel, recipient, body, subject)
        url = self.urls.get(channel)
        if not url:
            return message
        try:
            response = self.client.post(
                url,
                json={"to": recipient, "subject": subject, "text": body, "id": message.id},
                headers={"Authorization": f"Bearer {self.token}"} if self.token else {},
            )
            response.raise_for_status()
            message.status = "sent"
        except httpx.HTTPError as exc:
            # The recipient and body stay out of the log: they are personal data / a secret code.
            log.warning("gateway delivery failed for outbox message %s: %s", message.id, type(exc).__name__)
            message.status = "failed"
        session.add(message)
        return message


def default_sender() -> Sender:
    if settings.sms_gateway_url or settings.email_gateway_url:
        return HttpGatewaySender(settings.sms_gateway_url, settings.email_gateway_url, settings.gateway_token)
    return OutboxSender()


def latest(session: Session, limit: int = 50) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
