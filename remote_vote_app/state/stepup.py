"""Step-up: the SMS code to the phone on file that a FaceID or QR session must enter before it may
file, change or withdraw. The rule and the proof live in services.identity.assurance; these helpers only
ask the voter for the code when the service says so, and hand the code back to it."""

from __future__ import annotations

from remote_vote_app.services.identity import assurance, auth
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.state.app import FAILED, AppState


async def send(state: AppState, voter_id: int) -> auth.Challenge | None | object:
    """Text a step-up code when this tab's session needs one; None when it does not (FAILED, shown, on error)."""
    lang, row = state._lang(), state._session_id
    return await state._run(lambda s: assurance.challenge(s, row, voter_id, default_sender(), lang))


def awaited(sent: auth.Challenge) -> tuple[str, str, str]:
    """What the form shows, and the token to keep: (masked phone, HH:MM of the open code when no new
    SMS was sent, else "", token)."""
    return sent.masked_phone, sent.sent_text() if sent.reused else "", sent.token


async def verified(state: AppState, token: str, code: object, voter_id: int) -> bool:
    """Whether `code` is the step-up code behind `token`; if so, this session's proof is recorded
    (shown as an error on the state if not)."""
    client, row = state._client(), state._session_id
    result = await state._run(lambda s: assurance.prove(s, row, voter_id, token, str(code or ""), client))
    return result is not FAILED
