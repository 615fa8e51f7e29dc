"""The database triggers the schema relies on, in one place, for the migrations.

Three kinds: the audit trail is append-only (the database refuses UPDATE, DELETE and, on PostgreSQL,
TRUNCATE); a change to a cached reference table bumps the reference version token
(services/reference/refcache.py); and every change to an application keeps the places taken per
election and precinct (`precinctbooking`, services/applications/capacity.py) in its own transaction. SQLite loses a table's triggers when Alembic's batch mode rebuilds the
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
BOOKED = "application"
# An update that moves an application, or changes whether it is submitted ("IS NOT": SQLite's
# "IS DISTINCT FROM").
_MOVED = "(OLD.{c} IS NOT NEW.{c} OR OLD.{e} IS NOT NEW.{e} OR OLD.{p} IS NOT NEW.{p})".format(
    c="status", e="election_id", p="remote_precinct_id")


def _book_sqlite(row: str, places: int) -> str:
    return (f"INSERT INTO precinctbooking (election_id, precinct_id, booked) VALUES ({row}.election_id, "
            f"{row}.remote_precinct_id, {places}) ON CONFLICT (election_id, precinct_id) "
            f"DO UPDATE SET booked = precinctbooking.booked + {places}")


def _booked_sqlite() -> dict[str, str]:
    submitted = "{row}.status = 'submitted'"
    parts = {  # name -> (event, condition, row, places)
        "application_booked_insert": ("INSERT", submitted.format(row="NEW"), "NEW", 1),
        "application_booked_delete": ("DELETE", submitted.format(row="OLD"), "OLD", -1),
        "application_booked_update_from": ("UPDATE OF status, election_id, remote_precinct_id",
                                           f"{submitted.format(row='OLD')} AND {_MOVED}", "OLD", -1),
        "application_booked_update_to": ("UPDATE OF status, election_id, remote_precinct_id",
                                         f"{submitted.format(row='NEW')} AND {_MOVED}", "NEW", 1),
    }
    return {name: f"CREATE TRIGGER {name} AFTER {event} ON application WHEN {condition} BEGIN "
            f"{_book_sqlite(row, places)}; END" for name, (event, condition, row, places) in parts.items()}


# PostgreSQL: the counter rows are locked in key order, so two changes moving applications between
# the same two precincts in opposite directions wait for each other instead of deadlocking.
_BOOKED_POSTGRESQL = """CREATE FUNCTION application_booked() RETURNS trigger AS $$
DECLARE
  gone boolean := false;
  came boolean := false;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    gone := OLD.status = 'submitted';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    came := NEW.status = 'submitted';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NOT """ + _MOVED.replace("IS NOT", "IS DISTINCT FROM") + """ THEN
      RETURN NULL;
    END IF;
  END IF;
  IF gone AND came AND (NEW.election_id, NEW.remote_precinct_id) < (OLD.election_id, OLD.remote_precinct_id) THEN
    PERFORM precinct_book(NEW.election_id, NEW.remote_precinct_id, 1);
    PERFORM precinct_book(OLD.election_id, OLD.remote_precinct_id, -1);
    RETURN NULL;
  END IF;
  IF gone THEN
    PERFORM precinct_book(OLD.election_id, OLD.remote_precinct_id, -1);
  END IF;
  IF came THEN
    PERFORM precinct_book(NEW.election_id, NEW.remote_precinct_id, 1);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql"""


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
    if table == BOOKED and dialect == "sqlite":
        return _booked_sqlite()  # SQLite has no TRUNCATE: DELETE runs the row triggers
    if table == BOOKED and dialect == "postgresql":
        return {"application_booked": "CREATE TRIGGER application_booked AFTER INSERT OR UPDATE OF status, election_id, "
                "remote_precinct_id OR DELETE ON application FOR EACH ROW EXECUTE FUNCTION application_booked()",
                # TRUNCATE skips row triggers.
                "application_booked_truncate": "CREATE TRIGGER application_booked_truncate AFTER TRUNCATE ON "
                "application FOR EACH STATEMENT EXECUTE FUNCTION application_unbooked()"}
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
        # Before application_booked, which calls it.
        "precinct_book": "CREATE FUNCTION precinct_book(election integer, precinct integer, places integer) "
        "RETURNS void AS $$ INSERT INTO precinctbooking AS b (election_id, precinct_id, booked) "
        "VALUES (election, precinct, places) ON CONFLICT (election_id, precinct_id) "
        "DO UPDATE SET booked = b.booked + places $$ LANGUAGE sql",
        "application_booked": _BOOKED_POSTGRESQL,
        "application_unbooked": "CREATE FUNCTION application_unbooked() RETURNS trigger AS $$ BEGIN "
        "DELETE FROM precinctbooking; RETURN NULL; END $$ LANGUAGE plpgsql",
    }


def _dialect(op: Any) -> str:
    return op.get_bind().dialect.name


def create_function(op: Any, name: str) -> None:
    statement = functions(_dialect(op)).get(name)
    if statement:
        op.execute(statement)


_SIGNATURES = {"precinct_book": "(integer, integer, integer)"}


def drop_function(op: Any, name: str) -> None:
    if _dialect(op) == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {name}{_SIGNATURES.get(name, '()')}")


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
