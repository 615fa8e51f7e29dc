"""Election-day desk: the page only names the member's precinct and which desk it runs (the
application-mode check-in, or identification under the 2025 law, per the election); the desk
component does the rest over HTTP (web/checkin.py, web/identification.py), so it keeps working while
the Reflex socket is down."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.services.election_day import desks
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


class CheckinState(StaffState):
    mode: str = ""  # application | identification
    precinct_number: str = ""
    storage_key: str = ""  # where this member's roster (list) and queue live in the browser
    district_number: str = ""
    offline_policy: str = ""
    election_day: str = ""
    election_zone: str = ""  # the election's time zone (IANA name)
    districts: list[dict[str, str]] = []
    seal_key: str = ""

    @rx.event
    @staff_required(("checkin.mark", "identification.desk"))
    async def load(self):
        self.error_entries = {}
        user = self._user()
        found = await self._run(lambda s: desks.choose(s, user))
        if found is FAILED:
            self.mode = self.precinct_number = self.storage_key = ""
            return self._html_lang_script()
        self.mode, self.precinct_number = found.mode, found.precinct
        identifying = found.mode == "identification"
        # Each desk keeps its data under its own key (the prefix is what the logout wipe looks for).
        self.storage_key = (f"rv-checkin:ident:{user.id}:{found.election_id}:{found.precinct}" if identifying
                            else f"rv-checkin:{user.id}:{found.precinct}")
        self.district_number = str(found.district or "")
        self.offline_policy, self.election_day = found.offline_policy, found.election_day
        self.election_zone = found.zone
        self.districts = [{k: str(v) for k, v in d.items()} for d in found.districts]
        self.seal_key = found.seal_key
        self._title_key = "identdesk.title" if identifying else ""
        # No idle reload here (AppState.page_ready): a reload while offline would lose the page.
        return self._html_lang_script()
