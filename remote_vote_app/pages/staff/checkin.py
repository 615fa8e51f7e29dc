"""/staff/checkin: the precinct commission's election-day desk, in the election's mode: the
application-mode check-in of a remote precinct, or identification under the 2025 law."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.checkin_desk import checkin_desk
from remote_vote_app.components.identification_desk import identification_desk
from remote_vote_app.components.layout import tr
from remote_vote_app.pages.staff.layout import staff_page
from remote_vote_app.state.app import AppState
from remote_vote_app.state.staff.checkin import CheckinState


def _application_desk() -> rx.Component:
    return rx.fragment(
        rx.el.h1(tr["checkin.title"]),
        rx.cond(
            CheckinState.precinct_number != "",
            rx.fragment(
                rx.el.p(tr["checkin.lead"].replace("{precinct}", CheckinState.precinct_number), class_name="lead",
                        id="checkin-precinct"),
                rx.el.p(tr["checkin.offline_note"], class_name="hint"),
                checkin_desk(CheckinState.storage_key, CheckinState.precinct_number, CheckinState.staff_name,
                             AppState.current_lang),
            ),
        ),
    )


def _identification_desk() -> rx.Component:
    return rx.fragment(
        rx.el.h1(tr["identdesk.title"]),
        rx.el.p(tr["identdesk.lead"].replace("{precinct}", CheckinState.precinct_number)
                .replace("{district}", CheckinState.district_number), class_name="lead", id="ident-precinct"),
        identification_desk(CheckinState.storage_key, CheckinState.seal_key, CheckinState.precinct_number, CheckinState.staff_name,
                            CheckinState.offline_policy, AppState.current_lang, CheckinState.election_day,
                            CheckinState.election_zone, CheckinState.districts, CheckinState.district_number),
    )


def checkin_page() -> rx.Component:
    return staff_page(rx.cond(CheckinState.mode == "identification", _identification_desk(), _application_desk()))
