"""Identification load: many desks at many precincts identifying distinct voters of a
1,000,000-voter register on the production profile (PostgreSQL + Redis + Granian workers).

    .venv/bin/python -m benchmarks.identify                       # make bench-identify
    .venv/bin/python -m benchmarks.identify --desks 200 --lanes 32 --duration 40 --workers 2

Starts its own PostgreSQL and Redis (tests.support.services), migrates and seeds the demo data (the
country set and the identification-mode election), generates the synthetic register
(benchmarks/register.py), creates `--desks` station members at as many precincts spread over every
region and abroad (staff sessions made by services.identity.sessions, as the unit tests' cookies are), and
serves the app as `make run-prod` does. Then `--lanes` concurrent clients identify voters back to
back over HTTP for `--duration` seconds: POST /staff/identification/check, and /issue when the check
says a ballot may be issued, each time at a random desk. A share of attempts (`--repeat`) is the same
voter at two desks of different precincts at the same moment. Halfway through, one Granian worker is
killed (SIGKILL); clients retry a request that failed on the connection.

Printed: identifications/s (an identification is a check, plus the issue when the check allows one),
p50/p95/p99 per answer and per identification, the CPU per identification of the server, of
PostgreSQL and of this load generator (all three share the machine's cores), and the journey
benchmark's do-nothing floor (benchmarks.load's `floor`, measured on the same server afterwards). The
target scales with that floor: 200/s × min(1, 16 / floor ms), p95 of every answer under 300 ms.
Then the database is checked: at most one ballot per voter, every `issue` answer a client received
is a ballot at that desk's precinct with its decision, every refusal's decision kept, and no ballot
the clients were not told about. Exit status 1 on any loss, double ballot or missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("DEMO_MODE", "1")  # the app's settings module refuses to load without it or SECRET_KEY

import json as _json  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from benchmarks import register  # noqa: E402
from benchmarks.load import ServerProcesses, floor, percentile, read_bundle  # noqa: E402
from tests.support.server import SERVERS, app_env, prepare_database, running_app, workers  # noqa: E402

TARGET_RATE = 200.0  # identifications/s on a machine whose floor is 16 ms (issue 21)
FLOOR_MS = 16.0
TARGET_P95_MS = 300.0
RETRY_PAUSE = 0.2  # seconds between retries of a request that failed on the connection


@dataclass(frozen=True)
class Desk:
    staff_id: int
    precinct_id: int
    number: str
    cookie: str


@dataclass
class Attempt:
    """One desk identifying one voter: what the client was told."""

    desk: Desk
    voter: int  # synthetic voter number
    twin: bool
    check: dict | None = None
    issue: dict | None = None
    retried: bool = False  # a request of this attempt was sent again after a connection error
    failed: str = ""  # no answer at all (the run's grace is over)


@dataclass
class Results:
    attempts: list[Attempt] = field(default_factory=list)
    latency: dict[str, list[float]] = field(default_factory=dict)
    connection_errors: int = 0
    http_errors: Counter = field(default_factory=Counter)

    measure_from: float = 0.0  # answers before this instant (the warm-up) are checked but not timed

    def timed(self, name: str, ms: float) -> None:
        if time.monotonic() >= self.measure_from:
            self.latency.setdefault(name, []).append(ms)


# --- preparing the database ---

def create_desks(url: str, election_id: int, count: int) -> list[Desk]:
    """`count` station members at as many precincts of the election, spread evenly over the list
    (every region's districts, and abroad), each with a live staff session. The first account is
    made by services.identity.staff; the others copy its password hash (argon2 once, not `count` times)."""
    from sqlmodel import Session

    from remote_vote_app.db import get_engine
    from remote_vote_app.models import DistrictPrecinct, Precinct, StaffAccount
    from remote_vote_app.services.identity import sessions, staff

    with Session(get_engine(url)) as session:
        rows = session.execute(sa.select(Precinct.id, Precinct.number).join(
            DistrictPrecinct, DistrictPrecinct.precinct_id == Precinct.id).where(
            DistrictPrecinct.election_id == election_id, Precinct.kind == "station").order_by(Precinct.id)).all()
        rows = rows[::max(1, len(rows) // count)][:count]
        first = staff.create_account(session, "bench.desk0", "Bench desk 0", "bench-desk-password", "station_member",
                                     precinct_number=rows[0][1], actor="system:bench")
        session.execute(sa.insert(StaffAccount), [
            {"username": f"bench.desk{n}", "full_name": f"Bench desk {n}", "password_hash": first.password_hash,
             "role": "station_member", "precinct_id": precinct_id} for n, (precinct_id, _) in enumerate(rows) if n])
        ids = dict(session.execute(sa.select(StaffAccount.username, StaffAccount.id)
                                   .where(StaffAccount.username.startswith("bench.desk"))).all())
        desks = []
        for n, (precinct_id, number) in enumerate(rows):
            started = sessions.start(session, "staff", ids[f"bench.desk{n}"], "password_totp", "127.0.0.1")
            sid = sessions.exchange(session, started.ticket, started.binding).sid
            desks.append(Desk(ids[f"bench.desk{n}"], precinct_id, number, f"{sessions.COOKIE['staff']}={sid}"))
        session.commit()
    return desks


def identification_election(url: str) -> int:
    with sa.create_engine(url).connect() as conn:
        return conn.execute(sa.text("SELECT id FROM election WHERE mode = 'identification' ORDER BY id LIMIT 1")).scalar_one()


# --- the load ---

class TransportError(Exception):
    """No answer on the connection (a killed worker, a timeout)."""


@dataclass
class Reply:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        return _json.loads(self.content)


TRANSPORT_ERRORS = (TransportError,)


class Client:
    """Keep-alive HTTP/1.1 connections (one per request in flight: a lane's twin attempts run at
    once), POST with a JSON body and a Content-Length answer: what the load needs and no more.
    httpx cost 1.1 ms of this process's CPU per request (measured against a Granian serving a
    constant answer), about 2 ms per identification taken from the same two cores the server and
    PostgreSQL run on; this costs 0.06 ms. Desks are other machines."""

    def __init__(self, base: str, timeout: float):
        parts = urlsplit(base)
        self.host, self.port, self.netloc, self.timeout = parts.hostname, parts.port or 80, parts.netloc, timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_exc) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()

    async def post(self, path: str, json: dict, headers: dict[str, str]) -> Reply:
        connection = self.idle.pop() if self.idle else None
        try:
            if connection is None:
                connection = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
            reply, keep = await asyncio.wait_for(self._post(*connection, path, json, headers), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError) as exc:
            if connection is not None:
                connection[1].close()
            raise TransportError(type(exc).__name__) from exc
        if keep:
            self.idle.append(connection)
        else:
            connection[1].close()
        return reply

    async def _post(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, body: dict,
                    headers: dict[str, str]) -> tuple[Reply, bool]:
        data = _json.dumps(body).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nhost: {self.netloc}\r\ncontent-type: application/json\r\n"
                     f"content-length: {len(data)}\r\n{head}\r\n".encode() + data)
        status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        length, keep = 0, True
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                keep = value.strip().lower() != b"close"
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not expected here")
        return Reply(status, await reader.readexactly(length)), keep


class Load:
    def __init__(self, base: str, election_id: int, desks: list[Desk], voters: int, repeat: float, timeout: float,
                 seed: int):
        self.base, self.election_id, self.desks = base, election_id, desks
        self.voters, self.repeat, self.timeout = voters, repeat, timeout
        self.rng = random.Random(seed)
        # Distinct voters in a scattered order: k -> (k * stride) mod N, stride coprime with N.
        self.stride = next(s for s in range(self.voters // 3 + 7, self.voters) if _gcd(s, self.voters) == 1)
        self.k = 0
        self.results = Results()
        self.deadline = 0.0
        self.grace = 0.0  # after the deadline, requests in flight may still retry until then

    def next_voter(self) -> int:
        self.k += 1
        return self.k * self.stride % self.voters + 1

    async def post(self, client, attempt: Attempt, action: str, body: dict) -> dict | None:
        """The answer of one request; a request that fails on the connection (a killed worker) is sent
        again, as the desk page does; an HTTP error is recorded and gives None."""
        headers = {"cookie": attempt.desk.cookie, "origin": self.base}
        while True:
            started = time.perf_counter()
            try:
                response = await client.post(f"/staff/identification/{action}", json=body, headers=headers)
            except TRANSPORT_ERRORS:
                self.results.connection_errors += 1
                attempt.retried = True
                if time.monotonic() > self.grace:
                    attempt.failed = f"{action}: no answer before the grace ended"
                    return None
                await asyncio.sleep(RETRY_PAUSE)
                continue
            self.results.timed(action, (time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                self.results.http_errors[f"{action} {response.status_code} {response.text[:80]}"] += 1
                return None
            return response.json()["answer"]

    async def identify(self, client, desk: Desk, voter: int, twin: bool) -> None:
        attempt = Attempt(desk, voter, twin)
        self.results.attempts.append(attempt)
        pin, document = register.voter(voter)
        body = {"election_id": self.election_id, "pin": pin, "document": document}
        started = time.perf_counter()
        attempt.check = await self.post(client, attempt, "check", body)
        if attempt.check and attempt.check["outcome"] == "issue":
            attempt.issue = await self.post(client, attempt, "issue", {**body, "shown": attempt.check["message_key"]})
        if not attempt.failed:
            self.results.timed("identification", (time.perf_counter() - started) * 1000)

    async def lane(self) -> None:
        async with Client(self.base, self.timeout) as client:
            while time.monotonic() < self.deadline:
                voter, desk = self.next_voter(), self.rng.choice(self.desks)
                if self.rng.random() < self.repeat:  # the same voter at another precinct, at the same moment
                    other = self.rng.choice([d for d in self.desks if d.precinct_id != desk.precinct_id])
                    await asyncio.gather(self.identify(client, desk, voter, True), self.identify(client, other, voter, True))
                else:
                    await self.identify(client, desk, voter, False)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


async def kill_one_worker(base: str, at: float, killed: list[int]) -> None:
    await asyncio.sleep(at)
    found = workers(base)
    if found:
        os.kill(found[-1], signal.SIGKILL)
        killed.append(found[-1])
        print(f"  killed worker {found[-1]} (SIGKILL) at {at:.0f} s, of {len(found)} workers", flush=True)


# --- the database's word ---

def verify(url: str, election_id: int, results: Results) -> list[str]:
    """What the clients were told against what the database holds."""
    problems: list[str] = []
    by_voter: dict[int, list[Attempt]] = {}
    for a in results.attempts:
        by_voter.setdefault(a.voter, []).append(a)
    accepted: dict[int, Attempt] = {}  # synthetic voter -> the attempt that was told "issue"
    for voter, attempts in by_voter.items():
        issued = [a for a in attempts if a.issue and a.issue["outcome"] == "issue"]
        # A retried issue whose first send committed answers "voted" here, at this desk: accepted too.
        issued += [a for a in attempts if a.retried and a.issue and a.issue["outcome"] == "voted"
                   and a.issue["voted_precinct"] == a.desk.number and a not in issued]
        if len(issued) > 1:
            problems.append(f"voter {voter}: {len(issued)} desks were told to issue a ballot")
        if issued:
            accepted[voter] = issued[0]
        for a in attempts:
            told = a.issue or a.check
            if told and told["outcome"] == "voted" and not (a.twin or a.retried):
                problems.append(f"voter {voter}: 'voted' told to a single, unretried attempt")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        doubles = conn.execute(sa.text("SELECT COUNT(*) FROM (SELECT voter_id FROM identifiedballot "
                                       "WHERE election_id = :e GROUP BY voter_id HAVING COUNT(*) > 1) AS d"),
                               {"e": election_id}).scalar_one()
        if doubles:
            problems.append(f"{doubles} voters hold more than one ballot")
        ballots = {doc: (precinct_id, staff_id, decision_id) for doc, precinct_id, staff_id, decision_id in conn.execute(
            sa.text("SELECT v.document_number, b.precinct_id, b.staff_id, b.decision_id FROM identifiedballot AS b "
                    "JOIN voter AS v ON v.id = b.voter_id WHERE b.election_id = :e"), {"e": election_id})}
        decisions = dict(conn.execute(sa.text("SELECT id, outcome FROM identificationdecision WHERE election_id = :e"),
                                      {"e": election_id}).all())
    lost = 0
    for voter, a in accepted.items():
        found = ballots.get(register.voter(voter)[1])
        if found is None or found[:2] != (a.desk.precinct_id, a.desk.staff_id):
            lost += 1
        elif a.issue["outcome"] == "issue" and decisions.get(a.issue["decision_id"]) != "issue":
            lost += 1
    if lost:
        problems.append(f"{lost} accepted identifications not recorded as told")
    unknown = len(set(ballots) - {register.voter(v)[1] for v in accepted})
    if unknown:
        problems.append(f"{unknown} ballots in the database that no client was told about")
    refusals = [told for a in results.attempts for told in (a.issue or a.check,) if told and told["outcome"] != "issue"]
    missing = sum(1 for told in refusals if decisions.get(told["decision_id"]) != told["outcome"])
    if missing:
        problems.append(f"{missing} refusals told to a desk without their decision")
    failed = [a for a in results.attempts if a.failed]
    if failed:
        problems.append(f"{len(failed)} attempts got no answer ({failed[0].failed})")
    print(f"database: {len(ballots)} ballots, {len(accepted)} accepted identifications, "
          f"{len(decisions)} decisions, {doubles} voters with two ballots, {len(refusals)} refusals told")
    return problems


# --- the run ---

def print_latency(latency: dict[str, list[float]]) -> None:
    print(f"  {'answer':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, values in latency.items():
        print(f"  {name:<16}{len(values):>7}" + "".join(f"{percentile(values, q):>9.1f}" for q in (50, 95, 99, 100)))


async def measure(args, base: str, url: str, election_id: int, desks: list[Desk], pg_root: Path) -> int:
    server = ServerProcesses.find(urlsplit(base).port or 80, SERVERS[base].pid)
    # The rest of the work per identification on the same cores: PostgreSQL's processes and this
    # load generator; on a shared machine the three together bound the rate.
    postgres = ServerProcesses(int((pg_root / "data" / "postmaster.pid").read_text().split()[0]))
    load = Load(base, election_id, desks, args.voters, args.repeat, args.timeout, args.seed)
    killed: list[int] = []
    print(f"load: {args.lanes} lanes over {len(desks)} desks, {args.duration:.0f} s after {args.warmup:.0f} s of warm-up, {args.repeat:.0%} twin attempts, "
          f"{args.workers} workers; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
          "(a shared machine: read the rate against the floor below)", flush=True)
    warm = time.monotonic()
    start = load.results.measure_from = warm + args.warmup
    load.deadline = start + args.duration
    load.grace = load.deadline + 60
    jobs = [load.lane() for _ in range(args.lanes)]
    if args.kill:
        jobs.append(kill_one_worker(base, args.warmup + args.duration / 2, killed))

    async def cpu_at_start() -> tuple[float, float, float]:
        await asyncio.sleep(args.warmup)
        return server.sample()[0], postgres.sample()[0], time.process_time()

    (cpu0, pg0, own0), *_ = await asyncio.gather(cpu_at_start(), *jobs)
    elapsed = time.monotonic() - start
    cpu1, pg1, own1 = server.sample()[0], postgres.sample()[0], time.process_time()
    results = load.results
    done = len(results.latency.get("identification", []))
    rate = done / elapsed
    outcomes = Counter((a.issue or a.check or {}).get("outcome", "none") for a in results.attempts)
    print(f"identifications: {done} in {elapsed:.1f} s = {rate:.1f}/s; outcomes {dict(outcomes)}; "
          f"{sum(a.twin for a in results.attempts)} twin attempts; {results.connection_errors} connection errors "
          f"retried; CPU per identification: server {(cpu1 - cpu0) / max(done, 1) * 1000:.1f} ms (Granian processes), "
          f"PostgreSQL {(pg1 - pg0) / max(done, 1) * 1000:.1f} ms, load generator {(own1 - own0) / max(done, 1) * 1000:.1f} ms")
    print_latency(results.latency)
    for error, n in results.http_errors.items():
        print(f"  HTTP error ×{n}: {error}")
    after_kill = len(workers(base))
    if killed:
        print(f"  workers after the kill: {after_kill} (Granian respawns a dead worker)")

    problems = verify(url, election_id, results)
    if results.http_errors:
        problems.append(f"{sum(results.http_errors.values())} HTTP errors")

    floor_ms = 0.0
    if args.floor > 0:
        bundle = read_bundle(base)
        f0, _ = server.sample()
        empty, runs = await floor(base, bundle, 20, args.floor, args.timeout)
        f1, _ = server.sample()
        floor_ms = (f1 - f0) / runs * 1000 if runs else 0.0
        print(f"floor: {runs} journey-shaped runs that do nothing in {args.floor:.0f} s: server CPU {floor_ms:.1f} ms per run"
              + (f" ({sum(empty.errors.values())} errors)" if empty.errors else ""))
    scale = min(1.0, FLOOR_MS / floor_ms) if floor_ms else 1.0
    target = TARGET_RATE * scale
    p95 = max(percentile(results.latency[name], 95) for name in ("check", "issue") if results.latency.get(name))
    met = rate >= target and p95 < TARGET_P95_MS
    print(f"target: {TARGET_RATE:.0f}/s × min(1, {FLOOR_MS:.0f} / {floor_ms:.1f} ms) = {target:.1f}/s with p95 < "
          f"{TARGET_P95_MS:.0f} ms per answer; measured {rate:.1f}/s, p95 {p95:.0f} ms: {'PASS' if met else 'FAIL'}")
    print(f"\n| identification load, {args.workers} workers, {args.lanes} lanes, {len(desks)} desks, "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} | |\n|---|---:|")
    table = {"identifications/s": f"{rate:.1f}", "server CPU per identification, ms": f"{(cpu1 - cpu0) / max(done, 1) * 1000:.1f}",
             "PostgreSQL / load generator CPU per identification, ms":
                 f"{(pg1 - pg0) / max(done, 1) * 1000:.1f} / {(own1 - own0) / max(done, 1) * 1000:.1f}",
             **{f"{name} p50 / p95 / p99, ms": " / ".join(f"{percentile(v, q):.0f}" for q in (50, 95, 99))
                for name, v in results.latency.items()},
             "floor (same run), ms": f"{floor_ms:.1f}", "target, identifications/s": f"{target:.1f}",
             "double ballots / lost decisions": "0 / 0" if not problems else "see problems"}
    for name, value in table.items():
        print(f"| {name} | {value} |")
    print()
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("nothing lost, no double ballot" if not problems else "FAILED")
    return 1 if problems or not met else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000, help="register size (default 1,000,000)")
    parser.add_argument("--desks", type=int, default=200, help="desk accounts, one per precinct (default 200)")
    parser.add_argument("--lanes", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--duration", type=float, default=40, help="seconds of load (default 40)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the timing starts (default 5)")
    parser.add_argument("--repeat", type=float, default=0.05, help="share of twin attempts (default 0.05)")
    parser.add_argument("--workers", type=int, default=2, help="Granian workers (default 2)")
    parser.add_argument("--floor", type=float, default=10, help="seconds of the do-nothing floor run (0: none)")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="do not kill a worker halfway")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for one answer")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()

    from tests.support import services

    with ExitStack() as stack:
        db_path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rv-identify-"))) / "unused.db"
        os.environ["TEST_DATABASE_URL"], pg_root = stack.enter_context(services.postgres(durable=True))
        os.environ["REFLEX_REDIS_URL"] = os.environ["RATE_LIMIT_STORAGE_URI"] = stack.enter_context(services.redis())
        os.environ["E2E_WORKERS"] = str(args.workers)
        env = app_env(db_path)
        url = env["REFLEX_DB_URL"]
        print(f"starting the production profile, {args.workers} workers; demo data", flush=True)
        t0 = time.perf_counter()
        prepare_database(env, voters=100)
        print(f"  migrated and seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        print(f"  {args.voters} synthetic voters in {register.generate(args.voters, url):.1f} s", flush=True)
        election_id = identification_election(url)
        t0 = time.perf_counter()
        desks = create_desks(url, election_id, args.desks)
        print(f"  {len(desks)} desk accounts with live sessions in {time.perf_counter() - t0:.1f} s", flush=True)
        base = stack.enter_context(running_app(env))
        status = asyncio.run(measure(args, base, url, election_id, desks, pg_root))
    sys.exit(status)


if __name__ == "__main__":
    main()
