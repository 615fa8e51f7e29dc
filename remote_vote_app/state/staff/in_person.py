"""Filing an application in person at a commission, and the voter's FaceID reference photo."""

from __future__ import annotations

from typing import Any

import reflex as rx

from remote_vote_app.i18n import t
from remote_vote_app.services.applications import applications, desk
from remote_vote_app.services.identity import auth, faceid
from remote_vote_app.services.reference import register
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import ServiceError
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import FAILED, focus_title
from remote_vote_app.state.face import face_instructions
from remote_vote_app.state.staff.session import StaffState, staff_required


class InPersonState(StaffState):
    step: str = "find"  # find | form | done
    voter: dict[str, str] = {}
    election_options: list[dict[str, str]] = []
    precinct_options: list[dict[str, str]] = []
    done_reference: str = ""
    election_choice: str = ""
    _serving_voter_id: int = 0  # the voter at the desk, found by PIN + document on the server
    # FaceID reference: the voter's consent code, then a live capture answering a challenge.
    reference_step: str = "consent"  # consent | code | capture | saved
    reference_phone: str = ""
    nonce: str = ""
    moves: list[str] = []
    _consent_token: str = ""
    _face_challenge: Any = None

    @rx.var
    def instructions(self) -> list[str]:
        return face_instructions(self._lang(), self.moves)

    def _reset_reference(self) -> None:
        self.reference_step, self.reference_phone, self.nonce, self.moves = "consent", "", "", []
        self._consent_token, self._face_challenge = "", None

    @rx.event
    @staff_required("applications.create")
    def load(self):
        self.error_entries = {}
        return self._ready()

    @rx.event
    @staff_required("applications.create")
    async def find(self, form_data: dict):
        self._clear_messages()
        pin, document = str(form_data.get("pin", "")), str(form_data.get("document", ""))
        full = self._user().can("pii.full")
        lang = self._lang()
        found = await self._run(lambda s: desk.desk_voter(s, pin, document, full, lang))
        if found is FAILED:
            return
        self._serving_voter_id = found["id"]
        self._reset_reference()
        self.voter, self.election_options = found["voter"], found["elections"]
        self.election_choice, self.precinct_options = found["choice"], found["places"]
        self.step = "form"
        return rx.call_script("setTimeout(() => { const d = document.getElementById('register-data');"
                              " if (d) { d.setAttribute('tabindex', '-1'); d.focus(); } }, 80);")

    @rx.event
    @staff_required("applications.create")
    async def submit(self, form_data: dict):
        self._clear_messages()
        if not self._serving_voter_id:
            self.step = "find"
            return
        draft = Draft(parse_id(form_data.get("election")), parse_id(form_data.get("precinct")),
                      str(form_data.get("email", "")), str(form_data.get("phone", "")), True)
        voter_id, lang, actor, commission = self._serving_voter_id, self._lang(), self._actor(), self._user().full_name
        if not form_data.get("paper_consent"):
            # Every error at once: the form's own, and the missing paper consent.
            checked = await self._run(lambda s: applications.validate(s, voter_id, draft, channel="in_person"))
            self.error_entries = {**(self.error_entries if checked is FAILED else {}),
                                  "paper_consent": {"key": "error.paper_consent"}}
            self.error_seq += 1
            return
        reference = await self._run(lambda s: applications.submit(
            s, voter_id, draft, default_sender(), lang, channel="in_person", staff_actor=actor, commission=commission,
        ).reference)
        if reference is FAILED:
            return
        self.done_reference = reference
        self.step = "done"
        self._serving_voter_id = 0
        self.voter = {}
        return rx.call_script("setTimeout(() => { const d = document.getElementById('done');"
                              " if (d) { d.setAttribute('tabindex', '-1'); d.focus(); } }, 80);")

    @rx.event
    @staff_required("applications.create")
    async def send_reference_code(self):
        """Text the voter a consent code; only the operator's own territory (the CEC: anyone)."""
        self._clear_messages()
        if not self._serving_voter_id:
            self.step = "find"
            return
        user, voter_id, lang = self._user(), self._serving_voter_id, self._lang()

        def send(session):
            faceid.ensure_may_set_reference(session, user, voter_id)
            return auth.send_code(session, voter_id, "face_reference", default_sender(), lang)

        sent = await self._run(send)
        if sent is not FAILED:
            self._consent_token, self.reference_phone, self.reference_step = sent.token, sent.masked_phone, "code"

    @rx.event
    @staff_required("applications.create")
    async def check_reference_code(self, form_data: dict):
        """The code the voter reads out; then the camera, with a challenge bound to this voter."""
        self._clear_messages()
        token, code, client, voter_id = (self._consent_token, str(form_data.get("code", "")), self._client(),
                                         self._serving_voter_id)
        checked = await self._run(lambda s: auth.verify_code(s, token, code, client, purpose="face_reference",
                                                             voter_id=voter_id))
        if checked is FAILED:
            if self._error_key() in {"error.code_expired", "error.code_attempts"}:
                self._reset_reference()
            return
        challenge = faceid.reference_challenge(voter_id)
        self._consent_token, self._face_challenge = "", challenge
        self.nonce, self.moves, self.reference_step = challenge.nonce, list(challenge.moves), "capture"

    @rx.event
    @staff_required("applications.create")
    async def check_capture(self, capture: dict):
        """Store the reference from a live capture; only the face encoding is kept."""
        self._clear_messages()
        challenge, self._face_challenge = self._face_challenge, None
        voter_id = self._serving_voter_id
        if not voter_id or challenge is None or challenge.voter_id != voter_id:
            self._reset_reference()
            return
        try:
            encoding = faceid.reference_encoding(await faceid.live_frames(challenge, capture))  # analysis: off the loop
        except ServiceError as exc:
            self._show(exc)
            encoding = FAILED
        finally:
            capture = None  # noqa: F841  (drop the frames now, not at garbage collection)
        user, actor, client, text = self._user(), self._actor(), self._client(), t(self._lang(), "sms.face_reference_set")

        def store(session) -> None:
            faceid.ensure_may_set_reference(session, user, voter_id)
            faceid.set_reference(session, voter_id, encoding, "commission", actor, client)
            # The voter hears of it at once: a reference set by someone else would be a takeover.
            default_sender().send(session, "sms", register.phone_of(session, voter_id), text)

        if encoding is FAILED or await self._run(store) is FAILED:
            challenge = faceid.renew(challenge)
            self._face_challenge, self.nonce, self.moves = challenge, challenge.nonce, list(challenge.moves)
            return
        self.reference_step = "saved"
        self.notice_key = "face.reference_saved"

    @rx.event
    @staff_required("applications.create")
    def next_voter(self):
        self._clear_messages()
        self.step, self.voter, self._serving_voter_id, self.done_reference = "find", {}, 0, ""
        self._reset_reference()
        return focus_title()
