"""Remote precincts (УИК ДГ): listing, distances, open data, and staff corrections of a point."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session, select

from remote_vote_app import i18n
from remote_vote_app.i18n import LANGS, t
from remote_vote_app.models import Precinct, Territory
from remote_vote_app.services import audit
from remote_vote_app.services.formats import exports
from remote_vote_app.services.reference import refcache
from remote_vote_app.errors import ServiceError


@dataclass(frozen=True)
class Town:
    """A town a voter can measure from; its names are read with i18n.localized like a precinct's."""

    name_ru: str
    name_ky: str
    name_en: str
    latitude: float
    longitude: float


# Towns a voter can measure from when the browser's location is not available (approximate centres).
TOWNS = {
    "bishkek": Town("Бишкек", "Бишкек", "Bishkek", 42.8746, 74.5698),
    "osh": Town("Ош", "Ош", "Osh", 40.5283, 72.7985),
    "jalalabad": Town("Джалал-Абад", "Жалал-Абад", "Jalal-Abad", 40.9333, 73.0000),
    "karakol": Town("Каракол", "Каракол", "Karakol", 42.4907, 78.3936),
    "tokmok": Town("Токмок", "Токмок", "Tokmok", 42.8419, 75.3015),
    "karabalta": Town("Кара-Балта", "Кара-Балта", "Kara-Balta", 42.8144, 73.8489),
    "balykchy": Town("Балыкчы", "Балыкчы", "Balykchy", 42.4604, 76.1870),
    "cholponata": Town("Чолпон-Ата", "Чолпон-Ата", "Cholpon-Ata", 42.6497, 77.0822),
    "naryn": Town("Нарын", "Нарын", "Naryn", 41.4287, 75.9911),
    "talas": Town("Талас", "Талас", "Talas", 42.5228, 72.2427),
    "batken": Town("Баткен", "Баткен", "Batken", 40.0625, 70.8194),
    "kyzylkiya": Town("Кызыл-Кия", "Кызыл-Кыя", "Kyzyl-Kiya", 40.2566, 72.1279),
    "uzgen": Town("Узген", "Өзгөн", "Uzgen", 40.7699, 73.3007),
    "kochkorata": Town("Кочкор-Ата", "Кочкор-Ата", "Kochkor-Ata", 41.0330, 72.4790),
    "tashkomur": Town("Таш-Кумыр", "Таш-Көмүр", "Tash-Kumyr", 41.3464, 72.2170),
}


def localized(precinct: Precinct, lang: str) -> dict:
    """A precinct as plain values in one language (for the UI and messages)."""
    return {
        "id": precinct.id,
        "number": i18n.localized(precinct, "number", lang),
        "city": i18n.localized(precinct, "city", lang),
        "district": i18n.localized(precinct, "district", lang),
        "place": i18n.localized(precinct, "place", lang),
        "address": i18n.localized(precinct, "address", lang),
        "latitude": precinct.latitude,
        "longitude": precinct.longitude,
        "precision": precinct.location_precision,
        "precision_text": t(lang, f"map.precision.{precinct.location_precision}"),
    }


def active_remote(session: Session) -> list[Precinct]:
    """Read-only copies (refcache), by id."""
    return [p for p in all_remote(session) if p.active]


def get_active_remote(session: Session, precinct_id: int | None) -> Precinct:
    """A read-only copy (refcache); staff edits load their own."""
    precinct = refcache.snapshot(session).get(Precinct, precinct_id) if precinct_id else None
    if precinct is None or precinct.kind != "remote" or not precinct.active:
        raise ServiceError("error.precinct_required", field="precinct")
    return precinct


def public_list(session: Session) -> dict[str, list[dict[str, str]]]:
    """Per language: every active remote precinct as strings, in the order of the announcement.
    Built once per reference snapshot and shared by every tab of the process: read it, never change it."""
    def build() -> dict[str, list[dict[str, str]]]:
        remote = active_remote(session)
        return {lang: [{k: "" if v is None else str(v) for k, v in localized(p, lang).items()} for p in remote]
                for lang in LANGS}

    return refcache.snapshot(session).derive("public_list", build)


def group_by_city(items: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    groups: dict[str, list[dict[str, str]]] = {}
    for item in items:
        groups.setdefault(item["city"], []).append(item)
    return groups


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good to well under 1% at these scales."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def valid_point(lat: object, lon: object) -> tuple[float, float]:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ServiceError("error.point_invalid") from None
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or math.isnan(la) or math.isnan(lo):
        raise ServiceError("error.point_invalid")
    return la, lo


def by_distance(items: list[dict[str, str]], lat: float, lon: float, lang: str = "ru") -> list[dict[str, str]]:
    """The items nearest first, each with its distance in km (as text in the language's number format,
    one decimal under 10 km: "3,5" in Kyrgyz and Russian, "3.5" in English)."""
    measured = []
    for item in items:
        km = distance_km(lat, lon, float(item["latitude"]), float(item["longitude"]))
        measured.append((km, {**item, "distance_km": i18n.number(lang, km, 1 if km < 10 else 0)}))
    return [item for _, item in sorted(measured, key=lambda pair: pair[0])]


def town(code: str) -> tuple[float, float]:
    if code not in TOWNS:
        raise ServiceError("error.point_invalid")
    return TOWNS[code].latitude, TOWNS[code].longitude


def town_name(code: str, lang: str) -> str:
    return i18n.localized(TOWNS[code], "name", lang) if code in TOWNS else ""


def town_options(lang: str) -> list[dict[str, str]]:
    """The towns in the page's language, in its alphabetical order."""
    return sorted(({"code": code, "name": town_name(code, lang)} for code in TOWNS), key=lambda o: o["name"])


# --- open data ---


def _regions(session: Session) -> dict[int, Territory]:
    """Each territory's top-level region (oblast or city of republican significance)."""
    territories = {t.id: t for t in session.exec(select(Territory))}
    top = {}
    for tid, territory in territories.items():
        while territory.parent_id:
            territory = territories[territory.parent_id]
        top[tid] = territory
    return top


def geojson(session: Session) -> dict:
    """Active remote precincts as a GeoJSON FeatureCollection (no personal data)."""
    regions = _regions(session)
    features = []
    for p in active_remote(session):
        if p.latitude is None or p.longitude is None:
            continue
        features.append({
            "type": "Feature",
            "id": p.number,
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
            "properties": {
                "number": p.number, "region": i18n.localized(regions[p.territory_id], "name", "ru"),
                **{name: i18n.localized(p, name, "ru") for name in ("city", "district", "place", "address")},
                **{f"{name}_{lang}": i18n.localized(p, name, lang) for name in ("place", "address") for lang in ("ky", "en")},
                "location_precision": p.location_precision,
            },
        })
    return {"type": "FeatureCollection", "features": features}


CSV_COLUMNS = ["number", "region", "city", "district", "place", "address", "latitude", "longitude", "location_precision"]


def csv_text(session: Session) -> str:
    rows = [CSV_COLUMNS]
    for feature in geojson(session)["features"]:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        rows.append([props["number"], props["region"], props["city"], props["district"], props["place"],
                     props["address"], lat, lon, props["location_precision"]])
    return exports.csv_text(rows)


# --- staff ---


def move_point(session: Session, precinct_id: int, lat: object, lon: object, actor: str) -> Precinct:
    """Staff correct a precinct's point on the map; the point becomes exact; audited."""
    precinct = session.get(Precinct, precinct_id)
    if precinct is None or precinct.kind != "remote":
        raise ServiceError("error.precinct_required")
    la, lo = valid_point(lat, lon)
    # A point outside Kyrgyzstan's bounding box is a slip of the hand, not a precinct.
    if not (39.1 <= la <= 43.3 and 69.2 <= lo <= 80.3):
        raise ServiceError("error.point_outside")
    before = (precinct.latitude, precinct.longitude, precinct.location_precision)
    precinct.latitude, precinct.longitude, precinct.location_precision = round(la, 6), round(lo, 6), "exact"
    session.add(precinct)
    audit.record(session, actor, "precinct.moved", "precinct", precinct.number,
                 before={"lat": before[0], "lon": before[1], "precision": before[2]},
                 after={"lat": precinct.latitude, "lon": precinct.longitude, "precision": "exact"})
    return precinct


TEXT_FIELDS = ("city_ru", "city_ky", "city_en", "district_ru", "district_ky", "district_en", "place_ru", "place_ky",
               "place_en", "address_ru", "address_ky", "address_en")


def save_remote(session: Session, precinct_id: int | None, values: dict, actor: str) -> Precinct:
    """Add a remote precinct (precinct_id None) or edit one; names and addresses in three languages."""
    cleaned = {name: str(values.get(name, "") or "").strip()[:300] for name in TEXT_FIELDS}
    for required in ("city_ru", "place_ru", "address_ru"):
        if not cleaned[required]:
            raise ServiceError("error.field_required", field=required)
    for lang in ("ky", "en"):  # fall back to Russian rather than show an empty line
        for name in ("city", "place", "address"):
            cleaned[f"{name}_{lang}"] = cleaned[f"{name}_{lang}"] or cleaned[f"{name}_ru"]
    if precinct_id is None:
        number = str(values.get("number", "") or "").strip()
        territory = session.exec(select(Territory).where(Territory.code == str(values.get("territory", "")))).first()
        if not number or session.exec(select(Precinct).where(Precinct.number == number)).first():
            raise ServiceError("error.precinct_number", field="number")
        if territory is None:
            raise ServiceError("error.staff_territory", field="territory")
        la, lo = valid_point(values.get("latitude"), values.get("longitude"))
        precinct = Precinct(kind="remote", number=number, territory_id=territory.id, latitude=la, longitude=lo,
                            location_precision="approximate", **cleaned)
        session.add(precinct)
        session.flush()
        audit.record(session, actor, "precinct.created", "precinct", precinct.number)
        return precinct
    precinct = session.get(Precinct, precinct_id)
    if precinct is None or precinct.kind != "remote":
        raise ServiceError("error.precinct_required")
    changed = sorted(name for name in TEXT_FIELDS if getattr(precinct, name) != cleaned[name])
    for name in changed:
        setattr(precinct, name, cleaned[name])
    session.add(precinct)
    if changed:
        audit.record(session, actor, "precinct.edited", "precinct", precinct.number, fields=changed)
    return precinct


def set_active(session: Session, precinct_id: int, active: bool, actor: str) -> Precinct:
    """Deactivate (or reactivate) a remote precinct; existing applications keep it, new ones cannot pick it."""
    precinct = session.get(Precinct, precinct_id)
    if precinct is None or precinct.kind != "remote":
        raise ServiceError("error.precinct_required")
    if precinct.active != active:
        precinct.active = active
        session.add(precinct)
        audit.record(session, actor, "precinct.activated" if active else "precinct.deactivated", "precinct", precinct.number)
    return precinct


def all_remote(session: Session) -> list[Precinct]:
    """Read-only copies (refcache), by id."""
    return [p for p in refcache.snapshot(session).all(Precinct) if p.kind == "remote"]


def admin_rows(session: Session) -> list[dict]:
    """Every remote precinct with its point and its texts in all three languages (the staff form edits them)."""
    return [{"id": p.id, "number": p.number, "active": p.active, "latitude": p.latitude, "longitude": p.longitude,
             "precision": p.location_precision, **{f: getattr(p, f) for f in TEXT_FIELDS}}
            for p in all_remote(session)]
