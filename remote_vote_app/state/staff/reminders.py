"""Reminders: what is scheduled and what went out (CEC)."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import t
from remote_vote_app.services.applications import reminders
from remote_vote_app.state.app import FAILED, as_strings
from remote_vote_app.state.staff.session import StaffState, staff_required


class RemindersState(StaffState):
    planned: list[dict[str, str]] = []
    recent: list[dict[str, str]] = []

    @rx.event
    @staff_required("reminders.view")
    async def load(self):
        self.error_entries = {}
        lang = self._lang()
        found = await self._run(lambda s: (reminders.overview(s, lang=lang), reminders.recent(s)))
        if found is FAILED:
            return self._ready()
        self.planned = [as_strings({**r, "kind_text": t(lang, f"reminders.kind.{r['kind']}")}) for r in found[0]]
        self.recent = [as_strings({**r, "kind_text": t(lang, f"reminders.kind.{r['kind']}"),
                                   "status_text": t(lang, f"reminders.status.{r['status']}")}) for r in found[1]]
        return self._ready()
