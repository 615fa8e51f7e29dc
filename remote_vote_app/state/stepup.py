"""Step-up after a FaceID login: changing contacts or withdrawing also needs the SMS code sent to
the phone on file. Helpers for the cabinet and application states (the rule is auth.step_up_needed)."""

from __future__ import annotations

from remote_vote_app.db import session_scope
from remote_vote_app.services import auth
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.notifications import default_sender
from remote_vote_app.state.app import AppState


def send(state: AppState, voter_id: int) -> auth.Challenge | None:
    """Text a step-up code when this session needs one; None when it does not."""
    if not auth.step_up_needed(state._session_method()):
        return None
    with session_scope() as session:
        return auth.send_code(session, voter_id, "step_up", default_sender(), state._lang())


def verified(state: AppState, token: str, code: object, voter_id: int) -> bool:
    """Whether `code` is the step-up code behind `token` (shown as an error on the state if not)."""
    try:
        with session_scope() as session:
            auth.verify_code(session, token, str(code or ""), state._client(), purpose="step_up", voter_id=voter_id)
    except ServiceError as exc:
        state._show(exc)
        return False
    return True
