"""Login with the national eID / electronic signature, as an OpenID Connect relying party.

Authorization code flow with PKCE (S256), `state` and `nonce`:

1. `begin(config)` gives the provider's authorization URL and a `Pending` the caller keeps server-side
   (never in the browser) until the provider redirects back.
2. `finish(config, pending, callback_params)` checks the callback, exchanges the code (with the PKCE
   verifier and the client secret) and validates the ID token: signature against the provider's JWKS,
   `iss`, `aud`/`azp`, `exp`/`iat`, `nonce`, and `acr` (the login level we asked for: a provider that
   signed the voter in by a weaker means is refused). It returns the voter's PIN from the ID token.

Signature algorithms are those the provider advertises AND we allow (asymmetric only); when the two
share nothing the login is refused (`error.eid_algorithms`), never run with a library default list.

A state can be finished once only. Discovery documents and JWKS are cached per issuer; an unknown
`kid` makes us fetch the JWKS again once (the provider may have rotated its keys).
JOSE is done by `joserfc`; nothing here is hand-written crypto.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from remote_vote_app.services.identity import ratelimit
from remote_vote_app.services.clock import now_utc
from remote_vote_app.errors import ServiceError
from remote_vote_app.settings import Settings, settings

log = logging.getLogger(__name__)

PENDING_TTL = dt.timedelta(minutes=10)  # from begin() to the provider's redirect back
LEEWAY_SECONDS = 60  # clock skew allowed on exp/iat
HTTP_TIMEOUT = httpx.Timeout(10.0)
# Asymmetric algorithms only: never "none", never HS* (a leaked client secret must not mint tokens).
ALLOWED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519")


@dataclass(frozen=True)
class EidConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    pin_claim: str = "pin"
    acr: str = "urn:kg:eid:esignature"
    token_auth_method: str = "client_secret_basic"  # or "client_secret_post"

    @classmethod
    def from_settings(cls, source: Settings | None = None) -> EidConfig:
        """The EID_* settings (validated at start: trimmed, the issuer without a trailing slash)."""
        s = source or settings
        return cls(issuer=s.eid_issuer, client_id=s.eid_client_id, client_secret=s.eid_client_secret,
                   redirect_uri=s.eid_redirect_uri, pin_claim=s.eid_pin_claim, acr=s.eid_acr,
                   token_auth_method=s.eid_token_auth_method)


def available(config: EidConfig) -> bool:
    """False when the eID login is not configured; the UI then says the method is not available."""
    return bool(config.issuer and config.client_id and config.client_secret)


@dataclass(frozen=True)
class Pending:
    """What the server keeps between begin() and finish(). Secret: never send it to the browser."""

    state: str
    nonce: str
    code_verifier: str
    created_at: dt.datetime  # aware UTC
    authorization_url: str = field(default="", compare=False)


class StateStore(Protocol):
    def __contains__(self, state: object) -> bool: ...
    def add(self, state: str) -> None: ...


# --- used states (replay protection) -------------------------------------------------------------

_used_lock = threading.Lock()


def _claim_default(state: str, now: dt.datetime) -> bool:
    """Spent states live in the rate limiter's storage: shared by every worker (Redis in production)."""
    return ratelimit.claim_once("eid-state", state, int(PENDING_TTL.total_seconds()) + 60)


def _claim(state: str, used_states: StateStore | Callable[[str], bool] | None, now: dt.datetime) -> bool:
    """True the first time a state is finished. A callable store must do this atomically itself."""
    if used_states is None:
        return _claim_default(state, now)
    if callable(used_states) and not hasattr(used_states, "add"):
        return bool(used_states(state))
    with _used_lock:
        if state in used_states:
            return False
        used_states.add(state)
        return True


# --- discovery and keys --------------------------------------------------------------------------

_cache_lock = threading.Lock()
CACHE_TTL_SECONDS = 3600  # a rotated key set or moved endpoint is picked up within the hour
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, tuple[float, KeySet]] = {}


def _fresh(entry: tuple[float, Any] | None) -> Any:
    return entry[1] if entry is not None and time.monotonic() - entry[0] < CACHE_TTL_SECONDS else None


def reset_caches() -> None:
    """For tests: forget discovery documents, keys and used states."""
    with _cache_lock:
        _discovery.clear()
        _jwks.clear()


def _client(http: httpx.Client | None) -> httpx.Client:
    return http if http is not None else httpx.Client(timeout=HTTP_TIMEOUT)


def _get_json(http: httpx.Client | None, url: str) -> dict[str, Any]:
    client = _client(http)
    try:
        response = client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ServiceError("error.eid_unavailable") from error
    finally:
        if http is None:
            client.close()
    if not isinstance(data, dict):
        raise ServiceError("error.eid_unavailable")
    return data


def discover(config: EidConfig, http: httpx.Client | None = None) -> dict[str, Any]:
    """The provider's metadata from {issuer}/.well-known/openid-configuration (cached per issuer)."""
    with _cache_lock:
        cached = _fresh(_discovery.get(config.issuer))
    if cached is not None:
        return cached
    meta = _get_json(http, f"{config.issuer}/.well-known/openid-configuration")
    # OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer we asked.
    if meta.get("issuer") != config.issuer or not all(
        isinstance(meta.get(k), str) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
    ):
        raise ServiceError("error.eid_unavailable")
    with _cache_lock:
        _discovery[config.issuer] = (time.monotonic(), meta)
    return meta


def _keys(config: EidConfig, http: httpx.Client | None, refresh: bool = False) -> KeySet:
    with _cache_lock:
        cached = None if refresh else _fresh(_jwks.get(config.issuer))
    if cached is not None:
        return cached
    data = _get_json(http, discover(config, http)["jwks_uri"])
    try:
        keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ServiceError("error.eid_unavailable") from error
    with _cache_lock:
        _jwks[config.issuer] = (time.monotonic(), keys)
    return keys


def _algorithms(config: EidConfig, meta: dict[str, Any]) -> list[str]:
    """The ID token algorithms to accept: offered by the provider and allowed here, never empty
    (joserfc takes an empty list as "its recommended ones", HS256 among them)."""
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]  # RS256 is the spec's default
    algorithms = [a for a in offered if a in ALLOWED_ALGS] if isinstance(offered, list) else []
    if not algorithms:
        log.error("eID provider %s offers no ID token algorithm we accept (offers %r, we accept %s)",
                  config.issuer, offered, ", ".join(ALLOWED_ALGS))
        raise ServiceError("error.eid_algorithms")
    return algorithms


def _has_kid(keys: KeySet, kid: object) -> bool:
    return kid is None or any(k.kid == kid for k in keys.keys)


# --- the flow ------------------------------------------------------------------------------------

def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def begin(config: EidConfig, now: dt.datetime | None = None, http: httpx.Client | None = None) -> Pending:
    """Start a login: `pending.authorization_url` is where to send the browser; keep `pending` server-side."""
    if not available(config):
        raise ServiceError("error.eid_unavailable")
    meta = discover(config, http)
    _algorithms(config, meta)  # refuse before the voter is sent to a provider we could not verify
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    query = urlencode({
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": config.acr,
    })
    endpoint = meta["authorization_endpoint"]
    url = f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
    return Pending(state=state, nonce=nonce, code_verifier=verifier, created_at=now or now_utc(), authorization_url=url)


def exchange_code(config: EidConfig, pending: Pending, code: str, http: httpx.Client | None = None) -> str:
    """The raw ID token for an authorization code (PKCE verifier and client secret sent along)."""
    meta = discover(config, http)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "code_verifier": pending.code_verifier,
    }
    headers = {"Accept": "application/json"}
    if config.token_auth_method == "client_secret_post":
        form |= {"client_id": config.client_id, "client_secret": config.client_secret}
    else:  # client_secret_basic: RFC 6749 2.3.1 form-encodes both parts before Base64
        pair = f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    client = _client(http)
    try:
        response = client.post(meta["token_endpoint"], data=form, headers=headers)
    except httpx.HTTPError as error:
        raise ServiceError("error.eid_unavailable") from error
    finally:
        if http is None:
            client.close()
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise ServiceError("error.eid_token")
    return body["id_token"]


def validate_id_token(
    config: EidConfig, id_token: str, nonce: str, now: dt.datetime | None = None, http: httpx.Client | None = None,
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce are right."""
    algorithms = _algorithms(config, discover(config, http))
    try:
        kid = jws.extract_compact(id_token.encode("ascii")).headers().get("kid")
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise ServiceError("error.eid_token") from error
    keys = _keys(config, http)
    if not _has_kid(keys, kid):
        keys = _keys(config, http, refresh=True)  # the provider may have rotated its keys
    try:
        token = jwt.decode(id_token, keys, algorithms=algorithms)
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise ServiceError("error.eid_token") from error
    claims = token.claims
    at = int((now or now_utc()).timestamp())
    registry = JWTClaimsRegistry(
        now=at,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise ServiceError("error.eid_token") from error
    aud = claims["aud"]
    # OpenID Connect Core 3.1.3.7: with several audiences, azp must be us; if azp is there, it must be us.
    if (isinstance(aud, list) and len(aud) > 1 and "azp" not in claims) or claims.get("azp", config.client_id) != config.client_id:
        raise ServiceError("error.eid_token")
    # An ID token is for this login only: not issued before the login could have started.
    if claims["iat"] < at - int(PENDING_TTL.total_seconds()) - LEEWAY_SECONDS:
        raise ServiceError("error.eid_token")
    if not (isinstance(claims["nonce"], str) and hmac.compare_digest(claims["nonce"].encode(), nonce.encode())):
        raise ServiceError("error.eid_token")
    # We asked for this level (acr_values); a provider may sign in by other means and say so here.
    if claims.get("acr") != config.acr:
        raise ServiceError("error.eid_acr")
    return claims


def finish(
    config: EidConfig,
    pending: Pending | None,
    callback_params: Mapping[str, Any],
    used_states: StateStore | Callable[[str], bool] | None = None,
    now: dt.datetime | None = None,
    http: httpx.Client | None = None,
) -> str:
    """The voter's PIN (the configured claim of the ID token), after the provider redirected back.

    `callback_params` is the query of the redirect. `used_states` remembers finished states: a set-like
    store (`in` and `add`), or a callable that returns True the first time it sees a state (atomically);
    by default an in-memory set of this process.
    """
    if not available(config):
        raise ServiceError("error.eid_unavailable")
    now = now or now_utc()
    params = {k: (v[0] if isinstance(v, (list, tuple)) and v else v) for k, v in callback_params.items()}
    state = params.get("state")
    if pending is None or not isinstance(state, str) or not state:
        raise ServiceError("error.eid_state")
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise ServiceError("error.eid_state")
    if now - pending.created_at > PENDING_TTL or pending.created_at - now > dt.timedelta(seconds=LEEWAY_SECONDS):
        raise ServiceError("error.eid_state")
    # The state is spent from here on, whatever happens next.
    if not _claim(pending.state, used_states, now):
        raise ServiceError("error.eid_state")
    # RFC 9207: when the provider names itself in the response, it must be the one we sent the voter to.
    if "iss" in params and params["iss"] != config.issuer:
        raise ServiceError("error.eid_state")
    if params.get("error"):
        raise ServiceError("error.eid_refused")
    code = params.get("code")
    if not isinstance(code, str) or not code:
        raise ServiceError("error.eid_refused")
    id_token = exchange_code(config, pending, code, http)
    claims = validate_id_token(config, id_token, pending.nonce, now, http)
    pin = claims.get(config.pin_claim)
    if not isinstance(pin, str) or not pin.strip():
        raise ServiceError("error.eid_no_pin")
    return pin.strip()
