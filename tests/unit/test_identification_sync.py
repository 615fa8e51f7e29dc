"""Offline marks reaching the server (identification mode): the ballot's district is the register's,
never the device's word; a desk that claimed another district, or issued a second ballot, is an
incident on the commission's dashboard with the device's claims beside the server's receipt time."""

import datetime as dt

from sqlmodel import select

from remote_vote_app.models import ElectoralDistrict, IdentificationDecision, IdentifiedBallot
from remote_vote_app.services.election_day import identification, turnout
from remote_vote_app.services.identity import staff
from tests.unit.test_identification import (  # noqa: F401 (make_voter is a fixture)
    ASANOVA, _at, _client, _election, _post, _precinct, _staff, _staff_cookie, make_voter,
)

DEVICE = dt.datetime(2027, 1, 17, 4, 30, tzinfo=dt.timezone.utc)  # 10:30 in Bishkek, as the device says
RECEIVED = dt.datetime(2027, 1, 17, 6, 0, tzinfo=dt.timezone.utc)  # noon in Bishkek: the link is back


def _sync(session, number: str, username: str, *marks: dict):
    return identification.sync_offline(
        session, election_id=_election(session).id, precinct_id=_precinct(session, number).id,
        staff_id=_staff(session, username), now=RECEIVED,
        marks=identification.parse_marks({"marks": [{"at": DEVICE.isoformat(), **m} for m in marks]}))


def _mark(mark_id: str, voter, kind: str = "provisional", **extra) -> dict:
    sealed = identification.seal_mark(identification.seal_public_key(), mark_id, *voter)
    return {"mark_id": mark_id, "sealed": sealed, "kind": kind, **extra}


def _decision(session, mark_id: str) -> IdentificationDecision:
    return session.exec(select(IdentificationDecision).where(IdentificationDecision.mark_id == mark_id)).one()


def _district_number(session, district_id: int) -> int:
    return session.get(ElectoralDistrict, district_id).number


def _incidents(session, lang: str = "ru") -> list[dict]:
    admin = staff.reload(session, _staff(session, "cec.admin"))
    return turnout.commission_view(session, admin, _election(session).election_day, lang)["incidents"]


def test_a_desk_claiming_a_wrong_district_for_a_provisional_voter_is_caught(session, make_voter):
    """The Osh Region desk (district 14) puts a voter of district 1 on its provisional list and says it
    handed out a ballot of district 14: the server keeps the register's district 1 and an incident."""
    voter = make_voter("УИК №2002", dt.date(1980, 2, 2))  # district 1
    [result] = _sync(session, "УИК №3011", "uik.3011", _mark("m-wrong-0001", voter, district=14))
    assert (result["outcome"], result["district"], result["claimed_district"]) == ("wrong_district", 1, 14)
    ballot = session.exec(select(IdentifiedBallot)).one()  # the voter did get a ballot: one, never a second
    assert (_district_number(session, ballot.district_id), ballot.kind, ballot.provisional) == (1, "remote", True)
    assert (ballot.issued_at, ballot.received_at) == (DEVICE, RECEIVED)
    decision = _decision(session, "m-wrong-0001")
    assert (decision.outcome, _district_number(session, decision.district_id)) == ("wrong_district", 1)
    # The device's word, kept as claims beside the server's receipt time.
    assert (decision.claimed_district, decision.claimed_kind, decision.claimed_at, decision.received_at) == (
        14, "provisional", DEVICE, RECEIVED)
    [incident] = _incidents(session)
    assert (incident["kind"], incident["precinct"].split(" — ")[0]) == ("wrong_district", "УИК №3011")
    assert incident["details"] == ("Устройство участка указало бюллетень округа №14, по реестру избиратель относится "
                                   "к округу №1; по данным устройства: 10:30; получено сервером: 12:00")
    assert _incidents(session, "en")[0]["details"] == (
        "The desk's device said it gave a ballot of district No. 14; the register puts the voter in district No. 1; "
        "device says: 10:30; received by the server: 12:00")
    # On the commission's dashboard page.
    from remote_vote_app.state.staff.dashboard import DashboardState
    from tests.unit.test_staff_security import _staff_browser

    session.commit()  # the page reads in its own transaction
    tab = _staff_browser("cec.admin")
    tab.call(DashboardState, "load")
    tab.call(DashboardState, "choose_day", _election(session).election_day.isoformat())
    [row] = tab.state(DashboardState).ident_incidents
    assert (row["kind"], row["details"]) == ("Бюллетень не того округа", incident["details"])
    # Anywhere else now: already voted.
    assert _at(session, "УИК №2001", voter=voter).outcome == "voted"


def test_a_provisional_mark_of_the_right_district_is_a_provisional_ballot_with_its_claims_kept(session, make_voter):
    voter = make_voter("УИК №2002", dt.date(1980, 2, 2))
    [result] = _sync(session, "УИК №3011", "uik.3011", _mark("m-right-0001", voter, district=1))
    assert (result["outcome"], result["district"]) == ("provisional", 1)
    decision = _decision(session, "m-right-0001")
    assert (decision.claimed_district, decision.claimed_kind, decision.received_at) == (1, "provisional", RECEIVED)
    [incident] = _incidents(session)  # the provisional list is reviewed by the commission as before
    assert incident["kind"] == "provisional" and incident["details"].startswith("Бюллетень округа №1")


def test_a_provisional_ballot_against_the_elections_wait_rule_counts_and_is_an_incident_saying_so(session,
                                                                                                  make_voter):
    """An election whose rule is `wait` (remote voters wait for the link): a desk that put a voter on a
    provisional list anyway handed out a ballot. It counts (the voter holds one) and the commission
    reads that it broke the rule."""
    election = _election(session)
    election.offline_policy = "wait"
    session.add(election)
    session.flush()
    try:
        voter = make_voter("УИК №2002", dt.date(1980, 2, 2))
        [result] = _sync(session, "УИК №3011", "uik.3011", _mark("m-wait-0001", voter, district=1))
        assert result["outcome"] == "provisional"
        assert session.exec(select(IdentifiedBallot)).one().provisional
        [incident] = _incidents(session)
        assert "вопреки порядку выборов" in incident["details"]
        [english] = _incidents(session, "en")
        assert "against the election's rule" in english["details"]
    finally:
        election.offline_policy = "provisional"
        session.add(election)
        session.flush()


def test_a_provisional_mark_without_a_district_or_with_garbage_is_a_wrong_district(session, make_voter):
    first, second = make_voter("УИК №2002", dt.date(1980, 2, 2)), make_voter("УИК №2003", dt.date(1981, 3, 3))
    results = _sync(session, "УИК №3011", "uik.3011", _mark("m-none-0001", first),
                    _mark("m-junk-0001", second, district="14; DROP TABLE"))
    assert [(r["outcome"], r["claimed_district"]) for r in results] == [("wrong_district", None)] * 2
    assert {i["details"].split(";")[0] for i in _incidents(session)} == {
        "Устройство участка не указало округ бюллетеня, по реестру избиратель относится к округу №1"}


def test_a_home_mark_for_a_voter_of_another_district_is_caught_too(session, make_voter):
    """The home desk's device hands out its own district's ballot (district 1) to whoever its list
    holds; a voter of district 14 on that mark is a wrong district, found by the register."""
    voter = make_voter("УИК №3011", dt.date(1979, 5, 5))  # Osh Region, district 14
    [result] = _sync(session, "УИК №1001", "uik.1001", _mark("m-home-0101", voter, kind="home"))
    assert (result["outcome"], result["district"], result["claimed_district"]) == ("wrong_district", 14, 1)
    ballot = session.exec(select(IdentifiedBallot)).one()
    assert (_district_number(session, ballot.district_id), ballot.kind, ballot.provisional) == (14, "remote", False)
    [own] = _sync(session, "УИК №1001", "uik.1001", _mark("m-home-0102", ASANOVA, kind="home", district=1))
    assert (own["outcome"], own["district"]) == ("issue", 1)


def test_a_second_ballot_given_offline_is_an_incident_saying_where_and_when_the_first_was(session, make_voter):
    voter = make_voter("УИК №2002", dt.date(1980, 2, 2))
    _at(session, "УИК №9001", voter=voter, action=identification.issue,
        now=dt.datetime(2027, 1, 17, 3, 5, tzinfo=dt.timezone.utc))  # 09:05 in Bishkek, abroad
    [result] = _sync(session, "УИК №3011", "uik.3011", _mark("m-twice-0001", voter, district=1))
    assert (result["outcome"], result["reason"]) == ("conflict", "voted")
    assert len(session.exec(select(IdentifiedBallot)).all()) == 1
    decision = _decision(session, "m-twice-0001")
    assert (decision.claimed_district, decision.claimed_at, decision.received_at) == (1, DEVICE, RECEIVED)
    [incident] = _incidents(session)
    assert incident["kind"] == "conflict"
    assert incident["details"] == ("Второй бюллетень: избиратель уже голосовал на участке УИК №9001 в 09:05; "
                                   "по данным устройства: 10:30; получено сервером: 12:00")


def test_the_sync_route_takes_the_claimed_district_and_the_server_decides(session, make_voter):
    voter = make_voter("УИК №2002", dt.date(1980, 2, 2))
    response = _post(_client(), "/staff/identification/sync", _staff_cookie(session, "uik.3011"),
                     {"marks": [_mark("m-http-0101", voter, district=14, at=DEVICE.isoformat())]})
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert (result["outcome"], result["district"], result["claimed_district"]) == ("wrong_district", 1, 14)
