"""QR login: the desktop that shows the code, and the phone that confirms it."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from remote_vote_app.db import run_in_transaction
from remote_vote_app.services import qrlogin, register
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.state.app import FAILED, AppState, as_strings, voter_required

POLL_SECONDS = 1
POLL_LEASE_SECONDS = 4


class QrDesktopState(AppState):
    qr_link: str = ""
    qr_status: str = ""  # "" | pending | expired | refused
    qr_number: str = ""  # the number the phone must pick
    _qr_token: str = ""
    # A lease, not a flag: a poller that died with its worker stops renewing it, and the next
    # start_qr (on whichever worker) polls again.
    _poll_until: float = 0.0

    @rx.event
    async def start_qr(self):
        """Show a fresh one-time code (only on request, so visitors do not mint links)."""
        user_agent, client = self.router.headers.user_agent, self._client()
        link = await self._run(lambda s: qrlogin.create(s, user_agent, client=client))
        if link is FAILED:
            return
        origin = self.router.headers.origin or f"http://{self.router.headers.host}"
        self._qr_token, self.qr_number = link.token, str(link.number)
        self.qr_link = f"{origin}/qr?t={link.token}"
        self.qr_status = "pending"
        return QrDesktopState.wait_for_phone

    @rx.event(background=True)
    async def wait_for_phone(self):
        async with self:
            if time.time() < self._poll_until:
                return  # a live poller is on it
            self._poll_until = time.time() + POLL_LEASE_SECONDS
        try:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                async with self:
                    if self.qr_status != "pending" or not self._qr_token:
                        return
                    self._poll_until = time.time() + POLL_LEASE_SECONDS
                    token, client = self._qr_token, self._client()

                def poll(session):
                    voter_id = qrlogin.poll(session, token, client=client)
                    return voter_id, register.profile(session, voter_id).full_name if voter_id else ""

                try:
                    voter_id, name = await run_in_transaction(poll)
                except ServiceError as exc:
                    async with self:
                        self.qr_status = "refused" if exc.code == "error.qr_refused" else "expired"
                        self._qr_token = ""
                    return
                if voter_id:
                    async with self:
                        self._qr_token, self.qr_status, self.qr_link, self.qr_number = "", "", "", ""
                        yield await self._log_in(voter_id, name, method="qr")
                    return
        finally:
            async with self:
                self._poll_until = 0.0


class QrPhoneState(AppState):
    # client, same_network ("1" / ""), time, browser (self-declared); empty when there is nothing to decide
    request: dict[str, str] = {}
    choices: list[str] = []  # the three numbers to pick from
    outcome: str = ""  # "" | confirmed | refused | wrong_number

    @rx.event
    async def load(self):
        """/qr?t=...: remember the link, then ask the voter to log in here if needed."""
        token = self.router.url.query_parameters.get("t", "")
        if token:
            self._qr_pending = token
            self.outcome = ""
        if not await self._voter():
            self._go_on_to("/qr")
            self.notice_key = "qr.login_first"
            return rx.redirect("/login")
        self._clear_messages()
        pending, client = self._qr_pending, self._client()
        info = await self._run(lambda s: qrlogin.describe(s, pending, client))
        if info is FAILED:
            self._forget_request()
        else:
            self.choices = [str(n) for n in info.pop("choices")]
            self.request, self.outcome = as_strings(info), ""
        return self._ready()

    def _forget_request(self) -> None:
        self.request, self.choices = {}, []

    def _finish(self, outcome: str) -> None:
        self.outcome = outcome
        self._forget_request()
        self._qr_pending = ""

    @rx.event
    @voter_required
    async def confirm(self, form_data: dict):
        """Allow the desktop in, with the number the voter picked among the three."""
        self._clear_messages()
        picked = form_data.get("number") if isinstance(form_data, dict) else None
        if not picked:
            self._show(ServiceError("error.qr_number_required", field="number"))
            return
        pending, voter_id, client = self._qr_pending, self._voter_id, self._client()
        matched = await self._run(lambda s: qrlogin.confirm(s, pending, voter_id, picked, client=client))
        if matched is FAILED:
            self._forget_request()
            return
        self._finish("confirmed" if matched else "wrong_number")

    @rx.event
    @voter_required
    async def refuse(self):
        self._clear_messages()
        pending, voter_id, client = self._qr_pending, self._voter_id, self._client()
        if await self._run(lambda s: qrlogin.refuse(s, pending, voter_id, client=client)) is FAILED:
            self._forget_request()
            return
        self._finish("refused")
