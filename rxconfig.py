"""Reflex configuration, from the app's settings (remote_vote_app/settings.py, README's table).

`reflex` commands load this file, so they need what the settings need: DEMO_MODE=1 or SECRET_KEY.
"""

import os

from remote_vote_app import logsafe

logsafe.install()  # every process (CLI, server, each worker) redacts its logs from the start

import reflex as rx  # noqa: E402
from reflex.plugins.sitemap import SitemapPlugin  # noqa: E402

from remote_vote_app.serving import respawn_failed_workers  # noqa: E402
from remote_vote_app.settings import settings  # noqa: E402

respawn_failed_workers()  # one dead worker must not stop the server

if settings.redis_url:
    # Reflex reads these two from the environment itself (its own variables, not app settings;
    # README lists them): set here as defaults an operator's values override.
    # A tab's socket stays on one worker (sticky), so that worker keeps the tab's state between its
    # events under a Redis lease (Reflex's opportunistic lock) instead of loading, unpickling, pickling
    # and writing every substate per event; another worker that needs the tab breaks the lease.
    # 20 voters, 2 workers: 107 -> 68 ms of CPU per journey (README, Performance). The lease is kept
    # short: a worker killed during it loses that second of the tab's changes (the tab's form, never
    # a filed application), and an event still running when the lock expires (10 s) loses its own.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "1s")

config = rx.Config(
    app_name="remote_vote_app",
    db_url=settings.db_url,
    show_built_with_reflex=False,
    # Pages and scripts precompressed with brotli as well (served first to browsers that accept it,
    # which Chromium does on localhost and over HTTPS): 9-12 % fewer bytes than gzip's on the
    # scripts of a page's first load; gzip stays for the others.
    frontend_compression_formats=["brotli", "gzip"],
    telemetry_enabled=False,
    # Only the app's own origin may open the event socket (Reflex's default is any origin).
    cors_allowed_origins=list(settings.cors_allowed_origins),
    disable_plugins=[SitemapPlugin],
    trusted_proxy_hops=settings.trusted_proxy_hops,
    # Tab states: in this process's memory for the embedded default (no file written per event,
    # nothing personal on disk), in Redis for the production profile (REFLEX_REDIS_URL, several
    # workers). A closed tab's state goes soon after its session could have idled out, not an hour later.
    state_manager_mode="redis" if settings.redis_url else "memory",
    redis_token_expiration=(settings.session_idle_minutes + 2) * 60,
)
