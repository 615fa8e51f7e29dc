"""/login : PIN + document number, then the SMS code."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import error_summary, notice, send_button, text_field
from remote_vote_app.components.layout import back_link, page, tr
from remote_vote_app.pages.qr import desktop_panel
from remote_vote_app.state.login import LoginState


def _id_form() -> rx.Component:
    return rx.el.form(
        text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off", max_length=20,
                   spell_check=False),
        text_field("document", "login.document", "login.document_hint", auto_complete="off", max_length=20,
                   auto_capitalize="characters", spell_check=False),
        send_button("login.submit", id="get-code"),
        on_submit=LoginState.start,
        reset_on_submit=False,
        no_validate=True,
    )


def _code_form() -> rx.Component:
    return rx.fragment(
        rx.el.p(LoginState.code_sent_text, id="code-sent"),
        rx.el.form(
            text_field("code", "login.code", None, input_mode="numeric", auto_complete="one-time-code", max_length=6,
                       pattern="[0-9]*"),
            send_button("login.verify", id="verify-code"),
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


def eid_entry() -> rx.Component:
    return rx.cond(
        LoginState.eid_available,
        rx.el.button(tr["login.eid"], type="button", on_click=LoginState.start_eid, class_name="button secondary",
                     id="eid-start"),
        rx.el.p(tr["login.eid"], ": ", tr["error.eid_unavailable"], class_name="hint", id="eid-unavailable"),
    )


def login() -> rx.Component:
    return page(
        rx.cond(LoginState.step == "code", back_link("/login", on_click=LoginState.restart)),
        # Each step names itself: after "Получить код" focus moves to this heading (the new step).
        rx.el.h1(rx.cond(LoginState.step == "code", tr["login.code_title"], tr["login.title"]), id="page-title",
                 tab_index=-1),
        notice(),
        error_summary(),
        rx.cond(LoginState.step == "code", _code_form(), rx.fragment(rx.el.p(tr["login.lead"]), _id_form())),
        rx.cond(
            LoginState.step == "id",
            rx.fragment(
                desktop_panel(),
                rx.el.section(
                    rx.el.h2(tr["login.methods"], id="methods-title"),
                    rx.el.ul(
                        rx.el.li(rx.el.a(tr["login.face"], href="/login/face")),
                        rx.el.li(eid_entry()),
                        class_name="stack",
                    ),
                    aria_labelledby="methods-title",
                ),
            ),
        ),
    )
