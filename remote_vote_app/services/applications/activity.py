"""The voter's activity log and "this wasn't me" reports.

The log is read from the audit trail: entity "application" rows of the voter's own applications
(by reference: filed online or at a commission, changed, withdrawn, pass checked in, reminders),
and the "auth" rows about the voter (subject voter:<id>) that set a FaceID reference photo. Each
line says when and through which channel (online in the cabinet, at a commission, by the system),
never which staff member.

A report names one event of the voter's own log; staff (the TEC of the voter's territory, or the
CEC) read it on the dashboard and answer; the answer is shown in the voter's cabinet. Filing and
answering are audited.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, select

from remote_vote_app.i18n import has, t
from remote_vote_app.models import ActivityReport, Application, AuditEvent, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.identity import ratelimit, staff
from remote_vote_app.services.clock import SERVICE_ZONE, local_text, now_utc
from remote_vote_app.errors import NotFound, ServiceError
from remote_vote_app.services.identity.staff import StaffUser

# Voter-facing events (the rest of the audit trail stays for staff).
APPLICATION_ACTIONS = ("application.submitted", "application.changed", "application.withdrawn",
                       "checkin.ballot_issued", "reminder.sent")
AUTH_ACTIONS = ("auth.face_reference.set",)
# A desk's decisions about the voter in identification mode (entity "voter"): a ballot issued, a
# provisional mark kept, a second attempt refused, an offline conflict, an offline ballot of another
# district than the register's.
IDENTIFICATION_ACTIONS = ("identification.issue", "identification.provisional", "identification.voted",
                          "identification.conflict", "identification.wrong_district")
ACTIONS = APPLICATION_ACTIONS + AUTH_ACTIONS + IDENTIFICATION_ACTIONS
# "This wasn't me" reports a voter may file (each event once): enough for real doubts, not a flood.
REPORTS_PER_VOTER = ratelimit.parse("10/day")
NOTE_MAX = 500
ANSWER_MAX = 1000


def channel_of(event: AuditEvent | sa.Row) -> str:
    """online | commission | system, from who acted (never the staff member's name)."""
    if event.actor.startswith("voter:"):
        return "online"
    if event.actor.startswith("staff:"):
        return "commission"
    if event.action == "application.submitted":
        details = json.loads(event.details or "{}")
        return "commission" if details.get("channel") == "in_person" else "online" if details.get("channel") else "system"
    return "system"


# SQLAlchemy Core, built once: the cabinet reads the log at every visit. The voter's references
# are a subquery (one statement, not two); rows read like AuditEvent (`.action`, `.details`).
_AUDIT, _REPORT = AuditEvent.__table__, ActivityReport.__table__
_REFERENCES = sa.select(Application.__table__.c.reference).where(
    Application.__table__.c.voter_id == sa.bindparam("voter")).scalar_subquery()
_EVENTS = sa.select(_AUDIT).where(or_(
    and_(_AUDIT.c.entity == "auth", _AUDIT.c.entity_id == sa.bindparam("subject"), _AUDIT.c.action.in_(AUTH_ACTIONS)),
    and_(_AUDIT.c.entity == "voter", _AUDIT.c.entity_id == sa.bindparam("voter_text"),
         _AUDIT.c.action.in_(IDENTIFICATION_ACTIONS)),
    and_(_AUDIT.c.entity == "application", _AUDIT.c.entity_id.in_(_REFERENCES),
         _AUDIT.c.action.in_(APPLICATION_ACTIONS)),
)).order_by(_AUDIT.c.at.desc(), _AUDIT.c.id.desc())
_REPORTS = sa.select(_REPORT.c.audit_event_id, _REPORT.c.status, _REPORT.c.answer).where(
    _REPORT.c.voter_id == sa.bindparam("voter"))


def _events(session: Session, voter_id: int) -> list[sa.Row]:
    return session.connection().execute(_EVENTS, {"subject": f"voter:{voter_id}", "voter_text": str(voter_id),
                                                  "voter": voter_id}).all()


def _action_text(lang: str, action: str) -> str:
    key = f"activity.action.{action}"
    return t(lang, key) if has(key) else action


def log(session: Session, voter_id: int, lang: str) -> list[dict[str, str]]:
    """The voter's own events, newest first, with any report filed about each."""
    reports = {r.audit_event_id: r for r in session.connection().execute(_REPORTS, {"voter": voter_id})}
    rows = []
    for event in _events(session, voter_id):
        channel = channel_of(event)
        report = reports.get(event.id)
        rows.append({
            "id": str(event.id),
            # One log across elections and logins: in the service's zone, not one election's.
            "at": local_text(event.at, "%d.%m.%Y %H:%M", SERVICE_ZONE),
            "action": _action_text(lang, event.action),
            # An identification decision names its precinct instead of an application.
            "reference": event.entity_id if event.entity == "application"
            else str(json.loads(event.details or "{}").get("precinct", "")) if event.entity == "voter" else "",
            "channel": channel,
            "channel_text": t(lang, f"activity.channel.{channel}"),
            "reported": "1" if report else "",
            "report_status": t(lang, f"activity.report.{report.status}") if report else "",
            "answer": report.answer if report else "",
        })
    return rows


def report(session: Session, voter_id: int, event_id: object, note: str = "") -> ActivityReport:
    """File "this wasn't me" about one event of the voter's own log (once per event, REPORTS_PER_VOTER);
    audited."""
    ratelimit.count(REPORTS_PER_VOTER, "activity-report", ratelimit.key(f"voter:{voter_id}"))
    try:
        wanted = int(str(event_id))
    except ValueError:
        raise NotFound("error.activity_event") from None
    event = next((e for e in _events(session, voter_id) if e.id == wanted), None)
    if event is None:  # another voter's event looks exactly like a missing one
        raise NotFound("error.activity_event")
    voter = session.get(Voter, voter_id)
    row = ActivityReport(voter_id=voter_id, audit_event_id=event.id, territory_id=voter.territory_id,
                         note=str(note or "").strip()[:NOTE_MAX], created_at=now_utc())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise ServiceError("error.activity_reported") from None
    audit.record(session, f"voter:{voter_id}", "activity.reported", "activity_report", row.id, audit_event_id=event.id,
                 event_action=event.action)
    return row


def _scope(session: Session, user: StaffUser):
    """cec_admin: every report; tec_operator: the reports of voters of its territory."""
    staff.require(user, "reports.review")
    if user.role == "cec_admin":
        return true()
    return ActivityReport.territory_id.in_(staff.territory_ids(session, user.territory_id or 0))


def for_staff(session: Session, user: StaffUser, lang: str, limit: int = 100) -> list[dict[str, str]]:
    """Reports to review, open ones first (what happened, when, where, the voter's note)."""
    scope = _scope(session, user)
    rows = session.exec(select(ActivityReport, AuditEvent).join(AuditEvent, AuditEvent.id == ActivityReport.audit_event_id)
                        .where(scope).order_by(ActivityReport.status.desc(), ActivityReport.id.desc()).limit(limit)).all()
    result = []
    for row, event in rows:
        commission = ""
        if event.entity == "application":
            application = session.exec(select(Application).where(Application.reference == event.entity_id)).first()
            commission = application.commission if application else ""
        result.append({
            "id": str(row.id), "status": row.status, "status_text": t(lang, f"activity.report.{row.status}"),
            # As in the voter's log: reports are about logins as well as elections.
            "filed": local_text(row.created_at, "%d.%m.%Y %H:%M", SERVICE_ZONE),
            "event_at": local_text(event.at, "%d.%m.%Y %H:%M", SERVICE_ZONE),
            "action": _action_text(lang, event.action), "reference": event.entity_id if event.entity == "application" else "",
            "channel_text": t(lang, f"activity.channel.{channel_of(event)}"), "actor": event.actor, "commission": commission,
            "note": row.note, "answer": row.answer,
        })
    return result


def answer(session: Session, user: StaffUser, report_id: object, text: str) -> ActivityReport:
    """Staff answer a report in their scope; the voter reads the answer in the cabinet. Audited."""
    scope = _scope(session, user)
    try:
        wanted = int(str(report_id))
    except ValueError:
        raise NotFound("error.activity_report") from None
    row = session.exec(select(ActivityReport).where(ActivityReport.id == wanted, scope)).first()
    if row is None:
        raise NotFound("error.activity_report")
    text = str(text or "").strip()[:ANSWER_MAX]
    if not text:
        raise ServiceError("error.activity_answer", field="answer")
    row.answer, row.status, row.answered_at, row.answered_by = text, "answered", now_utc(), user.id
    session.add(row)
    audit.record(session, f"staff:{user.id}", "activity.answered", "activity_report", row.id)
    return row


def open_count(session: Session, user: StaffUser) -> int:
    return len(session.exec(select(ActivityReport.id).where(_scope(session, user), ActivityReport.status == "open")).all())
