"""Server-side login sessions, carried by an HttpOnly cookie.

A login (any method) creates a session row and a one-time ticket. The browser takes the ticket
to an HTTP route, which swaps it for the session id in an `HttpOnly; Secure; SameSite=Strict`
cookie: a new id at every login, never readable by scripts, never in a URL that stays valid. The
Reflex tab that logged in is bound to the row; every event checks that the row has neither idled
out nor passed its absolute lifetime, and that the event comes either over the very socket that
proved the login (`proven`: it opened before the cookie existed) or over a socket whose handshake
carried that row's cookie (`current`: a reload, a reconnect, another tab).
Only hashes of the id and the ticket are stored.

Every statement here is SQLAlchemy Core, built once: the session check runs in most of a voter's
events, and a Core statement costs a fraction of the ORM's CPU (GUIDE §10).

A ticket is bound to the browser that asked for it: the tab that logged in sets a short-lived
cookie holding a random binding nonce (named after the ticket) before it sends the ticket to
/auth/session, and the exchange needs that cookie. A ticket an attacker obtained in his own browser
and sends to a victim as a link is refused there (no login CSRF / session fixation).

The exchange of an SMS-code or eID login also gives the browser its device cookie (services.identity.devices).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app.models import UserSession
from remote_vote_app.services import audit
from remote_vote_app.services.identity import devices
from remote_vote_app.services.reference import refcache
from remote_vote_app.services.clock import now_utc
from remote_vote_app.settings import settings

KINDS = ("voter", "staff")


class _CookieNames(Mapping[str, str]):
    """kind -> the name of its session cookie (COOKIE_SECURE read on each use)."""

    def __getitem__(self, kind: str) -> str:
        if kind not in KINDS:
            raise KeyError(kind)
        return f"{settings.cookie_prefix}rv_{kind}"

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


COOKIE: Mapping[str, str] = _CookieNames()
TICKET_TTL = dt.timedelta(seconds=60)
# Activity is written at most this often: an event per keypress must not be a write per keypress.
TOUCH_EVERY = dt.timedelta(seconds=30)


def lifetime(kind: str) -> dt.timedelta:
    return dt.timedelta(hours=settings.voter_session_hours if kind == "voter" else settings.staff_session_hours)


def idle_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.session_idle_seconds)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def sid_hash(sid: str) -> str:
    """What a session row keeps of its id (`UserSession.sid_hash`)."""
    return _hash(sid)


def cookie_value(cookie_header: str, kind: str) -> str:
    """The session id of `kind` in a Cookie request header, or ""."""
    return _cookie(cookie_header, COOKIE[kind])


def _cookie(cookie_header: str, name: str) -> str:
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


def device_value(cookie_header: str) -> str:
    """The device cookie's token in a Cookie request header (services.identity.devices), or ""."""
    return _cookie(cookie_header, devices.cookie_name())


def binding_cookie(ticket: str) -> str:
    """The name of the cookie that binds `ticket` to its browser (one per ticket: two tabs may log in at once)."""
    return f"{settings.cookie_prefix}rv_bind_{_hash(ticket)[:16]}"


def binding_value(cookie_header: str, ticket: str) -> str:
    return _cookie(cookie_header, binding_cookie(ticket)) if ticket else ""


_SESSION = UserSession.__table__
_INSERT = _SESSION.insert()
# What the checks read of a row (a Core row reads like the model: row.kind, row.ended_at, ...).
_COLUMNS = (_SESSION.c.id, _SESSION.c.kind, _SESSION.c.subject_id, _SESSION.c.method, _SESSION.c.client,
            _SESSION.c.ended_at, _SESSION.c.last_seen_at, _SESSION.c.expires_at)
# The reference version rides along: the transaction's first statement, one round trip fewer.
_BY_SID = sa.select(*_COLUMNS, refcache.VERSION).where(_SESSION.c.sid_hash == sa.bindparam("hash"))
_PROVEN = sa.select(*_COLUMNS, refcache.VERSION).where(_SESSION.c.id == sa.bindparam("row"))
_BY_ID = sa.select(*_COLUMNS).where(_SESSION.c.id == sa.bindparam("row"))
_BY_TICKET = sa.select(*_COLUMNS, _SESSION.c.ticket_expires_at, _SESSION.c.ticket_binding_hash).where(
    _SESSION.c.ticket_hash == sa.bindparam("hash"))
_LIVE_ONE = sa.and_(_SESSION.c.id == sa.bindparam("row"), _SESSION.c.ended_at.is_(None))
_TAKE_TICKET = sa.update(_SESSION).where(_LIVE_ONE, _SESSION.c.ticket_hash == sa.bindparam("hash")).values(
    sid_hash=sa.bindparam("sid_hash"), ticket_hash=None, ticket_expires_at=None, ticket_binding_hash=None,
    last_seen_at=sa.bindparam("now"))
_END = sa.update(_SESSION).where(_LIVE_ONE).values(ended_at=sa.bindparam("now"), end_reason=sa.bindparam("reason"))
_TOUCH = sa.update(_SESSION).where(_LIVE_ONE).values(last_seen_at=sa.bindparam("now"))
_STEP_UP = sa.update(_SESSION).where(_LIVE_ONE).values(stepped_up_at=sa.bindparam("now"))


@dataclass(frozen=True)
class Started:
    row_id: int
    ticket: str
    binding: str  # the nonce the asking browser keeps in `binding_cookie(ticket)` until the exchange


def start(session: Session, kind: str, subject_id: int, method: str, client: str,
          now: dt.datetime | None = None) -> Started:
    """A new session for a subject who has just proved who they are; audited with the caller's work."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or now_utc()
    ticket, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row_id = session.connection().execute(_INSERT, {
        "kind": kind, "subject_id": subject_id, "method": method, "ticket_hash": _hash(ticket),
        "ticket_expires_at": now + TICKET_TTL, "ticket_binding_hash": _hash(binding), "client": client[:64],
        "created_at": now, "last_seen_at": now, "expires_at": now + lifetime(kind)}).inserted_primary_key[0]
    audit.auth_event(session, f"auth.{kind}.session_started", actor=f"{kind}:{subject_id}",
                     subject=f"{kind}:{subject_id}", client=client, method=method, session_row=row_id)
    return Started(row_id, ticket, binding)


@dataclass(frozen=True)
class Exchanged:
    kind: str
    sid: str
    max_age: int
    device: devices.Issued | None = None  # a new device cookie for the browser (SMS-code or eID login)


def exchange(session: Session, ticket: str, binding: str, old_sid: str = "",
             now: dt.datetime | None = None, device: str = "") -> Exchanged | None:
    """Swap a fresh ticket (once) for a new session id, in the browser that asked for it (`binding`,
    from its binding cookie); the browser's previous session of the same kind ends, and its device
    cookie (`device`) gives way to a new one after an SMS-code or eID login. None for an unknown,
    used, expired or foreign ticket."""
    now = now or now_utc()
    connection = session.connection()
    row = connection.execute(_BY_TICKET, {"hash": _hash(ticket)}).first() if ticket else None
    if row is None or row.ended_at is not None or row.ticket_expires_at is None or row.ticket_expires_at <= now:
        return None
    if not binding or not row.ticket_binding_hash or not hmac.compare_digest(_hash(binding), row.ticket_binding_hash):
        return None  # another browser's ticket (a link from an attacker): it stays unused for its owner
    sid = secrets.token_urlsafe(32)
    # Single use as a conditional update: of two exchanges of one ticket, one wins.
    taken = connection.execute(_TAKE_TICKET, {"row": row.id, "hash": _hash(ticket), "sid_hash": _hash(sid),
                                              "now": now}).rowcount == 1
    if not taken:
        return None
    if old_sid:
        old = _by_sid(session, old_sid)
        if old is not None and old.kind == row.kind and old.id != row.id and old.ended_at is None:
            _end(session, old, "replaced", now)
    issued = devices.remember(session, row.kind, row.subject_id, row.method, row.client, device, now)
    return Exchanged(row.kind, sid, int((row.expires_at - now).total_seconds()), issued)


def _by_sid(session: Session, sid: str) -> sa.Row | None:
    if not sid:
        return None
    row = session.connection().execute(_BY_SID, {"hash": _hash(sid)}).first()
    if row is not None:
        refcache.version_read(session, row.reference_version)
    return row


def _end(session: Session, row: sa.Row, reason: str, now: dt.datetime) -> None:
    session.connection().execute(_END, {"row": row.id, "now": now, "reason": reason})
    audit.auth_event(session, f"auth.{row.kind}.session_ended", actor=f"{row.kind}:{row.subject_id}",
                     subject=f"{row.kind}:{row.subject_id}", client=row.client, reason=reason, session_row=row.id)


@dataclass(frozen=True)
class Current:
    row_id: int
    subject_id: int
    method: str
    expired: bool = False  # the row existed for this tab but has just ended (idle or absolute)
    touch_due: bool = False  # read with touch=False while activity was due: see `touch`


def current(session: Session, kind: str, sid: str, row_id: int | None, now: dt.datetime | None = None,
            touch: bool = True) -> Current | None:
    """Who acts with this cookie: in a tab bound to session `row_id`, only that session's cookie
    counts; `row_id=None` (a tab of this browser whose state is new: another tab, a restarted
    server) takes whichever live session the cookie names.

    An idle or outlived session ends here (audited) and comes back as `expired`. `touch=False`
    reads without counting as activity (a dashboard polling on its own).
    """
    if not sid:
        return None
    row = _by_sid(session, sid)
    if row is None or (row_id is not None and row.id != row_id):
        return None
    return _live(session, row, kind, now or now_utc(), touch)


def proven(session: Session, kind: str, row_id: int, now: dt.datetime | None = None,
           touch: bool = True) -> Current | None:
    """The live session `row_id` for the socket that proved its login (state.session_check keeps
    which one): that socket opened before the cookie existed, so the row alone is the authority
    there, with the same idle and absolute ends as `current`. Never for any other connection."""
    row = session.connection().execute(_PROVEN, {"row": row_id}).first() if row_id else None
    if row is None:
        return None
    refcache.version_read(session, row.reference_version)  # read along, as by the cookie's check
    return _live(session, row, kind, now or now_utc(), touch)


def by_cookie(session: Session, kind: str, sid: str, now: dt.datetime | None = None) -> int | None:
    """The subject of the live session of `kind` that a cookie names, else None: for an HTTP route,
    which has no Reflex tab bound to a session row, so the cookie alone is the authority. The
    request counts as activity; an idle or outlived session ends here, as in `current`."""
    row = _by_sid(session, sid)
    found = _live(session, row, kind, now or now_utc(), True) if row is not None else None
    return found.subject_id if found is not None and not found.expired else None


def outlived(last_seen_at: dt.datetime, expires_at: dt.datetime, now: dt.datetime) -> bool:
    """Idle too long, or past its absolute end: the session ends now."""
    return now - last_seen_at > idle_limit() or now >= expires_at


def touch_due(last_seen_at: dt.datetime, now: dt.datetime) -> bool:
    return now - last_seen_at > TOUCH_EVERY


def _live(session: Session, row: sa.Row, kind: str, now: dt.datetime, touch: bool) -> Current | None:
    if row.kind != kind or row.ended_at is not None:
        return None
    if outlived(row.last_seen_at, row.expires_at, now):
        _end(session, row, "idle" if now < row.expires_at else "absolute", now)
        return Current(row.id, row.subject_id, row.method, expired=True)
    due = touch_due(row.last_seen_at, now)
    if touch and due:
        session.connection().execute(_TOUCH, {"row": row.id, "now": now})
    return Current(row.id, row.subject_id, row.method, touch_due=due and not touch)


def touch(session: Session, found: Current, now: dt.datetime | None = None) -> None:
    """Count as activity what `current(..., touch=False)` read, if it was due: for a caller that
    records it at the end of its work, so a read-only transaction does not write (and, on SQLite,
    wait for the write lock) from its first statement."""
    if found.touch_due:
        session.connection().execute(_TOUCH, {"row": found.row_id, "now": now or now_utc()})


def end(session: Session, row_id: int, reason: str = "logout", now: dt.datetime | None = None) -> None:
    """End a session (logout); ending one that has already ended does nothing."""
    row = session.connection().execute(_BY_ID, {"row": row_id}).first() if row_id else None
    if row is not None and row.ended_at is None:
        _end(session, row, reason, now or now_utc())


def end_by_sid(session: Session, sid: str, reason: str = "logout", now: dt.datetime | None = None) -> str | None:
    """End the session a cookie names; its kind, or None."""
    row = _by_sid(session, sid)
    if row is None:
        return None
    if row.ended_at is None:
        _end(session, row, reason, now or now_utc())
    return row.kind


def end_subject(session: Session, kind: str, subject_id: int, reason: str, now: dt.datetime | None = None) -> int:
    """End every live session of one account (a reset second factor); audited per session."""
    now = now or now_utc()
    rows = session.connection().execute(sa.select(*_COLUMNS).where(
        _SESSION.c.kind == kind, _SESSION.c.subject_id == subject_id, _SESSION.c.ended_at.is_(None))).all()
    for row in rows:
        _end(session, row, reason, now)
    return len(rows)


def purge(session: Session, now: dt.datetime | None = None, keep: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete rows that ended (or whose ticket was never used) over a day ago; the audit keeps the trace."""
    now = now or now_utc()
    old = session.exec(select(UserSession).where(UserSession.expires_at < now - keep)).all()
    for row in old:
        session.delete(row)
    return len(old)


def record_step_up(session: Session, row_id: int, now: dt.datetime | None = None) -> None:
    """Note on a live session that its voter has just entered an SMS code sent to the phone on file
    (services.identity.assurance decides what that allows, and for how long)."""
    session.connection().execute(_STEP_UP, {"row": row_id, "now": now or now_utc()})
