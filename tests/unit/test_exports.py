"""CSV formula injection (OWASP "CSV Injection"): a text cell a spreadsheet would run is escaped."""

import csv
import io
import pathlib

import pytest
from sqlmodel import select

from remote_vote_app.models import Precinct
from remote_vote_app.services.formats import exports
from remote_vote_app.services.reference import precincts
from remote_vote_app.services.reporting import staff_records

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
    cells = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1]
    assert cells[1] == "'" + EVIL and cells[4] == "'@cmd" and cells[6] == "'-x" and cells[0] == "ACDE-FHJK"


def test_every_csv_writer_goes_through_the_shared_helper():
    package = pathlib.Path(exports.__file__).resolve().parents[2]
    writers = [str(p.relative_to(package)) for p in package.rglob("*.py")
               if "import csv" in p.read_text(encoding="utf-8") or "csv.writer" in p.read_text(encoding="utf-8")]
    assert writers == ["services/formats/exports.py"]


LIST_ROW = {"reference": "ACDE-FHJK", "full_name": "Асанов Бакыт", "pin": "21412199500678", "birth_date": "14.12.1995",
            "home_address": "ул. Фрунзе, 1; кв. 2", "home_territory": "Ош", "election": EVIL}


def test_voter_list_csv_opens_as_russian_excel_opens_it():
    """Excel (ru-RU) on a double-click: UTF-8 only with a BOM, `;` between cells, the header on line 1."""
    raw = staff_records.voter_list_csv({"preliminary": True, "rows": [LIST_ROW]}).encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert csv.Sniffer().sniff(text.splitlines()[0]).delimiter == ";"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == staff_records.list_header("ru") and rows[0][:3] == ["Номер заявления", "ФИО", "ПИН"]
    assert rows[0][-1] == "Статус списка"
    assert rows[1][4] == "ул. Фрунзе, 1; кв. 2"  # a `;` inside a cell is quoted, not a new column
    assert rows[1][6] == "'" + EVIL and rows[1][-1] == "предварительный"
    assert staff_records.voter_list_filename({"precinct_number": "ДГ-05", "preliminary": True}, "csv") == \
        "voters-ДГ-05-preliminary.csv"


LIST_DATA = {"preliminary": False, "precinct_number": "ДГ-05", "rows": [LIST_ROW],
             "precinct": "ДГ-05 — Средняя школа им. А. Навои", "elections": ["Выборы депутатов городского кенеша г. Ош"],
             "as_of": "07.12.2026 18:30"}


def _sheet(data: dict, lang: str):
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(staff_records.voter_list_xlsx(data, lang))).active
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def test_voter_list_xlsx_has_a_title_a_signature_column_and_no_formulas():
    sheet, rows = _sheet(LIST_DATA, "ru")
    # Title: which precinct, which election, as of when, final or preliminary (a printed sheet says it).
    assert rows[0][0] == "Список избирателей участка дистанционного голосования ДГ-05 — Средняя школа им. А. Навои"
    assert rows[1][0] == "Выборы: Выборы депутатов городского кенеша г. Ош"
    assert rows[2][0] == "По состоянию на 07.12.2026 18:30 (время Бишкека)"
    assert rows[3][0].startswith("ОКОНЧАТЕЛЬНЫЙ СПИСОК")
    assert rows[4] == [*staff_records.list_header("ru"), "Подпись избирателя"]
    assert rows[5][2] == "21412199500678" and sheet["C6"].data_type == "s"  # a PIN stays text
    assert rows[5][6] == EVIL and sheet["G6"].data_type == "s"  # text, never a formula
    assert rows[5][-2] == "окончательный" and rows[5][-1] in ("", None)  # the signature cell is left to sign
    assert sheet.freeze_panes == "A6" and sheet.auto_filter.ref == "A5:I6"


# What a member reads in each language: the header of every column, the list's status on each row,
# and the title lines, none of them left in Russian.
LIST_HEADERS = {
    "ky": ["Арыздын номери", "Аты-жөнү", "ЖИН", "Туулган күнү", "Туруктуу дареги", "Аймак", "Шайлоо", "Тизменин абалы",
           "Шайлоочунун колу"],
    "ru": ["Номер заявления", "ФИО", "ПИН", "Дата рождения", "Адрес регистрации", "Территория", "Выборы", "Статус списка",
           "Подпись избирателя"],
    "en": ["Application number", "Full name", "PIN", "Date of birth", "Home address", "Territory", "Election", "List status",
           "Voter's signature"],
}
LIST_TITLES = {
    "ky": ("ДГ-05 — Средняя школа им. А. Навои алыстан добуш берүү участогунун шайлоочуларынын тизмеси", "Шайлоо: ",
           "07.12.2026 18:30 абалы боюнча (Бишкек убактысы)", "АЛДЫН АЛА ТИЗМЕ", "алдын ала"),
    "ru": ("Список избирателей участка дистанционного голосования ДГ-05 — Средняя школа им. А. Навои", "Выборы: ",
           "По состоянию на 07.12.2026 18:30 (время Бишкека)", "ПРЕДВАРИТЕЛЬНЫЙ СПИСОК", "предварительный"),
    "en": ("Voter list of remote precinct ДГ-05 — Средняя школа им. А. Навои", "Elections: ",
           "As of 07.12.2026 18:30 (Bishkek time)", "PRELIMINARY LIST", "preliminary"),
}


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_voter_list_xlsx_and_csv_speak_the_members_language(lang):
    _sheet_, rows = _sheet({**LIST_DATA, "preliminary": True}, lang)
    title, elections, as_of, status_line, status = LIST_TITLES[lang]
    assert rows[0][0] == title and rows[1][0].startswith(elections) and rows[2][0] == as_of
    assert rows[3][0].startswith(status_line)
    assert rows[4] == LIST_HEADERS[lang]
    assert rows[5][-2] == status
    text = staff_records.voter_list_csv({"preliminary": True, "rows": [LIST_ROW]}, lang)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    assert lines[0] == LIST_HEADERS[lang][:-1] and lines[1][-1] == status
