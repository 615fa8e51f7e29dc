"""The settings: read from the environment once, checked at start with errors that name the
variable, listed in one README table, changed in tests through one fixture only."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from limits import parse_many

from remote_vote_app import settings as settings_module
from remote_vote_app.settings import ROOT, Settings, SettingsError, env_name
from tests.support.settings import FIXED_AT_START, settings_overrides

ENV_NAMES = {env_name(field) for field in Settings.model_fields}


def _load(monkeypatch, **env: str) -> Settings:
    """The settings of an environment holding `env` and no other setting (DEMO_MODE=1 unless given)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"DEMO_MODE": "1", **env}.items():
        monkeypatch.setenv(name, value)
    return settings_module.load()


def _refused(monkeypatch, **env: str) -> list[str]:
    """The lines of the start-up error for `env`, one per variable."""
    with pytest.raises(SettingsError) as refused:
        _load(monkeypatch, **env)
    return str(refused.value).splitlines()[1:]


# --- errors at start, each naming its variable ---------------------------------------------------

def test_a_number_that_is_not_one_is_refused_by_name(monkeypatch):
    assert _refused(monkeypatch, CODE_TTL_SECONDS="five minutes") == [
        "  CODE_TTL_SECONDS='five minutes': Input should be a valid integer, unable to parse string as an integer"]
    assert _refused(monkeypatch, VOTER_SESSION_HOURS="8h") == [
        "  VOTER_SESSION_HOURS='8h': Input should be a valid number, unable to parse string as a number"]


def test_a_limit_the_limits_library_cannot_read_is_refused_by_name(monkeypatch):
    with pytest.raises(ValueError):
        parse_many("5 per fortnight")  # what the app would have choked on at its first login
    assert _refused(monkeypatch, LOGIN_LIMIT_PER_PIN="5 per fortnight") == [
        "  LOGIN_LIMIT_PER_PIN='5 per fortnight': not in `limits` notation, e.g. '5/15 minutes' or '1/minute, 5/hour'"]
    # One bad tier spoils the list.
    assert _refused(monkeypatch, LOGIN_THROTTLE_TIERS="5/minute, ten/hour")[0].startswith(
        "  LOGIN_THROTTLE_TIERS='5/minute, ten/hour': not in `limits` notation")


def test_a_single_limit_given_as_a_list_is_refused_by_name(monkeypatch):
    """limits.parse would take the first and drop the rest without a word."""
    assert _refused(monkeypatch, LOGIN_ACCOUNT_CEILING="100/day, 1000/month") == [
        "  LOGIN_ACCOUNT_CEILING='100/day, 1000/month': one limit expected, e.g. '30/hour'"]


def test_a_threshold_out_of_range_is_refused_by_name(monkeypatch):
    assert _refused(monkeypatch, FACE_MATCH_THRESHOLD="1.5") == [
        "  FACE_MATCH_THRESHOLD='1.5': Input should be less than or equal to 1"]
    assert _refused(monkeypatch, FACE_MATCH_THRESHOLD="0") == [
        "  FACE_MATCH_THRESHOLD='0': Input should be greater than 0"]


def test_counts_and_durations_out_of_range_are_refused_by_name(monkeypatch):
    assert _refused(monkeypatch, SOCKETS_TOTAL="0", TRUSTED_PROXY_HOPS="-1", PORT="70000") == [
        "  PORT='70000': Input should be less than or equal to 65535",
        "  TRUSTED_PROXY_HOPS='-1': Input should be greater than or equal to 0",
        "  SOCKETS_TOTAL='0': must be greater than 0"]


def test_an_unknown_eid_token_auth_method_is_refused_by_name(monkeypatch):
    assert _refused(monkeypatch, EID_TOKEN_AUTH_METHOD="private_key_jwt") == [
        "  EID_TOKEN_AUTH_METHOD='private_key_jwt': Input should be 'client_secret_basic' or 'client_secret_post'"]


def test_a_flag_that_is_neither_on_nor_off_is_refused_by_name(monkeypatch):
    assert _refused(monkeypatch, DEMO_MODE="maybe", COOKIE_SECURE="sure") == [
        "  DEMO_MODE='maybe': Input should be a valid boolean, unable to interpret input",
        "  COOKIE_SECURE='sure': Input should be a valid boolean, unable to interpret input"]


def test_secret_key_is_required_outside_demo_mode(monkeypatch):
    assert _refused(monkeypatch, DEMO_MODE="0") == ["  SECRET_KEY: must be set when DEMO_MODE is off"]
    assert _refused(monkeypatch, DEMO_MODE="off", SECRET_KEY="") == ["  SECRET_KEY: must be set when DEMO_MODE is off"]
    assert _load(monkeypatch, DEMO_MODE="0", SECRET_KEY="k" * 32).secret_key == "k" * 32
    assert _load(monkeypatch).secret_key == settings_module.DEMO_SECRET_KEY


def test_every_bad_variable_is_named_at_once_and_a_derived_default_adds_no_noise(monkeypatch):
    """PUBLIC_URL and CORS_ALLOWED_ORIGINS derive from PORT: a bad PORT is one line, not three."""
    lines = _refused(monkeypatch, PORT="http", CODE_MAX_ATTEMPTS="x")
    assert [line.split("=")[0].strip() for line in lines] == ["PORT", "CODE_MAX_ATTEMPTS"]


# --- what the variables mean ------------------------------------------------------------------------

def test_the_variables_with_other_names_or_derived_defaults(monkeypatch):
    s = _load(monkeypatch, DB_URL="sqlite:///not-this.db")
    assert s.db_url == f"sqlite:///{ROOT / 'remote_vote.db'}"  # only REFLEX_DB_URL names the database
    assert (s.rate_limit_storage, s.session_idle_seconds, s.public_url) == ("memory://", 900, "http://localhost:3000")
    assert s.cors_allowed_origins == ("http://localhost:3000", "http://127.0.0.1:3000")
    s = _load(monkeypatch, REFLEX_DB_URL="sqlite:///x.db", REFLEX_REDIS_URL="redis://r:6379/0", PORT="3100",
              SESSION_IDLE_MINUTES="2", CORS_ALLOWED_ORIGINS="https://vote.example.kg, https://www.vote.example.kg")
    assert (s.db_url, s.rate_limit_storage, s.session_idle_seconds) == ("sqlite:///x.db", "redis://r:6379/0", 120)
    assert s.public_url == "http://localhost:3100"
    assert s.cors_allowed_origins == ("https://vote.example.kg", "https://www.vote.example.kg")
    s = _load(monkeypatch, REFLEX_REDIS_URL="redis://r:6379/0", RATE_LIMIT_STORAGE_URI="memory://",
              SESSION_IDLE_MINUTES="2", SESSION_IDLE_SECONDS="7", PUBLIC_URL="https://vote.example.kg/")
    assert (s.rate_limit_storage, s.session_idle_seconds, s.public_url) == ("memory://", 7, "https://vote.example.kg")


def test_an_empty_variable_is_unset_except_map_tile_url(monkeypatch):
    s = _load(monkeypatch, REFLEX_DB_URL="", CODE_TTL_SECONDS=" ", LOGIN_THROTTLE_TIERS="", COOKIE_SECURE="",
              EID_TOKEN_AUTH_METHOD="", MAP_TILE_URL="")
    default = Settings.model_fields
    assert s.db_url == f"sqlite:///{ROOT / 'remote_vote.db'}" and s.code_ttl_seconds == default["code_ttl_seconds"].default
    assert [str(item) for item in s.login_throttle_tiers] == [str(i) for i in parse_many(default["login_throttle_tiers"].default)]
    assert s.cookie_secure is True and s.eid_token_auth_method == "client_secret_basic"
    assert s.map_tile_url == ""  # tiles off


def test_values_are_typed_and_trimmed(monkeypatch):
    s = _load(monkeypatch, COOKIE_SECURE="off", LOGIN_SENDS_PER_PHONE="1/minute, 5/15 minutes",
              EID_ISSUER=" https://eid.example.kg/ ", EID_PIN_CLAIM=" tin ", PASS_SIGNING_KEY=" key\n")
    assert s.cookie_secure is False
    assert [(i.amount, i.get_expiry()) for i in s.login_sends_per_phone] == [(1, 60), (5, 900)]
    assert (s.eid_issuer, s.eid_pin_claim, s.pass_signing_key) == ("https://eid.example.kg", "tin", "key")


# --- one table, one reader ----------------------------------------------------------------------

# README's table also lists variables the frameworks read themselves (rows "Read by ..."); they are
# no settings of the app.
FRAMEWORK_VARIABLES = {
    "REFLEX_OPLOCK_ENABLED": "Reflex's opportunistic lock; rxconfig.py sets a default with Redis",
    "REFLEX_OPLOCK_HOLD_TIME": "the same lock's lease",
    "GRANIAN_WORKERS": "Granian's worker count; prod.py sets it from WORKERS",
}


def _readme_variables() -> list[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration (environment variables)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])]


def test_the_readme_table_lists_exactly_the_settings():
    listed = _readme_variables()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) - ENV_NAMES - FRAMEWORK_VARIABLES.keys() == set(), "listed in README, but no setting"
    assert ENV_NAMES - set(listed) == set(), "a setting missing from README's configuration table"
    assert FRAMEWORK_VARIABLES.keys() <= set(listed) and not FRAMEWORK_VARIABLES.keys() & ENV_NAMES


# Modules that may touch os.environ, each for its reason; settings.py reads it through pydantic-settings.
ENVIRON_ALLOWED = {
    "remote_vote_app/backup.py": "pg_dump and pg_restore get the environment with the password in PGPASSWORD",
    "remote_vote_app/prod.py": "the processes `make run-prod` starts get its environment, plus the servers it started",
    "rxconfig.py": "sets Reflex's own variables REFLEX_OPLOCK_* as defaults when Redis is used",
}


def _environ_uses(path: Path) -> list[int]:
    """Lines of `path` that use os.environ, os.environb, os.getenv or os.putenv."""
    names = {"environ", "environb", "getenv", "putenv"}
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in names:
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os" and {a.name for a in node.names} & names:
            lines.append(node.lineno)
    return lines


def test_only_settings_read_the_environment():
    files = sorted((ROOT / "remote_vote_app").rglob("*.py")) + [ROOT / "rxconfig.py"]
    found = {str(path.relative_to(ROOT)): lines for path in files if (lines := _environ_uses(path))}
    assert {name: lines for name, lines in found.items() if name not in ENVIRON_ALLOWED} == {}
    assert set(found) == set(ENVIRON_ALLOWED), "an allowed module no longer needs it: drop it from the list"


def test_the_environ_check_sees_each_spelling(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom os import getenv\na = os.environ.get('X')\nb = os.getenv('Y')\n")
    assert sorted(_environ_uses(probe)) == [2, 3, 4]


# --- the fixture --------------------------------------------------------------------------------

def test_an_override_reaches_every_module_that_reads_settings_and_ends_with_the_test():
    from remote_vote_app.services.identity import devices, qrlogin, ratelimit, sessions
    from remote_vote_app.web import sockets

    original = settings_module.settings
    holders = [m for m in list(sys.modules.values()) if getattr(m, "__dict__", {}).get("settings") is original]
    assert {qrlogin, ratelimit, sessions, sockets, settings_module} <= set(holders)
    with settings_overrides() as override:
        changed = override(cookie_secure=False, sockets_total=7)
        assert all(m.settings is changed for m in holders)
        assert changed.sockets_total == 7 and changed.cookie_secure is False and changed.code_ttl_seconds == original.code_ttl_seconds
        assert (sessions.COOKIE["voter"], devices.cookie_name()) == ("rv_voter", "rv_device")
        assert sockets.SocketCeiling(lambda *a: None).total == 7
    assert all(m.settings is original for m in holders)
    assert (sessions.COOKIE["voter"], devices.cookie_name()) == ("__Host-rv_voter", "__Host-rv_device")


def test_an_override_is_validated_and_refuses_what_it_could_not_reach():
    with settings_overrides() as override:
        with pytest.raises(ValueError, match="valid integer"):
            override(sockets_total="many")
        with pytest.raises(TypeError, match="no such setting: sockets_totl"):
            override(sockets_totl=7)
        for name in FIXED_AT_START:
            with pytest.raises(ValueError, match=f"read once at start.*{name}"):
                override(**{name: getattr(settings_module.settings, name)})


def test_an_override_reaches_the_limits_and_lifetimes_taken_from_settings(session, override_settings):
    """Login throttles, rate limits and the QR lifetime read their settings on each use."""
    import datetime as dt

    from remote_vote_app.services.identity import auth, qrlogin, staff

    override_settings(login_account_ceiling="3/day", login_device_ceiling="4/day", login_throttle_tiers="2/minute",
                      qr_ttl_seconds=30)
    for throttle in (auth.CODE_THROTTLE, auth.STEP_UP_THROTTLE, staff.throttle, staff.code_throttle):
        assert (throttle.ceiling_item().amount, throttle.ceiling_item().get_expiry()) == (3, 86400)
    assert auth.DEVICE_THROTTLE.ceiling_item().amount == 4
    assert [item.amount for item in auth.CODE_THROTTLE.tiers()] == [2] and staff.code_throttle.tiers() == ()
    now = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert qrlogin.create(session, "Firefox", now=now, client="198.51.100.7").expires_at == now + dt.timedelta(seconds=30)
    session.rollback()
