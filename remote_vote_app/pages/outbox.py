"""/dev/outbox : in demo mode, the latest SMS and e-mails, newest first."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.public import OutboxState


def _message(m: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(m["at"]),
        rx.el.td(m["channel"]),
        rx.el.td(m["to"]),
        rx.el.td(rx.cond(m["subject"] != "", rx.el.strong(m["subject"], rx.el.br()), ""), m["body"], class_name="pre"),
    )


def outbox() -> rx.Component:
    return page(
        rx.el.h1(tr["outbox.title"]),
        rx.cond(
            OutboxState.enabled,
            rx.fragment(
                rx.el.p(tr["outbox.lead"]),
                rx.el.button(tr["outbox.refresh"], type="button", on_click=OutboxState.load, class_name="button secondary",
                             id="refresh"),
                rx.el.div(
                    rx.el.table(
                        rx.el.caption(tr["outbox.title"], class_name="visually-hidden"),
                        rx.el.thead(rx.el.tr(
                            rx.el.th(tr["outbox.time"], scope="col"), rx.el.th(tr["outbox.channel"], scope="col"),
                            rx.el.th(tr["outbox.to"], scope="col"), rx.el.th(tr["outbox.text"], scope="col"),
                        )),
                        rx.el.tbody(rx.foreach(OutboxState.messages, _message)),
                        id="outbox-table",
                    ),
                    class_name="table-wrap",
                    tab_index=0,
                    role="region",
                    aria_label=tr["outbox.title"],
                ),
            ),
            rx.el.p(tr["outbox.disabled"]),
        ),
    )
