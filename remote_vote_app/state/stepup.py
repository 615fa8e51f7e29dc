"""Step-up after a FaceID login: changing contacts or withdrawing also needs the SMS code sent to
the phone on file. Helpers for the cabinet and application states (the rule is auth.step_up_needed)."""

from __future__ import annotations

from remote_vote_app.services import auth
from remote_vote_app.services.notifications import default_sender
from remote_vote_app.state.app import FAILED, AppState


async def send(state: AppState, voter_id: int) -> auth.Challenge | None | object:
    """Text a step-up code when this session needs one; None when it does not (FAILED, shown, on error)."""
    if not auth.step_up_needed(state._session_method()):
        return None
    lang = state._lang()
    return await state._run(lambda s: auth.send_code(s, voter_id, "step_up", default_sender(), lang))


async def verified(state: AppState, token: str, code: object, voter_id: int) -> bool:
    """Whether `code` is the step-up code behind `token` (shown as an error on the state if not)."""
    client = state._client()
    result = await state._run(lambda s: auth.verify_code(s, token, str(code or ""), client, purpose="step_up",
                                                         voter_id=voter_id))
    return result is not FAILED
