"""identification decisions keep an offline mark's claims beside the server's receipt time: the kind of
mark and the district whose ballot the device says it handed out (the server counts the register's)

Revision ID: d5f2a8c1e370
Revises: c4e19a7b2d60
Create Date: 2026-12-09 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'd5f2a8c1e370'
down_revision: Union[str, None] = 'c4e19a7b2d60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # Plain add_column (no batch rebuild): nullable or with a server default.
    op.add_column('identificationdecision', sa.Column('received_at', UTC(), nullable=True))
    op.add_column('identificationdecision', sa.Column('claimed_kind', sqlmodel.sql.sqltypes.AutoString(length=16),
                                                      nullable=False, server_default=''))
    op.add_column('identificationdecision', sa.Column('claimed_district', sa.Integer(), nullable=True))
    # Rows written before: the server kept only its decision time; an offline mark's kind followed from
    # its outcome (a conflict's kind is in `shown`). The district the device claimed was never sent on.
    op.execute("UPDATE identificationdecision SET received_at = at")
    op.execute("UPDATE identificationdecision SET claimed_kind = CASE outcome WHEN 'issue' THEN 'home' "
               "ELSE 'provisional' END WHERE offline AND outcome IN ('issue', 'provisional')")


def downgrade() -> None:
    op.drop_column('identificationdecision', 'claimed_district')
    op.drop_column('identificationdecision', 'claimed_kind')
    op.drop_column('identificationdecision', 'received_at')
