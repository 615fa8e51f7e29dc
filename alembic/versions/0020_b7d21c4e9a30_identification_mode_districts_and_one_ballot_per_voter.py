"""identification mode (law of 2025): an election's mode and offline policy, electoral districts with
every precinct's district, precincts abroad, identification decisions and one identified ballot per
voter and election

Revision ID: b7d21c4e9a30
Revises: a3d8e1f5c720
Create Date: 2026-12-08 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

from remote_vote_app import schema_triggers


revision: str = 'b7d21c4e9a30'
down_revision: Union[str, None] = 'a3d8e1f5c720'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString
# Reference tables the workers cache (services/reference/refcache.py): their changes bump the version token.
REFERENCE = ("electoraldistrict", "districtprecinct")


def upgrade() -> None:
    # Plain add_column with server defaults (no batch rebuild): SQLite keeps the tables' triggers.
    op.add_column('election', sa.Column('mode', String(length=16), nullable=False, server_default='application'))
    op.add_column('election', sa.Column('offline_policy', String(length=16), nullable=False,
                                        server_default='provisional'))
    op.add_column('precinct', sa.Column('abroad', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'electoraldistrict',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('name_ru', String(), nullable=False),
        sa.Column('name_ky', String(), nullable=False),
        sa.Column('name_en', String(), nullable=False),
        sa.Column('territory_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['territory_id'], ['territory.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('election_id', 'number', name='uq_electoraldistrict_election_number'),
    )
    op.create_index('ix_electoraldistrict_election_id', 'electoraldistrict', ['election_id'])
    op.create_table(
        'districtprecinct',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['precinct_id'], ['precinct.id']),
        sa.ForeignKeyConstraint(['district_id'], ['electoraldistrict.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('election_id', 'precinct_id', name='uq_districtprecinct_election_precinct'),
    )
    op.create_index('ix_districtprecinct_precinct_id', 'districtprecinct', ['precinct_id'])
    op.create_index('ix_districtprecinct_district_id', 'districtprecinct', ['district_id'])
    op.create_table(
        'identificationdecision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=True),
        sa.Column('outcome', String(length=16), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('at', UTC(), nullable=False),
        sa.Column('offline', sa.Boolean(), nullable=False),
        sa.Column('claimed_at', UTC(), nullable=True),
        sa.Column('mark_id', String(length=64), nullable=True),
        sa.Column('shown', String(), nullable=False),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['precinct_id'], ['precinct.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staffaccount.id']),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.ForeignKeyConstraint(['district_id'], ['electoraldistrict.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mark_id'),
    )
    # Per-precinct, per-hour statistics read decisions by election, precinct and time.
    op.create_index('ix_identificationdecision_election_precinct_at', 'identificationdecision',
                    ['election_id', 'precinct_id', 'at'])
    op.create_index('ix_identificationdecision_voter_id', 'identificationdecision', ['voter_id'])
    op.create_index('ix_identificationdecision_outcome', 'identificationdecision', ['outcome'])
    op.create_table(
        'identifiedballot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('kind', String(length=8), nullable=False),
        sa.Column('issued_at', UTC(), nullable=False),
        sa.Column('provisional', sa.Boolean(), nullable=False),
        sa.Column('received_at', UTC(), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['election_id'], ['election.id']),
        sa.ForeignKeyConstraint(['voter_id'], ['voter.id']),
        sa.ForeignKeyConstraint(['precinct_id'], ['precinct.id']),
        sa.ForeignKeyConstraint(['district_id'], ['electoraldistrict.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staffaccount.id']),
        sa.ForeignKeyConstraint(['decision_id'], ['identificationdecision.id']),
        sa.PrimaryKeyConstraint('id'),
        # Two desks identifying one voter at the same moment: the database keeps one ballot.
        sa.UniqueConstraint('election_id', 'voter_id', name='uq_identifiedballot_election_voter'),
    )
    op.create_index('ix_identifiedballot_election_precinct', 'identifiedballot', ['election_id', 'precinct_id'])
    op.create_index('ix_identifiedballot_voter_id', 'identifiedballot', ['voter_id'])
    op.create_index('ix_identifiedballot_district_id', 'identifiedballot', ['district_id'])
    for name in REFERENCE:  # the function bump_reference_version() exists since 9c3d5e7f1a2b
        schema_triggers.create(op, name)


def downgrade() -> None:
    op.drop_index('ix_identifiedballot_district_id', table_name='identifiedballot')
    op.drop_index('ix_identifiedballot_voter_id', table_name='identifiedballot')
    op.drop_index('ix_identifiedballot_election_precinct', table_name='identifiedballot')
    op.drop_table('identifiedballot')
    op.drop_index('ix_identificationdecision_outcome', table_name='identificationdecision')
    op.drop_index('ix_identificationdecision_voter_id', table_name='identificationdecision')
    op.drop_index('ix_identificationdecision_election_precinct_at', table_name='identificationdecision')
    op.drop_table('identificationdecision')
    op.drop_index('ix_districtprecinct_district_id', table_name='districtprecinct')
    op.drop_index('ix_districtprecinct_precinct_id', table_name='districtprecinct')
    op.drop_table('districtprecinct')  # its triggers go with it
    op.drop_index('ix_electoraldistrict_election_id', table_name='electoraldistrict')
    op.drop_table('electoraldistrict')
    # Plain drop_column (SQLite 3.35+): a batch rebuild would drop the reference-version triggers.
    op.drop_column('precinct', 'abroad')
    op.drop_column('election', 'offline_policy')
    op.drop_column('election', 'mode')
