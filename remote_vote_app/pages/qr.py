"""The QR login: the desktop's panel on /login, the cabinet's entry, and /qr where the phone's
camera reads the code and the voter approves."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.forms import error_summary, notice, summary_row
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.qr_code import qr_image_on_demand, qr_scanner
from remote_vote_app.state.qr import QrDesktopState, QrPhoneState


def desktop_panel() -> rx.Component:
    s = QrDesktopState
    return rx.el.section(
        rx.el.h2(tr["qr.title"], id="qr-title"),
        rx.el.p(tr["qr.lead"], class_name="hint"),
        rx.match(
            s.qr_status,
            ("pending", rx.el.div(
                qr_image_on_demand(value=s.qr_value, alt=tr["qr.image_alt"], size=220, id="qr-image"),
                rx.el.p(tr["qr.rotates"], class_name="hint"),
                rx.el.p(rx.cond(s.qr_scanned, tr["qr.scanned_desktop"], tr["qr.waiting"]), role="status",
                        id="qr-status"),
            )),
            ("expired", rx.el.p(tr["error.qr_expired"], role="alert", id="qr-status", class_name="field-error")),
            ("refused", rx.el.p(tr["error.qr_refused"], role="alert", id="qr-status", class_name="field-error")),
            rx.fragment(),
        ),
        rx.cond(s.qr_status != "pending",
                rx.el.button(tr["qr.show"], type="button", on_click=QrDesktopState.start_qr, class_name="button secondary",
                             id="qr-start")),
        aria_labelledby="qr-title",
        id="qr-desktop",
        # Not on phones: the code is for a phone to read, on a computer's screen.
        class_name="card desktop-only",
    )


def cabinet_entry() -> rx.Component:
    """The cabinet's way to the scanner."""
    return rx.el.section(
        rx.el.h2(tr["qr.confirm_title"], id="qr-entry-title"),
        rx.el.p(tr["qr.entry_text"], class_name="hint"),
        rx.el.a(tr["qr.entry_link"], href=routes.QR, id="qr-entry", class_name="button secondary"),
        aria_labelledby="qr-entry-title",
    )


def _request() -> rx.Component:
    """What the voter approves, said plainly, and the two choices."""
    r = QrPhoneState.request
    return rx.el.section(
        rx.el.h2(tr["qr.request_text"], id="qr-request-title"),
        rx.el.dl(
            summary_row(tr["qr.address"], rx.el.span(r["client"], id="qr-client")),
            summary_row(tr["qr.network"], rx.el.span(
                rx.cond(r["same_network"] == "1", tr["qr.network_same"], tr["qr.network_other"]), id="qr-network")),
            summary_row(tr["qr.time"], rx.el.span(r["time"], id="qr-time")),
            summary_row(tr["qr.browser_claimed"], rx.el.span(r["browser"], id="qr-browser")),
            class_name="summary",
        ),
        rx.el.p(tr["qr.warning"], class_name="notice important"),
        rx.el.div(
            rx.el.button(tr["qr.allow"], type="button", on_click=QrPhoneState.confirm, class_name="button",
                         id="qr-allow"),
            rx.el.button(tr["qr.deny"], type="button", on_click=QrPhoneState.refuse, class_name="button secondary",
                         id="qr-deny"),
            class_name="button-row",
        ),
        aria_labelledby="qr-request-title",
        id="qr-request",
    )


def _scanner() -> rx.Component:
    labels = {"start": tr["qr.scan_start"], "stop": tr["qr.scan_stop"], "camera": tr["qr.scan_camera"],
              "scanning": tr["qr.scan_scanning"], "no_camera": tr["qr.scan_no_camera"], "not_ours": tr["qr.scan_not_ours"]}
    return rx.fragment(
        rx.el.p(tr["qr.scan_lead"]),
        qr_scanner(labels=labels, on_scan=QrPhoneState.scanned),
        rx.el.p(tr["qr.no_camera_hint"], class_name="hint", id="qr-no-camera"),
    )


def _signed_in() -> rx.Component:
    return rx.fragment(
        rx.match(
            QrPhoneState.outcome,
            ("confirmed", rx.el.p(tr["qr.confirmed"], role="status", class_name="notice", id="qr-outcome")),
            ("refused", rx.el.p(tr["qr.refused_here"], role="status", class_name="notice", id="qr-outcome")),
            rx.fragment(),
        ),
        rx.cond(QrPhoneState.request.contains("client"), _request(), _scanner()),
        rx.el.p(rx.el.a(tr["qr.back_to_cabinet"], href=routes.CABINET, id="qr-back")),
    )


def _anonymous() -> rx.Component:
    """A link opened from a message, or the phone's own camera app: what to do, nothing to approve."""
    return rx.fragment(
        rx.el.p(tr["qr.anon_text"], id="qr-anon-text"),
        rx.el.p(tr["qr.no_camera_hint"], class_name="hint", id="qr-no-camera"),
        rx.el.a(tr["qr.anon_login"], href=routes.LOGIN, id="qr-login", class_name="button"),
    )


def phone_page() -> rx.Component:
    return page(
        rx.el.h1(tr["qr.confirm_title"]),
        notice(),
        error_summary(),
        rx.cond(QrPhoneState.signed_in, _signed_in(), _anonymous()),
    )
