"""The database triggers the schema relies on, in one place, for the migrations.

Two kinds: the audit trail is append-only (the database refuses UPDATE, DELETE and, on PostgreSQL,
TRUNCATE), and a change to a cached reference table bumps the reference version token
(services/reference/refcache.py). SQLite loses a table's triggers when Alembic's batch mode rebuilds the
table (copy, drop, rename), so a migration that batch-alters a table named here uses
`batch_alter_table` below, which puts them back; tests/unit/test_migrations.py keeps that true.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

AUDIT = "auditevent"
REFERENCE = ("territory", "election", "precinct", "electoraldistrict", "districtprecinct")
_VERBS = ("INSERT", "UPDATE", "DELETE")
# A random token, not a counter: a rolled-back change or a restored backup can never bring back a
# value that a worker's stale copy carries for other data.
_BUMP_SQLITE = "UPDATE referenceversion SET version = random() WHERE id = 1"
_BUMP_POSTGRESQL = "UPDATE referenceversion SET version = (random() * 9007199254740991)::bigint WHERE id = 1"


def triggers(table: str, dialect: str) -> dict[str, str]:
    """The triggers `table` carries on `dialect`: name -> CREATE statement."""
    if table == AUDIT and dialect == "sqlite":
        return {f"auditevent_no_{verb.lower()}": f"CREATE TRIGGER auditevent_no_{verb.lower()} BEFORE {verb} ON "
                f"auditevent BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                for verb in ("UPDATE", "DELETE")}
    if table == AUDIT and dialect == "postgresql":
        return {"auditevent_append_only": "CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON "
                "auditevent FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()",
                # TRUNCATE skips row triggers.
                "auditevent_no_truncate": "CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
                "FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()"}
    if table in REFERENCE and dialect == "sqlite":
        return {f"{table}_reference_version_{verb.lower()}": f"CREATE TRIGGER {table}_reference_version_"
                f"{verb.lower()} AFTER {verb} ON {table} BEGIN {_BUMP_SQLITE}; END" for verb in _VERBS}
    if table in REFERENCE and dialect == "postgresql":
        return {f"{table}_reference_version": f"CREATE TRIGGER {table}_reference_version AFTER INSERT OR UPDATE OR "
                f"DELETE OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()"}
    return {}


def functions(dialect: str) -> dict[str, str]:
    """PostgreSQL's trigger functions: name -> CREATE statement (SQLite triggers carry their body)."""
    if dialect != "postgresql":
        return {}
    return {
        "auditevent_append_only": "CREATE FUNCTION auditevent_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit events are append-only'; END $$ LANGUAGE plpgsql",
        "bump_reference_version": "CREATE FUNCTION bump_reference_version() RETURNS trigger AS $$ BEGIN "
        f"{_BUMP_POSTGRESQL}; RETURN NULL; END $$ LANGUAGE plpgsql",
    }


def _dialect(op: Any) -> str:
    return op.get_bind().dialect.name


def create_function(op: Any, name: str) -> None:
    statement = functions(_dialect(op)).get(name)
    if statement:
        op.execute(statement)


def drop_function(op: Any, name: str) -> None:
    if _dialect(op) == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def create(op: Any, table: str) -> None:
    """Create `table`'s triggers (its PostgreSQL functions must exist: `create_function`)."""
    for statement in triggers(table, _dialect(op)).values():
        op.execute(statement)


def drop(op: Any, table: str) -> None:
    dialect = _dialect(op)
    for name in triggers(table, dialect):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))


@contextmanager
def batch_alter_table(op: Any, table: str, **kwargs: Any) -> Iterator[Any]:
    """Alembic's `op.batch_alter_table`, and afterwards the table's triggers as they were: on SQLite
    the rebuild drops them (PostgreSQL alters in place and keeps them)."""
    with op.batch_alter_table(table, **kwargs) as batch:
        yield batch
    if _dialect(op) == "sqlite":
        drop(op, table)
        create(op, table)
