"""reference version: one counter bumped with every change to territories, elections or precincts,
so each worker can cache them and know when its copy is out of date

Revision ID: 9c3d5e7f1a2b
Revises: 5b8e1f3a7c24
Create Date: 2026-12-01 21:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '9c3d5e7f1a2b'
down_revision: Union[str, None] = '5b8e1f3a7c24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        'referenceversion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('referenceversion')
