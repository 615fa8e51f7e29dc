"""Public pages: the landing page and the demo outbox."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.services.messaging import notifications
from remote_vote_app.services.reporting import landing
from remote_vote_app.settings import settings
from remote_vote_app.state.app import FAILED, AppState


class LandingState(AppState):
    _data: dict[str, dict] = {}

    @rx.var
    def election_days(self) -> list[dict[str, str]]:
        """Scheduled: election day today or still to come."""
        return [d for d in self._data.get(self._lang(), {}).get("days", []) if not d["past"]]

    @rx.var
    def past_days(self) -> list[dict[str, str]]:
        return [d for d in self._data.get(self._lang(), {}).get("days", []) if d["past"]]

    @rx.var
    def precinct_list(self) -> list[dict[str, str]]:
        return self._data.get(self._lang(), {}).get("precincts", [])

    @rx.event
    async def load(self):
        loaded = await self._run(landing.page_data)
        if loaded is not FAILED:
            self._data = loaded
        return self._ready()


class OutboxState(AppState):
    messages: list[dict[str, str]] = []
    enabled: bool = False

    @rx.event
    async def load(self):
        """Only in demo mode: the outbox holds login codes."""
        self.enabled = settings.demo_mode
        if not self.enabled:
            self.messages = []
            return self._ready()
        rows = await self._run(lambda s: [
            {"id": str(m.id), "channel": m.channel, "to": m.recipient, "subject": m.subject, "body": m.body,
             "status": m.status, "at": f"{m.created_at:%Y-%m-%d %H:%M:%S}"}
            for m in notifications.latest(s, 50)
        ])
        self.messages = [] if rows is FAILED else rows
        return self._ready()
