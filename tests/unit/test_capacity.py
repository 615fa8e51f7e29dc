"""Capacity per election and remote precinct: the rule in submit/change, under concurrency too."""

import threading

import pytest
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
