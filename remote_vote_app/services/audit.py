"""Append-only audit trail of every change to an application, every authentication event, and
other records."""

from __future__ import annotations

import json
import logging

from sqlmodel import Session, select

from remote_vote_app.db import session_scope
from remote_vote_app.models import AuditEvent
from remote_vote_app.services.clock import now_utc

log = logging.getLogger("remote_vote_app.auth")


def record(session: Session, actor: str, action: str, entity: str, entity_id: object, **details: object) -> None:
    """Add an event in the caller's transaction, so the change and its audit land together."""
    session.add(
        AuditEvent(
            at=now_utc(),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        )
    )


def auth_event(session: Session | None, action: str, *, actor: str = "anonymous", subject: str = "",
               client: str = "", **details: object) -> None:
    """An authentication event (`auth.<method>.<outcome>`, lockouts, session ends), audited and logged.

    `subject` names who was tried without personal data: `voter:<id>`, `staff:<id>` or a keyed hash
    of an identifier nobody owns. With `session`, the row commits with the caller's work (a
    success); without, it is written at once in its own transaction, so a failure that rolls the
    caller back still leaves its trace. Call it without a session only when the caller holds no
    uncommitted writes (SQLite has one writer).
    """
    details = {**details, "client": client}
    log.info("%s actor=%s subject=%s client=%s", action, actor, subject or "-", client or "-")
    if session is not None:
        record(session, actor, action, "auth", subject or actor, **details)
        return
    with session_scope() as own:
        record(own, actor, action, "auth", subject or actor, **details)


def history(session: Session, entity: str, entity_id: object) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
