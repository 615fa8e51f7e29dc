"""server-side sessions behind HttpOnly cookies (the Reflex token alone carries no authority)

Revision ID: c5e55105a001
Revises: 37937802ffb7
Create Date: 2026-12-01 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'c5e55105a001'
down_revision: Union[str, None] = '37937802ffb7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'usersession',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(), nullable=False),
        sa.Column('sid_hash', sa.String(length=64), nullable=True),
        sa.Column('ticket_hash', sa.String(length=64), nullable=True),
        sa.Column('ticket_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('client', sa.String(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('end_reason', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sid_hash'),
        sa.UniqueConstraint('ticket_hash'),
    )
    op.create_index('ix_usersession_kind', 'usersession', ['kind'])
    op.create_index('ix_usersession_subject_id', 'usersession', ['subject_id'])


def downgrade() -> None:
    op.drop_index('ix_usersession_subject_id', table_name='usersession')
    op.drop_index('ix_usersession_kind', table_name='usersession')
    op.drop_table('usersession')
