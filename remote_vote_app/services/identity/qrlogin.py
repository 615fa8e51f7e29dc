"""Cross-device login by QR code: a desktop shows a code, the voter's phone (already logged in)
reads it with its camera inside the cabinet, and the voter approves there; the desktop session
becomes that voter's, with method `qr` (so filing, moving or withdrawing asks for the SMS code).

Threat: phishing the approval. The attacker opens /login on their own computer and gets a live
code, then sends it to the victim ("scan to check your application", a link in a message, a
relaying fake site). Number matching (the phone picks the number shown next to the code) fails
when the message carries the number too. So the approval needs proof that the phone sees the
desktop's screen:

- the code's text is `<origin>/qr#<link id>.<rotating code>`. Opening it as a link approves
  nothing: /qr never reads the fragment, it only says "open your cabinet on the phone and scan the
  code with its camera". Only the cabinet's camera scanner hands the text to `scan`.
- the rotating code is HMAC(key, link id, 20-second window): the desktop redraws the QR code as it
  changes, and `scan` takes only the current window's code or the one before, so a screenshot or a
  forwarded text is stale within 20-40 s. A stale read is audited (`auth.qr.stale_code`).
- `confirm` and `refuse` act only for the voter whose phone made a fresh `scan` of this link; the
  first phone to scan it holds it. Holding the link id alone (from a message) is not enough.
- the phone shows plainly what it approves: a login to this voter's cabinet on another device, the
  requester's client address, whether it is the phone's own network, the time; the browser name is
  the requester's own claim and shown as such.
- single use: scan, confirm, refuse and the desktop's exchange are conditional UPDATEs on the
  status (`rowcount` decides), so of two concurrent confirms or polls exactly one wins.

Not stopped: a real-time relay that shows the attacker's live code on a second screen in front of
the victim's phone within seconds (the address, "another network" and the plain wording are then
the voter's warning); a requester on the victim's own network. No GeoIP database offline.
No camera: no fallback here (the voter logs in with SMS on the other device); a typed code would
bring the phishing back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
from base64 import urlsafe_b64encode
from typing import NamedTuple

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, select

from remote_vote_app import routes
from remote_vote_app.models import QrLogin
from remote_vote_app.services import audit
from remote_vote_app.services.identity import ratelimit
from remote_vote_app.services.clock import SERVICE_ZONE, local_text, now_utc
from remote_vote_app.errors import Refusal, ServiceError
from remote_vote_app.settings import settings

ROTATE_SECONDS = 20  # the code on the desktop changes this often
FRESH_WINDOWS = 2  # a scan may read the current code or the previous one
_PAYLOAD = re.compile(re.escape(routes.QR) + r"#([A-Za-z0-9_-]{20,64})\.([A-Za-z0-9_-]{16})$")
_key_cache: dict[str, bytes] = {}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key() -> bytes:
    secret = settings.secret_key
    if secret not in _key_cache:
        _key_cache.clear()
        _key_cache[secret] = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                  info=b"qr-login-rotating-code").derive(secret.encode())
    return _key_cache[secret]


def window(now: dt.datetime) -> int:
    return int(now.timestamp()) // ROTATE_SECONDS


def _code(link_hash: str, win: int) -> str:
    mac = hmac.new(_key(), f"{link_hash}:{win}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(mac[:12]).decode()  # 96 bits, 16 characters


def shown_code(link_id: str, now: dt.datetime | None = None) -> str:
    """The rotating code the desktop shows now for its link."""
    return _code(_hash(link_id), window(now or now_utc()))


def payload(origin: str, link_id: str, now: dt.datetime | None = None) -> str:
    """The QR code's text. A URL so that a phone's own camera app lands on /qr, which explains what
    to do and approves nothing; the ids ride in the fragment, which never reaches a server."""
    return f"{origin}{routes.QR}#{link_id}.{shown_code(link_id, now)}"


def browser_label(user_agent: str) -> str:
    """A short description of the desktop browser ("Chrome on Linux"), as its User-Agent claims."""
    ua = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("YaBrowser", "Yandex Browser"),
                                           ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
                    if key in ua), "Browser")
    system = next((name for key, name in (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
                                          ("Mac OS X", "macOS"), ("Linux", "Linux")) if key in ua), "")
    return f"{browser} on {system}" if system else browser


def same_network(a: str, b: str) -> bool:
    """Whether two client addresses are one network as far as we can tell: the same address (one
    NAT, e.g. a home Wi-Fi), or the same IPv6 /64 (one LAN with privacy addresses)."""
    try:
        first, second = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return False
    if first.version == second.version == 6:
        return ipaddress.ip_network(f"{first}/64", strict=False) == ipaddress.ip_network(f"{second}/64", strict=False)
    return first == second


class NewLink(NamedTuple):
    token: str  # the desktop's private token, kept server-side by its tab (its poll)
    link_id: str  # inside the QR code, with the rotating code
    expires_at: dt.datetime


CREATE_PER_CLIENT = ratelimit.parse("20/10 minutes")
SCAN_PER_CLIENT = ratelimit.parse("30/10 minutes")


def create(session: Session, user_agent: str, now: dt.datetime | None = None, client: str = "") -> NewLink:
    """A new one-time login for the desktop."""
    now = now or now_utc()
    ratelimit.count(CREATE_PER_CLIENT, "qr-create", ratelimit.client_key(client or "unknown"))
    token, link_id = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    expires_at = now + dt.timedelta(seconds=settings.qr_ttl_seconds)
    session.add(QrLogin(token_hash=_hash(token), link_hash=_hash(link_id), created_at=now, expires_at=expires_at,
                        browser=browser_label(user_agent)[:80], client=(client or "")[:64]))
    return NewLink(token, link_id, expires_at)


def parse(text: object) -> tuple[str, str] | None:
    """(link id, rotating code) from a scanned QR text, or None if it is not one of ours."""
    if not isinstance(text, str) or len(text) > 512:
        return None
    found = _PAYLOAD.search(text.strip())
    return (found.group(1), found.group(2)) if found else None


def _by_token(session: Session, token: str) -> QrLogin | None:
    return session.exec(select(QrLogin).where(QrLogin.token_hash == _hash(token))).first() if token else None


def _by_link(session: Session, link_id: str) -> QrLogin | None:
    return session.exec(select(QrLogin).where(QrLogin.link_hash == _hash(link_id))).first() if link_id else None


def _closed(row: QrLogin | None, now: dt.datetime) -> ServiceError | None:
    """Why a link can no longer be decided on, or None while it is open."""
    if row is None or row.status in ("used", "confirmed") or row.expires_at <= now:
        return ServiceError("error.qr_expired")
    if row.status == "refused":
        return ServiceError("error.qr_refused")
    return None


def _voter_event(session: Session, action: str, row: QrLogin, voter_id: int, client: str, **details: object) -> None:
    audit.auth_event(session, action, actor=f"voter:{voter_id}", subject=f"voter:{voter_id}", client=client,
                     qr_login=row.id, requester=row.client, **details)


def _describe(row: QrLogin, phone_client: str) -> dict:
    return {
        "client": row.client or "?",
        "same_network": bool(row.client) and same_network(row.client, phone_client),
        "time": local_text(row.created_at, "%H:%M:%S", SERVICE_ZONE),  # a login belongs to no election
        "browser": row.browser,  # self-declared
    }


def scan(session: Session, text: object, voter_id: int, *, client: str = "", now: dt.datetime | None = None) -> dict:
    """The logged-in voter's phone read a QR code with its camera: if it is a live login code
    shown right now, this voter's phone holds the link and may approve or refuse it. Returns what
    the phone shows before the voter decides. A stale code is refused and audited."""
    now = now or now_utc()
    ratelimit.count(SCAN_PER_CLIENT, "qr-scan", ratelimit.client_key(client or "unknown"))
    parsed = parse(text)
    if parsed is None:
        raise ServiceError("error.qr_not_a_login_code")
    link_id, code = parsed
    row = _by_link(session, link_id)
    if (closed := _closed(row, now)) is not None:
        raise closed
    current = window(now)
    if not any(hmac.compare_digest(code, _code(row.link_hash, w)) for w in range(current, current - FRESH_WINDOWS, -1)):
        _voter_event(session, "auth.qr.stale_code", row, voter_id, client)
        raise Refusal("error.qr_stale_code")
    held = session.exec(
        sa.update(QrLogin)
        .where(QrLogin.id == row.id, QrLogin.status == "pending", QrLogin.expires_at > now,
               sa.or_(QrLogin.scanned_by.is_(None), QrLogin.scanned_by == voter_id))
        .values(scanned_by=voter_id, scanned_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(row)
    if not held:
        raise _closed(row, now) or ServiceError("error.qr_scanned_elsewhere")
    _voter_event(session, "auth.qr.scanned", row, voter_id, client, browser=row.browser)
    return _describe(row, client)


def _decide(session: Session, link_id: str, voter_id: int, now: dt.datetime, values: dict) -> QrLogin:
    """Move a link this voter's phone scanned from pending to a decision, once (a conditional
    UPDATE: of two concurrent decisions one wins, the other is told the link is spent)."""
    row = _by_link(session, link_id)
    if (closed := _closed(row, now)) is not None:
        raise closed
    if row.scanned_by != voter_id or row.scanned_at is None:
        raise ServiceError("error.qr_scan_first")  # e.g. the link id from a message, no camera read
    won = session.exec(
        sa.update(QrLogin)
        .where(QrLogin.id == row.id, QrLogin.status == "pending", QrLogin.scanned_by == voter_id,
               QrLogin.expires_at > now)
        .values(decided_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(row)
    if not won:
        raise _closed(row, now) or ServiceError("error.qr_expired")
    return row


def confirm(session: Session, link_id: str, voter_id: int, *, client: str = "", now: dt.datetime | None = None) -> None:
    """The voter approves, on the phone that scanned the code, the login of the other device."""
    now = now or now_utc()
    row = _decide(session, link_id, voter_id, now, {"status": "confirmed", "voter_id": voter_id})
    _voter_event(session, "auth.qr.confirmed", row, voter_id, client, browser=row.browser)


def refuse(session: Session, link_id: str, voter_id: int, *, client: str = "", now: dt.datetime | None = None) -> None:
    now = now or now_utc()
    row = _decide(session, link_id, voter_id, now, {"status": "refused"})
    _voter_event(session, "auth.qr.refused", row, voter_id, client)


class Poll(NamedTuple):
    voter_id: int | None  # set once: the desktop logs in as this voter
    scanned: bool  # a phone has read the code; the decision is up to it


def poll(session: Session, token: str, *, client: str = "", now: dt.datetime | None = None) -> Poll:
    """Desktop: the voter id once confirmed (the link is then spent by a conditional UPDATE, the
    login audited), else whether a phone has scanned the code yet."""
    now = now or now_utc()
    row = _by_token(session, token)
    if row is None or row.status == "used":
        raise ServiceError("error.qr_expired")
    if row.status == "refused":
        raise ServiceError("error.qr_refused")
    if row.status == "confirmed":
        taken = session.exec(
            sa.update(QrLogin).where(QrLogin.id == row.id, QrLogin.status == "confirmed")
            .values(status="used", used_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1
        session.refresh(row)
        if not taken:
            raise ServiceError("error.qr_expired")  # another poll of this token got it
        _voter_event(session, "auth.qr.success", row, row.voter_id, client)
        return Poll(row.voter_id, True)
    if row.expires_at <= now:
        raise ServiceError("error.qr_expired")
    return Poll(None, row.scanned_by is not None)
