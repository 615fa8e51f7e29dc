"""/login/eid : where the national eID provider sends the browser back."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.forms import error_summary
from remote_vote_app.components.layout import page, tr


def eid_callback() -> rx.Component:
    return page(
        rx.el.h1(tr["login.eid"]),
        error_summary(),
        rx.el.p(rx.el.a(tr["face.other_way"], href=routes.LOGIN)),
    )
