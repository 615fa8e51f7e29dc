"""Election-day figures in identification mode: the queries, hours in the election's zone, the
staff member's scope, the public small-count rules, both modes side by side."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import delete
from sqlmodel import select
from starlette.testclient import TestClient

from remote_vote_app.models import (
    ActivityReport, DistrictPrecinct, Election, ElectoralDistrict, IdentificationDecision, IdentifiedBallot, Precinct,
    StaffAccount, Territory, Voter,
)
from remote_vote_app.services.election_day import turnout
from remote_vote_app.services.reporting import statistics
from remote_vote_app.services.identity.staff import StaffUser
from tests.support.states import Browser
from tests.unit.conftest import SEED_DAY
from tests.unit.test_voter_address import scratch_url  # noqa: F401 (a fixture)

# No other election votes that day (checked by `world`), and it comes before the demo election in
# identification mode, so the cabinet shows this one.
DAY = SEED_DAY + dt.timedelta(days=5)


def at(hour: int, minute: int = 0, zone: str = "Asia/Bishkek", day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


class World:
    """One identification-mode election with two districts: Bishkek's first two home precincts in
    district 1, a precinct of another region in district 2."""

    def __init__(self, session, zone: str = "Asia/Bishkek"):
        self.session = session
        assert session.exec(select(Election).where(Election.election_day == DAY)).first() is None
        bishkek = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one()
        homes = list(session.exec(select(Precinct).where(Precinct.kind == "home").order_by(Precinct.id)))
        self.b1, self.b2 = [p for p in homes if p.territory_id == bishkek.id][:2]
        self.other = next(p for p in homes if p.territory_id != bishkek.id)
        self.election = Election(kind="parliament", territory_id=bishkek.id, election_day=DAY,
                                 application_deadline=DAY, timezone=zone, mode="identification")
        session.add(self.election)
        session.flush()
        self.d1 = ElectoralDistrict(election_id=self.election.id, number=1, name_ru="Округ 1", name_ky="1-округ",
                                    name_en="District 1")
        self.d2 = ElectoralDistrict(election_id=self.election.id, number=2, name_ru="Округ 2", name_ky="2-округ",
                                    name_en="District 2")
        session.add_all([self.d1, self.d2])
        session.flush()
        for precinct, district in ((self.b1, self.d1), (self.b2, self.d1), (self.other, self.d2)):
            session.add(DistrictPrecinct(election_id=self.election.id, precinct_id=precinct.id, district_id=district.id))
        self.staff_id = session.exec(select(StaffAccount.id).where(StaffAccount.username == "cec.admin")).one()
        self.voters = list(session.exec(select(Voter).order_by(Voter.id).limit(60)))
        self.used = 0
        session.commit()

    def ballots(self, precinct, district, when, n, kind="home"):
        for voter in self.voters[self.used:self.used + n]:
            self.session.add(IdentifiedBallot(election_id=self.election.id, voter_id=voter.id, precinct_id=precinct.id,
                                              district_id=district.id, staff_id=self.staff_id, kind=kind,
                                              issued_at=when))
        self.used += n
        self.session.commit()

    def decision(self, precinct, outcome, when, n=1):
        for _ in range(n):
            self.session.add(IdentificationDecision(election_id=self.election.id, precinct_id=precinct.id,
                                                    staff_id=self.staff_id, outcome=outcome, at=when, shown="{}"))
        self.session.commit()


def _world(session, zone: str):
    made = World(session, zone)
    yield made
    ids = [made.election.id]
    for model in (IdentifiedBallot, IdentificationDecision, DistrictPrecinct, ElectoralDistrict):
        session.exec(delete(model).where(model.election_id.in_(ids)))
    session.exec(delete(Election).where(Election.id.in_(ids)))
    session.commit()


@pytest.fixture
def world(session):
    yield from _world(session, "Asia/Bishkek")


@pytest.fixture
def world_in_tokyo(session):
    """The same election held in Tokyo's zone (UTC+9, Bishkek's plus 3 hours), as one abroad would be."""
    yield from _world(session, "Asia/Tokyo")


CEC = StaffUser(1, "cec", "CEC", "cec_admin", None, None)


def member(precinct) -> StaffUser:
    return StaffUser(2, "m", "Member", "home_precinct_member", None, precinct.id)


def test_hours_are_local_hours_of_the_elections_zone(session, world):
    world.ballots(world.b1, world.d1, at(7, 59), 2)  # 01:59 UTC
    world.ballots(world.b1, world.d1, at(8, 0), 3)
    world.ballots(world.b1, world.d1, at(23, 30), 1)  # still election day in Bishkek, the next day in UTC
    world.ballots(world.b1, world.d1, at(0, 10, day=DAY + dt.timedelta(days=1)), 1)  # synced after midnight
    rows = sorted(turnout.hourly(session, world.election, turnout.Scope(None)))
    d = DAY.isoformat()
    nxt = (DAY + dt.timedelta(days=1)).isoformat()
    assert rows == [(world.b1.id, f"{d} 07", 2), (world.b1.id, f"{d} 08", 3), (world.b1.id, f"{d} 23", 1),
                    (world.b1.id, f"{nxt} 00", 1)]
    assert [turnout.hour_label(h, DAY) for _, h, _ in rows] == ["07:00", "08:00", "23:00",
                                                                 (DAY + dt.timedelta(days=1)).strftime("%d.%m 00:00")]


def test_hours_follow_an_election_in_another_zone(session, world):
    world.election.timezone = "Asia/Tashkent"  # UTC+5
    session.add(world.election)
    session.commit()
    world.ballots(world.b1, world.d1, at(9, 30, zone="Asia/Tashkent"), 2)
    assert turnout.hourly(session, world.election, turnout.Scope(None)) == [(world.b1.id, f"{DAY.isoformat()} 09", 2)]


def test_an_election_abroad_is_counted_by_its_own_hours_in_every_figure(session, world_in_tokyo):
    world = world_in_tokyo
    world.ballots(world.b1, world.d1, at(8, 30, zone="Asia/Tokyo"), 2)  # 05:30 in Bishkek
    world.ballots(world.b1, world.d1, at(23, 30, zone="Asia/Tokyo"), 1)  # 20:30 in Bishkek
    world.decision(world.b1, "provisional", at(9, 15, zone="Asia/Tokyo"))
    d = DAY.isoformat()
    assert sorted(turnout.hourly(session, world.election, turnout.Scope(None))) == [
        (world.b1.id, f"{d} 08", 2), (world.b1.id, f"{d} 23", 1)]
    view = turnout.commission_view(session, CEC, DAY, "ru")
    assert view["hours"] == ["08:00", "23:00"] and view["incidents"][0]["at"] == f"{DAY:%d.%m} 09:15"
    doc = statistics.compute(session, DAY, now=at(12, zone="Asia/Tokyo"))
    assert doc["timezone"] == doc["turnout"]["timezone"] == "Asia/Tokyo"
    assert [(r["hour"], r["ballots"]) for r in doc["turnout"]["rows"]] == [(f"{d} 08:00", "<5"), (f"{d} 23:00", "<5")]
    assert doc["turnout"]["closes_at"] == at(0, zone="Asia/Tokyo", day=DAY + dt.timedelta(days=2)).isoformat()


def test_ballots_by_district_and_kind_and_refusals_by_reason(session, world):
    world.ballots(world.b1, world.d1, at(9), 4)
    world.ballots(world.b1, world.d2, at(9), 3, kind="remote")  # voters of district 2 voting in Bishkek
    world.ballots(world.other, world.d2, at(10), 2)
    world.decision(world.b1, "voted", at(9, 5), 2)
    world.decision(world.b1, "wrong_precinct", at(9, 6))
    world.decision(world.other, "under_age", at(11))
    world.decision(world.b1, "issue", at(9))  # an accepted identification is no refusal
    assert sorted(turnout.by_district(session, world.election, turnout.Scope(None))) == sorted([
        (world.b1.id, world.d1.id, "home", 4), (world.b1.id, world.d2.id, "remote", 3),
        (world.other.id, world.d2.id, "home", 2)])
    assert sorted(turnout.decisions(session, world.election, turnout.Scope(None))) == sorted([
        (world.b1.id, "voted", 2), (world.b1.id, "wrong_precinct", 1), (world.other.id, "under_age", 1)])


def test_a_precinct_member_sees_only_the_own_precinct_and_a_tec_its_territory(session, world):
    world.ballots(world.b1, world.d1, at(9), 4)
    world.ballots(world.b2, world.d1, at(9), 1)
    world.ballots(world.other, world.d2, at(10), 2)
    world.decision(world.other, "conflict", at(10, 30))
    own = turnout.commission_view(session, member(world.b1), DAY, "ru")
    assert own["total"] == 4 and [r["precinct"].split(" — ")[0] for r in own["turnout"]] == [world.b1.number]
    assert own["incidents"] == [] and own["refusal_totals"]["conflict"] == 0
    # Asking for another precinct's number narrows to nothing, it does not widen the scope.
    assert turnout.commission_view(session, member(world.b1), DAY, "ru", precinct_number=world.other.number)["turnout"] == []
    bishkek = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one()
    tec = StaffUser(3, "tec", "TEC", "tec_operator", bishkek.id, None)
    view = turnout.commission_view(session, tec, DAY, "ru")
    assert view["total"] == 5 and view["incidents"] == []
    country = turnout.commission_view(session, CEC, DAY, "ru")
    assert country["total"] == 7 and [i["kind"] for i in country["incidents"]] == ["conflict"]
    assert country["incidents"][0]["member"] == "Администратор ЦИК"


def test_the_commission_view_has_every_table(session, world):
    world.ballots(world.b1, world.d1, at(8, 15), 3)
    world.ballots(world.b1, world.d2, at(9, 15), 2, kind="remote")
    world.ballots(world.b2, world.d2, at(9, 45), 1, kind="remote")
    world.decision(world.b1, "not_registered", at(9))
    world.decision(world.b2, "provisional", at(12))
    view = turnout.commission_view(session, CEC, DAY, "en")
    assert view["hours"] == ["08:00", "09:00"]
    assert view["turnout"][0] == {"precinct": f"{world.b1.number} — {world.b1.place_en}", "cells": [3, 2], "total": 5,
                                  "remote": 2}
    assert view["scope_hours"] == [3, 3] and view["total"] == 6 and view["remote"] == 3
    assert view["by_home_district"] == [{"district": "2 — District 2", "count": 3}]
    assert {(r["precinct"][:len(world.b1.number)], r["district"], r["issued"], r["remote"]) for r in view["stock"]
            if r["precinct"].startswith(world.b1.number + " ")} == {
        (world.b1.number, "1 — District 1", 3, 0), (world.b1.number, "2 — District 2", 2, 2)}
    assert view["refusal_totals"]["not_registered"] == 1 and [i["kind"] for i in view["incidents"]] == ["provisional"]
    chosen = turnout.commission_view(session, CEC, DAY, "en", precinct_number=world.b2.number)
    assert [r["total"] for r in chosen["turnout"]] == [1] and chosen["total"] == 6  # the scope's total stays


def test_open_dashboards_of_one_scope_share_one_computation_for_a_few_seconds(session, world, monkeypatch):
    world.ballots(world.b1, world.d1, at(9), 2)
    assert turnout.commission_view(session, CEC, DAY, "ru")["total"] == 2
    world.ballots(world.b1, world.d1, at(9), 3)
    assert turnout.commission_view(session, CEC, DAY, "en")["total"] == 2  # the same figures, any language
    assert turnout.commission_view(session, member(world.b1), DAY, "ru")["total"] == 5  # another scope: its own
    later = turnout.time.monotonic() + turnout.FIGURES_SECONDS
    monkeypatch.setattr(turnout.time, "monotonic", lambda: later)
    assert turnout.commission_view(session, CEC, DAY, "ru")["total"] == 5


def test_an_application_mode_day_has_no_identification_figures(session, world):
    application_day = session.exec(select(Election.election_day).where(Election.mode == "application")).first()
    assert turnout.commission_view(session, CEC, application_day, "ru") is None
    assert "turnout" not in statistics.compute(session, application_day)


def test_public_turnout_per_precinct_and_hour_uses_the_small_count_rules(session, world):
    world.ballots(world.b1, world.d1, at(8, 10), 6)
    world.ballots(world.b1, world.d1, at(9, 10), 3)  # 1-4: "<5"
    world.ballots(world.b2, world.d1, at(9, 40), 2, kind="home")
    world.ballots(world.other, world.d2, at(9, 50), 7)
    doc = statistics.compute(session, DAY, now=at(12))
    section = doc["turnout"]
    d = DAY.isoformat()
    assert section["timezone"] == "Asia/Bishkek"
    assert section["rows"] == sorted([
        {"hour": f"{d} 08:00", "precinct": world.b1.number, "ballots": 6},
        {"hour": f"{d} 09:00", "precinct": world.b1.number, "ballots": "<5"},
        {"hour": f"{d} 09:00", "precinct": world.b2.number, "ballots": "<5"},
        {"hour": f"{d} 09:00", "precinct": world.other.number, "ballots": 7}], key=lambda r: (r["hour"], r["precinct"]))
    # The same functions as the applications' figures: a total with a hidden cell is a range.
    by_precinct = {r["precinct"]: r["ballots"] for r in section["totals"]["by_precinct"]}
    assert by_precinct == {world.b1.number: statistics.total([6, 3]), world.b2.number: statistics.cell(2),
                           world.other.number: 7}
    assert by_precinct[world.b1.number] == "7–10" and by_precinct[world.b2.number] == "<5"
    assert section["totals"]["total"] == 18  # two hidden cells, 2 < 5 < 8: no cell follows from it
    # Rule 4: with the grand total exact, 09:00 is what 18 minus 08:00's exact 6 leaves, as `total` says.
    assert {r["hour"]: r["ballots"] for r in section["totals"]["by_hour"]} == {
        f"{d} 08:00": 6, f"{d} 09:00": statistics.total([3, 2, 7], rest=[6])} == {f"{d} 08:00": 6, f"{d} 09:00": 12}
    text = json.dumps(doc, ensure_ascii=False)
    assert not any(v.pin in text or v.document_number in text for v in world.voters)
    csv = statistics.csv_text(doc, "turnout").splitlines()
    assert csv[0] == "schema_version,election_day,status,hour,precinct,ballots"
    assert f"1,{d},preliminary,{d} 09:00,{world.b1.number},<5" in csv


def test_turnout_is_final_and_fixed_after_the_day_after_election_day(session, world):
    world.ballots(world.b1, world.d1, at(8), 6)
    assert statistics.document(session, DAY, now=at(23, 59, day=DAY + dt.timedelta(days=1)))["status"] == "preliminary"
    after = at(0, 1, day=DAY + dt.timedelta(days=2))
    doc = statistics.document(session, DAY, now=after)
    session.commit()
    assert doc["status"] == "final" and doc["turnout"]["totals"]["total"] == 6
    world.ballots(world.b1, world.d1, at(9), 5)  # whatever happens later, the fixed figures are served
    assert statistics.document(session, DAY, now=after + dt.timedelta(hours=1)) == doc


def test_open_data_serves_turnout_from_the_cache(session, world, monkeypatch):
    world.ballots(world.b1, world.d1, at(8), 5)
    calls = []
    real = statistics.document
    monkeypatch.setattr(statistics, "document", lambda *a, **k: calls.append(1) or real(*a, **k))
    from remote_vote_app.api import api

    client = TestClient(api)
    for _ in range(5):
        assert client.get(f"/api/statistics.json?day={DAY}").json()["turnout"]["totals"]["total"] == 5
    csv = client.get(f"/api/statistics.csv?day={DAY}&table=turnout")
    assert csv.text.splitlines()[0] == "schema_version,election_day,status,hour,precinct,ballots"
    assert f"{DAY} 08:00,{world.b1.number},5" in csv.text and "turnout-" in csv.headers["content-disposition"]
    assert client.get(f"/api/statistics.csv?day={DAY}").text.startswith("schema_version,election_day,status,date,")
    assert len(calls) == 1


def test_the_dashboard_state_keeps_each_account_in_its_scope(session, world):
    from remote_vote_app.state.staff.dashboard import DashboardState
    from tests.unit.test_staff_security import _staff_browser

    assert world.b1.number == "УИК №1001"  # the demo account uik.1001's precinct
    world.ballots(world.b1, world.d1, at(9), 2)
    world.ballots(world.other, world.d2, at(9), 5)
    world.decision(world.other, "conflict", at(10))
    member_tab, cec_tab = _staff_browser("uik.1001"), _staff_browser("cec.admin")
    for tab in (member_tab, cec_tab):
        tab.call(DashboardState, "load")
        tab.call(DashboardState, "choose_day", DAY.isoformat())
    own = member_tab.state(DashboardState)
    assert [row[0] for row in own.ident_turnout] == ["Все участки", f"{world.b1.number} — {world.b1.place_ru}"]
    assert own.ident["total"] == "2" and own.ident_incidents == []
    # Another precinct's number, sent as the browser could: nothing outside the scope shows.
    member_tab.call(DashboardState, "choose_precinct", {"ident-precinct": world.other.number})
    own = member_tab.state(DashboardState)
    assert [row[0] for row in own.ident_turnout] == ["Все участки"] and own.ident["total"] == "2"
    assert all(world.other.number not in str(r) for r in own.ident_stock + own.ident_refusals + own.ident_incidents)
    country = cec_tab.state(DashboardState)
    assert country.ident["total"] == "7" and [i["precinct"].split(" — ")[0] for i in country.ident_incidents] == [
        world.other.number]
    assert Browser().call(DashboardState, "choose_precinct", {"ident-precinct": world.b1.number}) is not None


def test_the_migration_indexes_ballots_by_precinct_and_hour(scratch_url):  # noqa: F811
    from remote_vote_app import cli
    from remote_vote_app.db import get_engine
    from tests.unit.test_identification import _downgrade

    def indexes() -> set[str]:
        return {i["name"] for i in sa.inspect(get_engine(scratch_url)).get_indexes("identifiedballot")}

    cli.migrate(scratch_url)
    assert {"ix_identifiedballot_election_precinct_issued"} <= indexes()
    assert "ix_identifiedballot_election_precinct" not in indexes()  # the index it extends is gone
    _downgrade(scratch_url, "b7d21c4e9a30")
    assert "ix_identifiedballot_election_precinct" in indexes()
    assert "ix_identifiedballot_election_precinct_issued" not in indexes()
