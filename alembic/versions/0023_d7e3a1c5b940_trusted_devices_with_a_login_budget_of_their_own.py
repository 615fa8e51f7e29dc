"""trusted devices: a browser where the voter logged in (SMS code or eID) keeps a device cookie whose
SMS logins have a budget of their own; login codes sent to it name it

Revision ID: d7e3a1c5b940
Revises: d5f2a8c1e370
Create Date: 2026-12-09 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'd7e3a1c5b940'
down_revision: Union[str, None] = 'd5f2a8c1e370'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'trusteddevice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('client', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('expires_at', UTC(), nullable=False),
        sa.Column('revoked_at', UTC(), nullable=True),
        sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_trusteddevice_voter_id', 'trusteddevice', ['voter_id'])
    # A plain add_column (no batch rebuild, no foreign key): SQLite keeps the table as it is.
    op.add_column('logincode', sa.Column('device_id', sa.Integer(), nullable=True))
    op.create_index('ix_logincode_device_id', 'logincode', ['device_id'])


def downgrade() -> None:
    op.drop_index('ix_logincode_device_id', table_name='logincode')
    with op.batch_alter_table('logincode') as batch:
        batch.drop_column('device_id')
    op.drop_index('ix_trusteddevice_voter_id', table_name='trusteddevice')
    op.drop_table('trusteddevice')
