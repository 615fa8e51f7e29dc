"""Application search and one application's detail with its history."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button, summary_row, text_field
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import select, staff_page, table
from remote_vote_app.state.staff.applications import SearchState


def _detail() -> rx.Component:
    d = SearchState.detail
    rows = [("confirm.reference", "reference"), ("cabinet.status", "status"), ("cabinet.channel", "channel"),
            ("inperson.commission", "commission"), ("apply.full_name", "name"), ("apply.pin", "pin"),
            ("apply.document", "document"), ("apply.birth_date", "birth_date"), ("apply.address", "home"),
            ("confirm.precinct", "precinct"), ("confirm.election", "election"), ("apply.email", "email"),
            ("apply.phone", "phone")]
    return rx.cond(
        d.contains("reference"),
        rx.el.section(
            rx.el.h2(tr["search.detail_title"].replace("{reference}", d["reference"]), id="detail-heading", tab_index=-1),
            rx.el.dl(*[summary_row(tr[k], tr[d[f + "_key"].to(str)] if f in ("status", "channel") else d[f])
                       for k, f in rows],
                     class_name="summary"),
            rx.el.h3(tr["detail.history"]),
            table(tr["detail.history"], [tr["detail.when"], tr["detail.actor"], tr["detail.action"], tr["detail.details"]],
                   SearchState.history,
                   lambda h: [rx.el.td(h["at"], class_name="nowrap"), rx.el.td(h["actor"], class_name="nowrap"), rx.el.td(h["action"]),
                              rx.el.td(h["details"], class_name="pre")], "history"),
            rx.el.button(tr["detail.close"], type="button", on_click=SearchState.close_detail, class_name="button secondary"),
            class_name="card",
            aria_labelledby="detail-heading",
        ),
    )


def applications_page() -> rx.Component:
    f = SearchState.filters
    statuses = rx.Var.create([{"v": "submitted", "l": "status.submitted"}, {"v": "withdrawn", "l": "status.withdrawn"}])
    channels = rx.Var.create([{"v": "online", "l": "channel.online"}, {"v": "in_person", "l": "channel.in_person"}])
    sorts = rx.Var.create([{"v": k, "l": f"search.sort.{k}"} for k in
                           ("created_desc", "created_asc", "reference", "precinct", "status")])
    return staff_page(
        rx.el.h1(tr["search.title"]),
        rx.el.form(
            rx.el.div(
                text_field("text", "ux.search_text", None, default_value=f["text"], max_length=40),
                select("day", "stats.election_day", SearchState.day_options, "value", lambda d: d["label"], f["day"]),
                select("precinct", "search.precinct", SearchState.precinct_options, "id", lambda o: o["label"], f["precinct"]),
                select("status", "search.status", statuses, "v", lambda o: tr[o["l"].to(str)], f["status"]),
                select("channel", "search.channel", channels, "v", lambda o: tr[o["l"].to(str)], f["channel"]),
                text_field("from", "search.from", None, type="date", default_value=f["from"]),
                text_field("to", "search.to", None, type="date", default_value=f["to"]),
                select("sort", "search.sort", sorts, "v", lambda o: tr[o["l"].to(str)], f["sort"], any_option=False),
                class_name="filters",
            ),
            submit_button("search.submit", id="search"),
            on_submit=SearchState.search,
            reset_on_submit=False,
        ),
        rx.el.p(SearchState.found_text, role="status", id="found"),
        table(tr["search.title"],
               [tr["confirm.reference"], tr["search.name"], tr["apply.pin"], tr["stats.precinct"], tr["search.status"],
                tr["search.channel"], tr["search.created"], tr["search.open"]],
               SearchState.rows,
               lambda r: [rx.el.td(r["reference"], class_name="nowrap code"), rx.el.td(r["name"]),
                          rx.el.td(r["pin"], class_name="nowrap code"), rx.el.td(r["precinct"], class_name="nowrap"),
                          rx.el.td(tr[r["status_key"].to(str)]), rx.el.td(tr[r["channel_key"].to(str)]),
                          rx.el.td(r["created"], class_name="nowrap"),
                          rx.el.td(rx.el.button(tr["search.open"], rx.el.span(" ", r["reference"], class_name="visually-hidden"),
                                                type="button", on_click=SearchState.open_detail(r["reference"]),
                                                class_name="button secondary small"))],
               "results"),
        rx.el.div(
            rx.el.button(tr["search.prev"], type="button", on_click=SearchState.go_page(SearchState.page - 1),
                         disabled=SearchState.page <= 1, class_name="button secondary"),
            rx.el.button(tr["search.next"], type="button", on_click=SearchState.go_page(SearchState.page + 1),
                         disabled=SearchState.page >= SearchState.pages, class_name="button secondary"),
            class_name="button-row",
        ),
        _detail(),
    )
