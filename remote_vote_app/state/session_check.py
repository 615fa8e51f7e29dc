"""The voter's session check and the transaction runner it folds into (one round trip, not two)."""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import time
from typing import TYPE_CHECKING, Any, Callable

import reflex as rx
from sqlmodel import Session

from remote_vote_app import routes
from remote_vote_app.db import run_in_transaction, run_short_transaction
from remote_vote_app.errors import ServiceError
from remote_vote_app.services.identity import sessions
from remote_vote_app.services.reference import register

if TYPE_CHECKING:
    from remote_vote_app.state.app import AppState

FAILED = object()  # what AppState._run returns after showing a service error
# A tab's session is checked in the database at most this often (every event before): a logout in
# another tab or an idle end takes effect within these seconds.
RECHECK_SECONDS = 5
# A @voter_required handler's session check that is due: the handler's first transaction makes it
# (one round trip instead of two); if the handler has none, the wrapper makes it after the handler.
# (cookie sid, or None on the socket that proved the login; bound row; what was seen, hashed)
_OWED_CHECK: contextvars.ContextVar[tuple[str | None, int, str] | None] = contextvars.ContextVar("owed_check",
                                                                                                 default=None)


def _lookup(session: Session, sid: str | None, bound: int | None, touch: bool = True) -> sessions.Current | None:
    """This tab's session as its proof shows it: the login's own socket (`sid` None) or a cookie."""
    if sid is None:
        return sessions.proven(session, "voter", bound or 0, touch=touch)
    return sessions.current(session, "voter", sid, bound, touch=touch)


class _SessionGone(Exception):
    """The owed check found this tab's session gone: the handler stops, its transaction rolled back."""


class SessionCheckMixin:
    """Mixed into AppState (plain class, underscore methods only: Reflex makes no events of them)."""

    def _short_transactions(self) -> bool:
        """This page's transactions are a few indexed statements (run_short_transaction): the voter's
        pages. Staff pages (searches, exports, argon2) and public statistics say no."""
        return True

    async def _run(self, work: Callable[[Session], Any], short: bool = True) -> Any:
        """The one way a handler reaches the services: `work(session)` runs in one transaction (on
        the event loop if `short` on a page of short transactions and the database is the embedded
        SQLite, else in a worker thread); a ServiceError is shown on the page and FAILED comes back.
        `work` gets plain values captured before the call, never `self`."""
        owed, passed = _OWED_CHECK.get(), []
        if owed is not None:
            _OWED_CHECK.set(None)
            work = self._checked_first(owed, work, passed)
        try:
            short = short and self._short_transactions()
            result = await (run_short_transaction if short else run_in_transaction)(work)
        except _SessionGone:
            self._checked_until = 0.0  # whatever catches this, the wrapper checks again on its own
            raise
        except ServiceError as exc:
            if owed is not None and not passed:
                _OWED_CHECK.set(owed)  # the check itself did not run (the database): still owed
            self._show(exc)
            return FAILED
        if owed is not None:
            self._checked_sid, self._checked_until = owed[2], time.time() + RECHECK_SECONDS
        return result

    def _checked_first(self, owed: tuple[str | None, int, str], work: Callable[[Session], Any],
                       passed: list[bool]) -> Callable[[Session], Any]:
        """`work` after this tab's session check, in its transaction: a session that is not live
        any more (logged out elsewhere, idle, outlived) stops it before it reads or writes anything.
        The activity is recorded after `work`, so a read-only page load writes only at its end."""
        sid, bound, _ = owed
        voter_id = self._voter_id

        def checked(session: Session) -> Any:
            found = _lookup(session, sid, bound, touch=False)
            if found is None or found.expired or found.subject_id != voter_id:
                raise _SessionGone  # rolled back: the wrapper's own check ends and audits it
            passed.append(True)
            result = work(session)
            sessions.touch(session, found)
            return result

        return checked

    def _login_socket_here(self) -> bool:
        """This event came over the socket that proved the tab's login (it carries no cookie of it:
        the cookie was set after it opened). The id is the server's own for the connection."""
        return bool(self._session_id and self._login_socket
                    and self._login_socket == self.router.session.session_id)

    async def _voter(self, defer: bool = False) -> int:
        """The logged-in voter's id, or 0: nobody logged in, an idle or outlived session, or a
        request neither over the socket that logged in nor with this tab's session cookie (a
        replayed client token, another browser).
        A tab with no session yet takes the one its browser's cookie names (another tab of the
        same browser, or the state lost in a restart), so a restart asks nobody to log in again.
        `defer`: a bound tab's check is owed to the handler's first transaction (see _run)."""
        bound = self._session_id or None
        sid = None if self._login_socket_here() else self._cookie_sid("voter")
        proof = f"socket {self._login_socket}" if sid is None else sid
        seen = hashlib.sha256(proof.encode()).hexdigest()[:16] if proof else ""
        if bound and seen and seen == self._checked_sid and time.time() < self._checked_until:
            return self._voter_id  # checked a moment ago with this very cookie: no database round trip
        if defer and bound and seen:
            _OWED_CHECK.set((sid, bound, seen))
            return self._voter_id

        def check(session: Session) -> tuple[sessions.Current | None, str]:
            found = _lookup(session, sid, bound)
            adopt = found is not None and not found.expired and bound is None
            return found, register.profile(session, found.subject_id).full_name if adopt else ""

        found, name = await run_short_transaction(check) if proof else (None, "")
        if found is None or found.expired:
            self._expired = self._expired or bool(found and found.expired)
            return 0
        if bound is None:  # adopted by the cookie: every socket of this tab needs it
            self._session_id, self._voter_id, self._method, self.voter_name = (
                found.row_id, found.subject_id, found.method, name)
            self._login_socket = ""
        if found.subject_id != self._voter_id:
            return 0
        self._checked_sid, self._checked_until = seen, time.time() + RECHECK_SECONDS
        return self._voter_id


def voter_required(handler: Callable) -> Callable:
    """Runs the handler only for a logged-in voter; otherwise ends any idle session, forgets its
    data and sends the browser to /login."""

    @functools.wraps(handler)
    async def wrapper(self: AppState, *args: Any, **kwargs: Any):
        token = _OWED_CHECK.set(None)
        try:
            if not await self._voter(defer=True):
                return await _to_login(self)
            try:
                result = handler(self, *args, **kwargs)
                result = await result if inspect.isawaitable(result) else result
            except _SessionGone:
                result, self._checked_until = None, 0.0
            if _OWED_CHECK.get() is not None or not self._checked_until:
                # The handler ran no transaction (it only changed this tab), or its check failed:
                # the check now, on its own; a session found gone ends here, audited.
                _OWED_CHECK.set(None)
                if not await self._voter():
                    return await _to_login(self)
            return result
        except ServiceError as exc:  # the database is down: say so, and keep the tab as it is
            self._show(exc)
            return None
        finally:
            _OWED_CHECK.reset(token)

    return wrapper


async def _to_login(state: AppState):
    """A voter-only event without a live session: forget the tab's voter data, ask to log in."""
    if state._session_id:
        state._end_session()
        await state._forget_voter_data()
    # After logging in again the voter goes back to the form they were on, not to /cabinet.
    path = str(state.router.url.path or "").rstrip("/") or "/"
    if path in {routes.APPLY, routes.APPLY_CHECK, routes.CABINET}:
        state._go_on_to(routes.APPLY if path.startswith(routes.APPLY) else path)
    state.notice_key = "login.session_expired" if state._expired else (state.notice_key or "login.required")
    state._expired = False
    return rx.redirect(routes.LOGIN)
