"""Regression and classification metrics, in the target's own units."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def regression_metrics(prediction: npt.ArrayLike, target: npt.ArrayLike) -> dict[str, float]:
    """RMSE, MAE and R² of predictions ŷ against targets y (both (N,) or (N, 1), same units).

    RMSE = √(mean (ŷ − y)²), MAE = mean |ŷ − y|, R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)².
    """
    p = np.asarray(prediction, dtype=np.float64).reshape(-1)
    y = np.asarray(target, dtype=np.float64).reshape(-1)
    if p.shape != y.shape or p.size == 0:
        raise ValueError(
            f"predictions and targets must have the same non-zero length, got {p.size} and {y.size}"
        )
    residual = p - y
    sse = float(residual @ residual)
    sst = float(((y - y.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt(sse / y.size)),
        "mae": float(np.abs(residual).mean()),
        "r2": 1.0 - sse / sst if sst > 0 else float("nan"),
    }


def classification_metrics(logit: npt.ArrayLike, target: npt.ArrayLike) -> dict[str, float]:
    """Accuracy of a binary classifier from its logits (ŷ > 0 ↔ label 1) against labels 0/1."""
    z = np.asarray(logit, dtype=np.float64).reshape(-1)
    y = np.asarray(target, dtype=np.float64).reshape(-1)
    if z.shape != y.shape or z.size == 0:
        raise ValueError(f"logits and labels must have the same non-zero length, got {z.size} and {y.size}")
    return {"accuracy": float(((z > 0) == (y > 0.5)).mean())}
