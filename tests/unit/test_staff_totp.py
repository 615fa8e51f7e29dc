"""Staff two-factor login: TOTP codes, recovery codes, enrolment, throttling that spares the victim, audit."""

import datetime as dt
import logging
import pickle
import re
import time
import uuid

import pyotp
import pytest
from sqlalchemy import func
from sqlmodel import select

from remote_vote_app import cli
from remote_vote_app.db import session_scope
from remote_vote_app.models import AuditEvent, StaffAccount, StaffRecoveryCode, UserSession
from remote_vote_app.services.identity import auth, ratelimit, sessions, staff, totp
from remote_vote_app.services.reporting import staff_records
from remote_vote_app.errors import Refusal, ServiceError
from remote_vote_app.state.staff.audit import AuditState
from remote_vote_app.state.staff.login import StaffLoginState
from remote_vote_app.state.staff.session import StaffState
from tests.support.staff import PASSWORDS, fresh_code
from tests.support.states import Browser

PASSWORD = "a-very-long-password"


def _last_audit_id(session) -> int:
    return session.exec(select(func.max(AuditEvent.id))).one() or 0


def _audit_since(session, since: int) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.id > since).order_by(AuditEvent.id)))


def _new_account(enrolled: bool = False) -> tuple[str, int, str | None, list[str]]:
    """A fresh observer account: (username, id, TOTP secret or the admin's enrolment code, recovery codes)."""
    username = f"t.{uuid.uuid4().hex[:8]}"
    with session_scope() as session:
        account = staff.create_account(session, username, "Test", PASSWORD, "observer")
        secret, codes = None, []
        if enrolled:
            enrolment, codes = staff.enrol(session, account, "system:test")
            secret = enrolment.secret.replace(" ", "")
        else:
            secret = staff.issue_enrolment_code(session, account, "system:test")
        return username, account.id, secret, codes


# --- codes ---


def test_totp_current_step_or_one_back_never_ahead_never_reused():
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    now = 1_800_000_015.0
    step = int(now // 30)
    assert totp.matching_counter(secret, app.at(now), None, at=now) == step
    assert totp.matching_counter(secret, app.at(now), step, at=now) is None  # reused within its step
    assert totp.matching_counter(secret, app.at(now - 30), None, at=now) == step - 1  # typed as its step ended
    assert totp.matching_counter(secret, app.at(now - 30), step - 1, at=now) is None  # the counter rule
    assert totp.matching_counter(secret, app.at(now - 30), step, at=now) is None  # older than the last used
    assert totp.matching_counter(secret, app.at(now + 30), None, at=now) is None  # a step ahead: never
    assert totp.matching_counter(secret, app.at(now - 60), None, at=now) is None
    assert totp.matching_counter(secret, app.at(now + 60), None, at=now) is None
    wrong = f"{(int(app.at(now)) + 1) % 1_000_000:06d}"
    assert totp.matching_counter(secret, wrong, None, at=now) is None
    assert totp.matching_counter(secret, "12345", None, at=now) is None
    assert totp.matching_counter(secret, f" {app.at(now)[:3]} {app.at(now)[3:]} ", None, at=now) == step  # spaces ok


def test_a_code_is_taken_once_even_within_its_step(session):
    code = fresh_code("observer")  # before this session reads the account
    step = staff.authenticate(session, "observer", PASSWORDS["observer"], "10.2.0.1")
    assert staff.second_factor(session, step.staff_id, code, "10.2.0.1").role == "observer"
    session.commit()
    with pytest.raises(ServiceError, match="error.staff_code"):
        staff.second_factor(session, step.staff_id, code, "10.2.0.1")


def test_the_used_step_is_taken_by_a_conditional_update(session):
    """The counter rule in the database: a step is taken only if newer than the last used one."""
    _username, staff_id, _secret, _codes = _new_account(enrolled=True)
    account = session.get(StaffAccount, staff_id)
    assert staff._take_counter(session, account, 100)
    assert not staff._take_counter(session, account, 100)  # the same step again
    assert not staff._take_counter(session, account, 99)  # an older step
    assert staff._take_counter(session, account, 101)


def test_one_code_sent_twice_at_once_logs_in_once(monkeypatch):
    """Two requests with one code race: the step is taken once (the in-memory check alone would let both in)."""
    import threading

    _username, staff_id, secret, _codes = _new_account(enrolled=True)
    code = pyotp.TOTP(secret).now()
    real = totp.matching_counter
    barrier = threading.Barrier(2)

    def both_read_first(*args, **kwargs):
        found = real(*args, **kwargs)
        barrier.wait(timeout=10)  # both requests have read the account before either writes
        return found

    monkeypatch.setattr(totp, "matching_counter", both_read_first)
    results = []

    def attempt(client):
        try:
            with session_scope() as s:
                results.append(staff.second_factor(s, staff_id, code, client))
        except Exception as exc:  # noqa: BLE001 (a refusal or a lost write race)
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(f"10.2.9.{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if isinstance(r, staff.StaffUser)]) == 1, results


def test_recovery_codes_are_hashed_work_once_and_are_audited(session):
    username, staff_id, _secret, codes = _new_account(enrolled=True)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = {row.code_hash for row in session.exec(select(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id))}
    assert len(stored) == 10 and not stored & ({c.replace("-", "") for c in codes} | set(codes))
    since = _last_audit_id(session)
    assert staff.second_factor(session, staff_id, codes[3].lower(), "10.2.0.2").username == username
    session.commit()
    with pytest.raises(ServiceError, match="error.staff_code"):
        staff.second_factor(session, staff_id, codes[3], "10.2.0.2")
    rows = _audit_since(session, since)
    assert [r.action for r in rows] == ["auth.staff.recovery_code_used", "auth.staff.success", "auth.staff.totp_failure"]
    assert all(r.entity == "auth" and r.entity_id == f"staff:{staff_id}" for r in rows)
    assert '"left": 9' in rows[0].details and '"client": "10.2.0.2"' in rows[0].details


# --- enrolment ---


def test_first_login_enrols_with_a_qr_code_shown_once_and_a_confirming_code(session, caplog):
    username, staff_id, enrolment_code, _ = _new_account()
    browser = Browser()
    login = browser.state(StaffLoginState)
    caplog.set_level(logging.DEBUG)
    since = _last_audit_id(session)
    browser.call(StaffLoginState, "login", {"username": username, "password": PASSWORD})
    assert login.step == "enrol_code" and login.enrol_uri == login.enrol_secret == ""  # the password shows no secret
    browser.call(StaffLoginState, "submit_enrolment_code", {"code": enrolment_code.lower().replace("-", " ")})
    assert login.step == "enrol" and login.enrol_uri.startswith("otpauth://totp/")
    secret = login.enrol_secret.replace(" ", "")
    stored = session.get(StaffAccount, staff_id)
    assert stored.totp_secret and secret not in stored.totp_secret and stored.totp_enrolled_at is None
    assert browser.state(StaffState)._staff_id == 0  # not usable before a code confirms the app
    assert browser.call(StaffLoginState, "submit_code", {"code": pyotp.TOTP(secret).now()}) is None  # wrong step

    browser.call(StaffLoginState, "confirm_enrolment", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert login.error_entries["code"]["key"] == "error.staff_code" and browser.state(StaffState)._staff_id == 0

    browser.call(StaffLoginState, "confirm_enrolment", {"code": pyotp.TOTP(secret).now()})
    assert login.step == "recovery_codes" and len(login.recovery_codes) == 10
    assert login.enrol_uri == login.enrol_secret == ""
    assert browser.state(StaffState)._staff_id == 0  # the session starts once the codes are noted down
    result = browser.call(StaffLoginState, "finish")
    assert "/staff" in repr(result) and login.recovery_codes == [] and login._pending_staff_id == 0
    assert browser.state(StaffState)._staff_id == staff_id and sessions.COOKIE["staff"] in browser.cookies

    actions = [r.action for r in _audit_since(session, since)]
    assert actions == ["auth.staff.totp_failure", "auth.staff.totp_enrolled", "auth.staff.success",
                       "auth.staff.session_started"]
    assert secret not in caplog.text and PASSWORD not in caplog.text and enrolment_code not in caplog.text
    # The next login asks for a code, not a new QR code.
    browser2 = Browser()
    browser2.call(StaffLoginState, "login", {"username": username, "password": PASSWORD})
    assert browser2.state(StaffLoginState).step == "code" and browser2.state(StaffLoginState).enrol_uri == ""


def test_enrolment_uri_names_the_issuer_and_the_account():
    enrolment = totp.enrolment(totp.new_secret(), "tec.osh")
    assert enrolment.uri.startswith("otpauth://totp/CEC%20KR%20remote%20voting:tec.osh?")
    assert "issuer=CEC%20KR%20remote%20voting" in enrolment.uri


def test_the_login_state_keeps_no_password_or_secret(session):
    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": "cec.admin", "password": PASSWORDS["cec.admin"]})
    login = browser.state(StaffLoginState)
    assert login.step == "code" and login._pending_staff_id > 0 and login._pending_until > time.time()
    assert PASSWORDS["cec.admin"].encode() not in pickle.dumps(browser.root)  # what a state manager would store
    browser.call(StaffLoginState, "submit_code", {"code": fresh_code("cec.admin")})
    assert browser.state(StaffState)._staff_id > 0
    assert login.step == "password" and login._pending_staff_id == 0 and login._pending_until == 0.0


def test_the_code_step_expires(session):
    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": "observer", "password": PASSWORDS["observer"]})
    browser.state(StaffLoginState)._pending_until = time.time() - 1
    browser.call(StaffLoginState, "submit_code", {"code": fresh_code("observer")})
    login = browser.state(StaffLoginState)
    assert login.error_entries["form"]["key"] == "error.staff_step_expired" and login.step == "password"
    assert browser.state(StaffState)._staff_id == 0


def test_cli_reset_totp_ends_the_sessions_and_the_account_enrols_again_with_a_one_time_code(session, capsys):
    username, staff_id, _, _ = _new_account(enrolled=True)
    with session_scope() as s:
        live = sessions.start(s, "staff", staff_id, "password_totp", "10.2.0.3")  # the lost phone's holder
        sid = sessions.exchange(s, live.ticket, live.binding).sid
    assert cli.main(["reset-totp", username]) == 0
    out = capsys.readouterr().out
    code = re.search(r"enrolment code: (\S+)", out).group(1)
    session.expire_all()
    assert sessions.by_cookie(session, "staff", sid) is None  # the reset ended the session
    assert session.get(UserSession, live.row_id).end_reason == "totp_reset"
    assert session.exec(select(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id)).all() == []
    account = session.get(StaffAccount, staff_id)
    assert account.enrolment_code_hash and code not in account.enrolment_code_hash  # only its hash is kept
    step = staff.authenticate(session, username, PASSWORD, "10.2.0.3")
    assert not step.enrolled
    with pytest.raises(ServiceError, match="error.staff_enrolment_code"):  # the password alone shows no secret
        staff.start_enrolment(session, step.staff_id, "ABCD-EFGH-JKLM", "10.2.0.3")
    assert staff.start_enrolment(session, step.staff_id, code, "10.2.0.3").uri.startswith("otpauth://")
    session.commit()
    with pytest.raises(ServiceError, match="error.staff_enrolment_code"):  # single use
        staff.start_enrolment(session, step.staff_id, code, "10.2.0.3")
    assert cli.main(["reset-totp", "nobody.here"]) == 2


def test_an_enrolment_code_expires_and_a_new_one_voids_the_old(session):
    _username, staff_id, first, _ = _new_account()
    account = session.get(StaffAccount, staff_id)
    later = staff.ENROLMENT_CODE_TTL + dt.timedelta(seconds=1)
    with pytest.raises(ServiceError, match="error.staff_enrolment_code"):
        staff.start_enrolment(session, staff_id, first, "10.2.0.4", now=staff.now_utc() + later)
    second = staff.issue_enrolment_code(session, account, "system:test")
    session.commit()
    with pytest.raises(ServiceError, match="error.staff_enrolment_code"):
        staff.start_enrolment(session, staff_id, first, "10.2.0.4")
    assert staff.start_enrolment(session, staff_id, second, "10.2.0.4").secret


def test_an_enrolment_code_is_spent_once_under_concurrency():
    import threading

    _username, staff_id, code, _ = _new_account()
    barrier, results = threading.Barrier(3), []

    def attempt(client):
        barrier.wait(timeout=10)
        try:
            with session_scope() as s:
                results.append(staff.start_enrolment(s, staff_id, code, client))
        except Exception as exc:  # noqa: BLE001 (a refusal or a lost write race)
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(f"10.2.8.{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if isinstance(r, totp.Enrolment)]) == 1, results


# --- throttling: the attacker, not the victim ---


def test_attacker_client_is_throttled_while_the_real_user_logs_in_from_another(session):
    attacker, office = "203.0.113.9", "10.20.30.40"
    since = _last_audit_id(session)
    refusals = []
    for _ in range(6):
        with pytest.raises(ServiceError) as info:
            staff.authenticate(session, "tec.bishkek", "guess-guess-guess", attacker)
        refusals.append(info.value.code)
    assert refusals == ["error.staff_login"] * 5 + ["error.too_many_attempts"]
    with pytest.raises(ServiceError, match="error.too_many_attempts"):  # even the right password, from there
        staff.authenticate(session, "tec.bishkek", PASSWORDS["tec.bishkek"], attacker)
    session.commit()  # the refusals' audit rows, as the page's session scope commits a Refusal

    code = fresh_code("tec.bishkek")
    session.expire_all()  # the account row was reset in another session
    step = staff.authenticate(session, "tec.bishkek", PASSWORDS["tec.bishkek"], office)
    assert staff.second_factor(session, step.staff_id, code, office).username == "tec.bishkek"
    session.commit()

    rows = _audit_since(session, since)
    assert [r.action for r in rows].count("auth.staff.lockout") == 1
    failures = [r for r in rows if r.action == "auth.staff.password_failure"]
    assert len(failures) == 7 and all(r.entity_id == f"staff:{step.staff_id}" for r in failures)
    assert all(f'"client": "{attacker}"' in r.details for r in failures)
    assert '"reason": "throttled"' in failures[-1].details
    assert rows[-1].action == "auth.staff.success" and f'"client": "{office}"' in rows[-1].details


def test_wrong_codes_count_too(session):
    client = "203.0.113.10"
    right = fresh_code("observer")
    step = staff.authenticate(session, "observer", PASSWORDS["observer"], client)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    since = _last_audit_id(session)
    for _ in range(5):
        with pytest.raises(ServiceError, match="error.staff_code"):
            staff.second_factor(session, step.staff_id, wrong, client)
    with pytest.raises(ServiceError, match="error.too_many_attempts"):
        staff.second_factor(session, step.staff_id, right, client)
    actions = [r.action for r in _audit_since(session, since)]
    assert actions.count("auth.staff.totp_failure") == 6 and actions.count("auth.staff.lockout") == 1


def test_unknown_user_and_wrong_password_one_answer_same_work_audited_without_names(session, monkeypatch):
    verified = []

    class CountingHasher:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hashed, password):
            verified.append(hashed)
            return real.verify(hashed, password)

    real = staff._hasher
    monkeypatch.setattr(staff, "_hasher", CountingHasher())
    since = _last_audit_id(session)
    wrong = pytest.raises(ServiceError, staff.authenticate, session, "cec.admin", "secret-guess-1", "10.3.0.1").value
    unknown = pytest.raises(ServiceError, staff.authenticate, session, "Ghost.User", "secret-guess-2", "10.3.0.1").value
    assert wrong.code == unknown.code == "error.staff_login" and len(verified) == 2  # argon2 ran both times
    admin_id = session.exec(select(StaffAccount.id).where(StaffAccount.username == "cec.admin")).one()
    rows = _audit_since(session, since)
    assert [(r.action, r.entity_id) for r in rows] == [
        ("auth.staff.password_failure", f"staff:{admin_id}"),
        ("auth.staff.password_failure", ratelimit.key("staff:ghost.user")[:16]),
    ]
    for row in rows:
        text = f"{row.actor} {row.entity_id} {row.details}"
        assert "ghost" not in text.lower() and "cec.admin" not in text and "secret-guess" not in text


# --- the audit page ---


def test_audit_filter_shows_authentication_events_with_readable_names(session):
    code = fresh_code("observer")
    staff.second_factor(session, staff.authenticate(session, "observer", PASSWORDS["observer"], "10.4.0.1").staff_id,
                        code, "10.4.0.1")
    session.commit()
    admin = staff.reload(session, session.exec(select(StaffAccount.id).where(StaffAccount.username == "cec.admin")).one())
    rows, total = staff_records.audit_log(session, admin, auth="auth.staff.")
    assert total > 0 and all(r["action"].startswith("auth.staff.") and r["entity"] == "auth" for r in rows)
    rows, _ = staff_records.audit_log(session, admin, auth="auth.staff.success")
    assert {r["action"] for r in rows} == {"auth.staff.success"}
    _, everything = staff_records.audit_log(session, admin)
    assert staff_records.audit_log(session, admin, auth="not-a-filter")[1] == everything

    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": "cec.admin", "password": PASSWORDS["cec.admin"]})
    browser.call(StaffLoginState, "submit_code", {"code": fresh_code("cec.admin")})
    browser.call(AuditState, "search", {"auth": "auth.staff.success"})
    audit_state = browser.state(AuditState)
    assert audit_state.rows and {r["action_text"] for r in audit_state.rows} == {"Сотрудник вошёл"}
    assert {o["value"] for o in audit_state.auth_options} == set(staff_records.AUTH_FILTERS)


def _small_ceiling(override_settings, per_day: int = 10) -> None:
    """The default ceiling (100/day, checked below) takes 100 argon2 runs to reach; a smaller one
    shows the same rule faster."""
    override_settings(login_account_ceiling=f"{per_day}/day")


def test_the_per_account_ceilings_stay_within_nist_100_a_day():
    for throttle in (staff.throttle, staff.code_throttle, auth.CODE_THROTTLE):
        assert throttle.ceiling_item().amount <= 100 and throttle.ceiling_item().get_expiry() >= 24 * 3600
    assert not staff.throttle.ceiling_locks  # the password ceiling asks for the code, it locks nobody


def test_distributed_password_guesses_never_lock_the_member_out(session, override_settings):
    """The attack of issue 20: ~210 wrong passwords from many addresses locked a commission member
    out for 24 h, right password and TOTP included. Past the ceiling the password alone gets no
    answer; password + code together still log in, from any address."""
    _small_ceiling(override_settings)
    since = _last_audit_id(session)
    for i in range(10):
        with pytest.raises(Refusal, match="error.staff_login"):  # a Refusal: the page's scope commits its audit
            staff.authenticate(session, "tec.bishkek", f"guess-guess-{i}", f"203.0.{i // 5}.9")
        session.commit()
    office = "10.20.30.41"
    # Taken first: fresh_code writes through a session of its own, which would wait for this one's
    # uncommitted audit row (SQLite has one writer).
    code = fresh_code("tec.bishkek")
    # The right password alone is not even checked now (a guess past the ceiling learns nothing).
    with pytest.raises(ServiceError, match="error.staff_code_first"):
        staff.authenticate(session, "tec.bishkek", PASSWORDS["tec.bishkek"], office)
    user = staff.authenticate_with_code(session, "tec.bishkek", PASSWORDS["tec.bishkek"], code, office)
    assert user.username == "tec.bishkek"
    session.commit()
    actions = [r.action for r in _audit_since(session, since)]
    assert actions.count("auth.staff.code_first") == 1 and actions[-1] == "auth.staff.success"


def test_past_the_ceiling_a_guess_needs_the_code_too_and_says_nothing_of_the_password(session, override_settings):
    _small_ceiling(override_settings)
    for i in range(10):
        with pytest.raises(Refusal):
            staff.authenticate(session, "observer", f"guess-guess-{i}", f"203.0.{i // 5}.10")
        session.commit()  # as the page's session scope does with a Refusal
    right = fresh_code("observer")
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    answers = set()
    for password, code in (("guess-guess-x", right), (PASSWORDS["observer"], wrong), ("guess-guess-y", wrong)):
        with pytest.raises(ServiceError) as info:
            staff.authenticate_with_code(session, "observer", password, code, "203.0.99.1")
        answers.add(info.value.code)
    assert answers == {"error.staff_login_code"}
    for i in range(10):  # an unknown name behaves alike
        with pytest.raises(ServiceError):
            staff.authenticate(session, "nobody.at.all", f"guess-guess-{i}", f"203.1.{i // 5}.10")
    with pytest.raises(ServiceError, match="error.staff_code_first"):
        staff.authenticate(session, "nobody.at.all", "guess-guess-z", "203.0.99.2")


def test_wrong_codes_after_the_right_password_stop_at_the_ceiling(session, override_settings):
    """Whoever holds the password cannot guess codes without end from many addresses either."""
    _small_ceiling(override_settings, per_day=10)
    right = fresh_code("observer")
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for i in range(10):
        step = staff.authenticate(session, "observer", PASSWORDS["observer"], f"203.2.{i}.1")
        with pytest.raises(ServiceError, match="error.staff_code"):
            staff.second_factor(session, step.staff_id, wrong, f"203.2.{i}.1")
    with pytest.raises(ServiceError, match="error.too_many_attempts"):
        staff.authenticate_with_code(session, "observer", PASSWORDS["observer"], right, "203.2.99.1")
    # The same answer with a wrong password, so the lock tells a guesser nothing about the password.
    with pytest.raises(ServiceError, match="error.too_many_attempts"):
        staff.authenticate_with_code(session, "observer", "guess-guess-q", right, "203.2.99.2")


def test_the_login_form_asks_for_the_code_with_the_password_past_the_ceiling(session, override_settings):
    _small_ceiling(override_settings)
    for i in range(10):
        with pytest.raises(Refusal):
            staff.authenticate(session, "cec.admin", f"guess-guess-{i}", f"203.3.{i // 5}.1")
        session.commit()  # as the page's session scope does with a Refusal
    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": "cec.admin", "password": PASSWORDS["cec.admin"]})
    login = browser.state(StaffLoginState)
    assert login.code_first and login.step == "password"
    assert login.error_entries["form"]["key"] == "error.staff_code_first"
    browser.call(StaffLoginState, "login", {"username": "cec.admin", "password": PASSWORDS["cec.admin"],
                                            "code": fresh_code("cec.admin")})
    assert browser.state(StaffState)._staff_id > 0


def test_a_hidden_code_field_sent_as_null_is_no_code(session):
    """The browser sends every field the form knows, a hidden one as null: that is the password step."""
    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": "observer", "password": PASSWORDS["observer"], "code": None})
    assert browser.state(StaffLoginState).step == "code", browser.state(StaffLoginState).error_entries


def test_a_refused_login_is_audited_in_the_callers_transaction_even_while_it_holds_a_write():
    """One way to record a refused attempt: the Refusal commits the caller's transaction. The audit
    used to open a second connection, which on SQLite waited for the caller's own write lock."""
    from remote_vote_app.db import session_scope
    from remote_vote_app.services import audit

    with session_scope() as s:
        since = _last_audit_id(s)
    with pytest.raises(Refusal, match="error.staff_login"):
        with session_scope() as s:
            audit.record(s, "system:test", "test.pending_write", "test", 1)  # the caller holds a write
            staff.authenticate(s, "observer", "guess-guess-held", "203.9.9.9")
    with session_scope() as s:
        actions = [r.action for r in _audit_since(s, since)]
    assert actions == ["test.pending_write", "auth.staff.password_failure"]
