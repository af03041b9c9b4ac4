"""Rules the test suite and the repository keep about themselves."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import shared_airfoil

TESTS = Path(__file__).parent
ROOT = TESTS.parent
DATA_NAMES = ("airfoil_self_noise", "airfoil+self+noise")  # the data file's names, UCI's download
DATA_SUFFIXES = (".csv", ".dat", ".txt", ".tsv")
MAX_DATA_ROWS = 100  # a test may quote a few of the data set's rows; more is a copy of the data


def test_torch_is_reached_through_conftest_so_ci_never_skips_it() -> None:
    """pytest's importorskip of torch skips where CI (GLASSNET_REQUIRE_TORCH=1) must fail: tests
    take the ``torch`` fixture or call ``require_torch()``, which honour that variable."""
    skipping = re.compile(r"importorskip\(\s*[\"']torch")  # \s*: the name may be on the next line
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == "conftest.py":
            continue
        text = path.read_text(encoding="utf-8")
        lines = [text.count("\n", 0, match.start()) + 1 for match in skipping.finditer(text)]
        offenders += [f"{path.name}:{line}" for line in lines]
    assert offenders == []


def test_the_checks_that_make_test_runs_are_pinned_exactly() -> None:
    """ruff and mypy are pinned with == in the dev extra: `make test` fails on their findings, a
    newer release finds more, and CI builds its venv afresh."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        dev = tomllib.load(handle)["project"]["optional-dependencies"]["dev"]
    pins = {r.name: str(r.specifier) for r in map(Requirement, dev) if r.name in ("ruff", "mypy")}
    assert sorted(pins) == ["mypy", "ruff"]
    assert {name: pin for name, pin in pins.items() if not re.fullmatch(r"==\d+(\.\d+)*", pin)} == {}


def tracked_files() -> list[str]:
    """What `git ls-files` lists (committed or staged); skips where the tests are not in a git checkout."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout (an unpacked sdist, say): no tracked files to check")
    done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_tracked_file_is_named_as_the_airfoil_data() -> None:
    """The airfoil data set is never committed (its copy is in shared/data beside the checkout):
    no tracked file has its name or UCI's download name; .gitignore keeps them out of `git add .`."""
    named = [name for name in tracked_files() if any(data in Path(name).name for data in DATA_NAMES)]
    assert named == []


def _data_rows(text: str) -> set[tuple[float, ...]]:
    """The lines of six numbers, comma, semicolon or tab separated: the data set's rows in the
    UCI original (tab-separated, no header) and in CSV (the shared copy)."""
    rows = set()
    for line in text.splitlines():
        fields = re.split(r"[,;\s]+", line.strip())
        if len(fields) == 6:
            try:
                rows.add(tuple(float(field) for field in fields))
            except ValueError:  # a header, or text
                continue
    return rows


def test_no_tracked_file_holds_the_airfoil_data() -> None:
    """Nor under another name: no tracked data-like file (.csv, .dat, .txt, .tsv) holds more than
    a few of the shared copy's rows, in either of its formats."""
    tracked = tracked_files()
    data = _data_rows(shared_airfoil().read_text(encoding="utf-8"))
    assert len(data) > 1000  # the shared copy was read (1503 rows)
    copies = {}
    for name in tracked:
        if name.endswith(DATA_SUFFIXES):
            text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
            if (found := len(_data_rows(text) & data)) > MAX_DATA_ROWS:
                copies[name] = found
    assert copies == {}
