"""long login codes: once wrong codes were tried for a PIN, its login codes are long (65 bits) and
wrong tries do not spend them, so a stranger with PIN + document cannot burn the owner's code

Revision ID: e8a4c2f61b17
Revises: d7e3a1c5b940
Create Date: 2026-12-08 00:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e8a4c2f61b17'
down_revision: Union[str, None] = 'd7e3a1c5b940'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('logincode', sa.Column('strong', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('logincode') as batch:
        batch.drop_column('strong')
