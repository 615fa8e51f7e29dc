"""Serve the production build on a free port with its own SQLite file (tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVERS: dict[str, subprocess.Popen] = {}  # url -> the `reflex run` process serving it (fault tests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(db_path: Path, **extra: str) -> dict[str, str]:
    """The server's environment: its own SQLite file, or the PostgreSQL (and Redis, with
    E2E_WORKERS workers) that tests.support.services started for this run."""
    profile = {"GRANIAN_WORKERS": os.environ.get("E2E_WORKERS", "2")} if os.environ.get("REFLEX_REDIS_URL") else {}
    return {
        **os.environ,
        **profile,
        "REFLEX_DB_URL": os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{db_path}",
        "DEMO_MODE": "1",
        "SECRET_KEY": "local-test-secret",
        "MAP_TILE_URL": "",  # tiles off: nothing may leave localhost
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PATH": f"{ROOT / '.tools/node_modules/.bin'}:{os.environ.get('PATH', '')}",
        **extra,
    }


def prepare_database(env: dict[str, str], voters: int) -> None:
    for args in (["migrate"], ["seed", "--voters", str(voters)]):
        subprocess.run([sys.executable, "-m", "remote_vote_app.cli", *args], cwd=ROOT, env=env, check=True)


def workers(base_url: str) -> list[int]:
    """The Granian worker processes of the server at `base_url` (children of its `reflex run`)."""
    top = SERVERS[base_url].pid
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == top:
            children.append(int(stat.parent.name))
    return sorted(children)


@contextmanager
def running_app(env: dict[str, str], timeout: float = 600, port: int | None = None,
                command: list[str] | None = None) -> Iterator[str]:
    """Start `reflex run --env prod` as `make run` does (or `command`, which serves on $PORT), in a
    process group of its own; yield its URL; stop the group afterwards."""
    port = port or free_port()
    env = {**env, "PORT": str(port)}
    log = open(Path(tempfile.gettempdir()) / f"rv-app-{port}.log", "w")
    reflex = str(Path(sys.executable).with_name("reflex"))
    proc = subprocess.Popen(
        command or [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--loglevel", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited early; see {log.name}")
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200 and httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"app did not start; see {log.name}")
            time.sleep(1)
        SERVERS[url] = proc
        yield url
    finally:
        SERVERS.pop(url, None)
        with suppress(ProcessLookupError):  # a fault test may have killed the whole group already
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
