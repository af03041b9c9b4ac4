"""Numerics at the extremes: huge logits and inputs, constant columns, divergence, float32 against float64.

Each case ends in finite losses and gradients or in a ValueError that names the dtype and
what to do (standardise the inputs, compute in float64, lower the learning rate); never a
silent inf or NaN.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

from conftest import require_torch
from glassnet.data import AIRFOIL_LOG_COLUMNS, Preprocessor, StandardScaler, load_airfoil
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, MSELoss
from glassnet.nn import MLP
from glassnet.train import TrainConfig, fit, train_airfoil

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", [LogisticLoss(), LogisticLoss(labels="pm1"), MSELoss(), HalfSquaredError()])
def test_logits_up_to_1e4_give_finite_losses_and_gradients(dtype: Any, loss: Any) -> None:
    logits = np.array([[-1e4], [-30.0], [0.0], [30.0], [1e4]], dtype=dtype)  # (5, 1)
    labels = (
        [0.0, 1.0, 0.0, 1.0, 1.0] if getattr(loss, "labels", "01") == "01" else [-1.0, 1.0, -1.0, 1.0, 1.0]
    )
    target = np.array(labels, dtype=dtype)
    value, grad = loss.value_and_grad(logits, target)
    assert np.isfinite(value) and np.isfinite(grad).all() and grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_certain_probabilities_is_finite(dtype: Any) -> None:
    p = np.array([[0.0], [1.0], [1e-30], [1.0 - 1e-7]], dtype=dtype)
    value, grad = BCELoss().value_and_grad(p, np.array([1.0, 0.0, 1.0, 0.0], dtype=dtype))
    assert np.isfinite(value) and np.isfinite(grad).all()


@pytest.mark.parametrize("scale", [1e10, 1e20, 1e30])
def test_inputs_up_to_1e30_in_float64_give_finite_losses_and_gradients(scale: float) -> None:
    rng = np.random.default_rng(0)
    model = MLP([3, 16, 16, 1], rng=rng)
    x = rng.normal(size=(8, 3)) * scale
    for loss in (MSELoss(), LogisticLoss()):
        target = rng.integers(0, 2, size=8).astype(float)
        value = loss(model(x), target)
        model.zero_grad()
        model.backward(loss.backward())
        assert np.isfinite(value)
        assert all(np.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([[1.0, -2.0], [0.0, 3.5]], True),
        ([[1e30, -1e30], [3e38, 0.0]], True),  # squares overflow float32 (and 3e38 is near its max)
        ([], True),
        ([[1.0, np.nan], [0.0, 0.0]], False),
        ([[1.0, 0.0], [np.inf, 0.0]], False),
        ([[-np.inf, 0.0], [0.0, 0.0]], False),
        ([[1e30, np.nan]], False),
    ],
)
def test_all_finite_is_exact_where_squares_overflow(dtype: Any, values: Any, expected: bool) -> None:
    from glassnet._checks import all_finite

    array = np.array(values, dtype=dtype)
    assert all_finite(array) is expected
    assert all_finite(np.asfortranarray(array).T) is expected  # any layout
    assert all_finite(np.array(values, dtype=np.float64) * 1e170) is expected  # squares overflow float64


@pytest.mark.parametrize("loss", [MSELoss(), HalfSquaredError()])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_nonfinite_target_is_named_without_a_warning(loss: Any, value: float) -> None:
    """MSE finds a NaN or inf target through its value: the error names it, nothing warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"target must be finite, got -?{value} at index \(2,\)"):
            loss(np.zeros((3, 1)), np.array([0.0, 1.0, value]))


def test_a_float32_loss_that_overflows_says_so() -> None:
    """(1e30)² is beyond float32's 3.4e38: a ValueError naming float32 and the way out, not inf."""
    rng = np.random.default_rng(0)
    model = MLP([3, 16, 1], rng=rng).astype(np.float32)
    x = (rng.normal(size=(8, 3)) * 1e30).astype(np.float32)
    with pytest.raises(
        ValueError, match=r"overflow float32 .*standardise or scale the inputs, or compute in float64"
    ):
        MSELoss()(model(x), np.zeros(8, dtype=np.float32))
    prediction = np.full(
        (8, 1), np.inf, dtype=np.float32
    )  # a forward pass that overflowed, as outside the tests
    with pytest.raises(ValueError, match=r"prediction must be finite, got -?inf .*overflow float32"):
        MSELoss()(prediction, np.zeros(8, dtype=np.float32))
    assert np.isfinite(LogisticLoss()(model(x), np.zeros(8, dtype=np.float32)))  # softplus stays finite


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_trainer_refuses_inputs_that_overflow_float32(engine: str, torch: Any) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 3)) * 1e30, rng.normal(size=64)
    config = TrainConfig(hidden=(8,), epochs=2, batch_size=16, dtype="float32", engine=engine, refit=False)
    with pytest.raises(
        ValueError, match=r"loss is inf at the initial weights.*inputs up to .*e\+30.*float32"
    ):
        fit(config, x, y)
    with pytest.raises(ValueError, match=r"training inputs reach 1e\+39, beyond float32's range"):
        fit(config, np.full((4, 3), 1e39), np.zeros(4))
    result = fit(config.replace(dtype="float64"), x, y)  # float64 holds (1e31)²: trains or diverges, visibly
    assert result.status in ("completed", "diverged")
    assert all(np.isfinite(w).all() for w in result.weights[0].values())


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_diverging_learning_rate_is_caught_in_both_engines(engine: str, dtype: str, torch: Any) -> None:
    data = load_airfoil()
    prep = Preprocessor(AIRFOIL_LOG_COLUMNS).fit(data.X, data.y)
    x, y = prep.transform_x(data.X)[:1000] * 100.0, prep.transform_y(data.y)[:1000]
    config = TrainConfig(
        hidden=(16, 16),
        optimizer="sgd",
        momentum=0.9,
        lr=5.0,
        schedule="constant",
        batch_size=100,
        epochs=50,
        seed=7,
        engine=engine,
        dtype=dtype,
        refit=False,
    )
    result = fit(config, x, y)
    assert result.status == "diverged"
    assert re.search(rf"diverged at epoch \d+: the loss became (nan|inf) \({dtype}\)", result.message)
    assert "try a smaller learning rate than 5" in result.message
    assert all(np.isfinite(w).all() for w in result.weights[0].values())
    assert len(result.history) < 50


def test_a_constant_feature_column_does_not_divide_by_zero() -> None:
    X = np.column_stack([np.linspace(0, 1, 20), np.full(20, 7.0), np.full(20, -1e150)])  # (20, 3)
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all() and np.all(Z[:, 1:] == 0.0)
    assert np.array_equal(scaler.scale_[1:], [1.0, 1.0])
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    prep = Preprocessor(log_columns=()).fit(X[:, :2], np.full(20, 3.0))  # a constant target too
    assert (
        np.isfinite(prep.transform_x(X[:, :2])).all()
        and np.isfinite(prep.transform_y(np.full(20, 3.0))).all()
    )
    result = fit(
        TrainConfig(hidden=(4,), epochs=3, batch_size=5, refit=False),
        prep.transform_x(X[:, :2]),
        prep.transform_y(np.full(20, 3.0)),
    )
    assert result.status == "completed" and np.isfinite(result.history[-1]["train_loss"])


def test_float32_and_float64_agree_on_the_airfoil_recipe() -> None:
    """The recipe (TrainConfig()) for 10 epochs in both dtypes, same seed and batches.

    The first epochs agree to float32 rounding; later the trajectories may part, as any
    two runs whose rounding differs: a ReLU input near zero lands on the other side and
    Adam, which divides by √v, amplifies small differences. Measured with the recipe of
    docs/airfoil.md (λ = 0.01) and the batch orders of one generator per member, relative
    differences of the training loss: 1e-8 and 1.1e-7 at epochs 1 and 2 of the validation
    pass, which parts at epoch 9 (5e-5, then 3e-4 at epoch 10 and 1.2e-3 on validation
    RMSE); 9e-9 and 1.4e-7 at epochs 1 and 2 of the refit pass, which parts at epoch 6
    (1.4e-5, then 3.4e-3 at epoch 10); the metrics 1.8e-3 at most. Under the earlier
    orders (a generator per epoch) the refit pass measured 2.5e-6 at epoch 2, and the
    network without Fourier features parted sooner (1e-3 at epoch 9, 6e-3 on validation
    RMSE). So the first two epochs are held to 1e-5 and every metric to 2e-2.
    """
    data = load_airfoil()
    runs = {
        dtype: train_airfoil(data, TrainConfig(epochs=10, dtype=dtype), handle_sigint=False)
        for dtype in ("float64", "float32")
    }
    wide, narrow = runs["float64"], runs["float32"]
    for part, values in wide.metrics.items():
        for name, value in values.items():
            assert narrow.metrics[part][name] == pytest.approx(value, rel=2e-2), (part, name)
    for history in ("validation_members", "members"):
        first = [r for r in getattr(wide.result, history)[0].history if r["epoch"] <= 2]
        second = [r for r in getattr(narrow.result, history)[0].history if r["epoch"] <= 2]
        assert len(first) == len(second) == 2
        for a, b in zip(first, second, strict=True):
            assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-5)
    assert all(w.dtype == np.float32 for w in narrow.result.weights[0].values())


def test_standard_scaler_handles_values_whose_squares_overflow() -> None:
    from glassnet.data import StandardScaler

    scaler = StandardScaler().fit(np.array([[1e200, 1.0], [3e200, 3.0]]))
    np.testing.assert_allclose(scaler.scale_, [1e200, 1.0], rtol=1e-12)
    np.testing.assert_allclose(scaler.transform(np.array([[2e200, 2.0]])), [[0.0, 0.0]], atol=1e-12)


def test_train_config_refuses_an_integer_beyond_float_range() -> None:
    from glassnet.train import TrainConfig

    with pytest.raises(ValueError, match=r"^lr must be a finite number, got an integer of about 401 digits$"):
        TrainConfig(lr=10**400)


def test_explain_caps_the_number_of_steps_from_python() -> None:
    from glassnet.explain import explain_exercise

    with pytest.raises(ValueError, match=r"steps must be at most 1000, got 2000"):
        explain_exercise(steps=2000)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_float32_bce_runs_val_loss_is_its_train_loss_on_the_same_rows(engine: str) -> None:
    """The validation loss clipped p to float64's bounds (1 − 1e-12) where training clips a float32
    output to 1 − 1e-7: on the training rows themselves, saturated, it read 12.197 against 9.823."""
    if engine == "torch":
        require_torch()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 2)) * 200, (rng.random(64) > 0.5).astype(float)
    config = TrainConfig(
        hidden=(8,), epochs=1, fourier_features=0, loss="bce", output_activation="sigmoid", dtype="float32",
        lr=1e-12, optimizer="sgd", momentum=0.0, weight_decay=0.0, schedule="constant", batch_size=64,
        refit=False, engine=engine, activation="identity",
    )  # fmt: skip
    record = fit(config, X, y, X, y).history[-1]
    assert record["val_loss"] == pytest.approx(record["train_loss"], rel=1e-6)
    assert record["train_loss"] == pytest.approx(9.8232, rel=1e-4)  # saturated rows cost 15.9 at most
