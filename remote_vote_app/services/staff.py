"""Commission staff: accounts, password login, roles and what each role may do and see."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from remote_vote_app.models import Precinct, StaffAccount, Territory
from remote_vote_app.services import audit, ratelimit
from remote_vote_app.services.ratelimit import parse
from remote_vote_app.services.errors import Forbidden, ServiceError

ROLES = ("cec_admin", "tec_operator", "precinct_member", "observer")

# permission -> roles that hold it; the server checks these on every staff handler.
PERMISSIONS: dict[str, frozenset[str]] = {
    "stats.view": frozenset(ROLES),
    "applications.view": frozenset({"cec_admin", "tec_operator"}),
    "applications.create": frozenset({"cec_admin", "tec_operator"}),
    "voter_list.view": frozenset({"cec_admin", "precinct_member"}),
    "precincts.manage": frozenset({"cec_admin"}),
    "elections.manage": frozenset({"cec_admin"}),
    "audit.view": frozenset({"cec_admin"}),
    "anomalies.view": frozenset({"cec_admin"}),
    "pii.full": frozenset({"cec_admin", "tec_operator", "precinct_member"}),
}

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
LOGIN_PER_USER = parse("5/15 minutes")
LOGIN_PER_CLIENT = parse("30/hour")
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
    if role == "precinct_member":
        precinct = session.exec(select(Precinct).where(Precinct.number == (precinct_number or ""),
                                                       Precinct.kind == "remote")).first()
        if precinct is None:
            raise ServiceError("error.precinct_required")
        precinct_id = precinct.id
    account = StaffAccount(username=username, full_name=full_name.strip(), password_hash=_hasher.hash(password),
                           role=role, territory_id=territory_id, precinct_id=precinct_id)
    session.add(account)
    session.flush()
    audit.record(session, actor, "staff.created", "staff", account.username, role=role)
    return account


def authenticate(session: Session, username: str, password: str, client: str) -> StaffUser:
    """The user for a right username and password; the same error for any wrong pair."""
    username = (username or "").strip().lower()
    user_key, client_key = ratelimit.key(f"staff:{username}"), ratelimit.key(client)
    ratelimit.count(LOGIN_PER_CLIENT, "staff-client", client_key)
    ratelimit.check(LOGIN_PER_USER, "staff-user", user_key)
    account = session.exec(select(StaffAccount).where(StaffAccount.username == username)).first()
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password or "")
        ok = account is not None and account.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        ratelimit.record(LOGIN_PER_USER, "staff-user", user_key)
        raise ServiceError("error.staff_login")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.add(account)
    audit.record(session, f"staff:{account.id}", "staff.login", "staff", account.username)
    return _user(account)


def reload(session: Session, staff_id: int) -> StaffUser | None:
    """The current account behind a session: a deactivated or changed account takes effect at once."""
    account = session.get(StaffAccount, staff_id) if staff_id else None
    return _user(account) if account is not None and account.active else None


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
