"""FaceID (PIN + photo) and the national eID (OpenID Connect) logins, in the browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, check_a11y
from tests.e2e.fixtures import FACE_VOTER
from tests.support import faces


@pytest.fixture
def viewport():
    return DESKTOP


def _face_login(page: Page, base_url: str, photo, tmp_path) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_role("link", name="FaceID (фото и ПИН)").click()
    expect(page.get_by_role("heading", name="Вход по FaceID")).to_be_visible()
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(FACE_VOTER)
    page.get_by_role("button", name="Далее").click()
    expect(page.get_by_role("button", name="Включить камеру")).to_be_visible()
    check_a11y(page)
    page.get_by_label("Или выберите файл с фото (JPEG, PNG)").set_input_files(faces.write(tmp_path, "face.png", photo))


def test_face_match_logs_in(page: Page, base_url: str, tmp_path):
    _face_login(page, base_url, faces.astronaut_mirrored(), tmp_path)
    expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=20_000)


def test_face_mismatch_is_refused_and_says_why(page: Page, base_url: str, tmp_path):
    _face_login(page, base_url, faces.grace_hopper(), tmp_path)
    expect(page.get_by_role("alert")).to_contain_text("Лицо не совпало с образцом избирателя", timeout=20_000)
    expect(page).to_have_url(re.compile(r"/login/face/?$"))
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))  # still logged out


def _provider_login(page: Page, account: str = "voter") -> None:
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()


def test_eid_happy_path(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    # The provider's own pages (not ours): its development login and consent forms.
    _provider_login(page)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=20_000)
    expect(page.locator("#voter-name")).to_contain_text("Асанова Айгуль")


def test_eid_cancel_and_replay_leave_the_voter_logged_out(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    _provider_login(page)
    captured = []
    page.on("request", lambda r: captured.append(r.url) if "/login/eid" in r.url and "code=" in r.url else None)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=20_000)
    callback_url = captured[0]
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    # Replaying the provider's redirect (same state and code) does not log anyone in.
    page.goto(callback_url)
    expect(page.get_by_role("alert")).to_be_visible()
    check_a11y(page)
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    check_a11y(page)


def test_eid_cancelled_at_the_provider_says_so(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    page.locator("a[href$='/abort']").click()  # the provider's own "cancel" link
    expect(page).to_have_url(re.compile(r"/login/eid"))
    expect(page.get_by_role("alert")).to_contain_text("отклон", ignore_case=True)
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_eid_unknown_to_the_register_is_refused(page: Page, base_url: str):
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Электронная подпись / eID").click()
    _provider_login(page, account="nopin")  # the provider vouches for someone without a PIN claim
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/eid"))
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto(f"{base_url}/cabinet")
    expect(page).to_have_url(re.compile(r"/login/?$"))
