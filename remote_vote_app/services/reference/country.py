"""Electoral districts per identification-mode election and every precinct of the country with its
district, from the reference file data/reference/districts.json (imported by services/reference/reference.py,
same version rules; the format is in the README of that folder).

    {"version": 1, "source": "...",
     "elections": [{"election": {"kind", "territory", "election_day", "demo"?},
                    "districts": [{"number": 1, "territory": "BISHKEK", "name": {"ru", "ky", "en"}}, ...],
                    "precincts": [{"number": "УИК №2001", "district": 1, "territory": "BISHKEK", "abroad": false,
                                   "city"/"place"/"address": {"ru", "ky", "en"},
                                   "location": {"lat", "lon", "precision"}},
                                  {"number": "УИК №1001", "district": 1}, ...]}]}

A precinct row with its territory, texts and location is a polling station: created (kind `station`)
when missing. A row with a number and a district only gives an existing precinct its district (the
demo seed's home precincts). An entry names its election as elections.json does; `"demo": true`
names the demo seed's election instead, so a database without demo data validates the entry and
skips it (production never gets the demo country).

`validate` checks the whole file before anything is written and names the row at fault: an unknown
region (territory code), a precinct listed twice, a precinct without a district or with one the
entry does not define. Rows are created in bulk (Core inserts of 500 rows) under one
`election.districts_loaded` audit event per election; a newer `version` updates the rows the file
describes, each change audited with before and after (a point staff placed on the map is kept).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app.models import AuditEvent, DistrictPrecinct, Election, ElectoralDistrict, Precinct, Territory
from remote_vote_app.services import audit

CHUNK = 500
LANGS = ("ru", "ky", "en")
TEXTS = ("city", "place", "address")
STATION = ("territory", "city", "place", "address", "location")  # what a row needs to create a station
PRECISIONS = ("exact", "approximate")


@dataclass(frozen=True)
class Key:
    """An entry's election, as elections.json names it (plus the demo flag)."""

    kind: str
    territory: str
    election_day: dt.date
    demo: bool

    def __str__(self) -> str:
        return f"{self.kind}:{self.territory}:{self.election_day}" + (" (demo)" if self.demo else "")


def _texts_ok(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(lang), str) for lang in LANGS) and bool(value["ru"])


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _key(entry: dict) -> Key:
    named = entry["election"]
    return Key(str(named["kind"]), str(named["territory"]), dt.date.fromisoformat(named["election_day"]),
               named.get("demo", False))


def validate(data: dict, territories: set[str], elections: dict[tuple[str, str, dt.date], str]) -> list[Key]:
    """The file's entries' keys; ValueError naming the entry and row at fault. `territories` are the
    known codes, `elections` elections.json's (kind, territory, day) -> mode."""
    entries = data.get("elections")
    if not isinstance(entries, list):
        raise ValueError("districts.json: `elections` must be a list")
    keys: list[Key] = []
    for index, entry in enumerate(entries, 1):
        where = f"districts.json elections[{index}]"
        try:
            key = _key(entry)
        except (TypeError, KeyError, ValueError, AttributeError):
            raise ValueError(f"{where}: `election` needs kind, territory and election_day (YYYY-MM-DD)") from None
        where = f"districts.json {key}"
        if not isinstance(key.demo, bool):
            raise ValueError(f"{where}: `demo` must be true or false")
        if key.territory not in territories:
            raise ValueError(f"{where}: unknown region {key.territory!r} (not in territories.json)")
        if key in keys:
            raise ValueError(f"{where}: the election has two entries")
        if not key.demo:
            mode = elections.get((key.kind, key.territory, key.election_day))
            if mode is None:
                raise ValueError(f"{where}: no such election in elections.json")
            if mode != "identification":
                raise ValueError(f"{where}: the election is in {mode} mode, districts are for identification mode")
        _validate_rows(where, entry, territories)
        keys.append(key)
    return keys


def _validate_rows(where: str, entry: dict, territories: set[str]) -> None:
    if not isinstance(entry.get("districts"), list) or not isinstance(entry.get("precincts"), list):
        raise ValueError(f"{where}: `districts` and `precincts` must be lists")
    districts: dict[int, int] = {}
    for row_number, row in enumerate(entry["districts"], 1):
        at = f"{where}, districts row {row_number}"
        number = row.get("number") if isinstance(row, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValueError(f"{at}: `number` must be a positive integer")
        at = f"{at} (district {number})"
        if number in districts:
            raise ValueError(f"{at}: district {number} is listed twice (also row {districts[number]})")
        if row.get("territory") not in territories:
            raise ValueError(f"{at}: unknown region {row.get('territory')!r} (not in territories.json)")
        if not _texts_ok(row.get("name")):
            raise ValueError(f"{at}: `name` needs ru, ky and en")
        districts[number] = row_number
    if not districts:
        raise ValueError(f"{where}: no districts")
    seen: dict[str, int] = {}
    for row_number, row in enumerate(entry["precincts"], 1):
        at = f"{where}, precincts row {row_number}"
        number = row.get("number") if isinstance(row, dict) else None
        if not isinstance(number, str) or not number.strip() or len(number) > 16:
            raise ValueError(f"{at}: `number` must be a precinct number (1 to 16 characters)")
        at = f"{at} ({number})"
        if number in seen:
            raise ValueError(f"{at}: duplicate precinct {number} (also row {seen[number]})")
        seen[number] = row_number
        district = row.get("district")
        if district is None:
            raise ValueError(f"{at}: precinct without a district")
        if not isinstance(district, int) or isinstance(district, bool) or district not in districts:
            raise ValueError(f"{at}: district {district!r} is not among this election's districts")
        if any(name in row for name in STATION):
            _validate_station(at, row, territories)
    if not seen:
        raise ValueError(f"{where}: no precincts")


def _validate_station(at: str, row: dict, territories: set[str]) -> None:
    missing = [name for name in STATION if name not in row]
    if missing:
        raise ValueError(f"{at}: a station row needs {', '.join(STATION)} (missing: {', '.join(missing)})")
    if row["territory"] not in territories:
        raise ValueError(f"{at}: unknown region {row['territory']!r} (not in territories.json)")
    for name in TEXTS:
        if not _texts_ok(row[name]):
            raise ValueError(f"{at}: `{name}` needs ru, ky and en")
    location = row["location"]
    if not (isinstance(location, dict) and _number(location.get("lat")) and _number(location.get("lon"))
            and -90 <= location["lat"] <= 90 and -180 <= location["lon"] <= 180):
        raise ValueError(f"{at}: `location` needs lat (-90..90) and lon (-180..180)")
    if location.get("precision") not in PRECISIONS:
        raise ValueError(f"{at}: precision must be one of {PRECISIONS}")
    if not isinstance(row.get("abroad", False), bool):
        raise ValueError(f"{at}: `abroad` must be true or false")


# --- writing ---


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _station_values(row: dict, codes: dict[str, int], placed: bool) -> dict:
    values = {"territory_id": codes[row["territory"]], "abroad": bool(row.get("abroad", False)),
              **{f"{name}_{lang}": row[name][lang] for name in TEXTS for lang in LANGS}}
    if not placed:
        location = row["location"]
        values.update(latitude=location["lat"], longitude=location["lon"], location_precision=location["precision"])
    return values


def _placed_by_staff(session: Session) -> set[str]:
    """Precinct numbers whose point a person placed (moved on the map, or created): never overwritten."""
    return set(session.execute(
        sa.select(AuditEvent.entity_id).distinct().where(
            AuditEvent.entity == "precinct", AuditEvent.action.in_(("precinct.moved", "precinct.created")),
            ~AuditEvent.actor.startswith("system:"))).scalars())


def _election(session: Session, key: Key, codes: dict[str, int]) -> Election | None:
    return session.exec(select(Election).where(
        Election.kind == key.kind, Election.territory_id == codes[key.territory],
        Election.election_day == key.election_day, Election.is_demo == key.demo)).first()


def import_entries(session: Session, data: dict, outcome, actor: str) -> None:
    """Write each entry (validated by `validate`) whose election exists (see the module doc);
    `outcome` is the file's reference.Outcome: rows created are named in `created`, rows changed in
    `updated`."""
    codes = {code: tid for code, tid in session.execute(sa.select(Territory.code, Territory.id))}
    for entry in data["elections"]:
        key = _key(entry)
        election = _election(session, key, codes)
        if election is None:
            if not key.demo:  # elections.json's rows are imported before this file
                raise ValueError(f"districts.json {key}: no such election in the database")
            outcome.notes.append(f"{key}: no such election in this database (the demo seed makes it), skipped")
            continue
        if election.mode != "identification":
            raise ValueError(f"districts.json {key}: the election is in {election.mode} mode, "
                             "districts are for identification mode")
        counts = _entry(session, election, key, entry, codes, outcome, actor)
        if any(counts.values()):
            audit.record(session, actor, "election.districts_loaded", "election", election.id,
                         version=outcome.version, **counts)
        outcome.notes.append(f"{key}: {counts['districts_created']} districts and {counts['precincts_created']} "
                             f"precincts created, {counts['precincts_listed']} precincts given their district")


def _entry(session: Session, election: Election, key: Key, entry: dict, codes: dict[str, int], outcome,
           actor: str) -> dict[str, int]:
    precincts = {number: pid for number, pid in session.execute(sa.select(Precinct.number, Precinct.id))}
    for row_number, row in enumerate(entry["precincts"], 1):
        if "territory" not in row and row["number"] not in precincts:
            raise ValueError(f"districts.json {key}, precincts row {row_number} ({row['number']}): no such precinct "
                             "in the database, and the row has no territory, texts and location to create it")
    counts = {"districts_created": 0, "precincts_created": 0, "precincts_listed": 0}
    districts = _districts(session, election, key, entry["districts"], codes, outcome, actor, counts)
    placed = _placed_by_staff(session)
    created = [row for row in entry["precincts"] if row["number"] not in precincts]
    for rows in _chunks(created):
        session.execute(sa.insert(Precinct), [{
            "kind": "station", "number": row["number"], "active": True, "district_ru": "", "district_ky": "",
            "district_en": "", **_station_values(row, codes, placed=False)} for row in rows])
    counts["precincts_created"] = len(created)
    outcome.created += [row["number"] for row in created]
    if created:
        precincts = {number: pid for number, pid in session.execute(sa.select(Precinct.number, Precinct.id))}
    if outcome.refresh:
        _refresh_stations(session, entry["precincts"], codes, placed, outcome, actor)
    listed = {pid: did for pid, did in session.execute(
        sa.select(DistrictPrecinct.precinct_id, DistrictPrecinct.district_id)
        .where(DistrictPrecinct.election_id == election.id))}
    links = [{"election_id": election.id, "precinct_id": precincts[row["number"]],
              "district_id": districts[row["district"]][0]}
             for row in entry["precincts"] if precincts[row["number"]] not in listed]
    for rows in _chunks(links):
        session.execute(sa.insert(DistrictPrecinct), rows)
    counts["precincts_listed"] = len(links)
    if outcome.refresh:
        by_id = {did: number for number, (did, _row) in districts.items()}
        for row in entry["precincts"]:
            before = listed.get(precincts[row["number"]])
            wanted = districts[row["district"]][0]
            if before is not None and before != wanted:
                session.execute(sa.update(DistrictPrecinct).where(
                    DistrictPrecinct.election_id == election.id,
                    DistrictPrecinct.precinct_id == precincts[row["number"]]).values(district_id=wanted))
                audit.record(session, actor, "precinct.district_changed", "precinct", row["number"],
                             election=election.id, before=by_id.get(before), after=row["district"],
                             version=outcome.version)
                outcome.updated.append(f"{row['number']} {key}")
    return counts


def _districts(session: Session, election: Election, key: Key, rows: list[dict], codes: dict[str, int], outcome,
               actor: str, counts: dict[str, int]) -> dict[int, tuple[int, ElectoralDistrict]]:
    """number -> (id, row) of the election's districts, the file's created or (newer version) updated."""
    existing = {d.number: d for d in session.exec(select(ElectoralDistrict)
                                                  .where(ElectoralDistrict.election_id == election.id))}
    values = {row["number"]: {"territory_id": codes[row["territory"]],
                              **{f"name_{lang}": row["name"][lang] for lang in LANGS}} for row in rows}
    missing = [number for number in values if number not in existing]
    if missing:
        session.execute(sa.insert(ElectoralDistrict), [{"election_id": election.id, "number": number, **values[number]}
                                                       for number in missing])
        counts["districts_created"] = len(missing)
        outcome.created += [f"district {number} {key}" for number in missing]
    if outcome.refresh:
        for number, district in existing.items():
            changed = sorted(name for name, value in values.get(number, {}).items() if getattr(district, name) != value)
            if not changed:
                continue
            before = {name: getattr(district, name) for name in changed}
            for name in changed:
                setattr(district, name, values[number][name])
            session.add(district)
            audit.record(session, actor, "electoraldistrict.edited", "electoraldistrict", f"{number} {key}",
                         election=election.id, fields=changed, before=before,
                         after={name: values[number][name] for name in changed}, version=outcome.version)
            outcome.updated.append(f"district {number} {key}")
        session.flush()
    return {d.number: (d.id, d) for d in session.exec(select(ElectoralDistrict)
                                                      .where(ElectoralDistrict.election_id == election.id))}


def _refresh_stations(session: Session, rows: list[dict], codes: dict[str, int], placed: set[str], outcome,
                      actor: str) -> None:
    """A newer file: the stations it describes take its values (a staff-placed point stays)."""
    described = {row["number"]: row for row in rows if "territory" in row}
    for precinct in session.exec(select(Precinct).where(Precinct.number.in_(list(described)))):  # type: ignore[attr-defined]
        values = _station_values(described[precinct.number], codes, precinct.number in placed)
        changed = sorted(name for name, value in values.items() if getattr(precinct, name) != value)
        if not changed:
            continue
        before = {name: getattr(precinct, name) for name in changed}
        for name in changed:
            setattr(precinct, name, values[name])
        session.add(precinct)
        audit.record(session, actor, "precinct.edited", "precinct", precinct.number, fields=changed, before=before,
                     after={name: values[name] for name in changed}, version=outcome.version)
        outcome.updated.append(precinct.number)
    session.flush()
