"""QR login across two devices: the desktop shows a code, the phone where the voter is logged in reads
it with its camera in the cabinet (Chromium's fake camera showing a screenshot of the desktop's code)
and approves; a link opened from a message approves nothing."""

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from remote_vote_app.demo.seed import DEMO_VOTERS
from remote_vote_app.settings import settings
from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, log_in
from tests.support import qr

ROOT = Path(__file__).resolve().parents[2]
PHONE_UA = "Mozilla/5.0 (Linux; Android 14) Mobile"


@pytest.fixture
def devices(browser, camera, console):
    """A desktop, and a phone (its own browser, with the fake camera) logged in to the cabinet;
    console errors fail the test."""
    camera_browser, video = camera
    desktop_ctx = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    phone_ctx = camera_browser.new_context(viewport=PHONE, user_agent=PHONE_UA, locale="ru-RU")
    phone_ctx.grant_permissions(["camera"])
    desktop, phone = console.watch(desktop_ctx.new_page()), console.watch(phone_ctx.new_page())
    yield desktop, phone, video
    desktop_ctx.close()
    phone_ctx.close()
    assert console.errors == []


def _phone_logs_in(phone, base_url) -> None:
    pin, doc, *_ = DEMO_VOTERS[5]
    log_in(phone, base_url, pin, doc)


def _show_code(desktop, base_url) -> bytes:
    """The desktop asks for a code; returns a screenshot of it, as a camera would see the screen."""
    desktop.goto(f"{base_url}/login")
    desktop.get_by_role("button", name="Показать QR-код").click()
    image = desktop.get_by_role("img", name="QR-код для входа с телефона")
    expect(image).to_be_visible()
    expect(desktop.locator("#qr-status")).to_have_text("Ждём подтверждения с телефона…")
    return image.screenshot()


def _scan(phone, base_url, video, picture: bytes) -> None:
    """In the cabinet: "Вход на другом устройстве", then the camera held up to the desktop's screen."""
    if not re.search(r"/qr/?$", phone.url):
        phone.goto(f"{base_url}/cabinet")
        entry = phone.get_by_role("region", name="Вход на другом устройстве")
        entry.get_by_role("link", name="Сканировать QR-код для входа").click()
        expect(phone).to_have_url(re.compile(r"/qr/?$"))
    qr.picture_video(video, picture)
    phone.get_by_role("button", name="Сканировать код камерой").click()


def _read_code(picture: bytes) -> str:
    """The text of a QR code screenshot, read with the page's own decoder (jsQR) under node."""
    image = Image.open(io.BytesIO(picture)).convert("RGBA")
    script = ("const jsQR = require(process.argv[1]); const [w, h] = [+process.argv[2], +process.argv[3]];"
              "const data = new Uint8ClampedArray(require('fs').readFileSync(0));"
              "process.stdout.write(JSON.stringify(jsQR(data, w, h).data));")
    decoder = ROOT / settings.web_workdir / "node_modules" / "jsqr"  # the build dir of this run (REFLEX_WEB_WORKDIR)
    done = subprocess.run(["node", "-e", script, str(decoder), str(image.width), str(image.height)],
                          input=image.tobytes(), capture_output=True, check=True)
    return json.loads(done.stdout)


def test_phone_camera_reads_the_desktop_code_and_the_desktop_is_logged_in(devices, base_url):
    desktop, phone, video = devices
    _phone_logs_in(phone, base_url)
    picture = _show_code(desktop, base_url)
    check_a11y(desktop)
    expect(desktop.locator("a[href*='/qr']")).to_have_count(0)  # no link to forward

    _scan(phone, base_url, video, picture)
    check_a11y(phone)
    # What the phone approves, said plainly: where the request came from and when.
    request = phone.get_by_role("region", name="Разрешить другому устройству войти в ваш кабинет избирателя от вашего имени?")
    expect(request).to_be_visible(timeout=20_000)
    expect(phone.locator("#qr-client")).to_have_text("127.0.0.1")
    expect(phone.locator("#qr-network")).to_have_text("Та же сеть, что у этого телефона")
    expect(phone.locator("#qr-time")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
    expect(phone.get_by_text("Браузер (сообщает о себе сам, может быть подделан)")).to_be_visible()
    expect(phone.locator("#qr-browser")).to_have_text("Chrome on Linux")
    expect(desktop.locator("#qr-status")).to_have_text(re.compile("Телефон прочитал код"))
    check_a11y(phone)

    # Approved with the keyboard.
    phone.get_by_role("button", name="Разрешить вход").focus()
    phone.keyboard.press("Enter")
    expect(phone.locator("#qr-outcome")).to_contain_text("Вход на другом устройстве разрешён")
    expect(desktop).to_have_url(re.compile(r"/cabinet/?$"), timeout=5_000)  # polled every second
    expect(desktop.get_by_role("heading", name="Кабинет избирателя", level=1)).to_be_visible()
    check_a11y(phone)


def test_a_link_from_a_message_approves_nothing(devices, base_url):
    """The attacker's desktop shows a code; its text (a link) reaches the victim in a message. Opened
    on the victim's phone, logged in or not, it only says what to do; the desktop stays out."""
    desktop, phone, _video = devices
    link = _read_code(_show_code(desktop, base_url))
    assert re.fullmatch(rf"{re.escape(base_url)}/qr#[\w-]{{20,}}\.[\w-]{{16}}", link)

    phone.goto(link)  # not logged in on the phone
    expect(phone.locator("#qr-anon-text")).to_contain_text("Открытие ссылки ничего не подтверждает")
    expect(phone.locator("#qr-no-camera")).to_contain_text("Нет камеры?")
    expect(phone.get_by_role("button", name="Разрешить вход")).to_have_count(0)
    check_a11y(phone)
    phone.get_by_role("link", name="Войти на этом телефоне").click()
    pin, doc, *_ = DEMO_VOTERS[5]
    log_in(phone, base_url, pin, doc, expect_url=r"/qr/?$")  # back to the scanner, not to an approval
    phone.goto(link)  # logged in now
    expect(phone.get_by_role("button", name="Сканировать код камерой")).to_be_visible()
    expect(phone.get_by_role("button", name="Разрешить вход")).to_have_count(0)
    desktop.wait_for_timeout(1_500)  # a poll or two
    expect(desktop).to_have_url(re.compile(r"/login/?$"))
    expect(desktop.locator("#qr-status")).to_have_text("Ждём подтверждения с телефона…")


def test_refusal_is_shown_on_both_devices(devices, base_url):
    desktop, phone, video = devices
    _phone_logs_in(phone, base_url)
    _scan(phone, base_url, video, _show_code(desktop, base_url))
    phone.get_by_role("button", name="Отклонить").click(timeout=20_000)
    expect(phone.locator("#qr-outcome")).to_contain_text("Вход отклонён")
    expect(desktop.get_by_role("alert")).to_contain_text("Вход по QR-коду отклонён на телефоне")
    expect(desktop).to_have_url(re.compile(r"/login/?$"))


def test_expired_code_says_so_on_both_devices(devices, base_url):
    desktop, phone, video = devices
    _phone_logs_in(phone, base_url)
    picture = _show_code(desktop, base_url)
    # The e2e server gives links 20 seconds (QR_TTL_SECONDS); the desktop notices by itself.
    expect(desktop.get_by_role("alert")).to_contain_text("Ссылка для входа устарела", timeout=30_000)
    _scan(phone, base_url, video, picture)
    expect(phone.get_by_role("alert")).to_contain_text("Ссылка для входа устарела или уже использована", timeout=20_000)
    expect(phone.get_by_role("button", name="Разрешить вход")).to_have_count(0)
