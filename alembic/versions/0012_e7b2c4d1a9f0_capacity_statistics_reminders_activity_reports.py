"""precinct capacity per election, fixed public statistics, reminders sent once with opt-out, the
voter's 'this wasn't me' reports, and the voter's language on each application

Revision ID: e7b2c4d1a9f0
Revises: e4c7a2b9d610
Create Date: 2026-12-01 19:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'e7b2c4d1a9f0'
down_revision: Union[str, None] = 'e4c7a2b9d610'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Applications filed before this migration get Russian, the default language of the service.
    op.add_column('application', sa.Column('lang', S(length=2), nullable=False, server_default='ru'))
    op.create_table(
        'precinctcapacity',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('election_id', sa.Integer(), sa.ForeignKey('election.id'), nullable=False),
        sa.Column('precinct_id', sa.Integer(), sa.ForeignKey('precinct.id'), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTC(), nullable=False),
        sa.Column('updated_by', S(), nullable=False),
        sa.UniqueConstraint('election_id', 'precinct_id', name='uq_precinctcapacity_election_precinct'),
    )
    op.create_index('ix_precinctcapacity_election_id', 'precinctcapacity', ['election_id'])
    op.create_index('ix_precinctcapacity_precinct_id', 'precinctcapacity', ['precinct_id'])
    op.create_table(
        'statisticssnapshot',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('election_day', sa.Date(), nullable=False, unique=True),
        sa.Column('fixed_at', UTC(), nullable=False),
        sa.Column('payload', S(), nullable=False),
    )
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', S(length=16), nullable=False),
        sa.Column('election_id', sa.Integer(), sa.ForeignKey('election.id'), nullable=False),
        sa.Column('voter_id', sa.Integer(), sa.ForeignKey('voter.id'), nullable=False),
        sa.Column('status', S(length=16), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.UniqueConstraint('kind', 'election_id', 'voter_id', name='uq_reminder_kind_election_voter'),
    )
    op.create_index('ix_reminder_election_id', 'reminder', ['election_id'])
    op.create_index('ix_reminder_voter_id', 'reminder', ['voter_id'])
    op.create_index('ix_reminder_created_at', 'reminder', ['created_at'])
    op.create_table(
        'reminderoptout',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('voter_id', sa.Integer(), sa.ForeignKey('voter.id'), nullable=False, unique=True),
        sa.Column('created_at', UTC(), nullable=False),
    )
    op.create_table(
        'activityreport',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('voter_id', sa.Integer(), sa.ForeignKey('voter.id'), nullable=False),
        sa.Column('audit_event_id', sa.Integer(), nullable=False),  # no FK: the audit table stays unreferenced
        sa.Column('territory_id', sa.Integer(), sa.ForeignKey('territory.id'), nullable=False),
        sa.Column('note', S(), nullable=False),
        sa.Column('status', S(length=16), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('answer', S(), nullable=False),
        sa.Column('answered_at', UTC(), nullable=True),
        sa.Column('answered_by', sa.Integer(), sa.ForeignKey('staffaccount.id'), nullable=True),
        sa.UniqueConstraint('voter_id', 'audit_event_id', name='uq_activityreport_voter_event'),
    )
    op.create_index('ix_activityreport_voter_id', 'activityreport', ['voter_id'])
    op.create_index('ix_activityreport_territory_id', 'activityreport', ['territory_id'])
    op.create_index('ix_activityreport_status', 'activityreport', ['status'])


def downgrade() -> None:
    for table in ('activityreport', 'reminderoptout', 'reminder', 'statisticssnapshot', 'precinctcapacity'):
        op.drop_table(table)
    with op.batch_alter_table('application') as batch:
        batch.drop_column('lang')
