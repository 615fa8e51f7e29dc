"""Open data over HTTP: the remote precincts as GeoJSON and CSV (no personal data)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from remote_vote_app.db import session_scope
from remote_vote_app.services import precincts

CACHE = {"Cache-Control": "public, max-age=300"}


async def precincts_geojson(_request: Request) -> Response:
    with session_scope() as session:
        data = precincts.geojson(session)
    return JSONResponse(data, media_type="application/geo+json", headers=CACHE)


async def precincts_csv(_request: Request) -> Response:
    with session_scope() as session:
        text = precincts.csv_text(session)
    return Response(
        "\ufeff" + text,  # BOM: Excel opens UTF-8 correctly
        media_type="text/csv; charset=utf-8",
        headers={**CACHE, "Content-Disposition": 'attachment; filename="remote-precincts.csv"'},
    )


api = Starlette(
    routes=[
        Route("/api/precincts.geojson", precincts_geojson, methods=["GET"]),
        Route("/api/precincts.csv", precincts_csv, methods=["GET"]),
    ],
    # Open data: any origin may read it; nothing here depends on cookies.
    middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])],
)
