"""Time in one place, so tests can pin it and every day and hour of an election is reckoned in its zone.

A day or an hour that belongs to an election (its deadline, "today" against its election day, the
day an application was filed, the hour a ballot was issued, reminders' quiet hours) is reckoned in
`zone(election)`. What belongs to no election is reckoned in SERVICE_ZONE.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session

# The zone of what belongs to no election (the time a login code was sent, the audit log, a voter's
# activity log across elections, the demo seed's day): the service is run by the CEC in Bishkek for
# voters of Kyrgyzstan, and Kyrgyzstan has one zone.
SERVICE_ZONE = ZoneInfo("Asia/Bishkek")


def now_utc() -> dt.datetime:
    """Aware UTC, as the database stores and returns it."""
    return dt.datetime.now(dt.timezone.utc)


def zone(election) -> ZoneInfo:
    """The time zone of an election (anything with `.timezone`, or the zone's name itself); an empty
    or unknown name (a typing error in reference data) reads as SERVICE_ZONE rather than failing
    every page that shows the election."""
    name = election if election is None or isinstance(election, str) else election.timezone
    try:
        return ZoneInfo(name) if name else SERVICE_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return SERVICE_ZONE


def common_zone(elections) -> ZoneInfo:
    """The one zone of these elections (a list, a voter list's, a day's); SERVICE_ZONE when there
    are none or their zones differ."""
    zones = {zone(e) for e in elections}
    return zones.pop() if len(zones) == 1 else SERVICE_ZONE


def local_date(moment: dt.datetime | None = None, tz: ZoneInfo = SERVICE_ZONE) -> dt.date:
    """The calendar date of `moment` (default: now) in `tz` (what a voter there calls 'today')."""
    return (moment or now_utc()).astimezone(tz).date()


def local_text(moment: dt.datetime, fmt: str = "%d.%m.%Y", tz: ZoneInfo = SERVICE_ZONE) -> str:
    return moment.astimezone(tz).strftime(fmt)


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo | str) -> dt.datetime:
    """The instant, in UTC, when the clocks in `tz` (a zone, or an election's zone name) show `time` on `day`."""
    local = dt.datetime.combine(day, time, tzinfo=tz if isinstance(tz, ZoneInfo) else zone(tz))
    return local.astimezone(dt.timezone.utc)


def end_of_day_utc(day: dt.date, tz: ZoneInfo | str) -> dt.datetime:
    """The first instant after `day` ends in `tz`, in UTC."""
    return at_local(day + dt.timedelta(days=1), dt.time(0, 0), tz)


def utc_offset_minutes(tz: ZoneInfo, day: dt.date) -> int:
    """The zone's offset from UTC at noon on `day`, in minutes (360 for Asia/Bishkek)."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
    return int(noon.utcoffset().total_seconds() // 60)


def _local_sql(session: Session, column, tz: ZoneInfo, day: dt.date, postgres_format: str, sqlite_format: str):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz.key, column), postgres_format)
    # SQLite has no zone data: the zone's offset on `day` stands for every row. Exact for a zone
    # without daylight saving (Asia/Bishkek since 2005, Europe/Moscow, Asia/Tokyo); in a zone that
    # changes its offset within the period counted, rows within an hour of local midnight would
    # fall on the neighbouring day. PostgreSQL applies each row's own offset.
    return func.strftime(sqlite_format, column, f"{utc_offset_minutes(tz, day):+d} minutes")


def day_sql(session: Session, column, tz: ZoneInfo, day: dt.date):
    """SQL for "YYYY-MM-DD", the calendar day of an aware-UTC column in `tz`; `day` is the day of
    the period counted whose offset SQLite uses (see _local_sql)."""
    return _local_sql(session, column, tz, day, "YYYY-MM-DD", "%Y-%m-%d")


def hour_sql(session: Session, column, tz: ZoneInfo, day: dt.date):
    """SQL for "YYYY-MM-DD HH", the local hour of an aware-UTC column in `tz` (`day` as in day_sql)."""
    return _local_sql(session, column, tz, day, "YYYY-MM-DD HH24", "%Y-%m-%d %H")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
