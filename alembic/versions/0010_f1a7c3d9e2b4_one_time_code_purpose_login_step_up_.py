"""one-time code purpose: login, step-up after FaceID, consent to a commission's FaceID reference

Revision ID: f1a7c3d9e2b4
Revises: b9a1c4e7d2f3
Create Date: 2026-12-01 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'f1a7c3d9e2b4'
down_revision: Union[str, None] = 'b9a1c4e7d2f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: the same on SQLite and PostgreSQL.
    op.add_column('logincode', sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                         server_default='login'))


def downgrade() -> None:
    with op.batch_alter_table('logincode') as batch:
        batch.drop_column('purpose')
