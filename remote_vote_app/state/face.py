"""FaceID login: the PIN, then a live capture answering a random sequence of moves revealed one at a
time (`next_move`). Frames are never kept; the state knows only the moves and tokens revealed so far."""

from __future__ import annotations

from typing import Any

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.db import run_in_transaction
from remote_vote_app.i18n import t
from remote_vote_app.services.identity import faceid
from remote_vote_app.services.reference import register
from remote_vote_app.errors import ServiceError
from remote_vote_app.state.app import FAILED, AppState, focus_on


def face_instructions(lang: str, moves: list[str]) -> list[str]:
    """What the camera component shows during each move of a challenge."""
    return [t(lang, f"face.move_{move}") for move in moves]


class FaceLoginState(AppState):
    available: bool = False
    step: str = "pin"  # pin | capture
    nonce: str = ""  # the client hands it back with its frames
    moves: list[str] = []  # revealed so far
    tokens: list[str] = []  # each revealed step's token, sent back with that step's frames
    steps: int = 0
    # The attempt (faceid.Challenge): voter id or 0 and a keyed hash, never the PIN.
    _challenge: Any = None

    @rx.var
    def instructions(self) -> list[str]:
        return face_instructions(self._lang(), self.moves)

    @rx.var
    def challenge_text(self) -> str:
        return t(self._lang(), "face.challenge", steps=self.steps) if self.steps else ""

    def _offer(self, challenge: faceid.Challenge) -> None:
        self._challenge = challenge
        moves, tokens = challenge.shown()
        self.nonce, self.moves, self.tokens, self.steps = challenge.nonce, list(moves), list(tokens), len(challenge.moves)
        self.step = "capture"

    def _forget(self) -> None:
        self.step, self.nonce, self.moves, self.tokens, self.steps, self._challenge = "pin", "", [], [], 0, None

    @rx.event
    async def load(self):
        self.error_entries = {}
        self.available = faceid.available()
        if await self._voter():
            return rx.redirect(routes.CABINET)
        return self._ready()

    @rx.event
    async def set_pin(self, form_data: dict):
        self._clear_messages()
        pin = str(form_data.get("pin", ""))
        challenge = await self._run(lambda s: faceid.login_challenge(s, pin))
        if challenge is not FAILED:
            self._offer(challenge)
            return focus_on("face-challenge")  # the form left the page: the instruction is the new step

    @rx.event
    async def check_capture(self, capture: dict):
        """Check a live capture against the challenge; the challenge is used up whatever the outcome."""
        self._clear_messages()
        challenge, self._challenge = self._challenge, None
        if not self.available or challenge is None:
            self._forget()
            return
        try:
            voter_id = await faceid.login_by_face(challenge, capture, self._client())
            name = await run_in_transaction(lambda s: register.profile(s, voter_id).full_name)
        except ServiceError as exc:
            self._show(exc)
            self._offer(faceid.renew(challenge))  # a fresh challenge for the next try
            return
        finally:
            capture = None  # noqa: F841  (drop the frames now, not at garbage collection)
        return await self._log_in(voter_id, name, method="face")

    @rx.event
    def next_move(self, event: dict):
        """The camera finished a step: reveal the next move (never ahead of the capture)."""
        challenge, step = self._challenge, event.get("step") if isinstance(event, dict) else None
        if not self.available or challenge is None:
            self._forget()
            return
        try:
            self._offer(faceid.reveal(challenge, step))
        except ServiceError as exc:
            self._clear_messages()
            self._show(exc)
            self._offer(faceid.renew(challenge))

    @rx.event
    def restart(self):
        self._clear_messages()
        self._forget()
