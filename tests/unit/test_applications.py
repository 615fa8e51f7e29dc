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
from remote_vote_app.models import Application, AuditEvent, Precinct, UserSession
from remote_vote_app.services import audit
from remote_vote_app.services.applications import applications
from remote_vote_app.services.identity import assurance, sessions
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.services.clock import local_text
from remote_vote_app.errors import FieldErrors, NotFound, ServiceError
from remote_vote_app.services.messaging.notifications import OutboxSender
from tests.support.codes import code_in
from tests.unit.conftest import (
    DEMO_DEADLINE, SEED_DAY, bishkek, closed_election, demo_election, elections_in_zone, outbox, voter_session,
)

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
    application = applications.submit(session, voter.id, _draft(session, voter, **changes), sender, "ru", now=now,
                                      session_row=voter_session(session, voter.id))
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
                            sender, "ru", now=OPEN, session_row=voter_session(session, demo_voters[0].id))
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
    assert applications.submit(session, voter.id, draft, sender, "ru", now=bishkek(23, 59, 59, day=DEMO_DEADLINE),
                               session_row=voter_session(session, voter.id, now=bishkek(23, 59, day=DEMO_DEADLINE)))
    session.rollback()
    with pytest.raises(FieldErrors) as info:
        applications.submit(session, voter.id, draft, sender, "ru", now=bishkek(0, 0, 0, day=AFTER),
                            session_row=voter_session(session, voter.id, now=bishkek(0, 0, 0, day=AFTER)))
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

    with Session(get_engine()) as s:
        rows = [voter_session(s, voter_id) for _ in range(2)]  # two tabs, before either holds a lock
        s.commit()
    monkeypatch.setattr(applications, "_active", active_then_wait)
    results: list[str] = []

    def worker(row):
        with Session(get_engine()) as s:
            draft = _draft(s, s.get(type(demo_voters[2]), voter_id))
            try:
                applications.submit(s, voter_id, draft, OutboxSender(), "ru", now=OPEN, session_row=row)
                s.commit()
                results.append("ok")
            except ServiceError as exc:
                s.rollback()
                results.append(exc.code)

    threads = [threading.Thread(target=worker, args=(row,)) for row in rows]
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
                                  sender, "en", now=OPEN, session_row=voter_session(session, voter.id))
    session.commit()
    assert changed.remote_precinct_id == new_precinct.id and changed.email == "new@example.kg" and changed.change_count == 1
    event = audit.history(session, "application", application.reference)[-1]
    details = json.loads(event.details)
    assert event.action == "application.changed" and details["fields"] == ["email", "precinct_id"]
    assert details["precinct_to"] == new_precinct.id and "new@example.kg" not in event.details
    sms = _sent_to(session, "+996700123456")[-1]
    assert sms.body.startswith("Application") and "changed" in _sent_to(session, "new@example.kg")[-1].subject


def test_a_change_keeps_the_consent_given_to_the_same_text(session, sender, demo_voters):
    """The form for a change comes with the consent box ticked while the consent text is the one
    agreed to (online or on paper); a new wording asks again."""
    application = _submit(session, demo_voters[0], sender)
    assert applications.draft_from(application).consent
    application.consent_version = f"paper:{applications.CONSENT_VERSION}"
    assert applications.draft_from(application).consent
    application.consent_version = "2024-09-v1"
    assert not applications.draft_from(application).consent


def test_change_cannot_move_to_another_election(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    closed = closed_election(session, voter)
    changed = applications.change(session, voter.id, application.reference,
                                  _draft(session, voter, election_id=closed.id, email="x@example.kg"), sender, "ru", now=OPEN,
                                  session_row=voter_session(session, voter.id))
    assert changed.election_id == application.election_id


def test_no_change_or_withdraw_after_the_deadline(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    late = bishkek(0, 0, 1, day=AFTER)
    for call in (lambda: applications.change(session, voter.id, application.reference, _draft(session, voter), sender, "ru", now=late,
                                             session_row=voter_session(session, voter.id, now=late)),
                 lambda: applications.withdraw(session, voter.id, application.reference, sender, "ru", now=late,
                                             session_row=voter_session(session, voter.id, now=late))):
        with pytest.raises(ServiceError) as info:
            call()
        assert info.value.code == "error.deadline_passed"


def test_withdraw_then_apply_again(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    online = voter_session(session, voter.id)
    applications.withdraw(session, voter.id, application.reference, sender, "ky", now=OPEN, session_row=online)
    session.commit()
    assert session.get(Application, application.id).status == "withdrawn"
    assert audit.history(session, "application", application.reference)[-1].action == "application.withdrawn"
    with pytest.raises(ServiceError) as info:
        applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN, session_row=online)
    assert info.value.code == "error.application_withdrawn"
    again = _submit(session, voter, sender)
    assert again.reference != application.reference


def test_another_voters_application_is_not_found(session, sender, demo_voters):
    owner, intruder = demo_voters[0], demo_voters[1]
    application = _submit(session, owner, sender)
    for call in (lambda: applications.own(session, intruder.id, application.reference),
                 lambda: applications.change(session, intruder.id, application.reference, _draft(session, intruder), sender,
                                             "ru", now=OPEN, session_row=voter_session(session, intruder.id)),
                 lambda: applications.withdraw(session, intruder.id, application.reference, sender, "ru", now=OPEN,
                                               session_row=voter_session(session, intruder.id))):
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
    assert "Bishkek city council election" in options["en"][0]["label"]
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


def test_audit_refuses_being_emptied_at_once(session, sender, demo_voters):
    """PostgreSQL's TRUNCATE skips row triggers, so a statement trigger refuses it; SQLite has no
    TRUNCATE, its equivalent is a DELETE without WHERE (the truncate optimisation), which the row
    trigger refuses."""
    event = _one_event(session, sender, demo_voters)
    session.commit()  # TRUNCATE waits for every reader's transaction to end
    postgresql = get_engine().dialect.name == "postgresql"
    with pytest.raises(DatabaseError, match="append-only"):
        with get_engine().begin() as conn:
            if postgresql:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text("TRUNCATE auditevent" if postgresql else "DELETE FROM auditevent"))
    assert _unchanged(event)


def test_change_after_a_withdrawal_in_another_tab_is_refused(sender, demo_voters):
    voter_id = demo_voters[0].id
    with Session(get_engine(), expire_on_commit=False) as tab_a, Session(get_engine(), expire_on_commit=False) as tab_b:
        voter = tab_a.get(type(demo_voters[0]), voter_id)
        application = _submit(tab_a, voter, sender)
        reference = application.reference
        stale = applications.own(tab_a, voter_id, reference)  # tab A has read it
        draft = _draft(tab_a, voter, email="late@example.kg")
        applications.withdraw(tab_b, voter_id, reference, sender, "ru", now=OPEN, session_row=voter_session(tab_b, voter_id))
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


def test_changed_contacts_are_told_to_the_phone_on_file_and_the_previous_email(session, sender, demo_voters):
    """A taken-over cabinet cannot move the notices away silently; the new, unverified phone
    gets nothing."""
    voter = demo_voters[0]  # phone on file: +996700123456
    application = _submit(session, voter, sender)
    applications.change(session, voter.id, application.reference,
                        _draft(session, voter, phone="+996 555 765 432", email="thief@example.kg"), sender, "ru",
                        now=OPEN, session_row=voter_session(session, voter.id))
    session.commit()
    sms = _sent_to(session, voter.phone)[-1]
    email = _sent_to(session, "voter@example.kg")[-1]
    assert sms.channel == "sms" and application.reference in sms.body and "«Это был не я»" in sms.body
    assert email.channel == "email" and application.reference in email.subject and "не вы" in email.body
    # The previous contacts are not told the new ones; the new e-mail gets the usual change notice.
    assert "765" not in sms.body and "thief" not in email.body
    assert _sent_to(session, "+996555765432") == []
    assert [m.channel for m in _sent_to(session, "thief@example.kg")] == ["email"]


def test_only_the_changed_contact_is_warned(session, sender, demo_voters):
    voter = demo_voters[0]
    application = _submit(session, voter, sender)
    before = len(outbox(session))
    applications.change(session, voter.id, application.reference, _draft(session, voter, email="new@example.kg"),
                        sender, "en", now=OPEN, session_row=voter_session(session, voter.id))
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
                        sender, "ru", now=OPEN, session_row=voter_session(session, voter.id))
    session.rollback()  # the change fails later in the same transaction: no warning goes out either
    assert len(outbox(session)) == before
    assert session.get(Application, application.id).phone == "+996700123456"


def test_the_same_answers_confirmed_twice_file_one_application(session, sender, demo_voters):
    """A double click, or a confirm re-sent after a lost connection, returns the first application."""
    voter = demo_voters[5]
    draft = applications.validate(session, voter.id, _draft(session, voter), OPEN)
    online = voter_session(session, voter.id)
    first = applications.submit_once(session, voter.id, draft, sender, "ru", now=OPEN, session_row=online)
    session.commit()
    again = applications.submit_once(session, voter.id, draft, sender, "ru", now=OPEN, session_row=online)
    assert again.reference == first.reference
    assert len(session.exec(select(Application).where(Application.voter_id == voter.id)).all()) == 1
    other = dataclasses.replace(draft, email="other@example.kg")
    with pytest.raises(ServiceError, match="already_applied"):
        applications.submit_once(session, voter.id, other, sender, "ru", now=OPEN, session_row=online)


@pytest.mark.parametrize("channel", ["online", "in_person"])
def test_email_is_required_online_and_at_a_commission_as_the_announcement_lists_it(session, sender, demo_voters,
                                                                                    channel):
    voter = demo_voters[0]
    with pytest.raises(ServiceError) as missing:
        applications.validate(session, voter.id, _draft(session, voter, email=""), now=OPEN, channel=channel)
    assert {k: v.code for k, v in missing.value.errors.items()} == {"email": "error.email_required"}
    with pytest.raises(ServiceError) as bad:  # a wrong one is still wrong
        applications.validate(session, voter.id, _draft(session, voter, email="bad@"), now=OPEN, channel="in_person")
    assert bad.value.errors["email"].code == "error.email_format"


# --- One assurance model (services.identity.assurance): who may file, change and withdraw online ---

def _code(session, phone: str) -> str:
    return code_in(_sent_to(session, phone)[-1].body)


def _step_up(session, sender, voter, row, now=OPEN) -> None:
    """The voter enters the step-up code texted to the phone on file, in session `row`."""
    sent = assurance.challenge(session, row, voter.id, sender, "ru", now=now)
    assert sent is not None and sent.masked_phone.endswith(voter.phone[-3:])
    assurance.prove(session, row, voter.id, sent.token, _code(session, voter.phone), "198.51.100.1", now=now)


def _three_writes(session, sender, voter, row, now=OPEN) -> list:
    """File, move and withdraw in session `row`: each call's result, or the error code it raised."""
    results = []
    for call in (lambda: applications.submit(session, voter.id, _draft(session, voter), sender, "ru", now=now,
                                             session_row=row).reference,
                 lambda: applications.change(session, voter.id, _only_reference(session, voter),
                                             _draft(session, voter, precinct_id=_precinct(session, "ДГ-01").id),
                                             sender, "ru", now=now, session_row=row).remote_precinct_id,
                 lambda: applications.withdraw(session, voter.id, _only_reference(session, voter), sender, "ru",
                                               now=now, session_row=row).status):
        try:
            results.append(call())
        except ServiceError as exc:
            results.append(exc.code)
    return results


def _only_reference(session, voter) -> str:
    found = session.exec(select(Application.reference).where(Application.voter_id == voter.id)).all()
    return found[0] if found else "NONE-NONE"


def test_the_writers_refuse_a_call_without_the_acting_session(session, sender, demo_voters):
    """Calling the service directly, without a proof of who acts, files, moves and withdraws nothing."""
    voter = demo_voters[0]
    with pytest.raises(assurance.StepUpRequired):
        applications.submit(session, voter.id, _draft(session, voter), sender, "ru", now=OPEN)
    with pytest.raises(assurance.StepUpRequired):
        applications.submit_once(session, voter.id, _draft(session, voter), sender, "ru", now=OPEN)
    application = _submit(session, voter, sender)
    for call in (lambda: applications.change(session, voter.id, application.reference,
                                             _draft(session, voter, email="x@example.kg"), sender, "ru", now=OPEN),
                 lambda: applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN)):
        with pytest.raises(assurance.StepUpRequired):
            call()
    session.rollback()
    row = session.get(Application, application.id)
    assert row.status == "submitted" and row.email == "voter@example.kg" and row.version == 0


def test_only_sms_and_eid_sessions_begin_proved():
    """A FaceID phone could log a desktop in by QR and so skip the SMS step-up there."""
    assert [m for m in ("sms", "eid", "face", "qr", "") if assurance.begun_proved(m)] == ["sms", "eid"]


@pytest.mark.parametrize("method", ["face", "qr"])
def test_a_face_or_qr_session_files_moves_and_withdraws_only_after_a_step_up(session, sender, demo_voters, method):
    voter = demo_voters[0]
    row = voter_session(session, voter.id, method, now=OPEN)
    assert _three_writes(session, sender, voter, row) == ["error.step_up_required"] * 3
    assert session.exec(select(Application).where(Application.voter_id == voter.id)).all() == []
    _step_up(session, sender, voter, row)
    assert assurance.challenge(session, row, voter.id, sender, "ru", now=OPEN) is None  # proved: no second code
    filed, moved, withdrawn = _three_writes(session, sender, voter, row, now=OPEN + dt.timedelta(minutes=9))
    assert moved == _precinct(session, "ДГ-01").id and withdrawn == "withdrawn"


@pytest.mark.parametrize("method", ["face", "qr"])
def test_a_step_up_older_than_the_limit_is_refused(session, sender, demo_voters, method):
    voter = demo_voters[0]
    row = voter_session(session, voter.id, method, now=OPEN)
    _step_up(session, sender, voter, row)
    late = OPEN + dt.timedelta(minutes=assurance.STEP_UP_MINUTES, seconds=1)
    assert _three_writes(session, sender, voter, row, now=late) == ["error.step_up_required"] * 3
    assert assurance.needed(session, row, voter.id, now=late)


@pytest.mark.parametrize("method", ["sms", "eid"])
def test_an_sms_or_eid_session_files_moves_and_withdraws_without_a_code(session, sender, demo_voters, method):
    voter = demo_voters[0]
    row = voter_session(session, voter.id, method, now=OPEN)
    assert assurance.challenge(session, row, voter.id, sender, "ru", now=OPEN) is None
    later = OPEN + dt.timedelta(minutes=assurance.STEP_UP_MINUTES + 4)  # no step-up to grow old
    filed, moved, withdrawn = _three_writes(session, sender, voter, row, now=later)
    assert moved == _precinct(session, "ДГ-01").id and withdrawn == "withdrawn"


def test_a_step_up_proves_only_its_own_session(session, sender, demo_voters):
    """Another session of the voter, a session that ended, or another voter's session prove nothing."""
    voter, other = demo_voters[0], demo_voters[1]
    proved, second = voter_session(session, voter.id, "face", now=OPEN), voter_session(session, voter.id, "face", now=OPEN)
    _step_up(session, sender, voter, proved)
    assert _three_writes(session, sender, voter, second)[0] == "error.step_up_required"
    assert _three_writes(session, sender, voter, voter_session(session, other.id, now=OPEN))[0] == "error.forbidden"
    idle = OPEN + sessions.idle_limit() + dt.timedelta(seconds=1)
    assert _three_writes(session, sender, voter, voter_session(session, voter.id, now=OPEN), now=idle)[0] == "error.forbidden"
    sessions.end(session, proved, now=OPEN)
    assert _three_writes(session, sender, voter, proved)[0] == "error.forbidden"


def test_a_wrong_step_up_code_records_no_proof(session, sender, demo_voters):
    voter = demo_voters[0]
    row = voter_session(session, voter.id, "face", now=OPEN)
    sent = assurance.challenge(session, row, voter.id, sender, "ru", now=OPEN)
    wrong = "000000" if _code(session, voter.phone) != "000000" else "111111"
    with pytest.raises(ServiceError) as info:
        assurance.prove(session, row, voter.id, sent.token, wrong, "198.51.100.1", now=OPEN)
    assert info.value.code == "error.code_wrong"
    assert session.get(UserSession, row).stepped_up_at is None and assurance.needed(session, row, voter.id, now=OPEN)


def test_every_filing_change_and_withdrawal_is_told_to_the_phone_on_file(session, sender, demo_voters):
    """Whatever contact phone the application carries, the register's phone hears of each write,
    with how to say "this wasn't me"; the e-mail too."""
    voter = demo_voters[1]  # phone on file +996555234567
    row = voter_session(session, voter.id, now=OPEN)
    before = len(outbox(session))
    application = applications.submit(session, voter.id, _draft(session, voter, phone="+996 700 999 111"), sender, "en",
                                      now=OPEN, session_row=row)
    applications.change(session, voter.id, application.reference,
                        _draft(session, voter, phone="+996 700 999 111", precinct_id=_precinct(session, "ДГ-01").id),
                        sender, "en", now=OPEN, session_row=row)
    applications.withdraw(session, voter.id, application.reference, sender, "en", now=OPEN, session_row=row)
    session.commit()
    sent = outbox(session)[before:]
    sms = [m.body for m in sent if m.channel == "sms"]
    assert [m.recipient for m in sent if m.channel == "sms"] == [voter.phone] * 3
    assert [body.split(".")[0] for body in sms] == [f"Application {application.reference} {word}"
                                                    for word in ("accepted", "changed", "withdrawn")]
    assert all("This wasn't me" in body for body in sms)
    emails = [m for m in sent if m.channel == "email"]
    assert len(emails) == 3 and all("This wasn't me" in m.body and m.recipient == "voter@example.kg" for m in emails)


def test_staff_filing_in_person_is_told_to_the_phone_on_file(session, sender, demo_voters):
    voter = demo_voters[1]
    applications.submit(session, voter.id, _draft(session, voter, phone="+996 700 999 111"), sender, "ru",
                        channel="in_person", staff_actor="staff:1", now=OPEN)
    assert [(m.channel, m.recipient) for m in outbox(session) if m.channel == "sms"] == [("sms", voter.phone)]


def test_repeated_contact_changes_text_no_unverified_number(session, sender, demo_voters):
    """Before: 8 contact changes sent 7 SMS to numbers nobody had proved (the previous contact phones)."""
    voter = demo_voters[0]
    row = voter_session(session, voter.id, now=OPEN)
    application = _submit(session, voter, sender)
    numbers = [f"+996 555 70{i} 4{i}{i}" for i in range(8)]
    for number in numbers:
        applications.change(session, voter.id, application.reference, _draft(session, voter, phone=number), sender,
                            "ru", now=OPEN, session_row=row)
    session.commit()
    texted = {m.recipient for m in outbox(session) if m.channel == "sms"}
    assert texted == {voter.phone}


def test_a_contact_phone_verified_with_a_code_gets_the_notices(session, sender, demo_voters):
    voter = demo_voters[1]
    row = voter_session(session, voter.id, now=OPEN)
    application = applications.submit(session, voter.id, _draft(session, voter, phone="+996 700 999 111"), sender, "ru",
                                      now=OPEN, session_row=row)
    assert not applications.summary(session, application, "ru")["phone_verified"]
    sent = applications.send_phone_code(session, voter.id, application.reference, sender, "ru", now=OPEN)
    assert [m.recipient for m in outbox(session)][-1] == "+996700999111"
    wrong = "000000" if _code(session, "+996700999111") != "000000" else "111111"
    with pytest.raises(ServiceError, match="code_wrong"):
        applications.verify_phone(session, voter.id, sent.token, wrong, now=OPEN)
    with pytest.raises(ServiceError, match="code_expired"):  # another voter cannot use it
        applications.verify_phone(session, demo_voters[0].id, sent.token, _code(session, "+996700999111"), now=OPEN)
    applications.verify_phone(session, voter.id, sent.token, _code(session, "+996700999111"), now=OPEN)
    assert applications.summary(session, application, "ru")["phone_verified"]
    before = len(outbox(session))
    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN, session_row=row)
    assert sorted(m.recipient for m in outbox(session)[before:] if m.channel == "sms") == sorted(
        [voter.phone, "+996700999111"])
    with pytest.raises(ServiceError, match="phone_already_verified"):
        applications.send_phone_code(session, voter.id, application.reference, sender, "ru", now=OPEN)


def test_contact_phone_codes_are_capped_per_voter_and_day(session, sender, demo_voters):
    voter = demo_voters[0]
    row = voter_session(session, voter.id, now=OPEN)
    application = _submit(session, voter, sender, phone="+996 700 999 111")
    for i in range(applications.PHONE_CODES_PER_DAY):
        applications.change(session, voter.id, application.reference, _draft(session, voter, phone=f"+996 700 999 11{i}"),
                            sender, "ru", now=OPEN, session_row=row)
        applications.send_phone_code(session, voter.id, application.reference, sender, "ru", now=OPEN)
    with pytest.raises(ServiceError, match="phone_code_limit"):
        applications.send_phone_code(session, voter.id, application.reference, sender, "ru", now=OPEN)
    assert applications.send_phone_code(session, voter.id, application.reference, sender, "ru",
                                        now=OPEN + dt.timedelta(days=1, seconds=1)).token


def test_the_pass_says_when_it_was_issued_or_renewed_never_a_version_number(session, sender, demo_voters):
    application = _submit(session, demo_voters[0], sender)
    day = local_text(application.created_at)  # dd.mm.yyyy in Bishkek
    english = dt.datetime.strptime(day, "%d.%m.%Y").strftime("%-d %B %Y")  # one date form per language
    for lang, issued, date in (("ru", "Пропуск выдан ", day), ("ky", " берилди", day), ("en", "Pass issued on ", english)):
        summary = applications.summary(session, application, lang)
        assert issued in summary["pass_issued"] and date in summary["pass_issued"] and summary["submitted_at"] == date
    application.version = 1  # as after a change (which renews the pass)
    assert applications.summary(session, application, "ru")["pass_issued"].startswith("Пропуск обновлён ")
    assert not any("ерси" in str(v) for v in applications.summary(session, application, "ru").values())


def test_the_voters_dates_and_pass_follow_the_elections_zone(session, sender, demo_voters):
    application, election = _submit(session, demo_voters[0], sender), demo_election(session, demo_voters[0])
    application.created_at = dt.datetime.combine(SEED_DAY, dt.time(16, 30), tzinfo=dt.timezone.utc)
    session.add(application)
    session.commit()
    # 16:00 UTC on election day: 22:00 that day in Bishkek, already 01:00 of the next day in Tokyo.
    late = dt.datetime.combine(election.election_day, dt.time(16), tzinfo=dt.timezone.utc)
    home = applications.summary(session, application, "ru", now=late, with_pass=True)
    assert home["submitted_at"] == f"{SEED_DAY:%d.%m.%Y}" and home["pass_token"]
    with elections_in_zone(session, [election], "Asia/Tokyo"):
        abroad = applications.summary(session, application, "ru", now=late, with_pass=True)
    assert abroad["submitted_at"] == f"{SEED_DAY + dt.timedelta(days=1):%d.%m.%Y}" and abroad["pass_token"] == ""
