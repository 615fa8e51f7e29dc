"""Drive the voter State handlers as the browser would, with any arguments, outside the browser.

Each test builds independent Reflex sessions (root states); handler functions are called exactly as
the event processor calls them. A session must never read, change or withdraw another voter's
application, and an anonymous session gets nothing but a redirect to /login.
"""

import datetime as dt
import importlib
import inspect
import pkgutil
import re

import pytest
from sqlmodel import select

from remote_vote_app.models import Application, LoginCode, Precinct, QrLogin, UserSession
from remote_vote_app.services.identity import qrlogin, sessions
from remote_vote_app.demo.seed import DEMO_VOTERS
from remote_vote_app.state.app import AppState
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState
from remote_vote_app.state.login import LoginState
from remote_vote_app.state import qr as qr_state
from remote_vote_app.state.qr import QrDesktopState, QrPhoneState
from remote_vote_app.state.staff.session import StaffState
from tests.support.states import Browser, run as _run
from tests.unit.conftest import outbox
from tests.support.codes import code_in

VOTER_STATES = [ApplyState, CabinetState]
PUBLIC_HANDLERS = {"set_lang", "sync_html_lang", "logout"}


def _redirect_target(result) -> str:
    text = repr(result)
    match = re.search(r"/login|/cabinet|/apply/check|/apply|/confirmation", text)
    return match.group(0) if match else ""


def login(session, browser: Browser, demo_index: int) -> None:
    pin, doc, *_ = DEMO_VOTERS[demo_index]
    browser.call(LoginState, "start", {"pin": pin, "document": doc})
    code = code_in(outbox(session)[-1].body)
    result = browser.call(LoginState, "verify", {"code": code})
    assert _redirect_target(result) == "/cabinet"


def apply(session, browser: Browser) -> str:
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-03")).one()
    browser.call(ApplyState, "load")
    election_id = browser.state(ApplyState).election_id
    result = browser.call(ApplyState, "review_answers", {"election": election_id, "precinct": str(precinct.id),
                                                         "email": "a@example.kg", "phone": "0700123456", "consent": "on"})
    assert _redirect_target(result) == "/apply/check", browser.state(ApplyState).error_entries
    assert _redirect_target(browser.call(ApplyState, "confirm")) == "/confirmation"
    return browser.state(ApplyState).confirmation["reference"]


@pytest.fixture
def two_voters(session):
    alice, bob = Browser(), Browser()
    login(session, alice, 0)
    login(session, bob, 1)
    reference = apply(session, alice)
    session.expire_all()
    return alice, bob, reference


def _status(session, reference):
    session.expire_all()
    return session.exec(select(Application).where(Application.reference == reference)).one()


def test_voter_sees_only_own_applications(session, two_voters):
    alice, bob, reference = two_voters
    alice.call(CabinetState, "load")
    bob.call(CabinetState, "load")
    assert [a["reference"] for a in alice.state(CabinetState).applications] == [reference]
    assert bob.state(CabinetState).applications == []


@pytest.mark.parametrize("argument", ["{ref}", "{ref_lower}", "{ref_bare}"])
def test_other_session_cannot_withdraw_or_open_for_change(session, two_voters, argument):
    alice, bob, reference = two_voters
    arg = argument.format(ref=reference, ref_lower=reference.lower(), ref_bare=reference.replace("-", ""))
    bob.call(CabinetState, "withdraw", arg)
    assert bob.state(CabinetState).error_entries["form"]["key"] == "error.application_not_found"
    assert _redirect_target(bob.call(ApplyState, "start_change", arg)) == ""
    assert bob.state(ApplyState).editing_reference == ""
    assert _status(session, reference).status == "submitted"


def test_other_session_cannot_change_by_forging_form_fields(session, two_voters):
    alice, bob, reference = two_voters
    alice_voter_id = _status(session, reference).voter_id
    # Bob's tab claims to edit Alice's application and sends her ids: the server ignores them.
    bob.state(ApplyState).editing_reference = reference
    bob.call(ApplyState, "review_answers", {"election": "1", "precinct": "1", "email": "evil@example.kg",
                                            "phone": "0700000000", "consent": "on", "voter_id": str(alice_voter_id)})
    assert bob.state(ApplyState).error_entries["form"]["key"] == "error.application_not_found"
    application = _status(session, reference)
    assert application.email == "a@example.kg" and application.change_count == 0


@pytest.mark.parametrize("weird", [None, 0, 12345, "", {"reference": "x"}, ["x"], "' OR 1=1 --"])
def test_garbage_arguments_change_nothing(session, two_voters, weird):
    alice, bob, reference = two_voters
    bob.call(CabinetState, "withdraw", weird)
    bob.call(ApplyState, "start_change", weird)
    assert _status(session, reference).status == "submitted"


def test_owner_can_withdraw(session, two_voters):
    alice, bob, reference = two_voters
    alice.call(CabinetState, "withdraw", reference)
    assert _status(session, reference).status == "withdrawn"


def _as_face_session(session, browser: Browser) -> None:
    """The tab's server-side session as if begun by FaceID (the service reads the row, not the tab)."""
    row = session.get(UserSession, browser.state(AppState)._session_id)
    row.method = "face"
    session.commit()


def _review(session, browser: Browser, number: str = "ДГ-03") -> None:
    precinct = session.exec(select(Precinct).where(Precinct.number == number)).one()
    browser.call(ApplyState, "load")
    state = browser.state(ApplyState)
    result = browser.call(ApplyState, "review_answers", {"election": state.election_id, "precinct": str(precinct.id),
                                                         "email": "a@example.kg", "phone": "0700123456", "consent": "on"})
    assert _redirect_target(result) == "/apply/check", state.error_entries


def _step_up_code(session) -> str:
    message = outbox(session)[-1]
    assert message.recipient == DEMO_VOTERS[0][2] and "подач" in message.body  # the step-up SMS, to the phone on file
    return code_in(message.body)


def _applications_of(session, voter_index: int) -> list:
    session.expire_all()
    from remote_vote_app.models import Voter

    voter = session.exec(select(Voter).where(Voter.pin == DEMO_VOTERS[voter_index][0])).one()
    return session.exec(select(Application).where(Application.voter_id == voter.id)).all()


def test_a_face_session_is_asked_for_the_sms_code_before_filing(session):
    """Before: only a contact change or a withdrawal asked; a FaceID session filed straight away."""
    alice = Browser()
    login(session, alice, 0)
    _as_face_session(session, alice)
    _review(session, alice)
    assert _redirect_target(alice.call(ApplyState, "confirm")) == ""
    state = alice.state(ApplyState)
    assert state.step_up_phone.endswith(DEMO_VOTERS[0][2][-3:]) and not state.error_entries
    assert _applications_of(session, 0) == []
    code = _step_up_code(session)
    alice.call(ApplyState, "confirm_with_code", {"code": "000000" if code != "000000" else "111111"})
    assert state.error_entries["code"]["key"] == "error.code_wrong" and _applications_of(session, 0) == []
    assert _redirect_target(alice.call(ApplyState, "confirm_with_code", {"code": code})) == "/confirmation"
    assert [a.reference for a in _applications_of(session, 0)] == [state.confirmation["reference"]]


def test_asking_again_for_the_step_up_sends_no_new_sms_and_names_the_time_of_the_open_code(session):
    from remote_vote_app.models import OutboxMessage

    alice = Browser()
    login(session, alice, 0)
    _as_face_session(session, alice)
    _review(session, alice)
    before = len(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all())
    for _ in range(5):
        alice.call(ApplyState, "confirm")
    state = alice.state(ApplyState)
    assert len(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()) == before + 1
    assert re.fullmatch(r"\d\d:\d\d", state.step_up_sent) and state.step_up_phone
    assert _redirect_target(alice.call(ApplyState, "confirm_with_code", {"code": _step_up_code(session)})) == "/confirmation"


def test_a_face_session_is_asked_for_the_sms_code_before_moving_or_withdrawing(session):
    alice = Browser()
    login(session, alice, 0)
    reference = apply(session, alice)  # begun by SMS: no code asked
    _as_face_session(session, alice)
    alice.call(ApplyState, "start_change", reference)
    _review(session, alice, "ДГ-01")
    assert _redirect_target(alice.call(ApplyState, "confirm")) == ""
    assert alice.state(ApplyState).step_up_phone and _status(session, reference).change_count == 0
    alice.call(CabinetState, "load")
    alice.call(CabinetState, "withdraw", reference)
    assert alice.state(CabinetState).step_up_phone and _status(session, reference).status == "submitted"
    alice.call(CabinetState, "withdraw_with_code", {"code": _step_up_code(session)})
    assert _status(session, reference).status == "withdrawn"


def test_confirm_with_code_for_a_code_never_sent_files_nothing(session):
    """The code step called straight from the browser, without a code the service sent."""
    alice = Browser()
    login(session, alice, 0)
    _as_face_session(session, alice)
    _review(session, alice)
    assert _redirect_target(alice.call(ApplyState, "confirm_with_code", {"code": "123456"})) == "/apply"
    assert _applications_of(session, 0) == []


def test_the_contact_phone_is_confirmed_with_a_code_sent_to_it(session):
    """A contact phone other than the register's gets notices only once confirmed from the cabinet."""
    bob = Browser()
    login(session, bob, 1)
    reference = apply(session, bob)  # contact phone 0700123456, not Bob's phone on file
    bob.call(CabinetState, "load")
    cabinet = bob.state(CabinetState)
    assert cabinet.applications[0]["phone_verified"] == ""
    bob.call(CabinetState, "send_phone_code", reference)
    assert cabinet.verifying_phone == reference and cabinet.verifying_masked.endswith("456")
    message = outbox(session)[-1]
    assert message.recipient == "+996700123456"
    code = code_in(message.body)
    bob.call(CabinetState, "verify_phone", {"phone-code": "000000" if code != "000000" else "111111"})
    assert cabinet.error_entries["phone-code"]["key"] == "error.code_wrong" and not cabinet.phone_verified_notice
    bob.call(CabinetState, "verify_phone", {"phone-code": code})
    assert cabinet.phone_verified_notice and cabinet.applications[0]["phone_verified"] == "1"


def _voter_handlers():
    for cls in VOTER_STATES:
        for name, handler in cls.event_handlers.items():
            if name in PUBLIC_HANDLERS or name == "setvar":
                continue
            yield cls, name, handler


@pytest.mark.parametrize("cls, name, handler", list(_voter_handlers()), ids=lambda v: getattr(v, "__name__", str(v)))
def test_anonymous_session_is_sent_to_login_by_every_voter_handler(session, cls, name, handler):
    params = [p for p in inspect.signature(handler.fn).parameters.values() if p.name != "self"]
    args = [{"reference": "x"} if "form" in p.name else "ANY-REF" for p in params]
    browser = Browser()
    before = session.exec(select(Application)).all()
    assert _redirect_target(_run(handler.fn(browser.state(cls), *args))) == "/login"
    assert session.exec(select(Application)).all() == before


@pytest.mark.parametrize("var", ["_voter_id", "voter_id", "logged_in", "editing_reference", "_draft"])
def test_generic_setvar_cannot_log_a_session_in_or_set_state(session, var):
    """Reflex adds `setvar` to every state; with no auto-setters it reaches nothing that matters."""
    browser = Browser()
    for cls in VOTER_STATES:
        with pytest.raises(AttributeError):
            cls.setvar.fn(browser.state(cls), var, 1)
    assert browser.state(AppState)._voter_id == 0
    assert _redirect_target(browser.call(CabinetState, "load")) == "/login"


def test_logout_ends_the_session_and_forgets_the_voter(session, two_voters):
    alice, bob, reference = two_voters
    alice.call(CabinetState, "load")
    assert alice.state(ApplyState).confirmation and alice.state(CabinetState).applications
    alice.call(AppState, "logout")
    assert _redirect_target(alice.call(CabinetState, "load")) == "/login"
    apply_state = alice.state(ApplyState)
    assert apply_state.confirmation == {} and apply_state.profile.get("full_name") is None
    assert apply_state._draft is None and alice.state(CabinetState).applications == []


def test_next_voter_in_the_same_tab_sees_nothing_of_the_previous_one(session, two_voters):
    alice, bob, reference = two_voters
    apply_state = alice.state(ApplyState)
    apply_state.loaded = True  # Alice left a filled form and a confirmation behind, without logging out
    login(session, alice, 2)  # someone else logs in in the same tab
    assert apply_state.confirmation == {} and apply_state._draft is None and not apply_state.loaded
    assert _redirect_target(alice.call(ApplyState, "confirm")) == "/apply"
    assert session.exec(select(Application).where(Application.voter_id != _status(session, reference).voter_id)).all() == []


def _age_session(session, browser: Browser, **delta) -> None:
    row = session.get(UserSession, browser.state(AppState)._session_id)
    row.last_seen_at -= dt.timedelta(**delta)
    session.add(row)
    session.commit()
    browser.state(AppState)._checked_until = 0.0  # as much time has passed for the tab's last check


def test_idle_session_is_ended_and_forgotten(session, two_voters):
    alice, bob, reference = two_voters
    _age_session(session, alice, minutes=16)  # 16 minutes without any action
    assert _redirect_target(alice.call(CabinetState, "load")) == "/login"
    assert alice.state(AppState)._voter_id == 0 and alice.state(AppState).notice_key == "login.session_expired"
    assert alice.state(ApplyState).confirmation == {}
    bob.call(CabinetState, "load")  # the other session is untouched
    assert bob.state(AppState)._voter_id != 0


def test_a_replayed_client_token_carries_no_authority(session, two_voters):
    """The attack: Alice's Reflex token, read from a log, used from another browser (no cookie,
    or the attacker's own session cookie). Before the fix the token alone was the session."""
    alice, bob, reference = two_voters
    attacker = Browser(client_ip="203.0.113.9")
    attacker.root = alice.root  # the same client token means the same server-side state
    assert _redirect_target(attacker.call(CabinetState, "load")) == "/login"
    assert attacker.state(CabinetState).applications == []

    alice2 = Browser()
    login(session, alice2, 0)
    mallory = Browser()
    login(session, mallory, 4)
    mallory.root = alice2.root  # Mallory's own valid cookie with Alice's token
    assert _redirect_target(mallory.call(CabinetState, "load")) == "/login"


def test_the_tab_that_logged_in_keeps_its_socket_and_only_the_cookie_carries_the_session_elsewhere(session):
    """One socket per visit: the socket that proved the login opened before the cookie existed and
    goes on without it; any other socket of the tab (a reload, a reconnect, a replayed token) needs
    the cookie the login page's POST got."""
    alice = Browser()
    alice.call(LoginState, "on_load")
    login_socket = alice.socket
    login(session, alice, 0)
    assert alice.socket == login_socket and sessions.COOKIE["voter"] in alice.cookies
    assert sessions.COOKIE["voter"] not in alice._handshake  # the socket predates the cookie
    assert _redirect_target(alice.call(CabinetState, "load")) == "" and alice.state(AppState)._voter_id

    alice.reload()  # a reload after the login: the new socket's handshake has the cookie
    alice.state(AppState)._checked_until = 0.0
    assert _redirect_target(alice.call(CabinetState, "load")) == "" and alice.state(AppState)._voter_id

    stranger = Browser()
    login(session, stranger, 1)
    stranger.cookies.pop(sessions.COOKIE["voter"])  # a socket without the cookie: the page's POST never got it
    stranger.reload()
    stranger.state(AppState)._checked_until = 0.0
    assert _redirect_target(stranger.call(CabinetState, "load")) == "/login"
    assert stranger.state(AppState)._voter_id == 0


def test_the_cookie_changes_at_every_login(session):
    tab = Browser()
    login(session, tab, 0)
    first = dict(tab.cookies)
    login(session, tab, 0)
    assert tab.cookies[sessions.COOKIE["voter"]] != first[sessions.COOKIE["voter"]]
    tab.cookies = first
    tab.reload()  # a page load with the old cookie: it is dead
    assert _redirect_target(tab.call(CabinetState, "load")) == "/login"


def test_a_stale_go_on_to_is_not_followed_after_someone_else_logs_in(session):
    tab = Browser()
    tab.call(QrPhoneState, "load")  # someone opened a QR link, read what to do, left
    assert tab.state(AppState)._next == "/qr" and tab.state(QrPhoneState).signed_in is False
    tab.state(AppState)._next_at -= 11 * 60
    pin, doc, *_ = DEMO_VOTERS[3]
    tab.call(LoginState, "start", {"pin": pin, "document": doc})
    code = code_in(outbox(session)[-1].body)
    assert _redirect_target(tab.call(LoginState, "verify", {"code": code})) == "/cabinet"
    assert tab.state(AppState)._next == ""


def test_logout_drops_pending_logins(session, two_voters):
    alice, bob, reference = two_voters
    alice.state(AppState)._go_on_to("/qr")
    alice.state(AppState)._qr_pending = "token"
    alice.call(AppState, "logout")
    assert (alice.state(AppState)._next, alice.state(AppState)._qr_pending) == ("", "")


# Every state module, so the sweep below sees every page state whatever other tests imported first.
import remote_vote_app.state as _state_package  # noqa: E402

for _module in pkgutil.walk_packages(_state_package.__path__, "remote_vote_app.state."):
    importlib.import_module(_module.name)


def _all_page_states(cls=AppState):
    for sub in sorted(cls.get_substates(), key=lambda c: c.__name__):
        yield sub
        yield from _all_page_states(sub)


def _is_voter_only(fn) -> bool:
    """Wrapped by `voter_required` (functools.wraps keeps the wrapper's own code name)."""
    return getattr(fn, "__code__", None) is not None and fn.__code__.co_qualname == "voter_required.<locals>.wrapper"


VOTER_ONLY = sorted(((cls, name, handler) for cls in _all_page_states() for name, handler in cls.event_handlers.items()
                     if _is_voter_only(handler.fn)), key=lambda item: f"{item[0].__name__}.{item[1]}")


# Voter-side handlers that run for a tab nobody is logged in to, each for a reason.
OPEN_VOTER_HANDLERS = {
    "LoginState": {"on_load", "start", "verify", "resend", "restart", "start_eid", "eid_callback"},  # the ways in
    "FaceLoginState": {"load", "set_pin", "next_move", "check_capture", "restart"},
    "QrDesktopState": {"start_qr", "wait_for_phone"},  # the desktop that is not logged in yet
    "QrPhoneState": {"load"},  # says what to do; approves nothing
    "LandingState": {"load"},  # the public landing page
    "OutboxState": {"load"},  # the demo outbox: shows nothing outside demo mode
    # The public map and statistics: reference data and published figures only.
    "PrecinctsState": {"load", "set_region", "locate", "got_position", "measure_from_town", "apply_here"},
    "StatisticsState": {"load", "choose_day", "choose_precinct"},
}


def test_the_sweep_finds_the_voter_only_handlers_of_every_state():
    names = {f"{cls.__name__}.{name}" for cls, name, _ in VOTER_ONLY}
    assert {"ApplyState.confirm", "CabinetState.withdraw", "QrPhoneState.scanned", "QrPhoneState.confirm",
            "QrPhoneState.refuse"} <= names
    # A new voter-side handler without @voter_required fails here until it is given one or a reason.
    unguarded = {f"{cls.__name__}.{name}" for cls in _all_page_states() if not issubclass(cls, StaffState)
                 for name, handler in cls.event_handlers.items()
                 if name != "setvar" and not _is_voter_only(handler.fn) and name not in OPEN_VOTER_HANDLERS.get(cls.__name__, ())}
    assert unguarded == set()


def _snapshot(session):
    session.expire_all()
    return ([(a.reference, a.status, a.email, a.phone, a.version) for a in session.exec(select(Application))],
            [(q.id, q.status, q.voter_id, q.scanned_by) for q in session.exec(select(QrLogin))],
            len(outbox(session)))


@pytest.mark.parametrize("cls, name, handler", VOTER_ONLY, ids=[f"{c.__name__}.{n}" for c, n, _ in VOTER_ONLY])
def test_anonymous_tab_is_refused_by_every_voter_only_handler(session, two_voters, cls, name, handler):
    """A tab nobody logged in to, holding a live QR link and another voter's reference, gets a redirect."""
    alice, bob, reference = two_voters
    link = qrlogin.create(session, "", client="203.0.113.7")
    session.commit()
    tab = Browser()
    tab.state(AppState)._qr_pending = link.link_id
    params = [p for p in inspect.signature(handler.fn).parameters.values() if p.name != "self"]
    live_code = qrlogin.payload("http://localhost", link.link_id)
    args = [{"reference": reference} if "form" in p.name else live_code if p.name == "text" else reference
            for p in params]
    before = _snapshot(session)
    assert _redirect_target(_run(handler.fn(tab.state(cls), *args))) == "/login"
    assert _snapshot(session) == before
    assert tab.state(AppState)._voter_id == 0


def test_a_qr_link_from_a_message_approves_nothing_and_the_desktop_gets_a_qr_session(session, two_voters,
                                                                                     monkeypatch):
    """The phone's tab: opening /qr (whatever the link carries) and approving without a camera read
    decide nothing; after the scanner hands over the desktop's live code, the approval logs the
    desktop in with a session of method `qr`, not the phone's `sms`."""
    alice, bob, reference = two_voters
    desktop = Browser(client_ip="203.0.113.7")
    desktop.call(QrDesktopState, "start_qr")
    shown = desktop.state(QrDesktopState).qr_value
    assert shown.startswith("http://localhost/qr#") and desktop.state(QrDesktopState).qr_status == "pending"
    link_id = qrlogin.parse(shown)[0]
    alice.call(QrPhoneState, "load")
    phone = alice.state(QrPhoneState)
    assert phone.signed_in and phone.request == {}
    alice.call(QrPhoneState, "confirm")
    assert phone.error_entries["form"]["key"] == "error.qr_scan_first" and phone.outcome == ""
    alice.state(AppState)._qr_pending = link_id  # even holding the link id: no camera read, no approval
    alice.call(QrPhoneState, "confirm")
    assert phone.error_entries["form"]["key"] == "error.qr_scan_first" and phone.outcome == ""
    session.expire_all()
    row = session.exec(select(QrLogin).where(QrLogin.link_hash == qrlogin._hash(link_id))).one()
    assert (row.status, row.scanned_by) == ("pending", None)

    alice.call(QrPhoneState, "scanned", shown)
    assert phone.request["client"] == "203.0.113.7" and phone.request["same_network"] == ""
    alice.call(QrPhoneState, "confirm")
    assert phone.outcome == "confirmed" and phone.request == {}

    monkeypatch.setattr(qr_state, "POLL_SECONDS", 0)

    async def drive(updates):
        return [update async for update in updates]

    desktop._sync_router()
    updates = _run(drive(QrDesktopState.wait_for_phone.fn(desktop.state(QrDesktopState))))
    desktop.follow(updates[-1])
    assert desktop.state(AppState)._voter_id == alice.state(AppState)._voter_id
    session.expire_all()
    started = session.exec(select(UserSession).where(UserSession.client == "203.0.113.7")
                           .order_by(UserSession.id.desc())).first()
    assert (started.subject_id, started.method) == (alice.state(AppState)._voter_id, "qr")
    assert alice.state(AppState)._method == "sms"


def test_two_tabs_changing_one_application_the_second_is_told_it_changed_elsewhere(session):
    """Both tabs open the change form at the same version; the first save wins, the second is
    refused with "changed elsewhere" instead of silently overwriting it (before: last write won)."""
    first, second = Browser(), Browser()
    login(session, first, 0)
    reference = apply(session, first)
    second.cookies = dict(first.cookies)  # the same browser, another tab
    precincts = {p.number: str(p.id) for p in session.exec(select(Precinct).where(Precinct.kind == "remote"))}
    for tab, number in ((first, "ДГ-01"), (second, "ДГ-02")):
        assert _redirect_target(tab.call(ApplyState, "start_change", reference)) == "/apply"
    for tab, number in ((first, "ДГ-01"), (second, "ДГ-02")):
        state = tab.state(ApplyState)
        tab.call(ApplyState, "review_answers", {"election": state.election_id, "precinct": precincts[number],
                                                "email": "a@example.kg", "phone": "0700123456", "consent": "on"})
    assert _redirect_target(first.call(ApplyState, "confirm")) == "/confirmation"
    second.call(ApplyState, "confirm")
    assert second.state(ApplyState).error_entries["form"]["key"] == "error.application_conflict"
    assert _status(session, reference).remote_precinct_id == int(precincts["ДГ-01"])


def test_a_login_whose_session_cannot_start_leaves_the_code_usable(session, monkeypatch):
    """The right code and the new session commit together: a failure in between does not burn the
    code (the voter would have to ask for a new SMS) nor leave a used code without a session."""
    import sqlalchemy as sa

    pin, doc, *_ = DEMO_VOTERS[0]
    browser = Browser()
    browser.call(LoginState, "start", {"pin": pin, "document": doc})
    code = code_in(outbox(session)[-1].body)
    real_start = sessions.start

    def broken_start(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT INTO usersession", {}, Exception("disk I/O error"))

    monkeypatch.setattr(sessions, "start", broken_start)
    try:
        result = browser.call(LoginState, "verify", {"code": code})
    except Exception:  # noqa: BLE001 (how it fails is not the point; what it leaves is)
        result = None
    # Nothing of the login stayed: the code is unused, no session row, no logged-in tab.
    session.expire_all()
    assert [c.used_at for c in session.exec(select(LoginCode))] == [None]
    assert session.exec(select(UserSession)).all() == [] and browser.state(AppState)._voter_id == 0
    assert _redirect_target(result) != "/cabinet"
    monkeypatch.setattr(sessions, "start", real_start)
    assert _redirect_target(browser.call(LoginState, "verify", {"code": code})) == "/cabinet"


def _count_transactions(monkeypatch) -> list[int]:
    import remote_vote_app.state.session_check as session_check

    calls = []
    for name in ("run_in_transaction", "run_short_transaction"):  # in a thread, or on the loop
        def counted(work, real=getattr(session_check, name)):
            calls.append(1)
            return real(work)

        monkeypatch.setattr(session_check, name, counted)
    return calls


def test_a_due_session_check_rides_in_the_handler_transaction(session, two_voters, monkeypatch):
    """A tab whose last check is older than RECHECK_SECONDS: the check and the page's own reads
    are one transaction (before: two), and a handler that reads nothing still checks."""
    alice, bob, reference = two_voters
    calls = _count_transactions(monkeypatch)
    alice.state(AppState)._checked_until = 0.0
    alice.call(CabinetState, "load")
    assert len(calls) == 1 and [a["reference"] for a in alice.state(CabinetState).applications] == [reference]
    alice.call(CabinetState, "load")  # checked a moment ago: the page's reads only
    assert len(calls) == 2
    alice.state(AppState)._checked_until = 0.0
    alice.call(ApplyState, "load_confirmation")  # no transaction of its own: the check alone
    assert len(calls) == 3 and alice.state(AppState)._checked_until > 0


def test_a_change_sent_after_a_logout_in_another_tab_writes_nothing(session, two_voters):
    """The check folded into the change's transaction still comes first: a session ended elsewhere
    stops the change (rolled back), the tab forgets the voter and asks to log in."""
    alice, bob, reference = two_voters
    other_tab = Browser()
    other_tab.cookies = dict(alice.cookies)
    other_tab.call(CabinetState, "load")
    other_tab.call(AppState, "logout")
    alice.state(AppState)._checked_until = 0.0
    before = _snapshot(session)
    assert _redirect_target(alice.call(CabinetState, "withdraw", reference)) == "/login"
    assert _snapshot(session) == before and _status(session, reference).status != "withdrawn"
    assert alice.state(AppState)._voter_id == 0 and alice.state(CabinetState).applications == []


def test_an_idle_end_found_by_the_folded_check_is_recorded(session, two_voters):
    """The folded check's transaction is rolled back, so the idle end is made and audited on its own."""
    import json

    from remote_vote_app.models import AuditEvent

    alice, bob, reference = two_voters
    def idle_ends() -> int:
        session.expire_all()
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.voter.session_ended")).all()
        return sum(1 for e in rows if json.loads(e.details).get("session_row") == row_id
                   and json.loads(e.details)["reason"] == "idle")

    _age_session(session, alice, minutes=16)
    row_id = alice.state(AppState)._session_id
    before = idle_ends()
    assert _redirect_target(alice.call(ApplyState, "review_answers", {"election": "1", "precinct": "1"})) == "/login"
    assert session.get(UserSession, row_id).end_reason == "idle" and idle_ends() == before + 1
    assert alice.state(AppState).notice_key == "login.session_expired"


def test_activity_found_by_the_folded_check_is_recorded_at_the_end(session, two_voters):
    """A page load after a minute's pause keeps the session alive (its last activity moves on)."""
    alice, bob, reference = two_voters
    _age_session(session, alice, minutes=1)
    row_id = alice.state(AppState)._session_id
    session.expire_all()
    aged = session.get(UserSession, row_id).last_seen_at
    alice.call(CabinetState, "load")
    session.expire_all()
    assert session.get(UserSession, row_id).last_seen_at > aged + dt.timedelta(seconds=50)


def test_a_check_the_database_could_not_make_stays_owed(session, two_voters, monkeypatch):
    """The transaction that carried the check failed before the check ran (the database is down):
    a later transaction of the same event still carries it."""
    import asyncio

    import remote_vote_app.state.session_check as session_check
    from remote_vote_app.errors import Unavailable

    alice, bob, reference = two_voters
    state = alice.state(CabinetState)
    real, seen = session_check.run_short_transaction, []

    async def down_once(work):
        if not seen:
            seen.append(1)
            raise Unavailable("error.unavailable")
        return await real(work)

    monkeypatch.setattr(session_check, "run_short_transaction", down_once)  # the cabinet's transactions are short

    async def event():
        # A check owed for a cookie that names no live session: when it runs, it stops the work.
        token = session_check._OWED_CHECK.set(("not-a-session", state._session_id, "seen"))
        try:
            assert await state._run(lambda s: "first") is session_check.FAILED
            assert session_check._OWED_CHECK.get() is not None
            with pytest.raises(session_check._SessionGone):
                await state._run(lambda s: "second")
        finally:
            session_check._OWED_CHECK.reset(token)

    asyncio.run(event())


def _sent(browser: Browser, cls, name: str, *args) -> set[str]:
    """The vars of `cls` the browser would receive after the handler (the update's delta)."""
    browser.root._clean()
    browser.call(cls, name, *args)
    delta = browser.root.get_delta()
    browser.root._clean()
    return {var.removesuffix("_rx_state_") for var in delta.get(cls.get_full_name(), {})}


def test_review_and_confirm_do_not_resend_the_unchanged_precinct_lists(session):
    """The form's precinct lists (three computed vars, about 9 KB) go to the browser with the form,
    not again with the check page and the confirmation: only what changed is sent."""
    alice = Browser()
    login(session, alice, 0)
    lists = {"precinct_items", "precinct_cities", "precincts_by_city"}
    assert lists <= _sent(alice, ApplyState, "load")
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-03")).one()
    form = {"election": alice.state(ApplyState).election_id, "precinct": str(precinct.id),
            "email": "a@example.kg", "phone": "0700123456", "consent": "on"}
    reviewed = _sent(alice, ApplyState, "review_answers", form)
    assert "review" in reviewed and not reviewed & lists
    confirmed = _sent(alice, ApplyState, "confirm")
    assert "confirmation" in confirmed and not confirmed & lists


def test_check_and_confirmation_have_no_on_load_the_handler_before_them_sets_what_they_show(session):
    """Issue 22: form → check → confirmation without an on_load chain (three server event cycles per
    step): the routes have none, review_answers and confirm check the session and send, with their
    redirect, everything the next page shows (its `ready` flag included)."""
    from remote_vote_app import routes
    from remote_vote_app.remote_vote_app import app

    assert app.get_load_events(routes.APPLY_CHECK) == [] and app.get_load_events(routes.CONFIRMATION) == []
    assert app.get_load_events(routes.APPLY)  # the form still loads its data
    alice = Browser()
    login(session, alice, 0)
    alice.call(ApplyState, "load")
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-03")).one()
    form = {"election": alice.state(ApplyState).election_id, "precinct": str(precinct.id),
            "email": "a@example.kg", "phone": "0700123456", "consent": "on"}
    assert {"reviewed", "review"} <= _sent(alice, ApplyState, "review_answers", form)
    assert alice.state(ApplyState).reviewed and alice.state(ApplyState).review["email"] == "a@example.kg"
    assert "confirmation" in _sent(alice, ApplyState, "confirm")
    assert alice.state(ApplyState).confirmation["reference"]


def test_a_step_opened_directly_checks_the_session_and_shows_what_there_is(session, two_voters):
    """/apply/check and /confirmation opened other than from the step before (a reload, a typed
    address, Back): the page asks the server, which checks the session as the on_load did."""
    alice, bob, reference = two_voters
    assert _redirect_target(alice.call(ApplyState, "load_check")) == "/confirmation"  # filed: the receipt
    assert _redirect_target(bob.call(ApplyState, "load_check")) == "/apply"  # nothing to check: the form
    assert _redirect_target(alice.call(ApplyState, "load_confirmation")) == ""  # the receipt stays
    other_tab = Browser()
    other_tab.cookies = dict(alice.cookies)
    other_tab.call(CabinetState, "load")
    other_tab.call(AppState, "logout")
    alice.state(AppState)._checked_until = 0.0
    assert _redirect_target(alice.call(ApplyState, "load_confirmation")) == "/login"
    assert alice.state(ApplyState).confirmation == {} and alice.state(AppState)._voter_id == 0
