"""Home-precinct exclusion lists.

A voter with an active remote-voting application for an election votes at the remote precinct, so
their home precinct's commission (УИК) marks them in its paper list ("votes at ДГ-05, application
№ …"). The list is computed from the active applications every time it is read: a change of remote
precinct shows at once, and a withdrawal takes the voter off (they vote at home again). It is
preliminary while the election takes applications (until the end of the deadline day, the
election's local time) and final after.

Scope: a home precinct's commission member sees only their precinct, a territorial commission the
home precincts of its territory, the CEC all of them.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session, select

from remote_vote_app.i18n import date_text, localized, moment_text, t, until_inclusive
from remote_vote_app.models import Application, Election, Precinct, Territory, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.formats import exports
from remote_vote_app.services.reference import elections
from remote_vote_app.services.clock import now_utc, zone
from remote_vote_app.errors import NotFound
from remote_vote_app.services.identity.staff import StaffUser, require, territory_ids
from remote_vote_app.services.validation import mask_pin

PERMISSION = "exclusions.view"
COLUMNS = ("reference", "full_name", "birth_date", "pin", "home_address", "remote_precinct", "note", "status")


def _scope(session: Session, user: StaffUser) -> list:
    """Conditions on Precinct for the home precincts this user may see."""
    where = [Precinct.kind == "home"]
    if user.role == "home_precinct_member":
        where.append(Precinct.id == (user.precinct_id or 0))
    elif user.role != "cec_admin":  # tec_operator: its territory and everything under it
        where.append(Precinct.territory_id.in_(territory_ids(session, user.territory_id or 0)))
    return where


def _elections(session: Session, user: StaffUser) -> list[tuple[Election, Territory]]:
    """The elections held where this user's home precincts are, newest first."""
    territories = set(session.exec(select(Precinct.territory_id).where(*_scope(session, user))).all())
    if not territories:
        return []
    return list(session.exec(select(Election, Territory).join(Territory, Territory.id == Election.territory_id)
                             .where(Election.territory_id.in_(territories))
                             .order_by(Election.election_day.desc(), Territory.name_ru, Election.id)).all())


def _label(precinct: Precinct, lang: str) -> str:
    return (f"{localized(precinct, 'number', lang)} — {localized(precinct, 'place', lang)}, "
            f"{localized(precinct, 'address', lang)}")


def choices(session: Session, user: StaffUser, election_id: int | None, precinct_id: int | None,
            lang: str = "ru", now: dt.datetime | None = None) -> dict:
    """What this user may choose from: elections, and the home precincts of the chosen one (else of
    the first still open, else the newest). A choice outside the scope falls back to the first one."""
    require(user, PERMISSION)
    now = now or now_utc()
    found = _elections(session, user)
    chosen = next((e for e, _ in found if e.id == election_id), None) \
        or next((e for e, _ in found if elections.is_open(e, now)), None) or (found[0][0] if found else None)
    places = list(session.exec(select(Precinct).where(*_scope(session, user), Precinct.territory_id == chosen.territory_id)
                               .order_by(Precinct.number))) if chosen else []
    precinct = next((p for p in places if p.id == precinct_id), places[0] if places else None)
    return {
        "elections": [{"id": str(e.id), "label": f"{elections.title(e.kind, _name(where, lang), e.is_demo, lang)}, "
                                                 f"{date_text(lang, e.election_day)}"} for e, where in found],
        "precincts": [{"id": str(p.id), "label": _label(p, lang)} for p in places],
        "election_id": chosen.id if chosen else None,
        "precinct_id": precinct.id if precinct else None,
    }


def _name(territory: Territory, lang: str) -> str:
    return localized(territory, "name", lang)


def exclusion_list(session: Session, user: StaffUser, election_id: int | None, precinct_id: int | None,
                   lang: str = "ru", now: dt.datetime | None = None) -> dict:
    """The voters of one home precinct with an active application for one election."""
    require(user, PERMISSION)
    election = session.get(Election, election_id) if election_id else None
    if election is None:
        raise NotFound("error.election_required")
    # Out of scope and nonexistent look the same: nobody learns which precincts exist elsewhere.
    precinct = session.exec(select(Precinct).where(*_scope(session, user), Precinct.id == (precinct_id or 0))).first()
    if precinct is None or precinct.territory_id != election.territory_id:
        raise NotFound("error.exclusion_precinct")
    territory = session.get(Territory, election.territory_id)
    final = not elections.is_open(election, now or now_utc())
    status = t(lang, "exclusions.status_final" if final else "exclusions.status_preliminary")
    rows = session.exec(
        select(Application, Voter, Precinct)
        .join(Voter, Voter.id == Application.voter_id)
        .join(Precinct, Precinct.id == Application.remote_precinct_id)
        .where(Application.election_id == election.id, Application.status == "submitted",
               Voter.home_precinct_id == precinct.id)
        .order_by(Voter.last_name, Voter.first_name, Voter.patronymic, Application.reference)
    ).all()
    full_pin = user.can("pii.full")
    return {
        "election": elections.title(election.kind, _name(territory, lang), election.is_demo, lang),
        "election_day": date_text(lang, election.election_day),
        "election_day_iso": election.election_day.isoformat(),
        "as_of": moment_text(lang, (now or now_utc()).astimezone(zone(election))),
        "status_text": t(lang, "exclusions.final") if final
        else t(lang, "exclusions.preliminary", until=until_inclusive(lang, election.application_deadline)),
        "precinct": _label(precinct, lang),
        "precinct_number": precinct.number,
        "final": final,
        "rows": [
            {
                "reference": a.reference,
                "full_name": " ".join(x for x in (v.last_name, v.first_name, v.patronymic) if x),
                "birth_date": v.birth_date.strftime("%d.%m.%Y"),
                "pin": v.pin if full_pin else mask_pin(v.pin),
                "home_address": localized(v, "address", lang),
                "remote_precinct": _label(remote, lang),
                "note": t(lang, "exclusions.note", precinct=remote.number, reference=a.reference),
                "status": status,
            }
            for a, v, remote in rows
        ],
    }


def file_name(data: dict, ext: str = "csv") -> str:
    """ASCII, with the list's state in it: exclusions-uik1001-2024-11-17-preliminary.csv."""
    digits = "".join(re.findall(r"\d+", data["precinct_number"])) or "precinct"
    return f"exclusions-uik{digits}-{data['election_day_iso']}-{'final' if data['final'] else 'preliminary'}.{ext}"


def csv_text(data: dict, lang: str = "ru") -> str:
    """`;`-separated UTF-8 with BOM, the header on the first line (spreadsheets in ru / ky locales)."""
    header = [t(lang, f"exclusions.col.{c}") for c in COLUMNS]
    return exports.csv_text([header, *([row[c] for c in COLUMNS] for row in data["rows"])], bom=True, delimiter=";")


def xlsx_data(data: dict, lang: str = "ru") -> bytes:
    """The list as a workbook with its title (precinct, election, as of when, preliminary or final)."""
    header = [t(lang, f"exclusions.col.{c}") for c in COLUMNS]
    title = [data["precinct"], f"{data['election']} · {t(lang, 'exclusions.election_day')} {data['election_day']}",
             t(lang, "exclusions.as_of", time=data["as_of"]), data["status_text"]]
    return exports.xlsx_bytes(header, ([row[c] for c in COLUMNS] for row in data["rows"]),
                              sheet=data["precinct_number"], text_columns=(2, 3), title=title)


def download(session: Session, user: StaffUser, election_id: int | None, precinct_id: int | None, lang: str,
             now: dt.datetime | None = None, fmt: str = "csv") -> tuple[str, str | bytes]:
    """(file name, CSV text or XLSX bytes) of an exclusion list; the download is audited."""
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    data = exclusion_list(session, user, election_id, precinct_id, lang, now)
    audit.record(session, f"staff:{user.id}", "exclusions.downloaded", "precinct", data["precinct_number"],
                 election=election_id, rows=len(data["rows"]), final=data["final"], format=fmt)
    return file_name(data, fmt), xlsx_data(data, lang) if fmt == "xlsx" else csv_text(data, lang)
