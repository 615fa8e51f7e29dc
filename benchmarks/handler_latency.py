"""Latency of the voter handlers (State handler -> service -> SQLite), on a register of 5,000 voters.

    .venv/bin/python -m benchmarks.handler_latency [--rounds 200]

Each round logs a different demo-register voter in, opens the form, submits an application and
reads the cabinet, calling the State handlers as the event processor does. Prints p50 / p95 / max
of the wall time, p50 of the process's CPU time (all threads), and the median SQL statements each
handler sent (as the driver received them, savepoints included) and transactions it ran. `--sql`
prints the statements of the last round, handler by handler. `--threads` runs every transaction in a
worker thread, as before short transactions ran on the event loop.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

_DB = Path(tempfile.mkdtemp(prefix="rv-latency-")) / "latency.db"
os.environ["REFLEX_DB_URL"] = f"sqlite:///{_DB}"
os.environ.setdefault("DEMO_MODE", "1")
os.environ["LOGIN_LIMIT_PER_CLIENT"] = "100000/hour"

from sqlmodel import Session, select  # noqa: E402

from remote_vote_app import cli  # noqa: E402
from remote_vote_app.db import get_engine  # noqa: E402
from remote_vote_app.models import OutboxMessage, Precinct, Voter  # noqa: E402
from remote_vote_app.state.apply import ApplyState  # noqa: E402
from remote_vote_app.state.cabinet import CabinetState  # noqa: E402
from remote_vote_app.state.login import LoginState  # noqa: E402
from tests.support.states import Browser  # noqa: E402


class Statements:
    """Every statement the engine sends, and its transactions as "BEGIN" / "COMMIT" / "ROLLBACK"
    marks (pysqlite sends no BEGIN of its own here; db._SqliteWriter's BEGIN IMMEDIATE before the
    first write goes to the DBAPI connection directly and is not counted)."""

    MARKS = ("BEGIN", "COMMIT", "ROLLBACK")

    def __init__(self, engine) -> None:
        self.texts: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, text, *_a: self.texts.append(text))
        sa.event.listen(engine, "begin", lambda _c: self.texts.append("BEGIN"))
        sa.event.listen(engine, "commit", lambda _c: self.texts.append("COMMIT"))
        sa.event.listen(engine, "rollback", lambda _c: self.texts.append("ROLLBACK"))


def timed(samples: dict[str, list[float]], name: str, fn, *args, statements: Statements, shown: dict):
    mark = len(statements.texts)
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    samples.setdefault(f"{name} CPU", []).append((time.process_time() - cpu) * 1000)
    sent = statements.texts[mark:]
    samples.setdefault(f"{name} SQL", []).append(sum(text not in Statements.MARKS for text in sent))
    samples.setdefault(f"{name} tx", []).append(sent.count("BEGIN"))
    shown[name] = sent
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--threads", action="store_true", help="every transaction in a worker thread")
    parser.add_argument("--sql", action="store_true", help="print the last round's statements per handler")
    args = parser.parse_args()
    if args.threads:
        from remote_vote_app.db import run_in_transaction
        from remote_vote_app.state import app, session_check

        for module in (app, session_check):  # both run transactions: the runner, and login/logout
            module.run_short_transaction = run_in_transaction
    cli.migrate()
    cli.seed(voters=5000)
    with Session(get_engine()) as session:
        voters = session.exec(select(Voter).offset(100).limit(args.rounds)).all()
        precinct_id = str(session.exec(select(Precinct).where(Precinct.kind == "remote")).first().id)
    samples: dict[str, list[float]] = {}
    statements, shown = Statements(get_engine()), {}
    measure = {"statements": statements, "shown": shown}
    for voter in voters:
        tab = Browser()
        timed(samples, "login.start", tab.call, LoginState, "start", {"pin": voter.pin, "document": voter.document_number}, **measure)
        with Session(get_engine()) as session:
            body = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body
        code = re.search(r"\b(\d{6})\b", body).group(1)
        timed(samples, "login.verify", tab.call, LoginState, "verify", {"code": code}, **measure)
        timed(samples, "apply.load", tab.call, ApplyState, "load", **measure)
        form = {"election": tab.state(ApplyState).election_id, "precinct": precinct_id, "email": "bench@example.kg",
                "phone": voter.phone, "consent": "on"}
        timed(samples, "apply.review_answers", tab.call, ApplyState, "review_answers", form, **measure)
        timed(samples, "apply.confirm", tab.call, ApplyState, "confirm", **measure)
        timed(samples, "cabinet.load", tab.call, CabinetState, "load", **measure)
        assert tab.state(CabinetState).applications, "the application was not filed"
    if args.sql:
        for name, sent in shown.items():
            print(f"--- {name}")
            for text in sent:
                print("   ", " ".join(text.split())[:160])
    print(f"{'handler':<24}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'CPU p50':>9}{'SQL':>5}{'tx':>4}   ({len(voters)} rounds, "
          f"5,000 voters, SQLite{', every transaction in a thread' if args.threads else ''})")
    for name, values in samples.items():
        if name.endswith((" CPU", " SQL", " tx")):
            continue
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        cpu = statistics.median(samples[f"{name} CPU"])
        sql, tx = statistics.median(samples[f"{name} SQL"]), statistics.median(samples[f"{name} tx"])
        print(f"{name:<24}{statistics.median(ordered):>9.1f}{p95:>9.1f}{ordered[-1]:>9.1f}{cpu:>9.2f}{sql:>5.0f}{tx:>4.0f}")


if __name__ == "__main__":
    main()
