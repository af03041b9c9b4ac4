"""Where the floor's speed comes from: product orientation, and the layout of weights and activations.

Issue 6 asks glassnet's NumPy engine for ≤ 1.25 × the floor of ``speed.py``. The floor keeps
each layer's [W | b] as one block and its activations transposed with a row of ones; glassnet's
layers keep W (out, in) and b apart and pass row-major (N, features) arrays. This script
measures what each of the floor's choices is worth, without classes or checks on either
side, so that the difference is arithmetic and layout alone:

- **products**: the time of A·B for the shapes of a 5→64→64→1 step at batch 32, with A and B
  each C- or F-ordered (BLAS's N and T). OpenBLAS is slow in one of the four cases only: A
  C-ordered and B F-ordered (NT), which is glassnet's forward X·Wᵀ;
- **steps**: one training step (forward, MSE, backward, Adam on one flat buffer), written
  five ways: with glassnet's arithmetic (row-major activations, X·Wᵀ + b, Σₙ G as 1ᵀG);
  the same into buffers made once, with the ReLU in place; the same as the first with the
  activations kept transposed (W·Xᵀ + b, so no NT product in the forward pass, but NT in
  dL/dW); the floor's [W | b] blocks and transposed activations, each layer copying its
  input into a buffer of its own and returning fresh results, as a layer must; and the
  floor itself (``speed.make_floor_step``), whose layers write into the next one's buffer.

Timings are the minimum over repeats of many calls (µs per call or step, one BLAS thread).

Usage::

    python benchmarks/layouts.py               # float32 and float64
    python benchmarks/layouts.py --dtype float32 --repeats 5
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet.optim._optimizer import SUBNORMAL_FLUSH_EVERY, flush_subnormals

sys.path.insert(0, str(Path(__file__).resolve().parent))
import speed  # the floor and the data: one definition of each

Array = npt.NDArray[Any]
Step = Callable[[Array, Array], float]
SIZES = (5, 64, 64, 1)
BATCH = 32
# (m, k, n) of the step's 64-wide products: X·Wᵀ and G·W at batch 32, and Gᵀ·X
PRODUCT_SHAPES = ((BATCH, 64, 64), (64, BATCH, 64), (64, 64, BATCH))


def best_microseconds(call: Callable[[], Any], number: int, repeats: int) -> float:
    """The fastest of ``repeats`` timings of ``number`` calls, in µs per call."""
    return min(timeit.repeat(call, number=number, repeat=repeats)) / number * 1e6


def product_times(dtype: np.dtype[Any], repeats: int) -> list[tuple[tuple[int, int, int], dict[str, float]]]:
    """µs of A·B (A (m, k), B (k, n)) for each order of A and B: NN, NT, TN, TT (T: F-ordered)."""
    rng = np.random.default_rng(0)
    rows = []
    for m, k, n in PRODUCT_SHAPES:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        orders = {"C": (a, b), "F": (np.asfortranarray(a), np.asfortranarray(b))}
        times = {
            ("N" if first == "C" else "T") + ("N" if second == "C" else "T"): best_microseconds(
                lambda x=orders[first][0], w=orders[second][1]: x.dot(w), 20_000, repeats
            )
            for first in "CF"
            for second in "CF"
        }
        rows.append(((m, k, n), times))
    return rows


class FlatAdam:
    """The Adam update of ``speed.make_floor_step`` on one flat buffer of parameters, shared by the
    steps below so that they differ in the layers alone. ``weights`` and ``biases`` are views of
    ``theta``, their gradients views of ``grad``."""

    def __init__(self, dtype: np.dtype[Any], sizes: Sequence[int], seed: int = 0) -> None:
        pairs = list(itertools.pairwise(sizes))
        self.theta = np.empty(sum(o * i + o for i, o in pairs), dtype)
        self.grad = np.zeros_like(self.theta)
        self.weights: list[Array] = []
        self.biases: list[Array] = []
        self.weight_grads: list[Array] = []
        self.bias_grads: list[Array] = []
        offset = 0
        for fan_in, fan_out in pairs:
            for shape, data, grads in (
                ((fan_out, fan_in), self.weights, self.weight_grads),
                ((fan_out,), self.biases, self.bias_grads),
            ):
                size = math.prod(shape)
                data.append(self.theta[offset : offset + size].reshape(shape))
                grads.append(self.grad[offset : offset + size].reshape(shape))
                offset += size
        self.theta[:] = np.random.default_rng(seed).uniform(-0.1, 0.1, self.theta.size)
        self.u, self.w, self.scratch = (np.zeros_like(self.theta) for _ in range(3))
        self.t = 0

    def step(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.t += 1
        self.u *= beta1
        self.u += self.grad
        np.multiply(self.grad, self.grad, out=self.scratch)
        self.w *= beta2
        self.w += self.scratch
        k = math.sqrt((1.0 - beta2) / (1.0 - beta2**self.t))
        np.sqrt(self.w, out=self.scratch)
        self.scratch += eps / k
        np.divide(self.u, self.scratch, out=self.scratch)
        self.scratch *= lr * (1.0 - beta1) / ((1.0 - beta1**self.t) * k)
        self.theta -= self.scratch
        # as the floor and glassnet's optimizers do: moments that decay into subnormal numbers
        # make every later pass over them tens of times slower, in these ways as in the floor
        if self.t % SUBNORMAL_FLUSH_EVERY == 0:
            flush_subnormals(self.u)
            flush_subnormals(self.w)


def row_major_step(adam: FlatAdam) -> Step:
    """glassnet's arithmetic without its classes: Z = X Wᵀ + b (NT), dL/dW = Gᵀ X, dL/db = 1ᵀG,
    dL/dX = G W, ReLU′ as sign(h); every intermediate a fresh array, as the layers return them."""
    dtype = adam.theta.dtype
    ones = np.ones(BATCH, dtype)
    last = len(adam.weights) - 1

    def step(x: Array, y: Array) -> float:
        inputs = []
        h = x
        for index, (weight, bias) in enumerate(zip(adam.weights, adam.biases, strict=True)):
            inputs.append(h)
            z = h.dot(weight.T)  # (N, out)
            z += bias
            h = z if index == last else np.maximum(z, 0.0)
        residual = h - y  # (N, 1)
        flat = residual.ravel()
        loss = float(np.vdot(flat, flat)) / residual.size
        g = residual * (2.0 / residual.size)
        for index in range(last, -1, -1):
            g.T.dot(inputs[index], out=adam.weight_grads[index])
            ones.dot(g, out=adam.bias_grads[index])
            if index > 0:
                derivative = np.sign(inputs[index])
                derivative *= g.dot(adam.weights[index])
                g = derivative
        adam.step()
        return loss

    return step


def row_major_buffered_step(adam: FlatAdam) -> Step:
    """``row_major_step`` with every intermediate written into a buffer made once (``out=``), and
    the ReLU applied in place: glassnet's arithmetic and layout, without its fresh results."""
    dtype = adam.theta.dtype
    ones = np.ones(BATCH, dtype)
    last = len(adam.weights) - 1
    widths = [weight.shape[0] for weight in adam.weights]
    outputs = [np.empty((BATCH, width), dtype) for width in widths]  # Z, then h = ReLU(Z) in place
    input_grads = [np.empty((BATCH, weight.shape[1]), dtype) for weight in adam.weights]  # dL/dX
    signs = [np.empty((BATCH, width), dtype) for width in widths]
    residual = np.empty((BATCH, 1), dtype)

    def step(x: Array, y: Array) -> float:
        inputs = []
        h = x
        for index, (weight, bias) in enumerate(zip(adam.weights, adam.biases, strict=True)):
            inputs.append(h)
            z = h.dot(weight.T, out=outputs[index])  # (N, out)
            z += bias
            h = z if index == last else np.maximum(z, 0.0, out=z)
        np.subtract(h, y, out=residual)  # (N, 1)
        flat = residual.ravel()
        loss = float(np.vdot(flat, flat)) / residual.size
        g = residual
        g *= 2.0 / residual.size
        for index in range(last, -1, -1):
            g.T.dot(inputs[index], out=adam.weight_grads[index])
            ones.dot(g, out=adam.bias_grads[index])
            if index > 0:
                derivative = np.sign(inputs[index], out=signs[index - 1])
                derivative *= g.dot(adam.weights[index], out=input_grads[index])
                g = derivative
        adam.step()
        return loss

    return step


def transposed_step(adam: FlatAdam) -> Step:
    """The same with every activation kept transposed, (features, N): Zᵀ = W Xᵀ + b (NN),
    dL/dW = Δ X (NT), dL/dXᵀ = Wᵀ Δ (TN); the bias still added apart, Σₙ as Δ·1."""
    dtype = adam.theta.dtype
    ones = np.ones(BATCH, dtype)
    last = len(adam.weights) - 1
    columns = [bias.reshape(-1, 1) for bias in adam.biases]  # (out, 1)

    def step(x: Array, y: Array) -> float:
        inputs = []
        h = np.ascontiguousarray(x.T)  # (5, N)
        for index, (weight, bias) in enumerate(zip(adam.weights, columns, strict=True)):
            inputs.append(h)
            z = weight.dot(h)  # (out, N)
            z += bias
            h = z if index == last else np.maximum(z, 0.0)
        residual = h - y.T  # (1, N)
        flat = residual.ravel()
        loss = float(np.vdot(flat, flat)) / residual.size
        delta = residual * (2.0 / residual.size)
        for index in range(last, -1, -1):
            delta.dot(inputs[index].T, out=adam.weight_grads[index])
            delta.dot(ones, out=adam.bias_grads[index])
            if index > 0:
                derivative = np.sign(inputs[index])
                derivative *= adam.weights[index].T.dot(delta)
                delta = derivative
        adam.step()
        return loss

    return step


def block_step(adam: FlatAdam) -> Step:
    """The floor's layout under the layers' contract: each layer keeps [W | b] as one (out, in + 1)
    block and copies its transposed input into a (in + 1, N) buffer of its own whose last row is
    ones, so Zᵀ = [W | b] [Xᵀ; 1ᵀ] (NN) adds the bias inside the product and one product (NT)
    gives dL/dW and dL/db; but every result a layer returns (Zᵀ, h, dL/dXᵀ) is a fresh array,
    and the ReLU is not applied in place. The activations stay transposed from layer to layer
    (an (N, features) array in Fortran order), so each copy into a buffer is contiguous."""
    dtype = adam.theta.dtype
    pairs = list(itertools.pairwise(SIZES))
    blocks = [np.empty((fan_out, fan_in + 1), dtype) for fan_in, fan_out in pairs]
    grads = [np.empty_like(block) for block in blocks]
    for block, weight, bias in zip(blocks, adam.weights, adam.biases, strict=True):
        block[:, :-1], block[:, -1] = weight, bias
    # one flat θ for Adam: the blocks' data and gradients become views of adam's buffers
    offset = 0
    for index, block in enumerate(blocks):
        size = block.size
        adam.theta[offset : offset + size] = block.ravel()
        blocks[index] = adam.theta[offset : offset + size].reshape(block.shape)
        grads[index] = adam.grad[offset : offset + size].reshape(block.shape)
        offset += size
    kept = [np.ones((fan_in + 1, BATCH), dtype) for fan_in, _ in pairs]  # [Xᵀ; 1ᵀ] per layer
    last = len(blocks) - 1

    def step(x: Array, y: Array) -> float:
        h = x.T  # (5, N), a view: the first layer's copy transposes it
        outputs = []
        for index, block in enumerate(blocks):
            np.copyto(kept[index][:-1], h)
            z = block.dot(kept[index])  # (out, N), fresh
            h = z if index == last else np.maximum(z, 0.0)  # fresh
            outputs.append(h)
        residual = h - y.T  # (1, N)
        flat = residual.ravel()
        loss = float(np.vdot(flat, flat)) / residual.size
        delta = residual * (2.0 / residual.size)
        for index in range(last, -1, -1):
            delta.dot(kept[index].T, out=grads[index])  # [dL/dW | dL/db]
            if index > 0:
                derivative = np.sign(outputs[index - 1])
                derivative *= blocks[index][:, :-1].T.dot(delta)  # dL/dXᵀ, fresh
                delta = derivative
        adam.step()
        return loss

    return step


def floor_step(adam: FlatAdam) -> Step:
    """``speed.make_floor_step`` from ``adam``'s initial weights (it keeps its own buffers)."""
    weights = [array.copy() for pair in zip(adam.weights, adam.biases, strict=True) for array in pair]
    return speed.make_floor_step(weights)[0]


FLOOR = "the floor: [W, b] blocks, transposed, buffers"
STEPS: dict[str, Callable[[FlatAdam], Step]] = {
    "row-major, as glassnet's layers": row_major_step,
    "row-major, into buffers, ReLU in place": row_major_buffered_step,
    "activations transposed, bias apart": transposed_step,
    "[W, b] blocks, transposed, fresh results": block_step,
    FLOOR: floor_step,
}


def step_times(dtype: np.dtype[Any], repeats: int, data: Path | None = None) -> dict[str, float]:
    """µs per step of each way in STEPS on the airfoil training rows of the file ``data`` (None:
    the usual search), the ways taking turns."""
    x64, y64 = speed.load_training_split(data=data)
    x, y = x64.astype(dtype), y64.astype(dtype).reshape(-1, 1)
    batches = [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x) - BATCH + 1, BATCH)]
    steps = {name: make(FlatAdam(dtype, SIZES)) for name, make in STEPS.items()}

    def epoch(step: Step) -> Callable[[], None]:
        def run() -> None:
            for xb, yb in batches:
                step(xb, yb)

        return run

    best = dict.fromkeys(steps, math.inf)
    for _ in range(repeats):  # turns, so that a slow spell of the machine falls on every way
        for name, step in steps.items():
            best[name] = min(best[name], best_microseconds(epoch(step), 20, 3) / len(batches))
    return best


def report(dtype: np.dtype[Any], repeats: int, data: Path | None = None) -> str:
    lines = [
        f"{dtype} (µs; NT: A C-ordered, B F-ordered, as X·Wᵀ)",
        "",
        "| A·B, (m, k, n) | NN | NT | TN | TT |",
    ]
    lines.append("|---|---:|---:|---:|---:|")
    for shape, times in product_times(dtype, repeats):
        lines.append(f"| {shape} | " + " | ".join(f"{times[o]:.2f}" for o in ("NN", "NT", "TN", "TT")) + " |")
    lines += ["", "| step | µs | × floor |", "|---|---:|---:|"]
    times = step_times(dtype, repeats, data)
    floor = times[FLOOR]
    lines += [f"| {name} | {value:.1f} | {value / floor:.2f} |" for name, value in times.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float32", "float64"), help="one dtype (default: both)")
    parser.add_argument(
        "--repeats", type=int, default=7, help="rounds of timings; the best is kept (default 7)"
    )
    speed.add_data_option(parser)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    data = speed.data_or_exit(parser, args.data)  # before the first timing, not after the products
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):  # as the Trainer trains (speed.py leaves BLAS as it is)
        for name in [args.dtype] if args.dtype else ["float32", "float64"]:
            print(report(np.dtype(name), args.repeats, data), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
