"""Ceilings on open event sockets (`/_event`), per client address and in all.

Opening a Reflex socket needs no login, and each one holds a tab state and a task on the server:
without a ceiling one address could open them until the worker runs out of memory or file
descriptors. A socket over a ceiling is accepted and closed at once with 1013 "Try Again Later"
(RFC 6455), which the browser's socket client answers by retrying later.

The counts live in this process: with several workers (Granian, REFLEX_REDIS_URL) each worker
counts on its own, so the ceilings apply per worker (a client may hold up to workers x the limit).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from remote_vote_app.services.identity.ratelimit import requester
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)

EVENT_PATH = "/_event"
TRY_AGAIN_LATER = 1013


def client_address(scope: Scope) -> str:
    """The address Reflex gives the tab (`router.session.client_ip`): X-Forwarded-For only through
    the configured number of trusted proxies, else the peer's address."""
    address = (scope.get("client") or ("unknown",))[0]
    hops = settings.trusted_proxy_hops
    if hops:
        headers = dict(scope.get("headers") or [])
        forwarded = [ip.strip() for ip in headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


class SocketCeiling:
    """ASGI middleware in front of the event socket; everything else passes through untouched."""

    def __init__(self, app: ASGIApp, per_client: int | None = None, total: int | None = None) -> None:
        self.app = app
        self.per_client = per_client if per_client is not None else settings.sockets_per_client
        self.total = total if total is not None else settings.sockets_total
        self.open: dict[str, int] = {}
        self.open_total = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not scope.get("path", "").startswith(EVENT_PATH):
            await self.app(scope, receive, send)
            return
        client = requester(client_address(scope))  # an IPv6 /64 is one client
        # Checked and counted with no await in between: one event loop, so no other socket slips in.
        over = "total" if self.open_total >= self.total else "client" if self.open.get(client, 0) >= self.per_client else ""
        if over:
            log.warning("event socket refused: %s ceiling reached (client=%s)", over, client)
            await _refuse(receive, send)
            return
        self.open[client] = self.open.get(client, 0) + 1
        self.open_total += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open_total -= 1
            left = self.open[client] - 1
            if left:
                self.open[client] = left
            else:
                del self.open[client]


async def _refuse(receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": "too many connections"})
