"""FusedPass, the NumpyEngine's forward and backward pass: the modules' numbers to the bit.

The pass makes the NumPy calls of ``model.forward``, ``loss.forward``, ``loss.backward`` and
``model.backward_params`` without the modules around them, so every number it gives (loss,
prediction, each gradient) must equal theirs exactly, for every activation and loss, and a
run of the engine must equal the bare module loop's, weights and sums alike.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from glassnet.losses import get_loss
from glassnet.nn import MLP, Linear, ReLU, Sequential, Tanh
from glassnet.nn._activations import ACTIVATIONS
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import TrainConfig
from glassnet.train._engines import NumpyEngine, make_glassnet_optimizer
from glassnet.train._fused import FusedPass

Array = np.ndarray[Any, Any]

# (loss, output activation, targets): every loss with an output it takes
LOSS_CASES = [
    ("mse", None, "real"),
    ("mse", "relu", "real"),
    ("mse", "tanh", "real"),
    ("half_sse", None, "real"),
    ("logistic", None, "labels"),
    ("bce", "sigmoid", "labels"),
]


def _rows(n: int, sizes: tuple[int, ...], targets: str, dtype: Any, seed: int = 0) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, sizes[0])).astype(dtype)
    if targets == "labels":
        return x, rng.integers(0, 2, size=(n, sizes[-1])).astype(dtype)
    return x, rng.normal(size=(n, sizes[-1])).astype(dtype)


def _modules_pass(model: MLP, loss_name: str, x: Array, y: Array) -> tuple[float, Array, dict[str, Array]]:
    """The reference: the modules' own forward, loss and backward_params, on a copy of ``model``."""
    reference = copy.deepcopy(model)
    loss = get_loss(loss_name)
    reference.zero_grad()
    prediction = reference.forward(x)
    value = loss.forward(prediction, y)
    reference.backward_params(loss.backward())
    return value, prediction, {name: p.grad.copy() for name, p in reference.named_parameters()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [(3, 5, 4, 1), (3, 6, 2)], ids=["3-5-4-1", "3-6-2"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(
    ("loss_name", "output", "targets"), LOSS_CASES, ids=[f"{c[0]}-{c[1]}" for c in LOSS_CASES]
)
def test_a_pass_gives_the_modules_numbers_to_the_bit(
    activation: str, loss_name: str, output: str | None, targets: str, sizes: tuple[int, ...], dtype: Any
) -> None:
    model = MLP(
        sizes, activation=activation, output_activation=output, rng=np.random.default_rng(1), dtype=dtype
    )
    x, y = _rows(7, sizes, targets, dtype)
    value, prediction, grads = _modules_pass(model, loss_name, x, y)

    residual = np.full_like(y, np.nan)
    fused_value, fused_prediction = FusedPass(model, get_loss(loss_name))(x, y, residual)

    assert fused_value == value
    assert np.array_equal(fused_prediction, prediction)
    for name, parameter in model.named_parameters():
        assert np.array_equal(parameter.grad, grads[name]), name
    if loss_name == "mse":  # the residual r = ŷ − y, written where asked
        assert np.array_equal(residual, prediction - y)
    else:  # left as it was
        assert np.isnan(residual).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 7, 25, 32, 64, 100, 1081, 1366, 1367, 5000])
@pytest.mark.parametrize("outputs", [1, 3])
def test_the_mean_squared_error_is_mselosss_at_every_batch_size(rows: int, outputs: int, dtype: Any) -> None:
    """The pass takes rᵀr with ``ndarray.dot`` where MSELoss takes ``np.vdot``: the same number
    at the sizes a run meets (BLAS kernels change with the length: tails, unrolled blocks), and
    beyond SQUARES_BLOCK residuals (4,098 and 4,101 at 1,366 and 1,367 rows of 3), block by block
    as MSELoss sums them."""
    sizes = (4, 8, outputs)
    model = MLP(sizes, rng=np.random.default_rng(rows), dtype=dtype)
    x, y = _rows(rows, sizes, "real", dtype, seed=rows)
    value, _, _ = _modules_pass(model, "mse", x, y)
    assert FusedPass(model, get_loss("mse"))(x, y)[0] == value


def test_a_pass_writes_the_gradients_rather_than_adding_to_them() -> None:
    """No zero_grad between steps: the second pass's gradients are the first's, not twice them."""
    model = MLP([3, 4, 1], rng=np.random.default_rng(0))
    x, y = _rows(5, (3, 4, 1), "real", np.float64)
    fused = FusedPass(model, get_loss("mse"))
    fused(x, y)
    first = {name: p.grad.copy() for name, p in model.named_parameters()}
    fused(x, y)
    for name, parameter in model.named_parameters():
        assert np.array_equal(parameter.grad, first[name]), name


def test_a_pass_reads_the_weights_as_they_are_now() -> None:
    """It keeps views of the parameters' arrays: a change made in place is seen by the next pass."""
    model = MLP([3, 4, 1], rng=np.random.default_rng(0))
    x, y = _rows(5, (3, 4, 1), "real", np.float64)
    fused = FusedPass(model, get_loss("mse"))
    before, _ = fused(x, y)
    model[2].bias.data += 1.0
    after, prediction = fused(x, y)
    assert after != before
    assert np.array_equal(prediction, model.forward(x))


class _Doubled(Sequential):
    """A Sequential that computes more than its layers in order."""

    def forward(self, x: Array) -> Array:
        return 2.0 * super().forward(x)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (Sequential(ReLU(), Linear(2, 1)), r"^FusedPass takes an MLP of Linear layers, each followed by at most one activation"),
        (Sequential(Linear(2, 3), ReLU(), Tanh(), Linear(3, 1)), r"^FusedPass takes an MLP of Linear layers, each followed by at most one activation"),
        (_Doubled(Linear(2, 3), ReLU(), Linear(3, 1)), r"^_Doubled is a Sequential of its own"),
        (Sequential(), r"^FusedPass takes an MLP with at least one Linear layer"),
    ],
    ids=["activation-first", "two-activations", "own-forward", "empty"],
)  # fmt: skip
def test_other_models_are_refused(model: Sequential, match: str) -> None:
    """A Sequential subclass with its own forward was taken as its layers, its forward ignored."""
    with pytest.raises(ValueError, match=match):
        FusedPass(model, get_loss("mse"))


def test_nested_sequentials_are_their_layers_in_order() -> None:
    model = Sequential(Linear(2, 3, rng=np.random.default_rng(0)), Sequential(ReLU(), Linear(3, 1)))
    x, y = _rows(4, (2, 3, 1), "real", np.float64)
    reference = copy.deepcopy(model)
    reference.zero_grad()
    loss = get_loss("mse")
    value = loss.forward(reference.forward(x), y)
    reference.backward_params(loss.backward())
    assert FusedPass(model, get_loss("mse"))(x, y)[0] == value
    for (name, parameter), (_, expected) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        assert np.array_equal(parameter.grad, expected.grad), name


# -- the engine: FusedPass + Optimizer.step_written, and Σ|r| read when the sums are -------------

ENGINE_CASES = [
    {"optimizer": "adam", "loss": "mse", "activation": "relu"},
    {"optimizer": "adamw", "loss": "mse", "activation": "relu", "weight_decay": 0.01},
    {"optimizer": "sgd", "loss": "half_sse", "activation": "relu", "momentum": 0.9, "lr": 1e-4},
    {"optimizer": "adam", "loss": "logistic", "activation": "tanh"},
]


def _engine(config: TrainConfig, x: Array, y: Array) -> tuple[NumpyEngine, MLPSpec]:
    activation = config.activation if isinstance(config.activation, str) else config.activation[0]
    spec = MLPSpec(sizes=(x.shape[1], *config.hidden, y.shape[1]), activation=activation, dtype=config.dtype)
    weights = build_mlp(spec, rng=np.random.default_rng(3)).state_dict()
    return NumpyEngine(spec, weights, config, x, y), spec


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("changes", ENGINE_CASES, ids=[f"{c['optimizer']}-{c['loss']}" for c in ENGINE_CASES])
def test_the_engine_trains_as_the_bare_module_loop_to_the_bit(changes: dict[str, Any], dtype: str) -> None:
    """Two epochs of 10-row batches (the last one of 3 rows): the same weights to the bit as
    ``zero_grad``, ``model.forward``, ``loss.forward``, ``model.backward_params``, ``opt.step()``;
    the same loss and Σ r² sums; Σ|r| to rounding (summed batch by batch in another order)."""
    config = TrainConfig(hidden=(6, 5), epochs=2, batch_size=10, threads=0, dtype=dtype, **changes)
    targets = "labels" if config.loss == "logistic" else "real"
    x, y = _rows(23, (4, 1), targets, dtype, seed=5)
    engine, spec = _engine(config, x, y)
    model = build_mlp(spec)
    model.load_state_dict(engine.get_weights())
    optimizer = make_glassnet_optimizer(config, list(model.parameters()))
    loss = get_loss(config.loss)
    regression = config.loss in ("mse", "half_sse")
    order = np.random.default_rng(0).permutation(len(x))
    for _ in range(config.epochs):
        engine.begin_epoch(order)
        xs, ys = x[order], y[order]
        expected = [0.0, 0.0, 0.0]
        for start in range(0, len(x), config.batch_size):
            stop = min(len(x), start + config.batch_size)
            engine.train_batch(start, stop)
            optimizer.zero_grad()
            prediction = model.forward(xs[start:stop])
            value = loss.forward(prediction, ys[start:stop])
            model.backward_params(loss.backward())
            optimizer.step()
            residual = prediction - ys[start:stop]
            expected[0] += value * (stop - start) if loss.reduction == "mean" else value
            expected[1] += float(np.vdot(residual, residual)) if regression else 0.0
            expected[2] += float(np.abs(residual).sum()) if regression else 0.0
        sums = engine.epoch_sums()
        assert sums[0] == expected[0]
        if regression:
            assert sums[1] == pytest.approx(expected[1], rel=1e-12)  # value × size for the MSE
            assert sums[2] == pytest.approx(expected[2], rel=1e-6 if dtype == "float32" else 1e-13)
    for name, weight in model.state_dict().items():
        assert np.array_equal(engine.get_weights()[name], weight), name


def _trained_sums(engine: NumpyEngine, order: Array, batches: list[tuple[int, int]], read_each: bool) -> Any:
    engine.begin_epoch(order)
    for start, stop in batches:
        engine.train_batch(start, stop)
        if read_each:
            engine.epoch_sums()
    return engine.epoch_sums()


def test_sums_read_mid_epoch_or_resumed_from_are_the_sums_read_once() -> None:
    """Σ|r| is added batch by batch when the sums are read: reading them after every batch, or
    stopping after batch 2 and going on from the sums read then (as a resumed run does), gives
    the bits of one reading at the end."""
    config = TrainConfig(hidden=(5,), activation="relu", batch_size=4, threads=0, dtype="float32")
    x, y = _rows(18, (3, 1), "real", np.float32, seed=2)
    order = np.random.default_rng(1).permutation(len(x))
    batches = [(start, min(len(x), start + 4)) for start in range(0, len(x), 4)]

    once = _trained_sums(_engine(config, x, y)[0], order, batches, read_each=False)
    each = _trained_sums(_engine(config, x, y)[0], order, batches, read_each=True)
    resumed_engine = _engine(config, x, y)[0]
    part = _trained_sums(resumed_engine, order, batches[:2], read_each=False)
    resumed_engine.begin_epoch(order, part)  # the same rows, the sums read at the stop
    for start, stop in batches[2:]:
        resumed_engine.train_batch(start, stop)

    assert each == once
    assert resumed_engine.epoch_sums() == once


@pytest.mark.parametrize(
    "batches",
    [[(0, 6), (0, 6), (6, 12)], [(0, 4), (8, 12), (4, 8)]],
    ids=["repeated", "gap"],
)
def test_batches_that_are_not_back_to_back_keep_every_batchs_abs_sum(batches: list[tuple[int, int]]) -> None:
    """A batch on rows already trained would write its residuals over ones still to be summed,
    and one after a gap would leave rows between that no batch wrote this epoch: the pending
    batches are added first. Rows 0–5 twice, then 6–11; rows 0–3, then 8–11, then 4–7."""
    config = TrainConfig(hidden=(5,), activation="relu", batch_size=6, threads=0)
    x, y = _rows(12, (3, 1), "real", np.float64, seed=4)
    engine, spec = _engine(config, x, y)
    model = build_mlp(spec)
    model.load_state_dict(engine.get_weights())
    optimizer = make_glassnet_optimizer(config, list(model.parameters()))
    loss = get_loss("mse")
    engine.begin_epoch(np.arange(12))
    expected = 0.0
    for start, stop in batches:
        engine.train_batch(start, stop)
        optimizer.zero_grad()
        prediction = model.forward(x[start:stop])
        loss.forward(prediction, y[start:stop])
        model.backward_params(loss.backward())
        optimizer.step()
        expected += float(np.abs(prediction - y[start:stop]).sum())
    assert engine.epoch_sums()[2] == pytest.approx(expected, rel=1e-13)
