"""Applications to vote at a remote precinct: submit, change, withdraw, read.

Every function takes the voter's id from the caller's server-side session; a reference number
from the browser is only ever looked up among that voter's own applications. Online, every write
also takes the acting session row (`session_row`) and checks it with services.identity.assurance: a
FaceID or QR session needs a fresh SMS step-up. Every filing, change and withdrawal is told to the
phone on file (the register's) and the application's e-mail, in the writer's transaction; the
contact phone typed into an application gets notices only once the voter has verified it with a
code (`send_phone_code` / `verify_phone`), so nobody can make the service text a stranger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, func, select, update

from remote_vote_app.i18n import LANGS, date_text, localized, t, until_inclusive
from remote_vote_app.models import Application, Election, PhoneVerification, Precinct, Territory
from remote_vote_app.services import audit
from remote_vote_app.services.applications import capacity, passes
from remote_vote_app.services.identity import assurance
from remote_vote_app.services.reference import elections, precincts, refcache, register
from remote_vote_app.services.identity.auth import Challenge
from remote_vote_app.services.clock import local_date, now_utc, zone
from remote_vote_app.errors import FieldErrors, NotFound, Refusal, ServiceError
from remote_vote_app.services.messaging.notifications import Sender
from remote_vote_app.services.validation import mask_phone, normalize_email, normalize_phone
from remote_vote_app.settings import settings

# The consent text the voter agrees to (message consent.text); a new wording is a new version.
# v2: the Kyrgyz text says ЖИН (not ПИН) and reads more naturally; same content in every language.
CONSENT_VERSION = "2024-10-v2"
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G look-alikes.
REFERENCE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
REFERENCE_LENGTH = 8
# Codes to verify a contact phone, per voter and rolling day: each one is an SMS to a number
# nobody has proved yet.
PHONE_CODES_PER_DAY = 3


# SQLAlchemy Core statements, built once, for the voter's form, review, filing and cabinet (the ORM
# cost several times their CPU per statement; its objects are kept where a caller changes them).
_APPLICATION = Application.__table__
_ACTIVE = sa.select(_APPLICATION).where(
    _APPLICATION.c.voter_id == sa.bindparam("voter"), _APPLICATION.c.election_id == sa.bindparam("election"),
    _APPLICATION.c.status == "submitted")
_ACTIVE_BY_ELECTION = sa.select(_APPLICATION.c.election_id, _APPLICATION.c.reference).where(
    _APPLICATION.c.voter_id == sa.bindparam("voter"), _APPLICATION.c.status == "submitted")
_OF_VOTER = sa.select(_APPLICATION).where(_APPLICATION.c.voter_id == sa.bindparam("voter")).order_by(
    _APPLICATION.c.created_at.desc(), _APPLICATION.c.id.desc())
# A taken reference or a second active application (a concurrent submit) inserts nothing, and the
# transaction goes on (no savepoint to set and release around every filing).
_INSERTS = {dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(_APPLICATION).on_conflict_do_nothing()
            .returning(_APPLICATION.c.id) for dialect in (sqlite, postgresql)}
_VERIFIED = sa.select(PhoneVerification.__table__.c.id).where(
    PhoneVerification.__table__.c.voter_id == sa.bindparam("voter"),
    PhoneVerification.__table__.c.phone == sa.bindparam("phone"),
    PhoneVerification.__table__.c.verified_at.is_not(None)).limit(1)


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


def _check_actor(session: Session, voter_id: int, staff_actor: str | None, session_row: int | None,
                 now: dt.datetime) -> None:
    """Online, the acting session must be the voter's and assured enough (services.identity.assurance);
    commission staff act under their own login, audited as themselves."""
    if not staff_actor:
        assurance.require(session, session_row, voter_id, now)


def validate(session: Session, voter_id: int, draft: Draft, now: dt.datetime | None = None,
             channel: str = "online", *, lang: str = "ru", keep_precinct: int | None = None) -> Draft:
    """The draft with normalized contacts, or FieldErrors naming every wrong field. The e-mail is
    required online and at a commission alike (the commission's announcement lists it). A full
    precinct is refused here already (with the nearest ones that have room), unless it is
    `keep_precinct`, the one the voter's application already holds a place at."""
    voter = register.entry(session, voter_id)
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
        email = normalize_email(draft.email)
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


def _active(session: Session, voter_id: int, election_id: int) -> sa.Row | None:
    """The voter's submitted application for the election, as a read-only row."""
    return session.connection().execute(_ACTIVE, {"voter": voter_id, "election": election_id}).first()


def submit(
    session: Session, voter_id: int, draft: Draft, sender: Sender, lang: str, *,
    channel: str = "online", staff_actor: str | None = None, commission: str = "", now: dt.datetime | None = None,
    session_row: int | None = None,
) -> Application:
    """File an application: online by the voter in session `session_row`, or in person by
    commission staff (same rules)."""
    now = now or now_utc()
    _check_actor(session, voter_id, staff_actor, session_row, now)
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
                now: dt.datetime | None = None, *, session_row: int | None = None) -> Application:
    """`submit`, idempotent for the voter: the same answers confirmed again (a double click, an
    event re-sent after a lost connection) return the application already filed, once."""
    try:
        return submit(session, voter_id, draft, sender, lang, now=now, session_row=session_row)
    except ServiceError as exc:
        existing = _active(session, voter_id, draft.election_id) if exc.code == "error.already_applied" else None
        if existing is not None and (existing.remote_precinct_id, existing.email, existing.phone) == (
                draft.precinct_id, normalize_email(draft.email), normalize_phone(draft.phone)):
            return session.get(Application, existing.id)
        raise


def _insert(session: Session, voter_id: int, draft: Draft, channel: str, now: dt.datetime,
            staff_actor: str | None, commission: str, lang: str = "ru") -> Application:
    """Insert, or nothing on a unique index: a concurrent submit (the voter's other application) is
    refused, a reference collision draws another. The application comes back as a row of the
    session, as if it had been read (a caller may change it), without reading it."""
    insert = _INSERTS[session.get_bind().dialect.name]
    for _ in range(5):
        application = Application(
            reference=new_reference(), voter_id=voter_id, election_id=draft.election_id,
            remote_precinct_id=draft.precinct_id, email=draft.email, phone=draft.phone, consent_at=now,
            consent_version=CONSENT_VERSION if channel == "online" else f"paper:{CONSENT_VERSION}",
            channel=channel, created_at=now, changed_at=now, commission=commission,
            lang=lang if lang in LANGS else "ru",
            filed_by_staff_id=int(staff_actor.split(":")[1]) if staff_actor else None,
        )
        values = {column.key: getattr(application, column.key) for column in _APPLICATION.c if column.key != "id"}
        inserted = session.connection().execute(insert, values).first()
        if inserted is None:
            existing = _active(session, voter_id, draft.election_id)
            if existing is not None:
                raise ServiceError("error.already_applied", reference=existing.reference)
            continue  # the random reference was taken: draw another
        application.id = inserted.id
        make_transient_to_detached(application)
        session.add(application)
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
    session_row: int | None = None,
) -> Application:
    """Change precinct and contacts (not the election) until the deadline."""
    now = now or now_utc()
    _check_actor(session, voter_id, staff_actor, session_row, now)
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
        capacity.take_place(session, application.election_id, draft.precinct_id, lang)  # it holds none there yet
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


def withdraw(
    session: Session, voter_id: int, reference: str, sender: Sender, lang: str, *,
    staff_actor: str | None = None, now: dt.datetime | None = None, expected_version: int | None = None,
    session_row: int | None = None,
) -> Application:
    now = now or now_utc()
    _check_actor(session, voter_id, staff_actor, session_row, now)
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
    tz = zone(election)
    if with_pass and application.status == "submitted" and election.election_day >= local_date(now, tz):
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
        "phone_verified": phone_verified(session, application.voter_id, application.phone),
        "status": application.status,
        "status_text": t(lang, f"status.{application.status}"),
        "channel_text": t(lang, f"channel.{application.channel}"),
        "can_change": application.status == "submitted" and elections.is_open(election, now),
        "submitted_at": date_text(lang, local_date(application.created_at, tz)),
        # The pass in the voter's words (not its version number): issued, or renewed by a change.
        "pass_issued": t(lang, "pass.updated", date=date_text(lang, local_date(application.changed_at, tz)))
        if application.version else t(lang, "pass.issued", date=date_text(lang, local_date(application.created_at, tz))),
    }


def list_for_voter(session: Session, voter_id: int, lang: str, now: dt.datetime | None = None) -> list[dict]:
    rows = session.connection().execute(_OF_VOTER, {"voter": voter_id}).all()
    return [summary(session, row, lang, now, with_pass=True) for row in rows]


def phone_verified(session: Session, voter_id: int, phone: str) -> bool:
    """The phone on file, or a contact phone the voter has confirmed with a code sent to it."""
    voter = register.entry(session, voter_id)
    if voter is not None and phone == voter.phone:
        return True
    return session.connection().execute(_VERIFIED, {"voter": voter_id, "phone": phone}).first() is not None


def _notify(session: Session, application: Application, sender: Sender, lang: str, event: str) -> None:
    """The phone on file always (whoever typed which contact phone), the application's phone too
    once verified, and the e-mail; each with how to say "this wasn't me"."""
    info = summary(session, application, lang)
    params = {k: info[k] for k in ("reference", "election", "election_day", "precinct", "address")}
    on_file = register.entry(session, application.voter_id).phone
    text = t(lang, f"sms.application_{event}", **params) + " " + t(lang, "sms.not_me")
    phones = [on_file]
    if application.phone != on_file and info["phone_verified"]:  # phone_verified(voter, application.phone)
        phones.append(application.phone)
    for phone in phones:
        sender.send(session, "sms", phone, text)
    if application.email:  # none on applications filed at a commission before it was required there
        sender.send(
            session, "email", application.email,
            t(lang, f"email.application_{event}.body", **params) + "\n\n" + t(lang, "email.not_me"),
            subject=t(lang, f"email.application_{event}.subject", **params),
        )


def _notify_previous_contacts(session: Session, application: Application, changed: dict[str, tuple], sender: Sender,
                              lang: str) -> None:
    """Whoever takes over a cabinet cannot redirect notices silently: the previous e-mail and the
    previous phone, if verified, are told too (without the new contact, which may belong to someone
    else by now). The phone on file hears of every change anyway."""
    params = {"reference": application.reference}
    old_phone, old_email = changed.get("phone", ("",))[0], changed.get("email", ("",))[0]
    on_file = register.entry(session, application.voter_id).phone
    if old_phone and old_phone != on_file and phone_verified(session, application.voter_id, old_phone):
        sender.send(session, "sms", old_phone, t(lang, "sms.contacts_changed", **params))
    if old_email:
        sender.send(session, "email", old_email, t(lang, "email.contacts_changed.body", **params),
                    subject=t(lang, "email.contacts_changed.subject", **params))


def _code_hash(challenge: str, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"phone:{challenge}:{code}".encode(), hashlib.sha256).hexdigest()


def send_phone_code(session: Session, voter_id: int, reference: str, sender: Sender, lang: str,
                    now: dt.datetime | None = None) -> Challenge:
    """Text a code to the contact phone of the voter's application, to verify it: at most
    PHONE_CODES_PER_DAY per voter, whichever numbers, and none to a number already verified."""
    now = now or now_utc()
    application = own(session, voter_id, reference)
    if phone_verified(session, voter_id, application.phone):
        raise ServiceError("error.phone_already_verified")
    sent = session.exec(select(func.count(PhoneVerification.id)).where(
        PhoneVerification.voter_id == voter_id, PhoneVerification.created_at > now - dt.timedelta(days=1))).one()
    if sent >= PHONE_CODES_PER_DAY:
        raise ServiceError("error.phone_code_limit")
    code, challenge = f"{secrets.randbelow(1_000_000):06d}", secrets.token_urlsafe(32)
    session.add(PhoneVerification(voter_id=voter_id, phone=application.phone, challenge=challenge,
                                  code_hash=_code_hash(challenge, code), created_at=now,
                                  expires_at=now + dt.timedelta(seconds=settings.code_ttl_seconds)))
    sender.send(session, "sms", application.phone,
                t(lang, "sms.phone_verify_code", code=code, minutes=settings.code_ttl_seconds // 60), sensitive=True)
    audit.record(session, f"voter:{voter_id}", "application.phone_code_sent", "application", application.reference)
    return Challenge(token=challenge, masked_phone=mask_phone(application.phone))


def verify_phone(session: Session, voter_id: int, token: str, code: str, now: dt.datetime | None = None) -> str:
    """Mark the number behind `token` verified for this voter when `code` is right; its masked form."""
    now = now or now_utc()
    code = "".join(ch for ch in str(code or "") if not ch.isspace())
    if not (len(code) == 6 and code.isdigit()):
        raise ServiceError("error.code_format", field="code")
    row = (session.exec(select(PhoneVerification).where(PhoneVerification.challenge == str(token))).first()
           if token else None)
    if (row is None or row.voter_id != voter_id or row.verified_at is not None or row.expires_at <= now
            or row.attempts >= settings.code_max_attempts):
        raise ServiceError("error.code_expired")
    if not hmac.compare_digest(row.code_hash, _code_hash(row.challenge, code)):
        # Counted in SQL, so two wrong codes sent at once both count; committed with the refusal.
        session.execute(update(PhoneVerification).where(PhoneVerification.id == row.id)
                        .values(attempts=PhoneVerification.attempts + 1))
        session.refresh(row)
        left = settings.code_max_attempts - row.attempts
        raise Refusal("error.code_attempts") if left <= 0 else Refusal("error.code_wrong", field="code", count=left)
    result = session.execute(update(PhoneVerification).where(PhoneVerification.id == row.id,
                                                             PhoneVerification.verified_at == None)  # noqa: E711
                             .values(verified_at=now))
    if result.rowcount != 1:  # the same code entered twice at once: one wins
        raise ServiceError("error.code_expired")
    audit.record(session, f"voter:{voter_id}", "application.phone_verified", "voter", f"voter:{voter_id}")
    return mask_phone(row.phone)


def _active_by_election(session: Session, voter_id: int) -> dict[int, str]:
    return dict(session.connection().execute(_ACTIVE_BY_ELECTION, {"voter": voter_id}).all())


def form_options(session: Session, voter_id: int, now: dt.datetime | None = None) -> dict[str, list[dict[str, str]]]:
    """Per language: the voter's open elections, each with the voter's existing application if any."""
    voter = register.entry(session, voter_id)
    views = [v for v in elections.for_territory(session, voter.territory_id, now) if v.is_open]
    existing = _active_by_election(session, voter_id)
    return {
        lang: [
            {
                "id": str(v.id),
                "label": t(lang, "election.option", name=v.title(lang), day=date_text(lang, v.election_day),
                           until=until_inclusive(lang, v.deadline)),
                "existing": existing.get(v.id, ""),
            }
            for v in views
        ]
        for lang in LANGS
    }


def closed_notice(session: Session, voter_id: int, now: dt.datetime | None = None) -> dict[str, dict[str, str]]:
    """Per language: when the voter's territory has no election open for applications but one whose
    applications closed and whose election day is still to come, what to say instead of a form
    (its last day to apply, inclusive, and its election day); else {}."""
    now = now or now_utc()
    voter = register.entry(session, voter_id)
    views = elections.for_territory(session, voter.territory_id, now)
    if any(v.is_open for v in views):
        return {}
    closed = [v for v in views if v.election_day >= local_date(now, zone(v.timezone))]
    if not closed:
        return {}
    last = max(closed, key=lambda v: v.deadline)
    return {lang: {"lead": t(lang, "apply.closed_lead", until=until_inclusive(lang, last.deadline)),
                   "if_applied": t(lang, "apply.closed_if_applied", day=date_text(lang, last.election_day))}
            for lang in LANGS}


def describe(session: Session, draft: Draft) -> dict[str, dict[str, str]]:
    """Per language: a validated draft as the voter reads it on the check-your-answers page."""
    election = refcache.row(session, Election, draft.election_id)
    return {
        lang: {**_texts(session, election, draft.precinct_id, lang), "email": draft.email, "phone": draft.phone}
        for lang in LANGS
    }


def draft_from(application: Application) -> Draft:
    """An application as the form's answers; its consent holds while the consent text is the same
    (online or on paper), so a change does not ask for it again."""
    consent = application.consent_version in {CONSENT_VERSION, f"paper:{CONSENT_VERSION}"}
    return Draft(election_id=application.election_id, precinct_id=application.remote_precinct_id,
                 email=application.email, phone=application.phone, consent=consent)
