"""The HTTP routes that set and clear the HttpOnly session cookies.

A websocket cannot set a cookie, so a login swaps its one-time ticket for the cookie over HTTP:
the voter's page POSTs it to /auth/session with a same-origin fetch (the answer sets the cookie,
no redirect: the tab keeps its socket, state.navigation.cookie_then_go); the staff login makes a
full-page visit to GET /auth/session, which sets the cookie and sends the browser on (303,
replacing the URL). After an SMS-code or eID login either also sets the device cookie
(services.identity.devices). The ticket is exchanged only with the binding cookie the asking tab
set (`sessions.binding_cookie`). Logout is a same-origin POST: a foreign page can neither log a
browser in nor out. The `def` endpoints run in Starlette's thread pool, off the event loop; the
fetch's exchange is a short transaction (`db.run_short_transaction`).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from remote_vote_app import routes
from remote_vote_app.db import run_short_transaction, session_scope
from remote_vote_app.services.identity import devices, sessions
from remote_vote_app.settings import settings

LOGIN_PAGE = {"voter": routes.LOGIN, "staff": routes.STAFF_LOGIN}
NEXT_PAGES = {"voter": (routes.APPLY, routes.CABINET, routes.QR),
              "staff": (routes.STAFF, routes.STAFF_LISTS, routes.STAFF_EXCLUSIONS, routes.STAFF_CHECKIN)}


def _next(kind: str, requested: str) -> str:
    """Only our own pages of the right kind (a fixed list of relative paths): never an open redirect."""
    return requested if requested in NEXT_PAGES[kind] else NEXT_PAGES[kind][1 if kind == "voter" else 0]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _kind(value: object) -> str:
    return value if isinstance(value, str) and value in sessions.KINDS else "voter"


def _exchanger(request: Request, ticket: str, kind_hint: str):
    """The exchange of `ticket` with this request's cookies (binding, the browser's previous session, device)."""
    cookies = request.headers.get("cookie", "")
    binding, old_sid = sessions.binding_value(cookies, ticket), sessions.cookie_value(cookies, kind_hint)
    device = sessions.device_value(cookies)
    return lambda session: sessions.exchange(session, ticket, binding, old_sid=old_sid, device=device)


def _with_cookies(response: Response, done: sessions.Exchanged | None, ticket: str) -> Response:
    """The session (and device) cookie of an exchange; the ticket's binding cookie cleared either way."""
    if done is not None:
        response.set_cookie(sessions.COOKIE[done.kind], done.sid, max_age=done.max_age, path="/", httponly=True,
                            secure=settings.cookie_secure, samesite="strict")
        if done.device is not None:
            response.set_cookie(devices.cookie_name(), done.device.token, max_age=done.device.max_age, path="/",
                                httponly=True, secure=settings.cookie_secure, samesite="strict")
    if ticket:
        response.delete_cookie(sessions.binding_cookie(ticket), path="/", secure=settings.cookie_secure,
                               samesite="strict")
    return _no_store(response)


def set_session(request: Request) -> Response:
    """GET: the staff login's full-page visit; on to the next page, or back to the login page."""
    ticket = request.query_params.get("ticket", "")
    kind_hint = _kind(request.query_params.get("kind", "voter"))
    with session_scope() as session:
        done = _exchanger(request, ticket, kind_hint)(session)
    target = LOGIN_PAGE[kind_hint] if done is None else _next(done.kind, request.query_params.get("next", ""))
    return _with_cookies(RedirectResponse(target, status_code=303), done, ticket)


async def take_ticket(request: Request) -> Response:
    """POST from the page that has just logged in (a fetch, JSON {"kind", "ticket"}): the cookies and
    204, no redirect, so the tab keeps its socket. Only from our own pages (a foreign page cannot
    log a browser in), and only in the browser that asked for the ticket (its binding cookie)."""
    if not same_origin(request):
        return _no_store(PlainTextResponse("Forbidden", status_code=403))
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _no_store(PlainTextResponse("Unsupported Media Type", status_code=415))
    raw = await request.body()
    if len(raw) > 1024:  # a ticket and a kind: anything larger is not ours
        return _no_store(PlainTextResponse("Payload Too Large", status_code=413))
    try:
        body = json.loads(raw)
        ticket, kind_hint = body["ticket"], _kind(body.get("kind"))
    except (ValueError, TypeError, KeyError):
        return _no_store(PlainTextResponse("Bad Request", status_code=400))
    if not isinstance(ticket, str) or not ticket:
        return _no_store(PlainTextResponse("Bad Request", status_code=400))
    done = await run_short_transaction(_exchanger(request, ticket, kind_hint))
    response = Response(status_code=204) if done is not None else PlainTextResponse("Forbidden", status_code=403)
    return _with_cookies(response, done, ticket)


def same_origin(request: Request) -> bool:
    """A request sent by one of our own pages: Fetch Metadata when the browser sends it, else the
    Origin header against the Host. A request with neither is refused (browsers send Origin on POST)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return bool(origin) and origin != "null" and origin.split("://", 1)[-1] == request.headers.get("host", "")


def logout_page(_request: Request) -> Response:
    """A GET changes nothing (a link or image on a foreign page must not log anyone out)."""
    return _no_store(PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "POST"}))


def clear_session(request: Request) -> Response:
    if not same_origin(request):
        return _no_store(PlainTextResponse("Forbidden", status_code=403))
    kind = request.query_params.get("kind", "voter")
    kind = kind if kind in sessions.KINDS else "voter"
    sid = sessions.cookie_value(request.headers.get("cookie", ""), kind)
    if sid:
        with session_scope() as session:
            sessions.end_by_sid(session, sid)
    response = RedirectResponse(LOGIN_PAGE[kind], status_code=303)
    response.delete_cookie(sessions.COOKIE[kind], path="/", httponly=True, secure=settings.cookie_secure,
                           samesite="strict")
    return _no_store(response)


endpoints = [
    Route(routes.AUTH_SESSION, set_session, methods=["GET"]),
    Route(routes.AUTH_SESSION, take_ticket, methods=["POST"]),
    Route(routes.AUTH_LOGOUT, clear_session, methods=["POST"]),
    Route(routes.AUTH_LOGOUT, logout_page, methods=["GET"]),
]
