"""Lockouts throttle the attacker's client, with growing waits, and leave the owner free to log
in elsewhere; every failure and lockout leaves an audit row even though the login is refused."""

import re
from zoneinfo import ZoneInfo

import pytest
import datetime as dt
import threading

from sqlmodel import Session, select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import AuditEvent, LoginCode, OutboxMessage, Voter
from remote_vote_app.services.identity import auth, devices, ratelimit, sessions
from remote_vote_app.errors import ServiceError
from remote_vote_app.demo.seed import DEMO_VOTERS
from tests.unit.conftest import outbox
from tests.support.codes import code_in

PIN, DOC = DEMO_VOTERS[0][0], DEMO_VOTERS[0][1]
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


class Clock:
    """The limiter's clock, and `at()` the same moment for the services' `now`."""

    def __init__(self, monkeypatch):
        import limits.storage.memory as memory

        self.now = 1_900_000_000.0
        monkeypatch.setattr(memory.time, "time", lambda: self.now)
        monkeypatch.setattr(ratelimit.time, "time", lambda: self.now)

    def at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, dt.timezone.utc)


def _refusal(fn, *args):
    with pytest.raises(ServiceError) as info:
        fn(*args)
    return info.value


def _start(sender, client, doc=DOC, now=None, device=""):
    with session_scope() as session:
        return auth.start_login(session, PIN, doc, client, sender, "ru", now=now, device=device)


def _verify(token, code, client, now=None, device=""):
    with session_scope() as session:
        return auth.verify_code(session, token, code, client, now=now, device=device)


def _voter_id(pin: str = PIN) -> int:
    with Session(get_engine()) as session:
        return session.exec(select(Voter.id).where(Voter.pin == pin)).one()


def _sms_count() -> int:
    with Session(get_engine()) as session:
        return len(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all())


def _code() -> str:
    with Session(get_engine()) as session:
        return code_in(outbox(session)[-1].body)


def _wrong(code: str) -> str:
    return "999999" if code != "999999" else "888888"


def test_wrong_codes_throttle_the_guessing_client_not_the_owner(monkeypatch, sender):
    # The attacker knows PIN and document (printed on the card) and guesses codes.
    clock = Clock(monkeypatch)
    challenge = _start(sender, ATTACKER, now=clock.at())
    for _ in range(5):
        _refusal(_verify, challenge.token, _wrong(_code()), ATTACKER, clock.at())
    assert _refusal(_start, sender, ATTACKER, DOC, clock.at()).code == "error.too_many_attempts"
    # He burnt that code (5 tries per code): the owner on another connection gets a new code at
    # once, a strong one (its own SMS cap), since wrong codes were tried for the PIN.
    owner = _start(sender, OWNER, now=clock.at())
    assert not owner.reused and owner.strong and _verify(owner.token, _code(), OWNER, clock.at())


def test_waits_grow_with_each_burst(monkeypatch):
    clock = Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-growing")
    for _ in range(5):
        throttle.failure("id", ATTACKER)
    first = throttle.locked("id", ATTACKER)
    assert first is not None and first.params["minutes"] == 1
    clock.now += 61
    assert throttle.locked("id", ATTACKER) is None
    for _ in range(5):
        throttle.failure("id", ATTACKER)
    second = throttle.locked("id", ATTACKER)
    assert second is not None and second.params["minutes"] >= 10
    assert throttle.locked("id", OWNER) is None


def test_an_ipv6_64_is_one_client_and_ipv4_addresses_stay_apart(monkeypatch, sender):
    """Any address of a /64 is one subscriber's: changing the last 64 bits buys no new tries."""
    Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-v6")
    for i in range(5):
        throttle.failure("id", f"2001:db8:1:2::{i + 1:x}")
    assert throttle.locked("id", "2001:db8:1:2:dead:beef::1") is not None
    assert throttle.locked("id", "2001:db8:1:3::1") is None
    assert throttle.locked("id", "203.0.113.1") is None and ratelimit.requester("203.0.113.1") == "203.0.113.1"
    assert ratelimit.requester("::ffff:203.0.113.1") == "203.0.113.1"
    # The per-client start limit of the SMS login counts the /64 too (30 an hour).
    for i in range(30):
        _refusal(auth_start_unknown, sender, f"2001:db8:9:9::{i + 1:x}", i)
    assert _refusal(auth_start_unknown, sender, "2001:db8:9:9:1::1", 99).code == "error.too_many_attempts"


def test_a_soft_ceiling_reports_the_identifier_but_locks_nobody(monkeypatch):
    Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-soft", ceiling=ratelimit.parse("50/day"), ceiling_locks=False)
    for i in range(50):
        throttle.failure("id", f"10.9.{i // 250}.{i % 250}")
    assert throttle.over_ceiling("id") and not throttle.over_ceiling("other")
    assert throttle.locked("id", "10.200.0.1") is None  # the caller asks for more instead (staff: the code)


def test_a_right_answer_clears_the_clients_tiers(monkeypatch):
    Clock(monkeypatch)
    throttle = ratelimit.LoginThrottle("test-clear")
    for _ in range(4):
        throttle.failure("id", OWNER)
    throttle.success("id", OWNER)
    for _ in range(4):
        throttle.failure("id", OWNER)
    assert throttle.locked("id", OWNER) is None


def test_failures_and_lockouts_are_audited_though_refused(sender):
    with Session(get_engine()) as session:
        before = max([e.id for e in session.exec(select(AuditEvent))] or [0])
    challenge = _start(sender, ATTACKER)
    for _ in range(5):
        _refusal(_verify, challenge.token, _wrong(_code()), ATTACKER)
    with Session(get_engine()) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.entity == "auth", AuditEvent.id > before)).all()
    actions = [r.action for r in rows]
    assert actions.count("auth.sms.failure") == 5 and "auth.sms.lockout" in actions
    assert "auth.sms.code_sent" in actions
    assert all(PIN not in r.details and DOC not in r.details and PIN not in r.entity_id for r in rows)
    assert all(ATTACKER in r.details for r in rows if r.action.startswith("auth.sms.failure"))


# --- SMS login: nothing an attacker does with the PIN, or PIN + document, keeps the owner out ---


def test_wrong_documents_from_many_addresses_never_lock_the_owner_out(sender):
    """The attack of issue 20: 205 wrong documents for one PIN from 41 addresses locked the owner's
    SMS login for 24 h. The document is not the secret: wrong ones count against the client only."""
    for i in range(41):
        for _ in range(5):
            assert _refusal(_start, sender, f"203.0.{i}.1", "ID0000000").code == "error.login_not_found"
    owner = _start(sender, OWNER)
    assert not owner.reused and _verify(owner.token, _code(), OWNER)


def test_wrong_documents_slow_down_the_client_that_sends_them(sender):
    for _ in range(5):
        _refusal(_start, sender, ATTACKER, "ID0000000")
    assert _refusal(_start, sender, ATTACKER).code == "error.too_many_attempts"  # this client, this PIN
    for i in range(25):  # and every start counts against the client, whatever the PIN
        _refusal(auth_start_unknown, sender, ATTACKER, i)
    assert _refusal(auth_start_unknown, sender, ATTACKER, 99).code == "error.too_many_attempts"


def auth_start_unknown(sender, client, i):
    with session_scope() as session:
        return auth.start_login(session, f"2010119900{i:04d}", DOC, client, sender, "ru")


def test_a_flood_of_logins_sends_one_sms_and_the_owner_uses_it(sender):
    """With PIN + document, 20 logins in 10 s sent 20 SMS and then locked the phone for an hour.
    Now the phone gets one code a minute at most; every other start is offered the open code."""
    first = _start(sender, ATTACKER)
    code = _code()
    for i in range(19):
        again = _start(sender, f"203.0.113.{i}")
        assert again.reused and again.token == first.token
    assert _sms_count() == 1
    owner = _start(sender, OWNER)
    assert owner.reused and owner.token == first.token
    assert owner.sent_at == first.sent_at and owner.expires_at == first.expires_at
    assert _verify(owner.token, code, OWNER)


def test_the_phone_cap_spaces_codes_out_and_a_full_cap_with_no_open_code_sends_a_strong_one(monkeypatch, sender):
    """The outside attack M1: with PIN + document only, five starts a minute apart filled the phone's
    cap (5 in 15 minutes); short codes live 5, so from 4.5 minutes after the last until the cap freed
    no code was open and a new browser of the owner's was told to wait, about 6.5 minutes of every
    15. Now that start gets a strong code (a cap of its own, 1 in 14 minutes, 20 minutes of life)."""
    clock = Clock(monkeypatch)
    sent = []
    for _ in range(5):  # one a minute is allowed, five in 15 minutes
        challenge = _start(sender, ATTACKER, now=clock.at())
        assert not challenge.reused
        sent.append(challenge)
        assert _start(sender, OWNER, now=clock.at()).token == challenge.token  # within the minute: the same code
        clock.now += 61
    assert _sixth_is_the_open_code(sender, clock, sent[-1])
    clock.now = 1_900_000_000 + 600  # every short code has expired, the cap is still full
    owner = _start(sender, NEW_PLACE, now=clock.at())
    assert owner.strong and not owner.reused and _sms_count() == 6
    for i in range(20):  # strangers go on starting: they are offered that code, no SMS goes out
        assert _start(sender, f"203.0.113.{100 + i}", now=clock.at()).token == owner.token
        clock.now += 30
    assert _sms_count() == 6 and _verify(owner.token, _code(), NEW_PLACE, clock.at()) == _voter_id()


def test_a_phone_two_voters_share_has_a_cap_for_each(monkeypatch, sender):
    """The outside attack K1: the caps counted per phone and the offered code per voter, so a stranger
    with one voter's PIN starting logins as fast as the cap allowed kept the other voter of a shared
    (family) phone out for as long as he went on."""
    clock = Clock(monkeypatch)
    other_pin, other_doc = DEMO_VOTERS[1][0], DEMO_VOTERS[1][1]
    with session_scope() as session:
        mine = session.exec(select(Voter).where(Voter.pin == PIN)).one()
        other = session.exec(select(Voter).where(Voter.pin == other_pin)).one()
        own_phone, other.phone = other.phone, mine.phone
        session.add(other)
    try:
        _share_a_phone_and_log_in(sender, clock, other_pin, other_doc)
    finally:  # the register is shared with later tests
        with session_scope() as session:
            other = session.exec(select(Voter).where(Voter.pin == other_pin)).one()
            other.phone = own_phone
            session.add(other)


def _share_a_phone_and_log_in(sender, clock, other_pin, other_doc) -> None:
    for i in range(6):  # five short codes, then (the cap full, none open) a strong one: all the other voter's caps
        if i == 5:
            clock.now = 1_900_000_000 + 600
        with session_scope() as session:
            auth.start_login(session, other_pin, other_doc, f"203.0.113.{i}", sender, "ru", now=clock.at())
        clock.now += 61
    owner = _start(sender, OWNER, now=clock.at())  # the other voter's starts used up their own caps only
    assert not owner.reused and _verify(owner.token, _code(), OWNER, clock.at()) == _voter_id()


def test_a_login_on_the_trusted_browser_frees_the_caps_for_a_new_browser(monkeypatch, sender):
    """The outside attack J1: a login on the trusted browser ended the PIN's open strong code but left
    its cap full, so the owner's new browser waited 14 minutes for the next."""
    clock = Clock(monkeypatch)
    first = _start(sender, OWNER, now=clock.at())
    assert _verify(first.token, _code(), OWNER, clock.at()) == _voter_id()
    device = _device_of(_voter_id(), clock.at())
    clock.now += 120
    attacker = _start(sender, ATTACKER, now=clock.at())
    for _ in range(5):
        _refusal(_verify, attacker.token, _wrong(_code()), ATTACKER, clock.at())
    strong = _start(sender, "203.0.113.70", now=clock.at())
    assert strong.strong
    on_device = _start(sender, OWNER, now=clock.at(), device=device)
    assert _verify(on_device.token, _code(), OWNER, clock.at(), device=device) == _voter_id()
    fresh = _start(sender, NEW_PLACE, now=clock.at())  # the open strong code ended with that login
    assert fresh.strong and not fresh.reused and _verify(fresh.token, _code(), NEW_PLACE, clock.at()) == _voter_id()


def _sixth_is_the_open_code(sender, clock, last) -> bool:
    sixth = _start(sender, ATTACKER, now=clock.at())
    return sixth.reused and sixth.token == last.token and _sms_count() == 5


def _burn_to_the_ceiling(sender, clock) -> None:
    """NIST SP 800-63B 5.2.2's 100 wrong codes for the PIN, from many addresses: one short code burnt
    (5 tries), then 95 wrong tries at the strong code every later start is offered."""
    challenge = _start(sender, "203.0.0.1", now=clock.at())
    code = _code()
    for j in range(5):
        _refusal(_verify, challenge.token, _wrong(code), f"203.0.0.{10 + j}", clock.at())
    clock.now += 61
    strong = _start(sender, "203.0.1.1", now=clock.at())
    assert strong.strong
    for i in range(95):
        assert _refusal(_verify, strong.token, f"{i:013d}", f"203.0.{2 + i // 5}.{i % 5 + 1}",
                        clock.at()).code == "error.code_wrong_strong"
    assert auth.CODE_THROTTLE.over_ceiling(PIN)


def _last_audit_id() -> int:
    with Session(get_engine()) as session:
        return max([e.id for e in session.exec(select(AuditEvent))] or [0])


def _wrong_codes_tried(since: int) -> int:
    """Wrong codes checked against a code (audit rows are kept across tests: those after `since`)."""
    with Session(get_engine()) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "auth.sms.failure",
                                                         AuditEvent.details.contains("wrong_code"))).all())


def _short_code_tries(since_id: int) -> int:
    """Wrong tries at short login codes (any browser but a trusted one's) since LoginCode `since_id`."""
    with Session(get_engine()) as session:
        rows = session.exec(select(LoginCode).where(LoginCode.id > since_id, LoginCode.strong == False,  # noqa: E712
                                                    LoginCode.device_id == None)).all()  # noqa: E711
    return sum(row.attempts for row in rows)


def _last_code_id() -> int:
    with Session(get_engine()) as session:
        return max([c.id for c in session.exec(select(LoginCode))] or [0])


def test_hundreds_of_wrong_codes_from_many_clients_never_close_the_owners_sms_login(monkeypatch, sender):
    """With PIN + document, 100 wrong codes used to close SMS login of the PIN for the day. Past the
    ceiling it is guarded instead (a login SMS every 15 minutes), its codes are strong, and the owner,
    typing the code on their phone, gets in while strangers go on guessing."""
    clock, since = Clock(monkeypatch), _last_audit_id()
    _burn_to_the_ceiling(sender, clock)
    for round_ in range(8):  # two hours more of the attack, from fresh addresses
        challenge = _start(sender, f"198.18.{round_}.1", now=clock.at())
        assert challenge.strong
        for j in range(25):
            _refusal(_verify, challenge.token, f"{round_ * 40 + j:013d}", f"198.18.{round_}.{j + 2}", clock.at())
        clock.now += 15 * 60 + 1
    with Session(get_engine()) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.id > since))]
    assert "auth.sms.guarded" in actions and "auth.sms.strong_codes" in actions
    assert _wrong_codes_tried(since) == 100 + 200  # every strong guess is checked, and fails
    owner = _start(sender, OWNER, now=clock.at())
    _refusal(_verify, owner.token, "0000000000000", ATTACKER, clock.at())  # a stranger's try spends nothing
    assert owner.strong and _verify(owner.token, _code(), OWNER, clock.at()) == _voter_id()


def test_a_day_of_guessing_with_pin_and_document_checks_five_short_codes_and_the_rest_against_65_bits(
        monkeypatch, sender):
    """The bound in docs/security.md §2: in 24 hours of starts and guesses from fresh addresses, the
    PIN's short codes take 5 wrong tries (one code), and every other guess is made against a strong
    code (13 characters of 32: 2**65), so the day's chance stays near 5 in a million."""
    clock, since, first_code = Clock(monkeypatch), _last_audit_id(), _last_code_id()
    begun, step = clock.now, 0
    while clock.now < begun + 24 * 3600:  # every 5 minutes a fresh client: start, then 5 guesses
        client = f"198.19.{step % 250}.{step // 250 + 1}"
        try:
            challenge = _start(sender, client, now=clock.at())
        except ServiceError as exc:
            assert exc.code in {"error.code_wait", "error.too_many_attempts"}
        else:
            for j in range(5):
                guess = f"{step % 1000:03d}{j:03d}" if not challenge.strong else f"{step:08d}{j:05d}"
                with pytest.raises(ServiceError):
                    _verify(challenge.token, guess, client, clock.at())
        step += 1
        clock.now += 300
    assert _short_code_tries(first_code) == 5
    assert _wrong_codes_tried(since) > 5 + 200  # the rest were checked, against strong codes
    with Session(get_engine()) as session:
        strong = session.exec(select(LoginCode).where(LoginCode.id > first_code, LoginCode.strong == True)).all()  # noqa: E712
    assert strong and all(code.used_at is None for code in strong)  # none spent by a wrong guess


def test_a_stranger_polling_from_many_browsers_cannot_spend_the_code_the_owner_types_in_a_new_browser(
        monkeypatch, sender):
    """Issue 20's last Medium: with PIN + document, a stranger starting logins from browser after
    browser spent each code (5 tries; in guarded mode 1) before the owner typed it, so the owner on a
    new phone or computer (no device cookie) could not get in while the attack ran. Once one code
    is spent, the PIN's codes are strong: every start is offered the open one, no wrong guess
    spends it, and the owner types the code from the SMS and is in."""
    clock = Clock(monkeypatch)
    owner_in = None
    for step in range(60):  # every 20 seconds for 20 minutes a fresh client starts and guesses
        attacker = f"198.18.{step}.1"
        try:
            challenge = _start(sender, attacker, now=clock.at())
        except ServiceError as exc:  # the phone's one code a minute, spent: the next one is strong
            assert exc.code == "error.code_wait" and step <= 3
            clock.now += 20
            continue
        if step == 30:
            mine = _start(sender, NEW_PLACE, now=clock.at())  # the owner, on a browser never used before
            code = _code()
        for j in range(5):
            with pytest.raises(ServiceError):
                _verify(challenge.token, f"{step:03d}{j:03d}" if not challenge.strong else f"{step:08d}{j:05d}",
                        attacker, clock.at())
        if step == 30:  # the stranger had his five tries at the owner's code first
            assert mine.token == challenge.token and mine.strong
            owner_in = _verify(mine.token, code.lower().replace("-", " "), NEW_PLACE, clock.at())
        clock.now += 20
    assert owner_in == _voter_id()
    assert _sms_count() <= 3  # one short code, then one strong code per 15 minutes at most


def test_short_codes_a_stranger_had_sent_cannot_hold_back_the_owners_first_strong_code(monkeypatch, sender):
    """The outside attack on the strong codes (A1): with PIN + document the stranger fills the phone's
    cap (a start, three resends, one more start: 5 SMS in 15 minutes), then spends his own code.
    Every short code on the owner's phone then stops being checked, and the owner, on a new browser,
    was told to wait 11 minutes for the next SMS. Strong codes have a cap of their own: the owner's
    start sends the first strong code at once."""
    clock = Clock(monkeypatch)
    first = _start(sender, ATTACKER, now=clock.at())
    for _ in range(3):
        clock.now += 61
        with session_scope() as session:
            assert not auth.resend_code(session, first.token, sender, "ru", now=clock.at(), client=ATTACKER).reused
    clock.now += 61
    second = _start(sender, "203.0.113.67", now=clock.at())
    assert not second.reused and _sms_count() == 5
    for _ in range(5):
        _refusal(_verify, second.token, _wrong(_code()), "203.0.113.67", clock.at())
    clock.now += 5
    assert _refusal(_verify, first.token, _code(), OWNER, clock.at()).code == "error.code_strong_needed"
    owner = _start(sender, NEW_PLACE, now=clock.at())
    assert owner.strong and not owner.reused and _sms_count() == 6
    assert _verify(owner.token, _code(), NEW_PLACE, clock.at()) == _voter_id()


def test_a_resend_texts_the_same_code_so_a_stranger_cannot_change_the_code_the_owner_reads(monkeypatch, sender):
    """A2: a stranger offered the owner's open login asked for a resend, and the new SMS carried a new
    code, so the code the owner was typing was wrong. A code is derived from its challenge: the resend
    texts the same one."""
    clock = Clock(monkeypatch)
    owner = _start(sender, OWNER, now=clock.at())
    code = _code()
    offered = _start(sender, ATTACKER, now=clock.at())
    assert offered.reused and offered.token == owner.token
    clock.now += 61
    with session_scope() as session:
        assert not auth.resend_code(session, offered.token, sender, "ru", now=clock.at(), client=ATTACKER).reused
    assert _sms_count() == 2 and _code() == code
    assert _verify(owner.token, code, OWNER, clock.at()) == _voter_id()


def test_the_page_names_a_strong_codes_own_end_not_the_usual_lifetime(monkeypatch, override_settings, sender):
    from remote_vote_app.state.login import LoginState
    from tests.support.states import Browser

    override_settings(login_strong_codes_after="1/day")
    first = _start(sender, ATTACKER)
    _refusal(_verify, first.token, _wrong(_code()), ATTACKER)
    browser = Browser(client_ip=OWNER)
    login = browser.state(LoginState)
    browser.call(LoginState, "start", {"pin": PIN, "document": DOC})
    assert login.step == "code" and login.code_strong and not login.code_reused
    assert login.valid_until and login.valid_until in login.code_sent_text and "5 мин" not in login.code_sent_text


def test_a_strong_code_is_resent_unchanged_and_its_sms_is_masked_outside_demo_mode(monkeypatch, override_settings,
                                                                                   sender):
    clock = Clock(monkeypatch)
    override_settings(login_strong_codes_after="1/day")
    first = _start(sender, ATTACKER, now=clock.at())
    _refusal(_verify, first.token, _wrong(_code()), ATTACKER, clock.at())
    clock.now += 61
    strong = _start(sender, OWNER, now=clock.at())
    code = _code()
    assert strong.strong and re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{5}", code)
    clock.now += 61
    with session_scope() as session:
        again = auth.resend_code(session, strong.token, sender, "ru", now=clock.at(), client=OWNER)
    assert not again.reused and _code() == code and _sms_count() == 3  # the SMS the owner reads stays right
    clock.now += 61
    with session_scope() as session:  # one resend of a strong code: its SMS pass the phone's cap
        assert _refusal(auth.resend_code, session, strong.token, sender, "ru", clock.at(), OWNER).code == "error.resend_limit"
    assert _refusal(_verify, strong.token, "12345", OWNER, clock.at()).code == "error.code_format_strong"
    override_settings(demo_mode=False, secret_key="x" * 32)
    with session_scope() as session:
        message = session.get(OutboxMessage, sender.send(session, "sms", "+996700000000", f"Код: {code}.", sensitive=True))
        assert code not in message.body and "••••••" in message.body


def test_the_login_page_says_when_the_open_code_was_sent_in_the_voters_language(sender):
    from remote_vote_app.state.login import LoginState
    from tests.support.states import Browser

    first = _start(sender, ATTACKER)
    local = first.sent_at.astimezone(ZoneInfo("Asia/Bishkek")).strftime("%H:%M")
    until = first.expires_at.astimezone(ZoneInfo("Asia/Bishkek")).strftime("%H:%M")
    for lang, words in (("en", "already sent"), ("ru", "уже отправлен"), ("ky", "жөнөтүлгөн")):
        browser = Browser(client_ip=OWNER)
        login = browser.state(LoginState)
        login.lang = lang
        browser.call(LoginState, "start", {"pin": PIN, "document": DOC})
        assert login.step == "code" and login.code_reused
        assert words in login.code_sent_text and local in login.code_sent_text and until in login.code_sent_text
    assert _sms_count() == 1
    browser.call(LoginState, "verify", {"code": _code()})
    assert browser.cookies  # the owner is in, with the code sent before


def test_two_requests_with_the_right_code_at_once_log_in_once(sender, monkeypatch):
    """Single use is a conditional UPDATE: both requests read the open code before either writes."""
    challenge = _start(sender, OWNER)
    code = _code()
    barrier = threading.Barrier(2, timeout=10)
    real_open = auth._open_login

    def open_then_wait(*args, **kwargs):
        found = real_open(*args, **kwargs)
        barrier.wait()  # neither marks the code used before both have found it open
        return found

    monkeypatch.setattr(auth, "_open_login", open_then_wait)
    results: list[object] = []

    def worker():
        try:
            results.append(_verify(challenge.token, code, OWNER))
        except ServiceError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not barrier.broken
    assert len(results) == 2 and results.count("error.code_expired") == 1
    assert [r for r in results if r != "error.code_expired"] == [_voter_id()]


def test_a_login_frees_the_phone_cap_so_the_owner_can_log_in_again_at_once(sender):
    first = _start(sender, OWNER)
    assert _verify(first.token, _code(), OWNER)
    again = _start(sender, OWNER)  # within the same minute: a new code, not "wait"
    assert not again.reused and again.token != first.token and _sms_count() == 2
    assert _verify(again.token, _code(), OWNER)


def test_wrong_step_up_codes_never_close_the_owners_sms_login(monkeypatch, override_settings, sender):
    """A FaceID session won with a public photo guesses step-up codes: their failures have a ceiling
    of their own, and the owner's SMS login stays open."""
    clock = Clock(monkeypatch)
    override_settings(login_account_ceiling="3/day")  # both code ceilings, reached within the test
    with session_scope() as session:
        challenge = auth.send_code(session, _voter_id(), "step_up", sender, "ru", now=clock.at())
    code = _code()
    for i in range(5):
        with pytest.raises(ServiceError):
            with session_scope() as session:
                auth.verify_code(session, challenge.token, _wrong(code), f"203.0.113.{i}", clock.at(),
                                 purpose="step_up", voter_id=_voter_id())
    clock.now += 120
    owner = _start(sender, OWNER, now=clock.at())
    assert _verify(owner.token, _code(), OWNER, clock.at()) == _voter_id()


def test_repeated_step_up_requests_reuse_the_open_code_and_text_it_at_most_three_times_more(monkeypatch, sender):
    """A session asking for the step-up code again and again: the open code is the answer, with
    the time it was sent; a new SMS only a minute after the last, and at most CODE_MAX_RESENDS."""
    clock = Clock(monkeypatch)
    with session_scope() as session:
        first = auth.send_code(session, _voter_id(), "step_up", sender, "ru", now=clock.at())
    answers = []
    for _ in range(40):  # every 15 seconds while the first code lives
        clock.now += 15
        if clock.at() >= first.expires_at:
            break
        with session_scope() as session:
            answers.append(auth.send_code(session, _voter_id(), "step_up", sender, "ru", now=clock.at()))
    assert all(a.token == first.token for a in answers)
    assert _sms_count() == 1 + 3 and sum(not a.reused for a in answers) == 3
    assert all(a.sent_at < clock.at() for a in answers if a.reused)
    with session_scope() as session:  # the last SMS's code is the one that works
        auth.verify_code(session, first.token, _code(), OWNER, clock.at(), purpose="step_up", voter_id=_voter_id())



# --- a trusted browser (device cookie, OWASP "Blocking Brute Force Attacks") logs in on its own budget ---

NEW_PLACE = "192.0.2.44"  # the owner's laptop on another network (a café): the cookie counts, not the address


def _device_of(voter_id: int, now: dt.datetime, method: str = "sms", client: str = OWNER) -> str:
    """The device cookie a browser gets at its login's ticket exchange (what /auth/session sets), or ""."""
    with session_scope() as session:
        started = sessions.start(session, "voter", voter_id, method, client, now=now)
        done = sessions.exchange(session, started.ticket, started.binding, now=now)
    return done.device.token if done.device is not None else ""


def _device_failures(since: int) -> list[AuditEvent]:
    with Session(get_engine()) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "auth.sms.failure",
                                                     AuditEvent.details.contains('"device"'))).all()


def test_a_trusted_browser_gets_a_code_of_its_own_that_no_stranger_is_offered_or_can_use(monkeypatch, sender):
    """While strangers with PIN + document poll for the PIN's open code, the browser in which the
    owner logged in before (device cookie) gets a short code of its own at once: no other browser is
    offered it, its token is useless without the cookie, and nothing the strangers do counts on it."""
    clock, since = Clock(monkeypatch), _last_audit_id()
    first = _start(sender, OWNER, now=clock.at())
    assert _verify(first.token, _code(), OWNER, clock.at()) == _voter_id()
    device = _device_of(_voter_id(), clock.at())
    clock.now += 3600
    _burn_to_the_ceiling(sender, clock)
    offered = set()
    for step in range(40):  # every 20 seconds a fresh client starts a login and tries the code it is offered
        attacker = f"198.18.{step}.1"
        try:
            challenge = _start(sender, attacker, now=clock.at())
        except ServiceError as exc:  # the owner's login ended the open code; the next is 14 minutes on
            assert exc.code == "error.code_wait" and step > 20
            clock.now += 20
            continue
        offered.add(challenge.token)
        assert challenge.strong
        assert _refusal(_verify, challenge.token, f"{step:013d}", attacker, clock.at()).code == "error.code_wrong_strong"
        if step == 20:
            assert len(offered) == 1  # one strong code for everyone, no new SMS
            mine = _start(sender, NEW_PLACE, now=clock.at(), device=device)
            code = _code()
            assert not mine.reused and not mine.strong and mine.token not in offered
            # The attacker is not offered the owner's code, and cannot use its token without the cookie.
            assert _start(sender, "198.18.99.1", DOC, clock.at()).token in offered
            assert _refusal(_verify, mine.token, _wrong(code), "198.18.99.2", clock.at()).code == "error.code_expired"
            assert _verify(mine.token, code, NEW_PLACE, clock.at(), device=device) == _voter_id()
        clock.now += 20
    assert not _device_failures(since)
    with Session(get_engine()) as session:
        success = session.exec(select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "auth.sms.success")
                               .order_by(AuditEvent.id.desc())).first()
    assert '"device": ' in success.details and device not in success.details  # audited, the cookie never


def test_a_forged_foreign_expired_or_revoked_device_cookie_gets_no_budget(monkeypatch, sender):
    clock = Clock(monkeypatch)
    voter_id = _voter_id()
    good = _device_of(voter_id, clock.at())
    foreign = _device_of(_voter_id(DEMO_VOTERS[1][0]), clock.at())  # another voter's trusted browser
    expired = _device_of(voter_id, clock.at() - devices.lifetime() - dt.timedelta(minutes=1))
    assert _device_of(voter_id, clock.at(), method="face") == ""  # a FaceID (or QR) login trusts no browser
    _burn_to_the_ceiling(sender, clock)
    attacker = _start(sender, ATTACKER, now=clock.at())
    for cookie in ("", "forged-" + good[7:], good[:-2], foreign, expired):  # a stranger's start: the open code
        assert _start(sender, OWNER, DOC, clock.at(), cookie).token == attacker.token
    mine = _start(sender, OWNER, now=clock.at(), device=good)
    code = _code()
    assert not mine.reused
    for cookie in ("", foreign, expired):  # the device's code needs the device's cookie
        assert _refusal(_verify, mine.token, code, OWNER, clock.at(), cookie).code == "error.code_expired"
    with session_scope() as session:
        assert devices.revoke_all(session, voter_id, now=clock.at()) == 1  # the live one
    assert _refusal(_verify, mine.token, code, OWNER, clock.at(), good).code == "error.code_expired"
    clock.now += 61
    assert _start(sender, OWNER, DOC, clock.at(), good).token == attacker.token


def test_a_stolen_device_cookie_gets_three_tries_per_code_and_ten_wrong_codes_a_day(monkeypatch, sender):
    """The device's budget is bounded: a thief with PIN, document and the owner's device cookie
    guessing for a whole day gets at most DEVICE_GUARDED_TRIES wrong tries per code and
    LOGIN_DEVICE_CEILING (10) wrong codes in all on it, each audited; then the cookie gets no budget
    and his guesses are a stranger's, against strong codes."""
    clock, since, first_code = Clock(monkeypatch), _last_audit_id(), _last_code_id()
    stolen = _device_of(_voter_id(), clock.at())
    begun, step = clock.now, 0
    _burn_to_the_ceiling(sender, clock)
    while clock.now < begun + 24 * 3600:
        thief = f"198.19.{step % 250}.{step // 250 + 1}"
        try:
            challenge = _start(sender, thief, now=clock.at(), device=stolen)
        except ServiceError as exc:
            assert exc.code == "error.code_wait"
        else:
            for j in range(5):
                with pytest.raises(ServiceError):
                    _verify(challenge.token, f"{step % 1000:03d}{j:03d}", thief, clock.at(), device=stolen)
        step += 1
        clock.now += 300
    with Session(get_engine()) as session:
        on_device = session.exec(select(LoginCode).where(LoginCode.device_id != None)).all()  # noqa: E711
        lockouts = session.exec(select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "auth.sms.lockout",
                                                         AuditEvent.details.contains('"step": "device"'))).all()
    assert on_device and max(code.attempts for code in on_device) == auth.DEVICE_GUARDED_TRIES == 3
    assert len(_device_failures(since)) == 10 and len(lockouts) == 1
    assert _short_code_tries(first_code) == 5  # in 24 hours: one short code spent; every other guess met a strong code


def test_the_login_page_reads_the_device_cookie_so_the_owners_browser_gets_in_while_the_pin_is_attacked(
        monkeypatch, sender):
    """The same through LoginState, as the browser drives it: the SMS login's ticket exchange gives the
    browser its device cookie, and the next page's login reads it from its handshake's cookies."""
    from remote_vote_app.state.login import LoginState
    from tests.support.states import Browser

    clock = Clock(monkeypatch)
    clock.now = dt.datetime.now(dt.timezone.utc).timestamp()  # the page's sessions use the real clock
    monkeypatch.setattr(auth, "now_utc", clock.at)
    owner = Browser(client_ip=OWNER)
    owner.call(LoginState, "start", {"pin": PIN, "document": DOC})
    owner.call(LoginState, "verify", {"code": _code()})
    assert devices.cookie_name() in owner.cookies
    _burn_to_the_ceiling(sender, clock)
    attacker = _start(sender, ATTACKER, now=clock.at())
    stranger = Browser(client_ip=NEW_PLACE)  # a browser without the cookie: offered the open strong code
    stranger.call(LoginState, "start", {"pin": PIN, "document": DOC})
    offered = stranger.state(LoginState)
    assert offered.step == "code" and offered.code_reused and offered.code_strong and attacker.strong
    owner.client_ip = NEW_PLACE
    owner.reload()  # the owner's browser comes back another day: a new page, whose handshake has the cookie
    login = owner.state(LoginState)
    owner.call(LoginState, "start", {"pin": PIN, "document": DOC})
    assert login.step == "code" and not login.error_entries and not login.code_reused
    owner.call(LoginState, "verify", {"code": _code()})
    assert not login.error_entries and login.logged_in
