"""Remote precincts: texts, opening and closing, the point on the map."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button, text_field
from remote_vote_app.components.layout import tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.pages.staff.layout import staff_page, table
from remote_vote_app.services.precincts import TEXT_FIELDS
from remote_vote_app.state.staff.precincts import PrecinctAdminState


def _precinct_form() -> rx.Component:
    e = PrecinctAdminState.editing
    new = e["id"] == ""
    fields = [text_field(name, f"admin.{name.rsplit('_', 1)[0]}", None, suffix=f" ({name.rsplit('_', 1)[1]})",
                         default_value=e[name], max_length=300) for name in TEXT_FIELDS]
    return rx.el.section(
        rx.el.h2(rx.cond(new, tr["admin.new_precinct"], e["number"]), id="edit-heading", tab_index=-1),
        rx.el.form(
            rx.cond(new, rx.el.div(
                text_field("number", "admin.number", None, max_length=20),
                text_field("territory", "admin.territory", None, max_length=40),
                text_field("latitude", "admin.latitude", None, max_length=20),
                text_field("longitude", "admin.longitude", None, max_length=20),
                class_name="filters")),
            rx.el.div(*fields, class_name="filters"),
            submit_button("admin.save", id="save-precinct"),
            on_submit=PrecinctAdminState.save,
            reset_on_submit=False,
            key=e["id"],
        ),
        rx.cond(~new, rx.el.div(
            rx.el.h3(tr["admin.move_title"]),
            rx.el.p(tr["admin.move_hint"], class_name="hint"),
            precinct_map(PrecinctAdminState.map_items, {"map": tr["map.map_label"], "choose": tr["admin.edit"],
                                                        "selected": tr["map.selected"]},
                         selected=e["id"], height="360px", on_pick=PrecinctAdminState.pick,
                         picked=[PrecinctAdminState.pick_lat, PrecinctAdminState.pick_lon]),
            rx.el.form(
                rx.el.div(
                    text_field("latitude", "admin.latitude", None, default_value=PrecinctAdminState.pick_lat,
                               key=PrecinctAdminState.pick_lat, max_length=20),
                    text_field("longitude", "admin.longitude", None, default_value=PrecinctAdminState.pick_lon,
                               key=PrecinctAdminState.pick_lon, max_length=20),
                    class_name="filters",
                ),
                submit_button("admin.move", id="move-point"),
                on_submit=PrecinctAdminState.move,
                reset_on_submit=False,
            ),
        )),
        class_name="card",
        aria_labelledby="edit-heading",
    )


def precinct_admin() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["admin.precincts_title"]),
        rx.el.button(tr["admin.new_precinct"], type="button", on_click=PrecinctAdminState.new, class_name="button"),
        table(tr["admin.precincts_title"],
               [tr["admin.number"], tr["admin.place"], tr["admin.address"], tr["map.precision.exact"], tr["admin.active"], ""],
               PrecinctAdminState.rows,
               lambda p: [rx.el.td(p["number"]), rx.el.td(p["place"], ", ", p["city"]), rx.el.td(p["address"]),
                          rx.el.td(p["precision"]),
                          rx.el.td(rx.cond(p["active"] != "", tr["admin.active"], tr["admin.inactive"])),
                          rx.el.td(rx.el.div(
                              rx.el.button(tr["admin.edit"], rx.el.span(" ", p["number"], class_name="visually-hidden"),
                                           type="button", on_click=PrecinctAdminState.edit(p["id"]),
                                           class_name="button secondary small"),
                              rx.el.button(rx.cond(p["active"] != "", tr["admin.deactivate"], tr["admin.activate"]),
                                           rx.el.span(" ", p["number"], class_name="visually-hidden"), type="button",
                                           on_click=PrecinctAdminState.toggle_active(p["id"], p["active"] == ""),
                                           class_name="button secondary small"),
                              class_name="button-row tight"))],
               "precinct-table"),
        rx.cond(PrecinctAdminState.editing.contains("id"), _precinct_form()),
    )
