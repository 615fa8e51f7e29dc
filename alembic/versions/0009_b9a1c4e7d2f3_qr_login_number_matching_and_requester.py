"""QR login: the number the phone must match, its decoys, and the requesting desktop's address

Revision ID: b9a1c4e7d2f3
Revises: a7c3e91d5b20
Create Date: 2026-11-26 09:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'b9a1c4e7d2f3'
down_revision: Union[str, None] = 'a7c3e91d5b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Server defaults so rows of links still open at upgrade time get values (they expire in minutes).
    with op.batch_alter_table('qrlogin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('choices', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('qrlogin', schema=None) as batch_op:
        batch_op.drop_column('choices')
        batch_op.drop_column('number')
        batch_op.drop_column('client')
