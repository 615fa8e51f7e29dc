"""/statistics : applications per remote precinct, per day and by channel, with small counts hidden."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.statistics import StatisticsState


def _table(caption_key: str, first_key: str, rows, first: str, table_id: str, second: str | None = None) -> rx.Component:
    heads = [tr[first_key]] + ([tr["pubstats.precinct"]] if second else []) + [
        tr["pubstats.online"], tr["pubstats.in_person"], tr["pubstats.total"]]
    return rx.el.div(
        rx.el.table(
            rx.el.caption(tr[caption_key]),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in heads])),
            rx.el.tbody(rx.foreach(rows, lambda r: rx.el.tr(
                rx.el.th(r[first], scope="row"),
                *([rx.el.td(r[second])] if second else []),
                rx.el.td(r["online"], class_name="num"), rx.el.td(r["in_person"], class_name="num"),
                rx.el.td(r["total"], class_name="num")))),
            id=table_id,
            class_name="stat-table",
        ),
        class_name="table-wrap",
        tab_index=0,
        role="region",
        aria_label=tr[caption_key],
    )


def _simple_table(caption, heads, rows, keys, table_id: str) -> rx.Component:
    return rx.el.div(
        rx.el.table(
            rx.el.caption(caption),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in heads])),
            rx.el.tbody(rx.foreach(rows, lambda r: rx.el.tr(rx.el.th(r[keys[0]], scope="row"),
                                                            *[rx.el.td(r[k], class_name="num") for k in keys[1:]]))),
            id=table_id,
            class_name="stat-table",
        ),
        class_name="table-wrap",
        tab_index=0,
        role="region",
        aria_label=caption,
    )


def _turnout() -> rx.Component:
    """Identification mode: ballots issued per hour, overall and at one precinct."""
    return rx.el.section(
        rx.el.h2(tr["ident.pub_title"], id="turnout-heading"),
        rx.el.p(StatisticsState.turnout_status, id="turnout-status", class_name="notice"),
        rx.el.dl(rx.el.div(rx.el.dt(tr["ident.ballots"]), rx.el.dd(StatisticsState.turnout_total, id="turnout-total",
                                                                 class_name="stat-value"), class_name="stat"),
                 class_name="stats"),
        _simple_table(tr["ident.pub_by_hour"], [tr["ident.hour"], tr["ident.ballots"]], StatisticsState.turnout_by_hour,
                      ["hour", "ballots"], "turnout-by-hour"),
        rx.el.h3(tr["ident.pub_precinct_title"]),
        rx.el.form(
            rx.el.label(tr["ident.precinct_number"], html_for="turnout-precinct", class_name="label"),
            rx.el.div(
                rx.el.input(id="turnout-precinct", name="turnout-precinct", max_length=16, class_name="input",
                            default_value=StatisticsState.turnout_precinct),
                rx.el.button(tr["ident.show"], type="submit", class_name="button secondary"),
                class_name="inline-form",
            ),
            on_submit=StatisticsState.choose_precinct,
            class_name="field",
        ),
        rx.cond(
            StatisticsState.turnout_precinct != "",
            rx.fragment(
                rx.el.p(tr["ident.pub_precinct_total"], ": ", StatisticsState.turnout_precinct_total, id="turnout-precinct-total",
                        role="status"),
                rx.cond(StatisticsState.turnout_hours.length() > 0,
                        _simple_table(tr["ident.pub_precinct_title"], [tr["ident.hour"], tr["ident.ballots"]],
                                      StatisticsState.turnout_hours, ["hour", "ballots"], "turnout-precinct-hours")),
            ),
        ),
        rx.el.p(rx.el.a(tr["ident.pub_csv"], href=StatisticsState.turnout_csv_url, id="turnout-csv")),
        aria_labelledby="turnout-heading",
    )


def _applications() -> rx.Component:
    """The applications of the chosen day: the totals, per day (chart and table), per precinct and per day and precinct."""
    s = StatisticsState.summary
    return rx.fragment(
        rx.el.p(tr["landing.election_local"], ": ", s["election_day"], id="stats-election-day"),
        rx.el.p(s["status"], id="stats-status", class_name="notice"),
        rx.el.dl(
            rx.el.div(rx.el.dt(tr["pubstats.total"]), rx.el.dd(s["total"], id="pub-total", class_name="stat-value"),
                      class_name="stat"),
            rx.el.div(rx.el.dt(tr["pubstats.online"]), rx.el.dd(s["online"], id="pub-online", class_name="stat-value"),
                      class_name="stat"),
            rx.el.div(rx.el.dt(tr["pubstats.in_person"]),
                      rx.el.dd(s["in_person"], id="pub-in-person", class_name="stat-value"), class_name="stat"),
            class_name="stats",
        ),
        rx.el.h2(tr["pubstats.per_day"]),
        rx.el.div(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="online", stack_id="a", fill="#136c2e", name=tr["pubstats.online"]),
                rx.recharts.bar(data_key="in_person", stack_id="a", fill="#0b4fa6", name=tr["pubstats.in_person"]),
                data=StatisticsState.chart,
                width="100%",
                height=260,
                custom_attrs={"accessibilityLayer": False},  # the tables carry the figures
            ),
            aria_hidden="true",
            class_name="chart",
        ),
        rx.el.p(tr["pubstats.chart_note"], class_name="hint"),
        _table("pubstats.per_day", "pubstats.day", StatisticsState.by_day, "day", "stats-by-day"),
        rx.el.h2(tr["pubstats.per_precinct"]),
        _table("pubstats.per_precinct", "pubstats.precinct", StatisticsState.by_precinct, "precinct",
               "stats-by-precinct"),
        rx.el.h2(tr["pubstats.cells"]),
        _table("pubstats.cells", "pubstats.day", StatisticsState.cells, "day", "stats-cells", second="precinct"),
    )


def statistics_page() -> rx.Component:
    return page(
        rx.el.h1(tr["pubstats.title"]),
        rx.el.p(tr["pubstats.lead"], class_name="lead"),
        rx.cond(
            StatisticsState.days.length() > 1,
            rx.el.div(
                rx.el.label(tr["stats.election_day"], html_for="day", class_name="label"),
                rx.el.select(rx.foreach(StatisticsState.day_options, lambda d: rx.el.option(d["label"], value=d["value"])), id="day",
                             value=StatisticsState.selected_day, on_change=StatisticsState.choose_day, class_name="input"),
                class_name="field",
            ),
        ),
        rx.cond(StatisticsState.has_turnout, _turnout()),
        rx.cond(
            StatisticsState.show_applications,
            _applications(),
            rx.cond(~StatisticsState.has_turnout, rx.el.p(tr["pubstats.none"], id="stats-none")),
        ),
        rx.el.section(
            rx.el.h2(tr["pubstats.rule_title"]),
            rx.el.p(tr["pubstats.rule"]),
            rx.el.h3(tr["pubstats.open_data"]),
            rx.el.ul(
                rx.el.li(rx.el.a("CSV (UTF-8)", href=StatisticsState.csv_url, id="stats-csv")),
                rx.el.li(rx.el.a("JSON", href=StatisticsState.json_url, id="stats-json")),
            ),
            rx.el.p(tr["pubstats.format"], class_name="hint"),
        ),
    )
