"""Issue 21 in the browser: the voter's cabinet in identification mode ("where can I vote?", then
"you voted at X at HH:MM" and "this wasn't me"), and the commission's figures of that election day,
for the CEC (the country) and for precinct members (their own precinct)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from remote_vote_app.db import get_engine
from remote_vote_app.i18n import t
from remote_vote_app.models import Election, IdentifiedBallot, Precinct, StaffAccount, Voter
from remote_vote_app.services.election_day import identification
from remote_vote_app.demo.seed import DEMO_IDENTIFICATION_DAY
from tests.e2e.conftest import DESKTOP, check_a11y, log_in, staff_log_in
from tests.e2e.fixtures import IDENT_VOTER

ISSUED_AT = dt.datetime.combine(DEMO_IDENTIFICATION_DAY, dt.time(4, 23), tzinfo=dt.timezone.utc)  # 10:23 in Bishkek


@pytest.fixture
def viewport():
    return DESKTOP


def _desk(session, number: str, username: str) -> dict:
    election = session.exec(select(Election).where(Election.election_day == DEMO_IDENTIFICATION_DAY,
                                                   Election.mode == "identification")).one()
    return {"session": session, "election_id": election.id, "pin": IDENT_VOTER[0], "document_number": IDENT_VOTER[1],
            "precinct_id": session.exec(select(Precinct.id).where(Precinct.number == number)).one(),
            "staff_id": session.exec(select(StaffAccount.id).where(StaffAccount.username == username)).one()}


def _vote_in_osh_and_try_again_at_home(server_env: dict) -> None:
    """The desk at УИК №3011 issues the ballot; later the home precinct's desk is refused ("voted").
    Once per run: either test may come first. Written into the served database."""
    engine = get_engine(server_env["REFLEX_DB_URL"])
    with Session(engine) as session:
        voter_id = session.exec(select(Voter.id).where(Voter.pin == IDENT_VOTER[0])).one()
        if session.exec(select(IdentifiedBallot.id).where(IdentifiedBallot.voter_id == voter_id)).first():
            return
        answer = identification.issue(**_desk(session, "УИК №3011", "uik.3011"), shown="ident.issue", now=ISSUED_AT)
        session.commit()
        assert answer.outcome == "issue"
    with Session(engine) as session:
        again = identification.check(**_desk(session, "УИК №2001", "uik.2001"), now=ISSUED_AT + dt.timedelta(hours=1))
        session.commit()
        assert again.outcome == "voted"


def _open_day(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/staff")
    page.get_by_label(t("ru", "stats.election_day")).select_option(DEMO_IDENTIFICATION_DAY.isoformat())
    expect(page.locator("#identification")).to_be_visible()


def test_cabinet_where_to_vote_then_voted_and_not_me_reaches_the_commission(page: Page, base_url: str, browser, console,
                                                                            server_env):
    pin, doc, *_ = IDENT_VOTER
    log_in(page, base_url, pin, doc)
    where = page.get_by_role("region", name=t("ru", "where.title"))
    expect(where.locator("#where-home")).to_contain_text("УИК №2001")
    expect(where).to_contain_text(t("ru", "where.district"))
    nearby = where.get_by_role("list", name=t("ru", "where.nearby_title"))
    expect(nearby.get_by_role("listitem")).to_have_count(5)
    expect(nearby).not_to_contain_text("УИК №2001")
    expect(page.locator("#where-voted")).to_have_count(0)
    check_a11y(page)

    _vote_in_osh_and_try_again_at_home(server_env)
    page.reload()
    voted = page.locator("#where-voted")
    expect(voted).to_contain_text("УИК №3011")
    expect(voted).to_contain_text("10:23")
    page.get_by_role("button", name=t("ru", "activity.not_me"), exact=True).click()
    expect(page.get_by_role("heading", name=t("ru", "activity.report_title"))).to_be_focused()
    check_a11y(page)
    page.get_by_label(t("ru", "activity.note")).fill("Я был дома в Бишкеке")
    page.get_by_role("button", name=t("ru", "activity.send_report")).click()
    expect(page.locator("#report-sent")).to_contain_text(t("ru", "activity.report_sent"))
    expect(page.locator("#where-reported")).to_be_visible()
    check_a11y(page)

    # The desk that issued the ballot sees the report among its incidents, and only its own precinct.
    staff = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    member = console.watch(staff.new_page())
    staff_log_in(member, base_url, "uik.3011")
    _open_day(member, base_url)
    incidents = member.locator("#ident-incidents")
    expect(incidents.get_by_role("row").filter(has_text=t("ru", "ident.outcome.not_me"))).to_contain_text("УИК №3011")
    turnout = member.locator("#ident-turnout")
    expect(turnout.get_by_role("columnheader", name="10:00")).to_be_visible()
    expect(turnout.get_by_role("row").filter(has_text="УИК №3011")).to_contain_text("1")
    expect(member.locator("#identification")).not_to_contain_text("УИК №2001")
    check_a11y(member)
    staff.close()


def test_the_commission_sees_the_country_and_a_member_the_own_precinct(page: Page, base_url: str, browser, console,
                                                                       server_env):
    _vote_in_osh_and_try_again_at_home(server_env)
    staff_log_in(page, base_url, "cec.admin")
    _open_day(page, base_url)
    section = page.get_by_role("region", name=t("ru", "ident.stats_title"))
    for title in ("ident.turnout_title", "ident.refusals_title", "ident.districts_title", "ident.stock_title"):
        expect(section.get_by_role("table", name=t("ru", title))).to_be_visible()
    expect(page.locator("#ident-election-title")).to_contain_text(t("ru", "election.name.president").split("{")[0].strip())
    # The ballot of a district-1 voter issued in Osh: a remote ballot of district 1, stock at УИК №3011.
    expect(page.locator("#ident-districts").get_by_role("row").filter(has_text=re.compile(r"^\s*1 — "))).to_contain_text("1")
    expect(page.locator("#ident-stock").get_by_role("row").filter(has_text="УИК №3011")).to_be_visible()
    expect(page.locator("#ident-refusals").get_by_role("row").filter(has_text="УИК №2001")).to_be_visible()
    check_a11y(page)
    # Narrowed to one precinct by its number.
    page.get_by_label(t("ru", "ident.precinct_number")).fill("УИК №2001")
    page.get_by_role("button", name=t("ru", "ident.show"), exact=True).click()
    expect(page.locator("#ident-stock")).not_to_contain_text("УИК №3011")
    check_a11y(page)

    home = console.watch(browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page())
    staff_log_in(home, base_url, "uik.2001")
    _open_day(home, base_url)
    expect(home.locator("#ident-refusals").get_by_role("row").filter(has_text="УИК №2001")).to_be_visible()
    expect(home.locator("#identification")).not_to_contain_text("УИК №3011")
    check_a11y(home)
    home.context.close()
