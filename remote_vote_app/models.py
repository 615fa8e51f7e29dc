"""Database tables (plain SQLModel). Times are aware UTC; deadlines are dates in the election's zone."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Territory(SQLModel, table=True):
    """Oblast, city or aiyl aimak; cities and aiyl aimaks hold the local councils."""

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # country (national elections) | oblast | city | aiyl_aimak
    code: str = Field(unique=True)
    name_ru: str
    name_ky: str
    name_en: str
    parent_id: Optional[int] = Field(default=None, foreign_key="territory.id", index=True)


class Election(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str  # city_kenesh | aiyl_kenesh
    territory_id: int = Field(foreign_key="territory.id", index=True)
    election_day: dt.date
    application_deadline: dt.date  # inclusive, in `timezone`
    timezone: str = "Asia/Bishkek"
    is_demo: bool = False
    # application: apply in advance, vote at a remote precinct (local councils, regulation No. 136);
    # identification: no application, identified at any precinct outside the home district (law of 2025).
    mode: str = Field(default="application", max_length=16, sa_column_kwargs={"server_default": "application"})
    # Identification mode without a link: provisional (remote voters go on a provisional list,
    # reconciled at sync) | wait (remote voters wait for the link). Home-precinct voters are always
    # checked against the precinct's own list on the device.
    offline_policy: str = Field(default="provisional", max_length=16,
                                sa_column_kwargs={"server_default": "provisional"})


class Precinct(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    # home | remote (application mode) | station (the country's polling stations, identification mode)
    kind: str = Field(index=True)
    number: str = Field(unique=True)
    territory_id: int = Field(foreign_key="territory.id", index=True)
    city_ru: str = ""
    city_ky: str = ""
    city_en: str = ""
    district_ru: str = ""
    district_ky: str = ""
    district_en: str = ""
    place_ru: str
    place_ky: str
    place_en: str
    address_ru: str
    address_ky: str
    address_en: str
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    location_precision: str = "approximate"  # exact | approximate
    active: bool = True
    abroad: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class ElectoralDistrict(SQLModel, table=True):
    """An electoral district of one identification-mode election; every precinct of the country
    belongs to one (DistrictPrecinct)."""

    __table_args__ = (sa.UniqueConstraint("election_id", "number", name="uq_electoraldistrict_election_number"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id", index=True)
    number: int
    name_ru: str
    name_ky: str
    name_en: str
    territory_id: Optional[int] = Field(default=None, foreign_key="territory.id")


class DistrictPrecinct(SQLModel, table=True):
    """A precinct's district in one election."""

    __table_args__ = (sa.UniqueConstraint("election_id", "precinct_id", name="uq_districtprecinct_election_precinct"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id")
    precinct_id: int = Field(foreign_key="precinct.id", index=True)
    district_id: int = Field(foreign_key="electoraldistrict.id", index=True)


class ReferenceVersion(SQLModel, table=True):
    """One row: a random token that database triggers change with any change to territories,
    elections or precincts, so every worker knows when its cached copy of them
    (services/reference/refcache.py) is out of date."""

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)


class Voter(SQLModel, table=True):
    """One entry of the voter register (synthetic in the demo)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    pin: str = Field(unique=True, max_length=14)
    document_number: str = Field(max_length=9, index=True)
    last_name: str
    first_name: str
    patronymic: str = ""
    birth_date: dt.date
    # The registered address as each language writes it ("г. Ош, ул. Айтматова, 255, кв. 41",
    # "Ош ш., Айтматов көч., 255, 41-батир", "255 Aitmatov St, Apt 41, Osh"); read through
    # i18n.localized, which falls back to Russian where a translation is empty.
    address_ru: str
    address_ky: str = ""
    address_en: str = ""
    territory_id: int = Field(foreign_key="territory.id", index=True)
    home_precinct_id: int = Field(foreign_key="precinct.id")
    phone: str


class StaffAccount(SQLModel, table=True):
    """A commission staff member. Roles: cec_admin, tec_operator, precinct_member, home_precinct_member,
    station_member, observer."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    full_name: str
    password_hash: str  # argon2id
    role: str = Field(index=True)
    territory_id: Optional[int] = Field(default=None, foreign_key="territory.id")  # tec_operator's territory
    # The precinct of a precinct-scoped role: precinct_member's remote one, home_precinct_member's home one.
    precinct_id: Optional[int] = Field(default=None, foreign_key="precinct.id")
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Second factor: the TOTP secret encrypted with a key derived from SECRET_KEY; an account with a
    # secret but no `totp_enrolled_at` is mid-enrolment and cannot log in until it confirms a code.
    totp_secret: Optional[str] = None
    totp_enrolled_at: Optional[dt.datetime] = None
    totp_last_counter: Optional[int] = None  # the last accepted 30 s step: a code is never taken twice
    # One-time enrolment code from the admin (CLI), as a keyed hash: without it nobody, not even
    # with the password, sees a new TOTP secret. Spent by the first enrolment that shows a secret.
    enrolment_code_hash: Optional[str] = Field(default=None, max_length=64)
    enrolment_code_expires_at: Optional[dt.datetime] = None


class StaffRecoveryCode(SQLModel, table=True):
    """A one-time recovery code of a staff account, stored as a keyed hash; used once, then kept used."""

    id: Optional[int] = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staffaccount.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    used_at: Optional[dt.datetime] = None


class Application(SQLModel, table=True):
    __table_args__ = (
        # One active application per voter and election, even under concurrent submits.
        sa.Index(
            "uq_application_active_voter_election",
            "voter_id",
            "election_id",
            unique=True,
            sqlite_where=sa.text("status = 'submitted'"),
            postgresql_where=sa.text("status = 'submitted'"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=12)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    election_id: int = Field(foreign_key="election.id", index=True)
    remote_precinct_id: int = Field(foreign_key="precinct.id", index=True)
    email: str
    phone: str
    consent_at: dt.datetime
    consent_version: str
    channel: str = Field(default="online", index=True)  # online | in_person
    # In person: the staff member who filed it and their commission.
    filed_by_staff_id: Optional[int] = Field(default=None, foreign_key="staffaccount.id")
    commission: str = Field(default="", sa_column_kwargs={"server_default": ""})
    status: str = Field(default="submitted", index=True)  # submitted | withdrawn
    # The language the voter used when filing (reminders are written in it); ky | ru | en.
    lang: str = Field(default="ru", max_length=2, sa_column_kwargs={"server_default": "ru"})
    change_count: int = 0
    # Bumped by every change or withdrawal; an update names the version it read (optimistic lock).
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    changed_at: dt.datetime = Field(default_factory=utcnow)


class LoginCode(SQLModel, table=True):
    """A one-time code sent by SMS; only its keyed hash is stored. A code serves one purpose only."""

    id: Optional[int] = Field(default=None, primary_key=True)
    challenge: str = Field(unique=True, max_length=64)
    purpose: str = Field(default="login", max_length=16, sa_column_kwargs={"server_default": "login"})  # auth.PURPOSES
    voter_id: int = Field(foreign_key="voter.id", index=True)
    code_hash: str
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    last_sent_at: dt.datetime = Field(default_factory=utcnow)
    sends: int = 1
    attempts: int = 0
    used_at: Optional[dt.datetime] = None
    # A login code sent to a trusted browser (TrustedDevice.id): only that browser may use it
    # (services.identity.auth). No foreign key: SQLite cannot add one to an existing table without a rebuild.
    device_id: Optional[int] = Field(default=None, index=True)
    # A long code (services.identity.auth: a PIN under attack): wrong tries do not spend it.
    strong: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class TrustedDevice(SQLModel, table=True):
    """A browser in which the voter logged in with the SMS code or eID (services.identity.devices): its
    HttpOnly device cookie gives its SMS logins a budget of their own. Only the cookie's hash is kept."""

    id: Optional[int] = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    method: str = Field(max_length=8)  # the login that issued it: sms | eid
    client: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: Optional[dt.datetime] = None
    revoke_reason: str = ""  # replaced | revoked


class PhoneVerification(SQLModel, table=True):
    """A code sent to a contact phone typed into an application; `verified_at` once the voter
    entered it. Only a verified contact phone gets notices (services.applications.applications)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    phone: str = Field(max_length=16)
    challenge: str = Field(unique=True, max_length=64)
    code_hash: str
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    expires_at: dt.datetime
    verified_at: Optional[dt.datetime] = None


class VoterFace(SQLModel, table=True):
    """A voter's reference face for FaceID login: only the encoding, never the photo."""

    id: Optional[int] = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", unique=True)
    encoding: str  # JSON list of 128 floats (face_recognition)
    source: str  # commission | register
    created_at: dt.datetime = Field(default_factory=utcnow)


class FaceTrace(SQLModel, table=True):
    """A perceptual hash of one FaceID frame's face (not the image), kept minutes to refuse replays."""

    id: Optional[int] = Field(default=None, primary_key=True)
    subject: str = Field(index=True, max_length=32)  # keyed hash of the PIN
    phash: str = Field(max_length=32)  # 128 bits, hex
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class OutboxMessage(SQLModel, table=True):
    """A message written in the transaction that caused it, delivered later by the outbox worker."""

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str  # sms | email
    recipient: str
    subject: str = ""
    body: str  # as shown on /dev/outbox; a one-time code is masked here outside demo mode
    # The text to deliver when `body` is masked, sealed (AES-GCM) and wiped once delivered.
    sealed_body: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # queued | sending | sent | failed (retried at next_attempt_at) | dead (gave up)
    status: str = Field(default="queued", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    # The gateway's idempotency key: a retry after a lost answer is not a second SMS.
    delivery_id: str = Field(default_factory=lambda: uuid.uuid4().hex, max_length=32)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: Optional[dt.datetime] = None
    claimed_at: Optional[dt.datetime] = None
    sent_at: Optional[dt.datetime] = None
    last_error: str = Field(default="", sa_column_kwargs={"server_default": ""})


class AuditEvent(SQLModel, table=True):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str  # voter:<id> | staff:<id> | system
    action: str
    entity: str
    entity_id: str = Field(index=True)
    details: str = ""  # JSON, never with PIN / document numbers


class QrLogin(SQLModel, table=True):
    """A one-time cross-device login: the desktop shows a QR code, a logged-in phone's camera reads
    it in the cabinet, the voter approves there. Only hashes of the two random ids are stored."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)  # the desktop's private token (its poll)
    link_hash: Optional[str] = Field(default=None, unique=True, max_length=64)  # the id inside the QR code
    browser: str = ""  # the desktop browser as its User-Agent claims (self-declared, shown as such)
    client: str = Field(default="", max_length=64)  # the desktop's client address, shown on the phone
    status: str = "pending"  # pending | confirmed | refused | used
    scanned_by: Optional[int] = None  # the voter whose phone read a fresh code; only they may decide
    scanned_at: Optional[dt.datetime] = None
    voter_id: Optional[int] = Field(default=None, foreign_key="voter.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    decided_at: Optional[dt.datetime] = None
    used_at: Optional[dt.datetime] = None


class UserSession(SQLModel, table=True):
    """A voter's or staff member's login: the authority behind a browser's HttpOnly cookie.

    The browser gets the session id once, at the ticket exchange; only its hash is kept. The
    Reflex client token alone carries no authority: a tab acts for a session only while its
    request carries the cookie of the session the tab is bound to.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # voter | staff
    subject_id: int = Field(index=True)  # voter.id or staffaccount.id
    method: str  # sms | eid | qr | face | password_totp
    sid_hash: Optional[str] = Field(default=None, unique=True, max_length=64)
    ticket_hash: Optional[str] = Field(default=None, unique=True, max_length=64)
    ticket_expires_at: Optional[dt.datetime] = None
    # Hash of the nonce the browser that asked for the ticket holds in a cookie: only that browser
    # can exchange it (no login CSRF with an attacker's unexchanged ticket).
    ticket_binding_hash: Optional[str] = Field(default=None, max_length=64)
    client: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime  # absolute end, whatever the activity
    ended_at: Optional[dt.datetime] = None
    end_reason: str = ""  # logout | idle | absolute | replaced
    # The last SMS code to the phone on file entered in this session (services.identity.assurance).
    stepped_up_at: Optional[dt.datetime] = None


class BallotIssue(SQLModel, table=True):
    """'Ballot issued' at a remote precinct's check-in: at most one per voter and election, whatever
    the precinct or device (the unique constraint decides between concurrent check-ins)."""

    __table_args__ = (sa.UniqueConstraint("election_id", "voter_id", name="uq_ballotissue_election_voter"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    mark_id: str = Field(unique=True, max_length=64)  # chosen by the device: a resent mark is the same mark
    election_id: int = Field(foreign_key="election.id", index=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    application_id: int = Field(foreign_key="application.id")
    precinct_id: int = Field(foreign_key="precinct.id", index=True)
    staff_id: int = Field(foreign_key="staffaccount.id")
    pass_version: int
    # How the voter was identified: `qr` only when the server verified the pass the device sent;
    # reference | document are the member's word (the device cannot prove them).
    method: str = Field(max_length=16)
    offline: bool = False  # the server took the device's time (an offline mark within opening hours)
    marked_at: dt.datetime  # the ballot's time as the server decided it (receipt time unless `offline`)
    received_at: dt.datetime = Field(default_factory=utcnow)
    # What the device said, kept as claims beside the server's facts.
    claimed_at: Optional[dt.datetime] = None
    claimed_method: str = Field(default="", max_length=16)
    claimed_offline: bool = False


class IdentificationDecision(SQLModel, table=True):
    """One answer the identification desk gave (services.election_day.identification), as the member saw it."""

    __table_args__ = (sa.Index("ix_identificationdecision_election_precinct_at", "election_id", "precinct_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id")
    precinct_id: int = Field(foreign_key="precinct.id")
    staff_id: int = Field(foreign_key="staffaccount.id")
    voter_id: Optional[int] = Field(default=None, foreign_key="voter.id", index=True)
    # issue | voted | wrong_precinct | not_registered | under_age | provisional | conflict | wrong_district
    # (identification.OUTCOMES)
    outcome: str = Field(max_length=16, index=True)
    # The voter's district by the register (the ballot's district the server counts), never the device's word.
    district_id: Optional[int] = Field(default=None, foreign_key="electoraldistrict.id")
    at: dt.datetime  # server time (UTC); an offline mark's device time when plausible
    received_at: Optional[dt.datetime] = None  # when the server received it (rows before 2026-12-09: `at`)
    offline: bool = False  # decided on the device without a link; `claimed_at` is the device's time
    # What an offline mark's device said, kept as claims beside the server's facts: its time, the kind
    # of mark (home | provisional) and the number of the district whose ballot it says it handed out.
    claimed_at: Optional[dt.datetime] = None
    claimed_kind: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    claimed_district: Optional[int] = None
    # An offline mark's id chosen by the device: a resent mark is the same decision.
    mark_id: Optional[str] = Field(default=None, unique=True, max_length=64)
    shown: str = ""  # JSON: the answer's message key and params as the member saw them (no PIN)


class IdentifiedBallot(SQLModel, table=True):
    """A ballot issued after identification: at most one per voter and election, anywhere in the
    country (the unique constraint decides between concurrent desks)."""

    __table_args__ = (
        sa.UniqueConstraint("election_id", "voter_id", name="uq_identifiedballot_election_voter"),
        # Turnout by hour per precinct (services/election_day/turnout.py) reads this index alone.
        sa.Index("ix_identifiedballot_election_precinct_issued", "election_id", "precinct_id", "issued_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id")
    voter_id: int = Field(foreign_key="voter.id", index=True)
    precinct_id: int = Field(foreign_key="precinct.id")
    district_id: int = Field(foreign_key="electoraldistrict.id", index=True)  # the ballot's district
    staff_id: int = Field(foreign_key="staffaccount.id")
    kind: str = Field(max_length=8)  # home | remote
    issued_at: dt.datetime  # server time (UTC); an offline mark's device time once reconciled
    provisional: bool = False  # on the device's provisional list first, reconciled at sync
    received_at: dt.datetime = Field(default_factory=utcnow)
    decision_id: Optional[int] = Field(default=None, foreign_key="identificationdecision.id")


class CheckinFlag(SQLModel, table=True):
    """A refused or conflicting check-in, for the dashboard: a second check-in of a voter (here or at
    another precinct), a stale or foreign pass, or a ballot issued offline twice (found at sync)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    mark_id: str = Field(unique=True, max_length=64)
    # repeat | conflict | stale | other_precinct | not_listed | bad_pass | bad_time | too_early (checkin.FLAG_KINDS)
    kind: str = Field(max_length=16, index=True)
    reference: str = Field(default="", max_length=12, index=True)
    election_id: Optional[int] = Field(default=None, foreign_key="election.id", index=True)
    voter_id: Optional[int] = Field(default=None, foreign_key="voter.id")
    precinct_id: int = Field(foreign_key="precinct.id", index=True)  # where it was attempted
    staff_id: int = Field(foreign_key="staffaccount.id")
    pass_version: Optional[int] = None
    current_version: Optional[int] = None
    first_issue_id: Optional[int] = Field(default=None, foreign_key="ballotissue.id")  # the mark it collided with
    ballot_issued: bool = False  # the device says it handed out a ballot (a conflict, or bad_time)
    offline: bool = False  # the server took the device's time, as for BallotIssue
    marked_at: dt.datetime
    received_at: dt.datetime = Field(default_factory=utcnow)
    claimed_at: Optional[dt.datetime] = None
    claimed_method: str = Field(default="", max_length=16)
    claimed_offline: bool = False


class PrecinctCapacity(SQLModel, table=True):
    """How many voters a remote precinct can take in one election (ballots, booths); no row: no limit.

    Submits and changes lock this row before counting (SELECT ... FOR UPDATE on PostgreSQL, the
    write lock on SQLite), so the last places cannot go twice."""

    __table_args__ = (sa.UniqueConstraint("election_id", "precinct_id", name="uq_precinctcapacity_election_precinct"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="election.id", index=True)
    precinct_id: int = Field(foreign_key="precinct.id", index=True)
    capacity: int
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = ""


class PrecinctBooking(SQLModel, table=True):
    """Places taken: the submitted applications of one election at one remote precinct. Kept by
    database triggers on `application` (remote_vote_app/schema_triggers.py) in the transaction of
    the change itself, so the form reads one row per precinct instead of counting applications."""

    election_id: int = Field(primary_key=True)
    precinct_id: int = Field(primary_key=True)
    booked: int = 0


class StatisticsSnapshot(SQLModel, table=True):
    """The public statistics of an election day, fixed at the first request after its deadline."""

    id: Optional[int] = Field(default=None, primary_key=True)
    election_day: dt.date = Field(unique=True)
    fixed_at: dt.datetime
    payload: str  # the JSON document as published (no personal data)


class Reminder(SQLModel, table=True):
    """One reminder to one voter for one election: the unique key makes every reminder go out once."""

    __table_args__ = (sa.UniqueConstraint("kind", "election_id", "voter_id", name="uq_reminder_kind_election_voter"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # eve (day before the election) | deadline (3 days before the deadline)
    election_id: int = Field(foreign_key="election.id", index=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    status: str = Field(default="sent", max_length=16)  # sent | opted_out
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class ReminderOptOut(SQLModel, table=True):
    """A voter who asked for no more reminders (through the signed link in a reminder)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ActivityReport(SQLModel, table=True):
    """"This wasn't me": a voter's report about one audit event on their own applications."""

    __table_args__ = (sa.UniqueConstraint("voter_id", "audit_event_id", name="uq_activityreport_voter_event"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    # No foreign key: the append-only audit table stays free of references (TRUNCATE hits its trigger).
    audit_event_id: int
    territory_id: int = Field(foreign_key="territory.id", index=True)  # the voter's, for the TEC's scope
    note: str = ""
    status: str = Field(default="open", max_length=16, index=True)  # open | answered
    created_at: dt.datetime = Field(default_factory=utcnow)
    answer: str = ""
    answered_at: Optional[dt.datetime] = None
    answered_by: Optional[int] = Field(default=None, foreign_key="staffaccount.id")
