"""QR login: the desktop that shows the code, and the phone whose camera reads it in the cabinet."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.db import run_in_transaction
from remote_vote_app.services.identity import qrlogin
from remote_vote_app.services.reference import register
from remote_vote_app.errors import ServiceError
from remote_vote_app.state.app import FAILED, AppState, as_strings, focus_on, voter_required

POLL_SECONDS = 1
POLL_LEASE_SECONDS = 4


class QrDesktopState(AppState):
    qr_value: str = ""  # the QR code's text; its rotating part changes every qrlogin.ROTATE_SECONDS
    qr_status: str = ""  # "" | pending | expired | refused
    qr_scanned: bool = False  # a phone has read the code and is deciding
    _qr_token: str = ""
    _qr_link_id: str = ""
    _qr_origin: str = ""
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
        self._qr_origin = self.router.headers.origin or f"http://{self.router.headers.host}"
        self._qr_token, self._qr_link_id = link.token, link.link_id
        self.qr_value = qrlogin.payload(self._qr_origin, link.link_id)
        self.qr_status, self.qr_scanned = "pending", False
        # The button went away with its press: focus the code's status, so what to do now is read out.
        return [focus_on("qr-status"), QrDesktopState.wait_for_phone]

    def _stop_qr(self, status: str) -> None:
        self._qr_token, self._qr_link_id, self.qr_value, self.qr_scanned = "", "", "", False
        self.qr_status = status

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
                    found = qrlogin.poll(session, token, client=client)
                    name = register.profile(session, found.voter_id).full_name if found.voter_id else ""
                    return found, name

                try:
                    found, name = await run_in_transaction(poll)
                except ServiceError as exc:
                    async with self:
                        self._stop_qr("refused" if exc.code == "error.qr_refused" else "expired")
                    return
                async with self:
                    if found.voter_id:
                        self._stop_qr("")
                        yield await self._log_in(found.voter_id, name, method="qr")  # never the phone's method
                        return
                    value = qrlogin.payload(self._qr_origin, self._qr_link_id)
                    if value != self.qr_value:
                        self.qr_value = value
                    if found.scanned != self.qr_scanned:
                        self.qr_scanned = found.scanned
        finally:
            async with self:
                self._poll_until = 0.0


class QrPhoneState(AppState):
    """/qr: for a logged-in voter, the camera scanner and then the decision; for anyone else only
    what to do (a link, even one carrying a live code, approves nothing)."""

    signed_in: bool = False
    # client, same_network ("1" / ""), time, browser (self-declared); empty when there is nothing to decide
    request: dict[str, str] = {}
    outcome: str = ""  # "" | confirmed | refused

    @rx.event
    async def load(self):
        self._forget_request()
        self.outcome = ""
        self.signed_in = bool(await self._voter())
        if not self.signed_in:
            self._go_on_to(routes.QR)  # after logging in here, back to the scanner
        return self._ready()

    def _forget_request(self) -> None:
        self.request, self._qr_pending = {}, ""

    @rx.event
    @voter_required
    async def scanned(self, text: str):
        """The cabinet's camera scanner read a QR code (the only way a link reaches a decision)."""
        self._clear_messages()
        self._forget_request()
        self.outcome = ""
        parsed = qrlogin.parse(text)
        voter_id, client = self._voter_id, self._client()
        info = await self._run(lambda s: qrlogin.scan(s, text, voter_id, client=client))
        if info is FAILED or parsed is None:
            return
        self._qr_pending = parsed[0]
        self.request = as_strings(info)

    @rx.event
    @voter_required
    async def confirm(self):
        """Approve the login of the device whose screen this phone just scanned."""
        await self._decide(qrlogin.confirm, "confirmed")

    @rx.event
    @voter_required
    async def refuse(self):
        await self._decide(qrlogin.refuse, "refused")

    async def _decide(self, decide, outcome: str) -> None:
        self._clear_messages()
        link_id, voter_id, client = self._qr_pending, self._voter_id, self._client()
        if not link_id:
            self._show(ServiceError("error.qr_scan_first"))
            return
        done = await self._run(lambda s: decide(s, link_id, voter_id, client=client))
        self._forget_request()
        if done is not FAILED:
            self.outcome = outcome
