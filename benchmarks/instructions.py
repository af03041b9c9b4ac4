"""Instructions per training step of the floor and of glassnet's bare loop, counted by valgrind.

On a shared 2-core VM the wall-clock ratio of two loops moves by 1–2 % from run to run,
which is as much as the changes to glassnet's step that are left to try. The number of
machine instructions a step executes does not move: counted by valgrind's callgrind
(``OPENBLAS_NUM_THREADS=1``, so that no BLAS thread spins, and ``PYTHONHASHSEED=0``), it is
the same to a few dozen in every run. It is not time (valgrind's virtual CPU may steer
OpenBLAS to other kernels, and instructions differ in cost), but a change that removes
work from the step removes instructions, and this says how many, exactly.

Each count is the difference of two runs, ``--steps`` and 6 × ``--steps`` steps of
5→64→64→1, batch 32, divided by the difference in steps, so imports and setup cancel.

Usage::

    python benchmarks/instructions.py             # floor and glassnet, float32 and float64
    python benchmarks/instructions.py --run glassnet float32 200   # the steps alone (what valgrind runs)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import speed  # the floor, the bare loop and the data: one definition of each

LOOPS = ("floor", "glassnet")
DTYPES = ("float32", "float64")


def run_steps(loop: str, dtype: str, steps: int, data: Path | None = None) -> None:
    """``steps`` training steps of ``loop`` on the first 32 rows of speed.py's training split
    of the airfoil file ``data`` (None: the usual search)."""
    x64, y64 = speed.load_training_split(data=data)
    x, y = x64[:32].astype(dtype), y64[:32].astype(dtype)
    sizes = (5, 64, 64, 1)
    if loop == "floor":
        step, _ = speed.make_floor_step(speed.initial_weights(sizes, x.dtype))
    else:
        step = speed.make_glassnet_step(*speed.glassnet_parts(sizes, x.dtype))
    for _ in range(steps):
        step(x, y)


def count_instructions(loop: str, dtype: str, steps: int, data: Path) -> int:
    """Instructions valgrind counts for a whole ``--run loop dtype steps --data data`` process."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--run",
        loop,
        dtype,
        str(steps),
        "--data",
        str(data),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr.strip()[-2000:]}")
    return int(found.group(1))


def per_step(loop: str, dtype: str, steps: int, data: Path) -> float:
    """Instructions per step: the long run's count less the short one's, over 5 × ``steps``."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:  # the two runs side by side
        short, long = pool.map(lambda n: count_instructions(loop, dtype, n, data), (steps, 6 * steps))
    return (long - short) / (5 * steps)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=200, help="steps of the shorter run (default 200)")
    parser.add_argument("--run", nargs=3, metavar=("LOOP", "DTYPE", "STEPS"), help=argparse.SUPPRESS)
    speed.add_data_option(parser)
    args = parser.parse_args(argv)
    if args.run:  # what valgrind runs: a misspelt loop must not count the other one
        loop, dtype, steps = args.run
        if loop not in LOOPS:
            parser.error(f"--run: the loop must be one of {', '.join(LOOPS)}, got {loop!r}")
        if dtype not in DTYPES:
            parser.error(f"--run: the dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        if not steps.isdecimal() or int(steps) < 1:
            parser.error(f"--run: the steps must be an integer of at least 1, got {steps!r}")
        run_steps(loop, dtype, int(steps), speed.data_or_exit(parser, args.data))
        return 0
    if args.steps < 1:  # the count divides by 5 × steps
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt install valgrind)")
    data = speed.data_or_exit(parser, args.data)  # read by the processes valgrind runs: checked here first
    print("| dtype | floor | glassnet | glassnet − floor | × floor |")
    print("|---|---:|---:|---:|---:|")
    for dtype in DTYPES:
        floor, ours = (per_step(loop, dtype, args.steps, data) for loop in LOOPS)
        print(f"| {dtype} | {floor:,.0f} | {ours:,.0f} | {ours - floor:,.0f} | {ours / floor:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
