"""Losses, gradcheck and the model spec at their edges: a backward after a failed call, an ε
the dtype cannot show, options that would be dropped, flags that are not booleans.

The losses are also compared with torch.nn.functional in float64 at edge values (huge |ŷ|,
both label conventions, both reductions, shapes (N,), (N, 1) and (N, k)).
"""

from __future__ import annotations

import math
import pickle
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conftest import require_torch
from glassnet import gradcheck
from glassnet.exercise import exercise_input, exercise_network
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, Loss, MSELoss, get_loss, sum_of_squares
from glassnet.nn import Sequential, Sigmoid, Tanh
from glassnet.spec import MLPSpec

# -- PyTorch oracle ---------------------------------------------------------------------


def _torch_value_and_grad(
    function: Callable[..., Any], prediction: np.ndarray, target: np.ndarray, reduction: str
) -> tuple[float, np.ndarray]:
    torch = require_torch()
    p = torch.tensor(prediction, dtype=torch.float64, requires_grad=True)
    value = function(p, torch.tensor(target, dtype=torch.float64), reduction=reduction)
    value.backward()
    return value.item(), p.grad.numpy()


@pytest.mark.parametrize("shape", [(5,), (5, 1), (5, 3)], ids=["N", "N1", "Nk"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("scale", [1.0, 40.0, 800.0, 1e300])
@pytest.mark.parametrize("labels", ["01", "pm1"])
def test_logistic_loss_matches_torch(
    shape: tuple[int, ...], reduction: str, scale: float, labels: str
) -> None:
    functional = require_torch().nn.functional
    rng = np.random.default_rng(0)
    prediction = rng.normal(size=shape) * scale
    y01 = rng.integers(0, 2, size=shape).astype(float)
    y = y01 if labels == "01" else 2.0 * y01 - 1.0
    loss = LogisticLoss(labels, reduction)  # type: ignore[arg-type]
    value, grad = loss.value_and_grad(prediction, y)
    expected, expected_grad = _torch_value_and_grad(
        functional.binary_cross_entropy_with_logits, prediction, y01, reduction
    )
    assert value == pytest.approx(expected, rel=1e-12)
    # torch forms σ(ŷ) − y, which cancels to ~1e-17 absolute; glassnet's −σ(−ŷ) is exact
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape", [(5,), (5, 1), (5, 3)], ids=["N", "N1", "Nk"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", ["mse", "half_sse", "bce"])
def test_regression_losses_match_torch(shape: tuple[int, ...], reduction: str, name: str) -> None:
    functional = require_torch().nn.functional
    rng = np.random.default_rng(1)
    if name == "bce":
        prediction, target = rng.uniform(0.01, 0.99, size=shape), rng.uniform(0.0, 1.0, size=shape)
        function: Callable[..., Any] = functional.binary_cross_entropy
    else:
        prediction, target = rng.normal(size=shape) * 1e100, rng.normal(size=shape)
        function = functional.mse_loss
    value, grad = get_loss(name, reduction=reduction).value_and_grad(prediction, target)
    expected, expected_grad = _torch_value_and_grad(function, prediction, target, reduction)
    half = 0.5 if name == "half_sse" else 1.0
    assert value == pytest.approx(half * expected, rel=1e-12)
    np.testing.assert_allclose(grad, half * expected_grad, rtol=1e-12, atol=0)


# -- a failed call leaves nothing for backward -------------------------------------------


@pytest.mark.parametrize(
    ("loss", "prediction", "target"),
    [
        (MSELoss(), [1.0, 2.0], [0.0, math.nan]),  # NaN target: found from the value
        (MSELoss(), [1e308], [-1e308]),  # the residual overflows
        (HalfSquaredError(), [math.inf], [0.0]),
        (LogisticLoss(), [1e308, 1e308], [0.0, 0.0]),  # the sum overflows
    ],
    ids=["mse-nan-target", "mse-overflow", "half-inf", "logistic-overflow"],
)
def test_backward_refuses_after_a_value_that_is_not_finite(
    loss: Loss, prediction: list[float], target: list[float]
) -> None:
    # backward used to return the failed call's NaN or inf gradient, silently
    loss(np.array([0.5]), np.array([0.0]))
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"must be finite|value is inf"):
        loss(np.array(prediction), np.array(target))
    with pytest.raises(
        RuntimeError, match=r"backward called before the loss was computed \(or after a call that failed\)"
    ):
        loss.backward()


# -- BCE: an eps that 1 − eps cannot show --------------------------------------------------


@pytest.mark.parametrize(
    ("eps", "dtype", "smallest"),
    [(1e-12, np.float32, "5.96e-08"), (1e-17, np.float64, "1.11e-16")],
)
def test_bce_refuses_an_eps_too_small_for_the_dtype(eps: float, dtype: type, smallest: str) -> None:
    # 1 − eps rounded to 1, so p = 1 gave log 0: an inf (or NaN) value blamed on overflow
    loss = BCELoss(eps=eps)
    with pytest.raises(
        ValueError,
        match=rf"BCELoss eps={eps:g} is too small for {np.dtype(dtype)}: 1 − eps rounds to 1 .*at least {smallest}",
    ):
        loss(np.array([1.0], dtype=dtype), np.array([0.0]))


@pytest.mark.parametrize("z", [-17.0, -20.0, -25.0])
def test_float32_bce_of_a_small_probability_is_float64s(z: float) -> None:
    """float32 clipped p to [1e-7, 1 − 1e-7], although it holds p down to 1e-38: a sigmoid output
    of e^z, z < −16.1, read 16.12 where the loss is −z, and its gradient vanished (−0.02 at
    z = −20 where it is −1), for the confidently wrong outputs the pass-through is for."""
    losses = {}
    for dtype in (np.float32, np.float64):
        sigmoid, loss = Sigmoid(), BCELoss("sum")
        p = sigmoid.forward(np.array([[z]], dtype=dtype))
        value = loss(p, np.ones((1, 1), dtype=dtype))
        losses[dtype] = (value, float(sigmoid.backward(loss.backward())[0, 0]))
    assert losses[np.float32][0] == pytest.approx(-z, rel=1e-6)
    assert losses[np.float32][1] == pytest.approx(-1.0, rel=1e-6)
    assert losses[np.float32] == pytest.approx(losses[np.float64], rel=1e-6)
    assert BCELoss().bounds_for(np.float32) == (1e-12, 1.0 - 1e-7)  # next to 1 float32 has steps of 6e-8


def test_bce_keeps_an_eps_the_dtype_can_show() -> None:
    value = BCELoss(eps=6e-8)(np.array([1.0], dtype=np.float32), np.array([0.0]))
    assert math.isfinite(value) and value > 16.0


# -- get_loss ------------------------------------------------------------------------------


def test_get_loss_refuses_options_for_an_instance() -> None:
    # the options were dropped: a "sum" asked for came back as "mean"
    with pytest.raises(TypeError, match=r"get_loss got options \['reduction'\] with a Loss instance"):
        get_loss(MSELoss(), reduction="sum")
    loss = MSELoss()
    assert get_loss(loss) is loss


# -- LogisticLoss flags --------------------------------------------------------------------


@pytest.mark.parametrize("flag", [None, 0, "no"])
def test_logistic_strict_labels_must_be_a_bool(flag: object) -> None:
    # None (or 0) turned the label check off silently; "no" turned it on
    with pytest.raises(TypeError, match=r"strict_labels must be True or False, got"):
        LogisticLoss(strict_labels=flag)  # type: ignore[arg-type]


# -- gradcheck -----------------------------------------------------------------------------


def test_gradcheck_refuses_to_compare_nothing() -> None:
    # a model without parameters, and no input check, reported "all ok" having compared nothing
    x = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(ValueError, match=r"gradcheck has nothing to compare: the model has no parameters"):
        gradcheck(Sequential(Tanh()), MSELoss(), x, np.zeros((4, 2)))
    report = gradcheck(Sequential(Tanh()), MSELoss(), x, np.zeros((4, 2)), check_input=True)
    assert report.ok and [c.name for c in report.comparisons] == ["input"]


def test_gradcheck_on_the_exercise_in_float32() -> None:
    model = exercise_network(np.float32)
    report = gradcheck(
        model, LogisticLoss(strict_labels=False), exercise_input(np.float32), [[-1.0]], check_input=True
    )
    assert report.ok
    # ∂L/∂w₁₂ʰ = 3 σ(6) · w₁ᵒ · ReLU′(z₁) · x₂ = 3 σ(6) · 0.5 · 1 · 2, in float64 from the
    # float32 weights (0.2f is not 0.2: agreement to 1e-9, not 1e-12)
    assert report["0.weight"].analytic[0, 1] == pytest.approx(3.0 / (1.0 + math.exp(-6.0)), abs=1e-9)
    assert model.dtype == np.float32  # the model itself is not converted


# -- MLPSpec -------------------------------------------------------------------------------


def test_spec_names_sizes_that_are_not_a_sequence() -> None:
    with pytest.raises(
        TypeError,
        match=r"MLPSpec sizes must be a list, tuple or 1-D array of layer sizes \[in, hidden…, out\], got 5 \(int\)",
    ):
        MLPSpec(sizes=5)  # type: ignore[arg-type]


def test_spec_takes_a_numpy_slope() -> None:
    # refused as "must be a finite number, got np.float32(0.25)"
    spec = MLPSpec(sizes=(2, 3, 1), activation="leaky_relu", negative_slope=np.float32(0.25))  # type: ignore[arg-type]
    assert spec.negative_slope == 0.25 and type(spec.negative_slope) is float
    with pytest.raises(ValueError, match=r"negative_slope must be a finite number, got True"):
        MLPSpec(sizes=(2, 1), negative_slope=True)


# -- demo ----------------------------------------------------------------------------------


def test_demo_moons_table_columns_line_up() -> None:
    # the torch and difference columns started one character left of their headers
    require_torch()
    from glassnet.demo import moons_section

    lines = moons_section(epochs=1).splitlines()
    header, row = lines[1], lines[2]
    starts = [match.start() for match in re.finditer(r"\S+", row)]  # epoch, ours, theirs, difference
    assert starts[1:] == [header.index(name) for name in ("glassnet loss", "torch loss", "|difference|")]


@pytest.mark.parametrize(
    ("labels", "values", "text", "outside"),
    [
        ("01", (0.0, 1.0), "{0, 1}", [False, False, True, True]),
        ("pm1", (-1.0, 1.0), "{-1, +1}", [True, False, False, True]),
    ],
)
def test_the_label_convention_is_told_by_the_loss(
    labels: str, values: tuple[float, float], text: str, outside: list[bool]
) -> None:
    """One place for the convention: the loss's own check, and explain's, ask it."""
    loss = LogisticLoss(labels=labels)  # type: ignore[arg-type]
    assert (loss.label_values, loss.label_set_text) == (values, text)
    np.testing.assert_array_equal(loss.outside_labels(np.array([0.0, 1.0, -1.0, 0.5])), outside)


@pytest.mark.parametrize("make", [MSELoss, HalfSquaredError, LogisticLoss, BCELoss])
def test_forward_refuses_a_target_of_another_shape_rather_than_broadcast_it(make: Callable[[], Loss]) -> None:
    """loss.forward(ŷ, y) with ŷ (N, 1) and y (N,), as the README's loop has them: the (N, N)
    differences gave a wrong value and an (N, N) gradient, without an error."""
    loss = make()
    prediction = np.full((6, 1), 0.25)
    labels = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    loss(prediction, labels)  # a good call first: backward must not fall back on it
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{type(loss).__name__}.forward takes y of the prediction's shape (6, 1), got shape (6,); "
            "loss(ŷ, y), which checks its arguments, takes y of shape (N,) for a prediction of shape (N, 1)"
        ),
    ):
        loss.forward(prediction, labels)
    with pytest.raises(RuntimeError, match="backward called before the loss was computed"):
        loss.backward()
    assert loss.forward(prediction, labels.reshape(6, 1)) == loss(prediction, labels)


# -- settings written by hand are checked as the constructor checks them -------------------------


@pytest.mark.parametrize(
    ("make", "setting", "value", "error", "says"),
    [
        # another reduction than "mean" was summed silently: N times the mean and its gradient
        (MSELoss, "reduction", "none", ValueError, "reduction must be one of mean, sum, got 'none'"),
        (LogisticLoss, "reduction", "Mean", ValueError, "reduction must be one of mean, sum, got 'Mean'"),
        (BCELoss, "reduction", None, ValueError, "reduction must be one of mean, sum, got None"),
        # None turned the label check off; "PM1" took the 'pm1' formula under the '01' check
        (LogisticLoss, "strict_labels", None, TypeError, "strict_labels must be True or False, got None"),
        (
            LogisticLoss,
            "labels",
            "PM1",
            ValueError,
            "labels must be '01' (y in {0, 1}) or 'pm1' (y in {-1, +1}), got 'PM1'",
        ),
        # an ε of 0.5 or more clipped every probability to one number
        (BCELoss, "eps", 0.7, ValueError, "BCELoss eps must be < 0.5, got 0.7"),
        (BCELoss, "eps", -1.0, ValueError, "BCELoss eps"),
    ],
)
def test_a_loss_setting_changed_by_hand_is_checked(
    make: Callable[[], Loss], setting: str, value: object, error: type[Exception], says: str
) -> None:
    loss = make()
    before = getattr(loss, setting)
    with pytest.raises(error, match=re.escape(says)):
        setattr(loss, setting, value)
    assert getattr(loss, setting) == before  # the refused value was not kept


def test_a_loss_setting_changed_by_hand_to_a_valid_one_is_used() -> None:
    prediction, target = np.array([[1.0], [3.0]]), np.array([0.0, 0.0])
    loss = MSELoss()
    loss.reduction = "sum"
    assert loss(prediction, target) == 10.0 and loss.backward().ravel().tolist() == [2.0, 6.0]
    logistic = LogisticLoss()
    logistic.labels = "pm1"
    assert logistic(prediction, [-1.0, 1.0]) == LogisticLoss("pm1")(prediction, [-1.0, 1.0])
    logistic.strict_labels = False
    assert logistic(prediction, [5.0, 5.0]) == LogisticLoss("pm1", strict_labels=False)(
        prediction, [5.0, 5.0]
    )


@pytest.mark.parametrize(
    ("make", "target", "says"),
    [
        (
            LogisticLoss,
            [0.99999999, 0.0],
            "LogisticLoss(labels='01') expects labels in {0, 1}, got 0.99999999",
        ),
        (LogisticLoss, [1e-50, 1.0], "LogisticLoss(labels='01') expects labels in {0, 1}, got 1e-50"),
        (BCELoss, [1.00000001, 0.0], "BCELoss expects targets in [0, 1], got 1.00000001"),
    ],
)
def test_float32_predictions_do_not_round_a_target_into_the_domain(
    make: Callable[[], Loss], target: list[float], says: str
) -> None:
    """The target's domain is checked on the values given, before the cast to the prediction's
    float32 (which rounded 0.99999999 to the label 1 and 1e-50 to 0): refused as in float64."""
    for dtype in (np.float64, np.float32):
        with pytest.raises(ValueError, match=re.escape(says)):
            make()(np.array([[0.5], [0.1]], dtype=dtype), target)


def test_float32_predictions_keep_a_float64_target_in_float32() -> None:
    loss = LogisticLoss()
    value = loss(np.array([[0.5], [-0.25]], dtype=np.float32), np.array([1.0, 0.0]))
    assert loss.backward().dtype == np.float32
    assert value == LogisticLoss()(
        np.array([[0.5], [-0.25]], dtype=np.float32), np.array([1.0, 0.0], np.float32)
    )


@pytest.mark.parametrize(
    ("rows", "offset", "spread"),
    [(10**6, 0.0, 1.0), (1_000_003, 1e4, 1.0), (4097, 1e4, 1.0), (10**6, 0.3, 0.0)],
)
def test_float32_mse_of_many_residuals_keeps_float32s_precision(
    rows: int, offset: float, spread: float
) -> None:
    """Σ r² was one float32 BLAS dot, whose error grows with the count: 2.5e-6 relative for 10⁶
    residuals, 6.6e-5 for 10⁶ near 1e4, 1.7e-4 for 10⁶ all 0.3 (torch's mse_loss: 1e-7 at
    most). Now in float64 blocks beyond 4,096; past float32's largest sum, inf as before (the
    error naming the overflow, as the torch engine's), where float64 blocks alone gave 3.2e34."""
    rng = np.random.default_rng(0)
    prediction = (offset + spread * rng.normal(size=(rows, 1))).astype(np.float32)
    exact = math.fsum((prediction.astype(np.float64) ** 2).ravel().tolist()) / rows
    loss = MSELoss()
    assert loss(prediction, np.zeros((rows, 1), np.float32)) == pytest.approx(exact, rel=1e-7, abs=0)
    huge = np.full((12_288, 1), 1.8e17, np.float32)  # each square fits float32, their sum does not
    with pytest.raises(ValueError, match=r"the numbers overflow float32"):
        loss(huge, np.zeros_like(huge))
    # integers: summed in float64 (past one block np.finfo refused them, and an int64 dot wraps)
    assert sum_of_squares(np.full(10, 2**32, np.int64)) == 10.0 * 2.0**64
    assert sum_of_squares(np.arange(5_000)) == float(sum(i * i for i in range(5_000)))
    with pytest.raises(TypeError):  # complex: refused as before, not read without its imaginary part
        sum_of_squares(np.array([1 + 2j, 3 - 1j]))
    # a NaN stays NaN (the test against the largest number read it as inf: a training that
    # diverged to NaN said "the loss became inf"), an inf stays inf
    for bad in (math.nan, math.inf):
        residuals = np.ones((5_000, 1), np.float32)
        residuals[-1] = bad
        value = MSELoss().forward(residuals, np.zeros_like(residuals))
        assert math.isnan(value) if math.isnan(bad) else value == math.inf, value


@pytest.mark.parametrize("make", [LogisticLoss, BCELoss])
def test_a_torch_prediction_with_a_nan_is_named(make: Callable[[], Loss]) -> None:
    """A torch tensor's dtype is not NumPy's: the NaN was met by a TypeError about torch.float32.
    (MSELoss, whose value shows a NaN, checks the prediction only then, on the array.)"""
    torch = require_torch()
    prediction = torch.tensor([[0.5], [float("nan")]])
    with pytest.raises(
        ValueError, match=re.escape("prediction must be finite, got nan at index (1, 0); a NaN comes")
    ):
        make()(prediction, [0.0, 1.0])


def test_half_squared_error_holds_a_value_whose_square_overflows() -> None:
    """½ r² for r = 1.5e154 is 1.125e308, which float64 holds; r² alone is not. Elsewhere the
    value is the textbook formula's to the bit."""
    assert HalfSquaredError()(np.array([1.5e154]), np.array([0.0])) == pytest.approx(1.125e308, rel=1e-15)
    # six rows of 500 residuals, each row at its own scale, 1e-150 to 1e100
    residual = np.random.default_rng(0).normal(size=(6, 500)) * 10.0 ** np.arange(-150, 150, 50)[:, None]
    np.testing.assert_array_equal(
        HalfSquaredError().elementwise(residual, np.zeros_like(residual)), 0.5 * residual**2
    )


def test_a_float64_target_beyond_float32s_range_is_named_for_a_float32_prediction() -> None:
    """Checked before the cast, 1e39 became inf in it, and the loss blamed an overflow of the model.
    (A label loss refuses such a target as outside its labels before any cast.)"""
    with pytest.raises(
        ValueError,
        match=re.escape("MSELoss target holds 1e+39 at index (0, 0), outside the range of float32"),
    ):
        MSELoss()(np.array([[0.5], [0.1]], dtype=np.float32), np.array([1e39, 1.0]))


@pytest.mark.parametrize(
    ("make", "state", "shown"),
    [
        (MSELoss, {"reduction": "sum"}, "MSELoss(reduction='sum')"),
        (
            LogisticLoss,
            {"reduction": "mean", "labels": "pm1", "strict_labels": False},
            "LogisticLoss(labels='pm1', reduction='mean', strict_labels=False)",
        ),
        (
            BCELoss,
            {"reduction": "mean", "eps": 0.001, "_eps_shown": set()},
            "BCELoss(reduction='mean', eps=0.001)",
        ),
    ],
)
def test_a_loss_pickled_before_its_settings_were_properties_loads(
    make: type[Loss], state: dict[str, Any], shown: str
) -> None:
    """Its state holds the settings as plain attributes, which the properties no longer read (an
    AttributeError at the first use); they are set through the properties, checked."""
    loss = make.__new__(make)
    loss.__setstate__({**state, "_prediction": None, "_target": None})
    assert repr(loss) == shown
    assert loss(np.array([[0.25]]), [1.0]) == make(**{k: v for k, v in state.items() if k != "_eps_shown"})(
        np.array([[0.25]]), [1.0]
    )
    bad = make.__new__(make)
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, got 'none'"):
        bad.__setstate__({**state, "reduction": "none", "_prediction": None, "_target": None})
    assert pickle.loads(pickle.dumps(loss)).__dict__.keys() == loss.__dict__.keys()


@pytest.mark.parametrize("lazy", [MSELoss, HalfSquaredError])
@pytest.mark.parametrize(
    ("prediction", "target"),
    [
        ([[0.5], [math.inf]], [1.0, 0.0]),  # typed in: no overflow to blame
        ([[math.nan], [0.5]], [1.0, math.nan]),  # both: the prediction is named first
        (np.array([[0.5], [math.inf]]), [1.0, 0.0]),  # an array: the overflow advice too
        ([[0.5], [0.25]], [1.0, math.nan]),
    ],
)
def test_losses_that_check_only_a_value_not_finite_name_it_as_an_eager_check(
    lazy: type[Loss], prediction: Any, target: Any
) -> None:
    """MSE and ½SSE check their arguments only when L is not finite; they named the target
    first, and blamed a typed-in inf on an overflow with advice about the learning rate,
    where the losses that check every call (prepare) name the prediction first, as given."""
    with pytest.raises(ValueError) as eager:
        LogisticLoss()(prediction, target)
    with pytest.raises(ValueError) as checked_late:
        lazy()(prediction, target)
    assert str(checked_late.value) == str(eager.value).replace("LogisticLoss", lazy.__name__)
