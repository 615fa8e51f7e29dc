import datetime as dt

import phonenumbers
import pytest
from sqlmodel import Session, SQLModel, create_engine, func, select

from remote_vote_app.models import Election, Precinct, Territory, Voter
from remote_vote_app.services.reference import elections
from remote_vote_app.demo.seed import DEMO_VOTERS, seed
from remote_vote_app.services.validation import normalize_document, normalize_pin, pin_birth_date


@pytest.fixture(scope="module")
def full_seed(tmp_path_factory):
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('seed') / 'seed.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session, today=dt.date(2026, 11, 25))
        session.commit()
        yield session


def test_ten_remote_precincts_from_the_announcement(full_seed):
    remote = full_seed.exec(select(Precinct).where(Precinct.kind == "remote")).all()
    assert len(remote) == 10
    assert {p.address_ru for p in remote} >= {"ул. Фрунзе, 547", "ул. Масалиева, 37", "ул. Ч. Айтматова, 353"}
    assert all(39 < p.latitude < 44 and 69 < p.longitude < 81 for p in remote)


def test_register_has_5000_valid_voters_in_every_region(full_seed):
    voters = full_seed.exec(select(Voter)).all()
    assert len(voters) == 5000 and len({v.pin for v in voters}) == 5000
    for voter in voters:
        assert normalize_pin(voter.pin, dt.date(2026, 11, 25)) == voter.pin
        assert pin_birth_date(voter.pin) == voter.birth_date
        assert normalize_document(voter.document_number) == voter.document_number
        assert phonenumbers.is_valid_number(phonenumbers.parse(voter.phone))
    regions = full_seed.exec(select(Territory).where(Territory.parent_id == None, Territory.kind != "country")).all()  # noqa: E711
    by_id = {t.id: t for t in full_seed.exec(select(Territory)).all()}
    covered = {by_id[v.territory_id].parent_id or v.territory_id for v in voters}
    assert covered == {r.id for r in regions}


def test_demo_voters_exist(full_seed):
    for pin, doc, phone, *_ in DEMO_VOTERS:
        voter = full_seed.exec(select(Voter).where(Voter.pin == pin)).one()
        assert (voter.document_number, voter.phone) == (doc, phone)


def test_2024_elections_closed_and_demo_open(full_seed):
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.timezone.utc)
    real = full_seed.exec(select(Election).where(Election.is_demo == False)).all()  # noqa: E712
    demo = full_seed.exec(select(Election).where(Election.is_demo == True)).all()  # noqa: E712
    assert real and all(e.application_deadline == dt.date(2024, 11, 1) and e.election_day == dt.date(2024, 11, 17) for e in real)
    assert not any(elections.is_open(e, now) for e in real)
    assert demo and all(elections.is_open(e, now) for e in demo)
    assert full_seed.exec(select(func.count()).select_from(Election).where(Election.kind == "aiyl_kenesh")).one() > 0


