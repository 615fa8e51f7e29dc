"""The home-precinct exclusion list: choose an election and a home precinct, see, print, download."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.services.applications import exclusions
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


class ExclusionState(StaffState):
    election_options: list[dict[str, str]] = []
    precinct_options: list[dict[str, str]] = []
    selected_election: str = ""
    selected_precinct: str = ""
    info: dict[str, str] = {}  # election, election_day, status_text, precinct
    final: bool = False
    rows: list[dict[str, str]] = []

    @rx.var
    def download_url(self) -> str:
        """The CSV of the list on screen (the HTTP route checks the session cookie and the scope again)."""
        if not self.info:
            return ""
        return routes.EXCLUSIONS_EXPORT.format(fmt="csv") + "?" + urlencode({"election": self.selected_election,
                                                        "precinct": self.selected_precinct})

    @rx.var
    def xlsx_url(self) -> str:
        return self.download_url.replace(routes.EXCLUSIONS_EXPORT.format(fmt="csv"), routes.EXCLUSIONS_EXPORT.format(fmt="xlsx"), 1)

    async def _display(self, election: str, precinct: str) -> None:
        user, lang = self._user(), self._lang()
        election_id, precinct_id = parse_id(election), parse_id(precinct)

        def read(session) -> tuple[dict, dict | None]:
            chosen = exclusions.choices(session, user, election_id, precinct_id, lang)
            if chosen["precinct_id"] is None:
                return chosen, None
            return chosen, exclusions.exclusion_list(session, user, chosen["election_id"], chosen["precinct_id"], lang)

        found = await self._run(read)
        if found is FAILED:
            return
        chosen, data = found
        self.election_options, self.precinct_options = chosen["elections"], chosen["precincts"]
        self.selected_election = str(chosen["election_id"] or "")
        self.selected_precinct = str(chosen["precinct_id"] or "")
        if data is None:
            self.info, self.rows, self.final = {}, [], False
            return
        self.info = {k: data[k] for k in ("election", "election_day", "status_text", "precinct")}
        self.final, self.rows = data["final"], data["rows"]

    @rx.event
    @staff_required("exclusions.view")
    async def load(self):
        self.error_entries = {}
        await self._display(self.selected_election, self.selected_precinct)
        return self._ready()

    @rx.event
    @staff_required("exclusions.view")
    async def choose(self, form_data: dict):
        self.error_entries = {}
        election, precinct = str(form_data.get("election", "") or ""), str(form_data.get("precinct", "") or "")
        # Another election: its own precincts (the first one unless the chosen one belongs to it too).
        await self._display(election, precinct)
