"""Remote precincts: texts, opening and closing, the point on the map."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import submit_button, text_field
from remote_vote_app.components.layout import tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.pages.staff.layout import staff_page, table
from remote_vote_app.services.reference.precincts import TEXT_FIELDS
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


def _capacity() -> rx.Component:
    s = PrecinctAdminState
    return rx.el.section(
        rx.el.h2(tr["capacity.title"], id="capacity-heading"),
        rx.el.p(tr["capacity.lead"], class_name="hint"),
        rx.el.div(
            rx.el.label(tr["capacity.election"], html_for="capacity-election", class_name="label"),
            rx.el.select(rx.foreach(s.capacity_elections, lambda o: rx.el.option(o["title"], " · ", o["election_day"],
                                                                                  value=o["id"])),
                         id="capacity-election", value=s.capacity_election, on_change=s.choose_capacity_election,
                         class_name="input"),
            class_name="field",
        ),
        rx.el.form(
            table(tr["capacity.table"], [tr["admin.number"], tr["capacity.places"], tr["capacity.booked"], tr["capacity.fill"]],
                  s.capacity_rows,
                  lambda r: [rx.el.td(r["number"], " — ", r["city"]),
                             rx.el.td(rx.el.label(tr["capacity.places"], " ", r["number"], html_for="capacity-" + r["id"].to(str),
                                                  class_name="visually-hidden"),
                                      rx.el.input(id="capacity-" + r["id"].to(str), name="capacity-" + r["id"].to(str),
                                                  default_value=r["capacity"], key=s.capacity_election + "-" + r["id"].to(str),
                                                  input_mode="numeric", max_length=6, class_name="input narrow")),
                             rx.el.td(r["booked"]),
                             rx.el.td(r["percent"], rx.cond(r["level"] == "full", rx.el.span(tr["capacity.full"], class_name="badge badge-full")),
                                      rx.cond(r["level"] == "almost_full",
                                              rx.el.span(tr["capacity.almost_full"], class_name="badge badge-almost_full")))],
                  "capacity-table"),
            submit_button("capacity.save", id="save-capacity"),
            on_submit=s.save_capacity,
            reset_on_submit=False,
            key=s.capacity_election,
        ),
        aria_labelledby="capacity-heading",
        class_name="card",
    )


def precinct_admin() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["admin.precincts_title"]),
        rx.el.button(tr["admin.new_precinct"], type="button", on_click=PrecinctAdminState.new, class_name="button"),
        table(tr["admin.precincts_title"],
               [tr["admin.number"], tr["admin.place"], tr["admin.address"], tr["admin.precision_col"], tr["admin.active"],
                rx.el.th(rx.el.span(tr["admin.actions"], class_name="visually-hidden"), scope="col")],
               PrecinctAdminState.rows,
               lambda p: [rx.el.td(p["number"]), rx.el.td(p["place"], ", ", p["city"]), rx.el.td(p["address"]),
                          rx.el.td(p["precision_word"]),
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
        _capacity(),
    )
