"""Camera capture with a file fallback (for FaceID), imported only by the pages that take a photo."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr


class CameraCapture(rx.NoSSRComponent):
    library = "$/public" + rx.asset("camera_capture.jsx", shared=True)
    tag = "CameraCapture"

    labels: rx.Var[dict[str, str]]
    on_capture: rx.EventHandler[lambda data_url: [data_url]]


def camera_capture(on_capture) -> rx.Component:
    labels = {key: tr[f"face.{key}"] for key in ("camera", "take", "file", "preview", "no_camera", "bad_file")}
    return CameraCapture.create(labels=labels, on_capture=on_capture)
