"""Cross-device login by QR code: a desktop shows a one-time link, a phone where the voter is
logged in confirms it, and the desktop session becomes that voter's.

Links are random, stored hashed, valid 2 minutes, single use; a refused or expired link says so
on both devices.

Threat: phishing the confirmation. The attacker opens /login on their own computer, gets a live
QR code and puts it in front of the victim ("scan to check your application", a fake site relaying
the code, a link in a message). A voter who only taps "Allow" lets the attacker's desktop in. So,
as in Microsoft Authenticator's number matching:

- the desktop shows a 2-digit number next to the code; the phone offers three numbers (two random
  decoys, random order, fixed per link so reloading teaches nothing) and the voter must pick the one
  on the screen where they are logging in. A voter who scanned a code from a message has no such
  screen and can only guess (1 in 3); a wrong pick refuses the link at once, audited
  (`auth.qr.wrong_number`), so there is no second guess. It also stops the habit of tapping "Allow".
- the phone shows where the request came from: the requesting desktop's client address, whether it
  is the phone's own network, and the time. The User-Agent label is the requester's own claim and
  is shown only as such.

Not stopped: a real-time phishing page that relays the number too (the victim then picks it) —
there the address and "another network" are the voter's only warning; and a requester on the
victim's own network (same address). No GeoIP database is available offline, so no place names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from typing import NamedTuple

from sqlmodel import Session, select

from remote_vote_app.models import QrLogin
from remote_vote_app.services import audit, ratelimit
from remote_vote_app.services.clock import local_text, now_utc
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.settings import settings

TTL = dt.timedelta(seconds=settings.qr_ttl_seconds)  # 2 minutes unless configured
NUMBERS = range(10, 100)  # two digits
_random = secrets.SystemRandom()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    token: str  # kept server-side by the desktop's session; only its hash is stored
    expires_at: dt.datetime
    number: int  # shown on the desktop next to the code


CREATE_PER_CLIENT = ratelimit.parse("20/10 minutes")


def create(session: Session, user_agent: str, now: dt.datetime | None = None, client: str = "") -> NewLink:
    """A new one-time link for the desktop, with the number it shows and the phone must pick."""
    now = now or now_utc()
    ratelimit.count(CREATE_PER_CLIENT, "qr-create", ratelimit.key(client or "unknown"))
    token = secrets.token_urlsafe(24)
    number, *decoys = _random.sample(NUMBERS, 3)
    choices = [number, *decoys]
    _random.shuffle(choices)
    session.add(QrLogin(token_hash=_hash(token), created_at=now, expires_at=now + TTL,
                        browser=browser_label(user_agent)[:80], client=(client or "")[:64], number=number,
                        choices=",".join(map(str, choices))))
    return NewLink(token, now + TTL, number)


def _find(session: Session, token: str) -> QrLogin | None:
    return session.exec(select(QrLogin).where(QrLogin.token_hash == _hash(token))).first() if token else None


def _open(session: Session, token: str, now: dt.datetime) -> QrLogin:
    row = _find(session, token)
    if row is None:
        raise ServiceError("error.qr_expired")
    if row.status == "refused":
        raise ServiceError("error.qr_refused")
    if row.status in ("used", "confirmed") or row.expires_at <= now:
        raise ServiceError("error.qr_expired")
    return row


def describe(session: Session, token: str, phone_client: str = "", now: dt.datetime | None = None) -> dict:
    """What the phone shows before the voter decides: where the request came from, when, and the
    three numbers to pick from."""
    row = _open(session, token, now or now_utc())
    return {
        "client": row.client or "?",
        "same_network": bool(row.client) and same_network(row.client, phone_client),
        "time": local_text(row.created_at, "%H:%M:%S"),
        "browser": row.browser,  # self-declared
        "choices": [int(n) for n in row.choices.split(",") if n],
    }


def _voter_event(session: Session, action: str, row: QrLogin, voter_id: int, client: str, **details: object) -> None:
    audit.auth_event(session, action, actor=f"voter:{voter_id}", subject=f"voter:{voter_id}", client=client,
                     qr_login=row.id, requester=row.client, **details)


def confirm(session: Session, token: str, voter_id: int, picked: object, *, client: str = "",
            now: dt.datetime | None = None) -> bool:
    """The logged-in voter on the phone lets the desktop in (once), if they picked the desktop's
    number. A wrong pick refuses the link for good and returns False; the caller commits either way."""
    now = now or now_utc()
    row = _open(session, token, now)
    row.decided_at = now
    if not (isinstance(picked, (int, str)) and str(picked).strip() == str(row.number)):
        row.status = "refused"
        session.add(row)
        _voter_event(session, "auth.qr.wrong_number", row, voter_id, client)
        return False
    row.status, row.voter_id = "confirmed", voter_id
    session.add(row)
    _voter_event(session, "auth.qr.confirmed", row, voter_id, client, browser=row.browser)
    return True


def refuse(session: Session, token: str, voter_id: int, *, client: str = "", now: dt.datetime | None = None) -> None:
    now = now or now_utc()
    row = _open(session, token, now)
    row.status, row.decided_at = "refused", now
    session.add(row)
    _voter_event(session, "auth.qr.refused", row, voter_id, client)


def poll(session: Session, token: str, *, client: str = "", now: dt.datetime | None = None) -> int | None:
    """Desktop: the voter id once confirmed (the link is then spent, the login audited), None while pending."""
    now = now or now_utc()
    row = _find(session, token or "")
    if row is None or row.status == "used":
        raise ServiceError("error.qr_expired")
    if row.status == "refused":
        raise ServiceError("error.qr_refused")
    if row.status == "confirmed":
        row.status, row.used_at = "used", now
        session.add(row)
        _voter_event(session, "auth.qr.success", row, row.voter_id, client)
        return row.voter_id
    if row.expires_at <= now:
        raise ServiceError("error.qr_expired")
    return None
