"""Database engine and sessions for services (no Reflex import)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from remote_vote_app.errors import Refusal, Unavailable
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)
_engines: dict[str, sa.engine.Engine] = {}
T = TypeVar("T")


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we open transactions ourselves, below
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the single writer
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "SAVEPO")


class _SqliteWriter:
    """SQLite has one writer at a time per file. Its busy handler makes a waiting connection poll
    with sleeps of up to 100 ms, so under load threads slept while the lock was free (a fifth of all
    thread time in the journey benchmark). Writers of this process queue on a lock instead (one per
    engine) and get it the moment the previous one's connection goes back to the pool; other
    processes (the CLI, a backup) still meet `busy_timeout`. A connection kept checked out across
    commits (`engine.connect()`, as the migrations do) keeps the lock until it is returned."""

    WAIT = 10.0  # seconds; after that BEGIN IMMEDIATE decides, with busy_timeout (5 s) more

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder = None  # the DBAPI connection in a write transaction

    def acquire(self, dbapi) -> None:
        if self._holder is not dbapi and self._lock.acquire(timeout=self.WAIT):
            self._holder = dbapi

    def release(self, dbapi, *_args) -> None:
        if self._holder is dbapi:
            self._holder = None
            self._lock.release()


def _sqlite_begin_before_write(writer: _SqliteWriter):
    def before_execute(conn, _cursor, statement: str, *_args) -> None:
        """pysqlite starts no transaction before a SAVEPOINT, so its RELEASE used to commit an
        application before its audit row and messages. Here the first write of a unit of work opens
        one explicitly (IMMEDIATE: it waits for the write lock instead of failing on a stale read);
        reads before it run as pysqlite always ran them."""
        dbapi = conn.connection.dbapi_connection
        if not dbapi.in_transaction and statement.lstrip()[:6].upper() in _WRITES:
            writer.acquire(dbapi)
            dbapi.execute("BEGIN IMMEDIATE")

    return before_execute


def _private_sqlite_files(url: str) -> None:
    """The database file exists, mode 0600, before SQLite opens it, whatever the umask: SQLite
    creates its -wal, -shm and -journal files with the database file's mode. Files left 0644 by an
    older version are tightened."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


def get_engine(url: str | None = None) -> sa.engine.Engine:
    url = url or settings.db_url
    if url not in _engines:
        if url.startswith("sqlite"):
            _private_sqlite_files(url)
        # Bound parameters (PINs, phones, e-mails) must never appear in error messages or logs.
        kwargs: dict = {"hide_parameters": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            # Dead connections (a restarted PostgreSQL) are replaced instead of failing a request.
            kwargs.update(pool_pre_ping=True, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
        engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_connect)
            writer = _SqliteWriter()
            event.listen(engine, "before_cursor_execute", _sqlite_begin_before_write(writer))
            # The unit of work is over (committed or rolled back) when its connection goes back.
            for name in ("checkin", "close", "close_detached", "invalidate"):
                event.listen(engine.pool, name, writer.release)
        _engines[url] = engine
    return _engines[url]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session committed on success and rolled back on any error: nothing half-written.
    A `Refusal` (a wrong code, counted and audited) keeps what it recorded."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Refusal:
            session.commit()
            raise
        except BaseException:
            session.rollback()
            raise


def in_transaction(work: Callable[[Session], T]) -> T:
    """`work(session)` in one transaction (session_scope's rules)."""
    with session_scope() as session:
        return work(session)


async def run_in_transaction(work: Callable[[Session], T]) -> T:
    """The same, in a worker thread: database time never blocks the event loop (and, on
    PostgreSQL, the network round trips overlap across users). A database that cannot be reached
    becomes `Unavailable`, which the page shows in the user's language; nothing was written."""
    with _unavailable_if_unreachable():
        return await asyncio.to_thread(in_transaction, work)


async def run_short_transaction(work: Callable[[Session], T]) -> T:
    """A transaction of a few indexed statements (the voter's hot paths). On the embedded default
    it runs right here on the event loop: a local SQLite file answers in well under a millisecond,
    less than the hand-off to a worker thread and back costs, and the GIL contention of that
    hand-off doubled the database steps' time under load (GUIDE §10). Writers of this process then
    never wait on each other either (the loop runs one transaction at a time); they wait only for a
    thread's or another process's short write. On PostgreSQL: `run_in_transaction`. Never for work
    that is slow in itself (argon2, face comparison, large exports and searches)."""
    if get_engine().dialect.name != "sqlite":
        return await run_in_transaction(work)
    with _unavailable_if_unreachable():
        return in_transaction(work)


@contextmanager
def _unavailable_if_unreachable() -> Iterator[None]:
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        raise Unavailable("error.unavailable") from None
