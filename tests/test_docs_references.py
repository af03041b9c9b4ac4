"""The tests the documentation cites exist: docs/robustness.md names the test behind each fault
it lists, and a renamed test left two of its citations pointing at nothing (a review of the
docs, 2026-11-29)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# `test_file.py::test_name` or, later in the document, `::test_name` (or `…::test_name`) of the
# file last named; a parametrized case's [id] is left out. A file cited alone: `test_file.py`
CITATION = re.compile(r"`(?:(?:tests/)?(test_\w+\.py)|…)?::(test_\w+)(?:\[[^\]`]*\])?`")
FILE = re.compile(r"`(?:tests/)?(test_\w+\.py)`")


def citations() -> list[tuple[str, str, str]]:
    """(where, file, test) of every test the documents cite: where is ``doc.md:line``."""
    found = []
    for document in DOCUMENTS:
        current = "(no file named before it)"  # a row's `…::test` is of the file a row above named
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                current = match.group(1) or current
                found.append((f"{document.name}:{number}", current, match.group(2)))
    return found


def test_the_documents_cite_tests() -> None:
    assert len(citations()) > 500  # the robustness tables' citations are read


def test_every_test_file_the_documents_cite_exists() -> None:
    cited = {
        (f"{document.name}:{number}", name)
        for document in DOCUMENTS
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1)
        for name in FILE.findall(line)
    }
    missing = sorted(f"{where}: {name}" for where, name in cited if not (ROOT / "tests" / name).exists())
    assert not missing, missing


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
