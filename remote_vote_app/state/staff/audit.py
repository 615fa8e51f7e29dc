"""The audit log: actions, actors and details in words in the page's language."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import has, t
from remote_vote_app.services.reporting import staff_records
from remote_vote_app.state.app import FAILED
from remote_vote_app.state.staff.session import StaffState, staff_required

# The authentication filters that are prefixes, not actions, have names of their own.
_FILTER_NAMES = {"auth.": "audit.auth.all", "auth.staff.": "audit.auth.staff"}


def _filter_text(lang: str, value: str) -> str:
    key = _FILTER_NAMES.get(value, "")
    return t(lang, key) if key and has(key) else staff_records.action_text(lang, value)


class AuditState(StaffState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    filters: dict[str, str] = {"entity": "", "action": "", "actor": "", "entity_id": "", "auth": ""}
    _actions: list[str] = []  # the actions the log holds, offered in the action filter

    @rx.var
    def auth_options(self) -> list[dict[str, str]]:
        return [{"value": value, "label": _filter_text(self._lang(), value)} for value in staff_records.AUTH_FILTERS]

    @rx.var
    def action_options(self) -> list[dict[str, str]]:
        lang = self._lang()
        options = [{"value": a, "label": staff_records.action_text(lang, a)} for a in self._actions]
        return sorted(options, key=lambda o: o["label"])

    async def _search(self) -> None:
        user, page, filters, lang = self._user(), self.page, dict(self.filters), self._lang()
        found = await self._run(lambda s: (staff_records.audit_log(s, user, page=page, lang=lang, **filters),
                                           staff_records.audit_actions(s)))
        if found is FAILED:
            return
        (self.rows, self.total), self._actions = found

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
