"""The audit log."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button, text_field
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import select, staff_page, table
from remote_vote_app.state.staff.audit import AuditState


def audit_page() -> rx.Component:
    f = AuditState.filters
    return staff_page(
        rx.el.h1(tr["audit.title"]),
        rx.el.form(
            rx.el.div(
                text_field("entity", "audit.entity", None, default_value=f["entity"], max_length=40),
                text_field("entity_id", "audit.entity_id", None, default_value=f["entity_id"], max_length=60),
                select("action", "audit.action", AuditState.action_options, "value", lambda o: o["label"],
                       value=f["action"]),
                text_field("actor", "audit.actor", None, default_value=f["actor"], max_length=60),
                select("auth", "audit.auth_filter", AuditState.auth_options, "value", lambda o: o["label"],
                        value=f["auth"]),
                class_name="filters",
            ),
            submit_button("search.submit", id="audit-search"),
            on_submit=AuditState.search,
            reset_on_submit=False,
        ),
        rx.el.p(AuditState.total, role="status", id="audit-total"),
        table(tr["audit.title"], [tr["detail.when"], tr["detail.actor"], tr["detail.action"], tr["audit.entity"],
                                   tr["audit.entity_id"], tr["detail.details"]],
               AuditState.rows,
               lambda r: [rx.el.td(r["at"]), rx.el.td(r["actor_text"]), rx.el.td(r["action_text"]),
                          rx.el.td(r["entity_text"]),
                          rx.el.td(r["entity_id"]), rx.el.td(r["details"], class_name="pre")],
               "audit-table"),
        rx.el.div(
            rx.el.button(tr["search.prev"], type="button", on_click=AuditState.go_page(AuditState.page - 1),
                         disabled=AuditState.page <= 1, class_name="button secondary"),
            rx.el.button(tr["search.next"], type="button", on_click=AuditState.go_page(AuditState.page + 1),
                         class_name="button secondary"),
            class_name="button-row",
        ),
    )
