"""Browser tests against the production build, served the way `make run` serves it.

The server runs on a free port with its own SQLite file; pages fail the test on any browser
console error; axe-core checks each page a journey visits.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The test process imports app modules (demo voters, fixtures); the server gets its own env below.
os.environ.setdefault("DEMO_MODE", "1")

import httpx  # noqa: E402
import pytest  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    return {
        **os.environ,
        "REFLEX_DB_URL": f"sqlite:///{db}",
        "DEMO_MODE": "1",
        "SECRET_KEY": "e2e-secret",
        "LOGIN_LIMIT_PER_CLIENT": "1000/hour",  # every test logs in from 127.0.0.1
        "MAP_TILE_URL": "",  # tiles off: no request may leave localhost
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PATH": f"{ROOT / '.tools/node_modules/.bin'}:{os.environ.get('PATH', '')}",
    }


@pytest.fixture(scope="session")
def base_url(server_env) -> str:
    """Migrate, seed and serve the app; stop it at the end of the session."""
    python = sys.executable
    for args in (["migrate"], ["seed", "--voters", "600"]):
        subprocess.run([python, "-m", "remote_vote_app.cli", *args], cwd=ROOT, env=server_env, check=True)
    subprocess.run([python, "-m", "tests.e2e.fixtures"], cwd=ROOT, env=server_env, check=True)
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / f"rv-e2e-{port}.log", "w")
    reflex = str(Path(python).with_name("reflex"))
    env = {**server_env, "PORT": str(port)}
    proc = subprocess.Popen(
        [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(port), "--loglevel", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://localhost:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early; see {log.name}")
        try:
            if httpx.get(f"{url}/ping", timeout=2).status_code == 200 and httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    else:
        raise RuntimeError(f"app did not start; see {log.name}")
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


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


@pytest.fixture(params=["phone", "desktop"])
def viewport(request) -> dict:
    return PHONE if request.param == "phone" else DESKTOP


@pytest.fixture
def browser_context_args(browser_context_args, viewport):
    return {**browser_context_args, "viewport": viewport, "locale": "ru-RU"}


class ConsoleGuard:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        return page


@pytest.fixture
def console() -> ConsoleGuard:
    return ConsoleGuard()


@pytest.fixture
def page(context, console):
    """A page whose console errors fail the test; new pages of the context are watched too."""
    context.on("page", console.watch)
    page = console.watch(context.new_page())
    yield page
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


_axe = Axe()


def check_a11y(page: Page) -> None:
    """No serious or critical axe-core violations, and nothing wider than the viewport."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def read_code(page: Page, base_url: str) -> str:
    """Read the latest login code on /dev/outbox, as a tester reads it from the phone."""
    outbox = page.context.new_page()
    outbox.goto(f"{base_url}/dev/outbox")
    first = outbox.locator("#outbox-table tbody tr").first
    expect(first).to_contain_text("Код входа")
    code = re.search(r"\b(\d{6})\b", first.inner_text()).group(1)
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


def log_in(page: Page, base_url: str, pin: str, document: str, check: bool = False) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("ПИН (персональный идентификационный номер)").fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(document)
    if check:
        check_a11y(page)
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-sent")).to_contain_text("+996 *** ***")
    page.get_by_label("Код из 6 цифр").fill(read_code(page, base_url))
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(r"/cabinet/?$"))
    expect(page.get_by_role("heading", name="Кабинет избирателя", level=1)).to_be_visible()
