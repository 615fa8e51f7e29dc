"""Public statistics: applications per remote precinct, per day and by channel, as open data.

No personal data: only counts of active applications, by the calendar day the application was
filed in its election's time zone, its current remote precinct and its channel (online | in_person). The published
document is described in docs/open-data-statistics.md (schema_version below).

Small counts (the rule, also in the document):
1. A cell (day × precinct × channel) of 1 to 4 applications is published as "<5"; 0 stays 0; 5 and
   more are exact. Nobody can be singled out from a cell.
2. A total (per day and precinct, per precinct, per day, per channel) is exact only when none of
   the cells it adds up is suppressed. Otherwise it is published as the range the cells already
   imply ("12–18": the exact cells plus 1 to 4 for each suppressed one), or "<5" when that range
   lies within 1–4. Such a total tells nothing the cells do not: subtracting exact totals from each
   other can never bring back a suppressed cell.
3. The grand total is exact also when two or more cells are suppressed and their sum S lies strictly
   between k and 4k (k suppressed cells): then every cell could still be anything from several
   values, so no single cell follows from it. With one suppressed cell, or S == k (all 1) or
   S == 4k (all 4), the grand total is a range like the others.
4. When the grand total is exact, every other total's range is narrowed to what the grand total
   and the cells outside it allow (grand total minus their range): "Всего 301 · Онлайн 151–322"
   would contradict itself. The narrowed range is what any reader can work out from the published
   figures, so it reveals nothing more; by rule 3 it never narrows to one suppressed cell's value.
Known limit (documented): the figures count active applications, so a withdrawal lowers the day it
was filed; comparing two downloads in time can show that some application of a day was withdrawn.

Identification-mode elections (the 2025 law) add "turnout": ballots issued per precinct and local
hour, cells and totals by the same rules; the document is final, and fixed, once the day after
election day has ended (desks without a link sync by then; services/election_day/turnout.py).

Caching: a document is computed at most once per CACHE_SECONDS per process and election day
(concurrent requests wait for the one computation), and after the day's deadline it is computed
once, stored in StatisticsSnapshot with the time it was fixed, and served from there forever.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import defaultdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from remote_vote_app.models import Application, Election, Precinct, StatisticsSnapshot
from remote_vote_app.i18n import DEFAULT_LANG, LANGS, localized, moment_text
from remote_vote_app.services.election_day import turnout
from remote_vote_app.services.formats import exports
from remote_vote_app.services.clock import SERVICE_ZONE, end_of_day_utc, now_utc, zone
from remote_vote_app.services.reporting.dashboard import default_day, filed_per_day

SCHEMA_VERSION = 1
THRESHOLD = 5
SUPPRESSED = "<5"
CHANNELS = ("online", "in_person")
CACHE_SECONDS = 300


# --- the suppression rule ---


def cell(count: int) -> int | str:
    """One cell as published: 0, "<5" for 1-4, else the exact count."""
    return SUPPRESSED if 0 < count < THRESHOLD else count


def _implied(counts: list[int]) -> tuple[int, int]:
    """The smallest and largest sum the published cells of `counts` allow."""
    exact = sum(c for c in counts if not 0 < c < THRESHOLD)
    k = sum(1 for c in counts if 0 < c < THRESHOLD)
    return exact + k, exact + (THRESHOLD - 1) * k


def total(counts: list[int], grand: bool = False, rest: list[int] | None = None,
          rest_bounds: tuple[int, int, int] | None = None) -> int | str:
    """A total of `counts` (the raw cells it adds up) as published, by rules 2 and 3 above; `rest`
    (the other cells of the document) when the grand total is published exact (rule 4), or its
    (implied low, implied high, sum) as `rest_bounds` when a caller has them without the list."""
    hidden = [c for c in counts if 0 < c < THRESHOLD]
    k, s = len(hidden), sum(hidden)
    if k == 0 or (grand and k >= 2 and k < s < 4 * k):
        return sum(counts)
    low, high = _implied(counts)
    if rest is not None:
        rest_bounds = (*_implied(rest), sum(rest))
    if rest_bounds is not None:
        rest_low, rest_high, rest_sum = rest_bounds
        grand_total = sum(counts) + rest_sum
        low, high = max(low, grand_total - rest_high), min(high, grand_total - rest_low)
    if high < THRESHOLD:
        return SUPPRESSED
    return low if low == high else f"{low}–{high}"


def lower_bound(value: int | str) -> int:
    """For the chart: a published value's smallest possible count."""
    if isinstance(value, int):
        return value
    return 1 if value == SUPPRESSED else int(value.split("–")[0])


def publish(cells: dict[tuple[str, str, str], int]) -> tuple[list[dict], dict]:
    """The rows (day × precinct) and totals of a document from its raw cells {(day, precinct,
    channel): count}, every cell and total as published by the rules above."""
    days = sorted({d for d, _, _ in cells})
    numbers = list(dict.fromkeys(p for _, p, _ in cells))
    grand = total(list(cells.values()), grand=True)

    def subtotal(day=None, precinct=None, channel=None) -> int | str:
        inside, rest = [], []
        for (d, p, c), v in cells.items():
            within = (day is None or d == day) and (precinct is None or p == precinct) and (channel is None or c == channel)
            (inside if within else rest).append(v)
        return total(inside, rest=rest if isinstance(grand, int) else None)

    rows = [{"date": d, "precinct": p, **{c: cell(cells.get((d, p, c), 0)) for c in CHANNELS}, "total": subtotal(d, p)}
            for d in days for p in numbers]
    return rows, {
        "by_precinct": [{"precinct": p, **{c: subtotal(precinct=p, channel=c) for c in CHANNELS},
                         "total": subtotal(precinct=p)} for p in numbers],
        "by_day": [{"date": d, **{c: subtotal(day=d, channel=c) for c in CHANNELS}, "total": subtotal(day=d)}
                   for d in days],
        "by_channel": {c: subtotal(channel=c) for c in CHANNELS},
        "total": grand,
    }


# --- the document ---


def _zone_name(elections: list[Election]) -> str:
    """The zone the document's days are reckoned in: the day's elections' (should they ever differ,
    each application's day is its own election's, and the names are listed, comma-separated)."""
    return ", ".join(sorted({zone(e).key for e in elections})) or SERVICE_ZONE.key


def compute(session: Session, election_day: dt.date, now: dt.datetime | None = None) -> dict:
    """The statistics document of one election day (every council voting that day)."""
    now = now or now_utc()
    elections = session.exec(select(Election).where(Election.election_day == election_day)).all()
    deadline = max((e.application_deadline for e in elections), default=None)
    closes = max((end_of_day_utc(e.application_deadline, e.timezone) for e in elections), default=now)
    raw = filed_per_day(session, election_day, Application.remote_precinct_id, Application.channel)
    remote = session.exec(select(Precinct).where(Precinct.kind == "remote").order_by(Precinct.id)).all()
    number = {p.id: p.number for p in remote}
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for day, precinct_id, channel, n in raw:
        counts[(str(day), number.get(precinct_id, "?"), channel if channel in CHANNELS else "online")] += n
    days = sorted({d for d, _, _ in counts})
    numbers = [p.number for p in remote]
    rows, totals = publish({(d, p, c): counts.get((d, p, c), 0) for d in days for p in numbers for c in CHANNELS})
    ballots = turnout.public_cells(session, election_day)
    turnout_closes = turnout.closes_at(elections)
    final = now >= max(closes, turnout_closes or closes)
    return {
        "schema_version": SCHEMA_VERSION,
        "election_day": election_day.isoformat(),
        "application_deadline": deadline.isoformat() if deadline else None,
        "applications_close_at": closes.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "status": "final" if final else "preliminary",
        "generated_at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "final_as_of": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if final else None,
        "timezone": _zone_name(elections),
        "suppression": {"threshold": THRESHOLD, "marker": SUPPRESSED,
                        "rule": "cells of 1-4 are '<5'; a total with a suppressed cell is the range the cells imply"},
        "precincts": [{"number": p.number, **{f"{field}_{lang}": localized(p, field, lang)
                                              for field in ("city", "place") for lang in LANGS}} for p in remote],
        "rows": rows,
        "totals": totals,
        **({"turnout": _turnout(ballots, elections, turnout_closes)} if ballots is not None else {}),
    }


def _turnout(ballots: dict[tuple[str, str], int], elections: list[Election], closes: dt.datetime) -> dict:
    """Ballots issued per precinct and local hour (identification mode), by the same rules as the
    applications: the cells, then the totals per precinct, per hour and overall."""
    by_precinct: dict[str, list[int]] = defaultdict(list)
    by_hour: dict[str, list[int]] = defaultdict(list)
    for (hour, precinct), n in ballots.items():
        by_precinct[precinct].append(n)
        by_hour[hour].append(n)
    everything = list(ballots.values())
    grand = total(everything, grand=True)
    all_low, all_high = _implied(everything)

    def subtotal(counts: list[int]) -> int | str:
        """Rule 4 as in `publish`; the rest's bounds by subtraction (they add up), not by a scan."""
        if not isinstance(grand, int):
            return total(counts)
        low, high = _implied(counts)
        return total(counts, rest_bounds=(all_low - low, all_high - high, grand - sum(counts)))

    return {
        "timezone": next(e.timezone for e in elections if e.mode == turnout.IDENTIFICATION),
        "closes_at": closes.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "rows": [{"hour": hour, "precinct": precinct, "ballots": cell(n)} for (hour, precinct), n in sorted(ballots.items())],
        "totals": {
            "by_precinct": [{"precinct": p, "ballots": subtotal(by_precinct[p])} for p in sorted(by_precinct)],
            "by_hour": [{"hour": h, "ballots": subtotal(by_hour[h])} for h in sorted(by_hour)],
            "total": grand,
        },
    }


CSV_COLUMNS = ["schema_version", "election_day", "status", "date", "precinct", "online", "in_person", "total"]
TURNOUT_CSV_COLUMNS = ["schema_version", "election_day", "status", "hour", "precinct", "ballots"]


def csv_text(document: dict, table: str = "applications") -> str:
    """The cells as CSV (UTF-8, comma, header first): one row per day and precinct, or with
    table="turnout" one row per local hour and precinct that issued any ballot."""
    head = [document["schema_version"], document["election_day"], document["status"]]
    if table == "turnout":
        return exports.csv_text([TURNOUT_CSV_COLUMNS, *([*head, r["hour"], r["precinct"], r["ballots"]]
                                                        for r in document.get("turnout", {}).get("rows", []))])
    return exports.csv_text([CSV_COLUMNS, *([*head, r["date"], r["precinct"], r["online"], r["in_person"], r["total"]]
                                            for r in document["rows"])])


# --- final figures and the cache ---


def _closes(session: Session, election_day: dt.date) -> dt.datetime | None:
    elections = session.exec(select(Election).where(Election.election_day == election_day)).all()
    return max((end_of_day_utc(e.application_deadline, e.timezone) for e in elections), default=None)


def document(session: Session, election_day: dt.date, now: dt.datetime | None = None) -> dict:
    """The document, fixed and stored at the first request after the deadline."""
    now = now or now_utc()
    stored = session.exec(select(StatisticsSnapshot).where(StatisticsSnapshot.election_day == election_day)).first()
    if stored is not None:
        return json.loads(stored.payload)
    data = compute(session, election_day, now)
    if data["status"] == "final":
        try:
            with session.begin_nested():
                session.add(StatisticsSnapshot(election_day=election_day, fixed_at=now,
                                               payload=json.dumps(data, ensure_ascii=False)))
        except IntegrityError:  # another worker fixed it first: theirs is the published one
            stored = session.exec(select(StatisticsSnapshot).where(StatisticsSnapshot.election_day == election_day)).one()
            return json.loads(stored.payload)
    return data


def available_days(session: Session) -> list[str]:
    return sorted({d.isoformat() for d in session.exec(select(Election.election_day).distinct())}, reverse=True)


def chosen_day(session: Session, requested: str | None) -> dt.date | None:
    days = available_days(session)
    if requested and requested in days:
        return dt.date.fromisoformat(requested)
    return default_day(session)


_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def cached(session: Session, requested: str | None = None) -> dict:
    """{"days": [...], "document": {...}} for the requested (or default) election day; computed at
    most once per CACHE_SECONDS per process, whatever the number of requests (a cache hit never
    touches `session`, so no connection is taken)."""
    with _lock:  # one computation at a time; the requests that waited read its result
        days = _cache.get("days")
        if not days or days[0] <= time.monotonic():
            days = _cache["days"] = (time.monotonic() + CACHE_SECONDS, {"days": available_days(session)})
        # Only a known election day is a key of its own: junk in ?day= cannot grow the cache.
        key = requested if requested in days[1]["days"] else ""
        hit = _cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        day = chosen_day(session, key)
        value = {"days": days[1]["days"], "document": document(session, day) if day else None}
        ttl = CACHE_SECONDS
        if value["document"] and value["document"]["status"] == "preliminary":
            # Preliminary figures are not served past the deadline: the first request after it fixes them.
            doc = value["document"]
            closes = max(dt.datetime.fromisoformat(at) for at in
                         [doc["applications_close_at"], *([doc["turnout"]["closes_at"]] if "turnout" in doc else [])])
            ttl = max(0.0, min(ttl, (closes - now_utc()).total_seconds()))
        _cache[key] = (time.monotonic() + ttl, value)
        return value


def clear_cache() -> None:
    _cache.clear()


def local_time_text(iso: str | None, lang: str = DEFAULT_LANG, timezone: str | None = None) -> str:
    """A time of the document (`generated_at`, `final_as_of`, `closes_at`) in its `timezone`, its date
    as the language writes dates."""
    if not iso:
        return ""
    return moment_text(lang, dt.datetime.fromisoformat(iso).astimezone(zone(timezone)), seconds=True)
