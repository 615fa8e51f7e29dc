"""check-in: the device's time, method and offline state kept as claims beside the server's receipt time; flags by precinct

Revision ID: 3c9e5a7b1d42
Revises: a3f9c2d4e5b6
Create Date: 2026-12-07 15:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '3c9e5a7b1d42'
down_revision: Union[str, None] = 'a3f9c2d4e5b6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # Plain add_column (no batch rebuild): nullable or with a server default, so SQLite keeps the
    # tables' triggers.
    for table in ('ballotissue', 'checkinflag'):
        op.add_column(table, sa.Column('claimed_at', UTC(), nullable=True))
        op.add_column(table, sa.Column('claimed_method', sqlmodel.sql.sqltypes.AutoString(length=16),
                                       nullable=False, server_default=''))
        op.add_column(table, sa.Column('claimed_offline', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Existing rows: what they stored was the device's word.
    op.execute("UPDATE ballotissue SET claimed_at = marked_at, claimed_method = method, claimed_offline = offline")
    op.execute("UPDATE checkinflag SET claimed_at = marked_at, claimed_offline = offline")
    # The desks' coordination feed reads a precinct's flags after a cursor.
    op.create_index('ix_checkinflag_precinct_id', 'checkinflag', ['precinct_id'])


def downgrade() -> None:
    op.drop_index('ix_checkinflag_precinct_id', table_name='checkinflag')
    for table in ('checkinflag', 'ballotissue'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('claimed_offline')
            batch.drop_column('claimed_method')
            batch.drop_column('claimed_at')
