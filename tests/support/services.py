"""Throwaway PostgreSQL and Redis for the test suite, and a runner that starts them around a command:

    python -m tests.support.services --postgres --redis -- pytest tests/unit

The command gets REFLEX_DB_URL (and TEST_DATABASE_URL), REFLEX_REDIS_URL and RATE_LIMIT_STORAGE_URI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from remote_vote_app import localservices
from tests.support.server import free_port


@contextmanager
def postgres(durable: bool = False) -> Iterator[tuple[str, Path]]:
    """A throwaway cluster; `durable` keeps fsync and synchronous commits on, as in production."""
    root = Path(tempfile.mkdtemp(prefix="rv-pg-"))
    try:
        yield localservices.start_postgres(root, free_port(), durable=durable), root
    finally:
        localservices.stop_postgres(root, mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="rv-redis-"))
    url, proc = localservices.start_redis(root, free_port())
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tests.support.services")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    env = dict(os.environ)
    with ExitStack() as stack:
        if args.postgres:
            url, root = stack.enter_context(postgres())
            env["REFLEX_DB_URL"] = env["TEST_DATABASE_URL"] = url
            env["TEST_PG_ROOT"] = str(root)  # fault tests stop and start this cluster
        if args.redis:
            env["REFLEX_REDIS_URL"] = env["RATE_LIMIT_STORAGE_URI"] = stack.enter_context(redis())
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
