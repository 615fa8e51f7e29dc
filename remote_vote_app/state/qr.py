"""QR login: the desktop that shows the code, and the phone that confirms it."""

from __future__ import annotations

import asyncio

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.services import qrlogin, register
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.state.app import AppState, voter_required

POLL_SECONDS = 1


class QrDesktopState(AppState):
    qr_image: str = ""
    qr_link: str = ""
    qr_status: str = ""  # "" | pending | expired | refused
    _qr_token: str = ""
    waiting: bool = False

    @rx.event
    def start_qr(self):
        """Show a fresh one-time code (only on request, so visitors do not mint links)."""
        try:
            with session_scope() as session:
                token, _expires = qrlogin.create(session, self.router.headers.user_agent, client=self._client())
        except ServiceError as exc:
            self._show(exc)
            return
        origin = self.router.headers.origin or f"http://{self.router.headers.host}"
        self._qr_token = token
        self.qr_link = f"{origin}/qr?t={token}"
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
                            voter_id = qrlogin.poll(session, self._qr_token)
                            name = register.profile(session, voter_id).full_name if voter_id else ""
                    except ServiceError as exc:
                        self.qr_status = "refused" if exc.code == "error.qr_refused" else "expired"
                        self._qr_token = ""
                        return
                    if voter_id:
                        self._qr_token, self.qr_status, self.qr_image, self.qr_link = "", "", "", ""
                        yield await self._log_in(voter_id, name, method="qr")
                        return
        finally:
            async with self:
                self.waiting = False


class QrPhoneState(AppState):
    request: dict[str, str] = {}
    outcome: str = ""  # "" | confirmed | refused

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
                self.request = qrlogin.describe(session, self._qr_pending)
        except ServiceError as exc:
            self.request = {}
            self._show(exc)
        return AppState.page_ready

    @rx.event
    @voter_required
    def decide(self, allow: bool):
        self._clear_messages()
        try:
            with session_scope() as session:
                if allow is True:
                    qrlogin.confirm(session, self._qr_pending, self._current_voter())
                else:
                    qrlogin.refuse(session, self._qr_pending, self._current_voter())
        except ServiceError as exc:
            self._show(exc)
            self.request = {}
            return
        self.outcome = "confirmed" if allow is True else "refused"
        self.request, self._qr_pending = {}, ""
