"""Reflex configuration; every setting comes from the environment (see README)."""

import os

from remote_vote_app import logsafe

logsafe.install()  # every process (CLI, server, each worker) redacts its logs from the start

import reflex as rx  # noqa: E402
from reflex.plugins.sitemap import SitemapPlugin  # noqa: E402

from remote_vote_app.serving import respawn_failed_workers  # noqa: E402
from remote_vote_app.settings import settings  # noqa: E402

respawn_failed_workers()  # one dead worker must not stop the server

if os.environ.get("REFLEX_REDIS_URL"):
    # A tab's socket stays on one worker (sticky), so that worker keeps the tab's state between its
    # events under a Redis lease (Reflex's opportunistic lock) instead of loading, unpickling, pickling
    # and writing every substate per event; another worker that needs the tab breaks the lease.
    # 20 voters, 2 workers: 107 -> 68 ms of CPU per journey (README, Performance). The lease is kept
    # short: a worker killed during it loses that second of the tab's changes (the tab's form, never
    # a filed application), and an event still running when the lock expires (10 s) loses its own.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "1s")

_port = os.environ.get("PORT", "3000")
_own_origins = f"http://localhost:{_port},http://127.0.0.1:{_port}"

config = rx.Config(
    app_name="remote_vote_app",
    db_url=settings.db_url,
    show_built_with_reflex=False,
    telemetry_enabled=False,
    # Only the app's own origin may open the event socket (Reflex's default is any origin).
    cors_allowed_origins=[o for o in os.environ.get("CORS_ALLOWED_ORIGINS", _own_origins).split(",") if o],
    disable_plugins=[SitemapPlugin],
    trusted_proxy_hops=settings.trusted_proxy_hops,
    # Tab states: in this process's memory for the embedded default (no file written per event,
    # nothing personal on disk), in Redis for the production profile (REFLEX_REDIS_URL, several
    # workers). A closed tab's state goes soon after its session could have idled out, not an hour later.
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    redis_token_expiration=(settings.session_idle_minutes + 2) * 60,
)
