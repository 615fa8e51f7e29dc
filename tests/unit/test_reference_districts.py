"""districts.json: electoral districts per identification-mode election and every precinct of the
country with its district, a versioned reference file (services/reference/country.py through
services/reference/reference.py). Each test runs on an empty database of the suite's kind (SQLite, or a new
PostgreSQL database under tests.support.services --postgres), migrated as in production."""

import datetime as dt
import json
import shutil

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app import cli
from remote_vote_app.db import get_engine
from remote_vote_app.models import (
    AuditEvent, DistrictPrecinct, Election, ElectoralDistrict, Precinct, ReferenceVersion, Territory,
)
from remote_vote_app.services.reference import reference
from remote_vote_app.demo.seed import seed
from tests.unit.test_voter_address import scratch_url  # noqa: F401 (a fixture)

REGIONS = ("BISHKEK", "OSH", "CHUY", "ISSYKKUL", "NARYN_O", "TALAS_O", "JALALABAD_O", "OSH_O", "BATKEN_O")


@pytest.fixture
def db(scratch_url):
    cli.migrate(scratch_url)
    with Session(get_engine(scratch_url), expire_on_commit=False) as session:
        yield session


def _copy(tmp_path, **changes):
    """The shipped files in a folder of their own; `changes[name](data)` edits <name>.json."""
    folder = tmp_path / "reference"
    shutil.copytree(reference.DATA_DIR, folder)
    for name, change in changes.items():
        path = folder / f"{name}.json"
        data = json.loads(path.read_text("utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return folder


def _entry(data):
    return data["elections"][0]


def _counts(session):
    return tuple(session.exec(select(sa.func.count()).select_from(model)).one()
                 for model in (Territory, Precinct, Election, ElectoralDistrict, DistrictPrecinct, AuditEvent))


def _token(session):
    return session.exec(select(ReferenceVersion.version)).one()


def _demo_election(session):
    return session.exec(select(Election).where(Election.mode == "identification", Election.is_demo == True)).one()  # noqa: E712


def _district_of(session, election, number):
    return session.exec(select(ElectoralDistrict.number).join(DistrictPrecinct, DistrictPrecinct.district_id == ElectoralDistrict.id)
                        .join(Precinct, Precinct.id == DistrictPrecinct.precinct_id)
                        .where(DistrictPrecinct.election_id == election.id, Precinct.number == number)).one()


# --- the file ---


def test_the_file_holds_a_country_sized_set_in_every_region_and_100_abroad():
    entry = _entry(reference.load()["districts"])
    assert entry["election"] == {"kind": "president", "territory": "KG", "election_day": "2027-01-17", "demo": True}
    stations = [p for p in entry["precincts"] if "territory" in p]
    home = [p for p in stations if not p["abroad"]]
    abroad = [p for p in stations if p["abroad"]]
    assert len(home) >= 2500 and len(abroad) == 100
    district_region = {d["number"]: d["territory"] for d in entry["districts"]}
    assert set(district_region.values()) == set(REGIONS)  # every oblast and both cities
    assert {district_region[p["district"]] for p in home} == set(REGIONS)
    assert all(p["territory"] == district_region[p["district"]] for p in home)
    assert all(p.get("district") in district_region for p in entry["precincts"])


# --- import: idempotent, versioned ---


def test_the_demo_seed_reads_the_country_from_the_file_and_a_second_import_is_a_no_op(db):
    seed(db, today=dt.date(2026, 12, 1), voters=40)
    db.commit()
    election = _demo_election(db)
    stations = db.exec(select(Precinct).where(Precinct.kind == "station")).all()
    assert len(stations) == 2600 and sum(p.abroad for p in stations) == 100
    assert db.exec(select(sa.func.count()).select_from(ElectoralDistrict)
                   .where(ElectoralDistrict.election_id == election.id)).one() == 30
    # Every precinct the demo uses has its district: stations, abroad, and the seed's home precincts.
    unlisted = db.exec(select(Precinct.number).where(Precinct.kind.in_(("station", "home")), ~Precinct.id.in_(
        select(DistrictPrecinct.precinct_id).where(DistrictPrecinct.election_id == election.id)))).all()
    assert unlisted == []
    assert [_district_of(db, election, n) for n in ("УИК №1001", "УИК №2001", "УИК №3011", "УИК №9001")] == [1, 1, 14, 1]
    loaded = db.exec(select(AuditEvent).where(AuditEvent.action == "election.districts_loaded")).one()
    assert json.loads(loaded.details) == {"districts_created": 30, "precincts_created": 2600, "precincts_listed": 2635,
                                          "version": 1}

    counts, token = _counts(db), _token(db)
    again = reference.import_reference(db)
    db.commit()
    assert not again["districts"].created and not again["districts"].updated
    assert _counts(db) == counts and _token(db) == token  # nothing written: the workers' caches stay valid


def test_a_newer_version_updates_districts_stations_and_links_audited_and_a_changed_file_must_bump_it(db, tmp_path):
    seed(db, today=dt.date(2026, 12, 1), voters=40)
    db.commit()
    election, token = _demo_election(db), _token(db)

    def edit(data):
        entry = _entry(data)
        entry["districts"][0]["name"]["en"] = "Electoral district No. 1 (Bishkek, Leninsky)"
        station = next(p for p in entry["precincts"] if p["number"] == "УИК №2001")
        station["address"]["ru"] = "ул. Ленина, 8А"
        station["district"] = 2
        next(p for p in entry["precincts"] if p["number"] == "УИК №1001")["district"] = 3

    same_version = _copy(tmp_path / "same", districts=edit)
    with pytest.raises(ValueError, match=r"districts\.json changed since its version 1 was imported.*raise it"):
        reference.import_reference(db, same_version)
    db.rollback()
    assert _district_of(db, election, "УИК №2001") == 1

    newer = _copy(tmp_path / "newer", districts=lambda data: (edit(data), data.update(version=2)))
    outcome = reference.import_reference(db, newer)["districts"]
    db.commit()
    assert (outcome.previous, outcome.version, outcome.created) == (1, 2, [])
    assert sorted(outcome.updated) == sorted(["district 1 president:KG:2027-01-17 (demo)", "УИК №2001",
                                              "УИК №2001 president:KG:2027-01-17 (demo)",
                                              "УИК №1001 president:KG:2027-01-17 (demo)"])
    assert (_district_of(db, election, "УИК №2001"), _district_of(db, election, "УИК №1001")) == (2, 3)
    assert db.exec(select(Precinct.address_ru).where(Precinct.number == "УИК №2001")).one() == "ул. Ленина, 8А"
    moved = db.exec(select(AuditEvent).where(AuditEvent.action == "precinct.district_changed",
                                             AuditEvent.entity_id == "УИК №2001")).one()
    assert moved.actor == "system:import-reference"
    assert json.loads(moved.details) == {"before": 1, "after": 2, "election": election.id, "version": 2}
    renamed = db.exec(select(AuditEvent).where(AuditEvent.action == "electoraldistrict.edited")).one()
    assert json.loads(renamed.details)["after"] == {"name_en": "Electoral district No. 1 (Bishkek, Leninsky)"}
    assert _token(db) != token and reference.imported_version(db, "districts") == 2

    # The same newer file again, and the older shipped file after it: nothing changes.
    counts = _counts(db)
    assert not reference.import_reference(db, newer)["districts"].updated
    older = reference.import_reference(db)["districts"]
    db.commit()
    assert "older than the database's" in str(older) and not older.updated
    assert _counts(db) == counts and _district_of(db, election, "УИК №2001") == 2


# --- validation: a clear error naming the row, nothing half-imported ---


def _stations(data):
    return [p for p in _entry(data)["precincts"] if "territory" in p]


@pytest.mark.parametrize(("change", "message"), [
    (lambda data: _stations(data)[16].update(territory="ATLANTIS"),
     r"districts\.json president:KG:2027-01-17 \(demo\), precincts row 17 \(УИК №2017\): unknown region 'ATLANTIS'"),
    (lambda data: _entry(data)["districts"][3].update(territory="ATLANTIS"),
     r"districts row 4 \(district 4\): unknown region 'ATLANTIS'"),
    (lambda data: _stations(data)[9].update(number="УИК №2001"),
     r"precincts row 10 \(УИК №2001\): duplicate precinct УИК №2001 \(also row 1\)"),
    (lambda data: _stations(data)[41].pop("district"),
     r"precincts row 42 \(УИК №2042\): precinct without a district"),
    (lambda data: _stations(data)[41].update(district=31),
     r"precincts row 42 \(УИК №2042\): district 31 is not among this election's districts"),
    (lambda data: _stations(data)[5]["location"].pop("lat"),
     r"precincts row 6 \(УИК №2006\): `location` needs lat"),
    (lambda data: _stations(data)[5].pop("place"),
     r"precincts row 6 \(УИК №2006\): a station row needs .* \(missing: place\)"),
])
def test_a_bad_row_is_refused_by_name_before_anything_is_written(db, tmp_path, change, message):
    folder = _copy(tmp_path, districts=change)
    with pytest.raises(ValueError, match=message):
        reference.import_reference(db, folder)
    db.rollback()
    assert _counts(db) == (0, 0, 0, 0, 0, 0)


def test_an_error_found_while_writing_leaves_nothing_of_the_import(db, tmp_path):
    """A precinct row without station details names a precinct the database lacks: found only after the
    territories, precincts and elections were written in the same transaction, which then rolls back."""
    def production_election(data):
        data["elections"].append({"kind": "president", "territory": "KG", "election_day": "2027-01-17",
                                  "application_deadline": "2027-01-17", "mode": "identification"})

    folder = _copy(tmp_path, elections=production_election,
                   districts=lambda data: _entry(data)["election"].update(demo=False))
    with pytest.raises(ValueError, match=r"precincts row 2601 \(УИК №1001\): no such precinct in the database"):
        reference.import_reference(db, folder)
    assert db.exec(select(sa.func.count()).select_from(Territory)).one() == 25  # written, not yet committed
    db.rollback()  # what session_scope (the CLI, the seed) does with any error
    assert _counts(db) == (0, 0, 0, 0, 0, 0)


def test_an_entry_for_an_election_listed_in_elections_json_is_loaded_in_production(db, tmp_path):
    """Without demo data: an identification-mode election of elections.json gets its districts and stations."""
    def production_election(data):
        data["elections"].append({"kind": "president", "territory": "KG", "election_day": "2027-01-17",
                                  "application_deadline": "2027-01-17", "mode": "identification",
                                  "offline_policy": "wait"})

    def stations_only(data):
        entry = _entry(data)
        entry["election"]["demo"] = False
        entry["precincts"] = [p for p in entry["precincts"] if "territory" in p]

    folder = _copy(tmp_path, elections=production_election, districts=stations_only)
    outcome = reference.import_reference(db, folder)["districts"]
    db.commit()
    election = db.exec(select(Election).where(Election.mode == "identification")).one()
    assert (election.is_demo, election.offline_policy) == (False, "wait")
    assert len(outcome.created) == 30 + 2600
    assert db.exec(select(sa.func.count()).select_from(DistrictPrecinct)).one() == 2600
    assert _district_of(db, election, "УИК №9001") == 1


def test_an_entry_must_name_an_identification_election_of_elections_json(tmp_path):
    with pytest.raises(ValueError, match=r"president:KG:2027-01-17: no such election in elections\.json"):
        reference.load(_copy(tmp_path / "a", districts=lambda data: _entry(data)["election"].update(demo=False)))

    def city_council(data):
        _entry(data)["election"].update(kind="city_kenesh", territory="BISHKEK", election_day="2024-11-17", demo=False)

    with pytest.raises(ValueError, match=r"city_kenesh:BISHKEK:2024-11-17: the election is in application mode"):
        reference.load(_copy(tmp_path / "b", districts=city_council))


def test_the_production_import_validates_the_demo_entry_and_skips_it(db):
    outcome = reference.import_reference(db)["districts"]
    db.commit()
    assert outcome.version == 1 and not outcome.created
    assert "president:KG:2027-01-17 (demo): no such election in this database" in str(outcome)
    assert db.exec(select(sa.func.count()).select_from(Precinct).where(Precinct.kind == "station")).one() == 0


def test_the_cli_says_which_row_it_refused_and_exits_2(tmp_path, monkeypatch, capsys):
    folder = _copy(tmp_path, districts=lambda data: _stations(data)[0].update(territory="ATLANTIS"))
    real = reference.import_reference
    monkeypatch.setattr(reference, "import_reference", lambda session: real(session, folder))
    assert cli.main(["import-reference"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reference data refused, nothing imported: districts.json president:KG:2027-01-17 (demo), "
                          "precincts row 1 (УИК №2001): unknown region 'ATLANTIS'")
