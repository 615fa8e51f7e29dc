"""Reminders: once per (kind, election, voter), never at night, opt-out by a signed link, audited."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import select
from starlette.testclient import TestClient

from remote_vote_app.i18n import until_inclusive
from remote_vote_app.models import AuditEvent, OutboxMessage, Precinct, Reminder, ReminderOptOut, UserSession, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.applications import applications, reminders
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.services.clock import now_utc
from tests.unit.conftest import DEMO_DEADLINE, bishkek, demo_election, elections_in_zone, outbox, voter_session


def _apply(session, sender, voter, lang="ky"):
    election = demo_election(session, voter)
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
    application = applications.submit(session, voter.id, Draft(election.id, precinct.id, "r@example.kg",
                                                               "+996 700 123 456", True), sender, lang, now=bishkek(12),
                                      session_row=voter_session(session, voter.id))
    session.commit()
    session.exec(OutboxMessage.__table__.delete())
    session.commit()
    return election, application


def test_quiet_hours_are_22_to_8_bishkek():
    day = dt.date(2024, 11, 16)
    assert reminders.quiet(bishkek(22, 0, day=day)) and reminders.quiet(bishkek(7, 59, day=day))
    assert not reminders.quiet(bishkek(8, 0, day=day)) and not reminders.quiet(bishkek(21, 59, day=day))


def test_eve_reminder_goes_once_in_the_voters_language_with_an_opt_out_link(session, sender, demo_voters):
    voter = demo_voters[0]
    election, application = _apply(session, sender, voter, lang="ky")
    assert application.lang == "ky"
    eve = election.election_day - dt.timedelta(days=1)
    # At night nothing goes; the reminder is scheduled for 08:00.
    assert reminders.run_due(session, sender, now=bishkek(6, 30, day=eve)) == 0
    assert reminders.next_send(election, "eve", bishkek(6, 30, day=eve)) == bishkek(8, 0, day=eve)
    assert reminders.run_due(session, sender, now=bishkek(9, 0, day=eve)) >= 1
    session.commit()
    mine = [m for m in outbox(session) if m.recipient in ("+996700123456", "r@example.kg")]
    assert {m.channel for m in mine} == {"sms", "email"}
    sms = next(m for m in mine if m.channel == "sms")
    assert "Эртең шайлоо" in sms.body and "Масалиев көч., 37" in sms.body and "/reminders/opt-out?t=" in sms.body
    email = next(m for m in mine if m.channel == "email")
    assert "ID-карта" in email.body and email.subject.startswith("Эртең шайлоо") and "08:00–20:00" in email.body
    # A second round (or a second worker) sends nothing more.
    reminders.run_due(session, sender, now=bishkek(10, 0, day=eve))
    session.commit()
    assert len([m for m in outbox(session) if m.recipient in ("+996700123456", "r@example.kg")]) == 2
    rows = session.exec(select(Reminder).where(Reminder.voter_id == voter.id)).all()
    assert [(r.kind, r.status) for r in rows] == [("eve", "sent")]
    audited = session.exec(select(AuditEvent).where(AuditEvent.action == "reminder.sent",
                                                    AuditEvent.entity_id == application.reference)).all()
    assert len(audited) == 1


def test_the_send_window_and_quiet_hours_are_the_elections_zone(session, sender, demo_voters):
    voter = demo_voters[0]
    election, _application = _apply(session, sender, voter)
    eve = election.election_day - dt.timedelta(days=1)

    def tokyo(hour: int, minute: int = 0) -> dt.datetime:
        """An instant of the eve in Tokyo's time (UTC+9: Bishkek's plus 3 hours), as aware UTC."""
        local = dt.datetime.combine(eve, dt.time(hour, minute), tzinfo=ZoneInfo("Asia/Tokyo"))
        return local.astimezone(dt.timezone.utc)

    with elections_in_zone(session, [election], "Asia/Tokyo"):
        assert reminders.window(election, "eve") == (tokyo(8), tokyo(22))
        assert reminders.due(election, "eve", tokyo(21, 30)) and not reminders.due(election, "eve", tokyo(22, 30))
        # 06:30 in Tokyo is night there (while 03:30 in Bishkek would be too): it goes at 08:00 Tokyo time.
        assert reminders.run_due(session, sender, now=tokyo(6, 30)) == 0
        assert reminders.next_send(election, "eve", tokyo(6, 30)) == tokyo(8)
        row = next(r for r in reminders.overview(session, now=tokyo(6, 30))
                   if (r["kind"], r["election_id"]) == ("eve", election.id))
        assert row["window"] == f"{eve:%d.%m.%Y} 08:00 – {eve:%d.%m.%Y} 22:00"
        assert row["next"] == f"{eve:%d.%m.%Y} 08:00"
        # 08:30 in Tokyo is 05:30 in Bishkek: Bishkek's quiet hours do not hold back Tokyo's voters.
        assert reminders.run_due(session, sender, now=tokyo(8, 30)) >= 1
        session.commit()
        mine = [m for m in outbox(session) if m.recipient in ("+996700123456", "r@example.kg")]
        assert {m.channel for m in mine} == {"sms", "email"}
        sent = session.exec(select(Reminder).where(Reminder.voter_id == voter.id)).one()
        assert reminders.recent(session)[0]["at"] == sent.created_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime(
            "%d.%m.%Y %H:%M:%S")


def test_the_unique_key_refuses_a_second_reminder_directly(session, demo_voters):
    election = demo_election(session, demo_voters[0])
    assert reminders._claim(session, "eve", election.id, demo_voters[0].id, "sent")
    assert not reminders._claim(session, "eve", election.id, demo_voters[0].id, "sent")


def test_deadline_reminder_to_voters_who_logged_in_but_did_not_apply(session, sender, demo_voters):
    applied, idle = demo_voters[0], next(v for v in session.exec(select(Voter).where(
        Voter.territory_id == demo_voters[0].territory_id, Voter.id != demo_voters[0].id)))
    election, _ = _apply(session, sender, applied)
    # One logged in today (its session row still there); one long ago: only the audit remembers it.
    session.add(UserSession(kind="voter", subject_id=applied.id, method="sms", expires_at=now_utc()))
    audit.auth_event(session, "auth.voter.session_started", actor=f"voter:{idle.id}", subject=f"voter:{idle.id}")
    never = session.exec(select(Voter).where(Voter.territory_id == applied.territory_id,
                                             Voter.id.not_in([applied.id, idle.id]))).first()
    session.commit()
    day = DEMO_DEADLINE - dt.timedelta(days=3)
    assert reminders.run_due(session, sender, now=bishkek(7, 0, day=day)) == 0  # quiet hours
    assert reminders.run_due(session, sender, now=bishkek(12, 0, day=day - dt.timedelta(days=1))) == 0  # not yet
    reminders.run_due(session, sender, now=bishkek(8, 5, day=day))
    session.commit()
    sent = {r.voter_id for r in session.exec(select(Reminder).where(Reminder.kind == "deadline"))}
    assert idle.id in sent and applied.id not in sent and never.id not in sent
    sms = next(m for m in outbox(session) if m.recipient == idle.phone)
    # Kyrgyz / Russian, each with the last day inclusive ("2026-жылдын 21-декабрына чейин (ушул күндү кошо)").
    assert sms.body.index(until_inclusive("ky", DEMO_DEADLINE)) < sms.body.index(" / ") < sms.body.index(
        until_inclusive("ru", DEMO_DEADLINE))


def test_opt_out_by_signed_link_without_login_and_no_more_reminders(session, sender, demo_voters):
    voter = demo_voters[0]
    election, application = _apply(session, sender, voter)
    token = reminders.opt_out_token(voter.id)
    assert reminders.voter_of_token(token) == voter.id
    assert reminders.voter_of_token(f"{voter.id + 1}.{token.split('.')[1]}") is None  # the MAC binds the voter
    assert reminders.voter_of_token("garbage") is None
    from remote_vote_app.api import api

    client = TestClient(api)
    page = client.get(f"/reminders/opt-out?t={token}")
    assert page.status_code == 200 and 'lang="ky"' in page.text and "Отказаться" in page.text and "Stop reminders" in page.text
    session.expire_all()
    assert session.exec(select(ReminderOptOut)).all() == []  # a GET (a mail scanner) changes nothing
    done = client.post("/reminders/opt-out", data={"t": token})
    assert done.status_code == 200 and "больше не придут" in done.text
    assert client.post("/reminders/opt-out", data={"t": "1.bad"}).status_code == 400
    session.expire_all()
    assert session.exec(select(ReminderOptOut).where(ReminderOptOut.voter_id == voter.id)).one()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "reminder.opted_out",
                                                 AuditEvent.entity_id == f"voter:{voter.id}")).first()
    eve = election.election_day - dt.timedelta(days=1)
    reminders.run_due(session, sender, now=bishkek(9, 0, day=eve))
    session.commit()
    assert [m for m in outbox(session) if m.recipient == "+996700123456"] == []
    row = session.exec(select(Reminder).where(Reminder.voter_id == voter.id)).one()
    assert row.status == "opted_out"
    session.exec(ReminderOptOut.__table__.delete())
    session.commit()


def test_staff_overview_shows_scheduled_and_sent(session, sender, demo_voters):
    election, _ = _apply(session, sender, demo_voters[0])
    before = {(r["kind"], r["election_id"]): r for r in reminders.overview(session, now=bishkek(12))}
    assert before[("eve", election.id)]["waiting"] >= 1 and before[("eve", election.id)]["sent"] == 0
    eve = election.election_day - dt.timedelta(days=1)
    reminders.run_due(session, sender, now=bishkek(9, 0, day=eve))
    session.commit()
    after = {(r["kind"], r["election_id"]): r for r in reminders.overview(session, now=bishkek(9, 1, day=eve))}
    assert after[("eve", election.id)]["sent"] >= 1 and after[("eve", election.id)]["waiting"] == 0
    assert reminders.recent(session)[0]["status"] == "sent"


def test_the_worker_loop_runs_a_round_through_the_service(session, sender, demo_voters, monkeypatch):
    """worker._remind: one transaction, the default outbox sender; the loop keeps going after a failure."""
    import asyncio

    from remote_vote_app import worker

    election, _ = _apply(session, sender, demo_voters[0])
    eve = election.election_day - dt.timedelta(days=1)
    monkeypatch.setattr(reminders, "now_utc", lambda: bishkek(9, 0, day=eve))
    assert worker._remind() >= 1
    assert worker._remind() == 0  # sent once
    calls = []

    def failing():
        calls.append(1)
        raise RuntimeError("database restarting")

    monkeypatch.setattr(worker, "_remind", failing)
    sleeps = []

    async def fake_sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) >= 2:
            raise asyncio.CancelledError

    monkeypatch.setattr(worker.asyncio, "sleep", fake_sleep)
    try:
        asyncio.run(worker.send_reminders())
    except asyncio.CancelledError:
        pass
    assert len(calls) == 2 and sleeps == [worker.REMINDERS_EVERY_SECONDS] * 2
