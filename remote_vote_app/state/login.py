"""Cabinet login by ID card data and an SMS code."""

from __future__ import annotations

import asyncio
import json

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import t
from remote_vote_app.services import audit
from remote_vote_app.services.identity import auth, eid
from remote_vote_app.services.reference import register
from remote_vote_app.errors import ServiceError
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.state.app import FAILED, AppState, focus_title
from remote_vote_app.state.qr import QrDesktopState


class LoginState(AppState):
    step: str = "id"  # id | code
    masked_phone: str = ""
    code_reused: bool = False  # no new SMS: the code sent at sent_time is the one to use
    code_strong: bool = False  # a 13-character code (the PIN is under attack: services.identity.auth)
    sent_time: str = ""  # HH:MM in Bishkek
    valid_until: str = ""
    eid_available: bool = False
    resend_in: int = 0  # seconds before "send again" can be used; counted down in the browser
    resend_seq: int = 0  # restarts the count
    _challenge: str = ""

    @rx.var
    def code_sent_text(self) -> str:
        if self.code_reused:
            return t(self._lang(), "login.code_sent_earlier", phone=self.masked_phone, time=self.sent_time,
                     until=self.valid_until)
        if self.code_strong:  # a strong code lives longer than the usual lifetime the other text names
            return t(self._lang(), "login.code_sent_until", phone=self.masked_phone, until=self.valid_until)
        return t(self._lang(), "login.code_sent", phone=self.masked_phone)

    def _take(self, challenge: auth.Challenge) -> None:
        self._challenge = challenge.token
        self.masked_phone = challenge.masked_phone
        self.code_reused, self.sent_time, self.valid_until = (challenge.reused, challenge.sent_text(),
                                                              challenge.until_text())
        self.code_strong = challenge.strong
        self._count_down(challenge.resend_in())

    def _count_down(self, seconds: int) -> None:
        self.resend_in, self.resend_seq = max(0, int(seconds)), self.resend_seq + 1

    @rx.event
    async def on_load(self):
        self.error_entries = {}
        self.eid_available = eid.available(eid.EidConfig.from_settings())
        if await self._voter():
            return rx.redirect(routes.CABINET)
        if (await self.get_state(QrDesktopState)).qr_status == "pending":
            # A QR code was showing (a reload, or the worker that waited for the phone died): wait again.
            return [self._ready(), QrDesktopState.wait_for_phone]
        return self._ready()

    @rx.event
    async def start(self, form_data: dict):
        self._clear_messages()
        pin, document = str(form_data.get("pin", "")), str(form_data.get("document", ""))
        client, lang, device = self._client(), self._lang(), self._device_cookie()
        challenge = await self._run(lambda s: auth.start_login(s, pin, document, client, default_sender(), lang,
                                                               device=device))
        if challenge is FAILED:
            return
        self._take(challenge)
        self.step = "code"
        self._title_key = "login.code_title"  # the step's own tab title
        return [self._html_lang_script(), focus_title()]

    @rx.event
    async def resend(self):
        self._clear_messages()
        token, lang, client, device = self._challenge, self._lang(), self._client(), self._device_cookie()
        challenge = await self._run(lambda s: auth.resend_code(s, token, default_sender(), lang, client=client,
                                                               device=device))
        if challenge is FAILED:
            wait = self.error_entries.get("form", {})
            if wait.get("key") == "error.resend_wait":  # too early (the browser's clock ran fast): count down
                self.error_entries = {}
                self._count_down(int(wait.get("seconds", "0") or 0))
            return
        self._take(challenge)
        self.notice_key = "" if challenge.reused else "login.resent"

    @rx.event
    async def verify(self, form_data: dict):
        self._clear_messages()
        token, code, client = self._challenge, str(form_data.get("code", "")), self._client()
        start, device = self._session_starter("sms"), self._device_cookie()

        def check(session):
            voter_id = auth.verify_code(session, token, code, client, device=device)
            return voter_id, register.profile(session, voter_id).full_name, start(session, voter_id)

        verified = await self._run(check)
        if verified is FAILED:
            if self.error_entries.get("form", {}).get("key") in {"error.code_expired", "error.code_attempts",
                                                                       "error.code_strong_needed"}:
                self.step, self._title_key = "id", ""
                return self._html_lang_script()
            return
        voter_id, name, started = verified
        return await self._log_in(voter_id, name, "sms", started)

    @rx.event
    async def start_eid(self):
        """Send the browser to the national eID provider; the PKCE verifier and nonce stay here."""
        self._clear_messages()
        try:  # the provider's discovery document may need an HTTP call: off the event loop
            pending = await asyncio.to_thread(eid.begin, eid.EidConfig.from_settings())
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
        params = dict(self.router.url.query_parameters)
        try:  # token exchange and key fetch are HTTP calls: off the event loop
            pin = await asyncio.to_thread(eid.finish, eid.EidConfig.from_settings(), pending, params)
        except ServiceError as exc:
            self._show(exc)
            client, reason = self._client(), exc.code.removeprefix("error.")
            await self._run(lambda s: audit.auth_event(s, "auth.eid.failure", client=client, reason=reason))
            return self._ready()

        def voter_of(session):
            voter = register.by_pin(session, pin)
            return voter.id, register.profile(session, voter.id).full_name

        found = await self._run(voter_of)
        if found is FAILED:
            return self._ready()
        return await self._log_in(*found, method="eid")

    @rx.event
    def restart(self):
        self._clear_messages()
        self._challenge = ""
        self.step, self._title_key = "id", ""
        return [self._html_lang_script(), focus_title()]
