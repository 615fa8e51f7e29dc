"""Faults on the production profile (PostgreSQL, Redis, 2 Granian workers), as voters meet them:
workers killed mid-journey, Redis restarted, PostgreSQL down and back. Nothing is lost, nothing
is written twice, and what the voter reads says what happened, in their language."""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlmodel import select

from remote_vote_app import localservices
from remote_vote_app.db import session_scope
from remote_vote_app.models import Application, Election, Voter
from remote_vote_app.demo.seed import DEMO_VOTERS
from tests.e2e.conftest import log_in
from tests.e2e.fixtures import STAFF_JOURNEY_VOTERS
from tests.support.server import workers

pytestmark = pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
_taken: set[str] = {v[0] for v in DEMO_VOTERS} | {v[0] for v in STAFF_JOURNEY_VOTERS}
# A dropped socket is what these tests cause; the browser reports it, the app recovers.
_CONNECTION_NOISE = re.compile(r"websocket|socket|ERR_CONNECTION|Failed to load resource|net::", re.I)


def _fresh_voter() -> tuple[str, str, int]:
    """A register voter with an open demo election, no application (the demo seed files some) and
    whom no other journey uses."""
    with session_scope() as session:
        open_territories = select(Election.territory_id).where(Election.is_demo == True)  # noqa: E712
        applied = select(Application.voter_id)
        for voter in session.exec(select(Voter).where(Voter.territory_id.in_(open_territories),
                                                      Voter.id.not_in(applied)).order_by(Voter.id)):
            if voter.pin not in _taken:
                _taken.add(voter.pin)
                return voter.pin, voter.document_number, voter.id
    raise AssertionError("no free voter left in the e2e register")


def _applications(voter_id: int) -> list[str]:
    with session_scope() as session:
        return [a.reference for a in session.exec(select(Application).where(Application.voter_id == voter_id))]


def _fill_and_review(page: Page) -> None:
    page.get_by_role("button", name="Подать заявление").click()
    expect(page).to_have_url(re.compile(r"/apply/?$"))
    page.get_by_label("ДГ-03 — Республиканская библиотека для детей и юношества им. К. Баялинова").check()
    page.get_by_label("Электронная почта").fill("fault@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))


def _wait_until_serving(base_url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"{base_url}/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not come back")


def _forgive_dropped_sockets(console) -> None:
    console.errors[:] = [e for e in console.errors if not _CONNECTION_NOISE.search(e)]


def test_killed_workers_lose_no_application(page: Page, base_url: str, console):
    """Every worker dies while the voter is on the check page. Granian starts new ones; the voter
    either gets the reference at once or, when the tab's unsaved form did not survive, is back on
    the form still logged in. Either way one application is filed, none lost, none twice."""
    pin, doc, voter_id = _fresh_voter()
    log_in(page, base_url, pin, doc)
    _fill_and_review(page)
    pids = workers(base_url)
    assert len(pids) >= 2, pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    _wait_until_serving(base_url)
    _forgive_dropped_sockets(console)  # also if an assertion below fails: its own message tells why
    _confirm_once_reconnected(page, voter_id)
    reference = page.locator("#reference").inner_text()
    assert _applications(voter_id) == [reference]
    _forgive_dropped_sockets(console)


def _confirm_once_reconnected(page: Page, voter_id: int) -> None:
    """Press «Подтвердить» until the confirmation shows. The tab reconnects on its own time: the
    check page seen now may still turn into the form (its answers did not survive) under the click,
    and then nothing may have been filed behind the voter's back."""
    confirm = page.get_by_role("button", name="Подтвердить")
    form = page.get_by_role("heading", name="Заявление на дистанционное голосование", level=1)
    for _attempt in range(3):
        expect(confirm.or_(form)).to_be_visible(timeout=60_000)
        if not confirm.is_visible():
            assert _applications(voter_id) == []
            _fill_and_review_again(page)
        try:
            confirm.click(timeout=10_000)
        except PlaywrightTimeoutError:  # the page turned into the form under the click
            continue
        expect(page).to_have_url(re.compile(r"/(confirmation|apply)/?$"), timeout=60_000)
        if page.url.rstrip("/").endswith("/confirmation"):
            return
        assert _applications(voter_id) == []
    raise AssertionError("no confirmation after three tries")


def _fill_and_review_again(page: Page) -> None:
    expect(page.get_by_role("heading", name="Ваши данные из реестра")).to_be_visible()  # still logged in
    page.get_by_label("ДГ-03 — Республиканская библиотека для детей и юношества им. К. Баялинова").check()
    page.get_by_label("Электронная почта").fill("fault@example.kg")
    page.get_by_label("Я согласен(на) на сбор и обработку моих персональных данных").check()
    page.get_by_role("button", name="Далее").click()
    expect(page).to_have_url(re.compile(r"/apply/check/?$"))


def test_a_redis_restart_keeps_the_voter_logged_in(page: Page, base_url: str, console, tmp_path):
    pin, doc, voter_id = _fresh_voter()
    log_in(page, base_url, pin, doc)
    port = urlsplit(os.environ["REFLEX_REDIS_URL"]).port
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False)
    _url, redis = localservices.start_redis(tmp_path / "redis", port)  # every tab state is gone
    atexit.register(redis.terminate)  # it serves the rest of the run
    try:
        page.reload()
        expect(page).to_have_url(re.compile(r"/cabinet/?$"), timeout=30_000)
        expect(page.get_by_text("У вас пока нет заявлений.")).to_be_visible()
        _fill_and_review(page)  # and the journey goes on
        page.get_by_role("button", name="Подтвердить").click()
        expect(page).to_have_url(re.compile(r"/confirmation/?$"), timeout=30_000)
        assert len(_applications(voter_id)) == 1
    finally:
        _forgive_dropped_sockets(console)


def test_a_database_outage_is_explained_and_heals_by_itself(page: Page, base_url: str, console):
    pin, doc, voter_id = _fresh_voter()
    log_in(page, base_url, pin, doc)
    _fill_and_review(page)
    root, port = Path(os.environ["TEST_PG_ROOT"]), urlsplit(os.environ["TEST_DATABASE_URL"]).port
    localservices.stop_postgres(root)
    try:
        page.get_by_role("button", name="Подтвердить").click()
        expect(page.get_by_role("alert")).to_contain_text("Сервис временно недоступен")
        expect(page).to_have_url(re.compile(r"/apply/check/?$"))  # the answers are still here
    finally:
        localservices.start_postgres(root, port, durable=False)
    assert _applications(voter_id) == []  # nothing half-written
    page.get_by_role("button", name="Подтвердить").click()  # the same click, once it is back
    expect(page).to_have_url(re.compile(r"/confirmation/?$"), timeout=30_000)
    assert len(_applications(voter_id)) == 1
    _forgive_dropped_sockets(console)
