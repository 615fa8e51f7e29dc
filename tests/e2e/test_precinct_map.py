"""The precinct map and its list: markers, popups, nearest, keyboard, open data, and no outside requests."""

import csv
import io
import re
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Page, expect

from remote_vote_app.demo.seed import DEMO_VOTERS
from tests.e2e.conftest import DESKTOP, check_a11y, keyboard_log_in, log_in

OSH = {"latitude": 40.5300, "longitude": 72.8000}


def _map(page: Page):
    return page.get_by_role("region", name="Карта участков дистанционного голосования")


def _markers(page: Page):
    return _map(page).get_by_role("button", name=re.compile(r"^ДГ-\d\d"))


def _marker_count(page: Page) -> int:
    """Markers shown plus the markers inside clusters (a cluster's icon shows its count)."""
    return page.evaluate("""() => {
        const map = document.getElementById('precinct-map');
        let n = map.querySelectorAll('.precinct-marker').length;
        map.querySelectorAll('.precinct-cluster span[aria-hidden]').forEach((s) => { n += parseInt(s.textContent, 10); });
        return n; }""")


def _expect_markers(page: Page, count: int) -> None:
    page.wait_for_function("""(count) => {
        const map = document.getElementById('precinct-map');
        if (!map) return false;
        let n = map.querySelectorAll('.precinct-marker').length;
        map.querySelectorAll('.precinct-cluster span[aria-hidden]').forEach((s) => { n += parseInt(s.textContent, 10); });
        return n === count; }""", arg=count, timeout=15_000)


def test_markers_match_active_precincts_and_nothing_leaves_localhost(page: Page, base_url: str, viewport):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    page.goto(f"{base_url}/precincts")
    geo = httpx.get(f"{base_url}/api/precincts.geojson").json()
    _expect_markers(page, len(geo["features"]))
    expect(page.get_by_role("list").filter(has_text="ДГ-01").get_by_role("listitem")).to_have_count(10)
    check_a11y(page)
    page.get_by_label("Город или область").select_option("Ош")
    _expect_markers(page, 1)
    expect(page.locator("#count")).to_have_text("Показано участков: 1")
    assert hosts == {"localhost"}, hosts


def test_nearest_with_geolocation_granted_at_osh(browser, base_url: str, console):
    context = browser.new_context(viewport=DESKTOP, geolocation=OSH, permissions=["geolocation"])
    page = console.watch(context.new_page())
    page.goto(f"{base_url}/precincts")
    _expect_markers(page, 10)
    page.get_by_role("button", name="Найти ближайший ко мне").click()
    expect(page.locator("#origin")).to_have_text("Расстояние от вашего местоположения")
    first = page.locator("#precinct-list").get_by_role("listitem").first
    expect(first).to_contain_text("ДГ-05 — Средняя школа им. А. Навои")
    expect(first).to_contain_text("км по прямой")
    context.close()
    assert console.errors == []


def test_nearest_with_geolocation_denied_says_so_and_town_works(page: Page, base_url: str, viewport):
    page.context.clear_permissions()
    page.goto(f"{base_url}/precincts")
    _expect_markers(page, 10)
    page.get_by_role("button", name="Найти ближайший ко мне").click()
    expect(page.get_by_role("alert")).to_have_text("Доступ к геолокации не разрешён. Выберите город ниже.")
    page.get_by_label("Или посчитать расстояние от города").select_option(label="Каракол")
    page.get_by_role("button", name="Показать расстояние").click()
    expect(page.locator("#origin")).to_have_text("Расстояние от города Каракол")
    expect(page.locator("#precinct-list").get_by_role("listitem").first).to_contain_text("ДГ-08")


def test_marker_popup_selects_the_precinct_in_the_form(page: Page, base_url: str, viewport):
    pin, doc, *_ = DEMO_VOTERS[6]
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    toggle = page.get_by_role("button", name="Показать на карте")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(_map(page)).to_have_count(0)  # not in the Tab order until asked for
    toggle.click()
    expect(page.get_by_role("button", name="Скрыть карту")).to_have_attribute("aria-expanded", "true")
    _expect_markers(page, 10)
    check_a11y(page)
    # Naryn's marker stands alone (Bishkek's four overlap at this zoom and are clustered, named so).
    expect(_map(page).get_by_role("button", name="4 участка")).to_be_visible()
    naryn = _map(page).get_by_role("button", name=re.compile("^ДГ-09"))
    naryn.click()
    choose = page.get_by_role("button", name="Выбрать этот участок")
    expect(choose).to_be_visible()
    expect(choose).to_be_focused()  # the opened popup takes focus
    page.keyboard.press("Escape")  # closes it, back on its marker
    expect(choose).to_have_count(0)
    expect(naryn).to_be_focused()
    naryn.press("Enter")
    expect(choose).to_be_focused()
    # By keyboard: a pointer click can land while Leaflet is still panning the popup into view.
    choose.press("Enter")
    expect(_map(page).get_by_role("button", name=re.compile(r"^ДГ-09 .*\(выбран\)$"))).to_be_visible()
    naryn_radio = page.get_by_label("ДГ-09 — Аппарат полномочного представителя Президента КР в Нарынской области")
    expect(naryn_radio).to_be_checked()
    expect(naryn_radio).to_be_focused()  # the answer, not <body>
    # And the other way round: the list sets the same answer and the map follows.
    page.get_by_label("ДГ-02 — Здание районной администрации").check()
    expect(_map(page).get_by_role("button", name=re.compile(r"^ДГ-02 .*\(выбран\)$"))).to_be_visible()
    expect(page.get_by_label("ДГ-09 — Аппарат полномочного представителя Президента КР в Нарынской области")).not_to_be_checked()


def test_keyboard_only_choice_from_the_list(page: Page, base_url: str, viewport):
    pin, doc, *_ = DEMO_VOTERS[7]
    page.goto(f"{base_url}/precincts")
    _expect_markers(page, 10)
    target = page.get_by_role("button", name="Подать заявление на этот участок ДГ-03")
    for _ in range(200):  # Tab until the list's button for ДГ-03 has focus
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    expect(target).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    keyboard_log_in(page, base_url, pin, doc)
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    expect(page.get_by_label("ДГ-03 — Республиканская библиотека для детей и юношества им. К. Баялинова")).to_be_checked()


def test_open_data_endpoints(base_url: str):
    response = httpx.get(f"{base_url}/api/precincts.geojson", headers={"Origin": "https://data.example.org"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["access-control-allow-origin"] == "*" and "max-age" in response.headers["cache-control"]
    data = response.json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 10
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert 39 < lat < 44 and 69 < lon < 81 and feature["properties"]["location_precision"] in {"exact", "approximate"}
    table = httpx.get(f"{base_url}/api/precincts.csv")
    assert table.headers["content-type"].startswith("text/csv") and table.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert len(rows) == 10 and {r["number"] for r in rows} == {f["properties"]["number"] for f in data["features"]}


def test_landing_does_not_download_leaflet(page: Page, base_url: str, viewport):
    scripts = []
    page.on("response", lambda r: scripts.append(r) if r.request.resource_type in ("script", "stylesheet") else None)
    page.goto(base_url)
    expect(page.get_by_text("ул. Масалиева, 37")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert scripts and not any("leaflet" in r.text().lower() and "L.Map" in r.text() for r in scripts
                               if r.request.resource_type == "script")
    assert not any("precinct_map" in r.url for r in scripts)


def test_the_maps_place_is_in_the_page_and_nothing_moves_when_leaflet_comes(page: Page, base_url: str, viewport):
    """The page as served already holds the map's box at its height (Leaflet loads once the browser
    is idle, after the list); the map takes that box exactly, so the list below does not move."""
    html = httpx.get(f"{base_url}/precincts/").text
    assert re.search(r'<div class="precinct-map"><div style="height:\s*420px', html)
    page.goto(f"{base_url}/precincts")
    box = page.locator(".map-pane > .precinct-map").bounding_box()
    expect(_map(page)).to_be_visible()
    _expect_markers(page, 10)
    assert page.locator(".map-pane > .precinct-map").bounding_box()["height"] == box["height"]


def test_public_pages_fit_a_360_px_phone(browser, base_url: str, console):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = console.watch(context.new_page())
    for path in ("/", "/precincts", "/login", "/staff/login"):
        page.goto(f"{base_url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if path == "/precincts":
            _expect_markers(page, 10)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360 px phone"
    context.close()
    assert console.errors == []
