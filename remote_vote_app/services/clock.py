"""Time in one place, so tests can pin it and deadlines are decided in the election's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BISHKEK = ZoneInfo("Asia/Bishkek")


def now_utc() -> dt.datetime:
    """Aware UTC, as the database stores and returns it."""
    return dt.datetime.now(dt.timezone.utc)


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in Kyrgyzstan (what a voter calls 'today')."""
    return (moment or now_utc()).astimezone(BISHKEK).date()


def local_text(moment: dt.datetime, fmt: str = "%d.%m.%Y") -> str:
    return moment.astimezone(BISHKEK).strftime(fmt)


def end_of_day_utc(day: dt.date, zone: str) -> dt.datetime:
    """The first instant after `day` ends in `zone`, in UTC."""
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=ZoneInfo(zone))
    return start_next.astimezone(dt.timezone.utc)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
