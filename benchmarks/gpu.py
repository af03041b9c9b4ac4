"""The torch engine on a GPU (issue 6): eager steps against steps captured in CUDA graphs.

On a small network every eager training step costs a few dozen kernel launches and, in
a loop that reads ``loss.item()``, a wait for the device; the GPU then spends most of
its time idle. Capturing the step (forward, loss, backward, ``Adam.step``) in a CUDA
graph replays all of it with one launch. This script measures what that is worth, on
the device given (default ``cuda``), in one process:

1. **airfoil**, 5 → 64 → 64 → 1, float32, Adam (lr 1e-3), batch 32, 1081 training rows
   (34 steps per epoch, the last one of 25 rows), ms per epoch for
   - ``Trainer (torch)``: ``glassnet.train.Trainer`` with ``engine="torch"``, as users run it
     (on CUDA its steps are captured), and the same with ``cuda_graph=False`` (eager);
   - ``eager``: a plain PyTorch loop with the data on the device and one host sync per epoch;
   - ``graph``: that step captured once per batch size (32 and 25) by glassnet's
     ``capture_step`` and replayed;
   and the largest weight difference, captured against eager, after the same epochs from
   the same weights. A replay computes what its step computes eagerly, bit for bit
   (tests/test_train_cuda.py); the captured steps' fused Adam rounds its bias correction
   differently from eager foreach Adam, which hundreds of steps can amplify well past
   float32 rounding (docs/benchmarks.md, "Are captured runs the eager ones?").
2. **10⁷ generated rows** (5 features), batch 4096 (full batches only), 5 → w → w → 1 for
   w = 64, 256, 1024: rows/s and TFLOP/s, eager and captured, in float32 and in bfloat16
   autocast. FLOPs per row: 3 × 2 × (5w + w² + w) (a forward and a backward twice its size).

Targets (issue 6): airfoil ≤ 4 ms/epoch for the Trainer's torch engine; ≥ 30 M rows/s at
width 64; ≥ 100 TFLOP/s at width 1024 in bf16. Measured on an H200: docs/benchmarks.md.

Usage::

    python benchmarks/gpu.py                        # on cuda: every table (a few minutes)
    python benchmarks/gpu.py --device cpu --quick   # the same code, small and without
                                                    # capture, on the CPU (what CI runs)
    python benchmarks/gpu.py --json out.json        # also keep every figure

CUDA graphs need a CUDA device: elsewhere the ``graph`` rows are left out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # speed.py, beside this file
import glassnet
from glassnet._checks import Array
from speed import (
    BETAS,
    EPS,
    LR,
    SEED,
    add_data_option,
    airfoil_file,
    beside_goal,
    check_output_file,
    load_training_split,
    meets,
    output_path,
    run_trainer_timed,
    torch_module,
    trainer_config,
)

TARGETS = {"airfoil ms/epoch": 4.0, "rows/s at width 64": 30e6, "TFLOP/s at width 1024 (bf16)": 100.0}


def flops_per_row(width: int, n_inputs: int = 5) -> float:
    """Training FLOPs per row of n_inputs → w → w → 1: forward 2 (5w + w² + w), backward twice that."""
    return 3.0 * 2.0 * (n_inputs * width + width * width + width)


def torch_mlp(sizes: Sequence[int], device: Any) -> Any:
    """glassnet's starting weights (PyTorch's init, seed 0) in a float32 torch Sequential on ``device``."""
    return torch_module(sizes, np.float32).to(device)


@dataclass
class Loop:
    """A training loop over batches of (x, y) on the device: ``run_epoch(x, y, batch)``
    trains one pass in order and returns the summed loss as a device tensor (no sync)."""

    module: Any
    optimizer: Any
    run_epoch: Callable[[Any, Any, int], Any]


def autocast_to(device: Any, dtype: Any) -> Any:
    """``torch.autocast`` to ``dtype`` (bfloat16) on ``device``, or no context for None (float32).

    Its weight cache is off: a cached cast made during a CUDA graph capture would outlive it.
    """
    import torch

    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype, cache_enabled=False)


def make_eager_loop(module: Any, device: Any, autocast: Any = None) -> Loop:
    """zero_grad, forward, MSE, backward, Adam: the loop from PyTorch's tutorials, with the
    summed loss kept on the device instead of a ``loss.item()`` (a host sync) every step."""
    import torch

    optimizer = torch.optim.Adam(module.parameters(), lr=LR, betas=BETAS, eps=EPS)
    mse = torch.nn.functional.mse_loss

    def run_epoch(x: Any, y: Any, batch: int) -> Any:
        total = torch.zeros((), device=device)
        for start in range(0, len(x), batch):
            optimizer.zero_grad(set_to_none=True)
            with autocast_to(device, autocast):
                loss = mse(module(x[start : start + batch]), y[start : start + batch])
            loss.backward()
            optimizer.step()
            total += loss.detach().float()
        return total

    return Loop(module, optimizer, run_epoch)


def make_graph_loop(module: Any, device: Any, batch_sizes: Sequence[int], autocast: Any = None) -> Loop:
    """The same step captured in one CUDA graph per batch size, then replayed: glassnet's own
    capture (``glassnet.train._cuda_graph``, what the torch engine does on CUDA).

    Per step the host copies the batch into the graph's input tensors (two copy kernels)
    and replays the graph (one launch); the loss is summed inside the graph. Adam is torch's
    fused one (one kernel, its step count on the device) with η in a device tensor. The
    warm-up steps that capture needs are undone, so the loop starts from the weights it was given.
    """
    import torch

    from glassnet.train._cuda_graph import capture_step, warm_up_undone

    lr = torch.tensor(LR, device=device)
    optimizer = torch.optim.Adam(
        module.parameters(), lr=lr, betas=BETAS, eps=EPS, fused=True, capturable=True
    )
    mse = torch.nn.functional.mse_loss
    n_inputs = module[0].in_features
    total = torch.zeros((), device=device)

    def step(x: Any, y: Any) -> None:
        optimizer.zero_grad()
        with autocast_to(device, autocast):
            loss = mse(module(x), y)
        loss.backward()
        optimizer.step()
        total.add_(loss.detach().float())

    generator = torch.Generator(device=device).manual_seed(SEED)
    graphs = {}
    for batch in batch_sizes:
        x = torch.randn((batch, n_inputs), device=device, generator=generator)
        with warm_up_undone([*module.parameters(), total], optimizer):
            graphs[batch] = capture_step(step, x, torch.sin(x[:, :1]))
    torch.cuda.synchronize(device)

    def run_epoch(x: Any, y: Any, batch: int) -> Any:
        total.zero_()
        for start in range(0, len(x), batch):
            graphs[min(batch, len(x) - start)](x[start : start + batch], y[start : start + batch])
        return total.clone()

    return Loop(module, optimizer, run_epoch)


def timed_epochs(loop: Loop, x: Any, y: Any, batch: int, epochs: int, seed: int, device: Any) -> list[float]:
    """Seconds of each epoch (a shuffle on the device, then the batches in order), synced at both ends."""
    import torch

    generator = torch.Generator(device=device).manual_seed(seed)
    seconds = []
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        order = torch.randperm(len(x), device=device, generator=generator)
        total = loop.run_epoch(x[order], y[order], batch)
        float(total)  # the one host sync of the epoch
        seconds.append(time.perf_counter() - start)
    return seconds


def sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def trainer_epochs(config: Any, x: Array, y: Array) -> tuple[float, dict[str, Array]]:
    """Median seconds per epoch of ``Trainer(config).run()`` after its first epoch (which
    captures the graphs), timed between the epoch callbacks; and the final weights."""
    result, _, stamps = run_trainer_timed(config, x, y)
    return statistics.median(np.diff([wall for wall, _ in stamps])), result.weights[0]


def airfoil(device: Any, epochs: int, capture: bool, data: Path | None = None) -> dict[str, Any]:
    """ms per epoch of the Trainer's torch engine (captured and eager on CUDA), the bench's
    eager and graph loops; the weight differences between captured and eager runs. On the
    airfoil file ``data`` (None: the usual search)."""
    import torch

    x64, y64 = load_training_split(data=data)
    x = torch.as_tensor(x64, dtype=torch.float32, device=device)
    y = torch.as_tensor(y64, dtype=torch.float32, device=device)
    sizes, batch = (5, 64, 64, 1), 32
    results: dict[str, Any] = {"rows": len(x), "batch": batch, "epochs": epochs, "ms_per_epoch": {}}

    config = trainer_config(sizes, batch, np.float32, "torch", epochs).replace(device=str(device))
    seconds, weights = trainer_epochs(config, x64, y64)
    results["ms_per_epoch"]["Trainer (torch)"] = seconds * 1e3
    if capture:  # the same run with every step eager
        seconds, eager_weights = trainer_epochs(config.replace(cuda_graph=False), x64, y64)
        results["ms_per_epoch"]["Trainer (torch, no CUDA graph)"] = seconds * 1e3
        results["max_weight_difference_trainer"] = max(
            float(np.abs(weights[name] - eager_weights[name]).max()) for name in weights
        )

    loops = {"eager": make_eager_loop(torch_mlp(sizes, device), device)}
    if capture:
        tail = len(x) % batch
        loops["graph"] = make_graph_loop(torch_mlp(sizes, device), device, [batch] + ([tail] if tail else []))
    for name, loop in loops.items():
        seconds = timed_epochs(loop, x, y, batch, epochs, SEED, device)
        results["ms_per_epoch"][name] = statistics.median(seconds[1:] or seconds) * 1e3
    if capture:
        difference = max(
            float((a - b).detach().abs().max())
            for a, b in zip(
                loops["eager"].module.parameters(), loops["graph"].module.parameters(), strict=True
            )
        )
        results["max_weight_difference_eager_vs_graph"] = difference
    return results


def full_batches(rows: int, batch: int = 4096) -> int:
    """The rows the throughput table trains on: full batches only (one captured shape)."""
    return max(batch, rows // batch * batch)


def throughput(
    device: Any, rows: int, widths: Sequence[int], epochs: int, capture: bool
) -> list[dict[str, Any]]:
    """rows/s and TFLOP/s on ``rows`` generated rows, batch 4096, full batches only."""
    import torch

    batch = 4096
    rows = full_batches(rows, batch)
    generator = torch.Generator(device=device).manual_seed(SEED)
    x = torch.randn((rows, 5), device=device, generator=generator)
    y = torch.sin(x.sum(dim=1, keepdim=True)) + 0.1 * x[:, :1] ** 2  # a smooth target
    modes: list[tuple[str, Any, bool]] = [("eager", None, False), ("eager", torch.bfloat16, False)]
    if capture:
        modes += [("graph", None, True), ("graph", torch.bfloat16, True)]
    table = []
    for width in widths:
        for name, autocast, captured in modes:
            module = torch_mlp((5, width, width, 1), device)
            loop = (
                make_graph_loop(module, device, [batch], autocast)
                if captured
                else make_eager_loop(module, device, autocast)
            )
            seconds = statistics.median(timed_epochs(loop, x, y, batch, epochs, SEED, device)[1:] or [0.0])
            per_second = rows / seconds if seconds > 0 else float("nan")
            table.append(
                {
                    "width": width,
                    "mode": name,
                    "dtype": "bf16" if autocast is not None else "fp32",
                    "rows_per_s": per_second,
                    "tflops": per_second * flops_per_row(width) / 1e12,
                }
            )
            print(
                f"  width {width:5d} {name:5s} {table[-1]['dtype']}: {per_second / 1e6:9.2f} M rows/s",
                flush=True,
            )
    return table


def machine(device: Any) -> dict[str, str]:
    import torch

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "glassnet": glassnet.__version__,
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = str(torch.version.cuda)
    else:
        info["cpu"] = platform.processor() or platform.machine()
    return info


def report(results: dict[str, Any]) -> str:
    lines = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in results["machine"].items()), ""]
    air = results["airfoil"]
    lines += [
        f"Airfoil, 5→64→64→1, float32, Adam, batch {air['batch']} ({air['rows']} rows):",
        "",
        "| loop | ms / epoch |",
        "|---|---:|",
        *(f"| {name} | {ms:.2f} |" for name, ms in air["ms_per_epoch"].items()),
    ]
    if "max_weight_difference_eager_vs_graph" in air:
        lines += [
            "",
            f"Largest weight difference after {air['epochs']} epochs from the same weights, captured against eager: "
            f"Trainer {air['max_weight_difference_trainer']:.1e}, loops {air['max_weight_difference_eager_vs_graph']:.1e}",
        ]
    lines += [
        "",
        f"{results['rows']:,} generated rows, batch 4096:",
        "",
        "| width | loop | dtype | M rows/s | TFLOP/s |",
        "|---:|---|---|---:|---:|",
        *(
            f"| {row['width']} | {row['mode']} | {row['dtype']} | {row['rows_per_s'] / 1e6:.2f} | {row['tflops']:.2f} |"
            for row in results["throughput"]
        ),
    ]
    best = {
        "airfoil ms/epoch": air["ms_per_epoch"]["Trainer (torch)"],  # the engine as users run it
        "rows/s at width 64": max(
            (r["rows_per_s"] for r in results["throughput"] if r["width"] == 64), default=None
        ),
        "TFLOP/s at width 1024 (bf16)": max(
            (r["tflops"] for r in results["throughput"] if r["width"] == 1024 and r["dtype"] == "bf16"),
            default=None,
        ),
    }
    lines += ["", "| target | best measured | goal | |", "|---|---:|---:|---|"]
    for key, goal in TARGETS.items():
        value = best[key]
        if value is None:  # a width the run left out (--quick): no verdict, rather than a miss of 0
            lines.append(f"| {key} | not measured | {goal:.4g} | |")
            continue
        at_most = key.endswith("ms/epoch")
        met = meets(value, goal, at_most)
        shown = beside_goal(value, goal, at_most, 4, kind="g")  # never a miss that reads as the goal
        lines.append(f"| {key} | {shown} | {goal:.4g} | {'met' if met else 'MISSED'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every code path")
    parser.add_argument("--json", metavar="PATH", type=output_path, help="also write every figure as JSON")
    add_data_option(parser)
    args = parser.parse_args(argv)

    from glassnet.torch_bridge import resolve_device

    try:
        if args.json is not None:
            check_output_file(args.json, "--json")
        device = resolve_device(args.device)
        data = airfoil_file(args.data)  # a missing file: one line, before any timing
    except (ImportError, OSError, ValueError) as error:
        print(f"gpu.py: error: {error}", file=sys.stderr)
        return 2
    capture = device.type == "cuda"
    rows = full_batches(20_000 if args.quick else 10_000_000)  # the rows trained on, as the report says
    widths = (64,) if args.quick else (64, 256, 1024)
    epochs = 2 if args.quick else 4
    results: dict[str, Any] = {"machine": machine(device), "rows": rows}
    print(f"gpu.py on {results['machine'].get('gpu', results['machine'].get('cpu'))}", flush=True)
    results["airfoil"] = airfoil(device, epochs=2 if args.quick else 20, capture=capture, data=data)
    results["throughput"] = throughput(device, rows, widths, epochs, capture)
    print(report(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
