"""Outgoing SMS and e-mail through one sender interface.

Every message is written to the outbox table in the caller's transaction. The embedded default
stops there (the outbox is read on /dev/outbox in demo mode); with a gateway URL configured, the
message is posted to that HTTP gateway only after the transaction has committed, so no voter is
told about something that was rolled back and no database lock is held during the HTTP call.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol

import httpx
from sqlalchemy import event
from sqlmodel import Session, select

from remote_vote_app.models import OutboxMessage
from remote_vote_app.services.clock import now_utc
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)
_SECRET_RE = re.compile(r"\b\d{6}\b")


class Sender(Protocol):
    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "",
             sensitive: bool = False) -> OutboxMessage: ...


def _stored_body(body: str, sensitive: bool) -> str:
    """A one-time code is kept in the outbox only in demo mode, where the outbox is the 'phone'."""
    return _SECRET_RE.sub("••••••", body) if sensitive and not settings.demo_mode else body


class OutboxSender:
    """Writes the message to the outbox in the caller's transaction."""

    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "",
             sensitive: bool = False) -> OutboxMessage:
        message = OutboxMessage(channel=channel, recipient=recipient, subject=subject,
                                body=_stored_body(body, sensitive), created_at=now_utc())
        session.add(message)
        session.flush()
        return message


class HttpGatewaySender(OutboxSender):
    """Posts each message as JSON to an HTTP gateway once the caller's transaction commits."""

    def __init__(self, sms_url: str, email_url: str, token: str, client: httpx.Client | None = None) -> None:
        self.urls = {"sms": sms_url, "email": email_url}
        self.token = token
        self.client = client or _shared_client()

    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "",
             sensitive: bool = False) -> OutboxMessage:
        message = super().send(session, channel, recipient, body, subject, sensitive)
        url = self.urls.get(channel)
        if url:
            payload = {"to": recipient, "subject": subject, "text": body, "id": message.id}
            event.listen(session, "after_commit", lambda _s: self._deliver(url, payload, session.bind), once=True)
        return message

    def _deliver(self, url: str, payload: dict, bind) -> None:
        try:
            response = self.client.post(url, json=payload,
                                        headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
            response.raise_for_status()
            status = "sent"
        except httpx.HTTPError as exc:
            # The recipient and text stay out of the log: personal data / a secret code.
            log.warning("gateway delivery failed for outbox message %s: %s", payload["id"], type(exc).__name__)
            status = "failed"
        with Session(bind) as session:
            message = session.get(OutboxMessage, payload["id"])
            if message is not None:
                message.status = status
                session.add(message)
                session.commit()


_client: httpx.Client | None = None


def _shared_client() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(timeout=10)
    return _client


def default_sender() -> Sender:
    if settings.sms_gateway_url or settings.email_gateway_url:
        return HttpGatewaySender(settings.sms_gateway_url, settings.email_gateway_url, settings.gateway_token)
    return OutboxSender()


def latest(session: Session, limit: int = 50) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
