"""The country's precincts and electoral districts for identification-mode elections.

`load(session, election, data)` writes one election's districts and every precinct's district from
a dict of the reference files' shape (data/reference/README.md, "districts"):

    {"districts": [{"number": 1, "name": {"ru", "ky", "en"}, "territory": "BISHKEK"}, ...],
     "precincts": [{"number": "УИК №2001", "district": 1, "territory": "BISHKEK", "abroad": false,
                    "city"/"place"/"address": {"ru", "ky", "en"}, "location": {"lat", "lon"}}, ...]}

Precincts already in the database (by number) are only given their district; missing ones are
created as kind `station`. `demo_country()` generates a country-sized set deterministically
(2,500 precincts in 30 districts over every region, 100 abroad), so nothing multi-megabyte is
committed; it is demo data, not the official list. Bulk Core inserts in chunks keep `make run` fast.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from remote_vote_app.i18n import LANGS, localized
from remote_vote_app.models import DistrictPrecinct, Election, ElectoralDistrict, Precinct, Territory
from remote_vote_app.services import audit

CHUNK = 500
# Region code -> (districts, precincts, centre lat, lon): shares near the 2025 lists (demo figures).
REGIONS = {
    "BISHKEK": (6, 460, 42.87, 74.59),
    "OSH": (2, 130, 40.53, 72.80),
    "CHUY": (5, 420, 42.80, 74.80),
    "OSH_O": (5, 420, 40.40, 73.20),
    "JALALABAD_O": (5, 420, 41.20, 72.50),
    "BATKEN_O": (2, 180, 40.00, 70.90),
    "ISSYKKUL": (2, 200, 42.40, 77.60),
    "NARYN_O": (1, 140, 41.40, 75.50),
    "TALAS_O": (2, 130, 42.50, 72.20),
}
FIRST_NUMBER = 2001  # country stations: УИК №2001…; the demo seed's home precincts are №1001…
ABROAD_FIRST_NUMBER = 9001
# Cities abroad with a precinct (demo): Russian, Kyrgyz, English name; lat, lon.
ABROAD = [
    ("Москва", "Москва", "Moscow", 55.75, 37.62), ("Санкт-Петербург", "Санкт-Петербург", "Saint Petersburg", 59.94, 30.31),
    ("Екатеринбург", "Екатеринбург", "Yekaterinburg", 56.84, 60.61), ("Новосибирск", "Новосибирск", "Novosibirsk", 55.03, 82.92),
    ("Казань", "Казань", "Kazan", 55.79, 49.12), ("Алматы", "Алматы", "Almaty", 43.24, 76.89),
    ("Астана", "Астана", "Astana", 51.17, 71.45), ("Ташкент", "Ташкент", "Tashkent", 41.30, 69.24),
    ("Душанбе", "Душанбе", "Dushanbe", 38.56, 68.79), ("Стамбул", "Стамбул", "Istanbul", 41.01, 28.98),
    ("Анкара", "Анкара", "Ankara", 39.93, 32.86), ("Сеул", "Сеул", "Seoul", 37.57, 126.98),
    ("Дубай", "Дубай", "Dubai", 25.20, 55.27), ("Пекин", "Бээжин", "Beijing", 39.90, 116.41),
    ("Токио", "Токио", "Tokyo", 35.68, 139.69), ("Берлин", "Берлин", "Berlin", 52.52, 13.40),
    ("Лондон", "Лондон", "London", 51.51, -0.13), ("Вашингтон", "Вашингтон", "Washington", 38.91, -77.04),
    ("Нью-Йорк", "Нью-Йорк", "New York", 40.71, -74.01), ("Минск", "Минск", "Minsk", 53.90, 27.56),
]
ABROAD_COUNT = 100
STREETS = [("Ленина", "Ленин", "Lenin"), ("Манаса", "Манас", "Manas"), ("Токтогула", "Токтогул", "Toktogul"),
           ("Айтматова", "Айтматов", "Aitmatov"), ("Фрунзе", "Фрунзе", "Frunze"), ("Гагарина", "Гагарин", "Gagarin"),
           ("Исанова", "Исанов", "Isanov"), ("Курманжан Датка", "Курманжан Датка", "Kurmanjan Datka")]


def _district_name(number: int, region: dict[str, str]) -> dict[str, str]:
    return {"ru": f"Избирательный округ №{number} ({region['ru']})",
            "ky": f"№{number} шайлоо округу ({region['ky']})",
            "en": f"Electoral district No. {number} ({region['en']})"}


def _texts(index: int, city: dict[str, str]) -> dict:
    street, house, school = STREETS[index % len(STREETS)], 1 + index * 7 % 190, 1 + index % 120
    return {"city": city,
            "place": {"ru": f"Школа №{school}", "ky": f"№{school} мектеп", "en": f"School No. {school}"},
            "address": {"ru": f"ул. {street[0]}, {house}", "ky": f"{street[1]} көч., {house}",
                        "en": f"{house} {street[2]} St"}}


def demo_country(regions: dict[str, dict[str, str]]) -> dict:
    """The generated country set; `regions` maps each code of REGIONS to its names (ru, ky, en)."""
    districts, precincts = [], []
    number, district = FIRST_NUMBER, 1
    bishkek_districts = []
    for code, (count, stations, lat, lon) in REGIONS.items():
        mine = list(range(district, district + count))
        if code == "BISHKEK":
            bishkek_districts = mine
        districts += [{"number": n, "name": _district_name(n, regions[code]), "territory": code} for n in mine]
        district += count
        for index in range(stations):
            # Precincts in blocks per district, points scattered around the region's centre.
            precincts.append({"number": f"УИК №{number}", "district": mine[index * count // stations],
                              "territory": code, "abroad": False, **_texts(number, regions[code]),
                              "location": {"lat": round(lat + (index % 23 - 11) * 0.013, 5),
                                           "lon": round(lon + (index // 23 % 23 - 11) * 0.017, 5)}})
            number += 1
    for index in range(ABROAD_COUNT):
        ru, ky, en, lat, lon = ABROAD[index % len(ABROAD)]
        # Abroad: registered voters belong to a Bishkek district (the capital's commission keeps the lists).
        precincts.append({"number": f"УИК №{ABROAD_FIRST_NUMBER + index}",
                          "district": bishkek_districts[index % len(bishkek_districts)], "territory": "BISHKEK",
                          "abroad": True, **_texts(index, {"ru": ru, "ky": ky, "en": en}),
                          "location": {"lat": round(lat + index // len(ABROAD) * 0.01, 5), "lon": lon}})
    return {"districts": districts, "precincts": precincts}


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def load(session: Session, election: Election, data: dict, actor: str = "system:import-reference") -> dict[str, int]:
    """The election's districts and each precinct's district (see the module doc); returns counts.
    Every precinct of `data` is listed in this election; an election's existing lists are kept."""
    codes = {code: tid for code, tid in session.execute(sa.select(Territory.code, Territory.id))}
    existing = {n: pid for n, pid in session.execute(sa.select(Precinct.number, Precinct.id))}
    created = [p for p in data["precincts"] if p["number"] not in existing]
    for rows in _chunks(created):
        session.execute(sa.insert(Precinct), [{
            "kind": "station", "number": p["number"], "territory_id": codes[p["territory"]],
            "abroad": bool(p.get("abroad")), "active": True, "location_precision": "approximate",
            "latitude": p["location"]["lat"], "longitude": p["location"]["lon"],
            **{f"{name}_{lang}": p.get(name, {}).get(lang, "") for name in ("city", "place", "address")
               for lang in ("ru", "ky", "en")},
            "district_ru": "", "district_ky": "", "district_en": "",
        } for p in rows])
    if created:
        existing = {n: pid for n, pid in session.execute(sa.select(Precinct.number, Precinct.id))}
    known = {n for (n,) in session.execute(sa.select(ElectoralDistrict.number)
                                           .where(ElectoralDistrict.election_id == election.id))}
    new_districts = [d for d in data["districts"] if d["number"] not in known]
    if new_districts:
        session.execute(sa.insert(ElectoralDistrict), [{
            "election_id": election.id, "number": d["number"], "territory_id": codes.get(d.get("territory")),
            **{f"name_{lang}": d["name"][lang] for lang in ("ru", "ky", "en")}} for d in new_districts])
    district_ids = {n: did for n, did in session.execute(
        sa.select(ElectoralDistrict.number, ElectoralDistrict.id).where(ElectoralDistrict.election_id == election.id))}
    listed = set(session.execute(sa.select(DistrictPrecinct.precinct_id)
                                 .where(DistrictPrecinct.election_id == election.id)).scalars())
    links = [{"election_id": election.id, "precinct_id": existing[p["number"]], "district_id": district_ids[p["district"]]}
             for p in data["precincts"] if existing[p["number"]] not in listed]
    for rows in _chunks(links):
        session.execute(sa.insert(DistrictPrecinct), rows)
    counts = {"precincts_created": len(created), "districts_created": len(new_districts), "precincts_listed": len(links)}
    if any(counts.values()):
        audit.record(session, actor, "election.districts_loaded", "election", election.id, **counts)
    return counts


def regions(session: Session) -> dict[str, dict[str, str]]:
    """The REGIONS' names from the territories table."""
    rows = session.exec(select(Territory).where(Territory.code.in_(list(REGIONS)))).all()  # type: ignore[attr-defined]
    return {t.code: {lang: localized(t, "name", lang) for lang in LANGS} for t in rows}
