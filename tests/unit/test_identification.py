"""Identification mode (law of 2025): the desk's rules, one ballot per voter under concurrency,
offline marks, the precinct's own list, both modes side by side, and the migration."""

import datetime as dt
import itertools
import json
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import select

from remote_vote_app import cli
from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import (
    AuditEvent, Election, IdentificationDecision, IdentifiedBallot, Precinct, StaffAccount, Voter,
)
from remote_vote_app.services.election_day import checkin, identification
from remote_vote_app.services.identity import staff
from remote_vote_app.services.reference import elections
from remote_vote_app.errors import Forbidden, ServiceError
from tests.unit.conftest import demo_election
from tests.unit.test_voter_address import scratch_url  # noqa: F401 (a fixture)

ASANOVA = ("11503199000123", "ID1234567")  # README's demo voter: Bishkek, home УИК №1001, district 1
_serials = itertools.count(1)


def _election(session) -> Election:
    return session.exec(select(Election).where(Election.mode == "identification", Election.is_demo == True)).one()  # noqa: E712


def _precinct(session, number: str) -> Precinct:
    return session.exec(select(Precinct).where(Precinct.number == number)).one()


def _staff(session, username: str) -> int:
    return session.exec(select(StaffAccount.id).where(StaffAccount.username == username)).one()


def _at(session, number: str, voter=ASANOVA, username: str = "uik.2001", action=identification.check, **extra):
    """The answer a desk at precinct `number` gets for `voter` (the desk's account is only the actor)."""
    return action(session, election_id=_election(session).id, precinct_id=_precinct(session, number).id,
                  staff_id=_staff(session, username), pin=voter[0], document_number=voter[1], **extra)


@pytest.fixture
def make_voter(session):
    """Register voters for one test (home precinct, birth date) and remove them afterwards."""
    made = []

    def make(home: str, born: dt.date) -> tuple[str, str]:
        serial = next(_serials)
        pin, doc = f"2{born:%d%m%Y}{90000 + serial:05d}", f"TS{9000000 + serial:07d}"
        voter = Voter(pin=pin, document_number=doc, last_name="Тестов", first_name="Тест", patronymic="",
                      birth_date=born, address_ru="ул. Тестовая, 1", territory_id=_precinct(session, home).territory_id,
                      home_precinct_id=_precinct(session, home).id, phone="+996700000001")
        session.add(voter)
        session.commit()
        made.append(voter.id)
        return pin, doc

    yield make
    session.rollback()
    with get_engine().begin() as conn:
        for table in ("identifiedballot", "identificationdecision"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.delete(Voter).where(Voter.id.in_(made)))


# --- the rules ---


def test_at_the_home_precinct_the_voter_gets_a_ballot_of_the_home_district(session):
    answer = _at(session, "УИК №1001", username="uik.1001", action=identification.issue)
    assert (answer.outcome, answer.kind, answer.ballot_district.number) == ("issue", "home", 1)
    assert answer.voter_name == ("Асанова", "Айгуль", "Бакытовна") and answer.home_precinct.number == "УИК №1001"
    ballot = session.exec(select(IdentifiedBallot)).one()
    assert (ballot.kind, ballot.precinct_id, ballot.district_id) == ("home", _precinct(session, "УИК №1001").id,
                                                                     answer.ballot_district.id)


def test_inside_the_home_district_the_voter_is_sent_to_the_home_precinct_with_its_address(session):
    answer = _at(session, "УИК №2001")  # a station of district 1, Асанова's district
    assert (answer.outcome, answer.go_to.number) == ("wrong_precinct", "УИК №1001")
    home = _precinct(session, "УИК №1001")
    assert answer.message("ru") == f"Отказ: избиратель в своём округе и голосует только на своём участке: УИК №1001, {home.address_ru}."
    assert home.address_en in answer.message("en")
    assert session.exec(select(IdentifiedBallot)).all() == []
    assert _at(session, "УИК №2001", action=identification.issue).outcome == "wrong_precinct"  # issue re-checks
    assert session.exec(select(IdentifiedBallot)).all() == []


def test_outside_the_home_district_the_voter_gets_a_remote_ballot_of_the_home_district(session):
    answer = _at(session, "УИК №3011", username="uik.3011", action=identification.issue)  # Osh Region, district 14
    assert (answer.outcome, answer.kind, answer.ballot_district.number) == ("issue", "remote", 1)
    assert answer.message("en").startswith("Issue a ballot of district No. 1")


def test_abroad_any_voter_gets_a_remote_ballot_of_the_home_district(session, make_voter):
    # УИК №9001 (Moscow) is listed in district 1, as Асанова's home precinct: abroad that does not refuse her.
    assert _precinct(session, "УИК №9001").abroad
    answer = _at(session, "УИК №9001")
    assert (answer.outcome, answer.kind, answer.ballot_district.number) == ("issue", "remote", 1)
    # A voter registered abroad (УИК №9002, district 2) votes at home in any precinct with district 2's ballot,
    # even at a precinct of district 2 itself.
    abroad = make_voter("УИК №9002", dt.date(1990, 5, 5))
    for number in ("УИК №2001", "УИК №2460"):
        answer = _at(session, number, voter=abroad)
        assert (answer.outcome, answer.kind, answer.ballot_district.number) == ("issue", "remote", 2), number


def test_eighteen_on_election_day_votes_one_day_younger_does_not(session, make_voter):
    day = _election(session).election_day
    eighteen_today = make_voter("УИК №1001", day.replace(year=day.year - 18))
    eighteen_tomorrow = make_voter("УИК №1001", day.replace(year=day.year - 18) + dt.timedelta(days=1))
    assert _at(session, "УИК №3011", voter=eighteen_today).outcome == "issue"
    refused = _at(session, "УИК №3011", voter=eighteen_tomorrow, action=identification.issue)
    assert (refused.outcome, refused.params) == ("under_age", {"date": day.strftime("%d.%m.%Y")})
    assert [b.voter_id for b in session.exec(select(IdentifiedBallot))] == []


def test_a_second_identification_anywhere_answers_where_and_when_the_voter_voted(session):
    issued_at = dt.datetime(2027, 1, 17, 4, 5, tzinfo=dt.timezone.utc)  # 10:05 in Bishkek
    _at(session, "УИК №3011", username="uik.3011", action=identification.issue, now=issued_at)
    for number in ("УИК №1001", "УИК №2001", "УИК №9001"):
        answer = _at(session, number)
        assert (answer.outcome, answer.voted_precinct, answer.params["time"]) == ("voted", "УИК №3011", "10:05")
        assert answer.voted_at == issued_at
    again = _at(session, "УИК №1001", username="uik.1001", action=identification.issue)
    assert again.outcome == "voted" and len(session.exec(select(IdentifiedBallot)).all()) == 1


def test_not_on_the_register_is_one_answer_for_an_unknown_pin_and_a_wrong_document(session):
    answers = [_at(session, "УИК №2001", voter=v) for v in
               ((ASANOVA[0], "ID7654321"), ("21503199000999", ASANOVA[1]), ("garbage", "x"))]
    assert [(a.outcome, a.message_key, a.voter_id, a.voter_name, a.home_precinct, a.params) for a in answers] == [
        ("not_registered", "ident.not_registered", None, None, None, {})] * 3


def test_every_decision_is_kept_with_member_precinct_time_and_what_was_shown_without_the_pin(session):
    now = dt.datetime(2027, 1, 17, 3, 0, tzinfo=dt.timezone.utc)
    _at(session, "УИК №2001", now=now)  # wrong_precinct, kept
    assert _at(session, "УИК №3011", username="uik.3011", now=now).decision_id is None  # an `issue` check keeps nothing
    issued = _at(session, "УИК №3011", username="uik.3011", action=identification.issue, now=now, shown="ident.issue_remote")
    _at(session, "УИК №2001", voter=(ASANOVA[0], "ID0000000"), now=now)  # not_registered
    session.commit()
    rows = session.exec(select(IdentificationDecision).order_by(IdentificationDecision.id)).all()
    assert [(r.outcome, r.staff_id, r.precinct_id) for r in rows] == [
        ("wrong_precinct", _staff(session, "uik.2001"), _precinct(session, "УИК №2001").id),
        ("issue", _staff(session, "uik.3011"), _precinct(session, "УИК №3011").id),
        ("not_registered", _staff(session, "uik.2001"), _precinct(session, "УИК №2001").id)]
    assert all(r.at == now for r in rows) and rows[1].id == issued.decision_id
    assert json.loads(rows[0].shown) == {"key": "ident.wrong_precinct", "params": {"precinct": "УИК №1001"}}
    events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("identification."))
                          .order_by(AuditEvent.id)).all()
    assert [e.action for e in events][-3:] == ["identification.wrong_precinct", "identification.issue",
                                               "identification.not_registered"]
    for text in [r.shown for r in rows] + [e.details for e in events]:
        assert ASANOVA[0] not in text and ASANOVA[1] not in text and "ID0000000" not in text


# --- one ballot, whatever the desks do at once ---


def test_sixteen_desks_identifying_one_voter_at_once_issue_one_ballot(session):
    election = _election(session)
    numbers = [f"УИК №{n}" for n in range(3011, 3027)]  # Osh Region, outside Асанова's district
    desks = [(_precinct(session, n).id, _staff(session, "uik.3011")) for n in numbers]
    since = _last_event(session)
    session.commit()
    barrier, answers, errors = threading.Barrier(len(desks)), [], []

    def desk(precinct_id, staff_id):
        barrier.wait()
        try:
            with session_scope() as s:
                answers.append(identification.issue(s, election_id=election.id, precinct_id=precinct_id,
                                                    staff_id=staff_id, pin=ASANOVA[0], document_number=ASANOVA[1]))
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=d) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(a.outcome for a in answers) == ["issue"] + ["voted"] * 15
    winner = next(a for a in answers if a.outcome == "issue")
    ballots = session.exec(select(IdentifiedBallot)).all()
    assert len(ballots) == 1 and ballots[0].decision_id == winner.decision_id
    assert {a.voted_precinct for a in answers if a.outcome == "voted"} == {session.get(Precinct, ballots[0].precinct_id).number}
    outcomes = session.exec(select(IdentificationDecision.outcome)).all()
    assert sorted(outcomes) == ["issue"] + ["voted"] * 15  # every answer given is kept
    _assert_each_decision_audited_once(session, since)


def _last_event(session) -> int:
    return session.exec(select(sa.func.max(AuditEvent.id))).one() or 0


def _assert_each_decision_audited_once(session, since: int):
    """Every decision kept has exactly one audit event (written after event `since`) with its outcome."""
    decisions = dict(session.exec(select(IdentificationDecision.id, IdentificationDecision.outcome)).all())
    events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("identification."),
                                                   AuditEvent.id > since)).all()
    assert sorted((json.loads(e.details)["decision"], e.action) for e in events) == sorted(
        (d, f"identification.{outcome}") for d, outcome in decisions.items())


def test_a_desk_that_loses_the_race_after_its_check_is_told_voted_and_its_decision_says_so(session, monkeypatch):
    """Between this desk's check of the register and its ballot's insert another desk issues and
    commits: the conditional insert takes nothing, the member is told `voted` (where and when), and
    the decision and its one audit event say `voted`, as the member saw it."""
    election = _election(session)
    loser, winner = _precinct(session, "УИК №3011"), _precinct(session, "УИК №3012")
    staff_id, since = _staff(session, "uik.3011"), _last_event(session)
    session.commit()
    decide = identification._decide

    def other_desk_first(s, *args, **kwargs):
        monkeypatch.setattr(identification, "_decide", decide)
        with session_scope() as other:
            first = identification.issue(other, election_id=election.id, precinct_id=winner.id, staff_id=staff_id,
                                         pin=ASANOVA[0], document_number=ASANOVA[1])
            assert first.outcome == "issue"
        return decide(s, *args, **kwargs)

    monkeypatch.setattr(identification, "_decide", other_desk_first)
    with session_scope() as s:
        answer = identification.issue(s, election_id=election.id, precinct_id=loser.id, staff_id=staff_id,
                                      pin=ASANOVA[0], document_number=ASANOVA[1], shown="ident.issue_remote")
    assert (answer.outcome, answer.voted_precinct) == ("voted", "УИК №3012")
    ballot = session.exec(select(IdentifiedBallot)).one()
    assert ballot.precinct_id == winner.id
    kept = session.get(IdentificationDecision, answer.decision_id)
    assert (kept.outcome, kept.precinct_id) == ("voted", loser.id)
    assert json.loads(kept.shown) == {"key": "ident.voted", "params": answer.params, "desk_showed": "ident.issue_remote"}
    _assert_each_decision_audited_once(session, since)


def test_the_answers_json_carries_every_field_and_the_message_in_each_language(session):
    import dataclasses

    issued_at = dt.datetime(2027, 1, 17, 4, 5, tzinfo=dt.timezone.utc)
    answers = [_at(session, "УИК №2001"),  # wrong_precinct: a place to go to
               _at(session, "УИК №3011", username="uik.3011", action=identification.issue, now=issued_at),
               _at(session, "УИК №1001")]  # voted: where and when
    assert [a.outcome for a in answers] == ["wrong_precinct", "issue", "voted"]
    for answer in answers:
        expected = dataclasses.asdict(answer) | {
            "voted_at": answer.voted_at.isoformat() if answer.voted_at else None,
            "voter_name": list(answer.voter_name), "messages": {lang: answer.message(lang) for lang in ("ky", "ru", "en")}}
        assert json.loads(json.dumps(answer.to_json())) == json.loads(json.dumps(expected))


# --- without a link ---


def test_offline_marks_are_kept_conflicts_become_incidents_and_a_resend_is_the_same_decision(session, make_voter):
    election, home = _election(session), _precinct(session, "УИК №1001")
    other = make_voter("УИК №2002", dt.date(1980, 2, 2))  # district 1 too, but voting in Osh Region
    _at(session, "УИК №2001", voter=other)  # a refusal: does not block
    issued_elsewhere = make_voter("УИК №1001", dt.date(1975, 3, 3))
    _at(session, "УИК №3011", voter=issued_elsewhere, username="uik.3011", action=identification.issue)
    marks = identification.parse_marks({"marks": [
        {"mark_id": "m-home-0001", "pin": ASANOVA[0], "document": ASANOVA[1], "kind": "home",
         "at": "2027-01-17T10:00:00+06:00"},
        {"mark_id": "m-home-0002", "pin": issued_elsewhere[0], "document": issued_elsewhere[1], "kind": "home",
         "at": "2027-01-17T10:01:00+06:00"},
        {"mark_id": "m-home-0003", "pin": "21503199000999", "document": "ID0000000", "kind": "home"},
    ]})
    received = dt.datetime(2027, 1, 17, 6, 0, tzinfo=dt.timezone.utc)  # noon in Bishkek: the marks' times are taken
    results = identification.sync_offline(session, election_id=election.id, precinct_id=home.id,
                                          staff_id=_staff(session, "uik.1001"), marks=marks, now=received)
    assert [(r["outcome"], r.get("reason")) for r in results] == [
        ("issue", None), ("conflict", "voted"), ("conflict", "not_registered")]
    ballot = session.exec(select(IdentifiedBallot).where(IdentifiedBallot.precinct_id == home.id)).one()
    assert ballot.issued_at == dt.datetime(2027, 1, 17, 4, 0, tzinfo=dt.timezone.utc) and not ballot.provisional
    again = identification.sync_offline(session, election_id=election.id, precinct_id=home.id,
                                        staff_id=_staff(session, "uik.1001"), marks=marks, now=received)
    assert [(r["outcome"], r["decision_id"]) for r in again] == [(r["outcome"], r["decision_id"]) for r in results]
    remote = identification.parse_marks({"marks": [{"mark_id": "m-prov-0001", "pin": other[0], "document": other[1],
                                                    "kind": "provisional", "district": 1}]})
    osh = _precinct(session, "УИК №3011")
    [result] = identification.sync_offline(session, election_id=election.id, precinct_id=osh.id,
                                           staff_id=_staff(session, "uik.3011"), marks=remote)
    assert result["outcome"] == "provisional"
    assert session.exec(select(IdentifiedBallot).where(IdentifiedBallot.precinct_id == osh.id,
                                                       IdentifiedBallot.provisional == True)).one()  # noqa: E712
    offline = session.exec(select(IdentificationDecision).where(IdentificationDecision.offline == True)).all()  # noqa: E712
    assert sorted(d.outcome for d in offline) == ["conflict", "conflict", "issue", "provisional"]


def test_offline_marks_come_sealed_and_one_that_does_not_open_is_kept_as_a_conflict(session, make_voter):
    """The desk's queue outlives a logout, so it holds PIN and document sealed to the server's key."""
    election, home = _election(session), _precinct(session, "УИК №1001")
    public = identification.seal_public_key()
    other = make_voter("УИК №1002", dt.date(1981, 4, 4))
    broken = identification.seal_mark(public, "m-seal-0002", *other)
    marks = identification.parse_marks({"marks": [
        {"mark_id": "m-seal-0001", "sealed": identification.seal_mark(public, "m-seal-0001", *ASANOVA), "kind": "home"},
        {"mark_id": "m-seal-0002", "sealed": {**broken, "iv": broken["epk"][:16]}, "kind": "home"},
    ]})
    assert [(m.pin, m.document_number) for m in marks] == [ASANOVA, ("", "")]
    results = identification.sync_offline(session, election_id=election.id, precinct_id=home.id,
                                          staff_id=_staff(session, "uik.1001"), marks=marks)
    assert [(r["outcome"], r.get("reason")) for r in results] == [("issue", None), ("conflict", "not_registered")]


def test_the_precincts_own_list_holds_identifier_hashes_names_and_birth_years_only(session):
    election, home = _election(session), _precinct(session, "УИК №1001")
    listed = identification.precinct_list(session, election.id, home.id)
    voters = session.exec(select(Voter).where(Voter.home_precinct_id == home.id)).all()
    assert len(listed["voters"]) == len(voters) > 1
    text = json.dumps(listed, ensure_ascii=False)
    for voter in voters:
        assert voter.pin not in text and voter.document_number not in text
    key = bytes.fromhex(listed["key"])
    mine = next(v for v in listed["voters"] if v["id"] == identification.identifier(key, *ASANOVA))
    assert mine == {"id": mine["id"], "name": "Асанова Айгуль Бакытовна", "birth_year": 1990, "voted": False}


# --- both modes in one database ---


def test_both_modes_live_side_by_side(session, demo_voters):
    voter = demo_voters[0]
    application_mode = demo_election(session, voter)
    assert application_mode.mode == "application"
    with pytest.raises(ServiceError) as refused:
        identification.check(session, election_id=application_mode.id, precinct_id=_precinct(session, "УИК №1001").id,
                             staff_id=_staff(session, "uik.1001"), pin=ASANOVA[0], document_number=ASANOVA[1])
    assert refused.value.code == "error.ident_mode"
    # The voter's application pages list application-mode elections only.
    listed = elections.for_territory(session, voter.territory_id) + elections.for_territory(
        session, _election(session).territory_id)
    assert {e.id for e in listed} == {e.id for e in session.exec(select(Election).where(
        Election.territory_id == voter.territory_id))}
    assert all(d["election_day"] != _election(session).election_day for d in elections.election_days(session))
    # The remote precincts' pages and map still list the ten remote precincts, not the country's 2,600.
    from remote_vote_app.services.reference import precincts

    assert len(precincts.geojson(session)["features"]) == 10
    # The application-mode desk keeps working beside it.
    from tests.unit.test_staff import _apply, _login
    from tests.unit.test_checkin import _mark

    application = _apply(session, identification_sender(), voter)
    result = checkin.record(session, _login(session, "uik.dg05"), _mark(application.reference, version=0), "s")
    assert result["status"] == "issued"


def identification_sender():
    from remote_vote_app.services.messaging.notifications import OutboxSender

    return OutboxSender()


def test_only_members_of_a_listed_precinct_run_an_identification_desk(session):
    election = _election(session)
    desk = identification.desk(session, staff.reload(session, _staff(session, "uik.2001")))
    assert (desk.election.id, desk.precinct.number, desk.district.number) == (election.id, "УИК №2001", 1)
    for name in ("cec.admin", "observer", "tec.bishkek"):
        with pytest.raises(Forbidden):
            identification.desk(session, staff.reload(session, _staff(session, name)), election.id)
    with pytest.raises(Forbidden):  # a remote precinct of the application procedure is in no district
        identification.desk(session, staff.reload(session, _staff(session, "uik.dg05")), election.id)


# --- the migration ---


def _downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(cli.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(cli.ROOT / "alembic"))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migration_upgrades_downgrades_and_keeps_the_reference_triggers(scratch_url):
    def tables_and_triggers():
        inspector = sa.inspect(get_engine(scratch_url))
        with get_engine(scratch_url).connect() as conn:
            if conn.dialect.name == "sqlite":
                triggers = set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            else:
                triggers = set(conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        return (set(inspector.get_table_names()), {c["name"] for c in inspector.get_columns("election")},
                {c["name"] for c in inspector.get_columns("precinct")}, triggers)

    cli.migrate(scratch_url)
    tables, election, precinct, triggers = tables_and_triggers()
    assert {"electoraldistrict", "districtprecinct", "identifiedballot", "identificationdecision"} <= tables
    assert {"mode", "offline_policy"} <= election and "abroad" in precinct
    assert any(t.startswith("districtprecinct_reference_version") for t in triggers)
    assert any(t.startswith("precinct_reference_version") for t in triggers)
    with get_engine(scratch_url).begin() as conn:  # defaults for rows written before: application mode
        conn.execute(sa.text("INSERT INTO territory (id, kind, code, name_ru, name_ky, name_en) VALUES (1, 'city', 'X', 'X', 'X', 'X')"))
        conn.execute(sa.text("INSERT INTO election (kind, territory_id, election_day, application_deadline, timezone,"
                             " is_demo) VALUES ('city_kenesh', 1, '2027-01-17', '2027-01-01', 'Asia/Bishkek', :no)"),
                     {"no": False})
        assert conn.execute(sa.text("SELECT mode, offline_policy FROM election")).one() == ("application", "provisional")
    _downgrade(scratch_url, "a3d8e1f5c720")
    tables, election, precinct, after = tables_and_triggers()
    assert not {"electoraldistrict", "districtprecinct", "identifiedballot", "identificationdecision"} & tables
    assert "mode" not in election and "abroad" not in precinct
    # (the places taken per precinct came later, in 0025, and went with the downgrade too)
    assert after == {t for t in triggers if not t.startswith(("electoraldistrict", "districtprecinct", "application_booked"))}
    cli.migrate(scratch_url)
    assert tables_and_triggers()[3] == triggers


# --- the HTTP routes ---


def _client():
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from remote_vote_app.web import identification as routes

    return TestClient(Starlette(routes=routes.endpoints))


def _staff_cookie(session, username: str) -> str:
    from tests.unit.test_exclusions import _cookie

    return _cookie(session, staff.reload(session, _staff(session, username)))


def _voter_cookie(session, voter_id: int) -> str:
    from remote_vote_app.services.identity import sessions

    started = sessions.start(session, "voter", voter_id, "sms", "10.0.0.9")
    done = sessions.exchange(session, started.ticket, started.binding)
    session.commit()
    return f"{sessions.COOKIE['voter']}={done.sid}"


def _post(client, path: str, cookie: str | None, body: object, **headers):
    sent = {"origin": "http://testserver", "content-type": "application/json", **headers}
    if cookie:
        sent["cookie"] = cookie
    return client.post(path, content=json.dumps(body) if not isinstance(body, bytes) else body, headers=sent)


def test_the_desk_routes_check_issue_and_list_for_the_members_own_precinct(session):
    client, cookie = _client(), _staff_cookie(session, "uik.3011")
    voter = {"pin": ASANOVA[0], "document": ASANOVA[1]}
    checked = _post(client, "/staff/identification/check", cookie, voter)
    assert checked.status_code == 200 and checked.headers["cache-control"] == "no-store"
    answer = checked.json()["answer"]
    assert (answer["outcome"], answer["kind"], answer["ballot_district"]["number"]) == ("issue", "remote", 1)
    assert answer["messages"]["ky"].startswith("№1 округдун бюллетенин бериңиз")
    # The precinct is the account's: one named in the body is ignored.
    other = _precinct(session, "УИК №1001").id
    issued = _post(client, "/staff/identification/issue", cookie, {**voter, "precinct_id": other, "shown": "ident.issue_remote"})
    assert issued.json()["answer"]["outcome"] == "issue"
    assert session.exec(select(IdentifiedBallot.precinct_id)).one() == _precinct(session, "УИК №3011").id
    again = _post(client, "/staff/identification/check", _staff_cookie(session, "uik.2001"), voter).json()["answer"]
    assert (again["outcome"], again["voted_precinct"]) == ("voted", "УИК №3011")
    listed = client.get("/staff/identification/list", headers={"cookie": cookie})
    assert listed.status_code == 200
    data = listed.json()
    assert (data["precinct"]["number"], data["district"]["number"], data["election"]["offline_policy"]) == (
        "УИК №3011", 14, "provisional")
    assert ASANOVA[0] not in listed.text
    # The device's storage key is the staff session's (as check-in's roster key): another login, another key.
    assert len(data["storage_key"]) == 43
    relisted = client.get("/staff/identification/list", headers={"cookie": _staff_cookie(session, "uik.3011")}).json()
    assert relisted["storage_key"] != data["storage_key"] and relisted["key"] == data["key"]
    synced = _post(client, "/staff/identification/sync", cookie, {"marks": [
        {"mark_id": "m-http-0001", "pin": ASANOVA[0], "document": ASANOVA[1], "kind": "provisional"}]})
    assert [(r["outcome"], r["reason"]) for r in synced.json()["results"]] == [("conflict", "voted")]


def test_the_desk_routes_refuse_everyone_but_a_member_of_a_listed_precinct(session, demo_voters):
    client = _client()
    voter = {"pin": ASANOVA[0], "document": ASANOVA[1]}
    paths = ("/staff/identification/check", "/staff/identification/issue", "/staff/identification/sync")
    for path in paths:
        assert _post(client, path, None, voter).status_code == 401  # no session
        assert _post(client, path, _voter_cookie(session, demo_voters[0].id), voter).status_code == 401  # a voter's
        for name in ("cec.admin", "observer", "uik.dg05"):  # no desk role, or a precinct in no district
            assert _post(client, path, _staff_cookie(session, name), voter).status_code == 403, (path, name)
    assert client.get("/staff/identification/list").status_code == 401
    assert client.get("/staff/identification/list", headers={"cookie": _staff_cookie(session, "uik.dg05")}).status_code == 403
    cookie = _staff_cookie(session, "uik.2001")
    check = "/staff/identification/check"
    assert _post(client, check, cookie, voter, origin="https://evil.example").status_code == 403
    assert _post(client, check, cookie, voter, **{"content-type": "text/plain"}).status_code == 415
    assert _post(client, check, cookie, {**voter, "pad": "x" * 5000}).status_code == 413
    assert _post(client, check, cookie, b"not json").status_code == 400
    wrong_mode = _post(client, check, cookie, {**voter, "election_id": demo_election(session, demo_voters[0]).id})
    assert (wrong_mode.status_code, wrong_mode.json()) == (400, {"error": "error.ident_mode"})
    assert session.exec(select(IdentifiedBallot)).all() == []
