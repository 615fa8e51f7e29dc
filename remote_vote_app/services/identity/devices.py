"""Trusted browsers: OWASP's device cookies ("Blocking Brute Force Attacks").

A browser in which a voter has just logged in with the SMS code or eID gets an HttpOnly cookie
(`__Host-rv_device` when Secure, SameSite=Strict, `LOGIN_DEVICE_DAYS`) holding a random 256-bit
token. Only its SHA-256 is stored, beside the voter it was issued to, its end and its revocation.
services.identity.auth gives SMS login from such a browser a budget of its own: strangers who guess codes
for the PIN from other browsers cannot spend its tries or its SMS. A FaceID or QR login proves
less and issues none. Issuing and revoking are audited; the token is never logged or audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from remote_vote_app.models import TrustedDevice
from remote_vote_app.services import audit
from remote_vote_app.services.clock import now_utc
from remote_vote_app.settings import settings

# The logins that prove possession of the phone on file (or the state's eID): only they make a browser trusted.
TRUSTED_METHODS = ("sms", "eid")


def cookie_name() -> str:
    return settings.cookie_prefix + "rv_device"


def lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.login_device_days)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: str  # the cookie's value: given to the browser once, never stored
    max_age: int


_DEVICE = TrustedDevice.__table__
# SQLAlchemy Core, built once: every SMS-code login reads and writes these.
_BY_TOKEN = sa.select(_DEVICE.c.id, _DEVICE.c.voter_id, _DEVICE.c.revoked_at, _DEVICE.c.expires_at).where(
    _DEVICE.c.token_hash == sa.bindparam("hash"))
_INSERT = _DEVICE.insert()
_REPLACE = sa.update(_DEVICE).where(_DEVICE.c.id == sa.bindparam("row")).values(
    revoked_at=sa.bindparam("now"), revoke_reason="replaced")


def _live(session: Session, token: str, now: dt.datetime) -> sa.Row | None:
    if not token:
        return None
    row = session.connection().execute(_BY_TOKEN, {"hash": _hash(token)}).first()
    return row if row is not None and row.revoked_at is None and row.expires_at > now else None


def trusted(session: Session, voter_id: int, token: str, now: dt.datetime | None = None) -> int | None:
    """The device row a cookie names if it is live and was issued to this voter; None for a forged,
    revoked or expired cookie, or one issued to another voter."""
    row = _live(session, token, now or now_utc())
    return row.id if row is not None and row.voter_id == voter_id else None


def remember(session: Session, kind: str, subject_id: int, method: str, client: str, presented: str = "",
             now: dt.datetime | None = None) -> Issued | None:
    """After a login: a new device cookie for a voter who logged in with the SMS code or eID (None
    for any other login). The cookie the browser held (any voter's) is replaced, so one browser
    holds one live device row."""
    if kind != "voter" or method not in TRUSTED_METHODS:
        return None
    now = now or now_utc()
    connection = session.connection()
    old = _live(session, presented, now)
    if old is not None:
        connection.execute(_REPLACE, {"row": old.id, "now": now})
    token = secrets.token_urlsafe(32)
    row_id = connection.execute(_INSERT, {
        "voter_id": subject_id, "token_hash": _hash(token), "method": method, "client": client[:64],
        "created_at": now, "expires_at": now + lifetime(), "revoked_at": None, "revoke_reason": ""}
    ).inserted_primary_key[0]
    audit.auth_event(session, "auth.device.issued", actor=f"voter:{subject_id}", subject=f"voter:{subject_id}",
                     client=client, method=method, device=row_id, **({"replaced": old.id} if old is not None else {}))
    return Issued(token, int(lifetime().total_seconds()))


def revoke_all(session: Session, voter_id: int, actor: str = "system", now: dt.datetime | None = None) -> int:
    """End every live device cookie of a voter (their browsers log in as strangers' until the next
    SMS or eID login); audited once, with the count."""
    now = now or now_utc()
    revoked = session.execute(
        sa.update(TrustedDevice)
        .where(TrustedDevice.voter_id == voter_id, TrustedDevice.revoked_at.is_(None), TrustedDevice.expires_at > now)
        .values(revoked_at=now, revoke_reason="revoked")
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.auth_event(session, "auth.device.revoked", actor=actor, subject=f"voter:{voter_id}", count=revoked)
    return revoked


def purge(session: Session, now: dt.datetime | None = None, keep: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete rows that expired or were revoked over a day ago; the audit keeps the trace."""
    cutoff = (now or now_utc()) - keep
    return session.execute(sa.delete(TrustedDevice).where(
        sa.or_(TrustedDevice.expires_at < cutoff, TrustedDevice.revoked_at < cutoff))).rowcount
