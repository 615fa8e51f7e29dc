"""step-up proof on sessions and verified contact phones (one assurance model, in services)

Revision ID: a55e7c1d0b20
Revises: 9c3d5e7f1a2b
Create Date: 2026-12-07 15:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'a55e7c1d0b20'
down_revision: Union[str, None] = '9c3d5e7f1a2b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # A plain add_column (no batch rebuild): SQLite keeps the table's triggers.
    op.add_column('usersession', sa.Column('stepped_up_at', UTC(), nullable=True))
    op.create_table(
        'phoneverification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('challenge', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('expires_at', UTC(), nullable=False),
        sa.Column('verified_at', UTC(), nullable=True),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('challenge'),
    )
    op.create_index('ix_phoneverification_voter_id', 'phoneverification', ['voter_id'])
    op.create_index('ix_phoneverification_created_at', 'phoneverification', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_phoneverification_created_at', table_name='phoneverification')
    op.drop_index('ix_phoneverification_voter_id', table_name='phoneverification')
    op.drop_table('phoneverification')
    with op.batch_alter_table('usersession') as batch:
        batch.drop_column('stepped_up_at')
