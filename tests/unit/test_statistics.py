"""Public statistics: small-count suppression, the totals rule, final figures, the cache, the API."""

import datetime as dt
import itertools
import json

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from remote_vote_app.models import Application, Election, Precinct, StatisticsSnapshot, Voter
from remote_vote_app.services.applications import applications
from remote_vote_app.services.reporting import dashboard, statistics
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.services.clock import SERVICE_ZONE
from tests.unit.conftest import DEMO_DEADLINE, SEED_DAY, bishkek, demo_election, elections_in_zone, voter_session


def test_cells_of_one_to_four_are_suppressed_zero_stays():
    assert [statistics.cell(n) for n in range(7)] == [0, "<5", "<5", "<5", "<5", 5, 6]


def test_a_total_with_a_suppressed_cell_is_the_range_the_cells_imply():
    assert statistics.total([7, 5, 0]) == 12  # nothing hidden: exact
    assert statistics.total([7, 3]) == "8–11"  # 7 + (1..4)
    assert statistics.total([3, 0]) == "<5"  # the range lies within 1-4
    assert statistics.total([2, 2, 10]) == "12–18"


def test_grand_total_is_exact_only_when_no_cell_follows_from_it():
    assert statistics.total([10, 3], grand=True) == "11–14"  # one hidden cell: total - 10 would give it
    assert statistics.total([10, 1, 1], grand=True) == "12–18"  # S == k: every hidden cell would be 1
    assert statistics.total([10, 4, 4], grand=True) == "12–18"  # S == 4k: every hidden cell would be 4
    assert statistics.total([10, 2, 3], grand=True) == 15  # k < S < 4k: exact


@pytest.mark.parametrize("cells", list(itertools.product(range(0, 7), repeat=3)))
def test_no_total_pins_down_a_suppressed_cell(cells):
    """Brute force over small tables: every hidden cell still has two or more values consistent
    with what is published (the cells and the grand total)."""
    published = ([statistics.cell(c) for c in cells], statistics.total(list(cells), grand=True))
    for i, c in enumerate(cells):
        if 0 < c < 5:
            alternatives = {alt[i] for alt in itertools.product(range(0, 7), repeat=3)
                            if ([statistics.cell(x) for x in alt], statistics.total(list(alt), grand=True)) == published}
            assert len(alternatives) >= 2, (cells, i)


def _file(session, sender, voters, precinct, when, channel="online"):
    for voter in voters:
        election = demo_election(session, voter)
        applications.submit(session, voter.id, Draft(election.id, precinct.id, "s@example.kg", "+996 700 123 456", True),
                            sender, "ru", channel=channel, staff_actor="staff:1" if channel == "in_person" else None,
                            now=when, session_row=None if channel == "in_person" else voter_session(session, voter.id, now=when))
        session.flush()
        row = session.exec(select(Application).where(Application.voter_id == voter.id)).one()
        row.created_at = when
        session.add(row)
    session.commit()


def _setup(session, sender, demo_voters):
    voters = list(session.exec(select(Voter).where(Voter.territory_id == demo_voters[0].territory_id).order_by(Voter.id).limit(9)))
    p1 = session.exec(select(Precinct).where(Precinct.number == "ДГ-01")).one()
    p2 = session.exec(select(Precinct).where(Precinct.number == "ДГ-02")).one()
    _file(session, sender, voters[:6], p1, bishkek(10))  # 6 online at ДГ-01 today
    _file(session, sender, voters[6:8], p1, bishkek(11), channel="in_person")  # 2 in person
    _file(session, sender, voters[8:9], p2, bishkek(23, 30))  # 23:30 Bishkek is still today there
    return demo_election(session, voters[0])


def test_document_counts_per_day_precinct_and_channel_without_personal_data(session, sender, demo_voters):
    election = _setup(session, sender, demo_voters)
    doc = statistics.compute(session, election.election_day, now=bishkek(12))
    assert doc["schema_version"] == 1 and doc["status"] == "preliminary" and doc["final_as_of"] is None
    today = bishkek(12).astimezone(SERVICE_ZONE).date().isoformat()
    rows = {(r["date"], r["precinct"]): r for r in doc["rows"]}
    # 6 + (1..4) alone, but the exact grand total 9 less ДГ-02's 1..4 leaves 5..8: published "7–8".
    assert doc["totals"]["total"] == 9
    assert rows[(today, "ДГ-01")] == {"date": today, "precinct": "ДГ-01", "online": 6, "in_person": "<5", "total": "7–8"}
    assert rows[(today, "ДГ-02")]["online"] == "<5" and rows[(today, "ДГ-03")]["total"] == 0
    text = json.dumps(doc, ensure_ascii=False)
    assert "example.kg" not in text and "+996" not in text and not any(
        a.reference in text for a in session.exec(select(Application)))
    csv = statistics.csv_text(doc)
    assert csv.splitlines()[0] == "schema_version,election_day,status,date,precinct,online,in_person,total"
    assert f"1,{election.election_day},preliminary,{today},ДГ-01,6,<5,7–8" in csv


# 16:30 UTC: 22:30 in Bishkek (UTC+6), already 01:30 of the next day in Tokyo (UTC+9).
LATE_EVENING_UTC = dt.datetime.combine(SEED_DAY, dt.time(16, 30), tzinfo=dt.timezone.utc)


def _voters(session, territory_id, n):
    return list(session.exec(select(Voter).where(Voter.territory_id == territory_id).order_by(Voter.id).limit(n)))


def test_days_are_reckoned_in_the_elections_zone_in_open_data_and_on_the_dashboard(session, sender, demo_voters):
    day = demo_election(session, demo_voters[0]).election_day
    same_day = list(session.exec(select(Election).where(Election.election_day == day)))
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-01")).one()
    voters = _voters(session, demo_voters[0].territory_id, 3)
    with elections_in_zone(session, same_day, "Asia/Tokyo"):
        _file(session, sender, voters[:1], precinct, LATE_EVENING_UTC - dt.timedelta(hours=2))  # 23:30 in Tokyo
        _file(session, sender, voters[1:], precinct, LATE_EVENING_UTC)  # 01:30 of the next day in Tokyo
        doc = statistics.compute(session, day, now=LATE_EVENING_UTC)
        per_day = dashboard.statistics(session, day, now=LATE_EVENING_UTC)["per_day"]
    first, second = SEED_DAY.isoformat(), (SEED_DAY + dt.timedelta(days=1)).isoformat()
    assert doc["timezone"] == "Asia/Tokyo"
    assert {r["date"]: r["online"] for r in doc["totals"]["by_day"]} == {first: "<5", second: "<5"}
    assert {(r["date"], r["precinct"]): r["total"] for r in doc["rows"] if r["precinct"] == "ДГ-01"} == {
        (first, "ДГ-01"): "<5", (second, "ДГ-01"): "<5"}
    assert per_day == [{"day": first, "count": 1}, {"day": second, "count": 2}]


def test_each_application_is_counted_on_its_own_elections_day_when_zones_differ(session, sender, demo_voters):
    abroad, home = demo_election(session, demo_voters[0]), demo_election(session, demo_voters[1])
    assert abroad.election_day == home.election_day and abroad.id != home.id
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-02")).one()
    with elections_in_zone(session, [abroad], "Asia/Tokyo"):
        _file(session, sender, _voters(session, demo_voters[0].territory_id, 5), precinct, LATE_EVENING_UTC)
        _file(session, sender, _voters(session, demo_voters[1].territory_id, 6), precinct, LATE_EVENING_UTC)
        doc = statistics.compute(session, abroad.election_day, now=LATE_EVENING_UTC)
        per_day = dashboard.statistics(session, abroad.election_day, now=LATE_EVENING_UTC)["per_day"]
    assert doc["timezone"] == "Asia/Bishkek, Asia/Tokyo"
    assert {r["date"]: r["online"] for r in doc["totals"]["by_day"]} == {
        SEED_DAY.isoformat(): 6, (SEED_DAY + dt.timedelta(days=1)).isoformat(): 5}
    assert per_day == [{"day": SEED_DAY.isoformat(), "count": 6}, {"day": (SEED_DAY + dt.timedelta(days=1)).isoformat(),
                                                                   "count": 5}]


def test_final_figures_are_fixed_at_the_first_request_after_the_deadline(session, sender, demo_voters):
    election = _setup(session, sender, demo_voters)
    after = bishkek(0, 0, 5, day=DEMO_DEADLINE + dt.timedelta(days=1))
    doc = statistics.document(session, election.election_day, now=after)
    session.commit()
    assert doc["status"] == "final" and doc["final_as_of"] == after.isoformat(timespec="seconds")
    stored = session.exec(select(StatisticsSnapshot)).one()
    assert stored.election_day == election.election_day
    # Later requests get the stored figures, whatever happens to the data.
    again = statistics.document(session, election.election_day, now=after + dt.timedelta(days=3))
    assert again == doc


def test_a_flood_of_requests_is_one_computation(session, sender, demo_voters, monkeypatch):
    _setup(session, sender, demo_voters)
    calls = []
    real = statistics.document
    monkeypatch.setattr(statistics, "document", lambda *a, **k: calls.append(1) or real(*a, **k))
    from remote_vote_app.api import api

    client = TestClient(api)
    for _ in range(20):
        response = client.get("/api/statistics.json", headers={"Origin": "https://observer.example"})
        assert response.status_code == 200
    assert len(calls) == 1
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["schema_version"] == 1
    csv = client.get("/api/statistics.csv")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("schema_version,")
    assert len(calls) == 1
    # Junk in ?day= does not make a cache entry of its own.
    client.get("/api/statistics.json?day=" + "x" * 50)
    assert set(statistics._cache) <= {"", "days"} | set(statistics._cache["days"][1]["days"])


def _range(value) -> tuple[int, int]:
    """The bounds a published value states ("<5" states only "at least 1, under 5")."""
    if isinstance(value, int):
        return value, value
    if value == statistics.SUPPRESSED:
        return 1, 4
    low, high = value.split("–")
    return int(low), int(high)


def _states_bounds(value) -> bool:
    return value != statistics.SUPPRESSED


def test_an_exact_grand_total_and_the_channel_ranges_never_contradict_each_other():
    # «Всего 310 · Онлайн 102–116 · Лично 202–216»: in person is at least 202, so online is at most 108.
    cells = {("2026-12-01", "ДГ-01", "online"): 100, ("2026-12-01", "ДГ-01", "in_person"): 200,
             ("2026-12-01", "ДГ-02", "online"): 2, ("2026-12-01", "ДГ-02", "in_person"): 2,
             ("2026-12-02", "ДГ-01", "online"): 3, ("2026-12-02", "ДГ-01", "in_person"): 3,
             ("2026-12-02", "ДГ-02", "online"): 0, ("2026-12-02", "ДГ-02", "in_person"): 0}
    _, totals = statistics.publish(cells)
    assert totals["total"] == 310
    assert totals["by_channel"] == {"online": "102–108", "in_person": "202–208"}


@pytest.mark.parametrize("cells", list(itertools.product((0, 1, 2, 4, 6), repeat=4)))
def test_every_published_total_fits_the_exact_grand_total(cells):
    """Two days × two channels at one precinct, every count: both ends of a part's stated range can be
    reached with the rest adding up to the exact grand total (low + rest's high >= grand >= high +
    rest's low); "<5" states no exact end."""
    keys = [(d, "ДГ-01", c) for d in ("2026-12-01", "2026-12-02") for c in statistics.CHANNELS]
    _, totals = statistics.publish(dict(zip(keys, cells)))
    grand = totals["total"]
    if not isinstance(grand, int):
        return
    pairs = [(totals["by_channel"]["online"], totals["by_channel"]["in_person"]),
             (totals["by_day"][0]["total"], totals["by_day"][1]["total"])]
    for part, rest in pairs:
        if not _states_bounds(part):
            continue
        (low, high), (rest_low, rest_high) = _range(part), _range(rest)
        assert low + rest_high >= grand >= high + rest_low, (cells, part, rest, grand)
