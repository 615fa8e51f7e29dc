"""The server log holds no secret, even for an event Reflex cannot route: an unknown handler name
sent from a logged-in tab is logged by Reflex with the whole event (handshake headers with the
session cookie, and the payload)."""

import asyncio
import json
import re
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from benchmarks.load import APP, NAMESPACE, Stats, Tab, read_bundle
from remote_vote_app.demo.seed import DEMO_VOTERS
from tests.e2e.conftest import DESKTOP, log_in

FRAME = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHR0a"


@pytest.fixture
def viewport():
    return DESKTOP  # the server's log is the point, not the page


def _send_unknown_event(base_url: str, cookies: dict[str, str], payload: dict) -> None:
    """A tab of the logged-in browser (its cookies) sends an event to a handler that does not exist."""

    async def run() -> None:
        tab = Tab(base_url, read_bundle(base_url), Stats(), timeout=30)
        tab.cookies = dict(cookies)
        await tab.open("/cabinet")
        assert tab.var(APP, "voter_name"), "the tab is not logged in: the test would prove nothing"
        event = {"name": f"{APP}.no_such_handler_x", "payload": payload, "router_data": tab._router()}
        await tab.ws.send(f"42{NAMESPACE},{json.dumps(['event', event])}")
        await asyncio.sleep(2)
        await tab.close()

    # Playwright's sync API keeps an event loop on this thread: the socket client gets a thread of its own.
    failure: list[BaseException] = []

    def in_thread() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test's thread)
            failure.append(exc)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(timeout=120)
    if failure:
        raise failure[0]


def test_an_unknown_event_from_a_logged_in_tab_leaves_no_secret_in_the_log(page: Page, base_url: str):
    pin, document, phone = DEMO_VOTERS[3][:3]
    log_in(page, base_url, pin, document)
    cookies = {c["name"]: c["value"] for c in page.context.cookies() if urlsplit(base_url).hostname in c["domain"]}
    session_cookie = next(v for k, v in cookies.items() if k.endswith("rv_voter"))
    device_cookie = next(v for k, v in cookies.items() if k.endswith("rv_device"))
    spellings = [pin, f"{pin[0]} {pin[1:5]} {pin[5:9]} {pin[9:]}", f"{pin[0]}-{pin[1:9]}-{pin[9:]}",
                 " ".join(pin), ".".join([pin[:1], pin[1:3], pin[3:5], pin[5:9], pin[9:]])]
    phone_spellings = [phone, f"{phone[:4]} {phone[4:7]} {phone[7:10]} {phone[10:]}", f"0{phone[4:7]}-{phone[7:10]}-{phone[10:]}"]
    _send_unknown_event(base_url, cookies, {
        "pin": spellings, "document": [document, f"{document[:2]} {document[2:]}"], "phone": phone_spellings,
        "frames": [FRAME, FRAME], "note": f"cookie {session_cookie}", "device": f"rv_device={device_cookie}",
    })
    log = Path(tempfile.gettempdir()) / f"rv-app-{urlsplit(base_url).port}.log"

    def read() -> str:
        # Reflex's console handler wraps long records at 80 columns: a secret may straddle a line break.
        return log.read_text(errors="replace").replace("\n", "")

    deadline = time.time() + 10
    while "no_such_handler_x" not in read() and time.time() < deadline:
        time.sleep(0.5)
    text = read()
    assert "no_such_handler_x" in text, "Reflex did not log the unknown event: the test would prove nothing"
    leaks = [s for s in [session_cookie, device_cookie, *spellings, document, f"{document[:2]} {document[2:]}",
                         *phone_spellings, "/9j/4AAQSkZJRg"] if s in text]
    leaks += [pin] if pin in re.sub(r"\D", "", text) else []
    assert not leaks, f"the server log holds: {leaks}"
