"""The voter's activity log and the "this wasn't me" report flow."""

import pytest
from sqlmodel import select

from remote_vote_app.models import AuditEvent, Precinct, StaffAccount
from remote_vote_app.services import audit
from remote_vote_app.services.applications import activity, applications
from remote_vote_app.services.identity import staff
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import Forbidden, NotFound, ServiceError
from tests.unit.conftest import bishkek, demo_election, voter_session

OPEN = bishkek(12)


def _user(session, username) -> staff.StaffUser:
    account = session.exec(select(StaffAccount).where(StaffAccount.username == username)).one()
    return staff.reload(session, account.id)


def _draft(session, voter, number="ДГ-01", **changes):
    precinct = session.exec(select(Precinct).where(Precinct.number == number)).one()
    values = dict(election_id=demo_election(session, voter).id, precinct_id=precinct.id, email="a@example.kg",
                  phone="+996 700 123 456", consent=True)
    values.update(changes)
    return Draft(**values)


def _last_event_id(session) -> int:
    from sqlalchemy import func

    return session.exec(select(func.max(AuditEvent.id))).one() or 0


def _bishkek_voter(demo_voters, session):
    from remote_vote_app.models import Territory

    bishkek_id = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one().id
    return next(v for v in demo_voters if v.territory_id == bishkek_id)


def test_log_shows_commission_filing_change_withdrawal_and_face_reference_without_staff_names(session, sender, demo_voters):
    voter = _bishkek_voter(demo_voters, session)
    tec = _user(session, "tec.bishkek")
    since = _last_event_id(session)  # the audit outlives each test: earlier tests' events of this voter stay
    application = applications.submit(session, voter.id, _draft(session, voter), sender, "ru", channel="in_person",
                                      staff_actor=f"staff:{tec.id}", commission="ТИК Бишкек", now=OPEN)
    online = voter_session(session, voter.id)
    applications.change(session, voter.id, application.reference, _draft(session, voter, "ДГ-02"), sender, "ru", now=OPEN,
                        session_row=online)
    audit.auth_event(session, "auth.face_reference.set", actor=f"staff:{tec.id}", subject=f"voter:{voter.id}")
    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN, session_row=online)
    audit.record(session, f"voter:{voter.id}", "application.submitted", "application", "OTHR-REFS")  # not theirs
    session.commit()
    rows = [r for r in activity.log(session, voter.id, "ru") if int(r["id"]) > since]
    assert [r["action"] for r in rows] == ["Заявление отозвано", "Установлено эталонное фото для FaceID",
                                           "Заявление изменено", "Заявление подано"]
    assert [r["channel"] for r in rows] == ["online", "commission", "online", "commission"]
    assert rows[-1]["channel_text"] == "в избирательной комиссии" and rows[-1]["reference"] == application.reference
    text = repr(rows)
    assert tec.full_name not in text and f"staff:{tec.id}" not in text and "OTHR-REFS" not in text
    other = demo_voters[0].id if demo_voters[0].id != voter.id else demo_voters[1].id
    assert [r for r in activity.log(session, other, "ru") if int(r["id"]) > since] == []


def test_report_flow_reaches_the_territory_and_the_answer_reaches_the_voter(session, sender, demo_voters):
    voter = _bishkek_voter(demo_voters, session)
    applications.submit(session, voter.id, _draft(session, voter), sender, "ky", now=OPEN,
                        session_row=voter_session(session, voter.id))
    session.commit()
    event = activity.log(session, voter.id, "ky")[0]
    report = activity.report(session, voter.id, event["id"], "Мен арыз берген эмесмин")
    session.commit()
    with pytest.raises(ServiceError) as info:
        activity.report(session, voter.id, event["id"])
    assert info.value.code == "error.activity_reported"
    session.rollback()
    other = next(v for v in demo_voters if v.id != voter.id)
    with pytest.raises(NotFound):  # someone else's event looks like a missing one
        activity.report(session, other.id, event["id"])
    # Report ids recur after the tables are emptied, the audit trail stays: the reported event names it.
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "activity.reported",
                                                 AuditEvent.entity_id == str(report.id),
                                                 AuditEvent.details.contains(f'"audit_event_id": {event["id"]},'))).one()
    # The TEC of Bishkek and the CEC see it; the TEC of nowhere else does, the observer may not look.
    tec, admin = _user(session, "tec.bishkek"), _user(session, "cec.admin")
    assert [r["id"] for r in activity.for_staff(session, tec, "ru")] == [str(report.id)]
    assert str(report.id) in [r["id"] for r in activity.for_staff(session, admin, "ru")]
    with pytest.raises(Forbidden):
        activity.for_staff(session, _user(session, "observer"), "ru")
    with pytest.raises(ServiceError):
        activity.answer(session, tec, report.id, "  ")
    activity.answer(session, tec, report.id, "Текшердик: арызды шайлоочу өзү берген.")
    session.commit()
    shown = activity.log(session, voter.id, "ky")[0]
    assert shown["reported"] == "1" and shown["report_status"] == "жооп берилди"
    assert shown["answer"].startswith("Текшердик")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "activity.answered")).all()


def test_tec_of_another_territory_cannot_answer(session, sender, demo_voters):
    from remote_vote_app.models import Territory

    voter = next(v for v in demo_voters
                 if v.territory_id != session.exec(select(Territory).where(Territory.code == "BISHKEK")).one().id)
    applications.submit(session, voter.id, _draft(session, voter), sender, "ru", now=OPEN,
                        session_row=voter_session(session, voter.id))
    session.commit()
    report = activity.report(session, voter.id, activity.log(session, voter.id, "ru")[0]["id"])
    session.commit()
    tec = _user(session, "tec.bishkek")
    assert activity.for_staff(session, tec, "ru") == []
    with pytest.raises(NotFound):
        activity.answer(session, tec, report.id, "answer")


def test_from_the_browser_a_voter_reports_only_their_own_events(session):
    from remote_vote_app.models import ActivityReport
    from remote_vote_app.state.cabinet import CabinetState
    from tests.support.states import Browser
    from tests.unit.test_state_security import apply, login

    alice, bob = Browser(), Browser()
    login(session, alice, 0)
    login(session, bob, 1)
    apply(session, alice)
    alice.call(CabinetState, "load")
    event_id = alice.state(CabinetState).activity[0]["id"]
    bob.call(CabinetState, "load")
    bob.call(CabinetState, "ask_report", event_id)
    assert bob.state(CabinetState).reporting == ""
    bob.call(CabinetState, "send_report", {"note": "x"})
    session.expire_all()
    assert session.exec(select(ActivityReport)).all() == []
    alice.call(CabinetState, "ask_report", event_id)
    alice.call(CabinetState, "send_report", {"note": "не я"})
    state = alice.state(CabinetState)
    assert state.reported_notice and state.activity[0]["reported"] == "1"
    session.expire_all()
    assert session.exec(select(ActivityReport)).one().note == "не я"
