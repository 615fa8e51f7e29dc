"""Time-based one-time passwords (RFC 6238, 30 s steps, 6 digits) and recovery codes for staff.

Secrets are encrypted at rest with a key derived from SECRET_KEY (changing SECRET_KEY means every
account enrols again: `cli reset-totp`); recovery codes are kept as keyed hashes only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from remote_vote_app.settings import settings

ISSUER = "CEC KR remote voting"
STEP_SECONDS = 30
# The current step, or the one before it (a code typed as its step ends): at most 60 s, never a
# step ahead. With the counter rule (a step must be newer than the last one used) a code works once.
STEPS_BACK = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
_CODE = re.compile(r"^\d{6}$")


def _derived(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(settings.secret_key.encode())


_fernet = Fernet(base64.urlsafe_b64encode(_derived(b"remote-vote staff totp secret")))
_recovery_key = _derived(b"remote-vote staff recovery code")
_enrolment_key = _derived(b"remote-vote staff enrolment code")


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def encrypt(secret: str) -> str:
    return _fernet.encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str | None:
    try:
        return _fernet.decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None  # written under another SECRET_KEY: the account must enrol again


@dataclass(frozen=True)
class Enrolment:
    """What the staff member copies into the authenticator app (shown once)."""

    secret: str
    uri: str  # shown as a QR code, drawn in the browser


def enrolment(secret: str, username: str) -> Enrolment:
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(grouped(secret), uri)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def looks_like_totp(code: str) -> bool:
    return bool(_CODE.match(normalize_code(code)))


def matching_counter(secret: str, code: str, last_counter: int | None, at: float | None = None) -> int | None:
    """The time step this code belongs to (the current one or the one before), if it is right and
    newer than the last one used."""
    code = normalize_code(code)
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((time.time() if at is None else at) // STEP_SECONDS)
    for counter in range(current, current - STEPS_BACK - 1, -1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter if last_counter is None or counter > last_counter else None
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of ten characters (about 50 bits each), shown as XXXXX-XXXXX."""
    raw = ("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES))
    return [f"{c[:5]}-{c[5:]}" for c in raw]


def recovery_hash(staff_id: int, code: str) -> str:
    return hmac.new(_recovery_key, f"{staff_id}|{normalize_code(code)}".encode(), hashlib.sha256).hexdigest()


def new_enrolment_code() -> str:
    """A one-time enrolment code from the admin: 12 characters (about 60 bits), shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def enrolment_code_hash(staff_id: int, code: str) -> str:
    return hmac.new(_enrolment_key, f"{staff_id}|{normalize_code(code)}".encode(), hashlib.sha256).hexdigest()
