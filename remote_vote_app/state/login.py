"""Cabinet login by ID card data and an SMS code."""

from __future__ import annotations

import json

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.i18n import t
from remote_vote_app.services import auth, eid, register
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.notifications import default_sender
from remote_vote_app.state.app import AppState


class LoginState(AppState):
    step: str = "id"  # id | code
    masked_phone: str = ""
    eid_available: bool = False
    _challenge: str = ""

    @rx.var
    def code_sent_text(self) -> str:
        return t(self._lang(), "login.code_sent", phone=self.masked_phone)

    @rx.event
    def on_load(self):
        self.error_entries = {}
        self.eid_available = eid.available(eid.EidConfig.from_env())
        if self._current_voter():
            return rx.redirect("/cabinet")
        return AppState.page_ready

    @rx.event
    def start(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                challenge = auth.start_login(
                    session, str(form_data.get("pin", "")), str(form_data.get("document", "")),
                    self._client(), default_sender(), self._lang(),
                )
        except ServiceError as exc:
            self._show(exc)
            return
        self._challenge = challenge.token
        self.masked_phone = challenge.masked_phone
        self.step = "code"

    @rx.event
    def resend(self):
        self._clear_messages()
        try:
            with session_scope() as session:
                challenge = auth.resend_code(session, self._challenge, default_sender(), self._lang())
        except ServiceError as exc:
            self._show(exc)
            return
        self._challenge = challenge.token
        self.notice_key = "login.resent"

    @rx.event
    async def verify(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                voter_id = auth.verify_code(session, self._challenge, str(form_data.get("code", "")), self._client())
                name = register.profile(session, voter_id).full_name
        except ServiceError as exc:
            self._show(exc)
            if exc.code in {"error.code_expired", "error.code_attempts"}:
                self.step = "id"
            return
        return await self._log_in(voter_id, name)

    @rx.event
    def start_eid(self):
        """Send the browser to the national eID provider; the PKCE verifier and nonce stay here."""
        self._clear_messages()
        try:
            pending = eid.begin(eid.EidConfig.from_env())
        except ServiceError as exc:
            self._show(exc)
            return
        self._eid_pending = pending
        return rx.call_script(f"window.location.assign({json.dumps(pending.authorization_url)})")

    @rx.event
    async def eid_callback(self):
        """/login/eid: the provider sent the browser back; any failure leaves the voter logged out."""
        self._clear_messages()
        pending, self._eid_pending = self._eid_pending, None
        try:
            pin = eid.finish(eid.EidConfig.from_env(), pending, dict(self.router.url.query_parameters))
            with session_scope() as session:
                voter = register.by_pin(session, pin)
                name = register.profile(session, voter.id).full_name
        except ServiceError as exc:
            self._show(exc)
            return AppState.page_ready
        return await self._log_in(voter.id, name, method="eid")

    @rx.event
    def restart(self):
        self._clear_messages()
        self._challenge = ""
        self.step = "id"
