"""Which election-day desk a precinct member runs: the identification desk (2025 law) when the
member's precinct takes part in an identification-mode election held on the coming election day,
else the application-mode check-in desk of a remote precinct (services/election_day/checkin.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from remote_vote_app.i18n import LANGS
from remote_vote_app.services.clock import zone
from remote_vote_app.services.election_day import checkin, identification
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.identity.staff import StaffUser


@dataclass(frozen=True)
class DeskChoice:
    mode: str  # identification | application
    precinct: str  # the precinct's number
    election_id: int | None = None
    district: int | None = None  # identification: the precinct's own district
    offline_policy: str = ""  # identification: provisional | wait
    election_day: str = ""  # identification: ISO date
    districts: list[dict] = field(default_factory=list)  # identification: number + name_<lang>, for provisional marks
    seal_key: str = ""  # identification: the public key offline marks are sealed to
    zone: str = ""  # identification: the election's time zone (IANA name)


def choose(session: Session, user: StaffUser) -> DeskChoice:
    """The member's desk; Forbidden when the member runs neither."""
    if user.can(identification.PERMISSION):
        try:
            desk = identification.desk(session, user)
        except ServiceError:  # no identification-mode election for this precinct (Forbidden, NotFound too)
            desk = None
        coming = checkin.checkin_day(session)
        if desk is not None and (not user.can("checkin.mark") or desk.election.election_day == coming):
            return DeskChoice(
                "identification", desk.precinct.number, desk.election.id, desk.district.number,
                desk.election.offline_policy, desk.election.election_day.isoformat(),
                [{"number": d.number, **{f"name_{lang}": d.name.get(lang, "") for lang in LANGS}}
                 for d in identification.districts(session, desk.election.id)], identification.seal_public_key(),
                zone=zone(desk.election).key)
    if not user.can("checkin.mark"):
        raise Forbidden("error.forbidden")
    return DeskChoice("application", checkin.desk_precinct(session, user))
