"""`make run-prod`: the production profile on one machine.

PostgreSQL (REFLEX_DB_URL) and Redis (REFLEX_REDIS_URL) when given; otherwise Debian's servers
started by this command in .data/ (kept between runs). Then migrations, the reference data, the
demo data in demo mode, and `reflex run --env prod` with WORKERS Granian workers (default 2).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

from remote_vote_app import localservices

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PROD_DATA_DIR", ROOT / ".data"))


def main() -> int:
    env = dict(os.environ)
    if not env.get("REFLEX_DB_URL"):
        port = int(env.get("PG_PORT", "5433"))
        env["REFLEX_DB_URL"] = localservices.start_postgres(DATA / "postgres", port)
        atexit.register(localservices.stop_postgres, DATA / "postgres")
        print(f"PostgreSQL in {DATA / 'postgres'} on port {port}")
    if not env.get("REFLEX_REDIS_URL"):
        port = int(env.get("REDIS_PORT", "6380"))
        env["REFLEX_REDIS_URL"], redis = localservices.start_redis(DATA / "redis", port)
        atexit.register(redis.terminate)
        print(f"Redis on port {port}")
    env.setdefault("GRANIAN_WORKERS", env.get("WORKERS", "2"))
    python = sys.executable
    steps = [["migrate"], ["import-reference"]] + ([["seed"]] if env.get("DEMO_MODE") == "1" else [])
    for step in steps:
        subprocess.run([python, "-m", "remote_vote_app.cli", *step], cwd=ROOT, env=env, check=True)
    reflex = str(Path(python).with_name("reflex"))
    port = env.get("PORT", "3000")
    print(f"Serving on http://localhost:{port} with {env['GRANIAN_WORKERS']} workers")
    return subprocess.run([reflex, "run", "--env", "prod", "--single-port", "--frontend-port", port,
                           "--loglevel", "warning"], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
