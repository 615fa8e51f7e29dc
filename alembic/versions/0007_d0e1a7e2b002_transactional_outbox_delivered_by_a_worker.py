"""transactional outbox delivered by a worker: retries with backoff, idempotent delivery ids

Revision ID: d0e1a7e2b002
Revises: c5e55105a001
Create Date: 2026-12-01 18:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'd0e1a7e2b002'
down_revision: Union[str, None] = 'c5e55105a001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_body', sa.String(), server_default='', nullable=False))
        # Existing rows get distinct ids from their primary key.
        batch_op.add_column(sa.Column('delivery_id', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(), server_default='', nullable=False))
        batch_op.create_index('ix_outboxmessage_status', ['status'])
    op.execute("UPDATE outboxmessage SET delivery_id = 'legacy-' || CAST(id AS VARCHAR(20))")


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outboxmessage_status')
        for column in ('last_error', 'sent_at', 'claimed_at', 'next_attempt_at', 'attempts', 'delivery_id', 'sealed_body'):
            batch_op.drop_column(column)
