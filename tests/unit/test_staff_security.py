"""Every event handler of every staff State class, found programmatically, checks the role on the server.

A new handler that forgets `@staff_required` fails `test_every_staff_handler_declares_a_permission`.
"""

import inspect

import pytest
from sqlmodel import select

from remote_vote_app.models import Application, Precinct
from remote_vote_app.services.identity import staff
from remote_vote_app.demo.seed import DEMO_STAFF
import remote_vote_app.state.staff  # noqa: F401  (registers every staff page state)
from remote_vote_app.state.app import AppState
from remote_vote_app.state.staff.exclusions import ExclusionState
from remote_vote_app.state.staff.login import StaffLoginState
from remote_vote_app.state.staff.session import StaffState
from remote_vote_app.state.staff.voter_lists import VoterListState
from tests.support.staff import PASSWORDS, fresh_code
from tests.support.states import Browser
from tests.unit.test_state_security import _redirect_target, login as voter_login

# Handlers that need no staff role, each for a reason.
OPEN_HANDLERS = {
    "setvar",  # Reflex's generic setter: with no auto-setters it reaches nothing (see test_state_security)
    "set_lang", "page_ready", "logout",  # AppState: language and the voter's own logout
    "staff_logout",  # ends one's own staff session
    # AppState: the timeout warning's "continue", which only re-checks (and so keeps alive) the
    # tab's own session cookie.
    "keep_alive", "staff_keep_alive",
    "on_load", "login",  # StaffLoginState: the way in
    # ... and its later steps: each acts only on the account id the right password left server-side
    "submit_code", "submit_enrolment_code", "confirm_enrolment", "finish", "start_over",
    "follow",  # background refresh: re-checks the account and stats.view on every tick
}
STAFF_CLASSES = [StaffState, *sorted(StaffState.get_substates(), key=lambda c: c.__name__)]


def _handlers():
    for cls in STAFF_CLASSES:
        for name, handler in cls.event_handlers.items():
            yield cls, name, handler


def _args(fn) -> list:
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    return [{} if "form" in p.name else "1" for p in params]


def _staff_browser(username: str) -> Browser:
    browser = Browser()
    browser.call(StaffLoginState, "login", {"username": username, "password": PASSWORDS[username]})
    result = browser.call(StaffLoginState, "submit_code", {"code": fresh_code(username)})
    assert "/staff" in repr(result), browser.state(StaffLoginState).error_entries
    return browser


def test_every_staff_handler_declares_a_permission():
    missing = [f"{cls.__name__}.{name}" for cls, name, handler in _handlers()
               if name not in OPEN_HANDLERS and not hasattr(handler.fn, "staff_permission")]
    assert missing == []
    declared = [getattr(h.fn, "staff_permission", None) for _, _, h in _handlers()]
    named = {p for d in declared if d for p in ((d,) if isinstance(d, str) else d)}
    assert named <= set(staff.PERMISSIONS)


GUARDED = [(cls, name, h) for cls, name, h in _handlers() if hasattr(h.fn, "staff_permission")]

# Who may do what, written by hand from the roles' duties, NOT derived from staff.PERMISSIONS or the
# handlers' decorators: a wrong permission in either is caught by the behaviour test below.
# Columns: cec_admin (A), tec_operator (T, files in person, reads its territory's exclusion lists),
# precinct_member (P, reads its remote precinct's voter list), home_precinct_member (H, reads its home
# precinct's exclusion list), station_member (S, a polling station's desk in identification mode),
# observer (O, figures only). Only precinct commissions (P, H, S) run an election-day desk.
ROLE_COLUMNS = ("cec_admin", "tec_operator", "precinct_member", "home_precinct_member", "station_member", "observer")
EXPECTED = {
    #                                       A  T  P  H  S  O
    "DashboardState.load":                 (1, 1, 1, 1, 1, 1),
    "DashboardState.choose_day":           (1, 1, 1, 1, 1, 1),
    "DashboardState.choose_precinct":      (1, 1, 1, 1, 1, 1),
    "DashboardState.all_precincts":        (1, 1, 1, 1, 1, 1),
    "DashboardState.choose_election":      (1, 1, 1, 1, 1, 1),
    "SearchState.load":                    (1, 1, 0, 0, 0, 0),
    "SearchState.search":                  (1, 1, 0, 0, 0, 0),
    "SearchState.go_page":                 (1, 1, 0, 0, 0, 0),
    "SearchState.open_detail":             (1, 1, 0, 0, 0, 0),
    "SearchState.close_detail":            (1, 1, 0, 0, 0, 0),
    "InPersonState.load":                  (1, 1, 0, 0, 0, 0),
    "InPersonState.find":                  (1, 1, 0, 0, 0, 0),
    "InPersonState.submit":                (1, 1, 0, 0, 0, 0),
    "InPersonState.send_reference_code":   (1, 1, 0, 0, 0, 0),
    "InPersonState.check_reference_code":  (1, 1, 0, 0, 0, 0),
    "InPersonState.check_capture":         (1, 1, 0, 0, 0, 0),
    "InPersonState.next_voter":            (1, 1, 0, 0, 0, 0),
    "VoterListState.load":                 (1, 0, 1, 0, 0, 0),
    "VoterListState.choose":               (1, 0, 1, 0, 0, 0),
    "VoterListState.download":             (1, 0, 1, 0, 0, 0),
    "ExclusionState.load":                 (1, 1, 0, 1, 0, 0),
    "ExclusionState.choose":               (1, 1, 0, 1, 0, 0),
    # The election-day desk at the member's own precinct only: check-in at a remote precinct (P), or
    # identification where the precinct is in an identification-mode election (H's УИК №1001, S).
    "CheckinState.load":                   (0, 0, 1, 1, 1, 0),
    "PrecinctAdminState.load":             (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.edit":             (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.new":              (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.save":             (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.toggle_active":    (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.pick":             (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.move":             (1, 0, 0, 0, 0, 0),
    "ElectionAdminState.load":             (1, 0, 0, 0, 0, 0),
    "ElectionAdminState.save":             (1, 0, 0, 0, 0, 0),
    "AuditState.load":                     (1, 0, 0, 0, 0, 0),
    "AuditState.search":                   (1, 0, 0, 0, 0, 0),
    "AuditState.go_page":                  (1, 0, 0, 0, 0, 0),
    # Issue 12: capacity is the CEC's (with the precincts); voters' "this wasn't me" reports are
    # answered by the TEC (of the voter's territory, checked in the service) or the CEC; the
    # reminders page is the CEC's.
    "PrecinctAdminState.choose_capacity_election": (1, 0, 0, 0, 0, 0),
    "PrecinctAdminState.save_capacity":    (1, 0, 0, 0, 0, 0),
    "DashboardState.answer_report":        (1, 1, 0, 0, 0, 0),
    "RemindersState.load":                 (1, 0, 0, 0, 0, 0),
}


def test_the_expected_matrix_names_every_guarded_handler_and_every_role():
    """A new staff handler needs its row here; a new role needs its column."""
    assert set(EXPECTED) == {f"{cls.__name__}.{name}" for cls, name, _ in GUARDED}
    assert set(ROLE_COLUMNS) == set(staff.ROLES) == {row[3] for row in DEMO_STAFF}


@pytest.mark.parametrize("cls, name, handler", GUARDED, ids=[f"{c.__name__}.{n}" for c, n, _ in GUARDED])
def test_anonymous_and_voter_sessions_are_refused(session, cls, name, handler):
    anonymous = Browser()
    assert _redirect_target_staff(anonymous.call(cls, name, *_args(handler.fn))) == "/staff/login"
    voter = Browser()
    voter_login(session, voter, 0)
    before = session.exec(select(Application)).all()
    assert _redirect_target_staff(voter.call(cls, name, *_args(handler.fn))) == "/staff/login"
    assert session.exec(select(Application)).all() == before


@pytest.mark.parametrize("username", [row[0] for row in DEMO_STAFF])
def test_each_role_reaches_only_what_it_may(session, username):
    browser = _staff_browser(username)
    role = next(row[3] for row in DEMO_STAFF if row[0] == username)
    for cls, name, handler in GUARDED:
        state = browser.state(cls)
        state.error_entries = {}
        result = browser.call(cls, name, *_args(handler.fn))
        refused = state.error_entries.get("form", {}).get("key") == "error.forbidden"
        allowed = bool(EXPECTED[f"{cls.__name__}.{name}"][ROLE_COLUMNS.index(role)])
        assert _redirect_target_staff(result) != "/staff/login", f"{cls.__name__}.{name} logged {username} out"
        assert refused != allowed, f"{cls.__name__}.{name}: {username} allowed={allowed} refused={refused}"


def test_staff_and_voter_sessions_are_separate(session):
    browser = _staff_browser("cec.admin")
    assert browser.state(AppState)._voter_id == 0
    voter = Browser()
    voter_login(session, voter, 0)
    assert voter.state(StaffState)._staff_id == 0


def test_precinct_member_gets_only_their_own_list_whatever_they_ask(session):
    browser = _staff_browser("uik.dg05")
    state = browser.state(VoterListState)
    browser.call(VoterListState, "choose", {"precinct": "1", "day": ""})
    assert state.title.startswith("ДГ-05")
    assert [o["label"][:5] for o in state.precinct_options] in ([], ["ДГ-05"])


def test_home_precinct_member_gets_only_their_own_exclusion_list_whatever_they_ask(session):
    other = session.exec(select(Precinct).where(Precinct.number == "УИК №1002")).one()
    browser = _staff_browser("uik.1001")
    state = browser.state(ExclusionState)
    browser.call(ExclusionState, "choose", {"election": "", "precinct": str(other.id)})
    assert state.info["precinct"].startswith("УИК №1001 — ")
    assert [o["label"].split(" — ")[0] for o in state.precinct_options] == ["УИК №1001"]
    assert state.download_url.endswith(f"precinct={state.selected_precinct}") and state.selected_precinct != str(other.id)


def _redirect_target_staff(result) -> str:
    text = repr(result)
    return "/staff/login" if "/staff/login" in text else _redirect_target(result)
