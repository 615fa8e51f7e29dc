"""Home-precinct exclusion lists: contents that follow changes and withdrawals, preliminary until the
deadline's last second, scope per role, the CSV and the HTTP route that serves it."""

import datetime as dt
import io

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from remote_vote_app.i18n import until_inclusive
from remote_vote_app.models import Precinct, Territory, Voter
from remote_vote_app.services.applications import applications, exclusions
from remote_vote_app.services.identity import sessions, staff
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import Forbidden, NotFound, ServiceError
from remote_vote_app.web import staff_exports
from tests.unit.conftest import DEMO_DEADLINE, bishkek, demo_election, voter_session
from tests.unit.test_staff import OPEN, _apply, _login


@pytest.fixture
def users(session):
    return {name: _login(session, name) for name in ("cec.admin", "tec.bishkek", "uik.dg05", "uik.1001", "observer")}


def _precinct(session, number: str) -> Precinct:
    return session.exec(select(Precinct).where(Precinct.number == number)).one()


def _list(session, user, voter, precinct="УИК №1001", now=OPEN):
    return exclusions.exclusion_list(session, user, demo_election(session, voter).id, _precinct(session, precinct).id,
                                     now=now)


def test_the_list_follows_applications_changes_and_withdrawals(session, sender, demo_voters, users):
    voter = demo_voters[0]  # Асанова, Бишкек: home precinct УИК №1001
    assert session.get(Precinct, voter.home_precinct_id).number == "УИК №1001"
    member = users["uik.1001"]
    assert _list(session, member, voter)["rows"] == []

    application = _apply(session, sender, voter, number="ДГ-05")
    # A Bishkek voter of another home precinct applies too: not on УИК №1001's list.
    other = session.exec(select(Voter).where(Voter.territory_id == voter.territory_id,
                                             Voter.home_precinct_id != voter.home_precinct_id)).first()
    _apply(session, sender, other, number="ДГ-01")
    rows = _list(session, member, voter)["rows"]
    assert [(r["reference"], r["full_name"]) for r in rows] == [(application.reference, "Асанова Айгуль Бакытовна")]
    assert rows[0]["remote_precinct"].startswith("ДГ-05 — ")
    assert rows[0]["note"] == f"Голосует на ДГ-05, заявление № {application.reference}"
    assert rows[0]["birth_date"] == voter.birth_date.strftime("%d.%m.%Y") and "*" in rows[0]["pin"]  # no full PIN

    dg01 = _precinct(session, "ДГ-01")
    applications.change(session, voter.id, application.reference,
                        Draft(application.election_id, dg01.id, "v@example.kg", voter.phone, True), sender, "ru", now=OPEN,
                        session_row=voter_session(session, voter.id))
    session.commit()
    rows = _list(session, member, voter)["rows"]
    assert len(rows) == 1 and rows[0]["note"] == f"Голосует на ДГ-01, заявление № {application.reference}"

    applications.withdraw(session, voter.id, application.reference, sender, "ru", now=OPEN,
                          session_row=voter_session(session, voter.id))
    session.commit()
    assert _list(session, member, voter)["rows"] == []  # back on the home list: nothing to mark


def test_preliminary_until_the_last_second_of_the_deadline_day_then_final(session, sender, demo_voters, users):
    voter = demo_voters[0]
    _apply(session, sender, voter)
    last_second = bishkek(23, 59, 59, day=DEMO_DEADLINE)
    before = _list(session, users["uik.1001"], voter, now=last_second)
    after = _list(session, users["uik.1001"], voter, now=last_second + dt.timedelta(seconds=1))
    assert before["final"] is False and after["final"] is True
    # The last day itself, inclusive, as the voter's pages say it (not "до <next day> 00:00").
    assert f"принимаются {until_inclusive('ru', DEMO_DEADLINE)} (время Бишкека)" in before["status_text"]
    assert "включительно" in until_inclusive("ru", DEMO_DEADLINE) and "00:00" not in before["status_text"]
    assert after["status_text"] == "Окончательный список: приём заявлений завершён."
    assert [r["status"] for r in before["rows"]] == ["предварительный"]
    assert [r["status"] for r in after["rows"]] == ["окончательный"]
    day = demo_election(session, voter).election_day.isoformat()
    assert exclusions.file_name(before) == f"exclusions-uik1001-{day}-preliminary.csv"
    assert exclusions.file_name(after) == f"exclusions-uik1001-{day}-final.csv"


def test_scope_home_member_own_precinct_tec_its_territory_others_refused(session, sender, demo_voters, users):
    bishkek_voter, osh_voter = demo_voters[0], demo_voters[1]
    _apply(session, sender, osh_voter)
    osh_home = session.get(Precinct, osh_voter.home_precinct_id).number
    member, tec, admin = users["uik.1001"], users["tec.bishkek"], users["cec.admin"]

    chosen = exclusions.choices(session, member, None, _precinct(session, "УИК №1002").id, now=OPEN)
    assert [p["label"].split(" — ")[0] for p in chosen["precincts"]] == ["УИК №1001"]
    assert chosen["precinct_id"] == _precinct(session, "УИК №1001").id  # asked for №1002, got its own
    assert chosen["election_id"] == demo_election(session, bishkek_voter).id  # the open one first
    with pytest.raises(NotFound):
        _list(session, member, bishkek_voter, precinct="УИК №1002")

    bishkek = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one()
    chosen = exclusions.choices(session, tec, None, None, now=OPEN)
    assert {p["label"].split(" — ")[0] for p in chosen["precincts"]} == {
        p.number for p in session.exec(select(Precinct).where(Precinct.kind == "home", Precinct.territory_id == bishkek.id))}
    assert len(chosen["elections"]) == 2  # Бишкек's: 2024 and the demo election
    assert _list(session, tec, bishkek_voter, precinct="УИК №1002")["rows"] == []
    with pytest.raises(NotFound):  # an Osh precinct is outside Бишкек (and outside Бишкек's election)
        _list(session, tec, osh_voter, precinct=osh_home)
    osh_chosen = exclusions.choices(session, tec, demo_election(session, osh_voter).id, None, now=OPEN)
    assert osh_chosen["election_id"] != demo_election(session, osh_voter).id

    assert len(_list(session, admin, osh_voter, precinct=osh_home)["rows"]) == 1
    assert _list(session, admin, osh_voter, precinct=osh_home)["rows"][0]["pin"] == osh_voter.pin  # pii.full
    with pytest.raises(NotFound):  # a precinct of another territory than the election's
        _list(session, admin, osh_voter, precinct="УИК №1001")

    for refused in (users["uik.dg05"], users["observer"]):
        with pytest.raises(Forbidden):
            _list(session, refused, bishkek_voter)
        with pytest.raises(Forbidden):
            exclusions.choices(session, refused, None, None)


def test_csv_semicolons_bom_header_first_and_formula_cells_escaped():
    data = {"precinct_number": "УИК №1001", "election_day": "17.11.2024", "final": False,
            "rows": [{"reference": "KCDE-FHJK", "full_name": "=HYPERLINK(\"http://x\")", "birth_date": "01.01.1990",
                      "pin": "1*********0123", "home_address": "г. Бишкек; ул. Киевская, 1", "remote_precinct": "ДГ-05",
                      "note": "Голосует на ДГ-05, заявление № KCDE-FHJK", "status": "предварительный"}]}
    text = exclusions.csv_text(data)
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0] == ("Номер заявления;ФИО;Дата рождения;ПИН;Адрес регистрации;Участок дистанционного голосования;"
                        "Отметка в списке УИК;Статус списка")
    assert lines[1].split(";")[1] == '"\'=HYPERLINK(""http://x"")"'  # a formula cell is text
    assert '"г. Бишкек; ул. Киевская, 1"' in lines[1] and lines[1].endswith(";предварительный")
    assert exclusions.csv_text(data, "ky").lstrip("\ufeff").startswith("Арыздын номери;Аты-жөнү;Туулган күнү;ЖИН;")


def _cookie(session, user) -> str:
    started = sessions.start(session, "staff", user.id, "password_totp", "10.0.0.9")
    done = sessions.exchange(session, started.ticket, started.binding)
    session.commit()
    return f"{sessions.COOKIE['staff']}={done.sid}; lang=ru"


def test_the_download_route_takes_the_staff_cookie_and_the_scope(session, sender, demo_voters, users):
    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    client = TestClient(Starlette(routes=staff_exports.endpoints))
    query = f"/exports/exclusions.csv?election={demo_election(session, voter).id}&precinct={_precinct(session, 'УИК №1001').id}"

    response = client.get(query, headers={"cookie": _cookie(session, users["uik.1001"])})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "-preliminary.csv" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffНомер заявления;") and application.reference in body

    assert client.get(query, follow_redirects=False).status_code == 303  # no cookie: to the login page
    voter_started = sessions.start(session, "voter", voter.id, "sms", "10.0.0.9")
    voter_cookie = f"{sessions.COOKIE['staff']}=" + sessions.exchange(session, voter_started.ticket,
                                                                      voter_started.binding).sid
    session.commit()
    assert client.get(query, headers={"cookie": voter_cookie}, follow_redirects=False).status_code == 303
    assert client.get(query, headers={"cookie": _cookie(session, users["observer"])}).status_code == 403
    assert client.get(query.replace("precinct=", "precinct=9"),
                      headers={"cookie": _cookie(session, users["uik.1001"])}).status_code == 404


def test_the_exclusion_list_also_downloads_as_xlsx_with_its_title(session, sender, demo_voters, users):
    from openpyxl import load_workbook

    voter = demo_voters[0]
    application = _apply(session, sender, voter)
    client = TestClient(Starlette(routes=staff_exports.endpoints))
    query = (f"/exports/exclusions.xlsx?election={demo_election(session, voter).id}"
             f"&precinct={_precinct(session, 'УИК №1001').id}")
    response = client.get(query, headers={"cookie": _cookie(session, users["uik.1001"])})
    assert response.status_code == 200 and "spreadsheetml" in response.headers["content-type"]
    assert "-preliminary.xlsx" in response.headers["content-disposition"]
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[0][0].startswith("УИК №1001") and "день выборов" in rows[1][0]
    assert rows[2][0].startswith("По состоянию на ") and rows[3][0].startswith("ПРЕДВАРИТЕЛЬНЫЙ СПИСОК")
    assert rows[4][0] == "Номер заявления" and rows[5][0] == application.reference
    assert client.get(query.replace(".xlsx", ".pdf"),
                      headers={"cookie": _cookie(session, users["uik.1001"])}).status_code == 404


def test_by_cookie_only_for_a_live_session_of_the_kind(session, users):
    user = users["uik.1001"]
    started = sessions.start(session, "staff", user.id, "password_totp", "10.0.0.9")
    sid = sessions.exchange(session, started.ticket, started.binding).sid
    assert sessions.by_cookie(session, "staff", sid) == user.id
    assert sessions.by_cookie(session, "voter", sid) is None
    assert sessions.by_cookie(session, "staff", "") is None and sessions.by_cookie(session, "staff", "nope") is None
    later = sessions.now_utc() + sessions.idle_limit() + dt.timedelta(seconds=1)
    assert sessions.by_cookie(session, "staff", sid, now=later) is None  # idle: ended here
    assert sessions.by_cookie(session, "staff", sid) is None


def test_a_home_precinct_member_is_scoped_to_a_home_precinct(session):
    with pytest.raises(ServiceError, match="error.precinct_required"):
        staff.create_account(session, "uik.x", "X", "long-enough-password", "home_precinct_member", precinct_number="ДГ-05")
    account = staff.create_account(session, "uik.y", "Y", "long-enough-password", "home_precinct_member",
                                   precinct_number="УИК №1003")
    assert account.precinct_id == _precinct(session, "УИК №1003").id and account.territory_id is None
    session.rollback()
