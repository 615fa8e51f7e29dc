"""A closed tab's state leaves the server a few minutes after its socket does, not at Reflex's expiry.

Reflex keeps a tab's state until the tab has been idle for `redis_token_expiration` (here the session
idle timeout + 2 minutes), closed or not: at 10 journeys a second that is ~10,000 dead tabs held. A
tab whose socket closed and did not come back within TAB_GRACE_SECONDS is dropped instead. Within
that time a locked phone or a lost network gets its state back on reconnect; after it the tab starts
afresh, as after a server restart (the session cookie still names the voter: AppState._voter).
A staff tab keeps Reflex's expiry: staff are few, and a polling-station desk may be offline for long.

This leans on Reflex's state managers, through remote_vote_app/internals.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from remote_vote_app import internals
from remote_vote_app.services.identity import sessions
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)


class ClosedTabs:
    """Which tokens lost their socket, and since when (this process's sockets only)."""

    def __init__(self, grace: float, clock: Callable[[], float] = time.monotonic):
        self.grace, self.clock = grace, clock
        self._closed: dict[str, float] = {}  # insertion order is closing order

    def closed(self, token: str) -> None:
        self._closed.pop(token, None)
        self._closed[token] = self.clock()

    def reopened(self, token: str) -> None:
        self._closed.pop(token, None)

    def due(self) -> list[str]:
        """Tokens closed for longer than the grace, oldest first; they are no longer tracked."""
        limit, due = self.clock() - self.grace, []
        for token, at in self._closed.items():
            if at > limit:
                break
            due.append(token)
        for token in due:
            del self._closed[token]
        return due

    def __len__(self) -> int:
        return len(self._closed)


# KEYS[1] is the tab's lock, the rest its substates; one script, so no lock is taken in between.
_DELETE_UNLESS_LOCKED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
return redis.call('DEL', unpack(KEYS, 2))
"""


async def drop(manager, root: type, token: str) -> bool:
    """Forget one tab's state; False when an event of that tab holds its lock (try again later)."""
    kind = internals.state_manager_kind(manager)
    if kind == "memory":
        return internals.forget_memory_tab(manager, token)
    if kind == "redis":
        # Deleted only while no worker holds the tab's lock: an event running, or a lease (rxconfig),
        # whose flush would write the substates it changed back over the deletion.
        keys = internals.redis_tab_keys(root, token)
        return await manager.redis.eval(_DELETE_UNLESS_LOCKED, len(keys), *keys) != -1
    return True  # another manager (disk): its own expiry applies


def is_staff_tab(headers: dict[str, str]) -> bool:
    """The socket's handshake carried a staff session cookie."""
    return bool(sessions.cookie_value(headers.get("cookie", ""), "staff"))


def install(app) -> ClosedTabs:
    """Track this process's socket closes and reconnects on the app's event namespace."""
    namespace = app.event_namespace
    tabs = ClosedTabs(settings.tab_grace_seconds)
    on_connect, on_disconnect = namespace.on_connect, namespace.on_disconnect

    async def connect(sid, environ, auth=None):
        if token := parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]:  # as Reflex reads it
            tabs.reopened(token)
        return await on_connect(sid, environ, auth)

    def disconnect(sid, *reason):
        headers = internals.socket_headers(namespace, sid)
        if (token := internals.socket_token(namespace, sid)) and not is_staff_tab(headers):
            tabs.closed(token)
        return on_disconnect(sid)

    namespace.on_connect, namespace.on_disconnect = connect, disconnect
    return tabs


async def sweep(app, tabs: ClosedTabs) -> int:
    """One round: drop the tabs closed longer than the grace that have not reconnected anywhere."""
    dropped = 0
    token_manager = internals.token_manager(app)
    for token in tabs.due():
        if await token_manager.is_token_connected(token):
            continue  # came back, on this worker or another
        if await drop(app.state_manager, internals.root_state(app), token):
            dropped += 1
        else:
            tabs.closed(token)  # busy right now: look again after another grace
    return dropped


async def drop_closed_tabs(app) -> None:
    """Lifespan task of each server process."""
    tabs = install(app)
    every = max(1.0, min(30.0, tabs.grace / 4))
    while True:
        await asyncio.sleep(every)
        try:
            await sweep(app, tabs)
        except Exception as exc:  # noqa: BLE001 - Redis restarting: the next round tries again
            log.warning("closed-tab sweep failed: %s", type(exc).__name__)
