import datetime as dt

import pytest

from remote_vote_app.errors import ServiceError
from remote_vote_app.services.validation import (
    mask_document, mask_phone, mask_pin, normalize_document, normalize_email, normalize_phone, normalize_pin,
    pin_birth_date,
)


def _code(fn, *args):
    with pytest.raises(ServiceError) as info:
        fn(*args)
    return info.value.code


def test_pin_accepts_valid_and_strips_spaces():
    assert normalize_pin(" 1150 3199 0001 23 ") == "11503199000123"
    assert pin_birth_date("11503199000123") == dt.date(1990, 3, 15)


@pytest.mark.parametrize("raw, code", [
    ("", "error.pin_required"),
    ("3150319900012", "error.pin_format"),       # 13 digits
    ("31503199000123", "error.pin_format"),      # first digit must be 1 or 2
    ("1150319900012a", "error.pin_format"),
    ("13102199000123", "error.pin_date"),        # 31.02.1990 does not exist
    ("10101203000123", "error.pin_date"),        # born in 2030: in the future
    ("10101180000123", "error.pin_date"),        # 1800
])
def test_pin_rejects(raw, code):
    assert _code(normalize_pin, raw, dt.date(2026, 11, 25)) == code


def test_pin_leap_day():
    assert normalize_pin("22902200000001", dt.date(2026, 1, 1)) == "22902200000001"
    assert _code(normalize_pin, "22902200100001", dt.date(2026, 1, 1)) == "error.pin_date"


@pytest.mark.parametrize("raw, expected", [("id1234567", "ID1234567"), ("AN 123-4567", "AN1234567")])
def test_document_normalized(raw, expected):
    assert normalize_document(raw) == expected


@pytest.mark.parametrize("raw, code", [("", "error.document_required"), ("ID123456", "error.document_format"),
                                       ("1D1234567", "error.document_format"), ("ИД1234567", "error.document_format")])
def test_document_rejects(raw, code):
    assert _code(normalize_document, raw) == code


@pytest.mark.parametrize("raw", ["+996 700 123 456", "0700123456", "996700123456", "+996 (555) 23-45-67"])
def test_phone_valid_kyrgyz(raw):
    assert normalize_phone(raw).startswith("+996") and len(normalize_phone(raw)) == 13


@pytest.mark.parametrize("raw, code", [("", "error.phone_required"), ("+7 701 123 45 67", "error.phone_format"),
                                       ("+996 12", "error.phone_format"), ("hello", "error.phone_format")])
def test_phone_rejects(raw, code):
    assert _code(normalize_phone, raw) == code


def test_email():
    assert normalize_email(" Voter@Example.KG ") == "Voter@example.kg"
    assert _code(normalize_email, "") == "error.email_required"
    assert _code(normalize_email, "voter@") == "error.email_format"
    assert _code(normalize_email, "no spaces@example.kg") == "error.email_format"


def test_masks_hide_most_digits():
    assert mask_phone("+996700123456") == "+996 *** *** 456"
    assert mask_pin("11503199000123") == "**************"  # no digit: the birth date is shown beside it
    assert mask_document("ID1234567") == "ID*****67"
