"""Outgoing SMS and e-mail through a transactional outbox.

Every message is a row written in the caller's transaction, so a voter is told only about what
committed. Delivery is the outbox worker's job (services.messaging.delivery), never the request's. Without a
gateway (the embedded demo) the outbox itself is the phone, read on /dev/outbox.
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlmodel import Session, select

from remote_vote_app.models import OutboxMessage
from remote_vote_app.services.messaging import sealing
from remote_vote_app.services.clock import now_utc
from remote_vote_app.settings import settings

# A login code: 6 digits, or a strong one (services.identity.auth.grouped).
_SECRET_RE = re.compile(r"\b\d{6}\b|\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}\b")
SEAL_PURPOSE = "outbox-body"


class Sender(Protocol):
    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "",
             sensitive: bool = False) -> int: ...


_INSERT = OutboxMessage.__table__.insert()  # SQLAlchemy Core, built once: every login and filing sends


class OutboxSender:
    """Writes the message to the outbox in the caller's transaction."""

    def send(self, session: Session, channel: str, recipient: str, body: str, subject: str = "",
             sensitive: bool = False) -> int:
        """The message's row id."""
        # A one-time code stays readable in the outbox only in demo mode, where the outbox is the
        # phone; elsewhere it is masked for display and sealed for the worker until delivered.
        masked = sensitive and not settings.demo_mode
        return session.connection().execute(_INSERT, {
            "channel": channel, "recipient": recipient, "subject": subject,
            "body": _SECRET_RE.sub("••••••", body) if masked else body,
            "sealed_body": sealing.seal(body, SEAL_PURPOSE) if masked else "",
            "created_at": now_utc()}).inserted_primary_key[0]


def default_sender() -> Sender:
    return OutboxSender()


def latest(session: Session, limit: int = 50) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
