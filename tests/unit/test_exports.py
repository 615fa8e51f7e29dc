"""CSV formula injection (OWASP "CSV Injection"): a text cell a spreadsheet would run is escaped."""

import csv
import io
import pathlib

import pytest
from sqlmodel import select

from remote_vote_app.models import Precinct
from remote_vote_app.services import exports, precincts, staff_records

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize("cell", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_cells_a_spreadsheet_would_run_get_a_quote(cell):
    assert exports.safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["ДГ-05", "ул. Фрунзе, 547", "", " =x", 42.87, -1.5, 7, None])
def test_other_cells_and_numbers_are_left_alone(cell):
    assert exports.safe_cell(cell) == cell


def test_precinct_csv_escapes_a_formula_in_the_place(session):
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
    precinct.place_ru = EVIL
    session.add(precinct)
    session.flush()
    try:
        rows = list(csv.DictReader(io.StringIO(precincts.csv_text(session))))
    finally:
        session.rollback()
    row = next(r for r in rows if r["number"] == "ДГ-05")
    assert row["place"] == "'" + EVIL
    assert float(row["latitude"]) > 0  # numbers stay numbers


def test_voter_list_csv_escapes_every_cell():
    row = {"reference": "ACDE-FHJK", "full_name": EVIL, "pin": "21412199500678", "birth_date": "14.12.1995",
           "home_address": "@cmd", "home_territory": "Ош", "election": "-x"}
    text = staff_records.voter_list_csv({"preliminary": False, "rows": [row]})
    cells = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert cells[1] == "'" + EVIL and cells[4] == "'@cmd" and cells[6] == "'-x" and cells[0] == "ACDE-FHJK"


def test_every_csv_writer_goes_through_the_shared_helper():
    package = pathlib.Path(exports.__file__).resolve().parents[1]
    writers = [str(p.relative_to(package)) for p in package.rglob("*.py")
               if "import csv" in p.read_text(encoding="utf-8") or "csv.writer" in p.read_text(encoding="utf-8")]
    assert writers == ["services/exports.py"]
