"""An application, its audit row and its messages commit together or not at all (SQLite too)."""

import pytest
from sqlmodel import Session, select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import Application, AuditEvent, OutboxMessage
from remote_vote_app.services.applications import applications
from tests.unit.test_applications import OPEN, _draft
from tests.unit.conftest import voter_session


class Boom(Exception):
    pass


def _count(model) -> int:
    with Session(get_engine()) as s:
        return len(s.exec(select(model)).all())


@pytest.mark.parametrize("fail_at", ["audit", "notify"])
def test_a_failure_after_the_insert_leaves_nothing_written(monkeypatch, sender, demo_voters, fail_at):
    """Before the fix, pysqlite committed the application at the savepoint's RELEASE, so it
    survived a failure of its audit row or its messages."""
    voter_id = demo_voters[3].id
    with session_scope() as session:
        online = voter_session(session, voter_id)
    audits_before = _count(AuditEvent)

    def boom(*_args, **_kwargs):
        raise Boom()

    monkeypatch.setattr(applications.audit if fail_at == "audit" else applications, "record" if fail_at == "audit" else "_notify", boom)
    with pytest.raises(Boom):
        with session_scope() as session:
            applications.submit(session, voter_id, _draft(session, demo_voters[3]), sender, "ru", now=OPEN, session_row=online)
    assert _count(Application) == 0 and _count(OutboxMessage) == 0 and _count(AuditEvent) == audits_before


def test_a_whole_submit_commits_once(sender, demo_voters):
    with session_scope() as session:
        applications.submit(session, demo_voters[3].id, _draft(session, demo_voters[3]), sender, "ru", now=OPEN,
                            session_row=voter_session(session, demo_voters[3].id))
    assert _count(Application) == 1 and _count(OutboxMessage) == 2


def test_concurrent_writers_all_commit_and_a_failed_one_does_not_keep_the_write_lock(demo_voters):
    """Writers of one process take turns on SQLite's single write lock (db._SqliteWriter on SQLite):
    every one commits, and one that fails mid-transaction hands the lock on when it rolls back."""
    import threading

    from remote_vote_app.models import Territory

    def write(i: int) -> None:
        with session_scope() as session:
            session.add(AuditEvent(actor=f"writer-{i}", action="test.write", entity="test", entity_id=str(i)))
            session.flush()
            if i % 4 == 0:
                raise Boom()

    def run(i: int) -> None:
        try:
            write(i)
        except Boom:
            pass

    before = _count(AuditEvent)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert _count(AuditEvent) == before + 18  # 6 of 24 rolled back
    with session_scope() as session:  # and the lock is free for the next one
        assert session.get(Territory, 1) is not None
        session.add(AuditEvent(actor="after", action="test.write", entity="test", entity_id="after"))
    assert _count(AuditEvent) == before + 19


def _threads_of(monkeypatch) -> list[str]:
    """Where each transaction of the app ran: 'loop' (the event loop's thread) or 'thread'."""
    import threading

    import remote_vote_app.db as db

    where, real = [], db.in_transaction

    def noted(work):
        where.append("loop" if threading.current_thread() is threading.main_thread() else "thread")
        return real(work)

    monkeypatch.setattr(db, "in_transaction", noted)
    return where


def test_the_voters_short_transactions_run_on_the_loop_on_sqlite_and_slow_work_in_a_thread(session, monkeypatch):
    """No thread hop per call on the embedded default (GUIDE §10: the hand-off cost more than the
    SQL); the application form's capacity count, staff pages and anything on PostgreSQL still go
    to a worker thread."""
    import asyncio

    from remote_vote_app.state.apply import ApplyState
    from remote_vote_app.state.cabinet import CabinetState
    from remote_vote_app.state.staff.session import StaffState
    from tests.unit.test_state_security import login
    from tests.support.states import Browser

    alice = Browser()
    login(session, alice, 0)
    where = _threads_of(monkeypatch)
    sqlite = get_engine().dialect.name == "sqlite"
    alice.state(CabinetState)._checked_until = 0.0
    alice.call(CabinetState, "load")  # the session check and the cabinet's reads: one short transaction
    alice.call(ApplyState, "load")  # counts the election's applications per precinct
    staff = alice.state(StaffState)
    assert asyncio.run(staff._run(lambda s: 1)) == 1
    assert where == (["loop", "thread", "thread"] if sqlite else ["thread"] * 3)


BUDGET = {"login.start": 4, "login.verify": 13, "apply.load": 5, "apply.review_answers": 3, "apply.confirm": 13,
          "cabinet.load": 7}


def test_each_step_of_the_voters_journey_keeps_to_its_statement_budget(session):
    """SQL statements per step of a voter's journey, the session check due at each (it is every
    RECHECK_SECONDS) and a limit set on the precinct: SQLAlchemy Core statements with the places
    taken read from one row, the register entry read once per transaction, the reference version
    read along with the session. Before them (ORM, places counted, a savepoint per filing) the steps
    sent 4, 14, 8, 5, 20 and 12.
    A step over its budget has gained round trips: `python -m benchmarks.handler_latency --sql`
    lists them."""
    import re

    import sqlalchemy as sa

    from remote_vote_app.demo.seed import DEMO_VOTERS
    from remote_vote_app.models import Precinct
    from remote_vote_app.services.applications import capacity
    from remote_vote_app.services.reference import refcache
    from remote_vote_app.state.apply import ApplyState
    from remote_vote_app.state.cabinet import CabinetState
    from remote_vote_app.state.login import LoginState
    from tests.support.states import Browser
    from tests.unit.test_state_security import outbox

    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-03")).one()
    tab, sent = Browser(), []
    pin, document, *_ = DEMO_VOTERS[0]

    def step(cls, name, *args):
        tab.state(cls)._checked_until = 0.0  # the session check is due
        mark = len(sent)
        result = tab.call(cls, name, *args)
        return result, len(sent) - mark

    def statement(_conn, _cursor, sql, *_args):
        sent.append(sql)

    with session_scope() as s:
        refcache.snapshot(s)  # loaded already, as in a running server

    sa.event.listen(get_engine(), "before_cursor_execute", statement)
    try:
        counts = {"login.start": step(LoginState, "start", {"pin": pin, "document": document})[1]}
        code = re.search(r"\b(\d{6})\b", outbox(session)[-1].body).group(1)
        counts["login.verify"] = step(LoginState, "verify", {"code": code})[1]  # with the cookie's exchange
        with session_scope() as s:
            election_id = applications.form_options(s, tab.state(ApplyState)._voter_id)["ru"][0]["id"]
            capacity.set_capacity(s, int(election_id), precinct.id, "10", "staff:1")
        counts["apply.load"] = step(ApplyState, "load")[1]
        form = {"election": election_id, "precinct": str(precinct.id), "email": "a@example.kg",
                "phone": "0700123456", "consent": "on"}
        counts["apply.review_answers"] = step(ApplyState, "review_answers", form)[1]
        counts["apply.confirm"] = step(ApplyState, "confirm")[1]
        counts["cabinet.load"] = step(CabinetState, "load")[1]
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", statement)
    assert tab.state(ApplyState).confirmation.get("reference"), tab.state(ApplyState).error_entries
    assert {step: n for step, n in counts.items() if n > BUDGET[step]} == {}, counts
