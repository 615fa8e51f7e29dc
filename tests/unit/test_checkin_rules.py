"""One set of election-day rule cases (tests/cases/checkin_rules.json) run against both deciders: the
desk's JavaScript (components/checkin_logic.js, identification_logic.js, in node) and the server's
Python (services/election_day/checkin.py `decide`, identification.py `under_age`)."""

import datetime as dt
import json
from pathlib import Path

import pytest

from remote_vote_app.models import Election
from remote_vote_app.services.election_day import checkin, identification
from remote_vote_app.services.validation import pin_birth_date
from tests.support.node import run_module

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "cases" / "checkin_rules.json").read_text(encoding="utf-8"))
COMPONENTS = ROOT / "remote_vote_app" / "components"
CHECKIN = [{**CASES["checkin"]["defaults"], **case} for case in CASES["checkin"]["cases"]]
UNDER_AGE = CASES["identification"]["under_age"]
OUTCOMES = {"issue", "bad_pass", "other_precinct", "not_listed", "repeat", "stale", "too_early"}
REF, DOC, ELECTION = "ABCD-1234", "AN1234567", 7


def _node(module: str, expression: str):
    return run_module(COMPONENTS / module, expression)


def _moment(case) -> dt.datetime:
    return dt.datetime.fromisoformat(case["now"].replace("Z", "+00:00"))


def _scan_version(case) -> int | None:
    scan, application = case["scan"], case["application"]
    return scan["version"] if scan["by"] == "pass" else (application or {}).get("version")


# --- the desk's side: the roster, the pass's claims and the device's marks the case describes ---

def _device_inputs(case) -> dict:
    application, scan = case["application"], case["scan"]
    entries = [{"ref": REF, "election": ELECTION, "v": application["version"], "name": "Voter", "doc": DOC,
                "birth": "01.01.1990", "issued": False, "issued_at": ""}] \
        if application and application["precinct"] == "here" and application["status"] == "submitted" else []
    roster = {"precinct": "101", "day": case["day"], "generated_at": 0, "entries": entries,
              **checkin.roster_clock([case["zone"]])}
    if scan["by"] == "pass":
        claims = {"ref": REF, "election": ELECTION, "precinct": "101" if scan["precinct"] == "here" else "202",
                  "v": scan["version"], "iat": 0}
        found = {"pass": claims if scan["pass"] == "genuine" else None}
    else:
        found = {"text": "abcd 1234" if scan["by"] == "reference" else "an 123 4567"}
    at = int(_moment(case).timestamp() * 1000) - 60_000
    known = {"book": {"marked": {REF: {"at": at, "member": "Other", "precinct": "101", "server": True}}
                      if case["marked"] == "other_desk" else {}, "incidents": {}, "cursor": ""},
             "queue": [{"id": "mark-0001", "ref": REF, "v": 1, "at": at, "issued": True}]
             if case["marked"] == "this_device" else [], "member": "Me"}
    return {"roster": roster, "scan": found, "known": known, "now": int(_moment(case).timestamp() * 1000)}


def _device_answers(cases, override_settings) -> list[str]:
    inputs = []
    for case in cases:
        override_settings(demo_mode=case["demo"])
        inputs.append(_device_inputs(case))
    return _node("checkin_logic.js", f"return {json.dumps(inputs)}.map((i) => m.decide(i).outcome);")


def test_every_case_says_what_it_expects_in_the_shared_words():
    assert CHECKIN and all(case["expect"] in OUTCOMES for case in CHECKIN)
    assert all(case.get("device_expect", "issue") in OUTCOMES and ("device_expect" in case) == ("why" in case)
               for case in CHECKIN)
    assert {case["expect"] for case in CHECKIN} == OUTCOMES  # every outcome is exercised
    assert len({case["name"] for case in CHECKIN}) == len(CHECKIN)
    assert any(case["zone"] != "Asia/Bishkek" for case in CHECKIN)


def test_the_desk_decides_every_case_as_the_file_says(override_settings):
    got = _device_answers(CHECKIN, override_settings)
    wrong = [(case["name"], answer) for case, answer in zip(CHECKIN, got)
             if answer != case.get("device_expect", case["expect"])]
    assert wrong == []


# --- the server's side: the facts the case describes ---

def _facts(case, issued: bool, reason: str = "") -> checkin.Facts:
    application, scan = case["application"], case["scan"]
    election = Election(name="x", election_day=dt.date.fromisoformat(case["day"]), timezone=case["zone"])
    return checkin.Facts(
        issued, _moment(case), reason=reason,
        pass_problem="invalid" if scan["by"] == "pass" and scan["pass"] == "forged" else "",
        listed=application is not None, marked=case["marked"] is not None,
        here=bool(application) and application["precinct"] == "here",
        current=bool(application) and application["status"] == "submitted"
        and _scan_version(case) == application["version"],
        polls_open_at=checkin.polls_open_at(election))


@pytest.mark.parametrize("case", CHECKIN, ids=lambda case: case["name"])
def test_the_server_decides_a_ballot_the_desk_issued_as_the_file_says(case, override_settings):
    override_settings(demo_mode=case["demo"])
    expected = "conflict" if case["expect"] == "repeat" else case["expect"]
    assert checkin.decide(_facts(case, issued=True)) == expected


@pytest.mark.parametrize("case", [c for c in CHECKIN if c.get("device_expect", c["expect"]) in checkin.DEVICE_REASONS
                                  and c.get("device_expect", c["expect"]) != "not_listed"],
                         ids=lambda case: case["name"])
def test_the_server_flags_an_attempt_the_desk_refused_with_the_desks_reason(case, override_settings):
    # The desk sends what it refused (bar a pass it could not verify or find) as an attempt with its reason.
    override_settings(demo_mode=case["demo"])
    reason = case.get("device_expect", case["expect"])
    assert checkin.decide(_facts(case, issued=False, reason=reason)) == case["expect"]


# --- the identification desk's age rule ---

def test_both_sides_reckon_the_age_on_election_day_as_the_file_says():
    python = [identification.under_age(pin_birth_date(c["pin"]), dt.date.fromisoformat(c["day"])) for c in UNDER_AGE]
    node = _node("identification_logic.js",
                 f"return {json.dumps(UNDER_AGE)}.map((c) => m.underAge(c.pin, c.day));")
    expected = [c["under_age"] for c in UNDER_AGE]
    assert (python, node) == (expected, expected)
    assert set(expected) == {True, False}


# --- the zone ---

@pytest.mark.parametrize("zone, now, past", [
    ("Asia/Bishkek", "2026-03-15T18:30:00Z", True),  # 00:30 on the 16th in Bishkek
    ("Europe/Moscow", "2026-03-15T18:30:00Z", False),  # 21:30 on the 15th in Moscow
])
def test_the_desk_drops_its_data_after_election_day_in_the_elections_zone(zone, now, past):
    moment = int(dt.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000)
    assert _node("desk_common.js", f"return m.dayIsPast('2026-03-15', {json.dumps(zone)}, {moment});") is past
