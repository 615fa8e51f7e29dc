"""Election days and application deadlines."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page
from remote_vote_app.state.staff.elections import ElectionAdminState


def election_admin() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["admin.elections_title"]),
        rx.el.ul(
            rx.foreach(ElectionAdminState.items, lambda e: rx.el.li(
                rx.el.form(
                    rx.el.h2(e["title"], class_name="h3"),
                    rx.el.input(type="hidden", name="election_id", value=e["id"]),
                    rx.el.div(
                        rx.el.div(rx.el.label(tr["stats.election_day"], html_for="day-" + e["id"].to(str), class_name="label"),
                                  rx.el.input(type="date", name="election_day", id="day-" + e["id"].to(str),
                                              default_value=e["election_day"], key=e["election_day"], class_name="input"),
                                  class_name="field"),
                        rx.el.div(rx.el.label(tr["admin.deadline"], html_for="deadline-" + e["id"].to(str), class_name="label"),
                                  rx.el.input(type="date", name="deadline", id="deadline-" + e["id"].to(str),
                                              default_value=e["deadline"], key=e["deadline"], class_name="input"),
                                  class_name="field"),
                        rx.el.button(tr["admin.save"], rx.el.span(" ", e["title"], class_name="visually-hidden"),
                                     type="submit", class_name="button secondary"),
                        class_name="filters",
                    ),
                    on_submit=ElectionAdminState.save,
                    reset_on_submit=False,
                ),
                class_name="card",
            )),
            class_name="plain-list stack",
        ),
    )
