"""/cabinet : the voter's applications, change and withdraw."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.forms import error_summary, notice, step_up_form, submit_button, summary_row, text_field
from remote_vote_app.components.layout import page, tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.components.voter_pass import voter_pass
from remote_vote_app.pages.qr import cabinet_entry
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.cabinet import CabinetState


def _item(label_key: str, value: rx.Var) -> rx.Component:
    return summary_row(tr[label_key], value)


def _withdraw_confirm(app: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.h4(tr["cabinet.withdraw_title"], id="withdraw-confirm-heading", tab_index=-1),
        rx.el.p(tr["cabinet.withdraw_text"]),
        rx.cond(CabinetState.step_up_phone != "",
                step_up_form(CabinetState.step_up_phone, CabinetState.step_up_sent, CabinetState.withdraw_with_code,
                             "withdraw-code-confirm")),
        rx.el.div(
            rx.cond(CabinetState.step_up_phone == "",
                    rx.el.button(tr["cabinet.withdraw_yes"], type="button", id="withdraw-yes",
                                 on_click=CabinetState.withdraw(app["reference"]), class_name="button danger")),
            rx.el.button(tr["cabinet.cancel"], type="button", on_click=CabinetState.cancel_withdraw,
                         class_name="button secondary"),
            class_name="button-row",
        ),
        role="group",
        aria_labelledby="withdraw-confirm-heading",
        class_name="confirm-panel",
    )


def _phone_form() -> rx.Component:
    """The code texted to the application's contact phone, to let notices go there too."""
    return rx.el.form(
        rx.el.h4(tr["cabinet.verify_phone_title"], id="phone-code-heading", tab_index=-1),
        rx.el.p(tr["cabinet.verify_phone_lead"].replace("{phone}", CabinetState.verifying_masked)),
        text_field("phone-code", "login.code", None, input_mode="numeric", auto_complete="one-time-code", max_length=6),
        rx.el.div(
            submit_button("stepup.confirm", id="phone-code-confirm"),
            rx.el.button(tr["cabinet.cancel"], type="button", on_click=CabinetState.cancel_phone,
                         class_name="button secondary"),
            class_name="button-row",
        ),
        on_submit=CabinetState.verify_phone,
        reset_on_submit=True,
        no_validate=True,
        aria_labelledby="phone-code-heading",
        class_name="confirm-panel",
    )


def _contact_phone(app: rx.Var) -> rx.Component:
    """The contact phone; while unconfirmed it says where notices go, and offers the code."""
    return rx.el.div(
        rx.el.dt(tr["cabinet.contact_phone"]),
        rx.el.dd(
            app["phone"],
            rx.cond(app["phone_verified"] == "",
                    rx.el.span(" (", tr["cabinet.phone_unverified"], ")", class_name="hint")),
        ),
        class_name="summary-row",
    )


def _phone_action(app: rx.Var) -> rx.Component:
    return rx.cond(
        (app["phone_verified"] == "") & (app["status"] == "submitted"),
        rx.cond(
            CabinetState.verifying_phone == app["reference"],
            _phone_form(),
            rx.el.button(tr["cabinet.verify_phone"], rx.el.span(" ", app["reference"], class_name="visually-hidden"),
                         type="button", on_click=CabinetState.send_phone_code(app["reference"]),
                         class_name="button secondary small"),
        ),
    )


def _application(app: rx.Var) -> rx.Component:
    return rx.el.article(
        rx.el.h3(app["election"]),
        rx.el.dl(
            _item("confirm.reference", app["reference"]),
            _item("cabinet.status", rx.el.span(app["status_text"], class_name="badge")),
            _item("confirm.precinct", app["precinct"]),
            _item("confirm.address", app["address"]),
            _item("confirm.election_day", app["election_day"]),
            _item("cabinet.channel", app["channel_text"]),
            _item("cabinet.submitted_on", app["submitted_at"]),
            _contact_phone(app),
            class_name="summary",
        ),
        _phone_action(app),
        voter_pass(app, "pass-" + app["reference"].to(str), level=4),
        rx.cond(
            app["can_change"] != "",
            rx.cond(
                CabinetState.confirming_withdraw == app["reference"],
                _withdraw_confirm(app),
                rx.el.div(
                    rx.el.button(tr["cabinet.change"], rx.el.span(" ", app["reference"], class_name="visually-hidden"),
                                 type="button", on_click=ApplyState.start_change(app["reference"]), class_name="button"),
                    rx.el.button(tr["cabinet.withdraw"], rx.el.span(" ", app["reference"], class_name="visually-hidden"),
                                 type="button", on_click=CabinetState.ask_withdraw(app["reference"]),
                                 id="withdraw-" + app["reference"].to(str),
                                 class_name="button secondary"),
                    class_name="button-row",
                ),
            ),
            rx.cond(app["status"] == "submitted", rx.el.p(tr["cabinet.closed_note"], class_name="hint")),
        ),
        class_name="card",
        aria_label=app["reference"],
    )


def _report_form() -> rx.Component:
    return rx.el.form(
        rx.el.h3(tr["activity.report_title"], id="report-heading", tab_index=-1),
        rx.el.p(tr["activity.report_text"]),
        rx.el.div(
            rx.el.label(tr["activity.note"], html_for="note", class_name="label"),
            rx.el.textarea(id="note", name="note", max_length=500, rows=3, class_name="input"),
            class_name="field",
        ),
        rx.el.div(
            rx.el.button(tr["activity.send_report"], type="submit", class_name="button danger", id="send-report"),
            rx.el.button(tr["cabinet.cancel"], type="button", on_click=CabinetState.cancel_report, class_name="button secondary"),
            class_name="button-row",
        ),
        on_submit=CabinetState.send_report,
        reset_on_submit=True,
        aria_labelledby="report-heading",
        class_name="confirm-panel",
    )


def _event(e: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.p(rx.el.strong(e["action"]), rx.cond(e["reference"] != "", rx.el.span(" · ", e["reference"]))),
        rx.el.p(e["at"], " · ", e["channel_text"], class_name="hint"),
        rx.cond(
            e["reported"] != "",
            rx.el.div(
                rx.el.p(tr["activity.reported"], ": ", e["report_status"], class_name="badge"),
                rx.cond(e["answer"] != "", rx.el.p(rx.el.strong(tr["activity.answer"]), ": ", e["answer"],
                                                   class_name="report-answer")),
            ),
            rx.cond(
                CabinetState.reporting == e["id"],
                _report_form(),
                rx.el.button(tr["activity.not_me"], rx.el.span(" ", e["action"], " ", e["at"], class_name="visually-hidden"),
                             type="button", on_click=CabinetState.ask_report(e["id"]), class_name="button secondary small"),
            ),
        ),
    )


def _activity() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr["activity.title"], id="activity-title"),
        rx.el.p(tr["activity.lead"], class_name="hint"),
        rx.cond(CabinetState.reported_notice,
                rx.el.p(tr["activity.report_sent"], role="status", class_name="notice", id="report-sent", tab_index=-1)),
        rx.cond(
            CabinetState.activity.length() > 0,
            rx.el.ul(rx.foreach(CabinetState.activity, _event), class_name="activity-list", id="activity-log"),
            rx.el.p(tr["activity.none"], id="no-activity"),
        ),
        aria_labelledby="activity-title",
    )


def _nearby_item(p: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.h4(p["number"], " — ", p["place"]),
        rx.el.p(p["city"], ", ", p["address"], class_name="address"),
        rx.el.p(rx.el.strong(tr["map.km_straight"].replace("{km}", p["distance_km"])), class_name="distance"),
        class_name="card",
    )


def _where() -> rx.Component:
    """Identification mode: the home precinct, the nearest precincts outside the home district, and
    after voting "you voted at X at HH:MM" with "this wasn't me"."""
    w = CabinetState.where
    return rx.el.section(
        rx.el.h2(tr["where.title"], id="where-title"),
        rx.el.p(tr["where.lead"].replace("{day}", w["day"])),
        rx.cond(
            w["voted_precinct"] != "",
            rx.el.div(
                rx.el.p(tr["where.voted"].replace("{precinct}", w["voted_precinct"]).replace("{time}", w["voted_time"])
                        .replace("{date}", w["voted_date"]), id="where-voted", class_name="notice"),
                rx.cond(
                    w["report_status"] != "",
                    rx.el.p(tr["activity.reported"], ": ", w["report_status"], class_name="badge", id="where-reported"),
                    rx.cond(w["event_id"] != "", rx.fragment(
                        rx.el.p(tr["where.not_me_hint"], class_name="hint"),
                        rx.el.button(tr["activity.not_me"], type="button", id="where-not-me",
                                     on_click=CabinetState.ask_report(w["event_id"]), class_name="button secondary"))),
                ),
            ),
        ),
        rx.el.dl(
            _item("where.home", rx.el.span(w["home_number"], " — ", w["home_place"], ", ", w["home_address"],
                                           id="where-home")),
            _item("where.district", w["district"]),
            class_name="summary",
        ),
        rx.el.p(tr["where.home_only"], id="where-home-only"),
        rx.cond(
            CabinetState.nearby.length() > 0,
            rx.fragment(
                rx.el.h3(tr["where.nearby_title"], id="nearby-title"),
                rx.el.p(tr["where.nearby_lead"], class_name="hint"),
                rx.el.div(precinct_map(CabinetState.nearby, {"map": tr["where.map_label"], "choose": "",
                                                            "selected": tr["map.selected"]}, height="320px"),
                          class_name="map-pane"),
                rx.el.ul(rx.foreach(CabinetState.nearby, _nearby_item), class_name="plain-list stack", id="nearby-list",
                         aria_labelledby="nearby-title"),
            ),
        ),
        aria_labelledby="where-title",
        id="where",
    )


def cabinet() -> rx.Component:
    return page(
        rx.el.h1(tr["cabinet.title"], id="page-title", tab_index=-1),
        rx.el.p(CabinetState.voter_name, class_name="lead", id="voter-name"),
        notice(),
        error_summary(),
        rx.cond(
            CabinetState.withdrawn_reference != "",
            rx.el.p(tr["status.withdrawn"], ": ", CabinetState.withdrawn_reference, role="status", class_name="notice",
                    id="withdrawn-notice"),
        ),
        rx.cond(CabinetState.phone_verified_notice,
                rx.el.p(tr["cabinet.phone_verified"], role="status", class_name="notice", id="phone-verified",
                        tab_index=-1)),
        # With an application for every open election, "change" on its card is the way, not a new form.
        rx.cond(CabinetState.can_apply,
                rx.el.button(tr["cabinet.new"], type="button", on_click=ApplyState.start_new, class_name="button",
                             id="new-application")),
        rx.cond(CabinetState.closed_lead != "",
                rx.el.div(rx.el.p(rx.el.strong(tr["apply.closed_title"])), rx.el.p(CabinetState.closed_lead),
                          class_name="notice", id="applications-closed")),
        rx.cond(CabinetState.where.contains("home_number"), _where()),
        rx.el.h2(tr["cabinet.applications"]),
        rx.cond(
            CabinetState.applications.length() > 0,
            rx.el.div(rx.foreach(CabinetState.applications, _application), class_name="stack"),
            rx.el.p(tr["cabinet.none"], id="no-applications"),
        ),
        _activity(),
        cabinet_entry(),  # QR login of another device: the camera scanner on /qr
    )
