"""Reflex configuration; every setting comes from the environment (see README)."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from remote_vote_app.settings import settings

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
)
