"""Figures: each function writes a PNG; bad shapes are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glassnet.plots import (
    plot_decision_boundary,
    plot_loss_curves,
    plot_predicted_vs_measured,
    plot_residuals_vs_frequency,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_plot_writes_a_png(tmp_path: Path, rng: np.random.Generator) -> None:
    history = [
        {"member": float(m), "epoch": float(e), "train_loss": 1.0 / e, "val_loss": 1.2 / e}
        for m in (0, 1)
        for e in (1, 2, 3)
    ]
    measured = {"train": rng.normal(120, 5, 50), "test": rng.normal(120, 5, 20)}
    predicted = {part: values + rng.normal(0, 1, values.shape) for part, values in measured.items()}
    frequency = {part: rng.uniform(200, 20000, len(values)) for part, values in measured.items()}
    residual = {part: predicted[part] - measured[part] for part in measured}
    points = rng.normal(size=(40, 2))
    labels = (points[:, 0] > 0).astype(float)
    paths = [
        plot_loss_curves(history, tmp_path / "loss.png"),
        plot_predicted_vs_measured(measured, predicted, tmp_path / "pvm.png"),
        plot_residuals_vs_frequency(frequency, residual, tmp_path / "res.png"),
        plot_decision_boundary(
            lambda grid: 3.0 * grid[:, 0], points, labels, tmp_path / "db.png", resolution=40
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == PNG


def test_loss_curves_need_history(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one epoch"):
        plot_loss_curves([], tmp_path / "x.png")


def test_decision_boundary_needs_two_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"2-D inputs \(N, 2\), got shape \(4, 3\)"):
        plot_decision_boundary(lambda grid: grid[:, 0], np.zeros((4, 3)), np.zeros(4), tmp_path / "x.png")
