"""Application search (filtered, sorted and paged on the server) and one application's detail."""

from __future__ import annotations

import math

import reflex as rx

from remote_vote_app.i18n import day_options, localized, t
from remote_vote_app.services.reference import precincts
from remote_vote_app.services.reporting import dashboard, staff_records
from remote_vote_app.services.validation import parse_date, parse_id
from remote_vote_app.state.app import FAILED, as_strings
from remote_vote_app.state.staff.session import StaffState, staff_required


class SearchState(StaffState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    page_size: int = 25
    filters: dict[str, str] = {"text": "", "precinct": "", "status": "", "channel": "", "from": "", "to": "",
                               "sort": "created_desc", "day": ""}
    precinct_options: list[dict[str, str]] = []
    election_days: list[str] = []
    detail: dict[str, str] = {}
    history: list[dict[str, str]] = []

    @rx.var
    def day_options(self) -> list[dict[str, str]]:
        """The election days for the select, shown in the page's language."""
        return day_options(self._lang(), self.election_days)

    @rx.var
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @rx.var
    def found_text(self) -> str:
        return t(self._lang(), "search.found", total=self.total, page=self.page, pages=self.pages)

    def _query(self) -> staff_records.Query:
        f = self.filters
        return staff_records.Query(
            text=f.get("text", ""), election_day=parse_date(f.get("day")), precinct_id=parse_id(f.get("precinct")),
            status=f.get("status", ""), channel=f.get("channel", ""), date_from=parse_date(f.get("from")),
            date_to=parse_date(f.get("to")), sort=f.get("sort", "created_desc"), page=self.page,
            page_size=self.page_size,
        )

    async def _search(self) -> None:
        user, query = self._user(), self._query()
        lang = self._lang()
        found = await self._run(lambda s: staff_records.search(s, user, query, lang))
        if found is not FAILED:
            self.rows, self.total = found

    @rx.event
    @staff_required("applications.view")
    async def load(self):
        self.error_entries = {}
        lang = self._lang()
        options = await self._run(lambda s: ([{"id": str(p.id), "label": f"{localized(p, 'number', lang)} — "
                                                                          f"{localized(p, 'city', lang)}"}
                                               for p in precincts.all_remote(s)],
                                              [d.isoformat() for d in dashboard.election_days(s)]))
        if options is not FAILED:
            self.precinct_options, self.election_days = options
        await self._search()
        return self._ready()

    @rx.event
    @staff_required("applications.view")
    async def search(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "") or "")[:40] for k in self.filters}
        self.page = 1
        self.detail, self.history = {}, []
        await self._search()

    @rx.event
    @staff_required("applications.view")
    async def go_page(self, page: int):
        try:
            self.page = min(max(1, int(page)), self.pages)
        except (TypeError, ValueError):
            return
        await self._search()

    @rx.event
    @staff_required("applications.view")
    async def open_detail(self, reference: str):
        self.error_entries = {}
        user, reference, lang = self._user(), str(reference), self._lang()
        info = await self._run(lambda s: staff_records.detail(s, user, reference, lang))
        if info is FAILED:
            return
        self.history = info.pop("history")
        self.detail = as_strings(info)
        return rx.set_focus("detail-heading")

    @rx.event
    @staff_required("applications.view")
    def close_detail(self):
        self.detail, self.history = {}, []
