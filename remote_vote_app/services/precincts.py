"""Remote precincts (УИК ДГ)."""

from __future__ import annotations

from sqlmodel import Session, select

from remote_vote_app.models import Precinct
from remote_vote_app.services.errors import ServiceError


def localized(precinct: Precinct, lang: str) -> dict:
    """A precinct as plain strings in one language (for the UI and messages)."""
    pick = lambda name: getattr(precinct, f"{name}_{lang}", "") or getattr(precinct, f"{name}_ru")  # noqa: E731
    return {
        "id": precinct.id,
        "number": precinct.number,
        "city": pick("city"),
        "district": pick("district"),
        "place": pick("place"),
        "address": pick("address"),
        "latitude": precinct.latitude,
        "longitude": precinct.longitude,
        "precision": precinct.location_precision,
    }


def active_remote(session: Session) -> list[Precinct]:
    return list(
        session.exec(
            select(Precinct).where(Precinct.kind == "remote", Precinct.active == True).order_by(Precinct.id)  # noqa: E712
        )
    )


def get_active_remote(session: Session, precinct_id: int | None) -> Precinct:
    precinct = session.get(Precinct, precinct_id) if precinct_id else None
    if precinct is None or precinct.kind != "remote" or not precinct.active:
        raise ServiceError("error.precinct_required", field="precinct")
    return precinct


def grouped_by_city(session: Session, lang: str) -> list[dict]:
    """[{city, precincts: [...]}] in the order of the seed (Bishkek first)."""
    groups: dict[str, list[dict]] = {}
    for precinct in active_remote(session):
        item = localized(precinct, lang)
        groups.setdefault(item["city"], []).append(item)
    return [{"city": city, "precincts": items} for city, items in groups.items()]
