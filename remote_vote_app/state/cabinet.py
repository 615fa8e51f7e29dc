"""The voter's cabinet: their applications, change and withdraw."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.services import applications
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.notifications import default_sender
from remote_vote_app.state import stepup
from remote_vote_app.state.app import AppState, as_strings, voter_required


class CabinetState(AppState):
    applications: list[dict[str, str]] = []
    confirming_withdraw: str = ""
    withdrawn_reference: str = ""
    step_up_phone: str = ""  # set while a step-up code for the withdrawal is awaited
    _step_up_token: str = ""

    def _reload(self) -> None:
        with session_scope() as session:
            rows = applications.list_for_voter(session, self._current_voter(), self._lang())
        self.applications = [as_strings(row) for row in rows]

    @rx.event
    @voter_required
    def load(self):
        self.error_entries = {}
        self.confirming_withdraw = ""
        self._reload()
        return AppState.page_ready

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
        self.confirming_withdraw, self.step_up_phone, self._step_up_token = "", "", ""

    @rx.event
    @voter_required
    def withdraw(self, reference: str):
        """Withdraw one of the voter's own applications (the service checks whose it is); after a
        FaceID login, first the SMS code sent to the phone on file."""
        self._clear_messages()
        try:
            sent = stepup.send(self, self._current_voter())
        except ServiceError as exc:
            self._show(exc)
            return
        if sent is not None:
            self.confirming_withdraw, self.step_up_phone, self._step_up_token = str(reference), sent.masked_phone, sent.token
            return rx.set_focus("code")
        self._withdraw(str(reference))

    @rx.event
    @voter_required
    def withdraw_with_code(self, form_data: dict):
        self._clear_messages()
        if not self._step_up_token or not stepup.verified(self, self._step_up_token, form_data.get("code"),
                                                          self._current_voter()):
            return
        self.step_up_phone, self._step_up_token = "", ""
        self._withdraw(self.confirming_withdraw)

    def _withdraw(self, reference: str) -> None:
        try:
            with session_scope() as session:
                application = applications.withdraw(
                    session, self._current_voter(), reference, default_sender(), self._lang()
                )
        except ServiceError as exc:
            self._show(exc)
            self.confirming_withdraw = ""
            return
        self.confirming_withdraw = ""
        self.withdrawn_reference = application.reference
        self._reload()
