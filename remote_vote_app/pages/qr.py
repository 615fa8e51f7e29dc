"""The QR login: the desktop's panel on /login, and /qr where the phone confirms."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import choice, error_summary, field_error, notice, submit_button, summary_row
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.qr_code import qr_image
from remote_vote_app.state.qr import QrDesktopState, QrPhoneState


def desktop_panel() -> rx.Component:
    s = QrDesktopState
    return rx.el.section(
        rx.el.h2(tr["qr.title"], id="qr-title"),
        rx.el.p(tr["qr.lead"], class_name="hint"),
        rx.match(
            s.qr_status,
            ("pending", rx.el.div(
                qr_image(value=s.qr_link, alt=tr["qr.image_alt"], size=220, id="qr-image"),
                rx.el.p(tr["qr.number_lead"], " ", rx.el.strong(s.qr_number, id="qr-number", class_name="qr-number")),
                rx.el.p(tr["qr.waiting"], role="status", id="qr-status"),
                rx.el.p(tr["qr.link_label"], " ", rx.el.a(s.qr_link, href=s.qr_link, id="qr-link", class_name="break"),
                        class_name="hint"),
            )),
            ("expired", rx.el.p(tr["error.qr_expired"], role="alert", id="qr-status", class_name="field-error")),
            ("refused", rx.el.p(tr["error.qr_refused"], role="alert", id="qr-status", class_name="field-error")),
            rx.fragment(),
        ),
        rx.cond(s.qr_status != "pending",
                rx.el.button(tr["qr.show"], type="button", on_click=QrDesktopState.start_qr, class_name="button secondary",
                             id="qr-start")),
        aria_labelledby="qr-title",
        class_name="card",
    )


def _number_choice() -> rx.Component:
    """The three numbers; only the desktop the voter is logging in on shows which one is right."""
    return rx.el.fieldset(
        rx.el.legend(tr["qr.pick_number"], class_name="label"),
        rx.el.p(tr["qr.pick_hint"], id="number-hint", class_name="hint"),
        field_error("number"),
        rx.el.div(
            rx.foreach(QrPhoneState.choices, lambda n: choice("radio", "number", n, "number-" + n, n)),
            class_name="number-choices",
        ),
        id="number",
        tab_index=-1,
        aria_describedby="number-hint",
        class_name="field",
    )


def _request() -> rx.Component:
    r = QrPhoneState.request
    return rx.fragment(
        rx.el.p(tr["qr.request_text"]),
        rx.el.dl(
            summary_row(tr["qr.address"], rx.el.span(r["client"], id="qr-client")),
            summary_row(tr["qr.network"], rx.el.span(
                rx.cond(r["same_network"] == "1", tr["qr.network_same"], tr["qr.network_other"]), id="qr-network")),
            summary_row(tr["qr.time"], r["time"]),
            summary_row(tr["qr.browser_claimed"], rx.el.span(r["browser"], id="qr-browser")),
            class_name="summary",
        ),
        rx.el.p(tr["qr.warning"], class_name="notice important"),
        rx.el.form(
            _number_choice(),
            rx.el.div(
                submit_button("qr.allow", id="qr-allow"),
                rx.el.button(tr["qr.deny"], type="button", on_click=QrPhoneState.refuse, class_name="button secondary",
                             id="qr-deny"),
                class_name="button-row",
            ),
            on_submit=QrPhoneState.confirm,
            reset_on_submit=False,
            no_validate=True,
        ),
    )


def phone_page() -> rx.Component:
    return page(
        rx.el.h1(tr["qr.confirm_title"]),
        notice(),
        error_summary(),
        rx.match(
            QrPhoneState.outcome,
            ("confirmed", rx.el.p(tr["qr.confirmed"], role="status", class_name="notice", id="qr-outcome")),
            ("refused", rx.el.p(tr["qr.refused_here"], role="status", class_name="notice", id="qr-outcome")),
            ("wrong_number", rx.el.p(tr["qr.wrong_number"], role="alert", class_name="notice important", id="qr-outcome")),
            rx.cond(QrPhoneState.request.contains("client"), _request()),
        ),
    )
