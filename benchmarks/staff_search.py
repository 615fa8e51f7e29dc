"""Staff application search on 100,000 applications: server-side filters, sorting and pagination.

    .venv/bin/python -m benchmarks.staff_search [--applications 100000]

Builds a scratch SQLite database (50,000 voters, two applications each), then times each query
shape the /staff/applications page issues, as the CEC administrator (no territory filter) and as
a territorial operator (territory filter).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

_DB = Path(tempfile.mkdtemp(prefix="rv-search-")) / "search.db"
os.environ["REFLEX_DB_URL"] = f"sqlite:///{_DB}"
os.environ.setdefault("DEMO_MODE", "1")

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from remote_vote_app import cli  # noqa: E402
from remote_vote_app.db import get_engine  # noqa: E402
from remote_vote_app.models import Application, Election, Precinct, Voter  # noqa: E402
from remote_vote_app.services.identity import staff  # noqa: E402
from remote_vote_app.services.reporting import staff_records
from remote_vote_app.services.applications.applications import CONSENT_VERSION, REFERENCE_ALPHABET, new_reference  # noqa: E402
from remote_vote_app.demo.seed import DEMO_STAFF  # noqa: E402
from remote_vote_app.services.reporting.staff_records import Query  # noqa: E402


def build(applications: int) -> None:
    cli.migrate()
    cli.seed(voters=applications // 2)
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    with Session(get_engine()) as session:
        voters = session.exec(select(Voter.id, Voter.territory_id, Voter.phone)).all()
        by_territory: dict[int, list[int]] = {}
        for election in session.exec(select(Election)):
            by_territory.setdefault(election.territory_id, []).append(election.id)
        remote = [p.id for p in session.exec(select(Precinct).where(Precinct.kind == "remote"))]
        rows, used = [], set()
        for voter_id, territory_id, phone in voters:
            for election_id in by_territory[territory_id]:
                reference = new_reference()
                while reference in used:
                    reference = new_reference()
                used.add(reference)
                created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 30))
                rows.append(dict(reference=reference, voter_id=voter_id, election_id=election_id,
                                 remote_precinct_id=rng.choice(remote), email=f"v{voter_id}@example.kg", phone=phone,
                                 consent_at=created, consent_version=CONSENT_VERSION,
                                 channel="online" if rng.random() < 0.8 else "in_person",
                                 status="submitted" if rng.random() < 0.95 else "withdrawn", change_count=0, version=0,
                                 created_at=created, changed_at=created, commission=""))
        for start in range(0, len(rows), 10000):
            session.execute(insert(Application), rows[start:start + 10000])
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.applications)
    print(f"built {args.applications:,} applications in {time.perf_counter() - started:.1f} s")
    with Session(get_engine()) as session:
        users = {name: staff.reload(session, staff.authenticate(session, name, password, "bench").staff_id)
                 for name, _, password, *_ in DEMO_STAFF if name in ("cec.admin", "tec.bishkek")}
        sample = session.exec(select(Application, Voter).join(Voter, Voter.id == Application.voter_id).limit(1)).one()
        # A reference of letters only (about one in five) also reads as a surname: measured apart.
        lettered = session.exec(select(Application.reference).where(
            *(func.substr(Application.reference, i, 1).in_([c for c in REFERENCE_ALPHABET if c.isalpha()]) for i in (1, 2, 3, 4, 6, 7, 8, 9))
        ).limit(1)).first()
        total = session.exec(select(Application)).all().__len__()
        today = dt.date.today()
        queries = {
            "first page, newest first": Query(),
            "page 1,000 (deep offset)": Query(page=1000),
            "filter precinct + status": Query(precinct_id=3, status="submitted"),
            "filter channel + dates": Query(channel="in_person", date_from=today - dt.timedelta(days=7), date_to=today),
            "sort by precinct": Query(sort="precinct"),
            "search by reference": Query(text=sample[0].reference),
            "search by ref. (letters)": Query(text=lettered or sample[0].reference),
            "search by PIN": Query(text=sample[1].pin),
        }
        print(f"{'query':<28}{'user':<14}{'rows':>8}{'p50 ms':>9}{'max ms':>9}   ({total:,} applications, SQLite)")
        for label, query in queries.items():
            for name, user in users.items():
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    _, found = staff_records.search(session, user, query)
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"{label:<28}{name:<14}{found:>8}{statistics.median(times):>9.1f}{max(times):>9.1f}")


if __name__ == "__main__":
    main()
