"""Lighthouse on every voter page, mobile profile: accessibility, performance, total blocking time, bytes.

    .venv/bin/python -m benchmarks.lighthouse                 # own server, fresh SQLite (make bench-lighthouse)
    .venv/bin/python -m benchmarks.lighthouse --runs 3 --lang ky      # medians of 3 runs, pages in Kyrgyz
    .venv/bin/python -m benchmarks.lighthouse --url http://localhost:3000 --db-url sqlite:///remote_vote.db

Lighthouse (npm, pinned by benchmarks/lighthouse/package-lock.json) is installed with `npm ci` into
.tools/lighthouse (LIGHTHOUSE_DIR) and drives Debian's Chromium (CHROME_PATH, else `chromium`),
headless, one fresh browser per page (cold cache), with Lighthouse's default mobile profile
(emulated phone, simulated slow 4G and 4× CPU slowdown).

The logged-in pages need a voter session: register voters without an application log in through
the app's own SMS-code flow in Chromium (Playwright), reach the page (the form filled for
/apply/check, filed for /confirmation), and hand over their cookies (into Lighthouse's browser's
jar: Chromium leaves --extra-headers out of the event socket's handshake, so the app would not see
the session) and their tab's token, so Lighthouse loads the page as a reload of that tab. Pages
are measured at the address the server answers without a redirect (`/login/`; a typed `/login` costs
one more round trip). Exits 1 when a page is not reached, scores below 1.0 in accessibility, or
Lighthouse failed on it three times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("DEMO_MODE", "1")

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from benchmarks.load import Database, Voter  # noqa: E402
from remote_vote_app import routes  # noqa: E402
from remote_vote_app.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, t  # noqa: E402
from tests.support.server import ROOT, app_env, prepare_database, running_app  # noqa: E402

PUBLIC = [routes.HOME, routes.LOGIN, routes.PRECINCTS, routes.STATISTICS]
LOGGED_IN = [routes.CABINET, routes.APPLY, routes.APPLY_CHECK, routes.CONFIRMATION]
PACKAGE = ROOT / "benchmarks" / "lighthouse"
PAGE_TIMEOUT = 240  # seconds for one page's Lighthouse run (about 15-40 s on this machine)


def install(tools: Path) -> None:
    """`npm ci` of benchmarks/lighthouse into `tools` unless that lock is already installed there."""
    lock = PACKAGE / "package-lock.json"
    installed = tools / "package-lock.json"
    if installed.is_file() and installed.read_bytes() == lock.read_bytes() and (tools / "node_modules/.package-lock.json").is_file():
        return
    print(f"Installing Lighthouse from the npm registry into {tools}", flush=True)
    tools.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PACKAGE / name, tools / name)
    subprocess.run(["npm", "ci", "--prefix", str(tools), "--no-audit", "--no-fund", "--loglevel=error"], check=True)


def chrome_path() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise SystemExit("no Chromium: install Debian's `chromium` (make chromium) or set CHROME_PATH")
    return path


# --- a logged-in tab, reached through the app's own flow ---

def _log_in(page: Page, base: str, db: Database, voter: Voter) -> None:
    page.goto(f"{base}{routes.LOGIN}")
    page.get_by_label(t("ru", "login.pin")).fill(voter.pin)
    page.get_by_label(t("ru", "login.document")).fill(voter.document)
    page.get_by_role("button", name=t("ru", "login.submit")).click()
    page.locator("#code-sent").wait_for()
    page.get_by_label(t("ru", "login.code")).fill(db.sms_code(voter.phone))
    page.get_by_role("button", name=t("ru", "login.verify"), exact=True).click()
    page.wait_for_url(re.compile(rf"({routes.CABINET}|{routes.APPLY})/?$"))


def _fill_form(page: Page) -> None:
    if re.search(rf"{routes.CABINET}/?$", page.url):
        page.get_by_role("button", name=t("ru", "cabinet.new")).click()
        page.wait_for_url(re.compile(rf"{routes.APPLY}/?$"))
    elections = page.locator("#election input[type=radio]")
    if elections.count():
        elections.first.check()
    page.locator("#precinct input[type=radio]:not([disabled])").first.check()
    page.get_by_label(t("ru", "apply.email")).fill("lighthouse@example.kg")
    page.get_by_label(t("ru", "apply.consent_label")).check()
    page.get_by_role("button", name=t("ru", "apply.continue")).click()
    page.wait_for_url(re.compile(rf"{routes.APPLY_CHECK}/?$"))


def lang_cookie(base: str, lang: str) -> list[dict]:
    """The language switch's cookie (AppState.lang) of a voter who chose `lang`; none for the default
    language (a first visit)."""
    if lang == DEFAULT_LANG:
        return []
    return [{"name": "lang", "value": lang, "domain": urlsplit(base).hostname, "path": "/", "httpOnly": False,
             "secure": False, "sameSite": "Lax"}]


def logged_in_tab(browser, base: str, db: Database, voter: Voter, path: str, lang: str) -> tuple[list[dict], str]:
    """Log `voter` in (the login page in Russian), go as far as `path`; the browser's cookies with
    `lang` chosen, and the tab's token. The tab is closed, so Lighthouse's socket is the tab's only
    one (the state waits TAB_GRACE_SECONDS)."""
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        _log_in(page, base, db, voter)
        if path in (routes.APPLY_CHECK, routes.CONFIRMATION):
            _fill_form(page)
        if path == routes.CONFIRMATION:
            page.get_by_role("button", name=t("ru", "check.confirm")).click()
            page.wait_for_url(re.compile(rf"{routes.CONFIRMATION}/?$"))
            page.locator("#reference").wait_for()
        token = page.evaluate("window.sessionStorage.getItem('token')")
        cookies = [{key: c[key] for key in ("name", "value", "domain", "path", "httpOnly", "secure", "sameSite")}
                   | ({"expires": c["expires"]} if c["expires"] > 0 else {})  # -1: a session cookie
                   for c in context.cookies(base) if c["name"] != "lang"]
        page.goto("about:blank")
        return cookies + lang_cookie(base, lang), token
    finally:
        context.close()


# --- Lighthouse ---

def lighthouse(tools: Path, chrome: str, url: str, report: Path, cookies: list[dict], token: str = "") -> dict:
    job = {"modules": str(tools), "chrome": chrome, "url": url, "report": str(report), "cookies": cookies,
           "token": token or None}
    done = subprocess.run(["node", str(PACKAGE / "run.mjs")], input=json.dumps(job), capture_output=True, text=True,
                          timeout=PAGE_TIMEOUT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"lighthouse {url}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def measure(base: str, db: Database, tools: Path, chrome: str, reports: Path, paths: list[str], lang: str,
            runs: int) -> list[dict]:
    rows = []
    voters = iter(db.eligible_voters(len(LOGGED_IN)))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chrome, args=["--no-sandbox", "--disable-gpu",
                                                                  "--disable-background-networking"])
        try:
            logged_in: list[dict] = []
            for path in paths:
                if path in (routes.APPLY_CHECK, routes.CONFIRMATION) or (path in LOGGED_IN and not logged_in):
                    # A form filled or filed is that voter's: each such page gets a voter of its own.
                    cookies, token = logged_in_tab(browser, base, db, next(voters), path, lang)
                    logged_in = cookies if path in (routes.CABINET, routes.APPLY) else logged_in
                elif path in LOGGED_IN:
                    cookies, token = logged_in, ""
                else:
                    cookies, token = lang_cookie(base, lang), ""
                served = path.rstrip("/") + "/"
                name = (path.strip("/") or "home").replace("/", "-")
                results = []
                for run in range(1, runs + 1):
                    for attempt in range(3):  # a trace Lighthouse failed to record (NO_NAVSTART, rare): again
                        print(f"lighthouse {served} ({run}/{runs})", flush=True)
                        result = lighthouse(tools, chrome, base + served, reports / f"{name}-{lang}-{run}.json",
                                            cookies, token=token)
                        if not result["runtime_error"]:
                            break
                        print(f"  {result['runtime_error']}", flush=True)
                    results.append(result)
                rows.append(summarize(path, base, results))
        finally:
            browser.close()
    return rows


def summarize(path: str, base: str, results: list[dict]) -> dict:
    """One row of `runs`: the median of each figure, the lowest accessibility score, every failing audit."""
    landed = [r["landed"] for r in results if r["landed"].split("?")[0].rstrip("/") != (base + path).rstrip("/")]
    failing = {audit["id"]: audit for r in results for audit in r["failing"]}
    return {"page": path, "reached": not landed, "landed": landed[0] if landed else "",
            "accessibility": min((r["accessibility"] for r in results if r["accessibility"] is not None), default=None),
            **{key: statistics.median(values) if (values := [r[key] for r in results if r[key] is not None]) else None
               for key in ("performance", "tbt_ms", "bytes", "lcp_ms", "cls")},
            "failing": list(failing.values()), "errors": sorted({r["runtime_error"] for r in results if r["runtime_error"]})}


def print_table(rows: list[dict], reports: Path, lang: str, runs: int, load_before: float) -> None:
    load = os.getloadavg()
    each = "one run per page" if runs == 1 else f"median of {runs} runs per page (accessibility: the lowest)"
    version = json.loads((PACKAGE / "package.json").read_text())["dependencies"]["lighthouse"]
    print(f"\nLighthouse {version}, mobile profile, pages in {LANG_NAMES[lang]}, {each}; {dt.datetime.now():%Y-%m-%d %H:%M}, "
          f"{os.cpu_count()} cores, load average {load_before:.1f} at the start, {load[0]:.1f} at the end; reports in {reports}\n")
    print("| page | accessibility | performance | total blocking time, ms | transferred, KB | LCP, ms | CLS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        mark = "" if row["reached"] else f" (landed on {row['landed']})"
        kb = None if row["bytes"] is None else row["bytes"] / 1024
        figures = [(row["accessibility"], ".2f"), (row["performance"], ".2f"), (row["tbt_ms"], ".0f"), (kb, ".1f"),
                   (row["lcp_ms"], ".0f"), (row["cls"], ".2f")]
        print(f"| `{row['page']}`{mark} | " + " | ".join("-" if v is None else format(v, f) for v, f in figures) + " |")
    for row in rows:
        for audit in row["failing"]:
            print(f"{row['page']}: {audit['id']} ({audit['title']}): {audit['items']}")
        for error in row["errors"]:
            print(f"{row['page']}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one on a free port with a fresh SQLite DB)")
    parser.add_argument("--db-url", default=os.environ.get("REFLEX_DB_URL") or f"sqlite:///{ROOT / 'remote_vote.db'}",
                        help="with --url: the server's database (register voters without an application, SMS codes)")
    parser.add_argument("--pages", nargs="*", default=PUBLIC + LOGGED_IN, help="paths to measure (default: every voter page)")
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help="the pages' language (the switch's cookie)")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page; the table shows medians (default 1)")
    parser.add_argument("--reports", type=Path, help="folder for the JSON reports (default: a temporary folder)")
    parser.add_argument("--tools", type=Path, default=Path(os.environ.get("LIGHTHOUSE_DIR") or ROOT / ".tools/lighthouse"),
                        help="where Lighthouse is installed (default .tools/lighthouse, or LIGHTHOUSE_DIR)")
    args = parser.parse_args()
    unknown = set(args.pages) - set(PUBLIC + LOGGED_IN)
    if unknown:
        parser.error(f"not a voter page: {', '.join(sorted(unknown))}")

    install(args.tools.resolve())
    chrome = chrome_path()
    reports = args.reports or Path(tempfile.mkdtemp(prefix="rv-lighthouse-"))
    reports.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        if args.url:
            base, db_url = args.url.rstrip("/"), args.db_url
        else:
            db_path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rv-lighthouse-"))) / "bench.db"
            env = app_env(db_path)
            print(f"starting the embedded server on {db_path}", flush=True)
            prepare_database(env, voters=600)
            db_url = env["REFLEX_DB_URL"]
            base = stack.enter_context(running_app(env))
        rows = measure(base, Database(db_url), args.tools.resolve(), chrome, reports, args.pages, args.lang,
                       max(1, args.runs))
    print_table(rows, reports, args.lang, max(1, args.runs), load_before)
    return 0 if all(row["reached"] and row["accessibility"] == 1 and not row["errors"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
