"""The one way tests change settings: the `override_settings` fixture.

`override_settings(code_ttl_seconds=60, demo_mode=False)` validates the changes as the environment's
values are validated at start, and puts the changed object wherever the app reads it: every loaded
module's attribute `settings` that holds the settings in force. The app reads `settings.<name>`
when it needs a value, so the change reaches every rule; the test's end puts the original back.
The few settings taken once at start (FIXED_AT_START) are refused, unless the test says it rebuilds
what reads them: `override_settings.at_start(redis_url=...)`, then it reloads rxconfig.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest

from remote_vote_app import settings as settings_module
from remote_vote_app.settings import Settings

# Taken once when the process starts, by objects built then: an override would not reach them.
FIXED_AT_START = {
    "db_url": "the database engine (db.get_engine) and Reflex's config (rxconfig.py)",
    "db_pool_size": "the database engine's pool",
    "redis_url": "Reflex's config (rxconfig.py) and the rate limiter's storage",
    "rate_limit_storage": "the rate limiter's storage (services/identity/ratelimit.py)",
    "port": "Reflex's config (rxconfig.py)",
    "cors_allowed_origins": "Reflex's config (rxconfig.py)",
}


def _holders(value: object) -> list[ModuleType]:
    """Every loaded module whose attribute `settings` is `value`."""
    return [module for module in list(sys.modules.values())
            if module is not None and getattr(module, "__dict__", {}).get("settings") is value]


@contextmanager
def settings_overrides() -> Iterator[Callable[..., Settings]]:
    """`override(**changes)` within the block; the settings of before when it ends."""
    original = settings_module.settings
    made: list[Settings] = []

    def at_start(**changes: Any) -> Settings:
        current = settings_module.settings
        changed = current.replaced(**changes)
        for module in _holders(current):
            module.settings = changed
        made.append(changed)
        return changed

    def override(**changes: Any) -> Settings:
        fixed = sorted(set(changes) & FIXED_AT_START.keys())
        if fixed:
            raise ValueError("read once at start, an override would not reach it: "
                             + "; ".join(f"{name} ({FIXED_AT_START[name]})" for name in fixed))
        return at_start(**changes)

    override.at_start = at_start  # type: ignore[attr-defined]
    try:
        yield override
    finally:
        # A module imported in between took a changed object too: it gets the original back.
        for changed in made:
            for module in _holders(changed):
                module.settings = original


@pytest.fixture
def override_settings() -> Iterator[Callable[..., Settings]]:
    with settings_overrides() as override:
        yield override
