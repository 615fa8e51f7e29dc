"""The check-in desk (checkin_desk.jsx): roster, pass verification, marks and their offline queue,
all in the browser; imported only by /staff/checkin."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr

# Every text the component shows, translated on the server: prop key -> i18n key.
LABELS = ("online", "offline", "queue", "queue_attempts", "roster_ready", "roster_missing", "roster_failed",
          "roster_invalid", "session_ended", "download_roster", "scan", "stop_camera", "camera", "no_camera",
          "query", "query_hint", "find", "no_roster", "pass_invalid", "pass_verified", "found_in_roster",
          "not_listed", "not_found_title", "reference", "pin", "document", "birth", "compare", "issue", "cancel",
          "issued_sending", "issued_offline", "sent_ok", "conflicts", "refused_repeat", "refused_conflict",
          "refused_stale", "refused_other_precinct", "refused_not_listed")


# checkin_desk.jsx imports "./pass_verify.js": linking it as a shared asset of this module puts it beside
# the .jsx in the frontend's public tree, where the relative import resolves.
PASS_VERIFY_JS = rx.asset("pass_verify.js", shared=True)


class CheckinDesk(rx.NoSSRComponent):
    library = "$/public" + rx.asset("checkin_desk.jsx", shared=True)
    lib_dependencies: list[str] = ["jsqr@1.4.0"]
    tag = "CheckinDesk"

    labels: rx.Var[dict[str, str]]
    roster_url: rx.Var[str]
    sync_url: rx.Var[str]
    key_url: rx.Var[str]
    storage_key: rx.Var[str]
    precinct: rx.Var[str]


def checkin_desk(storage_key: rx.Var, precinct: rx.Var) -> rx.Component:
    return CheckinDesk.create(
        labels={name: tr[f"checkin.{name}"] for name in LABELS},
        roster_url="/staff/checkin/roster.json", sync_url="/staff/checkin/sync", key_url="/api/pass-key",
        storage_key=storage_key, precinct=precinct,
    )
