"""Figures: each function writes a PNG; bad shapes are refused."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet import plots
from glassnet.data import load_airfoil
from glassnet.plots import (
    plot_decision_boundary,
    plot_loss_curves,
    plot_predicted_vs_measured,
    plot_residuals_vs_frequency,
)
from glassnet.train import TrainConfig, train_airfoil
from glassnet.train.artifacts import history_csv, write_plots

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
    """A logit plotted as a probability would fill the plane with the wrong colours (the grid
    reaches 0.15 × 3 past the points)."""
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.raises(
        ValueError,
        match=r"output_activation='sigmoid' needs probabilities in \[0, 1\], got outputs from -0.45 to 3.45$",
    ):
        plot_decision_boundary(
            lambda grid: grid[:, 0], points, np.zeros(4), tmp_path / "x.png", output_activation="sigmoid"
        )


def test_run_figures_show_the_parts_and_models_metrics_json_measures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refit model has trained on the validation rows: its figures show it alone, on the
    training and validation rows ("train", named train+val, as evaluate names it) and "test", so
    each part's RMSE in the legend is the one in metrics.json. They showed the validation rows
    twice, once as "train" and once predicted by the validation pass's model, another model."""
    config = TrainConfig(hidden=(8,), epochs=3, batch_size=128, fourier_features=0, warmup_epochs=1, seed=3)
    run = train_airfoil(load_airfoil(shared_airfoil()), config)
    assert run.result.validation_members  # refit happened
    drawn: dict[str, Any] = {}

    def record(name: str, original: Any) -> Any:
        def wrapper(first: Any, second: Any, path: Path, **kwargs: Any) -> Path:
            drawn[name] = (first, second)
            drawn[f"{name} labels"] = kwargs.get("labels")
            return original(first, second, path, **kwargs)

        return wrapper

    monkeypatch.setattr(plots, "plot_predicted_vs_measured", record("pvm", plots.plot_predicted_vs_measured))
    monkeypatch.setattr(
        plots, "plot_residuals_vs_frequency", record("res", plots.plot_residuals_vs_frequency)
    )
    write_plots(run, tmp_path)
    measured, predicted = drawn["pvm"]
    frequency, residual = drawn["res"]
    assert list(measured) == list(frequency) == ["train", "test"]
    assert drawn["pvm labels"] == drawn["res labels"] == {"train": "train+val"}
    for part in ("train", "test"):
        rmse = float(np.sqrt(np.mean((predicted[part] - measured[part]) ** 2)))
        assert len(measured[part]) == len(frequency[part]) == run.metrics[part]["n"]
        assert rmse == pytest.approx(run.metrics[part]["rmse"], rel=1e-12)
        np.testing.assert_array_equal(residual[part], predicted[part] - measured[part])


@pytest.mark.parametrize(
    ("members", "labels"),
    [
        (1, ["train", "validation", "refit on train+val"]),
        # one colour per kind for every member: entries per member named lines no one could tell apart
        (2, ["train (2 members)", "validation (2 members)", "refit on train+val (2 members)"]),
        (5, ["train (5 members)", "validation (5 members)", "refit on train+val (5 members)"]),
    ],
)
def test_loss_curve_legend_names_the_members_each_line_stands_for(
    members: int, labels: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several members one legend entry stands for the lines of every member, so it names them all."""
    validation = [
        {"member": float(m), "epoch": float(e), "train_loss": 1.0 / e, "val_loss": 1.2 / e}
        for m in range(members)
        for e in (1, 2)
    ]
    final = [
        {"member": float(m), "epoch": float(e), "train_loss": 0.9 / e, "refit": 1.0}
        for m in range(members)
        for e in (1, 2)
    ]
    drawn: dict[str, Any] = {}
    save = plots._save

    def record(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        drawn["labels"] = axes.get_legend_handles_labels()[1]
        return save(figure, path, axes, title, **kwargs)

    monkeypatch.setattr(plots, "_save", record)
    plot_loss_curves(validation + final, tmp_path / "loss.png")
    assert drawn["labels"] == labels


def test_loss_curves_read_back_from_history_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """history.csv writes `nan` for a value a record lacks (the validation pass's `refit`, the
    final pass's `val_*`): records read back from it plot as the Trainer's own do."""
    history = [
        {"member": 0.0, "epoch": float(e), "lr": 0.1, "train_loss": 1.0 / e, "val_loss": 1.2 / e}
        for e in (1, 2)
    ] + [{"member": 0.0, "epoch": float(e), "lr": 0.1, "train_loss": 0.9 / e, "refit": 1.0} for e in (1, 2)]
    read_back = [
        {key: float(value) for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(history_csv(history)))
    ]
    drawn: dict[str, Any] = {}
    save = plots._save

    def record(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        lines = axes.get_lines()
        drawn.setdefault("lines", []).append([(line.get_label(), list(line.get_ydata())) for line in lines])
        drawn.setdefault("scale", []).append(axes.get_yscale())
        return save(figure, path, axes, title, **kwargs)

    monkeypatch.setattr(plots, "_save", record)
    plot_loss_curves(history, tmp_path / "trainer.png")
    plot_loss_curves(read_back, tmp_path / "csv.png")
    assert drawn["lines"][1] == drawn["lines"][0]
    assert drawn["scale"] == ["log", "log"]


def test_loss_curve_of_a_single_epoch_is_visible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass of one epoch (--epochs 1, a final pass that diverged in its second epoch) is one
    point: a line without a marker would draw nothing beside its legend entry."""
    history = [{"member": 0.0, "epoch": 1.0, "train_loss": 0.9, "val_loss": 1.1}]
    drawn: dict[str, Any] = {}
    save = plots._save

    def record(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        drawn["markers"] = [line.get_marker() for line in axes.get_lines()]
        return save(figure, path, axes, title, **kwargs)

    monkeypatch.setattr(plots, "_save", record)
    plot_loss_curves(history, tmp_path / "loss.png")
    assert len(drawn["markers"]) == 2
    assert all(marker not in ("None", "", " ", None) for marker in drawn["markers"])


def test_predicted_vs_measured_draws_y_equals_x_past_an_infinite_prediction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One overflowed prediction must not take the y = x line (still in the legend) off the figure."""
    measured = {"train": np.array([100.0, 110.0, 120.0])}
    predicted = {"train": np.array([101.0, np.inf, 119.0])}
    drawn: dict[str, Any] = {}
    save = plots._save

    def record(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        drawn["line"] = [
            line.get_xydata().tolist() for line in axes.get_lines() if line.get_label() == "y = x"
        ]
        return save(figure, path, axes, title, **kwargs)

    monkeypatch.setattr(plots, "_save", record)
    plot_predicted_vs_measured(measured, predicted, tmp_path / "pvm.png")
    assert drawn["line"] == [[[100.0, 100.0], [120.0, 120.0]]]


def test_a_huge_rmse_is_written_in_significant_digits_in_the_legend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A diverged run's RMSE of 1e75 was written with two decimals: 76 digits ran the legend off
    the figure and squeezed the plot to a sliver."""
    drawn: list[str] = []
    save = plots._save

    def legend_of(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        written = save(figure, path, axes, title, **kwargs)
        drawn.extend(text.get_text() for text in axes.get_legend().get_texts())
        return written

    monkeypatch.setattr(plots, "_save", legend_of)
    plot_predicted_vs_measured(
        {"train": np.array([70.0, 80.0]), "test": np.array([75.0])},
        {"train": np.array([70.5, 79.0]), "test": np.array([4.9e75])},
        tmp_path / "p.png",
        unit="dB",
    )
    assert drawn[:2] == ["train (RMSE 0.79 dB)", "test (RMSE 4.9e+75 dB)"]


def test_a_target_without_a_unit_is_plotted_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's own target, with no unit: no "dB" (the airfoil's) on its axes or in its legend."""
    texts: list[str] = []
    save = plots._save

    def texts_of(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        written = save(figure, path, axes, title, **kwargs)
        texts.extend(
            [axes.get_xlabel(), axes.get_ylabel(), *(t.get_text() for t in axes.get_legend().get_texts())]
        )
        return written

    monkeypatch.setattr(plots, "_save", texts_of)
    plot_predicted_vs_measured(
        {"test": np.array([1.0, 2.0])}, {"test": np.array([1.5, 2.0])}, tmp_path / "p.png"
    )
    assert texts[:3] == ["measured", "predicted", "test (RMSE 0.35)"]


def test_a_short_run_has_whole_epochs_on_its_axis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = [{"member": 0.0, "epoch": float(e), "train_loss": 1.0 / e} for e in (1, 2, 3, 4, 5)]
    ticks: list[float] = []
    save = plots._save

    def ticks_of(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        written = save(figure, path, axes, title, **kwargs)
        ticks.extend(axes.get_xticks())
        return written

    monkeypatch.setattr(plots, "_save", ticks_of)
    plot_loss_curves(history, tmp_path / "l.png")
    assert ticks and all(float(tick).is_integer() for tick in ticks)  # 1.0, 1.5, 2.0, … before


@pytest.mark.parametrize("suffix", [".svg", ".pdf", ".png"])
def test_the_same_figure_is_the_same_bytes(suffix: str, tmp_path: Path) -> None:
    """An SVG held its date and random clip-path ids, a PDF its date: two runs differed."""
    history = [{"member": 0.0, "epoch": float(e), "train_loss": 1.0 / e} for e in (1, 2, 3)]
    first = plot_loss_curves(history, tmp_path / f"a{suffix}").read_bytes()
    second = plot_loss_curves(history, tmp_path / f"b{suffix}").read_bytes()
    assert first == second
    # two saves in the same second share a date: the bytes alone could not tell one was written
    assert b"/CreationDate" not in first and b"<dc:date>" not in first


def test_an_svg_save_leaves_matplotlibs_settings_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The salt that fixes an SVG's ids is Matplotlib's global setting: set for the save only,
    a failed save included."""
    import matplotlib

    before = matplotlib.rcParams["svg.hashsalt"]
    history = [{"member": 0.0, "epoch": float(e), "train_loss": 1.0 / e} for e in (1, 2, 3)]
    plot_loss_curves(history, tmp_path / "a.svg")
    assert matplotlib.rcParams["svg.hashsalt"] == before

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        plot_loss_curves(history, tmp_path / "b.svg")
    assert matplotlib.rcParams["svg.hashsalt"] == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.svg"]


def _legend_and_ticks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the next figure saved shows: its legend's labels and its x ticks."""
    drawn: dict[str, Any] = {}
    save = plots._save

    def record(figure: Any, path: Any, axes: Any, title: str, **kwargs: Any) -> Path:
        written = save(figure, path, axes, title, **kwargs)
        legend = axes.get_legend()
        drawn["labels"] = [text.get_text() for text in legend.get_texts()] if legend else []
        drawn["ticks"] = list(axes.get_xticks())
        return written

    monkeypatch.setattr(plots, "_save", record)
    return drawn


def test_a_run_of_one_epoch_has_whole_epochs_on_its_axis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MaxNLocator dropped its integer rule for want of a second tick: 0.945, 0.960, … 1.050."""
    drawn = _legend_and_ticks(monkeypatch)
    plot_loss_curves([{"member": 0.0, "epoch": 1.0, "train_loss": 0.9, "val_loss": 1.1}], tmp_path / "l.png")
    assert 1.0 in drawn["ticks"] and all(float(tick).is_integer() for tick in drawn["ticks"])


def test_an_infinite_loss_is_named_in_its_curves_legend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib leaves an inf out of a line unmarked: a validation loss that overflowed vanished."""
    drawn = _legend_and_ticks(monkeypatch)
    history = [
        {"member": 0.0, "epoch": 1.0, "train_loss": 0.9, "val_loss": 1.1},
        {"member": 0.0, "epoch": 2.0, "train_loss": 5e119, "val_loss": math.inf},
    ]
    plot_loss_curves(history, tmp_path / "l.png")
    assert drawn["labels"] == ["train", "validation, ∞ from epoch 2"]


def test_a_model_of_one_class_everywhere_says_there_is_no_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead ReLU network's constant logit: no line was drawn, and the legend named one."""
    drawn = _legend_and_ticks(monkeypatch)
    points = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.5, -1.0]])
    labels = np.array([0.0, 1.0, 0.0, 1.0])
    plot_decision_boundary(
        lambda grid: np.full((len(grid), 1), -1.24),
        points,
        labels,
        tmp_path / "db.png",
        output_activation=None,
    )
    assert "no boundary: P ≤ ½ everywhere shown" in drawn["labels"]
    assert not any(label.startswith("boundary") for label in drawn["labels"])
    plot_decision_boundary(
        lambda grid: grid[:, :1],
        points,
        labels,
        tmp_path / "db2.png",
        output_activation=None,
        held_out=np.array([1]),
    )
    assert "boundary, P = ½" in drawn["labels"] and "class 1, held out" in drawn["labels"]


def test_a_model_not_refit_draws_its_validation_rows_hollow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --no-refit the kept model never trained on the validation rows, which were drawn filled,
    as trained on; they are held out with the test rows now (under refit the test rows alone)."""
    from glassnet.cli import main

    held: list[int] = []
    draw = plots.plot_decision_boundary

    def record(*args: Any, **kwargs: Any) -> Path:
        held.append(len(kwargs["held_out"]))
        return draw(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_decision_boundary", record)
    common = ["train", "moons", "--epochs", "2", "--hidden", "3", "--quiet", "--val-fraction", "0.2"]
    assert main([*common, "--no-refit", "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--out", str(tmp_path / "b")]) == 0
    metrics = [json.loads((tmp_path / run / "metrics.json").read_text()) for run in ("a", "b")]
    assert held == [metrics[0]["test"]["n"] + metrics[0]["val"]["n"], metrics[1]["test"]["n"]]


def test_an_ensembles_infinite_loss_is_named_whichever_member_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note went on the first member's entry only: member 1's overflow went unsaid."""
    drawn = _legend_and_ticks(monkeypatch)
    history = [
        {
            "member": float(m),
            "epoch": float(e),
            "train_loss": 1.0,
            "val_loss": math.inf if (m, e) == (1, 3) else 1.0,
        }
        for m in (0, 1)
        for e in (1, 2, 3)
    ]
    plot_loss_curves(history, tmp_path / "l.png")
    assert drawn["labels"] == ["train (2 members)", "validation (2 members), ∞ from epoch 3, member 2"]


def test_a_boundary_is_drawn_where_part_of_the_plane_is_not_finite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NaN on part of the plane made min and max NaN: the boundary of the rest was dropped, and the
    legend said there was none; an output NaN everywhere is said so."""
    drawn = _legend_and_ticks(monkeypatch)
    points = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.5, -1.0]])
    labels = np.array([0.0, 1.0, 0.0, 1.0])
    part = lambda grid: np.where(grid[:, :1] > 1.0, np.nan, grid[:, :1] - 0.5)  # noqa: E731
    plot_decision_boundary(part, points, labels, tmp_path / "a.png", output_activation=None)
    assert "boundary, P = ½" in drawn["labels"]
    nowhere = lambda grid: np.full((len(grid), 1), np.nan)  # noqa: E731
    plot_decision_boundary(nowhere, points, labels, tmp_path / "b.png", output_activation=None)
    assert "no boundary: the model's output is NaN" in drawn["labels"]
    # a saturated logit, +inf on one side: a boundary all the same, where the sides meet
    saturated = lambda grid: np.where(grid[:, :1] > 0.0, np.inf, -1.0)  # noqa: E731
    plot_decision_boundary(saturated, points, labels, tmp_path / "c.png", output_activation=None)
    assert "boundary, P = ½" in drawn["labels"]


# --- found by a review of the figures and run files (2026-11-28, a later session) -------------------


def _scatter_counts(path: Path, monkeypatch: pytest.MonkeyPatch, draw: Any) -> dict[str, int]:
    """{legend label: points} of the scatters a figure function draws, read from its Axes."""
    import matplotlib.axes

    counts: dict[str, int] = {}
    original = matplotlib.axes.Axes.scatter

    def scatter(self: Any, x: Any, y: Any, *args: Any, **kwargs: Any) -> Any:
        counts[kwargs.get("label", "")] = counts.get(kwargs.get("label", ""), 0) + len(np.asarray(x))
        return original(self, x, y, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "scatter", scatter)
    draw(path)
    return counts


def test_soft_labels_are_drawn_in_the_class_accuracy_gives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Points were picked by labels == 0 and == 1: a classifier of soft labels drew its legend and
    no point; a label of 2 was left out, silently."""
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])
    soft = np.array([0.1, 0.9, 0.7, 0.2])

    def draw(y: Any) -> Any:
        return lambda path: plots.plot_decision_boundary(
            lambda grid: grid[:, 0] - 1.0, X, y, path, output_activation=None, resolution=5
        )

    counts = _scatter_counts(tmp_path / "b.png", monkeypatch, draw(soft))
    assert counts == {"class 0": 2, "class 1": 2}
    with pytest.raises(
        ValueError, match=r"needs labels in \[0, 1\] \(0/1, or soft labels\), got 2 at point 1$"
    ):
        draw(np.array([0.0, 2.0, 1.0, 0.0]))(tmp_path / "c.png")


def test_a_decision_boundary_leaves_blank_what_a_log_column_refuses(tmp_path: Path) -> None:
    """The grid ran 0.5 past the data into values <= 0 of a log column, which the scaling refused:
    write_run failed ('column 0 … got -0.3866 at row 0', a grid point) and left a partial folder."""
    from glassnet.train import SplitSettings, train_dataset
    from glassnet.train.artifacts import write_run

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0.1, 5.0, 200), rng.normal(size=200)])
    y = (np.log(X[:, 0]) + X[:, 1] > 0).astype(float)
    config = TrainConfig(hidden=(4,), epochs=2, loss="logistic", fourier_features=0)
    run = train_dataset("pos", X, y, config, split=SplitSettings(seed=0), scale_y=False, log_columns=(0,))
    write_run(run, tmp_path / "run")
    assert (tmp_path / "run" / "decision_boundary.png").is_file()


@pytest.mark.parametrize("what", ["figure", "checkpoint"])
def test_a_path_ending_in_a_separator_is_refused_not_written(what: str, tmp_path: Path) -> None:
    """Path() dropped the trailing '/', which the atomic write checks for: a file was written."""
    name = str(tmp_path / ("y.png" if what == "figure" else "m.npz")) + "/"
    with pytest.raises(IsADirectoryError, match=r"a name ending in a separator names a folder"):
        if what == "figure":
            plots.plot_loss_curves([{"member": 0, "epoch": 1, "train_loss": 1.0}], name)
        else:
            from glassnet.checkpoint import Checkpoint, save_checkpoint
            from glassnet.nn import MLP
            from glassnet.spec import spec_of

            model = MLP([2, 1], rng=np.random.default_rng(0))
            save_checkpoint(name, Checkpoint(spec=spec_of(model), members=[model.state_dict()]))
    assert list(tmp_path.iterdir()) == []


def test_a_target_unit_of_none_is_no_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """str(None) put 'None' on the axes and in the legend as the unit."""
    from glassnet.train import SplitSettings, train_dataset

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    run = train_dataset(
        "mine", X, X.sum(axis=1), TrainConfig(hidden=(4,), epochs=2, fourier_features=0),
        split=SplitSettings(seed=0), info={"target_unit": None},
    )  # fmt: skip
    units: list[str] = []
    original = plots.plot_predicted_vs_measured

    def spy(*args: Any, **kwargs: Any) -> Any:
        units.append(kwargs["unit"])
        return original(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_predicted_vs_measured", spy)
    write_plots(run, tmp_path)
    assert units == [""]


def test_one_nan_validation_loss_is_a_gap_not_the_whole_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.axes

    labels: list[str] = []
    original = matplotlib.axes.Axes.plot

    def plot(self: Any, *args: Any, **kwargs: Any) -> Any:
        labels.append(kwargs.get("label") or "")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", plot)
    history = [
        {"member": 0, "epoch": e, "train_loss": 1 / e, "val_loss": v}
        for e, v in [(1, 1.2), (2, math.nan), (3, 0.8)]
    ]
    plots.plot_loss_curves(history, tmp_path / "l.png")
    assert "validation" in labels


def test_a_part_with_predictions_but_no_measurements_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"^plot_predicted_vs_measured: part 'test' has predictions but no measured values$"
    ):
        plots.plot_predicted_vs_measured(
            {"train": [1, 2]}, {"train": [1, 2], "test": [3, 4]}, tmp_path / "p.png"
        )


def test_a_float32_classifiers_boundary_grid_is_checked_in_float32(tmp_path: Path) -> None:
    """The grid's domain was checked in float64: a float32 model's scaled grid overflowed float32
    and write_run failed ('overflow float32' at a grid point)."""
    from glassnet.train import SplitSettings, train_dataset
    from glassnet.train.artifacts import write_run

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=200) * 1e-39, rng.normal(size=200)])
    y = (X[:, 1] > 0).astype(float)
    config = TrainConfig(hidden=(4,), epochs=2, loss="logistic", fourier_features=0, dtype="float32")
    write_run(
        train_dataset("tiny", X, y, config, split=SplitSettings(seed=0), scale_y=False), tmp_path / "run"
    )
    assert (tmp_path / "run" / "decision_boundary.png").is_file()


def test_decision_boundary_refusals_say_what_to_do(tmp_path: Path) -> None:
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(
        ValueError, match=r"got -1 at point 0 \(labels -1/\+1 become 0/1 as \(y \+ 1\) / 2\)$"
    ):
        plots.plot_decision_boundary(
            lambda g: g[:, 0], X, [-1.0, 1.0], tmp_path / "a.png", output_activation=None
        )
    with pytest.raises(ValueError, match=r"got outputs from 1\.5 to 1\.5$"):  # not "from nan to nan"
        plots.plot_decision_boundary(
            lambda g: np.where(g[:, 0] > 0.5, np.nan, 1.5),
            X,
            [0.0, 1.0],
            tmp_path / "b.png",
            output_activation="sigmoid",
        )


# --- found by a review of the figures (2026-12, fixplots) ---------------------------------------


def test_a_boundary_of_data_far_from_unit_scale_is_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grid reached a fixed 0.5 past the data: two moons scaled by 0.01 (a span of 0.036) fell
    between a few grid lines, and the line drawn among them was 0.037 off P = ½ (at 0.001 no
    grid line crossed the data)."""
    from matplotlib.axes import Axes

    from glassnet.data import make_moons

    drawn: dict[str, Any] = {}
    contour, contourf = Axes.contour, Axes.contourf

    def record_line(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn["line"] = contour(self, *args, **kwargs)
        return drawn["line"]

    def record_fill(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn["grid"] = (args[0], args[1])
        return contourf(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "contour", record_line)
    monkeypatch.setattr(Axes, "contourf", record_fill)
    scale = 0.01
    X, y = make_moons(400, noise=0.2, rng=np.random.default_rng(0))
    X = X * scale  # (400, 2)

    def logit(grid: Any) -> Any:  # a curved boundary between the moons, in the data's units
        u = grid / scale
        return 4.0 * (u[:, 1] - 0.5 + 0.8 * np.cos(np.pi * u[:, 0] / 2.0) - 0.3 * u[:, 0])

    plot_decision_boundary(logit, X, y, tmp_path / "db.png", output_activation=None)
    grid1, grid2 = drawn["grid"]
    for axis, grid in enumerate((grid1, grid2)):  # the data's box and a margin, not 28 times it
        span = np.ptp(X[:, axis])
        assert grid.min() < X[:, axis].min() and grid.max() > X[:, axis].max()
        assert np.ptp(grid) <= 1.5 * span
    vertices = np.concatenate([segment for segment in drawn["line"].allsegs[0] if len(segment)])  # (V, 2)
    inside = vertices[((vertices >= X.min(axis=0)) & (vertices <= X.max(axis=0))).all(axis=1)]
    assert len(inside) > 100
    probability = 1.0 / (1.0 + np.exp(-logit(inside)))
    assert np.abs(probability - 0.5).max() < 1e-3


def test_an_empty_held_out_list_holds_no_point_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[] is float64 to numpy: "held_out must be indices …, got array([], dtype=float64)"."""
    drawn = _legend_and_ticks(monkeypatch)
    points = np.array([[-1.0, 0.0], [1.0, 0.5], [-0.5, 1.0], [0.5, -1.0]])
    labels = np.array([0.0, 1.0, 0.0, 1.0])
    plot_decision_boundary(
        lambda grid: grid[:, 0], points, labels, tmp_path / "db.png", output_activation=None, held_out=[]
    )
    assert "class 0" in drawn["labels"] and not any("held out" in label for label in drawn["labels"])


def test_a_validation_line_of_the_second_member_alone_is_in_the_legend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry went on member 0's line only: with no validation loss there (NaN in history.csv),
    member 1's validation line had none."""
    drawn = _legend_and_ticks(monkeypatch)
    history = [
        {
            "member": float(m),
            "epoch": float(e),
            "train_loss": 1.0 / e,
            "val_loss": math.nan if m == 0 else 1.2 / e,
        }
        for m in (0, 1)
        for e in (1, 2)
    ]
    plot_loss_curves(history, tmp_path / "l.png")
    assert drawn["labels"] == ["train (2 members)", "validation (2 members)"]
