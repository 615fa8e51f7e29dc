"""PostgreSQL and Redis from Debian's packages, run by this project in a directory of its own:
for `make run-prod` on one machine (persistent, under .data/) and for the test suite (throwaway).
Production machines pass REFLEX_DB_URL / REFLEX_REDIS_URL instead and never call this."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    return Path(found[-1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: its tools run as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)
    path.chmod(0o700)


def start_postgres(root: Path, port: int, database: str = "remote_vote", durable: bool = True) -> str:
    """Start (initialising once) a cluster in `root`; the SQLAlchemy URL of `database` in it."""
    bindir, data = pg_bindir(), root / "data"
    _own(root)
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                     "-E", "UTF8", "--locale", "C.UTF-8", *([] if durable else ["--no-sync"])]),
                       check=True, stdout=subprocess.DEVNULL)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    if not durable:  # throwaway test clusters need no crash safety
        opts += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "server.log"),
                                 "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
    exists = subprocess.run(_as_postgres([str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                          "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"]),
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(_as_postgres([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                     database]), check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


def stop_postgres(root: Path, mode: str = "fast") -> None:
    subprocess.run(_as_postgres([str(pg_bindir() / "pg_ctl"), "-D", str(root / "data"), "-m", mode, "stop"]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


KEYSPACE_EVENTS = "K$sgxe"  # what reflex.istate.manager.redis.NOTIFY_KEYSPACE_EVENTS asks for


def start_redis(root: Path, port: int) -> tuple[str, subprocess.Popen]:
    """A Redis without persistence: tab states (with personal data) never reach a disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    # Reflex waits for a state lock's release through keyspace notifications and switches them on
    # only when it starts; set them here too, so a Redis restarted under a running app has them.
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--notify-keyspace-events", KEYSPACE_EVENTS, "--dir", str(root)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
        if ping.stdout.strip() == b"PONG":
            return f"redis://127.0.0.1:{port}/0", proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")
