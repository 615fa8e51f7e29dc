"""face traces: short-lived perceptual hashes of FaceID frames' faces, to refuse replays across attempts

Revision ID: a3f9c2d4e5b6
Revises: a3f9d2c6b7e1
Create Date: 2026-12-07 15:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'a3f9c2d4e5b6'
down_revision: Union[str, None] = 'a3f9d2c6b7e1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'facetrace',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('phash', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_facetrace_subject'), 'facetrace', ['subject'], unique=False)
    op.create_index(op.f('ix_facetrace_created_at'), 'facetrace', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_facetrace_created_at'), table_name='facetrace')
    op.drop_index(op.f('ix_facetrace_subject'), table_name='facetrace')
    op.drop_table('facetrace')
