"""Drive Reflex State handlers outside the browser, exactly as the event processor calls them."""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid

from reflex.istate.data import RouterData
from reflex.state import State

from remote_vote_app.db import session_scope
from remote_vote_app.services.identity import devices, sessions

# In a login's script (the page's JavaScript): the staff login's full-page visit, the voter's fetch,
# and the cookie binding the ticket that either sets first.
_HOP = re.compile(r"/auth/session\?kind=(\w+)&ticket=([\w-]+)")
_FETCH = re.compile(r'fetch\("/auth/session".*?"kind\\": \\"(\w+)\\", \\"ticket\\": \\"([\w-]+)')
_BINDING = re.compile(r'document\.cookie = "([^="]+)=([^;"]+)')


def scripts(result) -> str:
    """The JavaScript of every rx.call_script in a handler's result, as the page would run it."""
    found = []
    for spec in result if isinstance(result, (list, tuple)) else [result]:
        for name, value in getattr(spec, "args", ()) or ():
            if getattr(name, "_js_expr", "") == "javascript_code":
                found.append(str(getattr(value, "_var_value", "")))
    return "\n".join(found)


class Browser:
    """One browser tab with its cookie jar and its socket: its own root state and substates.

    Every event carries the cookies the socket's handshake carried when it opened (`reload` opens
    a new one, as a page load does) and the server's id of that socket. A login's ticket is
    swapped for the session cookie as the browser would (and, after an SMS-code or eID login, a new
    device cookie): the voter's page by its same-origin fetch, which fills the jar and keeps the
    socket; the staff login by its full-page visit, which opens a new socket with the new cookies.
    """

    def __init__(self, client_ip: str = "127.0.0.1") -> None:
        self.root = State(_reflex_internal_init=True)
        self.cookies: dict[str, str] = {}
        self.client_ip = client_ip
        self.socket = ""  # the server's id of the tab's socket; "" before the first event
        self._handshake = ""

    def state(self, cls):
        return self.root.get_substate(cls.get_full_name().split(".")[1:])

    def reload(self) -> None:
        """A new socket (a page load, a reconnect): its handshake carries the jar as it is now."""
        self.socket = uuid.uuid4().hex
        self._handshake = "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _sync_router(self) -> None:
        if not self.socket:
            self.reload()
        self.root.router = RouterData.from_router_data(
            {"headers": {"cookie": self._handshake, "host": "localhost"}, "ip": self.client_ip, "sid": self.socket,
             "pathname": "/"})

    def call(self, cls, name, *args):
        self._sync_router()
        result = run(getattr(cls, name).fn(self.state(cls), *args))
        self.follow(result)
        return result

    def follow(self, result) -> None:
        text = scripts(result)
        found, hop = _FETCH.search(text), False
        if not found:
            found, hop = _HOP.search(text), True
        if found:
            bound = _BINDING.search(text)  # the cookie the login script sets before the exchange
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
            if hop:
                self.reload()


def run(result):
    return asyncio.run(result) if inspect.iscoroutine(result) else result
