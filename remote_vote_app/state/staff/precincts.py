"""Remote precincts: texts, opening and closing, and the point on the map."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import localized, t
from remote_vote_app.services.applications import capacity
from remote_vote_app.services.reference import precincts
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import FAILED, as_strings
from remote_vote_app.state.staff.session import StaffState, staff_required


class PrecinctAdminState(StaffState):
    items: list[dict[str, str]] = []
    editing: dict[str, str] = {}
    pick_lat: str = ""
    pick_lon: str = ""
    # Capacity: the election being set, the elections to choose from and each precinct's places.
    capacity_election: str = ""
    capacity_elections: list[dict[str, str]] = []
    capacity_rows: list[dict[str, str]] = []

    async def _reload(self) -> None:
        items = await self._run(precincts.admin_rows)
        if items is not FAILED:
            self.items = [as_strings(row) for row in items]
        await self._reload_capacity()

    async def _reload_capacity(self) -> None:
        chosen = parse_id(self.capacity_election)
        found = await self._run(lambda s: capacity.staff_choice(s, chosen))
        if found is FAILED:
            return
        options, election_id, rows = found
        self.capacity_elections = options
        self.capacity_election = str(election_id or "")
        self.capacity_rows = [as_strings(r) for r in rows]

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        """Every remote precinct in the page's language (the form edits all three languages)."""
        lang = self._lang()
        return [{**i, "place": localized(i, "place", lang), "city": localized(i, "city", lang),
                 "district": localized(i, "district", lang), "address": localized(i, "address", lang),
                 "precision_text": t(lang, f"map.precision.{i['precision']}"),
                 "precision_word": t(lang, f"admin.precision.{i['precision']}")}
                for i in self.items]

    @rx.var
    def map_items(self) -> list[dict[str, str]]:
        return [i for i in self.rows if i["active"]]

    @rx.event
    @staff_required("precincts.manage")
    async def load(self):
        self.error_entries = {}
        await self._reload()
        return self._ready()

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

    @rx.event
    @staff_required("precincts.manage")
    async def choose_capacity_election(self, value: str):
        self._clear_messages()
        self.capacity_election = str(value)
        await self._reload_capacity()

    @rx.event
    @staff_required("precincts.manage")
    async def save_capacity(self, form_data: dict):
        """One form for the whole table: a field per precinct (empty: no limit)."""
        self._clear_messages()
        election_id, actor = parse_id(self.capacity_election) or 0, self._actor()
        values = {parse_id(r["id"]): form_data.get(f"capacity-{r['id']}", r["capacity"]) for r in self.capacity_rows}

        def save(session):
            for precinct_id, value in values.items():
                if precinct_id:
                    capacity.set_capacity(session, election_id, precinct_id, value, actor)

        if await self._run(save) is FAILED:
            return
        self.notice_key = "admin.saved"
        await self._reload_capacity()
