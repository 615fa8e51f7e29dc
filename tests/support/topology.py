"""The reference deployment on one machine: two app nodes behind HAProxy (deploy/haproxy.cfg).

Each node is what one machine runs: `python -m remote_vote_app.prod` (`make run-prod`) in a process
group of its own, with its own port, frontend build and Granian workers, against the PostgreSQL and
Redis of REFLEX_DB_URL / REFLEX_REDIS_URL. The balancer is Debian's `haproxy` with the committed
configuration file, its ports given through the environment variables the file reads.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx

from tests.support.server import ROOT, SERVERS, free_port, running_app

CONFIG = ROOT / "deploy" / "haproxy.cfg"
NODES = ("node1", "node2")  # the servers the configuration file names


@dataclass
class Topology:
    url: str  # the balancer: the only address voters use
    stats_url: str
    nodes: dict[str, str]  # server name -> the node's own URL

    def status(self) -> dict[str, str]:
        """HAProxy's view of each node (`UP`, `DOWN`, ...), from its statistics page."""
        rows = csv.DictReader(io.StringIO(httpx.get(f"{self.stats_url}/;csv", timeout=5).text.lstrip("# ")))
        return {row["svname"]: row["status"].split()[0] for row in rows if row["svname"] in self.nodes}

    def wait_for(self, wanted: dict[str, str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (seen := self.status()) != wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"the balancer sees {seen}, expected {wanted}")
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        """The machine dies: its whole process group (prod.py, reflex, Granian and its workers)."""
        os.killpg(SERVERS[self.nodes[name]].pid, signal.SIGKILL)


def node_env(env: dict[str, str], public_url: str) -> dict[str, str]:
    """A node behind the balancer: the voter's address from X-Forwarded-For (one trusted hop), links
    and the event socket's allowed origin are the balancer's."""
    origin = urlsplit(public_url)
    return {**env, "TRUSTED_PROXY_HOPS": "1", "PUBLIC_URL": public_url,
            "CORS_ALLOWED_ORIGINS": f"{public_url},{origin.scheme}://127.0.0.1:{origin.port}"}


@contextmanager
def balancer(nodes: dict[str, str], port: int | None = None) -> Iterator[tuple[str, str]]:
    """HAProxy with deploy/haproxy.cfg in front of `nodes` (server name -> URL): (url, stats url)."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port, stats = port or free_port(), free_port()
    env = {**os.environ, "LB_BIND": f"127.0.0.1:{port}", "LB_STATS_BIND": f"127.0.0.1:{stats}",
           **{name.upper(): urlsplit(url).netloc.replace("localhost", "127.0.0.1") for name, url in nodes.items()}}
    log = open(Path(tempfile.gettempdir()) / f"rv-haproxy-{port}.log", "w")
    proc = subprocess.Popen([haproxy, "-W", "-db", "-f", str(CONFIG)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    stats_url = f"http://127.0.0.1:{stats}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"haproxy exited; see {log.name}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{stats_url}/;csv", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start; see {log.name}")
            time.sleep(0.1)
        yield f"http://localhost:{port}", stats_url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


@contextmanager
def two_nodes(env: dict[str, str], web_dir: str) -> Iterator[Topology]:
    """Both nodes started one after the other (as two machines' first deployment would: the first one
    migrates), each building its frontend into `web_dir`-nodeN, then the balancer; yields once the
    balancer's health checks see both up."""
    port = free_port()
    public = f"http://localhost:{port}"
    with ExitStack() as stack:
        nodes = {}
        for name in NODES:
            node = {**node_env(env, public), "REFLEX_WEB_WORKDIR": f"{web_dir}-{name}"}
            nodes[name] = stack.enter_context(running_app(node, command=[sys.executable, "-m", "remote_vote_app.prod"]))
        url, stats = stack.enter_context(balancer(nodes, port))
        topology = Topology(url, stats, nodes)
        topology.wait_for({name: "UP" for name in NODES})
        yield topology
