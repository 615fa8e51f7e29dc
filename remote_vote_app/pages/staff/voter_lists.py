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
                select("day", "stats.election_day", VoterListState.election_days, "", lambda d: d,
                        VoterListState.selected_day, any_option=False),
                class_name="filters",
            ),
            submit_button("list.show", id="show-list"),
            on_submit=VoterListState.choose,
            reset_on_submit=False,
        ),
        rx.el.h2(VoterListState.title, id="list-heading"),
        rx.cond(VoterListState.preliminary,
                rx.el.p(tr["list.preliminary"], class_name="notice important", id="preliminary"),
                rx.el.p(tr["list.final"], class_name="notice")),
        rx.el.p(tr["list.count"].replace("{count}", VoterListState.rows.length().to(str)), id="list-count"),
        rx.el.button(tr["list.download"], type="button", on_click=VoterListState.download, class_name="button",
                     id="download-csv"),
        table(VoterListState.title,
               [tr["confirm.reference"], tr["apply.full_name"], tr["apply.pin"], tr["list.birth"], tr["list.home"],
                tr["list.territory"], tr["confirm.election"]],
               VoterListState.rows,
               lambda r: [rx.el.td(r[c]) for c in ("reference", "full_name", "pin", "birth_date", "home_address",
                                                   "home_territory", "election")],
               "voter-list"),
    )
