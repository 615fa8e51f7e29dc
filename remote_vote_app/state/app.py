"""Language and the voter's server-side session, shared by every page state."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, Callable

import reflex as rx

from remote_vote_app.i18n import DEFAULT_LANG, HTML_LANG, LANGS, catalog, normalize_lang, t
from remote_vote_app.services import auth
from remote_vote_app.services.errors import FieldErrors, ServiceError
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)


def error_entries(exc: ServiceError) -> dict[str, dict[str, str]]:
    """A service error as {field: {key, **params}}; form-level errors use the field 'form'."""
    if isinstance(exc, FieldErrors):
        return {field: {"key": err.code, **{k: str(v) for k, v in err.params.items()}} for field, err in exc.errors.items()}
    return {exc.field or "form": {"key": exc.code, **{k: str(v) for k, v in exc.params.items()}}}


NEXT_MAX_AGE_SECONDS = 600


def as_strings(row: dict) -> dict[str, str]:
    """A service dict as UI strings (booleans as "1" / ""), matching the typed State vars."""
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in row.items()}


class AppState(rx.State):
    """Base of every page state: the language, the logged-in voter and messages."""

    lang: str = rx.Cookie(DEFAULT_LANG, name="lang", max_age=365 * 24 * 3600)
    # Server-side only (underscore): the browser never sees or sets these.
    _voter_id: int = 0
    _login_method: str = ""  # sms | face | eid | qr: FaceID sessions need an SMS code for some changes
    _last_seen: float = 0.0
    voter_name: str = ""
    # {field: {"key": i18n key, **params}}; rendered in the current language by `errors`.
    error_entries: dict[str, dict[str, str]] = {}
    notice_key: str = ""
    # A precinct picked on the map before the form is open; where to go after login.
    chosen_precinct: str = ""
    _next: str = ""
    _next_at: float = 0.0  # a 'go on to' older than a few minutes is not followed (shared devices)
    _qr_pending: str = ""  # a QR login link opened on this phone, kept across the login here
    _eid_pending: Any = None  # eid.Pending between the redirect to the eID provider and its callback

    @rx.var
    def tr(self) -> dict[str, str]:
        return catalog(normalize_lang(self.lang))

    @rx.var
    def errors(self) -> dict[str, str]:
        lang = normalize_lang(self.lang)
        return {field: t(lang, e["key"], **{k: v for k, v in e.items() if k != "key"}) for field, e in self.error_entries.items()}

    @rx.var
    def has_errors(self) -> bool:
        return bool(self.error_entries)

    @rx.var
    def notice(self) -> str:
        return t(normalize_lang(self.lang), self.notice_key) if self.notice_key else ""

    @rx.var
    def logged_in(self) -> bool:
        return self._voter_id > 0

    @rx.var
    def current_lang(self) -> str:
        return normalize_lang(self.lang)

    # --- helpers for subclasses (not callable from the browser: underscore) ---

    def _lang(self) -> str:
        return normalize_lang(self.lang)

    def _client(self) -> str:
        return self.router.session.client_ip or "unknown"

    def _show(self, exc: ServiceError) -> None:
        self.error_entries = error_entries(exc)

    def _clear_messages(self) -> None:
        self.error_entries = {}
        self.notice_key = ""

    def _start_session(self, voter_id: int, name: str) -> None:
        self._voter_id = voter_id
        self._last_seen = time.time()
        self.voter_name = name

    def _session_method(self) -> str:
        return self._login_method

    def _end_session(self) -> None:
        self._voter_id = 0
        self._login_method = ""
        self._last_seen = 0.0
        self.voter_name = ""

    async def _forget_voter_data(self) -> None:
        """Drop every page state's copy of voter data (on login and logout), so nothing of one
        voter stays in the tab, on the server or in the browser, for the next."""
        for cls in AppState.get_substates():
            (await self.get_state(cls)).reset()

    async def _log_in(self, voter_id: int, name: str, method: str = "sms"):
        """Every login method ends here: a clean tab, a new session, then where the voter was going."""
        fresh = time.time() - self._next_at < NEXT_MAX_AGE_SECONDS
        target = self._next if fresh and self._next in {"/apply", "/cabinet", "/qr"} else "/cabinet"
        await self._forget_voter_data()
        self._start_session(voter_id, name)
        self._login_method = method
        self._next = ""
        return rx.redirect(target)

    def _current_voter(self) -> int:
        """The logged-in voter's id, or 0 when nobody is logged in or the session has been idle too long."""
        if not self._voter_id or auth.session_expired(self._last_seen):
            return 0
        self._last_seen = time.time()
        return self._voter_id

    # --- events ---

    @rx.event
    def set_lang(self, lang: str):
        if lang in LANGS:
            self.lang = lang
        return self._html_lang_script()

    def _html_lang_script(self):
        """Keeps <html lang> in step with the chosen language (screen readers use it)."""
        return rx.call_script(f"document.documentElement.lang = '{HTML_LANG[self._lang()]}'")

    def _page_script(self):
        """<html lang>, plus an idle timer: after the idle limit without input the page reloads, so the
        server ends the session and the previous voter's data leaves the screen of a shared device."""
        idle_ms = (settings.session_idle_minutes * 60 + 5) * 1000
        return rx.call_script(
            f"document.documentElement.lang = '{HTML_LANG[self._lang()]}';"
            "if (!window.__rvIdle) { window.__rvIdle = true; let timer;"
            f" const arm = () => {{ clearTimeout(timer); timer = setTimeout(() => window.location.reload(), {idle_ms}); }};"
            " ['keydown', 'pointerdown', 'scroll'].forEach((e) => window.addEventListener(e, arm, {passive: true})); arm(); }"
        )

    @rx.event
    def page_ready(self):
        return self._page_script()

    def _go_on_to(self, path: str) -> None:
        """Where to go after a login the voter is about to do."""
        self._next, self._next_at = path, time.time()

    @rx.event
    async def logout(self):
        self._next, self._qr_pending, self._eid_pending = "", "", None
        self._end_session()
        await self._forget_voter_data()
        self._clear_messages()
        self.notice_key = "login.logged_out"
        return rx.redirect("/login")


def voter_required(handler: Callable) -> Callable:
    """Runs the handler only for a logged-in voter; otherwise ends any idle session, forgets its
    data and sends the browser to /login."""

    @functools.wraps(handler)
    async def wrapper(self: AppState, *args: Any, **kwargs: Any):
        if not self._current_voter():
            if self._voter_id:
                self._end_session()
                await self._forget_voter_data()
                self.notice_key = "login.session_expired"
            elif not self.notice_key:
                self.notice_key = "login.required"
            return rx.redirect("/login")
        return handler(self, *args, **kwargs)

    return wrapper
