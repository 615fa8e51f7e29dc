"""requirements*.txt are the lists people edit; the locks pin every package with hashes. An edit
to a list without `make lock` would install what the lock says, not what the list says."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)", re.M)


def _pins(name: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in _PIN.findall((ROOT / name).read_text())}


def test_every_listed_pin_is_the_locked_version():
    for listed, lock in (("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")):
        locked = _pins(lock)
        assert len(locked) > len(_pins(listed)), f"{lock} lists no dependencies beyond {listed}"
        for name, version in _pins(listed).items():
            assert locked.get(name) == version, f"{listed} pins {name}=={version}, {lock} has {locked.get(name)}: run make lock"


def test_every_locked_package_has_a_hash():
    for lock in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text().strip())
        for block in blocks:
            if block.startswith("#"):
                continue
            assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]} has no hash"


def test_the_dev_lock_keeps_the_runtime_locks_versions():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {n: v for n, v in dev.items() if n in runtime and runtime[n] != v} == {}
