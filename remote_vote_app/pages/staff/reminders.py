"""/staff/reminders : reminders scheduled and sent."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page, table
from remote_vote_app.state.staff.reminders import RemindersState


def reminders_page() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["reminders.title"]),
        rx.el.p(tr["reminders.lead"], class_name="hint"),
        rx.el.h2(tr["reminders.planned"]),
        table(tr["reminders.planned"],
              [tr["reminders.kind"], tr["exclusions.election"], tr["reminders.window"], tr["reminders.next"],
               tr["reminders.waiting"], tr["reminders.sent"], tr["reminders.opted_out"]],
              RemindersState.planned,
              lambda r: [rx.el.td(r["kind_text"]), rx.el.td(r["election"]), rx.el.td(r["window"]),
                         rx.el.td(rx.cond(r["next"] != "", r["next"], "—")), rx.el.td(r["waiting"]), rx.el.td(r["sent"]),
                         rx.el.td(r["opted_out"])],
              "reminders-planned"),
        rx.el.h2(tr["reminders.recent"]),
        table(tr["reminders.recent"], [tr["reminders.at"], tr["reminders.kind"], tr["reminders.status"]],
              RemindersState.recent,
              lambda r: [rx.el.td(r["at"]), rx.el.td(r["kind_text"]), rx.el.td(r["status_text"])],
              "reminders-recent"),
    )
