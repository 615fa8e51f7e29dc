"""the voter register's address in each language: address becomes address_ru, plus address_ky and
address_en, filled with the Russian text where no translation exists yet

Revision ID: 5b8e1f3a7c24
Revises: e7b2c4d1a9f0
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '5b8e1f3a7c24'
down_revision: Union[str, None] = 'e7b2c4d1a9f0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # A plain column rename (SQLite 3.25+ and PostgreSQL): no table copy, the foreign keys that
    # point at voter stay as they are.
    op.execute("ALTER TABLE voter RENAME COLUMN address TO address_ru")
    op.add_column('voter', sa.Column('address_ky', S(), nullable=False, server_default=''))
    op.add_column('voter', sa.Column('address_en', S(), nullable=False, server_default=''))
    # Rows registered before this migration have only the Russian text: every language shows it until
    # the register supplies a translation (the same fallback i18n.localized applies to an empty one).
    op.execute("UPDATE voter SET address_ky = address_ru WHERE address_ky = ''")
    op.execute("UPDATE voter SET address_en = address_ru WHERE address_en = ''")


def downgrade() -> None:
    op.drop_column('voter', 'address_en')
    op.drop_column('voter', 'address_ky')
    op.execute("ALTER TABLE voter RENAME COLUMN address_ru TO address")
