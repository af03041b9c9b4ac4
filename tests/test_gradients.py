"""Every layer, activation and loss against central finite differences in float64."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from glassnet import GradcheckReport, gradcheck
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, Loss, MSELoss
from glassnet.nn import (
    MLP,
    Identity,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)

REL_TOL = 1e-7


def _labels01(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 2, size=shape).astype(float)


# (id, model factory, loss, target factory) — each row checks one building block.
CASES: list[tuple[str, Callable[[np.random.Generator], Module], Loss, Callable[..., np.ndarray]]] = [
    ("linear", lambda rng: Linear(4, 3, rng=rng), MSELoss(), lambda rng, s: rng.normal(size=s)),
    ("linear-he", lambda rng: Linear(4, 3, init="he", rng=rng), MSELoss(), lambda rng, s: rng.normal(size=s)),
    (
        "relu",
        lambda rng: Sequential(Linear(4, 5, rng=rng), ReLU()),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "leaky_relu",
        lambda rng: Sequential(Linear(4, 5, rng=rng), LeakyReLU(0.1)),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "sigmoid",
        lambda rng: Sequential(Linear(4, 5, rng=rng), Sigmoid()),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "tanh",
        lambda rng: Sequential(Linear(4, 5, rng=rng), Tanh()),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "softplus",
        lambda rng: Sequential(Linear(4, 5, rng=rng), Softplus()),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "identity",
        lambda rng: Sequential(Linear(4, 5, rng=rng), Identity()),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
    ("mse-sum", lambda rng: Linear(4, 2, rng=rng), MSELoss("sum"), lambda rng, s: rng.normal(size=s)),
    ("half-sse", lambda rng: Linear(4, 2, rng=rng), HalfSquaredError(), lambda rng, s: rng.normal(size=s)),
    (
        "half-sse-mean",
        lambda rng: Linear(4, 2, rng=rng),
        HalfSquaredError("mean"),
        lambda rng, s: rng.normal(size=s),
    ),
    ("logistic-01", lambda rng: Linear(4, 1, rng=rng), LogisticLoss("01"), _labels01),
    (
        "logistic-pm1",
        lambda rng: Linear(4, 1, rng=rng),
        LogisticLoss("pm1", reduction="sum"),
        lambda rng, s: 2 * _labels01(rng, s) - 1,
    ),
    (
        "logistic-literal",
        lambda rng: Linear(4, 1, rng=rng),
        LogisticLoss("01", strict_labels=False),
        lambda rng, s: rng.normal(size=s),
    ),
    (
        "bce",
        lambda rng: Sequential(Linear(4, 1, rng=rng), Sigmoid()),
        BCELoss(),
        lambda rng, s: rng.uniform(size=s),
    ),
    (
        "mlp-deep",
        lambda rng: MLP([4, 6, 5, 3], activation="tanh", rng=rng),
        MSELoss(),
        lambda rng, s: rng.normal(size=s),
    ),
]


@pytest.mark.parametrize(
    ("name", "make_model", "loss", "make_target"), CASES, ids=[case[0] for case in CASES]
)
def test_backward_matches_central_differences(
    name: str,
    make_model: Callable[[np.random.Generator], Module],
    loss: Loss,
    make_target: Callable[..., np.ndarray],
) -> None:
    rng = np.random.default_rng(7)
    model = make_model(rng)
    x = rng.normal(size=(6, 4))
    out_features = model(x).shape[1]
    y = make_target(rng, (6, out_features))
    report = gradcheck(model, loss, x, y, check_input=True)
    assert report.ok, str(report)
    for comparison in report.comparisons:
        assert comparison.rel_error < REL_TOL, f"{name} {comparison.name}: {comparison.rel_error:.2e}"


def test_gradcheck_reports_a_wrong_backward() -> None:
    class BrokenTanh(Tanh):
        def derivative(self, z: np.ndarray) -> np.ndarray:
            return 1.0 - np.tanh(z)  # missing square: a classic slip

    rng = np.random.default_rng(0)
    model = Sequential(Linear(3, 4, rng=rng), BrokenTanh(), Linear(4, 1, rng=rng))
    report = gradcheck(model, MSELoss(), rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))
    assert not report.ok
    assert report["0.weight"].first_mismatch is not None
    assert report["2.weight"].ok  # the layer above the bug is still right
    assert "MISMATCH" in str(report)


@pytest.mark.parametrize("scale", [1e3, 2e4, 1e5])
def test_gradcheck_passes_a_correct_backward_under_a_large_loss(scale: float) -> None:
    """With unscaled inputs L is about 1e6 and rounding it leaves about 1e-4 in each finite
    difference, above rtol: a correct Linear failed (torch.autograd.gradcheck passes it). A
    backward wrong by 1 % still fails at that scale."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 2)) * scale, rng.normal(size=(4, 1))
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(1)))
    report = gradcheck(model, MSELoss(), x, y, check_input=True)
    assert report.ok, str(report)

    class OffByOnePercent(Linear):
        def backward(self, grad_out: np.ndarray) -> np.ndarray:
            return super().backward(1.01 * grad_out)

    broken = Sequential(OffByOnePercent(2, 1, rng=np.random.default_rng(1)))
    assert not gradcheck(broken, MSELoss(), x, y, check_input=True).ok


def test_gradcheck_divides_by_the_step_a_large_parameter_takes() -> None:
    """b = 1e10 ± 1e-6 rounds to a step of 3.8e-6, not 2e-6: the finite difference of a correct
    dL/db = 2 read 3.81, a MISMATCH."""
    model = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    model[0].weight.data[...] = 0.5
    model[0].bias.data[...] = 1e10
    report = gradcheck(model, MSELoss(), np.array([[2.0]]), np.array([1e10]))  # residual 1
    # ŷ = 1e10 is rounded to steps of 1.9e-6, as large as the weight's step moves it: the
    # weight's difference reads 3.81 for 4, within what rounding allows, so unresolved
    assert report.inconclusive and not report.ok, str(report)
    np.testing.assert_array_equal(report["0.bias"].numeric, [2.0])


def test_gradcheck_refuses_an_eps_below_a_parameters_rounding() -> None:
    model = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    model[0].bias.data[...] = 1e12
    with pytest.raises(ValueError, match=r"eps=1e-06 is below the rounding of 0.bias\[0\] = 1e\+12"):
        gradcheck(model, MSELoss(), np.array([[2.0]]), np.array([1e12]))


@pytest.mark.parametrize("seed", range(10))
def test_gradcheck_passes_a_correct_backward_with_large_outputs(seed: int) -> None:
    """An unscaled target of 3e5 (the output bias there): rounding ŷ to its spacing moves L by
    more than rounding L does, and half of these seeds reported a correct backward as a
    MISMATCH. A backward wrong by 1 % still fails."""
    rng = np.random.default_rng(seed)
    model = MLP([3, 4, 1], activation="tanh", rng=rng)
    model[-1].bias.data[...] = 3e5
    x, y = rng.normal(size=(8, 3)), 3e5 + rng.normal(size=8) * 1e4
    report = gradcheck(model, MSELoss(), x, y)
    assert report.ok, str(report)

    class OffByOnePercent(Tanh):
        def derivative(self, z: np.ndarray) -> np.ndarray:
            return 1.01 * super().derivative(z)

    broken = Sequential(model[0], OffByOnePercent(), model[2])
    assert not gradcheck(broken, MSELoss(), x, y).ok


class _TwiceSigmoid(Sigmoid):
    """A backward wrong by a factor of 2."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return 2.0 * super().backward(grad_out)


@pytest.mark.parametrize("logit", [21.0, 25.0])
def test_gradcheck_does_not_pass_what_rounding_hides(logit: float) -> None:
    """A sigmoid output saturated under BCE with the other label: ∂L/∂ŷ ≈ e^z, and what
    rounding ŷ leaves in L allows more than the gradient itself, so a backward wrong by a
    factor of 2 read "all ok". It is now unresolved: the report is inconclusive, not ok."""
    x = np.random.default_rng(3).normal(size=(8, 2))

    def report(activation: Module) -> GradcheckReport:
        linear = Linear(2, 1, rng=np.random.default_rng(0))
        linear.bias.data += logit
        return gradcheck(Sequential(linear, activation), BCELoss(), x, np.zeros(8))

    wrong = report(_TwiceSigmoid())
    assert not wrong.ok and wrong.inconclusive
    assert wrong["0.bias"].first_unresolved == (0,) and wrong["0.bias"].first_mismatch is None
    assert "INCONCLUSIVE" in str(wrong) and "unresolved from (0,)" in str(wrong)
    assert "rows where the loss is smaller and less steep" in str(wrong)
    assert report(Sigmoid()).inconclusive  # the right one too: nothing can be told here


@pytest.mark.parametrize("offset", [0.0, -1.3])
def test_gradcheck_resolves_gradients_of_zero_beside_larger_ones(offset: float) -> None:
    """A dead ReLU layer (every hidden unit off) has gradients of exactly 0, checked against the
    report's largest gradient, the output bias's: measured against their own size, 0, they were
    unresolved as soon as L passed about 5.6, so the verdict flipped with the target's offset."""
    rng = np.random.default_rng(0)
    model = MLP([2, 4, 1], activation="relu", rng=rng)
    model[0].bias.data[...] = -10.0
    x, y = rng.normal(size=(8, 2)), 3.0 + rng.normal(size=8) + offset
    report = gradcheck(model, MSELoss(), x, y)
    assert not np.any(report["0.weight"].analytic) and not np.any(report["0.weight"].numeric)
    assert report.ok and not report.inconclusive, str(report)


@pytest.mark.parametrize("offset", [125.0, 0.0])
def test_gradcheck_of_a_bias_at_its_optimum_is_resolved_once_the_target_is_scaled(offset: float) -> None:
    """The bias where dL/db = 0 (to 1e-12), under an unscaled target near 125 (airfoil's sound
    level): rounding the outputs leaves about 4e-7 in its finite difference, so a backward wrong
    by any factor there would pass, and it is unresolved; the same rows with the target's offset
    taken off resolve it. The weights are resolved either way."""
    rng = np.random.default_rng(1)
    model = Sequential(Linear(5, 1, rng=rng))
    x, y = rng.normal(size=(16, 5)), offset + rng.normal(size=16)
    model[0].bias.data[...] += np.mean(y - model(x)[:, 0])  # the mean residual: dL/db = 0
    report = gradcheck(model, MSELoss(), x, y)
    assert abs(float(report["0.bias"].analytic[0])) < 1e-9
    assert report["0.weight"].ok
    if offset:
        assert report.inconclusive and report["0.bias"].first_unresolved == (0,), str(report)
    else:
        assert report.ok, str(report)


class _ScaledTanh(Tanh):
    """A wrong backward: dL/dz times ``factor`` (2: off by a factor of 2; 0: the gradient lost)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self.factor * super().backward(grad_out)


@pytest.mark.parametrize(
    ("factor", "seed", "bias", "target"),
    [(2.0, 2, 9.0, 100.0), (0.0, 0, 11.0, 1000.0)],
    ids=["twice", "zeros"],
)
def test_gradcheck_does_not_pass_a_wrong_backward_that_a_large_loss_hides(
    factor: float, seed: int, bias: float, target: float
) -> None:
    """A saturated tanh layer under a large loss: its gradients (up to 5.5e-6 and 2.4e-6) are
    below what rounding L leaves in their finite differences (1.8e-5 under a loss of 1e4).
    twice: measured against the report's largest gradient (the output layer's, 201), a backward
    wrong by 2 read "all ok"; against its own array's it is unresolved, as is the right one
    (torch's gradcheck with atol=0 fails both). zeros: under a loss of 1e6 L(θ ± ε) round to the
    same number though ŷ moves by a few ulp; exempted as a dead unit's weights (nᵢ = 0 = aᵢ), a
    backward of zeros read "all ok" where the right one was inconclusive. The exemption now asks
    for outputs that did not move at all."""
    rng = np.random.default_rng(seed)
    first, last = Linear(2, 3, rng=rng), Linear(3, 1, rng=rng)
    first.bias.data += bias
    x, y = rng.normal(size=(8, 2)), target + rng.normal(size=8)
    for activation in (_ScaledTanh(factor), Tanh()):
        report = gradcheck(Sequential(first, activation, last), MSELoss(), x, y)
        assert report.inconclusive and report["0.bias"].first_unresolved is not None, str(report)
        assert report["2.weight"].ok


class _ForgetfulLinear(Linear):
    """A backward that forgets dL/dW and dL/db (it returns dL/dx only)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out @ self.weight.data


class _ZeroIdentity(Identity):
    """A backward that loses dL/dx."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return 0.0 * grad_out


@pytest.mark.parametrize(
    ("residual", "reduction", "rows"), [(2.0, "mean", 1), (5.0, "mean", 8), (3.0, "sum", 256)]
)
def test_gradcheck_resolves_a_dead_layer_under_outputs_of_airfoil_size(
    residual: float, reduction: str, rows: int
) -> None:
    """A hidden ReLU layer off for every row and outputs near 118 dB (spaced 1.4e-14 apart): a
    step of 1e-6 leaves ŷ on its floats, but their spacing could hide a gradient above atol, and
    the dead layer read INCONCLUSIVE. A step as long as showing atol takes leaves ŷ there too: a
    gradient that small is not there, and the layer is resolved."""
    rng = np.random.default_rng(0)
    model = MLP([2, 4, 1], activation="relu", rng=rng)
    model[0].bias.data[...] = -10.0  # every hidden unit off
    model[2].bias.data[...] = 118.0
    x, y = rng.normal(size=(rows, 2)), 118.0 + residual + rng.normal(size=rows) * 0.1
    report = gradcheck(model, MSELoss(reduction=reduction), x, y)  # type: ignore[arg-type]
    assert report.ok, str(report)


def test_gradcheck_says_a_larger_atol_may_resolve_a_dead_layer_under_large_outputs() -> None:
    """Outputs near 1e4 with residuals of 30: the step that would show atol is past a hundredth
    of the weights, so the dead layer stays unresolved; the hint named only rows and eps (eps
    had to reach 1e-2), where an atol of 1e-7 resolves it."""
    rng = np.random.default_rng(0)
    model = MLP([3, 8, 1], activation="relu", rng=rng)
    model[0].bias.data[...] = -10.0  # every hidden unit off
    model[2].bias.data[...] = 1e4
    x, y = rng.normal(size=(32, 3)), 1e4 + 30.0 + rng.normal(size=32)
    report = gradcheck(model, MSELoss(), x, y)
    assert report.inconclusive and "a larger atol may resolve it" in str(report), str(report)
    assert gradcheck(model, MSELoss(), x, y, atol=1e-7).ok


def test_gradcheck_does_not_exempt_outputs_whose_floats_hide_the_gradient() -> None:
    """Outputs near 3e5 are spaced 5.8e-11 apart, so steps of 1e-6 on the first layer (behind
    output weights of 1e-5) leave ŷ on the same float: exempted as a dead unit's weights, a
    backward that forgot dL/dW read "all ok" (the gradient is 1.5 to 6 at eps=1e-3, a MISMATCH)."""
    rng = np.random.default_rng(0)
    first, second = _ForgetfulLinear(2, 3, rng=rng), Linear(3, 1, rng=rng)
    second.weight.data[...] = [[1e-5, -2e-5, 1.5e-5]]
    second.bias.data[...] = 3e5
    model = Sequential(first, Tanh(), second)
    x, y = np.array([[0.3, -0.7]]), np.array([[0.0]])
    report = gradcheck(model, MSELoss(), x, y)
    assert not report.ok and report["0.weight"].first_unresolved is not None, str(report)
    assert not gradcheck(model, MSELoss(), x, y, eps=1e-3).ok


def test_gradcheck_does_not_exempt_a_forward_that_returns_its_input() -> None:
    """Identity returns x itself, which gradcheck moves in place for check_input: ŷ(x + ε) and
    ŷ(x − ε) were one array, always equal, and a backward losing dL/dx read "all ok" beside
    finite differences of 0.27 and -0.65."""
    rng = np.random.default_rng(0)
    x = 3e8 + rng.normal(size=(4, 1))
    y = x[:, 0] + rng.normal(size=4)
    report = gradcheck(Sequential(_ZeroIdentity()), MSELoss(), x, y, check_input=True)
    assert not report.ok, str(report)
    assert np.any(report["input"].numeric != 0.0)


def test_gradcheck_resolves_a_sigmoid_that_is_not_saturated() -> None:
    x = np.random.default_rng(3).normal(size=(8, 2))
    linear = Linear(2, 1, rng=np.random.default_rng(0))
    linear.bias.data += 3.0
    right = gradcheck(Sequential(linear, Sigmoid()), BCELoss(), x, np.zeros(8))
    assert right.ok and not right.inconclusive and "all ok" in str(right)
    assert all(c.first_unresolved is None for c in right.comparisons)
    wrong = gradcheck(Sequential(linear, _TwiceSigmoid()), BCELoss(), x, np.zeros(8))
    assert not wrong.ok and not wrong.inconclusive and "MISMATCH" in str(wrong)


def test_gradcheck_reports_a_nan_gradient() -> None:
    # |a − n| > tol is False for a NaN a: a backward that gave NaN passed, "all ok"
    class NaNLinear(Linear):
        def backward(self, grad_out: np.ndarray) -> np.ndarray:
            grad_in = super().backward(grad_out)
            self.weight.grad[0, 1] = np.nan
            return grad_in

    rng = np.random.default_rng(0)
    model = NaNLinear(3, 1, rng=rng)
    report = gradcheck(model, MSELoss(), rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))
    assert not report.ok
    assert report["weight"].first_mismatch == (0, 1)
    assert report["bias"].ok
    assert math.isnan(report.max_abs_error) and math.isnan(report.max_rel_error)
    assert "MISMATCH" in str(report)


@pytest.mark.parametrize(
    "layout",
    [np.asfortranarray, lambda w: np.repeat(w, 2, axis=1)[:, ::2]],  # Fortran order, a strided view
    ids=["fortran", "strided"],
)
def test_gradcheck_perturbs_parameters_of_any_memory_layout(
    layout: Callable[[np.ndarray], np.ndarray],
) -> None:
    rng = np.random.default_rng(3)
    model = MLP([3, 4, 2], rng=rng)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    expected = gradcheck(model, MSELoss(), x, y)
    model[0].weight.data = layout(model[0].weight.data.copy())
    assert not model[0].weight.data.flags.c_contiguous
    report = gradcheck(model, MSELoss(), x, y)
    assert report.ok, str(report)
    np.testing.assert_allclose(report["0.weight"].numeric, expected["0.weight"].numeric, rtol=0, atol=1e-12)


def test_gradcheck_leaves_the_model_untouched() -> None:
    rng = np.random.default_rng(1)
    model = MLP([3, 4, 1], rng=rng, dtype=np.float32)
    before = model.state_dict()
    report = gradcheck(model, MSELoss(), rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))
    assert report.ok
    after = model.state_dict()
    assert all(after[k].dtype == np.float32 and np.array_equal(after[k], before[k]) for k in before)
    assert all(not p.grad.any() for p in model.parameters())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_mse_equals_its_elementwise_definition(dtype: type, reduction: str) -> None:
    """MSELoss computes its value as rᵀr and its gradient from the kept residual: the same
    numbers as reduce(elementwise) and elementwise_grad, to rounding."""
    rng = np.random.default_rng(9)
    prediction, target = rng.normal(size=(33, 2)).astype(dtype), rng.normal(size=(33, 2)).astype(dtype)
    loss = MSELoss(reduction=reduction)  # type: ignore[arg-type]
    scale = 1.0 / prediction.size if reduction == "mean" else 1.0
    tolerance = 1e-6 if dtype is np.float32 else 1e-14
    value = loss(prediction, target)
    assert value == pytest.approx(float(loss.elementwise(prediction, target).sum()) * scale, rel=tolerance)
    grad = loss.backward()
    assert grad.dtype == dtype and grad.shape == prediction.shape
    np.testing.assert_allclose(grad, loss.elementwise_grad(prediction, target) * scale, rtol=tolerance)


def test_mse_keeps_the_residual_of_its_last_call() -> None:
    loss = MSELoss()
    with pytest.raises(RuntimeError, match=r"MSELoss.residual read before the loss was computed"):
        _ = loss.residual
    prediction, target = np.array([[1.5], [-2.0], [0.25]]), np.array([1.0, 1.0, 1.0])
    loss(prediction, target)
    np.testing.assert_array_equal(loss.residual, [[0.5], [-3.0], [-0.75]])


class _FlatInput(Linear):
    """A backward whose dL/dx has lost its rows' axis."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return super().backward(grad_out).ravel()


class _FirstRowInput(Linear):
    """A backward whose dL/dx keeps the first row alone."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return super().backward(grad_out)[:1]


@pytest.mark.parametrize(("layer", "rows", "shape"), [(_FlatInput, 1, "(3,)"), (_FirstRowInput, 4, "(1, 3)")])
def test_gradcheck_refuses_a_dl_dx_of_another_shape(layer: type[Linear], rows: int, shape: str) -> None:
    """Compared as they were, the two broadcast against each other and the check read 'all ok'."""
    rng = np.random.default_rng(0)
    model = Sequential(layer(3, 2, rng=rng))
    x, y = rng.normal(size=(rows, 3)), rng.normal(size=(rows, 2))
    with pytest.raises(
        ValueError, match=rf"returned dL/dx of shape {re.escape(shape)}, not the input's shape \({rows}, 3\)"
    ):
        gradcheck(model, MSELoss(), x, y, check_input=True)
    assert gradcheck(Sequential(Linear(3, 2, rng=rng)), MSELoss(), x, y, check_input=True).ok
