"""Every path the service answers, in one place: pages, redirects, links and HTTP endpoints use
these names, and tests/unit/test_routes.py finds any other path spelled in the code, the
browser-side scripts or the tests."""

from __future__ import annotations

# Voter pages
HOME = "/"
LOGIN = "/login"
LOGIN_EID = "/login/eid"
LOGIN_FACE = "/login/face"
QR = "/qr"
APPLY = "/apply"
APPLY_CHECK = "/apply/check"
CONFIRMATION = "/confirmation"
CABINET = "/cabinet"
PRECINCTS = "/precincts"
STATISTICS = "/statistics"
OUTBOX = "/dev/outbox"  # demo mode only

# Staff pages
STAFF_LOGIN = "/staff/login"
STAFF = "/staff"
STAFF_APPLICATIONS = "/staff/applications"
STAFF_IN_PERSON = "/staff/applications/new"
STAFF_LISTS = "/staff/lists"
STAFF_EXCLUSIONS = "/staff/exclusions"
STAFF_CHECKIN = "/staff/checkin"
STAFF_PRECINCTS = "/staff/precincts"
STAFF_ELECTIONS = "/staff/elections"
STAFF_AUDIT = "/staff/audit"
STAFF_REMINDERS = "/staff/reminders"

# HTTP endpoints beside the pages
AUTH_SESSION = "/auth/session"
AUTH_LOGOUT = "/auth/logout"
CHECKIN_ROSTER = "/staff/checkin/roster.json"
CHECKIN_SYNC = "/staff/checkin/sync"
CHECKIN_MARKS = "/staff/checkin/marks"
IDENTIFY_CHECK = "/staff/identification/check"
IDENTIFY_ISSUE = "/staff/identification/issue"
IDENTIFY_SYNC = "/staff/identification/sync"
IDENTIFY_LIST = "/staff/identification/list"
REMINDERS_OPT_OUT = "/reminders/opt-out"
EXCLUSIONS_EXPORT = "/exports/exclusions.{fmt}"  # fmt: csv or xlsx
API = "/api"
API_PRECINCTS_GEOJSON = "/api/precincts.geojson"
API_PRECINCTS_CSV = "/api/precincts.csv"
API_PASS_KEY = "/api/pass-key"
API_STATISTICS_JSON = "/api/statistics.json"
API_STATISTICS_CSV = "/api/statistics.csv"
PING = "/ping"

PAGES = (HOME, LOGIN, LOGIN_EID, LOGIN_FACE, QR, APPLY, APPLY_CHECK, CONFIRMATION, CABINET, PRECINCTS, STATISTICS,
         OUTBOX, STAFF_LOGIN, STAFF, STAFF_APPLICATIONS, STAFF_IN_PERSON, STAFF_LISTS, STAFF_EXCLUSIONS, STAFF_CHECKIN,
         STAFF_PRECINCTS, STAFF_ELECTIONS, STAFF_AUDIT, STAFF_REMINDERS)
ENDPOINTS = (AUTH_SESSION, AUTH_LOGOUT, CHECKIN_ROSTER, CHECKIN_SYNC, CHECKIN_MARKS, IDENTIFY_CHECK, IDENTIFY_ISSUE,
             IDENTIFY_SYNC, IDENTIFY_LIST, REMINDERS_OPT_OUT, EXCLUSIONS_EXPORT.format(fmt="csv"),
             EXCLUSIONS_EXPORT.format(fmt="xlsx"), API_PRECINCTS_GEOJSON, API_PRECINCTS_CSV, API_PASS_KEY,
             API_STATISTICS_JSON, API_STATISTICS_CSV, PING)
ALL = PAGES + ENDPOINTS


def under_api(path: str) -> str:
    """An API path as the API router mounted at API sees it."""
    return path.removeprefix(API)
