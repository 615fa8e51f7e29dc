import datetime as dt

import pytest

from remote_vote_app.models import Election
from remote_vote_app.services.reference import elections
from tests.unit.conftest import DEMO_DEADLINE, SEED_DAY, bishkek

ELECTION_2024 = Election(kind="city_kenesh", territory_id=1, election_day=dt.date(2024, 11, 17),
                         application_deadline=dt.date(2024, 11, 1))


def test_deadline_day_is_inclusive_until_2359_59_bishkek():
    assert elections.is_open(ELECTION_2024, bishkek(23, 59, 59, day=dt.date(2024, 11, 1)))


def test_closed_at_midnight_bishkek_even_though_utc_is_still_the_deadline_day():
    moment = bishkek(0, 0, 0, day=dt.date(2024, 11, 2))
    assert moment.astimezone(dt.timezone.utc).date() == dt.date(2024, 11, 1)  # 18:00 UTC on 1 November
    assert not elections.is_open(ELECTION_2024, moment)


def test_closes_at_is_18_utc_on_the_deadline_day():
    assert elections.closes_at_utc(ELECTION_2024) == dt.datetime(2024, 11, 1, 18, 0, tzinfo=dt.timezone.utc)


def test_an_elections_zone_is_its_own_and_a_bad_or_missing_name_reads_as_the_service_zone():
    from zoneinfo import ZoneInfo

    from remote_vote_app.services import clock

    tokyo = Election(kind="city_kenesh", territory_id=1, election_day=dt.date(2024, 11, 17),
                     application_deadline=dt.date(2024, 11, 1), timezone="Asia/Tokyo")
    assert clock.zone(tokyo) == clock.zone("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    for bad in (None, "", "Asia/Nowhere", "../etc"):
        assert clock.zone(bad) == clock.SERVICE_ZONE
    assert clock.common_zone([tokyo, tokyo]) == ZoneInfo("Asia/Tokyo")
    assert clock.common_zone([tokyo, ELECTION_2024]) == clock.common_zone([]) == clock.SERVICE_ZONE
    # Tokyo's deadline ends at 15:00 UTC, three hours before Bishkek's.
    assert elections.closes_at_utc(tokyo) == dt.datetime(2024, 11, 1, 15, 0, tzinfo=dt.timezone.utc)


def test_election_days_on_landing(session):
    now = bishkek(12, day=SEED_DAY + dt.timedelta(days=3))
    days = elections.election_days(session, now=now)
    assert [d["is_demo"] for d in days] == [True, False]
    demo, real = days
    assert demo["is_open"] and demo["deadline"] == DEMO_DEADLINE
    assert demo["seconds_left"] == 11 * 86400 + 12 * 3600
    assert not real["is_open"] and real["deadline"] == dt.date(2024, 11, 1) and real["seconds_left"] == 0


def test_the_landing_lists_a_held_election_apart_from_the_scheduled_ones(session):
    from remote_vote_app.state.public import LandingState
    from tests.support.states import Browser

    browser = Browser()
    browser.call(LandingState, "load")
    landing = browser.state(LandingState)
    # 17 November 2024 has passed: not under "Назначенные выборы", and it says it took place.
    assert landing.past_days and all(d["day"].endswith("17.11.2024") for d in landing.past_days)
    assert landing.past_days[0]["open"] == "" and landing.past_days[0]["councils"] == "Выборы в 17 местных кенешах"
    assert landing.past_days[0]["deadline"] == "Заявления принимались по 1 ноября 2024 г. включительно (время Бишкека)."
    assert not any(d["day"].endswith("17.11.2024") for d in landing.election_days)


@pytest.mark.parametrize("lang,name,expected", [
    ("ky", "Эмгекчил айыл аймагы", "Эмгекчил айылдык кеңешинин депутаттарын шайлоо"),
    ("ru", "Кара-Бакский айыл аймак", "Выборы депутатов айылного кенеша: Кара-Бакский айылный аймак"),
    ("en", "Kara-Bak aiyl aimak", "Kara-Bak aiyl council election"),
])
def test_an_aiyl_kenesh_election_names_its_aimak_once_in_one_language(lang, name, expected):
    # Not «Эмгекчил айыл аймагы айылдык кеңешинин…», nor «айылного кенеша: … айыл аймак» (two languages mixed).
    assert elections.title("aiyl_kenesh", name, False, lang) == expected
