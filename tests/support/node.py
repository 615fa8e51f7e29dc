"""Run the browser-side rules (ES modules under remote_vote_app/components) in node, from pytest."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path


def run_module(module: Path, expression: str):
    """The JSON value of `expression` (an async function body that may use the module as `m`)."""
    node = shutil.which("node")
    assert node, "node (20+) is needed to run the desk's rules"
    script = (f"import * as m from {json.dumps(module.as_uri())};"
              f"process.stdout.write(JSON.stringify(await (async () => {{ {expression} }})()));")
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
