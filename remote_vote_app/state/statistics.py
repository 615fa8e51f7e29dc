"""/statistics: the public figures (the same document as /api/statistics.json, from its cache)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import day_options, iso_date_text, localized, t, until_inclusive
from remote_vote_app.services.reporting import statistics
from remote_vote_app.state.app import FAILED, AppState


def _text(value: Any) -> str:
    return str(value)


class StatisticsState(AppState):
    days: list[str] = []
    selected_day: str = ""
    _doc: dict = {}
    turnout_precinct: str = ""  # the precinct number whose hours are shown (identification mode)

    def _short_transactions(self) -> bool:
        return False  # aggregates over every application of a day

    @rx.var
    def has_data(self) -> bool:
        return bool(self._doc)

    @rx.var
    def summary(self) -> dict[str, str]:
        d, lang = self._doc, self._lang()
        if not d:
            return {}
        totals = d["totals"]
        fixed = statistics.local_time_text(d.get("final_as_of"), lang, d.get("timezone"))
        return {
            "total": _text(totals["total"]), "online": _text(totals["by_channel"]["online"]),
            "in_person": _text(totals["by_channel"]["in_person"]),
            "status": t(lang, "pubstats.final", time=fixed) if d["status"] == "final"
            else t(lang, "pubstats.preliminary", time=statistics.local_time_text(d["generated_at"], lang, d.get("timezone")),
                   until=until_inclusive(lang, dt.date.fromisoformat(d["application_deadline"]))
                   if d.get("application_deadline") else ""),
            "election_day": iso_date_text(lang, d["election_day"]),
        }

    def _names(self) -> dict[str, str]:
        lang = self._lang()
        return {p["number"]: f"{p['number']} — {localized(p, 'city', lang)}" for p in self._doc.get("precincts", [])}

    @rx.var
    def chart(self) -> list[dict[str, Any]]:
        """Per day, online and in person (the smallest possible count where a range is published)."""
        lang = self._lang()
        return [{"day": iso_date_text(lang, r["date"]), "online": statistics.lower_bound(r["online"]),
                 "in_person": statistics.lower_bound(r["in_person"])} for r in self._doc.get("totals", {}).get("by_day", [])]

    @rx.var
    def by_precinct(self) -> list[dict[str, str]]:
        names = self._names()
        return [{"precinct": names.get(r["precinct"], r["precinct"]), "online": _text(r["online"]),
                 "in_person": _text(r["in_person"]), "total": _text(r["total"])}
                for r in self._doc.get("totals", {}).get("by_precinct", [])]

    @rx.var
    def by_day(self) -> list[dict[str, str]]:
        lang = self._lang()
        return [{"day": iso_date_text(lang, r["date"]), "online": _text(r["online"]), "in_person": _text(r["in_person"]),
                 "total": _text(r["total"])} for r in self._doc.get("totals", {}).get("by_day", [])]

    @rx.var
    def cells(self) -> list[dict[str, str]]:
        """Day × precinct rows that have any application (an empty row says nothing)."""
        names, lang = self._names(), self._lang()
        return [{"day": iso_date_text(lang, r["date"]), "precinct": names.get(r["precinct"], r["precinct"]),
                 "online": _text(r["online"]), "in_person": _text(r["in_person"]), "total": _text(r["total"])}
                for r in self._doc.get("rows", []) if r["total"] != 0]

    @rx.var
    def day_options(self) -> list[dict[str, str]]:
        return day_options(self._lang(), self.days)

    @rx.var
    def has_turnout(self) -> bool:
        return "turnout" in self._doc

    @rx.var
    def show_applications(self) -> bool:
        """An identification-only day has no applications to show."""
        return bool(self._doc) and ("turnout" not in self._doc or bool(self._doc.get("rows")))

    def _hour(self, key: str) -> str:
        """ "2027-01-17 09:00" as "09:00" on election day, else with the date."""
        return key[11:] if key[:10] == self._doc.get("election_day") else f"{dt_text(self._lang(), key)} {key[11:]}"

    @rx.var
    def turnout_status(self) -> str:
        d, lang = self._doc, self._lang()
        if "turnout" not in d:
            return ""
        tz = d["turnout"]["timezone"]
        if d["status"] == "final":
            return t(lang, "ident.pub_final", time=statistics.local_time_text(d.get("final_as_of"), lang, tz))
        return t(lang, "ident.pub_preliminary", time=statistics.local_time_text(d["generated_at"], lang, tz),
                 closes=statistics.local_time_text(d["turnout"]["closes_at"], lang, tz))

    @rx.var
    def turnout_total(self) -> str:
        return _text(self._doc["turnout"]["totals"]["total"]) if "turnout" in self._doc else ""

    @rx.var
    def turnout_by_hour(self) -> list[dict[str, str]]:
        return [{"hour": self._hour(r["hour"]), "ballots": _text(r["ballots"])}
                for r in self._doc.get("turnout", {}).get("totals", {}).get("by_hour", [])]

    @rx.var
    def turnout_hours(self) -> list[dict[str, str]]:
        """The chosen precinct's hours (from the cached document: no query per visit)."""
        number = self.turnout_precinct
        return [{"hour": self._hour(r["hour"]), "ballots": _text(r["ballots"])}
                for r in self._doc.get("turnout", {}).get("rows", []) if number and r["precinct"] == number]

    @rx.var
    def turnout_precinct_total(self) -> str:
        number = self.turnout_precinct
        return next((_text(r["ballots"]) for r in self._doc.get("turnout", {}).get("totals", {}).get("by_precinct", [])
                     if number and r["precinct"] == number), "0")

    @rx.var
    def turnout_csv_url(self) -> str:
        return f"{routes.API_STATISTICS_CSV}?day={self.selected_day}&table=turnout"

    @rx.event
    def choose_precinct(self, form_data: dict):
        self.turnout_precinct = str(form_data.get("turnout-precinct", "") or "").strip()[:16]

    @rx.var
    def csv_url(self) -> str:
        return f"{routes.API_STATISTICS_CSV}?day={self.selected_day}" if self.selected_day else routes.API_STATISTICS_CSV

    @rx.var
    def json_url(self) -> str:
        return f"{routes.API_STATISTICS_JSON}?day={self.selected_day}" if self.selected_day else routes.API_STATISTICS_JSON

    async def _refresh(self, day: str) -> None:
        found = await self._run(lambda s: statistics.cached(s, day or None))
        if found is FAILED:
            return
        self.days = found["days"]
        self._doc = found["document"] or {}
        self.selected_day = self._doc.get("election_day", "")

    @rx.event
    async def load(self):
        await self._refresh(self.selected_day)
        return self._ready()

    @rx.event
    async def choose_day(self, value: str):
        if value in self.days:
            await self._refresh(value)
