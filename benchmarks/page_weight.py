"""Page weight: bytes transferred, JavaScript bytes and first contentful paint, cold cache.

    .venv/bin/python -m benchmarks.page_weight              # starts its own server (tiles off)
    .venv/bin/python -m benchmarks.page_weight --base-url http://localhost:3000

Budgets (issue 22, point 4): `/` and `/login` <= 200 KB transferred, headers included; /precincts
<= 300 KB (650 KB when the map came, 243 KB on 7 Dec 2026). Exits with status 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("DEMO_MODE", "1")

from playwright.sync_api import sync_playwright  # noqa: E402

from remote_vote_app.demo.seed import DEMO_VOTERS  # noqa: E402
from tests.support.server import app_env, prepare_database, running_app  # noqa: E402

PAGES = ["/", "/login", "/precincts", "/apply"]
BUDGET_KB = {"/": 200, "/login": 200, "/precincts": 300}


def _launch(p):
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    return p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu",
                                                         "--disable-background-networking"]) if path else p.chromium.launch()


def _login(page, base: str) -> None:
    pin, doc, *_ = DEMO_VOTERS[7]
    page.goto(f"{base}/login")
    page.get_by_label(re.compile("^ПИН")).fill(pin)
    page.get_by_label("Номер ID-карты или паспорта").fill(doc)
    page.get_by_role("button", name="Получить код").click()
    page.locator("#code-sent").wait_for()
    outbox = page.context.new_page()
    outbox.goto(f"{base}/dev/outbox")
    row = outbox.locator("#outbox-table tbody tr").first
    row.wait_for()
    code = re.search(r"\b(\d{6})\b", row.inner_text()).group(1)
    outbox.close()
    page.get_by_label("Код из 6 цифр").fill(code)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"/cabinet/?$"))


def measure(base: str) -> list[dict]:
    rows = []
    with sync_playwright() as p:
        browser = _launch(p)
        for path in PAGES:
            context = browser.new_context()  # a fresh context: empty cache
            page = context.new_page()
            if path == "/apply":
                _login(page, base)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            types: dict[str, str] = {}
            sizes = {"total": 0, "js": 0}
            cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
            def finished(e):
                sizes["total"] += e["encodedDataLength"]
                if types.get(e["requestId"]) == "Script":
                    sizes["js"] += e["encodedDataLength"]
            cdp.on("Network.loadingFinished", finished)
            page.goto(f"{base}{path}", wait_until="networkidle")
            fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
            rows.append({"page": path, "kb": sizes["total"] / 1024, "js_kb": sizes["js"] / 1024, "fcp_ms": fcp})
            context.close()
        browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="")
    args = parser.parse_args()
    if args.base_url:
        server = nullcontext(args.base_url.rstrip("/"))
    else:
        env = app_env(Path(tempfile.mkdtemp(prefix="rv-bench-")) / "bench.db")
        prepare_database(env, voters=600)
        server = running_app(env)
    with server as base:
        rows = measure(base)
    print(f"{'page':<12}{'transferred KB':>16}{'JS KB':>10}{'FCP ms':>10}{'budget KB':>11}")
    failed = False
    for row in rows:
        budget = BUDGET_KB.get(row["page"])
        failed |= budget is not None and row["kb"] > budget
        fcp = f"{row['fcp_ms']:.0f}" if row["fcp_ms"] else "-"
        print(f"{row['page']:<12}{row['kb']:>16.1f}{row['js_kb']:>10.1f}{fcp:>10}{budget or '':>11}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
