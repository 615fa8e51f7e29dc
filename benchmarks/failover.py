"""A node dies in the middle of journeys: the voters behind the balancer carry on on the other node.

    .venv/bin/python -m benchmarks.failover                 # own PostgreSQL + Redis, 2 nodes, HAProxy
    .venv/bin/python -m benchmarks.failover --voters 40 --journeys 120 --kill-after 30

The reference deployment (deploy/haproxy.cfg, docs/operations.md) on this machine: two nodes as two
machines run them (`make run-prod`, each its own process group and Granian workers), one PostgreSQL,
one Redis, Debian's HAProxy in front. Simulated voters (benchmarks.load's tabs, over the balancer
only, from 127.0.0.2) do whole journeys; once `--kill-after` of them have finished, one node's whole
process group is killed (SIGKILL). A voter whose socket drops does what the browser's socket client
does: it reconnects (same tab token, same cookies; the balancer sends it to the node still up) and
goes on from the page it is on, as the server now shows it. A reply that never came (the node died
with it) is not taken as an answer: the voter looks again (its cabinet lists what was filed).

Passes when every journey finished with a reference, every voter who started has exactly the one
application whose reference it was shown (none lost, none twice, none unseen), and the app recorded
the voters' own address (X-Forwarded-For through TRUSTED_PROXY_HOPS=1), not the balancer's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

os.environ.setdefault("DEMO_MODE", "1")

import httpx  # noqa: E402
from websockets.exceptions import WebSocketException  # noqa: E402

from benchmarks.load import (APP, APPLY, LOGIN, Database, JourneyError, Reply, Run, Tab, Voter, form, form_choice,  # noqa: E402
                             read_bundle, redirected)
from tests.support.server import ROOT, app_env, prepare_database  # noqa: E402
from tests.support.topology import Topology, two_nodes  # noqa: E402

CABINET = f"{APP}.remote_vote_app___state___cabinet____cabinet_state"
SOURCE = "127.0.0.2"  # the voters' address: the app must see it, not the balancer's 127.0.0.1
RECONNECT_WITHIN = 30.0  # seconds a tab keeps trying, as the browser's client backs off and retries
STEPS_PER_JOURNEY = 40  # a journey that takes more steps than this is going round in circles
CONFIRM_WITHIN = 20.0  # seconds an armed kill waits for a «Подтвердить» to its node


class Dropped(Exception):
    """The tab's socket went away (its node died): reconnect and look where the tab is."""


@dataclass
class Figures:
    reconnects: int = 0  # sockets opened again after a drop
    resumed: int = 0  # journeys that finished after at least one reconnect
    from_cabinet: int = 0  # references read in the cabinet (the reply to «Подтвердить» was lost)
    seconds_to_reconnect: list[float] = field(default_factory=list)
    dropped_on: Counter = field(default_factory=Counter)  # the page a tab was on when its socket dropped
    kill_moment: str = "between events"  # or under a «Подтвердить», its answer read by the tab or not yet


class FailoverRun(Run):
    """benchmarks.load's journey, driven by the page the tab is on, so it can resume anywhere."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = Figures()
        self.killed = threading.Event()
        self._armed: tuple[str, Callable[[], None]] | None = None
        self._firing = threading.Lock()  # the run's loop and a test's thread may both fire

    def arm(self, node: str, kill: Callable[[], None]) -> None:
        """`kill` the balancer's server `node` the moment the application a tab on it has sent
        «Подтвердить» for is filed, before the tab has its answer: the hardest case (filed, and the
        voter never heard)."""
        self._armed = (node, kill)

    def fire(self) -> None:
        """Kill the armed node now (no confirmation came in time)."""
        with self._firing:
            if self._armed is not None:
                _node, kill = self._armed
                self._armed = None
                kill()
                self.killed.set()

    async def _confirm(self, tab: Tab, voter: Voter) -> Reply:
        confirm = tab.submit("confirm", APPLY, "confirm", None, redirected)
        if self._armed is None or tab.cookies.get("RV_NODE") != self._armed[0]:
            return await self._step(tab, confirm)
        sent = asyncio.ensure_future(confirm)
        frames = tab.events + (3 if "confirm" in tab.bundle.busy else 1)  # with begin_busy / end_busy
        while tab.events < frames and not sent.done():
            await asyncio.sleep(0)
        # The moment the application is in the database (the answer is then on its way), or 2 s on.
        await asyncio.to_thread(self._wait_filed, voter.id, time.monotonic() + 2)
        self.figures.kill_moment = ("just after a «Подтвердить» was answered" if sent.done()
                                    else "under a «Подтвердить», its answer not yet read")
        self.fire()
        return await self._step(tab, sent)

    def _wait_filed(self, voter_id: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.db._rows("SELECT COUNT(*) FROM application WHERE voter_id = :v", v=voter_id)[0][0]:
                return
            time.sleep(0.001)

    async def _step(self, tab: Tab, coro):
        """One step; a dropped socket (or the balancer refusing while no node answers) is `Dropped`."""
        try:
            return await coro
        except (WebSocketException, OSError, httpx.TransportError, JourneyError) as exc:
            if isinstance(exc, JourneyError) and tab.reader is not None and not tab.reader.done() \
                    and "closed" not in str(exc) and "HTTP 50" not in str(exc):
                raise  # the socket is fine: a real failure of the journey
            raise Dropped(str(exc)) from exc

    async def _reconnect(self, tab: Tab) -> None:
        start = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:  # the socket again, or the whole page when its HTML did not come
                reply = await (tab._connect(tab.path) if tab.path else tab.open("/"))
                break
            except (WebSocketException, OSError, httpx.TransportError, JourneyError, TimeoutError) as exc:
                if time.monotonic() - start > RECONNECT_WITHIN:
                    raise JourneyError(f"no reconnect in {RECONNECT_WITHIN:g} s: {exc}") from exc
                await asyncio.sleep(0.2 * min(attempt, 10))  # the browser's back-off
        self.figures.reconnects += 1
        self.figures.seconds_to_reconnect.append(time.monotonic() - start)
        if reply.redirect is not None:
            await self._step(tab, tab.follow(reply))

    async def journey(self, tab: Tab, voter: Voter) -> str:
        dropped = False
        for _ in range(STEPS_PER_JOURNEY):
            try:
                reference = await (self._at(tab, voter) if tab.path else self._opened(tab))
            except Dropped:
                dropped = True
                self.figures.dropped_on[tab.route if tab.path else "(page load)"] += 1
                await self._reconnect(tab)
                continue
            if reference:
                self.figures.resumed += dropped
                return reference
            await self.pause()
        raise JourneyError(f"no confirmation after {STEPS_PER_JOURNEY} steps, on {tab.path}")

    async def _opened(self, tab: Tab) -> str:
        await self._step(tab, tab.open("/"))
        return ""

    async def _at(self, tab: Tab, voter: Voter) -> str:
        """What the voter does on the page the tab shows; the reference once one is shown."""
        route = tab.route
        if route == "/":
            await self._step(tab, tab.navigate("/login"))
        elif route == "/login":
            if tab.var(LOGIN, "step") == "code":
                code = await asyncio.to_thread(self.db.sms_code, voter.phone)
                reply = await self._step(tab, tab.submit("verify-code", LOGIN, "verify", form(code=code), redirected))
                await self._step(tab, tab.follow(reply))
            else:
                await self._step(tab, tab.submit("get-code", LOGIN, "start", form(pin=voter.pin, document=voter.document),
                                                 lambda r: tab.var(LOGIN, "step") == "code" or redirected(r)))
        elif route == "/cabinet":
            filed = [a["reference"] for a in tab.var(CABINET, "applications", []) if a.get("reference")]
            if filed:  # filed before the node died, the answer lost with it: the cabinet shows it
                self.figures.from_cabinet += 1
                return filed[0]
            await self._step(tab, tab.follow(await self._step(tab, tab.call(APPLY, "start_new", None, redirected))))
        elif route == "/apply":
            await self._fill(tab, voter)
        elif route == "/apply/check":
            reply = await self._confirm(tab, voter)
            reference = tab.var(APPLY, "confirmation", {}).get("reference", "")
            await self._step(tab, tab.follow(reply))
            if tab.route == "/confirmation" and reference:
                return reference
        elif route == "/confirmation":
            if reference := tab.var(APPLY, "confirmation", {}).get("reference", ""):
                return reference
            await self._step(tab, tab.navigate("/cabinet"))  # a reconnect's fresh tab: the cabinet lists it
        else:
            raise JourneyError(f"unexpected page {tab.path}")
        return ""

    async def _fill(self, tab: Tab, voter: Voter) -> None:
        election, precinct = form_choice(tab, voter)
        await self._step(tab, tab.call(APPLY, "choose_precinct", {"precinct_id": precinct},
                                       lambda r: tab.var(APPLY, "precinct_id") == precinct))
        await self.pause()
        fields = form(election=election, precinct=precinct, email=f"voter{voter.id}@example.kg",
                      phone=tab.var(APPLY, "phone") or voter.phone, consent=True)
        await self._step(tab, tab.follow(await self._step(tab, tab.submit("continue", APPLY, "review_answers", fields,
                                                                          redirected))))


@dataclass
class Result:
    finished: int
    errors: dict[str, int]
    error_samples: list[str]
    problems: list[str]
    figures: Figures
    killed_at: float  # seconds into the run
    seconds: float
    voters_seen_from: set[str]
    new_tokens: int = 0

    @property
    def ok(self) -> bool:
        # The app must have seen the voters' own address (X-Forwarded-For, TRUSTED_PROXY_HOPS=1).
        return not (self.errors or self.problems) and self.voters_seen_from == {SOURCE}


def check(run: FailoverRun) -> list[str]:
    """The run's voters' applications against what the voters were shown: each voter who started a
    journey has exactly the one application whose reference the journey ended on."""
    started = [voter.id for voter in run.voters[:run.stats.started]]
    filed: dict[int, list[str]] = {}
    for voter_id, reference in run.db._chunked("SELECT voter_id, reference FROM application WHERE voter_id IN ({})",
                                                started):
        filed.setdefault(voter_id, []).append(reference)
    problems = []
    if twice := [v for v, refs in filed.items() if len(refs) > 1]:
        problems.append(f"{len(twice)} voters have more than one application")
    if lost := set(run.stats.references) - {r for refs in filed.values() for r in refs}:
        problems.append(f"{len(lost)} references shown to voters are not in the database")
    if unseen := {r for refs in filed.values() for r in refs} - set(run.stats.references):
        problems.append(f"{len(unseen)} applications filed that no voter was shown")
    if len(set(run.stats.references)) != len(run.stats.references):
        problems.append("a reference was shown to two journeys")
    if unfinished := run.stats.started - len(run.stats.references):
        problems.append(f"{unfinished} journeys did not finish")
    return problems


def audited_clients(db: Database, voter_ids: list[int]) -> set[str]:
    """The client addresses the app recorded for these voters' login codes (audit)."""
    rows = db._chunked("SELECT details FROM auditevent WHERE action = 'auth.sms.code_sent' AND actor IN ({})",
                       [f"voter:{v}" for v in voter_ids])
    return {json.loads(row[0]).get("client", "") for row in rows}


def prepare(topology: Topology, db: Database, journeys: int, think: tuple[float, float],
            exclude: frozenset[int] = frozenset()) -> FailoverRun:
    """The run's register voters (none of `exclude`: a browser test's own voter)."""
    pool = [v for v in db.eligible_voters(journeys + len(exclude)) if v.id not in exclude][:journeys]
    if len(pool) < journeys:
        raise SystemExit(f"only {len(pool)} register voters can still apply; seed more")
    # From one node: each node's build names its files differently, and these plain requests carry no
    # balancer cookie to keep them on one node (the tabs' requests do).
    bundle = read_bundle(next(iter(topology.nodes.values())))
    return FailoverRun(topology.url, bundle, db, pool, think, timeout=30, limit=journeys)


async def drive(run: FailoverRun, topology: Topology, voters: int, kill_after: int | None,
                victim: str = "node1") -> Result:
    """`voters` voters do the run's journeys; once `kill_after` have finished, `victim` dies under
    the next «Подтвердить» sent to it (None: the caller arms the run itself, e.g. for the node a
    browser is on)."""
    start = time.monotonic()
    killed_at = [0.0]

    async def killer() -> None:
        while len(run.stats.references) < kill_after:
            await asyncio.sleep(0.05)
        run.arm(victim, lambda: topology.kill(victim))
        await asyncio.to_thread(run.killed.wait, CONFIRM_WITHIN)
        run.fire()  # no confirmation reached it in time: now
        killed_at[0] = time.monotonic() - start
        await asyncio.to_thread(topology.wait_for, {name: ("DOWN" if name == victim else "UP") for name in topology.nodes})

    kill = asyncio.create_task(killer()) if kill_after is not None else None
    original, Tab.source = Tab.source, SOURCE  # every tab of the run connects from the voters' address
    try:
        await asyncio.gather(*(run.voter_loop(i * 0.1) for i in range(voters)))
    finally:
        Tab.source = original
    seconds = time.monotonic() - start
    problems = check(run)
    if kill is not None and not kill.done():
        kill.cancel()
        problems.append(f"the run ended before {kill_after} journeys had finished: no node was killed")
    elif kill is not None:
        await kill
    stats = run.stats
    return Result(len(stats.references), stats.errors, stats.error_samples, problems, run.figures, killed_at[0],
                  seconds, audited_clients(run.db, stats.voter_ids), stats.new_tokens)


def report(result: Result) -> str:
    f = result.figures
    lines = [
        f"failover: {result.finished} journeys finished in {result.seconds:.1f} s"
        + (f", node killed at {result.killed_at:.1f} s; " if result.killed_at else "; ") +
        f"{sum(result.errors.values())} errors; {f.reconnects} reconnects "
        f"({max(f.seconds_to_reconnect, default=0):.1f} s the longest), {f.resumed} journeys finished after one, "
        f"{f.from_cabinet} references read in the cabinet (the answer lost with the node); the node died "
        f"{f.kill_moment}",
        f"  dropped on: {', '.join(f'{page} {n}' for page, n in sorted(f.dropped_on.items())) or 'nothing'}; "
        f"{result.new_tokens} sockets were given a fresh tab token (the dead node's registration of the old one is "
        "still in Redis)",
        f"  the app saw the voters at {', '.join(sorted(result.voters_seen_from)) or 'nothing audited'}",
        "  database: " + ("; ".join(result.problems) or "every reference once, no voter twice, nothing else filed"),
    ]
    lines += [f"  error: {sample}" for sample in result.error_samples]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=24, help="simulated voters at once")
    parser.add_argument("--journeys", type=int, default=72, help="journeys in all")
    parser.add_argument("--kill-after", type=int, default=24, help="kill a node once this many journeys finished")
    parser.add_argument("--think", default="0.2-0.6", help="MIN-MAX seconds between a voter's steps")
    args = parser.parse_args()
    low, _, high = args.think.partition("-")
    from tests.support import services

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rv-failover-")))
        os.environ["TEST_DATABASE_URL"], _root = stack.enter_context(services.postgres())
        os.environ["REFLEX_REDIS_URL"] = os.environ["RATE_LIMIT_STORAGE_URI"] = stack.enter_context(services.redis())
        env = failover_env(workdir / "unused.db")
        print("starting PostgreSQL, Redis, two nodes (each builds its frontend) and HAProxy", flush=True)
        t0 = time.monotonic()
        prepare_database(env, voters=max(600, args.journeys * 3))
        web_dir = os.environ.get("REFLEX_WEB_WORKDIR") or str(ROOT / ".web-tests" / "failover")
        topology = stack.enter_context(two_nodes(env, web_dir))
        print(f"  ready in {time.monotonic() - t0:.0f} s: {topology.url} -> {topology.nodes}", flush=True)
        run = prepare(topology, Database(env["REFLEX_DB_URL"]), args.journeys, (float(low), float(high or low)))
        result = asyncio.run(drive(run, topology, args.voters, args.kill_after))
        print(report(result))
        print("OK" if result.ok else "FAILED")
    sys.exit(0 if result.ok else 1)


def failover_env(db_path: Path) -> dict[str, str]:
    """The nodes' environment: every simulated voter comes from one address, so the per-client login
    limits are raised as benchmarks.load raises them."""
    return app_env(db_path, LOGIN_LIMIT_PER_CLIENT="1000000/hour", LOGIN_LIMIT_PER_PIN="1000/minute",
                   LOGIN_THROTTLE_TIERS="1000/minute", LOGIN_THROTTLE_CEILING="1000000/day",
                   LOGIN_SENDS_CEILING="1000000/hour", LOGIN_SENDS_PER_PHONE="1000/minute")


if __name__ == "__main__":
    main()
