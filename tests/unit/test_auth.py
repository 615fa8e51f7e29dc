import datetime as dt
import re

import pytest
from sqlmodel import select

from remote_vote_app.models import LoginCode
from remote_vote_app.services import auth
from remote_vote_app.services.errors import ServiceError
from tests.unit.conftest import outbox

NOW = dt.datetime(2026, 11, 10, 6, 0, tzinfo=dt.timezone.utc)
PIN, DOC = "11503199000123", "ID1234567"


def _start(session, sender, pin=PIN, doc=DOC, client="198.51.100.1", now=NOW):
    challenge = auth.start_login(session, pin, doc, client, sender, "ru", now=now)
    session.commit()
    return challenge


def _last_code(session) -> str:
    return re.search(r"\b(\d{6})\b", outbox(session)[-1].body).group(1)


def _error(fn, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    return info.value


def test_code_sent_to_phone_on_file_and_stored_hashed(session, sender):
    challenge = _start(session, sender)
    assert challenge.masked_phone == "+996 *** *** 456"
    message = outbox(session)[-1]
    assert message.channel == "sms" and message.recipient == "+996700123456"
    code = _last_code(session)
    row = session.exec(select(LoginCode).where(LoginCode.challenge == challenge.token)).one()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at == NOW + dt.timedelta(minutes=5)


def test_unknown_pin_and_wrong_document_give_the_same_answer(session, sender):
    unknown = _error(_start, session, sender, pin="20101199000001")
    wrong_doc = _error(_start, session, sender, doc="ID7654321")
    assert unknown.code == wrong_doc.code == "error.login_not_found"
    assert unknown.params == wrong_doc.params == {}
    assert outbox(session) == []


def test_right_code_logs_in_once(session, sender, demo_voters):
    challenge = _start(session, sender)
    code = _last_code(session)
    assert auth.verify_code(session, challenge.token, code, "c", now=NOW + dt.timedelta(minutes=1)) == demo_voters[0].id
    session.commit()
    assert _error(auth.verify_code, session, challenge.token, code, "c", now=NOW + dt.timedelta(minutes=1)).code == "error.code_expired"


def test_code_expires_after_five_minutes(session, sender):
    challenge = _start(session, sender)
    code = _last_code(session)
    late = NOW + dt.timedelta(minutes=5, seconds=1)
    assert _error(auth.verify_code, session, challenge.token, code, "c", now=late).code == "error.code_expired"


def test_five_wrong_tries_burn_the_code(session, sender):
    challenge = _start(session, sender)
    code = _last_code(session)
    wrong = "000000" if code != "000000" else "111111"
    lefts = []
    for _ in range(4):
        err = _error(auth.verify_code, session, challenge.token, wrong, "c", now=NOW)
        lefts.append(err.params["count"])
    assert lefts == [4, 3, 2, 1]
    assert _error(auth.verify_code, session, challenge.token, wrong, "c", now=NOW).code == "error.code_attempts"
    # Even the right code no longer works: the failures were saved although each call raised.
    assert _error(auth.verify_code, session, challenge.token, code, "c", now=NOW).code == "error.code_expired"


def test_a_strangers_login_does_not_cancel_the_owners_code(session, sender):
    """Before the fix every new code cancelled the voter's open one, and sends counted per PIN
    alone: whoever knew PIN and document could keep the owner out."""
    owner = _start(session, sender, client="198.51.100.1")
    owner_code = _last_code(session)
    for i in range(6):  # the stranger uses up his own sends
        try:
            _start(session, sender, client="203.0.113.9", now=NOW + dt.timedelta(seconds=i))
        except ServiceError as exc:
            assert exc.code == "error.too_many_attempts"
    assert auth.verify_code(session, owner.token, owner_code, "198.51.100.1", now=NOW + dt.timedelta(seconds=40))
    assert _start(session, sender, client="198.51.100.1", now=NOW + dt.timedelta(seconds=50)).masked_phone


def test_resend_waits_and_is_limited(session, sender):
    challenge = _start(session, sender)
    err = _error(auth.resend_code, session, challenge.token, sender, "ru", now=NOW + dt.timedelta(seconds=10))
    assert err.code == "error.resend_wait" and err.params["seconds"] == 50
    moment = NOW
    for _ in range(3):
        moment += dt.timedelta(seconds=61)
        auth.resend_code(session, challenge.token, sender, "ru", now=moment)
        session.commit()
    new_code = _last_code(session)
    assert _error(auth.resend_code, session, challenge.token, sender, "ru", now=moment + dt.timedelta(seconds=61)).code == "error.resend_limit"
    assert auth.verify_code(session, challenge.token, new_code, "c", now=moment + dt.timedelta(seconds=62))


def test_codes_are_random(session, sender):
    codes = set()
    for i in range(5):
        _start(session, sender, client=f"10.0.0.{i}", now=NOW + dt.timedelta(seconds=i))
        codes.add(_last_code(session))
    assert len(codes) >= 4


def test_codes_sent_per_pin_and_client_are_rate_limited(session, sender):
    for i in range(4):
        _start(session, sender, client="10.0.1.1", now=NOW + dt.timedelta(seconds=i))
    challenge = _start(session, sender, client="10.0.1.1", now=NOW + dt.timedelta(seconds=5))
    # Resends count too: one connection gets at most five codes to this phone in 15 minutes.
    err = _error(auth.resend_code, session, challenge.token, sender, "ru", now=NOW + dt.timedelta(seconds=70),
                 client="10.0.1.1")
    assert err.code == "error.too_many_attempts" and err.params["minutes"] >= 1
    assert _error(_start, session, sender, client="10.0.1.1").code == "error.too_many_attempts"
    assert _start(session, sender, client="10.0.1.2").masked_phone  # another connection is not stopped


def test_codes_to_one_phone_have_a_ceiling_across_clients(session, sender):
    for i in range(20):
        _start(session, sender, client=f"10.0.3.{i}", now=NOW + dt.timedelta(seconds=i))
    assert _error(_start, session, sender, client="10.0.3.99").code == "error.too_many_attempts"


def test_a_stranger_with_wrong_documents_cannot_lock_the_owner_out(session, sender):
    for _ in range(5):
        assert _error(_start, session, sender, doc="ID0000000", client="203.0.113.9").code == "error.login_not_found"
    assert _error(_start, session, sender, client="203.0.113.9").code == "error.too_many_attempts"
    assert _start(session, sender, client="198.51.100.20").masked_phone  # the owner, elsewhere, gets in


def test_resend_does_not_reset_wrong_tries(session, sender):
    challenge = _start(session, sender)
    for _ in range(3):
        _error(auth.verify_code, session, challenge.token, "999999" if _last_code(session) != "999999" else "888888", "c", now=NOW)
    auth.resend_code(session, challenge.token, sender, "ru", now=NOW + dt.timedelta(seconds=61))
    session.commit()
    wrong = "999999" if _last_code(session) != "999999" else "888888"
    assert _error(auth.verify_code, session, challenge.token, wrong, "c", now=NOW + dt.timedelta(seconds=62)).params["count"] == 1


def test_unknown_pins_count_against_the_client(session, sender):
    for i in range(30):
        _error(_start, session, sender, pin=f"2010119900{i:04d}", client="203.0.113.7")
    assert _error(_start, session, sender, client="203.0.113.7").code == "error.too_many_attempts"


def test_code_format_checked_before_lookup(session):
    assert _error(auth.verify_code, session, "x", "12ab", "c").code == "error.code_format"


def test_login_names_every_wrong_field_at_once(session, sender):
    from remote_vote_app.services.errors import FieldErrors

    with pytest.raises(FieldErrors) as both:
        auth.start_login(session, "", "x", "198.51.100.9", sender, "ru")
    assert {k: v.code for k, v in both.value.errors.items()} == {"pin": "error.pin_required",
                                                                   "document": "error.document_format"}
    with pytest.raises(ServiceError) as one:
        auth.start_login(session, "", "AN1234567", "198.51.100.9", sender, "ru")
    assert one.value.code == "error.pin_required" and one.value.field == "pin"
