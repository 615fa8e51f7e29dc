"""Election-day check-in at a remote precinct: the signed roster, 'ballot issued' once, and flags.

A commission member's device downloads its precinct's roster (signed with the pass key; it holds
no PIN and nothing a PIN could be recovered from) before the day, identifies voters by their pass,
reference or document, marks them online or not, and sends each mark with an id it chose. The
server is the judge when a mark arrives; what the device says about the mark (its time, method,
whether it was offline) is kept as a claim beside the server's receipt time:

- a mark id seen before gets the answer it got then (a resend after a lost answer changes nothing);
- a `qr` mark must carry the pass the device scanned: the server verifies its signature and that it
  names the mark's reference, election and version, else the mark is flagged `bad_pass`;
- the first mark of a voter in an election becomes the `BallotIssue` (one per voter and election:
  a unique constraint, so two concurrent check-ins at two precincts leave one);
- the ballot's time is the receipt time, except for a mark the device made offline, whose own time
  is taken if it falls within election day's opening hours and not after receipt; a claimed time
  outside them is replaced by the receipt time and flagged `bad_time` (the ballot stays issued: it
  was handed out);
- anything else becomes a `CheckinFlag`: a second check-in here or at another precinct (`repeat`
  for an attempt the device refused, `conflict` when the device says it handed out a ballot), a
  pass whose application has changed or been withdrawn since (`stale`), an application for another
  precinct (`other_precinct`) or no such application (`not_listed`). Nothing is dropped silently.
- a malformed mark is answered `invalid` on its own (and audited); the others are still decided.

Marks the device refused itself (it knew the voter was marked, or the pass was stale) arrive as
attempts (`issued` false) and are flagged the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from remote_vote_app.models import (Application, BallotIssue, CheckinFlag, Election, Precinct, StaffAccount,
                                    UserSession, Voter)
from remote_vote_app.services import audit
from remote_vote_app.services.applications import passes
from remote_vote_app.services.applications.applications import normalize_reference
from remote_vote_app.services.clock import at_local, common_zone, local_date, local_text, now_utc, zone
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.identity.staff import StaffUser, require
from remote_vote_app.settings import settings

FLAG_KINDS = ("repeat", "conflict", "stale", "other_precinct", "not_listed", "bad_pass", "bad_time", "too_early")
DEVICE_REASONS = ("repeat", "conflict", "stale", "other_precinct", "not_listed", "too_early")  # why a device refuses
METHODS = ("qr", "reference", "document")
MARK_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MARKS_PER_SYNC = 500
MAX_PASS_CHARS = 2048
CLOCK_SLACK = dt.timedelta(minutes=5)  # a device clock a little off is accepted as it is
OPENING_HOURS = (dt.time(8, 0), dt.time(20, 0))  # election day, in the election's time zone
# The feed's cursor is one integer: (last ballot id) * FEED_SPLIT + (last flag id); both stay far
# below 2**26 per installation, so the cursor stays an exact JavaScript number.
FEED_SPLIT = 2 ** 26
FEED_LIMIT = 1000
# A row whose id is below the cursor may commit after a higher one was read (PostgreSQL sequences);
# the cursor only moves past rows received this long ago, so the feed repeats the latest ones
# (the desk merges by reference) instead of missing one.
FEED_LAG = dt.timedelta(seconds=30)
TIME_FORMAT = "%d.%m.%Y %H:%M"


@dataclass(frozen=True)
class Mark:
    """One 'ballot issued' press (or a refused attempt) as the device sends it. `at`, `method`
    and `offline` are the device's claims."""

    id: str
    reference: str
    version: int | None = None  # the pass's (or roster's) version the device compared
    at: dt.datetime | None = None
    method: str = "reference"
    offline: bool = False
    issued: bool = True  # False: the device refused it itself; recorded as a flag
    reason: str = ""  # the device's reason for a refusal (one of DEVICE_REASONS)
    pass_token: str | None = None  # the pass a `qr` mark was made with ("" if unusable)


@dataclass(frozen=True)
class Invalid:
    """A mark the server cannot read; answered on its own so it blocks no other mark."""

    id: str | None
    error: str
    index: int


def parse_marks(payload: object) -> list[Mark | Invalid]:
    """The sync route's JSON body ({"marks": [...]}): a body of another shape is refused whole
    (ServiceError); each mark is read on its own, a malformed one becomes an `Invalid`."""
    items = payload.get("marks") if isinstance(payload, dict) else None
    if not isinstance(items, list) or len(items) > MAX_MARKS_PER_SYNC:
        raise ServiceError("error.checkin_bad_request")
    return [_parse_mark(index, item) for index, item in enumerate(items)]


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_mark(index: int, item: object) -> Mark | Invalid:
    if not isinstance(item, dict):
        return Invalid(None, "not_an_object", index)
    mark_id = item.get("id")
    if not isinstance(mark_id, str) or not MARK_ID.match(mark_id):
        # A string id is echoed (cut to the column's size) so the device can match the answer.
        return Invalid(mark_id[:64] if isinstance(mark_id, str) else None, "bad_id", index)

    def bad(error: str) -> Invalid:
        return Invalid(mark_id, error, index)

    reference, version, at = item.get("ref"), item.get("v"), item.get("at")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 20:
        return bad("bad_reference")
    if version is not None and not _integer(version):
        return bad("bad_version")
    when = None
    if at is not None:
        if isinstance(at, bool) or not isinstance(at, (int, float)):
            return bad("bad_at")
        try:
            when = dt.datetime.fromtimestamp(at / 1000, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return bad("bad_at")
    method = item.get("method", "reference")
    if method not in METHODS:
        return bad("bad_method")
    for name in ("offline", "issued"):
        if name in item and not isinstance(item[name], bool):
            return bad(f"bad_{name}")
    token = item.get("pass")
    reason = item.get("reason")
    return Mark(
        id=mark_id, reference=reference, version=version, at=when, method=method,
        offline=item.get("offline", False), issued=item.get("issued", True),
        reason=reason if reason in DEVICE_REASONS else "",
        pass_token=None if token is None else (token if isinstance(token, str) and len(token) <= MAX_PASS_CHARS else ""),
    )


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
    """The election day the roster is for: the next one still to come (or today, in its election's
    zone), else the latest."""
    now = now or now_utc()
    days = sorted(session.exec(select(Election.election_day, Election.timezone).distinct()).all())
    coming = [day for day, name in days if day >= local_date(now, zone(name))]
    return coming[0] if coming else (days[-1][0] if days else None)


def roster_key(session: Session, session_row_id: int) -> str:
    """The key the device encrypts its stored roster with (AES-GCM, 256 bits, base64url): derived
    from SECRET_KEY and the staff session's row, so it is the same for the whole session, another
    for the next one, and gone with the session (the route hands it only to a live one)."""
    row = session.get(UserSession, session_row_id)
    if row is None or row.kind != "staff":
        raise Forbidden("error.forbidden")
    info = f"checkin-roster-key:{row.id}:{row.created_at.isoformat()}".encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(settings.secret_key.encode())
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _day_elections(session: Session, day: dt.date | None) -> dict[int, ZoneInfo]:
    """The elections of `day`: id -> time zone (one query: the lists built from it need no look-up per row)."""
    return {election_id: zone(name) for election_id, name in session.exec(
        select(Election.id, Election.timezone).where(Election.election_day == day))} if day else {}


def roster(session: Session, user: StaffUser, actor: str, now: dt.datetime | None = None,
           session_row_id: int | None = None) -> dict:
    """The precinct's active applications for the election day, signed (`token`, a JWS the browser
    verifies before it trusts a stored copy). An entry names the voter and the document to compare
    with the card; no PIN travels, masked or hashed. With `session_row_id`, the answer also carries
    the session's roster key; `cursor` is where the desk's coordination feed starts. Audited."""
    precinct = _precinct(session, user)
    now = now or now_utc()
    day = checkin_day(session, now)
    cursor = _cursor_now(session, precinct, day, now)
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
    entries = []
    for a, v, e in rows:
        mark = issued.get((e.id, v.id))
        entries.append({
            "ref": a.reference, "election": e.id, "v": a.version,
            "name": " ".join(x for x in (v.last_name, v.first_name, v.patronymic) if x),
            "doc": v.document_number, "birth": v.birth_date.strftime("%d.%m.%Y"),
            "issued": bool(mark), "issued_at": local_text(mark.marked_at, TIME_FORMAT, zone(e)) if mark else "",
        })
    payload = {"precinct": precinct.number, "day": day.isoformat() if day else "",
               "generated_at": int(now.timestamp()), "entries": entries,
               **roster_clock(session.exec(select(Election.timezone).where(Election.election_day == day)).all()
                              if day else [])}
    audit.record(session, actor, "checkin.roster_downloaded", "precinct", precinct.number, rows=len(entries))
    result = {"token": passes.sign_document(payload), "count": len(entries), "precinct": precinct.number,
              "cursor": cursor}
    if session_row_id is not None:
        result["key"] = roster_key(session, session_row_id)
    return result


def roster_clock(zone_names: list[str]) -> dict:
    """What the desk needs to reckon the day and the opening time as the server does: the zone of the
    day's elections (their names; SERVICE_ZONE if they differ) and `opens`, the local time from which
    a ballot may be issued (opening less CLOCK_SLACK; "" in demo mode, which takes marks on any day)."""
    opens = (dt.datetime.combine(dt.date(2000, 1, 1), OPENING_HOURS[0]) - CLOCK_SLACK).strftime("%H:%M")
    return {"zone": common_zone(zone_names).key, "opens": "" if settings.demo_mode else opens}


def _member(full_name: str | None, username: str | None) -> str:
    return (full_name or "").strip() or username or ""


def _opening_hours(election: Election) -> tuple[dt.datetime, dt.datetime]:
    opens, closes = (at_local(election.election_day, t, zone(election)) for t in OPENING_HOURS)
    return opens, closes


def _time_text(session: Session, election_id: int | None, moment: dt.datetime) -> str:
    """A mark's time as desks and the dashboard show it, in its election's zone (a flag on a pass
    of no known election: the service's)."""
    return local_text(moment, TIME_FORMAT, zone(session.get(Election, election_id) if election_id else None))


@dataclass(frozen=True)
class _Time:
    at: dt.datetime  # the ballot's (or flag's) time as the server decides it
    from_device: bool  # the device's time was taken (an offline mark within opening hours)
    refused: bool  # the device said offline but its time could not be taken: bad_time


def _decide_time(session: Session, mark: Mark, application: Application | None, received: dt.datetime) -> _Time:
    """Online marks take the receipt time. An offline mark's own time is taken only within election
    day's opening hours (with CLOCK_SLACK) and not after receipt."""
    if not mark.offline:
        return _Time(received, False, False)
    election = session.get(Election, application.election_id) if application else None
    if mark.at is None or election is None:
        return _Time(received, False, mark.at is None and election is not None)
    opens, closes = _opening_hours(election)
    if opens - CLOCK_SLACK <= mark.at <= min(closes, received) + CLOCK_SLACK:
        return _Time(min(mark.at, received), True, False)
    return _Time(received, False, True)


def polls_open_at(election: Election) -> dt.datetime | None:
    """From when the server takes a ballot as issued: election day's opening, in the election's zone,
    less CLOCK_SLACK. None in demo mode, which takes marks on any day, so the desk can be tried on an
    election still weeks away (README says so)."""
    if settings.demo_mode:
        return None
    opens, _closes = _opening_hours(election)
    return opens - CLOCK_SLACK


@dataclass(frozen=True)
class Facts:
    """What the server knows of a mark when it decides it (the words of tests/cases/checkin_rules.json)."""

    issued: bool  # the device says it handed out a ballot (False: an attempt it refused itself)
    received: dt.datetime
    pass_problem: str = ""  # why the pass cannot stand ("" if it can, or none was needed)
    listed: bool = True  # an application with the mark's reference exists
    marked: bool = False  # the voter already holds a ballot of that election
    here: bool = True  # the application is for this desk's precinct
    current: bool = True  # the application is submitted, at the version the device compared
    reason: str = ""  # the device's reason for an attempt
    polls_open_at: dt.datetime | None = None  # see polls_open_at


def decide(facts: Facts) -> str:
    """The server's rule for one mark, pure: "issue", or the kind of the flag it becomes."""
    if facts.pass_problem:
        return "bad_pass"
    if not facts.listed:
        return "not_listed"
    if facts.marked:
        return "conflict" if facts.issued else "repeat"
    if not facts.here:
        return "other_precinct"
    if not facts.current:
        return "stale"
    if not facts.issued:  # refused on the device for a reason the server no longer sees: keep the device's
        return facts.reason or "repeat"
    if facts.polls_open_at is not None and facts.received < facts.polls_open_at:
        # No ballot can have been handed out yet, whatever the device says: marking voters in advance
        # would turn each of them away on the day.
        return "too_early"
    return "issue"


def _claims(mark: Mark) -> dict:
    """What the device says, for the audit (named so, never as facts)."""
    return {"device_says_at": mark.at.isoformat() if mark.at else None, "device_says_method": mark.method,
            "device_says_offline": mark.offline}


def _flag(session: Session, user: StaffUser, precinct: Precinct, mark: Mark, kind: str, actor: str,
          received: dt.datetime, application: Application | None = None, first: BallotIssue | None = None,
          problem: str = "", version: int | None = None) -> dict:
    when = _decide_time(session, mark, application, received)
    flag = CheckinFlag(
        mark_id=mark.id, kind=kind,
        reference=application.reference if application else normalize_reference(mark.reference)[:12],
        election_id=application.election_id if application else None,
        voter_id=application.voter_id if application else None, precinct_id=precinct.id, staff_id=user.id,
        pass_version=mark.version if version is None else version,
        current_version=application.version if application else None,
        first_issue_id=first.id if first else None, ballot_issued=mark.issued,
        offline=when.from_device, marked_at=when.at, received_at=received,
        claimed_at=mark.at, claimed_method=mark.method, claimed_offline=mark.offline,
    )
    if not _inserted(session, flag):
        # The same mark, synced twice at once (a retry racing the first sync): its flag is already there.
        return _flag_result(session, _flagged(session, mark.id))
    audit.record(session, actor, f"checkin.flagged.{kind}", "application", flag.reference, precinct=precinct.number,
                 mark=mark.id, ballot_issued=flag.ballot_issued, marked_at=flag.marked_at.isoformat(),
                 received_at=received.isoformat(), **({"problem": problem} if problem else {}), **_claims(mark))
    return _flag_result(session, flag)


def _inserted(session: Session, row: CheckinFlag | BallotIssue) -> bool:
    """Insert `row` under a savepoint; False, and the row dropped, when a unique key says another
    transaction inserted its twin first (the outer transaction goes on, on SQLite and PostgreSQL)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        session.expunge(row) if row in session else None
        return False
    return True


def _flagged(session: Session, mark_id: str) -> CheckinFlag | None:
    return session.exec(select(CheckinFlag).where(CheckinFlag.mark_id == mark_id)).first()


def _flag_result(session: Session, flag: CheckinFlag) -> dict:
    result = {"id": flag.mark_id, "status": "refused", "kind": flag.kind, "ref": flag.reference}
    if flag.first_issue_id:
        first, number, full_name, username = session.exec(
            select(BallotIssue, Precinct.number, StaffAccount.full_name, StaffAccount.username)
            .join(Precinct, Precinct.id == BallotIssue.precinct_id)
            .join(StaffAccount, StaffAccount.id == BallotIssue.staff_id)
            .where(BallotIssue.id == flag.first_issue_id)).one()
        result.update(first_precinct=number, first_at=_time_text(session, first.election_id, first.marked_at),
                      first_member=_member(full_name, username))
    return result


def _issue_result(session: Session, issue: BallotIssue, reference: str | None = None) -> dict:
    if reference is None:
        reference = session.get(Application, issue.application_id).reference
    result = {"id": issue.mark_id, "status": "issued", "ref": reference,
              "at": _time_text(session, issue.election_id, issue.marked_at)}
    if issue.claimed_offline and not issue.offline:
        result["bad_time"] = True  # the device's time was not taken: the receipt time stands
    return result


def _invalid(session: Session, precinct: Precinct, mark: Invalid, actor: str) -> dict:
    audit.record(session, actor, "checkin.mark_invalid", "checkin_mark", mark.id or f"#{mark.index}",
                 precinct=precinct.number, error=mark.error)
    result = {"id": mark.id, "status": "invalid", "error": mark.error}
    if mark.id is None:
        result["index"] = mark.index
    return result


def _pass_problem(mark: Mark, application: Application | None) -> tuple[str, int | None]:
    """Why a `qr` mark's pass cannot stand ("" if it can), and the version the pass names."""
    if not mark.pass_token:
        return ("missing" if mark.pass_token is None else "unreadable"), None
    try:
        claims = passes.verify(mark.pass_token)
    except passes.PassError:
        return "invalid", None
    if claims["ref"] != normalize_reference(mark.reference) \
            or (mark.version is not None and claims["v"] != mark.version) \
            or (application is not None and claims["election"] != application.election_id):
        return "mismatch", claims["v"]
    return "", claims["v"]


def record(session: Session, user: StaffUser, mark: Mark | Invalid, actor: str, now: dt.datetime | None = None) -> dict:
    """Decide one mark (see the module's docstring); returns {id, status: issued | refused | invalid, ...}."""
    precinct = _precinct(session, user)
    if isinstance(mark, Invalid):
        return _invalid(session, precinct, mark, actor)
    if not MARK_ID.match(mark.id):
        return _invalid(session, precinct, Invalid(mark.id[:64], "bad_id", 0), actor)
    received = now or now_utc()
    seen = session.exec(select(BallotIssue).where(BallotIssue.mark_id == mark.id)).first()
    if seen is not None:
        return _issue_result(session, seen)
    flagged = _flagged(session, mark.id)
    if flagged is not None:
        return _flag_result(session, flagged)
    application = session.exec(select(Application).where(Application.reference == normalize_reference(mark.reference))
                               .with_for_update()).first()
    version, problem = mark.version, ""
    # A pass is checked whenever one came, and must come with a ballot issued by QR: the device's
    # own verification is not the server's.
    if mark.method == "qr" and (mark.issued or mark.pass_token is not None):
        problem, version = _pass_problem(mark, application)
    if problem or application is None:
        kind = decide(Facts(mark.issued, received, pass_problem=problem, listed=application is not None))
        return _flag(session, user, precinct, mark, kind, actor, received, application, problem=problem,
                     version=version if problem else None)
    first = session.exec(select(BallotIssue).where(BallotIssue.election_id == application.election_id,
                                                   BallotIssue.voter_id == application.voter_id)).first()
    kind = decide(Facts(
        mark.issued, received, marked=first is not None, here=application.remote_precinct_id == precinct.id,
        current=application.status == "submitted" and (version is None or version == application.version),
        reason=mark.reason, polls_open_at=polls_open_at(session.get(Election, application.election_id))))
    if kind != "issue":
        return _flag(session, user, precinct, mark, kind, actor, received, application, first, version=version)
    when = _decide_time(session, mark, application, received)
    issue = BallotIssue(mark_id=mark.id, election_id=application.election_id, voter_id=application.voter_id,
                        application_id=application.id, precinct_id=precinct.id, staff_id=user.id,
                        pass_version=application.version, method=mark.method, offline=when.from_device,
                        marked_at=when.at, received_at=received, claimed_at=mark.at, claimed_method=mark.method,
                        claimed_offline=mark.offline)
    if not _inserted(session, issue):
        # Another check-in of this voter (or this very mark) committed between our read and write.
        again = session.exec(select(BallotIssue).where(BallotIssue.mark_id == mark.id)).first()
        if again is not None:
            return _issue_result(session, again)
        first = session.exec(select(BallotIssue).where(BallotIssue.election_id == application.election_id,
                                                       BallotIssue.voter_id == application.voter_id)).first()
        return _flag(session, user, precinct, mark, "conflict", actor, received, application, first, version=version)
    audit.record(session, actor, "checkin.ballot_issued", "application", application.reference,
                 precinct=precinct.number, mark=mark.id, method=mark.method, marked_at=issue.marked_at.isoformat(),
                 received_at=received.isoformat(), time_from_device=when.from_device, **_claims(mark))
    if when.refused:
        # Issued all the same (the ballot was handed out), at the receipt time, and flagged.
        _flag(session, user, precinct, mark, "bad_time", actor, received, application, issue, version=version)
    return _issue_result(session, issue, application.reference)


def sync(session: Session, user: StaffUser, marks: list[Mark | Invalid], actor: str,
         now: dt.datetime | None = None) -> list[dict]:
    """Marks in the order the device took them; each decided on its own (see `record`)."""
    _precinct(session, user)
    return [record(session, user, mark, actor, now) for mark in marks]


# --- the desks' coordination feed ---

def parse_cursor(raw: object) -> int:
    try:
        cursor = int(str(raw or "0"))
    except ValueError:
        raise ServiceError("error.checkin_bad_request") from None
    if not 0 <= cursor < 2 ** 53:
        raise ServiceError("error.checkin_bad_request")
    return cursor


def _cursor_now(session: Session, precinct: Precinct, day: dt.date | None, now: dt.datetime) -> int:
    """The feed's cursor before anything received within FEED_LAG (used with a fresh roster)."""
    settled = now - FEED_LAG
    issue_id = session.exec(select(func.max(BallotIssue.id)).where(BallotIssue.precinct_id == precinct.id,
                                                                 BallotIssue.received_at <= settled)).one()
    flag_id = session.exec(select(func.max(CheckinFlag.id)).where(CheckinFlag.received_at <= settled)).one()
    return (issue_id or 0) * FEED_SPLIT + (flag_id or 0)


def _advance(rows: list, since: int, settled: dt.datetime) -> int:
    """The cursor after `rows` (ordered by id): past the leading ones received before `settled`."""
    for row_id, received_at in ((r[0], r[1]) for r in rows):
        if received_at > settled:
            break
        since = row_id
    return since


def feed(session: Session, user: StaffUser, cursor: int, now: dt.datetime | None = None) -> dict:
    """What the precinct's desks marked since `cursor`: ballots issued here and conflicts involving
    this precinct (two members issued a ballot to one voter), for the desk's poll. Two indexed
    queries, no per-row look-ups."""
    precinct = _precinct(session, user)
    now = now or now_utc()
    settled = now - FEED_LAG
    since_issue, since_flag = divmod(cursor, FEED_SPLIT)
    zones = _day_elections(session, checkin_day(session, now))
    issues = session.exec(
        select(BallotIssue.id, BallotIssue.received_at, BallotIssue.marked_at, Application.reference,
               StaffAccount.full_name, StaffAccount.username, BallotIssue.election_id)
        .join(Application, Application.id == BallotIssue.application_id)
        .join(StaffAccount, StaffAccount.id == BallotIssue.staff_id)
        .where(BallotIssue.precinct_id == precinct.id, BallotIssue.id > since_issue,
               BallotIssue.election_id.in_(list(zones) or [0]))
        .order_by(BallotIssue.id).limit(FEED_LIMIT)).all()
    first = aliased(BallotIssue)
    first_staff, first_precinct, staff_row, where = (aliased(StaffAccount), aliased(Precinct), aliased(StaffAccount),
                                                    aliased(Precinct))
    conflicts = session.exec(
        select(CheckinFlag.id, CheckinFlag.received_at, CheckinFlag.marked_at, CheckinFlag.reference, CheckinFlag.kind,
               staff_row.full_name, staff_row.username, where.number,
               first.marked_at, first_staff.full_name, first_staff.username, first_precinct.number,
               Election.timezone)
        .join(staff_row, staff_row.id == CheckinFlag.staff_id)
        .join(where, where.id == CheckinFlag.precinct_id)
        .join(first, first.id == CheckinFlag.first_issue_id)
        .join(first_staff, first_staff.id == first.staff_id)
        .join(first_precinct, first_precinct.id == first.precinct_id)
        .join(Election, Election.id == first.election_id)
        .where(CheckinFlag.kind == "conflict", CheckinFlag.id > since_flag,
               or_(CheckinFlag.precinct_id == precinct.id, first.precinct_id == precinct.id))
        .order_by(CheckinFlag.id).limit(FEED_LIMIT)).all()
    return {
        "cursor": _advance(issues, since_issue, settled) * FEED_SPLIT + _advance(conflicts, since_flag, settled),
        "issued": [{"ref": r[3], "at": local_text(r[2], TIME_FORMAT, zones[r[6]]), "member": _member(r[4], r[5]),
                    "precinct": precinct.number} for r in issues],
        "incidents": [{"ref": r[3], "kind": r[4], "members": [_member(r[9], r[10]), _member(r[5], r[6])],
                       "times": [local_text(moment, TIME_FORMAT, zone(r[12])) for moment in (r[8], r[2])],
                       "precincts": [r[11], r[7]]} for r in conflicts],
    }


# --- the commission's dashboard ---

def issued_counts(session: Session, election_id: int) -> dict[int, int]:
    """Ballots issued per remote precinct id in one election (the dashboard's column)."""
    return dict(session.exec(select(BallotIssue.precinct_id, func.count()).where(BallotIssue.election_id == election_id)
                             .group_by(BallotIssue.precinct_id)).all())


def flags(session: Session, election_day: dt.date, limit: int = 50) -> dict:
    """Flags of an election day for the dashboard: counts per kind and the latest ones."""
    zones = _day_elections(session, election_day)
    in_day = CheckinFlag.election_id.in_(list(zones) or [0])
    counts = dict(session.exec(select(CheckinFlag.kind, func.count()).where(in_day).group_by(CheckinFlag.kind)).all())
    first, first_precinct = aliased(BallotIssue), aliased(Precinct)
    rows = session.exec(
        select(CheckinFlag, Precinct.number, first_precinct.number)
        .join(Precinct, Precinct.id == CheckinFlag.precinct_id)
        .join(first, first.id == CheckinFlag.first_issue_id, isouter=True)
        .join(first_precinct, first_precinct.id == first.precinct_id, isouter=True)
        .where(in_day).order_by(CheckinFlag.id.desc()).limit(limit)).all() if limit else []
    latest = [{
        "kind": flag.kind, "reference": flag.reference, "precinct": number,
        "at": local_text(flag.marked_at, TIME_FORMAT, zones[flag.election_id]),
        "first_precinct": first_number if first_number and flag.kind != "bad_time" else "",
        "versions": f"{flag.pass_version} / {flag.current_version}" if flag.kind == "stale" else "",
        "ballot_issued": flag.ballot_issued, "offline": flag.claimed_offline,
        "claimed_at": local_text(flag.claimed_at, TIME_FORMAT, zones[flag.election_id]) if flag.claimed_at else "",
    } for flag, number, first_number in rows]
    return {"counts": {kind: counts.get(kind, 0) for kind in FLAG_KINDS}, "latest": latest}


def incidents(session: Session, election_day: dt.date, limit: int = 50) -> list[dict]:
    """Ballots issued twice to one voter (two desks, usually offline), latest first: the two members,
    precincts and times, as the commission's dashboard shows them. One query."""
    first, first_staff, first_precinct = aliased(BallotIssue), aliased(StaffAccount), aliased(Precinct)
    zones = _day_elections(session, election_day)
    rows = session.exec(
        select(CheckinFlag.reference, CheckinFlag.marked_at, CheckinFlag.offline,
               StaffAccount.full_name, StaffAccount.username, Precinct.number,
               first.marked_at, first.offline, first_staff.full_name, first_staff.username, first_precinct.number,
               CheckinFlag.election_id)
        .join(StaffAccount, StaffAccount.id == CheckinFlag.staff_id)
        .join(Precinct, Precinct.id == CheckinFlag.precinct_id)
        .join(first, first.id == CheckinFlag.first_issue_id)
        .join(first_staff, first_staff.id == first.staff_id)
        .join(first_precinct, first_precinct.id == first.precinct_id)
        .where(CheckinFlag.kind == "conflict", CheckinFlag.election_id.in_(list(zones) or [0]))
        .order_by(CheckinFlag.id.desc()).limit(limit)).all()
    return [{"reference": r[0],
             "members": [_member(r[8], r[9]), _member(r[3], r[4])],
             "precincts": [r[10], r[5]],
             "times": [local_text(r[6], TIME_FORMAT, zones[r[11]]), local_text(r[1], TIME_FORMAT, zones[r[11]])],
             "offline": [r[7], r[2]]}  # the time is the device's (taken within opening hours)
            for r in rows]
