"""The load benchmark's client decisions (no server): redirects, the /auth/* cookie hop and POST, the database check."""

import asyncio
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from benchmarks.load import BASE, Bundle, Database, Reply, Stats, Tab
from remote_vote_app.demo.seed import DEMO_VOTERS
from remote_vote_app.services.identity import sessions
from remote_vote_app.services.identity.sessions import Started
from remote_vote_app.state.navigation import cookie_then_go
from tests.support.states import scripts


def _tab(base: str = "http://localhost:1") -> Tab:
    return Tab(base, Bundle([], "", "0"), Stats(), timeout=5)


def _script(code: str) -> dict:
    return {"events": [{"name": "_call_script", "payload": {"javascript_code": code}}]}


def test_a_location_script_is_a_redirect_and_hydration_ends_a_page_load():
    tab, reply = _tab(), Reply()
    tab._take(_script("window.location.assign(\"/auth/session?ticket=t&next=/apply\")"), reply)
    assert reply.redirect == ("/auth/session?ticket=t&next=/apply", True)

    reply = Reply()  # a login: the ticket's binding cookie first, then the visit
    tab._take(_script('document.cookie = "__Host-rv_bind_ab12=n0nce; path=/; secure"; '
                      'window.location.replace("/auth/session?ticket=t")'), reply)
    assert reply.redirect == ("/auth/session?ticket=t", True) and tab.cookies == {"__Host-rv_bind_ab12": "n0nce"}

    reply = Reply()  # the voter's login today: the binding cookie, the page's POST, then on client-side
    tab._take(_script(scripts(cookie_then_go("voter", Started(1, "t-1", "n0nce"), "/apply"))), reply)
    assert reply.cookie_post == ("/auth/session", '{"kind": "voter", "ticket": "t-1"}')
    assert reply.redirect == ("/apply", False) and sessions.binding_cookie("t-1") in tab.cookies

    reply = Reply()
    tab._take(_script("document.documentElement.lang = 'ru'"), reply)
    assert reply.redirect is None and not Tab._page_done(reply)  # the page script came, not hydrated yet
    tab._take({"delta": {BASE: {"is_hydrated_rx_state_": True}}}, reply)
    assert reply.redirect is None and Tab._page_done(reply)


def test_a_client_side_navigation_waits_for_the_new_page_to_be_hydrated():
    """As the browser, a navigation marks the page not hydrated: the previous page's flag does not end
    it, the server's answer to on_load_internal does (a page without on_load sends no page script)."""
    tab, seen = _tab(), []
    tab.state = {BASE: {"is_hydrated_rx_state_": True}}  # the page the tab was on

    async def send(frames, done):
        reply = Reply()
        tab._take({"delta": {"reflex___state____state.other": {"x_rx_state_": 1}}}, reply)
        seen.append(done(reply))
        tab._take({"delta": {BASE: {"is_hydrated_rx_state_": True}}}, reply)
        seen.append(done(reply))
        return reply

    tab._send = send
    asyncio.run(tab.navigate("/apply/check"))
    assert seen == [False, True] and tab.route == "/apply/check"


def test_an_auth_redirect_goes_over_http_then_reconnects_with_its_cookie():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(303)
            self.send_header("Set-Cookie", "rv_voter=opaque; HttpOnly; Path=/; SameSite=Lax")
            self.send_header("Location", "/apply")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tab = _tab(f"http://127.0.0.1:{server.server_port}")
    opened, navigated = [], []

    async def open_(path):
        opened.append((path, dict(tab.cookies), tab.token))

    async def navigate(path):
        navigated.append(path)

    tab.open, tab.navigate = open_, navigate
    token = tab.token
    try:
        asyncio.run(tab.follow(Reply(redirect=("/auth/session?ticket=t&next=/apply", False))))
        asyncio.run(tab.follow(Reply(redirect=("/cabinet", False))))  # today's login: same socket
    finally:
        server.shutdown()
    assert opened == [("/apply", {"rv_voter": "opaque"}, token)]
    assert navigated == ["/cabinet"]


def test_the_login_pages_ticket_post_is_sent_as_chromium_sends_it_and_the_tab_keeps_its_socket():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.send_header("Set-Cookie", "rv_voter=opaque; HttpOnly; Path=/; SameSite=Strict")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    tab = _tab(base)
    tab.cookies = {"rv_bind_1": "n0nce"}
    opened, navigated = [], []

    async def open_(path):
        opened.append(path)

    async def navigate(path):
        navigated.append((path, dict(tab.cookies)))

    tab.open, tab.navigate = open_, navigate
    try:
        asyncio.run(tab.follow(Reply(redirect=("/apply", False), cookie_post=("/auth/session", '{"ticket": "t"}'))))
    finally:
        server.shutdown()
    path, headers, body = seen[0]
    assert (path, body) == ("/auth/session", b'{"ticket": "t"}') and headers["Cookie"] == "rv_bind_1=n0nce"
    assert {k: headers[k] for k in ("Content-Type", "Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode")} == {
        "Content-Type": "application/json", "Origin": base, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
    assert opened == [] and navigated == [("/apply", {"rv_bind_1": "n0nce", "rv_voter": "opaque"})]
    assert tab.trace == ["http POST /auth/session -> 204"]


def test_the_database_check_finds_a_lost_application():
    db = Database(os.environ["REFLEX_DB_URL"])
    voters = db.eligible_voters(50)
    assert len(voters) == 50 and len({v.phone for v in voters}) == 50
    assert not {v.pin for v in voters} & {row[0] for row in DEMO_VOTERS}
    stats = Stats(references=["XXXX-XXXX"], voter_ids=[voters[0].id])
    problems = db.check(db.application_count(), stats)
    assert any("0 new applications for 1 finished" in p for p in problems)
    assert any("not in the database" in p for p in problems)
