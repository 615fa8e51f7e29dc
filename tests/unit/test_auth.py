import datetime as dt

import pytest
from sqlmodel import select

from remote_vote_app.models import LoginCode
from remote_vote_app.services.identity import auth, ratelimit
from remote_vote_app.errors import ServiceError
from tests.unit.conftest import outbox
from tests.support.codes import code_in

NOW = dt.datetime(2026, 11, 10, 6, 0, tzinfo=dt.timezone.utc)
PIN, DOC = "11503199000123", "ID1234567"


class LimiterClock:
    """The rate limiter's clock, set to the moment the services are told (`now`)."""

    def __init__(self, monkeypatch):
        self.moment = NOW
        monkeypatch.setattr(ratelimit.time, "time", lambda: self.moment.timestamp())

    def at(self, moment: dt.datetime) -> dt.datetime:
        self.moment = moment
        return moment


@pytest.fixture
def limiter_clock(monkeypatch):
    return LimiterClock(monkeypatch)


def _start(session, sender, pin=PIN, doc=DOC, client="198.51.100.1", now=NOW):
    challenge = auth.start_login(session, pin, doc, client, sender, "ru", now=now)
    session.commit()
    return challenge


def _last_code(session) -> str:
    return code_in(outbox(session)[-1].body)


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


def test_a_strangers_login_does_not_cancel_the_owners_code(session, sender, limiter_clock):
    """Before the fix every new code cancelled the voter's open one, and sends counted per PIN
    alone: whoever knew PIN and document could keep the owner out."""
    owner = _start(session, sender, client="198.51.100.1")
    owner_code = _last_code(session)
    for i in range(6):  # within the phone's minute the stranger is offered the open code, no new SMS
        limiter_clock.at(NOW + dt.timedelta(seconds=i))
        stranger = _start(session, sender, client="203.0.113.9", now=NOW + dt.timedelta(seconds=i))
        assert stranger.reused and stranger.token == owner.token
    assert len(outbox(session)) == 1
    later = limiter_clock.at(NOW + dt.timedelta(seconds=61))
    fresh = _start(session, sender, client="203.0.113.9", now=later)  # a new code a minute later...
    assert not fresh.reused and fresh.token != owner.token and len(outbox(session)) == 2
    fresh_code = _last_code(session)
    # ...leaves the owner's code valid, and the owner's login ends the stranger's challenge.
    assert auth.verify_code(session, owner.token, owner_code, "198.51.100.1", now=later)
    session.commit()
    assert _error(auth.verify_code, session, fresh.token, fresh_code, "203.0.113.9", now=later).code == "error.code_expired"


def test_resend_waits_and_is_limited(session, sender, limiter_clock):
    challenge = _start(session, sender)
    err = _error(auth.resend_code, session, challenge.token, sender, "ru", now=NOW + dt.timedelta(seconds=10))
    assert err.code == "error.resend_wait" and err.params["seconds"] == 50
    moment = NOW
    for _ in range(3):
        moment += dt.timedelta(seconds=61)
        limiter_clock.at(moment)
        assert not auth.resend_code(session, challenge.token, sender, "ru", now=moment).reused
        session.commit()
    new_code = _last_code(session)
    assert _error(auth.resend_code, session, challenge.token, sender, "ru", now=moment + dt.timedelta(seconds=61)).code == "error.resend_limit"
    assert auth.verify_code(session, challenge.token, new_code, "c", now=moment + dt.timedelta(seconds=62))


def test_the_page_is_told_how_long_before_a_resend(session, sender, limiter_clock):
    """The code page counts down to the next resend instead of refusing it with an error."""
    challenge = _start(session, sender)
    assert challenge.resend_in(NOW) == 60
    assert challenge.resend_in(NOW + dt.timedelta(seconds=17.5)) == 43
    assert challenge.resend_in(NOW + dt.timedelta(seconds=61)) == 0


def test_codes_are_random(session, sender, limiter_clock):
    codes = set()
    for i in range(5):  # five codes in 15 minutes, one a minute, is what one phone gets
        moment = limiter_clock.at(NOW + dt.timedelta(seconds=61 * i))
        _start(session, sender, client=f"10.0.0.{i}", now=moment)
        codes.add(_last_code(session))
    assert len(outbox(session)) == 5 and len(codes) >= 4


def test_a_resend_within_the_phone_cap_keeps_the_code_already_sent(session, sender, limiter_clock):
    """A resend is a new SMS too: at the phone's cap the code already sent stays the one to use."""
    challenge = _start(session, sender, client="10.0.1.1")
    first_code = _last_code(session)
    limiter_clock.at(NOW + dt.timedelta(seconds=61))
    _start(session, sender, client="10.0.1.2", now=NOW + dt.timedelta(seconds=61))  # this minute's SMS
    again = auth.resend_code(session, challenge.token, sender, "ru", now=NOW + dt.timedelta(seconds=62),
                             client="10.0.1.1")
    assert again.reused and again.token == challenge.token and again.sent_at == challenge.sent_at
    assert len(outbox(session)) == 2
    assert auth.verify_code(session, challenge.token, first_code, "10.0.1.1", now=NOW + dt.timedelta(seconds=63))


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


def test_a_malformed_code_costs_no_try_and_its_message_names_the_kind_of_code_sent(session, sender, limiter_clock):
    assert _error(auth.verify_code, session, "x", "12ab", "c", NOW).code == "error.code_expired"  # no such challenge
    short = _start(session, sender)
    assert _error(auth.verify_code, session, short.token, "12ab", "c", NOW).code == "error.code_format"
    assert _error(auth.verify_code, session, short.token, "ABCD-EFGH-JKMNP", "c", NOW).code == "error.code_format"
    for _ in range(5):  # five wrong codes for the PIN: its next code is strong
        _error(auth.verify_code, session, short.token, "000000" if _last_code(session) != "000000" else "111111", "c", NOW)
        session.commit()
    later = limiter_clock.at(NOW + dt.timedelta(minutes=2))
    strong = _start(session, sender, now=later)
    assert strong.strong
    for typed in ("123456", "12ab", "ABCD-EFGH-JKMNU"):  # U is not in the alphabet
        error = _error(auth.verify_code, session, strong.token, typed, "c", later)
        assert error.code == "error.code_format_strong"
    row = session.exec(select(LoginCode).where(LoginCode.challenge == strong.token)).one()
    assert row.attempts == 0


def test_login_names_every_wrong_field_at_once(session, sender):
    from remote_vote_app.errors import FieldErrors

    with pytest.raises(FieldErrors) as both:
        auth.start_login(session, "", "x", "198.51.100.9", sender, "ru")
    assert {k: v.code for k, v in both.value.errors.items()} == {"pin": "error.pin_required",
                                                                   "document": "error.document_format"}
    with pytest.raises(ServiceError) as one:
        auth.start_login(session, "", "AN1234567", "198.51.100.9", sender, "ru")
    assert one.value.code == "error.pin_required" and one.value.field == "pin"
