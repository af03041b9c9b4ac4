"""SGD, Adam and AdamW against their formulas worked in plain Python floats, without torch.

The reference updates below are torch.optim's algorithms (the formulas in the docstrings of
``torch.optim.SGD`` and ``torch.optim.Adam``, in the order torch's implementation computes them),
written out coordinate by coordinate on Python floats, which are float64. glassnet's optimizers
and its pure update functions must give the same θ after each step, and the same moments
(m, v, amsgrad's maximum; SGD's momentum buffer), to 1e-15 relative: a few roundings apart.
Two steps, so that the second step reads what the first one stored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from glassnet import optim
from glassnet.nn import Parameter

THETA0 = [0.5, -1.5]
# The second coordinate's second gradient is small: under β₂ = 0.5 its v falls at step 2
# (0.25 · 0.04 + 0.5 · 0.01 = 0.015 < 0.02), so amsgrad's maximum keeps step 1's v there.
GRADS = [[0.1, -0.2], [-0.3, 0.1]]
RTOL = 1e-15
# Numbers written in decimals are a rounding or two from what binary arithmetic of the formula
# gives (1 − 0.999 is 0.0010000000000000009 in float64): a few ulps more.
DECIMAL_RTOL = 1e-14


def adam_by_hand(
    settings: dict[str, Any], decoupled: bool
) -> tuple[list[list[float]], list[float], list[float], list[float]]:
    """θ after each step, and m, v and max(v) after the last, per torch.optim.Adam / AdamW:

    g ← g + λθ (Adam) or θ ← θ − ηλθ (AdamW); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    v̂ ← max(v̂, v) with amsgrad, else v; θ ← θ − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε).
    """
    lr, (beta1, beta2), eps = settings["lr"], settings["betas"], settings["eps"]
    decay, amsgrad = settings.get("weight_decay", 0.0), settings.get("amsgrad", False)
    theta, m, v, v_max = list(THETA0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    thetas = []
    for t, grads in enumerate(GRADS, start=1):
        for i, g in enumerate(grads):
            if decay != 0.0:
                if decoupled:
                    theta[i] = theta[i] * (1.0 - lr * decay)
                else:
                    g = g + decay * theta[i]
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            v_max[i] = max(v_max[i], v[i])
            v_hat = v_max[i] if amsgrad else v[i]
            step_size = lr / (1.0 - beta1**t)
            denominator = math.sqrt(v_hat) / math.sqrt(1.0 - beta2**t) + eps
            theta[i] = theta[i] - step_size * m[i] / denominator
        thetas.append(list(theta))
    return thetas, m, v, v_max


def sgd_by_hand(settings: dict[str, Any]) -> tuple[list[list[float]], list[float]]:
    """θ after each step, and the momentum buffer after the last, per torch.optim.SGD:

    g ← g + λθ; b ← g at the first step, else b ← μb + (1 − τ)g; g ← g + μb (Nesterov) or b;
    θ ← θ − ηg.
    """
    lr, momentum = settings["lr"], settings.get("momentum", 0.0)
    dampening, decay = settings.get("dampening", 0.0), settings.get("weight_decay", 0.0)
    nesterov = settings.get("nesterov", False)
    theta, buffer = list(THETA0), [0.0, 0.0]
    thetas = []
    for t, grads in enumerate(GRADS, start=1):
        for i, g in enumerate(grads):
            g = g + decay * theta[i]
            if momentum != 0.0:
                buffer[i] = g if t == 1 else momentum * buffer[i] + (1.0 - dampening) * g
                g = g + momentum * buffer[i] if nesterov else buffer[i]
            theta[i] = theta[i] - lr * g
        thetas.append(list(theta))
    return thetas, buffer


def run_glassnet(
    name: str, settings: dict[str, Any], via: str, steps: int = len(GRADS)
) -> tuple[list[Any], dict[str, Any]]:
    """θ after each of the first ``steps`` steps on GRADS, and the state after the last, through
    the optimizer class (``via="optimizer"``) or its pure update function (``via="function"``).
    Adam's first moment comes back as torch's m (glassnet keeps m / (1 − β₁))."""
    thetas: list[Any] = []
    if via == "optimizer":
        parameter = Parameter(np.array(THETA0))
        optimizer = getattr(optim, name)([parameter], **settings)
        for grads in GRADS[:steps]:
            optimizer.zero_grad()
            parameter.grad = np.array(grads)
            optimizer.step()
            thetas.append(parameter.data.copy())
        state = optimizer.state_dict()["state"][0]
    else:
        theta, state = np.array(THETA0), {}
        for step, grads in enumerate(GRADS[:steps], start=1):
            if name == "SGD":
                optim.sgd_update(
                    theta,
                    np.array(grads),
                    state,
                    lr=settings["lr"],
                    momentum=settings.get("momentum", 0.0),
                    dampening=settings.get("dampening", 0.0),
                    nesterov=settings.get("nesterov", False),
                    weight_decay=settings.get("weight_decay", 0.0),
                )
            else:
                state["step"] = step
                optim.adam_update(
                    theta,
                    np.array(grads),
                    state,
                    lr=settings["lr"],
                    beta1=settings["betas"][0],
                    beta2=settings["betas"][1],
                    eps=settings["eps"],
                    weight_decay=settings.get("weight_decay", 0.0),
                    decoupled=name == "AdamW",
                    amsgrad=settings.get("amsgrad", False),
                )
            thetas.append(theta.copy())
    if name != "SGD":
        state = optim.moments_in_torch_form(state, settings["betas"])
    return thetas, state


ADAM_CASES = [
    ("Adam", {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8}),
    ("Adam", {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-3, "weight_decay": 0.1}),  # L2 in the gradient
    ("AdamW", {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),  # decoupled
    ("Adam", {"lr": 0.1, "betas": (0.9, 0.5), "eps": 1e-8, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": (0.5, 0.5), "eps": 1e-8, "weight_decay": 0.5, "amsgrad": True}),
]
SGD_CASES = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1},
    {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.2},
]


@pytest.mark.parametrize("via", ["optimizer", "function"])
@pytest.mark.parametrize(
    ("name", "settings"),
    ADAM_CASES,
    ids=["adam", "adam-l2-decay", "adamw", "adam-amsgrad", "adamw-amsgrad"],
)
def test_adam_and_adamw_follow_their_formulas_by_hand(name: str, settings: dict[str, Any], via: str) -> None:
    thetas, m, v, v_max = adam_by_hand(settings, decoupled=name == "AdamW")
    ours, state = run_glassnet(name, settings, via)
    for step, (theirs, expected) in enumerate(zip(ours, thetas, strict=True), start=1):
        np.testing.assert_allclose(theirs, expected, rtol=RTOL, atol=0, err_msg=f"θ after step {step}")
    np.testing.assert_allclose(state["exp_avg"], m, rtol=RTOL, atol=0, err_msg="m")
    np.testing.assert_allclose(state["exp_avg_sq"], v, rtol=RTOL, atol=0, err_msg="v")
    if settings.get("amsgrad"):
        np.testing.assert_allclose(state["max_exp_avg_sq"], v_max, rtol=RTOL, atol=0, err_msg="max v")
        assert v_max != v  # the maximum kept a v that fell: the case tells the two apart


@pytest.mark.parametrize("via", ["optimizer", "function"])
@pytest.mark.parametrize(
    "settings",
    SGD_CASES,
    ids=["plain", "momentum", "nesterov", "dampening-decay", "nesterov-decay"],
)
def test_sgd_follows_its_formula_by_hand(settings: dict[str, Any], via: str) -> None:
    thetas, buffer = sgd_by_hand(settings)
    ours, state = run_glassnet("SGD", settings, via)
    for step, (theirs, expected) in enumerate(zip(ours, thetas, strict=True), start=1):
        np.testing.assert_allclose(theirs, expected, rtol=RTOL, atol=0, err_msg=f"θ after step {step}")
    if settings.get("momentum"):
        np.testing.assert_allclose(state["momentum_buffer"], buffer, rtol=RTOL, atol=0, err_msg="buffer")
    else:
        assert "momentum_buffer" not in state


def test_sgd_with_momentum_in_decimals() -> None:
    """η = 0.1, μ = 0.9 on θ₀ = (0.5, −1.5): step 1 b = g = (0.1, −0.2), θ = (0.49, −1.48);
    step 2 b = 0.9 b + g = (0.09 − 0.3, −0.18 + 0.1) = (−0.21, −0.08), θ = (0.511, −1.472)."""
    ours, state = run_glassnet("SGD", {"lr": 0.1, "momentum": 0.9}, "optimizer")
    np.testing.assert_allclose(ours[0], [0.49, -1.48], rtol=DECIMAL_RTOL, atol=0)
    np.testing.assert_allclose(ours[1], [0.511, -1.472], rtol=DECIMAL_RTOL, atol=0)
    np.testing.assert_allclose(state["momentum_buffer"], [-0.21, -0.08], rtol=DECIMAL_RTOL, atol=0)


def test_adams_first_step_moves_each_coordinate_by_the_learning_rate() -> None:
    """With ε = 0 the first step is η · m̂ / √v̂ = η · g / |g|: each coordinate moves by η against
    its gradient's sign, whatever the gradient's size: (0.5, −1.5) → (0.4, −1.4), with
    m = (1 − β₁) g = (0.01, −0.02) and v = (1 − β₂) g² = (1e-5, 4e-5)."""
    ours, state = run_glassnet("Adam", {"lr": 0.1, "betas": (0.9, 0.999), "eps": 0.0}, "optimizer", steps=1)
    np.testing.assert_allclose(ours[0], [0.4, -1.4], rtol=DECIMAL_RTOL, atol=0)
    np.testing.assert_allclose(state["exp_avg"], [0.01, -0.02], rtol=DECIMAL_RTOL, atol=0)
    np.testing.assert_allclose(state["exp_avg_sq"], [1e-5, 4e-5], rtol=DECIMAL_RTOL, atol=0)
