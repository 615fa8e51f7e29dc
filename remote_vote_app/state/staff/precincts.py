"""Remote precincts: texts, opening and closing, and the point on the map."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import localized, t
from remote_vote_app.services import precincts
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import FAILED, AppState, as_strings
from remote_vote_app.state.staff.session import StaffState, staff_required


def _items(session) -> list[dict[str, str]]:
    return [as_strings({"id": p.id, "number": p.number, "active": p.active, "latitude": p.latitude,
                        "longitude": p.longitude, "precision": p.location_precision,
                        **{f: getattr(p, f) for f in precincts.TEXT_FIELDS}})
            for p in precincts.all_remote(session)]


class PrecinctAdminState(StaffState):
    items: list[dict[str, str]] = []
    editing: dict[str, str] = {}
    pick_lat: str = ""
    pick_lon: str = ""

    async def _reload(self) -> None:
        items = await self._run(_items)
        if items is not FAILED:
            self.items = items

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        """Every remote precinct in the page's language (the form edits all three languages)."""
        lang = self._lang()
        return [{**i, "place": localized(i, "place", lang), "city": localized(i, "city", lang),
                 "district": localized(i, "district", lang), "address": localized(i, "address", lang),
                 "precision_text": t(lang, f"map.precision.{i['precision']}")}
                for i in self.items]

    @rx.var
    def map_items(self) -> list[dict[str, str]]:
        return [i for i in self.rows if i["active"]]

    @rx.event
    @staff_required("precincts.manage")
    async def load(self):
        self.error_entries = {}
        await self._reload()
        return AppState.page_ready

    @rx.event
    @staff_required("precincts.manage")
    def edit(self, precinct_id: str):
        self._clear_messages()
        match = [i for i in self.items if i["id"] == str(precinct_id)]
        self.editing = match[0] if match else {}
        self.pick_lat, self.pick_lon = (self.editing.get("latitude", ""), self.editing.get("longitude", ""))
        return rx.set_focus("edit-heading") if match else None

    @rx.event
    @staff_required("precincts.manage")
    def new(self):
        self._clear_messages()
        self.editing = {"id": ""}
        self.pick_lat = self.pick_lon = ""

    @rx.event
    @staff_required("precincts.manage")
    async def save(self, form_data: dict):
        self._clear_messages()
        precinct_id, actor = parse_id(self.editing.get("id")), self._actor()
        if await self._run(lambda s: precincts.save_remote(s, precinct_id, form_data, actor)) is FAILED:
            return
        self.notice_key = "admin.saved"
        self.editing = {}
        await self._reload()

    @rx.event
    @staff_required("precincts.manage")
    async def toggle_active(self, precinct_id: str, active: bool):
        self._clear_messages()
        precinct, active, actor = parse_id(precinct_id) or 0, bool(active), self._actor()
        await self._run(lambda s: precincts.set_active(s, precinct, active, actor))
        await self._reload()

    @rx.event
    @staff_required("precincts.manage")
    def pick(self, lat: float, lon: float):
        """A click on the map proposes a point; it is saved only with the button."""
        self.pick_lat, self.pick_lon = f"{float(lat):.6f}", f"{float(lon):.6f}"

    @rx.event
    @staff_required("precincts.manage")
    async def move(self, form_data: dict):
        self._clear_messages()
        precinct_id, actor = parse_id(self.editing.get("id")) or 0, self._actor()
        latitude, longitude = form_data.get("latitude"), form_data.get("longitude")
        if await self._run(lambda s: precincts.move_point(s, precinct_id, latitude, longitude, actor)) is FAILED:
            return
        self.notice_key = "admin.saved"
        await self._reload()
        self.editing = next((i for i in self.items if i["id"] == self.editing.get("id")), {})
