"""The voter register's address in each language: the seed's forms, the migration that split the
column, and the look-ups that give each page its own language."""

import datetime as dt
import random
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from remote_vote_app import cli
from remote_vote_app.db import get_engine
from remote_vote_app.i18n import localized
from remote_vote_app.models import Precinct
from remote_vote_app.services.applications import exclusions
from remote_vote_app.services.reference import register
from remote_vote_app.services.reporting import staff_records
from remote_vote_app.demo.seed import _address
from tests.unit.conftest import demo_election
from tests.unit.test_staff import OPEN, _apply, _login

CITY = SimpleNamespace(kind="city", code="OSH", name_ru="Ош", name_ky="Ош", name_en="Osh")
AIMAK = SimpleNamespace(kind="aiyl_aimak", code="TEPKE", name_ru="Тепкинский айыл аймак", name_ky="Тепке айыл аймагы",
                        name_en="Tepke aiyl aimak")


class _Draws(random.Random):
    """Hands out the street and numbers a test asks for, in the order the seed draws them."""

    def __init__(self, street: str, *numbers: int) -> None:
        super().__init__(0)
        self._street, self._numbers = street, list(numbers)

    def choice(self, seq):
        return self._street

    def randrange(self, *args):
        return self._numbers.pop(0)


def test_city_address_in_each_languages_own_form():
    assert _address(_Draws("Айтматова", 255, 41), CITY) == {
        "address_ru": "г. Ош, ул. Айтматова, 255, кв. 41",
        "address_ky": "Ош ш., Айтматов көч., 255, 41-батир",
        "address_en": "255 Aitmatov St, Apt 41, Osh",
    }


def test_village_address_names_the_village_in_the_nominative():
    assert _address(_Draws("Ленина", 12), AIMAK) == {
        "address_ru": "Тепкинский айыл аймак, с. Тепке, ул. Ленина, 12",
        "address_ky": "Тепке айыл аймагы, Тепке айылы, Ленин көч., 12",
        "address_en": "12 Lenin St, Tepke village, Tepke aiyl aimak",
    }


def test_the_seeded_register_has_all_three_forms(session, demo_voters):
    osh = demo_voters[1]  # Токтогулов, Ош
    assert localized(osh, "address", "ru").startswith("г. Ош, ул. ")
    ky = localized(osh, "address", "ky")
    assert ky.startswith("Ош ш., ") and " көч., " in ky and ky.endswith("-батир") and "ул." not in ky
    en = localized(osh, "address", "en")
    assert en.endswith(", Osh") and " St, Apt " in en and not any("а" <= c.lower() <= "я" for c in en)


def test_register_profile_gives_the_address_of_every_language(session, demo_voters):
    voter = demo_voters[1]
    profile = register.profile(session, voter.id)
    assert profile.address == {lang: localized(voter, "address", lang) for lang in ("ky", "ru", "en")}
    assert profile.address["ky"] != profile.address["ru"] != profile.address["en"]
    # The home precinct's code too: "УИК №1004" is "№1004 УШК" in Kyrgyz and has no Cyrillic in English.
    assert profile.home_precinct["ru"].startswith("УИК №") and profile.home_precinct["ky"].endswith(" УШК")
    assert not any("\u0400" <= c <= "\u04ff" for c in profile.home_precinct["en"])


def test_staff_pages_show_the_address_in_the_staff_page_language(session, sender, demo_voters):
    voter = demo_voters[0]  # Асанова, Бишкек: home precinct УИК №1001
    application = _apply(session, sender, voter, number="ДГ-05")
    admin, member, home = _login(session, "cec.admin"), _login(session, "uik.dg05"), _login(session, "uik.1001")
    remote = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
    home_precinct = session.exec(select(Precinct).where(Precinct.number == "УИК №1001")).one()
    for lang in ("ky", "ru", "en"):
        address = localized(voter, "address", lang)
        assert staff_records.detail(session, admin, application.reference, lang)["home"].endswith(address)
        rows = staff_records.voter_list(session, member, remote.id, None, now=OPEN, lang=lang)["rows"]
        assert [r["home_address"] for r in rows] == [address]
        rows = exclusions.exclusion_list(session, home, demo_election(session, voter).id, home_precinct.id, now=OPEN,
                                         lang=lang)["rows"]
        assert [r["home_address"] for r in rows] == [address]


# --- the migration ---


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the suite's kind: a SQLite file, or a new database on the suite's PostgreSQL."""
    url = get_engine().url
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    name = f"rv_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        from remote_vote_app import db

        engine = db._engines.pop(url.set(database=name).render_as_string(hide_password=False), None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_migration_splits_the_address_and_backfills_existing_voters(scratch_url):
    cli.migrate(scratch_url, revision="e7b2c4d1a9f0")  # the register before the address had languages
    engine = get_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO territory (id, kind, code, name_ru, name_ky, name_en) "
                             "VALUES (1, 'city', 'OSH', 'Ош', 'Ош', 'Osh')"))
        conn.execute(sa.text(
            "INSERT INTO precinct (id, kind, number, territory_id, city_ru, city_ky, city_en, district_ru, district_ky,"
            " district_en, place_ru, place_ky, place_en, address_ru, address_ky, address_en, location_precision, active)"
            " VALUES (1, 'home', 'УИК №1', 1, 'Ош', 'Ош', 'Osh', '', '', '', 'Школа', 'Мектеп', 'School',"
            " 'ул. Ленина, 1', 'Ленин көч., 1', '1 Lenin St', 'approximate', :yes)"), {"yes": True})
        for index, address in enumerate(("г. Ош, ул. Айтматова, 255, кв. 41", "г. Ош, ул. Ленина, 3"), 1):
            conn.execute(sa.text(
                "INSERT INTO voter (id, pin, document_number, last_name, first_name, patronymic, birth_date, address,"
                " territory_id, home_precinct_id, phone) VALUES (:id, :pin, :doc, 'Асанов', 'Улан', '', :born, :address,"
                " 1, 1, '+996700000000')"),
                {"id": index, "pin": f"2010119900000{index}", "doc": f"ID000000{index}", "born": dt.date(1990, 1, 1),
                 "address": address})
    cli.migrate(scratch_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT address_ru, address_ky, address_en FROM voter ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("г. Ош, ул. Айтматова, 255, кв. 41",) * 3, ("г. Ош, ул. Ленина, 3",) * 3]
    # A row added afterwards without a translation gets the empty default, which localized() reads as Russian.
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO voter (id, pin, document_number, last_name, first_name, patronymic, birth_date, address_ru,"
            " territory_id, home_precinct_id, phone) VALUES (3, '20101199000003', 'ID0000003', 'Асанов', 'Улан', '',"
            " :born, 'г. Ош, ул. Манаса, 7', 1, 1, '+996700000000')"), {"born": dt.date(1990, 1, 1)})
        row = conn.execute(sa.text("SELECT address_ru, address_ky, address_en FROM voter WHERE id = 3")).mappings().one()
    assert localized(dict(row), "address", "ky") == "г. Ош, ул. Манаса, 7"
    engine.dispose()
