"""Staff journeys per role (desktop): two-factor login and enrolment, statistics that move live, in-person filing,
voter lists, precincts, audit."""

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from remote_vote_app.i18n import t
from tests.e2e.conftest import DESKTOP, check_a11y, log_in, staff_log_in
from tests.e2e.fixtures import ENROL_CODE, ENROL_STAFF, EXCLUSION_VOTER, STAFF_JOURNEY_VOTERS
from tests.support.qr import assert_inline_svg


@pytest.fixture
def viewport():
    return DESKTOP  # staff work at desks; the voter journeys cover phones


def test_admin_sees_statistics_move_files_in_person_and_moves_a_precinct(page: Page, base_url: str, browser, console):
    staff_log_in(page, base_url, "cec.admin", check=True)  # axe on the code step too
    expect(page.get_by_role("heading", name="Статистика заявлений")).to_be_visible()
    total = page.locator("#stat-total")
    expect(total).to_have_text(re.compile(r"^\d+$"))
    before = int(total.inner_text())
    check_a11y(page)

    # A voter applies in another browser; the open dashboard shows it without a reload.
    voter_context = browser.new_context(viewport=DESKTOP)
    voter = console.watch(voter_context.new_page())
    pin, doc, *_ = STAFF_JOURNEY_VOTERS[0]
    log_in(voter, base_url, pin, doc)
    voter.get_by_role("button", name="Подать заявление").click()
    voter.get_by_label("ДГ-09 — Аппарат полномочного представителя Президента КР в Нарынской области").check()
    voter.get_by_label("Электронная почта").fill("live@example.kg")
    voter.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    voter.get_by_role("button", name="Далее").click()
    voter.get_by_role("button", name="Подтвердить").click()
    expect(voter.locator("#reference")).to_be_visible()
    voter_context.close()
    expect(total).to_have_text(str(before + 1), timeout=20_000)

    # In person: the same rules, the channel and commission recorded.
    page.get_by_role("link", name="Заявление в комиссии").click()
    pin, doc, *_ = STAFF_JOURNEY_VOTERS[1]
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Найти в реестре").click()
    expect(page.locator("#register-data")).to_contain_text("Алымкулова Айзада")
    expect(page.locator("#register-data")).to_contain_text(pin)  # in full, to compare with the document
    expect(page.locator("#register-data")).to_contain_text(doc)
    page.locator("#election").get_by_role("radio").first.check()
    page.get_by_label("Дистанционный УИК (УИК ДГ)").select_option(label="ДГ-05 — Средняя школа им. А. Навои, Ош")
    # The e-mail is required at the desk too, as the announcement lists it.
    page.get_by_role("button", name="Зарегистрировать заявление").click()
    expect(page.get_by_role("alert")).to_contain_text("Введите адрес электронной почты.")
    expect(page.get_by_role("alert")).to_contain_text("подписал согласие")
    page.get_by_label("Электронная почта").fill("desk@example.kg")
    page.get_by_label("Избиратель подписал согласие на обработку персональных данных на бумаге").check()
    page.get_by_role("button", name="Зарегистрировать заявление").click()
    done = page.locator("#done")
    expect(done).to_contain_text("Заявление зарегистрировано")
    reference = re.search(r"([A-Z0-9]{4}-[A-Z0-9]{4})", done.inner_text()).group(1)
    check_a11y(page)

    # Find it, open it: the history shows who filed it.
    page.get_by_role("link", name="Заявления", exact=True).click()
    page.get_by_label("Номер заявления, ПИН или фамилия").fill(reference)
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#found")).to_contain_text("Найдено: 1.")
    page.get_by_role("button", name=f"Открыть {reference}").click()
    expect(page.locator("#history")).to_contain_text("application.submitted")
    expect(page.locator("#results")).to_contain_text("В комиссии")  # translated, not the raw code
    expect(page.locator("#results")).not_to_contain_text("in_person")
    # By surname, as typed at the desk (lower case).
    page.get_by_label("Номер заявления, ПИН или фамилия").fill("алымкулова")
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#results")).to_contain_text(reference)
    check_a11y(page)

    # Move a precinct's point; the audit log shows it.
    page.get_by_role("link", name="Участки", exact=True).click()
    page.get_by_role("button", name="Изменить ДГ-04").click()
    expect(page.get_by_role("heading", name="ДГ-04")).to_be_visible()
    page.get_by_label("Широта").fill("42.87561")
    page.get_by_label("Долгота").fill("74.61038")
    page.get_by_role("button", name="Сохранить точку (точная)").click()
    expect(page.locator("#precinct-table")).to_contain_text("точное")
    expect(page.locator("#precinct-table")).not_to_contain_text("approximate")
    check_a11y(page)
    page.get_by_role("link", name="Журнал аудита").click()
    page.get_by_label("Идентификатор записи").fill("ДГ-04")
    page.get_by_role("button", name="Найти").click()
    # In words: the action, who did it (login name), and no codes.
    expect(page.locator("#audit-table")).to_contain_text("Участок: точка на карте перенесена")
    expect(page.locator("#audit-table")).to_contain_text("Сотрудник cec.admin")
    expect(page.locator("#audit-table")).not_to_contain_text("precinct.moved")
    check_a11y(page)
    # Authentication events, under readable names: this admin's own login is there.
    page.get_by_label("Идентификатор записи").fill("")
    page.get_by_label("События входа").select_option(label="Сотрудник вошёл")
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("Сотрудник вошёл")
    expect(page.locator("#audit-table")).not_to_contain_text("Участок: точка на карте перенесена")
    page.get_by_role("link", name="Выборы", exact=True).click()
    expect(page.get_by_role("heading", name="Даты выборов")).to_be_visible()
    check_a11y(page)


def test_precinct_member_downloads_only_their_list(page: Page, base_url: str):
    staff_log_in(page, base_url, "uik.dg05")
    expect(page).to_have_url(re.compile(r"/staff/checkin/?$"))  # the member's day starts at the desk
    page.get_by_role("navigation", name="Меню сотрудника").get_by_role("link", name="Списки избирателей").click()
    expect(page).to_have_url(re.compile(r"/staff/lists/?$"))
    expect(page.locator("#list-heading")).to_contain_text("ДГ-05")
    expect(page.locator("#preliminary")).to_be_visible()
    expect(page.get_by_label("Участок")).to_have_count(1)
    expect(page.get_by_label("Участок").locator("option")).to_have_count(1)
    check_a11y(page)
    rows = page.locator("#voter-list tbody tr")
    # CSV as Russian-locale Excel opens it: BOM, ';', the header on the first line, "preliminary" named.
    with page.expect_download() as info:
        page.get_by_role("button", name="Скачать CSV (для Excel)").click()
    assert info.value.suggested_filename == "voters-ДГ-05-preliminary.csv"
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = [line for line in raw.decode("utf-8-sig").splitlines() if line]
    assert lines[0].startswith("Номер заявления;ФИО;ПИН;") and lines[0].endswith(";Статус списка")
    assert len(lines) - 1 == rows.count() and all(line.endswith(";предварительный") for line in lines[1:])
    # XLSX opened as a spreadsheet program opens it.
    from openpyxl import load_workbook

    with page.expect_download() as info:
        page.get_by_role("button", name="Скачать Excel (XLSX)").click()
    assert info.value.suggested_filename == "voters-ДГ-05-preliminary.xlsx"
    import io

    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    # A printed sheet says what it is (precinct, preliminary) above the header, and ends with the signature column.
    assert sheet["A1"].value.startswith("Список избирателей участка дистанционного голосования ДГ-05")
    assert sheet["A4"].value.startswith("ПРЕДВАРИТЕЛЬНЫЙ СПИСОК")
    header = [c.value for c in sheet[5]]
    assert header[:3] == ["Номер заявления", "ФИО", "ПИН"] and header[-1] == "Подпись избирателя"
    assert sheet.max_row - 5 == rows.count()
    # PINs and dates never wrap in the table.
    assert page.locator("#voter-list td.nowrap").first.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    page.goto(f"{base_url}/staff/applications")
    expect(page).to_have_url(re.compile(r"/staff/?$"))
    expect(page.get_by_role("alert")).to_contain_text("У вас нет прав на это действие.")


def test_tec_operator_files_in_person_but_cannot_read_the_audit(page: Page, base_url: str):
    staff_log_in(page, base_url, "tec.bishkek")
    expect(page.get_by_role("link", name="Журнал аудита")).to_have_count(0)
    page.goto(f"{base_url}/staff/audit")
    expect(page.get_by_role("alert")).to_contain_text("У вас нет прав на это действие.")
    expect(page.locator("#audit-table")).to_have_count(0)
    page.goto(f"{base_url}/staff/applications/new")
    page.get_by_label("ПИН (персональный идентификационный номер)").fill("12345")
    page.get_by_role("button", name="Найти в реестре").click()
    expect(page.get_by_role("alert")).to_contain_text("ПИН должен состоять из 14 цифр")
    check_a11y(page)


def test_observer_sees_statistics_only(page: Page, base_url: str):
    staff_log_in(page, base_url, "observer")
    expect(page.locator("#stat-total")).to_be_visible()
    expect(page.locator("#anomalies")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Меню сотрудника").get_by_role("link")).to_have_count(1)
    page.goto(f"{base_url}/staff/lists")
    expect(page.get_by_role("alert")).to_contain_text("У вас нет прав на это действие.")
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/staff/login/?$"))
    page.goto(f"{base_url}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login/?$"))
    check_a11y(page)


def test_first_login_enrols_the_authenticator_app_and_shows_recovery_codes_once(page: Page, base_url: str):
    username, password = ENROL_STAFF
    page.goto(f"{base_url}/staff/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    # The password alone shows no secret: first the admin's one-time enrolment code.
    expect(page.get_by_role("heading", name="Введите код подключения")).to_be_visible()
    expect(page.get_by_role("img", name="QR-код для приложения-аутентификатора")).to_have_count(0)
    enrol_code = page.get_by_role("textbox", name="Код подключения")
    expect(enrol_code).to_be_focused()
    enrol_code.fill("ABCD-EFGH-JKLM")
    page.get_by_role("button", name="Продолжить").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный или просроченный код подключения")
    page.get_by_role("textbox", name="Код подключения").fill(ENROL_CODE)
    page.get_by_role("button", name="Продолжить").click()
    expect(page.get_by_role("heading", name="Подключите приложение-аутентификатор")).to_be_visible()
    qr = page.get_by_role("img", name="QR-код для приложения-аутентификатора")
    expect(qr).to_be_visible()
    assert_inline_svg(qr.get_attribute("src"))
    secret = page.locator("#enrol-secret").inner_text().replace(" ", "")
    code = page.get_by_label("Код из приложения-аутентификатора")
    expect(code).to_be_focused()
    check_a11y(page)

    right = pyotp.TOTP(secret).now()
    code.fill(f"{(int(right) + 500_000) % 1_000_000:06d}")
    page.get_by_role("button", name="Подтвердить и войти").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код")
    page.get_by_label("Код из приложения-аутентификатора").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Подтвердить и войти").click()
    expect(page.get_by_role("heading", name="Резервные коды")).to_be_visible()
    expect(page.locator("#recovery-codes").get_by_role("listitem")).to_have_count(10)
    check_a11y(page)
    page.get_by_role("button", name="Я сохранил(а) коды, продолжить").click()
    expect(page.locator("#staff-who")).to_be_visible()
    expect(page.locator("#recovery-codes")).to_have_count(0)


def test_home_precinct_member_sees_a_voter_who_applied_prints_and_downloads(page: Page, base_url: str, browser, console):
    # The voter applies online, in a browser of their own.
    voter_context = browser.new_context(viewport=DESKTOP)
    voter = console.watch(voter_context.new_page())
    pin, doc, _phone, last, first = EXCLUSION_VOTER
    log_in(voter, base_url, pin, doc)
    voter.get_by_role("button", name="Подать заявление").click()
    voter.get_by_label("ДГ-05 — Средняя школа им. А. Навои").check()
    voter.get_by_label("Электронная почта").fill("exclusion@example.kg")
    voter.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    voter.get_by_role("button", name="Далее").click()
    voter.get_by_role("button", name="Подтвердить").click()
    reference = voter.locator("#reference").inner_text().strip()
    voter_context.close()

    # The home precinct's commission member starts on the exclusion list of their precinct.
    staff_log_in(page, base_url, "uik.1001")
    expect(page).to_have_url(re.compile(r"/staff/exclusions/?$"))
    expect(page.get_by_role("heading", name="Список исключения: избиратели, голосующие дистанционно")).to_be_visible()
    expect(page.get_by_label("Участковая избирательная комиссия (УИК)").locator("option")).to_have_count(1)
    expect(page.locator("#exclusion-heading")).to_contain_text("УИК №1001")
    expect(page.locator("#exclusion-status")).to_contain_text("ПРЕДВАРИТЕЛЬНЫЙ СПИСОК")
    row = page.locator("#exclusion-list tbody tr").filter(has_text=reference)
    expect(row).to_contain_text(f"{last} {first}")
    expect(row).to_contain_text(f"Голосует на ДГ-05, заявление № {reference}")
    check_a11y(page)

    # The print view: the list and the signature lines, no menus, forms or buttons.
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="Распечатать").click()
    assert page.evaluate("window.__printed === true")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Меню сотрудника")).to_be_hidden()
    expect(page.get_by_role("button", name="Показать")).to_be_hidden()
    expect(page.get_by_role("link", name="Скачать CSV")).to_be_hidden()
    expect(row).to_be_visible()
    expect(page.get_by_text("Председатель УИК")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.get_by_text("Председатель УИК")).to_be_hidden()

    # The spreadsheet: ';', BOM, the header on the first line, 'preliminary' in its name and a column.
    with page.expect_download() as info:
        page.get_by_role("link", name="Скачать CSV").click()
    assert re.fullmatch(r"exclusions-uik1001-\d{4}-\d\d-\d\d-preliminary\.csv", info.value.suggested_filename)
    raw = open(info.value.path(), "rb").read()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Номер заявления;ФИО;Дата рождения;ПИН;")
    line = next(line for line in lines if reference in line)
    assert f"{last} {first}" in line and line.endswith(";предварительный")
    assert len(lines) - 1 == page.locator("#exclusion-list tbody tr").count()

    # Nothing else is open to this role.
    page.goto(f"{base_url}/staff/lists")
    expect(page.get_by_role("alert")).to_contain_text("У вас нет прав на это действие.")


TABLET = {"width": 768, "height": 1024}
# Every page of the staff menu an administrator has (the check-in desk is another helper's and a member's page).
ADMIN_PAGES = ["/staff", "/staff/applications", "/staff/applications/new", "/staff/lists", "/staff/exclusions",
               "/staff/precincts", "/staff/elections", "/staff/audit", "/staff/reminders"]


def test_staff_pages_fit_a_768px_tablet_with_wide_tables_scrolling_inside_a_labelled_region(browser, base_url, console):
    context = browser.new_context(viewport=TABLET, locale="ru-RU")
    page = console.watch(context.new_page())
    staff_log_in(page, base_url, "cec.admin")
    for path in ADMIN_PAGES:
        page.goto(f"{base_url}{path}")
        expect(page.locator("#staff-who")).to_be_visible()
        page.wait_for_load_state("networkidle")
        widest = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest('[role=region]')))
            .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the 768px screen: {widest}"
        # A table wider than the screen scrolls in its own keyboard-reachable region, which says so.
        for region in page.get_by_role("region").all():
            if region.evaluate("e => e.scrollWidth > e.clientWidth"):
                expect(region).to_have_attribute("tabindex", "0")
                hint = region.locator("xpath=preceding-sibling::*[1]")
                expect(hint).to_have_text(t("ru", "ux.table_scroll"))
                expect(hint).to_be_visible()
        # Staff pages carry no voter footer (its links are the voters').
        expect(page.locator("#footer-statistics")).to_have_count(0)
    context.close()
