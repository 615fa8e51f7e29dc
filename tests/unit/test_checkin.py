"""The signed voter pass and election-day check-in: signatures, stale passes, one 'ballot issued' per
voter and election under concurrency, the roster and sync routes (scope, idempotency, conflicts)."""

import base64
import datetime as dt
import json
import threading
import uuid

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from remote_vote_app.db import session_scope
from remote_vote_app.models import AuditEvent, BallotIssue, CheckinFlag, Precinct, StaffAccount
from remote_vote_app.services import applications, checkin, dashboard, passes, staff
from remote_vote_app.services.applications import Draft
from remote_vote_app.services.errors import Forbidden
from remote_vote_app.services.passes import PassError
from remote_vote_app.web import checkin as checkin_routes
from tests.unit.conftest import demo_election, voter_session
from tests.unit.test_exclusions import _cookie
from tests.unit.test_staff import OPEN, _apply, _login


@pytest.fixture
def users(session):
    found = {name: _login(session, name) for name in ("cec.admin", "uik.dg05", "uik.1001", "observer")}
    if session.exec(select(StaffAccount).where(StaffAccount.username == "uik.dg01")).first() is None:
        staff.create_account(session, "uik.dg01", "Член УИК ДГ-01", "test-uik-dg01-2024!", "precinct_member",
                             precinct_number="ДГ-01")
        session.commit()
    found["uik.dg01"] = staff.reload(session, session.exec(
        select(StaffAccount).where(StaffAccount.username == "uik.dg01")).one().id)
    return found


def _pass(session, application) -> str:
    number = session.get(Precinct, application.remote_precinct_id).number
    return passes.issue(application.reference, application.election_id, number, application.version)


def _mark(reference, **kw) -> checkin.Mark:
    return checkin.Mark(id=kw.pop("id", uuid.uuid4().hex), reference=reference, **kw)


# --- the pass ---

def test_a_pass_round_trips_and_names_its_key(session, sender, demo_voters):
    application = _apply(session, sender, demo_voters[0])
    token = _pass(session, application)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": passes.key_id(), "typ": "rv-pass"}
    claims = passes.verify(token)
    assert {k: claims[k] for k in ("ref", "election", "precinct", "v")} == {
        "ref": application.reference, "election": application.election_id, "precinct": "ДГ-05", "v": 0}
    assert isinstance(claims["iat"], int)
    jwk = passes.public_jwk()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == passes.key_id() and "d" not in jwk


def test_a_tampered_or_foreign_token_is_refused(session, sender, demo_voters):
    token = _pass(session, _apply(session, sender, demo_voters[0]))
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "precinct": "ДГ-01"}).encode()).decode().rstrip("=")
    # One signature character changed in the middle (the last ones carry padding bits, so a change
    # there can decode to the same signature).
    flipped = signature[:10] + ("B" if signature[10] != "B" else "C") + signature[11:]
    for bad in (f"{head}.{forged}.{signature}", f"{head}.{body}.{flipped}", token[:-4], "", "nonsense"):
        with pytest.raises(PassError):
            passes.verify(bad)
    # A roster is signed by the same key but is not a pass (and the other way round).
    roster = passes.sign_document({"entries": []})
    with pytest.raises(PassError):
        passes.verify(roster)
    with pytest.raises(PassError):
        passes.open_document(token)


def test_a_change_or_withdrawal_makes_the_older_pass_stale(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    old = passes.verify(_pass(session, application))
    passes.require_current(old, application.version)
    dg01 = session.exec(select(Precinct).where(Precinct.number == "ДГ-01")).one()
    changed = applications.change(session, voter.id, application.reference,
                                  Draft(application.election_id, dg01.id, "v@example.kg", voter.phone, True),
                                  sender, "ru", now=OPEN, session_row=voter_session(session, voter.id))
    session.commit()
    with pytest.raises(PassError) as refused:
        passes.require_current(old, changed.version)
    assert refused.value.code == "error.pass_stale"
    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN,
                          session_row=voter_session(session, voter.id))
    session.commit()
    with pytest.raises(PassError):
        passes.require_current(passes.verify(_pass(session, changed)), changed.version, active=False)


def test_the_voter_pages_get_a_pass_for_active_applications_only(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    row = applications.list_for_voter(session, voter.id, "ru", now=OPEN)[0]
    assert passes.verify(row["pass_token"])["ref"] == application.reference
    after_the_day = OPEN + dt.timedelta(days=60)  # the election is over: no pass to show
    assert applications.list_for_voter(session, voter.id, "ru", now=after_the_day)[0]["pass_token"] == ""
    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN,
                          session_row=voter_session(session, voter.id))
    session.commit()
    assert applications.list_for_voter(session, voter.id, "ru", now=OPEN)[0]["pass_token"] == ""


def test_outside_demo_mode_a_key_is_required(monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(passes, "settings", replace(passes.settings, demo_mode=False, pass_signing_key=""))
    passes.signing_key.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="PASS_SIGNING_KEY"):
            passes.check_configured()
        key = passes.generate_private_jwk()
        monkeypatch.setattr(passes, "settings", replace(passes.settings, pass_signing_key=key))
        passes.signing_key.cache_clear()
        assert passes.key_id() == json.loads(key)["kid"] and not passes.is_demo_key()
        assert passes.verify(passes.issue("ABCD-EFHJ", 1, "ДГ-05", 0))["ref"] == "ABCD-EFHJ"
    finally:
        passes.signing_key.cache_clear()


def test_the_public_key_is_open_data():
    from remote_vote_app.api import open_data

    response = TestClient(open_data).get("/pass-key", headers={"origin": "https://verifier.example"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    key = response.json()
    assert key["kid"] == passes.key_id() and key["alg"] == "EdDSA" and "d" not in key and key["demo"] is True


# --- check-in ---

def test_ballot_issued_once_and_a_second_check_in_is_flagged(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    member = users["uik.dg05"]
    first = checkin.record(session, member, _mark(application.reference, version=0, method="qr"), "staff:1")
    assert first["status"] == "issued"
    again = checkin.record(session, member, _mark(application.reference, version=0), "staff:1")
    assert again["status"] == "refused" and again["kind"] == "repeat" and again["first_precinct"] == "ДГ-05"
    # At another remote precinct: refused too, and it says where the ballot was issued.
    elsewhere = checkin.record(session, users["uik.dg01"], _mark(application.reference, version=0), "staff:2")
    assert elsewhere["kind"] == "repeat" and elsewhere["first_precinct"] == "ДГ-05"
    session.commit()
    assert checkin.issued_counts(session, application.election_id) == {application.remote_precinct_id: 1}
    assert [f.kind for f in session.exec(select(CheckinFlag))] == ["repeat", "repeat"]
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity_id == application.reference))]
    assert "checkin.ballot_issued" in actions and actions.count("checkin.flagged.repeat") == 2


def test_stale_pass_foreign_precinct_and_unknown_reference_are_flagged(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    member = users["uik.dg05"]
    stale = checkin.record(session, member, _mark(application.reference, version=application.version + 1), "s")
    assert stale["kind"] == "stale"
    other = checkin.record(session, users["uik.dg01"], _mark(application.reference, version=0), "s")
    assert other["kind"] == "other_precinct"
    assert checkin.record(session, member, _mark("ZZZZ-ZZZZ"), "s")["kind"] == "not_listed"
    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN,
                          session_row=voter_session(session, voter.id))
    assert checkin.record(session, member, _mark(application.reference), "s")["kind"] == "stale"
    session.commit()
    assert session.exec(select(BallotIssue)).all() == []


def test_two_concurrent_check_ins_give_one_mark(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    results, barrier = [], threading.Barrier(2)

    def check_in(user, offline):
        barrier.wait()
        with session_scope() as s:
            results.append(checkin.record(s, user, _mark(application.reference, version=0, offline=offline), "t"))

    threads = [threading.Thread(target=check_in, args=(users["uik.dg05"], False)),
               threading.Thread(target=check_in, args=(users["uik.dg05"], True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["status"] for r in results) == ["issued", "refused"]
    assert len(session.exec(select(BallotIssue)).all()) == 1
    assert len(session.exec(select(CheckinFlag)).all()) == 1


def test_only_precinct_members_with_a_remote_precinct_check_in(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    for name in ("cec.admin", "uik.1001", "observer"):
        with pytest.raises(Forbidden):
            checkin.record(session, users[name], _mark(application.reference), "s")
        with pytest.raises(Forbidden):
            checkin.roster(session, users[name], "s")


def test_dashboard_counts_issued_ballots_and_shows_flags(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0), "s")
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0), "s")
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=7, issued=False, reason="stale"), "s")
    session.commit()
    day = demo_election(session, demo_voters[0]).election_day
    row = next(r for r in dashboard.statistics(session, day)["per_precinct"] if r["number"] == "ДГ-05")
    assert row["issued"] == 1
    found = checkin.flags(session, day)
    assert found["counts"]["repeat"] == 2 and found["latest"][0]["reference"] == application.reference


# --- HTTP routes ---

def _client() -> TestClient:
    return TestClient(Starlette(routes=checkin_routes.routes), base_url="http://testserver")


def test_roster_route_is_signed_and_refuses_non_members(session, sender, demo_voters, users):
    mine = _apply(session, sender, demo_voters[0])
    theirs = _apply(session, sender, demo_voters[1], number="ДГ-01")
    client = _client()
    response = client.get("/staff/checkin/roster.json", headers={"cookie": _cookie(session, users["uik.dg05"])})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    roster = passes.open_document(response.json()["token"])
    assert roster["precinct"] == "ДГ-05"
    refs = {e["ref"]: e for e in roster["entries"]}
    assert mine.reference in refs and theirs.reference not in refs  # only its own precinct
    entry = refs[mine.reference]
    assert entry["v"] == 0 and "*" in entry["pin"] and entry["doc"] == demo_voters[0].document_number
    assert entry["pin_hash"] == checkin._pin_hash(roster["salt"], demo_voters[0].pin)
    assert client.get("/staff/checkin/roster.json").status_code == 401
    for name in ("cec.admin", "uik.1001", "observer"):
        assert client.get("/staff/checkin/roster.json", headers={"cookie": _cookie(session, users[name])}).status_code == 403


def _sync(client, cookie, marks, origin="http://testserver"):
    return client.post("/staff/checkin/sync", json={"marks": marks}, headers={"cookie": cookie, "origin": origin})


def test_sync_is_idempotent_per_mark_and_flags_conflicts(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    client, cookie = _client(), _cookie(session, users["uik.dg05"])
    mark = {"id": "mark-" + uuid.uuid4().hex, "ref": application.reference, "v": 0, "at": 1_700_000_000_000,
            "method": "qr", "offline": True}
    first = _sync(client, cookie, [mark])
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "issued"
    # The answer was lost and the device sends the same mark again: still one mark, same answer.
    assert _sync(client, cookie, [mark]).json()["results"][0]["status"] == "issued"
    assert len(session.exec(select(BallotIssue)).all()) == 1
    # Another device of the commission had issued a ballot to the same voter offline: a conflict, kept.
    other = {**mark, "id": "mark-" + uuid.uuid4().hex}
    result = _sync(client, _cookie(session, users["uik.dg05"]), [other]).json()["results"][0]
    assert result["status"] == "refused" and result["kind"] == "conflict" and result["first_precinct"] == "ДГ-05"
    assert _sync(client, cookie, [other]).json()["results"][0]["kind"] == "conflict"  # idempotent too
    flag = session.exec(select(CheckinFlag)).one()
    assert flag.kind == "conflict" and flag.ballot_issued and flag.offline
    issue = session.exec(select(BallotIssue)).one()
    assert issue.offline and issue.marked_at.year == 2023  # the time the ballot was issued, not received


def test_sync_refuses_other_origins_non_members_and_junk(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    client = _client()
    mark = {"id": "mark-" + uuid.uuid4().hex, "ref": application.reference, "v": 0}
    member = _cookie(session, users["uik.dg05"])
    assert _sync(client, member, [mark], origin="https://evil.example").status_code == 403
    assert client.post("/staff/checkin/sync", content=json.dumps({"marks": [mark]}),
                       headers={"cookie": member, "origin": "http://testserver",
                                "content-type": "text/plain"}).status_code == 415
    assert _sync(client, "", [mark]).status_code == 401
    assert _sync(client, _cookie(session, users["uik.1001"]), [mark]).status_code == 403
    assert _sync(client, member, [{"id": "x", "ref": "A"}]).status_code == 400
    assert session.exec(select(BallotIssue)).all() == []
