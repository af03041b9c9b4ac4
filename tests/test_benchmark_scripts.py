"""Each benchmark script, run as a real process with an argument it refuses: one ``SCRIPT: error: …``
line on stderr, exit status 2, no traceback, nothing timed or trained. (The in-process tests of
each refusal are in test_airfoil_benchmark.py, test_speed_benchmark.py and test_gpu_benchmark.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_torch
from glassnet.data import find_airfoil

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MISSING = "/nonexistent/airfoil.csv"


def missing_data_says() -> str:
    with pytest.raises(FileNotFoundError) as caught:
        find_airfoil(MISSING)
    return str(caught.value)


@pytest.mark.parametrize(
    ("script", "arguments", "says"),
    [
        ("airfoil_search.py", ["--epochs", "0"], "--epochs must be more than the 20 of the warm-up, got 0"),
        ("airfoil_search.py", ["--beta2", "1"], "--beta2 must be in [0, 1), got 1.0"),
        (
            "airfoil_accuracy.py",
            ["--only", "single", "--ensemble-size", "7"],
            "--ensemble-size has no effect in this run: it applies with the ensemble setting only "
            "(not with --only single)",
        ),
        # an empty --json (an unset "$OUT"): the runs went ahead and wrote nothing, unsaid
        ("airfoil_accuracy.py", ["--json", ""], "argument --json: is empty (''); give a file name"),
        ("airfoil_members.py", ["--json", ""], "argument --json: is empty (''); give a file name"),
        ("airfoil_members.py", ["--data", MISSING], None),
        ("gpu.py", ["--json", ""], "argument --json: is empty (''); give a file name"),
        ("speed.py", ["--json", ""], "argument --json: is empty (''); give a file name"),
        ("speed.py", ["--quick", "--data", MISSING], None),
        ("gpu.py", ["--device", "cpu", "--quick", "--data", MISSING], None),
        ("layouts.py", ["--data", MISSING], None),
        ("instructions.py", ["--run", "floor", "float32", "2", "--data", MISSING], None),
    ],
)
def test_a_refused_argument_is_one_error_line(script: str, arguments: list[str], says: str | None) -> None:
    if script == "gpu.py":
        require_torch()  # it sets up the device first; without torch, that is its one line
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == "" and "Traceback" not in completed.stderr
    expected = missing_data_says() if says is None else says
    assert completed.stderr.splitlines()[-1] == f"{script}: error: {expected}"
