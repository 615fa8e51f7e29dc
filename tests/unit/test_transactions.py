"""An application, its audit row and its messages commit together or not at all (SQLite too)."""

import pytest
from sqlmodel import Session, select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import Application, AuditEvent, OutboxMessage
from remote_vote_app.services import applications
from tests.unit.test_applications import OPEN, _draft


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
    audits_before = _count(AuditEvent)

    def boom(*_args, **_kwargs):
        raise Boom()

    monkeypatch.setattr(applications.audit if fail_at == "audit" else applications, "record" if fail_at == "audit" else "_notify", boom)
    with pytest.raises(Boom):
        with session_scope() as session:
            applications.submit(session, voter_id, _draft(session, demo_voters[3]), sender, "ru", now=OPEN)
    assert _count(Application) == 0 and _count(OutboxMessage) == 0 and _count(AuditEvent) == audits_before


def test_a_whole_submit_commits_once(sender, demo_voters):
    with session_scope() as session:
        applications.submit(session, demo_voters[3].id, _draft(session, demo_voters[3]), sender, "ru", now=OPEN)
    assert _count(Application) == 1 and _count(OutboxMessage) == 2
