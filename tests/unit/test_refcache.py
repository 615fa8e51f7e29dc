"""The per-process copy of territories, elections and precincts follows every committed change,
and never one that rolled back."""

import pytest
from sqlmodel import Session, select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import Precinct
from remote_vote_app.services.reference import precincts, refcache
from remote_vote_app.errors import ServiceError


def _remote(session) -> Precinct:
    return session.exec(select(Precinct).where(Precinct.kind == "remote").order_by(Precinct.id)).first()


def test_unchanged_reference_data_is_read_once_per_process():
    with session_scope() as one, session_scope() as two:
        assert refcache.snapshot(one) is refcache.snapshot(two)


def test_a_deactivated_precinct_is_refused_at_the_next_read():
    with session_scope() as session:
        precinct_id = _remote(session).id
        assert precincts.get_active_remote(session, precinct_id).id == precinct_id  # cached now
    try:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, False, "staff:1")
        with session_scope() as voter:
            with pytest.raises(ServiceError):
                precincts.get_active_remote(voter, precinct_id)
            assert precinct_id not in {p.id for p in precincts.active_remote(voter)}
    finally:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, True, "staff:1")
    with session_scope() as voter:
        assert precincts.get_active_remote(voter, precinct_id).active


def test_a_change_rolled_back_is_never_served_to_anyone():
    with session_scope() as session:
        precinct = _remote(session)
        precinct_id, place, address = precinct.id, precinct.place_ru, precinct.address_en
        refcache.row(session, Precinct, precinct_id)
    with Session(get_engine()) as editor:
        editor.get(Precinct, precinct_id).place_ru = "Не сохранено"
        # The editing transaction sees its own change ...
        assert refcache.row(editor, Precinct, precinct_id).place_ru == "Не сохранено"
        editor.rollback()
    try:
        # ... which never reaches another reader, even once another change has taken the same
        # version number.
        with session_scope() as other:
            other.get(Precinct, precinct_id).address_en = address + " (side entrance)"
        with session_scope() as reader:
            copy = refcache.row(reader, Precinct, precinct_id)
            assert (copy.place_ru, copy.address_en) == (place, address + " (side entrance)")
    finally:
        with session_scope() as other:
            other.get(Precinct, precinct_id).address_en = address


def test_the_copies_are_detached_from_the_callers_session():
    with session_scope() as session:
        copy = refcache.row(session, Precinct, _remote(session).id)
        assert copy not in session
        attached = session.get(Precinct, copy.id)
        assert attached is not copy and attached in session


def test_a_transaction_reads_its_own_unflushed_change():
    with Session(get_engine()) as editor:
        precinct_id = _remote(editor).id
        refcache.snapshot(editor)
        editor.get(Precinct, precinct_id).active = False
        with pytest.raises(ServiceError):
            precincts.get_active_remote(editor, precinct_id)
        editor.rollback()
    with session_scope() as reader:
        assert precincts.get_active_remote(reader, precinct_id).active


def test_the_public_precinct_list_is_built_once_and_rebuilt_after_a_change():
    with session_scope() as one, session_scope() as two:
        shared = precincts.public_list(one)
        assert precincts.public_list(two) is shared
        precinct_id = _remote(one).id
    try:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, False, "staff:1")
        with session_scope() as voter:
            assert str(precinct_id) not in {item["id"] for item in precincts.public_list(voter)["ru"]}
    finally:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, True, "staff:1")


def test_a_change_without_the_orm_is_seen_too():
    """Bulk updates and raw SQL do not pass through the ORM's flush: the triggers change the token."""
    import sqlalchemy as sa

    with session_scope() as session:
        precinct = _remote(session)
        precinct_id, place = precinct.id, precinct.place_en
        refcache.row(session, Precinct, precinct_id)
    try:
        with session_scope() as bulk:
            bulk.execute(sa.update(Precinct).where(Precinct.id == precinct_id).values(place_en="Bulk update"))
        with session_scope() as reader:
            assert refcache.row(reader, Precinct, precinct_id).place_en == "Bulk update"
    finally:
        with session_scope() as bulk:
            bulk.execute(sa.update(Precinct).where(Precinct.id == precinct_id).values(place_en=place))


def test_a_row_created_after_the_first_read_is_found_in_the_same_transaction():
    with Session(get_engine()) as reader:
        refcache.snapshot(reader)
        with session_scope() as staff:
            template = _remote(staff)
            fields = template.model_dump(exclude={"id"})
            new = Precinct(**{**fields, "number": "ДГ-99", "active": False})
            staff.add(new)
            staff.flush()
            new_id = new.id
        try:
            assert refcache.row(reader, Precinct, new_id).number == "ДГ-99"
        finally:
            reader.rollback()
            with session_scope() as staff:
                staff.delete(staff.get(Precinct, new_id))


def test_a_change_in_a_rolled_back_savepoint_is_forgotten():
    with Session(get_engine()) as session:
        precinct_id = _remote(session).id
        place = refcache.row(session, Precinct, precinct_id).place_ru
        savepoint = session.begin_nested()
        session.get(Precinct, precinct_id).place_ru = "Только в точке сохранения"
        assert refcache.row(session, Precinct, precinct_id).place_ru == "Только в точке сохранения"
        savepoint.rollback()
        assert refcache.row(session, Precinct, precinct_id).place_ru == place
        session.rollback()


def test_a_savepoint_that_changed_no_reference_row_keeps_the_copy():
    """An application's SAVEPOINT does not cost the transaction another version read."""
    from sqlalchemy import event

    versions: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "referenceversion" in statement.lower():
            versions.append(statement)

    engine = get_engine()
    with Session(engine) as session:
        first = refcache.snapshot(session)
        event.listen(engine, "before_cursor_execute", count)
        try:
            with session.begin_nested():
                session.exec(select(Precinct.id)).first()  # a savepoint's own work, nothing reference changed
            assert refcache.snapshot(session) is first
            assert versions == []
        finally:
            event.remove(engine, "before_cursor_execute", count)
        session.rollback()


def test_the_landing_page_is_built_once_per_reference_version_and_minute_left(monkeypatch):
    """No per-visit work for data that changes once a day: visits share one build of the landing
    page's texts until a reference row changes or a deadline's minute ticks over."""
    import datetime as dt

    from remote_vote_app.services import clock
    from remote_vote_app.services.reporting import landing

    with session_scope() as session:
        first = landing.page_data(session)
    with session_scope() as session:
        assert landing.page_data(session) is first
        precinct_id = _remote(session).id
    try:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, False, "staff:1")
        with session_scope() as session:
            changed = landing.page_data(session)
        assert changed is not first and len(changed["ru"]["precincts"]) == len(first["ru"]["precincts"]) - 1
    finally:
        with session_scope() as staff:
            precincts.set_active(staff, precinct_id, True, "staff:1")
    with session_scope() as session:
        again = landing.page_data(session)
        later = clock.now_utc() + dt.timedelta(minutes=1)
        monkeypatch.setattr(landing.elections, "now_utc", lambda: later)
        assert landing.page_data(session) is not again  # a minute less left: new texts


def test_a_version_read_along_with_another_statement_is_used_once_and_follows_changes():
    """refcache.VERSION read in a hot path's first statement (staff.live) stands for the version
    query: the snapshot is as current as with its own read, and the read is spent with its transaction."""
    import sqlalchemy as sa

    queries = []
    engine = get_engine()

    def count(_conn, _cursor, statement, *_args):
        queries.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope() as session:
            precinct_id = _remote(session).id
            place = refcache.row(session, Precinct, precinct_id).place_ru
        with session_scope() as editor:
            editor.get(Precinct, precinct_id).place_ru = place + " (renamed)"
        try:
            with session_scope() as reader:
                version = reader.connection().execute(sa.select(refcache.VERSION)).scalar_one()
                refcache.version_read(reader, version)
                queries.clear()
                assert refcache.row(reader, Precinct, precinct_id).place_ru == place + " (renamed)"
                assert not any("referenceversion" in q for q in queries)
            with Session(get_engine()) as reused:  # a read left unused is spent with its transaction
                reused.connection()
                refcache.version_read(reused, 0)
                reused.commit()
                queries.clear()
                refcache.snapshot(reused)
                assert any("referenceversion" in q for q in queries)
        finally:
            with session_scope() as editor:
                editor.get(Precinct, precinct_id).place_ru = place
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
