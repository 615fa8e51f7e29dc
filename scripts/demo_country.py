"""Write remote_vote_app/data/reference/districts.json: the demo country for the identification-mode
demo election (demo data, not the CEC's list). Run once; the file is what the import reads.

    .venv/bin/python scripts/demo_country.py            # writes the file
    .venv/bin/python scripts/demo_country.py --stdout   # prints it instead

Deterministic (no randomness, no clock): 2,500 polling stations of kind `station` (УИК №2001…4500)
in 30 districts over every region, 100 precincts abroad (УИК №9001…9100, in Bishkek's districts in
turn), and the demo seed's home precincts (УИК №1001…, demo/seed.py numbers them in the order of
territories.json: three per city, one per aiyl aimak), each in a district of its region (a
territory's first home precinct in its region's first district, the next in the second, and so on).
Home precincts are rows with a number and a district only: the seed creates them, the file gives
them their district. After a hand correction of the file, do not run this again: raise `version`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "remote_vote_app" / "data" / "reference"
ELECTION = {"kind": "president", "territory": "KG", "election_day": "2027-01-17", "demo": True}
# Region code -> (districts, stations, centre lat, lon): shares near the 2025 lists (demo figures).
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
FIRST_STATION = 2001  # the demo seed's home precincts are №1001…
FIRST_HOME = 1001
FIRST_ABROAD = 9001
ABROAD_COUNT = 100
# Cities abroad with a precinct: Russian, Kyrgyz, English name; lat, lon.
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


def country(territories: list[dict]) -> dict:
    """The election's entry of districts.json, from territories.json's rows (in file order)."""
    by_code = {t["code"]: t for t in territories}
    districts, precincts, first = [], [], {}
    number, district = FIRST_STATION, 1
    for code, (count, stations, lat, lon) in REGIONS.items():
        mine = first[code] = list(range(district, district + count))
        districts += [{"number": n, "territory": code, "name": _district_name(n, by_code[code]["name"])} for n in mine]
        district += count
        for index in range(stations):
            # Stations in blocks per district, points scattered around the region's centre.
            precincts.append({"number": f"УИК №{number}", "district": mine[index * count // stations],
                              "territory": code, "abroad": False, **_texts(number, by_code[code]["name"]),
                              "location": {"lat": round(lat + (index % 23 - 11) * 0.013, 5),
                                           "lon": round(lon + (index // 23 % 23 - 11) * 0.017, 5),
                                           "precision": "approximate"}})
            number += 1
    for index in range(ABROAD_COUNT):
        ru, ky, en, lat, lon = ABROAD[index % len(ABROAD)]
        # Abroad: the capital's districts in turn (README "Identification mode", home district abroad).
        precincts.append({"number": f"УИК №{FIRST_ABROAD + index}",
                          "district": first["BISHKEK"][index % len(first["BISHKEK"])], "territory": "BISHKEK",
                          "abroad": True, **_texts(index, {"ru": ru, "ky": ky, "en": en}),
                          "location": {"lat": round(lat + index // len(ABROAD) * 0.01, 5), "lon": lon,
                                       "precision": "approximate"}})
    home = FIRST_HOME
    for territory in territories:  # the seed's home precincts, in its order
        if territory["kind"] not in ("city", "aiyl_aimak"):
            continue
        region = territory
        while region["parent"]:
            region = by_code[region["parent"]]
        for index in range(3 if territory["kind"] == "city" else 1):
            precincts.append({"number": f"УИК №{home}", "district": first[region["code"]][index % len(first[region["code"]])]})
            home += 1
    return {"election": ELECTION, "districts": districts, "precincts": precincts}


def render(data: dict) -> str:
    """Indented down to the rows, one row a line: readable diffs at about 1 MB."""
    row = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    entries = []
    for entry in data["elections"]:
        entries.append("    {\n"
                       f'      "election": {row(entry["election"])},\n'
                       '      "districts": [\n' + ",\n".join(f"        {row(d)}" for d in entry["districts"]) + "\n      ],\n"
                       '      "precincts": [\n' + ",\n".join(f"        {row(p)}" for p in entry["precincts"]) + "\n      ]\n"
                       "    }")
    return ("{\n"
            f'  "version": {data["version"]},\n'
            f'  "source": {row(data["source"])},\n'
            '  "elections": [\n' + ",\n".join(entries) + "\n  ]\n}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true")
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()
    territories = json.loads((REFERENCE / "territories.json").read_text("utf-8"))["territories"]
    data = {"version": args.version,
            "source": "demo data generated by scripts/demo_country.py, not the CEC's list; see README.md in this folder",
            "elections": [country(territories)]}
    text = render(data)
    assert json.loads(text) == data
    if args.stdout:
        sys.stdout.write(text)
    else:
        (REFERENCE / "districts.json").write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
