"""staff TOTP second factor (encrypted secret, last used step) and one-time recovery codes

Revision ID: a7c3e91d5b20
Revises: d0e1a7e2b002
Create Date: 2026-11-26 09:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'a7c3e91d5b20'
down_revision: Union[str, None] = 'd0e1a7e2b002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable columns: a plain ADD COLUMN on SQLite and PostgreSQL alike; existing accounts enrol at next login.
    op.add_column('staffaccount', sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('staffaccount', sa.Column('totp_enrolled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('staffaccount', sa.Column('totp_last_counter', sa.Integer(), nullable=True))
    op.create_table(
        'staffrecoverycode',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staffaccount.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    op.create_index(op.f('ix_staffrecoverycode_staff_id'), 'staffrecoverycode', ['staff_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staffrecoverycode_staff_id'), table_name='staffrecoverycode')
    op.drop_table('staffrecoverycode')
    with op.batch_alter_table('staffaccount') as batch:  # SQLite rebuilds the table; PostgreSQL drops columns
        batch.drop_column('totp_last_counter')
        batch.drop_column('totp_enrolled_at')
        batch.drop_column('totp_secret')
