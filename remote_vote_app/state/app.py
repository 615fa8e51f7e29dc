"""Language and the voter's server-side session, shared by every page state."""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import json
import logging
import time
from typing import Any, Callable

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import DEFAULT_LANG, HTML_LANG, LANGS, normalize_lang, t
from sqlmodel import Session

from remote_vote_app.db import run_in_transaction, run_short_transaction
from remote_vote_app.services.identity import sessions
from remote_vote_app.services.reference import register
from remote_vote_app.errors import FieldErrors, ServiceError
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)


def error_entries(exc: ServiceError) -> dict[str, dict[str, str]]:
    """A service error as {field: {key, **params}}; form-level errors use the field 'form'."""
    if isinstance(exc, FieldErrors):
        return {field: {"key": err.code, **{k: str(v) for k, v in err.params.items()}} for field, err in exc.errors.items()}
    return {exc.field or "form": {"key": exc.code, **{k: str(v) for k, v in exc.params.items()}}}


# The tab title of each page (a message key; the title is "<page> · <service>" in the page's language).
# The 404 page sets its own (AppState.page_not_found); a route missing here gets the service's name.
PAGE_TITLES = {
    "/": "",
    routes.LOGIN: "login.title",
    routes.LOGIN_EID: "login.eid",
    routes.LOGIN_FACE: "face.title",
    routes.APPLY: "apply.title",
    routes.APPLY_CHECK: "check.title",
    routes.CONFIRMATION: "confirm.title",
    routes.CABINET: "cabinet.title",
    routes.PRECINCTS: "map.title",
    routes.QR: "qr.confirm_title",
    routes.OUTBOX: "outbox.title",
    routes.STAFF_LOGIN: "staff.login_title",
    routes.STAFF: "stats.title",
    routes.STAFF_APPLICATIONS: "search.title",
    routes.STAFF_IN_PERSON: "inperson.title",
    routes.STAFF_LISTS: "list.title",
    routes.STAFF_EXCLUSIONS: "exclusions.title",
    routes.STAFF_PRECINCTS: "admin.precincts_title",
    routes.STAFF_ELECTIONS: "admin.elections_title",
    routes.STAFF_AUDIT: "audit.title",
    routes.STAFF_REMINDERS: "reminders.title",
    routes.STAFF_CHECKIN: "checkin.title",
    routes.STATISTICS: "pubstats.title",
}

NEXT_MAX_AGE_SECONDS = 600
# The error summary's heading says what happened (GOV.UK): a wrong code, a deadline, an application
# that exists get their own; "there is a problem" is for answers to correct, a plain "could not be
# done" for anything else.
SUMMARY_TITLES = {
    "error.forbidden": "ux.summary_forbidden", "error.qr_expired": "ux.summary_expired",
    "error.code_expired": "ux.summary_expired", "error.qr_refused": "ux.summary_expired",
    "error.code_wrong": "ux.summary_code", "error.code_attempts": "ux.summary_code",
    "error.deadline_passed": "ux.summary_closed", "error.already_applied": "ux.summary_already",
    "error.unavailable": "ux.summary_unavailable",
}


def summary_title_key(entries: dict[str, dict[str, str]]) -> str:
    """The error summary's heading for these error entries (see SUMMARY_TITLES)."""
    for entry in entries.values():
        if entry.get("key") in SUMMARY_TITLES:
            return SUMMARY_TITLES[entry["key"]]
    return "apply.errors_title" if any(field != "form" for field in entries) else "ux.summary_problem"
# Focus the step's success panel, else its h1 (tabindex -1), so a screen reader announces the new step.
# Not when the person has already moved on (typing in a field): only focus left on <body> moves.
FOCUS_TITLE_JS = ("setTimeout(() => { const a = document.activeElement;"
                  " if (a && a !== document.body && a.isConnected && a.id !== 'main') return;"
                  " const t = document.querySelector('main .panel-success')"
                  " || document.querySelector('main h1'); if (t) { t.setAttribute('tabindex', '-1');"
                  " t.scrollIntoView({block: 'start'}); t.focus({preventScroll: true}); } }, 80);")


def focus_title():
    return rx.call_script(FOCUS_TITLE_JS)


def focus_on(element_id: str):
    """Focus what a step put on the page (after it renders), so a screen reader reads the new step
    and keyboard users go on from there instead of from <body>."""
    return rx.call_script(
        f"setTimeout(() => {{ const t = document.getElementById({json.dumps(element_id)}); if (t) {{"
        " if (!t.matches('a, button, input, select, textarea')) t.setAttribute('tabindex', '-1');"
        " t.scrollIntoView({block: 'center'}); t.focus({preventScroll: true}); } }, 80);")


def go(path: str):
    """A step after a submission: replaces the history entry, so Back does not reopen the form."""
    return rx.redirect(path, replace=True)
FAILED = object()  # what AppState._run returns after showing a service error
# A tab's session is checked in the database at most this often (every event before): a logout in
# another tab or an idle end takes effect within these seconds.
RECHECK_SECONDS = 5
# A @voter_required handler's session check that is due: the handler's first transaction makes it
# (one round trip instead of two); if the handler has none, the wrapper makes it after the handler.
_OWED_CHECK: contextvars.ContextVar[tuple[str, int, str] | None] = contextvars.ContextVar("owed_check", default=None)


class _SessionGone(Exception):
    """The owed check found this tab's session gone: the handler stops, its transaction rolled back."""


def as_strings(row: dict) -> dict[str, str]:
    """A service dict as UI strings (booleans as "1" / ""), matching the typed State vars."""
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in row.items()}


class AppState(rx.State):
    """Base of every page state: the language, the logged-in voter and messages."""

    lang: str = rx.Cookie(DEFAULT_LANG, name="lang", max_age=365 * 24 * 3600)
    # Server-side only (underscore): the browser never sees or sets these.
    # The server-side session this tab is bound to, and its voter (authority: the cookie, checked per event).
    _session_id: int = 0
    _voter_id: int = 0
    _method: str = ""
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

    def _lang(self) -> str:
        return normalize_lang(self.lang)

    def _client(self) -> str:
        return self.router.session.client_ip or "unknown"

    def _show(self, exc: ServiceError) -> None:
        self.error_entries = error_entries(exc)
        self.error_seq += 1

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

    def _checked_first(self, owed: tuple[str, int, str], work: Callable[[Session], Any],
                       passed: list[bool]) -> Callable[[Session], Any]:
        """`work` after this tab's session check, in its transaction: a session that is not live
        any more (logged out elsewhere, idle, outlived) stops it before it reads or writes anything.
        The activity is recorded after `work`, so a read-only page load writes only at its end."""
        sid, bound, _ = owed
        voter_id = self._voter_id

        def checked(session: Session) -> Any:
            found = sessions.current(session, "voter", sid, bound, touch=False)
            if found is None or found.expired or found.subject_id != voter_id:
                raise _SessionGone  # rolled back: the wrapper's own check ends and audits it
            passed.append(True)
            result = work(session)
            sessions.touch(session, found)
            return result

        return checked

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
        self.voter_name = name

    def _end_session(self) -> None:
        self._session_id, self._voter_id, self._method = 0, 0, ""
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
        with its own check), the browser sent to swap its one-time ticket for the HttpOnly cookie,
        then on to where the voter was going."""
        fresh = time.time() - self._next_at < NEXT_MAX_AGE_SECONDS
        target = self._next if fresh and self._next in {routes.APPLY, routes.CABINET, routes.QR} else routes.CABINET
        if self._voter_id and self._voter_id != voter_id:
            await self._forget_voter_data()  # another voter was bound to this tab
        if started is None:
            start = self._session_starter(method)
            started = await run_short_transaction(lambda s: start(s, voter_id))
        self._bind_session(started, voter_id, name, method)
        self._next = ""
        return ticket_exchange("voter", started, target)

    def _session_method(self) -> str:
        """How the voter logged in (sms | eid | qr | face): some changes ask more after a FaceID
        login. Valid inside a @voter_required handler."""
        return self._method

    async def _voter(self, defer: bool = False) -> int:
        """The logged-in voter's id, or 0: nobody logged in, an idle or outlived session, or a
        request without this tab's session cookie (a replayed client token, another browser).
        A tab with no session yet takes the one its browser's cookie names (another tab of the
        same browser, or the state lost in a restart), so a restart asks nobody to log in again.
        `defer`: a bound tab's check is owed to the handler's first transaction (see _run)."""
        sid, bound = self._cookie_sid("voter"), self._session_id or None
        seen = hashlib.sha256(sid.encode()).hexdigest()[:16] if sid else ""
        if bound and seen and seen == self._checked_sid and time.time() < self._checked_until:
            return self._voter_id  # checked a moment ago with this very cookie: no database round trip
        if defer and bound and seen:
            _OWED_CHECK.set((sid, bound, seen))
            return self._voter_id

        def check(session: Session) -> tuple[sessions.Current | None, str]:
            found = sessions.current(session, "voter", sid, bound)
            adopt = found is not None and not found.expired and bound is None
            return found, register.profile(session, found.subject_id).full_name if adopt else ""

        found, name = await run_short_transaction(check) if sid else (None, "")
        if found is None or found.expired:
            self._expired = self._expired or bool(found and found.expired)
            return 0
        if bound is None:
            self._session_id, self._voter_id, self._method, self.voter_name = (
                found.row_id, found.subject_id, found.method, name)
        if found.subject_id != self._voter_id:
            return 0
        self._checked_sid, self._checked_until = seen, time.time() + RECHECK_SECONDS
        return self._voter_id

    # --- events ---

    @rx.event
    def set_lang(self, lang: str):
        if lang in LANGS:
            self.lang = lang
        return self._html_lang_script()

    def _title(self) -> str:
        """The tab title in the page's language: the page's own name, then the service's."""
        lang = self._lang()
        path = (self.router.route_id or "/").split("?")[0].rstrip("/") or "/"
        key = self._title_key or PAGE_TITLES.get(path, "")
        site = t(lang, "site.title")
        return f"{t(lang, key)} · {site}" if key else site

    def _lang_and_title_js(self) -> str:
        return (f"document.documentElement.lang = {json.dumps(HTML_LANG[self._lang()])};"
                f"document.title = {json.dumps(self._title())};")

    def _html_lang_script(self):
        """Keeps <html lang> and the tab title in step with the chosen language (screen readers use both)."""
        return rx.call_script(self._lang_and_title_js())

    def _page_script(self):
        """<html lang> and the title; on a step reached inside the service (a client-side navigation, or
        a page the service sent the browser to, as after a login) focus moves to the step's h1 or
        success panel. A page opened from outside keeps the browser's start: the skip link first. The
        idle timeout (warning, then reload) is the IdleWarning component in the page shell."""
        return rx.call_script(
            self._lang_and_title_js() +
            "if (window.__rvSeen || (document.referrer.startsWith(window.location.origin + '/')"
            " && document.referrer !== window.location.href)) {" + FOCUS_TITLE_JS + "}"
            " window.__rvSeen = true;"
        )

    def _ready(self):
        """What an on_load handler returns when its page is ready: the page script, in the same
        update as the page's data (not as one more event the server processes)."""
        self._title_key = ""
        return self._page_script()

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


def ticket_exchange(kind: str, started: sessions.Started, target: str):
    """A full-page visit (the cookie must reach the next websocket handshake), replacing history.
    The binding cookie set first ties the ticket to this browser (sessions.binding_cookie)."""
    url = f"{routes.AUTH_SESSION}?kind={kind}&ticket={started.ticket}&next={target}"
    cookie = (f"{sessions.binding_cookie(started.ticket)}={started.binding}; path=/; max-age=120; samesite=strict"
              + ("; secure" if settings.cookie_secure else ""))
    return rx.call_script(f"document.cookie = {json.dumps(cookie)}; window.location.replace({json.dumps(url)})")


def leave(kind: str):
    """Clear the cookie over HTTP (a same-origin POST) and land on the login page."""
    return rx.call_script(
        "const f = document.createElement('form'); f.method = 'post'; "
        f"f.action = {json.dumps(routes.AUTH_LOGOUT + '?kind=' + kind)}; document.body.appendChild(f); f.submit()")


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
