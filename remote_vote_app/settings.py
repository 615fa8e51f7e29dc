"""Runtime configuration: one typed object, read once from the environment and validated at start.

Every variable is in README's configuration table (tests/unit/test_settings.py keeps the two the
same). A bad value stops the process at start with an error naming the variable. Code reads
`settings.<name>` when it needs a value, never a copy taken at import, so tests can replace the
object (tests/support/settings.py). No Reflex import: services use it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from limits import RateLimitItem, parse_many
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEMO_SECRET_KEY = "demo-only-secret-key"
# Their values never appear in an error message.
SECRET_FIELDS = frozenset({"secret_key", "gateway_token", "pass_signing_key", "eid_client_secret"})


def _blank_is_unset(value: Any) -> Any:
    """An empty variable (`FOO=` in a unit file) counts as unset: the default applies."""
    if isinstance(value, str) and not value.strip():
        raise PydanticUseDefault()
    return value


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _limits(value: Any) -> tuple[RateLimitItem, ...]:
    if isinstance(value, RateLimitItem):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(item, RateLimitItem) for item in value):
        return value
    try:
        return tuple(parse_many(str(value)))
    except ValueError:
        raise ValueError("not in `limits` notation, e.g. '5/15 minutes' or '1/minute, 5/hour'") from None


def _one_limit(value: Any) -> RateLimitItem:
    items = _limits(value)
    if len(items) != 1:
        raise ValueError("one limit expected, e.g. '30/hour'")
    return items[0]


def _comma_list(value: Any) -> Any:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


Int = Annotated[int, BeforeValidator(_blank_is_unset)]
Float = Annotated[float, BeforeValidator(_blank_is_unset)]
Flag = Annotated[bool, BeforeValidator(_blank_is_unset)]  # 1/0, true/false, yes/no, on/off
Word = Annotated[str, BeforeValidator(_blank_is_unset), BeforeValidator(_stripped)]  # blank: the default
# `limits` notation; NoDecode: the text is ours to parse (pydantic-settings would read it as JSON).
Limit = Annotated[RateLimitItem, NoDecode, BeforeValidator(_one_limit), BeforeValidator(_blank_is_unset)]
Tiers = Annotated[tuple[RateLimitItem, ...], NoDecode, BeforeValidator(_limits), BeforeValidator(_blank_is_unset)]
Origins = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list), BeforeValidator(_blank_is_unset)]


def _positive(value: int | float) -> int | float:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


Positive = Annotated[int, BeforeValidator(_blank_is_unset), AfterValidator(_positive)]
PositiveFloat = Annotated[float, BeforeValidator(_blank_is_unset), AfterValidator(_positive)]
Count = Annotated[int, BeforeValidator(_blank_is_unset), Field(ge=0)]


class Settings(BaseSettings):
    """Field `foo_bar` is variable FOO_BAR unless an alias names another (see `env_name`)."""

    # No populate_by_name: an aliased field is read from its alias only (DB_URL is not REFLEX_DB_URL).
    model_config = SettingsConfigDict(frozen=True, case_sensitive=False, arbitrary_types_allowed=True,
                                      extra="forbid", validate_default=True)

    # --- the installation ---
    demo_mode: Flag = False
    # No default in production: a fixed one is guessable, a random one differs per worker.
    secret_key: str = Field(default_factory=lambda data: DEMO_SECRET_KEY if data.get("demo_mode") else "",
                            validate_default=True)
    db_url: Word = Field(f"sqlite:///{ROOT / 'remote_vote.db'}", validation_alias="REFLEX_DB_URL")
    db_pool_size: Positive = 5  # per worker process
    redis_url: Annotated[str, BeforeValidator(_stripped)] = Field("", validation_alias="REFLEX_REDIS_URL")
    # Shared by every worker when Redis is there (the production profile); else this process's memory.
    rate_limit_storage: Word = Field(default_factory=lambda data: data.get("redis_url") or "memory://",
                                     validation_alias="RATE_LIMIT_STORAGE_URI")
    port: Annotated[int, BeforeValidator(_blank_is_unset), Field(ge=1, le=65535)] = 3000
    public_url: Annotated[str, BeforeValidator(_blank_is_unset), AfterValidator(lambda url: url.rstrip("/"))] = Field(
        default_factory=lambda data: f"http://localhost:{data.get('port', 3000)}")  # links in messages point here
    # Origins that may open the event socket (rxconfig.py): by default the app's own.
    cors_allowed_origins: Origins = Field(
        default_factory=lambda data: (f"http://localhost:{data.get('port', 3000)}", f"http://127.0.0.1:{data.get('port', 3000)}"))
    # Behind a reverse proxy, the client address for rate limits comes from X-Forwarded-For.
    trusted_proxy_hops: Count = 0
    # Browsers accept Secure cookies over plain HTTP on localhost only; off only for a test LAN.
    cookie_secure: Flag = True
    # Reflex's frontend directory (make test serves two builds at once); Reflex reads it too.
    web_workdir: Word = Field(".web", validation_alias="REFLEX_WEB_WORKDIR")

    # --- messages ---
    sms_gateway_url: str = ""
    email_gateway_url: str = ""
    gateway_token: str = ""

    # --- sessions ---
    session_idle_minutes: Positive = 15
    # The same limit in seconds: SESSION_IDLE_SECONDS (tests) overrides the minutes.
    session_idle_seconds: Positive = Field(default_factory=lambda data: 60 * data.get("session_idle_minutes", 15))
    # Absolute session lifetimes, whatever the activity (ASVS 7.3.2).
    voter_session_hours: PositiveFloat = 8
    staff_session_hours: PositiveFloat = 12
    # How long a tab's server-side state outlives its socket (web/closed_tabs.py): as long as a
    # login code, so a voter who leaves the page to read the SMS comes back to the same step.
    tab_grace_seconds: Positive = 300

    # --- login codes and rate limits ---
    code_ttl_seconds: Positive = 300
    code_max_attempts: Positive = 5
    code_max_resends: Count = 3
    code_resend_interval_seconds: Count = 60
    qr_ttl_seconds: Positive = 120  # a QR cross-device login
    # One shared office or NAT may need a higher per-client figure.
    login_limit_per_client: Limit = "30/hour"
    login_limit_per_pin: Limit = "5/15 minutes"  # step-up and consent codes per (PIN, client)
    login_sends_ceiling: Limit = "20/hour"  # the same per PIN, all clients
    # Wrong answers per (identifier, client): growing windows, then a high ceiling per identifier.
    login_throttle_tiers: Tiers = "5/minute, 10/15 minutes, 20/hour, 40/day"
    login_throttle_ceiling: Limit = "200/day"
    # Login codes to one phone; past it the open code is offered again ("sent at HH:MM").
    login_sends_per_phone: Tiers = "1/minute, 5/15 minutes"
    # Wrong SMS codes per PIN, and wrong staff answers per username before the code is asked first.
    login_account_ceiling: Limit = "100/day"
    # Wrong login codes for a PIN (from browsers without its device cookie) past which its login
    # codes are long (services.identity.auth: strong), and how long such a code lives.
    login_strong_codes_after: Limit = "5/day"
    login_strong_code_ttl_seconds: Positive = 1200
    # New strong login codes to one phone: a cap of their own, shorter than a code's life less the 5
    # minutes an offered one must have left, so there is always an open code to offer or room for one.
    login_strong_sends_per_phone: Tiers = "1/14 minutes"
    # Login codes to one phone once its PIN is past LOGIN_ACCOUNT_CEILING (services.identity.auth: guarded).
    login_guarded_sends_per_phone: Tiers = "1/15 minutes"
    # A trusted browser's device cookie (services.identity.devices): its life, and the wrong codes a day
    # past which it logs in as any other browser (services.identity.auth).
    login_device_days: Positive = 180
    login_device_ceiling: Limit = "10/day"
    # Open event sockets per client address and in all, per worker (web/sockets.py).
    sockets_per_client: Positive = 20
    sockets_total: Positive = 5000

    # --- logins: keys and providers ---
    # The voter pass's Ed25519 private key (JWK JSON or PEM, from `cli pass-keygen`); required to
    # serve the app outside demo mode (services.applications.passes.check_configured), derived from SECRET_KEY in demo.
    pass_signing_key: Annotated[str, BeforeValidator(_stripped)] = ""
    # FaceID: largest face_recognition distance still taken as the same person (lower is stricter).
    face_match_threshold: Annotated[float, BeforeValidator(_blank_is_unset), Field(gt=0, le=1)] = 0.6
    # The national eID (OpenID Connect, services/identity/eid.py); unavailable until issuer, client and secret are set.
    eid_issuer: Annotated[str, BeforeValidator(_stripped), AfterValidator(lambda url: url.rstrip("/"))] = ""
    eid_client_id: Annotated[str, BeforeValidator(_stripped)] = ""
    eid_client_secret: str = ""
    eid_redirect_uri: Annotated[str, BeforeValidator(_stripped)] = ""
    eid_pin_claim: Word = "pin"
    eid_acr: Word = "urn:kg:eid:esignature"
    eid_token_auth_method: Annotated[Literal["client_secret_basic", "client_secret_post"],
                                     BeforeValidator(_blank_is_unset), BeforeValidator(_stripped)] = "client_secret_basic"

    # --- the dashboard and the map ---
    # Flag a phone or e-mail on more active applications than this, and more changes than this.
    anomaly_contact_limit: Positive = 3
    anomaly_change_limit: Positive = 3
    # An empty MAP_TILE_URL switches tiles off: the map then shows the country outline only.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Empty (the default): the OpenStreetMap credit in the page's language (message map.attribution);
    # set it for another tile provider (one text for every language).
    map_tile_attribution: str = ""

    # --- `make run-prod` (remote_vote_app/prod.py) ---
    prod_data_dir: Annotated[Path, BeforeValidator(_blank_is_unset)] = ROOT / ".data"
    workers: Positive = 2
    pg_port: Annotated[int, BeforeValidator(_blank_is_unset), Field(ge=1, le=65535)] = 5433
    redis_port: Annotated[int, BeforeValidator(_blank_is_unset), Field(ge=1, le=65535)] = 6380

    @field_validator("secret_key")
    @classmethod
    def _secret_required(cls, value: str, info) -> str:
        if not value and info.data.get("demo_mode") is False:
            raise ValueError("must be set when DEMO_MODE is off")
        return value

    @property
    def cookie_prefix(self) -> str:
        """__Host-: the browser keeps such a cookie only if Secure, for this host alone, path / (no
        subdomain can set it)."""
        return "__Host-" if self.cookie_secure else ""

    def replaced(self, **changes: Any) -> Settings:
        """A copy with `changes` (by field name), validated like the environment's values."""
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        values = {**self.model_dump(), **changes}
        return type(self).model_validate({_input_key(field): value for field, value in values.items()})


def _input_key(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else field


def env_name(field: str) -> str:
    """The environment variable of a field."""
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else field.upper()


class SettingsError(RuntimeError):
    """A variable with a value the app cannot run with; the message names each one."""


def _describe(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    name = env_name(field) if field in Settings.model_fields else field.upper()
    message = error["msg"].removeprefix("Value error, ")
    shown = "" if field in SECRET_FIELDS or error["type"] == "missing" else f"={error['input']!r}"
    return f"{name}{shown}: {message}"


def load() -> Settings:
    """The environment's settings; SettingsError names every variable with an unusable value."""
    try:
        return Settings()
    except ValidationError as exc:
        # A derived default (PUBLIC_URL from PORT, ...) is not computed once another value failed:
        # that is no problem of its own.
        problems = "\n".join(f"  {_describe(error)}" for error in exc.errors() if error["type"] != "default_factory_not_called")
        raise SettingsError(f"Invalid configuration (README, Configuration):\n{problems}") from None


settings = load()
