"""What every staff page shares: the staff menu around the public shell, tables and selects."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import error_summary, notice
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.ux import NavLink
from remote_vote_app.state.staff.session import StaffState


def staff_page(*children: rx.Component) -> rx.Component:
    """The public shell plus the staff menu (only the pages this role may open)."""
    return page(
        rx.cond(
            StaffState.staff_logged_in,
            rx.el.nav(
                rx.el.p(StaffState.staff_name, " · ", StaffState.role_text, class_name="hint", id="staff-who"),
                rx.el.ul(
                    rx.foreach(StaffState.staff_nav,
                               lambda item: rx.el.li(NavLink.create(label=item["label"], href=item["href"]))),
                    rx.el.li(rx.el.button(tr["staff.logout"], type="button", on_click=StaffState.staff_logout,
                                          class_name="link-button dark")),
                    class_name="staff-nav-list",
                ),
                aria_label=tr["staff.nav"],
                class_name="staff-nav",
            ),
        ),
        notice(),
        error_summary(),
        *children,
        idle_active=StaffState.staff_logged_in,
        on_continue=StaffState.staff_keep_alive,
        voter_footer=False,
    )


def table(caption: rx.Var | str, headers: list[rx.Var], rows: rx.Var, cells, table_id: str) -> rx.Component:
    """Scrolls sideways inside its own region on a narrow screen instead of breaking words or widening
    the page (styles.css .data-table), with a hint saying so where staff tables may not fit (below 1100 px)."""
    return rx.fragment(rx.el.p(tr["ux.table_scroll"], class_name="hint table-scroll-hint"), rx.el.div(
        rx.el.table(
            rx.el.caption(caption, class_name="visually-hidden"),
            # A header given as a component (e.g. a foreach of <th>) goes in as it is.
            rx.el.thead(rx.el.tr(*[h if isinstance(h, rx.Component) else rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(rows, lambda row: rx.el.tr(*cells(row)))),
            id=table_id,
            class_name="data-table",
        ),
        class_name="table-wrap",
        tab_index=0,
        role="region",
        aria_label=caption,
    ))


def select(name: str, label_key: str, options: rx.Var, value_key: str, label_of, value: rx.Var | str = "",
            any_option: bool = True) -> rx.Component:
    return rx.el.div(
        rx.el.label(tr[label_key], html_for=name, class_name="label"),
        rx.el.select(
            rx.el.option(tr["search.any"], value="") if any_option else rx.fragment(),
            rx.foreach(options, lambda o: rx.el.option(label_of(o), value=o[value_key] if value_key else o)),
            id=name, name=name, default_value=value, key=value, class_name="input",
        ),
        class_name="field",
    )
