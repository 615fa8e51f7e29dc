"""AppState, the base of every page state: its vars, login and logout. Language, the session check
and its transaction runner, error display and navigation live in their own modules beside it."""

from __future__ import annotations

import time
from typing import Any, Callable

import reflex as rx
from sqlmodel import Session

from remote_vote_app import routes
from remote_vote_app.db import run_short_transaction
from remote_vote_app.errors import ServiceError
from remote_vote_app.i18n import DEFAULT_LANG, LANGS, normalize_lang, t
from remote_vote_app.services.identity import sessions
from remote_vote_app.state.language import LanguageMixin
# Re-exported: pages and states import these from state.app, their one entry point.
from remote_vote_app.state.messages import as_strings, error_entries, summary_title_key  # noqa: F401
from remote_vote_app.state.navigation import (  # noqa: F401
    FOCUS_TITLE_JS, PAGE_TITLES, cookie_then_go, focus_on, focus_title, go, leave, ticket_exchange)
from remote_vote_app.state.session_check import (  # noqa: F401
    FAILED, RECHECK_SECONDS, SessionCheckMixin, voter_required)

# A 'go on to' older than this is not followed after a login (shared devices).
NEXT_MAX_AGE_SECONDS = 600


class AppState(LanguageMixin, SessionCheckMixin, rx.State):
    """Base of every page state: the language, the logged-in voter and messages."""

    lang: str = rx.Cookie(DEFAULT_LANG, name="lang", max_age=365 * 24 * 3600)
    # Server-side only (underscore): the browser never sees or sets these.
    # The server-side session this tab is bound to, and its voter (authority: the cookie, checked per event).
    _session_id: int = 0
    _voter_id: int = 0
    _method: str = ""
    # The socket (the server's id of the connection) that proved this tab's login: its handshake
    # predates the cookie, so on it the session row itself is the authority (session_check).
    _login_socket: str = ""
    _expired: bool = False
    # The last session check of this tab: which cookie it saw, and until when it holds (RECHECK_SECONDS).
    _checked_sid: str = ""
    _checked_until: float = 0.0
    voter_name: str = ""
    # {field: {"key": i18n key, **params}}; rendered in the current language by `errors`.
    error_entries: dict[str, dict[str, str]] = {}
    notice_key: str = ""
    error_seq: int = 0  # counts shown errors: the summary takes focus again on a repeated failed submit
    # A precinct picked on the map before the form is open; where to go after login.
    chosen_precinct: str = ""
    _next: str = ""
    _next_at: float = 0.0  # a 'go on to' older than a few minutes is not followed (shared devices)
    _qr_pending: str = ""  # a QR login link opened on this phone, kept across the login here
    _eid_pending: Any = None  # eid.Pending between the redirect to the eID provider and its callback
    _title_key: str = ""  # a page title not given by the route (the 404 page)

    @rx.var
    def errors(self) -> dict[str, str]:
        lang = normalize_lang(self.lang)
        return {field: t(lang, e["key"], **{k: v for k, v in e.items() if k != "key"}) for field, e in self.error_entries.items()}

    @rx.var
    def has_errors(self) -> bool:
        return bool(self.error_entries)

    @rx.var
    def error_title(self) -> str:
        return t(normalize_lang(self.lang), summary_title_key(self.error_entries))

    @rx.var
    def notice(self) -> str:
        return t(normalize_lang(self.lang), self.notice_key) if self.notice_key else ""

    @rx.var
    def logged_in(self) -> bool:
        return self._session_id > 0

    @rx.var
    def current_lang(self) -> str:
        return normalize_lang(self.lang)

    # --- helpers for subclasses (not callable from the browser: underscore) ---

    def _client(self) -> str:
        return self.router.session.client_ip or "unknown"

    def _show(self, exc: ServiceError) -> None:
        self.error_entries = error_entries(exc)
        self.error_seq += 1

    def _set(self, **values) -> None:
        """Assign only what changes: any assignment marks a var changed, and the computed vars that
        read it (on the form: the precinct lists, about 9 KB) are computed and sent again."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _clear_messages(self) -> None:
        self._set(error_entries={}, notice_key="")

    def _cookie_sid(self, kind: str) -> str:
        """The session id in this request's HttpOnly cookie (read from the websocket handshake)."""
        return sessions.cookie_value(self.router.headers.cookie, kind)

    def _device_cookie(self) -> str:
        """This browser's device cookie (services.identity.devices), read from the websocket handshake."""
        return sessions.device_value(self.router.headers.cookie)

    def _bind_session(self, started: sessions.Started, voter_id: int, name: str, method: str) -> None:
        self._session_id, self._voter_id, self._method = started.row_id, voter_id, method
        self._login_socket = self.router.session.session_id or ""
        self.voter_name = name

    def _end_session(self) -> None:
        self._session_id, self._voter_id, self._method, self._login_socket = 0, 0, "", ""
        self._checked_sid, self._checked_until = "", 0.0
        self.voter_name = ""

    async def _forget_voter_data(self) -> None:
        """Drop every page state's copy of voter data, so nothing of one voter stays in the tab,
        on the server or in the browser, for the next."""
        for cls in AppState.get_substates():
            (await self.get_state(cls)).reset()

    def _session_starter(self, method: str) -> Callable[[Session, int], sessions.Started]:
        """The new server-side session of a login, for a login method to start in the transaction
        that proved who the voter is (one write instead of two, and no used code without a session)."""
        client = self._client()
        return lambda session, voter_id: sessions.start(session, "voter", voter_id, method, client)

    async def _log_in(self, voter_id: int, name: str, method: str = "sms",
                      started: sessions.Started | None = None):
        """Every login method ends here: a new server-side session (unless the method started it
        with its own check) bound to this tab and its socket, the page told to swap its one-time
        ticket for the HttpOnly cookie (for reloads and other tabs), then on to where the voter was
        going on the same socket."""
        fresh = time.time() - self._next_at < NEXT_MAX_AGE_SECONDS
        target = self._next if fresh and self._next in {routes.APPLY, routes.CABINET, routes.QR} else routes.CABINET
        if self._voter_id and self._voter_id != voter_id:
            await self._forget_voter_data()  # another voter was bound to this tab
        if started is None:
            start = self._session_starter(method)
            started = await run_short_transaction(lambda s: start(s, voter_id))
        self._bind_session(started, voter_id, name, method)
        self._next = ""
        return cookie_then_go("voter", started, target)

    def _session_method(self) -> str:
        """How the voter logged in (sms | eid | qr | face): some changes ask more after a FaceID
        login. Valid inside a @voter_required handler."""
        return self._method

    # --- events ---

    @rx.event
    def set_lang(self, lang: str):
        if lang in LANGS:
            self.lang = lang
        return self._html_lang_script()

    @rx.event
    def page_ready(self):
        return self._ready()

    @rx.event
    def page_not_found(self):
        """The 404 page's on_load: its title, whatever address was asked for."""
        self._title_key = "notfound.title"
        return self._page_script()

    @rx.event
    async def keep_alive(self):
        """'Continue' in the timeout warning (and use of the page): the server session lives on."""
        if self._session_id or self._cookie_sid("voter"):
            await self._voter()

    def _go_on_to(self, path: str) -> None:
        """Where to go after a login the voter is about to do."""
        self._next, self._next_at = path, time.time()

    @rx.event
    async def logout(self):
        self._next, self._qr_pending, self._eid_pending = "", "", None
        if self._session_id:
            row_id = self._session_id
            await run_short_transaction(lambda s: sessions.end(s, row_id))
        self._end_session()
        await self._forget_voter_data()
        self._clear_messages()
        self.notice_key = "login.logged_out"
        return leave("voter")
