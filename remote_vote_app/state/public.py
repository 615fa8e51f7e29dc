"""Public pages: the landing page and the demo outbox."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.i18n import LANGS, date_text, t, time_left, until_inclusive
from remote_vote_app.services import elections, notifications, precincts, refcache
from remote_vote_app.settings import settings
from remote_vote_app.state.app import FAILED, AppState


def _landing_texts(days: list[dict], places: dict[str, list[dict[str, str]]]) -> dict[str, dict]:
    return {
        lang: {
            "days": [
                {
                    "day": t(lang, "landing.election_day", day=date_text(lang, d['election_day'])),
                    "deadline": t(lang, "landing.deadline", until=until_inclusive(lang, d['deadline'])),
                    "left": t(lang, "landing.time_left", left=time_left(lang, d["seconds_left"])) if d["is_open"] else "",
                    "councils": t(lang, "landing.councils", count=d["councils"]),
                    "open": "1" if d["is_open"] else "",
                    "past": "1" if d["is_past"] else "",
                    "demo": "1" if d["is_demo"] else "",
                }
                for d in days
            ],
            "precincts": places[lang],
        }
        for lang in LANGS
    }


# The landing page's texts in every language, built once per reference version and minute left to
# each deadline (what its texts say), then shared by every visit: (key, texts).
_landing: tuple[tuple, dict[str, dict]] = ((), {})


def landing_data(session) -> dict[str, dict]:
    """The landing page's data; read it, never change it."""
    global _landing
    days = elections.election_days(session)
    key = (refcache.snapshot(session).version,
           *((d["election_day"], d["deadline"], d["councils"], d["is_open"], d["is_past"], d["is_demo"],
             d["seconds_left"] // 60)
             for d in days))
    if _landing[0] != key:
        _landing = (key, _landing_texts(days, precincts.public_list(session)))
    return _landing[1]


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
        loaded = await self._run(landing_data)
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
