"""Filing an application in person, and the voter's FaceID reference."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.camera import camera_capture
from remote_vote_app.components.forms import choice, field_error, send_button, submit_button, summary_row, text_field
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page
from remote_vote_app.state.staff.in_person import InPersonState


def _application_form() -> rx.Component:
    """The application the operator fills in for the voter at the desk, with the paper consent."""
    v = InPersonState.voter
    return rx.el.form(
        rx.el.fieldset(
            rx.el.legend(tr["apply.election"], class_name="label"),
            field_error("election"),
            rx.foreach(InPersonState.election_options,
                       lambda o: choice("radio", "election", o["id"], "election-" + o["id"].to(str), o["label"],
                                        default_checked=InPersonState.election_choice == o["id"],
                                        key=o["id"].to(str))),
            id="election", class_name="field",
        ),
        rx.el.div(
            rx.el.label(tr["apply.precinct"], html_for="precinct", class_name="label"),
            field_error("precinct"),
            rx.el.select(rx.el.option(tr["apply.precinct_placeholder"], value=""),
                         rx.foreach(InPersonState.precinct_options,
                                    lambda o: rx.el.option(o["label"], value=o["id"])),
                         id="precinct", name="precinct", class_name="input"),
            class_name="field",
        ),
        text_field("email", "apply.email", "apply.email_hint", type="email", max_length=254),
        text_field("phone", "apply.phone", "apply.phone_hint", type="tel", default_value=v["phone"], max_length=20),
        rx.el.div(
            field_error("paper_consent"),
            choice("checkbox", "paper_consent", "on", "paper_consent", tr["inperson.paper_consent"]),
            class_name="field",
        ),
        send_button("inperson.submit", id="register-application"),
        on_submit=InPersonState.submit,
        reset_on_submit=False,
        no_validate=True,
    )


def _face_reference() -> rx.Component:
    """The voter's FaceID reference: a consent code to the voter's phone, then a live capture."""
    return rx.el.section(
        rx.el.h2(tr["face.reference_title"], id="reference-title"),
        rx.el.p(tr["face.reference_lead"], class_name="hint"),
        rx.match(
            InPersonState.reference_step,
            ("code", rx.el.form(
                rx.el.p(tr["login.code_sent"].replace("{phone}", InPersonState.reference_phone)),
                text_field("code", "face.reference_code", None, input_mode="numeric", auto_complete="off",
                           max_length=6),
                submit_button("face.reference_code_check", id="reference-code-check"),
                on_submit=InPersonState.check_reference_code,
                reset_on_submit=True,
                no_validate=True,
            )),
            ("capture", camera_capture(InPersonState)),
            ("saved", rx.el.p(tr["face.reference_saved"], role="status", id="reference-saved")),
            rx.fragment(
                rx.el.p(tr["face.reference_code_lead"]),
                rx.el.button(tr["face.reference_code_send"], type="button", id="reference-code-send",
                             on_click=InPersonState.send_reference_code, class_name="button secondary"),
            ),
        ),
        aria_labelledby="reference-title",
        class_name="card",
    )


def _find_voter() -> rx.Component:
    """The first step: find the voter in the register by PIN and document."""
    return rx.fragment(
        rx.el.p(tr["inperson.lead"]),
        rx.el.form(
            text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off", max_length=20),
            text_field("document", "login.document", "login.document_hint", auto_complete="off", max_length=20),
            send_button("inperson.find", id="find-voter"),
            on_submit=InPersonState.find,
            reset_on_submit=False,
            no_validate=True,
        ),
    )


def in_person() -> rx.Component:
    v = InPersonState.voter
    return staff_page(
        rx.el.h1(tr["inperson.title"], id="page-title", tab_index=-1),
        rx.match(
            InPersonState.step,
            ("form", rx.fragment(
                rx.el.dl(*[summary_row(tr[k], v[f]) for k, f in
                           (("apply.full_name", "full_name"), ("apply.pin", "pin"), ("apply.document", "document"),
                            ("apply.birth_date", "birth_date"), ("apply.address", "address"),
                            ("apply.territory", "territory"))], class_name="summary card", id="register-data"),
                _application_form(),
                _face_reference(),
            )),
            ("done", rx.fragment(
                rx.el.p(tr["inperson.done"].replace("{reference}", InPersonState.done_reference), role="status",
                        class_name="notice", id="done"),
                rx.el.button(tr["inperson.next"], type="button", on_click=InPersonState.next_voter, class_name="button"),
            )),
            _find_voter(),
        ),
    )
