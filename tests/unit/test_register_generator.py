"""The identification benchmark's synthetic register (benchmarks/register.py), on the unit database."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from benchmarks import register
from remote_vote_app.db import get_engine
from remote_vote_app.services.validation import normalize_document, normalize_pin
from remote_vote_app.settings import settings

SYNTHETIC = "document_number LIKE 'BM%'"


def _synthetic(conn) -> dict[str, tuple[str, int]]:
    return {doc: (pin, precinct) for doc, pin, precinct in conn.execute(
        sa.text(f"SELECT document_number, pin, home_precinct_id FROM voter WHERE {SYNTHETIC}"))}


def test_generated_voters_have_the_pins_the_load_generator_computes_and_the_constraints_come_back():
    engine = get_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            demo_pin = conn.execute(sa.text("SELECT pin FROM voter ORDER BY id LIMIT 1")).scalar_one()
            stations = set(conn.execute(sa.text("SELECT id FROM precinct WHERE kind = 'station'")).scalars())
        register.generate(600, settings.db_url)
        with engine.connect() as conn:
            rows = _synthetic(conn)
        assert len(rows) == 600
        for i in (1, 2, 299, 600):
            pin, document = register.voter(i)
            assert rows[document][0] == pin
            assert normalize_pin(pin) == pin and normalize_document(document) == document
            assert rows[document][1] in stations
        assert len({pin for pin, _ in rows.values()}) == 600

        # A second run over an overlapping range skips the PINs already on the register.
        register.generate(10, settings.db_url, first=595)
        with engine.connect() as conn:
            assert len(_synthetic(conn)) == 604  # 601..604 new
        # The unique PIN and the foreign keys are back after the bulk load.
        first = next(iter(rows.values()))
        for values in ({"pin": demo_pin, "precinct": first[1]}, {"pin": "29999999999999", "precinct": -1}):
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text(
                        "INSERT INTO voter (pin, document_number, last_name, first_name, patronymic, birth_date, "
                        "address_ru, address_ky, address_en, territory_id, home_precinct_id, phone) SELECT :pin, "
                        "'BX0000001', '', '', '', birth_date, '', '', '', territory_id, :precinct, '' FROM voter "
                        "WHERE " + SYNTHETIC + " LIMIT 1"), values)
            except IntegrityError:
                continue
            raise AssertionError(f"inserted {values}")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM voter WHERE {SYNTHETIC} OR document_number = 'BX0000001'"))
