"""Application form, check-your-answers and confirmation (new applications and changes)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.i18n import t
from remote_vote_app.services.applications import applications, capacity
from remote_vote_app.services.reference import precincts, register
from remote_vote_app.services.applications.applications import Draft
from remote_vote_app.errors import ServiceError
from remote_vote_app.services.messaging.notifications import default_sender
from remote_vote_app.services.validation import parse_id
from remote_vote_app.state import stepup
from remote_vote_app.state.app import FAILED, AppState, as_strings, go, voter_required


# The register data that are written differently in each language.
PROFILE_PER_LANGUAGE = ("address", "territory", "home_precinct")


class ApplyState(AppState):
    loaded: bool = False
    editing_reference: str = ""
    # The form's current answers (strings, as the inputs hold them).
    election_id: str = ""
    precinct_id: str = ""
    email: str = ""
    phone: str = ""
    consent: bool = False
    reviewed: bool = False
    show_map: bool = False  # the map on /apply is shown only when asked for
    confirmation: dict[str, str] = {}
    step_up_phone: str = ""  # set while a step-up code (services.identity.assurance) is awaited
    step_up_sent: str = ""  # HH:MM of the open code when no new SMS was sent
    _step_up_token: str = ""
    # Per-language data loaded once per visit; computed vars pick the current language.
    _elections: dict[str, list[dict[str, str]]] = {}
    _precincts: dict[str, list[dict[str, str]]] = {}
    _profile: dict[str, str] = {}
    _profile_langs: dict[str, dict[str, str]] = {}  # {lang: {"address": ..., "territory": ..., "home_precinct": ...}}
    _review: dict[str, dict[str, str]] = {}
    _draft: Draft | None = None
    _editing_version: int = 0  # the version the voter opened for change (optimistic lock)
    _editing_precinct: str = ""  # where the opened application already holds a place
    # {election id: {precinct id: "" | ok | almost_full | full}} for the voter's open elections.
    _fills: dict[str, dict[str, str]] = {}
    _closed: dict[str, dict[str, str]] = {}  # applications.closed_notice: what /apply says instead of a form

    @rx.var
    def closed(self) -> dict[str, str]:
        return self._closed.get(self._lang(), {})

    def _closed_meanwhile(self):
        """A deadline that passed while the voter was on the form: /apply again, which then says
        that applications have closed and what to do now, not the form with an error."""
        if any(e.get("key") == "error.deadline_passed" for e in self.error_entries.values()):
            self._clear_messages()
            self._reset_form()
            return go(routes.APPLY)
        return None

    @rx.var
    def profile(self) -> dict[str, str]:
        return {**self._profile, **self._profile_langs.get(self._lang(), dict.fromkeys(PROFILE_PER_LANGUAGE, ""))}

    @rx.var
    def election_options(self) -> list[dict[str, str]]:
        return self._elections.get(self._lang(), [])

    @rx.var
    def precinct_items(self) -> list[dict[str, str]]:
        """The precincts in the current language, each with how full it is for the chosen (or only)
        election: `fill` is "" | ok | almost_full | full; a full one cannot be chosen (the service
        refuses it anyway), except the one the application being changed already holds."""
        ids = [o["id"] for o in self.election_options]
        election = self.election_id or (ids[0] if len(ids) == 1 else "")
        levels, lang = self._fills.get(election, {}), self._lang()
        items = []
        for item in self._precincts.get(lang, []):
            level = capacity.shown_level(levels.get(item["id"], ""), item["id"], self._editing_precinct)
            items.append({**item, "fill": level, "fill_text": t(lang, f"capacity.{level}") if level in ("almost_full", "full") else ""})
        return items

    @rx.var
    def precinct_cities(self) -> list[str]:
        return list(precincts.group_by_city(self.precinct_items))

    @rx.var
    def precincts_by_city(self) -> dict[str, list[dict[str, str]]]:
        return precincts.group_by_city(self.precinct_items)

    @rx.var
    def review(self) -> dict[str, str]:
        return self._review.get(self._lang(), {})

    @rx.var
    def existing_reference(self) -> str:
        """An application the voter already has for the chosen (or only) election."""
        if self.editing_reference:
            return ""
        for option in self.election_options:
            if option["existing"] and (option["id"] == self.election_id or len(self.election_options) == 1):
                return option["existing"]
        return ""

    def _reset_form(self) -> None:
        # The only open election stays chosen, as `load` would choose it again: every computed var
        # reads it the same way as an empty choice, so the precinct lists need not be resent.
        ids = [option["id"] for option in self.election_options]
        self._set(editing_reference="", show_map=False, election_id=ids[0] if len(ids) == 1 else "",
                  precinct_id="", email="", phone=self._profile.get("phone", ""), consent=False, reviewed=False,
                  step_up_phone="", _step_up_token="", _editing_version=0, _editing_precinct="")
        self._draft = None
        self._review = {}

    @rx.event
    @voter_required
    async def load(self):
        """/apply: register data, the voter's open elections and the precincts."""
        self.error_entries = {}
        voter_id = self._voter_id

        def read(session):
            options = applications.form_options(session, voter_id)
            fills = capacity.fill_levels(session, [int(o["id"]) for o in options["ru"]])
            return (register.profile(session, voter_id), options, precincts.public_list(session), fills,
                    applications.closed_notice(session, voter_id))

        loaded = await self._run(read, short=False)  # capacity.fills counts the election's applications
        if loaded is FAILED:
            return
        profile, self._elections, self._precincts, self._fills, self._closed = loaded
        self._profile = {
            "full_name": profile.full_name, "pin": profile.pin, "document": profile.document,
            "birth_date": profile.birth_date, "phone": profile.phone,
        }
        self._profile_langs = {lang: {name: getattr(profile, name)[lang] for name in PROFILE_PER_LANGUAGE}
                               for lang in profile.address}
        if not self.editing_reference and not self.reviewed and not self.phone:
            self.phone = profile.phone
        if self.chosen_precinct and not self.editing_reference:
            self.precinct_id, self.chosen_precinct = self.chosen_precinct, ""
        ids = [option["id"] for option in self.election_options]
        if self.election_id not in ids:
            self.election_id = ids[0] if len(ids) == 1 else ""
        self.loaded = True
        if not self.editing_reference and ids and all(option["existing"] for option in self.election_options):
            # Back or a reload after submitting, or a second "apply": the application exists, so the
            # cabinet (with "change") is the answer, not an empty form.
            self.notice_key = "ux.has_application"
            return go(routes.CABINET)
        return self._ready()

    @rx.event
    @voter_required
    def toggle_map(self):
        self.show_map = not self.show_map

    @rx.event
    @voter_required
    def choose_precinct(self, precinct_id: str):
        """From the list or the map popup: both set the same answer (a full precinct is not taken)."""
        if str(precinct_id) in {item["id"] for item in self.precinct_items if item["fill"] != "full"}:
            self.precinct_id = str(precinct_id)

    @rx.event
    @voter_required
    def start_new(self):
        self._clear_messages()
        self._reset_form()
        self.confirmation = {}
        return rx.redirect(routes.APPLY)

    @rx.event
    @voter_required
    async def start_change(self, reference: str):
        """Open one of the voter's own applications in the form; anyone else's is 'not found'."""
        self._clear_messages()
        voter_id, lang = self._voter_id, self._lang()

        def open_for_change(session):
            application = applications.own(session, voter_id, str(reference))
            if not applications.summary(session, application, lang)["can_change"]:
                raise ServiceError("error.deadline_passed")
            return application.reference, application.version, applications.draft_from(application)

        opened = await self._run(open_for_change)
        if opened is FAILED:
            return self._closed_meanwhile()
        self._reset_form()
        self.confirmation = {}
        self.editing_reference, self._editing_version, draft = opened
        self.election_id, self.precinct_id = str(draft.election_id), str(draft.precinct_id)
        self._editing_precinct = str(draft.precinct_id)
        self.email, self.phone, self.consent = draft.email, draft.phone, draft.consent
        return rx.redirect(routes.APPLY)

    @rx.event
    @voter_required
    async def review_answers(self, form_data: dict):
        """Validate the form on the server and go to check-your-answers."""
        self._clear_messages()
        self._set(election_id=str(form_data.get("election", self.election_id) or ""),
                  precinct_id=str(form_data.get("precinct", "") or ""),
                  email=str(form_data.get("email", "") or "").strip(),
                  phone=str(form_data.get("phone", "") or "").strip(), consent=bool(form_data.get("consent")))
        draft = Draft(parse_id(self.election_id), parse_id(self.precinct_id), self.email, self.phone, self.consent)
        voter_id, editing, lang = self._voter_id, self.editing_reference, self._lang()

        def check(session):
            valid, keep = draft, None
            if editing:
                own = applications.own(session, voter_id, editing)
                valid, keep = dataclasses.replace(valid, election_id=own.election_id), own.remote_precinct_id
            valid = applications.validate(session, voter_id, valid, lang=lang, keep_precinct=keep)
            return valid, applications.describe(session, valid)

        checked = await self._run(check)
        if checked is FAILED:
            return self._closed_meanwhile()
        self._draft, self._review = checked
        self._set(step_up_phone="", _step_up_token="")  # a code asked for other answers does not carry over
        self._set(email=self._draft.email, phone=self._draft.phone, reviewed=True)
        return rx.redirect(routes.APPLY_CHECK)

    @rx.event
    @voter_required
    def load_check(self):
        """/apply/check has no on_load: review_answers checked the session and set what it shows,
        and the page sets its title and focus in the browser. The page sends this only when opened
        otherwise (a reload, a typed address, Back to it after confirming): the session check, and
        where to go when there is nothing to check."""
        if not self.reviewed or self._draft is None:
            # A reload or Back after submitting: the receipt, not the form again.
            return go(routes.CONFIRMATION if self.confirmation.get("reference") else routes.APPLY)
        return self._ready()

    @rx.event
    @voter_required
    async def confirm(self):
        """Submit (or save the change); the service decides deadline, ownership and uniqueness again.
        A session the service does not trust enough (FaceID, QR) first enters the SMS code sent to
        the phone on file."""
        self._clear_messages()
        if self._draft is None:
            # A confirm repeated after it succeeded (a double click, or an event re-sent after a
            # reconnect): the voter sees the receipt again, not an empty form.
            return go(routes.CONFIRMATION if self.confirmation.get("reference") else routes.APPLY)
        sent = await stepup.send(self, self._voter_id)
        if sent is FAILED:
            return
        if sent is not None:
            self.step_up_phone, self.step_up_sent, self._step_up_token = stepup.awaited(sent)
            return rx.set_focus("code")
        return await self._save()

    @rx.event
    @voter_required
    async def confirm_with_code(self, form_data: dict):
        self._clear_messages()
        if self._draft is None or not self._step_up_token:
            return rx.redirect(routes.APPLY)
        if not await stepup.verified(self, self._step_up_token, form_data.get("code"), self._voter_id):
            return
        self.step_up_phone, self._step_up_token = "", ""
        return await self._save()

    async def _save(self):
        voter_id, lang, draft = self._voter_id, self._lang(), self._draft
        editing, version, row = self.editing_reference, self._editing_version, self._session_id

        def save(session):
            if editing:
                application = applications.change(session, voter_id, editing, draft, default_sender(), lang,
                                                  expected_version=version, session_row=row)
            else:
                application = applications.submit_once(session, voter_id, draft, default_sender(), lang,
                                                        session_row=row)
            return applications.summary(session, application, lang, with_pass=True)

        summary = await self._run(save)
        if summary is FAILED:
            return self._closed_meanwhile()
        self.confirmation = as_strings({**summary, "kind": "changed" if editing else "submitted"})
        self._reset_form()
        return go(routes.CONFIRMATION)

    @rx.event
    @voter_required
    def load_confirmation(self):
        """As load_check, for /confirmation (after confirm, whose handler checked the session)."""
        return self._ready()
