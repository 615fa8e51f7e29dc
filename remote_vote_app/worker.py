"""Background work of each server process, started with the app's lifespan: outbox delivery, the
removal of long-ended session rows and device cookies and the reminders. Nothing here runs inside a request."""

from __future__ import annotations

import asyncio
import logging

from remote_vote_app.db import session_scope
from remote_vote_app.services.applications import reminders
from remote_vote_app.services.identity import devices, sessions
from remote_vote_app.services.messaging import delivery
from remote_vote_app.services.messaging.notifications import default_sender

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 600
REMINDERS_EVERY_SECONDS = 60


def _purge() -> None:
    with session_scope() as session:
        sessions.purge(session)
        devices.purge(session)


async def purge_sessions() -> None:
    while True:
        try:
            await asyncio.to_thread(_purge)
        except Exception as exc:  # noqa: BLE001 - try again next round (database restarting)
            log.warning("session purge failed: %s", type(exc).__name__)
        await asyncio.sleep(PURGE_EVERY_SECONDS)


async def deliver_outbox() -> None:
    await delivery.run_forever()


def _remind() -> int:
    """One round of reminders in one transaction (each is sent once: the unique key decides)."""
    with session_scope() as session:
        return reminders.run_due(session, default_sender())


async def send_reminders() -> None:
    """Every minute, the reminders that are due; a full batch goes on at once with the next one.
    Several processes may run this loop: the (kind, election, voter) key keeps each reminder single."""
    while True:
        busy = 0
        try:
            busy = await asyncio.to_thread(_remind)
        except Exception as exc:  # noqa: BLE001 - try again next round (database restarting, a lost race)
            log.warning("reminder round failed: %s", type(exc).__name__)
        await asyncio.sleep(1 if busy >= reminders.BATCH else REMINDERS_EVERY_SECONDS)
