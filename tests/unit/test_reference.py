"""Reference data import: idempotent, versioned, keeps staff-placed points; a production database
from nothing; the demo seed on 29 February."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest
from sqlmodel import Session, SQLModel, create_engine, func, select

from remote_vote_app.models import AuditEvent, Election, Precinct, Territory, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.reference import precincts, reference
from remote_vote_app.services.clock import years_before
from remote_vote_app.demo.seed import seed
from remote_vote_app.services.validation import normalize_pin
from remote_vote_app.settings import ROOT


@pytest.fixture
def empty(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ref.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _rows(session):
    return [tuple(sorted(row.model_dump().items())) for model in (Territory, Precinct, Election)
            for row in session.exec(select(model).order_by(model.id))]


def _audit_count(session):
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _data_copy(tmp_path, change):
    """The shipped files in a temporary folder, precincts.json edited by `change(data)`."""
    folder = tmp_path / "reference"
    shutil.copytree(reference.DATA_DIR, folder)
    path = folder / "precincts.json"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return folder


def _precinct(session, number):
    return session.exec(select(Precinct).where(Precinct.number == number)).one()


def test_import_twice_gives_the_same_rows(empty):
    first = reference.import_reference(empty)
    empty.commit()
    assert (len(first["territories"].created), len(first["precincts"].created)) == (25, 10)  # 24 and the country (national elections)
    assert len(first["elections"].created) == 17
    rows, events = _rows(empty), _audit_count(empty)
    second = reference.import_reference(empty)
    empty.commit()
    assert all(not o.created and not o.updated for o in second.values())
    assert _rows(empty) == rows and _audit_count(empty) == events
    frunze = _precinct(empty, "ДГ-01")
    assert (frunze.address_ru, frunze.location_precision) == ("ул. Фрунзе, 547", "approximate")
    days = {(e.election_day, e.application_deadline) for e in empty.exec(select(Election))}
    assert days == {(dt.date(2024, 11, 17), dt.date(2024, 11, 1))}


def test_new_version_updates_address_audited_but_keeps_staff_point_and_same_version_keeps_staff_text(empty, tmp_path):
    reference.import_reference(empty)
    moved = precincts.move_point(empty, _precinct(empty, "ДГ-05").id, 40.53, 72.80, actor="staff:1")
    precincts.save_remote(empty, _precinct(empty, "ДГ-02").id,
                          {**_precinct(empty, "ДГ-02").model_dump(), "place_en": "Taberik hall"}, actor="staff:1")
    # The same files again: the staff correction stays.
    reference.import_reference(empty)
    assert _precinct(empty, "ДГ-02").place_en == "Taberik hall"

    def bump(data):
        data["version"] = 2
        for item in data["precincts"]:
            if item["number"] in ("ДГ-01", "ДГ-05"):
                item["address"]["ru"] += "А"
                item["location"].update(lat=item["location"]["lat"] + 0.01, precision="exact")

    outcome = reference.import_reference(empty, _data_copy(tmp_path, bump))["precincts"]
    empty.commit()
    assert (outcome.previous, outcome.version) == (1, 2) and "ДГ-01" in outcome.updated
    frunze, osh = _precinct(empty, "ДГ-01"), _precinct(empty, "ДГ-05")
    assert frunze.address_ru == "ул. Фрунзе, 547А" and frunze.location_precision == "exact"
    assert osh.address_ru == "ул. Масалиева, 37А"
    assert (osh.latitude, osh.longitude, osh.location_precision) == (moved.latitude, moved.longitude, "exact") == (40.53, 72.8, "exact")
    edit = [e for e in audit.history(empty, "precinct", "ДГ-01") if e.action == "precinct.edited"][-1]
    assert edit.actor == "system:import-reference" and "address_ru" in json.loads(edit.details)["fields"]
    assert reference.imported_version(empty, "precincts") == 2


def test_a_database_filled_before_the_import_keeps_its_rows(empty):
    territory = Territory(kind="city", code="BISHKEK", name_ru="Бишкек", name_ky="Бишкек", name_en="Bishkek (edited)")
    empty.add(territory)
    empty.flush()
    empty.add(Precinct(kind="remote", number="ДГ-01", territory_id=territory.id, place_ru="КГНУ", place_ky="КУУ",
                       place_en="KNU", address_ru="Фрунзе, 547", address_ky="-", address_en="-"))
    outcome = reference.import_reference(empty)
    assert "ДГ-01" not in outcome["precincts"].created and len(outcome["precincts"].created) == 9
    assert _precinct(empty, "ДГ-01").place_ru == "КГНУ" and not outcome["territories"].updated
    assert reference.imported_version(empty, "precincts") == 1


def test_bad_precision_is_refused(tmp_path):
    folder = _data_copy(tmp_path, lambda data: data["precincts"][0]["location"].update(precision="roughly"))
    with pytest.raises(ValueError, match="precision"):
        reference.load(folder)


def _cli(env, *args, stdin=""):
    return subprocess.run([sys.executable, "-m", "remote_vote_app.cli", *args], input=stdin, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_database_from_nothing_without_demo_mode(tmp_path):
    env = {**os.environ, "DEMO_MODE": "0", "SECRET_KEY": "x" * 32, "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'prod.db'}"}
    assert _cli(env, "seed").returncode == 2  # demo data stay refused
    for _ in range(2):
        result = _cli(env, "migrate")
        assert result.returncode == 0, result.stderr
        result = _cli(env, "import-reference")
        assert result.returncode == 0, result.stderr
    assert "precincts: version 1: 0 created, 0 updated" in result.stdout
    result = _cli(env, "create-staff", "--username", "tec.bishkek", "--full-name", "ТИК Бишкек", "--role",
                  "tec_operator", "--territory", "BISHKEK", "--password-stdin", "--enrol-at-login",
                  stdin="a-long-enough-password\n")
    assert result.returncode == 0, result.stderr
    assert "created tec.bishkek (tec_operator)" in result.stdout


def test_years_before_on_29_february():
    assert years_before(dt.date(2028, 2, 29), 18) == dt.date(2010, 2, 28)
    assert years_before(dt.date(2028, 2, 29), 4) == dt.date(2024, 2, 29)
    assert years_before(dt.date(2026, 11, 25), 18) == dt.date(2008, 11, 25)


def test_demo_seed_on_29_february_builds_on_the_reference_data(empty):
    today = dt.date(2028, 2, 29)
    seed(empty, today=today, voters=200)
    empty.commit()
    voters = empty.exec(select(Voter)).all()
    assert len(voters) == 200
    assert all(v.birth_date < dt.date(2010, 2, 28) for v in voters)
    assert all(normalize_pin(v.pin, today) == v.pin for v in voters)
    assert empty.exec(select(func.count()).select_from(Precinct).where(Precinct.kind == "remote")).one() == 10
    demo = empty.exec(select(Election).where(Election.is_demo == True, Election.mode == "application")).all()  # noqa: E712
    assert demo and all(e.election_day == today + dt.timedelta(days=30) for e in demo)
