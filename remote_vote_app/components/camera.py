"""Live camera capture for FaceID (no file upload), imported only by the pages that take a face."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr


class CameraCapture(rx.NoSSRComponent):
    library = "$/public" + rx.asset("camera_capture.jsx", shared=True)
    tag = "CameraCapture"

    labels: rx.Var[dict[str, str]]
    nonce: rx.Var[str]
    instructions: rx.Var[list[str]]
    on_capture: rx.EventHandler[lambda capture: [capture]]


def camera_capture(state) -> rx.Component:
    """The capture for `state`'s challenge (its `nonce`, `instructions` and `check_capture`)."""
    labels = {key: tr[f"face.{key}"] for key in ("start", "preview", "no_camera", "checking")}
    return CameraCapture.create(labels=labels, nonce=state.nonce, instructions=state.instructions,
                                on_capture=state.check_capture)
