"""The signed voter pass: a compact JWS (RFC 7515, EdDSA over Ed25519 as in RFC 8037) shown as a QR code.

Claims: `ref` (application reference), `election` (election id), `precinct` (the remote precinct's
number), `v` (the application's version) and `iat`. A change or a withdrawal raises the
application's version (its optimistic lock), so a pass printed before it carries an older `v`
and is recognisably stale: the check-in page compares `v` with the roster, the server with the
database.

The same key signs a remote precinct's check-in roster (`typ` "rv-roster", the pass is "rv-pass"),
so the roster kept in a commission's browser for offline use cannot be edited there unnoticed.

Keys: `python -m remote_vote_app.cli pass-keygen` prints a new private key; it goes into
`PASS_SIGNING_KEY` (JWK JSON or PEM). Outside demo mode the app refuses to start without it
(`check_configured`); demo mode derives a fixed key from SECRET_KEY, which is not secret in a demo.
The public key (JWK with `kid`, the RFC 7638 thumbprint) is published at /api/pass-key.

RFC 9864 has since named the fully specified algorithm "Ed25519" and deprecated the polymorphic
"EdDSA"; the pass keeps "EdDSA" (what RFC 8037 verifiers, and this project's browser code, expect),
so joserfc's deprecation warning is silenced here, for this algorithm only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from remote_vote_app.errors import ServiceError
from remote_vote_app.settings import settings

ALG = "EdDSA"
PASS_TYPE = "rv-pass"
ROSTER_TYPE = "rv-roster"
CLAIMS = ("ref", "election", "precinct", "v", "iat")


class PassError(ServiceError):
    """A token that is not a valid pass (bad signature, another key, not a pass, missing claims)."""


def generate_private_jwk() -> str:
    """A new Ed25519 private key as JWK JSON, with its `kid`, for PASS_SIGNING_KEY."""
    key = OKPKey.generate_key("Ed25519")
    return json.dumps({**key.as_dict(private=True), "kid": key.thumbprint()})


def _demo_key(secret: str) -> OKPKey:
    seed = hashlib.sha256(b"remote-vote demo pass key:" + secret.encode()).digest()
    return OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(seed))


def _load(raw: str) -> OKPKey:
    data: dict | str | bytes = json.loads(raw) if raw.lstrip().startswith("{") else raw.encode()
    key = OKPKey.import_key(data)
    if key.as_dict(private=False).get("crv") != "Ed25519" or not key.is_private:
        raise RuntimeError("PASS_SIGNING_KEY must be an Ed25519 private key (run `cli pass-keygen`)")
    return key


def signing_key() -> OKPKey:
    return _signing_key(settings.pass_signing_key, settings.demo_mode, settings.secret_key)


@lru_cache(maxsize=4)
def _signing_key(configured: str, demo_mode: bool, secret: str) -> OKPKey:
    if configured:
        return _load(configured)
    if not demo_mode:
        raise RuntimeError("PASS_SIGNING_KEY must be set when DEMO_MODE is off (python -m remote_vote_app.cli pass-keygen)")
    return _demo_key(secret)


def is_demo_key() -> bool:
    return not settings.pass_signing_key


def check_configured() -> None:
    """Called when the app starts: outside demo mode a missing or broken key stops it there; in
    demo mode the log says the key is the fixed demo one."""
    signing_key()
    if is_demo_key():
        logging.getLogger(__name__).warning(
            "voter passes are signed with the DEMO key derived from SECRET_KEY (demo mode); set PASS_SIGNING_KEY "
            "(python -m remote_vote_app.cli pass-keygen) for a real election")


def key_id() -> str:
    return signing_key().thumbprint()


def public_jwk() -> dict[str, str]:
    """The verification key as published: kty, crv, x, plus kid, alg and use."""
    return {**signing_key().as_dict(private=False), "kid": key_id(), "alg": ALG, "use": "sig"}


def _sign(payload: dict, typ: str) -> str:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        return jws.serialize_compact({"alg": ALG, "kid": key_id(), "typ": typ}, body, signing_key(), algorithms=[ALG])


def _open(token: str, typ: str, key: OKPKey | None = None) -> dict:
    key = key or signing_key()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="EdDSA is deprecated")
            found = jws.deserialize_compact(str(token or "").strip(), key, algorithms=[ALG])
        headers = found.headers()
        if headers.get("typ") != typ or headers.get("kid") != key.thumbprint():
            raise PassError("error.pass_invalid")
        data = json.loads(found.payload)
    except (JoseError, ValueError, TypeError):
        raise PassError("error.pass_invalid") from None
    if not isinstance(data, dict):
        raise PassError("error.pass_invalid")
    return data


def issue(reference: str, election_id: int, precinct_number: str, version: int, issued_at: int | None = None) -> str:
    return _sign({"ref": reference, "election": election_id, "precinct": precinct_number, "v": version,
                  "iat": int(time.time()) if issued_at is None else issued_at}, PASS_TYPE)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def verify(token: str, key: OKPKey | None = None) -> dict:
    """The claims of a genuine pass signed by this installation's key (or `key`, a public key, for the
    shared test vectors); PassError otherwise. components/pass_verify.js is its twin at the desk."""
    claims = _open(token, PASS_TYPE, key)
    if any(name not in claims for name in CLAIMS) or not _integer(claims["v"]) or not _integer(claims["election"]):
        raise PassError("error.pass_invalid")
    return claims


def require_current(claims: dict, current_version: int, active: bool = True) -> None:
    """A genuine pass whose application has changed or been withdrawn since it was issued is stale."""
    if not active or claims["v"] != current_version:
        raise PassError("error.pass_stale")


def sign_document(payload: dict, typ: str = ROSTER_TYPE) -> str:
    return _sign(payload, typ)


def open_document(token: str, typ: str = ROSTER_TYPE) -> dict:
    return _open(token, typ)


def for_application(reference: str, election_id: int, precinct_number: str, version: int) -> dict[str, str]:
    """What the voter's pages show: the token (the browser draws its QR code)."""
    return {"pass_token": issue(reference, election_id, precinct_number, version)}
