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

from remote_vote_app import schema_triggers


revision: str = '9c3d5e7f1a2b'
down_revision: Union[str, None] = '5b8e1f3a7c24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("territory", "election", "precinct")


def upgrade() -> None:
    table = op.create_table(
        'referenceversion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])
    schema_triggers.create_function(op, "bump_reference_version")
    for name in TABLES:
        schema_triggers.create(op, name)


def downgrade() -> None:
    for name in TABLES:
        schema_triggers.drop(op, name)
    schema_triggers.drop_function(op, "bump_reference_version")
    op.drop_table('referenceversion')
