"""Backup and restore of the database named by REFLEX_DB_URL (no Reflex import).

SQLite: sqlite3's online backup API, page by page, consistent and safe while the app runs; a
restore copies the backup over the live file the same way (the whole content is replaced, so the
append-only audit triggers are not involved). PostgreSQL: `pg_dump -Fc` and
`pg_restore --clean --if-exists --single-transaction` (tables are dropped and recreated, again
without UPDATE or DELETE on the audit trail). Backups hold personal data: files are mode 0600.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from remote_vote_app.settings import ROOT, settings

BACKUP_DIR = ROOT / "backups"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    pass


def _url(url: str | None) -> URL:
    return make_url(url or settings.db_url)


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def default_path(url: str | None = None, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return BACKUP_DIR / f"remote-vote-{stamp}.{'sqlite' if _is_sqlite(_url(url)) else 'pgdump'}"


def _private_file(path: Path) -> int:
    """A new, empty file only its owner can read (refuses to overwrite an existing backup)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists; choose another name") from None


def _sqlite_file(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return url.database


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (it would show in the process list) and the environment
    that carries it. `postgresql+psycopg://` becomes `postgresql://`."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                       query=url.query)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def backup(to: Path | None = None, url: str | None = None) -> Path:
    """Write a backup of the database to `to` (default: backups/remote-vote-<UTC time>.<kind>)."""
    parsed = _url(url)
    path = Path(to) if to else default_path(url)
    fd = _private_file(path)
    try:
        if _is_sqlite(parsed):
            os.close(fd)  # an empty file is an empty SQLite database; sqlite3 fills it
            fd = -1
            source = sqlite3.connect(_sqlite_file(parsed))
            target = sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            libpq, env = _libpq(parsed)
            result = subprocess.run([_tool("pg_dump"), "-Fc", "--no-owner", "-d", libpq], stdout=fd,
                                    stderr=subprocess.PIPE, env=env, text=True)
            if result.returncode:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        if fd >= 0:
            os.close(fd)
    return path


def restore(source: Path, url: str | None = None) -> None:
    """Replace the database's whole content with the backup `source`."""
    parsed = _url(url)
    source = Path(source)
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if _is_sqlite(parsed):
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup")
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_file(parsed), timeout=30)
        try:
            if backup_db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is damaged (quick_check failed)")
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    if not magic.startswith(PG_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup")
    libpq, env = _libpq(parsed)
    # One transaction: a failed restore leaves the database as it was. Sessions still open on the
    # database hold locks the DROPs wait for: stop the app first.
    result = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             "--exit-on-error", "-d", libpq, str(source)], stderr=subprocess.PIPE, env=env, text=True)
    if result.returncode:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
