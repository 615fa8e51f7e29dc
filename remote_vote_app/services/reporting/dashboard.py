"""Live statistics for commissions, and anomalies worth a second look."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, select

from remote_vote_app.i18n import DEFAULT_LANG, date_text, localized, t, time_left
from remote_vote_app.models import Application, Election, Precinct, Territory, Voter
from remote_vote_app.services.election_day import checkin
from remote_vote_app.services.reference import elections
from remote_vote_app.services.clock import day_sql, now_utc, zone
from remote_vote_app.settings import settings


def election_days(session: Session) -> list[dt.date]:
    return sorted({row for row in session.exec(select(Election.election_day).distinct())}, reverse=True)


def default_day(session: Session, now: dt.datetime | None = None) -> dt.date | None:
    """The election day staff most likely care about: the one still open, else the latest."""
    days = elections.election_days(session, now)
    open_days = [d["election_day"] for d in days if d["is_open"]]
    return (open_days or [d["election_day"] for d in days] or [None])[0]


def overview(session: Session, day: dt.date | None, with_anomalies: bool, now: dt.datetime | None = None,
             lang: str = DEFAULT_LANG) -> dict:
    """What the staff dashboard shows: the election days, the chosen day (else the default one),
    its figures, the check-in flags (counts for all; the list, like the anomalies and the check-in
    incidents with the members' names, for those who may see them) and the anomalies."""
    day = day or default_day(session, now)
    return {
        "days": election_days(session),
        "day": day,
        "statistics": statistics(session, day, now, lang) if day else None,
        "anomalies": anomalies(session) if day and with_anomalies else None,
        "flags": checkin.flags(session, day, limit=50 if with_anomalies else 0) if day else None,
        "incidents": checkin.incidents(session, day) if day and with_anomalies else [],
    }


def filed_per_day(session: Session, election_day: dt.date, *columns) -> list[tuple]:
    """(day filed, *columns, count) of the active applications for the elections of `election_day`,
    grouped by `columns` too; the day an application was filed is reckoned in its election's zone
    (one query per zone among the day's elections, usually one)."""
    names = session.exec(select(Election.timezone).where(Election.election_day == election_day).distinct()).all()
    rows: list[tuple] = []
    for name in sorted(names):
        day = day_sql(session, Application.created_at, zone(name), election_day)
        rows += [tuple(r) for r in session.exec(
            select(day, *columns, func.count()).select_from(Application)
            .join(Election, Election.id == Application.election_id)
            .where(Election.election_day == election_day, Election.timezone == name, Application.status == "submitted")
            .group_by(day, *columns)).all()]
    return rows


def issued_per_precinct(session: Session, election_day: dt.date) -> dict[int, int]:
    """Ballots issued per remote precinct id for the elections of a day, from election-day check-in."""
    totals: dict[int, int] = {}
    for election_id in session.exec(select(Election.id).where(Election.election_day == election_day)):
        for precinct_id, count in checkin.issued_counts(session, election_id).items():
            totals[precinct_id] = totals.get(precinct_id, 0) + count
    return totals


def fill_per_precinct(session: Session, election_day: dt.date) -> dict[int, dict[str, object]]:
    """Per remote precinct: the places set for the elections of a day, how full they are (percent)
    and the level (ok | almost_full | full); precincts without any limit are left out."""
    from remote_vote_app.services.applications import capacity  # noqa: PLC0415

    election_ids = list(session.exec(select(Election.id).where(Election.election_day == election_day)))
    totals: dict[int, list[int]] = {}
    for levels in capacity.fills(session, election_ids).values():
        for precinct_id, fill in levels.items():
            if fill.capacity is not None:
                cap_booked = totals.setdefault(precinct_id, [0, 0])
                cap_booked[0] += fill.capacity
                cap_booked[1] += fill.booked
    result = {}
    for precinct_id, (places, taken) in totals.items():
        level = capacity.Fill(places, taken).level
        result[precinct_id] = {"capacity": places, "fill": f"{capacity.Fill(places, taken).percent} %", "level": level}
    return result


def statistics(session: Session, election_day: dt.date, now: dt.datetime | None = None, lang: str = DEFAULT_LANG) -> dict:
    """Counts of active applications for all councils voting on one election day."""
    now = now or now_utc()
    base = (
        select(Application)
        .join(Election, Election.id == Application.election_id)
        .where(Election.election_day == election_day, Application.status == "submitted")
        .subquery()
    )
    total = session.exec(select(func.count()).select_from(base)).one()
    withdrawn = session.exec(
        select(func.count()).select_from(Application).join(Election, Election.id == Application.election_id)
        .where(Election.election_day == election_day, Application.status == "withdrawn")
    ).one()
    per_precinct_rows = session.exec(
        select(Precinct, func.count(base.c.id))
        .select_from(Precinct).join(base, base.c.remote_precinct_id == Precinct.id, isouter=True)
        .where(Precinct.kind == "remote").group_by(Precinct.id).order_by(Precinct.id)
    ).all()
    issued = issued_per_precinct(session, election_day)
    fill = fill_per_precinct(session, election_day)
    territories = {t.id: t for t in session.exec(select(Territory))}

    def region(tid: int) -> Territory:
        territory = territories[tid]
        while territory.parent_id:
            territory = territories[territory.parent_id]
        return territory

    per_region: dict[str, int] = {}
    for territory_id, count in session.exec(
        select(Voter.territory_id, func.count()).select_from(base).join(Voter, Voter.id == base.c.voter_id)
        .group_by(Voter.territory_id)
    ).all():
        name = localized(region(territory_id), "name", lang)
        per_region[name] = per_region.get(name, 0) + count
    per_day: dict[str, int] = defaultdict(int)
    for filed, count in filed_per_day(session, election_day):
        per_day[filed] += count
    by_channel = dict(session.exec(select(base.c.channel, func.count()).select_from(base).group_by(base.c.channel)).all())
    deadlines = session.exec(select(Election.application_deadline, Election.timezone)
                             .where(Election.election_day == election_day)).first()
    closes = elections.end_of_day_utc(*deadlines) if deadlines else now
    return {
        "election_day": election_day,
        "deadline": deadlines[0] if deadlines else None,
        "seconds_left": max(0, int((closes - now).total_seconds())),
        "total": total,
        "withdrawn": withdrawn,
        "per_precinct": [{"number": localized(p, "number", lang), "place": localized(p, "place", lang),
                          "city": localized(p, "city", lang), "count": k, "issued": issued.get(p.id, 0),
                          **fill.get(p.id, {"capacity": "", "fill": "", "level": ""})}
                         for p, k in per_precinct_rows],
        "per_region": sorted(({"region": k, "count": v} for k, v in per_region.items()), key=lambda r: -r["count"]),
        "per_day": [{"day": d, "count": per_day[d]} for d in sorted(per_day)],
        "by_channel": {"online": by_channel.get("online", 0), "in_person": by_channel.get("in_person", 0)},
    }


def anomalies(session: Session, contact_limit: int | None = None, change_limit: int | None = None) -> dict:
    """Contacts shared by more active applications than expected, and voters who keep changing theirs."""
    contact_limit = contact_limit or settings.anomaly_contact_limit
    change_limit = change_limit or settings.anomaly_change_limit
    active = Application.status == "submitted"
    phones = session.exec(select(Application.phone, func.count()).where(active).group_by(Application.phone)
                          .having(func.count() > contact_limit).order_by(func.count().desc())).all()
    emails = session.exec(select(Application.email, func.count()).where(active).group_by(Application.email)
                          .having(func.count() > contact_limit).order_by(func.count().desc())).all()
    changers = session.exec(select(Application.reference, Application.change_count)
                            .where(Application.change_count > change_limit).order_by(Application.change_count.desc())).all()
    return {
        "contact_limit": contact_limit,
        "change_limit": change_limit,
        "phones": [{"value": v, "count": c} for v, c in phones],
        "emails": [{"value": v, "count": c} for v, c in emails],
        "changers": [{"reference": r, "count": c} for r, c in changers],
    }


def headline(data: dict, lang: str) -> dict[str, str]:
    """The dashboard's top figures from `statistics`: the counts, and the time left or "closed"."""
    return {
        "total": str(data["total"]), "withdrawn": str(data["withdrawn"]),
        "online": str(data["by_channel"]["online"]), "in_person": str(data["by_channel"]["in_person"]),
        "left": time_left(lang, data["seconds_left"]) if data["seconds_left"] else t(lang, "stats.closed"),
        "deadline": date_text(lang, data["deadline"]) if data["deadline"] else "",
    }


def flag_details(flag: dict, lang: str) -> str:
    """What a check-in flag adds: the first precinct, the versions, and the device's own time when an
    offline desk's clock disagrees with the server's."""
    return "; ".join(x for x in (
        t(lang, "stats.flag_first", precinct=flag["first_precinct"]) if flag["first_precinct"] else "",
        t(lang, "stats.flag_versions", versions=flag["versions"]) if flag["versions"] else "",
        t(lang, "stats.flag_device_says", at=flag["claimed_at"])
        if flag["offline"] and flag["claimed_at"] and flag["claimed_at"] != flag["at"] else "") if x)


def incident_rows(incidents: list[dict], lang: str) -> list[dict[str, str]]:
    """Ballots issued twice: each side as "member, precinct, time" (an offline desk's time marked as its own)."""
    def side(i: dict, n: int) -> str:
        at = t(lang, "stats.device_says_time", at=i["times"][n]) if i["offline"][n] else i["times"][n]
        return f"{i['members'][n]}, {i['precincts'][n]}, {at}"

    return [{"reference": i["reference"], "first": side(i, 0), "second": side(i, 1)} for i in incidents]

