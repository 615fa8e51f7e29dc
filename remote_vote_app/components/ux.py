"""Client-side GOV.UK pieces (ux.jsx): they work while the server is slow or unreachable."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import internals

has_connection_errors = internals.connection_errors()  # Reflex's own websocket state, on the client

_LIBRARY = "$/public" + rx.asset("ux.jsx", shared=True)


class _Ux(rx.Component):
    library = _LIBRARY


class SkipLink(_Ux):
    tag = "SkipLink"
    text: rx.Var[str]


class NavLink(_Ux):
    tag = "NavLink"
    href: rx.Var[str]
    label: rx.Var[str]


class MenuToggle(_Ux):
    tag = "MenuToggle"
    label: rx.Var[str]
    controls: rx.Var[str]


class ErrorSummary(_Ux):
    tag = "ErrorSummary"
    errors: rx.Var[dict[str, str]]
    title: rx.Var[str]
    prefix: rx.Var[str]
    seq: rx.Var[int]


class ConnectionStatus(_Ux):
    tag = "ConnectionStatus"
    lost: rx.Var[bool]
    texts: rx.Var[dict[str, str]]


class SendButton(_Ux):
    tag = "SendButton"
    label: rx.Var[str]
    busy_label: rx.Var[str]
    settle: rx.Var[str]
    type: rx.Var[str]
    on_press: rx.EventHandler[lambda: []]


class ResendButton(_Ux):
    tag = "ResendButton"
    label: rx.Var[str]
    wait_text: rx.Var[str]
    ready_text: rx.Var[str]
    seconds: rx.Var[int]
    seq: rx.Var[int]
    on_press: rx.EventHandler[lambda: []]


class IdleWarning(_Ux):
    tag = "IdleWarning"
    active: rx.Var[bool]
    idle_seconds: rx.Var[int]
    warn_seconds: rx.Var[int]
    labels: rx.Var[dict[str, str]]
    on_continue: rx.EventHandler[lambda: []]


class CopyButton(_Ux):
    tag = "CopyButton"
    text: rx.Var[str]
    label: rx.Var[str]
    done_label: rx.Var[str]


class PrintButton(_Ux):
    tag = "PrintButton"
    label: rx.Var[str]


def connection_status(tr) -> rx.Component:
    return ConnectionStatus.create(lost=has_connection_errors, texts={
        "lost": tr["ux.connection_lost"], "offline": tr["ux.connection_offline"], "waiting": tr["ux.send_waiting"],
        "back": tr["ux.connection_back"], "backSending": tr["ux.connection_back_sending"],
        "failed": tr["error.unexpected"]})


# The window event ConnectionStatus answers with "error.unexpected" (ux.jsx FAILED_EVENT).
FAILED_EVENT = "rv-request-failed"


def request_failed() -> rx.event.EventSpec:
    """What the server sends back when one of its handlers failed: the page says so in its banner."""
    return rx.call_script(f"window.dispatchEvent(new Event({FAILED_EVENT!r}))")


class StepArrival(_Ux):
    """A step reached from the previous one sets its title and focus in the browser (ux.jsx)."""

    tag = "StepArrival"
    title: rx.Var[str]
    ready: rx.Var[bool]
    on_arrive: rx.EventHandler[lambda: []]
    on_check: rx.EventHandler[lambda: []]
