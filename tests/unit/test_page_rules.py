"""Rules the page states used to hold, now in the services: what the form, the cabinet, the desk,
the capacity page and the dashboard show."""

from sqlmodel import select

from remote_vote_app.errors import ServiceError
from remote_vote_app.models import Precinct
from remote_vote_app.services.applications import capacity, desk
from remote_vote_app.services.election_day import voting_place
from remote_vote_app.services.reference import elections, precincts
from remote_vote_app.services.reporting import dashboard
from tests.unit.conftest import demo_election

import pytest


def test_the_precinct_an_application_holds_is_never_full_for_its_change():
    assert capacity.shown_level("full", "7", held_precinct="7") == "almost_full"
    assert capacity.shown_level("full", "8", held_precinct="7") == "full"
    assert capacity.shown_level("ok", "7", held_precinct="7") == "ok"
    assert capacity.shown_level("full", "7", held_precinct="") == "full"


def test_fill_levels_are_keyed_by_the_form_s_string_ids(session, demo_voters):
    election = demo_election(session, demo_voters[0])
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-01")).one()
    capacity.set_capacity(session, election.id, precinct.id, "0", "staff:1")
    levels = capacity.fill_levels(session, [election.id])
    assert list(levels) == [str(election.id)] and levels[str(election.id)][str(precinct.id)] == "full"
    assert capacity.fill_levels(session, []) == {}


def test_the_capacity_page_shows_the_chosen_open_election_else_the_first(session, demo_voters):
    options = [o for o in elections.admin_list(session) if o["open"]] or elections.admin_list(session)
    first = int(options[0]["id"])
    shown_options, shown, rows = capacity.staff_choice(session, None)
    assert shown_options == options and shown == first and rows == capacity.staff_table(session, first)
    assert capacity.staff_choice(session, 10**9)[1] == first  # an id not offered: the first
    last = int(options[-1]["id"])
    assert capacity.staff_choice(session, last)[1] == last


def test_admin_rows_carry_every_remote_precinct_with_its_three_languages(session):
    rows = precincts.admin_rows(session)
    assert {r["id"] for r in rows} == {p.id for p in precincts.all_remote(session)}
    assert all(set(precincts.TEXT_FIELDS) <= set(r) and "precision" in r and "active" in r for r in rows)


def test_the_desk_sees_the_voter_in_its_language_and_one_open_election_is_chosen(session, demo_voters):
    voter = demo_voters[0]
    found = desk.desk_voter(session, voter.pin, voter.document_number, True, "ru")
    assert found["id"] == voter.id and found["voter"]["pin"] == voter.pin
    assert set(found["voter"]) == {"full_name", "pin", "document", "birth_date", "address", "territory", "phone"}
    ids = [o["id"] for o in found["elections"]]
    assert found["choice"] == (ids[0] if len(ids) == 1 else "")
    place = found["places"][0]
    assert set(place) == {"id", "label"} and " — " in place["label"] and ", " in place["label"]
    with pytest.raises(ServiceError):
        desk.desk_voter(session, voter.pin, "XX0000000", True, "ru")


def test_the_desk_asks_which_election_when_several_are_open(session, demo_voters, monkeypatch):
    two = [{"id": "1", "title": "a"}, {"id": "2", "title": "b"}]
    monkeypatch.setattr(desk.applications, "form_options", lambda s, v: {"ru": two})
    voter = demo_voters[0]
    assert desk.desk_voter(session, voter.pin, voter.document_number, False, "ru")["choice"] == ""
    monkeypatch.setattr(desk.applications, "form_options", lambda s, v: {"ru": two[:1]})
    assert desk.desk_voter(session, voter.pin, voter.document_number, False, "ru")["choice"] == "1"


def _place(voted: dict) -> dict:
    return {"election_day": "17.01.2027", "district": "Д", "nearby": [{"number": "2"}], "voted": voted,
            "home": {"number": "1", "place": "School", "address": "Street 1"}}


def test_where_summary_shows_the_home_precinct_before_the_ballot():
    where, nearby = voting_place.where_summary(_place({}), [])
    assert where["home_number"] == "1" and where["voted_precinct"] == "" and where["report_status"] == ""
    assert nearby == [{"number": "2"}]
    assert voting_place.where_summary(None, []) == ({}, [])


def test_where_summary_gives_the_report_status_only_of_a_report_on_that_ballot():
    voted = {"precinct": "9", "time": "10:00", "date": "17.01.2027", "event_id": "5"}
    rows = [{"id": "5", "reported": "1", "report_status": "open"}, {"id": "6", "reported": "1", "report_status": "x"}]
    assert voting_place.where_summary(_place(voted), rows)[0]["report_status"] == "open"
    rows[0]["reported"] = ""
    assert voting_place.where_summary(_place(voted), rows)[0]["report_status"] == ""
    assert voting_place.where_summary(_place({**voted, "event_id": "7"}), rows)[0]["report_status"] == ""


def test_dashboard_headline_says_closed_when_no_time_is_left():
    data = {"total": 3, "withdrawn": 1, "by_channel": {"online": 2, "in_person": 1}, "seconds_left": 0,
            "deadline": None}
    figures = dashboard.headline(data, "en")
    assert figures["total"] == "3" and figures["online"] == "2" and figures["deadline"] == ""
    assert figures["left"] and figures["left"] != dashboard.headline({**data, "seconds_left": 3600}, "en")["left"]


def test_a_flag_names_the_device_s_time_only_when_an_offline_desk_disagrees():
    flag = {"first_precinct": "", "versions": "", "offline": True, "claimed_at": "10:00", "at": "10:00"}
    assert dashboard.flag_details(flag, "en") == ""
    assert "10:05" in dashboard.flag_details({**flag, "claimed_at": "10:05"}, "en")
    assert dashboard.flag_details({**flag, "claimed_at": "10:05", "offline": False}, "en") == ""
    both = dashboard.flag_details({**flag, "first_precinct": "ДГ-01", "versions": "2"}, "en")
    assert both.count("; ") == 1 and "ДГ-01" in both


def test_a_double_issue_shows_both_sides_and_marks_the_offline_desk_s_time():
    incident = {"reference": "R1", "members": ["A", "B"], "precincts": ["1", "2"], "times": ["10:00", "10:05"],
                "offline": [False, True]}
    row = dashboard.incident_rows([incident], "en")[0]
    assert row["reference"] == "R1" and row["first"] == "A, 1, 10:00"
    assert row["second"].startswith("B, 2, ") and row["second"] != "B, 2, 10:05" and "10:05" in row["second"]
