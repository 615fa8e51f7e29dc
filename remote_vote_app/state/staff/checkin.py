"""Election-day check-in: the page only names the member's precinct; the desk component does the rest
over HTTP (web/checkin.py), so it keeps working while the Reflex socket is down."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.services import checkin
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


class CheckinState(StaffState):
    precinct_number: str = ""
    storage_key: str = ""  # where this member's roster and queue live in the browser

    @rx.event
    @staff_required("checkin.mark")
    async def load(self):
        self.error_entries = {}
        user = self._user()
        found = await self._run(lambda s: checkin.desk_precinct(s, user))
        if found is FAILED:
            self.precinct_number = self.storage_key = ""
            return self._html_lang_script()
        self.precinct_number = found
        self.storage_key = f"rv-checkin:{user.id}:{found}"
        # No idle reload here (AppState.page_ready): a reload while offline would lose the page.
        return self._html_lang_script()
