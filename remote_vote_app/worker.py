"""Background work of each server process, started with the app's lifespan: outbox delivery and
the removal of long-ended session rows. Nothing here runs inside a request."""

from __future__ import annotations

import asyncio
import logging

from remote_vote_app.db import session_scope
from remote_vote_app.services import delivery, sessions

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 600


def _purge() -> None:
    with session_scope() as session:
        sessions.purge(session)


async def purge_sessions() -> None:
    while True:
        try:
            await asyncio.to_thread(_purge)
        except Exception as exc:  # noqa: BLE001 - try again next round (database restarting)
            log.warning("session purge failed: %s", type(exc).__name__)
        await asyncio.sleep(PURGE_EVERY_SECONDS)


async def deliver_outbox() -> None:
    await delivery.run_forever()
