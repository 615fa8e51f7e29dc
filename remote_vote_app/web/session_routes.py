"""The two HTTP routes that set and clear the HttpOnly session cookies.

A websocket cannot set a cookie, so a login ends with a full-page visit to /auth/session with a
one-time ticket; the response sets the cookie and sends the browser on (303, replacing the URL).
Plain `def` endpoints: Starlette runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from remote_vote_app.db import session_scope
from remote_vote_app.services import sessions
from remote_vote_app.settings import settings

LOGIN_PAGE = {"voter": "/login", "staff": "/staff/login"}
NEXT_PAGES = {"voter": ("/apply", "/cabinet", "/qr"), "staff": ("/staff", "/staff/lists", "/staff/exclusions")}


def _next(kind: str, requested: str) -> str:
    """Only our own pages of the right kind: never an open redirect."""
    return requested if requested in NEXT_PAGES[kind] else NEXT_PAGES[kind][1 if kind == "voter" else 0]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def set_session(request: Request) -> Response:
    ticket = request.query_params.get("ticket", "")
    kind_hint = request.query_params.get("kind", "voter")
    kind_hint = kind_hint if kind_hint in sessions.KINDS else "voter"
    with session_scope() as session:
        done = sessions.exchange(session, ticket, old_sid=sessions.cookie_value(request.headers.get("cookie", ""), kind_hint))
    if done is None:
        return _no_store(RedirectResponse(LOGIN_PAGE[kind_hint], status_code=303))
    response = RedirectResponse(_next(done.kind, request.query_params.get("next", "")), status_code=303)
    response.set_cookie(sessions.COOKIE[done.kind], done.sid, max_age=done.max_age, path="/", httponly=True,
                        secure=settings.cookie_secure, samesite="strict")
    return _no_store(response)


def clear_session(request: Request) -> Response:
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


routes = [
    Route("/auth/session", set_session, methods=["GET"]),
    Route("/auth/logout", clear_session, methods=["GET"]),
]
