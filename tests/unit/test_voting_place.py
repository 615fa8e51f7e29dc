"""The cabinet in identification mode: where to vote, the nearest precincts outside the home
district, "you voted at", "this wasn't me" -- and a voter sees only their own ballot."""

import datetime as dt

import pytest
from sqlalchemy import delete
from sqlmodel import select

from remote_vote_app.models import (
    ActivityReport, DistrictPrecinct, Election, ElectoralDistrict, IdentificationDecision, IdentifiedBallot, Precinct, Voter,
)
from remote_vote_app.services import audit
from remote_vote_app.services.applications import activity
from remote_vote_app.services.election_day import turnout, voting_place
from remote_vote_app.errors import ServiceError
from remote_vote_app.demo.seed import DEMO_VOTERS
from remote_vote_app.state.cabinet import CabinetState
from tests.support.states import Browser
from tests.unit.test_state_security import login
from tests.unit.test_turnout import CEC, DAY, at, world  # noqa: F401 (a fixture)

HOME = (42.87, 74.59)


@pytest.fixture
def places(session, world):  # noqa: F811
    """The voter's home precinct in district 1 with coordinates, and stations around it: two in the
    home district (nearest of all), six outside it, one of them closed."""
    home = session.get(Precinct, _voter(session).home_precinct_id)
    saved = (home.latitude, home.longitude)
    home.latitude, home.longitude = HOME
    session.add(home)
    mapped = session.exec(select(DistrictPrecinct).where(DistrictPrecinct.election_id == world.election.id,
                                                         DistrictPrecinct.precinct_id == home.id)).first()
    mapped = mapped or DistrictPrecinct(election_id=world.election.id, precinct_id=home.id)
    mapped.district_id = world.d1.id
    session.add(mapped)
    made = []
    for i, (lat, lon, district, active) in enumerate([
        (42.871, 74.591, world.d1, True), (42.872, 74.592, world.d1, True),
        (42.90, 74.59, world.d2, True), (42.95, 74.59, world.d2, True), (43.00, 74.59, world.d2, True),
        (43.10, 74.59, world.d2, True), (43.50, 74.59, world.d2, True), (42.88, 74.59, world.d2, False),
        (43.9, 74.59, world.d2, True),
    ]):
        p = Precinct(kind="station", number=f"T77-{i}", territory_id=home.territory_id, place_ru=f"Школа {i}",
                     place_ky=f"Мектеп {i}", place_en=f"School {i}", address_ru=f"ул. {i}", address_ky=f"{i}-көч.",
                     address_en=f"{i} St", latitude=lat, longitude=lon, location_precision="exact", active=active)
        session.add(p)
        session.flush()
        session.add(DistrictPrecinct(election_id=world.election.id, precinct_id=p.id, district_id=district.id))
        made.append(p)
    session.commit()
    yield made
    for model in (IdentifiedBallot, IdentificationDecision):
        session.exec(delete(model).where(model.election_id == world.election.id))
    session.exec(delete(DistrictPrecinct).where(DistrictPrecinct.precinct_id.in_([p.id for p in made])))
    session.exec(delete(ActivityReport))
    session.exec(delete(Precinct).where(Precinct.id.in_([p.id for p in made])))
    home.latitude, home.longitude = saved
    session.add(home)
    session.commit()


def mine(found: list[dict], world) -> dict:  # noqa: F811
    """This test's election among the voter's (the demo seed has one in identification mode too)."""
    return next(f for f in found if f["election_id"] == str(world.election.id))


# A demo voter no other unit test logs in as: the audit trail (append-only) keeps this file's events.
VOTER = 7


def _voter(session) -> Voter:
    return session.exec(select(Voter).where(Voter.pin == DEMO_VOTERS[VOTER][0])).one()


def _issue(session, world, voter, precinct, when, election=None, district=None):  # noqa: F811
    """A ballot as services.election_day.identification leaves it: decision, ballot, audit event."""
    election_id, district_id = (election or world.election).id, (district or world.d1).id
    decision = IdentificationDecision(election_id=election_id, precinct_id=precinct.id, staff_id=world.staff_id,
                                      voter_id=voter.id, outcome="issue", district_id=district_id, at=when, shown="{}")
    session.add(decision)
    session.flush()
    session.add(IdentifiedBallot(election_id=election_id, voter_id=voter.id, precinct_id=precinct.id,
                                 district_id=district_id, staff_id=world.staff_id, kind="remote", issued_at=when,
                                 received_at=when, decision_id=decision.id))
    audit.record(session, f"staff:{world.staff_id}", "identification.issue", "voter", voter.id,
                 election=election_id, precinct=precinct.number, decision=decision.id, offline=False,
                 key="ident.issue", params={})
    session.commit()


def test_where_to_vote_names_the_home_precinct_and_the_nearest_outside_the_district(session, world, places):  # noqa: F811
    voter = _voter(session)
    found = mine(voting_place.overview(session, voter.id, "en", now=at(8, day=DAY - dt.timedelta(days=3))), world)
    assert found["home"]["id"] == str(voter.home_precinct_id) and found["district"] == "1 — District 1"
    # Outside the home district only, nearest first (straight line), a closed precinct left out, five at most.
    assert [p["number"] for p in found["nearby"]] == ["T77-2", "T77-3", "T77-4", "T77-5", "T77-6"]
    assert found["nearby"][0]["distance_km"] == "3.3" and found["voted"] == {}


def test_after_voting_the_cabinet_says_where_and_when_in_the_elections_zone(session, world, places):  # noqa: F811
    voter = _voter(session)
    _issue(session, world, voter, places[3], at(9, 41))
    found = mine(voting_place.overview(session, voter.id, "ru", now=at(12)), world)
    assert (found["voted"]["precinct"], found["voted"]["time"], found["voted"]["date"]) == (
        "T77-3", "09:41", DAY.strftime("%d.%m.%Y"))
    # "This wasn't me" is a report on the ballot's own audit event; the commission sees it as an incident.
    row = activity.report(session, voter.id, found["voted"]["event_id"], "I was abroad")
    session.commit()
    assert row.audit_event_id == int(found["voted"]["event_id"])
    incidents = turnout.commission_view(session, CEC, DAY, "ru")["incidents"]
    assert [(i["kind"], i["precinct"].split(" — ")[0]) for i in incidents] == [("not_me", "T77-3")]
    outsider = turnout.commission_view(session, turnout.StaffUser(9, "m", "M", "home_precinct_member", None, world.b2.id), DAY, "ru")
    assert outsider["incidents"] == []


def test_reports_are_capped_per_voter(session, world, places):  # noqa: F811
    voter = _voter(session)
    _issue(session, world, voter, places[3], at(9, 41))
    event_id = mine(voting_place.overview(session, voter.id, "ru"), world)["voted"]["event_id"]
    for _ in range(10):
        with pytest.raises(ServiceError):  # the same event twice: refused, but counted
            activity.report(session, voter.id, "0")
    with pytest.raises(ServiceError) as refused:
        activity.report(session, voter.id, event_id)
    assert refused.value.code == "error.too_many_attempts"


def test_a_voter_sees_only_their_own_ballot(session, world, places):  # noqa: F811
    alice, bob = Browser(), Browser()
    login(session, alice, VOTER)
    login(session, bob, 1)
    _issue(session, world, _voter(session), places[4], at(10, 5))
    alice.call(CabinetState, "load")
    bob.call(CabinetState, "load")
    mine, theirs = alice.state(CabinetState), bob.state(CabinetState)
    assert mine.where["voted_precinct"] == "T77-4" and mine.where["voted_time"] == "10:05"
    assert theirs.where.get("voted_precinct", "") == ""
    # Bob cannot report Alice's ballot, whatever id he sends.
    bob.call(CabinetState, "ask_report", mine.where["event_id"])
    assert bob.state(CabinetState).reporting == ""
    assert session.exec(select(ActivityReport)).all() == []


@pytest.fixture
def second(session, world, places):  # noqa: F811
    """A second identification-mode election the same day (president beside parliament), over the
    same precincts in one district."""
    election = Election(kind="president", territory_id=world.election.territory_id, election_day=DAY,
                        application_deadline=DAY, mode="identification")
    session.add(election)
    session.flush()
    district = ElectoralDistrict(election_id=election.id, number=1, name_ru="Вся страна", name_ky="Бүт өлкө",
                                 name_en="Whole country")
    session.add(district)
    session.flush()
    for precinct_id in {_voter(session).home_precinct_id, *(p.id for p in places)}:
        session.add(DistrictPrecinct(election_id=election.id, precinct_id=precinct_id, district_id=district.id))
    session.commit()
    yield election, district
    for model in (IdentifiedBallot, IdentificationDecision, DistrictPrecinct, ElectoralDistrict):
        session.exec(delete(model).where(model.election_id == election.id))
    session.exec(delete(Election).where(Election.id == election.id))
    session.commit()


def test_two_elections_on_one_day_each_shown_and_a_report_names_its_own_ballot(session, world, places, second):  # noqa: F811
    election, district = second
    voter = _voter(session)
    _issue(session, world, voter, places[3], at(9, 41))
    _issue(session, world, voter, places[4], at(10, 5), election=election, district=district)
    first = turnout.commission_view(session, CEC, DAY, "ru")
    assert [e["id"] for e in first["elections"]] == [str(world.election.id), str(election.id)]
    assert first["election_id"] == world.election.id and first["elections"][1]["title"] == "Выборы Президента Кыргызской Республики"
    chosen = turnout.commission_view(session, CEC, DAY, "ru", election_id=str(election.id))
    assert chosen["election_id"] == election.id and chosen["stock"][0]["precinct"].startswith("T77-4 ")
    # "This wasn't me" about the president's ballot is that election's incident only.
    found = mine(voting_place.overview(session, voter.id, "ru", now=at(12)), type("W", (), {"election": election}))
    activity.report(session, voter.id, found["voted"]["event_id"], "")
    session.commit()
    turnout.clear_cache()
    assert [i["precinct"].split(" — ")[0] for i in turnout.commission_view(
        session, CEC, DAY, "ru", election_id=election.id)["incidents"]] == ["T77-4"]
    assert turnout.commission_view(session, CEC, DAY, "ru", election_id=world.election.id)["incidents"] == []
