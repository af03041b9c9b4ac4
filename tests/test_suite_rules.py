"""Rules the test suite keeps about itself."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent


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
