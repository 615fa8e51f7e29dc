"""The interactive precinct map (react-leaflet), imported only by the pages that show a map."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.catalog import tr

from remote_vote_app.settings import settings


# precinct_map.jsx imports it when the page is usable: linked beside it.
LEAFLET_JSX = rx.asset("precinct_map_leaflet.jsx", shared=True)


class PrecinctMap(rx.Component):
    """Wraps precinct_map.jsx: the map's place is in the page (prerendered, its height kept); Leaflet
    loads in a chunk of its own once the browser is idle, after the page and its list answer."""

    library = "$/public" + rx.asset("precinct_map.jsx", shared=True)
    lib_dependencies: list[str] = ["react-leaflet@5.0.0", "leaflet@1.9.4", "react-leaflet-cluster@4.1.3",
                                   "leaflet.markercluster@1.5.3", "@react-leaflet/core@3.0.0"]
    tag = "PrecinctMap"

    precincts: rx.Var[list[dict[str, str]]]
    selected: rx.Var[str]
    tile_url: rx.Var[str]
    tile_attribution: rx.Var[str]
    outline_url: rx.Var[str]
    labels: rx.Var[dict[str, str]]
    height: rx.Var[str]
    picked: rx.Var[list[str]]
    on_choose: rx.EventHandler[lambda precinct_id: [precinct_id]]
    on_pick: rx.EventHandler[lambda lat, lon: [lat, lon]]


# A cluster marker's name by plural form of the page's language (Intl.PluralRules): «4 участка».
CLUSTER_FORMS = ("one", "few", "many", "other")


def precinct_map(precincts, labels, selected="", on_choose=None, height="420px", on_pick=None, picked=None) -> rx.Component:
    props = dict(
        precincts=precincts,
        selected=selected,
        tile_url=settings.map_tile_url,
        tile_attribution=settings.map_tile_attribution or tr["map.attribution"],
        outline_url="/kyrgyzstan.geo.json",
        labels={**labels, **{f"cluster_{form}": tr[f"map.cluster_{form}"] for form in CLUSTER_FORMS}},
        height=height,
    )
    if on_choose is not None:
        props["on_choose"] = on_choose
    if on_pick is not None:
        props["on_pick"] = on_pick
        props["picked"] = picked
    return PrecinctMap.create(**props)
