"""Run the passes of `make test` side by side on the machine's cores; fail if any pass fails.

    python -m tests.support.passes "unit=pytest tests/unit" "e2e=pytest tests/e2e" ...

Each NAME=COMMAND runs in bash (pipefail) in its own process group, its output in its own log.
A pass's log is printed whole when it ends, so passes never interleave; a line every minute says
what still runs, and a summary gives each pass's exit code and time. Exit code 1 if any failed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HEARTBEAT_SECONDS = 60


@dataclass
class Pass:
    name: str
    command: str
    log: Path
    proc: subprocess.Popen | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    code: int | None = None


def _minutes(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _parse(argv: list[str], logdir: Path) -> list[Pass]:
    passes = []
    for arg in argv:
        name, sep, command = arg.partition("=")
        if not sep or not re.fullmatch(r"[\w-]+", name) or not command.strip():
            raise SystemExit(f"usage: python -m tests.support.passes NAME=COMMAND ... (got {arg!r})")
        passes.append(Pass(name, command, logdir / f"{name}.log"))
    if len({p.name for p in passes}) != len(passes):
        raise SystemExit("pass names must differ")
    return passes


def _report(p: Pass) -> None:
    verdict = "passed" if p.code == 0 else f"FAILED (exit {p.code})"
    print(f"\n===== {p.name}: {p.command}", flush=True)
    sys.stdout.buffer.write(p.log.read_bytes())
    print(f"===== {p.name}: {verdict} in {_minutes(p.seconds)}\n", flush=True)


def run(passes: list[Pass]) -> int:
    for p in passes:
        with p.log.open("wb") as log:
            p.proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", p.command], stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        p.started = time.monotonic()
        print(f"started {p.name}: {p.command}", flush=True)
    began = time.monotonic()
    beat = began
    pending = list(passes)
    try:
        while pending:
            time.sleep(0.5)
            for p in list(pending):
                if (code := p.proc.poll()) is not None:
                    p.code, p.seconds = code, time.monotonic() - p.started
                    pending.remove(p)
                    _report(p)
            if pending and time.monotonic() - beat >= HEARTBEAT_SECONDS:
                beat = time.monotonic()
                print(f"[{_minutes(beat - began)}] still running: {', '.join(p.name for p in pending)}", flush=True)
    finally:
        for p in pending:  # interrupted: stop what this runner started, nothing else
            try:
                os.killpg(p.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    print(f"passes, {_minutes(time.monotonic() - began)} in all:")
    for p in passes:
        print(f"  {p.name:<16} {'passed' if p.code == 0 else f'FAILED (exit {p.code})':<18} {_minutes(p.seconds)}")
    passed, failed = _counts(passes)
    print(f"tests: {passed} passed, {failed} failed", flush=True)
    return 0 if all(p.code == 0 for p in passes) else 1


def _counts(passes: list[Pass]) -> tuple[int, int]:
    """Tests passed and failed in all passes, from each pytest's closing line."""
    passed = failed = 0
    for p in passes:
        lines = [line for line in p.log.read_text(errors="replace").splitlines()
                 if re.match(r"=*\s*\d+ (passed|failed|errors?|skipped|deselected)\b.* in [\d.]+s\b", line)]
        closing = lines[-1] if lines else ""
        passed += sum(int(n) for n in re.findall(r"(\d+) passed", closing))
        failures = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)\b", closing))
        failed += failures or (p.code != 0)  # a pass that failed before its tests counts as one failure
    return passed, failed


def main(argv: list[str] | None = None) -> int:
    logdir = Path(tempfile.mkdtemp(prefix="rv-passes-"))
    return run(_parse(sys.argv[1:] if argv is None else argv, logdir))


if __name__ == "__main__":
    sys.exit(main())
