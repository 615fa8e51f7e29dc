"""Security headers on every HTTP response: pages, assets, API routes and 404s.

The Content-Security-Policy allows no inline script: a page's own inline scripts are allowed by
their SHA-256 hashes, computed from each HTML response as it goes out. Reflex runs `call_script`
through `eval`, hence 'unsafe-eval' (docs/security.md states this limit). Any other response (a
script, a style sheet, JSON, CSV) gets a policy that lets nothing run or load should it be opened
as a document: a page's policy does not apply to what the page loads, and the page's whole policy
(2.7 KB with every page's hashes) on each of a page's 15 requests was 40 KB of the first load.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import re
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from remote_vote_app.settings import ROOT, settings

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)

PERMISSIONS_POLICY = ("camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), "
                      "interest-cohort=()")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def script_hashes(html: bytes, encoding: bytes = b"") -> list[str] | None:
    """The hashes of the page's inline scripts; None for a body this process cannot decode (brotli)."""
    encoding = encoding.strip().lower()
    if encoding == b"gzip":  # Reflex serves its pages precompressed
        html = gzip.decompress(html)
    elif encoding not in (b"", b"identity"):
        return None
    return ["'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html) if body.strip()]


@functools.cache
def built_page_hashes() -> tuple[str, ...]:
    """The inline scripts of every built page: the policy of a page whose body could not be read."""
    found: set[str] = set()
    # Reflex's frontend directory (REFLEX_WEB_WORKDIR moves it: make test serves two builds at once).
    for page in sorted((ROOT / settings.web_workdir / "build" / "client").glob("**/*.html")):
        found.update(script_hashes(page.read_bytes()))
    return tuple(sorted(found))


# What a response that is not a page may do if opened as a document: nothing.
NOT_A_PAGE_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _page_file_hashes(path: str, encoding: bytes) -> list[str] | None:
    """The hashes of a page the server sends as a file: its uncompressed original when the file is a
    precompressed sidecar (index.html.br beside index.html), else the file itself."""
    for suffix in (".br", ".gz", ".zst"):
        if path.endswith(suffix) and Path(path[: -len(suffix)]).is_file():
            return script_hashes(Path(path[: -len(suffix)]).read_bytes())
    return script_hashes(Path(path).read_bytes(), encoding)


def content_security_policy(host: str, hashes: Iterable[str] | None = ()) -> str:
    """A page's policy; its own inline scripts' hashes, every built page's when they are unknown (None)."""
    hashes = sorted(built_page_hashes() if hashes is None else set(hashes))
    tiles = _origin(settings.map_tile_url.replace("{s}", "a"))
    sockets = f"ws://{host} wss://{host}" if host else ""
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self' 'unsafe-eval'", *hashes]),
        "style-src 'self' 'unsafe-inline'",  # React and Radix set style attributes
        " ".join(filter(None, ["img-src 'self' data: blob:", tiles])),
        "font-src 'self' data:",
        " ".join(filter(None, ["connect-src 'self'", sockets])),
        "media-src 'self' blob: mediastream:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _is_https(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") == "https":
        return True
    # Behind a trusted TLS-terminating proxy only: a client could send the header itself.
    return settings.trusted_proxy_hops > 0 and headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip() == b"https"


class SecurityHeaders:
    """ASGI middleware; websocket traffic passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope.get("headers") or [])
        host = request_headers.get(b"host", b"").decode("latin-1")
        https = _is_https(scope, request_headers)
        start: Message | None = None
        chunks: list[bytes] = []

        def finish(message: Message, hashes: Iterable[str] | None = (), csp: str = "page") -> Message:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SET]
            if csp == "page":
                headers.append((b"content-security-policy", content_security_policy(host, hashes).encode()))
            elif csp == "not a page":
                headers.append((b"content-security-policy", NOT_A_PAGE_POLICY.encode()))
            headers += [
                (b"x-content-type-options", b"nosniff"),
                (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"no-referrer"),
                (b"permissions-policy", PERMISSIONS_POLICY.encode()),
                (b"cross-origin-opener-policy", b"same-origin"),
            ]
            if https:
                headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
            return {**message, "headers": headers}

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message.get("status") == 304:
                # Not Modified: the browser keeps the page it has and updates its stored headers
                # from this answer. A CSP here would name no scripts (there is no body to hash) and
                # replace the one stored with the page, blocking its scripts; the stored one fits
                # (same ETag, same body), so it stays.
                await send(finish(message, csp="none"))
                return
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    start = message  # hold it until the body is known: the CSP names its scripts
                    return
                await send(finish(message, csp="not a page"))
                return
            if start is not None and message["type"] == "http.response.pathsend":
                # The server sends the file itself (Granian): hash the scripts of the file it names.
                await send(finish(start, _page_file_hashes(message["path"], _encoding(start))))
                await send(message)
                return
            if start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                await send(finish(start, script_hashes(body, _encoding(start))))
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encoding(start: Message) -> bytes:
    return dict(start.get("headers", [])).get(b"content-encoding", b"")


_SET = {b"content-security-policy", b"x-content-type-options", b"x-frame-options", b"referrer-policy",
        b"permissions-policy", b"cross-origin-opener-policy", b"strict-transport-security"}
