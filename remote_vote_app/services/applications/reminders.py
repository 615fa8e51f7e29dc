"""Reminders through the outbox: the day before the election, and three days before the deadline.

- `eve`: the day before election day, to every voter with an active application: precinct,
  address, hours and what to bring, in the language the voter filed in (Application.lang), by SMS
  and e-mail.
- `deadline`: from three days before the application deadline until it closes, to voters who
  logged in (a voter UserSession row) but filed no application for the election of their
  territory, by SMS in Kyrgyz and Russian (no language of theirs is known).

Each goes out once: the Reminder row with the unique key (kind, election, voter) is inserted in a
savepoint in the same transaction as the outbox messages and the audit row, so a second worker or
a second round finds the key taken and sends nothing. Quiet hours: nothing is sent from 22:00 to
08:00 in the election's time zone; a reminder due at night goes at 08:00. Every message carries an
opt-out link signed with HMAC(settings.secret_key), usable without logging in. Everything is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from remote_vote_app import routes
from remote_vote_app.i18n import date_text, localized, t, until_inclusive
from remote_vote_app.models import (
    Application, AuditEvent, Election, Precinct, Reminder, ReminderOptOut, Territory, UserSession, Voter,
)
from remote_vote_app.services import audit
from remote_vote_app.services.reference import elections, precincts
from remote_vote_app.services.clock import SERVICE_ZONE, at_local, end_of_day_utc, local_text, now_utc, zone
from remote_vote_app.services.messaging.notifications import Sender
from remote_vote_app.settings import settings

KINDS = ("eve", "deadline")
QUIET_FROM, QUIET_UNTIL = dt.time(22, 0), dt.time(8, 0)
DEADLINE_DAYS_BEFORE = 3
BATCH = 200  # reminders per round and kind: short transactions; the next round goes on
VOTING_HOURS = "08:00–20:00"
MINUTE = "%d.%m.%Y %H:%M"


# --- time ---


def quiet(now: dt.datetime, tz: ZoneInfo = SERVICE_ZONE) -> bool:
    """Whether `now` falls in the quiet hours in `tz` (an election's zone: its voters' night)."""
    local = now.astimezone(tz).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def window(election: Election, kind: str) -> tuple[dt.datetime, dt.datetime]:
    """When a reminder may go out, in UTC: from 08:00 of its day (quiet hours end) until the end,
    in the election's zone."""
    tz = zone(election)
    if kind == "eve":
        day = election.election_day - dt.timedelta(days=1)
        return at_local(day, QUIET_UNTIL, tz), at_local(day, QUIET_FROM, tz)
    start = at_local(election.application_deadline - dt.timedelta(days=DEADLINE_DAYS_BEFORE), QUIET_UNTIL, tz)
    return start, end_of_day_utc(election.application_deadline, tz)


def due(election: Election, kind: str, now: dt.datetime) -> bool:
    start, end = window(election, kind)
    return start <= now < end and not quiet(now, zone(election))


# --- opt-out link ---


def _mac(voter_id: int) -> str:
    return hmac.new(settings.secret_key.encode(), f"reminder-opt-out:{voter_id}".encode(), hashlib.sha256).hexdigest()[:32]


def opt_out_token(voter_id: int) -> str:
    return f"{voter_id}.{_mac(voter_id)}"


def opt_out_url(voter_id: int) -> str:
    return f"{settings.public_url}{routes.REMINDERS_OPT_OUT}?t={opt_out_token(voter_id)}"


def voter_of_token(token: str) -> int | None:
    head, _, mac = (token or "").partition(".")
    if not head.isdigit() or len(head) > 12 or not hmac.compare_digest(mac, _mac(int(head))):
        return None
    return int(head)


def opted_out(session: Session, voter_id: int) -> bool:
    return session.exec(select(ReminderOptOut.id).where(ReminderOptOut.voter_id == voter_id)).first() is not None


def opt_out(session: Session, token: str, client: str = "") -> bool:
    """Record the opt-out of the voter the signed token names; False for a token that is not ours."""
    voter_id = voter_of_token(token)
    if voter_id is None or session.get(Voter, voter_id) is None:
        return False
    if not opted_out(session, voter_id):
        try:
            with session.begin_nested():
                session.add(ReminderOptOut(voter_id=voter_id, created_at=now_utc()))
        except IntegrityError:
            return True  # a double click: already recorded
        audit.record(session, f"voter:{voter_id}", "reminder.opted_out", "voter", f"voter:{voter_id}", client=client)
    return True


# --- sending ---


def _claim(session: Session, kind: str, election_id: int, voter_id: int, status: str) -> bool:
    """Insert the reminder's unique key; False if it is taken (sent before, or by another worker now)."""
    try:
        with session.begin_nested():
            session.add(Reminder(kind=kind, election_id=election_id, voter_id=voter_id, status=status, created_at=now_utc()))
        return True
    except IntegrityError:
        return False


def _done(session: Session, kind: str, election_id: int):
    return select(Reminder.voter_id).where(Reminder.kind == kind, Reminder.election_id == election_id)


def _logged_in():
    """The voter has logged in at some time: a session row (kept a day after it ends) or, for
    good, the audited start of a session (`auth.voter.session_started`, subject voter:<id>)."""
    audited = sa.exists().where(AuditEvent.entity == "auth", AuditEvent.action == "auth.voter.session_started",
                                AuditEvent.entity_id == sa.literal("voter:") + sa.cast(Voter.id, sa.String))
    return sa.or_(Voter.id.in_(select(UserSession.subject_id).where(UserSession.kind == "voter")), audited)


def _eve_texts(session: Session, application: Application, election: Election) -> dict[str, str]:
    lang = application.lang
    place = precincts.localized(session.get(Precinct, application.remote_precinct_id), lang)
    territory = session.get(Territory, election.territory_id)
    return {"reference": application.reference, "day": date_text(lang, election.election_day),
            "precinct": f"{place['number']} — {place['place']}", "address": f"{place['city']}, {place['address']}",
            "hours": VOTING_HOURS, "election": elections.title(election.kind, localized(territory, "name", lang),
                                                             election.is_demo, lang),
            "opt_out": opt_out_url(application.voter_id)}


def _send_eve(session: Session, election: Election, sender: Sender, limit: int) -> int:
    rows = session.exec(select(Application).where(
        Application.election_id == election.id, Application.status == "submitted",
        Application.voter_id.not_in(_done(session, "eve", election.id))).order_by(Application.id).limit(limit)).all()
    for application in rows:
        skip = opted_out(session, application.voter_id)
        if not _claim(session, "eve", election.id, application.voter_id, "opted_out" if skip else "sent"):
            continue
        if not skip:
            p, lang = _eve_texts(session, application, election), application.lang
            sender.send(session, "sms", application.phone, t(lang, "reminder.eve.sms", **p))
            sender.send(session, "email", application.email, t(lang, "reminder.eve.email", **p),
                        subject=t(lang, "reminder.eve.subject", **p))
        audit.record(session, "system", "reminder.opted_out_skipped" if skip else "reminder.sent", "application",
                     application.reference, kind="eve", election_id=election.id)
    return len(rows)


def _send_deadline(session: Session, election: Election, sender: Sender, limit: int) -> int:
    applied = select(Application.voter_id).where(Application.election_id == election.id)
    voters = session.exec(select(Voter).where(
        Voter.territory_id == election.territory_id, _logged_in(), Voter.id.not_in(applied),
        Voter.id.not_in(_done(session, "deadline", election.id))).order_by(Voter.id).limit(limit)).all()
    for voter in voters:
        skip = opted_out(session, voter.id)
        if not _claim(session, "deadline", election.id, voter.id, "opted_out" if skip else "sent"):
            continue
        if not skip:
            link = opt_out_url(voter.id)
            body = " / ".join(t(lang, "reminder.deadline.sms", until=until_inclusive(lang, election.application_deadline),
                                   opt_out=link) for lang in ("ky", "ru"))
            sender.send(session, "sms", voter.phone, body)
        audit.record(session, "system", "reminder.opted_out_skipped" if skip else "reminder.sent", "voter",
                     f"voter:{voter.id}", kind="deadline", election_id=election.id)
    return len(voters)


def run_due(session: Session, sender: Sender, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """One round: every reminder due now, up to `limit` per election and kind. Returns how many
    voters were handled (0 when nothing is due, or in quiet hours of every election's zone)."""
    now = now or now_utc()
    handled = 0
    for election in session.exec(select(Election).order_by(Election.id)).all():
        if due(election, "eve", now):
            handled += _send_eve(session, election, sender, limit)
        if due(election, "deadline", now):
            handled += _send_deadline(session, election, sender, limit)
    return handled


# --- the staff page ---


@dataclass(frozen=True)
class Planned:
    kind: str
    election_id: int
    election: str
    starts: dt.datetime
    ends: dt.datetime
    waiting: int
    sent: int
    skipped: int


def next_send(election: Election, kind: str, now: dt.datetime) -> dt.datetime | None:
    """When the reminder goes (or goes on): its window's start, or now (08:00 in quiet hours)."""
    start, end = window(election, kind)
    if now >= end:
        return None
    moment, tz = max(now, start), zone(election)
    if quiet(moment, tz):
        local = moment.astimezone(tz)
        day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
        moment = at_local(day, QUIET_UNTIL, tz)
    return moment if moment < end else None


def overview(session: Session, now: dt.datetime | None = None, lang: str = "ru") -> list[dict]:
    """Per election (named in `lang`) and kind: its window, when it goes next, how many wait, went
    out, opted out."""
    now = now or now_utc()
    counts = {(k, e, s): n for k, e, s, n in session.exec(
        select(Reminder.kind, Reminder.election_id, Reminder.status, func.count())
        .group_by(Reminder.kind, Reminder.election_id, Reminder.status))}
    result = []
    for election, territory in session.exec(select(Election, Territory).join(Territory, Territory.id == Election.territory_id)
                                            .order_by(Election.election_day.desc(), Territory.name_ru)).all():
        for kind in KINDS:
            start, end = window(election, kind)
            if now >= end and not any(counts.get((kind, election.id, s)) for s in ("sent", "opted_out")):
                continue  # long past and nothing went out: not worth a line
            if kind == "eve":
                waiting = session.exec(select(func.count()).select_from(Application).where(
                    Application.election_id == election.id, Application.status == "submitted",
                    Application.voter_id.not_in(_done(session, "eve", election.id)))).one()
            else:
                waiting = session.exec(select(func.count()).select_from(Voter).where(
                    Voter.territory_id == election.territory_id,
                    _logged_in(),
                    Voter.id.not_in(select(Application.voter_id).where(Application.election_id == election.id)),
                    Voter.id.not_in(_done(session, "deadline", election.id)))).one()
            nxt, tz = next_send(election, kind, now), zone(election)
            result.append({
                "kind": kind, "election_id": election.id,
                "election": elections.title(election.kind, localized(territory, "name", lang), election.is_demo, lang),
                "window": f"{local_text(start, MINUTE, tz)} – {local_text(end, MINUTE, tz)}",
                "next": local_text(nxt, MINUTE, tz) if nxt else "",
                "waiting": waiting if nxt else 0,
                "sent": counts.get((kind, election.id, "sent"), 0),
                "opted_out": counts.get((kind, election.id, "opted_out"), 0),
            })
    return result


def recent(session: Session, limit: int = 50) -> list[dict]:
    """The latest reminders that went out (no names or contacts: kind, election, time in the
    election's zone, status)."""
    rows = session.exec(select(Reminder, Election.timezone).join(Election, Election.id == Reminder.election_id)
                        .order_by(Reminder.id.desc()).limit(limit)).all()
    return [{"id": r.id, "kind": r.kind, "election_id": r.election_id, "status": r.status,
             "at": local_text(r.created_at, "%d.%m.%Y %H:%M:%S", zone(name))} for r, name in rows]
