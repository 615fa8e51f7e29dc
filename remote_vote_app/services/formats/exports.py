"""CSV and XLSX for people who open them in a spreadsheet: every export in the service is written here.

A cell that starts with `= + - @`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (`=HYPERLINK(...)` sends a click to any site, DDE runs programs), so such
a text cell gets a leading `'`, as OWASP's "CSV Injection" advice says. Numbers are left alone: a
negative coordinate is data, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]], *, bom: bool = False, delimiter: str = ",") -> str:
    """Rows as CSV with CRLF line ends; `bom` for files meant for Excel (it then reads UTF-8 Cyrillic);
    `delimiter=";"` for spreadsheets in locales whose decimal separator is the comma (ru, ky), which
    split a file on `;` when it is opened by double-click."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return ("\ufeff" if bom else "") + out.getvalue()


def excel_csv(rows: Iterable[Sequence[object]]) -> str:
    """CSV as Russian- and Kyrgyz-locale Excel opens it by double-click: UTF-8 with BOM, `;` between
    cells, CRLF; the caller puts the header on the first line (so filters and sorting work)."""
    return csv_text(rows, bom=True, delimiter=";")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "Sheet1",
               text_columns: Sequence[int] = (), title: Sequence[str] = ()) -> bytes:
    """One sheet: `title` lines first (what the list is, as of when, preliminary or final: a printed
    sheet must say it), then the header in bold, frozen, with a filter; every text cell stored as
    text (a leading `=` stays a string, never a formula); `text_columns` (0-based, e.g. PINs)
    formatted as text so a spreadsheet does not turn 14 digits into 2.14E+13."""
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for line in title:
        ws.append([safe_cell(line)])
        ws.cell(row=ws.max_row, column=1).font = ws.cell(row=ws.max_row, column=1).font.copy(bold=True)
    top = len(title) + 1  # the header's row
    ws.append(list(header))
    for cell in ws[top]:
        cell.font = cell.font.copy(bold=True)
    widths = [len(str(h)) for h in header]
    count = top
    for count, row in enumerate(rows, start=top + 1):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=count, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would read '=...' as a formula
            if col - 1 in text_columns:
                cell.number_format = "@"
            if col <= len(widths):
                widths[col - 1] = max(widths[col - 1], len(str(value or "")))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(60, width + 2)
    ws.freeze_panes = f"A{top + 1}"
    if header:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{count}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
