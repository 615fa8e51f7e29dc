"""Form pieces with visible labels, hints and errors tied to their inputs."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.catalog import tr
from remote_vote_app.components.ux import ErrorSummary, SendButton
from remote_vote_app.state.app import AppState



def _described_by(name: str, hint_key: str | None) -> rx.Var:
    hint = f"{name}-hint " if hint_key else ""
    return rx.cond(AppState.errors.contains(name), f"{hint}{name}-error", hint.strip() or f"{name}-error")


def field_error(name: str) -> rx.Component:
    return rx.cond(
        AppState.errors.contains(name),
        rx.el.p(AppState.errors[name], id=f"{name}-error", class_name="field-error"),
    )


def text_field(name: str, label_key: str, hint_key: str | None = None, suffix: str = "", **props) -> rx.Component:
    return rx.el.div(
        rx.el.label(tr[label_key], suffix, html_for=name, class_name="label"),
        rx.el.p(tr[hint_key], id=f"{name}-hint", class_name="hint") if hint_key else rx.fragment(),
        field_error(name),
        rx.el.input(
            id=name,
            name=name,
            aria_describedby=_described_by(name, hint_key),
            aria_invalid=rx.cond(AppState.errors.contains(name), "true", "false"),
            class_name="input",
            **props,
        ),
        class_name=rx.cond(AppState.errors.contains(name), "field field-invalid", "field"),
    )


def error_summary() -> rx.Component:
    """Lists every error at once, each link focusing its field with the label in view; takes focus
    and prefixes the page title with "Ошибка: " while it shows (ux.jsx)."""
    return ErrorSummary.create(errors=AppState.errors, title=AppState.error_title, prefix=tr["ux.title_error_prefix"],
                               seq=AppState.error_seq)


def notice() -> rx.Component:
    return rx.cond(AppState.notice != "", rx.el.p(AppState.notice, role="status", id="notice", class_name="notice"))


def submit_button(label_key: str, **props) -> rx.Component:
    return rx.el.button(tr[label_key], type="submit", class_name="button", **props)


def send_button(label_key: str, id: str, settle: rx.Var | None = None, on_press=None,
                class_name: str = "button") -> rx.Component:
    """A button whose request shows at once, in the browser: "sending…", waiting for the network
    when offline (ux.jsx SendButton). A form's submit button without `on_press`. `settle` changes
    with every answer that keeps the button on the page (default: a new error shown)."""
    settle = AppState.error_seq.to(str) if settle is None else settle
    extra = {"on_press": on_press} if on_press is not None else {}
    return SendButton.create(label=tr[label_key], busy_label=tr["ux.sending"], settle=settle, id=id,
                             type="button" if on_press is not None else "submit", class_name=class_name, **extra)


def choice(kind: str, name: str, value: rx.Var | str, input_id: rx.Var | str, *label: rx.Component | rx.Var | str,
           **props) -> rx.Component:
    """A radio button or checkbox with its visible label beside it."""
    return rx.el.div(
        rx.el.input(type=kind, name=name, value=value, id=input_id, class_name=kind, **props),
        rx.el.label(*label, html_for=input_id),
        class_name="choice",
    )


def summary_row(label: rx.Var | str, value: rx.Var | rx.Component) -> rx.Component:
    """One 'term: value' line of a description list."""
    return rx.el.div(rx.el.dt(label), rx.el.dd(value), class_name="summary-row")


def step_up_form(phone: rx.Var, sent_earlier: rx.Var, on_submit, submit_id: str) -> rx.Component:
    """The SMS code asked for after a FaceID login before changing contacts or withdrawing;
    `sent_earlier` (HH:MM) when no new SMS was sent and the open code is the one to enter."""
    return rx.el.form(
        rx.el.h3(tr["stepup.title"], id="step-up-heading", tab_index=-1),
        rx.el.p(tr["stepup.lead"].replace("{phone}", phone)),
        rx.cond(sent_earlier != "", rx.el.p(tr["stepup.sent_earlier"].replace("{time}", sent_earlier),
                                            id="step-up-sent-earlier")),
        text_field("code", "login.code", None, input_mode="numeric", auto_complete="one-time-code", max_length=6),
        submit_button("stepup.confirm", id=submit_id),
        on_submit=on_submit,
        reset_on_submit=True,
        no_validate=True,
        aria_labelledby="step-up-heading",
    )
