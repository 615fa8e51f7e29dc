"""The voter's journeys, on a 390×844 phone and a 1280×800 desktop (the `viewport` fixture)."""

import re

from playwright.sync_api import Page, expect

from remote_vote_app.services.seed import DEMO_VOTERS
from tests.e2e.conftest import DESKTOP, check_a11y, keyboard_log_in, log_in, outbox_text, read_code
from tests.e2e.fixtures import CLOSED_REFERENCE, CLOSED_VOTER

REFERENCE = re.compile(r"^[ACDEFHJKMNPQRTUVWXY3479]{4}-[ACDEFHJKMNPQRTUVWXY3479]{4}$")


def _voter(viewport: dict, phone_index: int, desktop_index: int):
    return DEMO_VOTERS[desktop_index if viewport == DESKTOP else phone_index]


def _fill_application(page: Page, precinct: str, email: str) -> None:
    page.get_by_label(precinct).check()
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))


def test_full_application(page: Page, base_url: str, viewport):
    pin, doc, phone, last, first, *_ = _voter(viewport, 0, 1)
    page.goto(base_url)
    expect(page.get_by_role("heading", name="Голосуйте там, где вам удобно", level=1)).to_be_visible()
    expect(page.get_by_text("ул. Масалиева, 37")).to_be_visible()
    expect(page.get_by_text("Приём заявлений завершён")).to_be_visible()
    expect(page.get_by_text("Идёт приём заявлений")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Войти в «Кабинет избирателя»").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    log_in(page, base_url, pin, doc, check=True)
    expect(page.get_by_text("У вас пока нет заявлений.")).to_be_visible()
    check_a11y(page)

    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    expect(page.get_by_text(f"{last} {first}")).to_be_visible()  # register data, read-only
    expect(page.get_by_label("Номер телефона")).to_have_value(phone)  # pre-filled from the register
    check_a11y(page)
    # Without consent (and with a bad e-mail) nothing is filed, and the form says why.
    page.get_by_label("ДГ-05 — Средняя школа им. А. Навои").check()
    page.get_by_label("Электронная почта").fill("voter@")
    page.get_by_role("button", name="Далее").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Без согласия на обработку персональных данных заявление подать нельзя.")
    expect(summary).to_contain_text("Адрес электронной почты указан неверно")
    expect(page.get_by_label("Электронная почта")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    _fill_application(page, "ДГ-05 — Средняя школа им. А. Навои", "voter@example.kg")

    expect(page.get_by_role("heading", name="Проверьте ваши ответы")).to_be_visible()
    expect(page.get_by_text("ДГ-05 — Средняя школа им. А. Навои")).to_be_visible()
    expect(page.get_by_text("voter@example.kg")).to_be_visible()
    check_a11y(page)
    # "Change" goes back to the form with the answers kept.
    page.get_by_role("link", name="Изменить — Электронная почта").click()
    expect(page).to_have_url(re.compile(r"/apply#email$"))
    expect(page.get_by_label("Электронная почта")).to_have_value("voter@example.kg")
    _fill_application(page, "ДГ-05 — Средняя школа им. А. Навои", "voter2@example.kg")
    expect(page.get_by_text("voter2@example.kg")).to_be_visible()
    page.get_by_role("button", name="Подтвердить").click()

    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    expect(page.get_by_role("heading", name="Ваше заявление принято")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference)
    expect(page.get_by_text("ул. Масалиева, 37")).to_be_visible()
    expect(page.get_by_text("голосовать нужно на выбранном дистанционном участке")).to_be_visible()
    expect(page.get_by_text("ID-карту (паспорт гражданина)")).to_be_visible()
    check_a11y(page)
    sent = outbox_text(page, base_url)
    assert f"Заявление {reference} принято" in sent and "voter2@example.kg" in sent and phone in sent

    page.get_by_role("link", name="Перейти в кабинет").click()
    card = page.get_by_role("article", name=reference)
    expect(card).to_contain_text("Принято")
    expect(card).to_contain_text("ДГ-05")


def test_wrong_code_and_wrong_details(page: Page, base_url: str, viewport):
    pin, doc, *_ = DEMO_VOTERS[4]
    page.goto(f"{base_url}/login")
    # Format errors are named per field.
    page.get_by_label("ПИН (персональный идентификационный номер)").fill("12345")
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("alert")).to_contain_text("ПИН должен состоять из 14 цифр")
    check_a11y(page)
    # Unknown PIN and wrong document: one and the same answer.
    answers = []
    for p, d in ((pin, "ID0000000"), ("20101199000001", doc)):
        page.get_by_label("ПИН (персональный идентификационный номер)").fill(p)
        page.get_by_label("Номер ID-карты или паспорта").fill(d)
        page.get_by_role("button", name="Получить код").click()
        expect(page.get_by_role("alert")).to_contain_text("не совпадают с записью в реестре")
        answers.append(page.get_by_role("alert").inner_text())
        # A different error in between, so the second answer is surely a fresh one.
        page.get_by_label("Номер ID-карты или паспорта").fill("")
        page.get_by_role("button", name="Получить код").click()
        expect(page.get_by_role("alert")).to_contain_text("Введите номер документа.")
    assert answers[0] == answers[1]
    # The right details, then a wrong code.
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()
    code = read_code(page, base_url)
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("Код из 6 цифр").fill(wrong)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код. Осталось 4 попытки.")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    check_a11y(page)
    page.get_by_label("Код из 6 цифр").fill(code)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))


def test_closed_election(page: Page, base_url: str, viewport):
    pin, doc, _ = CLOSED_VOTER
    log_in(page, base_url, pin, doc)
    card = page.get_by_role("article", name=CLOSED_REFERENCE)
    expect(card).to_contain_text("Срок приёма заявлений истёк; изменить нельзя.")
    expect(card.get_by_role("button")).to_have_count(0)
    check_a11y(page)
    page.get_by_role("button", name="Подать заявление").click()
    expect(page.get_by_text("Для вашей территории сейчас нет выборов, на которые принимаются заявления.")).to_be_visible()
    expect(page.get_by_role("button", name="Далее")).to_have_count(0)
    check_a11y(page)


def test_change_and_withdraw(page: Page, base_url: str, viewport):
    pin, doc, *_ = _voter(viewport, 2, 3)
    log_in(page, base_url, pin, doc)
    page.get_by_role("button", name="Подать заявление").click()
    _fill_application(page, "ДГ-08 — Государственный университет им. К. Тыныстанова", "first@example.kg")
    page.get_by_role("button", name="Подтвердить").click()
    reference = page.locator("#reference").inner_text()
    page.get_by_role("link", name="Перейти в кабинет").click()

    card = page.get_by_role("article", name=reference)
    card.get_by_role("button", name=f"Изменить {reference}").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    expect(page.get_by_role("heading", name="Изменение заявления")).to_be_visible()
    expect(page.get_by_label("ДГ-08 — Государственный университет им. К. Тыныстанова")).to_be_checked()
    expect(page.get_by_label("Электронная почта")).to_have_value("first@example.kg")
    _fill_application(page, "ДГ-10 — Областная библиотека им. А. Токтогулова", "second@example.kg")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", name="Ваше заявление изменено")).to_be_visible()
    assert page.locator("#reference").inner_text() == reference
    assert f"Заявление {reference} изменено" in outbox_text(page, base_url)

    page.get_by_role("link", name="Перейти в кабинет").click()
    card = page.get_by_role("article", name=reference)
    expect(card).to_contain_text("ДГ-10")
    card.get_by_role("button", name=f"Отозвать {reference}").click()
    expect(page.get_by_role("heading", name="Отозвать заявление?")).to_be_focused()
    check_a11y(page)
    page.get_by_role("button", name="Да, отозвать").click()
    expect(card).to_contain_text("Отозвано")
    expect(card.get_by_role("button")).to_have_count(0)
    assert f"Заявление {reference} отозвано" in outbox_text(page, base_url)


def test_language_switch_is_remembered(page: Page, base_url: str, viewport):
    page.goto(base_url)
    page.get_by_role("button", name="Кыргызча").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Өзүңүзгө ыңгайлуу жерде добуш бериңиз")
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    expect(page).to_have_title("Алыстан добуш берүү")
    expect(page.get_by_text("Масалиев көч., 37")).to_be_visible()
    check_a11y(page)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Өзүңүзгө ыңгайлуу жерде добуш бериңиз")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vote where it suits you")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_title("Remote voting")
    page.get_by_role("link", name="Your voter account").first.click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page).to_have_title("Log in to your voter account · Remote voting")
    expect(page.get_by_label("PIN (personal identification number)")).to_be_visible()
    page.get_by_role("button", name="Get a code").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your PIN.")
    check_a11y(page)
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("alert")).to_contain_text("Введите ПИН.")


def test_keyboard_only_login(page: Page, base_url: str, viewport):
    pin, doc, *_ = DEMO_VOTERS[5]
    page.goto(f"{base_url}/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Перейти к содержанию")).to_be_focused()
    keyboard_log_in(page, base_url, pin, doc)
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))


def test_pages_need_a_logged_in_voter(page: Page, base_url: str, viewport):
    for path in ("/cabinet", "/apply", "/apply/check", "/confirmation"):
        page.goto(f"{base_url}{path}")
        expect(page).to_have_url(re.compile(r"/login/?$"))
        expect(page.locator("#notice")).to_contain_text("Чтобы продолжить, войдите в кабинет.")


def test_outbox_page_is_accessible(page: Page, base_url: str, viewport):
    page.goto(f"{base_url}/dev/outbox")
    expect(page.get_by_role("heading", name="Отправленные сообщения (демо)", level=1)).to_be_visible()
    check_a11y(page)


def test_unknown_page_is_a_404_in_the_site_layout_and_language(page: Page, base_url: str, viewport, console):
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(f"{base_url}/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Страница не найдена")
    expect(page).to_have_title("Страница не найдена · Дистанционное голосование")
    expect(page.get_by_role("navigation", name="Основное меню")).to_be_visible()
    page.get_by_role("button", name="Кыргызча").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Барак табылган жок")
    expect(page).to_have_title("Барак табылган жок · Алыстан добуш берүү")
    page.get_by_role("link", name="Башкы бетке өтүү").click()
    expect(page).to_have_title("Алыстан добуш берүү")
    # The server answers the unknown address with a real 404 status, which the browser logs as an error.
    assert missing and all(url.split("?")[0].rstrip("/").endswith("/no-such-page") for url in missing), missing
    console.errors[:] = [e for e in console.errors if "status of 404" not in e]
