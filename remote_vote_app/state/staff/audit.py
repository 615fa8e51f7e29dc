"""The audit log, with readable names for actions and authentication filters."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import has, t
from remote_vote_app.services import staff_records
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required


def _action_text(lang: str, action: str) -> str:
    """A readable name for an audited action (or an authentication filter), else the action itself."""
    key = {"auth.": "audit.auth.all", "auth.staff.": "audit.auth.staff"}.get(action, f"audit.action.{action}")
    return t(lang, key) if has(key) else action


class AuditState(StaffState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    filters: dict[str, str] = {"entity": "", "action": "", "actor": "", "entity_id": "", "auth": ""}

    @rx.var
    def auth_options(self) -> list[dict[str, str]]:
        return [{"value": value, "label": _action_text(self._lang(), value)} for value in staff_records.AUTH_FILTERS]

    async def _search(self) -> None:
        user, page, filters, lang = self._user(), self.page, dict(self.filters), self._lang()
        found = await self._run(lambda s: staff_records.audit_log(s, user, page=page, **filters))
        if found is FAILED:
            return
        rows, self.total = found
        self.rows = [{**row, "action_text": _action_text(lang, row["action"])} for row in rows]

    @rx.event
    @staff_required("audit.view")
    async def load(self):
        self.error_entries = {}
        await self._search()
        return self._ready()

    @rx.event
    @staff_required("audit.view")
    async def search(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "") or "")[:60] for k in self.filters}
        self.page = 1
        await self._search()

    @rx.event
    @staff_required("audit.view")
    async def go_page(self, page: int):
        try:
            self.page = max(1, int(page))
        except (TypeError, ValueError):
            return
        await self._search()
