"""Territories, elections and precincts, read on nearly every voter event, kept per process and
shared by its threads.

Electoral districts and each precinct's district (identification mode) are cached the same way.

Database triggers give `ReferenceVersion` a new random token with any change to these tables (ORM,
bulk or raw SQL, on any worker or CLI), so one primary-key read per transaction tells whether this
process's copy is current; a rolled-back change or a restored backup never brings back a token
that a stale copy carries. The rows are detached copies: read them, never change them (staff edits
load their own with `session.get`). Reading flushes pending reference objects first, so build a
new precinct or election completely before calling a reader.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from remote_vote_app.models import DistrictPrecinct, Election, ElectoralDistrict, Precinct, ReferenceVersion, Territory

MODELS = (Territory, Election, Precinct, ElectoralDistrict, DistrictPrecinct)
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    version: int
    rows: dict[type, dict[int, object]]
    _derived: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def get(self, model: type[T], row_id: int | None) -> T | None:
        return self.rows[model].get(row_id) if row_id is not None else None

    def all(self, model: type[T]) -> list[T]:
        """Every row, by id."""
        return list(self.rows[model].values())

    def derive(self, name: str, build: Callable[[], T]) -> T:
        """A value built from these rows once, then shared (two threads may both build it first)."""
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]


_snapshots: dict[str, Snapshot] = {}
_load_lock = threading.Lock()


def _version(session: Session) -> int:
    # Plain SQL: read on every transaction, it skips the ORM's statement compilation.
    return session.connection().exec_driver_sql("SELECT version FROM referenceversion WHERE id = 1").scalar() or 0


# The version as a column, for a hot path's first statement of its transaction to read along
# (`version_read`): one round trip fewer than `snapshot` reading it on its own.
VERSION = sa.select(ReferenceVersion.__table__.c.version).where(ReferenceVersion.__table__.c.id == 1) \
    .scalar_subquery().label("reference_version")


def version_read(session: Session, version: int | None) -> None:
    """This transaction has read the version (the `VERSION` column): `snapshot` takes it from here."""
    session.info[_READ] = version or 0


def snapshot(session: Session) -> Snapshot:
    """The reference rows as of this transaction (reloaded when another transaction changed them);
    one version read per transaction."""
    if _pending_change(session):
        session.flush()  # the hook below marks the change; this transaction then reads it
    if (seen := session.info.get(_SEEN)) is not None:
        return seen
    bind = session.get_bind()
    key = str(getattr(bind, "engine", bind).url)
    version = session.info.pop(_READ, None)
    if version is None or session.info.get(_CHANGED):
        version = _version(session)  # read first: the rows loaded after it are at least this new
    mine = bool(session.info.get(_CHANGED))
    current = _snapshots.get(key)
    if current is None or current.version != version or mine:
        with _load_lock:
            current = _snapshots.get(key)
            if current is None or current.version != version or mine:
                current = _load(session, version)
                # A transaction that changed reference rows sees them but keeps that copy to itself:
                # it may still roll back.
                if not mine:
                    _snapshots[key] = current
    session.info[_SEEN] = current
    return current


def _load(session: Session, version: int) -> Snapshot:
    # A session of its own on the same connection: the caller's identity map is left alone.
    with Session(bind=session.connection()) as loader:
        rows = {model: {row.id: row for row in loader.exec(select(model).order_by(model.id))} for model in MODELS}
        loader.expunge_all()
    return Snapshot(version, rows)


def _pending_change(session: Session) -> bool:
    return any(isinstance(obj, MODELS) for obj in (*session.new, *session.dirty, *session.deleted))


def row(session: Session, model: type[T], row_id: int | None) -> T | None:
    """One territory, election or precinct by id, as a read-only copy. A row created since this
    transaction first read the copy (e.g. found through an application that refers to it) makes it
    look again."""
    found = snapshot(session).get(model, row_id)
    if found is None and row_id is not None:
        session.info.pop(_SEEN, None)
        found = snapshot(session).get(model, row_id)
    return found


def clear() -> None:
    """Forget every copy (tests that rewrite reference tables with raw SQL)."""
    _snapshots.clear()


_CHANGED = "reference_changed"
_SEEN = "reference_snapshot"
_READ = "reference_version_read"


@event.listens_for(OrmSession, "before_flush")
def _mark_change(session: OrmSession, _context, _instances) -> None:
    """The triggers change the token; this transaction reads its own change from now on."""
    if _pending_change(session):
        session.info[_CHANGED] = True
        session.info.pop(_SEEN, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _transaction_over(session: OrmSession, transaction) -> None:
    # A savepoint that changed reference rows may have rolled back: look again. One that changed
    # none leaves the copy as it was (an application's SAVEPOINT used to cost a version read).
    if transaction.parent is None or session.info.get(_CHANGED):
        session.info.pop(_SEEN, None)
    if transaction.parent is None:  # the outermost one: committed or rolled back
        session.info.pop(_CHANGED, None)
        session.info.pop(_READ, None)
