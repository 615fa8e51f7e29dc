import dataclasses
import datetime as dt
import json
import re
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from remote_vote_app.db import get_engine
from remote_vote_app.models import Application, AuditEvent, Precinct
from remote_vote_app.services import applications, audit
from remote_vote_app.services.applications import Draft
from remote_vote_app.services.errors import FieldErrors, NotFound, ServiceError
from remote_vote_app.services.notifications import OutboxSender
from tests.unit.conftest import DEMO_DEADLINE, bishkek, closed_election, demo_election, outbox

OPEN = bishkek(12)
AFTER = DEMO_DEADLINE + dt.timedelta(days=1)


def _precinct(session, number="ДГ-05") -> Precinct:
    return session.exec(select(Precinct).where(Precinct.number == number)).one()


def _draft(session, voter, **changes) -> Draft:
    values = dict(election_id=demo_election(session, voter).id, precinct_id=_precinct(session).id,
                  email="voter@example.kg", phone="+996 700 123 456", consent=True)
    values.update(changes)
    return Draft(**values)


def _submit(session, voter, sender, now=OPEN, **changes) -> Application:
    application = applications.submit(session, voter.id, _draft(session, voter, **changes), sender, "ru", now=now)
    session.commit()
    return application


def test_submit_records_application_audit_and_notifications(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    assert re.fullmatch(r"[ACDEFHJKMNPQRTUVWXY3479]{4}-[ACDEFHJKMNPQRTUVWXY3479]{4}", application.reference)
    assert application.status == "submitted" and application.channel == "online"
    assert application.phone == "+996700123456" and application.consent_version == applications.CONSENT_VERSION
    events = audit.history(session, "application", application.reference)
    assert [e.action for e in events] == ["application.submitted"] and events[0].actor == f"voter:{voter.id}"
    assert voter.pin not in events[0].details
    sms, email = outbox(session)
    assert sms.channel == "sms" and application.reference in sms.body and "Масалиева, 37" in sms.body
    assert email.channel == "email" and email.recipient == "voter@example.kg" and application.reference in email.subject


def test_every_wrong_field_is_reported_at_once(session, sender, demo_voters):
    with pytest.raises(FieldErrors) as info:
        applications.submit(session, demo_voters[0].id,
                            _draft(session, demo_voters[0], precinct_id=None, email="bad@", phone="123", consent=False),
                            sender, "ru", now=OPEN)
    assert {k: v.code for k, v in info.value.errors.items()} == {
        "precinct": "error.precinct_required", "email": "error.email_format", "phone": "error.phone_format",
        "consent": "error.consent_required"}
    session.rollback()
    assert session.exec(select(Application)).all() == [] and outbox(session) == []


def test_home_precinct_is_not_a_remote_precinct(session, sender, demo_voters):
    home = session.exec(select(Precinct).where(Precinct.kind == "home")).first()
    with pytest.raises(FieldErrors) as info:
        applications.validate(session, demo_voters[0].id, _draft(session, demo_voters[0], precinct_id=home.id), OPEN)
    assert set(info.value.errors) == {"precinct"}


def test_election_of_another_territory_is_refused(session, demo_voters):
    other = demo_election(session, demo_voters[1])
    with pytest.raises(FieldErrors) as info:
        applications.validate(session, demo_voters[0].id, _draft(session, demo_voters[0], election_id=other.id), OPEN)
    assert info.value.errors["election"].code == "error.election_required"


def test_closed_election_is_refused(session, sender, demo_voters):
    voter = demo_voters[0]
    with pytest.raises(FieldErrors) as info:
        _submit(session, voter, sender, election_id=closed_election(session, voter).id)
    assert info.value.errors["election"].code == "error.deadline_passed"


def test_page_opened_before_deadline_submitted_after_it_is_refused(session, sender, demo_voters):
    voter = demo_voters[0]
    draft = applications.validate(session, voter.id, _draft(session, voter), bishkek(23, 59, 0, day=DEMO_DEADLINE))
    assert applications.submit(session, voter.id, draft, sender, "ru", now=bishkek(23, 59, 59, day=DEMO_DEADLINE))
    session.rollback()
    with pytest.raises(FieldErrors) as info:
        applications.submit(session, voter.id, draft, sender, "ru", now=bishkek(0, 0, 0, day=AFTER))
    assert info.value.errors["election"].code == "error.deadline_passed"


def test_one_active_application_per_voter_and_election(session, sender, demo_voters):
    voter = demo_voters[0]
    first = _submit(session, voter, sender)
    with pytest.raises(ServiceError) as info:
        _submit(session, voter, sender)
    assert info.value.code == "error.already_applied" and info.value.params["reference"] == first.reference


def test_two_concurrent_submits_give_one_application(demo_voters, monkeypatch):
    """Both submits read "no application yet" before either writes: the unique index must refuse the second."""
    voter_id = demo_voters[2].id
    barrier = threading.Barrier(2, timeout=10)
    checked = threading.local()
    real_active = applications._active

    calls: list[bool] = []

    def active_then_wait(session, *args):
        found = real_active(session, *args)
        calls.append(found is not None)
        if not getattr(checked, "done", False):  # the first check of each submit; not its retry after the refusal
            checked.done = True
            assert found is None
            barrier.wait()  # neither writes before both have read
        return found

    monkeypatch.setattr(applications, "_active", active_then_wait)
    results: list[str] = []

    def worker():
        with Session(get_engine()) as s:
            draft = _draft(s, s.get(type(demo_voters[2]), voter_id))
            try:
                applications.submit(s, voter_id, draft, OutboxSender(), "ru", now=OPEN)
                s.commit()
                results.append("ok")
            except ServiceError as exc:
                s.rollback()
                results.append(exc.code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not barrier.broken
    assert sorted(results) == ["error.already_applied", "ok"]
    # Two checks that found nothing, then the loser's look-up after the unique index refused its insert.
    assert calls == [False, False, True]
    with Session(get_engine()) as s:
        assert len(s.exec(select(Application).where(Application.voter_id == voter_id)).all()) == 1


def test_database_refuses_a_second_active_application_directly(session, sender, demo_voters):
    first = _submit(session, demo_voters[0], sender)
    twin = Application(**{**first.model_dump(exclude={"id"}), "reference": "AAAA-AAAA"})
    session.add(twin)
    with pytest.raises(DatabaseError):
        session.flush()
    session.rollback()


def test_change_precinct_and_contacts_is_audited_and_notified(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    new_precinct = _precinct(session, "ДГ-01")
    changed = applications.change(session, voter.id, application.reference.lower().replace("-", ""),
                                  _draft(session, voter, precinct_id=new_precinct.id, email="new@example.kg"),
                                  sender, "en", now=OPEN)
    session.commit()
    assert changed.remote_precinct_id == new_precinct.id and changed.email == "new@example.kg" and changed.change_count == 1
    event = audit.history(session, "application", application.reference)[-1]
    details = json.loads(event.details)
    assert event.action == "application.changed" and details["fields"] == ["email", "precinct_id"]
    assert details["precinct_to"] == new_precinct.id and "new@example.kg" not in event.details
    sms = _sent_to(session, "+996700123456")[-1]
    assert sms.body.startswith("Application") and "changed" in _sent_to(session, "new@example.kg")[-1].subject


def test_change_cannot_move_to_another_election(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    closed = closed_election(session, voter)
    changed = applications.change(session, voter.id, application.reference,
                                  _draft(session, voter, election_id=closed.id, email="x@example.kg"), sender, "ru", now=OPEN)
    assert changed.election_id == application.election_id


def test_no_change_or_withdraw_after_the_deadline(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    late = bishkek(0, 0, 1, day=AFTER)
    for call in (lambda: applications.change(session, voter.id, application.reference, _draft(session, voter), sender, "ru", now=late),
                 lambda: applications.withdraw(session, voter.id, application.reference, sender, "ru", now=late)):
        with pytest.raises(ServiceError) as info:
            call()
        assert info.value.code == "error.deadline_passed"


def test_withdraw_then_apply_again(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    applications.withdraw(session, voter.id, application.reference, sender, "ky", now=OPEN)
    session.commit()
    assert session.get(Application, application.id).status == "withdrawn"
    assert audit.history(session, "application", application.reference)[-1].action == "application.withdrawn"
    with pytest.raises(ServiceError) as info:
        applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN)
    assert info.value.code == "error.application_withdrawn"
    again = _submit(session, voter, sender)
    assert again.reference != application.reference


def test_another_voters_application_is_not_found(session, sender, demo_voters):
    owner, intruder = demo_voters[0], demo_voters[1]
    application = _submit(session, owner, sender)
    for call in (lambda: applications.own(session, intruder.id, application.reference),
                 lambda: applications.change(session, intruder.id, application.reference, _draft(session, intruder), sender, "ru", now=OPEN),
                 lambda: applications.withdraw(session, intruder.id, application.reference, sender, "ru", now=OPEN)):
        with pytest.raises(NotFound):
            call()
    assert session.get(Application, application.id).status == "submitted"


def test_list_and_summary_in_three_languages(session, sender, demo_voters):
    voter = demo_voters[0]
    _submit(session, voter, sender)
    assert applications.list_for_voter(session, voter.id, "ru", now=OPEN)[0]["can_change"] is True
    assert "[ДЕМО]" in applications.list_for_voter(session, voter.id, "ky", now=OPEN)[0]["election"]
    row = applications.list_for_voter(session, voter.id, "en", now=OPEN)[0]
    assert row["status_text"] == "Accepted" and row["address"] == "Osh, 37 Masaliev St"


def test_form_options_show_only_open_elections_of_the_voters_territory(session, sender, demo_voters):
    voter = demo_voters[0]
    options = applications.form_options(session, voter.id, now=OPEN)
    assert [o["existing"] for o in options["ru"]] == [""]
    assert len(options["ru"]) == 1 and "Бишкек" in options["ru"][0]["label"]
    assert "City council election" in options["en"][0]["label"]
    application = _submit(session, voter, sender)
    assert applications.form_options(session, voter.id, now=OPEN)["ru"][0]["existing"] == application.reference


def _one_event(session, sender, demo_voters) -> AuditEvent:
    _submit(session, demo_voters[0], sender)
    return session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def _unchanged(event: AuditEvent) -> bool:
    with Session(get_engine()) as s:
        row = s.get(AuditEvent, event.id)
        return row is not None and (row.action, row.details) == (event.action, event.details)


def test_audit_is_append_only_through_the_orm(session, sender, demo_voters):
    event = _one_event(session, sender, demo_voters)
    original = AuditEvent(**event.model_dump())
    event.action = "tampered"
    session.add(event)
    with pytest.raises(DatabaseError):
        session.commit()
    session.rollback()
    assert _unchanged(original)


# Raw SQL, as someone with the application's database account would type it: the database itself
# refuses (SQLite triggers, or the PostgreSQL trigger function, whichever REFLEX_DB_URL points to).
@pytest.mark.parametrize("statement", [
    "UPDATE auditevent SET action = 'tampered' WHERE id = :id",
    "UPDATE auditevent SET details = '{}'",
    "DELETE FROM auditevent WHERE id = :id",
    "DELETE FROM auditevent",
])
def test_audit_refuses_raw_update_and_delete(session, sender, demo_voters, statement):
    event = _one_event(session, sender, demo_voters)
    with pytest.raises(DatabaseError, match="append-only"):
        with get_engine().begin() as conn:
            conn.execute(text(statement), {"id": event.id})
    assert _unchanged(event)


def test_audit_triggers_are_installed_for_this_database():
    engine = get_engine()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'auditevent'"))
            assert set(names.scalars()) >= {"auditevent_no_update", "auditevent_no_delete"}
        elif engine.dialect.name == "postgresql":
            names = conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'auditevent'::regclass"))
            assert set(names.scalars()) >= {"auditevent_append_only", "auditevent_no_truncate"}
        else:
            pytest.fail(f"no append-only audit triggers for {engine.dialect.name}")


def test_audit_refuses_truncate_on_postgresql(session, sender, demo_voters):
    """TRUNCATE skips row triggers; a statement trigger refuses it."""
    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; this runs in make test's PostgreSQL pass")
    event = _one_event(session, sender, demo_voters)
    session.commit()  # TRUNCATE waits for every reader's transaction to end
    with pytest.raises(DatabaseError, match="append-only"):
        with get_engine().begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text("TRUNCATE auditevent"))
    assert _unchanged(event)


def test_change_after_a_withdrawal_in_another_tab_is_refused(sender, demo_voters):
    voter_id = demo_voters[0].id
    with Session(get_engine(), expire_on_commit=False) as tab_a, Session(get_engine(), expire_on_commit=False) as tab_b:
        voter = tab_a.get(type(demo_voters[0]), voter_id)
        application = _submit(tab_a, voter, sender)
        reference = application.reference
        stale = applications.own(tab_a, voter_id, reference)  # tab A has read it
        draft = _draft(tab_a, voter, email="late@example.kg")
        applications.withdraw(tab_b, voter_id, reference, sender, "ru", now=OPEN)
        tab_b.commit()
        with pytest.raises(ServiceError) as info:
            applications._save(tab_a, stale, email=draft.email)
        assert info.value.code == "error.application_conflict"
        tab_a.rollback()
    with Session(get_engine()) as s:
        row = s.exec(select(Application).where(Application.reference == reference)).one()
        assert row.status == "withdrawn" and row.email == "voter@example.kg"
        assert [e.action for e in audit.history(s, "application", reference)] == [
            "application.submitted", "application.withdrawn"]


def test_reference_collision_draws_a_new_reference(session, sender, demo_voters, monkeypatch):
    first = _submit(session, demo_voters[0], sender)
    draws = iter([first.reference, "TTTT-TTTT"])
    monkeypatch.setattr(applications, "new_reference", lambda: next(draws))
    assert _submit(session, demo_voters[1], sender).reference == "TTTT-TTTT"


@pytest.mark.parametrize("raw, expected", [("12", 12), ("²", None), ("9" * 30, None), ("-1", None), ("", None), (None, None)])
def test_form_ids_are_parsed_strictly(raw, expected):
    from remote_vote_app.services.validation import parse_id

    assert parse_id(raw) == expected


def _sent_to(session, recipient: str) -> list:
    return [m for m in outbox(session) if m.recipient == recipient]


def test_changed_contacts_are_also_told_to_the_previous_phone_and_email(session, sender, demo_voters):
    """A taken-over cabinet cannot move the notices away silently."""
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    applications.change(session, voter.id, application.reference,
                        _draft(session, voter, phone="+996 555 765 432", email="thief@example.kg"), sender, "ru", now=OPEN)
    session.commit()
    sms = _sent_to(session, "+996700123456")[-1]
    email = _sent_to(session, "voter@example.kg")[-1]
    assert sms.channel == "sms" and application.reference in sms.body and "не вы" in sms.body
    assert email.channel == "email" and application.reference in email.subject and "не вы" in email.body
    # The previous contacts are not told the new ones; the new ones get the usual change notice.
    assert "765" not in sms.body and "thief" not in email.body
    assert [m.channel for m in _sent_to(session, "+996555765432")] == ["sms"]
    assert [m.channel for m in _sent_to(session, "thief@example.kg")] == ["email"]


def test_only_the_changed_contact_is_warned(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    before = len(outbox(session))
    applications.change(session, voter.id, application.reference, _draft(session, voter, email="new@example.kg"),
                        sender, "en", now=OPEN)
    session.commit()
    new = outbox(session)[before:]
    assert sorted((m.channel, m.recipient) for m in new) == [
        ("email", "new@example.kg"), ("email", "voter@example.kg"), ("sms", "+996700123456")]
    warning = next(m for m in new if m.recipient == "voter@example.kg")
    assert warning.subject == f"Contact details of application {application.reference} changed"


def test_warning_to_the_previous_contacts_is_in_the_same_transaction(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    before = len(outbox(session))
    applications.change(session, voter.id, application.reference, _draft(session, voter, phone="+996 555 765 432"),
                        sender, "ru", now=OPEN)
    session.rollback()  # the change fails later in the same transaction: no warning goes out either
    assert len(outbox(session)) == before
    assert session.get(Application, application.id).phone == "+996700123456"


def test_the_same_answers_confirmed_twice_file_one_application(session, sender, demo_voters):
    """A double click, or a confirm re-sent after a lost connection, returns the first application."""
    voter = demo_voters[5]
    draft = applications.validate(session, voter.id, _draft(session, voter), OPEN)
    first = applications.submit_once(session, voter.id, draft, sender, "ru", now=OPEN)
    session.commit()
    again = applications.submit_once(session, voter.id, draft, sender, "ru", now=OPEN)
    assert again.reference == first.reference
    assert len(session.exec(select(Application).where(Application.voter_id == voter.id)).all()) == 1
    other = dataclasses.replace(draft, email="other@example.kg")
    with pytest.raises(ServiceError, match="already_applied"):
        applications.submit_once(session, voter.id, other, sender, "ru", now=OPEN)


def test_email_is_optional_at_a_commission_only(session, sender, demo_voters):
    """In person the SMS to the register phone confirms; online the e-mail is still required."""
    voter = demo_voters[0]
    with pytest.raises(ServiceError) as online:
        applications.validate(session, voter.id, _draft(session, voter, email=""), now=OPEN)
    assert {k: v.code for k, v in online.value.errors.items()} == {"email": "error.email_required"}
    application = applications.submit(session, voter.id, _draft(session, voter, email=""), sender, "ru",
                                      channel="in_person", staff_actor="staff:1", now=OPEN)
    assert application.email == ""
    assert [m.channel for m in outbox(session)] == ["sms"]  # no e-mail to nowhere
    with pytest.raises(ServiceError) as bad:  # a wrong one is still wrong
        applications.validate(session, voter.id, _draft(session, voter, email="bad@"), now=OPEN, channel="in_person")
    assert bad.value.errors["email"].code == "error.email_format"
