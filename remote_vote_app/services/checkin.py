"""Election-day check-in at a remote precinct: the signed roster, 'ballot issued' once, and flags.

A commission member's device downloads its precinct's roster (signed with the pass key) before
the day, verifies passes and marks voters against it, online or not, and sends each mark with an
id the device chose. The server is the judge when a mark arrives:

- a mark id seen before gets the answer it got then (a resend after a lost answer changes nothing);
- the first mark of a voter in an election becomes the `BallotIssue` (one per voter and election:
  a unique constraint, so two concurrent check-ins at two precincts leave one);
- anything else becomes a `CheckinFlag`: a second check-in here or at another precinct (`repeat`,
  or `conflict` when the device had already issued a ballot offline), a pass whose application has
  changed or been withdrawn since (`stale`), an application for another precinct
  (`other_precinct`) or no such application (`not_listed`). Nothing is dropped silently.

Marks the device refused itself (it knew the voter was marked, or the pass was stale) arrive as
attempts (`issued` false) and are flagged the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from remote_vote_app.models import Application, BallotIssue, CheckinFlag, Election, Precinct, Voter
from remote_vote_app.services import audit, passes
from remote_vote_app.services.applications import normalize_reference
from remote_vote_app.services.clock import BISHKEK, local_text, now_utc
from remote_vote_app.services.errors import Forbidden, ServiceError
from remote_vote_app.services.staff import StaffUser, require
from remote_vote_app.services.validation import mask_pin

FLAG_KINDS = ("repeat", "conflict", "stale", "other_precinct", "not_listed")
METHODS = ("qr", "reference", "pin")
MARK_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MARKS_PER_SYNC = 500
CLOCK_SLACK = dt.timedelta(minutes=5)  # a device clock a little ahead is accepted as it is


@dataclass(frozen=True)
class Mark:
    """One 'ballot issued' press (or a refused attempt) as the device sends it."""

    id: str
    reference: str
    version: int | None = None  # the pass's (or roster's) version the device compared
    at: dt.datetime | None = None
    method: str = "reference"
    offline: bool = False
    issued: bool = True  # False: the device refused it itself; recorded as a flag
    reason: str = ""  # the device's reason for a refusal (one of FLAG_KINDS)


def parse_marks(payload: object) -> list[Mark]:
    """The sync route's JSON body ({"marks": [...]}) as marks; anything malformed is refused whole."""
    items = payload.get("marks") if isinstance(payload, dict) else None
    if not isinstance(items, list) or len(items) > MAX_MARKS_PER_SYNC:
        raise ServiceError("error.checkin_bad_request")
    marks = []
    for item in items:
        if not isinstance(item, dict) or not MARK_ID.match(str(item.get("id", ""))):
            raise ServiceError("error.checkin_bad_request")
        version = item.get("v")
        at = None
        if isinstance(item.get("at"), (int, float)):
            try:
                at = dt.datetime.fromtimestamp(item["at"] / 1000, dt.timezone.utc)
            except (OverflowError, OSError, ValueError):
                at = None
        reason = str(item.get("reason", ""))
        marks.append(Mark(
            id=str(item["id"]), reference=str(item.get("ref", ""))[:20],
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            at=at, method=str(item.get("method", "")) if item.get("method") in METHODS else "reference",
            offline=bool(item.get("offline")), issued=item.get("issued", True) is not False,
            reason=reason if reason in FLAG_KINDS else "",
        ))
    return marks


def _precinct(session: Session, user: StaffUser) -> Precinct:
    require(user, "checkin.mark")
    precinct = session.get(Precinct, user.precinct_id) if user.precinct_id else None
    if precinct is None or precinct.kind != "remote":
        raise Forbidden("error.forbidden")
    return precinct


def desk_precinct(session: Session, user: StaffUser) -> str:
    """The number of the remote precinct whose check-in desk this member runs (Forbidden without one)."""
    return _precinct(session, user).number


def checkin_day(session: Session, now: dt.datetime | None = None) -> dt.date | None:
    """The election day the roster is for: the next one still to come (or today), else the latest."""
    today = (now or now_utc()).astimezone(BISHKEK).date()
    days = sorted({d for d in session.exec(select(Election.election_day).distinct())})
    coming = [d for d in days if d >= today]
    return coming[0] if coming else (days[-1] if days else None)


def _pin_hash(salt: str, pin: str) -> str:
    return hashlib.sha256(f"{salt}:{pin}".encode()).hexdigest()


def roster(session: Session, user: StaffUser, actor: str, now: dt.datetime | None = None) -> dict:
    """The precinct's active applications for the election day, signed (`token`, a JWS the browser
    verifies before it trusts a stored copy). PINs travel masked, plus a salted hash so a typed PIN
    can be found offline; the download is audited."""
    precinct = _precinct(session, user)
    now = now or now_utc()
    day = checkin_day(session, now)
    rows = session.exec(
        select(Application, Voter, Election)
        .join(Voter, Voter.id == Application.voter_id)
        .join(Election, Election.id == Application.election_id)
        .where(Application.remote_precinct_id == precinct.id, Application.status == "submitted",
               Election.election_day == day)
        .order_by(Voter.last_name, Voter.first_name, Application.reference)
    ).all() if day else []
    issued = {(b.election_id, b.voter_id): b for b in session.exec(
        select(BallotIssue).where(BallotIssue.election_id.in_({e.id for _, _, e in rows} or {0})))}
    salt = secrets.token_hex(8)
    entries = []
    for a, v, e in rows:
        mark = issued.get((e.id, v.id))
        entries.append({
            "ref": a.reference, "election": e.id, "v": a.version,
            "name": " ".join(x for x in (v.last_name, v.first_name, v.patronymic) if x),
            "pin": mask_pin(v.pin), "pin_hash": _pin_hash(salt, v.pin), "doc": v.document_number,
            "birth": v.birth_date.strftime("%d.%m.%Y"),
            "issued": bool(mark), "issued_at": local_text(mark.marked_at, "%d.%m.%Y %H:%M") if mark else "",
        })
    payload = {"precinct": precinct.number, "day": day.isoformat() if day else "", "salt": salt,
               "generated_at": int(now.timestamp()), "entries": entries}
    audit.record(session, actor, "checkin.roster_downloaded", "precinct", precinct.number, rows=len(entries))
    return {"token": passes.sign_document(payload), "count": len(entries), "precinct": precinct.number}


def _flag(session: Session, user: StaffUser, precinct: Precinct, mark: Mark, kind: str, actor: str,
          application: Application | None = None, first: BallotIssue | None = None) -> dict:
    flag = CheckinFlag(
        mark_id=mark.id, kind=kind, reference=application.reference if application else normalize_reference(mark.reference)[:12],
        election_id=application.election_id if application else None,
        voter_id=application.voter_id if application else None, precinct_id=precinct.id, staff_id=user.id,
        pass_version=mark.version, current_version=application.version if application else None,
        first_issue_id=first.id if first else None, ballot_issued=mark.issued and kind == "conflict",
        offline=mark.offline, marked_at=_when(mark),
    )
    session.add(flag)
    session.flush()
    audit.record(session, actor, f"checkin.flagged.{kind}", "application", flag.reference, precinct=precinct.number,
                 mark=mark.id, offline=mark.offline, ballot_issued=flag.ballot_issued)
    return _flag_result(session, flag)


def _flag_result(session: Session, flag: CheckinFlag) -> dict:
    result = {"id": flag.mark_id, "status": "refused", "kind": flag.kind, "ref": flag.reference}
    first = session.get(BallotIssue, flag.first_issue_id) if flag.first_issue_id else None
    if first is not None:
        result["first_precinct"] = session.get(Precinct, first.precinct_id).number
        result["first_at"] = local_text(first.marked_at, "%d.%m.%Y %H:%M")
    return result


def _issue_result(session: Session, issue: BallotIssue) -> dict:
    application = session.get(Application, issue.application_id)
    return {"id": issue.mark_id, "status": "issued", "ref": application.reference,
            "at": local_text(issue.marked_at, "%d.%m.%Y %H:%M")}


def _when(mark: Mark) -> dt.datetime:
    now = now_utc()
    return mark.at if mark.at is not None and mark.at <= now + CLOCK_SLACK else now


def record(session: Session, user: StaffUser, mark: Mark, actor: str) -> dict:
    """Decide one mark (see the module's docstring); returns {id, status: issued | refused, kind, ...}."""
    precinct = _precinct(session, user)
    if not MARK_ID.match(mark.id):
        raise ServiceError("error.checkin_bad_request")
    seen = session.exec(select(BallotIssue).where(BallotIssue.mark_id == mark.id)).first()
    if seen is not None:
        return _issue_result(session, seen)
    flagged = session.exec(select(CheckinFlag).where(CheckinFlag.mark_id == mark.id)).first()
    if flagged is not None:
        return _flag_result(session, flagged)
    application = session.exec(select(Application).where(Application.reference == normalize_reference(mark.reference))
                               .with_for_update()).first()
    if application is None:
        return _flag(session, user, precinct, mark, "not_listed", actor)
    first = session.exec(select(BallotIssue).where(BallotIssue.election_id == application.election_id,
                                                   BallotIssue.voter_id == application.voter_id)).first()
    if first is not None:
        return _flag(session, user, precinct, mark, "conflict" if mark.issued and mark.offline else "repeat", actor,
                     application, first)
    if application.remote_precinct_id != precinct.id:
        return _flag(session, user, precinct, mark, "other_precinct", actor, application)
    if application.status != "submitted" or (mark.version is not None and mark.version != application.version):
        return _flag(session, user, precinct, mark, "stale", actor, application)
    if not mark.issued:  # refused on the device for a reason the server no longer sees: keep the device's
        return _flag(session, user, precinct, mark, mark.reason or "repeat", actor, application)
    issue = BallotIssue(mark_id=mark.id, election_id=application.election_id, voter_id=application.voter_id,
                        application_id=application.id, precinct_id=precinct.id, staff_id=user.id,
                        pass_version=application.version, method=mark.method, offline=mark.offline,
                        marked_at=_when(mark))
    try:
        with session.begin_nested():
            session.add(issue)
            session.flush()
    except IntegrityError:
        # Another check-in of this voter (or this very mark) committed between our read and write.
        session.expunge(issue) if issue in session else None
        again = session.exec(select(BallotIssue).where(BallotIssue.mark_id == mark.id)).first()
        if again is not None:
            return _issue_result(session, again)
        first = session.exec(select(BallotIssue).where(BallotIssue.election_id == application.election_id,
                                                       BallotIssue.voter_id == application.voter_id)).first()
        return _flag(session, user, precinct, mark, "conflict" if mark.offline else "repeat", actor, application, first)
    audit.record(session, actor, "checkin.ballot_issued", "application", application.reference,
                 precinct=precinct.number, mark=mark.id, method=mark.method, offline=mark.offline,
                 marked_at=issue.marked_at.isoformat())
    return _issue_result(session, issue)


def sync(session: Session, user: StaffUser, marks: list[Mark], actor: str) -> list[dict]:
    """Marks in the order the device took them; each decided on its own (see `record`)."""
    _precinct(session, user)
    return [record(session, user, mark, actor) for mark in marks]


def issued_counts(session: Session, election_id: int) -> dict[int, int]:
    """Ballots issued per remote precinct id in one election (the dashboard's column)."""
    return dict(session.exec(select(BallotIssue.precinct_id, func.count()).where(BallotIssue.election_id == election_id)
                             .group_by(BallotIssue.precinct_id)).all())


def flags(session: Session, election_day: dt.date, limit: int = 50) -> dict:
    """Flags of an election day for the dashboard: counts per kind and the latest ones."""
    election_ids = list(session.exec(select(Election.id).where(Election.election_day == election_day)))
    in_day = CheckinFlag.election_id.in_(election_ids or [0])
    counts = dict(session.exec(select(CheckinFlag.kind, func.count()).where(in_day).group_by(CheckinFlag.kind)).all())
    rows = session.exec(select(CheckinFlag, Precinct).join(Precinct, Precinct.id == CheckinFlag.precinct_id)
                        .where(in_day).order_by(CheckinFlag.id.desc()).limit(limit)).all() if limit else []
    latest = []
    for flag, precinct in rows:
        first = session.get(BallotIssue, flag.first_issue_id) if flag.first_issue_id else None
        latest.append({
            "kind": flag.kind, "reference": flag.reference, "precinct": precinct.number,
            "at": local_text(flag.marked_at, "%d.%m.%Y %H:%M"),
            "first_precinct": session.get(Precinct, first.precinct_id).number if first else "",
            "versions": f"{flag.pass_version} / {flag.current_version}" if flag.kind == "stale" else "",
            "ballot_issued": flag.ballot_issued, "offline": flag.offline,
        })
    return {"counts": {kind: counts.get(kind, 0) for kind in FLAG_KINDS}, "latest": latest}
