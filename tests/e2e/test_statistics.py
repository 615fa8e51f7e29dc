"""Issue 12 in the browser, phone and desktop: public statistics and their open data, and a nearly
full and a full precinct in the picker."""

import csv
import io
import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import check_a11y, log_in
from tests.e2e.fixtures import CAPACITY_VOTER


def test_public_statistics_page_in_every_language_and_open_data(page: Page, base_url: str):
    page.goto(base_url)
    page.locator("#landing-statistics").click()
    expect(page).to_have_url(re.compile(r"/statistics/?$"))
    expect(page.get_by_role("heading", level=1, name="Статистика заявлений на дистанционное голосование")).to_be_visible()
    expect(page.locator("#pub-total")).to_have_text(re.compile(r"^(\d+|<5|\d+–\d+)$"))
    expect(page.locator("#stats-status")).to_contain_text("Предварительные данные")
    by_precinct = page.get_by_role("table", name="Заявления по участкам")
    expect(by_precinct.get_by_role("row")).to_have_count(11)  # the header and the ten remote precincts
    # The commission-filled fixture has 9 applications at ДГ-06: exact, not hidden.
    expect(by_precinct.get_by_role("row").filter(has_text="ДГ-06").first).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Кыргызча").click()
    expect(page.get_by_role("heading", level=1, name="Алыстан добуш берүүгө арыздардын статистикасы")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1, name="Statistics of applications for remote voting")).to_be_visible()
    page.get_by_role("button", name="Русский").click()

    # The same figures as open data: CSV with the header first, JSON with its version, CORS *.
    href = page.locator("#stats-csv").get_attribute("href")
    response = page.request.get(base_url + href, headers={"Origin": "https://observer.example"})
    assert response.ok and response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "public, max-age=300"
    rows = list(csv.reader(io.StringIO(response.text())))
    assert rows[0] == ["schema_version", "election_day", "status", "date", "precinct", "online", "in_person", "total"]
    assert all(re.fullmatch(r"\d+|<5|\d+–\d+", cell) for row in rows[1:] for cell in row[5:])
    data = page.request.get(base_url + "/api/statistics.json").json()
    assert data["schema_version"] == 1 and data["status"] == "preliminary"
    assert "example.kg" not in str(data) and "+996" not in str(data)
    # The footer links the page from everywhere.
    page.goto(f"{base_url}/precincts")
    page.locator("#footer-statistics").click()
    expect(page).to_have_url(re.compile(r"/statistics/?$"))


def test_picker_shows_an_almost_full_and_a_full_precinct(page: Page, base_url: str):
    pin, doc, *_ = CAPACITY_VOTER
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    # The badge is part of each radio button's label.
    full = page.get_by_label(re.compile(r"^ДГ-10 — .*Мест нет"))
    almost = page.get_by_label(re.compile(r"^ДГ-06 — .*Почти заполнен"))
    expect(full).to_be_disabled()
    expect(almost).to_be_enabled()
    # The map (behind "Показать на карте" on /apply) says it too, in the marker's name.
    page.get_by_role("button", name="Показать на карте").click()
    markers = page.get_by_role("region", name="Карта участков дистанционного голосования")
    expect(markers.get_by_role("button", name=re.compile(r"^ДГ-10 .*\(Мест нет\)"))).to_have_count(1)
    expect(markers.get_by_role("button", name=re.compile(r"^ДГ-06 .*\(Почти заполнен\)"))).to_have_count(1)
    check_a11y(page)
    almost.check()
    expect(almost).to_be_checked()
