"""Issue 12 at the desks and in the cabinet: the activity log after a commission files for the voter,
"this wasn't me" reaching the territorial commission and its answer reaching the voter; the staff
pages for capacity and reminders."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, check_a11y, log_in, staff_log_in
from tests.e2e.fixtures import ACTIVITY_VOTER


@pytest.fixture
def viewport():
    return DESKTOP


def test_activity_log_after_a_commission_files_and_the_report_reaches_staff(page: Page, base_url: str, browser, console):
    pin, doc, _phone, last, first = ACTIVITY_VOTER
    # A commission files for the voter.
    staff_log_in(page, base_url, "tec.bishkek")
    page.get_by_role("link", name="Заявление в комиссии").click()
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Найти в реестре").click()
    expect(page.locator("#register-data")).to_contain_text(f"{last} {first}")
    page.locator("#election").get_by_role("radio").first.check()
    page.get_by_label("Дистанционный УИК (УИК ДГ)").select_option(label="ДГ-05 — Средняя школа им. А. Навои, Ош")
    page.get_by_label("Электронная почта").fill("activity@example.kg")
    page.get_by_label("Избиратель подписал согласие на обработку персональных данных на бумаге").check()
    page.get_by_role("button", name="Зарегистрировать заявление").click()
    expect(page.locator("#done")).to_contain_text("Заявление зарегистрировано")

    # The voter sees it in the cabinet: when, through a commission, no staff name; and says "not me".
    voter_context = browser.new_context(viewport=DESKTOP)
    voter = console.watch(voter_context.new_page())
    log_in(voter, base_url, pin, doc)
    log = voter.locator("#activity-log")
    entry = log.get_by_role("listitem").filter(has_text="Заявление подано")
    expect(entry).to_contain_text("в избирательной комиссии")
    expect(log).not_to_contain_text("Оператор ТИК")
    check_a11y(voter)
    entry.get_by_role("button", name=re.compile("^Это был не я")).click()
    expect(voter.get_by_role("heading", name="Это действие совершили не вы?")).to_be_focused()
    voter.get_by_label("Что произошло (необязательно)").fill("Я не был в комиссии")
    voter.get_by_role("button", name="Отправить сообщение").click()
    expect(voter.locator("#report-sent")).to_contain_text("Ваше сообщение отправлено")
    expect(entry).to_contain_text("на рассмотрении")
    check_a11y(voter)

    # The territorial commission reads it on the dashboard and answers.
    page.get_by_role("link", name="Статистика", exact=True).click()
    reports = page.locator("#reports")
    card = reports.get_by_role("article").filter(has_text="Я не был в комиссии")
    expect(card).to_contain_text("Заявление подано")
    check_a11y(page)
    card.get_by_label("Ответ комиссии").fill("Проверяем запись ТИК; свяжемся с вами.")
    card.get_by_role("button", name="Ответить").click()
    expect(page.get_by_role("status").filter(has_text="Ответ сохранён")).to_be_visible()

    # The answer is in the voter's cabinet.
    voter.reload()
    expect(voter.locator("#activity-log")).to_contain_text("Проверяем запись ТИК; свяжемся с вами.")
    expect(voter.locator("#activity-log")).to_contain_text("отвечено")
    voter_context.close()


def test_staff_pages_for_capacity_and_reminders(page: Page, base_url: str):
    staff_log_in(page, base_url, "cec.admin")
    page.get_by_role("link", name="Участки", exact=True).click()
    expect(page.get_by_role("heading", name="Вместимость участков")).to_be_visible()
    page.get_by_label("Мест ДГ-01").fill("500")
    page.get_by_role("button", name="Сохранить вместимость").click()
    expect(page.get_by_role("status").filter(has_text="Сохранено")).to_be_visible()
    expect(page.get_by_label("Мест ДГ-01")).to_have_value("500")
    check_a11y(page)
    page.get_by_role("link", name="Напоминания", exact=True).click()
    expect(page.get_by_role("heading", name="Напоминания избирателям")).to_be_visible()
    expect(page.locator("#reminders-planned")).to_contain_text("Накануне выборов")
    check_a11y(page)


def test_reminder_opt_out_link_works_without_logging_in(page: Page, base_url: str, server_env):
    import hashlib
    import hmac

    import sqlalchemy as sa

    from tests.e2e.fixtures import CAPACITY_VOTER

    with sa.create_engine(server_env["REFLEX_DB_URL"]).connect() as conn:
        voter_id = conn.execute(sa.text("SELECT id FROM voter WHERE pin = :pin"), {"pin": CAPACITY_VOTER[0]}).scalar_one()
    # The link as the reminder carries it (services/reminders.opt_out_token, with the server's key).
    mac = hmac.new(server_env["SECRET_KEY"].encode(), f"reminder-opt-out:{voter_id}".encode(), hashlib.sha256).hexdigest()[:32]
    page.goto(f"{base_url}/reminders/opt-out?t={voter_id}.{mac}")
    expect(page.get_by_role("heading", name="Отказ от напоминаний")).to_be_visible()
    expect(page.get_by_role("heading", name="Эскертмелерден баш тартуу")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name=re.compile("Отказаться")).click()
    expect(page.get_by_text("Готово: напоминания вам больше не придут.")).to_be_visible()
    check_a11y(page)
    page.goto(f"{base_url}/reminders/opt-out?t={voter_id}.{'0' * 32}")
    expect(page.get_by_text("Ссылка неверна или повреждена.")).to_be_visible()
