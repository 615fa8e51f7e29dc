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
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP


@pytest.mark.parametrize("path", ["/a.js", "/api/x", "/missing"])
def test_what_is_not_a_page_may_run_nothing_and_carries_no_page_policy(path):
    """A script or JSON opened as a document runs and loads nothing; the page's policy with its
    script hashes is not repeated on each of the page's requests (it was 40 KB of a first load)."""
    csp = _app().get(path).headers["content-security-policy"]
    assert csp.startswith("default-src 'none';") and "sha256-" not in csp and "script-src" not in csp
    assert len(csp) < 120


def test_inline_scripts_are_allowed_by_hash_only():
    hashes = script_hashes(PAGE)
    assert len(hashes) == 1
    for path in ("/", "/gz"):
        assert hashes[0] in _app().get(path).headers["content-security-policy"]


def test_a_page_names_its_own_scripts_only(monkeypatch):
    from remote_vote_app.web import headers

    monkeypatch.setattr(headers, "built_page_hashes", lambda: ("'sha256-another-page'",))
    csp = _app().get("/").headers["content-security-policy"]
    assert script_hashes(PAGE)[0] in csp and "another-page" not in csp


def test_a_page_body_it_cannot_decode_allows_every_built_pages_scripts(monkeypatch):
    """Brotli has no decoder here: the policy falls back to the hashes of every built page."""
    from remote_vote_app.web import headers

    monkeypatch.setattr(headers, "built_page_hashes", lambda: ("'sha256-every-page'",))

    async def br_page(_r):
        return Response(b"\x0b\x02\x80opaque", media_type="text/html", headers={"content-encoding": "br"})

    client = TestClient(SecurityHeaders(Starlette(routes=[Route("/", br_page)])))
    assert "'sha256-every-page'" in client.get("/").headers["content-security-policy"]


def test_a_precompressed_page_sent_as_a_file_is_hashed_from_its_original(tmp_path):
    """Granian sends files with http.response.pathsend: index.html.br is hashed from index.html."""
    import asyncio

    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "index.html.br").write_bytes(b"\x0b\x02\x80opaque")
    sent: list[dict] = []

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"content-encoding", b"br")]})
        await send({"type": "http.response.pathsend", "path": str(tmp_path / "index.html.br")})

    async def collect(message):
        sent.append(message)

    scope = {"type": "http", "headers": [(b"host", b"example.kg")], "scheme": "http"}
    asyncio.run(SecurityHeaders(inner)(scope, None, collect))
    csp = dict(sent[0]["headers"])[b"content-security-policy"].decode()
    assert script_hashes(PAGE)[0] in csp and sent[1]["type"] == "http.response.pathsend"


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


# --- event socket ceilings ---

def _socket_app(override_settings, per_client: int, total: int) -> TestClient:
    from starlette.routing import WebSocketRoute

    from remote_vote_app.web import sockets

    from starlette.websockets import WebSocketDisconnect

    async def echo(websocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    # One trusted proxy: the client address comes from X-Forwarded-For, as Reflex reads it.
    override_settings(trusted_proxy_hops=1)
    app = sockets.SocketCeiling(Starlette(routes=[WebSocketRoute("/_event/", echo), WebSocketRoute("/other", echo)]),
                                per_client=per_client, total=total)
    return TestClient(app)


def _refused(client: TestClient, address: str, path: str = "/_event/") -> int | None:
    """The close code of a socket the server ends at once, or None if it stays open and answers."""
    from starlette.websockets import WebSocketDisconnect

    try:
        with client.websocket_connect(path, headers={"x-forwarded-for": address}) as ws:
            ws.send_text("ping")
            ws.receive_text()
            return None
    except WebSocketDisconnect as exc:
        return exc.code


def test_event_sockets_have_a_per_client_and_a_total_ceiling(override_settings):
    from contextlib import ExitStack

    from remote_vote_app.web.sockets import TRY_AGAIN_LATER

    client = _socket_app(override_settings, per_client=2, total=3)
    with ExitStack() as held:
        for _ in range(2):
            ws = held.enter_context(client.websocket_connect("/_event/", headers={"x-forwarded-for": "10.0.0.1"}))
            ws.send_text("hi")
            assert ws.receive_text() == "hi"
        assert _refused(client, "10.0.0.1") == TRY_AGAIN_LATER  # a third from the same address
        assert _refused(client, "10.0.0.1", "/other") is None  # other sockets are not counted
        ws = held.enter_context(client.websocket_connect("/_event/", headers={"x-forwarded-for": "10.0.0.2"}))
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
        assert _refused(client, "10.0.0.3") == TRY_AGAIN_LATER  # the total is reached: a new address waits too
    # Closed sockets count no more.
    assert _refused(client, "10.0.0.1") is None and _refused(client, "10.0.0.3") is None


def test_the_socket_ceiling_counts_an_ipv6_64_as_one_client(override_settings):
    from contextlib import ExitStack

    from remote_vote_app.web.sockets import TRY_AGAIN_LATER

    client = _socket_app(override_settings, per_client=2, total=10)
    with ExitStack() as held:
        for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):
            ws = held.enter_context(client.websocket_connect("/_event/", headers={"x-forwarded-for": address}))
            ws.send_text("hi")
            assert ws.receive_text() == "hi"
        assert _refused(client, "2001:db8:1:2:abcd::7") == TRY_AGAIN_LATER  # a third address of the same /64
        assert _refused(client, "2001:db8:1:3::1") is None  # the next /64 is another client


def test_default_socket_ceilings_and_their_settings(override_settings):
    from remote_vote_app.web.sockets import SocketCeiling

    ceiling = SocketCeiling(lambda *a: None)
    assert (ceiling.per_client, ceiling.total) == (20, 5000)
    override_settings(sockets_per_client=50, sockets_total=20000)
    ceiling = SocketCeiling(lambda *a: None)
    assert (ceiling.per_client, ceiling.total) == (50, 20000)


def test_the_app_puts_the_socket_ceiling_in_front_of_everything():
    from remote_vote_app.api import transformers
    from remote_vote_app.web.sockets import SocketCeiling

    assert SocketCeiling in transformers
