"""CPU and round trips per identification, in one process: a bounded loop over the desk's HTTP
routes (the production middleware around them, httpx's ASGI transport, no sockets) against a
PostgreSQL of its own, for comparing changes to the hot path on a shared machine where the rate of
`make bench-identify` says more about the neighbours than about the code.

    .venv/bin/python -m benchmarks.identify_cpu                      # 200,000 voters, 600 identifications
    .venv/bin/python -m benchmarks.identify_cpu --profile /tmp/ident.prof   # and where the CPU goes

An identification is what benchmarks/identify.py counts: POST /staff/identification/check, then
/issue when the check allows a ballot, at a random desk, `--repeat` of them a twin at another
precinct at the same moment; the database is then checked as there (identify.verify).

Printed per identification: process CPU (ms), the same loop's CPU against a do-nothing ASGI app
that answers as many bytes (the client's share, httpx included), their difference (the server's
share), SQL statements as SQLAlchemy sent them, connections checked out of the pool (each a ping
round trip: pool_pre_ping), transactions committed, and every statement PostgreSQL itself logged
(log_statement = all: BEGIN, COMMIT, pings and statements alike, one round trip each), answer
bytes. Redis is not counted: nothing on these routes talks to it. With `--profile`, the thread
pool hop is bypassed (one lane) so cProfile sees the routes' work in the loop's thread.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("DEMO_MODE", "1")


def _prepare(args, stack: ExitStack) -> tuple[str, Path | None]:
    """A PostgreSQL with the demo data, the synthetic register and statement logging on."""
    from tests.support import services
    from tests.support.server import app_env, prepare_database

    if args.db_url:
        return args.db_url, None
    url, root = stack.enter_context(services.postgres(durable=True))
    env = app_env(Path(tempfile.gettempdir()) / "unused.db", REFLEX_DB_URL=url)
    t0 = time.perf_counter()
    prepare_database(env, voters=100)
    os.environ.update({"REFLEX_DB_URL": url, "SECRET_KEY": env["SECRET_KEY"], "MAP_TILE_URL": ""})
    from benchmarks import register

    seconds = register.generate(args.voters, url)
    print(f"database: migrated and seeded, {args.voters} synthetic voters in {seconds:.1f} s "
          f"({time.perf_counter() - t0:.1f} s in all)", flush=True)
    return url, root


class Counts:
    """What one process sent to the database, from SQLAlchemy's events."""

    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.statements = self.checkouts = self.commits = 0
        self.texts: dict[str, int] = {}
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine.pool, "checkout", self._checkout)
        sa.event.listen(engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        self.statements += 1
        key = " ".join(statement.split())[:90]
        self.texts[key] = self.texts.get(key, 0) + 1

    def _checkout(self, *_args) -> None:
        self.checkouts += 1

    def _commit(self, *_args) -> None:
        self.commits += 1

    def reset(self) -> None:
        self.statements = self.checkouts = self.commits = 0
        self.texts = {}


def _postgres_cpu(root: Path | None) -> float:
    """Seconds of CPU the cluster's processes used so far (the postmaster, its children, and the
    children that have exited)."""
    if root is None:
        return 0.0
    top = int((root / "data" / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == top or ppid == top:
            total += sum(int(f) for f in fields[11:13] + (fields[13:15] if pid == top else []))
    return total / os.sysconf("SC_CLK_TCK")


_LOGGED = re.compile(r"LOG:  (statement|execute [^:]*): ")


def _logged(root: Path | None) -> list[str]:
    if root is None:
        return []
    text = (root / "server.log").read_text(errors="replace")
    return [line.split(": ", 2)[-1][:80] for line in text.splitlines() if _LOGGED.search(line)]


async def _loop(load, client, count: int, lanes: int) -> None:
    from benchmarks.identify import Load  # noqa: F401 (the class `load` is)

    remaining = [count]

    async def lane() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            voter, desk = load.next_voter(), load.rng.choice(load.desks)
            if load.rng.random() < load.repeat:
                other = load.rng.choice([d for d in load.desks if d.precinct_id != desk.precinct_id])
                await asyncio.gather(load.identify(client, desk, voter, True), load.identify(client, other, voter, True))
            else:
                await load.identify(client, desk, voter, False)

    await asyncio.gather(*(lane() for _ in range(lanes)))


def _identifications(load) -> int:
    return len(load.results.latency.get("identification", []))


async def _run(args, url: str, root: Path | None, election_id: int, desks) -> int:
    import httpx
    import sqlalchemy as sa

    from benchmarks.identify import Load, verify
    from remote_vote_app.api import api
    from remote_vote_app.db import get_engine
    from remote_vote_app.web import identification as routes
    from remote_vote_app.web.headers import SecurityHeaders
    from remote_vote_app.web.sockets import SocketCeiling

    app = SocketCeiling(SecurityHeaders(api))
    base = "http://testserver"
    counts = Counts(get_engine())
    load = Load(base, election_id, desks, args.voters, args.repeat, 30.0, args.seed)
    load.grace = float("inf")
    sizes: list[int] = []

    async def capture(response):
        await response.aread()
        sizes.append(len(response.content))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=base,
                                 event_hooks={"response": [capture]}) as client:
        await _loop(load, client, args.warmup, args.lanes)  # connections, caches, prepared statements
        warm = _identifications(load)
        counts.reset()
        sizes.clear()
        with get_engine().connect() as conn:  # a marker in the log: what follows is the measured loop
            conn.exec_driver_sql("SELECT 'identify_cpu: measuring'")
        before = len(_logged(root))
        load.results.latency.clear()
        cpu0, wall0, pg0 = time.process_time(), time.perf_counter(), _postgres_cpu(root)
        if args.profile:
            async def inline(func, *a, **kw):
                return func(*a, **kw)

            routes.run_in_threadpool = inline  # the routes' work in this thread, where cProfile looks
            profiler = cProfile.Profile(time.thread_time)  # CPU, not waiting for PostgreSQL
            profiler.enable()
        await _loop(load, client, args.count, 1 if args.profile else args.lanes)
        if args.profile:
            profiler.disable()
        cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, _postgres_cpu(root) - pg0
        done = _identifications(load)
        logged = _logged(root)[before:]
        answer_bytes = sum(sizes)

    # The client's share: the same requests against an app that answers as many bytes and does nothing.
    body = b"{" + b" " * max(0, answer_bytes // max(len(sizes), 1) - 2) + b"}"

    async def empty(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    requests = len(sizes)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(empty), base_url=base) as client:
        payload = {"election_id": election_id, "pin": "11503199000123", "document": "ID1234567"}
        headers = {"cookie": desks[0].cookie, "origin": base}
        c0 = time.process_time()
        for _ in range(requests):
            (await client.post("/staff/identification/check", json=payload, headers=headers)).json()
        client_cpu = time.process_time() - c0

    per = 1000 / max(done, 1)
    print(f"\n{done} identifications ({requests} requests, {args.lanes if not args.profile else 1} lanes, "
          f"{warm} before as warm-up) in {wall:.1f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"  process CPU per identification      {cpu * per:7.2f} ms")
    print(f"  client's share (do-nothing app)     {client_cpu * per:7.2f} ms")
    print(f"  server's share                      {(cpu - client_cpu) * per:7.2f} ms")
    if root is not None:
        print(f"  PostgreSQL's CPU                    {pg * per:7.2f} ms")
    print(f"  SQL statements (SQLAlchemy)         {counts.statements / max(done, 1):7.2f}")
    print(f"  pool checkouts (+1 ping each)       {counts.checkouts / max(done, 1):7.2f}")
    print(f"  transactions committed              {counts.commits / max(done, 1):7.2f}")
    if root is not None:
        print(f"  statements PostgreSQL logged        {len(logged) / max(done, 1):7.2f} (each a round trip)")
    print(f"  answer bytes                        {answer_bytes / max(done, 1):7.0f}")
    if args.verbose:
        for text, n in sorted(counts.texts.items(), key=lambda kv: -kv[1]):
            print(f"    {n / max(done, 1):5.2f}  {text}")
        shown: dict[str, int] = {}
        for line in logged:
            shown[line] = shown.get(line, 0) + 1
        for text, n in sorted(shown.items(), key=lambda kv: -kv[1])[:25]:
            print(f"    pg {n / max(done, 1):5.2f}  {text}")
    if args.profile:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    problems = verify(url, election_id, load.results)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=200_000, help="register size (default 200,000)")
    parser.add_argument("--desks", type=int, default=50)
    parser.add_argument("--count", type=int, default=600, help="identifications measured (default 600)")
    parser.add_argument("--warmup", type=int, default=100, help="identifications before measuring (default 100)")
    parser.add_argument("--lanes", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--repeat", type=float, default=0.05, help="share of twin attempts (default 0.05)")
    parser.add_argument("--profile", help="write a cProfile of the measured loop here (one lane)")
    parser.add_argument("--db-url", help="use this prepared database instead of starting one")
    parser.add_argument("--verbose", action="store_true", help="list the statements")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()

    with ExitStack() as stack:
        url, root = _prepare(args, stack)
        from benchmarks.identify import create_desks, identification_election

        election_id = identification_election(url)
        desks = create_desks(url, election_id, args.desks)
        if root is not None:
            import sqlalchemy as sa

            with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql("ALTER SYSTEM SET log_statement = 'all'")
                conn.exec_driver_sql("SELECT pg_reload_conf()")
            time.sleep(0.5)
        random.seed(args.seed)
        status = asyncio.run(_run(args, url, root, election_id, desks))
    sys.exit(status)


if __name__ == "__main__":
    main()
