"""Server-side sessions: one-time tickets, new ids at every login, idle and absolute ends."""

import datetime as dt

from sqlmodel import select

from remote_vote_app.models import AuditEvent, UserSession
from remote_vote_app.services import sessions

T0 = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.timezone.utc)


def _login(session, voter_id=1, now=T0):
    started = sessions.start(session, "voter", voter_id, "sms", "10.0.0.1", now=now)
    done = sessions.exchange(session, started.ticket, now=now)
    return started, done


def test_ticket_is_single_use_and_short_lived(session):
    started = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    assert sessions.exchange(session, started.ticket, now=T0 + dt.timedelta(seconds=61)) is None
    started = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    assert sessions.exchange(session, started.ticket, now=T0) is not None
    assert sessions.exchange(session, started.ticket, now=T0) is None


def test_only_hashes_are_stored(session):
    started, done = _login(session)
    row = session.get(UserSession, started.row_id)
    assert done.sid not in (row.sid_hash or "") and row.ticket_hash is None


def test_the_cookie_must_belong_to_the_bound_session(session):
    started, done = _login(session)
    other, other_done = _login(session, voter_id=2)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=T0).subject_id == 1
    # A replayed client token arrives with another browser's cookie, or with none.
    assert sessions.current(session, "voter", other_done.sid, started.row_id, now=T0) is None
    assert sessions.current(session, "voter", "", started.row_id, now=T0) is None
    assert sessions.current(session, "staff", done.sid, started.row_id, now=T0) is None


def test_idle_limit_ends_the_session(session):
    started, done = _login(session)
    assert not sessions.current(session, "voter", done.sid, started.row_id, now=T0 + dt.timedelta(minutes=14)).expired
    late = T0 + dt.timedelta(minutes=14) + dt.timedelta(minutes=15, seconds=1)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=late).expired
    assert sessions.current(session, "voter", done.sid, started.row_id, now=late) is None
    assert session.get(UserSession, started.row_id).end_reason == "idle"


def test_absolute_limit_ends_an_active_session(session):
    started, done = _login(session)
    now = T0
    while now < T0 + dt.timedelta(hours=8) - dt.timedelta(minutes=10):
        now += dt.timedelta(minutes=10)
        assert not sessions.current(session, "voter", done.sid, started.row_id, now=now).expired
    now += dt.timedelta(minutes=10)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=now).expired
    assert session.get(UserSession, started.row_id).end_reason == "absolute"


def test_a_new_login_in_the_same_browser_ends_the_old_session(session):
    first, first_done = _login(session)
    second = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    second_done = sessions.exchange(session, second.ticket, old_sid=first_done.sid, now=T0)
    assert second_done.sid != first_done.sid
    assert session.get(UserSession, first.row_id).end_reason == "replaced"
    assert sessions.current(session, "voter", first_done.sid, first.row_id, now=T0) is None


def test_logout_is_final_and_audited(session):
    started, done = _login(session)
    sessions.end(session, started.row_id)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=T0) is None
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "auth"))]
    assert "auth.voter.session_started" in actions and "auth.voter.session_ended" in actions


def test_cookie_header_parsing():
    voter, staff = sessions.COOKIE["voter"], sessions.COOKIE["staff"]
    assert voter.startswith("__Host-")  # Secure cookies by default: only this host, path /
    assert sessions.cookie_value(f"lang=ru; {voter}=abc-_1; {staff}=x", "voter") == "abc-_1"
    assert sessions.cookie_value("lang=ru", "staff") == ""
    assert sessions.cookie_value('bad"cookie', "voter") == ""
