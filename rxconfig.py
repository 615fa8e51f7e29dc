"""Reflex configuration; every setting comes from the environment (see README)."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from remote_vote_app.settings import settings

config = rx.Config(
    app_name="remote_vote_app",
    db_url=settings.db_url,
    show_built_with_reflex=False,
    telemetry_enabled=False,
    cors_allowed_origins=[o for o in os.environ.get("CORS_ALLOWED_ORIGINS", "http://localhost:3000").split(",") if o],
    disable_plugins=[SitemapPlugin],
)
