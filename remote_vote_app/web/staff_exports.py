"""Spreadsheet downloads for commission staff, over plain HTTP (a file, not a websocket delta).

The staff session cookie (HttpOnly, SameSite=Strict) is the authority: looked up alone, as there is
no Reflex tab here, and the account and its role re-read as for every staff event. Plain `def`:
Starlette runs it in its thread pool, off the event loop.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from remote_vote_app import routes
from remote_vote_app.db import session_scope
from remote_vote_app.i18n import normalize_lang
from remote_vote_app.services.applications import exclusions
from remote_vote_app.services.identity import sessions, staff
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.validation import parse_id

NO_STORE = {"Cache-Control": "no-store"}


def exclusions_file(request: Request) -> Response:
    """/exports/exclusions.csv or .xlsx: the exclusion list on screen, for the staff member's scope."""
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        return Response("Not found", status_code=404, media_type="text/plain", headers=NO_STORE)
    cookies = request.headers.get("cookie", "")
    lang = normalize_lang(request.cookies.get("lang", ""))
    election_id = parse_id(request.query_params.get("election"))
    precinct_id = parse_id(request.query_params.get("precinct"))
    try:
        with session_scope() as session:
            staff_id = sessions.by_cookie(session, "staff", sessions.cookie_value(cookies, "staff"))
            user = staff.reload(session, staff_id) if staff_id else None
            if user is None:
                return RedirectResponse(routes.STAFF_LOGIN, status_code=303, headers=NO_STORE)
            filename, body = exclusions.download(session, user, election_id, precinct_id, lang, fmt=fmt)
    except Forbidden:
        return Response("Forbidden", status_code=403, media_type="text/plain", headers=NO_STORE)
    except ServiceError:
        return Response("Not found", status_code=404, media_type="text/plain", headers=NO_STORE)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media,
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
endpoints = [Route(routes.EXCLUSIONS_EXPORT.replace("{fmt}", "{fmt:str}"), exclusions_file, methods=["GET"])]
