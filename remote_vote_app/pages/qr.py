"""The QR login: the desktop's panel on /login, and /qr where the phone confirms."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import error_summary, notice, summary_row
from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.qr import QrDesktopState, QrPhoneState


def desktop_panel() -> rx.Component:
    s = QrDesktopState
    return rx.el.section(
        rx.el.h2(tr["qr.title"], id="qr-title"),
        rx.el.p(tr["qr.lead"], class_name="hint"),
        rx.match(
            s.qr_status,
            ("pending", rx.el.div(
                rx.el.img(src=s.qr_image, alt=tr["qr.image_alt"], width="220", height="220", id="qr-image"),
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


def phone_page() -> rx.Component:
    r = QrPhoneState.request
    return page(
        rx.el.h1(tr["qr.confirm_title"]),
        notice(),
        error_summary(),
        rx.match(
            QrPhoneState.outcome,
            ("confirmed", rx.el.p(tr["qr.confirmed"], role="status", class_name="notice", id="qr-outcome")),
            ("refused", rx.el.p(tr["qr.refused_here"], role="status", class_name="notice", id="qr-outcome")),
            rx.cond(
                r.contains("browser"),
                rx.fragment(
                    rx.el.p(tr["qr.confirm_text"]),
                    rx.el.dl(
                        summary_row(tr["qr.browser"], rx.el.span(r["browser"], id="qr-browser")),
                        summary_row(tr["qr.time"], r["time"]),
                        class_name="summary",
                    ),
                    rx.el.p(tr["qr.warning"], class_name="notice important"),
                    rx.el.div(
                        rx.el.button(tr["qr.allow"], type="button", on_click=QrPhoneState.decide(True), class_name="button",
                                     id="qr-allow"),
                        rx.el.button(tr["qr.deny"], type="button", on_click=QrPhoneState.decide(False),
                                     class_name="button secondary", id="qr-deny"),
                        class_name="button-row",
                    ),
                ),
            ),
        ),
    )
