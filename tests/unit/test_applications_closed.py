"""A deadline passing while the voter is on the form: a "applications closed" page with what to do
now, never the form with «Проверьте форму»; the cabinet stops offering a new application."""

import datetime as dt

import pytest
from sqlmodel import select

from remote_vote_app.models import Election, Precinct, Voter
from remote_vote_app.services.applications import applications
from remote_vote_app.services.clock import local_date
from remote_vote_app.demo.seed import DEMO_VOTERS
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState
from tests.support.states import Browser
from tests.unit.test_state_security import _redirect_target, login


@pytest.fixture
def close_applications(session):
    """Makes the first demo voter's open election stop taking applications (its last day was
    yesterday); the seeded deadline comes back after the test (elections are not cleaned per test)."""
    voter = session.exec(select(Voter).where(Voter.pin == DEMO_VOTERS[0][0])).one()
    election = session.exec(select(Election).where(Election.territory_id == voter.territory_id,
                                                   Election.is_demo == True)).one()  # noqa: E712
    seeded = election.application_deadline

    def close() -> Election:
        election.application_deadline = local_date() - dt.timedelta(days=1)
        session.add(election)
        session.commit()
        return election

    yield close
    election.application_deadline = seeded
    session.add(election)
    session.commit()


def _review(session, browser: Browser) -> None:
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-03")).one()
    browser.call(ApplyState, "load")
    result = browser.call(ApplyState, "review_answers", {
        "election": browser.state(ApplyState).election_id, "precinct": str(precinct.id),
        "email": "a@example.kg", "phone": "0700123456", "consent": "on"})
    assert _redirect_target(result) == "/apply/check"


@pytest.mark.parametrize("step", ["confirm", "review_answers"])
def test_a_deadline_passing_mid_form_leads_to_the_closed_page_not_a_form_error(session, step, close_applications):
    browser = Browser()
    login(session, browser, 0)
    _review(session, browser)
    election = close_applications()
    if step == "confirm":
        result = browser.call(ApplyState, "confirm")
    else:
        result = browser.call(ApplyState, "review_answers", {"election": str(election.id), "consent": "on"})
    assert _redirect_target(result) == "/apply"
    apply_state = browser.state(ApplyState)
    assert apply_state.error_entries == {}  # no error summary («Проверьте форму») over a form
    browser.call(ApplyState, "load")
    assert apply_state.election_options == []
    last_day = election.application_deadline
    expected = {"ru": f"по {last_day.day} ", "ky": f"{last_day.year}-жылдын {last_day.day}-",
                "en": f"up to and including {last_day.day} "}
    for lang, start in expected.items():
        apply_state.lang = lang
        closed = apply_state.closed
        assert start in closed["lead"], (lang, closed)
        assert closed["if_applied"]
    apply_state.lang = "ru"
    assert "Подать, изменить или отозвать заявление теперь нельзя" in apply_state.closed["lead"]


def test_the_cabinet_stops_offering_a_new_application_after_the_deadline(session, close_applications):
    browser = Browser()
    login(session, browser, 0)
    browser.call(CabinetState, "load")
    assert browser.state(CabinetState).can_apply and browser.state(CabinetState).closed_lead == ""
    close_applications()
    browser.call(CabinetState, "load")
    cabinet = browser.state(CabinetState)
    assert not cabinet.can_apply
    assert "включительно" in cabinet.closed_lead


def test_no_closed_notice_while_open_or_after_election_day(session, close_applications):
    voter_id = session.exec(select(Voter).where(Voter.pin == DEMO_VOTERS[0][0])).one().id
    assert applications.closed_notice(session, voter_id) == {}  # the demo election is open
    election = close_applications()
    assert set(applications.closed_notice(session, voter_id)) == {"ky", "ru", "en"}
    after_day = dt.datetime.combine(election.election_day + dt.timedelta(days=1), dt.time(12), tzinfo=dt.timezone.utc)
    assert applications.closed_notice(session, voter_id, now=after_day) == {}
