"""Every path is named once, in remote_vote_app/routes.py: the app serves exactly those pages and
endpoints, and the browser-side scripts and the tests spell no path the service does not have."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Mount

from remote_vote_app import internals, routes

ROOT = Path(__file__).resolve().parents[2]
# A path of ours in a string: starts with one of the service's first segments.
_FIRST = sorted({p.split("/")[1].split(".")[0] for p in routes.ALL if p != "/"})
_PATH = re.compile(r"""["'`](/(?:%s)(?:[./][A-Za-z0-9_./-]*)?)(?=["'`?#])""" % "|".join(map(re.escape, _FIRST)))
_KNOWN = {p.split("{")[0] for p in (*routes.ALL, routes.EXCLUSIONS_EXPORT)}
# Paths spelled on purpose although the service has none: each with its reason.
_ON_PURPOSE = {
    "/api/x": "tests/unit/test_headers.py: headers of an API path that does not exist",
    "/apply/../../x": "tests/unit/test_sessions.py: a return path that tries to climb out",
    "/auth/": "benchmarks/load.py: the prefix of the login hop's paths",
    "/exports/": "this test: the prefix of the export's paths",
}


def _known(path: str) -> bool:
    """A named path, with or without its trailing slash."""
    return path in _KNOWN or path.rstrip("/") in _KNOWN


def test_the_app_serves_exactly_the_named_pages():
    from remote_vote_app.remote_vote_app import app

    assert internals.page_routes(app) - {"404"} == set(routes.PAGES)


def test_every_http_endpoint_is_named():
    from remote_vote_app.api import api

    served = set()
    for route in api.routes:
        if isinstance(route, Mount):
            served |= {route.path + sub.path for sub in route.routes}
        else:
            served.add(route.path)
    named = {p.replace("{fmt}", "{fmt:str}") for p in routes.ENDPOINTS if not p.startswith("/exports/")} | \
        {routes.EXCLUSIONS_EXPORT.replace("{fmt}", "{fmt:str}")}
    assert served <= named | {routes.PING}, served - named
    assert {p for p in named if p != routes.PING} <= served


def test_scripts_and_tests_spell_only_paths_the_service_has():
    files = [*ROOT.glob("remote_vote_app/components/*.js"), *ROOT.glob("remote_vote_app/components/*.jsx"),
             *ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]
    unknown = {}
    for path in files:
        if "node_modules" in path.parts or path.name.startswith("i18n_catalog"):
            continue
        for found in _PATH.findall(path.read_text()):
            if not _known(found) and found not in _ON_PURPOSE:
                unknown.setdefault(found, path.relative_to(ROOT).as_posix())
    assert unknown == {}


def test_the_app_code_spells_no_path_outside_routes_py():
    """Docstrings and comments may name a page; code uses remote_vote_app.routes."""
    import ast

    found = {}
    for path in ROOT.glob("remote_vote_app/**/*.py"):
        if path.name == "routes.py":
            continue
        source = path.read_text()
        docs = {id(n.value) for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.Expr) and isinstance(getattr(n, "value", None), ast.Constant)}
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                match = re.match(r"/(?:%s)(?:[./?#][^\s]*)?$" % "|".join(map(re.escape, _FIRST)), node.value)
                if match:
                    found.setdefault(node.value, path.relative_to(ROOT).as_posix())
    assert found == {}
