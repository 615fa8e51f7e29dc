"""/staff/checkin: the remote precinct commission's election-day check-in desk."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.checkin_desk import checkin_desk
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page
from remote_vote_app.state.staff.checkin import CheckinState


def checkin_page() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["checkin.title"]),
        rx.cond(
            CheckinState.precinct_number != "",
            rx.fragment(
                rx.el.p(tr["checkin.lead"].replace("{precinct}", CheckinState.precinct_number), class_name="lead",
                        id="checkin-precinct"),
                rx.el.p(tr["checkin.offline_note"], class_name="hint"),
                checkin_desk(CheckinState.storage_key, CheckinState.precinct_number, CheckinState.staff_name),
            ),
        ),
    )
