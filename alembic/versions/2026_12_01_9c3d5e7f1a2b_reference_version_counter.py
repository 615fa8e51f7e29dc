"""reference version: a token that changes with every change to territories, elections or
precincts (database triggers, so raw SQL and bulk updates count too), so each worker can cache them
and know when its copy is out of date

Revision ID: 9c3d5e7f1a2b
Revises: 5b8e1f3a7c24
Create Date: 2026-12-01 21:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '9c3d5e7f1a2b'
down_revision: Union[str, None] = '5b8e1f3a7c24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("territory", "election", "precinct")
VERBS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    table = op.create_table(
        'referenceversion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])
    # A random token, not a counter: a rolled-back change or a restored backup can never bring back a
    # value that a worker's stale copy carries for other data.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TABLES:
            for verb in VERBS:
                op.execute(f"CREATE TRIGGER {name}_reference_version_{verb.lower()} AFTER {verb} ON {name} "
                           "BEGIN UPDATE referenceversion SET version = random() WHERE id = 1; END")
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_reference_version() RETURNS trigger AS $$ BEGIN "
            "UPDATE referenceversion SET version = (random() * 9007199254740991)::bigint WHERE id = 1; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for name in TABLES:
            op.execute(f"CREATE TRIGGER {name}_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TABLES:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER IF EXISTS {name}_reference_version_{verb.lower()}")
    elif dialect == "postgresql":
        for name in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_reference_version ON {name}")
        op.execute("DROP FUNCTION IF EXISTS bump_reference_version()")
    op.drop_table('referenceversion')
