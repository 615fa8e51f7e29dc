"""CSV for people who open it in a spreadsheet: every export in the service is written here.

A cell that starts with `= + - @`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (`=HYPERLINK(...)` sends a click to any site, DDE runs programs), so such
a text cell gets a leading `'`, as OWASP's "CSV Injection" advice says. Numbers are left alone: a
negative coordinate is data, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

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
