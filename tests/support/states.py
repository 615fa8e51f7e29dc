"""Drive Reflex State handlers outside the browser, exactly as the event processor calls them."""

from __future__ import annotations

import asyncio
import inspect
import re

from reflex.istate.data import RouterData
from reflex.state import State

from remote_vote_app.db import session_scope
from remote_vote_app.services.identity import devices, sessions

_EXCHANGE = re.compile(r"/auth/session\?kind=(\w+)&ticket=([\w-]+)")
_BINDING = re.compile(r"document\.cookie = \\?\"([^=\\\"]+)=([^;\\\"]+)")


class Browser:
    """One browser tab with its cookie jar: its own root state and substates.

    A login's full-page visit to /auth/session is followed as the browser would: the ticket is
    swapped for the session cookie (and, after an SMS-code or eID login, a new device cookie), which
    every later event carries (as the websocket handshake does).
    """

    def __init__(self, client_ip: str = "127.0.0.1") -> None:
        self.root = State(_reflex_internal_init=True)
        self.cookies: dict[str, str] = {}
        self.client_ip = client_ip

    def state(self, cls):
        return self.root.get_substate(cls.get_full_name().split(".")[1:])

    def _sync_router(self) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.root.router = RouterData.from_router_data(
            {"headers": {"cookie": cookie, "host": "localhost"}, "ip": self.client_ip, "pathname": "/"})

    def call(self, cls, name, *args):
        self._sync_router()
        result = run(getattr(cls, name).fn(self.state(cls), *args))
        self.follow(result)
        return result

    def follow(self, result) -> None:
        found = _EXCHANGE.search(repr(result))
        if found:
            bound = _BINDING.search(repr(result))  # the cookie the login script sets before its visit
            if bound:
                self.cookies[bound.group(1)] = bound.group(2)
            cookies = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            with session_scope() as session:
                done = sessions.exchange(session, found.group(2), sessions.binding_value(cookies, found.group(2)),
                                         old_sid=self.cookies.get(sessions.COOKIE[found.group(1)], ""),
                                         device=self.cookies.get(devices.cookie_name(), ""))
            if done is not None:
                self.cookies[sessions.COOKIE[done.kind]] = done.sid
                if done.device is not None:
                    self.cookies[devices.cookie_name()] = done.device.token


def run(result):
    return asyncio.run(result) if inspect.iscoroutine(result) else result
