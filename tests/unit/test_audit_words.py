"""The audit page in words: every action the code records has a name in Kyrgyz, Russian and
English, actors are named (staff by login, voters by record number), details are never a dict."""

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from remote_vote_app.i18n import t
from remote_vote_app.models import StaffAccount
from remote_vote_app.services import audit
from remote_vote_app.services.election_day import checkin, identification
from remote_vote_app.services.reporting import staff_records
from tests.unit.test_staff import _login

SOURCES = Path(__file__).resolve().parents[2] / "remote_vote_app"
# The functions whose argument is an audited action, and where it is.
RECORDERS = {"record": 2, "auth_event": 1, "_voter_event": 1, "_refuse": 0, "_checked": 0}
# Actions built at run time, each family with every value it can take.
BUILT = ([f"auth.code_{p}.{o}" for p in ("step_up", "face_reference") for o in ("success", "failure", "lockout")]
         + [f"auth.{k}.session_{e}" for k in ("voter", "staff") for e in ("started", "ended")]
         + [f"identification.{o}" for o in identification.OUTCOMES]
         + [f"checkin.flagged.{k}" for k in checkin.FLAG_KINDS]
         + [f"{e}.{o}" for e in ("territory", "precinct", "election") for o in ("created", "edited")])


def _constants(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _recorded_actions() -> set[str]:
    found = set()
    for path in SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in RECORDERS and len(node.args) > RECORDERS[name]:
                    found.update(a for a in _constants(node.args[RECORDERS[name]]) if "." in a)
    return found | set(BUILT)


ACTIONS = sorted(_recorded_actions())


def test_the_sweep_finds_the_actions_of_logins_applications_and_staff():
    assert {"auth.staff.success", "auth.sms.failure", "application.submitted", "election.dates_changed",
            "auth.qr.scanned"} <= set(ACTIONS)


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_every_audited_action_has_a_name_in_words(lang):
    unnamed = [a for a in ACTIONS if staff_records.action_text(lang, a) == a]
    assert not unnamed, f"{lang}: audit actions shown as codes: {unnamed}"
    assert staff_records.action_text("ru", "auth.staff.session_started") == "Вход сотрудника: сеанс начат"
    assert staff_records.action_text("ky", "application.submitted") == "Арыз: берилди"


def test_the_log_names_actors_and_says_details_in_words(session):
    member = session.exec(select(StaffAccount).where(StaffAccount.username == "uik.1001")).one()
    audit.record(session, f"staff:{member.id}", "election.dates_changed", "election", 7,
                 before={"deadline": "2026-12-21"}, after={"deadline": "2026-12-22"})
    audit.record(session, "voter:42", "application.withdrawn", "application", "ABCD-EFGH")
    session.commit()
    admin = _login(session, "cec.admin")
    rows, _ = staff_records.audit_log(session, admin, actor="uik.1001", lang="ru")  # the filter takes a login name
    row = rows[0]
    assert row["actor_text"] == "Сотрудник uik.1001" and row["action_text"] == "Выборы: даты изменены"
    assert row["details"] == "было: deadline 21.12.2026; стало: deadline 22.12.2026"
    assert "{" not in row["details"] and "'" not in row["details"]
    voter_row = staff_records.audit_log(session, admin, actor="voter:42", lang="en")[0][0]
    assert voter_row["actor_text"] == "Voter (no. 42)" and voter_row["entity_text"] == "Application"
    assert t("ky", "audit.actor.system") == "Система"
