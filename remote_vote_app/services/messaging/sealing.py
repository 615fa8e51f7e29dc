"""Authenticated encryption (AES-GCM) of short secrets kept in the database for a while, such
as a login code waiting in the outbox; the key is derived from SECRET_KEY."""

from __future__ import annotations

import base64
import functools
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from remote_vote_app.settings import settings


def _aead(purpose: str) -> AESGCM:
    return _derived_aead(settings.secret_key, purpose)


@functools.lru_cache(maxsize=8)
def _derived_aead(secret: str, purpose: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret.encode())
    return AESGCM(key)


def seal(text: str, purpose: str) -> str:
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + _aead(purpose).encrypt(nonce, text.encode(), None)).decode()


def unseal(token: str, purpose: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return _aead(purpose).decrypt(raw[:12], raw[12:], None).decode()
