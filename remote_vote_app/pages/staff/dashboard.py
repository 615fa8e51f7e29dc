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


def dashboard() -> rx.Component:
    s = DashboardState.stats
    return staff_page(
        rx.el.h1(tr["stats.title"]),
        rx.el.p(tr["stats.live"], class_name="hint", aria_live="off"),
        rx.el.form(
            rx.el.label(tr["stats.election_day"], html_for="day", class_name="label"),
            rx.el.select(rx.foreach(DashboardState.election_days, lambda d: rx.el.option(d, value=d)),
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
        rx.el.div(
            rx.el.section(
                rx.el.h2(tr["stats.per_precinct"]),
                table(tr["stats.per_precinct"], [tr["stats.precinct"], tr["stats.count"], tr["stats.issued"]],
                      DashboardState.per_precinct,
                      lambda r: [rx.el.td(r["number"], " — ", r["city"]), rx.el.td(r["count"]), rx.el.td(r["issued"])],
                      "per-precinct"),
            ),
            rx.el.section(
                rx.el.h2(tr["stats.per_region"]),
                table(tr["stats.per_region"], [tr["stats.region"], tr["stats.count"]], DashboardState.per_region,
                       lambda r: [rx.el.td(r["region"]), rx.el.td(r["count"])], "per-region"),
            ),
            class_name="grid",
        ),
        rx.cond(
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
        ),
    )
