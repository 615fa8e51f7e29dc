"""Runtime configuration, read once from the environment (no Reflex import: services use it too)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


@dataclass(frozen=True)
class Settings:
    db_url: str
    demo_mode: bool
    secret_key: str
    sms_gateway_url: str
    email_gateway_url: str
    gateway_token: str
    rate_limit_storage: str
    session_idle_minutes: int
    session_idle_seconds: int  # the same limit in seconds; SESSION_IDLE_SECONDS (tests) overrides the minutes
    tab_grace_seconds: int
    code_ttl_seconds: int
    code_max_attempts: int
    code_max_resends: int
    code_resend_interval_seconds: int
    login_limit_per_client: str
    map_tile_url: str
    map_tile_attribution: str
    trusted_proxy_hops: int
    anomaly_contact_limit: int
    qr_ttl_seconds: int
    anomaly_change_limit: int
    login_limit_per_pin: str
    face_match_threshold: float
    login_throttle_tiers: str
    login_sends_ceiling: str
    voter_session_hours: float
    staff_session_hours: float
    cookie_secure: bool
    db_pool_size: int
    login_throttle_ceiling: str
    login_sends_per_phone: str
    login_account_ceiling: str
    login_guarded_sends_per_phone: str
    login_device_days: int
    login_device_ceiling: str
    pass_signing_key: str
    public_url: str = "http://localhost:3000"  # where links in messages (reminder opt-out) point


def load() -> Settings:
    demo = _flag("DEMO_MODE", False)
    secret = os.environ.get("SECRET_KEY", "")
    if not secret:
        if not demo:
            # No default in production: a fixed one is guessable, a random one differs per worker.
            raise RuntimeError("SECRET_KEY must be set when DEMO_MODE is off")
        secret = "demo-only-secret-key"
    return Settings(
        db_url=os.environ.get("REFLEX_DB_URL") or f"sqlite:///{ROOT / 'remote_vote.db'}",
        demo_mode=demo,
        secret_key=secret,
        sms_gateway_url=os.environ.get("SMS_GATEWAY_URL", ""),
        email_gateway_url=os.environ.get("EMAIL_GATEWAY_URL", ""),
        gateway_token=os.environ.get("GATEWAY_TOKEN", ""),
        # Shared by every worker when Redis is there (the production profile); else this process's memory.
        rate_limit_storage=os.environ.get("RATE_LIMIT_STORAGE_URI") or os.environ.get("REFLEX_REDIS_URL") or "memory://",
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 15),
        session_idle_seconds=_int("SESSION_IDLE_SECONDS", 60 * _int("SESSION_IDLE_MINUTES", 15)),
        # How long a tab's server-side state outlives its socket (web/closed_tabs.py): as long as a
        # login code, so a voter who leaves the page to read the SMS comes back to the same step.
        tab_grace_seconds=_int("TAB_GRACE_SECONDS", 300),
        # Absolute session lifetimes, whatever the activity (ASVS 7.3.2).
        voter_session_hours=_float("VOTER_SESSION_HOURS", 8),
        staff_session_hours=_float("STAFF_SESSION_HOURS", 12),
        # Browsers accept Secure cookies over plain HTTP on localhost only; off only for a test LAN.
        cookie_secure=_flag("COOKIE_SECURE", True),
        db_pool_size=_int("DB_POOL_SIZE", 5),  # per worker process
        code_ttl_seconds=_int("CODE_TTL_SECONDS", 300),
        code_max_attempts=_int("CODE_MAX_ATTEMPTS", 5),
        code_max_resends=_int("CODE_MAX_RESENDS", 3),
        code_resend_interval_seconds=_int("CODE_RESEND_INTERVAL_SECONDS", 60),
        # `limits` notation; one shared office or NAT may need a higher per-client figure.
        login_limit_per_client=os.environ.get("LOGIN_LIMIT_PER_CLIENT", "30/hour"),
        login_limit_per_pin=os.environ.get("LOGIN_LIMIT_PER_PIN", "5/15 minutes"),  # codes per (PIN, client)
        login_sends_ceiling=os.environ.get("LOGIN_SENDS_CEILING", "20/hour"),  # codes per PIN, all clients
        # Wrong answers per (identifier, client): growing windows, then a high ceiling per identifier.
        login_throttle_tiers=os.environ.get("LOGIN_THROTTLE_TIERS", "5/minute, 10/15 minutes, 20/hour, 40/day"),
        login_throttle_ceiling=os.environ.get("LOGIN_THROTTLE_CEILING", "200/day"),
        # Login codes to one phone; past it the open code is offered again ("sent at HH:MM").
        login_sends_per_phone=os.environ.get("LOGIN_SENDS_PER_PHONE", "1/minute, 5/15 minutes"),
        # Wrong SMS codes per PIN, and wrong staff answers per username before the code is asked first.
        login_account_ceiling=os.environ.get("LOGIN_ACCOUNT_CEILING", "100/day"),
        # Login codes to one phone once its PIN is past LOGIN_ACCOUNT_CEILING (services.auth: guarded).
        login_guarded_sends_per_phone=os.environ.get("LOGIN_GUARDED_SENDS_PER_PHONE", "1/15 minutes"),
        # A trusted browser's device cookie (services.devices): its life, and the wrong codes a day
        # past which it logs in as any other browser (services.auth).
        login_device_days=_int("LOGIN_DEVICE_DAYS", 180),
        login_device_ceiling=os.environ.get("LOGIN_DEVICE_CEILING", "10/day"),
        # The voter pass's Ed25519 private key (JWK JSON or PEM, from `cli pass-keygen`); required to
        # serve the app outside demo mode (services.passes.check_configured), derived from SECRET_KEY in demo.
        pass_signing_key=os.environ.get("PASS_SIGNING_KEY", "").strip(),
        # FaceID: largest face_recognition distance still taken as the same person (lower is stricter).
        face_match_threshold=_float("FACE_MATCH_THRESHOLD", 0.6),
        # An empty MAP_TILE_URL switches tiles off: the map then shows the country outline only.
        # Behind a reverse proxy, the client address for rate limits comes from X-Forwarded-For.
        trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", 0),
        # Flag a phone or e-mail on more active applications than this, and more changes than this.
        anomaly_contact_limit=_int("ANOMALY_CONTACT_LIMIT", 3),
        qr_ttl_seconds=_int("QR_TTL_SECONDS", 120),
        anomaly_change_limit=_int("ANOMALY_CHANGE_LIMIT", 3),
        map_tile_url=os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        # Empty (the default): the OpenStreetMap credit in the page's language (message map.attribution);
        # set it for another tile provider (one text for every language).
        map_tile_attribution=os.environ.get("MAP_TILE_ATTRIBUTION", ""),
        public_url=os.environ.get("PUBLIC_URL", f"http://localhost:{os.environ.get('PORT', '3000')}").rstrip("/"),
    )


settings = load()
