"""Numeric extremes: stable losses and activations, no overflow warnings (they raise here)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet._checks import exact_text
from glassnet.losses import BCELoss, LogisticLoss
from glassnet.nn import Sigmoid, Softplus, Tanh

LOGITS = np.array([[-1e4], [-800.0], [-40.0], [-1.0], [0.0], [1.0], [40.0], [800.0], [1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", ["01", "pm1"])
def test_logistic_loss_is_finite_for_huge_logits(dtype: type, labels: str) -> None:
    logits = LOGITS.astype(dtype)
    positive = 1.0
    negative = 0.0 if labels == "01" else -1.0
    for label in (positive, negative):
        loss = LogisticLoss(labels, reduction="sum")  # type: ignore[arg-type]
        target = np.full(len(logits), label)
        value = loss(logits, target)
        grad = loss.backward()
        assert np.isfinite(value) and np.isfinite(grad).all()
        assert grad.dtype == dtype
        # the loss of a confidently wrong logit grows like |ŷ|, its slope tends to ±1
        assert abs(np.abs(grad).max() - 1.0) < 1e-6
    np.testing.assert_allclose(LogisticLoss(labels)(np.array([[1e4]]), np.array([positive])), 0.0, atol=1e-30)  # type: ignore[arg-type]
    np.testing.assert_allclose(
        LogisticLoss(labels)(np.array([[-1e4]]), np.array([positive])), 1e4, rtol=1e-12
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [Sigmoid(), Tanh(), Softplus()], ids=["sigmoid", "tanh", "softplus"])
def test_activations_stay_finite_at_extremes(dtype: type, activation: object) -> None:
    z = np.array([[-1e30, -1e4, -50.0, 0.0, 50.0, 1e4, 1e30]], dtype=dtype)
    y = activation.forward(z)  # type: ignore[attr-defined]
    grad = activation.backward(np.ones_like(z))  # type: ignore[attr-defined]
    assert np.isfinite(y).all() and np.isfinite(grad).all()
    assert y.dtype == dtype and grad.dtype == dtype


def test_bce_clips_certain_probabilities() -> None:
    loss = BCELoss(reduction="sum")
    value = loss(np.array([[0.0], [1.0]]), np.array([1.0, 0.0]))
    assert np.isfinite(value) and value == pytest.approx(2 * -np.log(1e-12), rel=1e-5)
    assert np.isfinite(loss.backward()).all()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (-1.0, "-1"),
        (0.0, "0"),
        (0.5, "0.5"),
        (1.000001, "1.000001"),
        (np.float32(1.000001), "1.000001"),  # float32's own shortest digits
        (1e300, "1e+300"),
        (-2.5e-7, "-2.5e-07"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
    ],
)
def test_exact_text_reads_back_as_the_same_number(value: float, text: str) -> None:
    assert exact_text(value) == text
    if np.isfinite(value):
        assert type(value)(float(text)) == value if isinstance(value, np.floating) else float(text) == value
