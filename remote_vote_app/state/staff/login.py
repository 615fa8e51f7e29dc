"""Staff login: the password, then the TOTP code (or enrolment at first login)."""

from __future__ import annotations

import time
from typing import Any, Callable

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.services.identity import staff
from remote_vote_app.services.identity.staff import StaffUser
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import START_PAGE, StaffState


class StaffLoginState(StaffState):
    """Between the two steps only the account id and a deadline are kept, server-side; never the password."""

    step: str = "password"  # password | code | enrol_code | enrol | recovery_codes
    enrol_uri: str = ""  # the otpauth:// URI the QR code shows, once during enrolment, then cleared
    enrol_secret: str = ""
    recovery_codes: list[str] = []
    code_first: bool = False  # the account is past its ceiling: password and code in one form
    _pending_staff_id: int = 0
    _pending_until: float = 0.0

    def _restart(self) -> None:
        self.step, self.enrol_uri, self.enrol_secret, self.recovery_codes = "password", "", "", []
        self._pending_staff_id, self._pending_until = 0, 0.0

    def _pending(self) -> int:
        """The account that gave a right password, if that was recent enough."""
        if self._pending_staff_id and time.time() < self._pending_until:
            return self._pending_staff_id
        self._restart()
        self.error_entries = {"form": {"key": "error.staff_step_expired"}}
        return 0

    async def _finish(self, user: StaffUser):
        self._restart()  # nothing of the login steps stays
        return await self._start_staff_session(user)

    @rx.event
    async def on_load(self):
        self.error_entries = {}
        self._restart()
        self.code_first = False
        if user := await self._staff_user(touch=False):
            return rx.redirect(START_PAGE.get(user.role, routes.STAFF))
        return self._ready()

    @rx.event
    async def login(self, form_data: dict):
        self._clear_messages()
        self._restart()
        username, password = str(form_data.get("username", "")), str(form_data.get("password", ""))
        # A code field that is not shown comes as null (Reflex sends every ref of the form): no code.
        code, client = str(form_data.get("code") or "").strip(), self._client()
        if code:
            user = await self._run(lambda s: staff.authenticate_with_code(s, username, password, code, client))
            return None if user is FAILED else await self._finish(user)

        step = await self._run(lambda s: staff.authenticate(s, username, password, client))  # argon2: off the loop
        if step is FAILED:
            if self._error_key() == "error.staff_code_first":
                self.code_first = True
            return
        self._pending_staff_id, self._pending_until = step.staff_id, time.time() + staff.SECOND_STEP_SECONDS
        # Not enrolled: the admin's one-time enrolment code first, then the QR code (the password alone shows no secret).
        self.step = "code" if step.enrolled else "enrol_code"  # the field takes the focus as it appears

    async def _code_step(self, step: str, check: Callable) -> Any:
        """Run `check(session, staff_id, code, client)` for the pending account at `step`; a wrong
        code stays on the step, anything else (throttled, expired) starts again from the password."""
        staff_id = self._pending()
        if not staff_id or self.step != step:
            return FAILED
        client = self._client()
        result = await self._run(lambda s: check(s, staff_id, client))
        if result is FAILED and self._error_key() in ("error.staff_code", "error.staff_enrolment_code"):
            self.error_entries = {"code": {"key": self._error_key()}}
        elif result is FAILED:
            entries = self.error_entries
            self._restart()
            self.error_entries = entries
        return result

    @rx.event
    async def submit_code(self, form_data: dict):
        self._clear_messages()
        code = str(form_data.get("code", ""))
        user = await self._code_step("code", lambda s, staff_id, client: staff.second_factor(s, staff_id, code, client))
        return None if user is FAILED else await self._finish(user)

    @rx.event
    async def submit_enrolment_code(self, form_data: dict):
        self._clear_messages()
        code = str(form_data.get("code", ""))
        enrolment = await self._code_step(
            "enrol_code", lambda s, staff_id, client: staff.start_enrolment(s, staff_id, code, client))
        if enrolment is FAILED:
            return None
        self.step, self.enrol_uri, self.enrol_secret = "enrol", enrolment.uri, enrolment.secret
        return None

    @rx.event
    async def confirm_enrolment(self, form_data: dict):
        self._clear_messages()
        code = str(form_data.get("code", ""))
        done = await self._code_step("enrol",
                                     lambda s, staff_id, client: staff.confirm_enrolment(s, staff_id, code, client))
        if done is FAILED:
            return None
        _user, codes = done
        # The session starts once the codes are noted down ("continue"); until then only the id waits.
        self._pending_until = time.time() + staff.SECOND_STEP_SECONDS
        self.step, self.enrol_uri, self.enrol_secret, self.recovery_codes = "recovery_codes", "", "", codes
        return rx.set_focus("recovery-heading")

    @rx.event
    async def finish(self):
        """Recovery codes noted down: clear them and go to work."""
        staff_id = self._pending() if self.step == "recovery_codes" else 0
        if not staff_id:
            return None
        user = await self._run(lambda s: staff.reload(s, staff_id))
        return None if user is None or user is FAILED else await self._finish(user)

    @rx.event
    def start_over(self):
        self._clear_messages()
        self._restart()
        self.code_first = False
        return rx.set_focus("username")
