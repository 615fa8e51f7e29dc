"""The identification desk over plain HTTP (elections in identification mode, services.election_day.identification).

Same rules as the check-in routes (web/checkin.py, whose helpers these reuse): the staff session
cookie is the authority, the member acts for their own precinct only (the account's, never one
named by the request), POSTs need a same-origin `Origin` and a JSON body of bounded size, and
each call is one transaction in Starlette's thread pool, off the event loop.

    POST /staff/identification/check  {"election_id"?, "pin", "document"}            -> {"answer": Answer}
    POST /staff/identification/issue  {"election_id"?, "pin", "document", "shown"?}  -> {"answer": Answer}
    POST /staff/identification/sync   {"election_id"?, "marks": [OfflineMark...]}    -> {"results": [...]}
        (a mark: mark_id, sealed, kind, at, district: the ballot's district as the desk says; each
        result names the register's district and the claimed one, see identification.sync_offline)
    GET  /staff/identification/list?election=<id>  -> the desk, its precinct's own list (offline copy)
                                                      and the session's storage key

Errors: {"error": code} with 401 (no live staff session), 403 (role, precinct, origin), 400 (a
message key, e.g. error.ident_mode for an election in application mode), 413, 415.
"""

from __future__ import annotations

import json
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from sqlmodel import Session

from remote_vote_app import routes
from remote_vote_app.services.election_day import checkin, identification
from remote_vote_app.services.election_day.identification import Desk
from remote_vote_app.services.identity.staff import StaffUser
from remote_vote_app.services.validation import parse_id
from remote_vote_app.web.checkin import _answer, _error, _live, _same_origin

MAX_IDENTIFY_BODY = 4 * 1024
MAX_SYNC_BODY = 256 * 1024  # identification.MAX_MARKS marks


def _desk(session: Session, request: Request, election_id: object) -> tuple[Desk, StaffUser, int] | Response:
    """The member's desk (their own precinct) in the election asked for, or the current one, and
    the live staff session's row."""
    live = _live(session, request)
    if live is None:
        return _error(401, "login")
    user, row_id = live
    return identification.desk(session, user, parse_id(election_id) if election_id is not None else None), user, row_id


async def _post(request: Request, limit: int, work: Callable[[Session, dict, Desk, StaffUser], dict]) -> Response:
    if not _same_origin(request):
        return _error(403, "origin")
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _error(415, "json")
    body = await request.body()
    if len(body) > limit:
        return _error(413, "too_large")
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return _error(400, "bad_request")
    if not isinstance(payload, dict):
        return _error(400, "bad_request")

    def at_desk(session: Session) -> Response | dict:
        found = _desk(session, request, payload.get("election_id"))
        return found if isinstance(found, Response) else work(session, payload, *found[:2])

    return await run_in_threadpool(_answer, at_desk)


def _identify(action: Callable) -> Callable:
    async def route(request: Request) -> Response:
        def work(session: Session, payload: dict, desk: Desk, user: StaffUser) -> dict:
            extra = {"shown": payload.get("shown")} if action is identification.issue else {}
            answer = action(session, election_id=desk.election.id, precinct_id=desk.precinct.id,
                            staff_id=user.id, pin=str(payload.get("pin") or "")[:32],
                            document_number=str(payload.get("document") or "")[:32], **extra)
            return {"answer": answer.to_json()}

        return await _post(request, MAX_IDENTIFY_BODY, work)

    return route


async def sync(request: Request) -> Response:
    def work(session: Session, payload: dict, desk: Desk, user: StaffUser) -> dict:
        marks = identification.parse_marks(payload)
        return {"results": identification.sync_offline(
            session, election_id=desk.election.id, precinct_id=desk.precinct.id, staff_id=user.id, marks=marks)}

    return await _post(request, MAX_SYNC_BODY, work)


def precinct_list(request: Request) -> Response:
    def work(session: Session) -> Response | dict:
        found = _desk(session, request, request.query_params.get("election"))
        if isinstance(found, Response):
            return found
        desk, _, row_id = found
        election = desk.election
        return {
            "election": {"id": election.id, "kind": election.kind, "election_day": election.election_day.isoformat(),
                         "timezone": election.timezone, "offline_policy": election.offline_policy,
                         "rules": identification.rules_text(election)},
            "precinct": {"id": desk.precinct.id, "number": desk.precinct.number, "abroad": desk.precinct.abroad,
                         "address": desk.precinct.address},
            "district": {"number": desk.district.number, "name": desk.district.name},
            **identification.precinct_list(session, election.id, desk.precinct.id),
            # The device stores the list only as ciphertext under this session's key (as check-in's roster).
            "storage_key": checkin.roster_key(session, row_id),
        }

    return _answer(work)


endpoints = [
    Route(routes.IDENTIFY_CHECK, _identify(identification.check), methods=["POST"]),
    Route(routes.IDENTIFY_ISSUE, _identify(identification.issue), methods=["POST"]),
    Route(routes.IDENTIFY_SYNC, sync, methods=["POST"]),
    Route(routes.IDENTIFY_LIST, precinct_list, methods=["GET"]),
]
