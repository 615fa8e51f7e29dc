"""The signed voter pass and election-day check-in: signatures, stale passes, one 'ballot issued' per
voter and election under concurrency, the roster and sync routes (scope, idempotency, conflicts)."""

import base64
import datetime as dt
import json
import threading
import uuid
import warnings
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import AuditEvent, BallotIssue, CheckinFlag, Precinct, StaffAccount
from remote_vote_app.services.applications import applications, passes
from remote_vote_app.services.election_day import checkin
from remote_vote_app.services.identity import staff
from remote_vote_app.services.reporting import dashboard
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.services.clock import SERVICE_ZONE
from remote_vote_app.errors import Forbidden
from remote_vote_app.services.applications.passes import PassError
from remote_vote_app.web import checkin as checkin_routes
from tests.unit.conftest import bishkek, demo_election, elections_in_zone, voter_session
from tests.unit.test_exclusions import _cookie
from tests.unit.test_staff import OPEN, _apply, _login
from tests.unit.test_voter_address import scratch_url  # noqa: F401 (a fixture)


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


def test_outside_demo_mode_a_key_is_required(override_settings):
    assert passes.is_demo_key()
    passes.signing_key()  # the demo key, cached: the changed settings below must not get it
    override_settings(demo_mode=False, pass_signing_key="")
    with pytest.raises(RuntimeError, match="PASS_SIGNING_KEY"):
        passes.check_configured()
    key = passes.generate_private_jwk()
    override_settings(pass_signing_key=key)
    assert passes.key_id() == json.loads(key)["kid"] and not passes.is_demo_key()
    assert passes.verify(passes.issue("ABCD-EFHJ", 1, "ДГ-05", 0))["ref"] == "ABCD-EFHJ"


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
    first = checkin.record(session, member, _mark(application.reference, version=0, method="qr",
                                                  pass_token=_pass(session, application)), "staff:1")
    assert first["status"] == "issued"
    again = checkin.record(session, member, _mark(application.reference, version=0, issued=False), "staff:1")
    assert again["status"] == "refused" and again["kind"] == "repeat" and again["first_precinct"] == "ДГ-05"
    assert again["first_member"] == "Член УИК ДГ-05 (Ош)"  # the desk can say who issued it
    # At another remote precinct: refused too, and it says where the ballot was issued.
    elsewhere = checkin.record(session, users["uik.dg01"], _mark(application.reference, version=0, issued=False),
                               "staff:2")
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
    # (an offline mark without a time that wins is also flagged bad_time)
    assert len(session.exec(select(CheckinFlag).where(CheckinFlag.kind != "bad_time")).all()) == 1


def test_a_flagged_mark_synced_twice_at_once_answers_both_and_flags_once(session, sender, demo_voters, users,
                                                                        monkeypatch):
    """Two syncs of one refused mark (a retry racing the first): the second read no flag before the
    first committed its own, so its insert meets the unique mark id; it answers with the first's."""
    application = _apply(session, sender, demo_voters[0])
    mark = _mark(application.reference, version=0)
    first = checkin.record(session, users["uik.dg01"], mark, "t")  # another precinct's voter: flagged
    session.commit()
    real, reads = checkin._flagged, []

    def stale_first_read(s, mark_id):  # the racing sync read before the first committed
        reads.append(mark_id)
        return None if len(reads) == 1 else real(s, mark_id)

    monkeypatch.setattr(checkin, "_flagged", stale_first_read)
    with session_scope() as s:
        again = checkin.record(s, users["uik.dg01"], mark, "t")
    assert first["kind"] == again["kind"] == "other_precinct" and again["id"] == mark.id
    assert len(session.exec(select(CheckinFlag).where(CheckinFlag.mark_id == mark.id)).all()) == 1
    flagged = session.exec(select(AuditEvent).where(AuditEvent.action == "checkin.flagged.other_precinct",
                                                    AuditEvent.details.contains(mark.id))).all()
    assert len(flagged) == 1  # the race is not audited as a second refusal


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
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0, issued=False), "s")
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=7, issued=False, reason="stale"), "s")
    session.commit()
    day = demo_election(session, demo_voters[0]).election_day
    row = next(r for r in dashboard.statistics(session, day)["per_precinct"] if r["number"] == "ДГ-05")
    assert row["issued"] == 1
    found = checkin.flags(session, day)
    assert found["counts"]["repeat"] == 2 and found["latest"][0]["reference"] == application.reference


# --- HTTP routes ---

def _client() -> TestClient:
    return TestClient(Starlette(routes=checkin_routes.endpoints), base_url="http://testserver")


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
    assert entry["v"] == 0 and entry["doc"] == demo_voters[0].document_number
    assert client.get("/staff/checkin/roster.json").status_code == 401
    for name in ("cec.admin", "uik.1001", "observer"):
        assert client.get("/staff/checkin/roster.json", headers={"cookie": _cookie(session, users[name])}).status_code == 403


def _sync(client, cookie, marks, origin="http://testserver"):
    return client.post("/staff/checkin/sync", json={"marks": marks}, headers={"cookie": cookie, "origin": origin})


def test_sync_is_idempotent_per_mark_and_flags_conflicts(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    client, cookie = _client(), _cookie(session, users["uik.dg05"])
    mark = {"id": "mark-" + uuid.uuid4().hex, "ref": application.reference, "v": 0, "at": 1_700_000_000_000,
            "method": "qr", "offline": True, "pass": _pass(session, application)}
    first = _sync(client, cookie, [mark])
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "issued"
    # The answer was lost and the device sends the same mark again: still one mark, same answer.
    assert _sync(client, cookie, [mark]).json()["results"][0]["status"] == "issued"
    assert len(session.exec(select(BallotIssue)).all()) == 1
    # Another device of the commission had issued a ballot to the same voter offline: a conflict, kept.
    other = {**mark, "id": "mark-" + uuid.uuid4().hex}
    result = _sync(client, _cookie(session, users["uik.dg05"]), [other]).json()["results"][0]
    assert result["status"] == "refused" and result["kind"] == "conflict" and result["first_precinct"] == "ДГ-05"
    assert result["first_member"] == "Член УИК ДГ-05 (Ош)"
    assert _sync(client, cookie, [other]).json()["results"][0]["kind"] == "conflict"  # idempotent too
    flag = session.exec(select(CheckinFlag).where(CheckinFlag.kind == "conflict")).one()
    assert flag.ballot_issued and flag.claimed_offline
    issue = session.exec(select(BallotIssue)).one()
    # 2023 is not this election's day: the device's time stays a claim, the ballot has the receipt time.
    assert issue.claimed_offline and issue.claimed_at.year == 2023 and issue.marked_at == issue.received_at


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
    assert client.post("/staff/checkin/sync", content=b"{not json", headers={
        "cookie": member, "origin": "http://testserver", "content-type": "application/json"}).status_code == 400
    assert client.post("/staff/checkin/sync", json=[mark], headers={
        "cookie": member, "origin": "http://testserver"}).status_code == 400  # not {"marks": [...]}
    assert _sync(client, member, [mark] * (checkin.MAX_MARKS_PER_SYNC + 1)).status_code == 400
    assert session.exec(select(BallotIssue)).all() == []


# --- the server decides: claims, passes, malformed marks, the roster, the feed ---

def _election_day_at(session, voter, hour: int, minute: int = 0) -> dt.datetime:
    return bishkek(hour, minute, day=demo_election(session, voter).election_day)


def _events(session, action: str, entity_ids) -> list[AuditEvent]:
    """This test's audit events (the audit table is kept across tests)."""
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action,
                                                      AuditEvent.entity_id.in_(list(entity_ids)))))


def test_a_past_device_time_is_a_claim_not_the_ballots_time(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    received = _election_day_at(session, voter, 15)
    past = dt.datetime(2023, 11, 14, 22, 13, tzinfo=dt.timezone.utc)
    result = checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0, at=past, offline=True),
                            "staff:1", now=received)
    session.commit()
    assert result["status"] == "issued" and result["bad_time"] is True  # handed out: recorded, not undone
    issue = session.exec(select(BallotIssue)).one()
    assert issue.marked_at == received and issue.received_at == received and not issue.offline
    assert issue.claimed_at == past and issue.claimed_offline and issue.claimed_method == "reference"
    flag = session.exec(select(CheckinFlag)).one()
    assert flag.kind == "bad_time" and flag.first_issue_id == issue.id and flag.claimed_at == past
    audited = json.loads(_events(session, "checkin.ballot_issued", [application.reference])[0].details)
    assert audited["device_says_at"] == past.isoformat() and audited["marked_at"] == received.isoformat()
    assert _events(session, "checkin.flagged.bad_time", [application.reference])


@pytest.mark.parametrize(("claimed", "taken"), [
    ((10, 0), True),  # offline during opening hours: the device's time stands
    ((7, 50), False),  # before 08:00 (beyond the slack)
    ((20, 30), False),  # after 20:00
    ((16, 0), False),  # after the server received it (received at 15:00)
])
def test_an_offline_time_is_taken_only_within_opening_hours_and_before_receipt(session, sender, demo_voters, users,
                                                                               claimed, taken):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    received, at = _election_day_at(session, voter, 15), _election_day_at(session, voter, *claimed)
    result = checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0, at=at, offline=True),
                            "s", now=received)
    session.commit()
    issue = session.exec(select(BallotIssue)).one()
    assert result["status"] == "issued" and issue.claimed_at == at
    assert (issue.marked_at, issue.offline, "bad_time" in result) == ((at, True, False) if taken else (received, False, True))


def test_an_online_mark_takes_the_receipt_time_whatever_the_device_says(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    received = _election_day_at(session, voter, 15)
    checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0,
                                                     at=_election_day_at(session, voter, 9)), "s", now=received)
    issue = session.exec(select(BallotIssue)).one()
    assert issue.marked_at == received and not issue.offline and not issue.claimed_offline


def _forged(token: str, **changes) -> str:
    head, body, signature = token.split(".")
    claims = {**json.loads(base64.urlsafe_b64decode(body + "==")), **changes}
    return f"{head}.{base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip('=')}.{signature}"


def _other_key_pass(application, number="ДГ-05") -> str:
    from joserfc import jws
    from joserfc.jwk import OKPKey

    key = OKPKey.generate_key("Ed25519")
    body = json.dumps({"ref": application.reference, "election": application.election_id, "precinct": number,
                       "v": application.version, "iat": 1}).encode()
    # Claims the installation's kid: only the signature tells it apart.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc: "EdDSA is deprecated" (the pass keeps it, see passes.py)
        return jws.serialize_compact({"alg": "EdDSA", "kid": passes.key_id(), "typ": "rv-pass"}, body, key,
                                     algorithms=["EdDSA"])


def test_a_qr_mark_without_a_genuine_matching_pass_issues_no_ballot(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    other = _apply(session, sender, demo_voters[1])
    member, genuine = users["uik.dg05"], _pass(session, application)
    bad = {
        "missing": None,
        "unreadable": "",
        "invalid": _forged(genuine, v=5),  # tampered claims, old signature
        "other-key": _other_key_pass(application),
        "alg-none": ".".join(genuine.split(".")[:2]) + ".",
        "mismatch": _pass(session, other),  # a genuine pass of another voter
        # Genuine signatures, one claim off each: another reference, another election.
        "mismatch-ref": passes.issue(other.reference, application.election_id, "ДГ-05", 0),
        "mismatch-election": passes.issue(application.reference, application.election_id + 1000, "ДГ-05", 0),
    }
    for name, token in bad.items():
        result = checkin.record(session, member, _mark(application.reference, version=0, method="qr", pass_token=token),
                                "s")
        assert (name, result["status"], result["kind"]) == (name, "refused", "bad_pass")
    session.commit()
    assert session.exec(select(BallotIssue)).all() == []
    problems = [json.loads(e.details)["problem"] for e in _events(session, "checkin.flagged.bad_pass", [application.reference])]
    assert sorted(problems) == sorted(["missing", "unreadable", "invalid", "invalid", "invalid"] + ["mismatch"] * 3)
    # The genuine pass issues; a version that does not match the pass's is refused.
    assert checkin.record(session, member, _mark(application.reference, version=1, method="qr", pass_token=genuine),
                          "s")["kind"] == "bad_pass"
    assert checkin.record(session, member, _mark(application.reference, version=0, method="qr", pass_token=genuine),
                          "s")["status"] == "issued"
    assert session.exec(select(BallotIssue)).one().method == "qr"


def test_a_qr_mark_with_a_forged_pass_over_the_route_is_refused(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    client, cookie = _client(), _cookie(session, users["uik.dg05"])
    marks = [{"id": "mark-" + uuid.uuid4().hex, "ref": application.reference, "v": 0, "method": "qr"},
             {"id": "mark-" + uuid.uuid4().hex, "ref": application.reference, "v": 0, "method": "qr",
              "pass": _forged(_pass(session, application), precinct="ДГ-05 ")}]
    results = _sync(client, cookie, marks).json()["results"]
    assert [(r["status"], r["kind"]) for r in results] == [("refused", "bad_pass")] * 2
    assert session.exec(select(BallotIssue)).all() == []


def test_one_malformed_mark_does_not_block_the_others(session, sender, demo_voters, users):
    first, second = (_apply(session, sender, v) for v in demo_voters[:2])
    client, cookie = _client(), _cookie(session, users["uik.dg05"])
    good = [{"id": "good-" + uuid.uuid4().hex, "ref": a.reference, "v": 0, "method": "reference"} for a in (first, second)]
    marks = [
        {"id": "bad-ref-" + uuid.uuid4().hex, "v": 0},  # no reference
        good[0],
        {"id": "bad-v-" + uuid.uuid4().hex, "ref": first.reference, "v": "0"},
        {"id": "x", "ref": "A"},  # an id the server cannot take
        "junk",
        {"id": "bad-method-" + uuid.uuid4().hex, "ref": first.reference, "method": "pin"},
        {"id": "bad-at-" + uuid.uuid4().hex, "ref": first.reference, "at": "yesterday"},
        good[1],
    ]
    response = _sync(client, cookie, marks)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid", "issued", "invalid", "invalid", "invalid", "invalid", "invalid",
                                              "issued"]
    assert [r.get("error") for r in results if r["status"] == "invalid"] == [
        "bad_reference", "bad_version", "bad_id", "not_an_object", "bad_method", "bad_at"]
    assert results[0]["id"] == marks[0]["id"] and results[3]["id"] == "x" and results[4] == {
        "id": None, "status": "invalid", "error": "not_an_object", "index": 4}
    assert len(session.exec(select(BallotIssue)).all()) == 2
    assert len(_events(session, "checkin.mark_invalid", [r["id"] or "#4" for r in results])) == 6


def test_the_roster_carries_no_pin_in_any_form(session, sender, demo_voters, users):
    application = _apply(session, sender, demo_voters[0])
    response = _client().get("/staff/checkin/roster.json", headers={"cookie": _cookie(session, users["uik.dg05"])})
    roster = passes.open_document(response.json()["token"])
    entry = next(e for e in roster["entries"] if e["ref"] == application.reference)
    # No PIN, masked or hashed, and no salt: the birth date shown to the member cannot lead back to it.
    assert set(entry) == {"ref", "election", "v", "name", "doc", "birth", "issued", "issued_at"}
    assert "salt" not in roster
    text = json.dumps(roster, ensure_ascii=False)
    voter = demo_voters[0]
    assert voter.pin not in text and voter.pin[-4:] + '"' not in text and "*" not in text


def _logout(session, cookie: str) -> None:
    from remote_vote_app.services.identity import sessions

    sessions.end_by_sid(session, cookie.split(";")[0].split("=", 1)[1])
    session.commit()


def test_the_roster_key_belongs_to_the_staff_session(session, sender, demo_voters, users):
    client = _client()
    cookie = _cookie(session, users["uik.dg05"])

    def key(c):
        return client.get("/staff/checkin/roster.json", headers={"cookie": c})

    first, again = key(cookie).json()["key"], key(cookie).json()["key"]
    assert first == again and len(base64.urlsafe_b64decode(first + "=")) == 32
    other_session = _cookie(session, users["uik.dg05"])
    assert key(other_session).json()["key"] != first
    _logout(session, cookie)
    assert key(cookie).status_code == 401  # after logout the key is not handed out again
    assert first not in "".join(e.details or "" for e in session.exec(select(AuditEvent)))


def _second_member(session):
    name = "uik.dg05b"
    if session.exec(select(StaffAccount).where(StaffAccount.username == name)).first() is None:
        staff.create_account(session, name, "Второй член УИК ДГ-05", "test-uik-dg05b-2024!", "precinct_member",
                             precinct_number="ДГ-05")
        session.commit()
    return staff.reload(session, session.exec(select(StaffAccount).where(StaffAccount.username == name)).one().id)


def test_the_feed_shows_the_other_desks_marks_and_conflicts(session, sender, demo_voters, users):
    voter = demo_voters[0]
    first, second = (_apply(session, sender, v) for v in demo_voters[:2])
    desk_a, desk_b = users["uik.dg05"], _second_member(session)
    start = checkin.feed(session, desk_b, 0, now=_election_day_at(session, voter, 9))
    assert start["issued"] == [] and start["incidents"] == []
    # Desk A marks online; desk B's next poll (seconds later) sees it, with who and when.
    checkin.record(session, desk_a, _mark(first.reference, version=0), "s", now=_election_day_at(session, voter, 10))
    session.commit()
    seen = checkin.feed(session, desk_b, start["cursor"], now=_election_day_at(session, voter, 10))
    assert seen["issued"] == [{"ref": first.reference, "at": _election_day_at(session, voter, 10).astimezone(
        SERVICE_ZONE).strftime("%d.%m.%Y %H:%M"), "member": "Член УИК ДГ-05 (Ош)", "precinct": "ДГ-05"}]
    # Desk B had issued a ballot to the same voter offline at 09:58: a conflict, shown to both desks.
    checkin.record(session, desk_b, _mark(first.reference, version=0, offline=True,
                                          at=_election_day_at(session, voter, 9, 58)),
                   "s", now=_election_day_at(session, voter, 10, 5))
    session.commit()
    later = checkin.feed(session, desk_a, seen["cursor"], now=_election_day_at(session, voter, 10, 6))
    [incident] = later["incidents"]
    assert (incident["ref"], incident["kind"], incident["precincts"]) == (first.reference, "conflict", ["ДГ-05", "ДГ-05"])
    assert incident["members"] == ["Член УИК ДГ-05 (Ош)", "Второй член УИК ДГ-05"]
    assert [t[-5:] for t in incident["times"]] == ["10:00", "09:58"]
    # Once settled, the cursor moves past what was seen: the next poll is empty.
    settled = checkin.feed(session, desk_a, later["cursor"], now=_election_day_at(session, voter, 11))
    quiet = checkin.feed(session, desk_a, settled["cursor"], now=_election_day_at(session, voter, 11))
    assert quiet["issued"] == [] and quiet["incidents"] == [] and quiet["cursor"] == settled["cursor"]
    # The other precinct's desk sees nothing of ДГ-05.
    assert checkin.feed(session, users["uik.dg01"], 0, now=_election_day_at(session, voter, 11))["issued"] == []
    # No per-row look-ups: the same number of statements for one ballot as for two.
    from sqlalchemy import event

    statements = []
    counter = lambda *args: statements.append(1)  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", counter)
    try:
        checkin.feed(session, desk_a, 0, now=_election_day_at(session, voter, 11))
        one = len(statements)
        checkin.record(session, desk_a, _mark(second.reference, version=0), "s", now=_election_day_at(session, voter, 11))
        session.commit()
        statements.clear()
        assert len(checkin.feed(session, desk_a, 0, now=_election_day_at(session, voter, 11))["issued"]) == 2
        assert len(statements) == one
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", counter)


def test_the_feed_route_takes_the_staff_cookie(session, sender, demo_voters, users):
    client = _client()
    member = _cookie(session, users["uik.dg05"])
    ok = client.get("/staff/checkin/marks?since=0", headers={"cookie": member})
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store" and set(ok.json()) == {
        "cursor", "issued", "incidents"}
    assert client.get("/staff/checkin/marks?since=0").status_code == 401
    assert client.get("/staff/checkin/marks?since=-1", headers={"cookie": member}).status_code == 400
    assert client.get("/staff/checkin/marks?since=abc", headers={"cookie": member}).status_code == 400
    for name in ("cec.admin", "uik.1001", "observer"):
        assert client.get("/staff/checkin/marks", headers={"cookie": _cookie(session, users[name])}).status_code == 403


def test_the_dashboard_shows_a_double_issue_as_an_incident(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    desk_a, desk_b = users["uik.dg05"], _second_member(session)
    checkin.record(session, desk_a, _mark(application.reference, version=0, offline=True,
                                          at=_election_day_at(session, voter, 11, 2)),
                   "s", now=_election_day_at(session, voter, 12))
    checkin.record(session, desk_b, _mark(application.reference, version=0, offline=True,
                                          at=_election_day_at(session, voter, 11, 7)),
                   "s", now=_election_day_at(session, voter, 12, 1))
    session.commit()
    day = demo_election(session, voter).election_day
    view = dashboard.overview(session, day, with_anomalies=True)
    assert view["incidents"] == [{
        "reference": application.reference, "members": ["Член УИК ДГ-05 (Ош)", "Второй член УИК ДГ-05"],
        "precincts": ["ДГ-05", "ДГ-05"], "times": [f"{day:%d.%m.%Y} 11:02", f"{day:%d.%m.%Y} 11:07"],
        "offline": [True, True]}]
    assert dashboard.overview(session, day, with_anomalies=False)["incidents"] == []  # names only for those who may


def test_desks_and_the_dashboard_show_mark_times_in_the_elections_zone(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application, election = _apply(session, sender, voter), demo_election(session, voter)
    day, desk_a, desk_b = election.election_day, users["uik.dg05"], _second_member(session)

    def tokyo(hour: int, minute: int = 0) -> dt.datetime:  # Tokyo: UTC+9, Bishkek's time plus 3 hours
        local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo("Asia/Tokyo"))
        return local.astimezone(dt.timezone.utc)

    with elections_in_zone(session, [election], "Asia/Tokyo"):
        first = checkin.record(session, desk_a, _mark(application.reference, version=0, offline=True, at=tokyo(11, 2)),
                               "s", now=tokyo(12))
        second = checkin.record(session, desk_b, _mark(application.reference, version=0, offline=True,
                                                       at=tokyo(11, 7)), "s", now=tokyo(12, 1))
        session.commit()
        assert first["at"] == second["first_at"] == f"{day:%d.%m.%Y} 11:02" and second["kind"] == "conflict"
        feed = checkin.feed(session, desk_b, 0, now=tokyo(12, 5))
        assert [i["at"] for i in feed["issued"]] == [f"{day:%d.%m.%Y} 11:02"]
        assert feed["incidents"][0]["times"] == [f"{day:%d.%m.%Y} 11:02", f"{day:%d.%m.%Y} 11:07"]
        view = dashboard.overview(session, day, with_anomalies=True)
        assert view["incidents"][0]["times"] == [f"{day:%d.%m.%Y} 11:02", f"{day:%d.%m.%Y} 11:07"]
        assert [f["at"] for f in view["flags"]["latest"]] == [f"{day:%d.%m.%Y} 11:07"]


def test_the_claims_migration_keeps_what_existing_rows_said_as_claims(scratch_url):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from remote_vote_app import cli

    config = Config(str(cli.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(cli.ROOT / "alembic"))
    before = ScriptDirectory.from_config(config).get_revision("3c9e5a7b1d42").down_revision
    cli.migrate(scratch_url, revision=before)  # the schema before the claims columns
    engine = sa.create_engine(scratch_url)  # without the app's PRAGMA foreign_keys=ON: rows only, no parents
    marked = dt.datetime(2026, 12, 1, 5, 0)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))  # skip the foreign keys
        conn.execute(sa.text(
            "INSERT INTO ballotissue (id, mark_id, election_id, voter_id, application_id, precinct_id, staff_id,"
            " pass_version, method, offline, marked_at, received_at) VALUES (1, 'mark-0001', 1, 1, 1, 1, 1, 0, 'qr',"
            " :yes, :at, :at)"), {"yes": True, "at": marked})
        conn.execute(sa.text(
            "INSERT INTO checkinflag (id, mark_id, kind, reference, precinct_id, staff_id, ballot_issued, offline,"
            " marked_at, received_at) VALUES (1, 'mark-0002', 'conflict', 'ABCD-EFHJ', 1, 1, :yes, :yes, :at, :at)"),
            {"yes": True, "at": marked})
    engine.dispose()
    cli.migrate(scratch_url)
    with get_engine(scratch_url).connect() as conn:
        issue = conn.execute(sa.text("SELECT claimed_method, claimed_offline FROM ballotissue")).one()
        flag = conn.execute(sa.text("SELECT claimed_method, claimed_offline FROM checkinflag")).one()
        claimed = conn.execute(sa.text("SELECT COUNT(*) FROM ballotissue WHERE claimed_at = marked_at")).scalar()
    assert (issue[0], bool(issue[1]), flag[0], bool(flag[1]), claimed) == ("qr", True, "", True, 1)


def test_a_mark_received_before_the_polls_open_issues_no_ballot(session, sender, demo_voters, users, override_settings):
    """Marking the roster the evening before would turn every voter away on the day as 'already
    issued'. Outside demo mode a mark that reaches the server before opening is only a signal."""
    override_settings(demo_mode=False)
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    early = _election_day_at(session, voter, 7) - dt.timedelta(days=1)
    result = checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0), "s", now=early)
    assert result["status"] == "refused" and result["kind"] == "too_early"
    assert session.exec(select(BallotIssue)).all() == []
    opened = _election_day_at(session, voter, 8)
    result = checkin.record(session, users["uik.dg05"], _mark(application.reference, version=0), "s", now=opened)
    assert result["status"] == "issued"


def test_an_attempt_the_desk_refused_as_too_early_is_flagged_too_early(session, sender, demo_voters, users,
                                                                        override_settings):
    """The desk refuses a voter before the polls open (checkin_logic.js) and sends the attempt with
    its reason: the flag says 'too_early', not 'repeat'."""
    override_settings(demo_mode=False)
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    [mark] = checkin.parse_marks({"marks": [{"id": uuid.uuid4().hex, "ref": application.reference, "v": 0,
                                             "issued": False, "reason": "too_early"}]})
    early = _election_day_at(session, voter, 7)
    result = checkin.record(session, users["uik.dg05"], mark, "s", now=early)
    assert result["status"] == "refused" and result["kind"] == "too_early"


def test_the_roster_carries_the_elections_zone_and_the_opening_time(session, sender, demo_voters, users,
                                                                    override_settings):
    voter = demo_voters[0]
    _apply(session, sender, voter)
    roster = checkin.roster(session, users["uik.dg05"], "s", now=_election_day_at(session, voter, 7))
    payload = passes.open_document(roster["token"])
    # Demo mode takes marks on any day: no opening time for the desk to hold to.
    assert {k: payload[k] for k in ("zone", "opens")} == {"zone": "Asia/Bishkek", "opens": ""}
    override_settings(demo_mode=False)
    assert checkin.roster_clock(["Europe/Moscow"]) == {"zone": "Europe/Moscow", "opens": "07:55"}
    assert checkin.roster_clock(["Europe/Moscow", "Asia/Tokyo"])["zone"] == SERVICE_ZONE.key
