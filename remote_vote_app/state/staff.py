"""Staff session and the staff pages' states. Every handler checks the role on the server."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import inspect
import math
import time
from typing import Any, Callable

import reflex as rx

from remote_vote_app.db import session_scope
from remote_vote_app.i18n import duration, t
from remote_vote_app.i18n.messages import MESSAGES
from remote_vote_app.services import applications, audit, auth, dashboard, elections, faceid, precincts, register, staff
from remote_vote_app.services import sessions, staff_records
from remote_vote_app.services.applications import Draft
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.notifications import default_sender
from remote_vote_app.services.staff import StaffUser
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state.app import AppState, leave, ticket_exchange, as_strings
from remote_vote_app.state.face import face_instructions

LIVE_INTERVAL_SECONDS = 3
STAFF_PAGES = ("dashboard", "applications", "new", "lists", "precincts", "elections", "audit")
PAGE_PERMISSION = {"dashboard": "stats.view", "applications": "applications.view", "new": "applications.create",
                   "lists": "voter_list.view", "precincts": "precincts.manage", "elections": "elections.manage",
                   "audit": "audit.view"}


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None


def _action_text(lang: str, action: str) -> str:
    """A readable name for an audited action (or an authentication filter), else the action itself."""
    key = {"auth.": "audit.auth.all", "auth.staff.": "audit.auth.staff"}.get(action, f"audit.action.{action}")
    return t(lang, key) if key in MESSAGES else action


class StaffState(AppState):
    """The staff member's server-side session; separate from any voter session in the same tab."""

    _staff_session_id: int = 0  # the server-side session this tab is bound to (authority: its cookie)
    _staff_id: int = 0
    _staff_expired: bool = False
    staff_name: str = ""
    staff_role: str = ""

    @rx.var
    def staff_logged_in(self) -> bool:
        return self._staff_session_id > 0

    @rx.var
    def staff_nav(self) -> list[dict[str, str]]:
        """Only the pages this role may open (the server checks again on each page)."""
        allowed = staff.PERMISSIONS
        return [{"key": key, "label": t(self._lang(), f"staff.nav.{key}"),
                 "href": "/staff" if key == "dashboard" else f"/staff/{key.replace('new', 'applications/new')}"}
                for key in STAFF_PAGES if self.staff_role in allowed[PAGE_PERMISSION[key]]]

    @rx.var
    def role_text(self) -> str:
        return t(self._lang(), f"staff.role.{self.staff_role}") if self.staff_role else ""

    def _staff_user(self, touch: bool = True) -> StaffUser | None:
        """The account behind this tab's session cookie, re-read every time (a deactivated account
        stops at once). `touch=False` (live polling) reads without counting as activity."""
        if not self._staff_session_id:
            return None
        with session_scope() as session:
            found = sessions.current(session, "staff", self._cookie_sid("staff"), self._staff_session_id,
                                     touch=touch)
            user = staff.reload(session, self._staff_id) if found and not found.expired else None
        if found is None or found.expired or found.subject_id != self._staff_id:
            self._staff_expired = self._staff_expired or bool(found and found.expired)
            return None
        return user

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
        with session_scope() as session:
            started = sessions.start(session, "staff", user.id, method, self._client())
        self._staff_session_id, self._staff_id = started.row_id, user.id
        self.staff_name, self.staff_role = user.full_name, user.role
        return ticket_exchange("staff", started.ticket, "/staff" if user.role != "precinct_member" else "/staff/lists")

    @rx.event
    async def staff_logout(self):
        if self._staff_session_id:
            with session_scope() as session:
                sessions.end(session, self._staff_session_id)
        self._end_staff_session()
        await self._forget_staff_data()
        self.notice_key = "staff.logged_out"
        return leave("staff")


def staff_required(permission: str) -> Callable:
    """Run the handler only for a logged-in staff member whose role holds `permission`."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapper(self: StaffState, *args: Any, **kwargs: Any):
            user = self._staff_user()
            if user is None:
                if self._staff_session_id:
                    self._end_staff_session()
                    await self._forget_staff_data()
                    self.notice_key = "login.session_expired" if self._staff_expired else "staff.required"
                else:
                    self.notice_key = "staff.required"
                self._staff_expired = False
                return rx.redirect("/staff/login")
            if not user.can(permission):
                self.error_entries = {"form": {"key": "error.forbidden"}}
                return rx.redirect("/staff") if permission != "stats.view" else None
            result = handler(self, *args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        wrapper.staff_permission = permission
        return wrapper

    return decorate


class StaffLoginState(StaffState):
    """Password, then the TOTP code (or enrolment at first login). Between the two steps only the
    account id and a deadline are kept, server-side; never the password."""

    step: str = "password"  # password | code | enrol | recovery_codes
    enrol_qr: str = ""  # shown once during enrolment, then cleared
    enrol_secret: str = ""
    recovery_codes: list[str] = []
    _pending_staff_id: int = 0
    _pending_until: float = 0.0

    def _restart(self) -> None:
        self.step, self.enrol_qr, self.enrol_secret, self.recovery_codes = "password", "", "", []
        self._pending_staff_id, self._pending_until = 0, 0.0

    def _pending(self) -> int:
        """The account that gave a right password, if that was recent enough."""
        if self._pending_staff_id and time.time() < self._pending_until:
            return self._pending_staff_id
        self._restart()
        self.error_entries = {"form": {"key": "error.staff_step_expired"}}
        return 0

    async def _finish(self, user: StaffUser):
        self._restart()  # nothing of the login steps stays
        return await self._start_staff_session(user)

    @rx.event
    def on_load(self):
        self.error_entries = {}
        self._restart()
        if self._staff_user(touch=False):
            return rx.redirect("/staff")
        return AppState.page_ready

    @rx.event
    async def login(self, form_data: dict):
        self._clear_messages()
        self._restart()
        try:
            with session_scope() as session:
                step = staff.authenticate(session, str(form_data.get("username", "")),
                                          str(form_data.get("password", "")), self._client())
                enrolment = None if step.enrolled else staff.start_enrolment(session, step.staff_id)
        except ServiceError as exc:
            self._show(exc)
            return
        self._pending_staff_id, self._pending_until = step.staff_id, time.time() + staff.SECOND_STEP_SECONDS
        if enrolment is not None:
            self.step, self.enrol_qr, self.enrol_secret = "enrol", enrolment.qr, enrolment.secret
        else:
            self.step = "code"  # the code field takes the focus as it appears (autofocus)

    @rx.event
    async def submit_code(self, form_data: dict):
        self._clear_messages()
        staff_id = self._pending()
        if not staff_id or self.step != "code":
            return
        try:
            with session_scope() as session:
                user = staff.second_factor(session, staff_id, str(form_data.get("code", "")), self._client())
        except ServiceError as exc:
            self._show_code_error(exc)
            return
        return await self._finish(user)

    @rx.event
    async def confirm_enrolment(self, form_data: dict):
        self._clear_messages()
        staff_id = self._pending()
        if not staff_id or self.step != "enrol":
            return
        try:
            with session_scope() as session:
                _user, codes = staff.confirm_enrolment(session, staff_id, str(form_data.get("code", "")), self._client())
        except ServiceError as exc:
            self._show_code_error(exc)
            return
        # The session starts once the codes are noted down ("continue"); until then only the id waits.
        self._pending_until = time.time() + staff.SECOND_STEP_SECONDS
        self.step, self.enrol_qr, self.enrol_secret, self.recovery_codes = "recovery_codes", "", "", codes
        return rx.set_focus("recovery-heading")

    def _show_code_error(self, exc: ServiceError) -> None:
        if exc.code == "error.staff_code":
            self.error_entries = {"code": {"key": exc.code}}
        else:  # throttled or expired: start again from the password
            self._restart()
            self._show(exc)

    @rx.event
    async def finish(self):
        """Recovery codes noted down: clear them and go to work."""
        staff_id = self._pending() if self.step == "recovery_codes" else 0
        if not staff_id:
            return None
        with session_scope() as session:
            user = staff.reload(session, staff_id)
        return await self._finish(user) if user is not None else None

    @rx.event
    def start_over(self):
        self._clear_messages()
        self._restart()
        return rx.set_focus("username")


class DashboardState(StaffState):
    stats: dict[str, str] = {}
    per_precinct: list[dict[str, str]] = []
    per_region: list[dict[str, str]] = []
    per_day: list[dict[str, Any]] = []
    anomalies: dict[str, list[dict[str, str]]] = {}
    anomaly_limits: dict[str, str] = {}
    election_days: list[str] = []
    selected_day: str = ""
    live: bool = False

    def _refresh(self, user: StaffUser) -> None:
        with session_scope() as session:
            if not self.selected_day:
                day = dashboard.default_day(session)
                self.selected_day = day.isoformat() if day else ""
            self.election_days = [d.isoformat() for d in dashboard.election_days(session)]
            day = _date(self.selected_day)
            if day is None:
                return
            data = dashboard.statistics(session, day)
            found = dashboard.anomalies(session) if user.can("anomalies.view") else None
        lang = self._lang()
        self.stats = {
            "total": str(data["total"]), "withdrawn": str(data["withdrawn"]),
            "online": str(data["by_channel"]["online"]), "in_person": str(data["by_channel"]["in_person"]),
            "left": duration(lang, data["seconds_left"]) if data["seconds_left"] else t(lang, "stats.closed"),
            "deadline": data["deadline"].strftime("%d.%m.%Y") if data["deadline"] else "",
        }
        self.per_precinct = [as_strings(r) for r in data["per_precinct"]]
        self.per_region = [as_strings(r) for r in data["per_region"]]
        self.per_day = data["per_day"]
        if found is not None:
            self.anomalies = {k: [as_strings(r) for r in found[k]] for k in ("phones", "emails", "changers")}
            self.anomaly_limits = {"contact": str(found["contact_limit"]), "change": str(found["change_limit"])}

    @rx.event
    @staff_required("stats.view")
    def load(self):
        self._refresh(self._staff_user())
        return [AppState.page_ready, DashboardState.follow]

    @rx.event
    @staff_required("stats.view")
    def choose_day(self, value: str):
        if value in self.election_days:
            self.selected_day = value
            self._refresh(self._staff_user())

    @rx.event(background=True)
    async def follow(self):
        """Push fresh figures while the dashboard stays open (no reload needed)."""
        async with self:
            if self.live or self._staff_user(touch=False) is None:
                return
            self.live = True
        try:
            while True:
                await asyncio.sleep(LIVE_INTERVAL_SECONDS)
                async with self:
                    user = self._staff_user(touch=False)  # polling is not activity: idle sessions still end
                    if user is None or not user.can("stats.view") or self.router.url.path.rstrip("/") != "/staff":
                        break
                    self._refresh(user)
        finally:
            async with self:
                self.live = False


class SearchState(StaffState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    page_size: int = 25
    filters: dict[str, str] = {"text": "", "precinct": "", "status": "", "channel": "", "from": "", "to": "",
                               "sort": "created_desc", "day": ""}
    precinct_options: list[dict[str, str]] = []
    election_days: list[str] = []
    detail: dict[str, str] = {}
    history: list[dict[str, str]] = []

    @rx.var
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @rx.var
    def found_text(self) -> str:
        return t(self._lang(), "search.found", total=self.total, page=self.page, pages=self.pages)

    def _run(self) -> None:
        f = self.filters
        query = staff_records.Query(
            text=f.get("text", ""), election_day=_date(f.get("day")), precinct_id=parse_id(f.get("precinct")),
            status=f.get("status", ""), channel=f.get("channel", ""), date_from=_date(f.get("from")),
            date_to=_date(f.get("to")), sort=f.get("sort", "created_desc"), page=self.page, page_size=self.page_size,
        )
        with session_scope() as session:
            self.rows, self.total = staff_records.search(session, self._staff_user(), query)

    @rx.event
    @staff_required("applications.view")
    def load(self):
        self.error_entries = {}
        with session_scope() as session:
            self.precinct_options = [{"id": str(p.id), "label": f"{p.number} — {p.city_ru}"}
                                     for p in precincts.all_remote(session)]
            self.election_days = [d.isoformat() for d in dashboard.election_days(session)]
        self._run()
        return AppState.page_ready

    @rx.event
    @staff_required("applications.view")
    def search(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "") or "")[:40] for k in self.filters}
        self.page = 1
        self.detail, self.history = {}, []
        self._run()

    @rx.event
    @staff_required("applications.view")
    def go_page(self, page: int):
        try:
            self.page = min(max(1, int(page)), self.pages)
        except (TypeError, ValueError):
            return
        self._run()

    @rx.event
    @staff_required("applications.view")
    def open_detail(self, reference: str):
        self.error_entries = {}
        try:
            with session_scope() as session:
                info = staff_records.detail(session, self._staff_user(), str(reference))
        except ServiceError as exc:
            self._show(exc)
            return
        self.history = info.pop("history")
        self.detail = as_strings(info)
        return rx.set_focus("detail-heading")

    @rx.event
    @staff_required("applications.view")
    def close_detail(self):
        self.detail, self.history = {}, []


class InPersonState(StaffState):
    step: str = "find"  # find | form | done
    voter: dict[str, str] = {}
    election_options: list[dict[str, str]] = []
    precinct_options: list[dict[str, str]] = []
    done_reference: str = ""
    _serving_voter_id: int = 0  # the voter at the desk, found by PIN + document on the server
    # FaceID reference: the voter's consent code, then a live capture answering a challenge.
    reference_step: str = "consent"  # consent | code | capture | saved
    reference_phone: str = ""
    nonce: str = ""
    moves: list[str] = []
    _consent_token: str = ""
    _face_challenge: Any = None

    @rx.var
    def instructions(self) -> list[str]:
        return face_instructions(self._lang(), self.moves)

    def _reset_reference(self) -> None:
        self.reference_step, self.reference_phone, self.nonce, self.moves = "consent", "", "", []
        self._consent_token, self._face_challenge = "", None

    @rx.event
    @staff_required("applications.create")
    def load(self):
        self.error_entries = {}
        return AppState.page_ready

    @rx.event
    @staff_required("applications.create")
    def find(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                voter = register.lookup_for_staff(session, str(form_data.get("pin", "")), str(form_data.get("document", "")))
                profile = register.profile(session, voter.id)
                options = applications.form_options(session, voter.id)["ru"]
                places = precincts.public_list(session)["ru"]
        except ServiceError as exc:
            self._show(exc)
            return
        self._serving_voter_id = voter.id
        self._reset_reference()
        self.voter = {"full_name": profile.full_name, "pin": profile.pin, "document": profile.document,
                      "birth_date": profile.birth_date, "address": profile.address,
                      "territory": profile.territory["ru"], "phone": profile.phone}
        self.election_options = options
        self.precinct_options = [{"id": p["id"], "label": f"{p['number']} — {p['place']}, {p['city']}"} for p in places]
        self.step = "form"

    @rx.event
    @staff_required("applications.create")
    def submit(self, form_data: dict):
        self._clear_messages()
        if not self._serving_voter_id:
            self.step = "find"
            return
        if not form_data.get("paper_consent"):
            self.error_entries = {"paper_consent": {"key": "error.paper_consent"}}
            return
        draft = Draft(parse_id(form_data.get("election")), parse_id(form_data.get("precinct")),
                      str(form_data.get("email", "")), str(form_data.get("phone", "")), True)
        user = self._staff_user()
        try:
            with session_scope() as session:
                application = applications.submit(
                    session, self._serving_voter_id, draft, default_sender(), self._lang(), channel="in_person",
                    staff_actor=self._actor(), commission=user.full_name,
                )
                reference = application.reference
        except ServiceError as exc:
            self._show(exc)
            return
        self.done_reference = reference
        self.step = "done"
        self._serving_voter_id = 0
        self.voter = {}

    @rx.event
    @staff_required("applications.create")
    def send_reference_code(self):
        """Text the voter a consent code; only the operator's own territory (the CEC: anyone)."""
        self._clear_messages()
        if not self._serving_voter_id:
            self.step = "find"
            return
        try:
            with session_scope() as session:
                faceid.ensure_may_set_reference(session, self._staff_user(), self._serving_voter_id)
                sent = auth.send_code(session, self._serving_voter_id, "face_reference", default_sender(), self._lang())
        except ServiceError as exc:
            self._show(exc)
            return
        self._consent_token, self.reference_phone, self.reference_step = sent.token, sent.masked_phone, "code"

    @rx.event
    @staff_required("applications.create")
    def check_reference_code(self, form_data: dict):
        """The code the voter reads out; then the camera, with a challenge bound to this voter."""
        self._clear_messages()
        try:
            with session_scope() as session:
                auth.verify_code(session, self._consent_token, str(form_data.get("code", "")), self._client(),
                                 purpose="face_reference", voter_id=self._serving_voter_id)
        except ServiceError as exc:
            self._show(exc)
            if exc.code in {"error.code_expired", "error.code_attempts"}:
                self._reset_reference()
            return
        challenge = faceid.reference_challenge(self._serving_voter_id)
        self._consent_token, self._face_challenge = "", challenge
        self.nonce, self.moves, self.reference_step = challenge.nonce, list(challenge.moves), "capture"

    @rx.event
    @staff_required("applications.create")
    async def check_capture(self, capture: dict):
        """Store the reference from a live capture; only the face encoding is kept."""
        self._clear_messages()
        challenge, self._face_challenge = self._face_challenge, None
        if not self._serving_voter_id or challenge is None or challenge.voter_id != self._serving_voter_id:
            self._reset_reference()
            return
        try:
            frames = await faceid.live_frames(challenge, capture)
            with session_scope() as session:
                faceid.ensure_may_set_reference(session, self._staff_user(), self._serving_voter_id)
                faceid.set_reference(session, self._serving_voter_id, faceid.reference_encoding(frames), "commission",
                                     self._actor(), self._client())
                # The voter hears of it at once: a reference set by someone else would be a takeover.
                phone = register.phone_of(session, self._serving_voter_id)
                default_sender().send(session, "sms", phone, t(self._lang(), "sms.face_reference_set"))
        except ServiceError as exc:
            self._show(exc)
            challenge = faceid.renew(challenge)
            self._face_challenge, self.nonce, self.moves = challenge, challenge.nonce, list(challenge.moves)
            return
        finally:
            capture = None  # noqa: F841
        self.reference_step = "saved"
        self.notice_key = "face.reference_saved"

    @rx.event
    @staff_required("applications.create")
    def next_voter(self):
        self._clear_messages()
        self.step, self.voter, self._serving_voter_id, self.done_reference = "find", {}, 0, ""
        self._reset_reference()


class VoterListState(StaffState):
    precinct_options: list[dict[str, str]] = []
    election_days: list[str] = []
    selected_precinct: str = ""
    selected_day: str = ""
    title: str = ""
    preliminary: bool = True
    rows: list[dict[str, str]] = []

    def _fetch(self) -> dict | None:
        try:
            with session_scope() as session:
                return staff_records.voter_list(session, self._staff_user(), parse_id(self.selected_precinct),
                                                _date(self.selected_day))
        except ServiceError as exc:
            self._show(exc)
            return None

    @rx.event
    @staff_required("voter_list.view")
    def load(self):
        self.error_entries = {}
        user = self._staff_user()
        with session_scope() as session:
            remote = precincts.all_remote(session)
            self.precinct_options = [{"id": str(p.id), "label": f"{p.number} — {p.place_ru}, {p.city_ru}"}
                                     for p in remote if user.role != "precinct_member" or p.id == user.precinct_id]
            self.election_days = [d.isoformat() for d in dashboard.election_days(session)]
            day = dashboard.default_day(session)
        self.selected_day = self.selected_day or (day.isoformat() if day else "")
        self.selected_precinct = self.selected_precinct or (self.precinct_options[0]["id"] if self.precinct_options else "")
        self._show_list()
        return AppState.page_ready

    def _show_list(self) -> None:
        data = self._fetch()
        if data is not None:
            self.title, self.preliminary, self.rows = data["precinct"], data["preliminary"], data["rows"]

    @rx.event
    @staff_required("voter_list.view")
    def choose(self, form_data: dict):
        self.error_entries = {}
        self.selected_precinct = str(form_data.get("precinct", "") or "")
        self.selected_day = str(form_data.get("day", "") or "")
        self._show_list()

    @rx.event
    @staff_required("voter_list.view")
    def download(self):
        data = self._fetch()
        if data is None:
            return
        with session_scope() as session:
            audit.record(session, self._actor(), "voter_list.downloaded", "precinct", data["precinct_number"],
                         rows=len(data["rows"]))
        return rx.download(data=staff_records.voter_list_csv(data), filename=f"voters-{data['precinct_number']}.csv",
                           mime_type="text/csv;charset=utf-8")


class PrecinctAdminState(StaffState):
    items: list[dict[str, str]] = []
    editing: dict[str, str] = {}
    pick_lat: str = ""
    pick_lon: str = ""

    def _reload(self) -> None:
        with session_scope() as session:
            self.items = [as_strings({"id": p.id, "number": p.number, "active": p.active, "latitude": p.latitude,
                                      "longitude": p.longitude, "precision": p.location_precision,
                                      **{f: getattr(p, f) for f in precincts.TEXT_FIELDS}})
                          for p in precincts.all_remote(session)]

    @rx.var
    def map_items(self) -> list[dict[str, str]]:
        return [{**i, "place": i["place_ru"], "city": i["city_ru"], "district": i["district_ru"],
                 "address": i["address_ru"], "precision_text": t(self._lang(), f"map.precision.{i['precision']}")}
                for i in self.items if i["active"]]

    @rx.event
    @staff_required("precincts.manage")
    def load(self):
        self.error_entries = {}
        self._reload()
        return AppState.page_ready

    @rx.event
    @staff_required("precincts.manage")
    def edit(self, precinct_id: str):
        self._clear_messages()
        match = [i for i in self.items if i["id"] == str(precinct_id)]
        self.editing = match[0] if match else {}
        self.pick_lat, self.pick_lon = (self.editing.get("latitude", ""), self.editing.get("longitude", ""))
        return rx.set_focus("edit-heading") if match else None

    @rx.event
    @staff_required("precincts.manage")
    def new(self):
        self._clear_messages()
        self.editing = {"id": ""}
        self.pick_lat = self.pick_lon = ""

    @rx.event
    @staff_required("precincts.manage")
    def save(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                precincts.save_remote(session, parse_id(self.editing.get("id")), form_data, self._actor())
        except ServiceError as exc:
            self._show(exc)
            return
        self.notice_key = "admin.saved"
        self.editing = {}
        self._reload()

    @rx.event
    @staff_required("precincts.manage")
    def toggle_active(self, precinct_id: str, active: bool):
        self._clear_messages()
        try:
            with session_scope() as session:
                precincts.set_active(session, parse_id(precinct_id) or 0, bool(active), self._actor())
        except ServiceError as exc:
            self._show(exc)
        self._reload()

    @rx.event
    @staff_required("precincts.manage")
    def pick(self, lat: float, lon: float):
        """A click on the map proposes a point; it is saved only with the button."""
        self.pick_lat, self.pick_lon = f"{float(lat):.6f}", f"{float(lon):.6f}"

    @rx.event
    @staff_required("precincts.manage")
    def move(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                precincts.move_point(session, parse_id(self.editing.get("id")) or 0, form_data.get("latitude"),
                                     form_data.get("longitude"), self._actor())
        except ServiceError as exc:
            self._show(exc)
            return
        self.notice_key = "admin.saved"
        self._reload()
        self.editing = next((i for i in self.items if i["id"] == self.editing.get("id")), {})


class ElectionAdminState(StaffState):
    items: list[dict[str, str]] = []

    def _reload(self) -> None:
        with session_scope() as session:
            self.items = elections.admin_list(session)

    @rx.event
    @staff_required("elections.manage")
    def load(self):
        self.error_entries = {}
        self._reload()
        return AppState.page_ready

    @rx.event
    @staff_required("elections.manage")
    def save(self, form_data: dict):
        self._clear_messages()
        try:
            with session_scope() as session:
                elections.update_dates(session, parse_id(form_data.get("election_id")) or 0,
                                       form_data.get("election_day"), form_data.get("deadline"), self._actor())
        except ServiceError as exc:
            self._show(exc)
            return
        self.notice_key = "admin.saved"
        self._reload()


class AuditState(StaffState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    filters: dict[str, str] = {"entity": "", "action": "", "actor": "", "entity_id": "", "auth": ""}

    @rx.var
    def auth_options(self) -> list[dict[str, str]]:
        return [{"value": value, "label": _action_text(self._lang(), value)} for value in staff_records.AUTH_FILTERS]

    def _run(self) -> None:
        with session_scope() as session:
            rows, self.total = staff_records.audit_log(session, self._staff_user(), page=self.page, **self.filters)
        self.rows = [{**row, "action_text": _action_text(self._lang(), row["action"])} for row in rows]

    @rx.event
    @staff_required("audit.view")
    def load(self):
        self.error_entries = {}
        self._run()
        return AppState.page_ready

    @rx.event
    @staff_required("audit.view")
    def search(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "") or "")[:60] for k in self.filters}
        self.page = 1
        self._run()

    @rx.event
    @staff_required("audit.view")
    def go_page(self, page: int):
        try:
            self.page = max(1, int(page))
        except (TypeError, ValueError):
            return
        self._run()
