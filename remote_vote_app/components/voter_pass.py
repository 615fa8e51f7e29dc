"""The signed voter pass on the voter's pages: its QR code, the reference in large type, print and save."""

from __future__ import annotations

import reflex as rx

from remote_vote_app.components.layout import tr
from remote_vote_app.components.qr_code import qr_image, qr_save_link


def voter_pass(app: rx.Var, pass_id: str | rx.Var = "voter-pass", level: int = 2) -> rx.Component:
    """`app`: an application summary with `pass_token`, `reference`, `precinct`, `pass_issued`; `level`: the
    heading's level where the pass stands (inside an application card it is one below the card's)."""
    heading = f"{pass_id}-heading" if isinstance(pass_id, str) else pass_id + "-heading"
    reference = f"{pass_id}-reference" if isinstance(pass_id, str) else pass_id + "-reference"
    heading_tag = {2: rx.el.h2, 3: rx.el.h3, 4: rx.el.h4}[level]
    return rx.cond(
        app["pass_token"] != "",
        rx.el.section(
            heading_tag(tr["pass.title"], id=heading),
            rx.el.p(tr["pass.lead"], class_name="hint no-print"),
            rx.el.div(
                qr_image(value=app["pass_token"], alt=tr["pass.qr_alt"].replace("{reference}", app["reference"]),
                         size=260, class_name="pass-qr"),
                rx.el.div(
                    rx.el.p(tr["confirm.reference"], class_name="label"),
                    rx.el.p(app["reference"], class_name="reference pass-reference", id=reference),
                    rx.el.p(app["precinct"]),
                    rx.el.p(app["pass_issued"], class_name="hint"),
                    class_name="pass-text",
                ),
                class_name="pass-body",
            ),
            rx.el.p(tr["pass.stale_note"], class_name="hint"),
            rx.el.div(
                rx.el.button(tr["pass.print"], type="button", on_click=rx.call_script("window.print()"),
                             class_name="button secondary"),
                qr_save_link(value=app["pass_token"], text=tr["pass.save"],
                             file_name="voter-pass-" + app["reference"].to(str) + ".svg", class_name="button secondary"),
                class_name="button-row no-print",
            ),
            id=pass_id,
            # The reference names it apart from another application's pass on the same page.
            aria_labelledby=heading + " " + reference,
            class_name="voter-pass card",
            custom_attrs={"data-pass": app["pass_token"]},
        ),
    )
