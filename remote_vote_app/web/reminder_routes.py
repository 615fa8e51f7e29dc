"""The reminder opt-out link: works without logging in (the link carries a signed token).

GET shows a small trilingual page with one button (a link checker or a mail scanner that follows
the link changes nothing); POST records the opt-out (audited) and says so. Plain `def`: Starlette
runs it in its thread pool, off the event loop.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from remote_vote_app import routes
from remote_vote_app.db import session_scope
from remote_vote_app.i18n import LANGS, t
from remote_vote_app.services.applications import reminders

HEADERS = {"Cache-Control": "no-store"}


def _page(keys: list[str], token: str = "", status: int = 200) -> Response:
    blocks = []
    for lang in LANGS:
        texts = "".join(f"<p>{escape(t(lang, key))}</p>" for key in keys)
        blocks.append(f'<section lang="{lang}"><h2>{escape(t(lang, "optout.title"))}</h2>{texts}</section>')
    form = ""
    if token:
        label = " · ".join(escape(t(lang, "optout.button")) for lang in LANGS)
        form = (f'<form method="post" action="{routes.REMINDERS_OPT_OUT}"><input type="hidden" name="t" value="{escape(token)}">'
                f'<button type="submit" class="button" id="opt-out">{label}</button></form>')
    title = " · ".join(escape(t(lang, "optout.title")) for lang in LANGS)
    html = (f'<!DOCTYPE html><html lang="ky"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{title}</title>'
            f'<link rel="icon" href="/favicon.svg" type="image/svg+xml"></head><body><main id="main" class="container main">'
            f'<h1>{escape(t("ky", "site.title"))} · {escape(t("ru", "site.title"))} · {escape(t("en", "site.title"))}</h1>'
            f'{"".join(blocks)}{form}<p><a href="/">{" · ".join(escape(t(lang, "nav.home")) for lang in LANGS)}</a></p>'
            f'</main></body></html>')
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def opt_out_form(request: Request) -> Response:
    token = request.query_params.get("t", "")
    if reminders.voter_of_token(token) is None:
        return _page(["optout.invalid"])  # a page for a person who followed a damaged link, not an API error
    return _page(["optout.ask"], token)


async def opt_out_post(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("t", ""))
    client = request.client.host if request.client else ""

    def record() -> bool:
        with session_scope() as session:
            return reminders.opt_out(session, token, client)

    from starlette.concurrency import run_in_threadpool

    if not await run_in_threadpool(record):
        return _page(["optout.invalid"], status=400)
    return _page(["optout.done"])


endpoints = [
    Route(routes.REMINDERS_OPT_OUT, opt_out_form, methods=["GET"]),
    Route(routes.REMINDERS_OPT_OUT, opt_out_post, methods=["POST"]),
]
