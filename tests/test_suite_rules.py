"""Rules the test suite keeps about itself."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_torch_is_reached_through_conftest_so_ci_never_skips_it() -> None:
    """pytest's importorskip of torch skips where CI (GLASSNET_REQUIRE_TORCH=1) must fail: tests
    take the ``torch`` fixture or call ``require_torch()``, which honour that variable."""
    skipping = re.compile(r"importorskip\(\s*[\"']torch")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(TESTS.glob("*.py"))
        if path.name != "conftest.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if skipping.search(line)
    ]
    assert offenders == []
