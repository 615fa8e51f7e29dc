"""What /staff/lists does on load, timed on the demo data (goal: under 300 ms in all).

    DEMO_MODE=1 REFLEX_DB_URL=sqlite:///demo.db .venv/bin/python -m benchmarks.voter_lists

Runs the page's service calls (precinct options, election days, default day, the list of the
first precinct), plus the CSV and XLSX downloads, as the CEC administrator.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("DEMO_MODE", "1")

from sqlmodel import select  # noqa: E402

from remote_vote_app.db import run_in_transaction  # noqa: E402
from remote_vote_app.models import StaffAccount  # noqa: E402
from remote_vote_app.services.identity import staff  # noqa: E402
from remote_vote_app.services.reporting import dashboard, staff_records


def _user(session):
    account = session.exec(select(StaffAccount).where(StaffAccount.role == "cec_admin")).first()
    return staff.reload(session, account.id)


def page_load(session):
    user = _user(session)
    options = staff_records.voter_list_precincts(session, user)
    dashboard.election_days(session)
    day = dashboard.default_day(session)
    return staff_records.voter_list(session, user, int(options[0]["id"]), day)


def timed(label, work, runs=7):
    import asyncio

    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = asyncio.run(run_in_transaction(work))
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<28} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")
    return result


if __name__ == "__main__":
    data = timed("/staff/lists load", page_load)
    print(f"  rows on the list: {len(data['rows'])}")
    timed("CSV", lambda s: staff_records.voter_list_csv(page_load(s)))
    timed("XLSX", lambda s: staff_records.voter_list_xlsx(page_load(s)))
