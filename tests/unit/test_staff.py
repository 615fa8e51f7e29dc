import datetime as dt
import io
import json
import re
import sys
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pyotp

import pytest
from sqlmodel import select

from remote_vote_app import cli
from remote_vote_app.models import AuditEvent, Precinct, StaffAccount
from remote_vote_app.services import audit
from remote_vote_app.services.applications import applications
from remote_vote_app.services.identity import staff
from remote_vote_app.services.reference import elections, precincts
from remote_vote_app.services.reporting import dashboard, staff_records
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import Forbidden, NotFound, ServiceError
from remote_vote_app.demo.seed import DEMO_STAFF
from tests.unit.conftest import SEED_DAY, bishkek, demo_election, elections_in_zone, voter_session

OPEN = bishkek(12)


def _login(session, username):
    """The account behind a right password (the second factor is tested in test_staff_totp)."""
    password = next(row[2] for row in DEMO_STAFF if row[0] == username)
    return staff.reload(session, staff.authenticate(session, username, password, "10.1.1.1").staff_id)


@pytest.fixture
def users(session):
    return {name: _login(session, name) for name in ("cec.admin", "tec.bishkek", "uik.dg05", "observer")}


def _apply(session, sender, voter, number="ДГ-05", **kw):
    precinct = session.exec(select(Precinct).where(Precinct.number == number)).one()
    draft = Draft(demo_election(session, voter).id, precinct.id, "v@example.kg", voter.phone, True)
    if not kw.get("staff_actor"):
        kw["session_row"] = voter_session(session, voter.id)
    application = applications.submit(session, voter.id, draft, sender, "ru", now=OPEN, **kw)
    session.commit()
    return application


def test_passwords_are_argon2_and_login_is_generic(session):
    account = session.exec(select(StaffAccount).where(StaffAccount.username == "cec.admin")).one()
    assert account.password_hash.startswith("$argon2id$") and "demo-admin-2024" not in account.password_hash
    wrong_password = pytest.raises(ServiceError, staff.authenticate, session, "cec.admin", "nope", "c").value
    unknown_user = pytest.raises(ServiceError, staff.authenticate, session, "ghost", "nope", "c").value
    assert wrong_password.code == unknown_user.code == "error.staff_login"


def test_deactivated_account_cannot_log_in_or_keep_its_session(session):
    user = _login(session, "observer")
    account = session.get(StaffAccount, user.id)
    account.active = False
    session.add(account)
    session.commit()  # committed, as an admin's change would be (a refused login audits in its own transaction)
    try:
        assert staff.reload(session, user.id) is None
        with pytest.raises(ServiceError):
            _login(session, "observer")
    finally:
        account.active = True
        session.add(account)
        session.commit()


def test_create_account_rules(session):
    with pytest.raises(ServiceError, match="error.staff_password"):
        staff.create_account(session, "short", "S", "short", "observer")
    with pytest.raises(ServiceError, match="error.staff_role"):
        staff.create_account(session, "x", "X", "long-enough-password", "superuser")
    with pytest.raises(ServiceError, match="error.staff_username"):
        staff.create_account(session, "CEC.Admin", "X", "long-enough-password", "observer")
    with pytest.raises(ServiceError, match="error.staff_territory"):
        staff.create_account(session, "tec.x", "X", "long-enough-password", "tec_operator", territory_code="NOWHERE")
    session.rollback()


def test_cli_create_staff_reads_the_password_from_stdin(monkeypatch, session, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-very-long-password\n"))
    assert cli.main(["create-staff", "--username", "tec.osh", "--full-name", "Оператор ТИК Ош", "--role",
                     "tec_operator", "--territory", "OSH", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "created tec.osh" in out
    # The CLI enrols the second factor at once: the otpauth URI, the secret and ten recovery codes, shown once.
    uri = re.search(r"otpauth://totp/\S+", out).group(0)
    assert "issuer=CEC%20KR%20remote%20voting" in uri and "secret=" in uri
    assert len(re.findall(r"^  [A-Z2-9]{5}-[A-Z2-9]{5}$", out, re.M)) == 10
    step = staff.authenticate(session, "tec.osh", "a-very-long-password", "c")
    assert step.enrolled
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert secret not in session.get(StaffAccount, step.staff_id).totp_secret  # encrypted at rest
    assert staff.second_factor(session, step.staff_id, pyotp.TOTP(secret).now(), "c").role == "tec_operator"
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert cli.main(["create-staff", "--username", "x", "--full-name", "X", "--role", "observer", "--password-stdin"]) == 2


def test_role_matrix(users):
    admin, tec, member, observer = users["cec.admin"], users["tec.bishkek"], users["uik.dg05"], users["observer"]
    # Every permission but the election-day desks, which belong to a precinct's own commission.
    desks = ("checkin.mark", "identification.desk")
    assert all(admin.can(p) for p in staff.PERMISSIONS if p not in desks) and not any(admin.can(p) for p in desks)
    assert member.can("checkin.mark") and not tec.can("checkin.mark")
    assert tec.can("applications.create") and not tec.can("voter_list.view") and not tec.can("audit.view")
    assert member.can("voter_list.view") and not member.can("applications.view")
    assert observer.can("stats.view") and [p for p in staff.PERMISSIONS if observer.can(p)] == ["stats.view"]
    with pytest.raises(Forbidden):
        staff.require(observer, "applications.view")
    with pytest.raises(Forbidden):
        staff.require(None, "stats.view")


def test_in_person_application_uses_the_same_rules_and_records_the_commission(session, sender, demo_voters, users):
    tec = users["tec.bishkek"]
    application = _apply(session, sender, demo_voters[0], channel="in_person", staff_actor=f"staff:{tec.id}",
                         commission="ТИК Бишкек")
    assert application.channel == "in_person" and application.filed_by_staff_id == tec.id
    assert application.consent_version.startswith("paper:") and application.commission == "ТИК Бишкек"
    assert audit.history(session, "application", application.reference)[0].actor == f"staff:{tec.id}"
    with pytest.raises(ServiceError, match="error.already_applied"):
        _apply(session, sender, demo_voters[0], channel="in_person", staff_actor=f"staff:{tec.id}")


def test_search_scope_masking_pagination_and_sorting(session, sender, demo_voters, users):
    bishkek_app = _apply(session, sender, demo_voters[0])
    osh_app = _apply(session, sender, demo_voters[1], number="ДГ-01")
    admin, tec = users["cec.admin"], users["tec.bishkek"]
    rows, total = staff_records.search(session, admin, staff_records.Query())
    assert total == 2 and {r["reference"] for r in rows} == {bishkek_app.reference, osh_app.reference}
    assert all("*" in r["pin"] for r in rows)
    rows, total = staff_records.search(session, tec, staff_records.Query())
    assert total == 1 and rows[0]["reference"] == bishkek_app.reference  # a Bishkek commission sees Bishkek voters
    by_pin, _ = staff_records.search(session, admin, staff_records.Query(text=demo_voters[1].pin))
    assert [r["reference"] for r in by_pin] == [osh_app.reference]
    by_ref, _ = staff_records.search(session, admin, staff_records.Query(text=bishkek_app.reference.lower().replace("-", "")))
    assert [r["reference"] for r in by_ref] == [bishkek_app.reference]
    page2, total = staff_records.search(session, admin, staff_records.Query(page=2, page_size=25))
    assert page2 == [] and total == 2
    sorted_rows, _ = staff_records.search(session, admin, staff_records.Query(sort="precinct"))
    assert [r["precinct"] for r in sorted_rows] == ["ДГ-01", "ДГ-05"]
    filtered, total = staff_records.search(session, admin, staff_records.Query(
        precinct_id=osh_app.remote_precinct_id, status="submitted", channel="online",
        date_from=SEED_DAY, date_to=SEED_DAY))
    assert total == 1
    none, total = staff_records.search(session, admin, staff_records.Query(date_from=SEED_DAY + dt.timedelta(days=1)))
    assert total == 0
    with pytest.raises(Forbidden):
        staff_records.search(session, users["observer"], staff_records.Query())


def test_the_filing_day_filter_and_times_follow_each_applications_election_zone(session, sender, demo_voters, users):
    abroad_app, home_app = _apply(session, sender, demo_voters[0]), _apply(session, sender, demo_voters[1])
    late = dt.datetime.combine(SEED_DAY, dt.time(16, 30), tzinfo=dt.timezone.utc)  # 22:30 Bishkek, 01:30 next day Tokyo
    for application in (abroad_app, home_app):
        application.created_at = late
        session.add(application)
    session.commit()
    admin, next_day = users["cec.admin"], SEED_DAY + dt.timedelta(days=1)

    def found(**dates) -> dict[str, str]:
        rows, _total = staff_records.search(session, admin, staff_records.Query(**dates))
        return {r["reference"]: r["created"] for r in rows}

    with elections_in_zone(session, [demo_election(session, demo_voters[0])], "Asia/Tokyo"):
        assert found(date_from=SEED_DAY, date_to=SEED_DAY) == {home_app.reference: f"{SEED_DAY:%d.%m.%Y} 22:30"}
        assert found(date_from=next_day, date_to=next_day) == {abroad_app.reference: f"{next_day:%d.%m.%Y} 01:30"}
        assert found(date_to=SEED_DAY).keys() == {home_app.reference}
        assert found(date_from=next_day).keys() == {abroad_app.reference}
        audited = session.exec(select(AuditEvent.at).where(AuditEvent.entity_id == abroad_app.reference)).first()
        assert staff_records.detail(session, admin, abroad_app.reference)["history"][0]["at"] == (
            audited.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%d.%m.%Y %H:%M:%S"))
    assert found(date_from=SEED_DAY, date_to=SEED_DAY).keys() == {abroad_app.reference, home_app.reference}


def test_detail_has_history_and_respects_scope(session, sender, demo_voters, users):
    osh_app = _apply(session, sender, demo_voters[1])
    applications.withdraw(session, demo_voters[1].id, osh_app.reference, sender, "ru", now=OPEN,
                          session_row=voter_session(session, demo_voters[1].id))
    session.commit()
    info = staff_records.detail(session, users["cec.admin"], osh_app.reference)
    assert info["pin"] == demo_voters[1].pin and info["document"] == demo_voters[1].document_number  # pii.full: in full
    assert [h["action"] for h in info["history"]] == ["application.submitted", "application.withdrawn"]
    with pytest.raises(NotFound):
        staff_records.detail(session, users["tec.bishkek"], osh_app.reference)


def test_voter_list_only_own_precinct_and_csv(session, sender, demo_voters, users):
    _apply(session, sender, demo_voters[0], number="ДГ-05")
    _apply(session, sender, demo_voters[1], number="ДГ-01")
    member = users["uik.dg05"]
    other = session.exec(select(Precinct).where(Precinct.number == "ДГ-01")).one()
    data = staff_records.voter_list(session, member, other.id, None, now=OPEN)  # asks for ДГ-01, gets ДГ-05
    assert data["precinct_number"] == "ДГ-05" and [r["pin"] for r in data["rows"]] == [demo_voters[0].pin]
    assert data["preliminary"] is True
    text = staff_records.voter_list_csv(data)
    assert text.startswith("\ufeff") and "\r\n" in text and demo_voters[0].last_name in text
    assert text.splitlines()[0].lstrip("\ufeff").startswith("Номер заявления;ФИО;ПИН")  # the header first
    assert text.splitlines()[1].endswith(";предварительный")
    after = staff_records.voter_list(session, member, None, None, now=bishkek(12, day=SEED_DAY + dt.timedelta(days=20)))
    assert after["preliminary"] is False
    with pytest.raises(Forbidden):
        staff_records.voter_list(session, users["tec.bishkek"], other.id, None)


@pytest.mark.parametrize("lang, title, header", [
    ("ky", "ДГ-05 —", ["Арыздын номери", "Аты-жөнү", "ЖИН"]),
    ("ru", "Список избирателей участка дистанционного голосования ДГ-05 —", ["Номер заявления", "ФИО", "ПИН"]),
    ("en", "Voter list of remote precinct DG-05 —", ["Application number", "Full name", "PIN"]),
])
def test_voter_list_download_is_in_the_members_language(session, sender, demo_voters, users, lang, title, header):
    from openpyxl import load_workbook

    _apply(session, sender, demo_voters[0], number="ДГ-05")
    member = users["uik.dg05"]
    name, body = staff_records.voter_list_download(session, member, None, None, "staff:test", "xlsx", lang)
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(body)).active.iter_rows()]
    assert name == "voters-ДГ-05-preliminary.xlsx" and rows[0][0].startswith(title)
    assert rows[4][:3] == header and rows[4][-1] == staff_records.list_header(lang, signature=True)[-1]
    assert rows[5][0] and demo_voters[0].last_name in rows[5][1]
    _name, text = staff_records.voter_list_download(session, member, None, None, "staff:test", "csv", lang)
    assert text.lstrip("\ufeff").split("\r\n")[0].split(";")[:3] == header


def test_statistics_count_by_precinct_region_day_and_channel(session, sender, demo_voters, users):
    _apply(session, sender, demo_voters[0], number="ДГ-05")
    _apply(session, sender, demo_voters[1], number="ДГ-05", channel="in_person", staff_actor=f"staff:{users['cec.admin'].id}")
    stats = dashboard.statistics(session, demo_election(session, demo_voters[0]).election_day, now=OPEN)
    assert stats["total"] == 2 and stats["by_channel"] == {"online": 1, "in_person": 1}
    assert {r["number"]: r["count"] for r in stats["per_precinct"]}["ДГ-05"] == 2
    assert {r["issued"] for r in stats["per_precinct"]} == {0}  # no check-in yet: nothing issued
    assert {r["region"]: r["count"] for r in stats["per_region"]} == {"Бишкек": 1, "Ош": 1}
    assert sum(d["count"] for d in stats["per_day"]) == 2 and stats["seconds_left"] > 0
    assert dashboard.default_day(session, now=OPEN) == demo_election(session, demo_voters[0]).election_day


def test_anomalies_flag_shared_contacts_and_frequent_changes(session, sender, demo_voters):
    for voter in demo_voters[:3]:
        precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
        applications.submit(session, voter.id, Draft(demo_election(session, voter).id, precinct.id, "same@example.kg",
                                                     "+996700000001", True), sender, "ru", now=OPEN,
                            session_row=voter_session(session, voter.id))
    session.commit()
    found = dashboard.anomalies(session, contact_limit=2, change_limit=0)
    assert found["emails"] == [{"value": "same@example.kg", "count": 3}] and found["phones"][0]["count"] == 3
    assert dashboard.anomalies(session, contact_limit=3)["emails"] == []


def test_admin_edits_are_audited(session, demo_voters):
    election = demo_election(session, demo_voters[0])
    with pytest.raises(ServiceError, match="error.deadline_after_election"):
        elections.update_dates(session, election.id, "2026-12-01", "2026-12-02", "staff:1")
    elections.update_dates(session, election.id, election.election_day.isoformat(),
                           election.application_deadline.isoformat(), "staff:1")
    assert audit.history(session, "election", election.id)[-1].action == "election.dates_changed"
    created = precincts.save_remote(session, None, {"number": "ДГ-11", "territory": "TOKMOK", "city_ru": "Токмок",
                                                    "place_ru": "Школа №1", "address_ru": "ул. Ленина, 1",
                                                    "latitude": "42.84", "longitude": "75.30"}, "staff:1")
    assert created.place_en == "Школа №1" and created.location_precision == "approximate"
    precincts.save_remote(session, created.id, {**{f: getattr(created, f) for f in precincts.TEXT_FIELDS},
                                                "place_en": "School No. 1"}, "staff:1")
    precincts.set_active(session, created.id, False, "staff:1")
    actions = [e.action for e in audit.history(session, "precinct", "ДГ-11")]
    assert actions == ["precinct.created", "precinct.edited", "precinct.deactivated"]
    assert json.loads(audit.history(session, "precinct", "ДГ-11")[1].details)["fields"] == ["place_en"]
    session.rollback()


def test_search_by_surname_in_any_case_and_translated_keys(session, sender, demo_voters, users):
    app = _apply(session, sender, demo_voters[0])
    _apply(session, sender, demo_voters[1], number="ДГ-01")
    admin, surname = users["cec.admin"], demo_voters[0].last_name
    for typed in (surname, surname.lower(), surname.upper(), surname[:3]):
        rows, total = staff_records.search(session, admin, staff_records.Query(text=typed))
        assert app.reference in [r["reference"] for r in rows], typed
        assert all(r["name"].startswith(surname[:3]) for r in rows)
    assert rows[0]["status_key"] == "status.submitted" and rows[0]["channel_key"] == "channel.online"
    assert staff_records.search(session, admin, staff_records.Query(text="Zzzz%"))[1] == 0


def test_a_reference_of_letters_only_is_found_by_its_index_not_a_scan(session, sender, demo_voters, users):
    import sqlalchemy as sa

    app = _apply(session, sender, demo_voters[0])
    app.reference = "ACDE-FHJK"  # every character a letter: it also reads as the start of a surname
    session.add(app)
    session.flush()
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        rows, total = staff_records.search(session, users["cec.admin"], staff_records.Query(text="acde fhjk"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert total == 1 and [r["reference"] for r in rows] == ["ACDE-FHJK"]
    assert not [s for s in statements if " LIKE " in s.upper()], "the search fell back to the surname scan"


def test_staff_with_full_rights_see_the_register_data_in_full(session, sender, demo_voters, users):
    from remote_vote_app.services.reference import register

    voter = demo_voters[0]
    app = _apply(session, sender, voter)
    detail = staff_records.detail(session, users["cec.admin"], app.reference)
    assert detail["pin"] == voter.pin and detail["document"] == voter.document_number
    assert detail["home"].count("Бишкек") == 1  # the city once, not «Бишкек, г. Бишкек, ул…»
    full = register.profile(session, voter.id, full=True)
    assert (full.pin, full.document) == (voter.pin, voter.document_number)
    assert "*" in register.profile(session, voter.id).pin  # the voter's own screen stays masked


def test_no_pin_digit_is_shown_beside_a_birth_date_in_staff_views_exports_or_the_voters_pages(
        session, sender, demo_voters, monkeypatch):
    """The PIN starts with the birth date: a masked PIN shows no digit where the birth date is shown
    (with two digits shown, a few thousand candidates were left to try)."""
    import csv as csvlib

    from remote_vote_app.services.applications import exclusions
    from remote_vote_app.services.reference import register

    voter = demo_voters[0]  # home precinct УИК №1001
    application = _apply(session, sender, voter)
    member = _login(session, "uik.1001")  # no pii.full: masked PINs
    precinct = session.exec(select(Precinct).where(Precinct.number == "УИК №1001")).one()
    data = exclusions.exclusion_list(session, member, demo_election(session, voter).id, precinct.id, now=OPEN)
    row = data["rows"][0]
    shown = [row["pin"]]
    table = list(csvlib.reader(io.StringIO(exclusions.csv_text(data).lstrip("\ufeff")), delimiter=";"))
    shown.append(table[1][table[0].index("ПИН")])

    monkeypatch.setitem(staff.PERMISSIONS, "pii.full", frozenset())  # a role that sees a detail masked
    admin = _login(session, "cec.admin")
    info = staff_records.detail(session, admin, application.reference)
    shown += [info["pin"], staff_records.search(session, admin, staff_records.Query())[0][0]["pin"],
              register.profile(session, voter.id).pin]
    assert row["birth_date"] and info["birth_date"] and register.profile(session, voter.id).birth_date
    assert all(p and not any(ch.isdigit() for ch in p) for p in shown), shown


def test_database_and_wal_files_are_private_from_creation(tmp_path):
    """0600 whatever the process umask (a CLI run from a shell with 022): the -wal and -shm files too."""
    import os
    import stat

    import sqlalchemy as sa

    from remote_vote_app.db import get_engine

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.db"
        engine = get_engine(f"sqlite:///{fresh}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x TEXT)"))
            conn.execute(sa.text("INSERT INTO t VALUES ('21412199500678')"))
        with engine.connect() as conn:  # a reader keeps the -wal and -shm files open
            conn.execute(sa.text("SELECT * FROM t")).all()
            files = [fresh, tmp_path / "fresh.db-wal", tmp_path / "fresh.db-shm"]
            assert all(f.exists() for f in files)
            assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
        older = tmp_path / "older.db"
        older.touch(mode=0o644)
        get_engine(f"sqlite:///{older}")
        assert stat.S_IMODE(older.stat().st_mode) == 0o600  # a file of an older version is tightened
    finally:
        os.umask(old)
        engine.dispose()


def test_staff_search_detail_and_audit_times_read_as_the_page_language_writes_dates(session, sender, demo_voters, users):
    """Issue 23 point 9: dates in the page's language, not one numeric form for every language."""
    admin = users["cec.admin"]
    voter = demo_voters[0]
    _apply(session, sender, voter)
    [row], _ = staff_records.search(session, admin, staff_records.Query(text=voter.pin), "en")
    assert re.search(r"^\d{1,2} [A-Z][a-z]+ \d{4}$", row["election_day"]), row["election_day"]
    assert re.search(r"^\d{1,2} [A-Z][a-z]+ \d{4} \d\d:\d\d$", row["created"]), row["created"]
    [ru_row], _ = staff_records.search(session, admin, staff_records.Query(text=voter.pin), "ru")
    assert re.search(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$", ru_row["created"]), ru_row["created"]
    detail = staff_records.detail(session, admin, row["reference"], "en")
    assert re.search(r"^\d{1,2} [A-Z][a-z]+ \d{4} \d\d:\d\d:\d\d$", detail["history"][0]["at"])
    events, _ = staff_records.audit_log(session, admin, lang="en")
    assert re.search(r"^\d{1,2} [A-Z][a-z]+ \d{4} \d\d:\d\d:\d\d$", events[0]["at"]), events[0]["at"]
