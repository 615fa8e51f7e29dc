"""Demo data: territories, the ten remote precincts of the announcement, elections and a synthetic register.

Deterministic (fixed random seed), so the demo voters listed in README always exist.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import phonenumbers
from sqlmodel import Session, select

from remote_vote_app.models import Election, Precinct, Territory, Voter
from remote_vote_app.services.clock import local_date

# Regions: code, kind, ru, ky, en
REGIONS = [
    ("BISHKEK", "city", "Бишкек", "Бишкек", "Bishkek"),
    ("OSH", "city", "Ош", "Ош", "Osh"),
    ("CHUY", "oblast", "Чуйская область", "Чүй облусу", "Chuy Region"),
    ("ISSYKKUL", "oblast", "Иссык-Кульская область", "Ысык-Көл облусу", "Issyk-Kul Region"),
    ("NARYN_O", "oblast", "Нарынская область", "Нарын облусу", "Naryn Region"),
    ("TALAS_O", "oblast", "Таласская область", "Талас облусу", "Talas Region"),
    ("JALALABAD_O", "oblast", "Джалал-Абадская область", "Жалал-Абад облусу", "Jalal-Abad Region"),
    ("OSH_O", "oblast", "Ошская область", "Ош облусу", "Osh Region"),
    ("BATKEN_O", "oblast", "Баткенская область", "Баткен облусу", "Batken Region"),
]
# Local-council territories inside oblasts: code, kind, parent, ru, ky, en
LOCAL = [
    ("TOKMOK", "city", "CHUY", "Токмок", "Токмок", "Tokmok"),
    ("LEBEDINOVKA", "aiyl_aimak", "CHUY", "Лебединовский айыл аймак", "Лебединовка айыл аймагы", "Lebedinovka aiyl aimak"),
    ("IVANOVKA", "aiyl_aimak", "CHUY", "Ивановский айыл аймак", "Ивановка айыл аймагы", "Ivanovka aiyl aimak"),
    ("KARAKOL", "city", "ISSYKKUL", "Каракол", "Каракол", "Karakol"),
    ("TEPKE", "aiyl_aimak", "ISSYKKUL", "Тепкинский айыл аймак", "Тепке айыл аймагы", "Tepke aiyl aimak"),
    ("NARYN", "city", "NARYN_O", "Нарын", "Нарын", "Naryn"),
    ("EMGEKCHIL", "aiyl_aimak", "NARYN_O", "Эмгекчилский айыл аймак", "Эмгекчил айыл аймагы", "Emgekchil aiyl aimak"),
    ("TALAS", "city", "TALAS_O", "Талас", "Талас", "Talas"),
    ("KOK_OI", "aiyl_aimak", "TALAS_O", "Кок-Ойский айыл аймак", "Көк-Ой айыл аймагы", "Kok-Oi aiyl aimak"),
    ("JALALABAD", "city", "JALALABAD_O", "Джалал-Абад", "Жалал-Абад", "Jalal-Abad"),
    ("BARPY", "aiyl_aimak", "JALALABAD_O", "Барпинский айыл аймак", "Барпы айыл аймагы", "Barpy aiyl aimak"),
    ("UZGEN", "city", "OSH_O", "Узген", "Өзгөн", "Uzgen"),
    ("TOLOIKON", "aiyl_aimak", "OSH_O", "Толойконский айыл аймак", "Толойкон айыл аймагы", "Toloikon aiyl aimak"),
    ("BATKEN", "city", "BATKEN_O", "Баткен", "Баткен", "Batken"),
    ("KARA_BAK", "aiyl_aimak", "BATKEN_O", "Кара-Бакский айыл аймак", "Кара-Бак айыл аймагы", "Kara-Bak aiyl aimak"),
]

# The ten remote precincts of the announcement. Coordinates are our best estimate: approximate.
REMOTE_PRECINCTS = [
    dict(number="ДГ-01", territory="BISHKEK", city=("Бишкек", "Бишкек", "Bishkek"),
         district=("Ленинский район", "Ленин району", "Leninsky district"),
         place=("Главный корпус КГНУ", "КУУнун башкы имараты", "Kyrgyz National University, main building"),
         address=("ул. Фрунзе, 547", "Фрунзе көч., 547", "547 Frunze St"), lat=42.8781, lon=74.6166),
    dict(number="ДГ-02", territory="BISHKEK", city=("Бишкек", "Бишкек", "Bishkek"),
         district=("Октябрьский район", "Октябрь району", "Oktyabrsky district"),
         place=("Здание районной администрации, зал детского музыкального театра «Таберик»",
                "Райондук администрациянын имараты, «Таберик» балдар музыкалык театрынын залы",
                "District administration building, hall of the Taberik children's music theatre"),
         address=("ул. Байтика Баатыра, 17", "Байтик Баатыр көч., 17", "17 Baitik Baatyr St"), lat=42.8560, lon=74.6090),
    dict(number="ДГ-03", territory="BISHKEK", city=("Бишкек", "Бишкек", "Bishkek"),
         district=("Первомайский район", "Биринчи Май району", "Pervomaysky district"),
         place=("Республиканская библиотека для детей и юношества им. К. Баялинова",
                "К. Баялинов атындагы балдар жана өспүрүмдөр үчүн республикалык китепкана",
                "K. Bayalinov Republican Library for Children and Youth"),
         address=("ул. Огонбаева, 242", "Огонбаев көч., 242", "242 Ogonbaev St"), lat=42.8742, lon=74.5905),
    dict(number="ДГ-04", territory="BISHKEK", city=("Бишкек", "Бишкек", "Bishkek"),
         district=("Свердловский район", "Свердлов району", "Sverdlovsky district"),
         place=("Театр оперы и балета им. А. Малдыбаева", "А. Малдыбаев атындагы опера жана балет театры",
                "A. Maldybaev Opera and Ballet Theatre"),
         address=("ул. Абдрахманова, 167", "Абдрахманов көч., 167", "167 Abdrakhmanov St"), lat=42.8752, lon=74.6107),
    dict(number="ДГ-05", territory="OSH", city=("Ош", "Ош", "Osh"), district=("", "", ""),
         place=("Средняя школа им. А. Навои", "А. Навои атындагы орто мектеп", "A. Navoi Secondary School"),
         address=("ул. Масалиева, 37", "Масалиев көч., 37", "37 Masaliev St"), lat=40.5290, lon=72.7985),
    dict(number="ДГ-06", territory="BATKEN", city=("Баткен", "Баткен", "Batken"), district=("", "", ""),
         place=("Средняя школа им. Ж. Боконбаева", "Ж. Бөкөнбаев атындагы орто мектеп", "Zh. Bokonbaev Secondary School"),
         address=("ул. Ж. Момунова, 16", "Ж. Момунов көч., 16", "16 Zh. Momunov St"), lat=40.0625, lon=70.8194),
    dict(number="ДГ-07", territory="JALALABAD", city=("Джалал-Абад", "Жалал-Абад", "Jalal-Abad"), district=("", "", ""),
         place=("Жалал-Абадский государственный университет им. Б. Осмонова",
                "Б. Осмонов атындагы Жалал-Абад мамлекеттик университети", "B. Osmonov Jalal-Abad State University"),
         address=("ул. Т. Байзакова, 25", "Т. Байзаков көч., 25", "25 T. Baizakov St"), lat=40.9333, lon=73.0017),
    dict(number="ДГ-08", territory="KARAKOL", city=("Каракол", "Каракол", "Karakol"), district=("", "", ""),
         place=("Государственный университет им. К. Тыныстанова", "К. Тыныстанов атындагы мамлекеттик университет",
                "K. Tynystanov State University"),
         address=("ул. Тыныстанова, 26", "Тыныстанов көч., 26", "26 Tynystanov St"), lat=42.4907, lon=78.3936),
    dict(number="ДГ-09", territory="NARYN", city=("Нарын", "Нарын", "Naryn"), district=("", "", ""),
         place=("Аппарат полномочного представителя Президента КР в Нарынской области",
                "КР Президентинин Нарын облусундагы ыйгарым укуктуу өкүлүнүн аппараты",
                "Office of the Presidential Envoy in Naryn Region"),
         address=("ул. Ленина, 76", "Ленин көч., 76", "76 Lenin St"), lat=41.4287, lon=75.9911),
    dict(number="ДГ-10", territory="TALAS", city=("Талас", "Талас", "Talas"), district=("", "", ""),
         place=("Областная библиотека им. А. Токтогулова", "А. Токтогулов атындагы облустук китепкана",
                "A. Toktogulov Regional Library"),
         address=("ул. Ч. Айтматова, 353", "Ч. Айтматов көч., 353", "353 Ch. Aitmatov St"), lat=42.5228, lon=72.2427),
]

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


def _address(rng: random.Random, territory: Territory) -> str:
    if territory.kind == "city":
        return f"г. {territory.name_ru}, ул. {rng.choice(STREETS)}, {rng.randrange(1, 300)}, кв. {rng.randrange(1, 120)}"
    village = territory.name_ru.split()[0].removesuffix("ский").removesuffix("ий")
    return f"{territory.name_ru}, с. {village}, ул. {rng.choice(STREETS)}, {rng.randrange(1, 150)}"


# Demo staff, listed in README; only ever created by the demo seed (never in production).
DEMO_STAFF = [
    ("cec.admin", "Администратор ЦИК", "demo-admin-2024", "cec_admin", None, None),
    ("tec.bishkek", "Оператор ТИК Бишкек", "demo-tec-2024!", "tec_operator", "BISHKEK", None),
    ("uik.dg05", "Член УИК ДГ-05 (Ош)", "demo-uik-2024!", "precinct_member", None, "ДГ-05"),
    # The home precinct of the Bishkek demo voter Асанова (the first home precinct of Бишкек).
    ("uik.1001", "Член УИК №1001 (Бишкек)", "demo-uik1001-2024!", "home_precinct_member", None, "УИК №1001"),
    ("observer", "Наблюдатель", "demo-observer-2024", "observer", None, None),
]
# Demo accounts' TOTP secrets, published in the README (demo only): add one to an authenticator app,
# or compute codes with `pyotp.TOTP(secret).now()`.
DEMO_STAFF_TOTP = {
    "cec.admin": "HJTY3GJSKFMUEBXMOVFRMI446YTTGPQW",
    "tec.bishkek": "6VHQLFJWBJBVI6LA2S3CMOGGBQUUTV5L",
    "uik.dg05": "SEJVXG4752375Y4RY7MODQAFQKPJ3M7X",
    "uik.1001": "5UJ3F4HLOPFZD3HXC7W27EEN4BF33J75",
    "observer": "I3LHUXUUDEGJAQRIJNQHB5EAEWO7L7S6",
}


def is_seeded(session: Session) -> bool:
    return session.exec(select(Territory.id).limit(1)).first() is not None


def _demo_applications(session: Session, rng: random.Random, count: int) -> None:
    """Some applications to the demo election (never for the README's demo voters), so the staff
    dashboard has something to show; written directly, without notifications."""
    from remote_vote_app.models import Application
    from remote_vote_app.services import audit
    from remote_vote_app.services.applications import CONSENT_VERSION, new_reference
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
    """Fill an empty database with the demo data set."""
    today = today or local_date()
    rng = random.Random(20241117)
    territories: dict[str, Territory] = {}
    for code, kind, ru, ky, en in REGIONS:
        territories[code] = Territory(kind=kind, code=code, name_ru=ru, name_ky=ky, name_en=en)
    session.add_all(territories.values())
    session.flush()
    for code, kind, parent, ru, ky, en in LOCAL:
        territories[code] = Territory(kind=kind, code=code, name_ru=ru, name_ky=ky, name_en=en,
                                      parent_id=territories[parent].id)
    session.add_all(territories.values())
    session.flush()
    councils = [t for t in territories.values() if t.kind in ("city", "aiyl_aimak")]

    for item in REMOTE_PRECINCTS:
        session.add(Precinct(
            kind="remote", number=item["number"], territory_id=territories[item["territory"]].id,
            city_ru=item["city"][0], city_ky=item["city"][1], city_en=item["city"][2],
            district_ru=item["district"][0], district_ky=item["district"][1], district_en=item["district"][2],
            place_ru=item["place"][0], place_ky=item["place"][1], place_en=item["place"][2],
            address_ru=item["address"][0], address_ky=item["address"][1], address_en=item["address"][2],
            latitude=item["lat"], longitude=item["lon"], location_precision="approximate",
        ))
    homes: dict[int, list[Precinct]] = {}
    number = 1001
    for territory in councils:
        for _ in range(3 if territory.kind == "city" else 1):
            precinct = Precinct(
                kind="home", number=f"УИК №{number}", territory_id=territory.id,
                city_ru=territory.name_ru, city_ky=territory.name_ky, city_en=territory.name_en,
                place_ru=f"Школа №{number % 100 + 1}", place_ky=f"№{number % 100 + 1} мектеп", place_en=f"School No. {number % 100 + 1}",
                address_ru=f"ул. {rng.choice(STREETS)}, {rng.randrange(1, 200)}",
                address_ky=f"{rng.choice(STREETS)} көч., {rng.randrange(1, 200)}",
                address_en=f"{rng.randrange(1, 200)} {rng.choice(STREETS)} St",
            )
            session.add(precinct)
            homes.setdefault(territory.id, []).append(precinct)
            number += 1
    session.flush()

    for territory in councils:
        kind = "city_kenesh" if territory.kind == "city" else "aiyl_kenesh"
        # The local council elections of 17 November 2024; applications closed on 1 November.
        session.add(Election(kind=kind, territory_id=territory.id, election_day=dt.date(2024, 11, 17),
                             application_deadline=dt.date(2024, 11, 1)))
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
            birth_date=dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3])), address=_address(rng, territory),
            territory_id=territory.id, home_precinct_id=homes[territory.id][0].id, phone=phone,
        ))
    adult_latest = today.replace(year=today.year - 18) - dt.timedelta(days=1)
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
            birth_date=born, address=_address(rng, territory), territory_id=territory.id,
            home_precinct_id=rng.choice(homes[territory.id]).id, phone=_phone(rng),
        ))
    session.add_all(rows)
    session.flush()
    from remote_vote_app.services.staff import create_account, enrol

    for username, name, password, role, territory, precinct in DEMO_STAFF:
        account = create_account(session, username, name, password, role, territory_code=territory,
                                 precinct_number=precinct, actor="system:demo-seed")
        enrol(session, account, "system:demo-seed", DEMO_STAFF_TOTP[username])
    _demo_face(session)
    _demo_applications(session, rng, applications)


DEMO_FACE_PIN = "21412199500678"
DEMO_FACE = Path(__file__).with_name("demo_face.json")  # the encoding of skimage's astronaut.png


def _demo_face(session: Session) -> None:
    """Demo voter 6 logs in by FaceID as the astronaut (the encoding ships, so no engine is needed)."""
    from remote_vote_app.services import faceid

    voter = session.exec(select(Voter).where(Voter.pin == DEMO_FACE_PIN)).one()
    faceid.set_reference(session, voter.id, json.loads(DEMO_FACE.read_text()), "register", "system:demo-seed")


def seed_if_empty(session: Session, today: dt.date | None = None, voters: int = 5000, applications: int = 0) -> bool:
    if is_seeded(session):
        return False
    seed(session, today, voters, applications)
    return True
