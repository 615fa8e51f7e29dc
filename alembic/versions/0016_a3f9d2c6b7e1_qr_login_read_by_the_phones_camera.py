"""QR login read by the phone's camera: the public link id in the code, and which voter's phone scanned it when

Revision ID: a3f9d2c6b7e1
Revises: a55e7c1d0b20
Create Date: 2026-12-07 15:10:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'a3f9d2c6b7e1'
down_revision: Union[str, None] = 'a55e7c1d0b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain add_column (no batch rebuild). Links open at upgrade time have no link id: they expire
    # within minutes. The number-matching columns (`number`, `choices`) are no longer written;
    # their server defaults fill them.
    op.add_column('qrlogin', sa.Column('link_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('qrlogin', sa.Column('scanned_by', sa.Integer(), nullable=True))
    op.add_column('qrlogin', sa.Column('scanned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index('ix_qrlogin_link_hash', 'qrlogin', ['link_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_qrlogin_link_hash', table_name='qrlogin')
    with op.batch_alter_table('qrlogin', schema=None) as batch_op:
        batch_op.drop_column('scanned_at')
        batch_op.drop_column('scanned_by')
        batch_op.drop_column('link_hash')
