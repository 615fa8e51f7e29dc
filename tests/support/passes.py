"""Run the passes of `make test` side by side on the machine's cores; fail if any pass fails.

    python -m tests.support.passes "unit=pytest tests/unit" "+unit-pg=..." "e2e=pytest tests/e2e"

Each NAME=COMMAND starts at once; +NAME=COMMAND starts when the pass before it ends (a lane).
Each runs in bash (pipefail) in its own process group, its output in its own log, printed whole
when the pass ends, so passes never interleave; a line every minute says what still runs, and a
summary gives each pass's exit code and time. Exit code 1 if any pass failed.
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


def _parse(argv: list[str], logdir: Path) -> list[list[Pass]]:
    lanes: list[list[Pass]] = []
    for arg in argv:
        name, sep, command = arg.partition("=")
        after = name.startswith("+")
        name = name.removeprefix("+")
        if not sep or not re.fullmatch(r"[\w-]+", name) or not command.strip() or (after and not lanes):
            raise SystemExit(f"usage: python -m tests.support.passes NAME=COMMAND [+NAME=COMMAND] ... (got {arg!r})")
        p = Pass(name, command, logdir / f"{name}.log")
        if after:
            lanes[-1].append(p)
        else:
            lanes.append([p])
    if len({p.name for lane in lanes for p in lane}) != sum(map(len, lanes)):
        raise SystemExit("pass names must differ")
    return lanes


def _report(p: Pass) -> None:
    verdict = "passed" if p.code == 0 else f"FAILED (exit {p.code})"
    print(f"\n===== {p.name}: {p.command}", flush=True)
    sys.stdout.buffer.write(p.log.read_bytes())
    print(f"===== {p.name}: {verdict} in {_minutes(p.seconds)}\n", flush=True)


def _start(p: Pass) -> None:
    with p.log.open("wb") as log:
        p.proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", p.command], stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    p.started = time.monotonic()
    print(f"started {p.name}: {p.command}", flush=True)


def run(lanes: list[list[Pass]]) -> int:
    passes = [p for lane in lanes for p in lane]
    waiting = [list(lane) for lane in lanes]
    running = [lane.pop(0) for lane in waiting]
    for p in running:
        _start(p)
    began = beat = time.monotonic()
    try:
        while running:
            time.sleep(0.5)
            for p in list(running):
                if (code := p.proc.poll()) is not None:
                    p.code, p.seconds = code, time.monotonic() - p.started
                    running.remove(p)
                    _report(p)
                    rest = waiting[next(i for i, lane in enumerate(lanes) if p in lane)]
                    if rest:  # the next pass of this lane runs even if this one failed: every result counts
                        running.append(nxt := rest.pop(0))
                        _start(nxt)
            if running and time.monotonic() - beat >= HEARTBEAT_SECONDS:
                beat = time.monotonic()
                print(f"[{_minutes(beat - began)}] still running: {', '.join(p.name for p in running)}", flush=True)
    finally:
        for p in running:  # interrupted: stop what this runner started, nothing else
            try:
                os.killpg(p.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    print(f"passes, {_minutes(time.monotonic() - began)} in all:")
    for p in passes:
        verdict = "passed" if p.code == 0 else "not run" if p.code is None else f"FAILED (exit {p.code})"
        print(f"  {p.name:<16} {verdict:<18} {_minutes(p.seconds)}")
    passed, failed = _counts(passes)
    print(f"tests: {passed} passed, {failed} failed", flush=True)
    return 0 if all(p.code == 0 for p in passes) else 1


def _counts(passes: list[Pass]) -> tuple[int, int]:
    """Tests passed and failed in all passes, from each pytest's closing line."""
    passed = failed = 0
    for p in passes:
        if not p.log.exists():
            continue
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
