"""The voter list of a remote precinct."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import select, staff_page, table
from remote_vote_app.state.staff.voter_lists import VoterListState


def voter_lists() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["list.title"]),
        rx.el.form(
            rx.el.div(
                select("precinct", "search.precinct", VoterListState.precinct_options, "id", lambda o: o["label"],
                        VoterListState.selected_precinct, any_option=False),
                select("day", "stats.election_day", VoterListState.day_options, "value", lambda d: d["label"],
                        VoterListState.selected_day, any_option=False),
                class_name="filters",
            ),
            submit_button("list.show", id="show-list"),
            on_submit=VoterListState.choose,
            reset_on_submit=False,
            class_name="no-print",
        ),
        rx.el.h2(VoterListState.title, id="list-heading"),
        rx.cond(VoterListState.preliminary,
                rx.el.p(tr["list.preliminary"], class_name="notice important", id="preliminary"),
                rx.el.p(tr["list.final"], class_name="notice")),
        rx.el.p(tr["list.count"].replace("{count}", VoterListState.rows.length().to(str)), id="list-count"),
        rx.el.div(
            rx.el.button(tr["ux.list_xlsx"], type="button", on_click=VoterListState.download("xlsx"), class_name="button",
                         id="download-xlsx"),
            rx.el.button(tr["ux.list_csv"], type="button", on_click=VoterListState.download("csv"),
                         class_name="button secondary", id="download-csv"),
            rx.el.button(tr["ux.list_print"], type="button", on_click=rx.call_script("window.print()"),
                         class_name="button secondary", id="print-list"),
            class_name="button-row no-print",
        ),
        table(VoterListState.title,
               [tr["confirm.reference"], tr["apply.full_name"], tr["apply.pin"], tr["list.birth"], tr["list.home"],
                tr["list.territory"], tr["confirm.election"]],
               VoterListState.rows,
               lambda r: [rx.el.td(r[c], class_name="nowrap code" if c in ("reference", "pin", "birth_date") else "")
                          for c in ("reference", "full_name", "pin", "birth_date", "home_address", "home_territory",
                                    "election")],
               "voter-list"),
    )
