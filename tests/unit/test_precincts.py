import csv
import io
import json

import pytest
from sqlmodel import select

from remote_vote_app.models import Precinct
from remote_vote_app.services import audit
from remote_vote_app.services.reference import precincts
from remote_vote_app.errors import ServiceError


def test_distance_bishkek_osh_is_about_300_km():
    bishkek, osh = precincts.town("bishkek"), precincts.town("osh")
    assert 295 < precincts.distance_km(*bishkek, *osh) < 310
    assert precincts.distance_km(*osh, *osh) == 0


def test_nearest_from_osh_is_the_osh_precinct(session):
    items = precincts.public_list(session)["ru"]
    ranked = precincts.by_distance(items, *precincts.town("osh"), "en")
    assert ranked[0]["number"] == "ДГ-05" and float(ranked[0]["distance_km"]) < 1
    assert [float(i["distance_km"]) for i in ranked] == sorted(float(i["distance_km"]) for i in ranked)
    assert precincts.by_distance(items, *precincts.town("karakol"))[0]["number"] == "ДГ-08"


def test_distances_use_the_language_decimal_separator(session):
    items = precincts.public_list(session)["ru"]
    near = precincts.by_distance(items, 40.53, 72.80, "ru")[0]["distance_km"]
    assert "," in near and "." not in near
    assert "." in precincts.by_distance(items, 40.53, 72.80, "en")[0]["distance_km"]


def test_town_picker_speaks_the_page_language():
    names = {lang: {o["code"]: o["name"] for o in precincts.town_options(lang)} for lang in ("ky", "ru", "en")}
    assert (names["ky"]["uzgen"], names["ru"]["uzgen"], names["en"]["uzgen"]) == ("Өзгөн", "Узген", "Uzgen")
    assert (names["ky"]["jalalabad"], names["ru"]["jalalabad"]) == ("Жалал-Абад", "Джалал-Абад")
    assert names["ru"]["tashkomur"] == "Таш-Кумыр" and names["ky"]["tashkomur"] == "Таш-Көмүр"


@pytest.mark.parametrize("lat, lon", [("x", 1), (None, None), (91, 0), (0, 181), (float("nan"), 0)])
def test_invalid_points(lat, lon):
    with pytest.raises(ServiceError):
        precincts.valid_point(lat, lon)


def test_unknown_town():
    with pytest.raises(ServiceError):
        precincts.town("atlantis")


def test_public_list_in_three_languages_grouped_by_city(session):
    lists = precincts.public_list(session)
    assert {len(v) for v in lists.values()} == {10}
    groups = precincts.group_by_city(lists["en"])
    assert list(groups)[:2] == ["Bishkek", "Osh"] and len(groups["Bishkek"]) == 4
    assert lists["ky"][4]["address"] == "Масалиев көч., 37"
    assert lists["ru"][0]["precision_text"].startswith("Приблизительное")


def test_geojson_and_csv_hold_ten_precincts_and_no_personal_data(session):
    data = precincts.geojson(session)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 10
    first = data["features"][0]
    assert first["geometry"]["type"] == "Point" and len(first["geometry"]["coordinates"]) == 2
    assert not {"pin", "phone", "email"} & set(first["properties"])
    json.dumps(data)  # serialisable
    rows = list(csv.DictReader(io.StringIO(precincts.csv_text(session))))
    assert len(rows) == 10 and rows[4]["address"] == "ул. Масалиева, 37" and rows[4]["region"] == "Ош"


def test_inactive_precinct_is_not_listed(session):
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-10")).one()
    precinct.active = False
    session.add(precinct)
    session.flush()
    try:
        assert len(precincts.geojson(session)["features"]) == 9
        with pytest.raises(ServiceError):
            precincts.get_active_remote(session, precinct.id)
    finally:
        precinct.active = True
        session.add(precinct)
        session.flush()


def test_staff_move_a_point_marks_it_exact_and_audits(session):
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-04")).one()
    old = (precinct.latitude, precinct.longitude)
    moved = precincts.move_point(session, precinct.id, "42.87561", 74.61038, actor="staff:7")
    session.commit()
    assert (moved.latitude, moved.longitude, moved.location_precision) == (42.87561, 74.61038, "exact")
    event = audit.history(session, "precinct", "ДГ-04")[-1]
    details = json.loads(event.details)
    assert event.actor == "staff:7" and event.action == "precinct.moved"
    assert details["before"]["lat"] == old[0] and details["after"]["precision"] == "exact"
    precinct.latitude, precinct.longitude, precinct.location_precision = *old, "approximate"
    session.add(precinct)
    session.commit()


@pytest.mark.parametrize("lat, lon, code", [(55.75, 37.62, "error.point_outside"), ("abc", 74, "error.point_invalid")])
def test_staff_move_refuses_bad_points(session, lat, lon, code):
    precinct = session.exec(select(Precinct).where(Precinct.number == "ДГ-04")).one()
    with pytest.raises(ServiceError) as info:
        precincts.move_point(session, precinct.id, lat, lon, actor="staff:7")
    assert info.value.code == code


def test_only_remote_precincts_can_be_moved(session):
    home = session.exec(select(Precinct).where(Precinct.kind == "home")).first()
    with pytest.raises(ServiceError):
        precincts.move_point(session, home.id, 42.8, 74.6, actor="staff:7")
