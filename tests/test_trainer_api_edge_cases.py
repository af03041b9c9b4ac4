"""The training API with a practitioner's own data: train_dataset on any task's rows, labels
refused naming their row, and the epoch an early-stopped member reports."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.data import FEATURE_NAMES, FEATURE_UNITS, Dataset, load_airfoil
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import (
    AIRFOIL_FOURIER_SIGMA,
    DEFAULT_FOURIER_SIGMA,
    MOONS_CONFIG,
    MemberResult,
    SplitSettings,
    TrainConfig,
    Trainer,
    TrainResult,
    class_probability,
    evaluate_parts,
    fit,
    model_parts,
    moons_data,
    predict_raw,
    target_scale,
    train_airfoil,
    train_dataset,
    train_moons,
)
from glassnet.train._engines import make_engine
from glassnet.train.artifacts import write_plots

SMALL = TrainConfig(hidden=(4,), epochs=3, batch_size=8, warmup_epochs=0, fourier_features=0)
LOGISTIC = SMALL.replace(loss="logistic", lr=0.05, schedule="constant")


def _regression_rows(n: int = 50) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    x = np.random.default_rng(0).normal(size=(n, 2))
    return x, x[:, 0] + 0.5 * x[:, 1]


@pytest.mark.parametrize(
    ("loss", "output_activation"), [("logistic", None), ("bce", "sigmoid")], ids=["logistic", "bce"]
)
def test_train_dataset_measures_a_classifier_by_accuracy_whatever_the_task_name(
    loss: str, output_activation: str | None
) -> None:
    """The metrics followed the task's name, not the loss: a classifier of one's own data
    ("churn") was given RMSE, MAE and R² of its logits against the labels, silently."""
    x, y = moons_data(120)
    config = LOGISTIC.replace(loss=loss, output_activation=output_activation)
    run = train_dataset("churn", x, y, config, split=SplitSettings(), scale_y=False)
    other = train_dataset("other", x, y, config, split=SplitSettings(), scale_y=False)
    assert set(run.metrics) == {"train", "val", "test"}
    for part, values in run.metrics.items():
        assert set(values) == {"accuracy", "n"}
        assert values == other.metrics[part]


def test_train_dataset_measures_a_regression_by_rmse_whatever_the_task_name() -> None:
    """A regression named as a classifier might be ("labels") is measured as a regression."""
    x, y = _regression_rows()
    run = train_dataset("labels", x, y, SMALL, split=SplitSettings())
    assert set(run.metrics["test"]) == {"rmse", "mae", "r2", "n"}


@pytest.mark.parametrize("task", ["airfoil", "moons"])
def test_train_dataset_refuses_the_names_of_glassnets_own_data_sets(task: str) -> None:
    """A 3-feature model named "airfoil" was read back by predict as airfoil's 5 columns (an
    IndexError), and by evaluate with the airfoil file."""
    x, y = _regression_rows()
    with pytest.raises(
        ValueError, match=rf"^task '{task}' is glassnet's own data set: train it with train_{task}"
    ):
        train_dataset(task, x, y, SMALL, split=SplitSettings())


def test_train_dataset_refuses_standardised_labels_naming_the_setting() -> None:
    """The labels 0/1 were standardised first, then refused as 'got -1', a value not in the data."""
    x, y = moons_data(60)
    with pytest.raises(
        ValueError, match=r"^loss='logistic' trains on labels 0/1 as given: pass scale_y=False"
    ):
        train_dataset("churn", x, y, LOGISTIC, split=SplitSettings())


@pytest.mark.parametrize(
    ("column", "row", "match"),
    [
        ("x", (33, 1), r"^X must be finite, got nan at index \(33, 1\)"),
        ("y", (33,), r"^y must be finite, got inf at index \(33,\)"),
        ("log", (33, 0), r"^column 0 is log-transformed and must be > 0, got -1\.0 at row 33"),
    ],
    ids=["nan-x", "inf-y", "log-domain"],
)
def test_train_dataset_names_the_row_as_the_caller_numbers_it(
    column: str, row: tuple[int, ...], match: str
) -> None:
    """The rows were checked after the split: row 33 was named by its place among the training
    rows (22 with this seed), a row that holds nothing wrong."""
    x, y = _regression_rows()
    x, y = np.abs(x) + 0.1, y.copy()
    if column == "x":
        x[row] = np.nan
    elif column == "y":
        y[row] = np.inf
    else:
        x[row] = -1.0
    with pytest.raises(ValueError, match=match):
        train_dataset("mine", x, y, SMALL, split=SplitSettings(), log_columns=(0,))


@pytest.mark.parametrize(("n_x", "n_y"), [(50, 40), (40, 50)], ids=["y-short", "y-long"])
def test_train_dataset_refuses_x_and_y_of_other_lengths(n_x: int, n_y: int) -> None:
    """A shorter y raised an IndexError from the split; a longer one was cut silently."""
    x, y = _regression_rows(50)
    with pytest.raises(ValueError, match=rf"^y must have shape \({n_x},\) to match X of shape \({n_x}, 2\), got \({n_y},\)"):  # fmt: skip
        train_dataset("mine", x[:n_x], y[:n_y], SMALL, split=SplitSettings())


def test_train_dataset_takes_lists_and_a_target_column() -> None:
    """A list X raised 'only integer scalar arrays can be converted to a scalar index'; a y of
    shape (N, 1) was refused with the training part's row count, (36,), not the data's."""
    x, y = _regression_rows()
    expected = train_dataset("mine", x, y, SMALL, split=SplitSettings())
    for rows, targets in ((x.tolist(), y.tolist()), (x, y[:, None])):
        run = train_dataset("mine", rows, targets, SMALL, split=SplitSettings())
        assert run.metrics == expected.metrics
        assert run.y.shape == (50,)


@pytest.mark.parametrize(
    ("changes", "labels", "match"),
    [
        ({"loss": "logistic"}, [0.0, 1.0, 1.0, -1.0], r"^training targets: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got -1 in row 3 \(labels -1/\+1 become 0/1 as \(y \+ 1\) / 2\)$"),
        ({"loss": "logistic"}, [[0.0, 1.0], [1.0, 2.0], [0.0, 0.0], [1.0, 1.0]], r"^training targets: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got 2 in row 1, output 1$"),
        ({"loss": "bce", "output_activation": "sigmoid"}, [0.0, 1.0, 1.5, 1.0], r"^training targets: BCELoss expects targets in \[0, 1\], got 1\.5 in row 2$"),
    ],
    ids=["logistic-pm1", "logistic-two-outputs", "bce"],
)  # fmt: skip
def test_labels_are_refused_naming_their_row_and_no_setting_the_trainer_lacks(
    changes: dict[str, Any], labels: list[Any], match: str
) -> None:
    """The message named no row, and told the user to 'use labels='pm1'', which TrainConfig
    has no field for."""
    x = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(ValueError, match=match):
        Trainer(SMALL.replace(**changes), x, np.array(labels))


def test_an_early_stopped_member_without_a_finite_validation_loss_names_the_epoch_it_kept() -> None:
    """Validation rows whose loss overflows at every epoch: the member kept the weights of its
    last epoch but reported best_epoch 0, 'the initial ones'."""
    x, y = _regression_rows(30)
    x_val, y_val = np.full((3, 2), 1e300), np.zeros(3)
    config = SMALL.replace(epochs=10, patience=2, refit=False, schedule="constant")
    member = fit(config, x, y, x_val, y_val).members[0]
    assert member.status == "early_stopped"
    assert [record["val_loss"] for record in member.history] == [np.inf, np.inf]
    assert member.best_epoch == 2
    uninterrupted = fit(config.replace(epochs=2, patience=0), x, y, x_val, y_val).members[0]
    for name, value in uninterrupted.weights.items():
        np.testing.assert_array_equal(member.weights[name], value)


@pytest.mark.filterwarnings("error")
def test_the_torch_engine_copies_read_only_arrays_and_trains_as_the_numpy_engine(torch: Any) -> None:
    """torch shared read-only float64 rows (a memory-mapped file, a frozen copy), warning of
    undefined behaviour, once per process: the copy is checked directly, not the warning."""
    x, y = _regression_rows(12)
    x.flags.writeable = False
    y.flags.writeable = False
    config = SMALL.replace(engine="torch", schedule="constant")
    spec = MLPSpec(sizes=(2, 4, 1))
    engine = make_engine(config, spec, build_mlp(spec, rng=np.random.default_rng(0)).state_dict(), x, y)
    assert engine.x.data_ptr() != x.ctypes.data  # a tensor of its own
    result = fit(config, x, y, x[:4], y[:4])
    expected = fit(config.replace(engine="numpy"), x.copy(), y.copy(), x[:4].copy(), y[:4].copy())
    for name, value in expected.weights[0].items():
        np.testing.assert_allclose(result.weights[0][name], value, rtol=0, atol=1e-12)


def test_evaluate_and_the_runs_own_metrics_follow_the_loss_alike() -> None:
    """A moons model trained with mse: the run measured RMSE, evaluate (glassnet evaluate)
    accuracy, as the task's name said."""
    run = train_moons(MOONS_CONFIG.replace(loss="mse", epochs=3), progress=False, handle_sigint=False)
    measured = evaluate_parts(
        run.ensemble(), run.preprocessor, run.X, run.y, {"test": run.split.test}, loss=run.config.loss
    )
    assert set(measured["test"]) == {"rmse", "mae", "r2", "n"}
    assert measured["test"] == pytest.approx(run.metrics["test"])


@pytest.mark.parametrize(
    ("features", "figures"), [(2, ["decision_boundary", "loss_curves"]), (3, ["loss_curves"])]
)
def test_a_classifier_of_another_name_gets_a_classifiers_figures(
    features: int, figures: list[str], tmp_path: Path
) -> None:
    """write_run chose its figures by the task's name: a classifier called 'churn' got its logits
    plotted against its 0/1 labels, and a residuals-against-frequency figure of its first input."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, features))
    y = (x[:, 0] > 0).astype(np.float64)
    run = train_dataset("churn", x, y, SMALL.replace(loss="logistic"), split=SplitSettings(), scale_y=False)
    assert sorted(write_plots(run, tmp_path)) == figures


def test_fourier_sigma_none_is_the_data_sets_own_and_the_run_records_it() -> None:
    """TrainConfig.fourier_sigma None: airfoil's σ per feature for train_airfoil, 0.2 for every
    input of one's own data; the run's config holds the σ used, which the model file keeps."""
    own = train_dataset("own", *_regression_rows(), SMALL.replace(fourier_features=2), split=SplitSettings())
    assert own.config.fourier_sigma == DEFAULT_FOURIER_SIGMA == 0.2
    assert own.preprocessor.fourier is not None and own.preprocessor.fourier.sigma == 0.2
    airfoil_dataset = load_airfoil(shared_airfoil())
    config = SMALL.replace(fourier_features=2, epochs=1, refit=False)
    airfoil = train_airfoil(airfoil_dataset, config, split=SplitSettings(val_fraction=0.0))
    assert airfoil.config.fourier_sigma == AIRFOIL_FOURIER_SIGMA == (0.2, 0.2, 0.3, 0.1, 0.2)
    fourier = airfoil.preprocessor.fourier
    assert fourier is not None and fourier.sigma == AIRFOIL_FOURIER_SIGMA
    given = train_airfoil(
        airfoil_dataset, config.replace(fourier_sigma=0.3), split=SplitSettings(val_fraction=0.0)
    )
    assert given.config.fourier_sigma == 0.3  # a σ given is taken as given
    with pytest.raises(
        ValueError, match=r"sigma has 2 values, one per column, but the inputs have 5 columns"
    ):
        train_airfoil(airfoil_dataset, config.replace(fourier_sigma=(0.2, 0.3)))


# -- results compared by identity, copies out, a short repr ----------------------------------


def _small_run() -> Any:
    x, y = _regression_rows()
    return Trainer(SMALL.replace(ensemble=2), x, y).run()


def test_results_and_resume_states_compare_by_identity() -> None:
    """== on a TrainResult or MemberResult compared dicts of arrays: 'truth value of an array
    is ambiguous', which broke `in` and list.remove."""
    first, second = _small_run(), _small_run()
    assert first == first and first != second
    assert first in [second, first]
    members = list(first.members)
    members.remove(first.members[1])
    assert members == [first.members[0]]
    assert first.members[0] != second.members[0]
    from glassnet.train import ResumeState

    state = ResumeState(0, 0, 0, first.weights[0], {}, [], [], None, np.inf, 0, 0)
    other = ResumeState(0, 0, 0, first.weights[0], {}, [], [], None, np.inf, 0, 0)
    assert state == state and state != other and state in [other, state]


def test_train_result_weights_are_copies() -> None:
    """Writing into result.weights changed the members' own weights, and so what it predicted."""
    run = _small_run()
    x = _regression_rows()[0]
    before = run.ensemble().predict(x)
    for weights in run.weights:
        for value in weights.values():
            value[...] = 0.0
    np.testing.assert_array_equal(run.ensemble().predict(x), before)
    assert any(np.any(value != 0.0) for value in run.members[0].weights.values())


def test_train_result_repr_is_short() -> None:
    """repr printed every weight and history record (about 1 MB for a default run)."""
    run = _small_run()
    text = repr(run)
    assert len(text) < 300, text
    assert text.startswith("TrainResult(status='completed', members=2, epochs=3,")
    assert "sizes=(2, 4, 1)" in text and "array" not in text
    assert run.history and run.members[0].weights  # the fields themselves are as they were
    # as robust as the generated repr: a result built by hand may hold anything
    odd = TrainResult(config=None, spec=None, members=[], status="x", message="", seconds=None)  # type: ignore[arg-type]
    assert (
        repr(odd)
        == "TrainResult(status='x', members=0, epochs=None, best_epochs=[], seconds=None, sizes=None, records=0)"
    )


def test_member_and_resume_reprs_are_one_line() -> None:
    """MemberResult and ResumeState kept the generated repr, every weight, buffer and record: a
    review measured 343 kB for a member of a default-sized run and 592 kB for a resume state."""
    x, y = _regression_rows()
    stopped = Trainer(SMALL.replace(ensemble=2), x, y, callback=_stop_in_member(1)).run()
    state = stopped.resume
    assert state is not None and len(state.finished) == 1
    text = repr(state)
    assert len(text) < 200 and "array" not in text, text
    assert text.startswith(f"ResumeState(member=1, epoch={state.epoch}, batch={state.batch}, finished=1, ")
    member = repr(state.finished[0])
    assert member == "MemberResult(member=0, status='completed', best_epoch=3, records=3, weights=4)"
    # as robust as the generated repr: built by hand, a field may hold anything
    odd = MemberResult(None, None, None, None, "diverged", "lr too large")  # type: ignore[arg-type]
    assert repr(odd) == (
        "MemberResult(member=None, status='diverged', best_epoch=None, records=None, weights=None, "
        "message='lr too large')"
    )


def _stop_in_member(member: int) -> Any:
    def callback(trainer: Trainer, record: dict[str, float]) -> None:
        if record["member"] == member:
            trainer.request_stop()

    return callback


def test_a_checkpoint_repr_is_one_line(tmp_path: Path) -> None:
    """A checkpoint's generated repr printed every weight, array and history record (about
    0.5 MB for the default recipe) when one was shown in a REPL or a notebook."""
    run = _small_run()
    built = Checkpoint(
        run.spec, run.weights, history=run.history, info={"task": "mine"}, activations=run.activations
    )
    text = repr(load_checkpoint(save_checkpoint(tmp_path / "model.npz", built)))
    assert len(text) < 300 and "\n" not in text and "array" not in text, text
    assert text.startswith("Checkpoint(sizes=(2, 4, 1), members=2, ") and "task='mine'" in text
    assert f"records={len(run.history)}" in text and text.endswith("resume=None)")


def test_an_ensemble_shows_its_members_not_their_weights() -> None:
    # it showed <glassnet.train._ensemble.Ensemble object at 0x…>
    assert (
        repr(_small_run().ensemble())
        == "Ensemble(2 members of [2, 4, 1], activations ['relu', 'tanh'], float64)"
    )


def test_a_float32_setting_is_taken_as_written_as_the_split_takes_its_fractions() -> None:
    # np.float32(0.1) was kept (and saved) as 0.10000000149011612
    config = TrainConfig(lr=np.float32(0.1), weight_decay=np.float32(0.01), momentum=np.float16(0.5))
    assert (config.lr, config.weight_decay, config.momentum) == (0.1, 0.01, 0.5)
    assert TrainConfig(lr=np.float64(0.1)).lr == 0.1 and type(config.lr) is float


def test_train_config_extra_is_its_own_dict() -> None:
    """TrainConfig(extra=d) kept the caller's dict, and replace() shared it."""
    notes: dict[str, Any] = {"who": "me", "nested": [1]}
    config = TrainConfig(extra=notes)
    notes["who"] = "someone else"
    assert config.extra == {"who": "me", "nested": [1]}
    changed = config.replace(lr=0.01)
    assert changed.extra == config.extra and changed.extra is not config.extra


# -- public Trainer helpers refuse impossible arguments --------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: t.learning_rate(-1), ValueError, r"epoch must be in \[0, 2\], got -1"),
        (lambda t: t.learning_rate(3), ValueError, r"epoch must be in \[0, 2\], got 3"),
        (lambda t: t.learning_rate(100), ValueError, r"epoch must be in \[0, 2\], got 100"),
        (lambda t: t.learning_rate(2.5), TypeError, r"epoch must be an integer, got 2\.5"),
        (lambda t: t.learning_rate(True), TypeError, r"epoch must be an integer"),
        (lambda t: t.epoch_order(0, -1), ValueError, r"epoch must be a non-negative integer, got -1"),
        (lambda t: t.epoch_order(-1, 0), ValueError, r"member must be a non-negative integer, got -1"),
        (lambda t: t.epoch_order(0, 0, n=0), ValueError, r"n \(rows\) must be a positive integer, got 0"),
        (lambda t: t.epoch_orders(0, start=-2), ValueError, r"start \(epoch\) must be a non-negative"),
        (lambda t: t.epoch_orders(0.5), TypeError, r"member must be a non-negative integer, got 0\.5"),
        (lambda t: t.initial_weights(-1), ValueError, r"member must be a non-negative integer, got -1"),
        (lambda t: t.initial_weights(None), TypeError, r"member must be a non-negative integer, got None"),
    ],
)
def test_trainer_helpers_refuse_impossible_arguments(call: Any, error: type[Exception], match: str) -> None:
    x, y = _regression_rows()
    trainer = Trainer(SMALL, x, y)
    with pytest.raises(error, match=match):
        call(trainer)


def test_trainer_helpers_still_take_every_epoch_of_the_run() -> None:
    x, y = _regression_rows()
    trainer = Trainer(SMALL, x, y)
    assert all(0.0 < trainer.learning_rate(e) <= SMALL.lr for e in range(3))
    assert trainer.learning_rate(np.int64(2)) == trainer.learning_rate(2)
    assert sorted(trainer.epoch_order(np.int64(1), 5)) == list(range(len(x)))
    assert set(trainer.initial_weights(3)) == set(trainer.initial_weights(0))


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (-1, ValueError, r"seed must be in \[0, \d+\], got -1"),
        (None, TypeError, r"seed must be an integer, got None"),
    ],
)
def test_moons_data_refuses_a_seed_out_of_range(seed: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        moons_data(seed=seed)


# -- split settings checked when built -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"test_fraction": 2.0}, ValueError, r"SplitSettings test_fraction must be in \[0, 1\), got 2\.0"),
        ({"test_fraction": -0.1}, ValueError, r"SplitSettings test_fraction"),
        ({"val_fraction": 1.0}, ValueError, r"SplitSettings val_fraction must be in \[0, 1\), got 1\.0"),
        ({"val_fraction": "x"}, TypeError, r"SplitSettings val_fraction must be a number, got 'x'"),
        ({"val_fraction": float("nan")}, ValueError, r"SplitSettings val_fraction"),
    ],
)
def test_split_settings_refuse_fractions_when_built(
    changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        SplitSettings(**changes)


def test_split_settings_take_numpy_fractions_as_the_split_does() -> None:
    settings = SplitSettings(test_fraction=np.float32(0.2), val_fraction=np.float64(0.1))
    assert settings.test_fraction == 0.2 and type(settings.test_fraction) is float
    assert len(settings.split(1503).test) == 301


# -- raw errors: a Dataset and a TrainConfig named -------------------------------------------


def test_train_airfoil_refuses_an_array_or_a_dict_naming_what_it_takes() -> None:
    dataset = load_airfoil(shared_airfoil())
    with pytest.raises(TypeError, match=r"train_airfoil takes a glassnet\.data\.Dataset .*got ndarray"):
        train_airfoil(dataset.X)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"takes a TrainConfig or None as config, got dict"):
        train_airfoil(dataset, {"epochs": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"train_moons takes a TrainConfig or None as config, got dict"):
        train_moons({"epochs": 1})  # type: ignore[arg-type]


def test_a_float32_run_refuses_a_row_beyond_float32_before_training() -> None:
    """Rows were checked in float64 before training and in the model's float32 only by the
    metrics after it: a test row whose standardised value overflows float32 cost the whole run."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = x[:, 0] + rng.normal(0.0, 0.1, 40)
    x[SplitSettings(seed=0).split(40).test[0], 1] = 1e39
    epochs: list[int] = []
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0, dtype="float32", warmup_epochs=0)
    with pytest.raises(ValueError, match=r"^X\[2, 1\] = 1e\+39 is too large: .*overflow float32"):
        train_dataset("mine", x, y, config, split=SplitSettings(seed=0), callback=lambda *_: epochs.append(1))
    assert epochs == []
    train_dataset(
        "mine", x, y, config.replace(dtype="float64"), split=SplitSettings(seed=0)
    )  # float64 takes it


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"noise": 12.0}, ValueError, r"^noise must be in \[0, 10\], got 12$"),
        ({"noise": -0.1}, ValueError, r"^noise must be in \[0, 10\], got -0.1$"),
        ({"noise": float("nan")}, ValueError, r"^noise must be finite"),
        ({"n_samples": 3}, ValueError, r"^n_samples must be in \[4, 1000000\], got 3$"),
        ({"n_samples": 2.0}, TypeError, r"^n_samples must be an integer"),
    ],
)
def test_train_moons_takes_the_settings_its_saved_run_is_read_back_with(
    settings: dict[str, Any], error: type[Exception], match: str
) -> None:
    """noise 12 or 3 samples trained and saved a model that `glassnet evaluate` refused as out of
    range (saved_moons, the command line's bounds)."""
    with pytest.raises(error, match=match):
        train_moons(MOONS_CONFIG.replace(epochs=1), **settings)


@pytest.mark.parametrize(("column", "value"), [(0, 0.0), (2, -0.3), (3, -71.3), (4, -1e-3)])
def test_train_airfoil_refuses_a_magnitude_that_is_not_positive(column: int, value: float) -> None:
    """load_airfoil and predict refuse a frequency, chord, velocity or thickness <= 0; a Dataset
    built in memory trained on them (the log columns aside), and predict refused its own rows."""
    x = np.array([[800.0, 0.0, 0.3, 71.3, 0.002]] * 20) * np.linspace(1.0, 2.0, 20)[:, None]
    x[7, column] = value
    data = Dataset(x, np.linspace(100, 120, 20), FEATURE_NAMES, FEATURE_UNITS, "spl", "dB", None)
    with pytest.raises(
        ValueError, match=rf"^train_airfoil: row 7, column {column} \({FEATURE_NAMES[column]}\) must be > 0"
    ):
        train_airfoil(data, TrainConfig(hidden=(4,), epochs=1))


def test_a_dataset_takes_lists_as_float64_arrays_and_refuses_what_is_not_numbers() -> None:
    """Lists failed with "'list' object has no attribute 'ndim'"."""
    data = Dataset([[1, 2, 3, 4, 5]], [1], FEATURE_NAMES, FEATURE_UNITS, "spl", "dB", None)
    assert data.X.dtype == data.y.dtype == np.float64 and data.X.shape == (1, 5)
    with pytest.raises(TypeError, match=r"^Dataset y must be an array of numbers .* complex"):
        Dataset([[1, 2, 3, 4, 5]], [1j], FEATURE_NAMES, FEATURE_UNITS, "spl", "dB", None)


# --- found by a review of the training layer (2026-11-28) ----------------------------------------


def _overflowing_classifier() -> tuple[TrainConfig, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A logistic classifier whose predictions go NaN in its first epoch (rows of 1e110, lr 10)."""
    rng = np.random.default_rng(0)
    x, x_val = rng.normal(size=(40, 2)) * 1e110, rng.normal(size=(10, 2)) * 1e110
    config = TrainConfig(
        hidden=(16,), epochs=3, batch_size=40, fourier_features=0, loss="logistic", optimizer="sgd",
        momentum=0.0, lr=10.0, schedule="constant", refit=False, weight_decay=0.0,
    )  # fmt: skip
    return config, x, (x[:, 0] > 0).astype(float), x_val, (x_val[:, 0] > 0).astype(float)


def test_a_classifiers_undefined_validation_accuracy_is_left_out_of_its_record() -> None:
    """NaN predictions gave val_accuracy NaN in the record: history_records(history_arrays(h))
    differed from h, and a run resumed through a checkpoint lost the key the straight run had."""
    from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from glassnet.train import history_arrays, history_records

    config, x, y, x_val, y_val = _overflowing_classifier()
    straight = Trainer(config, x, y, x_val, y_val).run()
    assert straight.history and all("val_accuracy" not in record for record in straight.history)
    assert all(not math.isnan(v) for record in straight.history for v in record.values())
    assert history_records(history_arrays(straight.history)) == straight.history

    def stop_after_epoch_1(trainer: Trainer, record: dict[str, float]) -> None:
        if record["epoch"] == 1:
            trainer.request_stop()

    stopped = Trainer(config, x, y, x_val, y_val, callback=stop_after_epoch_1).run()
    assert stopped.resume is not None
    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(
            Path(folder) / "c.npz",
            Checkpoint(spec=stopped.spec, members=[stopped.resume.weights], resume=stopped.resume),
        )
        state = load_checkpoint(path).resume
    assert state is not None
    assert Trainer(config, x, y, x_val, y_val).run(state).history == straight.history


def test_resume_of_another_kind_is_named_before_anything_runs() -> None:
    """A Checkpoint (what load_resume returns) given as the state failed with AttributeError:
    'Checkpoint' object has no attribute 'final_pass_cut'."""
    from glassnet.checkpoint import Checkpoint

    config, x, y, _, _ = _overflowing_classifier()
    trainer = Trainer(config.replace(lr=0.1), x / 1e110, y)
    stopped = Trainer(config.replace(lr=0.1), x / 1e110, y, callback=lambda t, r: t.request_stop()).run()
    assert stopped.resume is not None
    held = Checkpoint(spec=stopped.spec, members=[stopped.resume.weights], resume=stopped.resume)
    with pytest.raises(
        TypeError, match=r"^resume must be a ResumeState or None, got Checkpoint: pass its \.resume$"
    ):
        trainer.run(held)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^resume must be a ResumeState or None, got str$"):
        trainer.run("runs/a")  # type: ignore[arg-type]


@pytest.mark.parametrize(("dtype", "target"), [("float64", 1e160), ("float32", 3e19)])
def test_validation_rows_whose_loss_overflows_are_refused_before_any_training(
    dtype: str, target: float
) -> None:
    """They entered training only in the refit pass, after every validation pass had trained:
    the first batch's check refused the run then, and all of that training was thrown away."""
    rng = np.random.default_rng(0)
    x, x_val = rng.normal(size=(30, 3)), rng.normal(size=(6, 3))
    y, y_val = np.sin(x[:, 0]), np.sin(x_val[:, 0])
    y_val[0] = target
    epochs: list[int] = []
    config = TrainConfig(hidden=(4,), epochs=3, fourier_features=0, batch_size=64, dtype=dtype, ensemble=2)
    trainer = Trainer(config, x, y, x_val, y_val, callback=lambda _, record: epochs.append(record["epoch"]))
    with pytest.raises(
        ValueError,
        match=r"^the training loss is inf at the initial weights, before any update, with inputs up to 2\.33 "
        + re.escape(f"and targets up to {target:.3g}: the numbers overflow {dtype}"),
    ):
        trainer.run()
    assert epochs == []


@pytest.mark.parametrize("refit", [False, True], ids=["one-pass", "refit"])
def test_a_trainer_keeps_its_own_rows_when_the_callers_arrays_change_before_run(refit: bool) -> None:
    """A float64 array was kept as the caller's own, while the R² denominator and the refit rows
    were taken from it at construction: scaled in place before run(), the run mixed both."""
    x, y = _regression_rows(60)
    config = SMALL.replace(refit=refit, epochs=2)
    val = (x[:10].copy(), y[:10].copy()) if refit else (None, None)
    changed_x, changed_y = x.copy(), y.copy()
    trainer = Trainer(config, changed_x, changed_y, *val)
    changed_x *= 10.0
    changed_y *= 10.0
    result = trainer.run()
    untouched = Trainer(config, x, y, *val).run()
    assert result.history == untouched.history
    for kept, expected in zip(result.weights, untouched.weights, strict=True):
        for name, weight in expected.items():
            np.testing.assert_array_equal(kept[name], weight)


@pytest.mark.parametrize(
    ("callback", "match"),
    [
        (5, "callback must be a function callback\\(trainer, record\\) or None, got 5"),
        (lambda record: None, "callback is called as callback\\(trainer, record\\) .* cannot be"),
    ],
    ids=["not-callable", "one-argument"],
)
def test_a_trainer_refuses_a_callback_it_cannot_call_before_training(callback: Any, match: str) -> None:
    """Both were a bare TypeError after the first epoch had trained."""
    x, y = _regression_rows()
    with pytest.raises(TypeError, match=match):
        Trainer(SMALL, x, y, callback=callback)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (
            ("abcde", FEATURE_UNITS, "spl", "dB", None),
            TypeError,
            "feature_names must be a sequence of strings .*'abcde'",
        ),
        (
            (FEATURE_NAMES, (None,) * 5, "spl", "dB", None),
            TypeError,
            "feature_units must be a sequence of strings",
        ),
        ((FEATURE_NAMES, FEATURE_UNITS, 7, "dB", None), TypeError, "target_name must be a string, got 7"),
        (
            (FEATURE_NAMES, FEATURE_UNITS, "spl", None, None),
            TypeError,
            "target_unit must be a string, got None",
        ),
        (
            (FEATURE_NAMES, FEATURE_UNITS, "spl", "dB", 3.5),
            TypeError,
            "source must be a path or None, got 3.5",
        ),
    ],
    ids=["names-string", "units-none", "target-name", "target-unit", "source"],
)
def test_a_dataset_refuses_names_units_and_sources_of_other_types(
    arguments: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    """A string of five characters was taken as five feature names; a source of 3.5 failed in
    train_airfoil's os.path.abspath."""
    with pytest.raises(error, match=match):
        Dataset(np.zeros((3, 5)), np.zeros(3), *arguments)


def test_a_dataset_takes_a_list_of_names_and_a_string_source() -> None:
    data = Dataset(np.zeros((3, 5)), np.zeros(3), list(FEATURE_NAMES), FEATURE_UNITS, "spl", "dB", "a.csv")
    assert data.feature_names == FEATURE_NAMES
    assert data.source == Path("a.csv")
    # an array of names, as the check first refused (a regression of its own)
    arrays = Dataset(
        np.zeros((3, 5)), np.zeros(3), np.array(FEATURE_NAMES), np.array(FEATURE_UNITS), "spl", "dB", None
    )
    assert arrays.feature_names == FEATURE_NAMES and type(arrays.feature_names[0]) is str


def test_evaluate_parts_takes_a_target_of_one_column() -> None:
    """y (N, 1), as train_dataset and the Trainer take it, was refused by the check of eb402cc."""
    run = _tiny_run()
    parts = run.parts()
    column = evaluate_parts(run.ensemble(), run.preprocessor, run.X, run.y.reshape(-1, 1), parts, loss="mse")
    assert column == evaluate_parts(run.ensemble(), run.preprocessor, run.X, run.y, parts, loss="mse")


def _tiny_run() -> Any:
    x, y = _regression_rows(40)
    return train_dataset("own", x, y, SMALL.replace(epochs=1), split=SplitSettings())


def test_predict_raw_without_preprocessing_checks_its_rows_as_the_ensemble_does() -> None:
    """np.asarray parsed strings and read the number under a mask."""
    run = _tiny_run()
    ensemble = run.ensemble()
    with pytest.raises(TypeError, match="strings"):
        predict_raw(ensemble, None, [["1.5", "2"]])
    masked = np.ma.array([[1.5, 2.0], [1e6, 3.0]], mask=[[0, 0], [1, 0]])
    with pytest.raises((TypeError, ValueError), match="mask"):
        predict_raw(ensemble, None, masked)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_predict_raw_makes_the_features_a_block_at_a_time(dtype: str) -> None:
    """The Fourier features of every row were made at once before the ensemble's blocks: 1.1 KB
    a row (a million rows of `glassnet predict` took 1.19 GB, ten million would take 11 GB).
    Now a block at a time: the same numbers to the bit, a fraction of the memory, and a value
    refused deep in the rows is named by its row in them."""
    import tracemalloc

    from glassnet.data import Preprocessor

    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(100_000, 3))
    config = SMALL.replace(epochs=1, fourier_features=8, hidden=(16,), dtype=dtype)
    run = train_dataset("own", x[:200], x[:200, 0] * 3.0, config, split=SplitSettings(), log_columns=(1,))
    ensemble, preprocessor = run.ensemble(), run.preprocessor
    assert isinstance(preprocessor, Preprocessor) and preprocessor.fourier is not None

    def all_at_once() -> np.ndarray[Any, Any]:
        output = ensemble.predict(preprocessor.transform_x(x, ensemble.spec.dtype))[:, 0]
        return preprocessor.inverse_transform_y(output)

    peaks, results = [], []
    for predict in (all_at_once, lambda: predict_raw(ensemble, preprocessor, x)):
        tracemalloc.start()
        try:
            results.append(predict())
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert np.array_equal(results[1], results[0])
    assert peaks[1] < 0.4 * peaks[0], peaks  # 100,000 rows: 16 MB against 63 MB (float64)
    bad = x.copy()
    bad[15_000, 1] = -1.0  # the log column's domain, in the second block
    with pytest.raises(
        ValueError, match=r"^column 1 is log-transformed and must be > 0, got -1\.0 at row 15000$"
    ):
        predict_raw(ensemble, preprocessor, bad)
    assert predict_raw(ensemble, preprocessor, np.empty((0, 3))).shape == (0,)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda run: model_parts(run.split, refit=True),
            TypeError,
            "model_parts takes the parts as a mapping",
        ),
        (
            lambda run: evaluate_parts(run.ensemble(), run.preprocessor, run.X, run.y, run.split, loss="mse"),
            TypeError,
            r"evaluate_parts takes the parts as a mapping .*; a refit model's through "
            r"model_parts\(parts, refit=True\)\), got Split",
        ),
        (
            lambda run: evaluate_parts(
                run.ensemble(), run.preprocessor, run.X, run.y[:5], run.parts(), loss="mse"
            ),
            ValueError,
            r"evaluate_parts needs a target per row of x \(40\), got 5",
        ),
        (lambda run: target_scale(run.preprocessor.y_scaler), TypeError, "target_scale takes a Preprocessor"),
    ],
    ids=["model-parts-split", "evaluate-parts-split", "evaluate-parts-short-y", "target-scale-scaler"],
)
def test_the_parts_helpers_name_arguments_of_the_wrong_kind(
    call: Any, error: type[Exception], match: str
) -> None:
    """Each was an AttributeError or IndexError naming none of the arguments."""
    with pytest.raises(error, match=match):
        call(_tiny_run())


def test_evaluate_parts_measures_a_refit_model_as_its_docstring_says() -> None:
    """A refit model trained on the validation rows: measured on run.parts(), its "val" figures
    are training figures (31 % below the validation pass's in a review's run, with no word of
    it). Through model_parts, as the docstring and the hint now say, its figures are the run's."""
    run = _tiny_run()
    assert run.result.validation_ensemble() is not None  # refit, the default
    parts = model_parts(run.parts(), refit=True)
    measured = evaluate_parts(run.ensemble(), run.preprocessor, run.X, run.y, parts, loss="mse")
    own = run.metrics
    assert measured.keys() == {"train", "test"} and own.keys() == {"train", "val", "test"}
    assert measured["train"] == own["train"] and measured["test"] == own["test"]


def test_ensemble_predict_of_raw_rows_says_where_they_go() -> None:
    """A Fourier run's ensemble takes the network's inputs (2 features → 10); raw rows were
    refused as 'expected inputs of shape (N, 10)', naming neither the network nor the way."""
    x, y = _regression_rows(40)
    run = train_dataset("own", x, y, SMALL.replace(epochs=1, fourier_features=2), split=SplitSettings())
    with pytest.raises(
        ValueError,
        match=r"^Ensemble.predict expected the network's inputs, shape \(N, 10\), "
        r"got \(40, 2\); rows of raw features of a run with preprocessing go through it first "
        r"\(run.predict, or predict_raw with the run's preprocessor\)$",
    ):
        run.ensemble().predict(x)
    assert run.predict(x).shape == (40,)


def test_evaluate_parts_takes_a_list_of_targets() -> None:
    run = _tiny_run()
    parts = run.parts()
    listed = evaluate_parts(run.ensemble(), run.preprocessor, run.X, list(run.y), parts, loss="mse")
    assert listed == evaluate_parts(run.ensemble(), run.preprocessor, run.X, run.y, parts, loss="mse")


@pytest.mark.parametrize(
    ("output", "activation", "error", "match"),
    [
        (["0.7", "3"], None, TypeError, "strings"),
        (None, None, TypeError, "class_probability output"),
        (np.array([1 + 5j]), None, TypeError, "complex"),
        ([1.5, -2.0], "sigmoid", ValueError, r"takes probabilities in \[0, 1\], got 1.5 at index \(0,\)"),
    ],
    ids=["strings", "none", "complex", "sigmoid-outside"],
)
def test_class_probability_refuses_what_is_no_output_of_a_classifier(
    output: Any, activation: str | None, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        class_probability(output, activation)


def test_class_probability_keeps_nan_and_reads_logits() -> None:
    probability = class_probability([0.0, np.nan, 800.0], None)
    np.testing.assert_array_equal(probability, [0.5, np.nan, 1.0])
    np.testing.assert_array_equal(class_probability([0.0, 1.0, np.nan], "sigmoid"), [0.0, 1.0, np.nan])


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_trainers_that_overlap_in_threads_give_the_blas_limit_back() -> None:
    """Each engine kept the BLAS limit it found and put it back: run B, started while run A
    trained (A's limit of 1 in force), kept 1 and, ending last, left NumPy on one thread for the
    rest of the session (a review of side effects). The last run to end gives back the first's."""
    import threading

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    config = TrainConfig(hidden=(4,), epochs=3, batch_size=8, fourier_features=0, threads=1)
    a_training, b_training, a_done = threading.Event(), threading.Event(), threading.Event()

    def pause(started: threading.Event, until: threading.Event) -> Any:
        def callback(trainer: Any, record: dict[str, Any]) -> None:
            if record["epoch"] == 1:
                started.set()
                assert until.wait(timeout=60)

        return callback

    results: dict[str, Any] = {}

    def train(name: str, callback: Any) -> None:
        results[name] = Trainer(config, x, y, callback=callback, handle_sigint=False).run()

    before = _blas_threads()
    first = threading.Thread(target=train, args=("a", pause(a_training, b_training)))
    first.start()
    assert a_training.wait(timeout=60)
    second = threading.Thread(target=train, args=("b", pause(b_training, a_done)))
    second.start()
    first.join(timeout=60)
    a_done.set()
    second.join(timeout=60)
    after = _blas_threads()
    assert results["a"].status == results["b"].status == "completed"
    assert after == before
