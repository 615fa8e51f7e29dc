"""/apply, /apply/check and /confirmation."""

from __future__ import annotations

import reflex as rx

from remote_vote_app import routes
from remote_vote_app.components.forms import (
    choice, error_summary, field_error, notice, send_button, step_up_form, summary_row, text_field,
)
from remote_vote_app.components.layout import back_link, page, tr
from remote_vote_app.components.precinct_map import precinct_map
from remote_vote_app.components.voter_pass import voter_pass
from remote_vote_app.components.ux import CopyButton, PrintButton, StepArrival
from remote_vote_app.state.apply import ApplyState
from remote_vote_app.state.app import PAGE_TITLES, focus_title


def _row(label_key: str, value: rx.Var) -> rx.Component:
    return summary_row(tr[label_key], value)


def _profile() -> rx.Component:
    """Who is applying, in two lines; the rest of the register entry behind "Details", so the first
    question is on a phone's first screen."""
    p = ApplyState.profile
    return rx.el.section(
        rx.el.h2(tr["apply.profile_title"], id="profile-title"),
        rx.el.dl(
            _row("apply.full_name", p["full_name"]),
            _row("apply.pin", p["pin"]),
            class_name="summary",
        ),
        rx.el.details(
            rx.el.summary(tr["apply.profile_more"]),
            rx.el.dl(
                _row("apply.document", p["document"]),
                _row("apply.birth_date", p["birth_date"]),
                _row("apply.address", p["address"]),
                _row("apply.territory", p["territory"]),
                _row("apply.home_precinct", p["home_precinct"]),
                class_name="summary",
            ),
            rx.el.p(tr["apply.profile_note"], class_name="hint"),
            id="profile-details",
            class_name="details",
        ),
        aria_labelledby="profile-title",
        class_name="card profile",
    )


def _election_choice() -> rx.Component:
    """One open election is not a question: it is named, and sent with the form."""
    return rx.cond(
        ApplyState.election_options.length() == 1,
        rx.el.div(
            rx.el.p(tr["apply.election"], class_name="label"),
            rx.el.p(ApplyState.election_options[0]["label"], id="election-only"),
            rx.cond(ApplyState.editing_reference == "",
                    rx.el.input(type="hidden", name="election", value=ApplyState.election_options[0]["id"])),
            field_error("election"),
            id="election",
            tab_index=-1,
            class_name="field",
        ),
        _election_radios(),
    )


def _election_radios() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(tr["apply.election"], class_name="label"),
        field_error("election"),
        rx.foreach(
            ApplyState.election_options,
            lambda option: choice(
                "radio", "election", option["id"], "election-" + option["id"].to(str), option["label"],
                default_checked=ApplyState.election_id == option["id"], disabled=ApplyState.editing_reference != "",
            ),
        ),
        id="election",
        tab_index=-1,
        class_name="field",
    )


def _precinct_choice() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(tr["apply.precinct"], class_name="label"),
        rx.el.p(tr["apply.precinct_hint"], class_name="hint"),
        field_error("precinct"),
        # The list is the question; the map is there when asked for (not 15 Tab stops before the radios,
        # nor a one-finger trap on a phone).
        rx.el.button(rx.cond(ApplyState.show_map, tr["ux.map_hide"], tr["ux.map_show"]), type="button",
                     id="map-toggle", aria_expanded=rx.cond(ApplyState.show_map, "true", "false"),
                     aria_controls="precinct-map-pane", on_click=ApplyState.toggle_map, class_name="button secondary"),
        rx.el.div(
            rx.cond(
                ApplyState.show_map,
                precinct_map(
                    ApplyState.precinct_items,
                    {"map": tr["map.map_label"], "choose": tr["map.choose"], "selected": tr["map.selected"]},
                    selected=ApplyState.precinct_id,
                    on_choose=ApplyState.choose_precinct,
                    height="360px",
                ),
            ),
            id="precinct-map-pane",
        ),
        rx.foreach(
            ApplyState.precinct_cities,
            lambda city: rx.el.fieldset(
                rx.el.legend(city, class_name="group-legend"),
                rx.foreach(
                    ApplyState.precincts_by_city[city],
                    lambda p: choice(
                        "radio", "precinct", p["id"], "precinct-" + p["id"].to(str),
                        rx.el.strong(p["number"], " — ", p["place"]),
                        rx.el.span(rx.cond(p["district"] != "", p["district"].to(str) + ", ", ""), p["address"],
                                   class_name="address"),
                        rx.cond(p["fill_text"] != "",
                                rx.el.span(p["fill_text"], class_name="badge badge-" + p["fill"].to(str))),
                        # Uncontrolled with a stable key: a click or an arrow key checks it at once and focus
                        # stays on it (a key that changed with the answer re-created every radio and dropped
                        # focus to <body>). The map's "choose" checks the radio on the client (precinct_map.jsx).
                        default_checked=ApplyState.precinct_id == p["id"],
                        disabled=p["fill"] == "full",
                        key=p["id"].to(str),
                        on_change=ApplyState.choose_precinct(p["id"]),
                    ),
                ),
                class_name="group",
            ),
        ),
        id="precinct",
        tab_index=-1,
        class_name="field",
    )


def _consent() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(tr["apply.consent_title"], class_name="label"),
        rx.el.div(tr["consent.text"], id="consent-text", class_name="consent-text", tab_index=0,
                  role="region", aria_label=tr["apply.consent_title"]),
        field_error("consent"),
        choice("checkbox", "consent", "on", "consent", tr["apply.consent_label"], default_checked=ApplyState.consent,
               aria_describedby="consent-text"),
        class_name="field",
    )


def _form() -> rx.Component:
    return rx.el.form(
        rx.cond(ApplyState.editing_reference != "",
                rx.el.input(type="hidden", name="election", value=ApplyState.election_id)),
        _election_choice(),
        _precinct_choice(),
        text_field("email", "apply.email", "apply.email_hint", type="email", auto_complete="email",
                   default_value=ApplyState.email, max_length=254),
        text_field("phone", "apply.phone", "apply.phone_hint", type="tel", auto_complete="tel",
                   default_value=ApplyState.phone, max_length=20),
        _consent(),
        send_button("apply.continue", id="continue"),
        on_submit=ApplyState.review_answers,
        reset_on_submit=False,
        no_validate=True,
    )


def _closed() -> rx.Component:
    """Instead of the form once applications have closed (GOV.UK "service closed"): since when, and
    what the voter can do now."""
    return rx.fragment(
        rx.el.p(ApplyState.closed["lead"], id="closed-lead", class_name="lead"),
        rx.el.h2(tr["apply.closed_now_title"], id="closed-now"),
        rx.el.ul(rx.el.li(ApplyState.closed["if_applied"]), rx.el.li(tr["apply.closed_if_not"]),
                 class_name="bullets", aria_labelledby="closed-now"),
        rx.el.a(tr["confirm.to_cabinet"], href=routes.CABINET, class_name="button", id="closed-to-cabinet"),
    )


def apply_page() -> rx.Component:
    is_closed = ApplyState.loaded & (ApplyState.election_options.length() == 0) & ApplyState.closed.contains("lead")
    return page(
        back_link(routes.CABINET),
        rx.el.h1(rx.cond(is_closed, tr["apply.closed_title"],
                         rx.cond(ApplyState.editing_reference != "", tr["apply.change_title"], tr["apply.title"])),
                 id="page-title", tab_index=-1),
        notice(),
        error_summary(),
        rx.cond(
            is_closed,
            _closed(),
            rx.cond(
                ApplyState.loaded,
                rx.fragment(
                    _profile(),
                    rx.cond(
                        ApplyState.existing_reference != "",
                        rx.el.p(tr["error.already_applied"], " ",
                                rx.el.a(ApplyState.existing_reference, href=routes.CABINET), role="status", class_name="notice"),
                    ),
                    rx.cond(
                        ApplyState.election_options.length() > 0,
                        _form(),
                        rx.el.p(tr["apply.no_open_elections"], id="no-elections", class_name="notice"),
                    ),
                ),
                rx.el.p(tr["common.loading"], role="status"),
            ),
        ),
    )


def _check_row(label_key: str, value: rx.Var, anchor: str | None) -> rx.Component:
    return rx.el.div(
        rx.el.dt(tr[label_key]),
        rx.el.dd(value),
        rx.el.dd(
            rx.el.a(tr["check.change"], rx.el.span(" — ", tr[label_key], class_name="visually-hidden"), href=f"{routes.APPLY}#{anchor}")
            if anchor
            else rx.fragment(),
            class_name="summary-action",
        ),
        class_name="summary-row",
    )


def _arrival(route: str, ready: rx.Var, on_check) -> rx.Component:
    """The step's title and focus, set in the browser when the previous step sent it here (no
    on_load: one server event per step instead of three); else `on_check` asks the server."""
    return StepArrival.create(title=tr[PAGE_TITLES[route]] + " · " + tr["site.title"], ready=ready,
                              on_arrive=focus_title(), on_check=on_check)


def check_page() -> rx.Component:
    r = ApplyState.review
    return page(
        _arrival(routes.APPLY_CHECK, ApplyState.reviewed, ApplyState.load_check),
        back_link(routes.APPLY),
        rx.el.h1(tr["check.title"], id="page-title", tab_index=-1),
        error_summary(),
        rx.el.p(tr["check.lead"]),
        rx.el.dl(
            _check_row("apply.election", r["election"], None),
            _check_row("confirm.election_day", r["election_day"], None),
            _check_row("apply.precinct", r["precinct"], "precinct"),
            _check_row("confirm.address", r["address"], None),
            _check_row("apply.email", r["email"], "email"),
            _check_row("apply.phone", r["phone"], "phone"),
            _check_row("apply.consent_title", tr["check.consent_given"], "consent"),
            class_name="summary check",
        ),
        rx.cond(
            ApplyState.step_up_phone != "",
            step_up_form(ApplyState.step_up_phone, ApplyState.step_up_sent, ApplyState.confirm_with_code, "confirm-code"),
            rx.el.div(
                send_button("check.confirm", id="confirm", on_press=ApplyState.confirm),
                rx.el.a(tr["common.back"], href=routes.APPLY, class_name="button secondary"),
                class_name="button-row",
            ),
        ),
    )


def confirmation_page() -> rx.Component:
    c = ApplyState.confirmation
    return page(
        _arrival(routes.CONFIRMATION, c.contains("reference"), ApplyState.load_confirmation),
        rx.cond(
            c.contains("reference"),
            rx.fragment(
                rx.el.div(
                    rx.el.h1(rx.cond(c["kind"] == "changed", tr["confirm.changed_title"], tr["confirm.title"]),
                             id="page-title"),
                    rx.el.p(tr["confirm.reference"], id="reference-label"),
                    rx.el.p(c["reference"], id="reference", class_name="reference", aria_describedby="reference-label"),
                    CopyButton.create(text=c["reference"].to(str), label=tr["ux.copy"], done_label=tr["ux.copied"]),
                    class_name="panel-success receipt",
                    id="confirmation-panel",
                    tab_index=-1,
                ),
                rx.el.dl(
                    _row("confirm.election", c["election"]),
                    _row("confirm.precinct", c["precinct"]),
                    _row("confirm.address", c["address"]),
                    _row("confirm.election_day", c["election_day"]),
                    class_name="summary",
                ),
                voter_pass(c),
                rx.el.p(rx.el.strong(tr["confirm.remote_notice"]), class_name="notice important", id="remote-notice"),
                rx.el.h2(tr["ux.next_title"], id="next-title"),
                rx.el.ol(
                    rx.el.li(tr["ux.next_sms"]),
                    rx.el.li(tr["ux.next_change"]),
                    rx.el.li(tr["ux.next_vote"]),
                    class_name="steps",
                    aria_labelledby="next-title",
                ),
                rx.el.h2(tr["confirm.bring_title"]),
                rx.el.p(tr["confirm.bring_text"]),
                rx.el.p(tr["confirm.messages_sent"], class_name="hint"),
                rx.el.div(
                    PrintButton.create(label=tr["ux.print"]),
                    rx.el.a(tr["confirm.to_cabinet"], href=routes.CABINET, class_name="button no-print"),
                    class_name="button-row",
                ),
            ),
            rx.fragment(
                rx.el.h1(tr["check.title"], id="page-title", tab_index=-1),
                rx.el.p(tr["check.nothing"]),
                rx.el.a(tr["confirm.to_cabinet"], href=routes.CABINET, class_name="button"),
            ),
        ),
    )
