"""FaceID login (PIN + photo) and the commission's reference photo. Photos are never kept."""

from __future__ import annotations

import base64
import binascii

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.services import faceid, register
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.validation import normalize_pin
from remote_vote_app.state.app import AppState

MAX_DATA_URL = 8 * 1024 * 1024


def photo_bytes(data_url: object) -> bytes:
    """The image inside a data URL from the camera component."""
    text = str(data_url or "")
    if len(text) > MAX_DATA_URL or not text.startswith("data:image/") or "," not in text:
        raise ServiceError("error.face_image")
    try:
        return base64.b64decode(text.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("error.face_image") from None


class FaceLoginState(AppState):
    available: bool = False
    step: str = "pin"  # pin | photo
    _pin: str = ""

    @rx.event
    def load(self):
        self.error_entries = {}
        self.available = faceid.available()
        if self._current_voter():
            return rx.redirect("/cabinet")
        return AppState.page_ready

    @rx.event
    def set_pin(self, form_data: dict):
        self._clear_messages()
        try:
            self._pin = normalize_pin(str(form_data.get("pin", "")))
        except ServiceError as exc:
            self._show(exc)
            return
        self.step = "photo"

    @rx.event
    async def check_photo(self, data_url: str):
        """Compare the photo with the voter's reference; the photo lives only for this call."""
        self._clear_messages()
        if not self.available or not self._pin:
            self.step = "pin"
            return
        try:
            image = photo_bytes(data_url)
            with session_scope() as session:
                voter_id = faceid.login_by_face(session, self._pin, image, self._client())
                name = register.profile(session, voter_id).full_name
        except ServiceError as exc:
            self._show(exc)
            return
        finally:
            data_url = image = None  # noqa: F841  (drop the photo now, not at garbage collection)
        return await self._log_in(voter_id, name, method="face")

    @rx.event
    def restart(self):
        self._clear_messages()
        self.step, self._pin = "pin", ""
