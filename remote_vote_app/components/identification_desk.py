"""The identification desk (identification_desk.jsx): an election under the 2025 law, the voter
identified by PIN and document at any precinct; the precinct's list and the offline queue kept in the
browser as checkin_store.js says (the same lock and logout wipe as the check-in desk)."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.layout import tr

# Every text the component shows, translated on the server; the prop is the key's last part. The
# check-in desk's words serve where the thing is the same.
LABELS = (
    "identdesk.status_online", "identdesk.status_offline_provisional", "identdesk.status_offline_wait",
    "identdesk.offline_provisional", "identdesk.offline_wait", "identdesk.queue", "identdesk.list_ready", "identdesk.list_missing",
    "identdesk.list_failed", "identdesk.download_list", "identdesk.scan", "identdesk.no_camera",
    "identdesk.qr_unreadable", "identdesk.pin", "identdesk.pin_hint", "identdesk.document_hint", "identdesk.bad_pin",
    "identdesk.bad_document", "identdesk.server_problem", "identdesk.unknown_voter", "identdesk.photo",
    "identdesk.home_precinct", "identdesk.home_district", "identdesk.issue_provisional", "identdesk.issued", "identdesk.issued_offline", "identdesk.issued_provisional",
    "identdesk.offline_checked", "identdesk.offline_issue_home", "identdesk.offline_voted_here",
    "identdesk.offline_voted_list", "identdesk.offline_under_age", "identdesk.offline_no_list",
    "identdesk.provisional_district", "identdesk.choose_district", "identdesk.sync_ok", "identdesk.conflicts",
    "identdesk.conflict_item", "identdesk.wrong_district_item", "identdesk.reason_voted", "identdesk.reason_not_registered",
    "identdesk.reason_under_age", "identdesk.reason_wrong_precinct",
    # The election's choices where the law leaves one, in the words README and the commission use.
    "ident.policy.provisional", "ident.policy.wait", "ident.abroad_rule",
    "checkin.stop_camera", "checkin.camera", "checkin.find", "checkin.document", "checkin.cancel", "checkin.issue", "checkin.next",
    "checkin.sync_network", "checkin.sync_login", "checkin.sync_forbidden", "checkin.sync_server",
    "checkin.sync_rejected",
)

# identification_desk.jsx imports these beside it (a folder per Python module, see checkin_desk.py).
CHECKIN_STORE_JS = rx.asset("checkin_store.js", shared=True)
QR_CAMERA_JS = rx.asset("qr_camera.js", shared=True)
DESK_COMMON_JS = rx.asset("desk_common.js", shared=True)
LOGIC_JS = rx.asset("identification_logic.js", shared=True)


class IdentificationDesk(rx.NoSSRComponent):
    library = "$/public" + rx.asset("identification_desk.jsx", shared=True)
    lib_dependencies: list[str] = ["jsqr@1.4.0"]
    tag = "IdentificationDesk"

    labels: rx.Var[dict[str, str]]
    check_url: rx.Var[str]
    issue_url: rx.Var[str]
    sync_url: rx.Var[str]
    list_url: rx.Var[str]
    storage_key: rx.Var[str]
    seal_key: rx.Var[str]
    precinct: rx.Var[str]
    member: rx.Var[str]
    policy: rx.Var[str]
    lang: rx.Var[str]
    election_day: rx.Var[str]
    zone: rx.Var[str]  # the election's time zone (IANA name): its days and hours
    districts: rx.Var[list[dict[str, str]]]
    own_district: rx.Var[str]


def identification_desk(storage_key: rx.Var, seal_key: rx.Var, precinct: rx.Var, member: rx.Var, policy: rx.Var, lang: rx.Var,
                        election_day: rx.Var, zone: rx.Var, districts: rx.Var, own_district: rx.Var) -> rx.Component:
    return IdentificationDesk.create(
        labels={key.split(".", 1)[1]: tr[key] for key in LABELS},
        check_url=routes.IDENTIFY_CHECK, issue_url=routes.IDENTIFY_ISSUE,
        sync_url=routes.IDENTIFY_SYNC, list_url=routes.IDENTIFY_LIST,
        storage_key=storage_key, seal_key=seal_key, precinct=precinct, member=member, policy=policy, lang=lang,
        election_day=election_day, zone=zone, districts=districts, own_district=own_district,
    )
