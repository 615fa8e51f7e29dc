"""The statistics dashboard."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page, table
from remote_vote_app.state.staff.dashboard import DashboardState


def _stat(label_key: str, value: rx.Var, stat_id: str) -> rx.Component:
    return rx.el.div(rx.el.dt(tr[label_key]), rx.el.dd(value, id=stat_id, class_name="stat-value"), class_name="stat")


def _anomaly_list(title: rx.Var, rows: rx.Var, key: str) -> rx.Component:
    return rx.el.div(
        rx.el.h3(title),
        rx.cond(
            rows.length() > 0,
            rx.el.ul(rx.foreach(rows, lambda r: rx.el.li(r[key], " — ", r["count"]))),
            rx.el.p(tr["anomaly.none"], class_name="hint"),
        ),
    )


def _report(r: rx.Var) -> rx.Component:
    return rx.el.article(
        rx.el.h3(r["action"], rx.cond(r["reference"] != "", rx.el.span(" · ", r["reference"])),
                 rx.el.span(r["status_text"], class_name="badge")),
        rx.el.p(tr["activity.event_at"], ": ", r["event_at"], " · ", r["channel_text"],
                rx.cond(r["commission"] != "", rx.el.span(" · ", r["commission"])), " · ", r["actor"], class_name="hint"),
        rx.el.p(tr["activity.filed_at"], ": ", r["filed"]),
        rx.cond(r["note"] != "", rx.el.p(tr["activity.note"], ": ", r["note"])),
        rx.cond(
            r["status"] == "answered",
            rx.el.p(rx.el.strong(tr["activity.answer"]), ": ", r["answer"]),
            rx.el.form(
                rx.el.input(type="hidden", name="report_id", value=r["id"]),
                rx.el.label(tr["activity.answer"], html_for="answer-" + r["id"].to(str), class_name="label"),
                rx.el.textarea(id="answer-" + r["id"].to(str), name="answer", rows=2, max_length=1000, class_name="input"),
                rx.el.button(tr["activity.send_answer"], type="submit", class_name="button",
                             id="send-answer-" + r["id"].to(str)),
                on_submit=DashboardState.answer_report,
                reset_on_submit=True,
                class_name="field",
            ),
        ),
        class_name="card",
    )


def _wide_table(caption_key: str, heads, rows, cells, table_id: str) -> rx.Component:
    """A table that may be wider than a tablet: the hint above says it scrolls sideways."""
    return rx.fragment(rx.el.p(tr["ident.scrolls"], class_name="hint"), table(tr[caption_key], heads, rows, cells, table_id))


def _ident_choice() -> tuple[rx.Component, ...]:
    """Which identification-mode election and precinct the tables below show, and its totals."""
    i = DashboardState.ident
    return (
        rx.cond(  # two such elections on one day (say president and parliament): one at a time
            DashboardState.ident_elections.length() > 1,
            rx.el.div(
                rx.el.label(tr["confirm.election"], html_for="ident-election", class_name="label"),
                rx.el.select(rx.foreach(DashboardState.ident_elections,
                                        lambda e: rx.el.option(e["title"], value=e["id"])),
                             id="ident-election", value=DashboardState.ident_election,
                             on_change=DashboardState.choose_election, class_name="input"),
                class_name="field",
            ),
            rx.el.p(rx.el.strong(i["title"]), id="ident-election-title"),
        ),
        rx.el.dl(_stat("ident.ballots", i["total"], "ident-total"), _stat("ident.remote", i["remote"], "ident-remote"),
                 class_name="stats"),
        rx.el.form(
            rx.el.label(tr["ident.precinct_number"], html_for="ident-precinct", class_name="label"),
            rx.el.div(
                rx.el.input(id="ident-precinct", name="ident-precinct", default_value=DashboardState.ident_precinct,
                            key=DashboardState.ident_precinct, max_length=16, class_name="input"),
                rx.el.button(tr["ident.show"], type="submit", class_name="button secondary"),
                rx.cond(DashboardState.ident_precinct != "",
                        rx.el.button(tr["ident.show_all"], type="button", on_click=DashboardState.all_precincts,
                                     class_name="button secondary")),
                class_name="inline-form",
            ),
            on_submit=DashboardState.choose_precinct,
            class_name="field",
        ),
        rx.el.p(i["rows_hint"], class_name="hint", id="ident-rows"),
    )


def _identification() -> rx.Component:
    """Election day in identification mode: turnout by hour, refusals, remote ballots by home
    district, the ballot stock and the incidents, in this account's scope."""
    i = DashboardState.ident
    outcomes = ("voted", "wrong_precinct", "not_registered", "under_age")
    return rx.el.section(
        rx.el.h2(tr["ident.stats_title"], id="ident-heading"),
        rx.el.p(tr["ident.stats_lead"], class_name="hint"),
        *_ident_choice(),
        rx.el.h3(tr["ident.turnout_title"]),
        _wide_table("ident.turnout_title",
                    [tr["stats.precinct"], rx.foreach(DashboardState.ident_hours, lambda h: rx.el.th(h, scope="col")),
                     tr["ident.ballots"], tr["ident.remote_short"]],
                    DashboardState.ident_turnout,
                    lambda r: [rx.el.th(r[0], scope="row"), rx.foreach(r[1:], lambda c: rx.el.td(c, class_name="num"))],
                    "ident-turnout"),
        rx.el.h3(tr["ident.refusals_title"]),
        _wide_table("ident.refusals_title", [tr["stats.precinct"], *[tr[f"ident.outcome.{o}"] for o in outcomes]],
                    DashboardState.ident_refusals,
                    lambda r: [rx.el.th(r["precinct"], scope="row"), *[rx.el.td(r[o], class_name="num") for o in outcomes]],
                    "ident-refusals"),
        rx.el.h3(tr["ident.districts_title"]),
        rx.el.p(tr["ident.districts_hint"], class_name="hint"),
        table(tr["ident.districts_title"], [tr["ident.district"], tr["ident.ballots"]], DashboardState.ident_districts,
              lambda r: [rx.el.th(r["district"], scope="row"), rx.el.td(r["count"], class_name="num")], "ident-districts"),
        rx.el.h3(tr["ident.stock_title"]),
        rx.el.p(tr["ident.stock_hint"], class_name="hint"),
        _wide_table("ident.stock_title", [tr["stats.precinct"], tr["ident.district"], tr["ident.ballots"],
                                          tr["ident.remote_short"]],
                    DashboardState.ident_stock,
                    lambda r: [rx.el.th(r["precinct"], scope="row"), rx.el.td(r["district"]),
                               rx.el.td(r["issued"], class_name="num"), rx.el.td(r["remote"], class_name="num")],
                    "ident-stock"),
        rx.el.h3(tr["ident.incidents_title"], id="ident-incidents-heading"),
        rx.el.p(tr["ident.incidents_hint"], class_name="hint"),
        rx.cond(
            DashboardState.ident_incidents.length() > 0,
            _wide_table("ident.incidents_title", [tr["stats.flag_kind"], tr["stats.flag_where"], tr["stats.flag_when"],
                                                  tr["ident.member"], tr["stats.flag_details"], tr["cabinet.status"]],
                        DashboardState.ident_incidents,
                        lambda r: [rx.el.td(r["kind"]), rx.el.td(r["precinct"]), rx.el.td(r["at"]),
                                   rx.el.td(r["member"]), rx.el.td(r["details"]), rx.el.td(r["status"])],
                        "ident-incidents"),
            rx.el.p(tr["ident.no_incidents"], id="ident-no-incidents"),
        ),
        aria_labelledby="ident-heading",
        id="identification",
    )


def _headline() -> tuple[rx.Component, ...]:
    """The election day to show and its top figures."""
    s = DashboardState.stats
    return (
        rx.el.form(
            rx.el.label(tr["stats.election_day"], html_for="day", class_name="label"),
            rx.el.select(rx.foreach(DashboardState.day_options, lambda d: rx.el.option(d["label"], value=d["value"])),
                         id="day", value=DashboardState.selected_day, on_change=DashboardState.choose_day,
                         class_name="input"),
            class_name="field",
        ),
        rx.el.dl(
            _stat("stats.total", s["total"], "stat-total"),
            _stat("stats.online", s["online"], "stat-online"),
            _stat("stats.in_person", s["in_person"], "stat-in-person"),
            _stat("stats.withdrawn", s["withdrawn"], "stat-withdrawn"),
            _stat("stats.time_left", s["left"], "stat-left"),
            _stat("ux.stats_deadline", s["deadline"], "stat-deadline"),
            class_name="stats",
        ),
    )


def _per_day() -> tuple[rx.Component, ...]:
    """Applications per day: the chart (hidden from screen readers) and the same figures as a table."""
    return (
        rx.el.h2(tr["stats.per_day"]),
        rx.el.div(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.bar(data_key="count", fill="#136c2e", name=tr["stats.count"]),
                data=DashboardState.per_day,
                width="100%",
                height=240,
                custom_attrs={"accessibilityLayer": False},  # not focusable: the table below carries the figures
            ),
            aria_hidden="true",  # the same figures are in the table below
            class_name="chart",
        ),
        table(tr["stats.per_day"], [tr["stats.day"], tr["stats.count"]], DashboardState.per_day,
               lambda r: [rx.el.td(r["day"]), rx.el.td(r["count"])], "per-day"),
    )


def _per_place() -> rx.Component:
    """Applications per precinct (with its capacity) and per region, side by side."""
    return rx.el.div(
        rx.el.section(
            rx.el.h2(tr["stats.per_precinct"]),
            table(tr["stats.per_precinct"], [tr["stats.precinct"], tr["stats.count"], tr["stats.issued"],
                                              tr["capacity.places"], tr["capacity.fill"]],
                  DashboardState.per_precinct,
                  lambda r: [rx.el.td(r["number"], " — ", r["city"]), rx.el.td(r["count"]), rx.el.td(r["issued"]),
                             rx.el.td(r["capacity"]),
                             rx.el.td(r["fill"],
                                      rx.cond(r["level"] == "full", rx.el.span(tr["capacity.full"], class_name="badge badge-full")),
                                      rx.cond(r["level"] == "almost_full",
                                              rx.el.span(tr["capacity.almost_full"], class_name="badge badge-almost_full")))],
                  "per-precinct"),
        ),
        rx.el.section(
            rx.el.h2(tr["stats.per_region"]),
            table(tr["stats.per_region"], [tr["stats.region"], tr["stats.count"]], DashboardState.per_region,
                   lambda r: [rx.el.td(r["region"]), rx.el.td(r["count"])], "per-region"),
        ),
        class_name="grid",
    )


def _flags() -> rx.Component:
    """The check-in flags: counts by kind, then the latest ones."""
    return rx.el.section(
        rx.el.h2(tr["stats.flags_title"], id="flags-heading"),
        rx.el.dl(rx.foreach(DashboardState.flag_counts, lambda f: rx.el.div(
            rx.el.dt(f["label"]), rx.el.dd(f["count"], id="flag-" + f["kind"], class_name="stat-value"),
            class_name="stat")), class_name="stats"),
        rx.cond(
            DashboardState.flags.length() > 0,
            table(tr["stats.flags_table"], [tr["stats.flag_kind"], tr["confirm.reference"], tr["stats.flag_where"],
                                            tr["stats.flag_when"], tr["stats.flag_details"]],
                  DashboardState.flags,
                  lambda f: [rx.el.td(f["label"]), rx.el.td(f["reference"]), rx.el.td(f["precinct"]),
                             rx.el.td(f["at"]), rx.el.td(f["details"])],
                  "checkin-flags"),
        ),
        aria_labelledby="flags-heading",
        id="flags",
    )


def _incidents() -> rx.Component:
    """Ballots issued twice to one voter, when there are any."""
    return rx.cond(
        DashboardState.incidents.length() > 0,
        rx.el.section(
            rx.el.h2(tr["stats.incidents_title"], id="incidents-heading"),
            rx.el.p(tr["stats.incidents_hint"], class_name="hint"),
            table(tr["stats.incidents_table"], [tr["confirm.reference"], tr["stats.incident_first"],
                                                tr["stats.incident_second"]],
                  DashboardState.incidents,
                  lambda i: [rx.el.td(i["reference"]), rx.el.td(i["first"]), rx.el.td(i["second"])],
                  "checkin-incidents"),
            aria_labelledby="incidents-heading",
            id="incidents",
        ),
    )


def _reports() -> rx.Component:
    """"This wasn't me" reports, for an account that reviews them."""
    return rx.cond(
        DashboardState.can_review,
        rx.el.section(
            rx.el.h2(tr["activity.reports_title"], id="reports-title"),
            rx.cond(DashboardState.reports.length() > 0,
                    rx.el.div(rx.foreach(DashboardState.reports, _report), class_name="stack"),
                    rx.el.p(tr["activity.no_reports"], class_name="hint")),
            id="reports",
            aria_labelledby="reports-title",
        ),
    )


def _anomalies() -> rx.Component:
    """Contacts shared by many applications and frequent changers, for an account that sees them."""
    return rx.cond(
        DashboardState.anomalies.contains("phones"),
        rx.el.section(
            rx.el.h2(tr["anomaly.title"]),
            rx.el.div(
                _anomaly_list(tr["anomaly.phones"].replace("{limit}", DashboardState.anomaly_limits["contact"]),
                              DashboardState.anomalies["phones"], "value"),
                _anomaly_list(tr["anomaly.emails"].replace("{limit}", DashboardState.anomaly_limits["contact"]),
                              DashboardState.anomalies["emails"], "value"),
                _anomaly_list(tr["anomaly.changers"].replace("{limit}", DashboardState.anomaly_limits["change"]),
                              DashboardState.anomalies["changers"], "reference"),
                class_name="grid",
            ),
            id="anomalies",
        ),
    )


def dashboard() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["stats.title"]),
        rx.el.p(tr["stats.live"], class_name="hint", aria_live="off"),
        *_headline(),
        rx.cond(DashboardState.ident.contains("total"), _identification()),
        *_per_day(),
        _per_place(),
        _flags(),
        _incidents(),
        _reports(),
        _anomalies(),
    )
