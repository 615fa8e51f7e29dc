"""Extra data for the browser tests: a voter whose only election has closed, with an old application.

Run as `python -m tests.e2e.fixtures` against the e2e database after the demo seed.
"""

import datetime as dt
import random

from sqlmodel import select

from remote_vote_app.db import session_scope
from remote_vote_app.models import Application, Election, Precinct, Territory, Voter
from remote_vote_app.services.applications.applications import CONSENT_VERSION

CLOSED_VOTER = ("21010198000011", "ID9000001", "+996700900001")
CLOSED_REFERENCE = "KCDE-FHJK"
# Voters reserved for the staff journeys, so no voter journey meets their applications.
FACE_VOTER = DEMO_FACE_PIN = "21412199500678"  # demo voter 6: the seed gives it a FaceID reference (astronaut.png)
# A staff account without a second factor yet: it enrols its authenticator app at first login,
# after the one-time enrolment code its admin handed over.
ENROL_STAFF = ("e2e.enrol", "e2e-enrol-password")
ENROL_CODE = "E2EA-BCDE-FGHJ"
# A Bishkek voter of the home precinct УИК №1001 (demo staff uik.1001): applies, then shows on its exclusion list.
EXCLUSION_VOTER = ("20505199300031", "ID9000031", "+996700900031", "Сатыбалдиев", "Эмил")
# Issue 12: a voter of a council of its own whose election has one full and one almost full precinct
# (capacity 0 at ДГ-10; 9 of 10 places taken at ДГ-06), and a Bishkek voter a commission files for.
CAPACITY_VOTER = ("10606199400041", "ID9000041", "+996700900041", "Токтосунова", "Бермет")
CAPACITY_TERRITORY = "E2E_CAPACITY"
ACTIVITY_VOTER = ("20707199500051", "ID9000051", "+996700900051", "Орозбеков", "Нурбек")
# A Bishkek voter of УИК №2001 (district 1 of the demo election in identification mode), whose ballot
# test_identification_reporting.py issues at УИК №3011 (Osh, district 14).
IDENT_VOTER = ("21111198800091", "ID9000091", "+996700900091", "Усенов", "Тимур")
# A Bishkek voter whose PIN a stranger drives into guarded SMS login (test_voter_journey.py): no other
# test may meet its guarded state.
GUARDED_VOTER = ("20909199600081", "ID9000081", "+996700900081", "Маматов", "Бакыт")
STAFF_JOURNEY_VOTERS = [("20303199100021", "ID9000021", "+996700900021", "Керимов", "Самат"),
                        ("10404199200022", "ID9000022", "+996700900022", "Алымкулова", "Айзада")]

# Voters who apply at ДГ-05 and are checked in there on election day (typed reference; camera offline).
CHECKIN_VOTERS = [("20606199400041", "ID9000041", "+996700900041", "Турдубаев", "Алмаз"),
                  ("10707199500042", "ID9000042", "+996700900042", "Эсенова", "Чолпон")]
# Voters whose ДГ-05 applications the fixture files directly, for the desk's storage and sync tests
# (test_checkin.py): pin, document, phone, last name, first name, reference.
DESK_VOTERS = [("20101199000071", "ID9000071", "+996700900071", "Жээнбеков", "Улан", "DKAC-3479"),
               ("10202199000072", "ID9000072", "+996700900072", "Бакирова", "Асель", "DKAC-3497"),
               ("20303199000073", "ID9000073", "+996700900073", "Мамытов", "Руслан", "DKAC-4379"),
               ("10404199000074", "ID9000074", "+996700900074", "Исакова", "Жылдыз", "DKAC-4397"),
               ("20505199000075", "ID9000075", "+996700900075", "Токтогулов", "Нурлан", "DKAC-7349"),
               ("10606199000076", "ID9000076", "+996700900076", "Алиева", "Гулнара", "DKAC-7394"),
               ("20707199000077", "ID9000077", "+996700900077", "Сыдыков", "Бекжан", "DKAC-9743"),
               ("10808199000078", "ID9000078", "+996700900078", "Орозова", "Айгуль", "DKAC-9734")]


def desk_fixture(session) -> None:
    bishkek = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one()
    home = session.exec(select(Precinct).where(Precinct.territory_id == bishkek.id)).first()
    election = session.exec(select(Election).where(Election.territory_id == bishkek.id,
                                                   Election.is_demo == True)).first()  # noqa: E712
    dg05 = session.exec(select(Precinct).where(Precinct.number == "ДГ-05")).one()
    moment = dt.datetime(2024, 10, 20, 8, tzinfo=dt.timezone.utc)
    for pin, doc, phone, last, first, reference in DESK_VOTERS:
        voter = Voter(pin=pin, document_number=doc, last_name=last, first_name=first, phone=phone,
                      birth_date=dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3])),
                      address_ru="г. Бишкек, ул. Киевская, 2", territory_id=bishkek.id, home_precinct_id=home.id)
        session.add(voter)
        session.flush()
        session.add(Application(reference=reference, voter_id=voter.id, election_id=election.id,
                                remote_precinct_id=dg05.id, email="desk@example.kg", phone=phone, consent_at=moment,
                                consent_version=CONSENT_VERSION, created_at=moment, changed_at=moment))


def capacity_fixture(session) -> None:
    from remote_vote_app.services.applications import capacity

    chuy = session.exec(select(Territory).where(Territory.code == "CHUY")).one()
    territory = Territory(kind="aiyl_aimak", code=CAPACITY_TERRITORY, parent_id=chuy.id, name_ru="Ак-Башатский айыл аймак",
                          name_ky="Ак-Башат айыл аймагы", name_en="Ak-Bashat aiyl aimak")
    session.add(territory)
    session.flush()
    demo = session.exec(select(Election).where(Election.is_demo == True)).first()  # noqa: E712
    election = Election(kind="aiyl_kenesh", territory_id=territory.id, election_day=demo.election_day,
                        application_deadline=demo.application_deadline, is_demo=True)
    home = Precinct(kind="home", number="УИК №9998", territory_id=territory.id, place_ru="Школа", place_ky="Мектеп",
                    place_en="School", address_ru="ул. Ленина, 2", address_ky="Ленин көч., 2", address_en="2 Lenin St")
    session.add_all([election, home])
    session.flush()
    pin, doc, phone, last, first = CAPACITY_VOTER
    session.add(Voter(pin=pin, document_number=doc, last_name=last, first_name=first, phone=phone,
                      birth_date=dt.date(1994, 6, 6), address_ru="с. Ак-Башат, ул. Ленина, 5", territory_id=territory.id,
                      home_precinct_id=home.id))
    batken = session.exec(select(Precinct).where(Precinct.number == "ДГ-06")).one()
    talas = session.exec(select(Precinct).where(Precinct.number == "ДГ-10")).one()
    moment = dt.datetime(2024, 10, 20, 8, tzinfo=dt.timezone.utc)
    for index in range(9):
        voter = Voter(pin=f"1010119900{index:04d}", document_number=f"ID91000{index:02d}", last_name="Тестова",
                      first_name="Айжан", phone=f"+99670091000{index}", birth_date=dt.date(1990, 1, 10),
                      address_ru="с. Ак-Башат", territory_id=territory.id, home_precinct_id=home.id)
        session.add(voter)
        session.flush()
        session.add(Application(reference=f"CAP{index}-AAAA"[:9], voter_id=voter.id, election_id=election.id,
                                remote_precinct_id=batken.id, email="cap@example.kg", phone=voter.phone,
                                consent_at=moment, consent_version=CONSENT_VERSION, created_at=moment, changed_at=moment))
    capacity.set_capacity(session, election.id, batken.id, "10", "system:e2e")
    capacity.set_capacity(session, election.id, talas.id, "0", "system:e2e")


# Voters of the GOV.UK-pattern journeys (test_ux.py): one pair per viewport.
UX_VOTERS = [("20101199800051", "ID9000051", "+996700900051", "Жумабеков", "Азамат"),
             ("10202199800052", "ID9000052", "+996700900052", "Осмонова", "Бермет"),
             ("20303199800053", "ID9000053", "+996700900053", "Токтосунов", "Данияр"),
             ("10404199800054", "ID9000054", "+996700900054", "Абдыкадырова", "Нургуль")]


# Voters of the Kyrgyz and English journeys (test_voter_journey.py), Osh residents whose register
# address the demo seed's way writes in each language ("Ош ш., … көч., 255, 41-батир").
LANG_JOURNEY_VOTERS = {"ky": ("20808199600061", "ID9000061", "+996700900061", "Абдраимов", "Эрмек"),
                       "en": ("10909199700062", "ID9000062", "+996700900062", "Сулайманова", "Айдай")}


def lang_journey_voters(session) -> None:
    from remote_vote_app.demo.seed import _address

    osh = session.exec(select(Territory).where(Territory.code == "OSH")).one()
    home = session.exec(select(Precinct).where(Precinct.territory_id == osh.id, Precinct.kind == "home")).first()
    for pin, doc, phone, last, first in LANG_JOURNEY_VOTERS.values():
        session.add(Voter(pin=pin, document_number=doc, last_name=last, first_name=first, phone=phone,
                          birth_date=dt.date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3])),
                          **_address(random.Random(pin), osh), territory_id=osh.id, home_precinct_id=home.id))


def main() -> None:
    from remote_vote_app.models import StaffAccount
    from remote_vote_app.services.identity import staff

    with session_scope() as session:
        if not session.exec(select(StaffAccount).where(StaffAccount.username == ENROL_STAFF[0])).first():
            account = staff.create_account(session, ENROL_STAFF[0], "Наблюдатель (e2e)", ENROL_STAFF[1], "observer",
                                           actor="system:e2e")
            session.flush()
            staff.issue_enrolment_code(session, account, "system:e2e", code=ENROL_CODE)
    with session_scope() as session:
        if session.exec(select(Territory).where(Territory.code == "E2E_CLOSED")).first():
            return
        chuy = session.exec(select(Territory).where(Territory.code == "CHUY")).one()
        territory = Territory(kind="aiyl_aimak", code="E2E_CLOSED", parent_id=chuy.id, name_ru="Кара-Джыгачский айыл аймак",
                              name_ky="Кара-Жыгач айыл аймагы", name_en="Kara-Dzhygach aiyl aimak")
        session.add(territory)
        session.flush()
        election = Election(kind="aiyl_kenesh", territory_id=territory.id, election_day=dt.date(2024, 11, 17),
                            application_deadline=dt.date(2024, 11, 1))
        home = Precinct(kind="home", number="УИК №9999", territory_id=territory.id, place_ru="Школа", place_ky="Мектеп",
                        place_en="School", address_ru="ул. Ленина, 1", address_ky="Ленин көч., 1", address_en="1 Lenin St")
        session.add_all([election, home])
        session.flush()
        pin, doc, phone = CLOSED_VOTER
        voter = Voter(pin=pin, document_number=doc, last_name="Бакиев", first_name="Тилек", patronymic="Сапарович",
                      birth_date=dt.date(1980, 1, 10), address_ru="с. Кара-Джыгач, ул. Ленина, 3", territory_id=territory.id,
                      home_precinct_id=home.id, phone=phone)
        session.add(voter)
        session.flush()
        bishkek = session.exec(select(Territory).where(Territory.code == "BISHKEK")).one()
        bishkek_home = session.exec(select(Precinct).where(Precinct.territory_id == bishkek.id)).first()
        for pin_, doc_, phone_, last, first in STAFF_JOURNEY_VOTERS + CHECKIN_VOTERS + UX_VOTERS + [GUARDED_VOTER]:
            session.add(Voter(pin=pin_, document_number=doc_, last_name=last, first_name=first, phone=phone_,
                              birth_date=dt.date(int(pin_[5:9]), int(pin_[3:5]), int(pin_[1:3])),
                              address_ru="г. Бишкек, ул. Киевская, 1", territory_id=bishkek.id,
                              home_precinct_id=bishkek_home.id))
        home_1001 = session.exec(select(Precinct).where(Precinct.number == "УИК №1001")).one()
        pin_, doc_, phone_, last, first = EXCLUSION_VOTER
        session.add(Voter(pin=pin_, document_number=doc_, last_name=last, first_name=first, patronymic="Нурланович",
                          phone=phone_, birth_date=dt.date(1993, 5, 5), address_ru="г. Бишкек, ул. Токтогула, 12",
                          territory_id=bishkek.id, home_precinct_id=home_1001.id))
        pin_, doc_, phone_, last, first = IDENT_VOTER
        session.add(Voter(pin=pin_, document_number=doc_, last_name=last, first_name=first, phone=phone_,
                          birth_date=dt.date(1988, 11, 11), address_ru="г. Бишкек, ул. Манаса, 9", territory_id=bishkek.id,
                          home_precinct_id=session.exec(select(Precinct.id).where(Precinct.number == "УИК №2001")).one()))
        pin_, doc_, phone_, last, first = ACTIVITY_VOTER
        session.add(Voter(pin=pin_, document_number=doc_, last_name=last, first_name=first, phone=phone_,
                          birth_date=dt.date(1995, 7, 7), address_ru="г. Бишкек, ул. Ахунбаева, 7", territory_id=bishkek.id,
                          home_precinct_id=bishkek_home.id))
        capacity_fixture(session)
        lang_journey_voters(session)
        desk_fixture(session)
        remote = session.exec(select(Precinct).where(Precinct.kind == "remote").order_by(Precinct.id)).first()
        moment = dt.datetime(2024, 10, 20, 8, tzinfo=dt.timezone.utc)
        session.add(Application(reference=CLOSED_REFERENCE, voter_id=voter.id, election_id=election.id,
                                remote_precinct_id=remote.id, email="tilek@example.kg", phone=phone, consent_at=moment,
                                consent_version=CONSENT_VERSION, created_at=moment, changed_at=moment))


if __name__ == "__main__":
    main()
