"""/ : what remote voting is, the elections and deadline, the three ways to apply, the precincts."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.layout import page, tr
from remote_vote_app.state.public import LandingState


def _election(day: rx.Var) -> rx.Component:
    return rx.el.article(
        rx.el.h3(
            tr["landing.election_local"],
            rx.cond(day["demo"] != "", rx.el.span(tr["landing.demo_badge"], class_name="badge badge-demo")),
        ),
        rx.cond(day["demo"] != "", rx.el.p(tr["landing.demo_note"], class_name="hint")),
        rx.el.p(day["day"]),
        rx.el.p(day["deadline"]),
        rx.el.p(day["councils"], class_name="hint"),
        rx.cond(
            day["open"] != "",
            rx.el.p(rx.el.strong(tr["landing.open"]), " · ", day["left"], class_name="status status-open"),
            rx.el.p(rx.cond(day["past"] != "", tr["landing.held"], tr["landing.closed"]), class_name="status status-closed"),
        ),
        class_name="card",
    )


def _precinct(item: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.h3(item["number"], " · ", item["city"], rx.cond(item["district"] != "", ", " + item["district"].to(str), "")),
        rx.el.p(item["place"]),
        rx.el.p(item["address"], class_name="address"),
        class_name="card",
    )


def _way(number: str, title_key: str, text_key: str) -> rx.Component:
    return rx.el.li(rx.el.h3(tr[title_key]), rx.el.p(tr[text_key]), class_name="card way", value=number)


def landing() -> rx.Component:
    return page(
        rx.el.section(
            rx.el.h1(tr["landing.title"]),
            rx.el.p(tr["landing.lead"], class_name="lead"),
            rx.el.a(tr["landing.cta_cabinet"], href=routes.LOGIN, class_name="button", id="cta-cabinet"),
            class_name="hero",
        ),
        rx.el.section(
            rx.el.h2(tr["ux.before_title"], id="before-title"),
            rx.el.p(tr["ux.before_need"]),
            rx.el.ul(rx.el.li(tr["ux.before_pin"]), rx.el.li(tr["ux.before_document"]), rx.el.li(tr["ux.before_phone"]),
                     class_name="bullets"),
            rx.el.p(tr["ux.before_time"]),
            rx.el.p(tr["ux.before_phone_wrong"], class_name="notice", id="phone-wrong"),
            aria_labelledby="before-title",
            id="before-you-start",
        ),
        rx.el.section(
            rx.el.h2(tr["landing.who_title"], id="who"),
            rx.el.p(tr["landing.who_text"]),
            aria_labelledby="who",
        ),
        rx.el.section(
            rx.el.h2(tr["landing.elections_title"], id="elections-title"),
            rx.el.div(rx.foreach(LandingState.election_days, _election), class_name="grid"),
            rx.el.p(rx.el.a(tr["pubstats.link"], href=routes.STATISTICS, id="landing-statistics")),
            aria_labelledby="elections-title",
        ),
        rx.cond(
            LandingState.past_days.length() > 0,
            rx.el.section(
                rx.el.h2(tr["landing.past_title"], id="past-elections-title"),
                rx.el.div(rx.foreach(LandingState.past_days, _election), class_name="grid"),
                aria_labelledby="past-elections-title",
            ),
        ),
        rx.el.section(
            rx.el.h2(tr["landing.ways_title"], id="ways-title"),
            rx.el.ol(
                _way("1", "landing.way1_title", "landing.way1_text"),
                _way("2", "landing.way2_title", "landing.way2_text"),
                _way("3", "landing.way3_title", "landing.way3_text"),
                class_name="grid ways",
            ),
            aria_labelledby="ways-title",
        ),
        rx.el.section(
            rx.el.h2(tr["landing.precincts_title"], id="precincts-title"),
            rx.el.p(rx.el.a(tr["nav.precincts"], href=routes.PRECINCTS)),
            rx.el.ul(rx.foreach(LandingState.precinct_list, _precinct), class_name="grid plain-list", id="precinct-list"),
            aria_labelledby="precincts-title",
        ),
    )
