"""The check-in desk (checkin_desk.jsx): roster, pass verification, marks and their offline queue,
all in the browser, stored as checkin_store.js says; imported by /staff/checkin, and its wipe
(checkin_wipe.jsx) by the staff login page."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.layout import tr

# Every text the component shows, translated on the server: prop key -> i18n key.
LABELS = ("online", "offline", "queue", "queue_attempts", "roster_ready", "roster_missing", "roster_failed",
          "roster_invalid", "download_roster", "scan", "stop_camera", "camera", "no_camera",
          "query", "query_hint", "find", "no_roster", "pass_invalid", "pass_verified", "found_in_roster",
          "not_listed", "not_found_title", "reference", "document", "birth", "compare", "issue", "cancel", "next",
          "issued_sending", "issued_offline", "sent_ok", "conflicts", "refused_repeat", "refused_conflict",
          "refused_stale", "refused_other_precinct", "refused_not_listed", "refused_bad_pass", "refused_too_early", "issued_by", "incidents", "incident_item",
          "invalid_title", "invalid_hint", "invalid_item", "sync_network", "sync_login", "sync_forbidden",
          "sync_server", "sync_rejected")

# checkin_desk.jsx imports "./pass_verify.js", "./checkin_store.js" (checkin_wipe.jsx the latter),
# "./checkin_logic.js", "./desk_common.js" and "./qr_camera.js": linking them as shared assets of this module puts them beside the .jsx in the
# frontend's public tree (a folder per Python module), where the relative imports resolve.
PASS_VERIFY_JS = rx.asset("pass_verify.js", shared=True)
CHECKIN_STORE_JS = rx.asset("checkin_store.js", shared=True)
QR_CAMERA_JS = rx.asset("qr_camera.js", shared=True)
DESK_COMMON_JS = rx.asset("desk_common.js", shared=True)
CHECKIN_LOGIC_JS = rx.asset("checkin_logic.js", shared=True)


class CheckinDesk(rx.NoSSRComponent):
    library = "$/public" + rx.asset("checkin_desk.jsx", shared=True)
    lib_dependencies: list[str] = ["jsqr@1.4.0"]
    tag = "CheckinDesk"

    labels: rx.Var[dict[str, str]]
    roster_url: rx.Var[str]
    sync_url: rx.Var[str]
    marks_url: rx.Var[str]
    key_url: rx.Var[str]
    storage_key: rx.Var[str]
    precinct: rx.Var[str]
    member: rx.Var[str]
    lang: rx.Var[str]


class CheckinWipe(rx.NoSSRComponent):
    library = "$/public" + rx.asset("checkin_wipe.jsx", shared=True)
    tag = "CheckinWipe"


def checkin_desk(storage_key: rx.Var, precinct: rx.Var, member: rx.Var, lang: rx.Var) -> rx.Component:
    return CheckinDesk.create(
        labels={name: tr[f"checkin.{name}"] for name in LABELS},
        roster_url=routes.CHECKIN_ROSTER, sync_url=routes.CHECKIN_SYNC, marks_url=routes.CHECKIN_MARKS,
        key_url=routes.API_PASS_KEY, storage_key=storage_key, precinct=precinct, member=member, lang=lang,
    )


def checkin_wipe() -> rx.Component:
    """Deletes every check-in desk's key and encrypted roster from this browser when rendered (unless
    a desk tab is still open in it: that desk deletes its own at the server's 401)."""
    return CheckinWipe.create()
