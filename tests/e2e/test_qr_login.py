"""QR login across two devices: a desktop shows the code, a phone where the voter logs in confirms it."""

import re

import pytest
from playwright.sync_api import expect

from remote_vote_app.services.seed import DEMO_VOTERS
from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, log_in


def _show_qr(desktop, base_url) -> tuple[str, str]:
    """The link and the number the desktop shows next to the code."""
    desktop.goto(f"{base_url}/login")
    desktop.get_by_role("button", name="Показать QR-код").click()
    expect(desktop.get_by_role("img", name="QR-код для входа с телефона")).to_be_visible()
    expect(desktop.locator("#qr-number")).to_have_text(re.compile(r"^\d{2}$"))
    return desktop.locator("#qr-link").get_attribute("href"), desktop.locator("#qr-number").inner_text()


def _offered(phone) -> list[str]:
    """The numbers the phone offers, by their labels."""
    radios = phone.get_by_role("group", name=re.compile("Какое число")).get_by_role("radio")
    expect(radios).to_have_count(3)
    values = [r.get_attribute("value") for r in radios.all()]
    for value in values:  # each one labelled with its number
        expect(phone.get_by_role("radio", name=value, exact=True)).to_have_count(1)
    return values


def _open_on_phone(phone, base_url, link) -> None:
    """The phone opens the link, is sent to log in there first, and comes back to confirm."""
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/login/?$"))
    expect(phone.get_by_role("status")).to_contain_text("войдите на этом телефоне")
    pin, doc, *_ = DEMO_VOTERS[5]
    log_in(phone, base_url, pin, doc, expect_url=r"/qr/?$")


@pytest.fixture
def devices(browser, console):
    """A desktop and a phone, each in its own browser context; console errors fail the test."""
    desktop_ctx = browser.new_context(viewport=DESKTOP)
    phone_ctx = browser.new_context(viewport=PHONE, user_agent="Mozilla/5.0 (Linux; Android 14) Mobile")
    yield console.watch(desktop_ctx.new_page()), console.watch(phone_ctx.new_page())
    desktop_ctx.close()
    phone_ctx.close()
    assert console.errors == []


def test_phone_confirms_and_desktop_is_logged_in(devices, base_url):
    desktop, phone = devices
    link, number = _show_qr(desktop, base_url)
    check_a11y(desktop)
    assert re.match(rf"^{re.escape(base_url)}/qr\?t=[\w-]{{20,}}$", link)

    _open_on_phone(phone, base_url, link)
    # Where the request came from, not what the requester says about itself.
    expect(phone.locator("#qr-client")).to_have_text("127.0.0.1")
    expect(phone.locator("#qr-network")).to_have_text("Та же сеть, что у этого телефона")
    expect(phone.get_by_text("Браузер (сообщает о себе сам, может быть подделан)")).to_be_visible()
    expect(phone.locator("#qr-browser")).to_have_text("Chrome on Linux")
    offered = _offered(phone)
    assert number in offered and len(set(offered)) == 3
    check_a11y(phone)
    # Allowing without picking the number is not possible.
    phone.get_by_role("button", name="Разрешить вход").click()
    expect(phone.get_by_role("alert")).to_contain_text("Выберите число, которое показано на другом экране")
    check_a11y(phone)
    phone.get_by_role("radio", name=number, exact=True).check()
    phone.get_by_role("button", name="Разрешить вход").click()
    expect(phone.locator("#qr-outcome")).to_contain_text("Вход на другом устройстве разрешён")

    expect(desktop).to_have_url(re.compile(r"/cabinet/?$"), timeout=3_000)  # polled every second
    expect(desktop.get_by_role("heading", name="Кабинет избирателя", level=1)).to_be_visible()

    # The link is spent: opening it again says so.
    phone.goto(link)
    expect(phone.get_by_role("alert")).to_contain_text("Ссылка для входа устарела или уже использована")


def test_phished_confirmation_with_the_wrong_number_is_refused_on_both_devices(devices, base_url):
    """The voter scanned a code someone sent them: they cannot see its number, guess, and the link dies."""
    desktop, phone = devices
    link, number = _show_qr(desktop, base_url)
    _open_on_phone(phone, base_url, link)
    wrong = next(n for n in _offered(phone) if n != number)
    phone.get_by_role("radio", name=wrong, exact=True).check()
    phone.get_by_role("button", name="Разрешить вход").click()
    expect(phone.get_by_role("alert")).to_contain_text("Число не совпало, поэтому вход отклонён")
    check_a11y(phone)
    expect(desktop.get_by_role("alert")).to_contain_text("Вход по QR-коду отклонён на телефоне")
    expect(desktop).to_have_url(re.compile(r"/login/?$"))
    # The right number afterwards does not help: the link is spent.
    phone.goto(link)
    expect(phone.get_by_role("alert")).to_contain_text("Вход по QR-коду отклонён на телефоне")
    expect(phone.get_by_role("button", name="Разрешить вход")).to_have_count(0)


def test_refusal_is_shown_on_both_devices(devices, base_url):
    desktop, phone = devices
    link, _number = _show_qr(desktop, base_url)
    _open_on_phone(phone, base_url, link)
    phone.get_by_role("button", name="Отклонить").click()
    expect(phone.locator("#qr-outcome")).to_contain_text("Вход отклонён")
    expect(desktop.get_by_role("alert")).to_contain_text("Вход по QR-коду отклонён на телефоне")
    expect(desktop).to_have_url(re.compile(r"/login/?$"))


def test_expired_link_says_so_on_both_devices(devices, base_url):
    desktop, phone = devices
    link, _number = _show_qr(desktop, base_url)
    # The e2e server gives links 20 seconds (QR_TTL_SECONDS); the desktop notices by itself.
    expect(desktop.get_by_role("alert")).to_contain_text("Ссылка для входа устарела", timeout=30_000)
    _open_on_phone(phone, base_url, link)
    expect(phone.get_by_role("alert")).to_contain_text("Ссылка для входа устарела или уже использована")
    expect(phone.get_by_role("button", name="Разрешить вход")).to_have_count(0)
