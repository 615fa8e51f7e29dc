"""A test named in the docs must exist: a claim backed by a test that is gone is a claim backed by nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# `tests/unit/test_x.py::test_a` names a file; a following `::test_b` in the same paragraph means that file again.
CITE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)(?:\[[^\]`]*\])?`")


def citations(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n|\n\|", text):
        current = None
        for match in CITE.finditer(paragraph):
            current = match.group(1) or current
            found.append((current or "", match.group(2)))
    return found


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")}


def test_citations_are_parsed_with_their_file():
    text = "a `tests/unit/test_a.py::test_one`, `::test_two`; `tests/e2e/test_b.py::test_three[phone]`"
    assert citations(text) == [("tests/unit/test_a.py", "test_one"), ("tests/unit/test_a.py", "test_two"),
                               ("tests/e2e/test_b.py", "test_three")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_test_named_in_the_docs_exists(doc: Path):
    missing = []
    for file, name in citations(doc.read_text(encoding="utf-8")):
        path = ROOT / file
        if not file or not path.is_file() or name not in defined_tests(path):
            missing.append(f"{file or '?'}::{name}")
    assert not missing, f"{doc.name} cites tests that do not exist: {missing}"
