"""/login : PIN + document number, then the SMS code."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.forms import error_summary, notice, send_button, text_field
from remote_vote_app.components.layout import back_link, page, tr
from remote_vote_app.components.ux import ResendButton
from remote_vote_app.pages.qr import desktop_panel
from remote_vote_app.settings import settings
from remote_vote_app.state.app import AppState
from remote_vote_app.state.login import LoginState


def _id_form() -> rx.Component:
    return rx.el.form(
        text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off", max_length=20,
                   spell_check=False),
        text_field("document", "login.document", "login.document_hint", auto_complete="off", max_length=20,
                   auto_capitalize="characters", spell_check=False),
        send_button("login.submit", id="get-code", settle=AppState.error_seq.to(str) + LoginState.step),
        on_submit=LoginState.start,
        reset_on_submit=False,
        no_validate=True,
    )


def _code_form() -> rx.Component:
    return rx.fragment(
        rx.el.p(LoginState.code_sent_text, id="code-sent"),
        rx.el.form(
            rx.cond(
                LoginState.code_strong,
                text_field("code", "login.code_strong", "login.code_strong_hint", auto_complete="one-time-code",
                           auto_capitalize="characters", spell_check=False, max_length=24),
                text_field("code", "login.code", None, input_mode="numeric", auto_complete="one-time-code",
                           max_length=6, pattern="[0-9]*"),
            ),
            send_button("login.verify", id="verify-code"),
            on_submit=LoginState.verify,
            reset_on_submit=True,
            no_validate=True,
        ),
        rx.el.div(
            ResendButton.create(label=tr["login.resend"], wait_text=tr["login.resend_wait"],
                                ready_text=tr["login.resend_ready"], seconds=LoginState.resend_in,
                                seq=LoginState.resend_seq, on_press=LoginState.resend, id="resend-code"),
            rx.el.button(tr["login.restart"], type="button", on_click=LoginState.restart, class_name="button secondary"),
            class_name="button-row",
        ),
    )


def eid_entry() -> rx.Component:
    start = rx.el.button(tr["login.eid"], type="button", on_click=LoginState.start_eid, class_name="button secondary",
                         id="eid-start")
    if settings.demo_mode:  # `make run` starts a test provider: say so next to the button
        start = rx.fragment(start, rx.el.p(tr["login.eid_demo"], class_name="hint demo-note", id="eid-demo"))
    return rx.cond(
        LoginState.eid_available,
        start,
        rx.el.p(tr["login.eid"], ": ", tr["error.eid_unavailable"], class_name="hint", id="eid-unavailable"),
    )


def login() -> rx.Component:
    return page(
        rx.cond(LoginState.step == "code", back_link(routes.LOGIN, on_click=LoginState.restart)),
        # Each step names itself: after "Получить код" focus moves to this heading (the new step).
        rx.el.h1(rx.cond(LoginState.step == "code", tr["login.code_title"], tr["login.title"]), id="page-title",
                 tab_index=-1),
        notice(),
        error_summary(),
        rx.cond(LoginState.step == "code", _code_form()),
        # Hidden, not removed, on the code step: an expired code brings the voter back to these
        # fields as they were typed (WCAG 3.3.7), without the server keeping them.
        rx.el.div(rx.el.p(tr["login.lead"]), _id_form(), hidden=LoginState.step == "code", id="id-step"),
        rx.cond(
            LoginState.step == "id",
            rx.fragment(
                desktop_panel(),
                rx.el.section(
                    rx.el.h2(tr["login.methods"], id="methods-title"),
                    rx.el.ul(
                        rx.el.li(rx.el.a(tr["login.face"], href=routes.LOGIN_FACE)),
                        rx.el.li(eid_entry()),
                        class_name="stack",
                    ),
                    aria_labelledby="methods-title",
                ),
            ),
        ),
    )
