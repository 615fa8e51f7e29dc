"""Election-day figures of identification-mode elections (the 2025 law), for the commission and the public.

Each figure is one GROUP BY over IdentifiedBallot or IdentificationDecision of one election,
restricted in SQL to the precincts the reader may see (`scope`): a precinct's own members see their
precinct, a territorial commission its territory and everything under it, the CEC and observers the
country. Hours are local hours in the election's time zone ("2027-01-17 09" = 09:00-09:59 there),
keyed with the date so a ballot synced after midnight or a demo ballot of another day is never lost.

Application-mode elections have none of these rows: their figures stay in services/reporting/dashboard.py.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal
from sqlmodel import Session, select

from remote_vote_app.i18n import localized, t
from remote_vote_app.models import (
    ActivityReport, AuditEvent, DistrictPrecinct, Election, ElectoralDistrict, IdentificationDecision, IdentifiedBallot,
    Precinct, StaffAccount, Territory,
)
from remote_vote_app.services.reference import elections, refcache
from remote_vote_app.services.applications.activity import IDENTIFICATION_ACTIONS
from remote_vote_app.services.clock import end_of_day_utc, hour_sql, zone
from remote_vote_app.services.identity.staff import PRECINCT_ROLES, StaffUser, require, territory_ids

IDENTIFICATION = "identification"
REFUSALS = ("voted", "wrong_precinct", "not_registered", "under_age")
# What the commission must look at: a voter holding a ballot elsewhere found at sync, a ballot of
# another district than the register's, and marks the desk put on the provisional list while offline.
INCIDENT_OUTCOMES = ("conflict", "wrong_district", "provisional")
# Every open dashboard refreshes each LIVE_INTERVAL (3 s): the dashboards of one scope share one
# computation of the figures per this many seconds, per process (each worker keeps its own).
FIGURES_SECONDS = 3.0
ROW_LIMIT = 50  # precincts per table on the dashboard; a chosen precinct shows on its own
INCIDENT_LIMIT = 50


# --- scope and time ---


@dataclass(frozen=True)
class Scope:
    """The precincts a staff member's figures cover: `precinct_ids` None is the whole country."""

    precinct_ids: frozenset[int] | None

    def where(self, column):
        return literal(True) if self.precinct_ids is None else column.in_(sorted(self.precinct_ids))


def scope_for(session: Session, user: StaffUser) -> Scope:
    require(user, "stats.view")
    if user.role in PRECINCT_ROLES:
        return Scope(frozenset({user.precinct_id or 0}))
    if user.role == "tec_operator":
        territories = territory_ids(session, user.territory_id or 0)
        return Scope(frozenset(session.exec(select(Precinct.id).where(Precinct.territory_id.in_(territories))).all()))
    return Scope(None)  # cec_admin, observer


def hour_label(key: str, day: dt.date) -> str:
    """"09:00" on election day, "18.01 00:00" on another day."""
    date, hour = key[:10], key[11:13]
    return f"{hour}:00" if date == day.isoformat() else f"{date[8:10]}.{date[5:7]} {hour}:00"


def identification_elections(session: Session, day: dt.date) -> list[Election]:
    return list(session.exec(select(Election).where(Election.election_day == day, Election.mode == IDENTIFICATION)
                             .order_by(Election.id)))


# --- the queries (one GROUP BY each) ---


def hourly(session: Session, election: Election, scope: Scope) -> list[tuple[int, str, int]]:
    """(precinct id, local hour key, ballots issued)."""
    hour = hour_sql(session, IdentifiedBallot.issued_at, zone(election), election.election_day)
    return [tuple(r) for r in session.exec(
        select(IdentifiedBallot.precinct_id, hour, func.count())
        .where(IdentifiedBallot.election_id == election.id, scope.where(IdentifiedBallot.precinct_id))
        .group_by(IdentifiedBallot.precinct_id, hour)).all()]


def by_district(session: Session, election: Election, scope: Scope) -> list[tuple[int, int, str, int]]:
    """(precinct id, ballot's district id, kind home|remote, ballots issued)."""
    return [tuple(r) for r in session.exec(
        select(IdentifiedBallot.precinct_id, IdentifiedBallot.district_id, IdentifiedBallot.kind, func.count())
        .where(IdentifiedBallot.election_id == election.id, scope.where(IdentifiedBallot.precinct_id))
        .group_by(IdentifiedBallot.precinct_id, IdentifiedBallot.district_id, IdentifiedBallot.kind)).all()]


def decisions(session: Session, election: Election, scope: Scope) -> list[tuple[int, str, int]]:
    """(precinct id, outcome, decisions) for the refusals and the incident outcomes."""
    return [tuple(r) for r in session.exec(
        select(IdentificationDecision.precinct_id, IdentificationDecision.outcome, func.count())
        .where(IdentificationDecision.election_id == election.id, scope.where(IdentificationDecision.precinct_id),
               IdentificationDecision.outcome.in_(REFUSALS + INCIDENT_OUTCOMES))
        .group_by(IdentificationDecision.precinct_id, IdentificationDecision.outcome)).all()]


def incidents(session: Session, election: Election, scope: Scope, limit: int = INCIDENT_LIMIT) -> list[dict]:
    """The latest conflicts, wrong districts and provisional marks (with the server's district, the
    device's claims and the server's receipt time), and the voters' "this wasn't me" reports about a
    desk's decision on them (listed at the precinct that issued the voter's ballot), newest first."""
    found = [{"kind": outcome, "precinct_id": precinct_id, "at": at, "member": member, "status": "",
              "district_id": district_id, "claimed_district": claimed_district, "claimed_at": claimed_at,
              "received_at": received_at, "offline": offline, "shown": shown}
             for outcome, precinct_id, at, member, district_id, claimed_district, claimed_at, received_at, offline, shown
             in session.exec(
                 select(IdentificationDecision.outcome, IdentificationDecision.precinct_id, IdentificationDecision.at,
                        StaffAccount.full_name, IdentificationDecision.district_id,
                        IdentificationDecision.claimed_district, IdentificationDecision.claimed_at,
                        IdentificationDecision.received_at, IdentificationDecision.offline, IdentificationDecision.shown)
                 .join(StaffAccount, StaffAccount.id == IdentificationDecision.staff_id)
                 .where(IdentificationDecision.election_id == election.id,
                        scope.where(IdentificationDecision.precinct_id),
                        IdentificationDecision.outcome.in_(INCIDENT_OUTCOMES))
                 .order_by(IdentificationDecision.at.desc()).limit(limit)).all()]
    found += [{"kind": "not_me", "precinct_id": precinct_id, "at": at, "member": member, "status": status}
              for precinct_id, at, member, status in session.exec(
                  select(IdentifiedBallot.precinct_id, ActivityReport.created_at, StaffAccount.full_name,
                         ActivityReport.status)
                  .join(AuditEvent, AuditEvent.id == ActivityReport.audit_event_id)
                  .join(IdentifiedBallot, (IdentifiedBallot.voter_id == ActivityReport.voter_id)
                        & (IdentifiedBallot.election_id == election.id))
                  .join(StaffAccount, StaffAccount.id == IdentifiedBallot.staff_id)
                  # The reported decision names its election (audit details, keys sorted): a report on
                  # one election's ballot is never another election's incident.
                  .where(AuditEvent.entity == "voter", AuditEvent.action.in_(IDENTIFICATION_ACTIONS),
                         AuditEvent.details.contains(f'"election": {int(election.id)},'),
                         scope.where(IdentifiedBallot.precinct_id))
                  .order_by(ActivityReport.created_at.desc()).limit(limit)).all()]
    return sorted(found, key=lambda row: row["at"], reverse=True)[:limit]


# --- the commission's view ---

_figures: dict[tuple[int, frozenset[int] | None], tuple[float, tuple]] = {}
_figure_locks: dict[tuple[int, frozenset[int] | None], threading.Lock] = {}
_figures_guard = threading.Lock()


def figures(session: Session, election: Election, scope: Scope) -> tuple[list, list, list, list]:
    """(hourly, by_district, decisions, incidents) of one election in one scope, computed at most once
    per FIGURES_SECONDS per process however many dashboards of that scope are open."""
    key = (election.id, scope.precinct_ids)
    with _figures_guard:
        lock = _figure_locks.setdefault(key, threading.Lock())
    with lock:  # the dashboards that waited read the result of the one that computed
        hit = _figures.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = (hourly(session, election, scope), by_district(session, election, scope),
                 decisions(session, election, scope), incidents(session, election, scope))
        with _figures_guard:
            now = time.monotonic()
            for old in [k for k, (until, _v) in _figures.items() if until <= now]:
                del _figures[old]
            _figures[key] = (now + FIGURES_SECONDS, value)
        return value


def clear_cache() -> None:
    with _figures_guard:
        _figures.clear()


def incident_details(incident: dict, lang: str, election: Election, district_number: dict[int, int]) -> str:
    """One incident in words: what the server found (the register's district against the device's,
    the first ballot's precinct and time, the refusal), then the device's time and the server's
    receipt time for a mark made offline."""
    if incident["kind"] == "not_me":
        return ""
    district = district_number.get(incident["district_id"], "?")
    params = json.loads(incident["shown"] or "{}").get("params") or {}
    reason = params if incident["kind"] == "conflict" else {}
    if incident["kind"] == "wrong_district":
        found = (t(lang, "ident.incident.no_district", district=district) if incident["claimed_district"] is None
                 else t(lang, "ident.incident.wrong_district", claimed=incident["claimed_district"], district=district))
    elif incident["kind"] == "provisional":
        found = t(lang, "ident.incident.provisional", district=district)
    elif reason.get("reason") == "voted":
        found = t(lang, "ident.incident.voted", precinct=reason.get("precinct", ""), time=reason.get("time", ""))
    else:
        found = t(lang, f"ident.outcome.{reason.get('reason')}") if reason.get("reason") in REFUSALS else ""
    parts = [found] if found else []
    if params.get("policy") == "wait":
        parts.append(t(lang, "ident.incident.against_policy"))
    if incident["offline"]:
        zone = ZoneInfo(election.timezone)

        def when(moment: dt.datetime) -> str:
            local = moment.astimezone(zone)
            return local.strftime("%H:%M" if local.date() == election.election_day else "%d.%m %H:%M")

        if incident["claimed_at"] is not None:
            parts.append(t(lang, "stats.flag_device_says", at=when(incident["claimed_at"])))
        parts.append(t(lang, "ident.incident.received", at=when(incident["received_at"] or incident["at"])))
    return "; ".join(parts)


def _precinct_label(precinct: Precinct | None, lang: str) -> str:
    return f"{precinct.number} — {localized(precinct, 'place', lang)}" if precinct else "?"


def _title(snap: refcache.Snapshot, election: Election, lang: str) -> str:
    territory = snap.get(Territory, election.territory_id)
    return elections.title(election.kind, localized(territory, "name", lang) if territory else "", election.is_demo, lang)


def commission_view(session: Session, user: StaffUser, day: dt.date, lang: str, precinct_number: str = "",
                    election_id: int | str | None = None) -> dict | None:
    """What the dashboard shows for one identification-mode election of `day` (`election_id`, else the
    first; None if the day has none), within the user's scope; `precinct_number` narrows the
    per-precinct tables to one precinct of that scope (an unknown or foreign number narrows to nothing)."""
    found = identification_elections(session, day)
    if not found:
        return None
    election = next((e for e in found if str(e.id) == str(election_id)), found[0])
    scope = scope_for(session, user)
    chosen = None
    if precinct_number.strip():
        chosen = session.exec(select(Precinct.id).where(Precinct.number == precinct_number.strip()[:16])).first() or 0
        if scope.precinct_ids is not None and chosen not in scope.precinct_ids:
            chosen = 0
    snap = refcache.snapshot(session)
    hours_raw, district_raw, decision_raw, incident_raw = figures(session, election, scope)
    totals: dict[int, int] = defaultdict(int)
    for precinct_id, _hour, n in hours_raw:
        totals[precinct_id] += n
    refusals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(REFUSALS + INCIDENT_OUTCOMES, 0))
    for precinct_id, outcome, n in decision_raw:
        refusals[precinct_id][outcome] += n
    remote: dict[int, int] = defaultdict(int)
    for precinct_id, _district, kind, n in district_raw:
        if kind == "remote":
            remote[precinct_id] += n
    active = set(totals) | set(refusals)
    if chosen is not None:
        shown = [chosen] if chosen else []
    else:  # the busiest first: where ballots may run short
        shown = sorted(active, key=lambda pid: (-totals.get(pid, 0), pid))[:ROW_LIMIT]
    hours = sorted({hour for _p, hour, _n in hours_raw})
    per_hour: dict[tuple[int, str], int] = {(p, h): n for p, h, n in hours_raw}
    label = {pid: _precinct_label(snap.get(Precinct, pid), lang) for pid in set(shown) | active}
    district = {d.id: d for d in snap.all(ElectoralDistrict) if d.election_id == election.id}

    def district_label(district_id: int) -> str:
        d = district.get(district_id)
        return f"{d.number} — {localized(d, 'name', lang)}" if d else "?"

    by_home: dict[int, int] = defaultdict(int)
    for _precinct, district_id, kind, n in district_raw:
        if kind == "remote":
            by_home[district_id] += n
    stock = sorted(((pid, d, kind, n) for pid, d, kind, n in district_raw if pid in shown),
                   key=lambda r: (label[r[0]], district.get(r[1]).number if r[1] in district else 0))
    stock_rows: dict[tuple[int, int], list[int]] = {}
    for pid, district_id, kind, n in stock:
        row = stock_rows.setdefault((pid, district_id), [0, 0])
        row[0] += n
        row[1] += n if kind == "remote" else 0
    return {
        "election_id": election.id,
        "elections": [{"id": str(e.id), "title": _title(snap, e, lang)} for e in found],
        "chosen": chosen,
        "precincts_active": len(active),
        "precincts_shown": len(shown),
        "hours": [hour_label(h, election.election_day) for h in hours],
        "turnout": [{"precinct": label[pid], "cells": [per_hour.get((pid, h), 0) for h in hours],
                     "total": totals.get(pid, 0), "remote": remote.get(pid, 0)} for pid in shown],
        "scope_hours": [sum(per_hour.get((pid, h), 0) for pid in totals) for h in hours],
        "total": sum(totals.values()),
        "remote": sum(remote.values()),
        "refusals": [{"precinct": label[pid], **refusals[pid]} for pid in shown if pid in refusals],
        "refusal_totals": {o: sum(r[o] for r in refusals.values()) for o in REFUSALS + INCIDENT_OUTCOMES},
        "by_home_district": [{"district": district_label(d), "count": n}
                             for d, n in sorted(by_home.items(), key=lambda kv: district.get(kv[0]).number
                                                if kv[0] in district else 0)],
        "stock": [{"precinct": label[pid], "district": district_label(d), "issued": issued, "remote": rem}
                  for (pid, d), (issued, rem) in stock_rows.items()],
        "incidents": [{"kind": i["kind"], "member": i["member"], "status": i["status"],
                       "precinct": _precinct_label(snap.get(Precinct, i["precinct_id"]), lang),
                       "at": i["at"].astimezone(ZoneInfo(election.timezone)).strftime("%d.%m %H:%M"),
                       "details": incident_details(i, lang, election, {d: row.number for d, row in district.items()})}
                      for i in incident_raw],
    }


# --- the public figures (services/reporting/statistics.py publishes them with its small-count rules) ---

# Desks that lost the link sync within this time after election day; the figures are fixed after it.
SYNC_GRACE = dt.timedelta(days=1)


def closes_at(elections: list[Election]) -> dt.datetime | None:
    """When the turnout of these elections becomes final: the end of the day after election day."""
    ends = [end_of_day_utc(e.election_day, e.timezone) + SYNC_GRACE for e in elections if e.mode == IDENTIFICATION]
    return max(ends, default=None)


def public_cells(session: Session, day: dt.date) -> dict[tuple[str, str], int] | None:
    """(local hour "YYYY-MM-DD HH:00", precinct number) -> ballots issued, for the identification-mode
    elections of `day` (None when there is none); a missing key is 0."""
    found = identification_elections(session, day)
    if not found:
        return None
    snap = refcache.snapshot(session)
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for election in found:
        for precinct_id, hour, n in hourly(session, election, Scope(None)):
            precinct = snap.get(Precinct, precinct_id)
            cells[(f"{hour}:00", precinct.number if precinct else "?")] += n
    return dict(cells)
