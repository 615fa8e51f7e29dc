"""What a real browser sends on the voter's journey: headless Chromium records its websocket frames
and page requests, so the load client (benchmarks.load) can be checked against them.

    .venv/bin/python -m benchmarks.browser_frames --start          # own server, fresh SQLite
    .venv/bin/python -m benchmarks.browser_frames --url http://localhost:3000 --db-url sqlite:///remote_vote.db

Prints one line per step, in the load client's own vocabulary (`journey_trace`): page loads (HTTP
documents, with their redirects), the login page's fetch of its cookie (POST /auth/session), socket
connects with the event in their CONNECT and the hashes' type, and each event sent on the socket;
then the bytes received per journey.
"""

from __future__ import annotations

import argparse
import re
import time
import os
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("DEMO_MODE", "1")

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from benchmarks.load import Database, Voter, describe_http, describe_sent  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@dataclass
class Recording:
    steps: list[str] = field(default_factory=list)  # journey_trace lines, in order
    received: int = 0  # websocket bytes received (text frames, as sent)
    frames_received: int = 0


def record(page: Page, base: str, voter: Voter, db: Database) -> Recording:
    """The landing page -> login by PIN + document + SMS code -> cabinet -> new application ->
    precinct, e-mail, consent -> check -> confirm, as a person clicks it in `page`."""
    rec = Recording()
    host = urlsplit(base).netloc

    def on_socket(ws) -> None:
        if "/_event" not in ws.url:
            return

        def sent(payload) -> None:
            if line := describe_sent(payload if isinstance(payload, str) else payload.decode()):
                rec.steps.append(line)

        def received(payload) -> None:
            rec.frames_received += 1
            rec.received += len(payload if isinstance(payload, bytes) else payload.encode())

        ws.on("framesent", sent)
        ws.on("framereceived", received)

    def on_response(response) -> None:
        request, url = response.request, urlsplit(response.request.url)
        if url.netloc != host:
            return
        if request.resource_type == "document" or (request.resource_type == "fetch" and url.path.startswith("/auth/")):
            rec.steps.append(describe_http(request.method, request.url, response.status,
                                           response.headers.get("location", "")))

    page.on("websocket", on_socket)
    page.on("response", on_response)
    page.goto(base + "/")
    page.locator("#cta-cabinet").click()
    page.wait_for_url(re.compile(r"/login/?$"))
    page.locator("#pin").fill(voter.pin)
    page.locator("#document").fill(voter.document)
    page.locator("#get-code").click()
    page.locator("#code-sent").wait_for()
    page.locator("#code").fill(db.sms_code(voter.phone))
    page.locator("#verify-code").click()
    page.wait_for_url(re.compile(r"/cabinet/?$"))
    page.locator("#new-application").click()
    page.wait_for_url(re.compile(r"/apply/?$"))
    page.locator("input[name=precinct]").first.check()
    page.locator("#email").fill(f"voter{voter.id}@example.kg")
    page.locator("#consent").check()
    page.locator("#continue").click()
    page.wait_for_url(re.compile(r"/apply/check/?$"))
    page.locator("#confirm").click()
    page.wait_for_url(re.compile(r"/confirmation/?$"))
    page.locator("#reference").wait_for()
    deadline = time.monotonic() + 10  # the confirmation's on_load, sent after the URL changed
    while not (rec.steps and "/confirmation" in rec.steps[-1]) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:3000")
    parser.add_argument("--db-url", default=os.environ.get("REFLEX_DB_URL") or "sqlite:///remote_vote.db")
    parser.add_argument("--start", action="store_true", help="start the embedded server with a fresh SQLite DB")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.start:
            from tests.support.server import app_env, prepare_database, running_app

            db_path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rv-frames-"))) / "frames.db"
            env = app_env(db_path)
            prepare_database(env, voters=1000)
            args.db_url, base = env["REFLEX_DB_URL"], stack.enter_context(running_app(env))
        else:
            base = args.url.rstrip("/")
        db = Database(args.db_url)
        executable = next((p for c in ("chromium", "chromium-browser") if (p := shutil.which(c))), None)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(args=CHROMIUM_ARGS, **({"executable_path": executable} if executable else {}))
            try:
                rec = record(browser.new_page(), base, db.eligible_voters(20)[0], db)
            finally:
                browser.close()
    for line in rec.steps:
        print(line)
    print(f"received: {rec.frames_received} frames, {rec.received / 1024:.1f} KB")


if __name__ == "__main__":
    main()
