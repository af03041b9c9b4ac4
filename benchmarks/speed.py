"""Speed of glassnet's NumPy engine against a hand-written NumPy floor, PyTorch eager and scikit-learn.

Everything runs in this one process, on the same data (the airfoil training split,
log-features and standardised as ``glassnet.data.Preprocessor`` does it), the same
network (5 → w → w → 1, ReLU, MSE) and the same optimizer (Adam, lr 1e-3, β = (0.9,
0.999), ε = 1e-8, no weight decay), in float32 and float64. Each method runs whole
epochs (a fresh shuffle, then mini-batches in order; the last batch may be smaller), in
short runs from fresh weights whose first epoch is not timed, so that every method is
timed at the same stage of training; the methods take turns, round after round, and a
table entry is the median over the rounds of the time per epoch.

The methods:

- ``floor``: the hand-written NumPy loop below (no classes, no checks, preallocated
  buffers, ``out=`` everywhere, one flat Adam buffer with pre-scaled moments): the least
  time plain NumPy needs for this step.
- ``glassnet``: the bare loop ``model(x)``, ``loss(pred, y)``,
  ``model.backward(loss.backward())``, ``opt.step()``, ``opt.zero_grad()``.
- ``Trainer``: ``glassnet.train.Trainer(config, x, y).run()`` as a user calls it (no
  validation set, constant rate), timed by its epoch callback from the end of the first
  epoch to the end of the last. The setup a run pays once (Trainer, engine, initial
  weights) and the first epoch are reported on their own, for every method.
- ``Trainer (torch)``: the same with ``engine="torch"``.
- ``torch eager``: ``torch.nn.Sequential`` + ``torch.optim.Adam`` (default settings),
  threads = CPU cores; ``torch eager (fused)`` with ``Adam(fused=True)``, and
  ``torch eager (1 thread)``.
- ``sklearn``: ``MLPRegressor(solver="adam", alpha=0)``, one ``fit`` of as many epochs
  (``max_iter``, no early stop; each epoch one shuffled pass over the rows in mini-batches),
  after a first ``partial_fit`` epoch, as the other methods' first epoch, not timed.

The ≤ 1.25 × floor ratios of the bare loop and the Trainer are also timed again in fresh
processes (``--ratios-only``), since each process draws its own memory layout and hash seed.

Usage::

    python benchmarks/speed.py --quick          # about a minute: every table, fewer rounds
    python benchmarks/speed.py --write-docs     # full run; rewrites docs/benchmarks.md's
                                                # results block and docs/img/speed.png
    python benchmarks/speed.py --ratios-only float32   # those ratios alone, as JSON
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import glassnet
from glassnet import losses, nn, optim
from glassnet._checks import as_float_array
from glassnet.optim._optimizer import SUBNORMAL_FLUSH_EVERY, flush_subnormals

Array = npt.NDArray[np.floating[Any]]
Step = Callable[[Array, Array], float]
Epoch = Callable[[], object]

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "speed.png"
BEGIN, END = "<!-- speed.py results: begin -->", "<!-- speed.py results: end -->"

LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
SEED = 0
TARGETS = {"floor": 1.25, "torch eager": 4.0, "sklearn": 3.0}
DTYPES = ("float32", "float64")


# -- data -------------------------------------------------------------------------------


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """``--data PATH``, as airfoil_accuracy.py and airfoil_search.py take it; read it with
    :func:`airfoil_file` or :func:`data_or_exit`."""
    parser.add_argument(
        "--data", metavar="PATH", help="airfoil file (default: $GLASSNET_DATA, cache, ../shared/data)"
    )


def airfoil_file(path: str | None) -> Path:
    """The airfoil file ``--data`` names (None: the usual search), read once now so that a
    missing or malformed file is refused before any timing starts; as an absolute path, which
    a child process finds too. Raises the OSError or ValueError of ``glassnet.data``, and a
    ValueError for a pipe (``--data <(…)``), which glassnet reads but only once."""
    from glassnet.data import find_airfoil, load_airfoil

    found = find_airfoil(path).resolve()
    if not found.is_file():  # read here, it would be empty for the timings and the child processes
        raise ValueError(f"data path {found} is not a regular file; the benchmark reads it more than once")
    load_airfoil(found)
    return found


def data_or_exit(parser: argparse.ArgumentParser, path: str | None) -> Path:
    """:func:`airfoil_file`, or one ``SCRIPT: error: …`` line and exit status 2 (``parser.error``)."""
    try:
        return airfoil_file(path)
    except (OSError, ValueError) as error:
        parser.error(str(error))


def load_training_split(seed: int = SEED, data: Path | None = None) -> tuple[Array, Array]:
    """The airfoil training rows of the file ``data`` (None: the usual search), preprocessed:
    X (N, 5) and y (N, 1), float64.

    ``train_val_test_split`` with ``default_rng(seed)`` (1081 of 1503 rows); the
    ``Preprocessor`` (log of frequency and thickness, then standardise; target
    standardised) is fitted on those rows.
    """
    from glassnet.data import AIRFOIL_LOG_COLUMNS, Preprocessor, load_airfoil, train_val_test_split

    dataset = load_airfoil(data)
    split = train_val_test_split(len(dataset), rng=np.random.default_rng(seed))
    preprocessor = Preprocessor(log_columns=AIRFOIL_LOG_COLUMNS)
    x, y = preprocessor.fit_transform(dataset.X[split.train], dataset.y[split.train])
    return x, y[:, None]  # (N, 5), (N, 1)


def initial_weights(sizes: Sequence[int], dtype: npt.DTypeLike, seed: int = SEED) -> list[Array]:
    """[W₁, b₁, W₂, b₂, W₃, b₃] of a glassnet MLP (PyTorch's init, W as (out, in))."""
    model = nn.MLP(sizes, rng=np.random.default_rng(seed), dtype=dtype)
    return [parameter.data.copy() for parameter in model.parameters()]


# -- the floor: a hand-written NumPy training step --------------------------------------


def make_floor_step(
    weights: Sequence[Array], *, lr: float = LR, betas: tuple[float, float] = BETAS, eps: float = EPS
) -> tuple[Step, list[Array]]:
    """A training step for x → ReLU(W₁x + b₁) → ReLU(W₂h + b₂) → W₃h + b₃, MSE, Adam.

    Returns ``step(x, y) -> loss`` and the six parameter arrays [W₁, b₁, W₂, b₂, W₃, b₃]
    (views of one flat θ, updated in place by every step). No checks, no objects: the
    arithmetic glassnet does, written as tightly as NumPy allows:

    - each layer keeps [W | b] as one (out, in + 1) block of θ, and the activations are
      kept transposed, one column per row of the batch, with a last row of ones: then
      Z = [W | b] [Hᵀ; 1ᵀ] adds the bias inside the product, and the one product
      G = Δ [Hᵀ; 1ᵀ]ᵀ gives dL/dW and dL/db together (no broadcast addition, which NumPy
      runs through a buffer the size of Z, and no separate Σₙ);
    - every intermediate lives in a buffer made once per batch size (``out=``): after its
      first call at a batch size, a step allocates no array;
    - the ReLU is applied in place, and its derivative is sign(h) (1 where z > 0, else 0:
      a float mask, written into its own buffer, so the product is float by float, faster
      than by the bool h > 0);
    - gradients are written, not accumulated (no zeroing), straight into a flat
      buffer that the Adam update reads whole;
    - Adam keeps u = m / (1 − β₁) and w = v / (1 − β₂), so u ← β₁u + g and
      w ← β₂w + g² take two and three calls, and the constants fold into
      θ ← θ − c · u / (√w + ε′): ten NumPy calls for the whole update. The same
      numbers as ``torch.optim.Adam`` up to rounding, as long as g² does not overflow (from
      |g| = 1.8e19 in float32), where torch's (1 − β₂)g·g, which glassnet computes in one more
      pass, goes on: the floor takes the fewest passes, not glassnet's guard;
    - every ``SUBNORMAL_FLUSH_EVERY`` steps the moments' subnormal entries are set to zero,
      as glassnet's optimizers do (``glassnet.optim._optimizer.flush_subnormals``): the
      moments of weights whose gradient has become zero decay into them and stay, and
      NumPy's arithmetic on them is tens of times slower.
    """
    dtype = weights[0].dtype
    pairs = list(zip(weights[0::2], weights[1::2], strict=True))  # [(W, b)] per layer
    sizes = [W.shape[0] * (W.shape[1] + 1) for W, _ in pairs]
    theta = np.empty(sum(sizes), dtype)  # (P,) all parameters, layer by layer [W | b]
    grad = np.zeros_like(theta)  # (P,) all gradients, the same layout
    blocks: list[Array] = []
    grads: list[Array] = []
    offset = 0
    for (W, b), size in zip(pairs, sizes, strict=True):
        block = theta[offset : offset + size].reshape(W.shape[0], W.shape[1] + 1)  # (out, in + 1)
        block[:, :-1], block[:, -1] = W, b
        blocks.append(block)
        grads.append(grad[offset : offset + size].reshape(block.shape))
        offset += size
    A1, A2, A3 = blocks  # [W₁ | b₁] (w, 6), [W₂ | b₂] (w, w + 1), [W₃ | b₃] (1, w + 1)
    G1, G2, G3 = grads
    params = [view for block in blocks for view in (block[:, :-1], block[:, -1])]
    u, w2, scratch = np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta)
    beta1, beta2 = betas
    buffers: dict[int, tuple[Array, ...]] = {}
    t = 0

    def step(x: Array, y: Array) -> float:
        nonlocal t, theta, u, w2, scratch  # updated in place (augmented assignment rebinds names)
        n = x.shape[0]
        if n not in buffers:
            buffers[n] = (
                np.ones((A1.shape[1], n), dtype),  # [xᵀ; 1ᵀ]
                np.ones((A2.shape[1], n), dtype),  # [h1ᵀ; 1ᵀ]
                np.ones((A3.shape[1], n), dtype),  # [h2ᵀ; 1ᵀ]
                np.empty((A3.shape[0], n), dtype),  # outᵀ, then dL/doutᵀ
                np.empty((A3.shape[1], n), dtype),  # (dL/dh2ᵀ; a row not used)
                np.empty((A2.shape[1], n), dtype),  # (dL/dh1ᵀ; a row not used)
                np.empty((A2.shape[0], n), dtype),  # ReLU′ of layer 2: sign(h2ᵀ)
                np.empty((A1.shape[0], n), dtype),  # ReLU′ of layer 1: sign(h1ᵀ)
            )
        X1, H1, H2, out, D2, D1, s2, s1 = buffers[n]
        h1, h2, d2, d1 = H1[:-1], H2[:-1], D2[:-1], D1[:-1]  # (w, n) each, C-contiguous rows
        # forward
        np.copyto(X1[:-1], x.T)
        A1.dot(X1, out=h1)
        np.maximum(h1, 0.0, out=h1)
        A2.dot(H1, out=h2)
        np.maximum(h2, 0.0, out=h2)
        A3.dot(H2, out=out)
        # loss: L = (1/M) Σ (ŷ − y)², dL/dŷ = (2/M)(ŷ − y)
        out -= y.T
        residual = out.ravel()
        loss = float(residual.dot(residual)) / out.size
        out *= 2.0 / out.size
        # backward
        out.dot(H2.T, out=G3)
        A3.T.dot(out, out=D2)
        np.sign(h2, out=s2)
        d2 *= s2
        d2.dot(H1.T, out=G2)
        A2.T.dot(d2, out=D1)
        np.sign(h1, out=s1)
        d1 *= s1
        d1.dot(X1.T, out=G1)
        # Adam on the flat buffers
        t += 1
        u *= beta1
        u += grad
        np.multiply(grad, grad, out=scratch)
        w2 *= beta2
        w2 += scratch
        k = math.sqrt((1.0 - beta2) / (1.0 - beta2**t))  # √v̂ = k √w
        np.sqrt(w2, out=scratch)
        scratch += eps / k
        np.divide(u, scratch, out=scratch)
        scratch *= lr * (1.0 - beta1) / ((1.0 - beta1**t) * k)
        theta -= scratch
        if t % SUBNORMAL_FLUSH_EVERY == 0:
            flush_subnormals(u)
            flush_subnormals(w2)
        return loss

    return step, params


def floor_predict(weights: Sequence[Array], x: Array) -> Array:
    """The floor's forward pass alone, for inference: (N, 5) -> (N, 1)."""
    W1, b1, W2, b2, W3, b3 = weights
    h = x @ W1.T
    h += b1
    np.maximum(h, 0.0, out=h)
    h2 = h @ W2.T
    h2 += b2
    np.maximum(h2, 0.0, out=h2)
    out = h2 @ W3.T
    out += b3
    return out


# -- the loops being timed --------------------------------------------------------------


def make_epoch(step: Step, x: Array, y: Array, batch_size: int, seed: int = SEED) -> Epoch:
    """One epoch: shuffle the rows (into buffers made once), then step through mini-batches."""
    rng = np.random.default_rng(seed)
    xs, ys = np.empty_like(x), np.empty_like(y)
    n = len(x)

    def epoch() -> float:
        order = rng.permutation(n)
        np.take(x, order, axis=0, out=xs)
        np.take(y, order, axis=0, out=ys)
        total = 0.0
        for start in range(0, n, batch_size):
            total += step(xs[start : start + batch_size], ys[start : start + batch_size])
        return total

    return epoch


def glassnet_parts(sizes: Sequence[int], dtype: npt.DTypeLike) -> tuple[nn.MLP, losses.MSELoss, optim.Adam]:
    model = nn.MLP(sizes, rng=np.random.default_rng(SEED), dtype=dtype)
    return model, losses.MSELoss(), optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)


def make_glassnet_step(model: nn.Module, loss: losses.Loss, opt: optim.Optimizer) -> Step:
    """glassnet's bare training step, written as the README shows it."""

    def step(x: Array, y: Array) -> float:
        value = loss(model(x), y)
        model.backward(loss.backward())
        opt.step()
        opt.zero_grad()
        return value

    return step


def floor_epoch(x: Array, y: Array, sizes: Sequence[int], batch_size: int) -> Epoch:
    step, _ = make_floor_step(initial_weights(sizes, x.dtype))
    return make_epoch(step, x, y, batch_size)


def glassnet_epoch(x: Array, y: Array, sizes: Sequence[int], batch_size: int) -> Epoch:
    return make_epoch(make_glassnet_step(*glassnet_parts(sizes, x.dtype)), x, y, batch_size)


def fresh_run(make: Callable[[], Epoch], epochs: int) -> Epoch:
    """A run of ``epochs`` + 1 epochs of the loop ``make()`` builds afresh (model, optimizer and
    batch order from the seed), timed from the end of the first epoch to the end of the last,
    as :func:`trainer_run` times the Trainer.

    Every method is timed this way, so that all are measured at the same stage of training: a
    loop trained on for thousands of epochs, round after round, ends up slower than a fresh one
    where its optimizer's moments hold subnormal numbers (torch's and scikit-learn's too, which
    flush none), and the floor and the bare loop used to be timed so, against fresh Trainers.
    """

    def run() -> SelfTimed:
        start = time.perf_counter()
        epoch = make()
        epoch()
        wall_0, cpu_0 = time.perf_counter(), time.process_time()
        for _ in range(epochs):
            epoch()
        return SelfTimed(time.perf_counter() - wall_0, time.process_time() - cpu_0, epochs, wall_0 - start)

    return run


def trainer_config(
    sizes: Sequence[int], batch_size: int, dtype: npt.DTypeLike, engine: str, epochs: int
) -> Any:
    from glassnet.train import TrainConfig

    return TrainConfig(
        hidden=tuple(sizes[1:-1]),
        optimizer="adam",
        lr=LR,
        beta1=BETAS[0],
        beta2=BETAS[1],
        eps=EPS,
        weight_decay=0.0,
        schedule="constant",
        batch_size=batch_size,
        epochs=epochs,
        engine=engine,
        dtype=np.dtype(dtype).name,
    )


@dataclass
class SelfTimed:
    """What a call measured itself: ``epochs`` epochs took ``wall`` and ``cpu`` seconds, after
    ``first`` seconds (wall) of setup and a first epoch that are not part of them."""

    wall: float
    cpu: float
    epochs: int
    first: float


def trainer_run(x: Array, y: Array, sizes: Sequence[int], batch_size: int, engine: str, epochs: int) -> Epoch:
    """A whole ``Trainer.run()`` of ``epochs`` + 1 epochs, timed by its epoch callback from the
    end of the first epoch to the end of the last, as :func:`fresh_run` times the other loops.

    Its setup, paid once per run (a thousand epochs in the airfoil recipe), would otherwise
    weigh on each epoch of this short run as if it were paid every few epochs.
    ``SelfTimed.first`` keeps it, with the first epoch.
    """
    config = trainer_config(sizes, batch_size, x.dtype, engine, epochs + 1)

    def run() -> SelfTimed:
        result, start, stamps = run_trainer_timed(config, x, y)
        if result.status != "completed":
            raise RuntimeError(f"Trainer did not complete: {result.status} {result.message}")
        (wall_0, cpu_0), (wall_1, cpu_1) = stamps[0], stamps[-1]
        return SelfTimed(wall_1 - wall_0, cpu_1 - cpu_0, epochs, wall_0 - start)

    return run


def run_trainer_timed(config: Any, x: Any, y: Any) -> tuple[Any, float, list[tuple[float, float]]]:
    """``Trainer(config, x, y).run()`` timed through its epoch callback: (the result, the wall
    clock at the start, the (wall, CPU) clocks after every epoch)."""
    from glassnet.train import Trainer

    stamps: list[tuple[float, float]] = []
    start = time.perf_counter()
    result = Trainer(
        config,
        x,
        y,
        progress=False,
        handle_sigint=False,
        callback=lambda *_: stamps.append((time.perf_counter(), time.process_time())),
    ).run()
    return result, start, stamps


def torch_module(sizes: Sequence[int], dtype: npt.DTypeLike) -> Any:
    """The glassnet MLP's starting weights in a plain ``torch.nn.Sequential``."""
    import torch

    layers: list[Any] = []
    weights = initial_weights(sizes, dtype)
    for index in range(len(sizes) - 1):
        linear = torch.nn.Linear(sizes[index], sizes[index + 1], dtype=torch_dtype(dtype))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[2 * index]))
            linear.bias.copy_(torch.from_numpy(weights[2 * index + 1]))
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_dtype(dtype: npt.DTypeLike) -> Any:
    import torch

    return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64


def torch_epoch(
    x: Array,
    y: Array,
    sizes: Sequence[int],
    batch_size: int,
    *,
    fused: bool = False,
    threads: int | None = None,
) -> Epoch:
    """Plain PyTorch eager: the loop from PyTorch's tutorials, ``loss.item()`` every step.

    ``threads`` sets ``torch.set_num_threads`` for the epoch (and puts it back after).
    """
    import torch

    model = torch_module(sizes, x.dtype)
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS, fused=fused or None)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(SEED)
    n = len(x)
    mse = torch.nn.functional.mse_loss

    def epoch() -> float:
        order = torch.from_numpy(rng.permutation(n))
        xs, ys = xt[order], yt[order]
        total = 0.0
        for start in range(0, n, batch_size):
            opt.zero_grad()
            loss = mse(model(xs[start : start + batch_size]), ys[start : start + batch_size])
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += loss.item()
        return total

    if threads is None:
        return epoch

    def epoch_with_threads() -> float:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return epoch()
        finally:
            torch.set_num_threads(before)

    return epoch_with_threads


def sklearn_estimator(sizes: Sequence[int], batch_size: int) -> Any:
    from sklearn.neural_network import MLPRegressor  # type: ignore[import-untyped]

    return MLPRegressor(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=batch_size,
        learning_rate_init=LR,
        beta_1=BETAS[0],
        beta_2=BETAS[1],
        epsilon=EPS,
        shuffle=True,
        random_state=SEED,
    )


def sklearn_run(x: Array, y: Array, sizes: Sequence[int], batch_size: int, epochs: int) -> Epoch:
    """scikit-learn as a user trains it: one ``fit`` of ``epochs`` epochs (``max_iter``, no early
    stop), each a shuffled pass in mini-batches of ``batch_size``, after a first epoch
    (``partial_fit``, which builds the network) that is not timed, as :func:`fresh_run` times
    the other loops. One ``partial_fit`` per epoch would check its arguments and set up its
    buffers every epoch, about 7 % of an epoch here, which a run pays once."""
    from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]

    target = y[:, 0]

    def run() -> SelfTimed:
        start = time.perf_counter()
        estimator = sklearn_estimator(sizes, batch_size)
        estimator.partial_fit(x, target)
        estimator.set_params(warm_start=True, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
        wall_0, cpu_0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():  # "maximum iterations reached": the number asked for
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(x, target)
        wall_1, cpu_1 = time.perf_counter(), time.process_time()
        if estimator.n_iter_ != epochs:
            raise RuntimeError(f"scikit-learn ran {estimator.n_iter_} epochs, not {epochs}")
        return SelfTimed(wall_1 - wall_0, cpu_1 - cpu_0, epochs, wall_0 - start)

    return run


# -- timing -----------------------------------------------------------------------------


@dataclass
class Timing:
    """Seconds per epoch of each method, one entry per round: wall clock and process CPU time.

    The CPU time (all threads of the process) does not count time the process waited
    for a core, so on a busy machine it is the steadier figure for single-threaded code;
    for multi-threaded code (PyTorch, BLAS at large sizes) it adds up every thread.
    """

    per_epoch: dict[str, list[float]] = field(default_factory=dict)
    cpu_per_epoch: dict[str, list[float]] = field(default_factory=dict)
    first_epoch: dict[str, list[float]] = field(default_factory=dict)  # self-timed methods only

    def median_ms(self, name: str) -> float:
        return 1e3 * statistics.median(self.per_epoch[name])

    def median_cpu_ms(self, name: str) -> float:
        return 1e3 * statistics.median(self.cpu_per_epoch[name])


def time_methods(
    methods: dict[str, tuple[Epoch, int]], *, rounds: int, min_seconds: float, warmup: int = 1
) -> Timing:
    """Round-robin timing. ``methods[name] = (call, epochs one call runs)``.

    Each method is called ``warmup`` times first; its number of calls per measurement is
    then chosen so that one measurement lasts at least ``min_seconds``. In every round
    each method is measured once, the order rotating, so slow drifts of the machine
    (other processes, frequency) fall on every method alike. A call that returns
    :class:`SelfTimed` is measured by what it returns instead of around it.
    """
    timing = Timing()
    repeats: dict[str, int] = {}
    for name, (call, _) in methods.items():
        start = time.perf_counter()
        for _ in range(warmup):
            call()
        elapsed = (time.perf_counter() - start) / warmup
        repeats[name] = max(1, math.ceil(min_seconds / max(elapsed, 1e-9)))
        timing.per_epoch[name] = []
        timing.cpu_per_epoch[name] = []
    names = list(methods)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            call, epochs = methods[name]
            start, cpu_start = time.perf_counter(), time.process_time()
            returned = [call() for _ in range(repeats[name])]
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            runs = repeats[name] * epochs
            timed = [r for r in returned if isinstance(r, SelfTimed)]
            if timed:
                elapsed, cpu = sum(t.wall for t in timed), sum(t.cpu for t in timed)
                runs = sum(t.epochs for t in timed)
                timing.first_epoch.setdefault(name, []).extend(t.first for t in timed)
            timing.per_epoch[name].append(elapsed / runs)
            timing.cpu_per_epoch[name].append(cpu / runs)
    return timing


@dataclass
class Settings:
    rounds: int
    sweep_rounds: int
    min_seconds: float
    trainer_epochs: int  # timed epochs of a run, after its first, in the main table and the ratios
    sweep_epochs: int  # the same in the batch-size and width sweeps
    memory_steps: int
    profile_seconds: float
    batch_sizes: tuple[int | None, ...]  # None: the whole training split
    widths: tuple[int, ...]
    processes: int  # fresh processes that time the floor, the bare loop and the Trainer again
    process_rounds: int  # rounds in each of them


QUICK = Settings(
    rounds=5,
    sweep_rounds=2,
    min_seconds=0.02,
    trainer_epochs=5,
    sweep_epochs=1,
    memory_steps=10_000,
    profile_seconds=1.0,
    batch_sizes=(1, 32, 256, 1024, None),
    widths=(64, 256, 1024),
    processes=2,
    process_rounds=3,
)
FULL = Settings(
    rounds=15,
    sweep_rounds=5,
    min_seconds=0.2,
    trainer_epochs=30,
    sweep_epochs=3,
    memory_steps=10_000,
    profile_seconds=3.0,
    batch_sizes=(1, 32, 256, 1024, None),
    widths=(64, 256, 1024),
    processes=8,
    process_rounds=20,
)


_START = time.perf_counter()


def progress(what: str) -> None:
    """One line on stderr: what finished and when (seconds since the start)."""
    print(f"  {time.perf_counter() - _START:6.1f} s  {what}: done", file=sys.stderr)


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def training_methods(
    x: Array, y: Array, sizes: Sequence[int], batch_size: int, epochs: int, *, everything: bool
) -> dict[str, tuple[Epoch, int]]:
    """The methods to time at one setting, each as fresh runs of ``epochs`` timed epochs (the
    torch Trainer half as many); ``everything`` adds the Trainers and fused Adam."""

    def fresh(make: Callable[[], Epoch]) -> tuple[Epoch, int]:
        return fresh_run(make, epochs), epochs

    methods: dict[str, tuple[Epoch, int]] = {
        "floor": fresh(lambda: floor_epoch(x, y, sizes, batch_size)),
        "glassnet": fresh(lambda: glassnet_epoch(x, y, sizes, batch_size)),
    }
    if everything and available("glassnet.train"):
        methods["Trainer"] = (trainer_run(x, y, sizes, batch_size, "numpy", epochs), epochs)
    if available("torch"):
        if everything and available("glassnet.train"):
            half = max(1, epochs // 2)
            methods["Trainer (torch)"] = (trainer_run(x, y, sizes, batch_size, "torch", half), half)
        methods["torch eager"] = fresh(lambda: torch_epoch(x, y, sizes, batch_size))
        if everything:
            methods["torch eager (fused)"] = fresh(lambda: torch_epoch(x, y, sizes, batch_size, fused=True))
            methods["torch eager (1 thread)"] = fresh(lambda: torch_epoch(x, y, sizes, batch_size, threads=1))
    if available("sklearn"):
        methods["sklearn"] = (sklearn_run(x, y, sizes, batch_size, epochs), epochs)
    return methods


# -- the sections of the report ---------------------------------------------------------


def main_table(x64: Array, y64: Array, settings: Settings) -> dict[str, Timing]:
    """5→64→64→1 at batch 32, both dtypes, every method."""
    results: dict[str, Timing] = {}
    for dtype in DTYPES:
        x, y = x64.astype(dtype), y64.astype(dtype)
        methods = training_methods(x, y, (5, 64, 64, 1), 32, settings.trainer_epochs, everything=True)
        results[dtype] = time_methods(methods, rounds=settings.rounds, min_seconds=settings.min_seconds)
        progress(f"main table {dtype}")
    return results


RATIO_LOOPS = ("glassnet", "Trainer")  # the loops held to the ≤ 1.25 × floor target


def ratios_in_this_process(x64: Array, y64: Array, dtype: str, settings: Settings) -> dict[str, float]:
    """{loop: its median time per epoch over the floor's} for the bare loop and the Trainer at
    5→64→64→1, batch 32: the main table's target ratios, timed alone in this process."""
    x, y = x64.astype(dtype), y64.astype(dtype)
    sizes = (5, 64, 64, 1)
    epochs = settings.trainer_epochs
    methods: dict[str, tuple[Epoch, int]] = {
        "floor": (fresh_run(lambda: floor_epoch(x, y, sizes, 32), epochs), epochs),
        "glassnet": (fresh_run(lambda: glassnet_epoch(x, y, sizes, 32), epochs), epochs),
        "Trainer": (trainer_run(x, y, sizes, 32, "numpy", epochs), epochs),
    }
    timing = time_methods(methods, rounds=settings.process_rounds, min_seconds=settings.min_seconds)
    return {loop: timing.median_ms(loop) / timing.median_ms("floor") for loop in RATIO_LOOPS}


def ratios_in_fresh_processes(
    settings: Settings, quick: bool, data: Path | None = None
) -> dict[str, dict[str, list[float]]]:
    """{dtype: {loop: [ratio to the floor in each process]}}, from ``settings.processes`` fresh
    Python processes per dtype (``speed.py --ratios-only DTYPE``), float32 and float64 taking
    turns; each times with the settings of ``--quick`` when ``quick``, else of the full run,
    on the airfoil file ``data`` (None: the usual search).
    A process draws its own memory layout and hash seed, which moves a small loop's time by
    a percent or so: the spread says how far one run's ratio can be trusted."""
    found: dict[str, dict[str, list[float]]] = {d: {loop: [] for loop in RATIO_LOOPS} for d in DTYPES}
    for _ in range(settings.processes):
        for dtype in DTYPES:
            command = [sys.executable, str(Path(__file__).resolve()), "--ratios-only", dtype]
            options = [*(["--quick"] if quick else []), *(["--data", str(data)] if data is not None else [])]
            completed = subprocess.run([*command, *options], capture_output=True, text=True, check=False)
            if completed.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr.strip()}")
            for loop, ratio in json.loads(completed.stdout).items():
                found[dtype][loop].append(float(ratio))
    return found


def sweeps(x64: Array, y64: Array, settings: Settings) -> tuple[dict[str, Timing], dict[int, Timing]]:
    """float32: batch sizes at width 64, and widths at batch 32."""
    x, y = x64.astype(np.float32), y64.astype(np.float32)
    by_batch: dict[str, Timing] = {}
    for batch in settings.batch_sizes:
        size = len(x) if batch is None else batch
        methods = training_methods(x, y, (5, 64, 64, 1), size, settings.sweep_epochs, everything=False)
        by_batch[batch_label(batch, len(x))] = time_methods(
            methods, rounds=settings.sweep_rounds, min_seconds=settings.min_seconds
        )
        progress(f"batch {size}")
    by_width: dict[int, Timing] = {}
    for width in settings.widths:
        methods = training_methods(x, y, (5, width, width, 1), 32, settings.sweep_epochs, everything=False)
        by_width[width] = time_methods(
            methods, rounds=settings.sweep_rounds, min_seconds=settings.min_seconds
        )
        progress(f"width {width}")
    return by_batch, by_width


def batch_label(batch: int | None, n: int) -> str:
    return f"full ({n})" if batch is None else str(batch)


def inference(x64: Array, settings: Settings) -> dict[str, dict[str, float]]:
    """Rows per second of one prediction call (float32, 5→64→64→1), on the split and on 2¹⁶ rows."""
    sizes = (5, 64, 64, 1)
    rows = {
        f"{len(x64)} rows": x64.astype(np.float32),
        "65536 rows": np.random.default_rng(1).normal(size=(65536, 5)).astype(np.float32),
    }
    weights = initial_weights(sizes, np.float32)
    model = nn.MLP(sizes, rng=np.random.default_rng(SEED), dtype=np.float32)
    estimator = None
    if available("sklearn"):  # one epoch on the split, so that predict has weights
        estimator = sklearn_estimator(sizes, 32).partial_fit(rows[f"{len(x64)} rows"], np.zeros(len(x64)))
    result: dict[str, dict[str, float]] = {}
    for label, x in rows.items():
        calls: dict[str, tuple[Epoch, int]] = {
            "floor": (functools.partial(floor_predict, weights, x), 1),
            "glassnet": (functools.partial(model, x), 1),
        }
        if available("torch"):
            import torch

            module, xt = torch_module(sizes, np.float32), torch.from_numpy(x)

            def torch_predict(module: Any = module, xt: Any = xt) -> object:
                with torch.inference_mode():
                    return module(xt)

            calls["torch eager"] = (torch_predict, 1)
        if estimator is not None:
            calls["sklearn"] = (functools.partial(estimator.predict, x), 1)
        timing = time_methods(calls, rounds=settings.rounds, min_seconds=settings.min_seconds)
        result[label] = {name: len(x) / statistics.median(t) for name, t in timing.per_epoch.items()}
    return result


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def memory(x64: Array, y64: Array, steps: int) -> dict[str, dict[str, float]]:
    """Memory over ``steps`` training steps (float32, batch 32): traced Python/NumPy memory
    (tracemalloc) and RSS, each at 1,000 steps and at the end."""
    result: dict[str, dict[str, float]] = {}
    x, y = x64.astype(np.float32), y64.astype(np.float32)
    sizes = (5, 64, 64, 1)

    def floor() -> Step:
        return make_floor_step(initial_weights(sizes, np.float32))[0]

    def glassnet() -> Step:
        return make_glassnet_step(*glassnet_parts(sizes, np.float32))

    makers: dict[str, Callable[[], Step]] = {"floor": floor, "glassnet": glassnet}
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, len(x), 32)]
    for name, make in makers.items():
        for traced in (True, False):
            step = make()
            gc.collect()
            if traced:
                tracemalloc.start()
            marks: dict[int, int] = {}
            for index in range(steps):
                step(*batches[index % len(batches)])
                if index + 1 in (1000, steps):
                    marks[index + 1] = tracemalloc.get_traced_memory()[0] if traced else rss_bytes()
            if traced:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                result[name] = {"traced_1000": marks[1000], "traced_end": marks[steps], "traced_peak": peak}
            else:
                result[name].update(rss_1000=marks[1000], rss_end=marks[steps])
    return result


def best_microseconds(call: Callable[[], object], number: int = 2000, repeat: int = 7) -> float:
    """The fastest of ``repeat`` runs of ``number`` calls, in µs per call (timeit's rule)."""
    return 1e6 * min(timeit.repeat(call, number=number, repeat=repeat)) / number


def guarantee_costs(x64: Array, y64: Array, dtype: str) -> dict[str, float]:
    """µs per step (batch 32, 5→64→64→1) of what glassnet's API promises and the floor skips.

    Each item is timed on its own, on arrays of the step's shapes, so the figures say
    how much of the gap to the floor these promises explain.
    """
    x, y = x64[:32].astype(dtype), y64[:32].astype(dtype)
    model, _, opt = glassnet_parts((5, 64, 64, 1), dtype)
    grad_h1 = np.ones((32, 64), dtype)  # dL/dz of the first layer
    target_dtype = np.dtype(dtype)

    def checks() -> None:
        # model(x) checks x; loss(ŷ, y) checks y's dtype, and y's and ŷ's values only when L is not finite
        as_float_array(x, name="input", dtype=target_dtype, ndim=2)
        as_float_array(y, name="target", dtype=target_dtype, finite=False)

    def first_input_grad() -> None:  # Sequential.backward returns dL/dx
        grad_h1.dot(model[0].weight.data)

    items = {
        "input checks (x finite, dtype, shape; y dtype)": checks,
        "zero_grad (every gradient flagged as zero; backward then writes it)": opt.zero_grad,
        "dL/dx of the first layer (returned by model.backward)": first_input_grad,
    }
    return {name: best_microseconds(call) for name, call in items.items()}


def phase_breakdown(x64: Array, y64: Array, dtype: str, steps: int = 3000) -> dict[str, float]:
    """Microseconds per step in each phase of glassnet's bare step (perf_counter around each)."""
    x, y = x64.astype(dtype), y64.astype(dtype)
    model, loss, opt = glassnet_parts((5, 64, 64, 1), dtype)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, len(x) - 31, 32)]
    names = (
        "model(x)",
        "loss(pred, y)",
        "loss.backward()",
        "model.backward(g)",
        "opt.step()",
        "opt.zero_grad()",
    )
    totals = dict.fromkeys(names, 0.0)
    clock = time.perf_counter
    for index in range(steps + 200):
        xb, yb = batches[index % len(batches)]
        t0 = clock()
        pred = model(xb)
        t1 = clock()
        loss(pred, yb)
        t2 = clock()
        g = loss.backward()
        t3 = clock()
        model.backward(g)
        t4 = clock()
        opt.step()
        t5 = clock()
        opt.zero_grad()
        t6 = clock()
        if index >= 200:  # after a warm-up
            for name, seconds in zip(
                names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True
            ):
                totals[name] += seconds
    return {name: 1e6 * total / steps for name, total in totals.items()}


def profile(x64: Array, y64: Array, seconds: float) -> str:
    """pyinstrument's flat profile (self time per function) of glassnet's bare loop, float32."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "(pyinstrument is not installed)"
    x, y = x64.astype(np.float32), y64.astype(np.float32)
    epoch = glassnet_epoch(x, y, (5, 64, 64, 1), 32)
    epoch()
    profiler = Profiler(interval=1e-4)
    profiler.start()
    deadline = time.perf_counter() + seconds
    epochs = 0
    while time.perf_counter() < deadline:
        epoch()
        epochs += 1
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, flat=True, time="percent_of_total")
    lines = [line for line in text.splitlines() if "%" in line and "Profile at" not in line]
    header = (
        f"{epochs} epochs of glassnet's bare loop (float32, batch 32), sampled every 0.1 ms; % of samples"
    )
    return "\n".join([header, *lines[:22]])


def machine() -> dict[str, str]:
    info = {
        "cpu": platform.processor() or platform.machine(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "glassnet": glassnet.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if available("torch"):
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    if available("sklearn"):
        import sklearn  # type: ignore[import-untyped]

        info["scikit-learn"] = sklearn.__version__
    if available("threadpoolctl"):
        threadpool_info = importlib.import_module("threadpoolctl").threadpool_info

        info["BLAS"] = "; ".join(
            f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')}, "
            f"{pool.get('num_threads')} threads ({Path(pool.get('filepath', '')).name})"
            for pool in threadpool_info()
            if pool.get("user_api") == "blas"
        )
    return info


# -- output -----------------------------------------------------------------------------


def ratio_table(timing: Timing, reference: str = "floor") -> list[str]:
    base = timing.median_ms(reference)
    glass = timing.median_ms("glassnet")
    lines = [
        "| method | ms / epoch | × floor | × glassnet | wall min–max | CPU ms / epoch |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for name in timing.per_epoch:
        ms = timing.median_ms(name)
        low, high = 1e3 * min(timing.per_epoch[name]), 1e3 * max(timing.per_epoch[name])
        lines.append(
            f"| {name} | {ms:.3f} | {ms / base:.2f} | {ms / glass:.2f} | {low:.3f}–{high:.3f} | "
            f"{timing.median_cpu_ms(name):.3f} |"
        )
    return lines


def meets(value: float, goal: float, at_most: bool) -> bool:
    """Whether ``value`` reaches ``goal``: at most it (a time or a ratio to the floor), else at least."""
    return value <= goal if at_most else value >= goal


def beside_goal(value: float, goal: float, at_most: bool, digits: int, kind: str = "f") -> str:
    """``value`` with ``digits`` decimals (``kind`` "f"; "g": significant digits), or more where
    rounding would put it on the other side of ``goal`` (1.2502 must not read as 1.250 beside
    a MISSED of ≤ 1.25, nor 3.996 as 4.00)."""
    met = meets(value, goal, at_most)
    for places in range(digits, 17):
        text = f"{value:.{places}{kind}}"
        if meets(float(text), goal, at_most) == met:
            return text
    return repr(value)


def targets(main: dict[str, Timing]) -> list[str]:
    """The issue's targets, checked on the bare loop and on the Trainer."""
    lines = [
        "| dtype | engine | ≤ 1.25 × floor | ≥ 4 × faster than torch eager | ≥ 3 × faster than sklearn |"
    ]
    lines.append("|---|---|---|---|---|")
    for dtype, timing in main.items():
        for engine in ("glassnet", "Trainer"):
            if engine not in timing.per_epoch:
                continue
            cells = []
            for other, goal in TARGETS.items():
                if other not in timing.per_epoch:
                    cells.append("not measured")
                    continue
                wall = timing.median_ms(engine) / timing.median_ms(other)
                cpu = timing.median_cpu_ms(engine) / timing.median_cpu_ms(other)
                if other == "floor":
                    at_most, digits = True, 3  # a third digit: 1.251 must not read as 1.25
                else:  # "× faster": the other's time over ours
                    wall, cpu = 1.0 / wall, 1.0 / cpu
                    at_most, digits = False, 2
                met = meets(wall, goal, at_most)
                cells.append(
                    f"{beside_goal(wall, goal, at_most, digits)} {'met' if met else 'MISSED'} "
                    f"(CPU time: {beside_goal(cpu, goal, at_most, digits)})"
                )
            lines.append(f"| {dtype} | {engine} | " + " | ".join(cells) + " |")
    return lines


def process_table(found: dict[str, dict[str, list[float]]]) -> list[str]:
    """The ≤ 1.25 × floor ratios measured again in fresh processes: median, range, how often met."""
    counts = {len(ratios) for loops in found.values() for ratios in loops.values()}
    goal = TARGETS["floor"]
    lines = [
        f"The same target timed again in {max(counts)} fresh processes for each dtype "
        "(`python benchmarks/speed.py --ratios-only DTYPE`: the floor, the bare loop and the "
        "Trainer only, wall-clock medians):",
        "",
        f"| dtype | loop | median × floor | min–max | ≤ {goal} in |",
        "|---|---|---:|---|---:|",
    ]
    for dtype, loops in found.items():
        for loop, ratios in loops.items():
            met = sum(ratio <= goal for ratio in ratios)
            lines.append(
                f"| {dtype} | {loop} | {statistics.median(ratios):.3f} | {min(ratios):.3f}–{max(ratios):.3f} "
                f"| {met} of {len(ratios)} |"
            )
    return lines


def sweep_table(timings: dict[Any, Timing], label: str, rows_per_epoch: int) -> list[str]:
    names = list(next(iter(timings.values())).per_epoch)
    lines = [f"| {label} | " + " | ".join(f"{n} ms/epoch" for n in names) + " | fastest |"]
    lines.append("|---|" + "---:|" * len(names) + "---|")
    for key, timing in timings.items():
        values = {n: timing.median_ms(n) for n in names}
        fastest = min(values, key=values.__getitem__)
        lines.append(f"| {key} | " + " | ".join(f"{values[n]:.2f}" for n in names) + f" | {fastest} |")
    return lines


def report(results: dict[str, Any], command: str) -> str:
    lines = [f"Command: `{command}` ({results['seconds']:.0f} s).", ""]
    lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in results["machine"].items()]
    lines += ["", "### Training, 5→64→64→1, Adam, batch 32", ""]
    for dtype, timing in results["main"].items():
        lines += [f"**{dtype}**", "", *ratio_table(timing), ""]
        if timing.first_epoch:
            setups = ", ".join(
                f"{name} {1e3 * statistics.median(seconds):.1f} ms"
                for name, seconds in timing.first_epoch.items()
            )
            lines += [f"Setup and first epoch of a run, not in the table (median): {setups}.", ""]
    lines += ["### Targets (issue 6)", "", *targets(results["main"]), ""]
    lines += [*process_table(results["processes"]), ""]
    lines += ["### Batch size (float32, width 64)", ""]
    lines += [*sweep_table(results["by_batch"], "batch", results["rows"]), ""]
    lines += ["### Width (float32, batch 32)", ""]
    lines += [*sweep_table(results["by_width"], "width", results["rows"]), ""]
    lines += ["### Inference (float32, 5→64→64→1, one call), rows/s", ""]
    names = list(next(iter(results["inference"].values())))
    lines += ["| rows | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, rates in results["inference"].items():
        lines.append(f"| {label} | " + " | ".join(f"{rates[n]:,.0f}" for n in names) + " |")
    lines += ["", f"### Memory over {results['memory_steps']:,} steps (float32, batch 32)", ""]
    lines += ["| loop | traced at 1,000 steps | traced at end | growth | RSS at 1,000 | RSS at end |"]
    lines += ["|---|---:|---:|---:|---:|---:|"]
    for name, m in results["memory"].items():
        lines.append(
            f"| {name} | {m['traced_1000'] / 1024:.1f} KiB | {m['traced_end'] / 1024:.1f} KiB | "
            f"{(m['traced_end'] - m['traced_1000']) / 1024:+.1f} KiB | {m['rss_1000'] / 2**20:.1f} MiB | "
            f"{m['rss_end'] / 2**20:.1f} MiB |"
        )
    lines += ["", "### Where glassnet's step spends its time (µs per step, batch 32)", ""]
    lines += ["| phase | float32 | float64 |", "|---|---:|---:|"]
    p32, p64 = results["phases"]["float32"], results["phases"]["float64"]
    for name in p32:
        lines.append(f"| `{name}` | {p32[name]:.1f} | {p64[name]:.1f} |")
    lines.append(f"| total | {sum(p32.values()):.1f} | {sum(p64.values()):.1f} |")
    lines += ["", "### What the gap to the floor pays for (µs per step, batch 32, each item timed alone)", ""]
    lines += ["| item | float32 | float64 |", "|---|---:|---:|"]
    g32, g64 = results["guarantees"]["float32"], results["guarantees"]["float64"]
    for name in g32:
        lines.append(f"| {name} | {g32[name]:.1f} | {g64[name]:.1f} |")
    lines.append(f"| sum | {sum(g32.values()):.1f} | {sum(g64.values()):.1f} |")
    steps = math.ceil(results["rows"] / 32)
    gaps = []
    for dtype in DTYPES:
        timing = results["main"][dtype]
        wall = 1e3 * (timing.median_ms("glassnet") - timing.median_ms("floor")) / steps
        cpu = 1e3 * (timing.median_cpu_ms("glassnet") - timing.median_cpu_ms("floor")) / steps
        gaps.append(f"{wall:.1f} µs wall / {cpu:.1f} µs CPU ({dtype})")
    lines += ["", f"Measured gap, glassnet − floor, per step: {'; '.join(gaps)}."]
    lines += ["", "Profile (pyinstrument, flat, self time):", "", "```", results["profile"], "```"]
    lines += ["", f"Load average at the end: {results['load_end']}."]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    names = list(results["main"]["float32"].per_epoch)
    positions = np.arange(len(names))
    for offset, dtype in ((-0.2, "float32"), (0.2, "float64")):
        timing = results["main"][dtype]
        values = [timing.median_ms(n) if n in timing.per_epoch else np.nan for n in names]
        ax.barh(positions + offset, values, height=0.4, label=dtype)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ms per epoch (log)")
    ax.set_title("airfoil 5→64→64→1, Adam, batch 32")
    ax.legend()
    for ax, key, xlabel, title in (
        (axes[1], "by_batch", "batch size", "µs per row, float32, width 64"),
        (axes[2], "by_width", "hidden width", "ms per epoch, float32, batch 32"),
    ):
        timings: dict[Any, Timing] = results[key]
        labels = list(timings)
        xs = [results["rows"] if str(k).startswith("full") else int(k) for k in labels]
        for name in next(iter(timings.values())).per_epoch:
            ys = [timings[k].median_ms(name) for k in labels]
            if key == "by_batch":
                ys = [1e3 * v / results["rows"] for v in ys]
            ax.plot(xs, ys, marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(f"glassnet speed on {results['machine']['cpu']}, {results['machine']['cores']} cores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def output_path(text: str) -> Path:
    """An output option's value as a Path (argparse's ``type``); an empty one (an unset "$OUT")
    refused, where Path("") is the current folder: the results went nowhere, or into a message
    about the folder "." that nobody typed."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"is empty ({text!r}); give a file name")
    return Path(text)


def check_output_file(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written, before the timings rather than after them."""
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValueError(f"{option} {path}: the folder {path.parent} does not exist")


PLOT_FORMATS = (".png", ".svg", ".pdf")  # what --plot's help promises; matplotlib picks it by the suffix


def check_plot_file(path: Path) -> None:
    """Refuse a --plot name matplotlib would not write, before the timings rather than after them."""
    if path.suffix.lower() not in PLOT_FORMATS:
        raise ValueError(
            f"--plot {path}: the plot is written as PNG, SVG or PDF, by its suffix; "
            f"give a file name ending in {', '.join(PLOT_FORMATS[:-1])} or {PLOT_FORMATS[-1]}"
        )


def results_block_page(path: Path | None = None) -> str:
    """The text of ``path`` (default ``DOCS``), refused unless it has the results block's markers."""
    path = DOCS if path is None else path
    document = path.read_text(encoding="utf-8")
    if BEGIN not in document or END not in document.split(BEGIN, 1)[1]:
        raise ValueError(f"{path} needs the markers {BEGIN!r} and {END!r} around the results block")
    return document


def write_docs(text: str, path: Path | None = None) -> None:
    """Replace the block between the BEGIN and END markers of ``path`` (default ``DOCS``) with ``text``."""
    path = DOCS if path is None else path
    document = results_block_page(path)
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def to_json(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` as JSON values; a Timing as every round's milliseconds per epoch, wall clock
    and CPU time, and the first epochs (with setup) of the self-timed methods."""

    def ms(timings: dict[str, list[float]]) -> dict[str, list[float]]:
        return {name: [1e3 * s for s in seconds] for name, seconds in timings.items()}

    def plain(value: Any) -> Any:
        if isinstance(value, Timing):
            return {
                "wall_ms": ms(value.per_epoch),
                "cpu_ms": ms(value.cpu_per_epoch),
                "first_epoch_ms": ms(value.first_epoch),
            }
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        return value

    return {key: plain(value) for key, value in results.items()}


def run(settings: Settings, data: Path | None = None) -> dict[str, Any]:
    """Every table, on the airfoil file ``data`` (None: the usual search)."""
    start = time.perf_counter()
    info = machine()  # also sets torch's thread count
    x, y = load_training_split(data=data)
    print(f"data: {x.shape[0]} training rows; timing...", file=sys.stderr)
    results: dict[str, Any] = {"machine": info, "rows": len(x), "memory_steps": settings.memory_steps}
    results["main"] = main_table(x, y, settings)
    results["processes"] = ratios_in_fresh_processes(settings, quick=settings is QUICK, data=data)
    progress("fresh processes")
    results["by_batch"], results["by_width"] = sweeps(x, y, settings)
    results["inference"] = inference(x, settings)
    progress("inference")
    results["memory"] = memory(x, y, settings.memory_steps)
    progress("memory")
    results["phases"] = {dtype: phase_breakdown(x, y, dtype) for dtype in DTYPES}
    results["guarantees"] = {dtype: guarantee_costs(x, y, dtype) for dtype in DTYPES}
    results["profile"] = profile(x, y, settings.profile_seconds)
    results["load_end"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    results["seconds"] = time.perf_counter() - start
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and shorter timings (about a minute)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="rewrite the results block of docs/benchmarks.md and the plot",
    )
    parser.add_argument(
        "--plot", type=output_path, default=None, help="write the plot here (a .png, .svg or .pdf file)"
    )
    parser.add_argument(
        "--json",
        type=output_path,
        default=None,
        help="write every timing (ms per epoch: wall, CPU, first epochs) here",
    )
    parser.add_argument(
        "--ratios-only",
        choices=DTYPES,
        metavar="DTYPE",
        help="time only the floor, the bare loop and the Trainer (5→64→64→1, batch 32) in this "
        "dtype, and print the loops' ratios to the floor as JSON",
    )
    add_data_option(parser)
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.ratios_only is not None and (args.write_docs or args.plot or args.json):
        parser.error("--ratios-only prints its ratios only; it takes no --write-docs, --plot or --json")
    for option, path in (("--json", args.json), ("--plot", args.plot)):
        if path is not None:
            try:
                check_output_file(path, option)
                if option == "--plot":
                    check_plot_file(path)
            except ValueError as error:
                parser.error(str(error))
    if args.write_docs:  # the page it rewrites, checked before minutes of timings
        try:
            results_block_page()
        except (OSError, ValueError) as error:
            parser.error(f"--write-docs: {error}")
    data = data_or_exit(parser, args.data)
    if args.ratios_only is not None:
        x, y = load_training_split(data=data)
        print(json.dumps(ratios_in_this_process(x, y, args.ratios_only, settings)))
        return 0
    command = (
        "python benchmarks/speed.py"
        + (" --quick" if args.quick else "")
        + (" --write-docs" if args.write_docs else "")
        + (f" --data {shlex.quote(args.data)}" if args.data is not None else "")
    )
    results = run(settings, data)
    text = report(results, command)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(results), indent=1), encoding="utf-8")
    plot_path = PLOT if args.write_docs and args.plot is None else args.plot
    if plot_path is not None:
        plot(results, plot_path)
    if args.write_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
