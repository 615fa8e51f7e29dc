"""Command line: `python -m remote_vote_app.cli migrate | import-reference | seed | create-staff | reset-totp |
revoke-devices | backup | restore | pass-keygen`."""

from __future__ import annotations

import argparse
import getpass
import sys

from alembic import command
from alembic.config import Config

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.settings import ROOT, settings


def migrate(url: str | None = None, revision: str = "head") -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def seed(url: str | None = None, voters: int = 5000, applications: int = 0) -> bool:
    from remote_vote_app.demo.seed import seed_if_empty

    with session_scope(url) as session:
        return seed_if_empty(session, voters=voters, applications=applications)


def import_reference(url: str | None = None) -> dict:
    """Territories, remote precincts, elections, districts and the country's precincts from the
    versioned data files (any mode); one transaction: a refused file leaves nothing of the import."""
    from remote_vote_app.services.reference.reference import import_reference as load

    with session_scope(url) as session:
        return load(session)


def backup_restore(args: argparse.Namespace) -> int:
    from remote_vote_app import backup

    try:
        if args.command == "backup":
            print(f"backup written to {backup.backup(args.to)}")
        else:
            backup.restore(args.source)
            print(f"database restored from {args.source}")
    except (backup.BackupError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def create_staff(args: argparse.Namespace) -> int:
    from remote_vote_app.i18n import t
    from remote_vote_app.errors import ServiceError
    from remote_vote_app.services.identity.staff import create_account, enrol, issue_enrolment_code

    # No password on the command line: it would stay in the shell history and the process list.
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        with session_scope() as session:
            account = create_account(session, args.username, args.full_name, password, args.role,
                                     territory_code=args.territory, precinct_number=args.precinct, actor="system:cli")
            print(f"created {account.username} ({account.role})")
            if args.enrol_at_login:
                _print_enrolment_code(issue_enrolment_code(session, account, "system:cli"))
            else:
                _print_enrolment(*enrol(session, account, "system:cli"))
    except ServiceError as exc:
        print(t("en", exc.code, **exc.params), file=sys.stderr)
        return 2
    return 0


def _print_enrolment(enrolment, codes: list[str]) -> None:
    """Shown once, to hand to the staff member in person; nothing of it is logged or kept in clear."""
    print("Authenticator app (TOTP): scan or paste this URI, or type the secret by hand")
    print(f"  URI:    {enrolment.uri}")
    print(f"  secret: {enrolment.secret}")
    print("One-time recovery codes (each works once, in place of a code from the app):")
    for code in codes:
        print(f"  {code}")


def _print_enrolment_code(code: str) -> None:
    """Shown once, to hand to the staff member in person; only its hash is kept."""
    from remote_vote_app.services.identity.staff import ENROLMENT_CODE_HOURS

    print("two-factor login: the account enrols its authenticator app at its next login, after giving this "
          f"one-time enrolment code (valid {ENROLMENT_CODE_HOURS} hours, works once):")
    print(f"  enrolment code: {code}")


def reset_totp(args: argparse.Namespace) -> int:
    from remote_vote_app.i18n import t
    from remote_vote_app.errors import ServiceError
    from remote_vote_app.services.identity.staff import reset_totp as reset

    try:
        with session_scope() as session:
            account, code = reset(session, args.username, actor="system:cli")
            print(f"{account.username}: second factor and recovery codes removed, every session ended")
            _print_enrolment_code(code)
    except ServiceError as exc:
        print(t("en", exc.code, **exc.params), file=sys.stderr)
        return 2
    return 0


def revoke_devices(args: argparse.Namespace) -> int:
    """End every device cookie of one voter (a stolen laptop, a shared computer): their browsers log
    in like any other until the next SMS-code or eID login there."""
    from remote_vote_app.models import Voter
    from remote_vote_app.services.identity import devices

    with session_scope() as session:
        if session.get(Voter, args.voter) is None:
            print(f"no voter with record number {args.voter}", file=sys.stderr)
            return 2
        count = devices.revoke_all(session, args.voter, actor="system:cli")
    print(f"voter {args.voter}: {count} trusted browser(s) revoked")
    return 0


def pass_keygen(args: argparse.Namespace) -> int:
    """A new signing key on standard output only (nothing is written to disk); the public half and
    its kid on standard error, for the record."""
    import json

    from joserfc.jwk import OKPKey

    from remote_vote_app.services.applications.passes import generate_private_jwk

    private = generate_private_jwk()
    key = OKPKey.import_key(json.loads(private))
    print(key.as_pem(private=True).decode().strip() if args.pem else private)
    print(f"Put this in PASS_SIGNING_KEY (keep it secret). kid={key.thumbprint()}; the public key is then served "
          "at /api/pass-key. A new key makes every pass printed before it unverifiable.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    from remote_vote_app.services.identity.staff import ROLES

    parser = argparse.ArgumentParser(prog="remote_vote_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("import-reference", help="load territories, remote precincts, elections, districts and the "
                                            "country's precincts (idempotent)")
    to = sub.add_parser("backup", help="back up the database (default: backups/remote-vote-<UTC time>.*)")
    to.add_argument("--to", help="backup file to write (must not exist)")
    source = sub.add_parser("restore", help="replace the database's content with a backup (stop the app first)")
    source.add_argument("--from", dest="source", required=True, help="backup file written by `backup`")
    seed_parser = sub.add_parser("seed", help="load demo data into an empty database")
    seed_parser.add_argument("--voters", type=int, default=5000)
    seed_parser.add_argument("--applications", type=int, default=300,
                             help="demo applications to the demo election, for the staff dashboard")
    staff = sub.add_parser("create-staff", help="create a commission staff account")
    staff.add_argument("--username", required=True)
    staff.add_argument("--full-name", required=True)
    staff.add_argument("--role", required=True, choices=list(ROLES))
    staff.add_argument("--territory", help="territory code, for tec_operator (e.g. BISHKEK)")
    staff.add_argument("--precinct", help="precinct number: the remote precinct of a precinct_member (e.g. ДГ-05), "
                                          "the home precinct of a home_precinct_member (e.g. \"УИК №1001\")")
    staff.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.add_argument("--enrol-at-login", action="store_true",
                       help="do not print a TOTP secret now; print a one-time enrolment code instead, with which "
                            "the staff member enrols at first login (QR code)")
    keygen = sub.add_parser("pass-keygen", help="print a new Ed25519 private key for PASS_SIGNING_KEY (voter passes)")
    keygen.add_argument("--pem", action="store_true", help="PEM (PKCS#8) instead of JWK JSON")
    reset = sub.add_parser("reset-totp", help="remove a staff account's TOTP and recovery codes and end its sessions "
                                              "(lost phone); prints a one-time enrolment code")
    reset.add_argument("username")
    revoke = sub.add_parser("revoke-devices", help="end every device cookie of a voter: no browser of theirs keeps "
                                                   "its own SMS login budget until it logs in again")
    revoke.add_argument("voter", type=int, help="the voter's record number (as on the audit page), not the PIN")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is at the latest migration")
    elif args.command == "import-reference":
        try:
            outcomes = import_reference()
        except ValueError as exc:
            print(f"reference data refused, nothing imported: {exc}", file=sys.stderr)
            return 2
        for name, outcome in outcomes.items():
            print(f"{name}: {outcome}")
    elif args.command in ("backup", "restore"):
        return backup_restore(args)
    elif args.command == "create-staff":
        return create_staff(args)
    elif args.command == "reset-totp":
        return reset_totp(args)
    elif args.command == "revoke-devices":
        return revoke_devices(args)
    elif args.command == "pass-keygen":
        return pass_keygen(args)
    elif args.command == "seed":
        if not settings.demo_mode:
            print("refusing to seed demo data: DEMO_MODE is off", file=sys.stderr)
            return 2
        loaded = seed(voters=args.voters, applications=args.applications)
        print("demo data loaded" if loaded else "database already has data; seed skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
