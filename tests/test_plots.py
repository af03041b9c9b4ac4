"""Figures: each function writes a PNG; bad shapes are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
            lambda grid: 3.0 * grid[:, 0],
            points,
            labels,
            tmp_path / "db.png",
            output_activation=None,
            resolution=40,
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == PNG


def test_loss_curves_need_history(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one epoch"):
        plot_loss_curves([], tmp_path / "x.png")


def test_decision_boundary_needs_two_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"2-D inputs \(N, 2\), got shape \(4, 3\)"):
        plot_decision_boundary(
            lambda grid: grid[:, 0], np.zeros((4, 3)), np.zeros(4), tmp_path / "x.png", output_activation=None
        )


@pytest.mark.parametrize(
    ("output_activation", "predict", "level"),
    [
        (None, lambda grid: 3.0 * grid[:, 0], 0.0),  # a logit: P = σ(ŷ), boundary ŷ = 0
        ("sigmoid", lambda grid: 1.0 / (1.0 + np.exp(-3.0 * grid[:, 0])), 0.5),  # a probability: ŷ = 0.5
    ],
)
def test_decision_boundary_is_drawn_at_the_output_threshold(
    output_activation: str | None, predict: Any, level: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both models put the boundary at x₁ = 0 and fill P(class 1) = σ(3 x₁): the line is drawn
    where the output crosses its own threshold, 0 for a logit and 0.5 for a probability."""
    from matplotlib.axes import Axes

    drawn: dict[str, Any] = {}
    contour, contourf = Axes.contour, Axes.contourf

    def record_line(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn["line"] = (args[2], kwargs["levels"])
        return contour(self, *args, **kwargs)

    def record_fill(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn["fill"] = (args[0], args[2])
        return contourf(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "contour", record_line)
    monkeypatch.setattr(Axes, "contourf", record_fill)
    points = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.5, -1.0]])
    plot_decision_boundary(
        predict,
        points,
        np.array([0.0, 1.0, 0.0, 1.0]),
        tmp_path / "db.png",
        output_activation=output_activation,
    )
    surface, levels = drawn["line"]
    assert list(levels) == [level]
    grid1, probability = drawn["fill"]
    np.testing.assert_allclose(probability, 1.0 / (1.0 + np.exp(-3.0 * grid1)), rtol=1e-12)
    np.testing.assert_array_equal(surface > level, grid1 > 0)


def test_decision_boundary_of_probabilities_refuses_other_outputs(tmp_path: Path) -> None:
    """A logit plotted as a probability would fill the plane with the wrong colours."""
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(
        ValueError,
        match=r"output_activation='sigmoid' needs probabilities in \[0, 1\], got outputs from -0.5 to 3.5$",
    ):
        plot_decision_boundary(
            lambda grid: grid[:, 0], points, np.zeros(4), tmp_path / "x.png", output_activation="sigmoid"
        )
