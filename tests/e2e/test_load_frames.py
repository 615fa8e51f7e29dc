"""The load benchmark speaks as Chromium does: the same page requests and redirects, the login's
POST of its ticket, the same socket events in the same order (hashes as a list, the busy marks
around each submit)."""

from concurrent.futures import ThreadPoolExecutor

import asyncio
import pytest
from playwright.sync_api import Page

from benchmarks.browser_frames import record
from benchmarks.load import Database, Run, Stats, Tab, read_bundle


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_the_load_client_sends_what_chromium_sends_on_a_whole_journey(page: Page, base_url, server_env, viewport):
    db = Database(server_env["REFLEX_DB_URL"])
    in_browser, simulated = db.eligible_voters(400)[-2:]  # voters no other test logs in
    browser = record(page, base_url, in_browser, db)

    bundle = read_bundle(base_url)
    tab = Tab(base_url, bundle, Stats(), timeout=30)
    run = Run(base_url, bundle, db, [simulated], (0, 0), timeout=30)
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API keeps an event loop in this thread
        reference = thread.submit(asyncio.run, run.journey(tab, simulated)).result()
    assert reference
    assert any(line.startswith("connect") and "hashes=list" in line for line in browser.steps)
    # One socket per visit: the login's cookie comes from the page's own POST, not a full-page hop.
    assert [line.split()[0] for line in browser.steps if line.startswith(("connect", "http POST"))] == ["connect", "http"]
    assert "http POST /auth/session -> 204" in browser.steps
    assert tab.trace == browser.steps
