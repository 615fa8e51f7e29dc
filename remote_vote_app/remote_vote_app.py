"""Builds the Reflex app and registers the pages; nothing else."""

import logging
import traceback

from remote_vote_app import routes
from remote_vote_app import logsafe

logsafe.install()  # before Reflex logs anything: no token, PIN or payload in any log line

import reflex as rx  # noqa: E402
from reflex.event import EventSpec

from remote_vote_app import worker
from remote_vote_app.web import closed_tabs
from remote_vote_app.api import transformers
from remote_vote_app.components.ux import request_failed
from remote_vote_app.services.applications import passes
from remote_vote_app.pages.apply import apply_page, check_page, confirmation_page
from remote_vote_app.pages.cabinet import cabinet
from remote_vote_app.i18n import LANGS, t
from remote_vote_app.pages.landing import landing
from remote_vote_app.pages.not_found import not_found
from remote_vote_app.pages.login import login
from remote_vote_app.pages.outbox import outbox
from remote_vote_app.pages.precincts import precincts_page
from remote_vote_app.pages.statistics import statistics_page
from remote_vote_app.pages.eid import eid_callback
from remote_vote_app.pages.face import face_login
from remote_vote_app.pages.qr import phone_page as qr_phone_page
from remote_vote_app.pages.staff.applications import applications_page
from remote_vote_app.pages.staff.audit import audit_page
from remote_vote_app.pages.staff.checkin import checkin_page
from remote_vote_app.pages.staff.dashboard import dashboard
from remote_vote_app.pages.staff.elections import election_admin
from remote_vote_app.pages.staff.exclusions import exclusions_page
from remote_vote_app.pages.staff.in_person import in_person
from remote_vote_app.pages.staff.login import staff_login
from remote_vote_app.pages.staff.precincts import precinct_admin
from remote_vote_app.pages.staff.reminders import reminders_page
from remote_vote_app.pages.staff.voter_lists import voter_lists
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState
from remote_vote_app.state.login import LoginState
from remote_vote_app.state.precincts import PrecinctsState
from remote_vote_app.state.statistics import StatisticsState
from remote_vote_app.state.face import FaceLoginState
from remote_vote_app.state.qr import QrPhoneState
from remote_vote_app.settings import settings
from remote_vote_app.state.public import LandingState, OutboxState
from remote_vote_app.state.staff.applications import SearchState
from remote_vote_app.state.staff.audit import AuditState
from remote_vote_app.state.staff.checkin import CheckinState
from remote_vote_app.state.staff.dashboard import DashboardState
from remote_vote_app.state.staff.elections import ElectionAdminState
from remote_vote_app.state.staff.exclusions import ExclusionState
from remote_vote_app.state.staff.in_person import InPersonState
from remote_vote_app.state.staff.login import StaffLoginState
from remote_vote_app.state.staff.precincts import PrecinctAdminState
from remote_vote_app.state.staff.reminders import RemindersState
from remote_vote_app.state.staff.voter_lists import VoterListState

# The static title, before the page's script sets the title of the page in its language
# (AppState._page_script, PAGE_TITLES): the service's name in every language, Kyrgyz first.
TITLE = " · ".join(dict.fromkeys(t(lang, "site.title") for lang in LANGS))
log = logging.getLogger("remote_vote_app")


def on_backend_error(exception: Exception) -> EventSpec:
    """Log where it failed, never the message or arguments (they may carry a PIN or a phone)."""
    frame = traceback.extract_tb(exception.__traceback__)[-1] if exception.__traceback__ else None
    log.error("event handler failed: %s at %s:%s", type(exception).__name__,
              frame.filename if frame else "?", frame.lineno if frame else "?")
    return request_failed()


app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=transformers,
    backend_exception_handler=on_backend_error,
    html_lang="ru",
    # No toast library (sonner, 12 KB of every page's first load): a failed request is said in the
    # page's own status banner, in the page's language (on_backend_error).
    toaster=None,
    head_components=[
        rx.el.meta(name="description", content=" / ".join(t(lang, "apply.title") for lang in LANGS)),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    ],
)
passes.check_configured()  # outside demo mode no start without PASS_SIGNING_KEY
# Reflex's English connection toast and pulsing icon give way to the page's own banner, in the page
# language (components/ux.jsx ConnectionStatus).
app.app_wraps[(5, "Overlay")] = lambda stateful: None
app.register_lifespan_task(worker.deliver_outbox)
app.register_lifespan_task(worker.purge_sessions)
app.register_lifespan_task(worker.send_reminders)
app.register_lifespan_task(closed_tabs.drop_closed_tabs)
app.add_page(landing, route=routes.HOME, title=TITLE, on_load=LandingState.load)
app.add_page(login, route=routes.LOGIN, title=TITLE, on_load=LoginState.on_load)
app.add_page(apply_page, route=routes.APPLY, title=TITLE, on_load=ApplyState.load)
# No on_load: the handler before each step sets its state and checks the session; the page sets
# its title and focus in the browser, and asks the server only when opened otherwise (StepArrival).
app.add_page(check_page, route=routes.APPLY_CHECK, title=TITLE)
app.add_page(confirmation_page, route=routes.CONFIRMATION, title=TITLE)
app.add_page(eid_callback, route=routes.LOGIN_EID, title=TITLE, on_load=LoginState.eid_callback)
app.add_page(face_login, route=routes.LOGIN_FACE, title=TITLE, on_load=FaceLoginState.load)
app.add_page(qr_phone_page, route=routes.QR, title=TITLE, on_load=QrPhoneState.load)
app.add_page(cabinet, route=routes.CABINET, title=TITLE, on_load=CabinetState.load)
app.add_page(precincts_page, route=routes.PRECINCTS, title=TITLE, on_load=PrecinctsState.load)
app.add_page(statistics_page, route=routes.STATISTICS, title=TITLE, on_load=StatisticsState.load)
for route, render, state in (
    (routes.STAFF_LOGIN, staff_login, StaffLoginState.on_load),
    (routes.STAFF, dashboard, DashboardState.load),
    (routes.STAFF_APPLICATIONS, applications_page, SearchState.load),
    (routes.STAFF_IN_PERSON, in_person, InPersonState.load),
    (routes.STAFF_LISTS, voter_lists, VoterListState.load),
    (routes.STAFF_EXCLUSIONS, exclusions_page, ExclusionState.load),
    (routes.STAFF_CHECKIN, checkin_page, CheckinState.load),
    (routes.STAFF_PRECINCTS, precinct_admin, PrecinctAdminState.load),
    (routes.STAFF_ELECTIONS, election_admin, ElectionAdminState.load),
    (routes.STAFF_AUDIT, audit_page, AuditState.load),
    (routes.STAFF_REMINDERS, reminders_page, RemindersState.load),
):
    app.add_page(render, route=route, title=TITLE, on_load=state)

app.add_page(not_found, route="404", title=TITLE)

if settings.demo_mode:  # the outbox holds login codes: it exists only in a demo installation
    app.add_page(outbox, route=routes.OUTBOX, title=TITLE, on_load=OutboxState.load)
