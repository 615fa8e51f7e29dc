"""/login/face : FaceID, as the announcement describes it: the PIN, then the face, live."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.camera import camera_capture
from remote_vote_app.components.forms import error_summary, notice, submit_button, text_field
from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.face import FaceLoginState


def face_login() -> rx.Component:
    return page(
        rx.el.h1(tr["face.title"]),
        notice(),
        error_summary(),
        rx.cond(
            FaceLoginState.available,
            rx.cond(
                FaceLoginState.step == "capture",
                rx.fragment(
                    rx.el.p(tr["face.photo_lead"]),
                    rx.el.p(FaceLoginState.challenge_text, id="face-challenge", class_name="notice"),
                    camera_capture(FaceLoginState),
                    rx.el.button(tr["login.restart"], type="button", on_click=FaceLoginState.restart,
                                 class_name="button secondary"),
                ),
                rx.fragment(
                    rx.el.p(tr["face.lead"]),
                    rx.el.form(
                        text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off",
                                   max_length=20),
                        submit_button("apply.continue", id="face-continue"),
                        on_submit=FaceLoginState.set_pin,
                        reset_on_submit=False,
                        no_validate=True,
                    ),
                ),
            ),
            rx.el.p(tr["error.face_unavailable"], role="status", class_name="notice", id="face-unavailable"),
        ),
        rx.el.p(rx.el.a(tr["face.other_way"], href=routes.LOGIN)),
    )
