"""How sure we are that the person acting online is the voter: one rule for every writer of an
application on the voter's behalf.

Each voter session (models.UserSession) records how it began (`method`) and when its voter last
entered an SMS code sent to the phone on file (`stepped_up_at`). Filing, changing (precinct or
contacts) and withdrawing an application online need, in the session that asks:

- a session begun with an SMS code to the phone on file (`sms`) or with the national eID (`eid`):
  allowed for the session's whole life (its idle and absolute limits end it), no further code;
- a session begun any other way (`face`: a biometric is not an authenticator on its own, NIST
  SP 800-63B 5.2.3; `qr`: the approving phone may itself have logged in by FaceID): allowed only
  with a step-up, an SMS code to the phone on file entered in this very session no more than
  STEP_UP_MINUTES ago (`prove`). The proof belongs to the session row: another session, tab of
  another browser or a later login does not inherit it.

The writers (`applications.submit` / `change` / `withdraw`) take the id of the acting session row
and load it here, in their own transaction: the proof is never a flag the caller hands over.
Without it they raise `StepUpRequired`. Commission staff filing in person act under their own
login (staff actor, audited, the voter told by SMS to the phone on file), not under this rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from remote_vote_app.models import UserSession
from remote_vote_app.services.identity import auth, sessions
from remote_vote_app.services.clock import now_utc
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.messaging.notifications import Sender

STEP_UP_MINUTES = 10
# Sessions begun by proving possession of the phone on file, or by the national eID.
PROVING_METHODS = frozenset({"sms", "eid"})


class StepUpRequired(ServiceError):
    """This session must first confirm with the SMS code sent to the phone on file."""

    def __init__(self) -> None:
        super().__init__("error.step_up_required")


def begun_proved(method: str) -> bool:
    """Whether a session begun by `method` may file, change and withdraw without a step-up."""
    return method in PROVING_METHODS


@dataclass(frozen=True)
class Assurance:
    session_row: int
    voter_id: int
    method: str
    stepped_up_at: dt.datetime | None

    def sufficient(self, now: dt.datetime) -> bool:
        if begun_proved(self.method):
            return True
        at = self.stepped_up_at
        return at is not None and now - dt.timedelta(minutes=STEP_UP_MINUTES) <= at <= now


_ROW = UserSession.__table__.c
_SESSION = sa.select(_ROW.id, _ROW.kind, _ROW.subject_id, _ROW.method, _ROW.ended_at, _ROW.expires_at,
                     _ROW.last_seen_at, _ROW.stepped_up_at).where(_ROW.id == sa.bindparam("row"))  # Core: every filing


def load(session: Session, session_row: int | None, voter_id: int, now: dt.datetime | None = None) -> Assurance:
    """The live voter session `session_row` of `voter_id`, read in the caller's transaction. No
    session: StepUpRequired; a session that is over (ended, outlived or idle past the limit) or
    someone else's: Forbidden."""
    now = now or now_utc()
    if not session_row:
        raise StepUpRequired()
    row = session.connection().execute(_SESSION, {"row": int(session_row)}).first()
    if (row is None or row.kind != "voter" or row.subject_id != voter_id or row.ended_at is not None
            or row.expires_at <= now or now - row.last_seen_at > sessions.idle_limit()):
        raise Forbidden("error.forbidden")
    return Assurance(row.id, row.subject_id, row.method, row.stepped_up_at)


def needed(session: Session, session_row: int | None, voter_id: int, now: dt.datetime | None = None) -> bool:
    """Whether this session must confirm with a code before it may file, change or withdraw."""
    now = now or now_utc()
    return not load(session, session_row, voter_id, now).sufficient(now)


def require(session: Session, session_row: int | None, voter_id: int, now: dt.datetime | None = None) -> Assurance:
    """The acting session's assurance, or StepUpRequired: the writers' check."""
    now = now or now_utc()
    found = load(session, session_row, voter_id, now)
    if not found.sufficient(now):
        raise StepUpRequired()
    return found


def challenge(session: Session, session_row: int | None, voter_id: int, sender: Sender, lang: str,
              now: dt.datetime | None = None) -> auth.Challenge | None:
    """A step-up code to the phone on file when this session needs one; None when it does not."""
    now = now or now_utc()
    if not needed(session, session_row, voter_id, now):
        return None
    return auth.send_code(session, voter_id, "step_up", sender, lang, now)


def prove(session: Session, session_row: int | None, voter_id: int, token: str, code: str, client: str,
          now: dt.datetime | None = None) -> None:
    """Check a step-up code (auth.verify_code: single use, counted tries, audited) and record the
    proof on this session row; a wrong code raises and records nothing."""
    now = now or now_utc()
    found = load(session, session_row, voter_id, now)
    auth.verify_code(session, token, code, client, now, purpose="step_up", voter_id=voter_id)
    sessions.record_step_up(session, found.session_row, now)
