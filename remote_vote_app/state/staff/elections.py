"""Election days and application deadlines."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.services.reference import elections
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


class ElectionAdminState(StaffState):
    items: list[dict[str, str]] = []

    async def _reload(self) -> None:
        lang = self._lang()
        items = await self._run(lambda s: elections.admin_list(s, lang))
        if items is not FAILED:
            self.items = items

    @rx.event
    @staff_required("elections.manage")
    async def load(self):
        self.error_entries = {}
        await self._reload()
        return self._ready()

    @rx.event
    @staff_required("elections.manage")
    async def save(self, form_data: dict):
        self._clear_messages()
        election_id, actor = parse_id(form_data.get("election_id")) or 0, self._actor()
        day, deadline = form_data.get("election_day"), form_data.get("deadline")
        if await self._run(lambda s: elections.update_dates(s, election_id, day, deadline, actor)) is FAILED:
            return
        self.notice_key = "admin.saved"
        await self._reload()
