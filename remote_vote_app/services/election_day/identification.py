"""Election day under the 2025 law (elections in `identification` mode): the desk identifies a voter
by PIN and document at any precinct, and the server answers with one decision.

Rules, in this order:
- PIN and document must match one register entry, else `not_registered` (the same answer whether
  the PIN is unknown or belongs to another document: the desk learns nothing more);
- a voter holding a ballot of this election anywhere is refused `voted` (where and when);
- a voter not 18 on election day is refused `under_age` (18th birthday on election day may vote);
- at the voter's home precinct: a ballot of the home district (`home`);
- elsewhere inside the home district: refused `wrong_precinct`, "go to precinct X at <address>";
- outside the home district, or where the desk or the voter's home precinct is abroad: a ballot of
  the voter's HOME district (`remote`).

Abroad: a voter's home district is always the district of the home precinct as the election's
data assigns it, also for a precinct abroad (README, "Choices where the law leaves one"). The "only at the home
precinct" rule holds inside the country only: a precinct abroad takes any voter, and a voter
registered abroad may vote at any precinct, always with the home district's ballot.

Issuing is decided by the unique key (election, voter) of IdentifiedBallot: of N desks issuing to
one voter at once, one insert wins and the others answer `voted`. Every answer given to a desk
(refusals at `check`, everything at `issue`, every offline mark at `sync_offline`) is kept as an
IdentificationDecision with an audit event; no PIN or document goes into either.

An offline mark is the device's word (`sync_offline`): the server opens the voter's PIN and
document, finds the voter's home district in the register itself and keeps that as the ballot's
district; the district the desk says it handed out (a provisional mark's choice, a home mark's own
district) is only a claim, kept beside the server's receipt time, and a different one is a
`wrong_district` incident (the ballot still counts as the voter's one ballot).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field, fields, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session

from remote_vote_app.i18n import LANGS, localized, t
from remote_vote_app.models import (
    DistrictPrecinct, Election, ElectoralDistrict, IdentificationDecision, IdentifiedBallot, Precinct, Voter,
)
from remote_vote_app.services import audit
from remote_vote_app.services.identity import staff
from remote_vote_app.services.reference import refcache
from remote_vote_app.services.clock import local_date, now_utc, years_before, zone
from remote_vote_app.errors import Forbidden, NotFound, ServiceError
from remote_vote_app.services.identity.staff import StaffUser
from remote_vote_app.services.validation import normalize_document, normalize_pin
from remote_vote_app.settings import settings

MODES = ("application", "identification")
OFFLINE_POLICIES = ("provisional", "wait")
OUTCOMES = ("issue", "voted", "wrong_precinct", "not_registered", "under_age", "provisional", "conflict",
            "wrong_district")
REFUSALS = ("voted", "wrong_precinct", "not_registered", "under_age")
PERMISSION = "identification.desk"
MAX_MARKS = 500  # per sync request
CLOCK_SLACK = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Place:
    """A precinct as the desk shows it."""

    id: int
    number: str
    abroad: bool
    place: dict[str, str]  # lang -> text
    address: dict[str, str]


@dataclass(frozen=True)
class District:
    id: int
    number: int
    name: dict[str, str]  # lang -> name


@dataclass(frozen=True)
class Answer:
    """One decision for the desk. `message_key` + `params` (+ the address in the member's language,
    see `message`) is what the member reads."""

    outcome: str
    message_key: str
    params: dict = field(default_factory=dict)
    voter_id: int | None = None
    voter_name: tuple[str, str, str] | None = None  # last, first, patronymic
    birth_year: int | None = None
    home_precinct: Place | None = None
    home_district: District | None = None
    ballot_district: District | None = None  # issue / provisional
    kind: str | None = None  # issue: home | remote
    voted_at: dt.datetime | None = None  # voted: when (UTC); params["time"] is it in the election's zone
    voted_precinct: str | None = None  # voted: the precinct's number
    go_to: Place | None = None  # wrong_precinct: the home precinct
    decision_id: int | None = None  # the IdentificationDecision kept for this answer (None: nothing kept)

    def message(self, lang: str) -> str:
        address = self.go_to.address if self.go_to else {}
        return t(lang, self.message_key, **self.params, address=address.get(lang) or address.get("ru", ""))

    def to_json(self) -> dict:
        """The HTTP answer (web/identification.py): every field, with the message in each language
        (the desk switches language without asking again). Built field by field: `asdict`'s deep
        copy cost more than the rest of the answer."""
        data = {f: getattr(self, f) for f in _ANSWER_FIELDS}
        for name in ("home_precinct", "home_district", "ballot_district", "go_to"):
            data[name] = vars(data[name]).copy() if data[name] is not None else None
        data["voted_at"] = self.voted_at.isoformat() if self.voted_at else None
        data["voter_name"] = list(self.voter_name) if self.voter_name else None
        data["messages"] = {lang: self.message(lang) for lang in LANGS}
        return data


_ANSWER_FIELDS = tuple(f.name for f in fields(Answer))


# --- who may run a desk ---


@dataclass(frozen=True)
class Desk:
    election: Election
    precinct: Place
    district: District


def desk(session: Session, user: StaffUser | None, election_id: int | None = None) -> Desk:
    """The member's own precinct in an identification-mode election; refuses everyone else.

    Without `election_id`, the identification-mode election whose day is nearest ahead (or today)
    among those the member's precinct belongs to."""
    user = staff.require(user, PERMISSION)
    if user.precinct_id is None:
        raise Forbidden("error.forbidden")
    snapshot = refcache.snapshot(session)
    if election_id is None:
        election_id = _current_election(snapshot, user.precinct_id)
        if election_id is None:  # the member's precinct is in no identification-mode election
            raise Forbidden("error.forbidden")
    election = snapshot.get(Election, election_id)
    if election is None:
        raise NotFound("error.ident_election")
    if election.mode != "identification":
        raise ServiceError("error.ident_mode")
    district = precinct_districts(snapshot, election.id).get(user.precinct_id)
    if district is None:  # the member's precinct takes no part in this election
        raise Forbidden("error.forbidden")
    return Desk(election, _place(snapshot, user.precinct_id), district)


def _current_election(snapshot: refcache.Snapshot, precinct_id: int) -> int | None:
    now = now_utc()
    mine = [e for e in snapshot.all(Election) if e.mode == "identification"
            and precinct_id in precinct_districts(snapshot, e.id)]
    ahead = sorted((e for e in mine if e.election_day >= local_date(now, zone(e))), key=lambda e: e.election_day)
    past = sorted((e for e in mine if e.election_day < local_date(now, zone(e))), key=lambda e: e.election_day,
                  reverse=True)
    return (ahead or past)[0].id if (ahead or past) else None


def precinct_districts(snapshot: refcache.Snapshot, election_id: int) -> dict[int, District]:
    """precinct id -> its district in this election, built once per reference version."""
    def build() -> dict[int, District]:
        districts = {d.id: District(d.id, d.number, {lang: localized(d, "name", lang) for lang in LANGS})
                     for d in snapshot.all(ElectoralDistrict) if d.election_id == election_id}
        return {row.precinct_id: districts[row.district_id] for row in snapshot.all(DistrictPrecinct)
                if row.election_id == election_id}

    return snapshot.derive(f"identification.districts:{election_id}", build)


def districts(session: Session, election_id: int) -> list[District]:
    """The election's districts by number."""
    found = {d.id: d for d in precinct_districts(refcache.snapshot(session), election_id).values()}
    return sorted(found.values(), key=lambda d: d.number)


def rules_text(election: Election) -> dict[str, dict[str, str]]:
    """The choices where the law leaves one, as the desk shows them: the offline policy and abroad."""
    return {"offline_policy": {lang: t(lang, f"ident.policy.{election.offline_policy}") for lang in LANGS},
            "abroad": {lang: t(lang, "ident.abroad_rule") for lang in LANGS}}


def _place(snapshot: refcache.Snapshot, precinct_id: int) -> Place | None:
    """A precinct as the desk shows it, built once per reference version."""
    places = snapshot.derive("identification.places", dict)
    found = places.get(precinct_id)
    if found is None and (precinct := snapshot.get(Precinct, precinct_id)) is not None:
        found = places[precinct_id] = Place(precinct.id, precinct.number, bool(precinct.abroad),
                                            {lang: localized(precinct, "place", lang) for lang in LANGS},
                                            {lang: localized(precinct, "address", lang) for lang in LANGS})
    return found


def ensure_polls_open(election: Election, now: dt.datetime) -> None:
    """Ballots are issued on election day only; demo mode takes any day, so the demo election weeks
    ahead can be tried (README says so)."""
    if settings.demo_mode:
        return
    from remote_vote_app.services.election_day.checkin import _opening_hours  # noqa: PLC0415

    opens, closes = _opening_hours(election)
    if not opens - CLOCK_SLACK <= now <= closes + CLOCK_SLACK:
        raise ServiceError("error.ident_closed")


# --- the rules ---

# Core statements on the tables, run on the session's connection: the ORM's execution path cost
# several times the statement itself on every identification.
_VOTERS, _BALLOTS, _DECISIONS = Voter.__table__, IdentifiedBallot.__table__, IdentificationDecision.__table__
# The voter a PIN names and the ballot of this election the voter already holds, in one statement.
_VOTER = (sa.select(_VOTERS.c.id, _VOTERS.c.document_number, _VOTERS.c.last_name, _VOTERS.c.first_name,
                    _VOTERS.c.patronymic, _VOTERS.c.birth_date, _VOTERS.c.home_precinct_id,
                    _BALLOTS.c.precinct_id.label("ballot_precinct_id"), _BALLOTS.c.issued_at.label("ballot_issued_at"))
          .select_from(_VOTERS.outerjoin(_BALLOTS, sa.and_(_BALLOTS.c.voter_id == _VOTERS.c.id,
                                                           _BALLOTS.c.election_id == sa.bindparam("election_id"))))
          .where(_VOTERS.c.pin == sa.bindparam("pin")))
_BALLOT = sa.select(_BALLOTS.c.precinct_id, _BALLOTS.c.issued_at).where(
    _BALLOTS.c.election_id == sa.bindparam("election_id"), _BALLOTS.c.voter_id == sa.bindparam("voter_id"))
_DECISION = _DECISIONS.insert().returning(_DECISIONS.c.id)
_REDECIDE = _DECISIONS.update().where(_DECISIONS.c.id == sa.bindparam("decision_id")).values(
    outcome=sa.bindparam("outcome"), district_id=sa.bindparam("district_id"), shown=sa.bindparam("shown"))
# The ballot unless the voter holds one of this election: the unique key (election, voter) decides.
# A concurrent insert of the same voter makes this one wait for its commit (then it inserts nothing)
# or its rollback (then it inserts); no error, so no savepoint around it.
_TAKE = {name: dialect.insert(_BALLOTS).on_conflict_do_nothing(index_elements=["election_id", "voter_id"])
         .returning(_BALLOTS.c.id) for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def under_age(birth_date: dt.date, election_day: dt.date) -> bool:
    """Not 18 on election day (the 18th birthday itself counts as 18; one born on 29 February turns
    18 on 28 February in a common year). The desk's twin: identification_logic.js `underAge`."""
    return birth_date > years_before(election_day, 18)


def _evaluate(session: Session, snapshot: refcache.Snapshot, election: Election, precinct: Precinct,
              pin: str, document_number: str) -> Answer:
    """The answer for this voter at this precinct, read-only."""
    try:
        pin, document_number = normalize_pin(pin, election.election_day), normalize_document(document_number)
    except ServiceError:
        return Answer("not_registered", "ident.not_registered")
    row = session.connection().execute(_VOTER, {"pin": pin, "election_id": election.id}).first()
    if row is None or not hmac.compare_digest(row.document_number, document_number):
        return Answer("not_registered", "ident.not_registered")
    districts_of = precinct_districts(snapshot, election.id)
    home = _place(snapshot, row.home_precinct_id)
    home_district = districts_of.get(row.home_precinct_id)
    voter = dict(voter_id=row.id, voter_name=(row.last_name, row.first_name, row.patronymic),
                 birth_year=row.birth_date.year, home_precinct=home, home_district=home_district)
    if home is None or home_district is None:  # registered at a precinct outside this election's lists
        return Answer("not_registered", "ident.not_registered")
    if row.ballot_issued_at is not None:
        return _voted(snapshot, election, voter, row.ballot_precinct_id, row.ballot_issued_at)
    if under_age(row.birth_date, election.election_day):
        return Answer("under_age", "ident.under_age", {"date": election.election_day.strftime("%d.%m.%Y")}, **voter)
    if home.id == precinct.id:
        return Answer("issue", "ident.issue_home", {"district": home_district.number, "precinct": home.number},
                      ballot_district=home_district, kind="home", **voter)
    here = districts_of[precinct.id]
    if here.id == home_district.id and not precinct.abroad and not home.abroad:
        return Answer("wrong_precinct", "ident.wrong_precinct", {"precinct": home.number},
                      go_to=voter["home_precinct"], **voter)
    return Answer("issue", "ident.issue_remote", {"district": home_district.number, "precinct": home.number},
                  ballot_district=home_district, kind="remote", **voter)


def _voted(snapshot: refcache.Snapshot, election: Election, voter: dict, precinct_id: int,
           at: dt.datetime) -> Answer:
    where = snapshot.get(Precinct, precinct_id)
    number = where.number if where else ""
    local = at.astimezone(zone(election))
    return Answer("voted", "ident.voted", {"precinct": number, "time": local.strftime("%H:%M"),
                                           "date": local.strftime("%d.%m.%Y")},
                  voted_at=at, voted_precinct=number, **voter)


def _shown(answer: Answer, seen: object) -> str:
    """What the member saw, as stored: the answer's key and params, and the desk's own word when it
    differs (never a PIN)."""
    shown = {"key": answer.message_key, "params": answer.params}
    if isinstance(seen, str) and seen and seen != answer.message_key:
        shown["desk_showed"] = seen[:64]  # the desk's own word, kept beside the server's answer
    return json.dumps(shown, ensure_ascii=False, sort_keys=True)


def _district_id(answer: Answer) -> int | None:
    district = answer.ballot_district or answer.home_district
    return district.id if district else None


def _decide(session: Session, election_id: int, precinct: Precinct, staff_id: int, answer: Answer, at: dt.datetime,
            *, offline: bool = False, claimed_at: dt.datetime | None = None, mark_id: str | None = None,
            seen: object = None, received_at: dt.datetime | None = None, claimed_kind: str = "",
            claimed_district: int | None = None) -> int:
    """The decision row as the member saw it; its id. `received_at` is the server's receipt time
    (default `at`); the claimed_* are an offline mark's word."""
    return session.connection().execute(_DECISION, {
        "election_id": election_id, "precinct_id": precinct.id, "staff_id": staff_id, "voter_id": answer.voter_id,
        "outcome": answer.outcome, "district_id": _district_id(answer), "at": at, "offline": offline,
        "received_at": received_at or at, "claimed_at": claimed_at, "claimed_kind": claimed_kind,
        "claimed_district": claimed_district, "mark_id": mark_id, "shown": _shown(answer, seen)}).scalar_one()


def _audit(session: Session, election_id: int, precinct: Precinct, staff_id: int, answer: Answer, decision_id: int,
           offline: bool = False) -> None:
    audit.record(session, f"staff:{staff_id}", f"identification.{answer.outcome}", "voter", answer.voter_id or "-",
                 election=election_id, precinct=precinct.number, decision=decision_id, offline=offline,
                 key=answer.message_key, params=answer.params)


def _record(session: Session, election_id: int, precinct: Precinct, staff_id: int, answer: Answer, at: dt.datetime,
            **decision: object) -> int:
    """The decision as the member saw it (`_decide`'s keywords), and its audit event (no PIN, no document)."""
    decision_id = _decide(session, election_id, precinct, staff_id, answer, at, **decision)
    _audit(session, election_id, precinct, staff_id, answer, decision_id, bool(decision.get("offline")))
    return decision_id


def _redecide(session: Session, decision_id: int, answer: Answer, seen: object = None) -> None:
    """The decision `_decide` wrote, turned into the answer the member is given instead (the ballot
    went to another desk), in the same transaction: nobody ever sees the first version."""
    session.connection().execute(_REDECIDE, {"decision_id": decision_id, "outcome": answer.outcome,
                                             "district_id": _district_id(answer), "shown": _shown(answer, seen)})


def _take_ballot(session: Session, answer: Answer, election_id: int, precinct_id: int, staff_id: int,
                 issued_at: dt.datetime, received_at: dt.datetime, decision_id: int, provisional: bool = False) -> bool:
    """The voter's ballot, unless the voter holds one of this election already: True when this call
    issued it (`_TAKE`)."""
    connection = session.connection()
    return connection.execute(_TAKE[connection.dialect.name], {
        "election_id": election_id, "voter_id": answer.voter_id, "precinct_id": precinct_id,
        "district_id": answer.ballot_district.id, "staff_id": staff_id, "kind": answer.kind, "issued_at": issued_at,
        "provisional": provisional, "received_at": received_at, "decision_id": decision_id}).first() is not None


def _context(session: Session, election_id: int, precinct_id: int) -> tuple[refcache.Snapshot, Election, Precinct]:
    snapshot = refcache.snapshot(session)
    election, precinct = snapshot.get(Election, election_id), snapshot.get(Precinct, precinct_id)
    if election is None or precinct is None:
        raise NotFound("error.ident_election")
    if election.mode != "identification":
        raise ServiceError("error.ident_mode")
    if precinct_id not in precinct_districts(snapshot, election_id):
        raise Forbidden("error.forbidden")
    return snapshot, election, precinct


def _with_decision(answer: Answer, decision_id: int) -> Answer:
    return replace(answer, decision_id=decision_id)


def check(session: Session, *, election_id: int, precinct_id: int, staff_id: int, pin: str, document_number: str,
          now: dt.datetime | None = None) -> Answer:
    """The answer for the voter at this precinct. Nothing is written for an `issue` answer (the
    member confirms with `issue`); a refusal is kept as a decision with its audit event."""
    now = now or now_utc()
    snapshot, election, precinct = _context(session, election_id, precinct_id)
    ensure_polls_open(election, now)
    answer = _evaluate(session, snapshot, election, precinct, pin, document_number)
    if answer.outcome == "issue":
        return answer
    return _with_decision(answer, _record(session, election_id, precinct, staff_id, answer, now))


def issue(session: Session, *, election_id: int, precinct_id: int, staff_id: int, pin: str, document_number: str,
          shown: object = None, now: dt.datetime | None = None) -> Answer:
    """Issue the ballot: checks again and inserts the IdentifiedBallot in the caller's transaction.
    Another desk's ballot for the same voter, committed first, turns this into the `voted` answer.

    The decision row comes first (the ballot names it), then the ballot's conditional insert
    decides; a desk that lost the race has its decision rewritten, in the same transaction, to the
    `voted` answer it is given. Either way one decision and one audit event, as the member saw it."""
    now = now or now_utc()
    snapshot, election, precinct = _context(session, election_id, precinct_id)
    ensure_polls_open(election, now)
    answer = _evaluate(session, snapshot, election, precinct, pin, document_number)
    if answer.outcome != "issue":
        return _with_decision(answer, _record(session, election_id, precinct, staff_id, answer, now, seen=shown))
    decision_id = _decide(session, election_id, precinct, staff_id, answer, now, seen=shown)
    if not _take_ballot(session, answer, election_id, precinct.id, staff_id, now, now, decision_id):
        # Another desk issued first: its ballot is visible now (it committed while this insert waited).
        ballot = session.connection().execute(_BALLOT, {"election_id": election_id, "voter_id": answer.voter_id}).one()
        voter = dict(voter_id=answer.voter_id, voter_name=answer.voter_name, birth_year=answer.birth_year,
                     home_precinct=answer.home_precinct, home_district=answer.home_district)
        answer = _voted(snapshot, election, voter, ballot.precinct_id, ballot.issued_at)
        _redecide(session, decision_id, answer, shown)
    _audit(session, election_id, precinct, staff_id, answer, decision_id)
    return _with_decision(answer, decision_id)


# --- without a link ---


@dataclass(frozen=True)
class OfflineMark:
    """A ballot the desk issued without a link: `home` (checked against the precinct's list on the
    device) or `provisional` (a remote voter on the provisional list)."""

    mark_id: str
    pin: str
    document_number: str
    kind: str  # home | provisional
    at: dt.datetime | None  # the device's time (a claim)
    district: int | None = None  # the district whose ballot the device says it handed out (a claim)


# --- offline marks sealed on the device ---
# A mark waits on the device until the link returns, possibly across a logout (its session key is
# then gone), so the desk seals the voter's PIN and document to the server's public key as soon as
# the mark is made: ECDH P-256 with a one-time device key, HKDF-SHA256, AES-256-GCM bound to the
# mark's id. The device keeps only the sealed box and cannot open it again; only this server can.
_SEAL_INFO = b"identification-mark-seal"


@functools.lru_cache(maxsize=4)
def _seal_private(secret: str) -> ec.EllipticCurvePrivateKey:
    """The server's mark-sealing key, derived from SECRET_KEY: the same in every worker and after a restart."""
    seed = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=_SEAL_INFO).derive(secret.encode())
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256's group order
    return ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, ec.SECP256R1())


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64u(text: object) -> bytes:
    text = str(text or "")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_public_key() -> str:
    """The public half the desk seals offline marks to (an uncompressed P-256 point, base64url)."""
    return _b64u(_seal_private(settings.secret_key).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def _mark_key(shared: bytes, mark_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"identification-mark:" + mark_id.encode()).derive(shared)


def seal_mark(public_key: str, mark_id: str, pin: str, document_number: str) -> dict:
    """What the desk does in the browser (identification_desk.jsx `sealMark`), for tests and tools."""
    device = ec.generate_private_key(ec.SECP256R1())
    server = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64u(public_key))
    iv = os.urandom(12)
    box = AESGCM(_mark_key(device.exchange(ec.ECDH(), server), mark_id)).encrypt(
        iv, json.dumps({"pin": pin, "document": document_number}).encode(), mark_id.encode())
    return {"epk": _b64u(device.public_key().public_bytes(serialization.Encoding.X962,
                                                          serialization.PublicFormat.UncompressedPoint)),
            "iv": _b64u(iv), "ct": _b64u(box)}


def open_mark(mark_id: str, sealed: object) -> tuple[str, str] | None:
    """(pin, document) from a sealed mark, or None when it does not open (tampered, another key)."""
    if not isinstance(sealed, dict):
        return None
    try:
        device = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64u(sealed.get("epk")))
        shared = _seal_private(settings.secret_key).exchange(ec.ECDH(), device)
        plain = json.loads(AESGCM(_mark_key(shared, mark_id)).decrypt(
            _unb64u(sealed.get("iv")), _unb64u(sealed.get("ct")), mark_id.encode()))
        return str(plain.get("pin") or ""), str(plain.get("document") or "")
    except (ValueError, TypeError, AttributeError, InvalidTag):
        return None


def _claimed_district(value: object) -> int | None:
    """A district number as the device sent it, or None for anything else (the claim is then "none")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= 9999 else None


def parse_marks(payload: object) -> list[OfflineMark]:
    """{"marks": [{"mark_id", "sealed" (or "pin" + "document"), "kind", "at", "district"?}]} -> marks;
    ServiceError when malformed. A sealed box that does not open leaves the mark with no PIN: it is
    kept as a conflict (not registered), never dropped. A district that is no number is no claim."""
    items = payload.get("marks") if isinstance(payload, dict) else None
    if not isinstance(items, list) or len(items) > MAX_MARKS:
        raise ServiceError("error.ident_bad_request")
    marks = []
    for item in items:
        if not isinstance(item, dict):
            raise ServiceError("error.ident_bad_request")
        mark_id, kind = str(item.get("mark_id") or ""), item.get("kind")
        if not 8 <= len(mark_id) <= 64 or kind not in ("home", "provisional"):
            raise ServiceError("error.ident_bad_request")
        try:
            at = dt.datetime.fromisoformat(str(item["at"])) if item.get("at") else None
        except ValueError:
            at = None
        if at is not None and at.tzinfo is None:
            at = None
        pin, document = str(item.get("pin") or ""), str(item.get("document") or "")
        if "sealed" in item:
            pin, document = open_mark(mark_id, item["sealed"]) or ("", "")
        marks.append(OfflineMark(mark_id, pin[:32], document[:32], kind, at.astimezone(dt.timezone.utc) if at else None,
                                 _claimed_district(item.get("district"))))
    return marks


def sync_offline(session: Session, *, election_id: int, precinct_id: int, staff_id: int,
                 marks: list[OfflineMark], now: dt.datetime | None = None) -> list[dict]:
    """Each offline mark becomes a decision (a resent mark answers as the first time): a ballot
    recorded (`issue`, or `provisional` for the provisional list) of the voter's district by the
    register; `wrong_district` when the desk says it handed out another district's ballot (the
    ballot is recorded all the same: the voter holds one); or a `conflict` when the voter already
    holds a ballot of this election or is not on the register. Conflicts, wrong districts and
    provisional marks are incidents for the commission's dashboard. Nothing the desk decided is
    dropped."""
    now = now or now_utc()
    snapshot, election, precinct = _context(session, election_id, precinct_id)
    results = []
    for mark in marks:
        known = session.execute(sa.select(IdentificationDecision.id, IdentificationDecision.outcome)
                                .where(IdentificationDecision.mark_id == mark.mark_id)).first()
        if known is not None:
            results.append({"mark_id": mark.mark_id, "outcome": known.outcome, "decision_id": known.id})
            continue
        results.append(_sync_one(session, snapshot, election, precinct, staff_id, mark, now))
    return results


def _device_time(election: Election, mark: OfflineMark, received: dt.datetime) -> tuple[dt.datetime, bool]:
    """The device's time when it is plausible (election day, not after receipt), else the receipt time."""
    from remote_vote_app.services.election_day.checkin import _opening_hours  # noqa: PLC0415

    opens, closes = _opening_hours(election)
    if mark.at is not None and (settings.demo_mode or opens - CLOCK_SLACK <= mark.at <= closes + CLOCK_SLACK) \
            and mark.at <= received + CLOCK_SLACK:
        return min(mark.at, received), True
    return received, False


def _sync_one(session: Session, snapshot: refcache.Snapshot, election: Election, precinct: Precinct,
              staff_id: int, mark: OfflineMark, now: dt.datetime) -> dict:
    at, taken = _device_time(election, mark, now)
    # A home mark's ballot is this precinct's own district's (the device has no other to give).
    claimed = mark.district if mark.district is not None or mark.kind != "home" else \
        precinct_districts(snapshot, election.id)[precinct.id].number
    record = dict(offline=True, claimed_at=mark.at, mark_id=mark.mark_id, received_at=now, claimed_kind=mark.kind,
                  claimed_district=claimed)
    answer = _evaluate(session, snapshot, election, precinct, mark.pin, mark.document_number)
    decision_id = None
    if answer.outcome == "issue":
        district = answer.ballot_district  # the register's, through the voter's home precinct
        if claimed != district.number:
            outcome = "wrong_district"
            answer = replace(answer, outcome=outcome, params={**answer.params, "claimed": claimed, "kind": mark.kind})
        else:
            outcome = "issue" if mark.kind == "home" else "provisional"
            answer = replace(answer, outcome=outcome)
        if mark.kind == "provisional" and election.offline_policy == "wait":
            # The election said remote voters wait for the link: the ballot was handed out all the
            # same, so it counts (the voter holds it), and the incident says it broke the policy.
            answer = replace(answer, params={**answer.params, "policy": "wait"})
        decision_id = _decide(session, election.id, precinct, staff_id, answer, at, **record)
        if _take_ballot(session, answer, election.id, precinct.id, staff_id, at, now, decision_id,
                        provisional=mark.kind == "provisional"):
            _audit(session, election.id, precinct, staff_id, answer, decision_id, offline=True)
            return {"mark_id": mark.mark_id, "outcome": outcome, "decision_id": decision_id, "time_taken": taken,
                    "district": district.number, "claimed_district": claimed}
        answer = _evaluate(session, snapshot, election, precinct, mark.pin, mark.document_number)  # now `voted`
    # The desk handed out a ballot the server would not have: an incident, kept with what the server says.
    conflict = replace(answer, outcome="conflict",
                       params={**answer.params, "reason": answer.outcome, "kind": mark.kind})
    if decision_id is None:
        decision_id = _record(session, election.id, precinct, staff_id, conflict, at, **record)
    else:  # another desk's ballot came first: the decision kept says so
        _redecide(session, decision_id, conflict)
        _audit(session, election.id, precinct, staff_id, conflict, decision_id, offline=True)
    return {"mark_id": mark.mark_id, "outcome": "conflict", "reason": answer.outcome, "decision_id": decision_id,
            "time_taken": taken, "claimed_district": claimed}


def identifier(key: bytes, pin: str, document_number: str) -> str:
    """The offline list's identifier of a voter: HMAC-SHA256(key, "PIN:DOCUMENT"), hex. The device
    computes the same from what the member types, so the list holds no PIN or document."""
    return hmac.new(key, f"{pin}:{document_number}".encode(), hashlib.sha256).hexdigest()


def list_key(election_id: int, precinct_id: int) -> bytes:
    return hmac.new(settings.secret_key.encode(), f"identification-list:{election_id}:{precinct_id}".encode(),
                    hashlib.sha256).digest()


def precinct_list(session: Session, election_id: int, precinct_id: int) -> dict:
    """The home precinct's own list for the device's offline copy: per voter the identifier hash,
    the name and the birth year (no PIN digits, no document), and whether a ballot is already held."""
    _context(session, election_id, precinct_id)
    key = list_key(election_id, precinct_id)
    held = sa.select(IdentifiedBallot.voter_id).where(IdentifiedBallot.election_id == election_id,
                                                      IdentifiedBallot.voter_id == Voter.id).exists()
    rows = session.execute(sa.select(Voter.pin, Voter.document_number, Voter.last_name, Voter.first_name,
                                     Voter.patronymic, Voter.birth_date, held.label("voted"))
                           .where(Voter.home_precinct_id == precinct_id).order_by(Voter.last_name, Voter.id))
    return {
        "election_id": election_id, "precinct_id": precinct_id, "key": key.hex(),
        "voters": [{"id": identifier(key, r.pin, r.document_number), "name": " ".join(
            part for part in (r.last_name, r.first_name, r.patronymic) if part), "birth_year": r.birth_date.year,
            "voted": bool(r.voted)} for r in rows],
    }
