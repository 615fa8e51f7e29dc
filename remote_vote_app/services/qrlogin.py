"""Cross-device login by QR code: a desktop shows a one-time link, a phone where the voter is
logged in confirms it, and the desktop session becomes that voter's.

Links are random, stored hashed, valid 2 minutes, single use; a refused or expired link says so
on both devices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import segno
from sqlmodel import Session, select

from remote_vote_app.models import QrLogin
from remote_vote_app.services import audit, ratelimit
from remote_vote_app.services.clock import local_text, now_utc
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.settings import settings

TTL = dt.timedelta(seconds=settings.qr_ttl_seconds)  # 2 minutes unless configured


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def browser_label(user_agent: str) -> str:
    """A short, recognisable description of the desktop browser ("Chrome on Linux")."""
    ua = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("YaBrowser", "Yandex Browser"),
                                           ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
                    if key in ua), "Browser")
    system = next((name for key, name in (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
                                          ("Mac OS X", "macOS"), ("Linux", "Linux")) if key in ua), "")
    return f"{browser} on {system}" if system else browser


CREATE_PER_CLIENT = ratelimit.parse("20/10 minutes")


def create(session: Session, user_agent: str, now: dt.datetime | None = None, client: str = "") -> tuple[str, dt.datetime]:
    """A new one-time link token for the desktop (kept server-side by the caller)."""
    now = now or now_utc()
    ratelimit.count(CREATE_PER_CLIENT, "qr-create", ratelimit.key(client or "unknown"))
    token = secrets.token_urlsafe(24)
    session.add(QrLogin(token_hash=_hash(token), created_at=now, expires_at=now + TTL,
                        browser=browser_label(user_agent)[:80]))
    return token, now + TTL


def qr_svg_data_uri(url: str) -> str:
    """The link as an SVG QR code, inline (no request to any other host)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return "data:image/svg+xml;utf8," + out.getvalue().decode().replace("#", "%23").replace("\n", "")


def _open(session: Session, token: str, now: dt.datetime) -> QrLogin:
    row = session.exec(select(QrLogin).where(QrLogin.token_hash == _hash(token or ""))).first() if token else None
    if row is None:
        raise ServiceError("error.qr_expired")
    if row.status == "refused":
        raise ServiceError("error.qr_refused")
    if row.status in ("used", "confirmed") or row.expires_at <= now:
        raise ServiceError("error.qr_expired")
    return row


def describe(session: Session, token: str, now: dt.datetime | None = None) -> dict[str, str]:
    """What the phone shows before the voter confirms: which browser asked, and when."""
    row = _open(session, token, now or now_utc())
    return {"browser": row.browser, "time": local_text(row.created_at, "%H:%M:%S")}


def confirm(session: Session, token: str, voter_id: int, now: dt.datetime | None = None) -> None:
    """The logged-in voter on the phone lets the desktop in (once)."""
    now = now or now_utc()
    row = _open(session, token, now)
    row.status, row.voter_id, row.decided_at = "confirmed", voter_id, now
    session.add(row)
    audit.record(session, f"voter:{voter_id}", "login.qr_confirmed", "qr_login", row.id, browser=row.browser)


def refuse(session: Session, token: str, voter_id: int, now: dt.datetime | None = None) -> None:
    now = now or now_utc()
    row = _open(session, token, now)
    row.status, row.decided_at = "refused", now
    session.add(row)
    audit.record(session, f"voter:{voter_id}", "login.qr_refused", "qr_login", row.id)


def poll(session: Session, token: str, now: dt.datetime | None = None) -> int | None:
    """Desktop: the voter id once confirmed (and the link is then spent), None while pending."""
    now = now or now_utc()
    row = session.exec(select(QrLogin).where(QrLogin.token_hash == _hash(token or ""))).first() if token else None
    if row is None or row.status == "used":
        raise ServiceError("error.qr_expired")
    if row.status == "refused":
        raise ServiceError("error.qr_refused")
    if row.status == "confirmed":
        row.status, row.used_at = "used", now
        session.add(row)
        return row.voter_id
    if row.expires_at <= now:
        raise ServiceError("error.qr_expired")
    return None
