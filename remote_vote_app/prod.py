"""`make run-prod`: the production profile on one machine.

PostgreSQL (REFLEX_DB_URL) and Redis (REFLEX_REDIS_URL) when given; otherwise Debian's servers
started by this command in PROD_DATA_DIR (.data/, kept between runs). Then migrations, the
reference data, the demo data in demo mode, and `reflex run --env prod` with WORKERS Granian
workers (default 2).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

from remote_vote_app import localservices
from remote_vote_app.settings import ROOT, settings


def main() -> int:
    # The processes started here get this environment, with the servers started for them added.
    env = dict(os.environ)
    data = settings.prod_data_dir
    if not env.get("REFLEX_DB_URL"):
        env["REFLEX_DB_URL"] = localservices.start_postgres(data / "postgres", settings.pg_port)
        atexit.register(localservices.stop_postgres, data / "postgres")
        print(f"PostgreSQL in {data / 'postgres'} on port {settings.pg_port}")
    if not settings.redis_url:
        env["REFLEX_REDIS_URL"], redis = localservices.start_redis(data / "redis", settings.redis_port)
        atexit.register(redis.terminate)
        print(f"Redis on port {settings.redis_port}")
    env.setdefault("GRANIAN_WORKERS", str(settings.workers))  # Granian's own variable wins when set
    # The built pages open their event socket at Reflex's api_url, by default this node's own port:
    # behind a load balancer that would bypass it (and CSP's connect-src 'self' refuses it), so the
    # pages are built for PUBLIC_URL, the address voters use (the node's own one when alone).
    env.setdefault("REFLEX_API_URL", settings.public_url)
    env.setdefault("REFLEX_DEPLOY_URL", settings.public_url)
    python = sys.executable
    steps = [["migrate"], ["import-reference"]] + ([["seed"]] if settings.demo_mode else [])
    for step in steps:
        subprocess.run([python, "-m", "remote_vote_app.cli", *step], cwd=ROOT, env=env, check=True)
    reflex = str(Path(python).with_name("reflex"))
    print(f"Serving on http://localhost:{settings.port} with {env['GRANIAN_WORKERS']} workers")
    return subprocess.run([reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(settings.port),
                           "--loglevel", "warning"], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
