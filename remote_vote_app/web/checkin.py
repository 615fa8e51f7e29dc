"""Election-day check-in over plain HTTP: the signed roster (with the session's roster key), the
marks' sync and the desks' coordination feed.

The check-in page's component talks to these routes with fetch(), not over the Reflex socket,
because it must keep working through a dropped connection and send what it queued when the
connection returns. The staff session cookie (HttpOnly, SameSite=Strict) is the authority, as for
the spreadsheet downloads; the POST also requires a same-origin `Origin` header and a JSON body,
so no other site can make a commission's browser send marks. Plain `def`: Starlette runs them in
its thread pool, off the event loop.
"""

from __future__ import annotations

import json
from typing import Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.routing import Route

from remote_vote_app import routes
from remote_vote_app.db import session_scope
from remote_vote_app.services.election_day import checkin
from remote_vote_app.services.identity import sessions, staff
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.identity.staff import StaffUser

NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 512 * 1024  # 500 marks, each with its pass


def _error(status: int, code: str) -> Response:
    return JSONResponse({"error": code}, status_code=status, headers=NO_STORE)


def _live(session, request: Request, touch: bool = True) -> tuple[StaffUser, int] | None:
    """The staff member of the live session the cookie names, and that session's row."""
    return staff.live(session, sessions.cookie_value(request.headers.get("cookie", ""), "staff"), touch)


def _user(session, request: Request, touch: bool = True) -> StaffUser | None:
    live = _live(session, request, touch)
    return live[0] if live else None


def _answer(work: Callable[[Session], Response | dict]) -> Response:
    """Run `work` in one transaction; a refusal becomes its JSON error, a dict the JSON answer."""
    try:
        with session_scope() as session:
            data = work(session)
    except Forbidden:
        return _error(403, "forbidden")
    except ServiceError as exc:
        return _error(400, exc.code)
    return data if isinstance(data, Response) else JSONResponse(data, headers=NO_STORE)


def roster(request: Request) -> Response:
    def work(session: Session) -> Response | dict:
        live = _live(session, request)
        if live is None:
            return _error(401, "login")
        user, row_id = live
        return checkin.roster(session, user, f"staff:{user.id}", session_row_id=row_id)

    return _answer(work)


def marks(request: Request) -> Response:
    """GET ?since=<cursor>: what the precinct's other desks marked since (polled every few seconds)."""
    def work(session: Session) -> Response | dict:
        cursor = checkin.parse_cursor(request.query_params.get("since", "0"))
        user = _user(session, request, touch=False)  # a desk polling on its own is not activity
        if user is None:
            return _error(401, "login")
        return checkin.feed(session, user, cursor)

    return _answer(work)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.headers.get("host", "")


async def sync(request: Request) -> Response:
    if not _same_origin(request):
        return _error(403, "origin")
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _error(415, "json")
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, "too_large")
    try:
        found = checkin.parse_marks(json.loads(body or b"null"))
    except (ValueError, ServiceError):  # not JSON, or not {"marks": [...]}: a malformed mark is answered alone
        return _error(400, "bad_request")
    return await _in_thread(request, found)


async def _in_thread(request: Request, found: list[checkin.Mark | checkin.Invalid]) -> Response:
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    def work(session: Session) -> Response | dict:
        user = _user(session, request)
        if user is None:
            return _error(401, "login")
        return {"results": checkin.sync(session, user, found, f"staff:{user.id}")}

    return await run_in_threadpool(_answer, work)


endpoints = [
    Route(routes.CHECKIN_ROSTER, roster, methods=["GET"]),
    Route(routes.CHECKIN_SYNC, sync, methods=["POST"]),
    Route(routes.CHECKIN_MARKS, marks, methods=["GET"]),
]
