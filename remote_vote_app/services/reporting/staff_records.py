"""What commission staff read: application search and detail, voter lists per remote precinct, audit log.

Every function takes the StaffUser from the caller's server-side session and applies that user's
scope: a territorial commission sees its territory, a remote precinct commission its own list.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from remote_vote_app.i18n import DEFAULT_LANG, date_text, has, localized, moment_text, t
from remote_vote_app.models import Application, AuditEvent, Election, Precinct, StaffAccount, Territory, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.formats import exports
from remote_vote_app.services.reference import elections, refcache
from remote_vote_app.services.applications.applications import REFERENCE_LENGTH, normalize_reference
from remote_vote_app.services.clock import SERVICE_ZONE, at_local, common_zone, now_utc, zone
from remote_vote_app.errors import NotFound
from remote_vote_app.services.identity.staff import StaffUser, require, territory_ids
from remote_vote_app.services.validation import mask_document, mask_pin

SORTS = {
    "created_desc": Application.created_at.desc(),
    "created_asc": Application.created_at.asc(),
    "reference": Application.reference.asc(),
    "precinct": Precinct.number.asc(),
    "status": Application.status.asc(),
}
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Query:
    text: str = ""
    election_day: dt.date | None = None
    precinct_id: int | None = None
    status: str = ""
    channel: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "created_desc"
    page: int = 1
    page_size: int = 25


def _scoped(session: Session, user: StaffUser, stmt):
    """A territorial commission sees its territory's voters and whatever it filed itself."""
    if user.role == "tec_operator":
        stmt = stmt.where(or_(Voter.territory_id.in_(territory_ids(session, user.territory_id or 0)),
                              Application.filed_by_staff_id == user.id))
    return stmt


def _filed_between(session: Session, first: dt.date | None, last: dt.date | None):
    """Applications filed from day `first` to day `last` inclusive (either may be None), each day
    reckoned in the zone of the application's election: a plain range of instants when all
    elections share one zone, else one range per zone."""
    def within(tz):
        return and_(*([Application.created_at >= at_local(first, dt.time(0), tz)] if first else []),
                    *([Application.created_at < at_local(last + dt.timedelta(days=1), dt.time(0), tz)] if last else []))

    names = sorted({e.timezone for e in refcache.snapshot(session).all(Election)})
    if len(names) <= 1:
        return within(zone(names[0] if names else None))
    return or_(*(and_(Election.timezone == name, within(zone(name))) for name in names))


def _surname_like(text: str) -> list:
    """A surname's beginning, in any case (SQLite's LIKE folds only ASCII case, so the usual spellings
    of a Cyrillic name are tried: as typed, Capitalised, lower and UPPER)."""
    word = text.strip()
    if len(word) < 2 or not all(ch.isalpha() or ch in " -'" for ch in word):
        return []
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    forms = {escaped, escaped[:1].upper() + escaped[1:].lower(), escaped.lower(), escaped.upper()}
    return [Voter.last_name.like(form + "%", escape="\\") for form in sorted(forms)]


def search(session: Session, user: StaffUser, q: Query, lang: str = DEFAULT_LANG) -> tuple[list[dict[str, str]], int]:
    """One page of matching applications, sorted on the server, and the total count; times as `lang` writes them."""
    require(user, "applications.view")
    stmt = (select(Application, Voter, Precinct, Election)
            .join(Voter, Voter.id == Application.voter_id)
            .join(Precinct, Precinct.id == Application.remote_precinct_id)
            .join(Election, Election.id == Application.election_id))
    stmt = _scoped(session, user, stmt)
    text = (q.text or "").strip()
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 14 and len(digits) == len(text.replace(" ", "")):
            stmt = stmt.where(Voter.pin == digits)
        else:
            reference, surnames = normalize_reference(text), _surname_like(text)
            # A reference of letters only also reads as a surname, and the OR with the surname LIKEs
            # scanned every application (340 ms on 100,000): a reference that exists is the answer.
            if surnames and len(reference) == REFERENCE_LENGTH + 1 and session.exec(
                    select(Application.id).where(Application.reference == reference).limit(1)).first() is not None:
                surnames = []
            stmt = stmt.where(or_(Application.reference == reference, *surnames))
    if q.election_day:
        stmt = stmt.where(Election.election_day == q.election_day)
    if q.precinct_id:
        stmt = stmt.where(Application.remote_precinct_id == q.precinct_id)
    if q.status in ("submitted", "withdrawn"):
        stmt = stmt.where(Application.status == q.status)
    if q.channel in ("online", "in_person"):
        stmt = stmt.where(Application.channel == q.channel)
    if q.date_from or q.date_to:
        stmt = stmt.where(_filed_between(session, q.date_from, q.date_to))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    size = q.page_size if q.page_size in PAGE_SIZES else PAGE_SIZES[0]
    page = max(1, q.page)
    rows = session.exec(stmt.order_by(SORTS.get(q.sort, SORTS["created_desc"]), Application.id.desc())
                        .offset((page - 1) * size).limit(size)).all()
    return [
        {
            "reference": a.reference,
            "name": f"{v.last_name} {v.first_name}",
            "pin": mask_pin(v.pin),
            "precinct": p.number,
            "election_day": date_text(lang, e.election_day),
            "status": a.status,
            "channel": a.channel,
            "status_key": f"status.{a.status}",
            "channel_key": f"channel.{a.channel}",
            "created": moment_text(lang, a.created_at.astimezone(zone(e))),
        }
        for a, v, p, e in rows
    ], total


def home_address(territory: Territory, voter: Voter, lang: str) -> str:
    """The voter's registered address with its territory named once (not «Бишкек, г. Бишкек, ул…»)."""
    name, address = localized(territory, "name", lang), localized(voter, "address", lang)
    return address if name in address else f"{name}, {address}"


def detail(session: Session, user: StaffUser, reference: str, lang: str = DEFAULT_LANG) -> dict:
    """One application with the voter's register data and its full history from the audit log."""
    require(user, "applications.view")
    stmt = _scoped(session, user, select(Application, Voter).join(Voter, Voter.id == Application.voter_id)
                   .where(Application.reference == normalize_reference(reference)))
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound("error.application_not_found")
    application, voter = row
    precinct = session.get(Precinct, application.remote_precinct_id)
    election = session.get(Election, application.election_id)
    territory = session.get(Territory, voter.territory_id)
    full = user.can("pii.full")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "application",
                                                   AuditEvent.entity_id == application.reference)
                          .order_by(AuditEvent.at, AuditEvent.id)).all()
    return {
        "reference": application.reference,
        "status": application.status,
        "channel": application.channel,
        "status_key": f"status.{application.status}",
        "channel_key": f"channel.{application.channel}",
        "commission": application.commission,
        "name": " ".join(x for x in (voter.last_name, voter.first_name, voter.patronymic) if x),
        "pin": voter.pin if full else mask_pin(voter.pin),
        "document": voter.document_number if full else mask_document(voter.document_number),
        "birth_date": voter.birth_date.strftime("%d.%m.%Y"),
        "home": home_address(territory, voter, lang),
        "precinct": f"{localized(precinct, 'number', lang)} — {localized(precinct, 'place', lang)}",
        "election": elections.title(election.kind, localized(territory, "name", lang), election.is_demo, lang),
        "email": application.email,
        "phone": application.phone,
        "changes": str(application.change_count),
        "history": [{"at": moment_text(lang, e.at.astimezone(zone(election)), seconds=True), "actor": e.actor,
                     "action": e.action, "details": e.details} for e in events],
    }


# --- voter lists ---

LIST_COLUMNS = ["reference", "full_name", "pin", "birth_date", "home_address", "home_territory", "election"]


def voter_list_precincts(session: Session, user: StaffUser, lang: str = DEFAULT_LANG) -> list[dict[str, str]]:
    """The remote precincts whose list this user may open (a precinct commission: its own)."""
    require(user, "voter_list.view")
    return [{"id": str(p.id), "label": f"{localized(p, 'number', lang)} — {localized(p, 'place', lang)}, "
                                       f"{localized(p, 'city', lang)}"}
            for p in session.exec(select(Precinct).where(Precinct.kind == "remote").order_by(Precinct.id))
            if user.role != "precinct_member" or p.id == user.precinct_id]


def voter_list_filename(data: dict, ext: str) -> str:
    """voters-ДГ-05-preliminary.csv while applications are still open, voters-ДГ-05-final.xlsx after."""
    return f"voters-{data['precinct_number']}-{'preliminary' if data['preliminary'] else 'final'}.{ext}"


def voter_list_download(session: Session, user: StaffUser, precinct_id: int | None, election_day: dt.date | None,
                        actor: str, fmt: str = "csv", lang: str = DEFAULT_LANG) -> tuple[str, str | bytes]:
    """(file name, CSV text or XLSX bytes) of a voter list in the staff member's language; audited."""
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    data = voter_list(session, user, precinct_id, election_day, lang=lang)
    audit.record(session, actor, "voter_list.downloaded", "precinct", data["precinct_number"], rows=len(data["rows"]),
                 format=fmt)
    return voter_list_filename(data, fmt), voter_list_xlsx(data, lang) if fmt == "xlsx" else voter_list_csv(data, lang)


def voter_list(session: Session, user: StaffUser, precinct_id: int | None, election_day: dt.date | None,
               now: dt.datetime | None = None, lang: str = DEFAULT_LANG) -> dict:
    """The voters who chose a remote precinct; 'preliminary' while applications are still open."""
    require(user, "voter_list.view")
    if user.role == "precinct_member":
        precinct_id = user.precinct_id  # a precinct commission sees only its own list, whatever it asks
    precinct = session.get(Precinct, precinct_id) if precinct_id else None
    if precinct is None or precinct.kind != "remote":
        raise NotFound("error.precinct_required")
    stmt = (select(Application, Voter, Election, Territory)
            .join(Voter, Voter.id == Application.voter_id)
            .join(Election, Election.id == Application.election_id)
            .join(Territory, Territory.id == Voter.territory_id)
            .where(Application.remote_precinct_id == precinct.id, Application.status == "submitted"))
    if election_day:
        stmt = stmt.where(Election.election_day == election_day)
    rows = session.exec(stmt.order_by(Voter.last_name, Voter.first_name, Application.reference)).all()
    # Preliminary while any election on the list (or, for an empty list, of the chosen day) still takes applications.
    listed = {e.id: e for _, _, e, _ in rows}
    if election_day is not None:
        listed |= {e.id: e for e in session.exec(select(Election).where(Election.election_day == election_day))}
    now = now or now_utc()
    open_any = any(elections.is_open(e, now) for e in listed.values())
    territories = {t_.id: t_ for t_ in session.exec(select(Territory).where(
        Territory.id.in_({e.territory_id for e in listed.values()})))} if listed else {}
    return {
        "precinct": f"{localized(precinct, 'number', lang)} — {localized(precinct, 'place', lang)}",
        "precinct_number": precinct.number,
        "preliminary": open_any,
        "elections": sorted({elections.title(e.kind, localized(territories[e.territory_id], "name", lang), e.is_demo, lang)
                             for e in listed.values() if e.territory_id in territories}),
        "as_of": moment_text(lang, now.astimezone(common_zone(listed.values()))),
        "rows": [
            {
                "reference": a.reference,
                "full_name": " ".join(x for x in (v.last_name, v.first_name, v.patronymic) if x),
                "pin": v.pin,
                "birth_date": v.birth_date.strftime("%d.%m.%Y"),
                "home_address": localized(v, "address", lang),
                "home_territory": localized(t, "name", lang),
                "election": elections.title(e.kind, localized(t, "name", lang), e.is_demo, lang),
            }
            for a, v, e, t in rows
        ],
    }


# The exported list's columns after LIST_COLUMNS: the list's status on every row; the XLSX adds a
# column for the voter's signature. Headers are list.col.<column> in the staff member's language.
LIST_STATUS, LIST_SIGNATURE = "status", "signature"


def list_header(lang: str = DEFAULT_LANG, signature: bool = False) -> list[str]:
    return [t(lang, f"list.col.{c}") for c in (*LIST_COLUMNS, LIST_STATUS, *((LIST_SIGNATURE,) if signature else ()))]


def _list_rows(data: dict, lang: str) -> list[list[object]]:
    """The rows under the header (the CSV's first line; the XLSX has its title above); a preliminary
    list says so on every row, in a column, so a filtered or cut copy still says it."""
    status = t(lang, "list.status_preliminary" if data["preliminary"] else "list.status_final")
    return [[row[c] for c in LIST_COLUMNS] + [status] for row in data["rows"]]


def voter_list_csv(data: dict, lang: str = DEFAULT_LANG) -> str:
    """For Russian- and Kyrgyz-locale Excel: UTF-8 with BOM, `;`, CRLF, the header first."""
    return exports.excel_csv([list_header(lang), *_list_rows(data, lang)])


def voter_list_xlsx(data: dict, lang: str = DEFAULT_LANG) -> bytes:
    """The list as the commission prints it: a title (precinct, elections, as of when, preliminary or
    final), the header, and an empty column for the voter's signature; all in the member's language."""
    title = [t(lang, "list.sheet_title", precinct=data.get("precinct", data["precinct_number"])),
             t(lang, "list.sheet_elections", elections="; ".join(data.get("elections", [])) or "—"),
             t(lang, "list.as_of", time=data.get("as_of", "")),
             t(lang, "list.sheet_preliminary" if data["preliminary"] else "list.sheet_final")]
    return exports.xlsx_bytes(list_header(lang, signature=True), [[*row, ""] for row in _list_rows(data, lang)],
                              sheet=str(data.get("precinct_number", "")) or t(lang, "list.title"), text_columns=(0, 2, 3), title=title)


# --- audit log ---


# The authentication filter: a prefix (every login event, every staff login) or one staff action.
AUTH_FILTERS = ("auth.", "auth.staff.", "auth.staff.success", "auth.staff.password_failure", "auth.staff.totp_failure",
                "auth.staff.lockout", "auth.staff.recovery_code_used", "auth.staff.totp_enrolled")


# An action without a message of its own is named by its subject (audit.part.<all but the last
# part>, also the record types) and outcome (audit.outcome.<last part>).
AUDIT_SUBJECTS = ("auth", "auth.sms", "auth.code_step_up", "auth.code_face_reference", "auth.face", "auth.face_reference",
                  "auth.eid", "auth.qr", "auth.staff", "auth.voter", "application", "election", "electoraldistrict",
                  "precinct", "territory", "reference", "staff", "voter", "voter_list", "checkin.flagged", "identification")
AUDIT_OUTCOMES = ("success", "failure", "lockout", "guarded", "strong_codes", "session_started", "session_ended", "code_sent",
                  "code_offered_again", "code_first", "enrolment_code_issued", "set", "scanned", "confirmed", "refused", "stale_code",
                  "submitted", "changed", "withdrawn", "phone_code_sent", "phone_verified", "dates_changed",
                  "districts_loaded", "district_changed", "created", "edited", "moved", "activated", "deactivated", "imported",
                  "downloaded",
                  "issue", "voted", "wrong_precinct", "not_registered", "under_age", "provisional", "conflict",
                  "wrong_district",
                  "repeat", "stale", "other_precinct", "not_listed", "bad_pass", "bad_time", "too_early")
AUDIT_DETAILS = ("before", "after")  # audit.detail.<name>: detail names said in words
AUDIT_ACTORS = ("system", "anonymous")  # audit.actor.<actor>


def action_text(lang: str, action: str) -> str:
    """An audited action in words: its own message (audit.action.<action>), else its subject and
    outcome ("auth.staff.session_started" → «Вход сотрудника: сеанс начат»), else the code."""
    if has(f"audit.action.{action}"):
        return t(lang, f"audit.action.{action}")
    subject, _, outcome = action.rpartition(".")
    if has(f"audit.part.{subject}") and has(f"audit.outcome.{outcome}"):
        return t(lang, "audit.action_parts", subject=t(lang, f"audit.part.{subject}"),
                 outcome=t(lang, f"audit.outcome.{outcome}"))
    return action


def actor_text(lang: str, actor: str, staff_names: dict[str, str]) -> str:
    """Who acted, in words: a staff member by login name, a voter by record number (no personal data)."""
    kind, _, ident = actor.partition(":")
    if actor in ("system", "anonymous"):
        return t(lang, f"audit.actor.{actor}")
    if actor == "system:import-reference":
        return t(lang, "audit.actor.import")
    if kind == "staff":
        return t(lang, "audit.actor.staff", name=staff_names.get(ident, ident))
    if kind == "voter":
        return t(lang, "audit.actor.voter", id=ident)
    return actor


def _value_text(lang: str, value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value_text(lang, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_value_text(lang, v) for v in value)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == value[7:8] == "-":
        try:
            return date_text(lang, dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def details_text(lang: str, details: str) -> str:
    """An event's details as "name: value; …" (dates in the page's language, "before"/"after"
    named in it), never a dict's repr."""
    try:
        data = json.loads(details or "{}")
    except ValueError:
        return details
    if not isinstance(data, dict):
        return _value_text(lang, data)
    ordered = sorted(data.items(), key=lambda item: AUDIT_DETAILS.index(item[0]) if item[0] in AUDIT_DETAILS else 9)
    return "; ".join(f"{t(lang, 'audit.detail.' + k) if has('audit.detail.' + k) else k}: {_value_text(lang, v)}"
                     for k, v in ordered)


def audit_actions(session: Session) -> list[str]:
    """The actions the log holds, for the page's action filter."""
    return sorted(session.exec(select(AuditEvent.action).distinct()).all())


def audit_log(session: Session, user: StaffUser, entity: str = "", action: str = "", actor: str = "",
              entity_id: str = "", page: int = 1, page_size: int = 50, auth: str = "",
              lang: str = DEFAULT_LANG) -> tuple[list[dict[str, str]], int]:
    """A page of the audit log, newest first, each event's action, actor and details in words in
    `lang`. `actor` is an actor code ("staff:3") or a staff member's login name."""
    require(user, "audit.view")
    actor = actor.strip()
    if actor and ":" not in actor and actor not in ("system", "anonymous"):
        account = session.exec(select(StaffAccount).where(StaffAccount.username == actor)).first()
        actor = f"staff:{account.id}" if account else actor
    stmt = select(AuditEvent)
    if auth in AUTH_FILTERS:
        stmt = stmt.where(AuditEvent.entity == "auth", AuditEvent.action.startswith(auth))
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id.strip())
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(AuditEvent.id.desc()).offset((max(1, page) - 1) * page_size).limit(page_size)).all()
    staff_ids = {int(e.actor[6:]) for e in rows if e.actor.startswith("staff:") and e.actor[6:].isdigit()}
    names = ({str(a.id): a.username for a in session.exec(select(StaffAccount).where(StaffAccount.id.in_(staff_ids)))}
             if staff_ids else {})
    # The audit log spans every election and none (logins, staff accounts): the service's zone.
    return [{"at": moment_text(lang, e.at.astimezone(SERVICE_ZONE), seconds=True), "actor": e.actor,
             "actor_text": actor_text(lang, e.actor, names),
             "action": e.action, "action_text": action_text(lang, e.action), "entity": e.entity,
             "entity_text": t(lang, f"audit.part.{e.entity}") if has(f"audit.part.{e.entity}") else e.entity,
             "entity_id": e.entity_id, "details": details_text(lang, e.details)} for e in rows], total
