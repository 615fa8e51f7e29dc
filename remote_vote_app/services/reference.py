"""Reference data: territories, remote precincts and elections, from the versioned files in
remote_vote_app/data/reference (see the README there). Loaded into any database, demo or not.

Rules (idempotent, upsert by natural key; every change audited as `system:import-reference`):
- a row missing from the database is created;
- existing rows are updated only when a file's `version` is newer than the version last imported
  (recorded as a `reference.imported` audit event), so staff corrections made between releases
  survive a re-import of the same files; a database filled before this import existed (no such
  event) keeps its rows as they are: they count as the first version;
- a precinct point placed by staff (an audited `precinct.moved` or `precinct.created` by a person)
  is never overwritten: the file's coordinates apply only to points the import owns.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, SQLModel, select

from remote_vote_app.models import AuditEvent, Election, Precinct, Territory
from remote_vote_app.services import audit

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
ACTOR = "system:import-reference"
FILES = ("territories", "precincts", "elections")
PRECISIONS = ("exact", "approximate")
TEXTS = ("city", "district", "place", "address")


@dataclass
class Outcome:
    """What one file did: its version, the version imported before, and the rows touched."""

    version: int
    previous: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def refresh(self) -> bool:
        """Existing rows take the file's values: a newer version than one imported before."""
        return self.previous > 0 and self.version > self.previous

    def __str__(self) -> str:
        stale = " (older than the database's; existing rows kept)" if self.version < self.previous else ""
        return f"version {self.version}{stale}: {len(self.created)} created, {len(self.updated)} updated"


def load(directory: Path = DATA_DIR) -> dict[str, dict]:
    data = {name: json.loads((directory / f"{name}.json").read_text("utf-8")) for name in FILES}
    for name, content in data.items():
        if not isinstance(content.get("version"), int) or content["version"] < 1:
            raise ValueError(f"{name}.json: `version` must be a positive integer")
    for item in data["precincts"]["precincts"]:
        if item["location"]["precision"] not in PRECISIONS:
            raise ValueError(f"precincts.json {item['number']}: precision must be one of {PRECISIONS}")
    return data


def imported_version(session: Session, name: str) -> int:
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "reference.imported", AuditEvent.entity_id == name)
        .order_by(AuditEvent.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    return json.loads(event.details).get("version", 0) if event else 0


def import_reference(session: Session, directory: Path = DATA_DIR) -> dict[str, Outcome]:
    """Load every reference file in the caller's transaction; returns what changed per file."""
    data = load(directory)
    outcomes = {name: Outcome(data[name]["version"], imported_version(session, name)) for name in FILES}
    codes = _territories(session, data["territories"]["territories"], outcomes["territories"])
    _precincts(session, data["precincts"]["precincts"], codes, outcomes["precincts"])
    _elections(session, data["elections"]["elections"], codes, outcomes["elections"])
    for name, outcome in outcomes.items():
        if outcome.version > outcome.previous:
            audit.record(session, ACTOR, "reference.imported", "reference", name, version=outcome.version,
                         created=len(outcome.created), updated=len(outcome.updated))
    session.flush()
    return outcomes


def _upsert(session: Session, model: type[SQLModel], key: dict, values: dict, label: str, outcome: Outcome) -> SQLModel:
    """One row by its natural key: created when missing, updated (when the file is newer) and audited."""
    entity = model.__tablename__
    row = session.exec(select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
        audit.record(session, ACTOR, f"{entity}.created", entity, label)
        outcome.created.append(label)
        return row
    if not outcome.refresh:
        return row
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    if changed:
        before = {name: getattr(row, name) for name in changed}
        for name in changed:
            setattr(row, name, values[name])
        session.add(row)
        audit.record(session, ACTOR, f"{entity}.edited", entity, label, fields=changed, before=before,
                     after={name: values[name] for name in changed}, version=outcome.version)
        outcome.updated.append(label)
    return row


def _territories(session: Session, items: list[dict], outcome: Outcome) -> dict[str, int]:
    codes = {t.code: t.id for t in session.exec(select(Territory))}
    for item in items:  # parents come before their children in the file
        parent = item.get("parent")
        if parent and parent not in codes:
            raise ValueError(f"territories.json {item['code']}: unknown parent {parent}")
        values = dict(kind=item["kind"], parent_id=codes[parent] if parent else None,
                      **{f"name_{lang}": text for lang, text in item["name"].items()})
        codes[item["code"]] = _upsert(session, Territory, {"code": item["code"]}, values, item["code"], outcome).id
    return codes


def _placed_by_staff(session: Session, number: str) -> bool:
    return session.exec(
        select(AuditEvent.id).where(
            AuditEvent.entity == "precinct", AuditEvent.entity_id == number,
            AuditEvent.action.in_(("precinct.moved", "precinct.created")),  # type: ignore[attr-defined]
            ~AuditEvent.actor.startswith("system:"),  # type: ignore[attr-defined]
        ).limit(1)
    ).first() is not None


def _precincts(session: Session, items: list[dict], codes: dict[str, int], outcome: Outcome) -> None:
    for item in items:
        values = dict(kind="remote", territory_id=codes[item["territory"]],
                      **{f"{name}_{lang}": text for name in TEXTS for lang, text in item[name].items()})
        if not _placed_by_staff(session, item["number"]):
            location = item["location"]
            values.update(latitude=location["lat"], longitude=location["lon"], location_precision=location["precision"])
        _upsert(session, Precinct, {"number": item["number"]}, values, item["number"], outcome)


def _elections(session: Session, items: list[dict], codes: dict[str, int], outcome: Outcome) -> None:
    for item in items:
        day = dt.date.fromisoformat(item["election_day"])
        key = dict(kind=item["kind"], territory_id=codes[item["territory"]], election_day=day, is_demo=False)
        values = dict(application_deadline=dt.date.fromisoformat(item["application_deadline"]),
                      timezone=item.get("timezone", "Asia/Bishkek"))
        _upsert(session, Election, key, values, f"{item['kind']}:{item['territory']}:{day}", outcome)
