"""election-day check-in: 'ballot issued' once per voter and election, and flags for refused or conflicting check-ins

Revision ID: e4c7a2b9d610
Revises: f1a7c3d9e2b4
Create Date: 2026-12-02 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = 'e4c7a2b9d610'
down_revision: Union[str, None] = 'f1a7c3d9e2b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'ballotissue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mark_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('pass_version', sa.Integer(), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('offline', sa.Boolean(), nullable=False),
        sa.Column('marked_at', UTC(), nullable=False),
        sa.Column('received_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.ForeignKeyConstraint(['application_id'], ['application.id']),
        sa.ForeignKeyConstraint(['precinct_id'], ['precinct.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staffaccount.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mark_id'),
        # Two concurrent check-ins of one voter: the database keeps one.
        sa.UniqueConstraint('election_id', 'voter_id', name='uq_ballotissue_election_voter'),
    )
    op.create_index('ix_ballotissue_election_id', 'ballotissue', ['election_id'])
    op.create_index('ix_ballotissue_voter_id', 'ballotissue', ['voter_id'])
    op.create_index('ix_ballotissue_precinct_id', 'ballotissue', ['precinct_id'])
    op.create_table(
        'checkinflag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mark_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=True),
        sa.Column('voter_id', sa.Integer(), nullable=True),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('pass_version', sa.Integer(), nullable=True),
        sa.Column('current_version', sa.Integer(), nullable=True),
        sa.Column('first_issue_id', sa.Integer(), nullable=True),
        sa.Column('ballot_issued', sa.Boolean(), nullable=False),
        sa.Column('offline', sa.Boolean(), nullable=False),
        sa.Column('marked_at', UTC(), nullable=False),
        sa.Column('received_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.ForeignKeyConstraint(['precinct_id'], ['precinct.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staffaccount.id']),
        sa.ForeignKeyConstraint(['first_issue_id'], ['ballotissue.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mark_id'),
    )
    op.create_index('ix_checkinflag_kind', 'checkinflag', ['kind'])
    op.create_index('ix_checkinflag_reference', 'checkinflag', ['reference'])
    op.create_index('ix_checkinflag_election_id', 'checkinflag', ['election_id'])


def downgrade() -> None:
    op.drop_index('ix_checkinflag_election_id', table_name='checkinflag')
    op.drop_index('ix_checkinflag_reference', table_name='checkinflag')
    op.drop_index('ix_checkinflag_kind', table_name='checkinflag')
    op.drop_table('checkinflag')
    op.drop_index('ix_ballotissue_precinct_id', table_name='ballotissue')
    op.drop_index('ix_ballotissue_voter_id', table_name='ballotissue')
    op.drop_index('ix_ballotissue_election_id', table_name='ballotissue')
    op.drop_table('ballotissue')
