"""Run tests/oidc/provider.mjs, a real OpenID Connect provider (npm oidc-provider), for the eID tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from tests.support.server import free_port

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"


@contextmanager
def running_oidc_provider(redirect_uri: str) -> Iterator[str]:
    """Start the provider on a free port with one redirect URI; yield its issuer URL; stop it after."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("Node.js and npm are needed for the OpenID Connect provider")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(OIDC_DIR)], check=True,
                       capture_output=True, timeout=300)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EID_TEST_REDIRECT_URI": redirect_uri}
    proc = subprocess.Popen(["node", str(OIDC_DIR / "provider.mjs"), str(port)], cwd=OIDC_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the OIDC provider exited:\n{proc.stdout.read()}")
            try:
                if httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OIDC provider did not answer discovery within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
