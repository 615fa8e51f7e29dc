"""The home-precinct exclusion list: on screen, on paper (print stylesheet) and as a spreadsheet."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import select, staff_page, table
from remote_vote_app.state.staff.exclusions import ExclusionState

COLUMNS = ("reference", "full_name", "birth_date", "pin", "home_address", "remote_precinct", "note")


def _choose() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            select("election", "exclusions.election", ExclusionState.election_options, "id", lambda o: o["label"],
                   ExclusionState.selected_election, any_option=False),
            select("precinct", "exclusions.precinct", ExclusionState.precinct_options, "id", lambda o: o["label"],
                   ExclusionState.selected_precinct, any_option=False),
            class_name="filters",
        ),
        submit_button("list.show", id="show-exclusions"),
        on_submit=ExclusionState.choose,
        reset_on_submit=False,
        class_name="no-print",
    )


def _sheet() -> rx.Component:
    i = ExclusionState.info
    return rx.el.section(
        rx.el.h2(i["precinct"], id="exclusion-heading"),
        rx.el.p(i["election"], " · ", tr["exclusions.election_day"], " ", i["election_day"], id="exclusion-election"),
        rx.cond(
            ExclusionState.final,
            rx.el.p(i["status_text"], class_name="notice", id="exclusion-status"),
            rx.el.p(i["status_text"], class_name="notice important", id="exclusion-status"),
        ),
        rx.el.p(tr["list.count"].replace("{count}", ExclusionState.rows.length().to(str)), id="exclusion-count"),
        rx.el.div(
            rx.el.button(tr["exclusions.print"], type="button", on_click=rx.call_script("window.print()"),
                         class_name="button", id="print-exclusions"),
            # Reflex renders links as React Router links: `reloadDocument` lets the browser fetch
            # the file itself (an HTTP download with the session cookie), not route to it.
            rx.el.a(tr["list.download"], href=ExclusionState.download_url, download=True,
                    custom_attrs={"reloadDocument": True}, class_name="button secondary", id="download-exclusions"),
            rx.el.a(tr["ux.list_xlsx"], href=ExclusionState.xlsx_url, download=True,
                    custom_attrs={"reloadDocument": True}, class_name="button secondary", id="download-exclusions-xlsx"),
            class_name="button-row no-print",
        ),
        # Named apart from its section (the precinct alone): two landmarks, two names.
        table(tr["exclusions.title"] + ", " + i["precinct"].to(str), [tr[f"exclusions.col.{c}"] for c in COLUMNS], ExclusionState.rows,
              lambda r: [rx.el.td(r[c]) for c in COLUMNS], "exclusion-list"),
        rx.el.div(
            rx.el.p(tr["exclusions.sign_chair"]),
            rx.el.p(tr["exclusions.sign_secretary"]),
            class_name="print-only signatures",
        ),
        aria_labelledby="exclusion-heading",
    )


def exclusions_page() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["exclusions.title"]),
        rx.el.p(tr["exclusions.lead"], class_name="hint no-print"),
        _choose(),
        rx.cond(ExclusionState.info.contains("precinct"), _sheet(),
                rx.el.p(tr["exclusions.none"], class_name="notice", id="exclusion-none")),
    )
