"""Back up, lose data, restore, find every application: on the database of REFLEX_DB_URL
(SQLite here; PostgreSQL when the suite runs there, skipped without pg_dump)."""

import shutil
import stat

import pytest
from sqlalchemy import text
from sqlmodel import select

from remote_vote_app import backup
from remote_vote_app.db import get_engine
from remote_vote_app.models import Application, AuditEvent, Precinct
from remote_vote_app.services.applications import applications
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.settings import settings
from tests.unit.conftest import bishkek, demo_election, voter_session


@pytest.fixture(autouse=True)
def pg_tools():
    if not settings.db_url.startswith("sqlite") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump / pg_restore are not installed: make services installs them (postgresql-client)")


def _submit_all(session, sender, voters):
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
    refs = []
    for voter in voters:
        draft = Draft(election_id=demo_election(session, voter).id, precinct_id=precinct.id,
                      email=f"v{voter.id}@example.kg", phone=voter.phone, consent=True)
        refs.append(applications.submit(session, voter.id, draft, sender, "ru", now=bishkek(12),
                                        session_row=voter_session(session, voter.id)).reference)
    session.commit()
    return refs


def test_restore_finds_every_application(session, sender, demo_voters, tmp_path):
    refs = _submit_all(session, sender, demo_voters[:4])
    audit_rows = len(session.exec(select(AuditEvent)).all())
    path = backup.backup(tmp_path / "before.backup")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(backup.BackupError):
        backup.backup(path)  # never overwrites a backup

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE application SET email = 'changed@example.kg'"))
        conn.execute(text("DELETE FROM application WHERE reference = :r"), {"r": refs[0]})
    session.expire_all()
    _submit_all(session, sender, demo_voters[4:5])  # written after the backup: gone after restore
    get_engine().dispose()  # PostgreSQL: no idle connection holds a lock the restore waits for
    backup.restore(path)

    session.expire_all()
    rows = {a.reference: a for a in session.exec(select(Application))}
    assert set(rows) == set(refs)
    assert all(rows[r].email.startswith("v") for r in refs)
    assert len(session.exec(select(AuditEvent)).all()) == audit_rows


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a database")
    with pytest.raises(backup.BackupError, match="not a"):
        backup.restore(junk)


def test_libpq_url_keeps_the_password_out_of_the_command_line():
    url, env = backup._libpq(backup.make_url("postgresql+psycopg://vote:s3cret@db.example:5433/vote?sslmode=require"))
    assert url == "postgresql://vote@db.example:5433/vote?sslmode=require" and env["PGPASSWORD"] == "s3cret"
