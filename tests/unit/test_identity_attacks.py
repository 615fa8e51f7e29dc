"""The attacks of the identity round played end to end through the voter's states: what an attacker
who beats FaceID with one public photo actually gets."""

from __future__ import annotations

import pytest

from remote_vote_app.models import UserSession
from remote_vote_app.services.applications import applications
from remote_vote_app.services.identity import assurance
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.state.app import AppState
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState
from remote_vote_app.state.face import FaceLoginState
from tests.support import faces
from tests.support.states import Browser
from tests.unit.test_faceid import astronaut_ref, clock, face_voter  # noqa: F401  (fixtures)
from tests.unit.test_state_security import _applications_of, _redirect_target, _review, _status, apply, login


def _face_login_with_a_warped_photo(browser: Browser, pin: str, clock) -> None:  # noqa: F811
    """The page's FaceID flow answered move by move with frames warped from the public photo."""
    browser.state(FaceLoginState).available = True
    browser.call(FaceLoginState, "set_pin", {"pin": pin})
    challenge = browser.state(FaceLoginState)._challenge
    shots = []
    for step, move in enumerate(challenge.moves):
        if step:
            clock.now += 0.3
            browser.call(FaceLoginState, "next_move", {"step": step})
        token = browser.state(FaceLoginState).tokens[step]
        for image in faces.warped_sequence([move], variant=3, first_step=step)[0]:
            clock.now += 0.4
            shots.append((step, token, clock.now * 1000, image))
    browser.call(FaceLoginState, "check_capture", faces.capture(challenge.nonce, shots))
    assert browser.state(FaceLoginState).logged_in, browser.state(FaceLoginState).error_entries


def test_a_face_session_from_a_warped_public_photo_reads_but_cannot_move_or_withdraw(
        session, face_voter, clock):  # noqa: F811
    owner, attacker = Browser(), Browser()
    login(session, owner, 0)  # the real voter, by SMS, files an application
    reference = apply(session, owner)

    _face_login_with_a_warped_photo(attacker, face_voter.pin, clock)
    row = session.get(UserSession, attacker.state(AppState)._session_id)
    assert row.method == "face" and row.subject_id == face_voter.id and row.stepped_up_at is None

    attacker.call(CabinetState, "load")  # reading the cabinet works
    assert [a["reference"] for a in attacker.state(CabinetState).applications] == [reference]

    # Moving it to another precinct: the service asks for the SMS code sent to the owner's phone.
    attacker.call(ApplyState, "start_change", reference)
    _review(session, attacker, "ДГ-01")
    assert _redirect_target(attacker.call(ApplyState, "confirm")) == ""
    assert attacker.state(ApplyState).step_up_phone
    attacker.call(ApplyState, "confirm_with_code", {"code": "123456"})
    application = _status(session, reference)
    assert application.change_count == 0 and application.status == "submitted"

    # Withdrawing it: the same.
    attacker.call(CabinetState, "withdraw", reference)
    attacker.call(CabinetState, "withdraw_with_code", {"code": "123456"})
    assert _status(session, reference).status == "submitted"
    assert len(_applications_of(session, 0)) == 1

    # And straight at the service, as any other caller would: the session row itself is refused.
    with pytest.raises(assurance.StepUpRequired):
        applications.withdraw(session, face_voter.id, reference, default_sender(), "ru", session_row=row.id)
    session.rollback()
    assert _status(session, reference).status == "submitted"
