"""Election-day check-in over plain HTTP: the signed roster and the marks' sync.

The check-in page's component talks to these routes with fetch(), not over the Reflex socket,
because it must keep working through a dropped connection and send what it queued when the
connection returns. The staff session cookie (HttpOnly, SameSite=Strict) is the authority, as for
the spreadsheet downloads; the POST also requires a same-origin `Origin` header and a JSON body,
so no other site can make a commission's browser send marks. Plain `def`: Starlette runs them in
its thread pool, off the event loop.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from remote_vote_app.db import session_scope
from remote_vote_app.services import checkin, sessions, staff
from remote_vote_app.services.errors import Forbidden, ServiceError
from remote_vote_app.services.staff import StaffUser

NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 256 * 1024


def _error(status: int, code: str) -> Response:
    return JSONResponse({"error": code}, status_code=status, headers=NO_STORE)


def _user(session, request: Request) -> StaffUser | None:
    sid = sessions.cookie_value(request.headers.get("cookie", ""), "staff")
    staff_id = sessions.by_cookie(session, "staff", sid) if sid else None
    return staff.reload(session, staff_id) if staff_id else None


def roster(request: Request) -> Response:
    try:
        with session_scope() as session:
            user = _user(session, request)
            if user is None:
                return _error(401, "login")
            data = checkin.roster(session, user, f"staff:{user.id}")
    except Forbidden:
        return _error(403, "forbidden")
    except ServiceError as exc:
        return _error(400, exc.code)
    return JSONResponse(data, headers=NO_STORE)


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
        marks = checkin.parse_marks(json.loads(body or b"null"))
    except (ValueError, ServiceError):
        return _error(400, "bad_request")
    return await _in_thread(request, marks)


async def _in_thread(request: Request, marks: list[checkin.Mark]) -> Response:
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    def work() -> Response:
        try:
            with session_scope() as session:
                user = _user(session, request)
                if user is None:
                    return _error(401, "login")
                results = checkin.sync(session, user, marks, f"staff:{user.id}")
        except Forbidden:
            return _error(403, "forbidden")
        except ServiceError as exc:
            return _error(400, exc.code)
        return JSONResponse({"results": results}, headers=NO_STORE)

    return await run_in_threadpool(work)


routes = [
    Route("/staff/checkin/roster.json", roster, methods=["GET"]),
    Route("/staff/checkin/sync", sync, methods=["POST"]),
]
