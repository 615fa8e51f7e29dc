"""The house's layers, as services/__init__.py describes them: a module imports from its own layer
or below, services import no Reflex and nothing of the web layers, db.py imports no service, and
no two service modules import each other in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "remote_vote_app"
SERVICES = APP / "services"
# Bottom first; a layer may import its own and every lower one.
LAYERS = ["clock", "validation", "audit", "formats", "messaging", "reference", "identity", "applications",
          "election_day", "reporting"]
BOTTOM = {"clock", "validation", "audit", "formats", "messaging"}


def _rank(part: str) -> int:
    return 0 if part in BOTTOM else LAYERS.index(part)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _service_modules() -> dict[str, Path]:
    return {_module(p): p for p in SERVICES.rglob("*.py")}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["remote_vote_app", "services"] else None


def test_every_service_module_sits_in_a_known_layer():
    for module in _service_modules():
        layer = _layer(module)
        assert layer is None or layer in LAYERS, f"{module}: add its package to LAYERS and services/__init__.py"


def test_no_service_imports_from_a_higher_layer():
    modules = _service_modules()
    for module, path in modules.items():
        own = _layer(module)
        if own is None:
            continue  # services/__init__.py
        for target in _imports(path):
            other = _layer(target)
            if other is not None and other in LAYERS:
                assert _rank(other) <= _rank(own), f"{module} imports {target}: {other} is above {own}"


def test_services_import_no_reflex_and_no_web_layer():
    for module, path in _service_modules().items():
        for target in _imports(path):
            root = target.split(".")[0]
            assert root not in {"reflex", "reflex_base", "starlette"}, f"{module} imports {target}"
            assert not target.startswith(("remote_vote_app.state", "remote_vote_app.pages", "remote_vote_app.components",
                                          "remote_vote_app.web", "remote_vote_app.demo")), f"{module} imports {target}"


def test_db_imports_no_service():
    assert not [t for t in _imports(APP / "db.py") if t.startswith("remote_vote_app.services")]


def test_service_modules_import_each_other_without_cycles():
    modules = _service_modules()
    graph = {m: {t for t in _imports(p) if t in modules and t != m} for m, p in modules.items()}
    # `from package import module` names the module too; keep only edges to modules.
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if nxt.endswith("__init__") or _layer(nxt) is None:
                continue
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if not state.get(nxt):
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in graph:
        if not state.get(module):
            visit(module, [module])


def test_each_package_says_what_it_owns_and_may_import():
    for init in SERVICES.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc and ("May import" in doc or "Imports nothing" in doc), f"{init.parent.name}: say what it may import"
