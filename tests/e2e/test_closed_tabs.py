"""A closed tab's state leaves the server after TAB_GRACE_SECONDS (8 s in these tests), on both
profiles; a tab back within the grace finds its state as it left it. Over Reflex's own socket.io
protocol, as the load benchmark speaks it: the state is what the server sends on reconnect."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.load import APP, Stats, Tab, read_bundle

PRECINCTS = f"{APP}.remote_vote_app___state___precincts____precincts_state"


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_a_closed_tabs_state_is_kept_for_the_grace_then_dropped(base_url, server_env, viewport):
    grace = float(server_env["TAB_GRACE_SECONDS"])
    tab = Tab(base_url, read_bundle(base_url), Stats(), timeout=30)

    async def region_after_reconnect(closed_for: float) -> str:
        await tab.close()
        await asyncio.sleep(closed_for)
        await tab.open("/precincts")  # the same tab token, as a reload or a reconnect sends it
        return tab.var(PRECINCTS, "region", "")  # left out of the answer when it has its initial value

    async def run() -> tuple[str, str]:
        await tab.open("/precincts")
        await tab.call(PRECINCTS, "set_region", {"value": "Ош"}, lambda r: tab.var(PRECINCTS, "region") == "Ош")
        within = await region_after_reconnect(1)
        # Dropped within one sweep (a quarter of the grace, at least 1 s) after the grace.
        after = await region_after_reconnect(grace + max(1.0, grace / 4) + 2)
        await tab.close()
        return within, after

    started = time.monotonic()
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API keeps an event loop in this thread
        within, after = thread.submit(asyncio.run, run()).result()
    assert within == "Ош"
    assert after == "", f"the state outlived its closed tab by {time.monotonic() - started:.0f} s"
