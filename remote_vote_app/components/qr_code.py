"""QR codes drawn in the browser (qr_code.jsx): voter passes, QR login codes, TOTP enrolment; and the
phone's camera reading a QR login code (qr_scanner.jsx)."""

from __future__ import annotations

import reflex as rx


class _Qr(rx.Component):
    library = "$/public" + rx.asset("qr_code.jsx", shared=True)
    lib_dependencies: list[str] = ["qrcode-generator@2.0.4"]


class QrImage(_Qr):
    """An <img> of the code of `value`, `size` px square, nothing while `value` is empty."""

    tag = "QrImage"
    value: rx.Var[str]
    alt: rx.Var[str]
    size: rx.Var[int]


class QrSaveLink(_Qr):
    """A link that downloads the code of `value` as `file_name` (.svg)."""

    tag = "QrSaveLink"
    value: rx.Var[str]
    file_name: rx.Var[str]
    text: rx.Var[str]


class QrImageOnDemand(rx.NoSSRComponent, QrImage):
    """QrImage whose code (qrcode-generator) loads when it is first shown: the login page's QR
    appears only after «Показать QR-код», so its 7 KB stay out of the page's first load."""


qr_image = QrImage.create
qr_image_on_demand = QrImageOnDemand.create
qr_save_link = QrSaveLink.create


# qr_scanner.jsx imports "./qr_camera.js" (as checkin_desk.jsx does): linked beside it, in this module's folder.
QR_CAMERA_JS = rx.asset("qr_camera.js", shared=True)


class QrScanner(rx.NoSSRComponent):
    """The phone's camera reading a QR login code (qr_scanner.jsx); `on_scan` gets the code's text."""

    library = "$/public" + rx.asset("qr_scanner.jsx", shared=True)
    lib_dependencies: list[str] = ["jsqr@1.4.0"]
    tag = "QrScanner"

    labels: rx.Var[dict[str, str]]
    on_scan: rx.EventHandler[lambda text: [text]]


qr_scanner = QrScanner.create
