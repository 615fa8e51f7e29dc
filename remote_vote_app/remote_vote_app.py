"""Builds the Reflex app and registers the pages; nothing else."""

import logging
import traceback

from remote_vote_app import logsafe

logsafe.install()  # before Reflex logs anything: no token, PIN or payload in any log line

import reflex as rx  # noqa: E402
from reflex.event import EventSpec

from remote_vote_app import serving, worker
from remote_vote_app.api import transformers
from remote_vote_app.pages.apply import apply_page, check_page, confirmation_page
from remote_vote_app.pages.cabinet import cabinet
from remote_vote_app.pages.landing import landing
from remote_vote_app.pages.login import login
from remote_vote_app.pages.outbox import outbox
from remote_vote_app.pages.precincts import precincts_page
from remote_vote_app.pages.eid import eid_callback
from remote_vote_app.pages.face import face_login
from remote_vote_app.pages.qr import phone_page as qr_phone_page
from remote_vote_app.pages import staff as staff_pages
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState
from remote_vote_app.state.login import LoginState
from remote_vote_app.state.precincts import PrecinctsState
from remote_vote_app.state.face import FaceLoginState
from remote_vote_app.state.qr import QrPhoneState
from remote_vote_app.settings import settings
from remote_vote_app.state.public import LandingState, OutboxState
from remote_vote_app.state import staff as staff_states

TITLE = "Дистанционное голосование · Алыстан добуш берүү"
log = logging.getLogger("remote_vote_app")


def on_backend_error(exception: Exception) -> EventSpec:
    """Log where it failed, never the message or arguments (they may carry a PIN or a phone)."""
    frame = traceback.extract_tb(exception.__traceback__)[-1] if exception.__traceback__ else None
    log.error("event handler failed: %s at %s:%s", type(exception).__name__,
              frame.filename if frame else "?", frame.lineno if frame else "?")
    return rx.toast.error("Ошибка. Попробуйте ещё раз. · Ката кетти. Кайра аракет кылыңыз. · Something went wrong, please try again.")


app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=transformers,
    backend_exception_handler=on_backend_error,
    html_lang="ru",
    head_components=[
        rx.el.meta(name="description", content="Заявление на дистанционное голосование / Алыстан добуш берүүгө арыз"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    ],
)
serving.keep_tabs_of_dead_workers()
app.register_lifespan_task(serving.worker_heartbeat)
app.register_lifespan_task(worker.deliver_outbox)
app.register_lifespan_task(worker.purge_sessions)
app.add_page(landing, route="/", title=TITLE, on_load=LandingState.load)
app.add_page(login, route="/login", title=f"Вход · {TITLE}", on_load=LoginState.on_load)
app.add_page(apply_page, route="/apply", title=f"Заявление · {TITLE}", on_load=ApplyState.load)
app.add_page(check_page, route="/apply/check", title=f"Проверка · {TITLE}", on_load=ApplyState.load_check)
app.add_page(confirmation_page, route="/confirmation", title=f"Принято · {TITLE}", on_load=ApplyState.load_confirmation)
app.add_page(eid_callback, route="/login/eid", title=f"eID · {TITLE}", on_load=LoginState.eid_callback)
app.add_page(face_login, route="/login/face", title=f"FaceID · {TITLE}", on_load=FaceLoginState.load)
app.add_page(qr_phone_page, route="/qr", title=f"QR · {TITLE}", on_load=QrPhoneState.load)
app.add_page(cabinet, route="/cabinet", title=f"Кабинет · {TITLE}", on_load=CabinetState.load)
app.add_page(precincts_page, route="/precincts", title=f"Участки · {TITLE}", on_load=PrecinctsState.load)
STAFF_TITLE = f"Комиссия · {TITLE}"
for route, render, state in (
    ("/staff/login", staff_pages.staff_login, staff_states.StaffLoginState.on_load),
    ("/staff", staff_pages.dashboard, staff_states.DashboardState.load),
    ("/staff/applications", staff_pages.applications_page, staff_states.SearchState.load),
    ("/staff/applications/new", staff_pages.in_person, staff_states.InPersonState.load),
    ("/staff/lists", staff_pages.voter_lists, staff_states.VoterListState.load),
    ("/staff/precincts", staff_pages.precinct_admin, staff_states.PrecinctAdminState.load),
    ("/staff/elections", staff_pages.election_admin, staff_states.ElectionAdminState.load),
    ("/staff/audit", staff_pages.audit_page, staff_states.AuditState.load),
):
    app.add_page(render, route=route, title=STAFF_TITLE, on_load=state)

if settings.demo_mode:  # the outbox holds login codes: it exists only in a demo installation
    app.add_page(outbox, route="/dev/outbox", title=f"Outbox · {TITLE}", on_load=OutboxState.load)
