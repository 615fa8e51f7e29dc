"""The reference deployment (docs/operations.md): two app nodes, each `make run-prod` in its own
process group with its own workers, behind HAProxy (deploy/haproxy.cfg), one PostgreSQL, one Redis.
A node dies in the middle of journeys: a browser and simulated voters (benchmarks.failover) carry on
on the other node; nothing is lost, nothing is filed twice."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from benchmarks.failover import CONFIRM_WITHIN, SOURCE, Database, drive, failover_env, prepare, report
from tests.e2e.conftest import ConsoleGuard, log_in
from tests.e2e.test_faults import (_applications, _confirm_once_reconnected, _fill_and_review,
                                   _forgive_dropped_sockets, _fresh_voter)
from tests.support.server import ROOT, prepare_database
from tests.support.topology import two_nodes

pytestmark = pytest.mark.parametrize("viewport", ["desktop"], indirect=True)

VOTERS, JOURNEYS, KILL_AFTER = 12, 48, 12  # simulated voters at once, their journeys, the kill after


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    env = failover_env(tmp_path_factory.mktemp("topology") / "unused.db")
    prepare_database(env, voters=600)  # as the e2e session does; the nodes' own seed then skips
    # Under .web-tests/ (git ignores it, make clean removes it) unless the run names its own build dir.
    web_dir = os.environ.get("REFLEX_WEB_WORKDIR") or str(ROOT / ".web-tests" / "topology")
    with two_nodes(env, web_dir) as running:
        yield running


# Every page of this module is opened through the balancer, never a node's own port, and the
# session's own server (conftest's base_url) is not needed.
@pytest.fixture
def browser_context_args(viewport):
    return {"viewport": viewport, "locale": "ru-RU"}


@pytest.fixture
def console(topology) -> ConsoleGuard:
    return ConsoleGuard(topology.url)


def test_a_node_dies_in_the_middle_of_journeys(page: Page, topology, console):
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    pin, doc, voter_id = _fresh_voter()
    log_in(page, topology.url, pin, doc)
    _fill_and_review(page)  # the browser's voter is on the check page, answers given, not yet filed
    node = next(c["value"] for c in page.context.cookies() if c["name"] == "RV_NODE")  # its node

    db = Database(os.environ["REFLEX_DB_URL"])
    run = prepare(topology, db, JOURNEYS, think=(0.2, 0.6), exclude=frozenset({voter_id}))
    outcome: dict = {}

    def simulated_voters() -> None:
        try:
            outcome["result"] = asyncio.run(drive(run, topology, VOTERS, None))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = exc

    load = threading.Thread(target=simulated_voters)
    load.start()
    try:
        deadline = time.monotonic() + 120
        while len(run.stats.references) < KILL_AFTER and load.is_alive():
            assert time.monotonic() < deadline, "the simulated voters finished nothing"
            time.sleep(0.05)
        # The browser's node dies under a simulated voter's «Подтвердить» sent to it (or after 20 s).
        run.arm(node, lambda: topology.kill(node))
        run.killed.wait(CONFIRM_WITHIN)
        run.fire()
        topology.wait_for({name: "DOWN" if name == node else "UP" for name in topology.nodes})
        _forgive_dropped_sockets(console)
        _confirm_once_reconnected(page, voter_id)
        reference = page.locator("#reference").inner_text()
    finally:
        load.join(timeout=180)
    _forgive_dropped_sockets(console)
    _forgive_the_other_build(console, topology.url)
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    print(report(result))

    assert _applications(voter_id) == [reference]  # the browser's voter: filed once, on the other node
    balancer = urlsplit(topology.url).port
    assert sockets and {urlsplit(url).port for url in sockets} == {balancer}, sockets  # never a node directly
    assert result.ok, report(result)  # every simulated journey finished, each application once
    assert result.finished == JOURNEYS
    assert result.figures.reconnects > 0, "the kill met no journey in progress"
    assert result.voters_seen_from == {SOURCE}  # the voter's address, through TRUSTED_PROXY_HOPS=1


def _forgive_the_other_build(console, url: str) -> None:
    """Each node builds its own frontend, and Reflex names the files anew on every build (the build's
    time is in the bundle): a tab moved to the other node does not find there the code of a page it
    had not opened yet, and React Router reloads that page from the new node (docs/operations.md)."""
    other_build = re.compile(r"Error loading route module `/assets/[^`]+`, reloading page"
                             r"|Failed to fetch dynamically imported module: " + re.escape(url) + "/assets/")
    console.errors[:] = [e for e in console.errors if not other_build.search(e)]
