"""Identifiers of Kyrgyzstan: PIN, ID card / passport number, phone (+996) and e-mail."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from remote_vote_app.services.clock import SERVICE_ZONE, local_date
from remote_vote_app.errors import ServiceError

_PIN_RE = re.compile(r"^[12]\d{13}$")
_DOC_RE = re.compile(r"^[A-Z]{2}\d{7}$")


def pin_birth_date(pin: str) -> dt.date | None:
    """The birth date inside a PIN (digits 2-9, DDMMYYYY), or None if it is not a real date."""
    try:
        return dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3]))
    except ValueError:
        return None


def normalize_pin(raw: str, today: dt.date | None = None) -> str:
    pin = re.sub(r"\s+", "", raw or "")
    if not pin:
        raise ServiceError("error.pin_required", field="pin")
    if not _PIN_RE.match(pin):
        raise ServiceError("error.pin_format", field="pin")
    born = pin_birth_date(pin)
    today = today or local_date(tz=SERVICE_ZONE)  # a PIN's birth date is checked apart from any election
    if born is None or born > today or born.year < 1900:
        raise ServiceError("error.pin_date", field="pin")
    return pin


def parse_id(value: object) -> int | None:
    """A database id from a form value, or None for anything that is not a small positive integer."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def parse_date(value: object) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) from a form value, or None for anything else."""
    try:
        return dt.date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None


def normalize_document(raw: str) -> str:
    doc = re.sub(r"[\s\-]+", "", raw or "").upper()
    if not doc:
        raise ServiceError("error.document_required", field="document")
    if not _DOC_RE.match(doc):
        raise ServiceError("error.document_format", field="document")
    return doc


def normalize_phone(raw: str) -> str:
    """E.164 form of a Kyrgyz phone number."""
    text = (raw or "").strip()
    if not text:
        raise ServiceError("error.phone_required", field="phone")
    try:
        number = phonenumbers.parse(text, "KG")
    except phonenumbers.NumberParseException:
        raise ServiceError("error.phone_format", field="phone") from None
    if number.country_code != 996 or not phonenumbers.is_valid_number(number):
        raise ServiceError("error.phone_format", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise ServiceError("error.email_required", field="email")
    try:
        # No DNS look-up: it would make the form depend on the network.
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ServiceError("error.email_format", field="email") from None


def mask_phone(phone: str) -> str:
    """+996 *** *** 456: enough for the voter to recognise their number."""
    digits = re.sub(r"\D", "", phone)
    return f"+996 *** *** {digits[-3:]}" if len(digits) >= 3 else "***"


def mask_pin(pin: str) -> str:
    """No digit at all: a Kyrgyz PIN is the sex digit, the birth date and five serial digits, and
    the birth date is shown beside it (staff views, exports, the voter's own pages), so every shown
    digit would cut the guesses left to find the PIN by ten."""
    return "*" * len(pin)


def mask_document(doc: str) -> str:
    return doc[:2] + "*****" + doc[-2:] if len(doc) == 9 else "*" * len(doc)
