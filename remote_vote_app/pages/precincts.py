"""/precincts : the map and an equivalent list of the remote precincts, nearest first on request."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.state.precincts import PrecinctsState


def _controls() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.label(tr["map.region"], html_for="region", class_name="label"),
            rx.el.select(
                rx.el.option(tr["map.all_regions"], value=""),
                rx.foreach(PrecinctsState.cities, lambda city: rx.el.option(city, value=city)),
                id="region",
                value=PrecinctsState.region,
                on_change=PrecinctsState.set_region,
                class_name="input",
            ),
            class_name="field",
        ),
        rx.el.div(
            rx.el.button(tr["map.locate"], type="button", on_click=PrecinctsState.locate, class_name="button secondary",
                         id="locate", aria_describedby="locate-hint"),
            rx.el.p(tr["map.locate_hint"], id="locate-hint", class_name="hint"),
            rx.cond(PrecinctsState.geo_error != "", rx.el.p(PrecinctsState.geo_error, role="alert", class_name="field-error")),
            class_name="field",
        ),
        rx.el.form(
            rx.el.label(tr["map.from_town"], html_for="town", class_name="label"),
            rx.el.div(
                rx.el.select(
                    rx.el.option(tr["map.choose_town"], value=""),
                    rx.foreach(PrecinctsState.towns, lambda town: rx.el.option(town["name"], value=town["code"])),
                    id="town", name="town", class_name="input",
                ),
                rx.el.button(tr["map.show_distance"], type="submit", class_name="button secondary"),
                class_name="inline-form",
            ),
            on_submit=PrecinctsState.measure_from_town,
            reset_on_submit=False,
            class_name="field",
        ),
        class_name="map-controls",
    )


def _item(p: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.h3(p["number"], " — ", p["place"]),
        rx.el.p(p["city"], rx.cond(p["district"] != "", ", " + p["district"].to(str), "")),
        rx.el.p(p["address"], class_name="address"),
        rx.el.p(p["precision_text"], class_name="hint"),
        rx.cond(p["fill_text"] != "", rx.el.p(rx.el.span(p["fill_text"], class_name="badge badge-" + p["fill"].to(str)))),
        rx.cond(p.contains("distance_km"), rx.el.p(rx.el.strong(tr["map.km_straight"].replace("{km}", p["distance_km"])), class_name="distance")),
        rx.el.button(
            tr["map.apply_here"], rx.el.span(" ", p["number"], class_name="visually-hidden"),
            type="button", on_click=PrecinctsState.apply_here(p["id"]), class_name="button",
        ),
        class_name="card",
    )


def precincts_page() -> rx.Component:
    labels = {"map": tr["map.map_label"], "choose": tr["map.apply_here"], "selected": tr["map.selected"]}
    return page(
        rx.el.h1(tr["map.title"]),
        rx.el.p(tr["map.lead"]),
        _controls(),
        rx.el.p(PrecinctsState.origin_text, role="status", id="origin", class_name="hint"),
        rx.el.div(
            rx.el.div(precinct_map(PrecinctsState.visible, labels, on_choose=PrecinctsState.apply_here), class_name="map-pane"),
            rx.el.section(
                rx.el.h2(tr["map.list_title"], id="list-title"),
                rx.el.p(PrecinctsState.count_text, class_name="hint", id="count"),
                rx.el.ul(rx.foreach(PrecinctsState.visible, _item), class_name="plain-list stack", id="precinct-list"),
                aria_labelledby="list-title",
                class_name="list-pane",
            ),
            class_name="map-layout",
        ),
        rx.el.p(
            tr["map.open_data"], ": ",
            rx.el.a("GeoJSON", href=routes.API_PRECINCTS_GEOJSON), " · ", rx.el.a("CSV", href=routes.API_PRECINCTS_CSV),
            class_name="hint",
        ),
    )
