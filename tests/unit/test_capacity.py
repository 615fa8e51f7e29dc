"""Capacity per election and remote precinct: the rule in submit/change, under concurrency too."""

import re
import threading

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from remote_vote_app.db import get_engine
from remote_vote_app.models import Application, AuditEvent, Precinct, Voter
from remote_vote_app.services.applications import applications, capacity
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import FieldErrors, ServiceError
from remote_vote_app.services.messaging.notifications import OutboxSender
from tests.unit.conftest import bishkek, demo_election, voter_session

OPEN = bishkek(12)


def _precinct(session, number) -> Precinct:
    return session.exec(select(Precinct).where(Precinct.number == number)).one()


def _voters(session, like: Voter, count: int) -> list[Voter]:
    return list(session.exec(select(Voter).where(Voter.territory_id == like.territory_id).order_by(Voter.id).limit(count)))


def _draft(session, voter, precinct, **changes) -> Draft:
    values = dict(election_id=demo_election(session, voter).id, precinct_id=precinct.id, email="v@example.kg",
                  phone="+996 700 123 456", consent=True)
    values.update(changes)
    return Draft(**values)


def test_full_precinct_is_refused_with_the_nearest_precincts_that_have_room(session, sender, demo_voters):
    voter, other = _voters(session, demo_voters[0], 2)
    election = demo_election(session, voter)
    full, nearest_full = _precinct(session, "ДГ-01"), _precinct(session, "ДГ-02")
    capacity.set_capacity(session, election.id, full.id, "1", "staff:1")
    capacity.set_capacity(session, election.id, nearest_full.id, "0", "staff:1")
    applications.submit(session, voter.id, _draft(session, voter, full), sender, "ru", now=OPEN,
                        session_row=voter_session(session, voter.id))
    session.commit()
    with pytest.raises(FieldErrors) as info:
        applications.submit(session, other.id, _draft(session, other, full), sender, "ru", now=OPEN,
                            session_row=voter_session(session, other.id))
    error = info.value.errors["precinct"]
    assert error.code == "error.precinct_full" and error.params["precinct"] == "ДГ-01"
    # The other Bishkek precincts are nearest; the full ДГ-02 is not offered.
    offered = error.params["alternatives"]
    assert "ДГ-03" in offered and "ДГ-04" in offered and "ДГ-02" not in offered
    assert "км по прямой)" in offered  # no road data: the distance says it is straight-line
    session.rollback()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "capacity.set", AuditEvent.entity_id == "ДГ-01")).all()
    assert events and '"after": 1' in events[-1].details


def test_levels_almost_full_from_90_percent():
    assert capacity.Fill(None, 5).level == ""
    assert capacity.Fill(10, 8).level == "ok"
    assert capacity.Fill(10, 9).level == "almost_full"
    assert capacity.Fill(10, 10).level == "full" and capacity.Fill(0, 0).level == "full"
    assert capacity.Fill(10, 9).percent == 90


def test_change_into_a_full_precinct_is_refused_but_keeping_ones_place_is_not(session, sender, demo_voters):
    a, b = _voters(session, demo_voters[0], 2)
    election = demo_election(session, a)
    p1, p2 = _precinct(session, "ДГ-01"), _precinct(session, "ДГ-03")
    row_a, row_b = voter_session(session, a.id), voter_session(session, b.id)
    first = applications.submit(session, a.id, _draft(session, a, p1), sender, "ru", now=OPEN, session_row=row_a)
    second = applications.submit(session, b.id, _draft(session, b, p2), sender, "ru", now=OPEN, session_row=row_b)
    session.commit()
    capacity.set_capacity(session, election.id, p1.id, "1", "staff:1")
    capacity.set_capacity(session, election.id, p2.id, "1", "staff:1")
    session.commit()
    with pytest.raises(FieldErrors):
        applications.change(session, b.id, second.reference, _draft(session, b, p1), sender, "ru", now=OPEN,
                            session_row=row_b)
    session.rollback()
    # A contact change at one's own (now full) precinct goes through.
    changed = applications.change(session, a.id, first.reference, _draft(session, a, p1, email="new@example.kg"), sender,
                                  "ru", now=OPEN, session_row=row_a)
    assert changed.email == "new@example.kg"


def test_capacity_input_is_checked(session, demo_voters):
    election = demo_election(session, demo_voters[0])
    with pytest.raises(ServiceError) as info:
        capacity.set_capacity(session, election.id, _precinct(session, "ДГ-01").id, "-3", "staff:1")
    assert info.value.code == "error.capacity_invalid"
    home = session.exec(select(Precinct).where(Precinct.kind == "home")).first()
    with pytest.raises(ServiceError):
        capacity.set_capacity(session, election.id, home.id, "5", "staff:1")


@pytest.mark.parametrize("threads", [6])
def test_concurrent_submits_for_the_last_places_never_overbook(session, demo_voters, threads):
    """N voters submit at the same moment for N-1 places: exactly N-1 applications, one refusal."""
    voters = _voters(session, demo_voters[0], threads)
    election = demo_election(session, voters[0])
    precinct = _precinct(session, "ДГ-04")
    capacity.set_capacity(session, election.id, precinct.id, str(threads - 1), "staff:1")
    rows = {v.id: voter_session(session, v.id) for v in voters}
    session.commit()
    barrier = threading.Barrier(threads, timeout=20)
    results: list[str] = []
    lock = threading.Lock()

    def worker(voter_id: int) -> None:
        with Session(get_engine()) as s:
            voter = s.get(Voter, voter_id)
            draft = applications.validate(s, voter_id, _draft(s, voter, precinct), OPEN)  # everyone sees room
            barrier.wait()  # ... then all submit at once
            try:
                applications.submit(s, voter_id, draft, OutboxSender(), "ru", now=OPEN, session_row=rows[voter_id])
                s.commit()
                outcome = "ok"
            except ServiceError as exc:
                s.rollback()
                outcome = exc.errors["precinct"].code if isinstance(exc, FieldErrors) else exc.code
        with lock:
            results.append(outcome)

    pool = [threading.Thread(target=worker, args=(v.id,)) for v in voters]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not barrier.broken
    assert sorted(results) == ["error.precinct_full"] + ["ok"] * (threads - 1)
    with Session(get_engine()) as s:
        taken = s.exec(select(Application).where(Application.remote_precinct_id == precinct.id,
                                                 Application.election_id == election.id,
                                                 Application.status == "submitted")).all()
        assert len(taken) == threads - 1


def test_fills_for_the_picker_and_the_dashboard(session, sender, demo_voters):
    voters = _voters(session, demo_voters[0], 3)
    election = demo_election(session, voters[0])
    p = _precinct(session, "ДГ-02")
    capacity.set_capacity(session, election.id, p.id, "3", "staff:1")
    for v in voters[:3]:
        applications.submit(session, v.id, _draft(session, v, p), sender, "ru", now=OPEN,
                            session_row=voter_session(session, v.id))
    session.commit()
    assert capacity.fills(session, [election.id])[election.id][p.id].level == "full"
    from remote_vote_app.services.reporting import dashboard

    rows = {r["number"]: r for r in dashboard.statistics(session, election.election_day)["per_precinct"]}
    assert rows["ДГ-02"]["level"] == "full" and rows["ДГ-02"]["fill"] == "100 %"
    assert capacity.open_levels(session)[str(p.id)] == "full"


def _taken(session) -> dict[tuple[int, int], int]:
    """The places taken as the triggers keep them, and as a count of the applications says."""
    kept = {(e, p): n for e, p, n in session.execute(text(
        "SELECT election_id, precinct_id, booked FROM precinctbooking WHERE booked <> 0"))}
    counted = {(e, p): n for e, p, n in session.execute(text(
        "SELECT election_id, remote_precinct_id, count(*) FROM application WHERE status = 'submitted' "
        "GROUP BY election_id, remote_precinct_id"))}
    assert kept == counted
    return kept


def test_the_places_taken_follow_every_change_to_an_application(session, sender, demo_voters):
    """Filed, moved, contacts changed, withdrawn, deleted, or changed by plain SQL: the database's
    count per precinct stays the count of submitted applications."""
    a, b, c = _voters(session, demo_voters[0], 3)
    election = demo_election(session, a)
    p1, p2 = _precinct(session, "ДГ-01"), _precinct(session, "ДГ-03")
    rows = {v.id: voter_session(session, v.id) for v in (a, b, c)}
    filed = {v.id: applications.submit(session, v.id, _draft(session, v, p1), sender, "ru", now=OPEN,
                                       session_row=rows[v.id]) for v in (a, b, c)}
    assert _taken(session) == {(election.id, p1.id): 3}
    applications.change(session, a.id, filed[a.id].reference, _draft(session, a, p2), sender, "ru", now=OPEN,
                        session_row=rows[a.id])
    assert _taken(session) == {(election.id, p1.id): 2, (election.id, p2.id): 1}
    applications.change(session, b.id, filed[b.id].reference, _draft(session, b, p1, email="b@example.kg"), sender,
                        "ru", now=OPEN, session_row=rows[b.id])
    assert _taken(session) == {(election.id, p1.id): 2, (election.id, p2.id): 1}
    applications.withdraw(session, b.id, filed[b.id].reference, sender, "ru", now=OPEN, session_row=rows[b.id])
    assert _taken(session) == {(election.id, p1.id): 1, (election.id, p2.id): 1}
    session.execute(text("UPDATE application SET status = 'submitted' WHERE id = :id"), {"id": filed[b.id].id})
    session.execute(text("UPDATE application SET remote_precinct_id = :p WHERE id = :id"), {"p": p2.id, "id": filed[c.id].id})
    assert _taken(session) == {(election.id, p1.id): 1, (election.id, p2.id): 2}
    session.execute(text("DELETE FROM application WHERE id = :id"), {"id": filed[a.id].id})
    assert _taken(session) == {(election.id, p1.id): 1, (election.id, p2.id): 1}
    session.rollback()  # and a rolled-back transaction leaves nothing counted
    assert _taken(session) == {}


def test_the_forms_fill_levels_read_no_application(session, sender, demo_voters):
    """The form's load reads one row per precinct with a limit or places taken, not the election's
    applications (O(applications) before: 1.2 s on 100,000 of them on a loaded machine)."""
    voters = _voters(session, demo_voters[0], 2)
    election = demo_election(session, voters[0])
    p = _precinct(session, "ДГ-02")
    capacity.set_capacity(session, election.id, p.id, "2", "staff:1")
    for v in voters:
        applications.submit(session, v.id, _draft(session, v, p), sender, "ru", now=OPEN,
                            session_row=voter_session(session, v.id))
    session.commit()
    sent: list[str] = []

    def statement(_conn, _cursor, sql, *_args):
        sent.append(sql)

    event.listen(get_engine(), "before_cursor_execute", statement)
    try:
        levels = capacity.fill_levels(session, [election.id])
        full = capacity.has_room(session, election.id, p.id)
    finally:
        event.remove(get_engine(), "before_cursor_execute", statement)
    assert levels[str(election.id)][str(p.id)] == "full" and not full
    assert sent and not [sql for sql in sent if re.search(r"\bFROM application\b", sql)]


@pytest.mark.parametrize("threads", [8])
def test_moves_between_two_precincts_in_opposite_directions_at_once_all_go_through(session, sender, demo_voters,
                                                                                     threads):
    """Half the voters move from one precinct to the other while the other half move back, at the
    same moment: on PostgreSQL the counter rows are locked in one order, so nobody deadlocks."""
    voters = _voters(session, demo_voters[0], threads)
    p1, p2 = _precinct(session, "ДГ-01"), _precinct(session, "ДГ-03")
    rows = {v.id: voter_session(session, v.id) for v in voters}
    moves = {}
    for i, v in enumerate(voters):
        here, there = (p1, p2) if i % 2 else (p2, p1)
        filed = applications.submit(session, v.id, _draft(session, v, here), sender, "ru", now=OPEN,
                                    session_row=rows[v.id])
        moves[v.id] = (filed.reference, there)
    session.commit()
    before = _taken(session)
    barrier = threading.Barrier(threads, timeout=20)
    results: list[str] = []

    def worker(voter_id: int) -> None:
        reference, there = moves[voter_id]
        with Session(get_engine()) as s:
            voter = s.get(Voter, voter_id)
            draft = _draft(s, voter, there)
            barrier.wait()
            try:
                applications.change(s, voter_id, reference, draft, OutboxSender(), "ru", now=OPEN,
                                     session_row=rows[voter_id])
                s.commit()
                results.append("ok")
            except Exception as exc:  # noqa: BLE001 - a deadlock is what this test looks for
                s.rollback()
                results.append(type(exc).__name__)

    pool = [threading.Thread(target=worker, args=(v.id,)) for v in voters]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert results == ["ok"] * threads
    session.expire_all()
    assert _taken(session) == before  # as many went each way
