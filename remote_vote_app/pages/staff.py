"""Staff pages: login, statistics, applications, in-person filing, voter lists, precincts, elections, audit."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import (
    choice, error_summary, field_error, notice, submit_button, summary_row, text_field,
)
from remote_vote_app.components.camera import camera_capture
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.services.precincts import TEXT_FIELDS
from remote_vote_app.state.staff import (
    AuditState, DashboardState, ElectionAdminState, InPersonState, PrecinctAdminState, SearchState, StaffLoginState,
    StaffState, VoterListState,
)


def staff_page(*children: rx.Component) -> rx.Component:
    """The public shell plus the staff menu (only the pages this role may open)."""
    return page(
        rx.cond(
            StaffState.staff_logged_in,
            rx.el.nav(
                rx.el.p(StaffState.staff_name, " · ", StaffState.role_text, class_name="hint", id="staff-who"),
                rx.el.ul(
                    rx.foreach(StaffState.staff_nav, lambda item: rx.el.li(rx.el.a(item["label"], href=item["href"]))),
                    rx.el.li(rx.el.button(tr["staff.logout"], type="button", on_click=StaffState.staff_logout,
                                          class_name="link-button dark")),
                    class_name="staff-nav-list",
                ),
                aria_label=tr["staff.nav"],
                class_name="staff-nav",
            ),
        ),
        notice(),
        error_summary(),
        *children,
    )


def _table(caption: rx.Var | str, headers: list[rx.Var], rows: rx.Var, cells, table_id: str) -> rx.Component:
    return rx.el.div(
        rx.el.table(
            rx.el.caption(caption, class_name="visually-hidden"),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(rows, lambda row: rx.el.tr(*cells(row)))),
            id=table_id,
        ),
        class_name="table-wrap",
        tab_index=0,
        role="region",
        aria_label=caption,
    )


def _select(name: str, label_key: str, options: rx.Var, value_key: str, label_of, value: rx.Var | str = "",
            any_option: bool = True) -> rx.Component:
    return rx.el.div(
        rx.el.label(tr[label_key], html_for=name, class_name="label"),
        rx.el.select(
            rx.el.option(tr["search.any"], value="") if any_option else rx.fragment(),
            rx.foreach(options, lambda o: rx.el.option(label_of(o), value=o[value_key] if value_key else o)),
            id=name, name=name, default_value=value, key=value, class_name="input",
        ),
        class_name="field",
    )


# --- login ---


def _code_form(on_submit, button_key: str, button_id: str) -> rx.Component:
    return rx.el.form(
        text_field("code", "staff.totp_code", "staff.totp_code_hint", input_mode="numeric",
                   auto_complete="one-time-code", max_length=16, auto_focus=True),
        submit_button(button_key, id=button_id),
        on_submit=on_submit,
        reset_on_submit=True,
        no_validate=True,
    )


def _start_over() -> rx.Component:
    return rx.el.p(rx.el.button(tr["staff.totp_start_over"], type="button", on_click=StaffLoginState.start_over,
                                class_name="link-button"))


def _password_step() -> rx.Component:
    return rx.el.form(
        text_field("username", "staff.username", None, auto_complete="username", max_length=64),
        text_field("password", "staff.password", None, type="password", auto_complete="current-password",
                   max_length=200),
        submit_button("staff.login", id="staff-login"),
        on_submit=StaffLoginState.login,
        reset_on_submit=False,
        no_validate=True,
    )


def _code_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.totp_title"], id="step-heading"),
        rx.el.p(tr["staff.totp_lead"]),
        _code_form(StaffLoginState.submit_code, "staff.totp_submit", "staff-code"),
        _start_over(),
        aria_labelledby="step-heading",
    )


def _enrol_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.enrol_title"], id="step-heading"),
        rx.el.p(tr["staff.enrol_lead"]),
        rx.el.img(src=StaffLoginState.enrol_qr, alt=tr["staff.enrol_qr_alt"], id="enrol-qr", width="220",
                  height="220"),
        rx.el.p(tr["staff.enrol_secret"], " ", rx.el.code(StaffLoginState.enrol_secret, id="enrol-secret")),
        rx.el.p(tr["staff.enrol_once"], class_name="hint"),
        _code_form(StaffLoginState.confirm_enrolment, "staff.enrol_confirm", "staff-enrol-confirm"),
        _start_over(),
        aria_labelledby="step-heading",
    )


def _recovery_step() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["staff.recovery_title"], id="recovery-heading", tab_index=-1),
        rx.el.p(tr["staff.recovery_lead"]),
        rx.el.ul(rx.foreach(StaffLoginState.recovery_codes, lambda c: rx.el.li(rx.el.code(c))), id="recovery-codes"),
        rx.el.button(tr["staff.recovery_done"], type="button", on_click=StaffLoginState.finish, class_name="button",
                     id="recovery-done"),
        aria_labelledby="recovery-heading",
    )


def staff_login() -> rx.Component:
    return page(
        rx.el.h1(tr["staff.login_title"]),
        notice(),
        error_summary(),
        rx.match(
            StaffLoginState.step,
            ("code", _code_step()),
            ("enrol", _enrol_step()),
            ("recovery_codes", _recovery_step()),
            _password_step(),
        ),
    )


# --- dashboard ---


def _stat(label_key: str, value: rx.Var, stat_id: str) -> rx.Component:
    return rx.el.div(rx.el.dt(tr[label_key]), rx.el.dd(value, id=stat_id, class_name="stat-value"), class_name="stat")


def _anomaly_list(title: rx.Var, rows: rx.Var, key: str) -> rx.Component:
    return rx.el.div(
        rx.el.h3(title),
        rx.cond(
            rows.length() > 0,
            rx.el.ul(rx.foreach(rows, lambda r: rx.el.li(r[key], " — ", r["count"]))),
            rx.el.p(tr["anomaly.none"], class_name="hint"),
        ),
    )


def dashboard() -> rx.Component:
    s = DashboardState.stats
    return staff_page(
        rx.el.h1(tr["stats.title"]),
        rx.el.p(tr["stats.live"], class_name="hint", aria_live="off"),
        rx.el.form(
            rx.el.label(tr["stats.election_day"], html_for="day", class_name="label"),
            rx.el.select(rx.foreach(DashboardState.election_days, lambda d: rx.el.option(d, value=d)),
                         id="day", value=DashboardState.selected_day, on_change=DashboardState.choose_day,
                         class_name="input"),
            class_name="field",
        ),
        rx.el.dl(
            _stat("stats.total", s["total"], "stat-total"),
            _stat("stats.online", s["online"], "stat-online"),
            _stat("stats.in_person", s["in_person"], "stat-in-person"),
            _stat("stats.withdrawn", s["withdrawn"], "stat-withdrawn"),
            _stat("stats.time_left", s["left"], "stat-left"),
            class_name="stats",
        ),
        rx.el.h2(tr["stats.per_day"]),
        rx.el.div(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.bar(data_key="count", fill="#136c2e", name=tr["stats.count"]),
                data=DashboardState.per_day,
                width="100%",
                height=240,
                custom_attrs={"accessibilityLayer": False},  # not focusable: the table below carries the figures
            ),
            aria_hidden="true",  # the same figures are in the table below
            class_name="chart",
        ),
        _table(tr["stats.per_day"], [tr["stats.day"], tr["stats.count"]], DashboardState.per_day,
               lambda r: [rx.el.td(r["day"]), rx.el.td(r["count"])], "per-day"),
        rx.el.div(
            rx.el.section(
                rx.el.h2(tr["stats.per_precinct"]),
                _table(tr["stats.per_precinct"], [tr["stats.precinct"], tr["stats.count"]], DashboardState.per_precinct,
                       lambda r: [rx.el.td(r["number"], " — ", r["city"]), rx.el.td(r["count"])], "per-precinct"),
            ),
            rx.el.section(
                rx.el.h2(tr["stats.per_region"]),
                _table(tr["stats.per_region"], [tr["stats.region"], tr["stats.count"]], DashboardState.per_region,
                       lambda r: [rx.el.td(r["region"]), rx.el.td(r["count"])], "per-region"),
            ),
            class_name="grid",
        ),
        rx.cond(
            DashboardState.anomalies.contains("phones"),
            rx.el.section(
                rx.el.h2(tr["anomaly.title"]),
                rx.el.div(
                    _anomaly_list(tr["anomaly.phones"].replace("{limit}", DashboardState.anomaly_limits["contact"]),
                                  DashboardState.anomalies["phones"], "value"),
                    _anomaly_list(tr["anomaly.emails"].replace("{limit}", DashboardState.anomaly_limits["contact"]),
                                  DashboardState.anomalies["emails"], "value"),
                    _anomaly_list(tr["anomaly.changers"].replace("{limit}", DashboardState.anomaly_limits["change"]),
                                  DashboardState.anomalies["changers"], "reference"),
                    class_name="grid",
                ),
                id="anomalies",
            ),
        ),
    )


# --- applications ---


def _detail() -> rx.Component:
    d = SearchState.detail
    rows = [("confirm.reference", "reference"), ("cabinet.status", "status"), ("cabinet.channel", "channel"),
            ("inperson.commission", "commission"), ("apply.full_name", "name"), ("apply.pin", "pin"),
            ("apply.document", "document"), ("apply.birth_date", "birth_date"), ("apply.address", "home"),
            ("confirm.precinct", "precinct"), ("confirm.election", "election"), ("apply.email", "email"),
            ("apply.phone", "phone")]
    return rx.cond(
        d.contains("reference"),
        rx.el.section(
            rx.el.h2(tr["search.open"], ": ", d["reference"], id="detail-heading", tab_index=-1),
            rx.el.dl(*[summary_row(tr[k], d[f]) for k, f in rows],
                     class_name="summary"),
            rx.el.h3(tr["detail.history"]),
            _table(tr["detail.history"], [tr["detail.when"], tr["detail.actor"], tr["detail.action"], tr["detail.details"]],
                   SearchState.history,
                   lambda h: [rx.el.td(h["at"]), rx.el.td(h["actor"]), rx.el.td(h["action"]),
                              rx.el.td(h["details"], class_name="pre")], "history"),
            rx.el.button(tr["detail.close"], type="button", on_click=SearchState.close_detail, class_name="button secondary"),
            class_name="card",
            aria_labelledby="detail-heading",
        ),
    )


def applications_page() -> rx.Component:
    f = SearchState.filters
    statuses = rx.Var.create([{"v": "submitted", "l": "status.submitted"}, {"v": "withdrawn", "l": "status.withdrawn"}])
    channels = rx.Var.create([{"v": "online", "l": "channel.online"}, {"v": "in_person", "l": "channel.in_person"}])
    sorts = rx.Var.create([{"v": k, "l": f"search.sort.{k}"} for k in
                           ("created_desc", "created_asc", "reference", "precinct", "status")])
    return staff_page(
        rx.el.h1(tr["search.title"]),
        rx.el.form(
            rx.el.div(
                text_field("text", "search.text", None, default_value=f["text"], max_length=40),
                _select("day", "stats.election_day", SearchState.election_days, "", lambda d: d, f["day"]),
                _select("precinct", "search.precinct", SearchState.precinct_options, "id", lambda o: o["label"], f["precinct"]),
                _select("status", "search.status", statuses, "v", lambda o: tr[o["l"].to(str)], f["status"]),
                _select("channel", "search.channel", channels, "v", lambda o: tr[o["l"].to(str)], f["channel"]),
                text_field("from", "search.from", None, type="date", default_value=f["from"]),
                text_field("to", "search.to", None, type="date", default_value=f["to"]),
                _select("sort", "search.sort", sorts, "v", lambda o: tr[o["l"].to(str)], f["sort"], any_option=False),
                class_name="filters",
            ),
            submit_button("search.submit", id="search"),
            on_submit=SearchState.search,
            reset_on_submit=False,
        ),
        rx.el.p(SearchState.found_text, role="status", id="found"),
        _table(tr["search.title"],
               [tr["confirm.reference"], tr["search.name"], tr["apply.pin"], tr["stats.precinct"], tr["search.status"],
                tr["search.channel"], tr["search.created"], tr["search.open"]],
               SearchState.rows,
               lambda r: [rx.el.td(r["reference"]), rx.el.td(r["name"]), rx.el.td(r["pin"]), rx.el.td(r["precinct"]),
                          rx.el.td(r["status"]), rx.el.td(r["channel"]), rx.el.td(r["created"]),
                          rx.el.td(rx.el.button(tr["search.open"], rx.el.span(" ", r["reference"], class_name="visually-hidden"),
                                                type="button", on_click=SearchState.open_detail(r["reference"]),
                                                class_name="button secondary small"))],
               "results"),
        rx.el.div(
            rx.el.button(tr["search.prev"], type="button", on_click=SearchState.go_page(SearchState.page - 1),
                         disabled=SearchState.page <= 1, class_name="button secondary"),
            rx.el.button(tr["search.next"], type="button", on_click=SearchState.go_page(SearchState.page + 1),
                         disabled=SearchState.page >= SearchState.pages, class_name="button secondary"),
            class_name="button-row",
        ),
        _detail(),
    )


# --- in person ---


def in_person() -> rx.Component:
    v = InPersonState.voter
    return staff_page(
        rx.el.h1(tr["inperson.title"]),
        rx.match(
            InPersonState.step,
            ("form", rx.fragment(
                rx.el.dl(*[summary_row(tr[k], v[f]) for k, f in
                           (("apply.full_name", "full_name"), ("apply.pin", "pin"), ("apply.document", "document"),
                            ("apply.birth_date", "birth_date"), ("apply.address", "address"),
                            ("apply.territory", "territory"))], class_name="summary card", id="register-data"),
                rx.el.form(
                    rx.el.fieldset(
                        rx.el.legend(tr["apply.election"], class_name="label"),
                        field_error("election"),
                        rx.foreach(InPersonState.election_options,
                                   lambda o: choice("radio", "election", o["id"], "election-" + o["id"].to(str), o["label"])),
                        id="election", class_name="field",
                    ),
                    rx.el.div(
                        rx.el.label(tr["apply.precinct"], html_for="precinct", class_name="label"),
                        field_error("precinct"),
                        rx.el.select(rx.el.option(tr["apply.precinct_placeholder"], value=""),
                                     rx.foreach(InPersonState.precinct_options,
                                                lambda o: rx.el.option(o["label"], value=o["id"])),
                                     id="precinct", name="precinct", class_name="input"),
                        class_name="field",
                    ),
                    text_field("email", "apply.email", None, type="email", max_length=254),
                    text_field("phone", "apply.phone", "apply.phone_hint", type="tel", default_value=v["phone"], max_length=20),
                    rx.el.div(
                        field_error("paper_consent"),
                        choice("checkbox", "paper_consent", "on", "paper_consent", tr["inperson.paper_consent"]),
                        class_name="field",
                    ),
                    submit_button("inperson.submit", id="register-application"),
                    on_submit=InPersonState.submit,
                    reset_on_submit=False,
                    no_validate=True,
                ),
                rx.el.section(
                    rx.el.h2(tr["face.reference_title"], id="reference-title"),
                    rx.el.p(tr["face.reference_lead"], class_name="hint"),
                    rx.match(
                        InPersonState.reference_step,
                        ("code", rx.el.form(
                            rx.el.p(tr["login.code_sent"].replace("{phone}", InPersonState.reference_phone)),
                            text_field("code", "face.reference_code", None, input_mode="numeric", auto_complete="off",
                                       max_length=6),
                            submit_button("face.reference_code_check", id="reference-code-check"),
                            on_submit=InPersonState.check_reference_code,
                            reset_on_submit=True,
                            no_validate=True,
                        )),
                        ("capture", camera_capture(InPersonState)),
                        ("saved", rx.el.p(tr["face.reference_saved"], role="status", id="reference-saved")),
                        rx.fragment(
                            rx.el.p(tr["face.reference_code_lead"]),
                            rx.el.button(tr["face.reference_code_send"], type="button", id="reference-code-send",
                                         on_click=InPersonState.send_reference_code, class_name="button secondary"),
                        ),
                    ),
                    aria_labelledby="reference-title",
                    class_name="card",
                ),
            )),
            ("done", rx.fragment(
                rx.el.p(tr["inperson.done"].replace("{reference}", InPersonState.done_reference), role="status",
                        class_name="notice", id="done"),
                rx.el.button(tr["inperson.next"], type="button", on_click=InPersonState.next_voter, class_name="button"),
            )),
            rx.fragment(
                rx.el.p(tr["inperson.lead"]),
                rx.el.form(
                    text_field("pin", "login.pin", "login.pin_hint", input_mode="numeric", auto_complete="off", max_length=20),
                    text_field("document", "login.document", "login.document_hint", auto_complete="off", max_length=20),
                    submit_button("inperson.find", id="find-voter"),
                    on_submit=InPersonState.find,
                    reset_on_submit=False,
                    no_validate=True,
                ),
            ),
        ),
    )


# --- voter lists ---


def voter_lists() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["list.title"]),
        rx.el.form(
            rx.el.div(
                _select("precinct", "search.precinct", VoterListState.precinct_options, "id", lambda o: o["label"],
                        VoterListState.selected_precinct, any_option=False),
                _select("day", "stats.election_day", VoterListState.election_days, "", lambda d: d,
                        VoterListState.selected_day, any_option=False),
                class_name="filters",
            ),
            submit_button("list.show", id="show-list"),
            on_submit=VoterListState.choose,
            reset_on_submit=False,
        ),
        rx.el.h2(VoterListState.title, id="list-heading"),
        rx.cond(VoterListState.preliminary,
                rx.el.p(tr["list.preliminary"], class_name="notice important", id="preliminary"),
                rx.el.p(tr["list.final"], class_name="notice")),
        rx.el.p(tr["list.count"].replace("{count}", VoterListState.rows.length().to(str)), id="list-count"),
        rx.el.button(tr["list.download"], type="button", on_click=VoterListState.download, class_name="button",
                     id="download-csv"),
        _table(VoterListState.title,
               [tr["confirm.reference"], tr["apply.full_name"], tr["apply.pin"], tr["list.birth"], tr["list.home"],
                tr["list.territory"], tr["confirm.election"]],
               VoterListState.rows,
               lambda r: [rx.el.td(r[c]) for c in ("reference", "full_name", "pin", "birth_date", "home_address",
                                                   "home_territory", "election")],
               "voter-list"),
    )


# --- precincts and elections ---


def _precinct_form() -> rx.Component:
    e = PrecinctAdminState.editing
    new = e["id"] == ""
    fields = [text_field(name, f"admin.{name.rsplit('_', 1)[0]}", None, suffix=f" ({name.rsplit('_', 1)[1]})",
                         default_value=e[name], max_length=300) for name in TEXT_FIELDS]
    return rx.el.section(
        rx.el.h2(rx.cond(new, tr["admin.new_precinct"], e["number"]), id="edit-heading", tab_index=-1),
        rx.el.form(
            rx.cond(new, rx.el.div(
                text_field("number", "admin.number", None, max_length=20),
                text_field("territory", "admin.territory", None, max_length=40),
                text_field("latitude", "admin.latitude", None, max_length=20),
                text_field("longitude", "admin.longitude", None, max_length=20),
                class_name="filters")),
            rx.el.div(*fields, class_name="filters"),
            submit_button("admin.save", id="save-precinct"),
            on_submit=PrecinctAdminState.save,
            reset_on_submit=False,
            key=e["id"],
        ),
        rx.cond(~new, rx.el.div(
            rx.el.h3(tr["admin.move_title"]),
            rx.el.p(tr["admin.move_hint"], class_name="hint"),
            precinct_map(PrecinctAdminState.map_items, {"map": tr["map.map_label"], "choose": tr["admin.edit"],
                                                        "selected": tr["map.selected"]},
                         selected=e["id"], height="360px", on_pick=PrecinctAdminState.pick,
                         picked=[PrecinctAdminState.pick_lat, PrecinctAdminState.pick_lon]),
            rx.el.form(
                rx.el.div(
                    text_field("latitude", "admin.latitude", None, default_value=PrecinctAdminState.pick_lat,
                               key=PrecinctAdminState.pick_lat, max_length=20),
                    text_field("longitude", "admin.longitude", None, default_value=PrecinctAdminState.pick_lon,
                               key=PrecinctAdminState.pick_lon, max_length=20),
                    class_name="filters",
                ),
                submit_button("admin.move", id="move-point"),
                on_submit=PrecinctAdminState.move,
                reset_on_submit=False,
            ),
        )),
        class_name="card",
        aria_labelledby="edit-heading",
    )


def precinct_admin() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["admin.precincts_title"]),
        rx.el.button(tr["admin.new_precinct"], type="button", on_click=PrecinctAdminState.new, class_name="button"),
        _table(tr["admin.precincts_title"],
               [tr["admin.number"], tr["admin.place"], tr["admin.address"], tr["map.precision.exact"], tr["admin.active"], ""],
               PrecinctAdminState.items,
               lambda p: [rx.el.td(p["number"]), rx.el.td(p["place_ru"], ", ", p["city_ru"]), rx.el.td(p["address_ru"]),
                          rx.el.td(p["precision"]),
                          rx.el.td(rx.cond(p["active"] != "", tr["admin.active"], tr["admin.inactive"])),
                          rx.el.td(rx.el.div(
                              rx.el.button(tr["admin.edit"], rx.el.span(" ", p["number"], class_name="visually-hidden"),
                                           type="button", on_click=PrecinctAdminState.edit(p["id"]),
                                           class_name="button secondary small"),
                              rx.el.button(rx.cond(p["active"] != "", tr["admin.deactivate"], tr["admin.activate"]),
                                           rx.el.span(" ", p["number"], class_name="visually-hidden"), type="button",
                                           on_click=PrecinctAdminState.toggle_active(p["id"], p["active"] == ""),
                                           class_name="button secondary small"),
                              class_name="button-row tight"))],
               "precinct-table"),
        rx.cond(PrecinctAdminState.editing.contains("id"), _precinct_form()),
    )


def election_admin() -> rx.Component:
    return staff_page(
        rx.el.h1(tr["admin.elections_title"]),
        rx.el.ul(
            rx.foreach(ElectionAdminState.items, lambda e: rx.el.li(
                rx.el.form(
                    rx.el.h2(e["title"], class_name="h3"),
                    rx.el.input(type="hidden", name="election_id", value=e["id"]),
                    rx.el.div(
                        rx.el.div(rx.el.label(tr["stats.election_day"], html_for="day-" + e["id"].to(str), class_name="label"),
                                  rx.el.input(type="date", name="election_day", id="day-" + e["id"].to(str),
                                              default_value=e["election_day"], key=e["election_day"], class_name="input"),
                                  class_name="field"),
                        rx.el.div(rx.el.label(tr["admin.deadline"], html_for="deadline-" + e["id"].to(str), class_name="label"),
                                  rx.el.input(type="date", name="deadline", id="deadline-" + e["id"].to(str),
                                              default_value=e["deadline"], key=e["deadline"], class_name="input"),
                                  class_name="field"),
                        rx.el.button(tr["admin.save"], rx.el.span(" ", e["title"], class_name="visually-hidden"),
                                     type="submit", class_name="button secondary"),
                        class_name="filters",
                    ),
                    on_submit=ElectionAdminState.save,
                    reset_on_submit=False,
                ),
                class_name="card",
            )),
            class_name="plain-list stack",
        ),
    )


def audit_page() -> rx.Component:
    f = AuditState.filters
    return staff_page(
        rx.el.h1(tr["audit.title"]),
        rx.el.form(
            rx.el.div(
                text_field("entity", "audit.entity", None, default_value=f["entity"], max_length=40),
                text_field("entity_id", "audit.entity_id", None, default_value=f["entity_id"], max_length=60),
                text_field("action", "audit.action", None, default_value=f["action"], max_length=60),
                text_field("actor", "audit.actor", None, default_value=f["actor"], max_length=60),
                _select("auth", "audit.auth_filter", AuditState.auth_options, "value", lambda o: o["label"],
                        value=f["auth"]),
                class_name="filters",
            ),
            submit_button("search.submit", id="audit-search"),
            on_submit=AuditState.search,
            reset_on_submit=False,
        ),
        rx.el.p(AuditState.total, role="status", id="audit-total"),
        _table(tr["audit.title"], [tr["detail.when"], tr["detail.actor"], tr["detail.action"], tr["audit.entity"],
                                   tr["audit.entity_id"], tr["detail.details"]],
               AuditState.rows,
               lambda r: [rx.el.td(r["at"]), rx.el.td(r["actor"]),
                          rx.el.td(r["action_text"], rx.cond(r["action_text"] != r["action"],
                                                              rx.el.span(" (", rx.el.code(r["action"]), ")"))),
                          rx.el.td(r["entity"]),
                          rx.el.td(r["entity_id"]), rx.el.td(r["details"], class_name="pre")],
               "audit-table"),
        rx.el.div(
            rx.el.button(tr["search.prev"], type="button", on_click=AuditState.go_page(AuditState.page - 1),
                         disabled=AuditState.page <= 1, class_name="button secondary"),
            rx.el.button(tr["search.next"], type="button", on_click=AuditState.go_page(AuditState.page + 1),
                         class_name="button secondary"),
            class_name="button-row",
        ),
    )
