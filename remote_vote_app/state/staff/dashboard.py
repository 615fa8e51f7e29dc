"""The statistics dashboard, refreshed live while it stays open."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import day_options, iso_date_text, t
from remote_vote_app.services.applications import activity
from remote_vote_app.services.election_day import turnout
from remote_vote_app.services.reporting import dashboard
from remote_vote_app.services.identity.staff import StaffUser
from remote_vote_app.services.validation import parse_date
from remote_vote_app.state.app import FAILED, as_strings
from remote_vote_app.state.staff.session import StaffState, staff_required

LIVE_INTERVAL_SECONDS = 3


class DashboardState(StaffState):
    stats: dict[str, str] = {}
    per_precinct: list[dict[str, str]] = []
    per_region: list[dict[str, str]] = []
    per_day: list[dict[str, Any]] = []
    anomalies: dict[str, list[dict[str, str]]] = {}
    anomaly_limits: dict[str, str] = {}
    flag_counts: list[dict[str, str]] = []
    flags: list[dict[str, str]] = []
    # Ballots issued twice to one voter (two desks): the two members, precincts and times.
    incidents: list[dict[str, str]] = []
    election_days: list[str] = []
    selected_day: str = ""
    # "This wasn't me" reports of voters in this account's scope (reports.review only).
    reports: list[dict[str, str]] = []
    can_review: bool = False
    # Identification mode (the 2025 law): the day's election in this account's scope (services.election_day.turnout).
    ident: dict[str, str] = {}
    ident_hours: list[str] = []
    ident_turnout: list[list[str]] = []  # precinct, ballots per hour..., total, remote
    ident_refusals: list[dict[str, str]] = []
    ident_districts: list[dict[str, str]] = []
    ident_stock: list[dict[str, str]] = []
    ident_incidents: list[dict[str, str]] = []
    ident_precinct: str = ""  # the precinct number asked for ("" = the busiest ones)
    ident_elections: list[dict[str, str]] = []  # the day's identification-mode elections (id, title)
    ident_election: str = ""  # the one shown
    # A lease, not a flag: a poller that died with its worker stops renewing it, so the next load
    # (on whichever worker) follows again.
    _live_until: float = 0.0

    @rx.var
    def day_options(self) -> list[dict[str, str]]:
        """The election days for the select, shown in the page's language."""
        return day_options(self._lang(), self.election_days)

    async def _refresh(self, user: StaffUser) -> None:
        chosen, with_anomalies, lang = parse_date(self.selected_day), user.can("anomalies.view"), self._lang()
        review = user.can("reports.review")
        number, election_id = self.ident_precinct, self.ident_election

        def build(s) -> dict:
            view = dashboard.overview(s, chosen, with_anomalies, lang=lang)
            return {**view, "reports": activity.for_staff(s, user, lang) if review else [],
                    "identification": turnout.commission_view(s, user, view["day"], lang, number, election_id)
                    if view["day"] else None}

        view = await self._run(build)
        if view is FAILED:
            return
        self._show_identification(view["identification"], lang)
        self.can_review, self.reports = review, view["reports"]
        self.election_days = [d.isoformat() for d in view["days"]]
        self.selected_day = view["day"].isoformat() if view["day"] else ""
        data, found = view["statistics"], view["anomalies"]
        if data is None:
            return
        lang = self._lang()
        self.stats = dashboard.headline(data, lang)
        self.per_precinct = [as_strings(r) for r in data["per_precinct"]]
        self.per_region = [as_strings(r) for r in data["per_region"]]
        self.per_day = [{**r, "day": iso_date_text(lang, r["day"])} for r in data["per_day"]]
        if view["flags"] is not None:
            self.flag_counts = [{"kind": kind, "label": t(lang, f"stats.flag.{kind}"), "count": str(count)}
                                for kind, count in view["flags"]["counts"].items()]
            self.flags = [{**as_strings(f), "label": t(lang, f"stats.flag.{f['kind']}"),
                           "details": dashboard.flag_details(f, lang)} for f in view["flags"]["latest"]]
        self.incidents = dashboard.incident_rows(view["incidents"], lang)
        if found is not None:
            self.anomalies = {k: [as_strings(r) for r in found[k]] for k in ("phones", "emails", "changers")}
            self.anomaly_limits = {"contact": str(found["contact_limit"]), "change": str(found["change_limit"])}

    def _show_identification(self, data: dict | None, lang: str) -> None:
        if data is None:
            self.ident, self.ident_hours, self.ident_turnout = {}, [], []
            self.ident_elections, self.ident_election = [], ""
            self.ident_refusals, self.ident_districts, self.ident_stock, self.ident_incidents = [], [], [], []
            return
        self.ident_elections, self.ident_election = data["elections"], str(data["election_id"])
        self.ident = {"title": next(e["title"] for e in data["elections"] if e["id"] == self.ident_election),
                      "total": str(data["total"]), "remote": str(data["remote"]),
                      "shown": str(data["precincts_shown"]), "active": str(data["precincts_active"]),
                      "rows_hint": t(lang, "ident.rows_hint", shown=data["precincts_shown"],
                                     active=data["precincts_active"])}
        self.ident_hours = data["hours"]
        self.ident_turnout = [[t(lang, "ident.all_precincts"), *map(str, data["scope_hours"]), str(data["total"]),
                               str(data["remote"])]] + [
            [r["precinct"], *map(str, r["cells"]), str(r["total"]), str(r["remote"])] for r in data["turnout"]]
        self.ident_refusals = [as_strings(r) for r in
                               [{"precinct": t(lang, "ident.all_precincts"), **data["refusal_totals"]}, *data["refusals"]]]
        self.ident_districts = [as_strings(r) for r in data["by_home_district"]]
        self.ident_stock = [as_strings(r) for r in data["stock"]]
        self.ident_incidents = [{"kind": t(lang, f"ident.outcome.{i['kind']}"), "precinct": i["precinct"], "at": i["at"],
                                 "member": i["member"], "details": i["details"],
                                 "status": t(lang, f"activity.report.{i['status']}") if i["status"] else ""}
                                for i in data["incidents"]]

    @rx.event
    @staff_required("stats.view")
    async def choose_precinct(self, form_data: dict):
        """Narrow the identification tables to one precinct (the service keeps it inside the scope)."""
        self.ident_precinct = str(form_data.get("ident-precinct", "") or "").strip()[:16]
        await self._refresh(self._user())

    @rx.event
    @staff_required("stats.view")
    async def choose_election(self, value: str):
        """Show another identification-mode election of the same day (the service ignores an unknown id)."""
        self.ident_election = str(value or "")[:20]
        await self._refresh(self._user())

    @rx.event
    @staff_required("stats.view")
    async def all_precincts(self):
        self.ident_precinct = ""
        await self._refresh(self._user())

    @rx.event
    @staff_required("stats.view")
    async def load(self):
        await self._refresh(self._user())
        return [self._ready(), DashboardState.follow]

    @rx.event
    @staff_required("stats.view")
    async def choose_day(self, value: str):
        if value in self.election_days:
            self.selected_day = value
            await self._refresh(self._user())

    @rx.event
    @staff_required("reports.review")
    async def answer_report(self, form_data: dict):
        """Answer a voter's report (the service checks it is in this account's territory)."""
        self._clear_messages()
        user, report_id, text = self._user(), form_data.get("report_id"), form_data.get("answer")
        if await self._run(lambda s: activity.answer(s, user, report_id, text)) is FAILED:
            return
        self.notice_key = "activity.answered_notice"
        await self._refresh(user)

    @rx.event(background=True)
    async def follow(self):
        """Push fresh figures while the dashboard stays open (no reload needed)."""
        async with self:
            if time.time() < self._live_until or await self._staff_user(touch=False) is None:
                return
            self._live_until = time.time() + LIVE_INTERVAL_SECONDS * 2
        try:
            while True:
                await asyncio.sleep(LIVE_INTERVAL_SECONDS)
                async with self:
                    user = await self._staff_user(touch=False)  # polling is not activity: idle sessions still end
                    if user is None or not user.can("stats.view") or self.router.url.path.rstrip("/") != routes.STAFF:
                        break
                    self._live_until = time.time() + LIVE_INTERVAL_SECONDS * 2
                    await self._refresh(user)
        finally:
            async with self:
                self._live_until = 0.0
