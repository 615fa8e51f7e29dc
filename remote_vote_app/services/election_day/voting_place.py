"""The voter's cabinet in identification mode (the 2025 law): "where can I vote?" and "you voted at".

Inside the home district a voter may vote only at the home precinct; outside it at any precinct.
The cabinet names the home precinct, and a short list of the nearest precincts outside the home
district by straight-line distance from the home precinct (the register holds no coordinates of
the voter). That list depends only on the home precinct, so it is built once per reference version
and shared. Once the voter holds a ballot: where and when (in the election's time zone); the
"this wasn't me" report on it goes through services.applications.activity (audited, once per event, capped per
voter), and the commission sees it among the incidents (services.election_day.turnout).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app import i18n
from remote_vote_app.i18n import localized
from remote_vote_app.models import AuditEvent, Election, IdentifiedBallot, Precinct
from remote_vote_app.services.applications import activity
from remote_vote_app.services.election_day import identification
from remote_vote_app.services.reference import precincts, refcache, register
from remote_vote_app.services.clock import local_date, now_utc, zone
from remote_vote_app.services.reference.precincts import distance_km
from remote_vote_app.services.election_day.turnout import IDENTIFICATION

_BALLOT = IdentifiedBallot.__table__.c
# SQLAlchemy Core, built once: the cabinet reads it at every visit.
_BALLOT_OF = sa.select(_BALLOT.precinct_id, _BALLOT.issued_at, _BALLOT.decision_id).where(
    _BALLOT.election_id == sa.bindparam("election"), _BALLOT.voter_id == sa.bindparam("voter")).limit(1)
NEARBY = 5
RECENT = dt.timedelta(days=60)  # a past election stays in the cabinet this long ("you voted at")


def _nearby(snap: refcache.Snapshot, election_id: int, home: Precinct) -> list[tuple[float, int]]:
    """(km, precinct id) of the nearest precincts outside the home precinct's district."""
    def build() -> list[tuple[float, int]]:
        districts = identification.precinct_districts(snap, election_id)
        own = districts.get(home.id)
        if home.latitude is None or home.longitude is None or own is None:
            return []
        measured = [(distance_km(home.latitude, home.longitude, p.latitude, p.longitude), p.id)
                    for p in snap.all(Precinct)
                    if p.active and p.latitude is not None and p.longitude is not None
                    and p.id in districts and districts[p.id].id != own.id]
        return sorted(measured)[:NEARBY]

    return snap.derive(f"voting_place.nearby:{election_id}:{home.id}", build)


def _place(precinct: Precinct, lang: str) -> dict[str, str]:
    """A precinct as strings (the map component and the cabinet's typed vars take strings)."""
    return {k: "" if v is None else str(v) for k, v in precincts.localized(precinct, lang).items()}


def overview(session: Session, voter_id: int, lang: str, now: dt.datetime | None = None) -> list[dict]:
    """Per identification-mode election the voter takes part in (upcoming, or past within RECENT):
    the home precinct and district, the nearest precincts outside the district, and the ballot."""
    snap = refcache.snapshot(session)
    voter = register.entry(session, voter_id)
    if voter is None:
        return []
    now = now or now_utc()
    result = []
    for election in sorted((e for e in snap.all(Election) if e.mode == IDENTIFICATION
                            and e.election_day >= local_date(now, zone(e)) - RECENT), key=lambda e: e.election_day):
        today = local_date(now, zone(election))
        district = identification.precinct_districts(snap, election.id).get(voter.home_precinct_id)
        home = snap.get(Precinct, voter.home_precinct_id)
        if district is None or home is None:
            continue  # the voter's precinct takes no part in this election
        ballot = session.connection().execute(_BALLOT_OF, {"election": election.id, "voter": voter_id}).first()
        voted = {}
        if ballot is not None:
            where = snap.get(Precinct, ballot.precinct_id)
            local = ballot.issued_at.astimezone(zone(election))
            # The decision's audit event (its details name the decision, keys sorted): "this wasn't me" names it.
            event = session.exec(select(AuditEvent.id).where(
                AuditEvent.entity == "voter", AuditEvent.entity_id == str(voter_id),
                AuditEvent.action.in_(activity.IDENTIFICATION_ACTIONS),
                AuditEvent.details.contains(f'"decision": {ballot.decision_id},'))).first()
            voted = {"precinct": where.number if where else "", "address": localized(where, "address", lang) if where else "",
                     "time": local.strftime("%H:%M"), "date": local.strftime("%d.%m.%Y"), "event_id": str(event or "")}
        nearby = [{**_place(snap.get(Precinct, pid), lang), "distance_km": i18n.number(lang, km, 1 if km < 10 else 0)}
                  for km, pid in _nearby(snap, election.id, home)]
        result.append({
            "election_id": str(election.id),
            "election_day": i18n.date_text(lang, election.election_day),
            "upcoming": election.election_day >= today,
            "home": _place(home, lang),
            "district": f"{district.number} — {district.name.get(lang) or district.name['ru']}",
            "nearby": nearby,
            "voted": voted,
        })
    return result


def current(session: Session, voter_id: int, lang: str, now: dt.datetime | None = None) -> dict | None:
    """The one election the cabinet shows: the next one (election day included), else the latest."""
    found = overview(session, voter_id, lang, now)
    return next((f for f in found if f["upcoming"]), found[-1] if found else None)


def where_summary(place: dict | None, activity_rows: list[dict[str, str]]) -> tuple[dict[str, str], list]:
    """The cabinet's "where can I vote?" from `current`: the home precinct and, once the voter's
    ballot is issued, where and when, with the status of a "this wasn't me" report on that event."""
    if place is None:
        return {}, []
    home, voted = place["home"], place["voted"]
    reported = next((e for e in activity_rows if voted and e["id"] == voted.get("event_id")), None)
    return ({"day": place["election_day"], "district": place["district"], "home_number": home["number"],
             "home_place": home["place"], "home_address": home["address"],
             "voted_precinct": voted.get("precinct", ""), "voted_time": voted.get("time", ""),
             "voted_date": voted.get("date", ""), "event_id": voted.get("event_id", ""),
             "report_status": reported["report_status"] if reported and reported["reported"] else ""},
            place["nearby"])
