"""The identification desk's browser-side rules (components/identification_logic.js), run in node:
reading a card's MRZ line or a QR text, the age on election day from the PIN, and the answer the
device gives on its own while the link is down."""

import json
from pathlib import Path

import pytest

from tests.support.node import run_module

MODULE = Path(__file__).resolve().parents[2] / "remote_vote_app" / "components" / "identification_logic.js"


def _run(expression: str):
    return run_module(MODULE, expression)


def _mrz_line(document: str, pin: str, check: int | None = None) -> str:
    digits = _run(f"return m.mrzCheck({json.dumps(document)});") if check is None else check
    return f"IDKGZ{document}{digits}{pin}<".ljust(30, "<")


def test_an_mrz_first_line_gives_the_document_and_the_pin():
    line = _mrz_line("ID1234567", "21506199000123")
    assert _run(f"return m.readCard({json.dumps(line)});") == {
        "pin": "21506199000123", "document": "ID1234567", "source": "mrz"}


def test_an_mrz_line_with_a_wrong_check_digit_is_not_read():
    good = _run('return m.mrzCheck("ID1234567");')
    line = _mrz_line("ID1234567", "21506199000123", check=(good + 1) % 10)
    assert _run(f"return m.readCard({json.dumps(line)});") is None


@pytest.mark.parametrize("text, expected", [
    ('{"pin":"21506199000123","doc":"ID1234567"}', {"pin": "21506199000123", "document": "ID1234567", "source": "qr"}),
    ("PIN 11203200100045 / AN7654321", {"pin": "11203200100045", "document": "AN7654321", "source": "qr"}),
    ("21506199000123 ID1234567 21506199000124", None),  # two PINs: ambiguous
    ("https://example.kg/id?x=1", None),
    ("31506199000123 ID1234567", None),  # a PIN starts with 1 or 2
])
def test_a_qr_text_gives_a_pin_and_a_document_only_when_unambiguous(text, expected):
    assert _run(f"return m.readCard({json.dumps(text)});") == expected


@pytest.mark.parametrize("pin, day, under", [
    ("21501200800123", "2026-01-15", False),  # 18 on election day itself
    ("21601200800123", "2026-01-15", True),  # 18 the next day
    ("21506199000123", "2026-01-15", False),
])
def test_age_on_election_day_comes_from_the_pin(pin, day, under):
    assert _run(f"return m.underAge({json.dumps(pin)}, {json.dumps(day)});") is under


PIN = "21506199000123"


@pytest.mark.parametrize("args, outcome", [
    ({"entry": {"id": "x"}, "marked": None, "policy": "wait", "listReady": True}, "issue_home"),
    ({"entry": {"id": "x"}, "marked": {"at": 1}, "policy": "wait", "listReady": True}, "voted_here"),
    ({"entry": {"id": "x", "voted": True}, "marked": None, "policy": "provisional", "listReady": True}, "voted_list"),
    ({"entry": None, "marked": None, "policy": "provisional", "listReady": True}, "provisional"),
    ({"entry": None, "marked": None, "policy": "wait", "listReady": True}, "wait"),
    ({"entry": None, "marked": None, "policy": "wait", "listReady": False}, "no_list"),
    ({"entry": None, "marked": {"at": 1}, "policy": "provisional", "listReady": True}, "voted_here"),
])
def test_the_offline_answer_follows_the_list_the_device_book_and_the_policy(args, outcome):
    found = _run(f"return m.decideOffline({json.dumps({**args, 'pin': PIN, 'electionDay': '2026-01-15'})});")
    assert found["outcome"] == outcome


def test_offline_a_voter_under_18_is_refused_even_on_the_list():
    args = {"entry": {"id": "x"}, "marked": None, "policy": "provisional", "listReady": True,
            "pin": "21601200800123", "electionDay": "2026-01-15"}
    assert _run(f"return m.decideOffline({json.dumps(args)});")["outcome"] == "under_age"


def test_the_device_list_identifier_is_the_servers():
    from remote_vote_app.services.election_day import identification

    key = bytes(range(32))
    found = _run(f"return await m.voterKey({json.dumps(key.hex())}, {json.dumps(PIN)}, 'ID1234567');")
    assert found == identification.identifier(key, PIN, "ID1234567")


def test_a_mark_sealed_on_the_device_opens_on_the_server_only_for_its_own_id():
    from remote_vote_app.services.election_day import identification

    public = identification.seal_public_key()
    sealed = _run(f"return await m.sealMark({json.dumps(public)}, 'mark-0001', {json.dumps(PIN)}, 'ID1234567');")
    assert PIN not in json.dumps(sealed) and "ID1234567" not in json.dumps(sealed)
    assert identification.open_mark("mark-0001", sealed) == (PIN, "ID1234567")
    # Bound to the mark's id, and tamper-evident: a box moved to another mark or altered opens to nothing.
    assert identification.open_mark("mark-0002", sealed) is None
    flipped = sealed["ct"][:-2] + ("AA" if sealed["ct"][-2:] != "AA" else "BB")
    assert identification.open_mark("mark-0001", {**sealed, "ct": flipped}) is None
