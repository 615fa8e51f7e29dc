"""The voter's journeys, on a 390×844 phone and a 1280×800 desktop (the `viewport` fixture)."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from remote_vote_app.i18n import LANG_NAMES, precinct_code, t
from remote_vote_app.demo.seed import DEMO_VOTERS
from tests.e2e.conftest import (DESKTOP, PHONE, check_a11y, keyboard_log_in, log_in, open_menu, outbox_text,
                                read_code)
from tests.e2e.fixtures import CLOSED_REFERENCE, CLOSED_VOTER, GUARDED_VOTER, LANG_JOURNEY_VOTERS
from tests.support.server import ROOT

REFERENCE = re.compile(r"^[ACDEFHJKMNPQRTUVWXY3479]{4}-[ACDEFHJKMNPQRTUVWXY3479]{4}$")


def _voter(viewport: dict, phone_index: int, desktop_index: int):
    return DEMO_VOTERS[desktop_index if viewport == DESKTOP else phone_index]


DG05 = next(p for p in json.loads((ROOT / "remote_vote_app/data/reference/precincts.json").read_text())["precincts"]
            if p["number"] == "ДГ-05")
# The register address as each language writes it (the demo seed's forms; voters of cities).
ADDRESS_FORM = {"ru": re.compile(r"^г\. [^,]+, ул\. [^,]+, \d+, кв\. \d+$"),
                "ky": re.compile(r"^[^,]+ ш\., [^,]+ көч\., \d+, \d+-батир$"),
                "en": re.compile(r"^\d+ [^,]+ St, Apt \d+, [A-Z][A-Za-z-]+$")}
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _title(lang: str, key: str = "") -> str:
    """document.title of a page: its own name, then the service's (the landing: the service's only)."""
    return f"{t(lang, key)} · {t(lang, 'site.title')}" if key else t(lang, "site.title")


def _no_russian_left(page: Page, lang: str, *own: str) -> None:
    """On an English page nothing in the main region is Cyrillic, except the voter's own register name."""
    if lang != "en":
        return
    text = page.get_by_role("main").inner_text()
    for name in own:
        text = text.replace(name, "")
    assert not CYRILLIC.search(text), f"Cyrillic on the English page {page.url}: {CYRILLIC.findall(text)[:10]} in {text!r}"


def _fill_application(page: Page, precinct: str, email: str, lang: str = "ru") -> None:
    page.get_by_label(precinct).check()
    page.get_by_label(t(lang, "apply.email")).fill(email)
    page.get_by_label(t(lang, "apply.consent_label")).check()
    page.get_by_role("button", name=t(lang, "apply.continue")).click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))


# Russian on both sizes (the README's demo voters); Kyrgyz and English, switched to on the landing, on one size each.
JOURNEYS = [("ru", PHONE), ("ru", DESKTOP), ("ky", PHONE), ("en", DESKTOP)]


@pytest.mark.parametrize("lang, viewport", JOURNEYS, ids=["phone", "desktop", "ky-phone", "en-desktop"])
def test_full_application(page: Page, base_url: str, lang: str, viewport):
    if lang == "ru":
        pin, doc, phone, last, first, *_ = _voter(viewport, 0, 1)
    else:
        pin, doc, phone, last, first = LANG_JOURNEY_VOTERS[lang]
    name = f"{last} {first}"
    precinct = f"{precinct_code(DG05['number'], lang)} — {DG05['place'][lang]}"
    page.goto(base_url)
    if lang != "ru":
        page.get_by_role("button", name=LANG_NAMES[lang]).click()
        expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=t(lang, "landing.title"), level=1)).to_be_visible()
    expect(page).to_have_title(_title(lang))
    expect(page.get_by_text(DG05["address"][lang])).to_be_visible()
    # The fixture's 2024 election day has passed: it is listed apart, as held (not as merely closed).
    past = page.get_by_role("region", name=t(lang, "landing.past_title"))
    expect(past.get_by_text(t(lang, "landing.held"))).to_be_visible()
    expect(page.get_by_text(t(lang, "landing.open"))).to_be_visible()
    _no_russian_left(page, lang)
    check_a11y(page)
    page.get_by_role("link", name=t(lang, "landing.cta_cabinet")).click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page).to_have_title(_title(lang, "login.title"))
    log_in(page, base_url, pin, doc, check=True, lang=lang)
    expect(page).to_have_title(_title(lang, "cabinet.title"))
    expect(page.get_by_text(t(lang, "cabinet.none"))).to_be_visible()
    check_a11y(page)

    page.get_by_role("button", name=t(lang, "cabinet.new")).click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    expect(page).to_have_title(_title(lang, "apply.title"))
    expect(page.get_by_text(name)).to_be_visible()  # register data, read-only
    # The rest of the register data waits behind «All your register data», so the first question comes first.
    more = page.locator("#profile-details")
    expect(more.get_by_text(ADDRESS_FORM[lang])).to_be_hidden()
    more.get_by_text(t(lang, "apply.profile_more")).click()
    expect(more.get_by_text(ADDRESS_FORM[lang])).to_be_visible()  # the register address in the page's language
    expect(page.get_by_label(t(lang, "apply.phone"))).to_have_value(phone)  # pre-filled from the register
    _no_russian_left(page, lang, name)
    check_a11y(page)
    # Without consent (and with a bad e-mail) nothing is filed, and the form says why.
    page.get_by_label(precinct).check()
    page.get_by_label(t(lang, "apply.email")).fill("voter@")
    page.get_by_role("button", name=t(lang, "apply.continue")).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(t(lang, "error.consent_required"))
    expect(summary).to_contain_text(t(lang, "error.email_format"))
    expect(page.get_by_label(t(lang, "apply.email"))).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title(t(lang, "ux.title_error_prefix") + _title(lang, "apply.title"))
    check_a11y(page)
    _fill_application(page, precinct, "voter@example.kg", lang)

    expect(page.get_by_role("heading", name=t(lang, "check.title"))).to_be_visible()
    expect(page).to_have_title(_title(lang, "check.title"))
    expect(page.get_by_text(precinct)).to_be_visible()
    expect(page.get_by_text(f"{DG05['city'][lang]}, {DG05['address'][lang]}")).to_be_visible()  # the precinct's address
    expect(page.get_by_text("voter@example.kg")).to_be_visible()
    _no_russian_left(page, lang)
    check_a11y(page)
    # "Change" goes back to the form with the answers kept.
    page.get_by_role("link", name=f"{t(lang, 'check.change')} — {t(lang, 'apply.email')}").click()
    expect(page).to_have_url(re.compile(r"/apply#email$"))
    expect(page.get_by_label(t(lang, "apply.email"))).to_have_value("voter@example.kg")
    _fill_application(page, precinct, "voter2@example.kg", lang)
    expect(page.get_by_text("voter2@example.kg")).to_be_visible()
    page.get_by_role("button", name=t(lang, "check.confirm")).click()

    expect(page).to_have_url(re.compile(r"/confirmation/?$"))
    expect(page.get_by_role("heading", name=t(lang, "confirm.title"))).to_be_visible()
    expect(page).to_have_title(_title(lang, "confirm.title"))
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference)
    expect(page.get_by_text(DG05["address"][lang])).to_be_visible()
    expect(page.get_by_text(t(lang, "confirm.remote_notice"))).to_be_visible()
    expect(page.get_by_text(t(lang, "confirm.bring_text"))).to_be_visible()
    _no_russian_left(page, lang, name)
    check_a11y(page)
    sent = outbox_text(page, base_url)
    # The SMS in the voter's language: its text up to the election day, reference filled in.
    accepted = t(lang, "sms.application_submitted", reference=reference, election_day="\0", precinct="", address="")
    assert accepted.split("\0")[0] in sent and "voter2@example.kg" in sent and phone in sent

    page.get_by_role("link", name=t(lang, "confirm.to_cabinet")).click()
    card = page.get_by_role("article", name=reference)
    expect(card).to_contain_text(t(lang, "status.submitted"))
    expect(card).to_contain_text(precinct_code(DG05["number"], lang))
    _no_russian_left(page, lang, name)
    # The whole visit ran on the socket that logged in; a reload opens a new one, which has the
    # session by the cookie the login page's POST got.
    page.reload()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    expect(page.get_by_role("article", name=reference)).to_contain_text(t(lang, "status.submitted"))


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


def _spend_codes(page: Page, pin: str, doc: str, codes: int, tries: int) -> None:
    """A stranger with PIN + document on /login: asks for a code and types wrong ones until it is
    spent (`tries` each), `codes` times."""
    for n in range(codes):
        _ask_for_code(page, pin, doc)
        for j in range(tries):
            page.get_by_label("Код из 6 цифр").fill(f"{n:03d}{j:03d}")
            page.get_by_role("button", name="Войти", exact=True).click()
            left = tries - 1 - j
            expect(page.get_by_role("alert")).to_contain_text(
                t("ru", "error.code_wrong", count=left) if left else t("ru", "error.code_attempts"))


@pytest.mark.parametrize("viewport", [DESKTOP], ids=["desktop"])
def test_the_owner_on_a_new_browser_types_the_strong_code_while_a_stranger_guesses(page: Page, base_url: str, viewport,
                                                                                  browser, browser_context_args, console):
    """Issue 20: a stranger with PIN + document spends one code (5 wrong tries), so the PIN's codes are
    strong. He keeps guessing at the strong code he is offered; the owner on a browser never used
    before is offered the same code, reads it on the phone and logs in, typing it in small letters
    without dashes. The owner's usual browser (device cookie) still gets a short code of its own."""
    pin, doc, *_ = GUARDED_VOTER
    log_in(page, base_url, pin, doc)
    device = next(c for c in page.context.cookies() if c["name"] == "__Host-rv_device")
    assert device["httpOnly"] and device["secure"] and device["sameSite"] == "Strict"
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    strangers = [browser.new_context(**browser_context_args) for _ in range(2)]
    try:
        stranger, new_browser = (console.watch(context.new_page()) for context in strangers)
        stranger.goto(f"{base_url}/login")
        _spend_codes(stranger, pin, doc, codes=1, tries=5)
        _ask_for_code(stranger, pin, doc)
        strong_field = t("ru", "login.code_strong")
        for j in range(3):  # wrong guesses at the strong code spend nothing
            stranger.get_by_label(strong_field).fill(f"{j:013d}")
            stranger.get_by_role("button", name="Войти", exact=True).click()
            expect(stranger.get_by_role("alert")).to_contain_text(t("ru", "error.code_wrong_strong"))
        new_browser.goto(f"{base_url}/login")
        _ask_for_code(new_browser, pin, doc)
        expect(new_browser.locator("#code-sent")).to_contain_text("уже отправлен")
        expect(new_browser.get_by_text(t("ru", "login.code_strong_hint"))).to_be_visible()
        check_a11y(new_browser)
        code = read_code(new_browser, base_url)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", code)
        stranger.get_by_label(strong_field).fill("ABCDEFGHJKMNP")
        stranger.get_by_role("button", name="Войти", exact=True).click()
        expect(stranger.get_by_role("alert")).to_contain_text(t("ru", "error.code_wrong_strong"))
        new_browser.get_by_label(strong_field).fill(code.lower().replace("-", ""))
        new_browser.get_by_role("button", name="Войти", exact=True).click()
        expect(new_browser).to_have_url(re.compile(r"/cabinet/?$"))
    finally:
        for context in strangers:
            context.close()
    log_in(page, base_url, pin, doc)  # the owner's usual browser: a short code of its own
    check_a11y(page)


def _ask_for_code(page: Page, pin: str, doc: str) -> None:
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()


def test_closed_election(page: Page, base_url: str, viewport):
    pin, doc, _ = CLOSED_VOTER
    log_in(page, base_url, pin, doc)
    card = page.get_by_role("article", name=CLOSED_REFERENCE)
    expect(card).to_contain_text("Срок приёма заявлений истёк; изменить нельзя.")
    expect(card.get_by_role("button")).to_have_count(0)
    # The voter's only election has been held: nothing to apply for, so no new application is offered.
    expect(page.get_by_role("button", name="Подать заявление")).to_have_count(0)
    check_a11y(page)
    # The form's address, opened anyway, says so and leads nowhere.
    page.goto(f"{base_url}/apply")
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
    # Consent was given with the application: the box keeps it, nobody is told off for it again.
    expect(page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных")).to_be_checked()
    page.get_by_label("ДГ-10 — Областная библиотека им. А. Токтогулова").check()
    page.get_by_label("Электронная почта").fill("second@example.kg")
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))
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
    open_menu(page)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Your voter account").click()
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
    open_menu(page)
    expect(page.get_by_role("navigation", name="Основное меню")).to_be_visible()
    page.get_by_role("button", name="Кыргызча").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Барак табылган жок")
    expect(page).to_have_title("Барак табылган жок · Алыстан добуш берүү")
    page.get_by_role("link", name="Башкы бетке өтүү").click()
    expect(page).to_have_title("Алыстан добуш берүү")
    # The server answers the unknown address with a real 404 status, which the browser logs as an error.
    assert missing and all(url.split("?")[0].rstrip("/").endswith("/no-such-page") for url in missing), missing
    console.errors[:] = [e for e in console.errors if "status of 404" not in e]
