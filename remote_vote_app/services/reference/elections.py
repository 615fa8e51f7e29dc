"""Elections and their application deadline, decided in the election's own time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from remote_vote_app.i18n import LANGS, localized, t
from remote_vote_app.models import Election, Territory
from remote_vote_app.services import audit
from remote_vote_app.services.reference import refcache
from remote_vote_app.services.clock import end_of_day_utc, local_date, now_utc, zone
from remote_vote_app.errors import ServiceError


def closes_at_utc(election: Election) -> dt.datetime:
    """Applications are accepted up to and including the deadline day, local time."""
    return end_of_day_utc(election.application_deadline, election.timezone)


def is_open(election: Election, now: dt.datetime | None = None) -> bool:
    return (now or now_utc()) < closes_at_utc(election)


def ensure_open(election: Election, now: dt.datetime | None = None) -> None:
    if not is_open(election, now):
        raise ServiceError("error.deadline_passed", deadline=election.application_deadline.isoformat())


@dataclass(frozen=True)
class ElectionView:
    id: int
    kind: str
    territory: dict[str, str]  # lang -> name
    election_day: dt.date
    deadline: dt.date
    closes_at_utc: dt.datetime
    is_open: bool
    is_demo: bool
    timezone: str

    def title(self, lang: str) -> str:
        return title(self.kind, self.territory.get(lang) or self.territory["ru"], self.is_demo, lang)


def title(kind: str, territory_name: str, is_demo: bool, lang: str) -> str:
    """The election's name in the voter's language, marked when it is a demo election. An aiyl
    kenesh is named after its aiyl aimak without repeating "aiyl aimak" («Кара-Бак айылдык
    кеңешинин…», not «Кара-Бак айыл аймагы айылдык кеңешинин…»): each language's template says it once."""
    if kind == "aiyl_kenesh":
        territory_name = territory_name.removesuffix(" " + t(lang, "election.aiyl_aimak_word")).strip()
    text = t(lang, f"election.name.{kind}", territory=territory_name)
    return f"{t(lang, 'election.demo_prefix')} {text}" if is_demo else text


def _view(election: Election, territory: Territory, now: dt.datetime) -> ElectionView:
    return ElectionView(
        id=election.id,
        kind=election.kind,
        territory={lang: localized(territory, "name", lang) for lang in LANGS},
        election_day=election.election_day,
        deadline=election.application_deadline,
        closes_at_utc=closes_at_utc(election),
        is_open=is_open(election, now),
        is_demo=election.is_demo,
        timezone=election.timezone,
    )


def election_days(session: Session, now: dt.datetime | None = None) -> list[dict]:
    """Election days with their deadline and how many councils vote, newest first (for the landing page)."""
    now = now or now_utc()
    # Application-mode elections only: an identification-mode election takes no applications.
    rows = [e for e in refcache.snapshot(session).all(Election) if e.mode == "application"]
    days: dict[tuple[dt.date, dt.date, bool, str], int] = {}
    for election in rows:
        key = (election.election_day, election.application_deadline, election.is_demo, election.timezone)
        days[key] = days.get(key, 0) + 1
    result = []
    for (day, deadline, demo, zone_name), count in sorted(days.items(), key=lambda item: item[0][0], reverse=True):
        closes = end_of_day_utc(deadline, zone_name)
        result.append(
            {
                "election_day": day,
                "deadline": deadline,
                "is_demo": demo,
                "councils": count,
                "is_open": now < closes,
                "is_past": day < local_date(now, zone(zone_name)),  # held: listed apart from the scheduled ones
                "seconds_left": max(0, int((closes - now).total_seconds())),
            }
        )
    return result


def for_territory(session: Session, territory_id: int, now: dt.datetime | None = None) -> list[ElectionView]:
    """All application-mode elections of a territory, open first, then newest."""
    now = now or now_utc()
    reference = refcache.snapshot(session)
    rows = sorted((e for e in reference.all(Election) if e.territory_id == territory_id and e.mode == "application"),
                  key=lambda e: e.election_day, reverse=True)
    views = [_view(e, reference.get(Territory, e.territory_id), now) for e in rows]
    return sorted(views, key=lambda v: not v.is_open)


def get(session: Session, election_id: int) -> Election:
    election = session.get(Election, election_id)
    if election is None:
        raise ServiceError("error.election_required", field="election")
    return election


def update_dates(session: Session, election_id: int, election_day: object, deadline: object, actor: str) -> Election:
    """Staff set an election's day and application deadline (inclusive, local time); audited."""
    election = get(session, election_id)
    try:
        day = dt.date.fromisoformat(str(election_day))
        last = dt.date.fromisoformat(str(deadline))
    except ValueError:
        raise ServiceError("error.date_invalid") from None
    if last > day:
        raise ServiceError("error.deadline_after_election")
    before = {"election_day": election.election_day.isoformat(), "deadline": election.application_deadline.isoformat()}
    election.election_day, election.application_deadline = day, last
    session.add(election)
    audit.record(session, actor, "election.dates_changed", "election", election.id, before=before,
                 after={"election_day": day.isoformat(), "deadline": last.isoformat()})
    return election


def admin_list(session: Session, lang: str = "ru") -> list[dict[str, str]]:
    """Every election with its dates, for the staff page that sets them."""
    rows = session.exec(select(Election, Territory).join(Territory, Territory.id == Election.territory_id)
                        .order_by(Election.election_day.desc(), Territory.name_ru)).all()
    return [{"id": str(e.id), "title": title(e.kind, localized(t_, "name", lang), e.is_demo, lang),
             "election_day": e.election_day.isoformat(), "deadline": e.application_deadline.isoformat(),
             "open": "1" if is_open(e) else ""} for e, t_ in rows]
