"""QR login: the desktop that shows the code, and the phone that confirms it."""

from __future__ import annotations

import asyncio

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.services import qrlogin, register
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.state.app import AppState, as_strings, voter_required

POLL_SECONDS = 1


class QrDesktopState(AppState):
    qr_image: str = ""
    qr_link: str = ""
    qr_status: str = ""  # "" | pending | expired | refused
    qr_number: str = ""  # the number the phone must pick
    _qr_token: str = ""
    waiting: bool = False

    @rx.event
    def start_qr(self):
        """Show a fresh one-time code (only on request, so visitors do not mint links)."""
        try:
            with session_scope() as session:
                link = qrlogin.create(session, self.router.headers.user_agent, client=self._client())
        except ServiceError as exc:
            self._show(exc)
            return
        origin = self.router.headers.origin or f"http://{self.router.headers.host}"
        self._qr_token, self.qr_number = link.token, str(link.number)
        self.qr_link = f"{origin}/qr?t={link.token}"
        self.qr_image = qrlogin.qr_svg_data_uri(self.qr_link)
        self.qr_status = "pending"
        return QrDesktopState.wait_for_phone

    @rx.event(background=True)
    async def wait_for_phone(self):
        async with self:
            if self.waiting:
                return
            self.waiting = True
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    if self.qr_status != "pending" or not self._qr_token:
                        return
                    try:
                        with session_scope() as session:
                            voter_id = qrlogin.poll(session, self._qr_token, client=self._client())
                            name = register.profile(session, voter_id).full_name if voter_id else ""
                    except ServiceError as exc:
                        self.qr_status = "refused" if exc.code == "error.qr_refused" else "expired"
                        self._qr_token = ""
                        return
                    if voter_id:
                        self._qr_token, self.qr_status, self.qr_image, self.qr_link, self.qr_number = "", "", "", "", ""
                        yield await self._log_in(voter_id, name, method="qr")
                        return
        finally:
            async with self:
                self.waiting = False


class QrPhoneState(AppState):
    # client, same_network ("1" / ""), time, browser (self-declared); empty when there is nothing to decide
    request: dict[str, str] = {}
    choices: list[str] = []  # the three numbers to pick from
    outcome: str = ""  # "" | confirmed | refused | wrong_number

    @rx.event
    def load(self):
        """/qr?t=...: remember the link, then ask the voter to log in here if needed."""
        token = self.router.url.query_parameters.get("t", "")
        if token:
            self._qr_pending = token
            self.outcome = ""
        if not self._current_voter():
            self._go_on_to("/qr")
            self.notice_key = "qr.login_first"
            return rx.redirect("/login")
        self._clear_messages()
        try:
            with session_scope() as session:
                info = qrlogin.describe(session, self._qr_pending, self._client())
        except ServiceError as exc:
            self._forget_request()
            self._show(exc)
        else:
            self.choices = [str(n) for n in info.pop("choices")]
            self.request, self.outcome = as_strings(info), ""
        return AppState.page_ready

    def _forget_request(self) -> None:
        self.request, self.choices = {}, []

    def _finish(self, outcome: str) -> None:
        self.outcome = outcome
        self._forget_request()
        self._qr_pending = ""

    @rx.event
    @voter_required
    def confirm(self, form_data: dict):
        """Allow the desktop in, with the number the voter picked among the three."""
        self._clear_messages()
        picked = form_data.get("number") if isinstance(form_data, dict) else None
        if not picked:
            self._show(ServiceError("error.qr_number_required", field="number"))
            return
        try:
            with session_scope() as session:
                matched = qrlogin.confirm(session, self._qr_pending, self._current_voter(), picked, client=self._client())
        except ServiceError as exc:
            self._show(exc)
            self._forget_request()
            return
        self._finish("confirmed" if matched else "wrong_number")

    @rx.event
    @voter_required
    def refuse(self):
        self._clear_messages()
        try:
            with session_scope() as session:
                qrlogin.refuse(session, self._qr_pending, self._current_voter(), client=self._client())
        except ServiceError as exc:
            self._show(exc)
            self._forget_request()
            return
        self._finish("refused")
