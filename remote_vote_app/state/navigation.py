"""Navigation: where a step sends the browser, and where focus lands when it gets there."""

from __future__ import annotations

import json

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.services.identity import sessions
from remote_vote_app.settings import settings

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


def _binding_cookie_js(started: sessions.Started) -> str:
    """Sets the cookie that ties the ticket to this browser (sessions.binding_cookie), before the exchange."""
    cookie = (f"{sessions.binding_cookie(started.ticket)}={started.binding}; path=/; max-age=120; samesite=strict"
              + ("; secure" if settings.cookie_secure else ""))
    return f"document.cookie = {json.dumps(cookie)};"


def ticket_exchange(kind: str, started: sessions.Started, target: str):
    """A full-page visit to GET /auth/session (the cookie must reach the next websocket handshake),
    replacing history: the staff login, whose every event checks the cookie of its socket."""
    url = f"{routes.AUTH_SESSION}?kind={kind}&ticket={started.ticket}&next={target}"
    return rx.call_script(f"{_binding_cookie_js(started)} window.location.replace({json.dumps(url)})")


def cookie_then_go(kind: str, started: sessions.Started, target: str):
    """The voter's login keeps its socket (one connect per visit): the page POSTs the one-time
    ticket to /auth/session itself (same-origin fetch; the answer sets the HttpOnly cookie for
    reloads and other tabs, no redirect), then moves on client-side, replacing history. This socket
    is bound to the session already (AppState._login_socket), so it goes on whatever the answer.
    `navigate` is React Router's, in scope where Reflex evaluates the script (state.js applyEvent);
    without it the page loads in full, as a reload would."""
    body = json.dumps({"kind": kind, "ticket": started.ticket})
    to = json.dumps(target)
    return rx.call_script(
        f"{_binding_cookie_js(started)} fetch({json.dumps(routes.AUTH_SESSION)}, {{method: 'POST', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}, credentials: 'same-origin', "
        f"cache: 'no-store'}}).catch(() => null).then(() => typeof navigate === 'function' ? "
        f"navigate({to}, {{replace: true}}) : window.location.replace({to}))")


def leave(kind: str):
    """Clear the cookie over HTTP (a same-origin POST) and land on the login page."""
    return rx.call_script(
        "const f = document.createElement('form'); f.method = 'post'; "
        f"f.action = {json.dumps(routes.AUTH_LOGOUT + '?kind=' + kind)}; document.body.appendChild(f); f.submit()")
