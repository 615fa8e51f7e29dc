"""The migration chain as a newcomer meets it: files in chain order, and the database triggers the
schema relies on (append-only audit, reference version, places taken) still there after any batch rebuild."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory

from remote_vote_app import cli, schema_triggers
from remote_vote_app.db import get_engine

ROOT = Path(__file__).resolve().parents[2]
TRIGGERED = (schema_triggers.AUDIT, *schema_triggers.REFERENCE, schema_triggers.BOOKED)


def _chain() -> list:
    return list(reversed(list(ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).walk_revisions())))


def _sqlite_triggers(engine: sa.Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                                {"t": table}).scalars())


def _postgresql_triggers(engine: sa.Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                                        "AND NOT tgisinternal"), {"t": table}).scalars())


def test_migration_files_are_numbered_in_chain_order():
    """`alembic revision` names a file `<rev>_<slug>.py`: prefix it with the next number."""
    for position, script in enumerate(_chain(), 1):
        name = Path(script.path).name
        assert name.startswith(f"{position:04d}_{script.revision}_"), (
            f"{name}: rename it to {position:04d}_{script.revision}_… (its place in the chain)")


def test_the_head_has_every_trigger_the_schema_names():
    engine = get_engine()
    dialect = engine.dialect.name
    found = _sqlite_triggers if dialect == "sqlite" else _postgresql_triggers
    for table in TRIGGERED:
        assert found(engine, table) == set(schema_triggers.triggers(table, dialect)), table


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> sa.Engine:
    """A fresh SQLite database at head, apart from the suite's (rebuilt tables stay rebuilt)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'scratch.db'}"
    cli.migrate(url)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def _rebuild(engine: sa.Engine, table: str, column: str, guarded: bool) -> None:
    """What a migration does when it batch-alters `table` on SQLite: copy, drop, rename."""
    with engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        batch = schema_triggers.batch_alter_table if guarded else (lambda _op, *a, **k: _op.batch_alter_table(*a, **k))
        with batch(op, table, recreate="always") as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))


@pytest.mark.parametrize("table", TRIGGERED)
def test_a_batch_rebuild_through_the_helper_keeps_the_tables_triggers(scratch, table):
    before = _sqlite_triggers(scratch, table)
    assert before, f"{table} has no trigger at head: the test would prove nothing"
    _rebuild(scratch, table, "kept_by_helper", guarded=True)
    assert _sqlite_triggers(scratch, table) == before


def test_a_plain_batch_rebuild_drops_the_triggers_which_is_why_the_helper_exists(scratch):
    _rebuild(scratch, "precinct", "dropped_plainly", guarded=False)
    assert _sqlite_triggers(scratch, "precinct") == set()
    _rebuild(scratch, "precinct", "put_back", guarded=True)  # and the helper brings them back
    assert _sqlite_triggers(scratch, "precinct") == set(schema_triggers.triggers("precinct", "sqlite"))


_BATCH = re.compile(r"op\.batch_alter_table\(\s*['\"](\w+)['\"]")


def test_no_migration_batch_alters_a_triggered_table_without_the_helper(tmp_path):
    """Once a table has triggers, a plain `op.batch_alter_table` on it would drop them on SQLite.
    The chain is walked on a fresh database, one migration at a time, to see which tables have
    triggers before each migration runs."""
    url = f"sqlite:///{tmp_path / 'walk.db'}"
    engine = sa.create_engine(url)
    triggered: set[str] = set()
    for script in _chain():
        for table in _BATCH.findall(Path(script.path).read_text()):
            assert table not in triggered, (f"{Path(script.path).name} batch-alters {table}, which has triggers: "
                                            f"use schema_triggers.batch_alter_table(op, {table!r})")
        cli.migrate(url, script.revision)
        with engine.connect() as conn:
            triggered |= set(conn.execute(sa.text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    engine.dispose()
    assert triggered == set(TRIGGERED)


def test_the_places_taken_start_from_the_applications_already_filed(tmp_path):
    """Migration 0025 counts what was filed before it; its triggers count what comes after."""
    url = f"sqlite:///{tmp_path / 'filed.db'}"
    cli.migrate(url, "e8a4c2f61b17")  # the revision before the counter
    cli.seed(url, voters=200, applications=120)
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE application SET status = 'withdrawn' WHERE id % 7 = 0"))
    cli.migrate(url)
    counted = ("SELECT election_id, remote_precinct_id, count(*) FROM application WHERE status = 'submitted' "
               "GROUP BY election_id, remote_precinct_id")
    kept = "SELECT election_id, precinct_id, booked FROM precinctbooking WHERE booked <> 0"
    with engine.begin() as conn:
        before = set(conn.execute(sa.text(counted)).all())
        assert before and set(conn.execute(sa.text(kept)).all()) == before
        conn.execute(sa.text("UPDATE application SET status = 'withdrawn' WHERE id % 5 = 0"))
        assert set(conn.execute(sa.text(kept)).all()) == set(conn.execute(sa.text(counted)).all()) != before
    engine.dispose()
