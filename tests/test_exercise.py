"""The exercise's network worked by hand, asserted to 1e-12."""

from __future__ import annotations

import math

import numpy as np

from glassnet.exercise import exercise_input, exercise_network
from glassnet.losses import LogisticLoss
from glassnet.nn import Linear


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def test_forward_pass_by_hand() -> None:
    model = exercise_network()
    x = exercise_input()
    z = model[0].forward(x)
    h = model[1].forward(z)
    y_hat = model[2].forward(h)
    np.testing.assert_allclose(z, [[2.0, 2.0, -1.0]], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h, [[2.0, 2.0, 0.0]])
    assert abs(y_hat[0, 0] - 2.0) < 1e-12
    assert abs(model(x)[0, 0] - 2.0) < 1e-12


def test_loss_and_gradient_of_w12_with_label_one() -> None:
    # y = 1 in {0, 1}: L = log(1 + e^(−ŷ)) = log(1 + e⁻²), ∂L/∂ŷ = −σ(−2),
    # ∂L/∂w₁₂ʰ = ∂L/∂ŷ · w₁ᵒ · ReLU′(z₁) · x₂ = −σ(−2) · 0.5 · 1 · 2.
    model = exercise_network()
    loss = LogisticLoss(labels="01")
    value = loss(model(exercise_input()), np.array([1.0]))
    model.backward(loss.backward())
    hidden = model[0]
    assert isinstance(hidden, Linear)
    assert abs(value - math.log1p(math.exp(-2.0))) < 1e-12
    assert abs(hidden.weight.grad[0, 1] - (-sigmoid(-2.0) * 0.5 * 2.0)) < 1e-12
    # the dead unit (z₃ = −1) and the zero output weight pass no gradient back
    np.testing.assert_array_equal(hidden.weight.grad[2], [0.0, 0.0])


def test_sheet_label_minus_one_as_written() -> None:
    # The sheet applies the {0,1} formula to y = −1: (1 − 2y) = 3, L = log(1 + e⁶).
    model = exercise_network()
    loss = LogisticLoss(labels="01", strict_labels=False)
    value = loss(model(exercise_input()), np.array([-1.0]))
    model.backward(loss.backward())
    grad = model[0].weight.grad[0, 1]
    assert abs(value - math.log1p(math.exp(6.0))) < 1e-12
    assert abs(grad - 3.0 * sigmoid(6.0) * 0.5 * 2.0) < 1e-12
    assert abs((0.4 - 0.1 * grad) - 0.100742) < 1e-6


def test_float32_end_to_end() -> None:
    model = exercise_network(np.float32)
    loss = LogisticLoss()
    out = model(exercise_input(np.float64))  # float64 input is cast to the model's dtype
    assert out.dtype == np.float32
    loss(out, np.array([1.0]))
    model.backward(loss.backward())
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert abs(float(model[0].weight.grad[0, 1]) - (-sigmoid(-2.0))) < 1e-6
