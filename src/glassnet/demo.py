"""The guided tour behind ``glassnet demo``; returns text, prints nothing itself."""

from __future__ import annotations

import numpy as np

from glassnet.exercise import LEARNING_RATE, SHEET_LABEL, exercise_input, exercise_network
from glassnet.losses import LogisticLoss
from glassnet.nn import Linear


def exercise_step_text() -> str:
    """Forward pass, loss and one gradient-descent step for w₁₂ʰ, from the engine's numbers."""
    model = exercise_network()
    hidden, output = model[0], model[2]
    if not isinstance(hidden, Linear) or not isinstance(output, Linear):  # pragma: no cover - fixed layout
        raise TypeError("the exercise network must be Linear, ReLU, Linear")
    x = exercise_input()
    loss = LogisticLoss(labels="01", strict_labels=False)  # the sheet's y = −1, applied as written
    y_hat = model(x)
    z, h = model[0].forward(x), model[1].forward(model[0].forward(x))
    value = loss(model(x), np.array([[SHEET_LABEL]]))
    model.zero_grad()
    model.backward(loss.backward())
    grad = hidden.weight.grad[0, 1]
    before = hidden.weight.data[0, 1]
    lines = [
        "The exercise's network: z = Wʰx + bʰ, h = ReLU(z), ŷ = Wᵒh + bᵒ, x = (1, 2)",
        f"  z = {z[0].tolist()}",
        f"  h = {h[0].tolist()}",
        f"  ŷ = {y_hat[0, 0]:.6g}",
        f"Loss L = log(1 + exp((1 − 2y)ŷ)) with the sheet's y = {SHEET_LABEL:g}: L = {value:.6f}",
        f"∂L/∂w₁₂ʰ = {grad:.6f}",
        f"w₁₂ʰ ← w₁₂ʰ − η ∂L/∂w₁₂ʰ = {before:g} − {LEARNING_RATE:g} × {grad:.6f} = {before - LEARNING_RATE * grad:.6f}",
    ]
    return "\n".join(lines)


def run_demo() -> str:
    return exercise_step_text()
