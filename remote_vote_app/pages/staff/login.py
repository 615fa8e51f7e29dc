"""Staff login: password, then the authenticator code; enrolment and recovery codes at first login."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.checkin_desk import checkin_wipe
from remote_vote_app.components.forms import error_summary, notice, submit_button, text_field
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.qr_code import qr_image
from remote_vote_app.state.staff.login import StaffLoginState


def _code_form(on_submit, button_key: str, button_id: str) -> rx.Component:
    return rx.el.form(
        text_field("code", "staff.totp_code", "staff.totp_code_hint", input_mode="numeric",
                   auto_complete="one-time-code", max_length=16, auto_focus=True),
        submit_button(button_key, id=button_id),
        on_submit=on_submit,
        reset_on_submit=True,
        no_validate=True,
    )


def _start_over() -> rx.Component:
    return rx.el.p(rx.el.button(tr["staff.totp_start_over"], type="button", on_click=StaffLoginState.start_over,
                                class_name="link-button"))


def _password_step() -> rx.Component:
    return rx.el.form(
        text_field("username", "staff.username", None, auto_complete="username", max_length=64),
        text_field("password", "staff.password", None, type="password", auto_complete="current-password",
                   max_length=200),
        # Past the account's ceiling the code comes with the password (see services.identity.staff).
        rx.cond(StaffLoginState.code_first,
                text_field("code", "staff.totp_code", "staff.totp_code_hint", input_mode="numeric",
                           auto_complete="one-time-code", max_length=16)),
        submit_button("staff.login", id="staff-login"),
        on_submit=StaffLoginState.login,
        reset_on_submit=False,
        no_validate=True,
    )


def _code_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.totp_title"], id="step-heading"),
        rx.el.p(tr["staff.totp_lead"]),
        _code_form(StaffLoginState.submit_code, "staff.totp_submit", "staff-code"),
        _start_over(),
        aria_labelledby="step-heading",
    )


def _enrol_code_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.enrol_code_title"], id="step-heading"),
        rx.el.p(tr["staff.enrol_code_lead"]),
        rx.el.form(
            text_field("code", "staff.enrol_code", "staff.enrol_code_hint", auto_complete="off", max_length=20,
                       auto_focus=True),
            submit_button("staff.enrol_code_submit", id="staff-enrol-code"),
            on_submit=StaffLoginState.submit_enrolment_code,
            reset_on_submit=True,
            no_validate=True,
        ),
        _start_over(),
        aria_labelledby="step-heading",
    )


def _enrol_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.enrol_title"], id="step-heading"),
        rx.el.p(tr["staff.enrol_lead"]),
        qr_image(value=StaffLoginState.enrol_uri, alt=tr["staff.enrol_qr_alt"], size=220, id="enrol-qr"),
        rx.el.p(tr["staff.enrol_secret"], " ", rx.el.code(StaffLoginState.enrol_secret, id="enrol-secret")),
        rx.el.p(tr["staff.enrol_once"], class_name="hint"),
        _code_form(StaffLoginState.confirm_enrolment, "staff.enrol_confirm", "staff-enrol-confirm"),
        _start_over(),
        aria_labelledby="step-heading",
    )


def _recovery_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.recovery_title"], id="recovery-heading", tab_index=-1),
        rx.el.p(tr["staff.recovery_lead"]),
        rx.el.ul(rx.foreach(StaffLoginState.recovery_codes, lambda c: rx.el.li(rx.el.code(c))), id="recovery-codes"),
        rx.el.button(tr["staff.recovery_done"], type="button", on_click=StaffLoginState.finish, class_name="button",
                     id="recovery-done"),
        aria_labelledby="recovery-heading",
    )


def staff_login() -> rx.Component:
    return page(
        rx.el.h1(tr["staff.login_title"]),
        checkin_wipe(),  # every logout and ended session lands here: no desk data outlives it
        notice(),
        error_summary(),
        rx.match(
            StaffLoginState.step,
            ("code", _code_step()),
            ("enrol_code", _enrol_code_step()),
            ("enrol", _enrol_step()),
            ("recovery_codes", _recovery_step()),
            _password_step(),
        ),
    )
