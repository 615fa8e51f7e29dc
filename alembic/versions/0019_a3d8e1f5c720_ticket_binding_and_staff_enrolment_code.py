"""login tickets bound to the asking browser; one-time TOTP enrolment codes for staff

Revision ID: a3d8e1f5c720
Revises: 3c9e5a7b1d42
Create Date: 2026-12-07 15:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'a3d8e1f5c720'
down_revision: Union[str, None] = '3c9e5a7b1d42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # Plain add_column (no batch): a batch rebuild on SQLite would drop the tables' triggers.
    op.add_column('usersession', sa.Column('ticket_binding_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                           nullable=True))
    op.add_column('staffaccount', sa.Column('enrolment_code_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                            nullable=True))
    op.add_column('staffaccount', sa.Column('enrolment_code_expires_at', UTC(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staffaccount') as batch:
        batch.drop_column('enrolment_code_expires_at')
        batch.drop_column('enrolment_code_hash')
    with op.batch_alter_table('usersession') as batch:
        batch.drop_column('ticket_binding_hash')
