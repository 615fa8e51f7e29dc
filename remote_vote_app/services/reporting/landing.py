"""The landing page's public data: election days and the remote precincts, in every language."""

from __future__ import annotations

from sqlmodel import Session

from remote_vote_app.i18n import LANGS, date_text, t, time_left, until_inclusive
from remote_vote_app.services.reference import elections, precincts, refcache


def _texts(days: list[dict], places: dict[str, list[dict[str, str]]]) -> dict[str, dict]:
    return {
        lang: {
            "days": [
                {
                    "day": t(lang, "landing.election_day", day=date_text(lang, d['election_day'])),
                    # Once closed, the deadline is told in the past tense.
                    "deadline": t(lang, "landing.deadline" if d["is_open"] else "landing.deadline_closed",
                                  until=until_inclusive(lang, d['deadline'])),
                    "left": t(lang, "landing.time_left", left=time_left(lang, d["seconds_left"])) if d["is_open"] else "",
                    "councils": t(lang, "landing.councils", count=d["councils"]),
                    "open": "1" if d["is_open"] else "",
                    "past": "1" if d["is_past"] else "",
                    "demo": "1" if d["is_demo"] else "",
                }
                for d in days
            ],
            "precincts": places[lang],
        }
        for lang in LANGS
    }


# The landing page's texts in every language, built once per reference version and minute left to
# each deadline (what its texts say), then shared by every visit: (key, texts).
_landing: tuple[tuple, dict[str, dict]] = ((), {})


def page_data(session: Session) -> dict[str, dict]:
    """The landing page's data; read it, never change it."""
    global _landing
    days = elections.election_days(session)
    key = (refcache.snapshot(session).version,
           *((d["election_day"], d["deadline"], d["councils"], d["is_open"], d["is_past"], d["is_demo"],
             d["seconds_left"] // 60)
             for d in days))
    if _landing[0] != key:
        _landing = (key, _texts(days, precincts.public_list(session)))
    return _landing[1]
