"""Command line: `python -m remote_vote_app.cli migrate | seed | setup`."""

from __future__ import annotations

import argparse
import sys

from alembic import command
from alembic.config import Config

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.settings import ROOT, settings


def migrate(url: str | None = None) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def seed(url: str | None = None, voters: int = 5000) -> bool:
    from remote_vote_app.services.seed import seed_if_empty

    with session_scope(url) as session:
        return seed_if_empty(session, voters=voters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remote_vote_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    seed_parser = sub.add_parser("seed", help="load demo data into an empty database")
    seed_parser.add_argument("--voters", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is at the latest migration")
    elif args.command == "seed":
        if not settings.demo_mode:
            print("refusing to seed demo data: DEMO_MODE is off", file=sys.stderr)
            return 2
        print("demo data loaded" if seed(voters=args.voters) else "database already has data; seed skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
