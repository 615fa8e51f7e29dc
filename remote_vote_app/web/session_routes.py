"""The two HTTP routes that set and clear the HttpOnly session cookies.

A websocket cannot set a cookie, so a login ends with a full-page visit to /auth/session with a
one-time ticket; the response sets the cookie and sends the browser on (303, replacing the URL).
After an SMS-code or eID login it also sets the device cookie (services.identity.devices).
The ticket is exchanged only with the binding cookie the asking tab set (`sessions.binding_cookie`).
Logout is a same-origin POST: a foreign page can neither log a browser in nor out.
Plain `def` endpoints: Starlette runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from remote_vote_app import routes
from remote_vote_app.db import session_scope
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


def set_session(request: Request) -> Response:
    ticket = request.query_params.get("ticket", "")
    kind_hint = request.query_params.get("kind", "voter")
    kind_hint = kind_hint if kind_hint in sessions.KINDS else "voter"
    cookies = request.headers.get("cookie", "")
    with session_scope() as session:
        done = sessions.exchange(session, ticket, sessions.binding_value(cookies, ticket),
                                 old_sid=sessions.cookie_value(cookies, kind_hint),
                                 device=sessions.device_value(cookies))
    if done is None:
        response = RedirectResponse(LOGIN_PAGE[kind_hint], status_code=303)
    else:
        response = RedirectResponse(_next(done.kind, request.query_params.get("next", "")), status_code=303)
        response.set_cookie(sessions.COOKIE[done.kind], done.sid, max_age=done.max_age, path="/", httponly=True,
                            secure=settings.cookie_secure, samesite="strict")
        if done.device is not None:
            response.set_cookie(devices.cookie_name(), done.device.token, max_age=done.device.max_age, path="/",
                                httponly=True, secure=settings.cookie_secure, samesite="strict")
    if ticket:
        response.delete_cookie(sessions.binding_cookie(ticket), path="/", secure=settings.cookie_secure,
                               samesite="strict")
    return _no_store(response)


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
    Route(routes.AUTH_LOGOUT, clear_session, methods=["POST"]),
    Route(routes.AUTH_LOGOUT, logout_page, methods=["GET"]),
]
