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
    tokens: rx.Var[list[str]]
    steps: rx.Var[int]
    on_step: rx.EventHandler[lambda event: [event]]
    on_capture: rx.EventHandler[lambda capture: [capture]]


def camera_capture(state) -> rx.Component:
    """The capture for `state`'s challenge (its `nonce`, `instructions` and `check_capture`); a state
    with `next_move` gets its moves one at a time, with their tokens."""
    labels = {key: tr[f"face.{key}"] for key in ("start", "preview", "no_camera", "checking")}
    if hasattr(state, "next_move"):
        return CameraCapture.create(labels=labels, nonce=state.nonce, instructions=state.instructions,
                                    tokens=state.tokens, steps=state.steps, on_step=state.next_move,
                                    on_capture=state.check_capture)
    return CameraCapture.create(labels=labels, nonce=state.nonce, instructions=state.instructions,
                                on_capture=state.check_capture)
