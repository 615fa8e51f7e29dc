"""Filing an application in person: what the commission's desk shows of the voter in front of it."""

from __future__ import annotations

from sqlmodel import Session

from remote_vote_app.services.applications import applications
from remote_vote_app.services.reference import precincts, register


def desk_voter(session: Session, pin: str, document: str, full: bool, lang: str) -> dict:
    """The register entry of the voter at the desk (in full where the role may see it, to compare
    with the document), what they may apply for (one open election: chosen already, not asked)
    and where, in the staff page's language."""
    voter = register.lookup_for_staff(session, pin, document)
    profile = register.profile(session, voter.id, full=full)
    options = applications.form_options(session, voter.id)[lang]
    return {"id": voter.id,
            "voter": {"full_name": profile.full_name, "pin": profile.pin, "document": profile.document,
                      "birth_date": profile.birth_date, "address": profile.address[lang],
                      "territory": profile.territory[lang], "phone": profile.phone},
            "elections": options, "choice": options[0]["id"] if len(options) == 1 else "",
            "places": [{"id": p["id"], "label": f"{p['number']} — {p['place']}, {p['city']}"}
                       for p in precincts.public_list(session)[lang]]}
