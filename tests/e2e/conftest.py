"""Browser tests against the production build, served the way `make run` serves it.

The server runs on a free port with its own SQLite file; pages fail the test on any browser
console error; axe-core checks each page a journey visits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
import time

# The test process imports app modules (demo voters, fixtures); the server gets its own env below.
os.environ.setdefault("DEMO_MODE", "1")

import pyotp  # noqa: E402
import pytest  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from remote_vote_app.i18n import t  # noqa: E402
from tests.support import qr as support_qr  # noqa: E402
from tests.support.oidc import running_oidc_provider  # noqa: E402
from tests.support.server import ROOT, app_env, free_port, prepare_database, running_app  # noqa: E402
from tests.support.codes import code_in

# The fault and topology tests need the production profile (PostgreSQL, Redis, 2 workers): `make test` runs
# them there (tests.support.services); the embedded run does not collect them.
collect_ignore = [] if os.environ.get("REFLEX_REDIS_URL") else ["test_faults.py", "test_topology.py"]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def eid_provider(app_port) -> str:
    """A real OpenID Connect provider (npm oidc-provider) as the national eID, for this session."""
    with running_oidc_provider(redirect_uri=f"http://localhost:{app_port}/login/eid") as issuer:
        yield issuer


@pytest.fixture(scope="session")
def server_env(tmp_path_factory, eid_provider, app_port) -> dict[str, str]:
    # Every test logs in from 127.0.0.1, so the per-client login limit is raised here, and the
    # per-(identifier, client) tiers too: the guarded-mode test's stranger types 100 wrong codes
    # for one PIN from the owner's own address (no test here watches those tiers).
    return app_env(
        tmp_path_factory.mktemp("e2e") / "e2e.db", LOGIN_LIMIT_PER_CLIENT="1000/hour",
        LOGIN_THROTTLE_TIERS="1000/minute",
        LOGIN_LIMIT_PER_PIN="100/15 minutes", LOGIN_SENDS_CEILING="1000/hour",
        LOGIN_SENDS_PER_PHONE="1000/minute",
        QR_TTL_SECONDS="20",  # short enough to watch a QR link expire
        TAB_GRACE_SECONDS="8",  # short enough to watch a closed tab's state go (test_closed_tabs.py)
        EID_ISSUER=eid_provider, EID_CLIENT_ID="remote-vote", EID_CLIENT_SECRET="remote-vote-secret",
        EID_REDIRECT_URI=f"http://localhost:{app_port}/login/eid",
    )


@pytest.fixture(scope="session")
def base_url(server_env, app_port) -> str:
    """Migrate, seed and serve the app for the whole session."""
    prepare_database(server_env, voters=600)
    subprocess.run([sys.executable, "-m", "tests.e2e.fixtures"], cwd=ROOT, env=server_env, check=True)
    with running_app(server_env, port=app_port) as url:
        yield url
    _assert_log_is_clean(Path(tempfile.gettempdir()) / f"rv-app-{app_port}.log")


SEEN_TOKENS: set[str] = set()  # every tab's Reflex client token, read at the end of each test


def _assert_log_is_clean(log: Path) -> None:
    """No client token, session cookie, PIN, document number or event payload in the server log
    of the whole run (Reflex wrote tokens and payloads before logsafe)."""
    from remote_vote_app.demo.seed import DEMO_VOTERS

    raw = log.read_text(errors="replace")
    # Reflex's console wraps lines at 80 columns: a secret may be split over two lines.
    text = raw + "\n" + re.sub(r"\s*\n\s*", "", raw)
    leaks = [t for t in SEEN_TOKENS if t in text]
    leaks += [v[0] for v in DEMO_VOTERS if v[0] in text] + [v[1] for v in DEMO_VOTERS if v[1] in text]
    leaks += re.findall(r"Event data: (?!<redacted>).{0,40}", text)
    assert not leaks, f"the server log holds secrets or personal data: {leaks[:5]}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium where it exists (no browser download here), with no background traffic."""
    args = {**browser_type_launch_args,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]}
    for candidate in ("chromium", "chromium-browser"):
        if path := shutil.which(candidate):
            args["executable_path"] = path
            break
    return args


@pytest.fixture
def camera(browser_type, browser_type_launch_args, tmp_path):
    """Chromium whose fake camera shows `video` (written by the test before the camera starts)."""
    video = support_qr.blank_video(tmp_path / "camera.y4m")
    args = [*browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    yield browser, video
    browser.close()


@pytest.fixture(params=["phone", "desktop"])
def viewport(request) -> dict:
    return PHONE if request.param == "phone" else DESKTOP


@pytest.fixture
def browser_context_args(browser_context_args, viewport):
    return {**browser_context_args, "viewport": viewport, "locale": "ru-RU"}


class ConsoleGuard:
    """Collects console errors of the app's own pages (not of the test eID provider's pages)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.errors: list[str] = []

    def _ours(self, page: Page) -> bool:
        return page.url.startswith(self.origin) or page.url in ("", "about:blank")

    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type == "error" and self._ours(page) else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}") if self._ours(page) else None)
        return page


@pytest.fixture
def console(base_url) -> ConsoleGuard:
    return ConsoleGuard(base_url)


@pytest.fixture
def page(context, console):
    """A page whose console errors fail the test; new pages of the context are watched too."""
    context.on("page", console.watch)
    page = console.watch(context.new_page())
    yield page
    for open_page in context.pages:
        try:
            token = open_page.evaluate("window.sessionStorage.getItem('token')")
        except Exception:  # noqa: BLE001 - a page on the eID provider or already closed
            token = None
        if token:
            SEEN_TOKENS.add(token)
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


_axe = Axe()


# WCAG 2.2 AA (target size included) and axe's best practices (heading order, unique landmarks,
# named table headers...): every rule, every impact.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def check_a11y(page: Page) -> None:
    """No axe-core violation of any impact under the WCAG 2.2 A/AA rules and axe's best practices, and
    nothing wider than the viewport."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    bad = results.response["violations"]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def open_menu(page: Page) -> None:
    """On a phone the main menu is behind «Меню», as in the GOV.UK header; wider screens always show it."""
    if page.viewport_size["width"] < 600:
        toggle = page.locator("#menu-toggle")
        expect(toggle).to_be_visible()
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()


def read_code(page: Page, base_url: str, lang: str = "ru") -> str:
    """Read the latest login code on /dev/outbox, as a tester reads it from the phone (the SMS is in
    the language the voter logged in with)."""
    outbox = page.context.new_page()
    outbox.goto(f"{base_url}/dev/outbox")
    first = outbox.locator("#outbox-table tbody tr").first
    expect(first).to_contain_text(t(lang, "sms.login_code").split("{code}")[0].strip())
    code = code_in(first.inner_text())
    outbox.close()
    return code


def outbox_text(page: Page, base_url: str, rows: int = 2) -> str:
    outbox = page.context.new_page()
    outbox.goto(f"{base_url}/dev/outbox")
    body = outbox.locator("#outbox-table tbody tr")
    expect(body.first).to_be_visible()
    text = "\n".join(body.nth(i).inner_text() for i in range(rows))
    outbox.close()
    return text


def log_in(page: Page, base_url: str, pin: str, document: str, check: bool = False,
           expect_url: str = r"/cabinet/?$", lang: str = "ru") -> None:
    """Log in by ID card + SMS code, on a page in `lang`. On /login already (sent there by a redirect),
    the page is kept."""
    if not re.search(r"/login/?$", page.url):
        page.goto(f"{base_url}/login")
    page.get_by_label(t(lang, "login.pin")).fill(pin)
    page.get_by_label(t(lang, "login.document")).fill(document)
    if check:
        check_a11y(page)
    page.get_by_role("button", name=t(lang, "login.submit")).click()
    expect(page.locator("#code-sent")).to_contain_text("+996 *** ***")
    page.get_by_label(t(lang, "login.code")).fill(read_code(page, base_url, lang))
    page.get_by_role("button", name=t(lang, "login.verify"), exact=True).click()
    expect(page).to_have_url(re.compile(expect_url))


def keyboard_log_in(page: Page, base_url: str, pin: str, document: str) -> None:
    """Log in on an open /login page with the keyboard only (Tab between fields, Enter to submit)."""
    page.get_by_label("ПИН (персональный идентификационный номер)").focus()
    page.keyboard.type(pin)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Номер ID-карты или паспорта")).to_be_focused()
    page.keyboard.type(document)
    page.keyboard.press("Enter")
    code_input = page.get_by_label("Код из 6 цифр")
    expect(code_input).to_be_visible()
    code_input.focus()
    page.keyboard.type(read_code(page, base_url))
    page.keyboard.press("Enter")


_staff_steps: dict[str, int] = {}


def staff_code(username: str) -> str:
    """The demo account's current TOTP code, as the app shows it; a code is taken once per 30 s step,
    so a second login of the same account waits for the next step."""
    from remote_vote_app.demo.seed import DEMO_STAFF_TOTP

    while int(time.time() // 30) <= _staff_steps.get(username, -1):
        time.sleep(0.5)
    step = _staff_steps[username] = int(time.time() // 30)
    return pyotp.TOTP(DEMO_STAFF_TOTP[username]).at(step * 30)


def staff_log_in(page: Page, base_url: str, username: str, check: bool = False) -> None:
    """Log a demo staff member in: password, then the code from the authenticator app (focus moves to it)."""
    from remote_vote_app.demo.seed import DEMO_STAFF

    page.goto(f"{base_url}/staff/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(next(row[2] for row in DEMO_STAFF if row[0] == username))
    page.get_by_role("button", name="Войти").click()
    code = page.get_by_label("Код из приложения-аутентификатора")
    expect(code).to_be_focused()
    if check:
        check_a11y(page)
    code.fill(staff_code(username))
    page.get_by_role("button", name="Подтвердить вход").click()
    expect(page.locator("#staff-who")).to_be_visible()
