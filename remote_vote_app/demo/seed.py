"""Demo data on top of the reference data (services.reference.reference): home precincts, a synthetic register,
the README's demo voters and staff, a demo election relative to today, and demo applications.

Deterministic (fixed random seed), so the demo voters listed in README always exist. Never in production.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import phonenumbers
from sqlmodel import Session, select

from remote_vote_app.models import Election, Precinct, Territory, Voter
from remote_vote_app.services.reference import reference
from remote_vote_app.services.clock import SERVICE_ZONE, local_date, years_before

# Demo voters listed in README: pin, document, phone, last, first, patronymic, territory
DEMO_VOTERS = [
    ("11503199000123", "ID1234567", "+996700123456", "Асанова", "Айгуль", "Бакытовна", "BISHKEK"),
    ("20207198500234", "ID2345678", "+996555234567", "Токтогулов", "Нурлан", "Эркинович", "OSH"),
    ("12811197200345", "AN3456789", "+996777345678", "Жумабаева", "Гулнара", "Айбековна", "KARAKOL"),
    ("20901200100456", "ID4567890", "+996502456789", "Сыдыков", "Бекзат", "Алмазович", "EMGEKCHIL"),
    ("13005196400567", "ID5678901", "+996220567890", "Осмонова", "Жыпар", "Толонбековна", "TALAS"),
    ("21412199500678", "ID6789012", "+996770678901", "Маматов", "Азамат", "Кубанычбекович", "KARA_BAK"),
    ("12204199800789", "ID7890123", "+996705789012", "Абдыкадырова", "Мээрим", "Таалайбековна", "JALALABAD"),
    ("20510197700890", "ID8901234", "+996551890123", "Иманалиев", "Эрлан", "Советбекович", "LEBEDINOVKA"),
]

MALE = ["Азамат", "Бекзат", "Нурлан", "Эрлан", "Улан", "Талант", "Айбек", "Марат", "Тимур", "Данияр", "Адилет", "Эмиль",
        "Руслан", "Канат", "Бакыт", "Алмаз", "Мирлан", "Нурсултан", "Жоомарт", "Иван", "Сергей", "Алишер", "Рустам"]
FEMALE = ["Айгуль", "Гулнара", "Жыпар", "Мээрим", "Айпери", "Бермет", "Нургуль", "Чолпон", "Асель", "Динара", "Жаркын",
          "Айжан", "Назира", "Салтанат", "Гульмира", "Каныкей", "Элнура", "Анна", "Ольга", "Дилноза", "Зарина"]
SURNAMES = ["Асанов", "Токтогулов", "Жумабаев", "Сыдыков", "Осмонов", "Маматов", "Абдыкадыров", "Иманалиев", "Садыров",
            "Алиев", "Бекмуратов", "Кадыров", "Исаков", "Мамытов", "Турдубаев", "Шаршеналиев", "Орозбаев", "Кененсариев",
            "Джумагулов", "Усенов", "Эсенгулов", "Калыков", "Иванов", "Петров", "Юсупов", "Рахимов"]
FATHERS = ["Бакыт", "Эркин", "Айбек", "Алмаз", "Толонбек", "Кубанычбек", "Таалайбек", "Советбек", "Мелис", "Нурбек",
           "Жолдош", "Асан", "Усен", "Самат"]
STREETS = ["Ленина", "Токтогула", "Киевская", "Московская", "Манаса", "Чуй", "Айтматова", "Советская", "Курманжан Датка",
           "Исанова", "Ибраимова", "Гагарина", "Фрунзе", "Жибек Жолу"]
# The same streets as Kyrgyz and English addresses name them (nominative, not the Russian genitive).
STREETS_KY = dict(zip(STREETS, ["Ленин", "Токтогул", "Киев", "Москва", "Манас", "Чүй", "Айтматов", "Советтик",
                                "Курманжан Датка", "Исанов", "Ибраимов", "Гагарин", "Фрунзе", "Жибек Жолу"]))
STREETS_EN = dict(zip(STREETS, ["Lenin", "Toktogul", "Kiev", "Moscow", "Manas", "Chuy", "Aitmatov", "Sovetskaya",
                                "Kurmanjan Datka", "Isanov", "Ibraimov", "Gagarin", "Frunze", "Jibek Jolu"]))
# The village an aiyl aimak is named after, as Russian writes it (the adjective of the aimak's Russian
# name does not give it back: Тепкинский → Тепке, Барпинский → Барпы, Ивановский → Ивановка).
VILLAGES_RU = {"LEBEDINOVKA": "Лебединовка", "IVANOVKA": "Ивановка", "TEPKE": "Тепке", "EMGEKCHIL": "Эмгекчил",
               "KOK_OI": "Кок-Ой", "BARPY": "Барпы", "TOLOIKON": "Толойкон", "KARA_BAK": "Кара-Бак"}
PHONE_PREFIXES = ["700", "701", "702", "703", "705", "707", "709", "770", "771", "772", "773", "775", "777", "550", "551",
                  "552", "555", "557", "559", "500", "501", "502", "505", "507", "509", "220", "221", "222", "225", "227"]


def _patronymic(father: str, female: bool) -> str:
    return father + ("овна" if female else "ович")


def _surname(base: str, female: bool) -> str:
    return base + "а" if female else base


def _pin(rng: random.Random, female: bool, born: dt.date, used: set[str]) -> str:
    while True:
        pin = f"{1 if female else 2}{born:%d%m%Y}{rng.randrange(100000):05d}"
        if pin not in used:
            used.add(pin)
            return pin


def _unique(rng: random.Random, make, used: set[str]) -> str:
    while True:
        value = make(rng)
        if value not in used:
            used.add(value)
            return value


def _phone(rng: random.Random) -> str:
    while True:
        number = f"+996{rng.choice(PHONE_PREFIXES)}{rng.randrange(1_000_000):06d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _address(rng: random.Random, territory: Territory) -> dict[str, str]:
    """A register address in each language's own form: Russian "г. Ош, ул. Айтматова, 255, кв. 41", Kyrgyz
    "Ош ш., Айтматов көч., 255, 41-батир" (the town before "ш.", the street's name before "көч.", the flat
    as "N-батир"), English "255 Aitmatov St, Apt 41, Osh". Draws the same random numbers in the same order
    as the Russian-only form did, so the rest of the demo data stays the same."""
    street = rng.choice(STREETS)
    ky, en = STREETS_KY[street], STREETS_EN[street]
    if territory.kind == "city":
        house, flat = rng.randrange(1, 300), rng.randrange(1, 120)
        return {"address_ru": f"г. {territory.name_ru}, ул. {street}, {house}, кв. {flat}",
                "address_ky": f"{territory.name_ky} ш., {ky} көч., {house}, {flat}-батир",
                "address_en": f"{house} {en} St, Apt {flat}, {territory.name_en}"}
    house = rng.randrange(1, 150)
    village_ru = VILLAGES_RU.get(territory.code) or territory.name_ru.split()[0].removesuffix("ский")
    # The village the aiyl aimak is named after, in its nominative ("Лебединовка айыл аймагы" → Лебединовка).
    village_ky = territory.name_ky.removesuffix(" айыл аймагы")
    village_en = territory.name_en.removesuffix(" aiyl aimak")
    return {"address_ru": f"{territory.name_ru}, с. {village_ru}, ул. {street}, {house}",
            "address_ky": f"{territory.name_ky}, {village_ky} айылы, {ky} көч., {house}",
            "address_en": f"{house} {en} St, {village_en} village, {territory.name_en}"}


def _home_address(rng: random.Random) -> dict[str, str]:
    """One street and house number in each language's address form ("ул. Ленина, 12", "Ленин көч., 12",
    "12 Lenin St"). Draws as many random numbers as it always did, so the rest of the demo data stays the same."""
    street, house = rng.choice(STREETS), rng.randrange(1, 200)
    rng.choice(STREETS), rng.randrange(1, 200), rng.randrange(1, 200), rng.choice(STREETS)  # the former draws
    return {"address_ru": f"ул. {street}, {house}", "address_ky": f"{STREETS_KY[street]} көч., {house}",
            "address_en": f"{house} {STREETS_EN[street]} St"}


# Demo staff, listed in README; only ever created by the demo seed (never in production).
DEMO_STAFF = [
    ("cec.admin", "Администратор ЦИК", "demo-admin-2024", "cec_admin", None, None),
    ("tec.bishkek", "Оператор ТИК Бишкек", "demo-tec-2024!", "tec_operator", "BISHKEK", None),
    ("uik.dg05", "Член УИК ДГ-05 (Ош)", "demo-uik-2024!", "precinct_member", None, "ДГ-05"),
    # The home precinct of the Bishkek demo voter Асанова (the first home precinct of Бишкек).
    ("uik.1001", "Член УИК №1001 (Бишкек)", "demo-uik1001-2024!", "home_precinct_member", None, "УИК №1001"),
    ("observer", "Наблюдатель", "demo-observer-2024", "observer", None, None),
    # Identification-mode desks (the demo presidential election) in two regions: Bishkek's station
    # УИК №2001 (district 1, as Асанова's home УИК №1001) and Osh Region's УИК №3011 (district 14).
    ("uik.2001", "Член УИК №2001 (Бишкек)", "demo-uik2001-2027!", "station_member", None, "УИК №2001"),
    ("uik.3011", "Член УИК №3011 (Ошская область)", "demo-uik3011-2027!", "station_member", None, "УИК №3011"),
]
# Demo accounts' TOTP secrets, published in the README (demo only): add one to an authenticator app,
# or compute codes with `pyotp.TOTP(secret).now()`.
DEMO_STAFF_TOTP = {
    "cec.admin": "HJTY3GJSKFMUEBXMOVFRMI446YTTGPQW",
    "tec.bishkek": "6VHQLFJWBJBVI6LA2S3CMOGGBQUUTV5L",
    "uik.dg05": "SEJVXG4752375Y4RY7MODQAFQKPJ3M7X",
    "uik.1001": "5UJ3F4HLOPFZD3HXC7W27EEN4BF33J75",
    "observer": "I3LHUXUUDEGJAQRIJNQHB5EAEWO7L7S6",
    "uik.2001": "SGGMYAL26EFLGKXNDYVNZV6Z7LB4WJ5A",
    "uik.3011": "MQTMGKKXKBRFCY733FNVXY34BB4PHPQU",
}
# The demo election in identification mode (law of 2025): a presidential election, no applications.
DEMO_IDENTIFICATION_DAY = dt.date(2027, 1, 17)


def is_seeded(session: Session) -> bool:
    """Demo data present (reference data alone, as in production, does not count)."""
    return session.exec(select(Voter.id).limit(1)).first() is not None


def _demo_applications(session: Session, rng: random.Random, count: int) -> None:
    """Some applications to the demo election (never for the README's demo voters), so the staff
    dashboard has something to show; written directly, without notifications."""
    from remote_vote_app.models import Application
    from remote_vote_app.services import audit
    from remote_vote_app.services.applications.applications import CONSENT_VERSION, new_reference
    from remote_vote_app.services.clock import now_utc

    fixed = {row[0] for row in DEMO_VOTERS}
    demo_by_territory = {e.territory_id: e for e in session.exec(select(Election).where(Election.is_demo == True))}  # noqa: E712
    remote = session.exec(select(Precinct).where(Precinct.kind == "remote")).all()
    candidates = [v for v in session.exec(select(Voter).order_by(Voter.id)) if v.pin not in fixed]
    now = now_utc()
    for voter in rng.sample(candidates, min(count, len(candidates))):
        created = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 7))
        channel = "online" if rng.random() < 0.75 else "in_person"
        application = Application(
            reference=new_reference(), voter_id=voter.id, election_id=demo_by_territory[voter.territory_id].id,
            remote_precinct_id=rng.choice(remote).id, email=f"voter{voter.id}@example.kg", phone=voter.phone,
            consent_at=created, consent_version=CONSENT_VERSION if channel == "online" else f"paper:{CONSENT_VERSION}",
            channel=channel, commission="" if channel == "online" else "ТИК (демо)", created_at=created, changed_at=created,
        )
        session.add(application)
        audit.record(session, "system:demo-seed", "application.submitted", "application", application.reference)


def seed(session: Session, today: dt.date | None = None, voters: int = 5000, applications: int = 0) -> None:
    """Fill a database without demo data: the reference data first (idempotent), then the demo set."""
    today = today or local_date(tz=SERVICE_ZONE)  # the demo elections are dated from today in Kyrgyzstan
    rng = random.Random(20241117)
    reference.import_reference(session)
    territories = {t.code: t for t in session.exec(select(Territory).order_by(Territory.id))}
    councils = [t for t in territories.values() if t.kind in ("city", "aiyl_aimak")]

    homes: dict[int, list[Precinct]] = {}
    number = 1001
    for territory in councils:
        for _ in range(3 if territory.kind == "city" else 1):
            precinct = Precinct(
                kind="home", number=f"УИК №{number}", territory_id=territory.id,
                city_ru=territory.name_ru, city_ky=territory.name_ky, city_en=territory.name_en,
                place_ru=f"Школа №{number % 100 + 1}", place_ky=f"№{number % 100 + 1} мектеп", place_en=f"School No. {number % 100 + 1}",
                **_home_address(rng),
            )
            session.add(precinct)
            homes.setdefault(territory.id, []).append(precinct)
            number += 1
    session.flush()

    for territory in councils:
        kind = "city_kenesh" if territory.kind == "city" else "aiyl_kenesh"
        # A demo election, open for two more weeks from the day of seeding.
        day = today + dt.timedelta(days=30)
        session.add(Election(kind=kind, territory_id=territory.id, election_day=day,
                             application_deadline=day - dt.timedelta(days=16), is_demo=True))

    used_pins: set[str] = set()
    used_docs: set[str] = set()
    rows: list[Voter] = []
    for pin, doc, phone, last, first, patronymic, code in DEMO_VOTERS:
        territory = territories[code]
        used_pins.add(pin)
        used_docs.add(doc)
        rows.append(Voter(
            pin=pin, document_number=doc, last_name=last, first_name=first, patronymic=patronymic,
            birth_date=dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3])), **_address(rng, territory),
            territory_id=territory.id, home_precinct_id=homes[territory.id][0].id, phone=phone,
        ))
    adult_latest = years_before(today, 18) - dt.timedelta(days=1)
    for index in range(max(0, voters - len(rows))):
        territory = councils[index % len(councils)]
        female = rng.random() < 0.52
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange((adult_latest - dt.date(1940, 1, 1)).days))
        rows.append(Voter(
            pin=_pin(rng, female, born, used_pins),
            document_number=_unique(rng, lambda r: f"{r.choice(['ID', 'ID', 'ID', 'AN'])}{r.randrange(10**7):07d}", used_docs),
            last_name=_surname(rng.choice(SURNAMES), female),
            first_name=rng.choice(FEMALE if female else MALE),
            patronymic=_patronymic(rng.choice(FATHERS), female),
            birth_date=born, **_address(rng, territory), territory_id=territory.id,
            home_precinct_id=rng.choice(homes[territory.id]).id, phone=_phone(rng),
        ))
    session.add_all(rows)
    session.flush()
    _demo_identification(session, territories, homes)
    from remote_vote_app.services.identity.staff import create_account, enrol

    for username, name, password, role, territory, precinct in DEMO_STAFF:
        account = create_account(session, username, name, password, role, territory_code=territory,
                                 precinct_number=precinct, actor="system:demo-seed")
        enrol(session, account, "system:demo-seed", DEMO_STAFF_TOTP[username])
    _demo_face(session)
    _demo_applications(session, rng, applications)


def _demo_identification(session: Session, territories: dict[str, Territory], homes: dict[int, list[Precinct]]) -> None:
    """The identification-mode demo election; its districts, the country's stations and the home
    precincts' districts come from the reference file districts.json (its entry names this demo
    election), imported now that the election exists."""
    from remote_vote_app.models import DistrictPrecinct

    election = Election(kind="president", territory_id=territories["KG"].id, election_day=DEMO_IDENTIFICATION_DAY,
                        application_deadline=DEMO_IDENTIFICATION_DAY, is_demo=True, mode="identification",
                        offline_policy="provisional")
    session.add(election)
    session.flush()
    reference.import_reference(session)
    listed = set(session.exec(select(DistrictPrecinct.precinct_id).where(DistrictPrecinct.election_id == election.id)))
    unlisted = sorted(p.number for precincts in homes.values() for p in precincts if p.id not in listed)
    if unlisted:  # the file's home precinct rows no longer match the seed's numbering
        raise RuntimeError(f"districts.json gives no district to the demo home precincts {', '.join(unlisted[:5])}")


DEMO_FACE_PIN = "21412199500678"
DEMO_FACE = Path(__file__).with_name("demo_face.json")  # the encoding of skimage's astronaut.png


def _demo_face(session: Session) -> None:
    """Demo voter 6 logs in by FaceID as the astronaut (the encoding ships, so no engine is needed)."""
    from remote_vote_app.services.identity import faceid

    voter = session.exec(select(Voter).where(Voter.pin == DEMO_FACE_PIN)).one()
    faceid.set_reference(session, voter.id, json.loads(DEMO_FACE.read_text()), "register", "system:demo-seed")


def seed_if_empty(session: Session, today: dt.date | None = None, voters: int = 5000, applications: int = 0) -> bool:
    if is_seeded(session):
        return False
    seed(session, today, voters, applications)
    return True
