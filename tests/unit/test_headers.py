"""Security headers on every kind of response: pages (plain or precompressed), assets, API, 404."""

import gzip

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from remote_vote_app.web.headers import SecurityHeaders, script_hashes

PAGE = b"<html><head><script>window.x=1</script><script src='/a.js'></script></head></html>"


def _app() -> TestClient:
    async def page(_r):
        return HTMLResponse(PAGE)

    async def gz_page(_r):
        return Response(gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"})

    async def asset(_r):
        return PlainTextResponse("console.log(1)", media_type="text/javascript")

    async def api(_r):
        return JSONResponse({"ok": True})

    inner = Starlette(routes=[Route("/", page), Route("/gz", gz_page), Route("/a.js", asset), Route("/api/x", api)])
    return TestClient(SecurityHeaders(inner))


@pytest.mark.parametrize("path", ["/", "/gz", "/a.js", "/api/x", "/missing"])
def test_every_route_kind_gets_the_headers(path):
    response = _app().get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP


def test_inline_scripts_are_allowed_by_hash_only():
    hashes = script_hashes(PAGE)
    assert len(hashes) == 1
    for path in ("/", "/gz"):
        assert hashes[0] in _app().get(path).headers["content-security-policy"]


def test_hsts_over_https():
    client = _app()
    client.base_url = "https://testserver"
    assert "max-age=" in client.get("https://testserver/").headers["strict-transport-security"]


def test_not_modified_keeps_the_stored_pages_policy():
    """A 304 has no body to hash: a CSP on it would replace the one the browser stored with the page
    and block the page's own scripts (a second full load of a staff page stayed unhydrated)."""

    async def cached(_r):
        return Response(status_code=304, headers={"etag": '"abc"'})

    client = TestClient(SecurityHeaders(Starlette(routes=[Route("/", cached)])))
    response = client.get("/", headers={"if-none-match": '"abc"'})
    assert response.status_code == 304
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"
