"""The voter list of a remote precinct: shown, and downloaded as CSV or XLSX in the member's language (audited)."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import day_options
from remote_vote_app.services.reporting import dashboard, staff_records
from remote_vote_app.services.validation import parse_date, parse_id
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class VoterListState(StaffState):
    precinct_options: list[dict[str, str]] = []
    election_days: list[str] = []
    selected_precinct: str = ""
    selected_day: str = ""
    title: str = ""
    preliminary: bool = True
    rows: list[dict[str, str]] = []

    @rx.var
    def day_options(self) -> list[dict[str, str]]:
        """The election days for the select, shown in the page's language."""
        return day_options(self._lang(), self.election_days)

    async def _show_list(self) -> None:
        user, precinct_id, day = self._user(), parse_id(self.selected_precinct), parse_date(self.selected_day)
        lang = self._lang()
        data = await self._run(lambda s: staff_records.voter_list(s, user, precinct_id, day, lang=lang))
        if data is not FAILED:
            self.title, self.preliminary, self.rows = data["precinct"], data["preliminary"], data["rows"]

    @rx.event
    @staff_required("voter_list.view")
    async def load(self):
        self.error_entries = {}
        user, lang = self._user(), self._lang()
        options = await self._run(lambda s: (staff_records.voter_list_precincts(s, user, lang),
                                             [d.isoformat() for d in dashboard.election_days(s)],
                                             dashboard.default_day(s)))
        if options is FAILED:
            return self._ready()
        self.precinct_options, self.election_days, day = options
        self.selected_day = self.selected_day or (day.isoformat() if day else "")
        self.selected_precinct = self.selected_precinct or (self.precinct_options[0]["id"] if self.precinct_options else "")
        await self._show_list()
        return self._ready()

    @rx.event
    @staff_required("voter_list.view")
    async def choose(self, form_data: dict):
        self.error_entries = {}
        self.selected_precinct = str(form_data.get("precinct", "") or "")
        self.selected_day = str(form_data.get("day", "") or "")
        await self._show_list()

    @rx.event
    @staff_required("voter_list.view")
    async def download(self, fmt: str = "csv"):
        """CSV (`;`, for Russian-locale Excel) or XLSX; both audited."""
        user, actor, fmt, lang = self._user(), self._actor(), "xlsx" if fmt == "xlsx" else "csv", self._lang()
        precinct_id, day = parse_id(self.selected_precinct), parse_date(self.selected_day)
        found = await self._run(lambda s: staff_records.voter_list_download(s, user, precinct_id, day, actor, fmt, lang))
        if found is FAILED:
            return
        filename, data = found
        return rx.download(data=data, filename=filename, mime_type=XLSX_MIME if fmt == "xlsx" else "text/csv;charset=utf-8")
