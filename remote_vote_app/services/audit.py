"""Append-only audit trail of every change to an application (and other records)."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from remote_vote_app.models import AuditEvent
from remote_vote_app.services.clock import now_utc


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


def history(session: Session, entity: str, entity_id: object) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
