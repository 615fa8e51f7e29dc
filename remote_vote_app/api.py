"""HTTP routes beside the Reflex app, and the middleware around all of it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from remote_vote_app import routes
from remote_vote_app.db import session_scope
from remote_vote_app.services.applications import passes
from remote_vote_app.services.reference import precincts
from remote_vote_app.services.reporting import statistics
from remote_vote_app.web import checkin, identification, reminder_routes, session_routes, staff_exports
from remote_vote_app.web.headers import SecurityHeaders
from remote_vote_app.web.sockets import SocketCeiling

CACHE = {"Cache-Control": "public, max-age=300"}


# Plain `def`: Starlette runs these in its thread pool, so the database work is off the event loop.
def precincts_geojson(_request: Request) -> Response:
    with session_scope() as session:
        data = precincts.geojson(session)
    return JSONResponse(data, media_type="application/geo+json", headers=CACHE)


def precincts_csv(_request: Request) -> Response:
    with session_scope() as session:
        text = precincts.csv_text(session)
    return Response(
        "\ufeff" + text,  # BOM: Excel opens UTF-8 correctly
        media_type="text/csv; charset=utf-8",
        headers={**CACHE, "Content-Disposition": 'attachment; filename="remote-precincts.csv"'},
    )


def pass_key(_request: Request) -> Response:
    """The voter pass's verification key (JWK with `kid`), so anyone can verify a pass."""
    return JSONResponse({**passes.public_jwk(), "demo": passes.is_demo_key()}, media_type="application/jwk+json",
                        headers=CACHE)


def _statistics(request: Request) -> dict:
    with session_scope() as session:
        return statistics.cached(session, request.query_params.get("day"))["document"] or {}


def statistics_json(request: Request) -> Response:
    return JSONResponse(_statistics(request), headers={**CACHE, "X-Schema-Version": str(statistics.SCHEMA_VERSION)})


def statistics_csv(request: Request) -> Response:
    """?table=turnout: ballots per precinct and hour (identification mode); else the applications."""
    data = _statistics(request)
    table = "turnout" if request.query_params.get("table") == "turnout" else "applications"
    columns = statistics.TURNOUT_CSV_COLUMNS if table == "turnout" else statistics.CSV_COLUMNS
    text = statistics.csv_text(data, table) if data else statistics.exports.csv_text([columns])
    name = "turnout" if table == "turnout" else "remote-voting-statistics"
    return Response(
        text,  # open data: UTF-8 without a BOM, so the header is the first thing a parser reads
        media_type="text/csv; charset=utf-8",
        headers={**CACHE, "X-Schema-Version": str(statistics.SCHEMA_VERSION),
                 "Content-Disposition": f'attachment; filename="{name}-{data.get("election_day", "none")}.csv"'},
    )


# Open data: any origin may read it, without credentials; nothing else gets CORS `*`.
open_data = Starlette(
    routes=[
        Route(routes.under_api(routes.API_PRECINCTS_GEOJSON), precincts_geojson, methods=["GET"]),
        Route(routes.under_api(routes.API_PRECINCTS_CSV), precincts_csv, methods=["GET"]),
        Route(routes.under_api(routes.API_PASS_KEY), pass_key, methods=["GET"]),
        Route(routes.under_api(routes.API_STATISTICS_JSON), statistics_json, methods=["GET"]),
        Route(routes.under_api(routes.API_STATISTICS_CSV), statistics_csv, methods=["GET"]),
    ],
    middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"], allow_credentials=False)],
)

api = Starlette(routes=[Mount(routes.API, app=open_data), *session_routes.endpoints, *staff_exports.endpoints,
                                *checkin.endpoints, *identification.endpoints, *reminder_routes.endpoints])

# Applied after `api` has the Reflex app mounted inside it: headers reach every response.
transformers = [api, SecurityHeaders, SocketCeiling]
