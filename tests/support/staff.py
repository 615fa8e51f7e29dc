"""Demo staff logins for tests: the README's passwords and TOTP secrets."""

from __future__ import annotations

import pyotp
from sqlmodel import select

from remote_vote_app.db import session_scope
from remote_vote_app.models import StaffAccount
from remote_vote_app.demo.seed import DEMO_STAFF, DEMO_STAFF_TOTP

PASSWORDS = {row[0]: row[2] for row in DEMO_STAFF}


def fresh_code(username: str) -> str:
    """The app's current code for a demo account, usable again: tests log one account in many times
    within a 30 s step, which the service rightly refuses, so the last used step is forgotten first."""
    with session_scope() as session:
        account = session.exec(select(StaffAccount).where(StaffAccount.username == username)).one()
        account.totp_last_counter = None
        session.add(account)
    return pyotp.TOTP(DEMO_STAFF_TOTP[username]).now()
