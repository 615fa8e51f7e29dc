"""The election-day desk in identification mode (law of 2025, the demo presidential election): two desks
in different regions and one voter, a voter at the wrong precinct of the home district, and the link
dropping at a home precinct's desk (its own list on the device, provisional marks, the sync, and the
server's register catching a provisional ballot of the wrong district)."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from remote_vote_app.models import DistrictPrecinct, Election, ElectoralDistrict, Precinct, Territory, Voter
from tests.e2e.conftest import DESKTOP, check_a11y, staff_log_in

_CONNECTION_NOISE = re.compile(r"websocket|socket|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION|Failed to load resource|net::", re.I)

# Demo desks (demo/seed.py): Bishkek's station УИК №2001 and Osh Region's УИК №3011 in other
# districts; УИК №1001 is a Bishkek home precinct in УИК №2001's district.
DESK_BISHKEK, DESK_OSH, DESK_HOME = "uik.2001", "uik.3011", "uik.1001"
# pin, document, last name, first name; home precinct chosen by the fixture.
REMOTE = ("21101199002101", "ID9210101", "Абдыкадыров", "Марат")  # a voter of a third district
NEIGHBOUR = ("11202199102102", "ID9210102", "Жумабаева", "Айгерим")  # УИК №1001: district of УИК №2001
AT_HOME = ("21303199202103", "ID9210103", "Осмонов", "Бакыт")  # УИК №1001, checked at its own desk offline
PROVISIONAL = ("11404199302104", "ID9210104", "Сыдыкова", "Нургуль")  # a voter of a third district, offline
WRONG = ("11505199402105", "ID9210105", "Турдубаева", "Асель")  # a third district's voter, offline, wrong district


@pytest.fixture
def viewport():
    return DESKTOP


@pytest.fixture(scope="module")
def voters(base_url, server_env) -> dict:
    """The test's voters in the register, and the number of the third district's home precinct."""
    engine = sa.create_engine(server_env["REFLEX_DB_URL"])
    with Session(engine) as session:
        election = session.exec(select(Election).where(Election.mode == "identification")).first()
        number_of = {p.precinct_id: d.number for p, d in session.exec(
            select(DistrictPrecinct, ElectoralDistrict).join(ElectoralDistrict, ElectoralDistrict.id == DistrictPrecinct.district_id)
            .where(DistrictPrecinct.election_id == election.id))}
        home = session.exec(select(Precinct).where(Precinct.number == "УИК №1001")).one()
        desks = {n: session.exec(select(Precinct).where(Precinct.number == n)).one() for n in ("УИК №2001", "УИК №3011")}
        taken = {number_of[p.id] for p in desks.values()} | {number_of[home.id]}
        third = next(p for p in session.exec(select(Precinct).where(Precinct.abroad == False).order_by(Precinct.id))  # noqa: E712
                     if p.id in number_of and number_of[p.id] not in taken)
        for (pin, doc, last, first), precinct in ((REMOTE, third), (NEIGHBOUR, home), (AT_HOME, home),
                                                  (PROVISIONAL, third), (WRONG, third)):
            if session.exec(select(Voter).where(Voter.pin == pin)).first() is None:
                session.add(Voter(pin=pin, document_number=doc, last_name=last, first_name=first, phone="+996700921000",
                                  birth_date=dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3])), address_ru="—",
                                  territory_id=precinct.territory_id, home_precinct_id=precinct.id))
        session.commit()
        found = {"third_precinct": third.number, "third_district": number_of[third.id], "election_id": election.id,
                 "home_district": number_of[home.id]}
    engine.dispose()
    return found


def _open_desk(page: Page, base_url: str, username: str) -> None:
    """A station's member lands on the desk, first in the menu; a home precinct's member (whose day
    starts at the exclusion list) opens it from the menu."""
    staff_log_in(page, base_url, username)
    menu = page.get_by_role("navigation", name="Меню сотрудника")
    if username == DESK_HOME:
        expect(page).to_have_url(re.compile(r"/staff/exclusions/?$"))
        menu.get_by_role("link", name="Выдача бюллетеней").click()
    else:
        expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))
        expect(menu.get_by_role("link").first).to_have_text("Выдача бюллетеней")
        expect(menu.get_by_role("link", name="Выдача бюллетеней")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))
    expect(page.get_by_role("heading", level=1, name="Выдача бюллетеней: проверка избирателя")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Выдача бюллетеней: проверка избирателя"))
    expect(page.locator("#ident-connection")).to_have_text("Связь есть: каждый избиратель проверяется по всей стране.")
    expect(page.locator("#ident-list")).to_contain_text("на устройстве: избирателей")


def _find(page: Page, voter) -> None:
    page.get_by_label("ПИН избирателя").fill(voter[0])
    page.get_by_label("Номер ID-карты или паспорта").fill(voter[1])
    page.get_by_role("button", name="Найти").click()


def _card(page: Page, voter):
    card = page.get_by_role("region", name=f"{voter[2]} {voter[3]}")
    expect(card).to_be_visible()
    return card


def _ballots(server_env, pin: str) -> list[tuple]:
    engine = sa.create_engine(server_env["REFLEX_DB_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT p.number, b.kind, b.provisional FROM identifiedballot b JOIN voter v ON v.id = b.voter_id "
            "JOIN precinct p ON p.id = b.precinct_id WHERE v.pin = :pin"), {"pin": pin}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_two_desks_in_two_regions_one_voter_one_ballot(page: Page, browser, browser_context_args, base_url: str,
                                                        console, server_env, voters):
    _open_desk(page, base_url, DESK_BISHKEK)
    check_a11y(page)
    other_context = browser.new_context(**browser_context_args)
    osh = console.watch(other_context.new_page())
    _open_desk(osh, base_url, DESK_OSH)

    # Keyboard only at the Bishkek desk: type, Enter, the answer's heading takes the focus.
    page.get_by_label("ПИН избирателя").focus()
    page.keyboard.type(REMOTE[0])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Номер ID-карты или паспорта")).to_be_focused()
    page.keyboard.type(REMOTE[1].lower())
    page.keyboard.press("Enter")
    card = _card(page, REMOTE)
    expect(card.get_by_role("heading", name=f"{REMOTE[2]} {REMOTE[3]}")).to_be_focused()
    expect(card.locator("#ident-answer")).to_contain_text(f"Выдайте бюллетень округа №{voters['third_district']}")
    expect(card.locator("#ident-home-precinct")).to_contain_text(voters["third_precinct"])
    expect(card.get_by_role("img", name=re.compile("Место для фото избирателя"))).to_be_visible()
    check_a11y(page)

    # The Osh desk finds the same voter with the same answer, at the same time.
    _find(osh, REMOTE)
    expect(_card(osh, REMOTE).locator("#ident-answer")).to_contain_text(f"Выдайте бюллетень округа №{voters['third_district']}")

    # Bishkek issues first (keyboard: Tab to the action, Enter); the search field is empty and focused again.
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Выдать бюллетень")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Выдан бюллетень округа")).to_contain_text(f"{REMOTE[2]} {REMOTE[3]}")
    expect(page.get_by_label("ПИН избирателя")).to_be_focused()
    expect(page.get_by_label("ПИН избирателя")).to_have_value("")
    check_a11y(page)

    # Osh presses issue on the answer it still shows: the server says the voter has already voted, where and when.
    _card(osh, REMOTE).get_by_role("button", name="Выдать бюллетень").click()
    refusal = _card(osh, REMOTE).locator("#ident-answer")
    expect(refusal).to_contain_text(re.compile(r"уже проголосовал — участок УИК №2001, \d\d\.\d\d\.\d{4} в \d\d:\d\d"))
    expect(osh.get_by_role("button", name="Выдать бюллетень")).to_have_count(0)
    check_a11y(osh)
    assert _ballots(server_env, REMOTE[0]) == [("УИК №2001", "remote", False)]
    other_context.close()


def test_a_voter_of_this_district_at_another_precinct_is_sent_home(page: Page, base_url: str, voters):
    _open_desk(page, base_url, DESK_BISHKEK)
    _find(page, NEIGHBOUR)
    answer = _card(page, NEIGHBOUR).locator("#ident-answer")
    expect(answer).to_contain_text("голосует только на своём участке: УИК №1001")
    expect(page.get_by_role("button", name="Выдать бюллетень")).to_have_count(0)
    check_a11y(page)
    page.get_by_role("button", name="Следующий избиратель").click()
    expect(page.get_by_label("ПИН избирателя")).to_be_focused()


def test_the_link_drops_home_voters_from_the_device_list_remote_voters_provisional_then_synced(
        page: Page, base_url: str, console, server_env, voters):
    _open_desk(page, base_url, DESK_HOME)
    expect(page.locator("#ident-policy")).to_contain_text("избиратели других участков вносятся во временный список")
    expect(page.locator("#ident-abroad")).to_contain_text("За рубежом: избиратель получает бюллетень своего округа")

    page.context.set_offline(True)
    expect(page.locator("#ident-connection")).to_contain_text("Нет связи. Избирателей этого участка проверяем по списку на устройстве.")
    # A voter of this precinct: checked against the list on the device, issued, queued.
    _find(page, AT_HOME)
    card = _card(page, AT_HOME)
    expect(card.locator("#ident-answer")).to_have_text(re.compile(r"Избиратель есть в списке этого участка. Выдайте бюллетень округа №\d+\."))
    check_a11y(page)
    card.get_by_role("button", name="Выдать бюллетень").click()
    expect(page.locator("#ident-result")).to_contain_text("Без связи выдан бюллетень округа")
    expect(page.locator("#ident-queue")).to_have_text("Отметок без связи ждут отправки: 1")
    # The same voter again, still offline: this device knows.
    _find(page, AT_HOME)
    expect(_card(page, AT_HOME).locator("#ident-answer")).to_contain_text("на этом устройстве избирателю уже выдан бюллетень")

    # A voter of another district: the election's policy is "provisional".
    _find(page, PROVISIONAL)
    answer = page.locator("#ident-answer")
    expect(answer).to_contain_text("бюллетень можно выдать условно")
    page.get_by_label("Округ избирателя (со слов избирателя)").select_option(str(voters["third_district"]))
    check_a11y(page)
    page.get_by_role("button", name="Выдать бюллетень условно").click()
    expect(page.locator("#ident-result")).to_contain_text(f"Условно выдан бюллетень округа №{voters['third_district']}")
    expect(page.locator("#ident-queue")).to_have_text("Отметок без связи ждут отправки: 2")
    # Another voter of that district, but the member picks this precinct's district: the device cannot know.
    _find(page, WRONG)
    page.get_by_label("Округ избирателя (со слов избирателя)").select_option(str(voters["home_district"]))
    page.get_by_role("button", name="Выдать бюллетень условно").click()
    expect(page.locator("#ident-result")).to_contain_text(f"Условно выдан бюллетень округа №{voters['home_district']}")
    expect(page.locator("#ident-queue")).to_have_text("Отметок без связи ждут отправки: 3")
    assert _ballots(server_env, AT_HOME[0]) == []
    # What waits on the device holds no PIN, document or name in clear (the queue is sealed, the rest ciphertext).
    stored = page.evaluate("() => JSON.stringify(Object.entries(window.localStorage))")
    assert "sealed" in stored
    for secret in (*AT_HOME, *PROVISIONAL, *WRONG):
        assert secret not in stored

    page.context.set_offline(False)
    expect(page.locator("#ident-connection")).to_contain_text("Связь есть", timeout=20_000)
    expect(page.locator("#ident-queue")).to_have_text("Отметок без связи ждут отправки: 0", timeout=30_000)
    assert _ballots(server_env, AT_HOME[0]) == [("УИК №1001", "home", False)]
    assert _ballots(server_env, PROVISIONAL[0]) == [("УИК №1001", "remote", True)]
    # The server counts the register's district, holds the voter to one ballot, and tells the member.
    assert _ballots(server_env, WRONG[0]) == [("УИК №1001", "remote", True)]
    incidents = page.get_by_role("region", name="Инциденты после восстановления связи")
    expect(incidents).to_contain_text(f"выдан бюллетень округа №{voters['home_district']}, а по реестру избиратель "
                                      f"относится к округу №{voters['third_district']}")
    check_a11y(page)
    console.errors[:] = [e for e in console.errors if not _CONNECTION_NOISE.search(e)]
