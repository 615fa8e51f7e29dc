"""Page shell: skip link, header with navigation and language switch, main, footer."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import LANG_NAMES, LANGS
from remote_vote_app.settings import settings
from remote_vote_app.components.catalog import tr
from remote_vote_app.components.ux import IdleWarning, MenuToggle, NavLink, SkipLink, connection_status
from remote_vote_app.state.app import AppState



def language_switch() -> rx.Component:
    return rx.el.nav(
        rx.el.ul(
            *[
                rx.el.li(
                    rx.el.button(
                        LANG_NAMES[code],
                        lang=code,
                        type="button",
                        id=f"lang-{code}",
                        aria_pressed=rx.cond(AppState.current_lang == code, "true", "false"),
                        on_click=AppState.set_lang(code),
                        class_name="lang-button",
                    )
                )
                for code in LANGS
            ],
            class_name="lang-list",
        ),
        aria_label=tr["lang.label"],
        class_name="lang-switch",
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                rx.el.span(tr["site.title"], class_name="brand-title"),
                rx.el.span(tr["site.org"], class_name="brand-org"),
                href="/",
                class_name="brand",
            ),
            MenuToggle.create(label=tr["nav.menu"], controls="main-nav"),
            language_switch(),
            class_name="header-top container",
        ),
        rx.el.nav(
            rx.el.ul(
                rx.el.li(NavLink.create(label=tr["nav.home"], href="/")),
                rx.el.li(NavLink.create(label=tr["nav.precincts"], href=routes.PRECINCTS)),
                rx.el.li(NavLink.create(label=tr["nav.cabinet"], href=routes.CABINET)),
                rx.cond(
                    AppState.logged_in,
                    rx.el.li(rx.el.button(tr["nav.logout"], type="button", on_click=AppState.logout, class_name="link-button")),
                ),
                class_name="nav-list container",
            ),
            aria_label=tr["nav.main"],
            id="main-nav",
            class_name="main-nav",
        ),
        class_name="site-header",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.el.div(
            rx.el.p(tr["footer.text"]),
            rx.el.p(rx.el.a(tr["pubstats.link"], href=routes.STATISTICS, id="footer-statistics")),
            rx.el.p(tr["footer.demo"], rx.el.a(tr["footer.outbox"], href=routes.OUTBOX), class_name="demo-note")
            if settings.demo_mode
            else rx.fragment(),
            class_name="container",
        ),
        class_name="site-footer",
    )


TIMEOUT_WARNING_SECONDS = 120


def idle_warning(active: rx.Var, on_continue) -> rx.Component:
    """GOV.UK timeout warning two minutes before the idle limit (or at half a very short test limit)."""
    idle = settings.session_idle_seconds
    return IdleWarning.create(
        active=active, idle_seconds=idle, warn_seconds=min(TIMEOUT_WARNING_SECONDS, idle // 2),
        labels={"title": tr["ux.timeout_title"], "text": tr["ux.timeout_text"], "continue": tr["ux.timeout_continue"],
                "minutes": tr["ux.minutes_short"], "seconds": tr["ux.seconds_short"]},
        on_continue=on_continue,
    )


def back_link(href: str, on_click=None) -> rx.Component:
    """GOV.UK back link at the top of a question page."""
    if on_click is not None:
        return rx.el.button(tr["common.back"], type="button", on_click=on_click, class_name="back-link link-button",
                            id="back-link")
    return rx.el.a(tr["common.back"], href=href, class_name="back-link", id="back-link")


def page(*children: rx.Component, idle_active: rx.Var | None = None, on_continue=None,
         voter_footer: bool = True) -> rx.Component:
    """The shell of every page; staff pages go without the voter footer (its links are the voters')."""
    return rx.fragment(
        SkipLink.create(text=tr["nav.skip"]),
        connection_status(tr),
        header(),
        rx.el.main(*children, id="main", tab_index=-1, class_name="container main"),
        footer() if voter_footer else rx.fragment(),
        idle_warning(AppState.logged_in if idle_active is None else idle_active,
                     AppState.keep_alive if on_continue is None else on_continue),
    )
