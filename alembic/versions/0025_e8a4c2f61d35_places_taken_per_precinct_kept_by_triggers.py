"""places taken per election and remote precinct, kept by triggers on application: the form reads
one row per precinct instead of counting the election's applications

Revision ID: e8a4c2f61d35
Revises: e8a4c2f61b17
Create Date: 2026-12-07 23:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from remote_vote_app import schema_triggers


revision: str = 'e8a4c2f61d35'
down_revision: Union[str, None] = 'e8a4c2f61b17'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_FUNCTIONS = ("precinct_book", "application_booked", "application_unbooked")


def upgrade() -> None:
    op.create_table(
        'precinctbooking',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('booked', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('election_id', 'precinct_id'),
    )
    if op.get_bind().dialect.name == "postgresql":
        # No application changes between the count below and the triggers (SQLite: the migration
        # holds the one write lock already).
        op.execute("LOCK TABLE application IN SHARE MODE")
    op.execute("INSERT INTO precinctbooking (election_id, precinct_id, booked) "
               "SELECT election_id, remote_precinct_id, count(*) FROM application WHERE status = 'submitted' "
               "GROUP BY election_id, remote_precinct_id")
    for name in _FUNCTIONS:
        schema_triggers.create_function(op, name)
    schema_triggers.create(op, schema_triggers.BOOKED)


def downgrade() -> None:
    schema_triggers.drop(op, schema_triggers.BOOKED)
    for name in reversed(_FUNCTIONS):
        schema_triggers.drop_function(op, name)
    op.drop_table('precinctbooking')
