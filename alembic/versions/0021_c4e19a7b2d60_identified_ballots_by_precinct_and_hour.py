"""identified ballots indexed by (election, precinct, issued_at): the commission's turnout by hour
reads the index alone; it replaces the (election, precinct) index it extends

Revision ID: c4e19a7b2d60
Revises: b7d21c4e9a30
Create Date: 2026-12-08 18:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'c4e19a7b2d60'
down_revision: Union[str, None] = 'b7d21c4e9a30'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_identifiedballot_election_precinct_issued', 'identifiedballot',
                    ['election_id', 'precinct_id', 'issued_at'])
    op.drop_index('ix_identifiedballot_election_precinct', table_name='identifiedballot')


def downgrade() -> None:
    op.create_index('ix_identifiedballot_election_precinct', 'identifiedballot', ['election_id', 'precinct_id'])
    op.drop_index('ix_identifiedballot_election_precinct_issued', table_name='identifiedballot')
