"""Applications to vote at a remote precinct: submit, change, withdraw, read.

Every function takes the voter's id from the caller's server-side session; a reference number
from the browser is only ever looked up among that voter's own applications.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from remote_vote_app.i18n import LANGS, date_text, localized, t
from remote_vote_app.models import Application, Election, Precinct, Territory, Voter
from remote_vote_app.services import audit, capacity, elections, passes, precincts, refcache
from remote_vote_app.services.clock import local_date, local_text, now_utc
from remote_vote_app.services.errors import FieldErrors, NotFound, ServiceError
from remote_vote_app.services.notifications import Sender
from remote_vote_app.services.validation import normalize_email, normalize_phone

# The consent text the voter agrees to (message consent.text); a new wording is a new version.
# v2: the Kyrgyz text says ЖИН (not ПИН) and reads more naturally; same content in every language.
CONSENT_VERSION = "2024-10-v2"
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G look-alikes.
REFERENCE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{body[:4]}-{body[4:]}"


def normalize_reference(raw: str) -> str:
    text = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return f"{text[:4]}-{text[4:]}" if len(text) == REFERENCE_LENGTH else text


@dataclass(frozen=True)
class Draft:
    election_id: int | None
    precinct_id: int | None
    email: str
    phone: str
    consent: bool


def _actor(voter_id: int, staff_actor: str | None) -> str:
    return staff_actor or f"voter:{voter_id}"


def validate(session: Session, voter_id: int, draft: Draft, now: dt.datetime | None = None,
             channel: str = "online", *, lang: str = "ru", keep_precinct: int | None = None) -> Draft:
    """The draft with normalized contacts, or FieldErrors naming every wrong field. At a commission
    (`channel="in_person"`) the e-mail is optional: the SMS to the register phone confirms. A full
    precinct is refused here already (with the nearest ones that have room), unless it is
    `keep_precinct`, the one the voter's application already holds a place at."""
    voter = session.get(Voter, voter_id)
    errors: dict[str, ServiceError] = {}
    election = refcache.row(session, Election, draft.election_id) if draft.election_id else None
    if election is None or election.territory_id != voter.territory_id:
        errors["election"] = ServiceError("error.election_required", field="election")
    elif not elections.is_open(election, now):
        errors["election"] = ServiceError("error.deadline_passed", field="election")
    email, phone = draft.email, draft.phone
    try:
        precincts.get_active_remote(session, draft.precinct_id)
        if "election" not in errors and draft.precinct_id != keep_precinct:
            capacity.ensure_room(session, election.id, draft.precinct_id, lang)
    except ServiceError as exc:
        errors["precinct"] = exc
    try:
        email = "" if channel == "in_person" and not (draft.email or "").strip() else normalize_email(draft.email)
    except ServiceError as exc:
        errors["email"] = exc
    try:
        phone = normalize_phone(draft.phone)
    except ServiceError as exc:
        errors["phone"] = exc
    if not draft.consent:
        errors["consent"] = ServiceError("error.consent_required", field="consent")
    if errors:
        raise FieldErrors(errors)
    return replace(draft, email=email, phone=phone)


def _active(session: Session, voter_id: int, election_id: int) -> Application | None:
    return session.exec(
        select(Application).where(
            Application.voter_id == voter_id,
            Application.election_id == election_id,
            Application.status == "submitted",
        )
    ).first()


def submit(
    session: Session, voter_id: int, draft: Draft, sender: Sender, lang: str, *,
    channel: str = "online", staff_actor: str | None = None, commission: str = "", now: dt.datetime | None = None,
) -> Application:
    """File an application: online by the voter, or in person by commission staff (same rules)."""
    now = now or now_utc()
    draft = validate(session, voter_id, draft, now, channel, lang=lang)
    existing = _active(session, voter_id, draft.election_id)
    if existing is not None:
        raise ServiceError("error.already_applied", reference=existing.reference)
    # The binding capacity check: the capacity row stays locked until this transaction commits.
    capacity.take_place(session, draft.election_id, draft.precinct_id, lang)
    application = _insert(session, voter_id, draft, channel, now, staff_actor, commission, lang)
    audit.record(
        session, _actor(voter_id, staff_actor), "application.submitted", "application", application.reference,
        election_id=draft.election_id, precinct_id=draft.precinct_id, channel=channel,
    )
    _notify(session, application, sender, lang, "submitted")
    return application


def submit_once(session: Session, voter_id: int, draft: Draft, sender: Sender, lang: str,
                now: dt.datetime | None = None) -> Application:
    """`submit`, idempotent for the voter: the same answers confirmed again (a double click, an
    event re-sent after a lost connection) return the application already filed, once."""
    try:
        return submit(session, voter_id, draft, sender, lang, now=now)
    except ServiceError as exc:
        existing = _active(session, voter_id, draft.election_id) if exc.code == "error.already_applied" else None
        if existing is not None and (existing.remote_precinct_id, existing.email, existing.phone) == (
                draft.precinct_id, normalize_email(draft.email), normalize_phone(draft.phone)):
            return existing
        raise


def _insert(session: Session, voter_id: int, draft: Draft, channel: str, now: dt.datetime,
            staff_actor: str | None, commission: str, lang: str = "ru") -> Application:
    """Insert in a savepoint: a concurrent submit (unique index) or a reference collision undoes only this."""
    for _ in range(5):
        application = Application(
            reference=new_reference(), voter_id=voter_id, election_id=draft.election_id,
            remote_precinct_id=draft.precinct_id, email=draft.email, phone=draft.phone, consent_at=now,
            consent_version=CONSENT_VERSION if channel == "online" else f"paper:{CONSENT_VERSION}",
            channel=channel, created_at=now, changed_at=now, commission=commission,
            lang=lang if lang in LANGS else "ru",
            filed_by_staff_id=int(staff_actor.split(":")[1]) if staff_actor else None,
        )
        try:
            with session.begin_nested():
                session.add(application)
        except IntegrityError:
            existing = _active(session, voter_id, draft.election_id)
            if existing is not None:
                raise ServiceError("error.already_applied", reference=existing.reference) from None
            continue  # the random reference was taken: draw another
        return application
    raise ServiceError("error.unexpected")


def _save(session: Session, application: Application, **values: object) -> None:
    """Update only if nobody changed or withdrew the application since we read it."""
    result = session.execute(
        update(Application)
        .where(Application.id == application.id, Application.version == application.version,
               Application.status == "submitted")
        .values(version=application.version + 1, **values)
    )
    if result.rowcount != 1:
        raise ServiceError("error.application_conflict")
    session.refresh(application)


def own(session: Session, voter_id: int, reference: str) -> Application:
    """The voter's own application; another voter's reference looks exactly like a missing one."""
    application = session.exec(
        select(Application).where(Application.reference == normalize_reference(reference))
    ).first()
    if application is None or application.voter_id != voter_id:
        raise NotFound("error.application_not_found")
    return application


def _ensure_changeable(session: Session, application: Application, now: dt.datetime,
                       expected_version: int | None = None) -> Election:
    """Open for change; with `expected_version` (what the voter's page showed), a change made
    elsewhere since then (another tab, a commission) refuses this one instead of overwriting it."""
    if expected_version is not None and application.version != expected_version:
        raise ServiceError("error.application_conflict")
    if application.status != "submitted":
        raise ServiceError("error.application_withdrawn")
    election = refcache.row(session, Election, application.election_id)
    elections.ensure_open(election, now)
    return election


def change(
    session: Session, voter_id: int, reference: str, draft: Draft, sender: Sender, lang: str, *,
    staff_actor: str | None = None, now: dt.datetime | None = None, expected_version: int | None = None,
) -> Application:
    """Change precinct and contacts (not the election) until the deadline."""
    now = now or now_utc()
    application = own(session, voter_id, reference)
    _ensure_changeable(session, application, now, expected_version)
    draft = validate(session, voter_id, replace(draft, election_id=application.election_id), now,
                     "in_person" if staff_actor else "online", lang=lang, keep_precinct=application.remote_precinct_id)
    changed = {
        field: (getattr(application, attr), value)
        for field, attr, value in (
            ("precinct_id", "remote_precinct_id", draft.precinct_id),
            ("email", "email", draft.email),
            ("phone", "phone", draft.phone),
        )
        if getattr(application, attr) != value
    }
    if not changed:
        return application
    if "precinct_id" in changed:
        capacity.take_place(session, application.election_id, draft.precinct_id, lang, exclude_id=application.id)
    _save(session, application, remote_precinct_id=draft.precinct_id, email=draft.email, phone=draft.phone,
          consent_at=now, consent_version=CONSENT_VERSION, change_count=application.change_count + 1, changed_at=now)
    # Contacts are personal data: the audit names the changed fields, precinct ids in full.
    details = {"fields": sorted(changed)}
    if "precinct_id" in changed:
        details["precinct_from"], details["precinct_to"] = changed["precinct_id"]
    audit.record(session, _actor(voter_id, staff_actor), "application.changed", "application", application.reference, **details)
    _notify(session, application, sender, lang, "changed")
    _notify_previous_contacts(session, application, changed, sender, lang)
    return application


def changes_contacts(session: Session, voter_id: int, reference: str, draft: Draft) -> bool:
    """Whether saving `draft` over the voter's application changes its phone or e-mail."""
    application = own(session, voter_id, reference)
    return (application.phone, application.email) != (draft.phone, draft.email)


def withdraw(
    session: Session, voter_id: int, reference: str, sender: Sender, lang: str, *,
    staff_actor: str | None = None, now: dt.datetime | None = None, expected_version: int | None = None,
) -> Application:
    now = now or now_utc()
    application = own(session, voter_id, reference)
    _ensure_changeable(session, application, now, expected_version)
    _save(session, application, status="withdrawn", changed_at=now)
    audit.record(session, _actor(voter_id, staff_actor), "application.withdrawn", "application", application.reference)
    _notify(session, application, sender, lang, "withdrawn")
    return application


def _texts(session: Session, election: Election, precinct_id: int, lang: str) -> dict[str, str]:
    """Election and precinct as the voter reads them, in one language."""
    territory = refcache.row(session, Territory, election.territory_id)
    place = precincts.localized(refcache.row(session, Precinct, precinct_id), lang)
    return {
        "election": elections.title(election.kind, localized(territory, "name", lang), election.is_demo, lang),
        "election_day": date_text(lang, election.election_day),
        "precinct": f"{place['number']} — {place['place']}",
        "address": f"{place['city']}, {place['address']}",
    }


def summary(session: Session, application: Application, lang: str, now: dt.datetime | None = None,
            with_pass: bool = False) -> dict:
    """Everything the voter needs to read about one application, as strings in their language;
    `with_pass`: plus the signed voter pass token of an active application whose
    election day is today or still to come."""
    election = refcache.row(session, Election, application.election_id)
    voter_pass = {"pass_token": ""}
    # A pass while the application is active and its election day has not passed.
    if with_pass and application.status == "submitted" and election.election_day >= local_date(now):
        number = refcache.row(session, Precinct, application.remote_precinct_id).number
        voter_pass = passes.for_application(application.reference, application.election_id, number, application.version)
    return {
        **voter_pass,
        **_texts(session, election, application.remote_precinct_id, lang),
        "reference": application.reference,
        "version": str(application.version),
        "deadline": date_text(lang, election.application_deadline),
        "precinct_id": str(application.remote_precinct_id),
        "email": application.email,
        "phone": application.phone,
        "status": application.status,
        "status_text": t(lang, f"status.{application.status}"),
        "channel_text": t(lang, f"channel.{application.channel}"),
        "can_change": application.status == "submitted" and elections.is_open(election, now),
        "submitted_at": local_text(application.created_at),
    }


def list_for_voter(session: Session, voter_id: int, lang: str, now: dt.datetime | None = None) -> list[dict]:
    rows = session.exec(
        select(Application).where(Application.voter_id == voter_id).order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    return [summary(session, row, lang, now, with_pass=True) for row in rows]


def _notify(session: Session, application: Application, sender: Sender, lang: str, event: str) -> None:
    info = summary(session, application, lang)
    params = {k: info[k] for k in ("reference", "election", "election_day", "precinct", "address")}
    sender.send(session, "sms", application.phone, t(lang, f"sms.application_{event}", **params))
    if application.email:  # optional when filed at a commission
        sender.send(
            session, "email", application.email, t(lang, f"email.application_{event}.body", **params),
            subject=t(lang, f"email.application_{event}.subject", **params),
        )


def _notify_previous_contacts(session: Session, application: Application, changed: dict[str, tuple], sender: Sender,
                              lang: str) -> None:
    """Whoever takes over a cabinet cannot redirect notices silently: the previous phone / e-mail is
    told too (without the new contact, which may belong to someone else by now)."""
    params = {"reference": application.reference}
    old_phone, old_email = changed.get("phone", ("",))[0], changed.get("email", ("",))[0]
    if old_phone:
        sender.send(session, "sms", old_phone, t(lang, "sms.contacts_changed", **params))
    if old_email:
        sender.send(session, "email", old_email, t(lang, "email.contacts_changed.body", **params),
                    subject=t(lang, "email.contacts_changed.subject", **params))


def _active_by_election(session: Session, voter_id: int) -> dict[int, str]:
    rows = session.exec(select(Application).where(Application.voter_id == voter_id, Application.status == "submitted"))
    return {row.election_id: row.reference for row in rows}


def form_options(session: Session, voter_id: int, now: dt.datetime | None = None) -> dict[str, list[dict[str, str]]]:
    """Per language: the voter's open elections, each with the voter's existing application if any."""
    voter = session.get(Voter, voter_id)
    views = [v for v in elections.for_territory(session, voter.territory_id, now) if v.is_open]
    existing = _active_by_election(session, voter_id)
    return {
        lang: [
            {
                "id": str(v.id),
                "label": t(lang, "election.option", name=v.title(lang), day=date_text(lang, v.election_day),
                           deadline=date_text(lang, v.deadline)),
                "existing": existing.get(v.id, ""),
            }
            for v in views
        ]
        for lang in LANGS
    }


def describe(session: Session, draft: Draft) -> dict[str, dict[str, str]]:
    """Per language: a validated draft as the voter reads it on the check-your-answers page."""
    election = refcache.row(session, Election, draft.election_id)
    return {
        lang: {**_texts(session, election, draft.precinct_id, lang), "email": draft.email, "phone": draft.phone}
        for lang in LANGS
    }


def draft_from(application: Application) -> Draft:
    return Draft(election_id=application.election_id, precinct_id=application.remote_precinct_id,
                 email=application.email, phone=application.phone, consent=True)
