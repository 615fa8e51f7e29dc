"""eID / e-signature login against a real OpenID Connect provider (node `oidc-provider`, tests/oidc).

The browser's part (authorization URL -> login form -> consent -> redirect back) is driven with httpx.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
import time
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from remote_vote_app.services.identity import eid
from tests.support.oidc import running_oidc_provider
from remote_vote_app.errors import ServiceError

REDIRECT_URI = "http://127.0.0.1:3000/eid/callback"
PIN = "11503199000123"  # what tests/oidc/provider.mjs releases for every account but "nopin"


@pytest.fixture(scope="module")
def issuer():
    """A real provider on a free port for this module."""
    with running_oidc_provider(REDIRECT_URI) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_caches():
    eid.reset_caches()
    yield
    eid.reset_caches()


@pytest.fixture
def config(issuer):
    return eid.EidConfig(issuer=issuer, client_id="remote-vote", client_secret="remote-vote-secret",
                         redirect_uri=REDIRECT_URI)


@pytest.fixture
def other_config(issuer):
    """A second relying party registered at the same provider."""
    return eid.EidConfig(issuer=issuer, client_id="other-rp", client_secret="other-rp-secret", redirect_uri=REDIRECT_URI)


def browse(url: str, account: str = "voter", cancel: bool = False) -> dict[str, str]:
    """Act as the voter's browser: sign in on the provider's dev pages, consent, and return the callback query."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(url)
        for _ in range(12):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(REDIRECT_URI):
                    return dict(parse_qsl(urlsplit(target).query))
                response = browser.get(target)
                continue
            assert response.status_code == 200, response.text
            page = response.text
            if cancel:
                abort = re.search(r'href="([^"]*/abort)"', page)
                assert abort, page
                response = browser.get(urljoin(str(response.url), html.unescape(abort.group(1))))
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', page)
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            assert action and prompt, page
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form |= {"login": account, "password": "any"}
            response = browser.post(urljoin(str(response.url), html.unescape(action.group(1))), data=form)
    raise AssertionError("the provider never redirected back")


def error_code(call) -> str:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code


class Rewrite(httpx.BaseTransport):
    """Real HTTP, but lets a test change the provider's answer to one URL path."""

    def __init__(self, path: str, change):
        self.inner, self.path, self.change = httpx.HTTPTransport(), path, change

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != self.path:
            return response
        response.read()
        return httpx.Response(response.status_code, json=self.change(response.json()))


# --- configuration -------------------------------------------------------------------------------

def test_unavailable_when_not_configured(override_settings):
    override_settings(eid_issuer="", eid_client_id="", eid_client_secret="", eid_redirect_uri="")
    empty = eid.EidConfig.from_settings()
    assert not eid.available(empty)
    override_settings(eid_issuer="https://eid.example.kg", eid_client_id="x")
    assert not eid.available(eid.EidConfig.from_settings())
    assert error_code(lambda: eid.begin(empty)) == "error.eid_unavailable"
    override_settings(eid_issuer=" https://eid.example.kg/ ", eid_client_id="rv", eid_client_secret="s",
                      eid_redirect_uri="https://vote.example.kg/eid")
    full = eid.EidConfig.from_settings()
    assert eid.available(full)
    assert (full.issuer, full.pin_claim, full.acr) == ("https://eid.example.kg", "pin", "urn:kg:eid:esignature")
    override_settings(eid_pin_claim="tin", eid_acr="urn:x")
    assert (eid.EidConfig.from_settings().pin_claim, eid.EidConfig.from_settings().acr) == ("tin", "urn:x")


def test_begin_asks_for_code_with_pkce_state_nonce_and_acr(config, issuer):
    pending = eid.begin(config)
    url = urlsplit(pending.authorization_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{issuer}/auth"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest()).rstrip(b"=").decode()
    assert query == {
        "response_type": "code", "client_id": "remote-vote", "redirect_uri": REDIRECT_URI, "scope": "openid",
        "state": pending.state, "nonce": pending.nonce, "code_challenge": challenge, "code_challenge_method": "S256",
        "acr_values": "urn:kg:eid:esignature",
    }
    other = eid.begin(config)
    assert len({pending.state, pending.nonce, pending.code_verifier, other.state, other.nonce, other.code_verifier}) == 6


# --- the flow ------------------------------------------------------------------------------------

def test_happy_path_returns_the_pin(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert callback["state"] == pending.state and "code" in callback
    assert eid.finish(config, pending, callback) == PIN


def test_wrong_state_is_refused(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert error_code(lambda: eid.finish(config, pending, {**callback, "state": "forged"})) == "error.eid_state"
    assert error_code(lambda: eid.finish(config, pending, {"code": callback["code"]})) == "error.eid_state"
    assert error_code(lambda: eid.finish(config, None, callback)) == "error.eid_state"


def test_replayed_state_is_refused(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert eid.finish(config, pending, callback) == PIN
    assert error_code(lambda: eid.finish(config, pending, callback)) == "error.eid_state"


@pytest.mark.parametrize("kind", ["set", "callable"])
def test_replay_with_an_injected_store(config, kind):
    seen: set[str] = set()

    def first_time(state: str) -> bool:
        if state in seen:
            return False
        seen.add(state)
        return True

    store = seen if kind == "set" else first_time
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert eid.finish(config, pending, callback, used_states=store) == PIN
    assert seen == {pending.state}
    assert error_code(lambda: eid.finish(config, pending, callback, used_states=store)) == "error.eid_state"


def test_expired_pending_is_refused(config):
    started = eid.begin(config)
    callback = browse(started.authorization_url)
    old = eid.Pending(started.state, started.nonce, started.code_verifier,
                      started.created_at - dt.timedelta(minutes=10, seconds=1))
    assert error_code(lambda: eid.finish(config, old, callback)) == "error.eid_state"


def test_callback_from_another_issuer_is_refused(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert callback["iss"] == config.issuer  # RFC 9207, sent by this provider
    assert error_code(lambda: eid.finish(config, pending, {**callback, "iss": "https://evil.example"})) == "error.eid_state"


def test_provider_error_is_refused(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url, cancel=True)
    assert callback["error"] == "access_denied" and callback["state"] == pending.state
    assert error_code(lambda: eid.finish(config, pending, callback)) == "error.eid_refused"
    # An error wins even if a code came along.
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    assert error_code(lambda: eid.finish(config, pending, {**callback, "error": "access_denied"})) == "error.eid_refused"


def test_wrong_code_verifier_is_refused_by_the_provider(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    forged = eid.Pending(pending.state, pending.nonce, "x" * 64, pending.created_at)
    assert error_code(lambda: eid.finish(config, forged, callback)) == "error.eid_token"


def test_missing_pin_claim(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url, account="nopin")
    assert error_code(lambda: eid.finish(config, pending, callback)) == "error.eid_no_pin"


def test_other_pin_claim_name_is_missing(config):
    other = eid.EidConfig(**{**config.__dict__, "pin_claim": "tin"})
    pending = eid.begin(other)
    callback = browse(pending.authorization_url)
    assert error_code(lambda: eid.finish(other, pending, callback)) == "error.eid_no_pin"


# --- ID token validation -------------------------------------------------------------------------

def _tamper_signature(body: dict) -> dict:
    header, payload, signature = body["id_token"].split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return {**body, "id_token": f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1:]}"}


def test_tampered_signature_is_refused(config):
    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    with httpx.Client(transport=Rewrite("/token", _tamper_signature)) as http:
        assert error_code(lambda: eid.finish(config, pending, callback, http=http)) == "error.eid_token"


def test_tampered_claims_are_refused(config):
    """Changing the PIN inside a validly signed token breaks the signature."""

    def other_pin(body: dict) -> dict:
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["pin"] = "21503199000123"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return {**body, "id_token": f"{header}.{forged}.{signature}"}

    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    with httpx.Client(transport=Rewrite("/token", other_pin)) as http:
        assert error_code(lambda: eid.finish(config, pending, callback, http=http)) == "error.eid_token"


def test_signature_by_another_key_is_refused(config):
    """The published JWKS is swapped for an unrelated key under the same kid: verification must fail."""

    def other_key(body: dict) -> dict:
        kid = body["keys"][0]["kid"]
        key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": [key.as_dict(private=False)]}

    pending = eid.begin(config)
    callback = browse(pending.authorization_url)
    with httpx.Client(transport=Rewrite("/jwks", other_key)) as http:
        assert error_code(lambda: eid.finish(config, pending, callback, http=http)) == "error.eid_token"


def _id_token(cfg: eid.EidConfig, account: str = "voter") -> tuple[eid.Pending, str]:
    pending = eid.begin(cfg)
    callback = browse(pending.authorization_url, account=account)
    return pending, eid.exchange_code(cfg, pending, callback["code"])


def test_token_for_another_client_is_refused(config, other_config):
    pending, token = _id_token(other_config)
    assert eid.validate_id_token(other_config, token, pending.nonce)["pin"] == PIN  # fine for its own client
    assert error_code(lambda: eid.validate_id_token(config, token, pending.nonce)) == "error.eid_token"


def test_wrong_nonce_issuer_and_times_are_refused(config):
    pending, token = _id_token(config)
    claims = eid.validate_id_token(config, token, pending.nonce)
    assert claims["pin"] == PIN and claims["aud"] == "remote-vote"
    assert error_code(lambda: eid.validate_id_token(config, token, "another-nonce")) == "error.eid_token"
    moved = eid.EidConfig(**{**config.__dict__, "issuer": config.issuer.replace("127.0.0.1", "localhost")})
    eid._discovery[moved.issuer] = (time.monotonic(), {**eid.discover(config), "issuer": moved.issuer})  # same keys, other name
    assert error_code(lambda: eid.validate_id_token(moved, token, pending.nonce)) == "error.eid_token"
    later = dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc) + dt.timedelta(minutes=5)
    assert error_code(lambda: eid.validate_id_token(config, token, pending.nonce, now=later)) == "error.eid_token"
    earlier = dt.datetime.fromtimestamp(claims["iat"], dt.timezone.utc) - dt.timedelta(minutes=5)
    assert error_code(lambda: eid.validate_id_token(config, token, pending.nonce, now=earlier)) == "error.eid_token"


def test_claims_of_tokens_signed_by_a_published_key(config):
    """Tokens signed with a key the provider publishes (swapped in here) are checked claim by claim."""
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
    now = int(time.time())
    good = {"iss": config.issuer, "aud": "remote-vote", "sub": "voter", "iat": now, "exp": now + 300,
            "nonce": "n-1", "pin": PIN, "acr": config.acr}

    # A symmetric key in the set must still not be usable: only asymmetric algorithms are accepted.
    secret = OctKey.import_key(config.client_secret, parameters={"kid": "k2"})

    def sign(claims: dict, alg: str = "RS256", with_key=key) -> str:
        return jwt.encode({"alg": alg, "kid": with_key.kid}, claims, with_key)

    published = {"keys": [key.as_dict(private=False), secret.as_dict()]}
    with httpx.Client(transport=Rewrite("/jwks", lambda _: published)) as http:
        def check(token: str) -> str:
            return error_code(lambda: eid.validate_id_token(config, token, "n-1", http=http))

        assert eid.validate_id_token(config, sign(good), "n-1", http=http)["pin"] == PIN
        assert eid.validate_id_token(config, sign({**good, "aud": ["remote-vote", "x"], "azp": "remote-vote"}), "n-1",
                                     http=http)["pin"] == PIN
        assert check(sign({**good, "aud": ["remote-vote", "x"]})) == "error.eid_token"  # no azp
        assert check(sign({**good, "azp": "other-rp"})) == "error.eid_token"
        assert check(sign({k: v for k, v in good.items() if k != "nonce"})) == "error.eid_token"
        assert check(sign({k: v for k, v in good.items() if k != "exp"})) == "error.eid_token"
        assert check(sign({k: v for k, v in good.items() if k != "iat"})) == "error.eid_token"
        assert check(sign({**good, "iat": now - 3600, "exp": now + 3600})) == "error.eid_token"  # too old for a login
        assert check(sign({**good, "iat": now + 3600, "exp": now + 7200})) == "error.eid_token"  # from the future
        assert check(sign({k: v for k, v in good.items() if k != "acr"})) == "error.eid_acr"
        assert check(sign({**good, "acr": "urn:kg:eid:password"})) == "error.eid_acr"
        assert check(sign({**good, "acr": [config.acr]})) == "error.eid_acr"
        assert check(sign(good, "HS256", secret)) == "error.eid_token"


def test_login_at_a_lower_level_than_asked_is_refused(config):
    """We ask for the electronic signature (acr_values); an eID that signs in by password instead is refused."""
    pending = eid.begin(config)
    assert "acr_values=urn%3Akg%3Aeid%3Aesignature" in pending.authorization_url
    callback = browse(pending.authorization_url, account="password-only")
    assert error_code(lambda: eid.finish(config, pending, callback)) == "error.eid_acr"


def test_no_fallback_to_hs256_when_the_provider_offers_nothing_we_accept(config):
    """A provider (or whoever answers for it) advertising only HS256 must not make us accept HS256 tokens
    signed with the client secret: joserfc's default list, used for an empty list, holds HS256."""
    secret = OctKey.import_key(config.client_secret, parameters={"kid": "k2"})
    now = int(time.time())
    claims = {"iss": config.issuer, "aud": "remote-vote", "sub": "voter", "iat": now, "exp": now + 300,
              "nonce": "n-1", "pin": PIN, "acr": config.acr}
    token = jwt.encode({"alg": "HS256", "kid": "k2"}, claims, secret)

    def only_hs256(meta: dict) -> dict:
        return {**meta, "id_token_signing_alg_values_supported": ["HS256"]}

    with httpx.Client(transport=Rewrite("/.well-known/openid-configuration", only_hs256)) as http:
        eid.discover(config, http=http)
    with httpx.Client(transport=Rewrite("/jwks", lambda _: {"keys": [secret.as_dict()]})) as http:
        assert error_code(lambda: eid.validate_id_token(config, token, "n-1", http=http)) == "error.eid_algorithms"
        assert error_code(lambda: eid.begin(config, http=http)) == "error.eid_algorithms"  # before the voter leaves


def test_garbage_token_is_refused(config):
    pending = eid.begin(config)
    for token in ("", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."):
        assert error_code(lambda: eid.validate_id_token(config, token, pending.nonce)) == "error.eid_token"


def test_discovery_is_cached_per_issuer(config):
    calls = []

    def count(body: dict) -> dict:
        calls.append(1)
        return body

    with httpx.Client(transport=Rewrite("/.well-known/openid-configuration", count)) as http:
        eid.begin(config, http=http)
        eid.begin(config, http=http)
    assert len(calls) == 1
