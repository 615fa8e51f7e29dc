"""Election-day check-in at a remote precinct: the voter's signed pass, the commission's desk by typed
reference and PIN, by camera (Chromium's fake camera showing the pass's QR code), and offline."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, check_a11y, log_in, staff_log_in
from tests.e2e.fixtures import CHECKIN_VOTERS
from tests.support import qr
from tests.support.qr import assert_inline_svg

# A dropped connection makes the browser report the Reflex socket's failed reconnects; expected here.
_CONNECTION_NOISE = re.compile(r"websocket|socket|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION|Failed to load resource|net::", re.I)


@pytest.fixture
def viewport():
    return DESKTOP


def _apply_and_read_pass(browser, console, base_url: str, voter, check: bool = False) -> tuple[str, str, bytes]:
    """The voter applies for ДГ-05 in a browser of their own; the confirmation shows the pass.
    Returns the reference, the pass token and a screenshot of the QR code the browser drew."""
    pin, doc, _phone, _last, _first = voter
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = console.watch(context.new_page())
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    page.get_by_label("ДГ-05 — Средняя школа им. А. Навои").check()
    page.get_by_label("Электронная почта").fill(f"checkin{pin[-2:]}@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    page.get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    reference = page.locator("#reference").inner_text().strip()
    voter_pass = page.get_by_role("region", name="Пропуск избирателя")
    expect(voter_pass).to_be_visible()
    image = voter_pass.get_by_role("img", name=f"QR-код пропуска избирателя по заявлению {reference}")
    expect(image).to_be_visible()
    assert_inline_svg(image.get_attribute("src"))
    # Scrolled in and painted first: Chromium 150 captured only the part that had been in the viewport.
    image.scroll_into_view_if_needed()
    image.evaluate("img => img.decode().then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))")
    picture = image.screenshot()
    expect(voter_pass.locator(".pass-reference")).to_have_text(reference)
    expect(voter_pass.get_by_role("link", name="Сохранить пропуск (картинка)")).to_have_attribute(
        "download", f"voter-pass-{reference}.svg")
    token = voter_pass.get_attribute("data-pass")
    assert token.count(".") == 2
    if check:
        check_a11y(page)
        # Printed: the pass without the page's buttons.
        page.emulate_media(media="print")
        expect(voter_pass.get_by_role("button", name="Распечатать пропуск")).to_be_hidden()
        expect(image).to_be_visible()
        page.emulate_media(media="screen")
        # The cabinet shows the same pass.
        page.get_by_role("link", name="Перейти в кабинет").click()
        card = page.get_by_role("article", name=reference)
        expect(card.get_by_role("img", name=f"QR-код пропуска избирателя по заявлению {reference}")).to_be_visible()
    context.close()
    return reference, token, picture


def _open_desk(page: Page, base_url: str) -> None:
    staff_log_in(page, base_url, "uik.dg05")
    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("link", name="Регистрация избирателей").click()
    expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))
    expect(page.get_by_role("heading", name="Регистрация избирателей в день выборов")).to_be_visible()
    expect(page.locator("#roster-status")).to_contain_text("Список ДГ-05")
    expect(page.locator("#connection-state")).to_have_text("Связь есть")


def test_check_in_by_typed_reference_and_a_second_check_in_is_refused(page: Page, base_url: str, browser, console):
    voter = CHECKIN_VOTERS[0]
    reference, _token, _picture = _apply_and_read_pass(browser, console, base_url, voter, check=True)
    _open_desk(page, base_url)
    check_a11y(page)

    query = page.get_by_label("Номер заявления или ПИН")
    query.fill(reference.replace("-", "").lower())
    page.get_by_role("button", name="Найти").click()
    card = page.get_by_role("region", name=f"{voter[3]} {voter[4]}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Найден в списке (без пропуска)")
    expect(card).to_contain_text(voter[1])  # the document number, to compare with the ID card
    expect(card).to_contain_text(voter[0][:1] + "*" * 9 + voter[0][-4:])  # the PIN masked
    check_a11y(page)
    card.get_by_role("button", name="Бюллетень выдан").click()
    expect(page.locator("#checkin-result")).to_contain_text(f"{reference}: выдача бюллетеня зарегистрирована")
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0")

    # The same voter again, by PIN this time: refused, and the dashboard counts the attempt.
    query.fill(voter[0])
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#checkin-refused")).to_contain_text("бюллетень уже выдан на участке ДГ-05")
    expect(page.get_by_role("button", name="Бюллетень выдан")).to_have_count(0)
    check_a11y(page)
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0")  # the attempt went too

    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("link", name="Статистика").click()
    row = page.locator("#per-precinct tbody tr").filter(has_text="ДГ-05")
    expect(row.locator("td").nth(2)).not_to_have_text("0")
    expect(page.locator("#flag-repeat")).not_to_have_text("0")


@pytest.fixture
def camera(browser_type, browser_type_launch_args, tmp_path):
    """Chromium whose fake camera shows `video` (written by the test before the camera starts)."""
    video = qr.blank_video(tmp_path / "camera.y4m")
    args = [*browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser, video
    browser.close()


def test_check_in_by_camera_while_offline_and_the_mark_arrives_later(camera, browser, console, base_url: str,
                                                                     browser_context_args, server_env):
    voter = CHECKIN_VOTERS[1]
    reference, token, picture = _apply_and_read_pass(browser, console, base_url, voter)
    camera_browser, video = camera
    qr.picture_video(video, picture)  # the code as the voter's browser drew it, held up to the camera
    context = camera_browser.new_context(**browser_context_args)
    context.grant_permissions(["camera"])
    page = console.watch(context.new_page())
    _open_desk(page, base_url)

    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_text("Нет связи: отметки сохраняются на этом устройстве")
    page.get_by_role("button", name="Сканировать пропуск камерой").click()
    card = page.get_by_role("region", name=f"{voter[3]} {voter[4]}")
    expect(card).to_contain_text("Подпись пропуска проверена", timeout=20_000)  # verified in the browser, offline
    expect(card).to_contain_text(reference)
    card.get_by_role("button", name="Бюллетень выдан").click()
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 1")
    expect(page.locator("#checkin-result")).to_contain_text("будет отправлена, когда вернётся связь")
    check_a11y(page)
    # The same pass again while still offline: the device knows it marked the voter.
    page.get_by_label("Номер заявления или ПИН").fill(token)
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#checkin-refused")).to_contain_text("бюллетень уже выдан")

    context.set_offline(False)
    expect(page.locator("#connection-state")).to_have_text("Связь есть", timeout=20_000)
    expect(page.locator("#checkin-queue")).to_have_text("Отметок ждут отправки: 0", timeout=30_000)
    engine = sa.create_engine(server_env["REFLEX_DB_URL"])
    with engine.connect() as conn:
        marks = conn.execute(sa.text(
            "SELECT b.offline, b.method FROM ballotissue b JOIN application a ON a.id = b.application_id "
            "WHERE a.reference = :ref"), {"ref": reference}).all()
        flags = conn.execute(sa.text("SELECT kind FROM checkinflag WHERE reference = :ref"), {"ref": reference}).all()
    engine.dispose()
    assert [(bool(offline), method) for offline, method in marks] == [(True, "qr")]
    assert [kind for (kind,) in flags] == ["repeat"]  # the refused second scan, recorded after sync
    context.close()
    console.errors[:] = [e for e in console.errors if not _CONNECTION_NOISE.search(e)]
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)
