"""Load: simulated voters doing whole journeys over Reflex's own socket.io protocol.

    .venv/bin/python -m benchmarks.load --start                       # own server, fresh 5,000-voter SQLite
    .venv/bin/python -m benchmarks.load --url http://localhost:3000 --db-url sqlite:///remote_vote.db
    .venv/bin/python -m benchmarks.load --start --voters 200 --think 2-5 --ramp 10 --duration 60

Each simulated voter is one asyncio task; each journey is a new tab (token, websocket) for a distinct
register voter: / -> /login -> start (PIN + document) -> the SMS code read from the outbox table ->
verify -> (cabinet -> start_new) -> /apply -> choose_precinct -> review_answers -> /apply/check ->
confirm -> /confirmation with a reference. The frames are those a real browser sends (recorded with
Chromium over CDP). Then a trivial-event run (`page_ready`) gives the ratio of journey events/s to
trivial events/s. Server CPU and RSS come from /proc for the process tree listening on the port.

Exits with status 1 on any error, or when the new applications in the database are not exactly the
finished journeys' references.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import itertools
import json
import math
import os
import random
import re
import ssl
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

os.environ.setdefault("DEMO_MODE", "1")  # the app's settings module refuses to load without it or SECRET_KEY

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from remote_vote_app.db import get_engine  # noqa: E402
from remote_vote_app.demo.seed import DEMO_VOTERS  # noqa: E402
from tests.support.server import ROOT, app_env, prepare_database, running_app  # noqa: E402

# Full state paths, as the browser sends them.
BASE = "reflex___state____state"
APP = f"{BASE}.remote_vote_app___state___app____app_state"
LOGIN = f"{APP}.remote_vote_app___state___login____login_state"
APPLY = f"{APP}.remote_vote_app___state___apply____apply_state"
HYDRATE = f"{BASE}.hydrate_and_load"
ON_LOAD = f"{BASE}.reflex___state____on_load_internal_state.on_load_internal"
NAMESPACE = "/_event"
COOKIE_SCRIPT = re.compile(r"document\.cookie\s*=\s*[\"']([^=\"';]+)=([^;\"']*)")  # a login's ticket binding
LOCATION_SCRIPT = re.compile(r"window\.location(?:\.href\s*=\s*|\.(?:assign|replace)\(\s*)[\"']([^\"']+)")
# The voter's login: the page POSTs its ticket to /auth/* itself (fetch), then navigates client-side.
FETCH_SCRIPT = re.compile(r"fetch\(\s*\"(/auth/[^\"]+)\",\s*\{method:\s*'POST'.*?body:\s*(\"(?:[^\"\\]|\\.)*\")"
                          r".*?navigate\(\s*\"([^\"]+)\"", re.S)
CODE = re.compile(r"\b(\d{6})\b")
# Cheap AppState handlers, both answered with a _call_script: page_ready changes nothing; set_lang
# (same language) also resends every var that depends on the language.
TRIVIAL = {"page_ready": None, "set_lang": {"lang": "ru"}}
# One TLS context for every HTTP hop: httpx would load the CA bundle for each new client (~20 ms of
# the load generator's CPU per journey, counted in the hop's latency).
TLS = ssl.create_default_context()


class JourneyError(Exception):
    pass


class Abandoned(Exception):
    """The run's time is up; the journey stops at a step boundary, before anything is submitted."""


# --- what the browser bundle tells the server on connect ---

@dataclass(frozen=True)
class Bundle:
    hashes: list[str]
    state_schema: str
    version: str  # sent as the websocket subprotocol
    busy: frozenset[str] = frozenset()  # the forms whose submit the page wraps in begin_busy / end_busy


BUSY_NAME = re.compile(r"app_state\.begin_busy`,\{name:`([\w-]+)`")
JOURNEY_ROUTES = ("login", "apply", "apply/check")


def read_bundle(base: str) -> Bundle:
    html = httpx.get(base + "/", timeout=30).text
    asset = re.search(r"/?assets/context-[\w-]+\.js", html)
    if not asset:
        raise SystemExit(f"{base}/: no context-*.js bundle in the page")
    js = httpx.get(urljoin(base + "/", asset.group(0)), timeout=30).text
    # An array of hashes, or (a larger state tree) one dot-joined string that the client splits:
    # Chromium sends a list either way (recorded with benchmarks.browser_frames).
    listed = re.search(r"initialStateHashes=\[([^\]]*)\]", js)
    joined = re.search(r"initialStateHashes=[`'\"]([\w.]+)[`'\"]", js)
    schema = re.search(r"stateSchema=[`'\"](\w+)", js)
    if not (listed or joined) or not schema:
        raise SystemExit(f"{asset.group(0)}: initialStateHashes / stateSchema not found")
    hashes = re.findall(r"\w+", listed.group(1)) if listed else joined.group(1).split(".")
    return Bundle(hashes, schema.group(1), importlib.metadata.version("reflex"), busy_forms(base, html))


def busy_forms(base: str, html: str) -> frozenset[str]:
    """The forms of the journey's pages whose submit the built page wraps in begin_busy / end_busy
    (two more events each), read from the route modules the browser would load."""
    manifest = re.search(r"/?assets/manifest-[\w-]+\.js", html)
    if not manifest:
        raise SystemExit(f"{base}/: no manifest-*.js in the page")
    text = httpx.get(urljoin(base + "/", manifest.group(0)), timeout=30).text
    routes = json.loads(text[text.index("{"):text.rindex("}") + 1])["routes"]
    files = {f for r in routes.values() if r.get("path") in JOURNEY_ROUTES for f in [r["module"], *r["imports"]]}
    return frozenset(name for f in sorted(files) for name in BUSY_NAME.findall(httpx.get(urljoin(base + "/", f), timeout=30).text))


def describe_sent(frame: str) -> str | None:
    """A socket.io frame a client sent, as one line of a journey's trace (None: engine.io pings)."""
    if frame.startswith(f"40{NAMESPACE},"):
        event = json.loads(frame[len(NAMESPACE) + 3:]).get("event") or {}
        hashes = (event.get("payload") or {}).get("hashes")
        return f"connect {_short(event.get('name', ''))} {event.get('router_data', {}).get('pathname', '')} " \
               f"hashes={type(hashes).__name__}"
    if frame.startswith(f"42{NAMESPACE},"):
        event = json.loads(frame[len(NAMESPACE) + 3:])[1]
        return f"event {_short(event.get('name', ''))} {event.get('router_data', {}).get('pathname', '')}"
    return None


def describe_http(method: str, path: str, status: int, location: str = "") -> str:
    """A page request (HTML or a redirect) or the login's cookie request, as one line of a journey's trace."""
    return f"http {method} {urlsplit(path).path} -> {status}" + (f" {urlsplit(location).path}" if location else "")


def _short(name: str) -> str:
    """`reflex___state____state.….login_state.start` -> `login_state.start`."""
    return ".".join(name.split(".")[-2:])


# --- measurements ---

@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    voter_ids: list[int] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)
    events_per_journey: list[int] = field(default_factory=list)  # events the server handled (frames sent)
    bytes_per_journey: list[int] = field(default_factory=list)  # socket frames received plus HTML pages
    started: int = 0
    abandoned: int = 0
    sent: int = 0  # events sent by every tab, finished journeys or not
    new_tokens: int = 0  # reconnects Reflex answered with a fresh tab token (see _read)

    def timed(self, name: str, seconds: float) -> None:
        self.latency.setdefault(name, []).append(seconds * 1000)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 10:
            self.error_samples.append(detail)

    @property
    def events(self) -> int:
        return sum(len(v) for k, v in self.latency.items() if not k.startswith("http "))

    def journey_done(self, tab: Tab) -> None:
        self.events_per_journey.append(tab.events)
        self.bytes_per_journey.append(tab.bytes_in)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def print_latency(stats: Stats) -> None:
    print(f"  {'event':<28}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, values in stats.latency.items():
        p = [percentile(values, q) for q in (50, 95, 99, 100)]
        print(f"  {name:<28}{len(values):>7}" + "".join(f"{v:>9.1f}" for v in p))


# --- the server's processes (CPU seconds and RSS from /proc) ---

def _listening_pids(port: int) -> set[int]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class ServerProcesses:
    """The server's process tree: the process listening on the port (or --server-pid), its reflex /
    granian ancestors, and every descendant (Granian workers)."""

    def __init__(self, root: int):
        self.root = root
        self.tick = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")

    @classmethod
    def find(cls, port: int, pid: int | None) -> ServerProcesses | None:
        if pid:
            return cls(pid)
        pids = _listening_pids(port)
        if not pids:
            return None
        root = min(pids)
        while True:
            parent = int(_stat(root)[1])
            if parent <= 1 or not re.search(r"reflex|granian|uvicorn", _cmdline(parent)):
                return cls(root)
            root = parent

    def tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                children.setdefault(int(_stat(int(stat.parent.name))[1]), []).append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def sample(self) -> tuple[float, int]:
        """(CPU seconds including reaped children, RSS bytes) summed over the tree."""
        cpu, rss = 0.0, 0
        for pid in self.tree():
            try:
                s = _stat(pid)
            except OSError:
                continue
            cpu += sum(int(v) for v in s[11:15]) / self.tick
            rss += int(s[21]) * self.page
        return cpu, rss

    def states_dir(self) -> Path:
        """Where the disk state manager keeps `.states/` (the server's working directory)."""
        try:
            return Path(os.readlink(f"/proc/{self.root}/cwd")) / ".states"
        except OSError:
            return ROOT / ".states"


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.glob("*") if f.is_file()) if path.is_dir() else 0


# --- the database: register voters, SMS codes, applications ---

@dataclass(frozen=True)
class Voter:
    id: int
    pin: str
    document: str
    phone: str


class Database:
    def __init__(self, url: str):
        self.engine = get_engine(url)

    def _rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def eligible_voters(self, limit: int) -> list[Voter]:
        """Register voters with an open demo election and no application for it yet, one per phone
        (the code is found by phone), none of README's demo voters."""
        rows = self._rows(
            """SELECT v.id, v.pin, v.document_number, v.phone FROM voter v
               JOIN election e ON e.territory_id = v.territory_id AND e.is_demo = :demo AND e.application_deadline >= :today
               WHERE NOT EXISTS (SELECT 1 FROM application a WHERE a.voter_id = v.id AND a.election_id = e.id)
                 AND v.phone IN (SELECT phone FROM voter GROUP BY phone HAVING COUNT(*) = 1)
               ORDER BY v.id LIMIT :limit""",
            demo=True, today=dt.date.today(), limit=limit + len(DEMO_VOTERS))
        readme = {pin for pin, *_ in DEMO_VOTERS}
        return [Voter(*row) for row in rows if row[1] not in readme][:limit]

    def sms_code(self, phone: str) -> str:
        rows = self._rows("SELECT body FROM outboxmessage WHERE recipient = :phone AND channel = 'sms' "
                          "ORDER BY id DESC LIMIT 1", phone=phone)
        match = CODE.search(rows[0][0]) if rows else None
        if not match:
            raise JourneyError("no SMS code in the outbox")
        return match.group(1)

    def application_count(self) -> int:
        return self._rows("SELECT COUNT(*) FROM application")[0][0]

    def _chunked(self, sql: str, values: list) -> list:
        rows = []
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            names = ", ".join(f":v{i}" for i in range(len(chunk)))
            rows += self._rows(sql.format(names), **{f"v{i}": v for i, v in enumerate(chunk)})
        return rows

    def check(self, before: int, stats: Stats) -> list[str]:
        """Problems, if any: applications lost (a reference the voter saw is missing) or duplicated."""
        new = self.application_count() - before
        found = {r[0] for r in self._chunked("SELECT reference FROM application WHERE reference IN ({})", stats.references)}
        doubles = self._chunked("SELECT voter_id FROM application WHERE voter_id IN ({}) GROUP BY voter_id "
                                "HAVING COUNT(*) > 1", stats.voter_ids)
        problems = []
        if new != len(stats.references):
            problems.append(f"{new} new applications for {len(stats.references)} finished journeys")
        if missing := set(stats.references) - found:
            problems.append(f"{len(missing)} references shown to voters are not in the database")
        if len(set(stats.references)) != len(stats.references):
            problems.append("a reference was shown to two journeys")
        if doubles:
            problems.append(f"{len(doubles)} voters have more than one application")
        return problems


# --- one browser tab over socket.io ---

@dataclass
class Reply:
    """What arrived for one event until the client took it as done."""
    events: list[dict] = field(default_factory=list)
    hydrated: bool = False  # the tab's state says hydrated (after this reply's updates so far)
    redirect: tuple[str, bool] | None = None  # (path, external)
    cookie_post: tuple[str, str] | None = None  # (path, JSON body) the page POSTs before it moves on


class Tab:
    source: str | None = None  # the local address to connect from (benchmarks.failover: a voter behind a balancer)

    def __init__(self, base: str, bundle: Bundle, stats: Stats, timeout: float):
        self.base, self.bundle, self.stats, self.timeout = base, bundle, stats, timeout
        self.token = str(uuid.uuid4())
        self.state: dict[str, dict] = {}
        self.cookies: dict[str, str] = {}
        self.path = ""
        self.events = 0  # events sent (a connect's hydrate_and_load included), as the server counts them
        self.bytes_in = 0
        self.trace: list[str] = []  # what this tab sent, as benchmarks.browser_frames records a browser
        self.ws = None
        self.http: httpx.AsyncClient | None = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None

    @property
    def route(self) -> str:
        """The page's route, without the trailing slash a full page load ends on."""
        return self.path.split("?")[0].rstrip("/") or "/"

    def var(self, state: str, name: str, default=None):
        return self.state.get(state, {}).get(f"{name}_rx_state_", default)

    # socket

    async def _connect(self, path: str) -> Reply:
        """A full page load: a new socket.io connection whose CONNECT carries hydrate_and_load."""
        await self.close()
        host = urlsplit(self.base)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self.ws = await connect(
            f"{'wss' if host.scheme == 'https' else 'ws'}://{host.netloc}/_event/?token={self.token}&EIO=4&transport=websocket",
            origin=self.base, additional_headers=headers, subprotocols=[self.bundle.version],
            open_timeout=self.timeout, ping_interval=None, max_size=None,
            **({"local_addr": (self.source, 0)} if self.source else {}),
        )
        opening = await self.ws.recv()
        if not opening.startswith("0{"):
            raise JourneyError(f"engine.io open: {opening[:100]}")
        self.queue = asyncio.Queue()
        self.reader = asyncio.create_task(self._read(self.ws, self.queue, self))
        self.path, self.state = path, {}  # a full page load starts from the initial state
        auth = {"event": {"name": HYDRATE, "payload": {"hashes": self.bundle.hashes}, "router_data": self._router()},
                "state_schema": self.bundle.state_schema}
        return await self._send(f"40{NAMESPACE},{json.dumps(auth)}", self._page_done)

    @staticmethod
    async def _read(ws, queue: asyncio.Queue, tab: Tab) -> None:
        try:
            async for frame in ws:
                tab.bytes_in += len(frame)
                if frame == "2":  # engine.io ping
                    await ws.send("3")
                elif frame.startswith(f"42{NAMESPACE},"):
                    name, *data = json.loads(frame[len(NAMESPACE) + 3:])
                    if name == "new_token" and data:
                        # The old socket of this tab is still registered (on another worker): Reflex
                        # gives the tab a fresh token, and the browser keeps it from then on.
                        queue.put_nowait({"new_token": data[0]})
                    else:  # Reflex's updates are "event"; anything else ends the journey, named.
                        queue.put_nowait(data[0] if name == "event" and data and isinstance(data[0], dict)
                                         else {"refused": f"unexpected socket.io event: {frame[:300]}"})
                elif frame.startswith((f"44{NAMESPACE},", f"41{NAMESPACE}")):  # refused, disconnected
                    queue.put_nowait({"refused": frame})
        except Exception as exc:  # the journey sees the closed socket
            queue.put_nowait({"closed": repr(exc)})
        queue.put_nowait({"closed": "socket closed"})

    async def close(self, http: bool = False) -> None:
        """The socket (a new page load drops it); with `http`, the tab's HTTP connection too."""
        if http and self.http is not None:
            await self.http.aclose()
            self.http = None
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        if self.reader is not None:
            await self.reader
            self.reader = None

    def _router(self) -> dict:
        return {"pathname": self.path, "asPath": self.path}

    def _take(self, update: dict, reply: Reply) -> None:
        if "new_token" in update:
            self.token = update["new_token"]
            self.stats.new_tokens += 1
            return
        if "closed" in update or "refused" in update:
            raise JourneyError(update.get("closed") or update.get("refused"))
        for state, values in update.get("delta", {}).items():
            self.state.setdefault(state, {}).update(values)
        reply.hydrated = bool(self.var(BASE, "is_hydrated"))
        for event in update.get("events", []):
            reply.events.append(event)
            name, payload = event.get("name"), event.get("payload", {})
            if name == "_redirect":
                reply.redirect = (payload["path"], bool(payload.get("external")))
            elif name == "_call_script":
                code = payload.get("javascript_code", "")
                if cookie := COOKIE_SCRIPT.search(code):
                    self.cookies[cookie.group(1)] = cookie.group(2)
                if post := FETCH_SCRIPT.search(code):
                    reply.cookie_post = (post.group(1), json.loads(post.group(2)))
                    reply.redirect = (post.group(3), False)
                elif target := LOCATION_SCRIPT.search(code):
                    reply.redirect = (target.group(1), True)
            elif "error" in json.dumps(payload).lower():
                raise JourneyError(f"backend error event {name}")
        if self.var(APP, "has_errors"):
            raise JourneyError(f"form errors: {self.var(APP, 'errors')}")

    @staticmethod
    def _page_done(reply: Reply) -> bool:
        # A page is ready when hydrated (after its on_load handlers and their page script, if it has
        # any: set_is_hydrated comes last), or it moved on.
        return reply.hydrated or reply.redirect is not None

    async def _send(self, frames: str | list[str], done) -> Reply:
        """Send the frames back to back (as the browser drains its event queue), then read until `done`."""
        while not self.queue.empty():  # late frames of the previous event
            self._take(self.queue.get_nowait(), Reply())
        reply = Reply()
        for frame in [frames] if isinstance(frames, str) else frames:
            await self.ws.send(frame)
            self.trace.append(describe_sent(frame))
            self.events += 1
            self.stats.sent += 1
        async with asyncio.timeout(self.timeout):
            while not done(reply):
                self._take(await self.queue.get(), reply)
        return reply

    async def _timed(self, name: str, coro) -> Reply:
        start = time.perf_counter()
        try:
            reply = await coro
        except TimeoutError:
            raise JourneyError(f"{name}: no answer in {self.timeout:g} s") from None
        self.stats.timed(name, time.perf_counter() - start)  # answered events only
        return reply

    # what a voter does

    async def open(self, path: str) -> Reply:
        """A full page load as the browser does it: the page's HTML (following the static server's
        trailing-slash redirect), then the socket."""
        path = await self._html(path)
        return await self._timed(f"page {path.rstrip('/') or '/'} (connect)", self._connect(path))

    def _client(self) -> httpx.AsyncClient:
        if self.http is None:  # one keep-alive connection per tab, as a browser keeps one
            self.http = httpx.AsyncClient(base_url=self.base, timeout=self.timeout, verify=TLS,
                                          transport=httpx.AsyncHTTPTransport(verify=TLS, local_address=self.source))
        return self.http

    async def _get(self, path: str) -> httpx.Response:
        client = self._client()
        client.cookies = self.cookies
        response = await client.get(path)
        self.cookies = {cookie.name: cookie.value for cookie in client.cookies.jar}
        self.trace.append(describe_http("GET", path, response.status_code, response.headers.get("location", "")))
        return response

    async def _post_ticket(self, path: str, body: str) -> None:
        """The login page's fetch: a same-origin JSON POST with the tab's cookies, as Chromium sends it;
        the answer sets the session cookie and the tab stays on its socket."""
        start = time.perf_counter()
        client = self._client()
        client.cookies = self.cookies
        response = await client.post(path, content=body, headers={
            "Content-Type": "application/json", "Origin": self.base, "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"})
        self.cookies = {cookie.name: cookie.value for cookie in client.cookies.jar}
        self.bytes_in += len(response.content)
        self.trace.append(describe_http("POST", path, response.status_code))
        if response.status_code != 204:
            raise JourneyError(f"{urlsplit(path).path}: HTTP {response.status_code} for the login's ticket")
        self.stats.timed("http /auth/* (cookie)", time.perf_counter() - start)

    async def _html(self, path: str) -> str:
        """GET the page's HTML; the path the browser ends up on (`/cabinet` -> `/cabinet/`)."""
        start = time.perf_counter()
        for _ in range(3):
            response = await self._get(path)
            self.bytes_in += len(response.content)
            if not response.is_redirect:
                break
            target = urlsplit(urljoin(self.base + path, response.headers["location"]))
            path = target.path + (f"?{target.query}" if target.query else "")
        if response.status_code != 200:
            raise JourneyError(f"{path}: HTTP {response.status_code} for the page")
        self.stats.timed("http page HTML", time.perf_counter() - start)
        return path

    async def navigate(self, path: str) -> Reply:
        """A client-side navigation: on_load_internal for the new route on the same socket. As the
        browser does, the page is not hydrated until the server says so."""
        self.path = path
        self.state.setdefault(BASE, {})["is_hydrated_rx_state_"] = False
        event = {"name": ON_LOAD, "router_data": self._router()}
        return await self._timed(f"page {path}", self._send(f"42{NAMESPACE},{json.dumps(['event', event])}", self._page_done))

    def _frame(self, name: str, payload: dict | None) -> str:
        event = {"name": name, **({"payload": payload} if payload is not None else {}), "router_data": self._router()}
        return f"42{NAMESPACE},{json.dumps(['event', event])}"

    async def call(self, state: str, handler: str, payload: dict | None, done) -> Reply:
        return await self._timed(handler, self._send(self._frame(f"{state}.{handler}", payload), done))

    async def submit(self, form_name: str, state: str, handler: str, payload: dict | None, done) -> Reply:
        """A form's submit: wrapped in begin_busy / end_busy when the built page does that; done when
        `done` holds and the busy mark is cleared again."""
        if form_name not in self.bundle.busy:
            return await self.call(state, handler, payload, done)
        frames = [self._frame(f"{APP}.begin_busy", {"name": form_name}), self._frame(f"{state}.{handler}", payload),
                  self._frame(f"{APP}.end_busy", None)]
        seen = []

        def finished(reply: Reply) -> bool:
            seen.append(self.var(APP, "busy", ""))
            return done(reply) and form_name in seen and seen[-1] == ""

        return await self._timed(handler, self._send(frames, finished))

    async def follow(self, reply: Reply) -> None:
        """Go where the server sent the browser: an /auth/* HTTP hop (sets a cookie, then a new socket
        with it), a full page load, or a client-side navigation (after the login page's POST of its
        ticket, when it made one)."""
        if reply.redirect is None:
            raise JourneyError(f"{self.path}: expected a redirect")
        if reply.cookie_post is not None:
            await self._post_ticket(*reply.cookie_post)
        target, external = reply.redirect
        url = urlsplit(urljoin(self.base + self.path, target))
        if url.netloc and url.netloc != urlsplit(self.base).netloc:
            raise JourneyError(f"redirect off the site: {url.netloc}")
        path = url.path + (f"?{url.query}" if url.query else "")
        if url.path.startswith("/auth/"):
            await self.close()  # the browser leaves the page before the hop
            await self.open(await self._http_hop(path))
        elif external:
            await self.open(path)
        else:
            await self.navigate(path)

    async def _http_hop(self, path: str) -> str:
        """GET an HTTP login route, keep its cookies, follow its redirects to the page to load."""
        start = time.perf_counter()
        for _ in range(5):
            response = await self._get(path)
            if not response.is_redirect:
                raise JourneyError(f"{urlsplit(path).path}: HTTP {response.status_code}, expected a redirect")
            target = urlsplit(urljoin(self.base + path, response.headers["location"]))
            path = target.path + (f"?{target.query}" if target.query else "")
            if not target.path.startswith("/auth/"):
                self.stats.timed("http /auth/* (cookie)", time.perf_counter() - start)
                return path
        raise JourneyError("too many redirects under /auth/")


def form(**fields) -> dict:
    return {"form_data": {"__reflex_form_data__": [[k, v] for k, v in fields.items()]}}


def form_choice(tab: Tab, voter: Voter) -> tuple[str, str]:
    """The election (the form's own, or the first offered) and a precinct spread by voter, on /apply."""
    options = tab.var(APPLY, "election_options", [])
    election = tab.var(APPLY, "election_id") or (options[0]["id"] if options else "")
    precincts = tab.var(APPLY, "precinct_items", [])
    if not election or not precincts:
        raise JourneyError("/apply: no open election or no precincts")
    return election, precincts[voter.id % len(precincts)]["id"]


def redirected(reply: Reply) -> bool:
    return reply.redirect is not None


# --- the run ---

@dataclass
class Run:
    base: str
    bundle: Bundle
    db: Database
    voters: list[Voter]
    think: tuple[float, float]
    timeout: float
    stats: Stats = field(default_factory=Stats)
    deadline: float | None = None  # --duration: journeys in progress stop at a step boundary
    limit: int | None = None  # --journeys
    _pool: itertools.count = field(default_factory=itertools.count)

    def next_voter(self) -> Voter | None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return None
        index = next(self._pool)
        if index >= len(self.voters) or (self.limit is not None and index >= self.limit):
            return None
        return self.voters[index]

    async def pause(self) -> None:
        if self.think[1] > 0:
            wait = random.uniform(*self.think)
            if self.deadline is not None:
                wait = min(wait, max(0.0, self.deadline - time.monotonic()))
            await asyncio.sleep(wait)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise Abandoned

    async def journey(self, tab: Tab, voter: Voter) -> str:
        await tab.open("/")
        await self.pause()
        await tab.navigate("/login")
        await self.pause()
        await tab.submit("get-code", LOGIN, "start", form(pin=voter.pin, document=voter.document),
                       lambda r: tab.var(LOGIN, "step") == "code")
        code = await asyncio.to_thread(self.db.sms_code, voter.phone)
        await self.pause()
        await tab.follow(await tab.submit("verify-code", LOGIN, "verify", form(code=code), redirected))
        if tab.route == "/cabinet":  # today's login lands in the cabinet; "Подать заявление" opens the form
            await self.pause()
            await tab.follow(await tab.call(APPLY, "start_new", None, redirected))
        if tab.route != "/apply":
            raise JourneyError(f"after login: {tab.path}, expected /apply or /cabinet")
        election, precinct = form_choice(tab, voter)
        await self.pause()
        await tab.call(APPLY, "choose_precinct", {"precinct_id": precinct},
                       lambda r: tab.var(APPLY, "precinct_id") == precinct)
        await self.pause()
        fields = form(election=election, precinct=precinct, email=f"voter{voter.id}@example.kg",
                      phone=tab.var(APPLY, "phone") or voter.phone, consent=True)
        await tab.follow(await tab.submit("continue", APPLY, "review_answers", fields, redirected))
        await self.pause()
        reply = await tab.submit("confirm", APPLY, "confirm", None, redirected)
        reference = tab.var(APPLY, "confirmation", {}).get("reference", "")
        await tab.follow(reply)
        if tab.route != "/confirmation" or not reference:
            raise JourneyError(f"after confirm: {tab.path}, reference {reference!r}")
        return reference

    async def voter_loop(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while (voter := self.next_voter()) is not None:
            self.stats.started += 1
            tab = Tab(self.base, self.bundle, self.stats, self.timeout)
            try:
                reference = await self.journey(tab, voter)
                self.stats.references.append(reference)
                self.stats.voter_ids.append(voter.id)
                self.stats.finished_at.append(time.monotonic())
                self.stats.journey_done(tab)
            except Abandoned:
                self.stats.abandoned += 1
            except JourneyError as exc:
                self.stats.voter_ids.append(voter.id)
                self.stats.error(str(exc).split(":")[0], str(exc))
            except Exception as exc:  # socket closed, refused, ...: counted, and the voter goes on
                self.stats.voter_ids.append(voter.id)
                self.stats.error(type(exc).__name__, str(exc))
            finally:
                with suppress(Exception):
                    await tab.close(http=True)


async def trivial(base: str, bundle: Bundle, handler: str, clients: int, seconds: float, timeout: float) -> Stats:
    """Each client opens / once, then, all together, sends the trivial event back to back."""
    stats, warm = Stats(), Stats()  # the page loads are not part of the trivial rate
    opened, go = asyncio.Semaphore(0), asyncio.Event()
    end = 0.0

    async def client() -> None:
        tab = Tab(base, bundle, warm, timeout)
        try:
            try:
                await tab.open("/")
            finally:
                opened.release()
            await go.wait()
            tab.stats = stats
            while time.monotonic() < end:
                await tab.call(APP, handler, TRIVIAL[handler], lambda r: any(e.get("name") == "_call_script" for e in r.events))
        except Exception as exc:
            stats.error(type(exc).__name__, str(exc))
        finally:
            await tab.close(http=True)

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    for _ in range(clients):
        await opened.acquire()
    end = time.monotonic() + seconds
    go.set()
    await asyncio.gather(*tasks)
    return stats


async def floor(base: str, bundle: Bundle, clients: int, seconds: float, timeout: float) -> tuple[Stats, int]:
    """The framework's share of a journey: runs of the journey's shape (two page loads, ten events)
    whose events do nothing (page_ready), back to back. What no change to the service's own code
    can take below."""
    stats, done, end = Stats(), [0], time.monotonic() + seconds

    def answered(reply: Reply) -> bool:
        return any(e.get("name") == "_call_script" for e in reply.events)

    async def client() -> None:
        while time.monotonic() < end:
            tab = Tab(base, bundle, stats, timeout)
            try:
                for _page in range(2):
                    await tab.open("/")
                    for _event in range(5):
                        await tab.call(APP, "page_ready", None, answered)
                done[0] += 1
            except Exception as exc:
                stats.error(type(exc).__name__, str(exc))
                return
            finally:
                await tab.close(http=True)

    await asyncio.gather(*(client() for _ in range(clients)))
    return stats, done[0]


def parse_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


async def measure(args, base: str, db: Database, server: ServerProcesses | None) -> int:
    bundle = read_bundle(base)
    wanted = args.journeys or int(args.voters * 20 + args.duration * 200)
    voters = db.eligible_voters(wanted)
    if len(voters) < (args.journeys or args.voters):
        raise SystemExit(f"only {len(voters)} register voters can still apply; seed more (--seed-voters) or use a fresh DB")
    run = Run(base, bundle, db, voters, parse_range(args.think), args.timeout, limit=args.journeys or None)
    mode = f"{args.journeys} journeys" if args.journeys else f"{args.duration:.0f} s"
    print(f"load: {args.voters} voters, {mode}, think {args.think} s, ramp {args.ramp:.0f} s, {base}, "
          f"db {db.engine.url.get_backend_name()}, {len(voters)} register voters available; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    applications_before = db.application_count()
    states = server.states_dir() if server else None
    cpu0, rss0 = server.sample() if server else (0.0, 0)
    disk0 = dir_bytes(states) if states else 0
    client0 = time.process_time()
    start = time.monotonic()
    if not args.journeys:
        run.deadline = start + args.duration
    await asyncio.gather(*(run.voter_loop(i * args.ramp / args.voters) for i in range(args.voters)))
    elapsed = time.monotonic() - start
    client_cpu = time.process_time() - client0
    await asyncio.sleep(2)  # tabs closed; let the server settle before reading memory
    cpu1, rss1 = server.sample() if server else (0.0, 0)
    disk1 = dir_bytes(states) if states else 0
    stats = run.stats
    finished = len(stats.references)
    table: dict[str, str] = {"journeys/s": f"{finished / elapsed:.1f}"}

    print(f"journeys: {finished} finished, {stats.abandoned} stopped at the deadline, {sum(stats.errors.values())} errors, "
          f"in {elapsed:.1f} s: {finished / elapsed:.1f} journeys/s, {stats.events / elapsed:.0f} events/s")
    if stats.new_tokens:
        print(f"  {stats.new_tokens} reconnects got a fresh tab token (the tab's old socket still registered on another worker)")
    print_latency(stats)
    per_journey = sum(stats.events_per_journey) / finished if finished else 0
    if finished:
        table["events per journey"] = f"{per_journey:.1f}"
        table["KB received per journey (socket + HTML)"] = f"{sum(stats.bytes_per_journey) / finished / 1024:.1f}"
    journey_cpu = 0.0
    if server and stats.events:
        cpu = cpu1 - cpu0
        # The run's CPU shared by event, times a finished journey's events (journeys stopped at the deadline
        # did part of the work).
        journey_cpu = cpu / stats.sent * per_journey * 1000
        table["server CPU per journey, ms"] = f"{journey_cpu:.1f}"
        print(f"server CPU: {cpu:.2f} s for {stats.sent} events = {cpu / stats.sent * 1000:.2f} ms/event, "
              f"{journey_cpu:.1f} ms per journey ({per_journey:.0f} events); "
              f"client CPU {client_cpu:.1f} s")
        tabs = finished + stats.abandoned + sum(stats.errors.values())
        print(f"server RSS: {mb(rss0)} before, {mb(rss1)} after ({(rss1 - rss0) / 1024 / max(tabs, 1):+.0f} KB per closed tab, "
              f"{tabs} tabs)" + (f"; {states}: {mb(disk0)} before, {mb(disk1)} after "
                                 f"({(disk1 - disk0) / 1024 / max(tabs, 1):+.0f} KB per closed tab)" if states.is_dir() else ""))
    elif not server:
        print("server CPU / RSS: no local process listens on that port (use --server-pid)")
    for sample in stats.error_samples:
        print(f"  error: {sample}")

    problems = db.check(applications_before, stats)
    print(f"database: {db.application_count() - applications_before} new applications, {finished} finished journeys: "
          + ("; ".join(problems) if problems else "nothing lost or duplicated"))

    if args.trivial > 0:
        cpu0, _ = server.sample() if server else (0.0, 0)
        client0 = time.process_time()
        t0 = time.monotonic()
        small = await trivial(base, bundle, args.trivial_event, args.voters, args.trivial, args.timeout)
        t_elapsed = time.monotonic() - t0
        cpu1, _ = server.sample() if server else (0.0, 0)
        rate = small.events / args.trivial
        print(f"trivial: {small.events} {args.trivial_event} events from {args.voters} clients in {args.trivial:.0f} s "
              f"= {rate:.0f} events/s"
              + (f", server CPU {(cpu1 - cpu0) / max(small.events, 1) * 1000:.2f} ms/event (incl. {args.voters} page loads)"
                 if server else "") + f"; client CPU {time.process_time() - client0:.1f} s [{t_elapsed:.0f} s]")
        print_latency(small)
        for sample in small.error_samples:
            print(f"  error: {sample}")
        stats.errors.update({f"trivial {k}": v for k, v in small.errors.items()})
        if rate:
            print(f"ratio: journey events/s / trivial events/s = {stats.events / elapsed / rate:.2f}"
                  + (" (with think time this is the offered load, not capacity)" if run.think[1] else ""))

    if args.floor > 0 and server:
        cpu0, _ = server.sample()
        empty, runs = await floor(base, bundle, args.voters, args.floor, args.timeout)
        cpu1, _ = server.sample()
        if runs:
            floor_ms = (cpu1 - cpu0) / runs * 1000
            print(f"floor: {runs} journey-shaped runs of 2 page loads and 10 events that do nothing, from {args.voters} "
                  f"clients in {args.floor:.0f} s: server CPU {floor_ms:.1f} ms per run")
            table["floor's CPU per run (same run), ms"] = f"{floor_ms:.1f}"
            if journey_cpu:
                table["journey CPU / floor CPU"] = f"{journey_cpu / floor_ms:.2f}"
        for sample in empty.error_samples:
            print(f"  error: {sample}")
        stats.errors.update({f"floor {k}": v for k, v in empty.errors.items()})

    if args.settle > 0 and server:
        more, per_tab = await closed_tab_memory(args, run, db, server)
        problems += more
        table["memory per closed tab, KB"] = f"{per_tab:+.1f}"
    for name, values in stats.latency.items():
        table[f"p95 {name}, ms"] = f"{percentile(values, 95):.0f}"
    print_table(table, args, server)

    failed = bool(problems or stats.errors or (not finished))
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


def print_table(table: dict[str, str], args, server: ServerProcesses | None) -> None:
    """The run's figures in one Markdown table (docs/performance.md keeps them)."""
    profile = f"production, {args.workers} workers" if args.workers else "embedded default" if args.start else "given server"
    print(f"\n| {profile}, {args.voters} voters, think {args.think} s, {dt.datetime.now():%Y-%m-%d %H:%M}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} | |\n|---|---:|")
    for name, value in table.items():
        print(f"| {name} | {value} |")
    print()


async def closed_tab_memory(args, first: Run, db: Database, server: ServerProcesses) -> tuple[list[str], float]:
    """What a finished journey's tab keeps once the server has dropped it (web/closed_tabs.py): the
    RSS after a second round of journeys and another wait, against the RSS after the first round's
    wait. Freed memory is reused, so this is what stays, not what the allocator has not returned."""
    await asyncio.sleep(args.settle)
    _, rss_a = server.sample()
    second = Run(first.base, first.bundle, db, first.voters[next(first._pool):], first.think, first.timeout)
    before = db.application_count()
    second.deadline = time.monotonic() + args.duration
    await asyncio.gather(*(second.voter_loop(i * args.ramp / args.voters) for i in range(args.voters)))
    await asyncio.sleep(args.settle)
    _, rss_b = server.sample()
    stats = second.stats
    tabs = len(stats.references) + stats.abandoned + sum(stats.errors.values())
    per_tab = (rss_b - rss_a) / 1024 / max(tabs, 1)
    print(f"after the grace: a second round of {tabs} tabs, each closed {args.settle:.0f} s before the reading: "
          f"RSS {mb(rss_a)} -> {mb(rss_b)} ({per_tab:+.1f} KB per closed tab)")
    problems = db.check(before, stats) + [f"second round: {n} × {kind}" for kind, n in stats.errors.items()]
    for sample in stats.error_samples:
        print(f"  error: {sample}")
    return problems, per_tab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=20, help="simulated voters at once (default 20)")
    parser.add_argument("--journeys", type=int, default=0, help="stop after this many journeys (instead of --duration)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load; journeys in progress then stop")
    parser.add_argument("--think", default="0", help="MIN-MAX seconds between a voter's steps (default 0)")
    parser.add_argument("--ramp", type=float, default=0, help="seconds over which the voters start")
    parser.add_argument("--trivial", type=float, default=10, help="seconds of the trivial-event run (0: none)")
    parser.add_argument("--floor", type=float, default=10,
                        help="seconds of journey-shaped runs whose events do nothing: the framework's CPU per journey (0: none)")
    parser.add_argument("--trivial-event", choices=sorted(TRIVIAL), default="page_ready", help="the trivial handler")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for one event's answer")
    parser.add_argument("--url", default="http://localhost:3000", help="a running server")
    parser.add_argument("--db-url", default=os.environ.get("REFLEX_DB_URL") or f"sqlite:///{ROOT / 'remote_vote.db'}",
                        help="the server's database (SMS codes, register voters, the final check)")
    parser.add_argument("--server-pid", type=int, help="the server's root process (default: found by the port)")
    parser.add_argument("--start", action="store_true", help="start the embedded server on a free port with a fresh SQLite DB")
    parser.add_argument("--seed-voters", type=int, default=5000, help="register size for --start")
    parser.add_argument("--settle", type=float, default=0,
                        help="then wait this long (more than the server's TAB_GRACE_SECONDS and a sweep), run the "
                             "journeys again, wait again: the memory a closed tab keeps (with --start the grace is 10 s)")
    parser.add_argument("--workers", type=int, default=0,
                        help="with --start: the production profile (own PostgreSQL + Redis) with this many workers")
    args = parser.parse_args()

    with ExitStack() as stack:
        if args.start:
            db_path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rv-load-"))) / "load.db"
            if args.workers:
                from tests.support import services

                os.environ["TEST_DATABASE_URL"], _root = stack.enter_context(services.postgres())
                os.environ["REFLEX_REDIS_URL"] = os.environ["RATE_LIMIT_STORAGE_URI"] = stack.enter_context(services.redis())
                os.environ["E2E_WORKERS"] = str(args.workers)
            # Every simulated voter comes from 127.0.0.1: the per-client login limits would refuse them.
            env = app_env(db_path, LOGIN_LIMIT_PER_CLIENT="1000000/hour", LOGIN_LIMIT_PER_PIN="1000/minute",
                          LOGIN_THROTTLE_TIERS="1000/minute", LOGIN_THROTTLE_CEILING="1000000/day",
                          **({"TAB_GRACE_SECONDS": "10"} if args.settle else {}))
            profile = f"production profile, {args.workers} workers" if args.workers else f"embedded server on {db_path}"
            print(f"starting the {profile} ({args.seed_voters} voters)", flush=True)
            prepare_database(env, voters=args.seed_voters)
            args.db_url = env["REFLEX_DB_URL"]
            base = stack.enter_context(running_app(env))
        else:
            if args.db_url.startswith("sqlite") and not Path(sa.engine.make_url(args.db_url).database or "").is_file():
                raise SystemExit(f"{args.db_url}: no such database file (give the server's --db-url)")
            base = args.url.rstrip("/")
        server = ServerProcesses.find(urlsplit(base).port or 80, args.server_pid)
        status = asyncio.run(measure(args, base, Database(args.db_url), server))
    sys.exit(status)


if __name__ == "__main__":
    main()
