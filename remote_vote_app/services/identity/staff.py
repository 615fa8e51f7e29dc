"""Commission staff: accounts, two-factor login (password, then TOTP), roles and what each role may do and see."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from remote_vote_app.models import Precinct, StaffAccount, StaffRecoveryCode, Territory, UserSession
from remote_vote_app.services import audit
from remote_vote_app.services.identity import ratelimit, sessions, totp
from remote_vote_app.services.reference import refcache
from remote_vote_app.services.clock import now_utc
from remote_vote_app.services.identity.ratelimit import LoginThrottle
from remote_vote_app.settings import settings
from remote_vote_app.errors import Forbidden, Refusal, ServiceError

ROLES = ("cec_admin", "tec_operator", "precinct_member", "home_precinct_member", "station_member", "observer")
# Roles scoped to one precinct (StaffAccount.precinct_id), and the kind of precinct each is scoped to:
# a remote precinct's commission (УИК ДГ), a home precinct's commission (УИК), or the commission of
# a polling station of the country set (kind `station`, identification-mode elections).
PRECINCT_ROLES = {"precinct_member": "remote", "home_precinct_member": "home", "station_member": "station"}

# permission -> roles that hold it; the server checks these on every staff handler.
PERMISSIONS: dict[str, frozenset[str]] = {
    "stats.view": frozenset(ROLES),
    "applications.view": frozenset({"cec_admin", "tec_operator"}),
    "applications.create": frozenset({"cec_admin", "tec_operator"}),
    "voter_list.view": frozenset({"cec_admin", "precinct_member"}),
    "precincts.manage": frozenset({"cec_admin"}),
    "elections.manage": frozenset({"cec_admin"}),
    "exclusions.view": frozenset({"cec_admin", "tec_operator", "home_precinct_member"}),
    "audit.view": frozenset({"cec_admin"}),
    "anomalies.view": frozenset({"cec_admin"}),
    # "This wasn't me" reports: the TEC of the voter's territory, or the CEC.
    "reports.review": frozenset({"cec_admin", "tec_operator"}),
    "reminders.view": frozenset({"cec_admin"}),
    "pii.full": frozenset({"cec_admin", "tec_operator", "precinct_member"}),
    # Election-day check-in at the member's own remote precinct (an account without one is refused).
    "checkin.mark": frozenset({"precinct_member"}),
    # Identification-mode desk (services.election_day.identification) at the member's own precinct, when that
    # precinct belongs to the election's districts.
    "identification.desk": frozenset(PRECINCT_ROLES),
}

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
# Wrong passwords and codes count per (username, client), so an attacker cannot lock a real user
# out from elsewhere; every attempt from one client also counts against a per-client limit. Past
# the per-username ceiling nobody is locked out: the password alone gets no answer any more, only
# password + code together (`authenticate_with_code`), so further guesses need the TOTP code too.
throttle = LoginThrottle(scope="staff", ceiling="login_account_ceiling", ceiling_locks=False)
# Wrong second factors after a right password: only the password's holder can count here.
code_throttle = LoginThrottle(scope="staff-code", pair_tiers=(), ceiling="login_account_ceiling")
SECOND_STEP_SECONDS = 300  # between a right password and its code
ENROLMENT_CODE_HOURS = 72
ENROLMENT_CODE_TTL = dt.timedelta(hours=ENROLMENT_CODE_HOURS)  # an admin's one-time enrolment code, handed over in person
MIN_PASSWORD = 12


@dataclass(frozen=True)
class StaffUser:
    """What a staff session holds about its user (no password hash)."""

    id: int
    username: str
    full_name: str
    role: str
    territory_id: int | None
    precinct_id: int | None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())


def _user(account: StaffAccount) -> StaffUser:
    return StaffUser(account.id, account.username, account.full_name, account.role, account.territory_id,
                     account.precinct_id)


def require(user: StaffUser | None, permission: str) -> StaffUser:
    if user is None or not user.can(permission):
        raise Forbidden("error.forbidden")
    return user


def create_account(
    session: Session, username: str, full_name: str, password: str, role: str, *,
    territory_code: str | None = None, precinct_number: str | None = None, actor: str = "system",
) -> StaffAccount:
    username = username.strip().lower()
    if role not in ROLES:
        raise ServiceError("error.staff_role")
    if len(password) < MIN_PASSWORD:
        raise ServiceError("error.staff_password", minimum=MIN_PASSWORD)
    if not username or session.exec(select(StaffAccount).where(StaffAccount.username == username)).first():
        raise ServiceError("error.staff_username")
    territory_id = precinct_id = None
    if role == "tec_operator":
        territory = session.exec(select(Territory).where(Territory.code == (territory_code or ""))).first()
        if territory is None:
            raise ServiceError("error.staff_territory")
        territory_id = territory.id
    if role in PRECINCT_ROLES:
        precinct = session.exec(select(Precinct).where(Precinct.number == (precinct_number or ""),
                                                       Precinct.kind == PRECINCT_ROLES[role])).first()
        if precinct is None:
            raise ServiceError("error.precinct_required")
        precinct_id = precinct.id
    account = StaffAccount(username=username, full_name=full_name.strip(), password_hash=_hasher.hash(password),
                           role=role, territory_id=territory_id, precinct_id=precinct_id)
    session.add(account)
    session.flush()
    audit.record(session, actor, "staff.created", "staff", account.username, role=role)
    return account


@dataclass(frozen=True)
class PasswordStep:
    """A right password: the account must now give a TOTP code, or enrol first."""

    staff_id: int
    enrolled: bool


def _subject(account: StaffAccount | None, username: str) -> str:
    return f"staff:{account.id}" if account is not None else ratelimit.key("staff:" + username)[:16]


def _refused(session: Session, action: str, account: StaffAccount | None, username: str, client: str,
             error: ServiceError, **details) -> Refusal:
    """Audit a refused attempt in the caller's transaction; the Refusal makes the session scope
    commit it (and nothing else: refused paths write nothing else) before the error is shown."""
    audit.auth_event(session, action, subject=_subject(account, username), client=client, **details)
    return Refusal(error.code, field=error.field, **error.params)


def _refuse(session: Session, action: str, account: StaffAccount | None, username: str, client: str, code: str,
            **details) -> Refusal:
    """Count and audit a wrong answer; a failure that starts a lockout is audited as one too."""
    subject = _subject(account, username)
    refusal = _refused(session, action, account, username, client, ServiceError(code), **details)
    was_over = throttle.over_ceiling(username)
    if throttle.failure(username, client):
        audit.auth_event(session, "auth.staff.lockout", subject=subject, client=client)
    if not was_over and throttle.over_ceiling(username):
        audit.auth_event(session, "auth.staff.code_first", subject=subject, client=client)
    if action == "auth.staff.totp_failure" and code_throttle.failure(username, client):
        audit.auth_event(session, "auth.staff.lockout", subject=subject, client=client, step="code")
    return refusal


def _checked(session: Session, action: str, account: StaffAccount | None, username: str, client: str) -> None:
    """Refuse (and audit) an attempt from a client that this identifier is throttled for."""
    refusal = throttle.locked(username, client)
    if refusal is None and action == "auth.staff.totp_failure":
        refusal = code_throttle.locked(username, client)
    if refusal is not None:
        raise _refused(session, action, account, username, client, refusal, reason="throttled")


def _first_checks(session: Session, username: str, client: str) -> tuple[str, StaffAccount | None]:
    username = (username or "").strip().lower()[:64]
    account = session.exec(select(StaffAccount).where(StaffAccount.username == username)).first()
    try:
        ratelimit.count(settings.login_limit_per_client, "staff-client", ratelimit.client_key(client))
    except ServiceError as exc:
        raise _refused(session, "auth.staff.password_failure", account, username, client, exc,
                       reason="client_limit") from None
    _checked(session, "auth.staff.password_failure", account, username, client)
    return username, account


def _password_ok(account: StaffAccount | None, password: str) -> bool:
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password or "")
        return account is not None and account.active
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str, client: str) -> PasswordStep:
    """The first factor. Any wrong pair (unknown username included) gives one answer in the same time.

    Past the username's ceiling the password alone is not checked (no answer, so no guess): the
    login then needs `authenticate_with_code`. That holds for unknown usernames too."""
    username, account = _first_checks(session, username, client)
    if throttle.over_ceiling(username):
        raise _refused(session, "auth.staff.password_failure", account, username, client,
                       ServiceError("error.staff_code_first"), reason="code_first")
    if not _password_ok(account, password):
        raise _refuse(session, "auth.staff.password_failure", account, username, client, "error.staff_login",
                      reason="inactive" if account is not None and not account.active else "password")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.add(account)
    return PasswordStep(account.id, account.totp_enrolled_at is not None and account.totp_secret is not None)


def _account(session: Session, staff_id: int) -> StaffAccount:
    account = session.get(StaffAccount, staff_id) if staff_id else None
    if account is None or not account.active:
        raise ServiceError("error.staff_step_expired")
    return account


def _take_counter(session: Session, account: StaffAccount, counter: int) -> bool:
    """Record the step as used, atomically: of two requests with the same code, one wins."""
    result = session.exec(
        sa.update(StaffAccount)
        .where(StaffAccount.id == account.id,
               sa.or_(StaffAccount.totp_last_counter.is_(None), StaffAccount.totp_last_counter < counter))
        .values(totp_last_counter=counter)
    )
    return result.rowcount == 1


def _use_recovery_code(session: Session, account: StaffAccount, code: str) -> bool:
    """Spend an unused recovery code; a miss writes nothing, and of two requests with one code, one wins."""
    code_hash = totp.recovery_hash(account.id, code)
    unused = (StaffRecoveryCode.staff_id == account.id, StaffRecoveryCode.used_at.is_(None),
              StaffRecoveryCode.code_hash == code_hash)
    if session.exec(select(StaffRecoveryCode.id).where(*unused)).first() is None:
        return False
    return session.exec(sa.update(StaffRecoveryCode).where(*unused).values(used_at=now_utc())).rowcount == 1


def _succeed(session: Session, account: StaffAccount, client: str, **details) -> StaffUser:
    throttle.success(account.username, client)
    audit.auth_event(session, "auth.staff.success", actor=f"staff:{account.id}", subject=f"staff:{account.id}",
                     client=client, **details)
    return _user(account)


def second_factor(session: Session, staff_id: int, code: str, client: str) -> StaffUser:
    """The second factor of an enrolled account: a TOTP code, or else one unused recovery code."""
    account = _account(session, staff_id)
    _checked(session, "auth.staff.totp_failure", account, account.username, client)
    secret = totp.decrypt(account.totp_secret or "") if account.totp_enrolled_at else None
    if secret is None:
        raise ServiceError("error.staff_step_expired")
    if totp.looks_like_totp(code):
        counter = totp.matching_counter(secret, code, account.totp_last_counter)
        if counter is not None and _take_counter(session, account, counter):
            return _succeed(session, account, client, factor="totp")
        if counter is not None:
            session.rollback()  # lost a race for this step: drop the empty UPDATE before auditing apart
        raise _refuse(session, "auth.staff.totp_failure", account, account.username, client, "error.staff_code")
    if _use_recovery_code(session, account, code):
        left = session.exec(select(sa.func.count()).select_from(StaffRecoveryCode).where(
            StaffRecoveryCode.staff_id == account.id, StaffRecoveryCode.used_at.is_(None))).one()
        audit.auth_event(session, "auth.staff.recovery_code_used", actor=f"staff:{account.id}",
                         subject=f"staff:{account.id}", client=client, left=left)
        return _succeed(session, account, client, factor="recovery_code")
    session.rollback()  # as above: only a lost race wrote anything
    raise _refuse(session, "auth.staff.totp_failure", account, account.username, client, "error.staff_code", kind="recovery")


def authenticate_with_code(session: Session, username: str, password: str, code: str, client: str) -> StaffUser:
    """Password and second factor in one request: the way in past the username's ceiling (and allowed
    below it). Any wrong part gives one answer, so a refusal says nothing about the password alone."""
    username, account = _first_checks(session, username, client)
    refusal = code_throttle.locked(username, client)  # before the password, so it is no password oracle
    if refusal is not None:
        raise _refused(session, "auth.staff.totp_failure", account, username, client, refusal, reason="throttled")
    if not _password_ok(account, password):
        raise _refuse(session, "auth.staff.password_failure", account, username, client, "error.staff_login_code",
                      reason="inactive" if account is not None and not account.active else "password", with_code=True)
    if account.totp_enrolled_at is None or not account.totp_secret:
        # Nothing to check the code against; enrolment needs the password step, below the ceiling.
        raise _refused(session, "auth.staff.totp_failure", account, username, client,
                       ServiceError("error.staff_login_code"), reason="not_enrolled")
    try:
        return second_factor(session, account.id, code, client)
    except Refusal as exc:
        if exc.code == "error.staff_code":
            raise Refusal("error.staff_login_code") from None  # still a Refusal: its audit rows commit
        raise


def _issue_recovery_codes(session: Session, account: StaffAccount) -> list[str]:
    """Fresh recovery codes replacing any earlier ones; the plain codes are returned once, never stored."""
    session.exec(sa.delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == account.id))
    codes = totp.new_recovery_codes()
    session.add_all(StaffRecoveryCode(staff_id=account.id, code_hash=totp.recovery_hash(account.id, c)) for c in codes)
    return codes


def issue_enrolment_code(session: Session, account: StaffAccount, actor: str, code: str | None = None,
                         now: dt.datetime | None = None) -> str:
    """A one-time code for the admin to hand over in person: without it a right password alone
    never shows a new TOTP secret. Only its keyed hash is kept; a new code voids the previous one."""
    code = code or totp.new_enrolment_code()
    if account.id is None:
        session.flush()
    account.enrolment_code_hash = totp.enrolment_code_hash(account.id, code)
    account.enrolment_code_expires_at = (now or now_utc()) + ENROLMENT_CODE_TTL
    session.add(account)
    audit.auth_event(session, "auth.staff.enrolment_code_issued", actor=actor, subject=f"staff:{account.id}", via=actor)
    return code


def start_enrolment(session: Session, staff_id: int, enrolment_code: str, client: str,
                    now: dt.datetime | None = None) -> totp.Enrolment:
    """A new secret for an account without a confirmed one, shown once, only to whoever gives the
    admin's enrolment code. The code is spent here (a conditional update: of two requests, one
    wins), so a reload needs a new code from the admin."""
    account = _account(session, staff_id)
    if account.totp_enrolled_at is not None:
        raise Forbidden("error.forbidden")
    _checked(session, "auth.staff.totp_failure", account, account.username, client)
    now = now or now_utc()
    secret = totp.new_secret()
    spent = session.exec(
        sa.update(StaffAccount)
        .where(StaffAccount.id == account.id, StaffAccount.totp_enrolled_at.is_(None),
               StaffAccount.enrolment_code_hash == totp.enrolment_code_hash(account.id, enrolment_code),
               StaffAccount.enrolment_code_expires_at > now)
        .values(enrolment_code_hash=None, enrolment_code_expires_at=None, totp_secret=totp.encrypt(secret),
                totp_last_counter=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not spent:
        session.rollback()
        raise _refuse(session, "auth.staff.totp_failure", account, account.username, client, "error.staff_enrolment_code",
                      kind="enrolment_code")
    session.refresh(account)
    return totp.enrolment(secret, account.username)


def confirm_enrolment(session: Session, staff_id: int, code: str, client: str) -> tuple[StaffUser, list[str]]:
    """The first right code from the app completes enrolment and the login; returns the recovery codes."""
    account = _account(session, staff_id)
    _checked(session, "auth.staff.totp_failure", account, account.username, client)
    secret = totp.decrypt(account.totp_secret or "") if account.totp_enrolled_at is None else None
    if secret is None:
        raise ServiceError("error.staff_step_expired")
    counter = totp.matching_counter(secret, code, None)
    if counter is None:
        raise _refuse(session, "auth.staff.totp_failure", account, account.username, client, "error.staff_code", kind="enrolment")
    account.totp_enrolled_at, account.totp_last_counter = now_utc(), counter
    session.add(account)
    codes = _issue_recovery_codes(session, account)
    audit.auth_event(session, "auth.staff.totp_enrolled", actor=f"staff:{account.id}", subject=f"staff:{account.id}",
                     client=client, via="login")
    return _succeed(session, account, client, factor="totp"), codes


def enrol(session: Session, account: StaffAccount, actor: str, secret: str | None = None) -> tuple[totp.Enrolment, list[str]]:
    """Enrol without a confirming code (the CLI, the demo seed): the caller hands the secret over."""
    secret = secret or totp.new_secret()
    account.totp_secret, account.totp_enrolled_at, account.totp_last_counter = totp.encrypt(secret), now_utc(), None
    session.add(account)
    session.flush()
    codes = _issue_recovery_codes(session, account)
    audit.auth_event(session, "auth.staff.totp_enrolled", actor=actor, subject=f"staff:{account.id}", via=actor)
    return totp.enrolment(secret, account.username), codes


def reset_totp(session: Session, username: str, actor: str) -> tuple[StaffAccount, str]:
    """Forget the second factor (lost phone): every session of the account ends (whoever holds the
    lost phone may be logged in), and it enrols again at its next login with the one-time
    enrolment code returned here, for the admin to hand over in person."""
    account = session.exec(select(StaffAccount).where(StaffAccount.username == username.strip().lower())).first()
    if account is None:
        raise ServiceError("error.staff_unknown")
    account.totp_secret = account.totp_enrolled_at = account.totp_last_counter = None
    session.add(account)
    session.exec(sa.delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == account.id))
    audit.record(session, actor, "staff.totp_reset", "staff", account.username)
    sessions.end_subject(session, "staff", account.id, "totp_reset")
    return account, issue_enrolment_code(session, account, actor)


def reload(session: Session, staff_id: int) -> StaffUser | None:
    """The current account behind a session: a deactivated or changed account takes effect at once."""
    account = session.get(StaffAccount, staff_id) if staff_id else None
    return _user(account) if account is not None and account.active else None


_SESSIONS, _ACCOUNTS = UserSession.__table__, StaffAccount.__table__
# The session a staff cookie names, its account and the reference version, in one statement: the
# desks' HTTP routes ask it on every request (the ORM's two reads cost more than the rest of a check).
_LIVE = (sa.select(_SESSIONS.c.id, _SESSIONS.c.kind, _SESSIONS.c.method, _SESSIONS.c.subject_id,
                   _SESSIONS.c.last_seen_at, _SESSIONS.c.expires_at, _SESSIONS.c.ended_at, _ACCOUNTS.c.username,
                   _ACCOUNTS.c.full_name, _ACCOUNTS.c.role, _ACCOUNTS.c.territory_id, _ACCOUNTS.c.precinct_id,
                   _ACCOUNTS.c.active, refcache.VERSION)
         .select_from(_SESSIONS.outerjoin(_ACCOUNTS, sa.and_(_SESSIONS.c.kind == "staff",
                                                             _ACCOUNTS.c.id == _SESSIONS.c.subject_id)))
         .where(_SESSIONS.c.sid_hash == sa.bindparam("sid_hash")))


def live(session: Session, sid: str, touch: bool = True, now: dt.datetime | None = None) -> tuple[StaffUser, int] | None:
    """The current account behind a staff session cookie and the session's row id, as
    `sessions.current` + `reload` decide it (an idle or outlived session ends here, audited;
    activity is written at most every `sessions.TOUCH_EVERY`), in one read. `touch=False`: a
    request that is not the member's activity (a desk polling on its own)."""
    if not sid:
        return None
    now = now or now_utc()
    row = session.connection().execute(_LIVE, {"sid_hash": sessions.sid_hash(sid)}).first()
    if row is None or row.kind != "staff" or row.ended_at is not None:
        return None
    refcache.version_read(session, row.reference_version)
    if sessions.outlived(row.last_seen_at, row.expires_at, now):
        sessions.current(session, "staff", sid, None, now)  # ends it, with its audit event
        return None
    if touch and sessions.touch_due(row.last_seen_at, now):
        sessions.touch(session, sessions.Current(row.id, row.subject_id, row.method, touch_due=True), now)
    if not row.active:  # no account (None), or a deactivated one
        return None
    return StaffUser(row.subject_id, row.username, row.full_name, row.role, row.territory_id, row.precinct_id), row.id


def territory_ids(session: Session, root_id: int) -> set[int]:
    """A territory and everything under it (for a territorial commission's scope)."""
    children: dict[int | None, list[int]] = {}
    for territory in session.exec(select(Territory)):
        children.setdefault(territory.parent_id, []).append(territory.id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, []))
    return found
