"""GOV.UK patterns by keyboard and screen-reader semantics, on a phone and a desktop: focus after each
step, the skip link, the error summary, stable radios, a double confirm and Back after submitting,
the connection banner and the timeout warning."""

import re

import pytest
from playwright.sync_api import Page, expect

from remote_vote_app.i18n import t
from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, log_in, open_menu, staff_log_in
from tests.e2e.fixtures import UX_VOTERS

ACTIVE = "() => { const e = document.activeElement; return e ? (e.id || e.tagName) : null; }"


def _voter(viewport: dict, index: int):
    return UX_VOTERS[index + (2 if viewport == DESKTOP else 0)]


def _active(page: Page):
    return page.evaluate(ACTIVE)


# Resolves once the page has painted and React has run the effects of what it rendered.
_PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0))))"


def _event_frames(page: Page) -> list[str]:
    """What the server sends on the page's Reflex event socket (listen before the first navigation)."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
            if "/_event" in ws.url else None)
    return frames


def _server_chose(page: Page, frames: list[str], radio_id: str) -> None:
    """Wait until the server's state update choosing this precinct radio has arrived and been painted."""
    chosen = re.compile(rf'precinct_id[^"]*"\s*:\s*"?{re.escape(radio_id.removeprefix("precinct-"))}\b')
    for _ in range(300):
        if any(chosen.search(frame) for frame in frames):
            page.evaluate(_PAINTED)
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the server never chose {radio_id}")


def test_skip_link_moves_focus_to_main(page: Page, base_url: str, viewport):
    page.goto(base_url)
    expect(page.get_by_role("heading", name="Перед началом")).to_be_visible()
    expect(page.locator("#phone-wrong")).to_contain_text("территориальную избирательную комиссию")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к содержанию")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside main, not the header
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_login_errors_at_once_focus_and_title(page: Page, base_url: str, viewport):
    page.goto(f"{base_url}/login")
    title = "Вход в «Кабинет избирателя» · Дистанционное голосование"
    expect(page).to_have_title(title)  # the page's own title, in its language
    page.get_by_label("Номер ID-карты или паспорта").fill("x")
    page.get_by_role("button", name="Получить код").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Есть ошибки")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)  # both fields at once
    expect(summary).to_be_focused()
    expect(page).to_have_title("Ошибка: " + title)
    check_a11y(page)
    summary.get_by_role("link").nth(1).click()
    expect(page.get_by_label("Номер ID-карты или паспорта")).to_be_focused()
    box = page.locator("label[for=document]").bounding_box()
    # -1: the label scrolled to the very top sits a sub-pixel above 0 after rounding.
    assert box and -1 <= box["y"] < page.viewport_size["height"], "the label scrolled out of view"
    # Right details: the code step takes focus, named by its heading.
    pin, doc, *_ = _voter(viewport, 0)
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()
    heading = page.get_by_role("heading", name="Введите код из SMS", level=1)
    expect(heading).to_be_focused()
    # The SMS step has its own title (and no "Ошибка: " once the errors are gone).
    expect(page).to_have_title("Введите код из SMS · Дистанционное голосование")
    expect(page.get_by_role("button", name="Назад")).to_be_visible()
    page.get_by_role("button", name="Назад").click()
    expect(page.get_by_role("heading", name="Вход в кабинет", level=1).or_(page.locator("h1"))).to_be_focused()
    expect(page).to_have_title(title)


def test_apply_focus_radios_double_confirm_and_back(page: Page, base_url: str, viewport):
    pin, doc, *_ = _voter(viewport, 1)
    frames = _event_frames(page)
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    expect(page.locator("h1")).to_be_focused()  # the new step is announced
    expect(page.get_by_role("link", name="Назад")).to_have_attribute("href", "/cabinet")
    # One open election: stated, not asked.
    expect(page.locator("#election-only")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Выборы"))).to_have_count(0)
    check_a11y(page)
    # Radios: choosing one with the keyboard keeps focus on it across the state update.
    first = page.get_by_role("radio").first
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    second_id = page.evaluate("document.activeElement.id")
    assert second_id.startswith("precinct-")
    _server_chose(page, frames, second_id)
    assert _active(page) == second_id  # still, after the server's answer re-rendered the list
    expect(page.locator(f"#{second_id}")).to_be_checked()
    page.keyboard.press("ArrowDown")
    third_id = page.evaluate("document.activeElement.id")
    _server_chose(page, frames, third_id)
    assert _active(page) == third_id and third_id != second_id
    # The map is skipped in the Tab order: Tab from the map toggle goes straight to the radios.
    expect(page.locator("#precinct-map")).to_have_count(0)
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_label("Электронная почта").fill("ux@example.kg")
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))
    expect(page.get_by_role("heading", name="Проверьте ваши ответы", level=1)).to_be_focused()
    check_a11y(page)
    page.get_by_role("button", name="Подтвердить").dblclick()
    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    panel = page.locator("#confirmation-panel")
    expect(panel).to_be_focused()
    expect(panel.get_by_role("heading", name="Ваше заявление принято")).to_be_visible()
    expect(page.get_by_role("heading", name="Что будет дальше")).to_be_visible()
    _expect_marked(page.get_by_role("list", name="Что будет дальше"), "decimal")
    expect(page.get_by_role("button", name="Скопировать номер")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    check_a11y(page)
    # Print: the receipt without menus and buttons.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Распечатать")).to_be_hidden()
    expect(page.locator("#reference")).to_be_visible()
    page.emulate_media(media="screen")
    # Back after submitting: not the form again, but the cabinet (with "change").
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    expect(page.get_by_role("article", name=reference)).to_be_visible()
    expect(page.get_by_role("button", name="Подать заявление")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Изменить {reference}")).to_be_visible()
    # "Нет, оставить" in the withdraw question returns focus to the button that opened it.
    page.get_by_role("button", name=f"Отозвать {reference}").click()
    page.get_by_role("button", name="Нет, оставить").click()
    expect(page.get_by_role("button", name=f"Отозвать {reference}")).to_be_focused()
    # A reload of the check page after submitting shows the receipt.
    page.goto(f"{base_url}/apply/check")
    expect(page).to_have_url(re.compile(r"/(confirmation|cabinet)/?$"))


def _socket_log(page: Page) -> list[tuple[str, str]]:
    """What goes over the page's Reflex socket, in order: ("sent", event name) and ("received", frame)
    (listen before the first navigation)."""
    log: list[tuple[str, str]] = []

    def watch(ws):
        ws.on("framesent", lambda payload: log.extend(
            ("sent", name.rsplit(".", 1)[-1]) for name in re.findall(r'"name":\s*"([^"]+)"', str(payload))))
        ws.on("framereceived", lambda payload: log.append(("received", str(payload))))

    page.on("websocket", lambda ws: watch(ws) if "/_event" in ws.url else None)
    return log


def _after(log: list[tuple[str, str]], handler: str, kind: str = "sent") -> list[str]:
    """What went over the socket after the last `handler` event was sent: event names, or frames."""
    last = max(i for i, entry in enumerate(log) if entry == ("sent", handler))
    return [text for direction, text in log[last + 1:] if direction == kind]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_check_and_receipt_set_title_and_focus_in_the_browser_and_survive_a_reload(page: Page, base_url: str,
                                                                                    server_env, viewport):
    """Form → check → receipt: each step's title and focus are set in the browser, and the browser
    sends nothing for the step but Reflex's own navigation event (no on_load chain). A reload asks the
    server (session check) and shows the same step; a check page reached after confirming shows the
    receipt."""
    from benchmarks.load import Database

    # A seeded register voter no other test uses (the fixtures' voters have the last ids).
    voter = Database(server_env["REFLEX_DB_URL"]).eligible_voters(100)[50]
    socket = _socket_log(page)
    log_in(page, base_url, voter.pin, voter.document)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    page.get_by_role("radio").first.check()
    page.get_by_label("Электронная почта").fill("steps@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    check_title = f"{t('ru', 'check.title')} · {t('ru', 'site.title')}"
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))
    expect(page.get_by_role("heading", name=t("ru", "check.title"), level=1)).to_be_focused()
    expect(page).to_have_title(check_title)
    assert _after(socket, "review_answers") == ["on_load_internal"]
    assert not [frame for frame in _after(socket, "review_answers", "received") if "_call_script" in frame]
    page.reload()  # the tab keeps its state: the same answers, after the server's session check
    expect(page.get_by_text("steps@example.kg")).to_be_visible()
    expect(page).to_have_title(check_title)
    assert ("sent", "load_check") in socket
    page.get_by_role("link", name=f"{t('ru', 'check.change')} — {t('ru', 'apply.email')}").click()
    expect(page.get_by_label("Электронная почта")).to_have_value("steps@example.kg")
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    expect(page.locator("#confirmation-panel")).to_be_focused()
    receipt_title = f"{t('ru', 'confirm.title')} · {t('ru', 'site.title')}"
    expect(page).to_have_title(receipt_title)
    assert _after(socket, "confirm") == ["on_load_internal"]
    assert not [frame for frame in _after(socket, "confirm", "received") if "_call_script" in frame]
    reference = page.locator("#reference").inner_text()
    # A history entry of the check page left from before confirming (as Back can reach one): the tab
    # has no answers to check any more, so the page asks the server, which sends the receipt.
    page.evaluate("history.pushState(null, '', '/apply/check'); dispatchEvent(new PopStateEvent('popstate'))")
    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    expect(page.locator("#reference")).to_have_text(reference)
    assert _after(socket, "confirm").count("load_check") == 1
    page.reload()
    expect(page.locator("#reference")).to_have_text(reference)
    expect(page).to_have_title(receipt_title)
    check_a11y(page)


def test_connection_lost_and_back(page: Page, base_url: str, viewport, console):
    state = {"blocked": False, "routes": [], "pending": []}

    def route(ws):
        if state["blocked"]:  # closed from the test's loop below, once the page side is open
            state["pending"].append(ws)
            return
        ws.connect_to_server()
        state["routes"].append(ws)

    page.route_web_socket(lambda url: "/_event" in url, route)
    page.goto(f"{base_url}/login")
    expect(page.get_by_role("button", name="Получить код")).to_be_enabled()
    for _ in range(100):  # the socket opens once the page has hydrated
        if state["routes"]:
            break
        page.wait_for_timeout(50)
    assert state["routes"], "the event socket was not routed"
    state["blocked"] = True
    for ws in state["routes"]:
        ws.close(code=4000, reason="blocked by the test")
    lost = page.locator("#connection-lost")
    for _ in range(50):  # every reconnect attempt is refused at once, as a dead server would
        while state["pending"]:
            state["pending"].pop().close(code=4000, reason="blocked by the test")
        if lost.count():
            break
        page.wait_for_timeout(200)
    expect(lost).to_have_text(re.compile("Связь с сервером потеряна"), timeout=30_000)
    expect(page.get_by_role("button", name="Получить код")).to_be_visible()
    expect(page.get_by_role("status").filter(has=lost)).to_be_visible()
    state["blocked"] = False
    back = page.locator("#connection-back")
    for _ in range(100):  # attempts made while blocked are refused; the next one gets through
        while state["pending"]:
            state["pending"].pop().close(code=4000, reason="blocked by the test")
        if back.count():
            break
        page.wait_for_timeout(200)
    expect(back).to_have_text("Связь восстановлена.", timeout=30_000)
    expect(lost).to_have_count(0)
    # The socket's own reconnect attempts are logged by Reflex as console errors: expected here.
    console.errors[:] = [e for e in console.errors if "websocket" not in e.lower() and "socket" not in e.lower()]


def _half_open_socket(page: Page) -> dict:
    """The event socket through the test: while `cut`, frames go nowhere in either direction and
    nothing closes it, as on a real network drop (the socket looks open until its ping times out)."""
    link = {"cut": False}

    def route(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda m: None if link["cut"] else server.send(m))
        server.on_message(lambda m: None if link["cut"] else ws.send(m))

    page.route_web_socket(lambda url: "/_event" in url, route)
    return link


def test_offline_the_send_waits_in_the_browser_and_goes_when_back(page: Page, base_url: str, viewport):
    """The network drops on the form: the banner says so at once (the browser knows, the socket does
    not), «Далее» says «Отправляем…» at once and the answer is sent when the link returns; then the
    next step takes focus and the banner goes."""
    link = _half_open_socket(page)
    pin, doc, *_ = _voter(viewport, 0)
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    page.get_by_role("radio").first.check()
    page.get_by_label("Электронная почта").fill("offline@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    link["cut"] = True
    page.context.set_offline(True)
    banner = page.get_by_role("status").filter(has=page.locator("#connection-lost"))
    expect(banner).to_have_text("Нет подключения к интернету. Не закрывайте страницу: введённое останется здесь.",
                                timeout=2_000)  # at once, not after a socket timeout
    page.get_by_role("button", name="Далее").click()
    sending = page.get_by_role("button", name="Отправляем…")
    expect(sending).to_be_visible(timeout=2_000)
    expect(sending).to_be_focused()
    expect(sending).to_have_attribute("aria-busy", "true")
    expect(banner).to_have_text("Нет связи. Мы отправим ваш ответ, как только связь вернётся.")
    check_a11y(page)
    expect(sending).to_be_disabled()  # aria-disabled: it keeps focus
    page.keyboard.press("Enter")  # pressed again while it waits: still one send
    page.wait_for_timeout(1_000)  # long enough for a send that should not happen to show
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    link["cut"] = False
    page.context.set_offline(False)
    expect(page.get_by_role("status").filter(has=page.locator("#connection-back"))).to_have_text(
        "Связь восстановлена. Отправляем ваш ответ.")
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))
    expect(page.get_by_role("heading", name="Проверьте ваши ответы", level=1)).to_be_focused()
    expect(page.locator("#connection-back")).to_have_count(0, timeout=10_000)


def test_offline_banner_and_waiting_send_in_kyrgyz_and_english(page: Page, base_url: str, viewport):
    """The same banner and busy button in the other languages; an answer that is an error (empty
    fields) comes back as the error summary, which takes focus."""
    link = _half_open_socket(page)
    page.goto(f"{base_url}/login")
    for lang in ("ky", "en"):
        page.locator(f"#lang-{lang}").click()
        expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{lang}"))
        link["cut"] = True
        page.context.set_offline(True)
        lost = page.locator("#connection-lost")
        expect(lost).to_have_text(t(lang, "ux.connection_offline"), timeout=2_000)
        page.get_by_role("button", name=t(lang, "login.submit")).click()
        expect(page.get_by_role("button", name=t(lang, "ux.sending"))).to_be_focused()
        expect(lost).to_have_text(t(lang, "ux.send_waiting"))
        link["cut"] = False
        page.context.set_offline(False)
        summary = page.get_by_role("alert")
        expect(summary).to_be_focused()
        expect(page.get_by_role("button", name=t(lang, "login.submit"))).to_be_visible()
        expect(page.locator("#connection-back")).to_have_text(t(lang, "ux.connection_back_sending"))


def _expire_login_codes(server_env: dict, pin: str) -> None:
    """The voter's SMS codes run out, as five minutes on the code page would do."""
    import datetime as dt

    import sqlalchemy as sa

    from remote_vote_app.models import LoginCode, Voter

    codes = LoginCode.__table__
    with sa.create_engine(server_env["REFLEX_DB_URL"]).begin() as conn:
        voter_id = conn.execute(sa.select(Voter.__table__.c.id).where(Voter.__table__.c.pin == pin)).scalar_one()
        conn.execute(sa.update(codes).where(codes.c.voter_id == voter_id)
                     .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))


def test_resend_counts_down_and_an_expired_code_keeps_the_fields(page: Page, base_url: str, viewport, server_env):
    """«Отправить код ещё раз» within a minute is a countdown, not an error box, said politely in the
    page's language; an expired code brings the voter back to the ID step with PIN and document as typed."""
    pin, doc, *_ = _voter(viewport, 0)
    page.clock.install()
    page.goto(f"{base_url}/login")
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("heading", name="Введите код из SMS", level=1)).to_be_focused()
    resend = page.get_by_role("button", name="Отправить код ещё раз")
    wait = re.compile(r"^Отправить код повторно можно через (60|5\d) с\.$")
    expect(resend).to_have_accessible_description(wait)
    expect(page.get_by_role("status").filter(has_text="Отправить код повторно можно через")).to_have_text(wait)
    check_a11y(page)
    resend.focus()
    page.keyboard.press("Enter")  # too early: nothing is refused, the count goes on
    expect(page.get_by_text(re.compile(r"Отправить код повторно можно через (5\d|4\d) с\.")).first).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.clock.fast_forward("01:01")
    expect(page.get_by_role("status").filter(has_text="Теперь код можно отправить повторно.")).to_be_visible()
    expect(resend).not_to_have_attribute("aria-disabled", "true")
    # This browser's clock ran ahead of the server's: the server's wait is counted down, not an error.
    resend.click()
    expect(resend).to_have_accessible_description(wait)
    expect(page.get_by_role("alert")).to_have_count(0)
    for lang in ("ky", "en"):
        page.locator(f"#lang-{lang}").click()
        before = t(lang, "login.resend_wait").split("{seconds}")[0]
        expect(page.get_by_role("button", name=t(lang, "login.resend"))).to_have_accessible_description(
            re.compile("^" + re.escape(before) + r"\d+"))
    page.locator("#lang-ru").click()
    _expire_login_codes(server_env, pin)
    page.get_by_label("Код из 6 цифр").fill("123456")
    page.get_by_role("button", name="Войти", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Код истёк")
    expect(page.get_by_label("ПИН (персональный идентификационный номер)")).to_have_value(pin)
    expect(page.get_by_label("Номер ID-карты или паспорта")).to_have_value(doc)


def _expect_marked(items_of, marker: str) -> None:
    """A list whose items show their bullets or numbers (the CSS reset took them away)."""
    items = items_of.get_by_role("listitem")
    expect(items.first).to_be_visible()
    for i in range(items.count()):
        assert items.nth(i).evaluate("e => getComputedStyle(e).listStyleType") == marker


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_360px_phone_header_menu_register_card_and_bullets(page: Page, base_url: str, viewport):
    """On a 360 x 740 phone the header stays within 15 % of the screen above the h1 in every language,
    the menu opens from «Меню», the first question of the form is on the first screen (the register
    entry folded under "Details"), and the "you will need" list has its bullets."""
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(base_url)
    for lang in ("ru", "ky", "en"):
        page.locator(f"#lang-{lang}").click()
        expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{lang}"))
        header = page.get_by_role("banner").bounding_box()
        h1 = page.get_by_role("heading", level=1).bounding_box()
        assert header["height"] <= 0.15 * 740, f"{lang}: the header is {header['height']} px of 740"
        assert h1["y"] <= 0.15 * 740 + 40, f"{lang}: the h1 starts at {h1['y']} px"
        menu = page.get_by_role("button", name=t(lang, "nav.menu"))
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_role("navigation", name=t(lang, "nav.main"))).to_be_hidden()
    page.locator("#lang-ru").click()
    _expect_marked(page.locator("#before-you-start").get_by_role("list"), "disc")
    menu = page.get_by_role("button", name="Меню")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = page.get_by_role("navigation", name="Основное меню")
    expect(nav.get_by_role("link", name="Участки на карте")).to_be_visible()
    check_a11y(page)
    menu.click()
    expect(nav).to_be_hidden()
    pin, doc, *_ = _voter(viewport, 0)
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    question = page.locator("#precinct legend").first
    expect(question).to_be_visible()
    # At rest: a "connection restored" line after a socket reconnect (seen under load) stands a few
    # seconds above the form and is not part of its layout.
    expect(page.locator("#connection-lost")).to_have_count(0)
    expect(page.locator("#connection-back")).to_have_count(0, timeout=15_000)
    assert question.bounding_box()["y"] < 740, "the first question is below the first screen"
    more = page.get_by_text("Все ваши данные из реестра")
    expect(page.get_by_text("Адрес постоянной регистрации")).to_be_hidden()
    more.click()
    expect(page.get_by_text("Адрес постоянной регистрации")).to_be_visible()
    check_a11y(page)


def test_login_methods_qr_on_computers_only_and_a_demo_eid(page: Page, base_url: str, viewport):
    """The phone-approves-a-computer QR login is offered on computers only, named so that it is not
    read as the state app's QR; the electronic signature is a button, said to be a demo, in each
    language; «Показать QR-код» leaves focus on what to do next."""
    page.goto(f"{base_url}/login")
    qr = page.get_by_role("heading", name="Войти через телефон (QR-код)")
    for lang in ("ky", "en", "ru"):
        page.locator(f"#lang-{lang}").click()
        expect(page.get_by_role("button", name=t(lang, "login.eid"))).to_be_visible()
        expect(page.locator("#eid-demo")).to_have_text(t(lang, "login.eid_demo"))
        name = page.get_by_role("heading", name=t(lang, "qr.title"))
        expect(name).to_be_visible() if viewport == DESKTOP else expect(name).to_be_hidden()
    check_a11y(page)
    if viewport == PHONE:
        expect(qr).to_be_hidden()
        return
    page.get_by_role("button", name="Показать QR-код").click()
    status = page.locator("#qr-status")
    expect(status).to_be_focused()
    expect(status).to_have_text("Ждём подтверждения с телефона…")
    check_a11y(page)


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_page_titles_and_the_current_page_in_the_menus(page: Page, base_url: str, viewport):
    page.goto(base_url)
    menu = page.get_by_role("navigation", name="Основное меню")
    expect(menu.get_by_role("link", name="Главная")).to_have_attribute("aria-current", "page")
    menu.get_by_role("link", name="Участки на карте").click()
    expect(page).to_have_url(re.compile(r"/precincts/?$"))
    menu = page.get_by_role("navigation", name="Основное меню")
    expect(menu.get_by_role("link", name="Участки на карте")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="Главная")).not_to_have_attribute("aria-current", "page")
    page.goto(f"{base_url}/statistics")
    expect(page).to_have_title("Статистика заявлений на дистанционное голосование · Дистанционное голосование")
    staff_log_in(page, base_url, "cec.admin")
    page.get_by_role("link", name="Напоминания", exact=True).click()
    expect(page).to_have_title("Напоминания избирателям · Дистанционное голосование")
    staff_menu = page.get_by_role("navigation", name="Меню сотрудника")
    expect(staff_menu.get_by_role("link", name="Напоминания", exact=True)).to_have_attribute("aria-current", "page")
    check_a11y(page)


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_the_desk_page_has_its_own_title(page: Page, base_url: str, viewport):
    staff_log_in(page, base_url, "uik.dg05")
    page.goto(f"{base_url}/staff/checkin")
    expect(page).to_have_title(t("ru", "checkin.title") + " · Дистанционное голосование")


def test_timeout_warning_and_continue(page: Page, base_url: str, viewport):
    pin, doc, *_ = _voter(viewport, 0)
    page.clock.install()
    log_in(page, base_url, pin, doc)
    open_menu(page)
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()  # the tab knows the voter: the timer runs
    page.evaluate(_PAINTED)  # the idle timer is armed by an effect of that render
    page.clock.fast_forward("12:40")
    expect(page.locator("#timeout-warning")).to_have_count(0)
    page.clock.fast_forward("00:30")  # 13:10: less than two minutes left
    dialog = page.get_by_role("alertdialog", name="Скоро вы выйдете из кабинета")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Продолжить")).to_be_focused()
    check_a11y(page)
    page.get_by_role("button", name="Продолжить").click()
    expect(dialog).to_have_count(0)
    page.clock.fast_forward("05:00")
    expect(dialog).to_have_count(0)  # the timer started again
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))


def test_a_request_the_server_failed_is_said_in_the_page_banner(page: Page, base_url: str, viewport):
    """What the server sends when a handler fails (app.on_backend_error sends request_failed; its unit
    test checks that half) shows «error.unexpected» in the page's status banner, in the page's
    language; no toast library is loaded any more."""
    from remote_vote_app.components.ux import request_failed

    script = str(request_failed().args[0][1])  # the JavaScript the client runs, as a JS string literal
    page.goto(f"{base_url}/login")
    page.locator("#lang-ky").click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^ky"))
    page.evaluate(f"() => eval({script})")
    expect(page.locator("#connection-status #request-failed")).to_have_text(t("ky", "error.unexpected"))
    check_a11y(page)
    expect(page.locator("section[aria-label^='Notifications']")).to_have_count(0)  # sonner's region is gone
