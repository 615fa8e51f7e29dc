"""Look-ups in the voter register."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from remote_vote_app.i18n import LANGS, localized
from remote_vote_app.models import Precinct, Territory, Voter
from remote_vote_app.services.reference import refcache
from remote_vote_app.services.validation import mask_document, mask_pin


_VOTER = sa.select(Voter.__table__).where(Voter.__table__.c.id == sa.bindparam("voter"))
_BY_PIN = sa.select(Voter.__table__).where(Voter.__table__.c.pin == sa.bindparam("pin"))
_ENTRIES = "register.entries"


def entry(session: Session, voter_id: int) -> sa.Row | None:
    """One register entry as a read-only row that reads like the model (`.phone`, `.territory_id`):
    SQLAlchemy Core, built once, read once per transaction (the form, the filing and the cabinet
    ask for the voter three or four times; the app never changes the register's rows, and a
    transaction that changes one through the ORM reads it again)."""
    entries = session.info.setdefault(_ENTRIES, {})
    if voter_id not in entries:
        entries[voter_id] = session.connection().execute(_VOTER, {"voter": voter_id}).first()
    return entries[voter_id]


@event.listens_for(OrmSession, "before_flush")
def _voter_changed(session: OrmSession, _context, _instances) -> None:
    if any(isinstance(obj, Voter) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_ENTRIES, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _transaction_over(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ENTRIES, None)


def _by_pin(session: Session, pin: str) -> sa.Row | None:
    voter = session.connection().execute(_BY_PIN, {"pin": pin}).first()
    if voter is not None:
        session.info.setdefault(_ENTRIES, {})[voter.id] = voter
    return voter


def find(session: Session, pin: str, document: str) -> sa.Row | None:
    """The voter (a register entry, as `entry` reads it) only if both PIN and document match;
    callers must not tell which one failed."""
    voter = _by_pin(session, pin)
    if voter is None or voter.document_number != document:
        return None
    return voter


@dataclass(frozen=True)
class VoterProfile:
    """What the voter sees of their own register entry (read-only on the form)."""

    full_name: str
    pin: str
    document: str
    birth_date: str
    # Per language (ky / ru / en ...): the page shows the one of its language.
    address: dict[str, str]
    territory: dict[str, str]
    home_precinct: dict[str, str]  # "УИК №1004", "№1004 УШК", "Precinct No. 1004"
    phone: str


def profile(session: Session, voter_id: int, full: bool = False) -> VoterProfile:
    """`full`: PIN and document unmasked, for commission staff whose role may see them (pii.full),
    so they can compare the register entry with the document in front of them."""
    voter = entry(session, voter_id)
    territory = refcache.row(session, Territory, voter.territory_id)
    home = refcache.row(session, Precinct, voter.home_precinct_id)
    return VoterProfile(
        full_name=" ".join(p for p in (voter.last_name, voter.first_name, voter.patronymic) if p),
        # Masked: the voter recognises them, a passer-by cannot copy them off the screen.
        pin=voter.pin if full else mask_pin(voter.pin),
        document=voter.document_number if full else mask_document(voter.document_number),
        birth_date=voter.birth_date.strftime("%d.%m.%Y"),
        address={lang: localized(voter, "address", lang) for lang in LANGS},
        territory={lang: localized(territory, "name", lang) for lang in LANGS},
        home_precinct={lang: localized(home, "number", lang) for lang in LANGS},
        phone=voter.phone,
    )


def lookup_for_staff(session: Session, pin_raw: str, document_raw: str) -> sa.Row:
    """A commission looks a voter up by PIN and document, as the voter does at login."""
    from remote_vote_app.errors import ServiceError, collect
    from remote_vote_app.services.validation import normalize_document, normalize_pin

    checked = collect(pin=lambda: normalize_pin(pin_raw), document=lambda: normalize_document(document_raw))
    voter = find(session, checked["pin"], checked["document"])
    if voter is None:
        raise ServiceError("error.login_not_found")
    return voter


def by_pin(session: Session, pin: str) -> sa.Row:
    """The voter an identity provider vouched for (it has checked the person; we check the register)."""
    from remote_vote_app.errors import ServiceError

    voter = _by_pin(session, pin or "")
    if voter is None:
        raise ServiceError("error.login_not_found")
    return voter


def phone_of(session: Session, voter_id: int) -> str:
    """The phone on file, for notices about the voter's own account."""
    return entry(session, voter_id).phone
