"""The tests the documentation cites exist: docs/robustness.md names the test behind each fault
it lists, and a renamed test left two of its citations pointing at nothing (a review of the
docs, 2026-11-29)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# `test_file.py::test_name` or, later in the same line, `::test_name` of that file; a
# parametrized case's [id] is left out
CITATION = re.compile(r"`(?:(?:tests/)?(test_\w+\.py))?::(test_\w+)(?:\[[^\]`]*\])?`")


def citations() -> list[tuple[str, str, str]]:
    """(where, file, test) of every test the documents cite: where is ``doc.md:line``."""
    found = []
    for document in DOCUMENTS:
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            current = "(no file before it on its line)"
            for match in CITATION.finditer(line):
                current = match.group(1) or current
                found.append((f"{document.name}:{number}", current, match.group(2)))
    return found


def test_the_documents_cite_tests() -> None:
    assert len(citations()) > 300  # the robustness tables' citations are read


def test_every_test_the_documents_cite_exists() -> None:
    defined: dict[str, set[str]] = {}
    missing = []
    for where, file, test in citations():
        if file not in defined:
            source = ROOT / "tests" / file
            text = source.read_text(encoding="utf-8") if source.exists() else ""
            defined[file] = set(re.findall(r"^\s*def (test_\w+)\(", text, re.MULTILINE))
        if test not in defined[file]:
            missing.append(f"{where}: {file}::{test}")
    if missing:
        pytest.fail("cited but not defined:\n" + "\n".join(missing))
