"""/login : PIN + document number, then the SMS code."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import error_summary, notice, submit_button, text_field
from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.login import LoginState


def _id_form() -> rx.Component:
    return rx.el.form(
        text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off", max_length=20,
                   spell_check=False),
        text_field("document", "login.document", "login.document_hint", auto_complete="off", max_length=20,
                   auto_capitalize="characters", spell_check=False),
        submit_button("login.submit", id="get-code"),
        on_submit=LoginState.start,
        reset_on_submit=False,
        no_validate=True,
    )


def _code_form() -> rx.Component:
    return rx.fragment(
        rx.el.h2(tr["login.code_title"]),
        rx.el.p(LoginState.code_sent_text, id="code-sent"),
        rx.el.form(
            text_field("code", "login.code", None, input_mode="numeric", auto_complete="one-time-code", max_length=6,
                       pattern="[0-9]*"),
            submit_button("login.verify", id="verify-code"),
            on_submit=LoginState.verify,
            reset_on_submit=True,
            no_validate=True,
        ),
        rx.el.div(
            rx.el.button(tr["login.resend"], type="button", on_click=LoginState.resend, class_name="button secondary"),
            rx.el.button(tr["login.restart"], type="button", on_click=LoginState.restart, class_name="button secondary"),
            class_name="button-row",
        ),
    )


def login() -> rx.Component:
    return page(
        rx.el.h1(tr["login.title"]),
        notice(),
        error_summary(),
        rx.cond(LoginState.step == "code", _code_form(), rx.fragment(rx.el.p(tr["login.lead"]), _id_form())),
        rx.el.p(tr["login.other_methods"], class_name="hint other-methods"),
    )
