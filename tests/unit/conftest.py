"""One migrated, seeded SQLite file for the unit tests; mutable tables are emptied before each test."""

import datetime as dt
import os
from contextlib import contextmanager
import tempfile
from pathlib import Path

_DB_DIR = tempfile.mkdtemp(prefix="rv-unit-")
# TEST_DATABASE_URL runs the suite on PostgreSQL (tests.support.services --postgres sets it).
os.environ["REFLEX_DB_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{Path(_DB_DIR) / 'unit.db'}"
os.environ.setdefault("SECRET_KEY", "unit-test-secret")
os.environ.setdefault("DEMO_MODE", "1")  # codes are readable in the outbox, as on /dev/outbox

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from remote_vote_app import cli  # noqa: E402
from remote_vote_app.db import get_engine  # noqa: E402
from remote_vote_app.models import Election, OutboxMessage, Voter  # noqa: E402
from remote_vote_app.services.clock import local_date  # noqa: E402
from remote_vote_app.services.identity import ratelimit  # noqa: E402
from remote_vote_app.services.messaging.notifications import OutboxSender  # noqa: E402
from remote_vote_app.demo.seed import DEMO_VOTERS  # noqa: E402
from tests.support.settings import override_settings  # noqa: E402, F401 - the fixture tests change settings with

# The demo election is seeded relative to today in Kyrgyzstan, as the seed itself reckons it (the host's
# date differs from 18:00 to 24:00 UTC), so State handlers (which use the real clock) see it open.
SEED_DAY = local_date()
DEMO_DEADLINE = SEED_DAY + dt.timedelta(days=14)


@pytest.fixture(scope="session", autouse=True)
def database():
    cli.migrate()
    from remote_vote_app.db import session_scope
    from remote_vote_app.demo.seed import seed

    with session_scope() as session:
        seed(session, today=SEED_DAY, voters=300)
    yield


@pytest.fixture(scope="session", autouse=True)
def face_frames_analysed_once():
    """The FaceID tests send the same synthesised frames again and again, and dlib's facts of a
    frame depend on its bytes alone: the real engine analyses each distinct frame once per session
    (about 0.1 s of CPU each) and later captures reuse its answer, in the same order, so a refused
    frame still refuses the capture where it did."""
    from remote_vote_app.services.identity import faceid

    real, known = faceid.analyse, {}

    def analyse(frames):
        facts = []
        for data in frames:
            if data not in known:
                known[data] = real([data])[0]
            facts.append(known[data])
        return facts

    faceid.analyse = analyse
    yield
    faceid.analyse = real


@pytest.fixture(autouse=True)
def clean_tables(database):
    with get_engine().begin() as conn:
        for table in ("identifiedballot", "identificationdecision", "checkinflag", "ballotissue", "activityreport",
                      "reminder", "reminderoptout", "precinctcapacity", "statisticssnapshot", "application", "logincode",
                      "outboxmessage", "usersession", "trusteddevice"):
            conn.execute(text(f"DELETE FROM {table}"))
    ratelimit.reset()
    from remote_vote_app.services.election_day import turnout
    from remote_vote_app.services.reporting import statistics

    statistics.clear_cache()
    turnout.clear_cache()
    yield


@pytest.fixture
def session():
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s
        s.commit()


@pytest.fixture
def sender():
    return OutboxSender()


@pytest.fixture
def demo_voters(session):
    """The README's demo voters, as database rows."""
    return [session.exec(select(Voter).where(Voter.pin == row[0])).one() for row in DEMO_VOTERS]


def demo_election(session: Session, voter: Voter) -> Election:
    return session.exec(select(Election).where(Election.territory_id == voter.territory_id, Election.is_demo == True)).one()  # noqa: E712


def closed_election(session: Session, voter: Voter) -> Election:
    return session.exec(select(Election).where(Election.territory_id == voter.territory_id, Election.is_demo == False)).one()  # noqa: E712


def bishkek(hour: int, minute: int = 0, second: int = 0, day: dt.date = SEED_DAY) -> dt.datetime:
    """An instant given in Bishkek local time, as aware UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=ZoneInfo("Asia/Bishkek")).astimezone(dt.timezone.utc)


def outbox(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def voter_session(session: Session, voter_id: int, method: str = "sms", now: dt.datetime | None = None) -> int:
    """The row id of a new server-side session of the voter, begun by `method`: what the online
    writers of applications take as proof of who acts (services.identity.assurance). Written directly, not
    by sessions.start, so no audited login is left behind (the audit outlives each test).
    By default it was last seen at the end of the seed day in Bishkek: live for the tests' fixed
    instants of that day (OPEN, bishkek(h)) and for the real clock alike, at any hour of the host."""
    from remote_vote_app.models import UserSession
    from remote_vote_app.services.identity import sessions

    now = now or bishkek(23, 59, 59)
    row = UserSession(kind="voter", subject_id=voter_id, method=method, client="198.51.100.1", created_at=now,
                      last_seen_at=now, expires_at=now + sessions.lifetime("voter"))
    session.add(row)
    session.flush()
    return row.id


@contextmanager
def elections_in_zone(session: Session, elections: list[Election], name: str):
    """The given elections in time zone `name` for the block, as an election abroad would be; the
    seeded rows outlive each test, so their zones are put back after it."""
    before = {e.id: e.timezone for e in elections}
    for election in elections:
        election.timezone = name
        session.add(election)
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        for election in elections:
            election.timezone = before[election.id]
            session.add(election)
        session.commit()
