"""The 404 page, in the site's layout and the visitor's language (Reflex serves it for unknown paths)."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.app import AppState


def not_found() -> rx.Component:
    # on_mount, not on_load: Reflex runs no load event for an address it has no route for.
    return page(
        rx.el.h1(tr["notfound.title"], on_mount=AppState.page_not_found),
        rx.el.p(tr["notfound.lead"]),
        rx.el.p(rx.el.a(tr["notfound.home"], href="/", class_name="button")),
    )
