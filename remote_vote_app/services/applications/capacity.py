"""How many voters each remote precinct can take per election, and the rule that no more apply.

Staff set a capacity per (election, remote precinct); without one a precinct has no limit. The
places taken are counted by the database itself: triggers on `application` keep `PrecinctBooking`
(one row per election and precinct) in the transaction that files, moves or withdraws an
application, so every read here is one indexed row per precinct, never a count of applications.
The rule is enforced in `applications.submit` / `change` through `take_place`, which first locks the
capacity row and only then reads the places taken: on PostgreSQL `SELECT ... FOR UPDATE` (a second
submit for the same precinct waits until the first commits, then reads the count its trigger left,
in a fresh READ COMMITTED snapshot); on SQLite a write to the row opens the IMMEDIATE transaction, so
the single writer lock serializes the read and the insert. Either way the last place cannot go twice.
The statements are SQLAlchemy Core, built once (the voter's form, review and confirm read them).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app.i18n import DEFAULT_LANG, LANGS, localized, t
from remote_vote_app.models import Election, Precinct, PrecinctBooking, PrecinctCapacity
from remote_vote_app.services import audit
from remote_vote_app.services.reference import precincts, refcache
from remote_vote_app.services.clock import now_utc
from remote_vote_app.errors import ServiceError

ALMOST_FULL = 0.9  # "almost full" from 90 % of the places taken
MAX_CAPACITY = 100_000
NEAREST = 3  # how many precincts with room a refusal offers


@dataclass(frozen=True)
class Fill:
    capacity: int | None  # None: no limit set
    booked: int

    @property
    def level(self) -> str:
        """ok | almost_full | full ('' when no limit is set)."""
        if self.capacity is None:
            return ""
        if self.booked >= self.capacity:
            return "full"
        return "almost_full" if self.booked >= ALMOST_FULL * self.capacity else "ok"

    @property
    def percent(self) -> int | None:
        if not self.capacity:
            return None if self.capacity is None else 100
        return min(100, round(100 * self.booked / self.capacity))


_CAPACITY, _BOOKING = PrecinctCapacity.__table__, PrecinctBooking.__table__
_ONE = sa.and_(_CAPACITY.c.election_id == sa.bindparam("election"), _CAPACITY.c.precinct_id == sa.bindparam("precinct"))
# The limit and the places taken at one precinct (no row: no limit).
_ROOM = sa.select(_CAPACITY.c.capacity, sa.func.coalesce(_BOOKING.c.booked, 0)).select_from(
    _CAPACITY.outerjoin(_BOOKING, sa.and_(_BOOKING.c.election_id == _CAPACITY.c.election_id,
                                          _BOOKING.c.precinct_id == _CAPACITY.c.precinct_id))).where(_ONE)
_LOCK_POSTGRESQL = sa.select(_CAPACITY.c.id).where(_ONE).with_for_update()
# A no-op write: on SQLite it begins the IMMEDIATE transaction (the single writer lock).
_LOCK_SQLITE = sa.update(_CAPACITY).where(_ONE).values(capacity=_CAPACITY.c.capacity)
_IDS = sa.bindparam("elections", expanding=True)
_CAPACITIES = sa.select(_CAPACITY.c.election_id, _CAPACITY.c.precinct_id, _CAPACITY.c.capacity).where(
    _CAPACITY.c.election_id.in_(_IDS))
_BOOKINGS = sa.select(_BOOKING.c.election_id, _BOOKING.c.precinct_id, _BOOKING.c.booked).where(
    _BOOKING.c.election_id.in_(_IDS), _BOOKING.c.booked != 0)


def _room(session: Session, election_id: int, precinct_id: int) -> tuple[int, int] | None:
    """(capacity, places taken), or None without a limit."""
    found = session.connection().execute(_ROOM, {"election": election_id, "precinct": precinct_id}).first()
    return (found[0], found[1]) if found is not None else None


def _row(session: Session, election_id: int, precinct_id: int) -> PrecinctCapacity | None:
    return session.exec(select(PrecinctCapacity).where(PrecinctCapacity.election_id == election_id,
                                                       PrecinctCapacity.precinct_id == precinct_id)
                        .execution_options(populate_existing=True)).first()


def fills(session: Session, election_ids: list[int]) -> dict[int, dict[int, Fill]]:
    """{election_id: {precinct_id: Fill}} for every remote precinct (two reads of one row per
    precinct with a limit or an application, whatever the number of applications)."""
    if not election_ids:
        return {}
    connection, ids = session.connection(), {"elections": list(election_ids)}
    caps = {(e, p): n for e, p, n in connection.execute(_CAPACITIES, ids)}
    counts = {(e, p): n for e, p, n in connection.execute(_BOOKINGS, ids)}
    remote = precincts.all_remote(session)
    return {e: {p.id: Fill(caps.get((e, p.id)), counts.get((e, p.id), 0)) for p in remote} for e in election_ids}


def fill_levels(session: Session, election_ids: list[int]) -> dict[str, dict[str, str]]:
    """{election id: {precinct id: level}} as the form's strings (the ids are the inputs' values)."""
    return {str(e): {str(p): f.level for p, f in levels.items()} for e, levels in fills(session, election_ids).items()}


def shown_level(level: str, precinct_id: str, held_precinct: str) -> str:
    """The level a voter changing an application sees: the place it already holds stays theirs, so
    that precinct is never "full" for them."""
    return "almost_full" if level == "full" and precinct_id == held_precinct else level


def level_texts(level: str) -> dict[str, str]:
    return {lang: t(lang, f"capacity.{level}") if level else "" for lang in LANGS}


def nearest_with_room(session: Session, election_id: int, precinct_id: int, lang: str) -> list[str]:
    """The active remote precincts nearest to `precinct_id` that still have room in this election."""
    origin = refcache.row(session, Precinct, precinct_id)
    levels = fills(session, [election_id])[election_id]
    options = []
    for p in precincts.active_remote(session):
        if p.id == precinct_id or levels[p.id].level == "full" or p.latitude is None or origin.latitude is None:
            continue
        km = precincts.distance_km(origin.latitude, origin.longitude, p.latitude, p.longitude)
        place = precincts.localized(p, lang)
        options.append((km, f"{place['number']} — {place['place']}, {place['city']} ({t(lang, 'map.km_straight', km=f'{km:.0f}')})"))
    return [text for _, text in sorted(options)[:NEAREST]]


def full_error(session: Session, election_id: int, precinct_id: int, lang: str = "ru") -> ServiceError:
    """The refusal the voter reads: which precinct is full, and the nearest ones with room."""
    number = refcache.row(session, Precinct, precinct_id).number
    nearest = nearest_with_room(session, election_id, precinct_id, lang)
    return ServiceError("error.precinct_full", field="precinct", precinct=number,
                        alternatives="; ".join(nearest) or t(lang, "capacity.no_alternatives"))


def has_room(session: Session, election_id: int, precinct_id: int) -> bool:
    """A read without a lock, for the form: the binding check is `take_place`."""
    room = _room(session, election_id, precinct_id)
    return room is None or room[1] < room[0]


def ensure_room(session: Session, election_id: int, precinct_id: int, lang: str) -> None:
    if not has_room(session, election_id, precinct_id):
        raise full_error(session, election_id, precinct_id, lang)


def take_place(session: Session, election_id: int, precinct_id: int, lang: str) -> None:
    """Lock the capacity row, then read the places taken: raises the 'full' refusal when none is
    left. Call it in the transaction that then inserts or moves the application (the lock lasts
    until commit; the application's trigger counts its place before that)."""
    params = {"election": election_id, "precinct": precinct_id}
    postgresql = session.get_bind().dialect.name == "postgresql"
    session.connection().execute(_LOCK_POSTGRESQL if postgresql else _LOCK_SQLITE, params)
    if not has_room(session, election_id, precinct_id):
        raise full_error(session, election_id, precinct_id, lang)


def set_capacity(session: Session, election_id: int, precinct_id: int, value: object, actor: str) -> PrecinctCapacity | None:
    """Staff set (or, with an empty value, remove) the limit; audited. A limit below the places
    already taken is allowed (nobody is removed), and the precinct is then full."""
    election, precinct = session.get(Election, election_id), session.get(Precinct, precinct_id)
    if election is None or precinct is None or precinct.kind != "remote":
        raise ServiceError("error.precinct_required")
    text = str(value if value is not None else "").strip()
    row = _row(session, election_id, precinct_id)
    before = row.capacity if row else None
    if text == "":
        if row is not None:
            session.delete(row)
            audit.record(session, actor, "capacity.removed", "precinct", precinct.number, election_id=election_id,
                         before=before)
        return None
    if not text.isdigit() or int(text) > MAX_CAPACITY:
        raise ServiceError("error.capacity_invalid", field=f"capacity-{precinct_id}")
    capacity = int(text)
    if row is None:
        row = PrecinctCapacity(election_id=election_id, precinct_id=precinct_id, capacity=capacity)
    elif row.capacity == capacity:
        return row
    row.capacity, row.updated_at, row.updated_by = capacity, now_utc(), actor
    session.add(row)
    session.flush()
    audit.record(session, actor, "capacity.set", "precinct", precinct.number, election_id=election_id, before=before,
                 after=capacity)
    return row


def staff_table(session: Session, election_id: int, lang: str = DEFAULT_LANG) -> list[dict]:
    """Every remote precinct with its limit and places taken in one election (for the staff page)."""
    levels = fills(session, [election_id]).get(election_id, {})
    rows = []
    for p in precincts.all_remote(session):
        fill = levels.get(p.id, Fill(None, 0))
        rows.append({"id": p.id, "number": p.number, "city": localized(p, "city", lang), "capacity": "" if fill.capacity is None else fill.capacity,
                     "booked": fill.booked, "level": fill.level,
                     "percent": "" if fill.percent is None else f"{fill.percent} %"})
    return rows


def staff_choice(session: Session, chosen: int | None) -> tuple[list[dict[str, str]], int | None, list[dict]]:
    """The staff capacity page: the elections to choose from (the open ones, else all), the one
    shown (the chosen one if it is among them, else the first) and its table."""
    from remote_vote_app.services.reference import elections  # noqa: PLC0415

    options = [o for o in elections.admin_list(session) if o["open"]] or elections.admin_list(session)
    election_id = chosen if chosen and any(o["id"] == str(chosen) for o in options) else (
        int(options[0]["id"]) if options else None)
    return options, election_id, staff_table(session, election_id) if election_id else []


ORDER = {"": 0, "ok": 1, "almost_full": 2, "full": 3}


def open_levels(session: Session) -> dict[str, str]:
    """{precinct id: level} over the elections still open (the fullest of them), for the public map."""
    from remote_vote_app.services.reference import elections  # noqa: PLC0415

    open_ids = [e.id for e in session.exec(select(Election)) if elections.is_open(e)]
    worst: dict[str, str] = {}
    for levels in fills(session, open_ids).values():
        for precinct_id, fill in levels.items():
            key = str(precinct_id)
            if ORDER[fill.level] > ORDER[worst.get(key, "")]:
                worst[key] = fill.level
    return worst
