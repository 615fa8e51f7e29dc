"""The voter's cabinet: their applications, change and withdraw."""

from __future__ import annotations

import json

import reflex as rx

from remote_vote_app.services.applications import activity, applications
from remote_vote_app.services.election_day import voting_place
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.state import stepup
from remote_vote_app.state.app import FAILED, AppState, as_strings, voter_required


class CabinetState(AppState):
    applications: list[dict[str, str]] = []
    confirming_withdraw: str = ""
    withdrawn_reference: str = ""
    can_apply: bool = False  # an open election without an application: else the cabinet offers "change" only
    _closed: dict[str, dict[str, str]] = {}  # applications.closed_notice
    step_up_phone: str = ""  # set while a step-up code for the withdrawal is awaited
    step_up_sent: str = ""  # HH:MM of the open code when no new SMS was sent
    _step_up_token: str = ""
    # Confirming an application's contact phone: the reference, the masked number, the code's token.
    verifying_phone: str = ""
    verifying_masked: str = ""
    _phone_token: str = ""
    phone_verified_notice: bool = False
    # The activity log: every event on the voter's own applications, and "this wasn't me".
    activity: list[dict[str, str]] = []
    reporting: str = ""  # the id of the event whose report form is open
    reported_notice: bool = False
    # Identification mode: "where can I vote?" for the nearest such election (services.election_day.voting_place).
    where: dict[str, str] = {}
    nearby: list[dict[str, str]] = []

    async def _reload(self) -> None:
        voter_id, lang = self._voter_id, self._lang()
        found = await self._run(lambda s: (applications.list_for_voter(s, voter_id, lang),
                                           applications.form_options(s, voter_id)[lang],
                                           activity.log(s, voter_id, lang), applications.closed_notice(s, voter_id),
                                           voting_place.current(s, voter_id, lang)))
        if found is not FAILED:
            rows, options, self.activity, self._closed, place = found
            self.where, self.nearby = voting_place.where_summary(place, self.activity)
            self.applications = [as_strings(row) for row in rows]
            # Only while an open election has no application of the voter's: with every one applied
            # for, "change" on its card is the way; with none open, the cabinet says applications closed.
            self.can_apply = any(not option["existing"] for option in options)

    @rx.var
    def closed_lead(self) -> str:
        return self._closed.get(self._lang(), {}).get("lead", "")

    @rx.event
    @voter_required
    def ask_report(self, event_id: str):
        self._clear_messages()
        self.reported_notice = False
        self.reporting = str(event_id) if any(e["id"] == str(event_id) for e in self.activity) else ""
        return rx.set_focus("report-heading") if self.reporting else None

    @rx.event
    @voter_required
    def cancel_report(self):
        self.reporting = ""

    @rx.event
    @voter_required
    async def send_report(self, form_data: dict):
        """File "this wasn't me" about the open event; the service checks it is the voter's own."""
        self._clear_messages()
        voter_id, event_id, note = self._voter_id, self.reporting, str(form_data.get("note", "") or "")
        if not event_id:
            return
        if await self._run(lambda s: activity.report(s, voter_id, event_id, note)) is FAILED:
            return
        self.reporting = ""
        self.reported_notice = True
        await self._reload()
        return rx.set_focus("report-sent")

    @rx.event
    @voter_required
    async def load(self):
        self.error_entries = {}
        self.confirming_withdraw = ""
        self.reporting, self.reported_notice = "", False
        self.verifying_phone, self.verifying_masked, self._phone_token = "", "", ""
        self.phone_verified_notice = False
        await self._reload()
        return self._ready()

    @rx.event
    @voter_required
    async def send_phone_code(self, reference: str):
        """Text a code to the contact phone of one of the voter's own applications (capped per day)."""
        self._clear_messages()
        self.phone_verified_notice = False
        voter_id, lang, reference = self._voter_id, self._lang(), str(reference)
        sent = await self._run(lambda s: applications.send_phone_code(s, voter_id, reference, default_sender(), lang))
        if sent is FAILED:
            return
        self.verifying_phone, self.verifying_masked, self._phone_token = reference, sent.masked_phone, sent.token
        return rx.set_focus("phone-code")

    @rx.event
    @voter_required
    async def verify_phone(self, form_data: dict):
        self._clear_messages()
        if not self._phone_token:
            return
        voter_id, token, code = self._voter_id, self._phone_token, str(form_data.get("phone-code", "") or "")
        if await self._run(lambda s: applications.verify_phone(s, voter_id, token, code)) is FAILED:
            if "code" in self.error_entries:  # the summary links to the field this form really has
                self.error_entries = {"phone-code": self.error_entries["code"]}
            return
        self.verifying_phone, self.verifying_masked, self._phone_token = "", "", ""
        self.phone_verified_notice = True
        await self._reload()
        return rx.set_focus("phone-verified")

    @rx.event
    @voter_required
    def cancel_phone(self):
        self.verifying_phone, self.verifying_masked, self._phone_token = "", "", ""

    @rx.event
    @voter_required
    def ask_withdraw(self, reference: str):
        self._clear_messages()
        self.withdrawn_reference = ""
        self.confirming_withdraw = str(reference)
        return rx.set_focus("withdraw-confirm-heading")

    @rx.event
    @voter_required
    def cancel_withdraw(self):
        """Back to where the voter was: focus returns to the button that opened the question."""
        reference = self.confirming_withdraw
        self.confirming_withdraw, self.step_up_phone, self._step_up_token = "", "", ""
        return rx.call_script(
            "setTimeout(() => { const b = document.getElementById(" + json.dumps(f"withdraw-{reference}") + ")"
            " || document.querySelector('main h1'); if (b) { if (b.tagName === 'H1') b.setAttribute('tabindex', '-1');"
            " b.focus(); } }, 80);")

    @rx.event
    @voter_required
    async def withdraw(self, reference: str):
        """Withdraw one of the voter's own applications (the service checks whose it is); a session
        the service does not trust enough (FaceID, QR) first enters the SMS code to the phone on file."""
        self._clear_messages()
        sent = await stepup.send(self, self._voter_id)
        if sent is FAILED:
            return
        if sent is not None:
            self.confirming_withdraw = str(reference)
            self.step_up_phone, self.step_up_sent, self._step_up_token = stepup.awaited(sent)
            return rx.set_focus("code")
        return await self._withdraw(str(reference))

    @rx.event
    @voter_required
    async def withdraw_with_code(self, form_data: dict):
        self._clear_messages()
        if not self._step_up_token or not await stepup.verified(self, self._step_up_token, form_data.get("code"),
                                                                self._voter_id):
            return
        self.step_up_phone, self._step_up_token = "", ""
        return await self._withdraw(self.confirming_withdraw)

    async def _withdraw(self, reference: str):
        voter_id, lang, row = self._voter_id, self._lang(), self._session_id
        # The version this page showed: a change made elsewhere since then refuses the withdrawal.
        shown = next((int(a["version"]) for a in self.applications
                      if a["reference"] == applications.normalize_reference(reference)), None)
        application = await self._run(lambda s: applications.withdraw(s, voter_id, reference, default_sender(), lang,
                                                                      expected_version=shown, session_row=row))
        self.confirming_withdraw = ""
        if application is FAILED:
            return
        self.withdrawn_reference = application.reference
        await self._reload()
        return rx.call_script("setTimeout(() => { const n = document.getElementById('withdrawn-notice');"
                              " if (n) { n.setAttribute('tabindex', '-1'); n.focus(); } }, 80);")
