"""Reference data: territories, remote precincts and elections, from the versioned files in
remote_vote_app/data/reference (see the README there). Loaded into any database, demo or not.

Rules (idempotent, upsert by natural key; every change audited as `system:import-reference`):
- a row missing from the database is created;
- existing rows are updated only when a file's `version` is newer than the version last imported
  (recorded as a `reference.imported` audit event), so staff corrections made between releases
  survive a re-import of the same files; a database filled before this import existed (no such
  event) keeps its rows as they are: they count as the first version;
- a precinct point placed by staff (an audited `precinct.moved` or `precinct.created` by a person)
  is never overwritten: the file's coordinates apply only to points the import owns;
- a file whose content changed but whose `version` did not is refused (the event keeps each file's
  content hash), so an edit is never silently left out: the same file again is a no-op;
- every file is validated before anything is written, and the import runs in the caller's
  transaction: an error names the file and row, and nothing of the import stays.

districts.json (electoral districts per identification-mode election and every precinct of the
country with its district) is written by services/reference/country.py under the same rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, SQLModel, select

from remote_vote_app.models import AuditEvent, Election, Precinct, Territory
from remote_vote_app.services import audit
from remote_vote_app.services.reference import country

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
ACTOR = "system:import-reference"
FILES = ("territories", "precincts", "elections", "districts")
MODES = ("application", "identification")  # as services/election_day/identification.py
OFFLINE_POLICIES = ("provisional", "wait")
PRECISIONS = ("exact", "approximate")
TEXTS = ("city", "district", "place", "address")


@dataclass
class Outcome:
    """What one file did: its version, the version imported before, and the rows touched."""

    version: int
    previous: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what else the import says of the file (districts.json)

    @property
    def refresh(self) -> bool:
        """Existing rows take the file's values: a newer version than one imported before."""
        return self.previous > 0 and self.version > self.previous

    def __str__(self) -> str:
        stale = " (older than the database's; existing rows kept)" if self.version < self.previous else ""
        notes = "".join(f"\n  {note}" for note in self.notes)
        return f"version {self.version}{stale}: {len(self.created)} created, {len(self.updated)} updated{notes}"


def load(directory: Path = DATA_DIR) -> dict[str, dict]:
    """Every file, validated as a whole before anything is written (ValueError naming the file and row)."""
    data = {name: json.loads((directory / f"{name}.json").read_text("utf-8")) for name in FILES}
    for name, content in data.items():
        if not isinstance(content.get("version"), int) or content["version"] < 1:
            raise ValueError(f"{name}.json: `version` must be a positive integer")
    for item in data["precincts"]["precincts"]:
        if item["location"]["precision"] not in PRECISIONS:
            raise ValueError(f"precincts.json {item['number']}: precision must be one of {PRECISIONS}")
    elections = {}
    for item in data["elections"]["elections"]:
        label = f"elections.json {item['kind']}:{item['territory']}:{item['election_day']}"
        if item.get("mode", "application") not in MODES:
            raise ValueError(f"{label}: mode must be one of {MODES}")
        if item.get("offline_policy", "provisional") not in OFFLINE_POLICIES:
            raise ValueError(f"{label}: offline_policy must be one of {OFFLINE_POLICIES}")
        elections[(item["kind"], item["territory"], dt.date.fromisoformat(item["election_day"]))] = \
            item.get("mode", "application")
    codes = {item["code"] for item in data["territories"]["territories"]}
    country.validate(data["districts"], codes, elections)
    return data


def digest(content: dict) -> str:
    """A file's content hash, whatever its layout (keys sorted, no spaces)."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _last_import(session: Session, name: str) -> dict:
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "reference.imported", AuditEvent.entity_id == name)
        .order_by(AuditEvent.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    return json.loads(event.details) if event else {}


def imported_version(session: Session, name: str) -> int:
    return _last_import(session, name).get("version", 0)


def import_reference(session: Session, directory: Path = DATA_DIR) -> dict[str, Outcome]:
    """Load every reference file in the caller's transaction; returns what changed per file."""
    data = load(directory)
    outcomes, digests = {}, {}
    for name in FILES:
        last, digests[name] = _last_import(session, name), digest(data[name])
        outcomes[name] = Outcome(data[name]["version"], last.get("version", 0))
        if outcomes[name].version == outcomes[name].previous and last.get("sha256") not in (None, digests[name]):
            raise ValueError(f"{name}.json changed since its version {outcomes[name].version} was imported, "
                             "but its `version` did not: raise it, or the change would be left out")
    codes = _territories(session, data["territories"]["territories"], outcomes["territories"])
    _precincts(session, data["precincts"]["precincts"], codes, outcomes["precincts"])
    _elections(session, data["elections"]["elections"], codes, outcomes["elections"])
    country.import_entries(session, data["districts"], outcomes["districts"], ACTOR)
    for name, outcome in outcomes.items():
        if outcome.version > outcome.previous:
            audit.record(session, ACTOR, "reference.imported", "reference", name, version=outcome.version,
                         created=len(outcome.created), updated=len(outcome.updated), sha256=digests[name])
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
                      timezone=item.get("timezone", "Asia/Bishkek"), mode=item.get("mode", "application"),
                      offline_policy=item.get("offline_policy", "provisional"))
        _upsert(session, Election, key, values, f"{item['kind']}:{item['territory']}:{day}", outcome)
