"""Degenerate and extreme data, end to end: constant columns of large values, targets near the
float64 limit, levels offset by 1e9 and more, a value a float32 model cannot take named by its
file line, an empty validation set. Each case is one a review met (2026-11-29)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet import plots
from glassnet._checks import metric_text
from glassnet.cli import main
from glassnet.data import Dataset, OutOfDomainError, StandardScaler, load_airfoil
from glassnet.train import SplitSettings, TrainConfig, Trainer, train_airfoil, train_dataset
from glassnet.train._metrics import regression_metrics
from glassnet.train.artifacts import write_run

TINY = TrainConfig(hidden=(8,), epochs=3, warmup_epochs=0, fourier_features=0, batch_size=64, seed=0)


# -- a constant column ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 5.0, 1712345678901234.0, 6.02214076e23, -1e300])
def test_a_constant_column_standardises_to_exactly_zero(value: float) -> None:
    """Scale 1, and its mean is its value: the mean summed row by row lay N ulps away, so a
    column of 6.02e23 became z = 3.1e9 in every row (scikit-learn's scaler gives the same)."""
    column = np.full((1500, 1), value)
    assert np.array_equal(StandardScaler().fit_transform(column), np.zeros((1500, 1)))


def test_a_column_constant_up_to_rounding_is_centred_between_its_values() -> None:
    """1e15 + (3, 4, 5) is constant to the scaler's test (its spread is below the rounding of a
    mean of 1500 values that large); centred on 1e15 + 4, not on a mean 190 away."""
    column = (1e15 + np.tile([3.0, 4.0, 5.0], 500))[:, None]
    assert np.array_equal(np.unique(StandardScaler().fit_transform(column)), [-1.0, 0.0, 1.0])


def test_a_constant_column_of_any_value_trains_the_same_network() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, 2.0, 3.0]
    runs = [
        train_dataset("mine", np.c_[X, np.full(300, value)], y, TINY, split=SplitSettings(seed=0))
        for value in (0.0, 6.02214076e23)
    ]
    assert runs[0].metrics["test"] == runs[1].metrics["test"]


# -- figures of extreme values ----------------------------------------------------------------


def test_the_legends_rmse_is_the_metrics_rmse_at_any_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqrt(mean(r²)) overflowed to inf for residuals beyond 1e154 and underflowed to 0 below
    1e-162, where metrics.json said 7.4e+160 and 7.4e-170."""
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "write_figure", lambda figure, path, fmt: drawn.append(figure) or Path(path))
    measured = np.array([1.0, 2.0, 3.0, 4.0])
    for scale in (1e160, 1e-170):
        predicted = measured * 1.5 * scale
        plots.plot_predicted_vs_measured({"test": measured * scale}, {"test": predicted}, tmp_path / "p.png")
        legend = next(text.get_text() for text in drawn[-1].axes[0].get_legend().get_texts())
        rmse = regression_metrics(predicted, measured * scale)["rmse"]
        assert legend == f"test (RMSE {metric_text(rmse, 2)})", legend
        assert math.isfinite(rmse) and rmse > 0.0 and legend != "test (RMSE inf)"


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (
            lambda path: plots.plot_predicted_vs_measured({"test": [1.0, 8e307]}, {"test": [1.0, 2.0]}, path),
            r"plot_predicted_vs_measured draws the values of part 'test' up to ±1e\+300 .*got 8e\+307",
        ),
        (
            lambda path: plots.plot_residuals_vs_frequency(
                {"test": [200.0, 1e300]}, {"test": [0.1, 0.2]}, path
            ),
            r"draws the frequencies of part 'test' from 1e-200 to 1e\+200 on a log axis .*got 1e\+300",
        ),
        (
            lambda path: plots.plot_residuals_vs_frequency(
                {"test": [200.0, 400.0]}, {"test": [0.1, -5e307]}, path
            ),
            r"draws the residuals of part 'test' up to ±1e\+300 .*got -5e\+307",
        ),
        (
            lambda path: plots.plot_loss_curves([{"epoch": 1, "train_loss": 2e300}], path),
            r"plot_loss_curves draws losses up to ±1e\+300 .*got 2e\+300",
        ),
        (
            lambda path: plots.plot_decision_boundary(
                lambda grid: np.zeros(len(grid)),
                [[0.0, 0.0], [1e301, 1.0]],
                [0, 1],
                path,
                output_activation=None,
            ),
            r"plot_decision_boundary draws inputs up to ±1e\+300 .*got 1e\+301",
        ),
    ],
    ids=["predicted", "frequency", "residual", "loss", "boundary"],
)
def test_values_an_axis_cannot_place_are_named(draw: Any, message: str, tmp_path: Path) -> None:
    """Matplotlib's axes overflow float64 beyond about 1e305 (log axes sooner): a run's figure
    failed with "arange: cannot compute length", or came out empty with an overflow warning."""
    with pytest.raises(plots.UndrawableError, match=message):
        draw(tmp_path / "figure.png")
    assert list(tmp_path.iterdir()) == []


def test_losses_beyond_a_log_axis_are_drawn_on_a_linear_one(tmp_path: Path) -> None:
    path = plots.plot_loss_curves(
        [{"epoch": 1, "train_loss": 1e250}, {"epoch": 2, "train_loss": 1.0}], tmp_path / "l.png"
    )
    assert path.stat().st_size > 0


def test_a_run_whose_figures_cannot_be_drawn_is_written_without_them(tmp_path: Path) -> None:
    """Targets of ±8e307 train (they are standardised) and measure; the whole run failed, exit 2,
    for want of its predicted-vs-measured figure, with no summary and no files."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = np.sign(X[:, 0]) * 8e307
    run = train_dataset("mine", X, y, TINY, split=SplitSettings(seed=0))
    with pytest.warns(UserWarning, match=r"predicted_vs_measured\.png is not drawn: .*got -?8e\+307"):
        written = write_run(run, tmp_path)
    assert sorted(written) == ["history", "loss_curves", "metrics", "model"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "history.csv",
        "loss_curves.png",
        "metrics.json",
        "model.npz",
    ]
    assert json.loads((tmp_path / "metrics.json").read_text())["test"]["rmse"] > 1e307


# -- numbers as the CLI prints them -----------------------------------------------------------


def test_data_info_shows_the_spread_of_a_level_far_from_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A level offset by 1e12 printed 1e+12 for mean, min and max, as though constant; its 17
    digits then overran the 12-wide columns (a review of the fix): they widen to them."""
    rows = np.loadtxt(shared_airfoil(), delimiter=",", skiprows=1)[:50]
    rows[:, 5] += 1e12
    data = tmp_path / "offset.csv"
    np.savetxt(data, rows, delimiter=",")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["data", "info", "--data", str(data)]) == 0
    header, line = (
        line for line in capsys.readouterr().out.splitlines() if line.startswith(("column", "sound"))
    )
    assert len(header) == len(line) and header.endswith("max")
    mean, low, high = (float(field) for field in line.split()[2:])
    level = rows[:, 5]
    assert (low, high) == (level.min(), level.max())
    assert mean == pytest.approx(level.mean(), abs=1e-3)


# -- a value a float32 model cannot take, by its line -----------------------------------------


def test_train_names_a_value_a_float32_model_cannot_take_by_its_file_line(tmp_path: Path) -> None:
    """It was "X[2, 1] = 1e+39 …", an index into an array the user never saw."""
    lines = shared_airfoil().read_text().splitlines()[:40]
    fields = lines[3].split(",")
    fields[1] = "1e39"
    lines[3] = ",".join(fields)
    data = tmp_path / "big.csv"
    data.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load_airfoil(data)
    assert dataset.lines is not None and list(dataset.lines[:3]) == [2, 3, 4]
    with pytest.raises(OutOfDomainError) as caught:
        train_airfoil(dataset, TINY.replace(dtype="float32"))
    assert str(caught.value) == (
        f"{data}: line 4, column 2 (angle_of_attack): 1e+39 is too large: its standardised value or "
        "Fourier angles overflow float32"
    )
    assert (caught.value.row, caught.value.column) == (2, 1)


def test_a_dataset_built_in_memory_names_a_value_by_its_row() -> None:
    dataset = Dataset(np.zeros((3, 2)), np.zeros(3), ("a", "b"), ("", ""), "t", "", source=None)
    assert dataset.where(2, 1) == "row 3, column 2 (b)"


@pytest.mark.parametrize("lines", [[1, 2], [0, 1, 2], [1.0, 2.0, 3.0]], ids=["short", "zero", "floats"])
def test_a_dataset_refuses_lines_that_are_no_line_numbers(lines: list[Any]) -> None:
    dataset = Dataset(np.zeros((3, 2)), np.zeros(3), ("a", "b"), ("", ""), "t", "", source=None)
    with pytest.raises(
        ValueError, match=r"Dataset lines must be the 1-based line of each row, \(N,\) = \(3,\)"
    ):
        dataset.with_lines(np.array(lines))
    assert dataset.lines is None


# -- an empty validation set ------------------------------------------------------------------


def test_an_empty_validation_set_is_told_to_pass_none() -> None:
    x, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(
        ValueError, match=r"got 0 and 0; without validation rows, pass x_val=None and y_val=None$"
    ):
        Trainer(TINY, x, y, x[:0], y[:0])


# -- a review of the fixes above --------------------------------------------------------------


def test_an_out_of_domain_error_pickles_and_copies_with_its_place() -> None:
    """Its keywords were not its args: pickle and copy failed, and a process pool's worker that
    raised it broke the pool (BrokenProcessPool), every run in flight lost."""
    import copy
    import pickle

    error = OutOfDomainError("m", row=1, column=2, value=3.0, reason="r")
    error.add_note("a note")
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(again) is OutOfDomainError and str(again) == "m"
        assert (again.row, again.column, again.value, again.reason) == (1, 2, 3.0, "r")
        assert again.__notes__ == ["a note"]


def test_an_incomplete_run_error_pickles_with_its_files_and_errno(tmp_path: Path) -> None:
    import pickle

    from glassnet.train.artifacts import IncompleteRunError

    error = IncompleteRunError(OSError(28, "No space left on device"), tmp_path, [tmp_path / "model.npz"])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is IncompleteRunError and str(again) == str(error)
    assert (again.errno, again.written, again.left) == (28, [tmp_path / "model.npz"], [])


def test_rows_replaced_in_a_files_dataset_lose_its_lines(tmp_path: Path) -> None:
    """dataclasses.replace passed the lines on to the rows given: reversed rows named line 38 for
    line 4, and fewer rows were refused for the lines' sake (a review of the fix)."""
    import dataclasses

    dataset = load_airfoil(shared_airfoil())
    assert dataset.lines is not None and dataset.where(2, 1).endswith(": line 4, column 2 (angle_of_attack)")
    reversed_rows = dataclasses.replace(dataset, X=dataset.X[::-1], y=dataset.y[::-1])
    assert reversed_rows.lines is None and reversed_rows.where(2, 1) == "row 3, column 2 (angle_of_attack)"
    assert dataclasses.replace(dataset, X=dataset.X[:100], y=dataset.y[:100]).lines is None
    assert dataset.subset(np.arange(100)).lines is None


def test_a_log_domain_value_is_worded_as_predict_words_it() -> None:
    from glassnet.data import Preprocessor

    with pytest.raises(OutOfDomainError) as caught:
        Preprocessor(log_columns=(0,)).check_domain(np.array([[1.0, 2.0], [0.0, 3.0]]))
    assert caught.value.reason == "0 must be > 0, since the model takes its logarithm"
    assert str(caught.value) == "column 0 is log-transformed and must be > 0, got 0.0 at row 1"
