"""/precincts: filter, nearest precinct (browser location or a town), and 'apply here'."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import t
from remote_vote_app.services.applications import capacity
from remote_vote_app.services.reference import precincts
from remote_vote_app.errors import ServiceError
from remote_vote_app.state.app import FAILED, AppState

# Asked only on a button press; resolves with the position or the reason it failed.
_GEOLOCATE_JS = """new Promise((resolve) => {
  if (!navigator.geolocation) { resolve({ok: false, code: 2}); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => resolve({ok: true, lat: p.coords.latitude, lon: p.coords.longitude}),
    (e) => resolve({ok: false, code: e.code}),
    {timeout: 10000, maximumAge: 60000});
})"""


class PrecinctsState(AppState):
    _items: dict[str, list[dict[str, str]]] = {}
    _levels: dict[str, str] = {}  # precinct id -> "" | ok | almost_full | full (open elections)
    region: str = ""
    origin: str = ""  # "" | "here" | a town code
    origin_lat: float = 0.0
    origin_lon: float = 0.0
    geo_error_key: str = ""

    @rx.var
    def cities(self) -> list[str]:
        return list(precincts.group_by_city(self._items.get(self._lang(), [])))

    @rx.var
    def towns(self) -> list[dict[str, str]]:
        return precincts.town_options(self._lang())

    @rx.var
    def visible(self) -> list[dict[str, str]]:
        lang = self._lang()
        items = [{**i, "fill": self._levels.get(i["id"], ""),
                  "fill_text": t(lang, f"capacity.{self._levels[i['id']]}")
                  if self._levels.get(i["id"]) in ("almost_full", "full") else ""}
                 for i in self._items.get(lang, []) if not self.region or i["city"] == self.region]
        return precincts.by_distance(items, self.origin_lat, self.origin_lon, lang) if self.origin else items

    @rx.var
    def count_text(self) -> str:
        return t(self._lang(), "map.count", count=len(self.visible))

    @rx.var
    def origin_text(self) -> str:
        if self.origin == "here":
            return t(self._lang(), "map.from_here")
        names = {o["code"]: o["name"] for o in self.towns}
        return t(self._lang(), "map.from_named", town=names[self.origin]) if self.origin in names else ""

    @rx.var
    def geo_error(self) -> str:
        return t(self._lang(), self.geo_error_key) if self.geo_error_key else ""

    @rx.event
    async def load(self):
        found = await self._run(lambda s: (precincts.public_list(s), capacity.open_levels(s)), short=False)  # counts
        if found is not FAILED:
            self._items, self._levels = found
        return self._ready()

    @rx.event
    def set_region(self, value: str):
        self.region = value if value in self.cities else ""

    @rx.event
    def locate(self):
        self.geo_error_key = ""
        return rx.call_script(_GEOLOCATE_JS, callback=PrecinctsState.got_position)

    @rx.event
    def got_position(self, result: dict):
        try:
            if not isinstance(result, dict) or not result.get("ok"):
                raise ServiceError("map.geo_denied" if isinstance(result, dict) and result.get("code") == 1 else "map.geo_failed")
            lat, lon = precincts.valid_point(result.get("lat"), result.get("lon"))
        except ServiceError as exc:
            self.geo_error_key = exc.code if exc.code.startswith("map.") else "map.geo_failed"
            return
        self.origin, self.origin_lat, self.origin_lon = "here", lat, lon

    @rx.event
    def measure_from_town(self, form_data: dict):
        self.geo_error_key = ""
        code = str(form_data.get("town", ""))
        try:
            lat, lon = precincts.town(code)
        except ServiceError:
            self.origin = ""
            return
        self.origin, self.origin_lat, self.origin_lon = code, lat, lon

    @rx.event
    def apply_here(self, precinct_id: str):
        """Carry the chosen precinct into the application form (after login if needed)."""
        if str(precinct_id) not in {item["id"] for item in self._items.get(self._lang(), [])}:
            return
        self.chosen_precinct = str(precinct_id)
        self._go_on_to(routes.APPLY)
        return rx.redirect(routes.APPLY)
