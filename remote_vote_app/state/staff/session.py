"""The staff member's server-side session: the base state of every staff page, and `staff_required`.

Every staff handler checks the account and its role on the server (`staff_required`); the account
is re-read from the database at each event, in a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from typing import Any, Callable

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.db import run_in_transaction
from remote_vote_app.i18n import t
from remote_vote_app.services.identity import sessions, staff
from remote_vote_app.services.identity.staff import StaffUser
from remote_vote_app.state.app import AppState, leave, ticket_exchange

# The menu: page key -> (permission or permissions, any of which opens it; path), in menu order.
STAFF_PAGES: dict[str, tuple[str | tuple[str, ...], str]] = {
    "dashboard": ("stats.view", routes.STAFF),
    "applications": ("applications.view", routes.STAFF_APPLICATIONS),
    "new": ("applications.create", routes.STAFF_IN_PERSON),
    "lists": ("voter_list.view", routes.STAFF_LISTS),
    "exclusions": ("exclusions.view", routes.STAFF_EXCLUSIONS),
    # The election-day desk: application-mode check-in, or identification (2025 law), per the election.
    "checkin": (("checkin.mark", "identification.desk"), routes.STAFF_CHECKIN),
    "precincts": ("precincts.manage", routes.STAFF_PRECINCTS),
    "elections": ("elections.manage", routes.STAFF_ELECTIONS),
    "reminders": ("reminders.view", routes.STAFF_REMINDERS),
    "audit": ("audit.view", routes.STAFF_AUDIT),
}
# Where a role starts after logging in (default: the dashboard): a precinct commission's member works
# at the election-day desk, a home precinct's at its exclusion list. Their menu starts there too.
START_PAGE = {"precinct_member": routes.STAFF_CHECKIN, "home_precinct_member": routes.STAFF_EXCLUSIONS,
              "station_member": routes.STAFF_CHECKIN}


def staff_menu(role: str, lang: str) -> list[dict[str, str]]:
    """Only the pages this role may open (the server checks again on each page), its start page first."""
    start = START_PAGE.get(role, routes.STAFF)
    items = [{"key": key, "label": t(lang, f"staff.nav.{key}"), "href": path}
             for key, (permission, path) in STAFF_PAGES.items()
             if any(role in staff.PERMISSIONS[p] for p in ((permission,) if isinstance(permission, str) else permission))]
    return sorted(items, key=lambda item: item["href"] != start)  # stable: the rest keep the menu's order


# The account an event acts for, as `staff_required` checked it: handlers read it with `_user()`
# instead of reading the session and the account a second time.
_acting: contextvars.ContextVar[StaffUser | None] = contextvars.ContextVar("acting_staff", default=None)


class StaffState(AppState):
    """The staff member's server-side session; separate from any voter session in the same tab."""

    _staff_session_id: int = 0  # the server-side session this tab is bound to (authority: its cookie)
    _staff_id: int = 0
    _staff_expired: bool = False
    staff_name: str = ""
    staff_role: str = ""

    def _short_transactions(self) -> bool:
        return False  # searches and exports over whole territories, argon2 at login

    @rx.var
    def staff_logged_in(self) -> bool:
        return self._staff_session_id > 0

    @rx.var
    def staff_nav(self) -> list[dict[str, str]]:
        return staff_menu(self.staff_role, self._lang())

    @rx.var
    def role_text(self) -> str:
        return t(self._lang(), f"staff.role.{self.staff_role}") if self.staff_role else ""

    async def _staff_user(self, touch: bool = True) -> StaffUser | None:
        """The account behind this tab's session cookie, re-read every time (a deactivated account
        stops at once). `touch=False` (live polling) reads without counting as activity."""
        if not self._staff_session_id:
            return None
        sid, row_id, staff_id = self._cookie_sid("staff"), self._staff_session_id, self._staff_id

        def look_up(session) -> tuple[sessions.Current | None, StaffUser | None]:
            found = sessions.current(session, "staff", sid, row_id, touch=touch)
            return found, (staff.reload(session, staff_id) if found and not found.expired else None)

        found, user = await run_in_transaction(look_up)
        if found is None or found.expired or found.subject_id != staff_id:
            self._staff_expired = self._staff_expired or bool(found and found.expired)
            return None
        return user

    @rx.event
    async def staff_keep_alive(self):
        """'Continue' in the timeout warning (and use of the page): the staff session lives on."""
        await self._staff_user()

    def _user(self) -> StaffUser:
        """The account the current event acts for; only inside a `staff_required` handler."""
        user = _acting.get()
        if user is None or user.id != self._staff_id:
            raise RuntimeError("_user() outside a staff_required handler")
        return user

    def _error_key(self, field: str = "form") -> str:
        """The i18n key of the error shown for `field` (after `_run` returned FAILED), or ""."""
        return self.error_entries.get(field, {}).get("key", "")

    def _actor(self) -> str:
        return f"staff:{self._staff_id}"

    def _end_staff_session(self) -> None:
        self._staff_session_id, self._staff_id, self.staff_name, self.staff_role = 0, 0, "", ""

    async def _forget_staff_data(self) -> None:
        for cls in StaffState.get_substates():
            (await self.get_state(cls)).reset()

    async def _start_staff_session(self, user: StaffUser, method: str = "password_totp"):
        """The one place a staff session begins (after both factors): a new server-side session,
        then the cookie exchange."""
        if self._staff_id and self._staff_id != user.id:
            await self._forget_staff_data()
        client = self._client()
        started = await run_in_transaction(lambda s: sessions.start(s, "staff", user.id, method, client))
        self._staff_session_id, self._staff_id = started.row_id, user.id
        self.staff_name, self.staff_role = user.full_name, user.role
        return ticket_exchange("staff", started, START_PAGE.get(user.role, routes.STAFF))

    @rx.event
    async def staff_logout(self):
        if self._staff_session_id:
            row_id = self._staff_session_id
            await run_in_transaction(lambda s: sessions.end(s, row_id))
        self._end_staff_session()
        await self._forget_staff_data()
        self.notice_key = "staff.logged_out"
        return leave("staff")


def staff_required(permission: str | tuple[str, ...]) -> Callable:
    """Run the handler only for a logged-in staff member whose role holds `permission` (one of them)."""
    wanted = (permission,) if isinstance(permission, str) else permission

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapper(self: StaffState, *args: Any, **kwargs: Any):
            user = await self._staff_user()
            if user is None:
                if self._staff_session_id:
                    self._end_staff_session()
                    await self._forget_staff_data()
                    self.notice_key = "login.session_expired" if self._staff_expired else "staff.required"
                else:
                    self.notice_key = "staff.required"
                self._staff_expired = False
                return rx.redirect(routes.STAFF_LOGIN)
            if not any(user.can(p) for p in wanted):
                self.error_entries = {"form": {"key": "error.forbidden"}}
                return rx.redirect(routes.STAFF) if "stats.view" not in wanted else None
            token = _acting.set(user)
            try:
                result = handler(self, *args, **kwargs)
                return await result if inspect.isawaitable(result) else result
            finally:
                _acting.reset(token)

        wrapper.staff_permission = permission
        return wrapper

    return decorate
