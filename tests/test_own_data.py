"""glassnet on data of the user's own: shapes other than airfoil's, the user's own scalers."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.cli import main
from glassnet.cli._evaluate import warn_unfinished
from glassnet.data import StandardScaler
from glassnet.nn import MLP
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import Run, SplitSettings, TrainConfig, Trainer, fit, predict_raw, train_dataset
from glassnet.train._tasks import run_metrics
from glassnet.train.artifacts import run_checkpoint, save_resume, write_run


def test_the_target_scale_of_a_fitted_scaler_is_taken_as_it_comes() -> None:
    """StandardScaler.scale_ of a target is a 0-d array: target_scale takes it as its number."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 3)), 10.0 * rng.normal(size=40)
    scaler = StandardScaler().fit(y)
    assert isinstance(scaler.scale_, np.ndarray) and scaler.scale_.ndim == 0
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0)
    trainer = Trainer(config, x, scaler.transform(y), target_scale=scaler.scale_)
    assert trainer.target_scale == float(scaler.scale_)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (np.array([1.0]), TypeError, r"^target_scale must be a number, got array\(\[1\.\]\) \(ndarray\)"),
        (np.array(np.nan), ValueError, r"^target_scale must be finite, got nan"),
        (np.array("1.0"), TypeError, r"^target_scale must be a number"),
        (np.array(True), TypeError, r"^target_scale must be a number"),
    ],
)
def test_only_a_0d_array_of_one_finite_number_is_a_target_scale(
    value: np.ndarray, error: type, match: str
) -> None:
    x = np.zeros((4, 2))
    with pytest.raises(error, match=match):
        Trainer(TrainConfig(hidden=(2,), epochs=1, fourier_features=0), x, x[:, 0], target_scale=value)  # type: ignore[arg-type]


# --- the CLI on a model trained from Python on data of the user's own ---------------------


def _own_run(tmp_path: Path, loss: str = "mse") -> tuple[Path, np.ndarray, np.ndarray]:
    """A run folder of a model of 3 features trained by train_dataset, and its rows."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 3))
    if loss == "mse":
        y = 1e-4 * (x[:, 0] + x[:, 1] * x[:, 2])  # small: written in full, not to 6 decimals
        config, scale_y = TrainConfig(hidden=(8,), epochs=4, fourier_features=0), True
    else:
        y = (x[:, 0] + x[:, 1] > 0).astype(np.float64)
        config = TrainConfig(hidden=(8,), epochs=4, fourier_features=0, loss="logistic")
        scale_y = False
    run = train_dataset("mine", x, y, config, split=SplitSettings(seed=1), scale_y=scale_y)
    folder = tmp_path / f"run-{loss}"
    write_run(run, folder, plots=False)
    return folder, x, y


def _data_file(tmp_path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    """The rows as a data file of one's own: the features, then the target, every digit kept."""
    data = tmp_path / "mine.csv"
    np.savetxt(data, np.column_stack([x, y]), delimiter=",", fmt="%.17g")
    return data


def test_evaluate_measures_a_model_of_own_data_on_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, x, y = _own_run(tmp_path)
    data = _data_file(tmp_path, x, y)
    assert main(["evaluate", str(folder), "--data", str(data), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    saved = json.loads((folder / "metrics.json").read_text())
    assert measured["test"]["rmse"] == pytest.approx(saved["test"]["rmse"], rel=1e-12)
    assert set(measured) == {"train", "test", "all"}  # refit: train+val, test, and every row


def test_evaluate_names_a_classifiers_bad_label_by_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A label outside [0, 1] in --data was named by its 0-based row index alone ("at index 2"),
    where every other mistake in a data file is named by its file, line and column."""
    folder, x, y = _own_run(tmp_path, loss="logistic")
    y = y.copy()
    y[[2, 5]] = [2.0, -1.0]
    data = _data_file(tmp_path, x, y)
    assert main(["evaluate", str(folder), "--data", str(data)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet evaluate: error: {data}: line 3, column 4 (target): expected a label 0 or 1 (or a "
        "probability in [0, 1]), got 2; 1 more bad row, at line 6\n"
    )
    y[2] = -1.0  # the ±1 convention's label, as training names it
    data = _data_file(tmp_path, x, y)
    assert main(["evaluate", str(folder), "--data", str(data)]) == 2
    assert "got -1 (labels -1/+1 become 0/1 as (y + 1) / 2); 1 more bad row" in capsys.readouterr().err


def test_evaluate_of_own_data_without_its_file_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = _own_run(tmp_path)
    assert main(["evaluate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "glassnet evaluate: error: the model was trained on data of its own ('mine'): give that data "
        "with --data FILE, rows of its 3 feature(s) then the target (4 columns: x1, x2, x3, target)\n"
    )


def test_predict_writes_a_small_target_in_full(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, x, _ = _own_run(tmp_path)
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, x[:3], delimiter=",", fmt="%.17g")
    assert main(["predict", str(folder), str(rows)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "x1,x2,x3,prediction"
    checkpoint = load_checkpoint(folder / "model.npz")
    expected = predict_raw(checkpoint.ensemble(), checkpoint.load_preprocessor(), x[:3])
    assert [float(line.split(",")[-1]) for line in lines[1:]] == expected.tolist()  # to the last bit


def test_predict_writes_a_classifier_of_own_data_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its logit, probability and label, whatever its task's name (not a bare logit)."""
    folder, x, _ = _own_run(tmp_path, loss="logistic")
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, x[:2], delimiter=",", fmt="%.17g")
    assert main(["predict", str(folder), str(rows)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "x1,x2,x3,logit,probability,label"
    for line in lines[1:]:
        logit, probability, label = line.split(",")[-3:]
        assert float(probability) == pytest.approx(1.0 / (1.0 + np.exp(-float(logit))), rel=1e-15)
        assert int(label) == int(float(logit) > 0.0)


def test_predict_and_evaluate_refuse_a_model_of_several_outputs_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    result = fit(
        TrainConfig(hidden=(4,), epochs=1, fourier_features=0), x, np.column_stack([x[:, 0], x[:, 1]])
    )
    model = save_checkpoint(tmp_path / "two.npz", Checkpoint(spec=result.spec, members=result.weights))
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, x[:2], delimiter=",")
    assert main(["predict", str(model), str(rows)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"glassnet predict: error: {model} is a model of 2 outputs; glassnet predict writes one"
    )
    assert err.count("\n") == 1
    # evaluate asked for a data file first, then blamed "predict_raw" and "Ensemble.predict"
    for data in ([], ["--data", str(rows)]):
        assert main(["evaluate", str(model), *data]) == 2
        assert capsys.readouterr().err == (
            f"glassnet evaluate: error: {model} is a model of 2 outputs; glassnet evaluate measures models of "
            "one output (a level, or a classifier's logit or probability): measure it from Python, "
            "load_checkpoint(MODEL).ensemble().predict(rows), with the model's preprocessing\n"
        )


def test_the_own_data_example_in_the_docs_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/training.md, "Your own data": the example runs as shown and writes a run folder that
    `glassnet evaluate` measures from the rows it was trained on."""
    text = (Path(__file__).parents[1] / "docs" / "training.md").read_text(encoding="utf-8")
    section = text.split("### Your own data", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    names: dict[str, object] = {}
    exec(compile(code, "docs/training.md", "exec"), names)
    run = names["run"]
    assert set(run.metrics["test"]) == {"rmse", "mae", "r2", "n"}  # type: ignore[attr-defined]
    data = _data_file(tmp_path, names["X"], names["y"])  # type: ignore[arg-type]
    assert main(["evaluate", "runs/mine", "--data", str(data), "--json"]) == 0


def test_evaluate_prints_a_target_without_a_unit_without_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, x, y = _own_run(tmp_path)
    data = _data_file(tmp_path, x, y)
    assert main(["evaluate", str(folder), "--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines and all(re.search(r"RMSE \S+  MAE \S+  R² \S+  \(n=\d+\)$", line) for line in lines), lines


def _interrupted_run() -> Run:
    """A run of one's own data stopped after its first epoch (the callback asks it to stop)."""
    x = np.random.default_rng(3).normal(size=(60, 2))
    config = TrainConfig(hidden=(4,), epochs=3, fourier_features=0)

    def stop(trainer: Trainer, record: dict[str, float]) -> None:
        trainer.request_stop()

    run = train_dataset("mine", x, x[:, 0], config, split=SplitSettings(), callback=stop)
    assert run.result.status == "interrupted"
    return run


def test_an_interrupted_run_of_own_data_is_told_to_resume_from_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No `glassnet train mine --resume` (the command trains airfoil and moons only)."""
    run = _interrupted_run()
    assert run.result.status == "interrupted"
    path = save_checkpoint(tmp_path / "checkpoint.npz", run_checkpoint(run, with_resume=True))
    with pytest.warns(UserWarning) as caught:
        warn_unfinished(load_checkpoint(path), path)
    text = str(caught[-1].message)
    assert "glassnet train" not in text
    assert (
        f"it resumes from Python: train_dataset('mine', …) with the run's rows and settings and resume=load_checkpoint('{path}').resume"
        in text
    )


def test_evaluate_and_predict_read_a_model_saved_without_its_configuration_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sigmoid-output (BCE) model of own data, its configuration left out: a classifier to both."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(80, 3))
    y = (x[:, 0] > 0).astype(np.float64)
    config = TrainConfig(hidden=(4,), epochs=3, fourier_features=0, loss="bce", output_activation="sigmoid")
    run = train_dataset("mine", x, y, config, split=SplitSettings(), scale_y=False)
    model = save_checkpoint(tmp_path / "model.npz", dataclasses.replace(run_checkpoint(run), config=None))
    data, rows = _data_file(tmp_path, x, y), tmp_path / "rows.csv"
    np.savetxt(rows, x[:2], delimiter=",", fmt="%.17g")
    assert main(["evaluate", str(model), "--data", str(data), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["all"]) == {"accuracy", "n"}
    assert main(["predict", str(model), str(rows)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "x1,x2,x3,probability,label"


@pytest.mark.parametrize("output", ["relu", "tanh", "softplus"])
def test_the_logistic_loss_trains_no_output_that_cannot_reach_every_logit(
    output: str, tmp_path: Path
) -> None:
    """relu's outputs ≥ 0 left every probability at ½ or more; tanh's kept them in (0.27, 0.73).
    Refused by the Trainer: a configuration saved with one still loads, with its model."""
    x = np.random.default_rng(9).normal(size=(20, 2))
    labels = (x[:, 0] > 0).astype(np.float64)
    config = TrainConfig(hidden=(3,), epochs=1, fourier_features=0, loss="logistic", output_activation=output)
    with pytest.raises(
        ValueError,
        match=rf"^loss='logistic' takes logits, any real number: .*got output_activation='{output}'",
    ):
        Trainer(config, x, labels)
    model = Checkpoint(
        spec=MLPSpec((2, 3, 1), output_activation=output), members=[_weights(output)], config=config
    )
    assert load_checkpoint(save_checkpoint(tmp_path / "model.npz", model)).config == config


def _weights(output: str) -> dict[str, np.ndarray]:
    """Weights of a 2 → 3 → 1 network (its output activation has none)."""
    return MLP([2, 3, 1], output_activation=output, rng=np.random.default_rng(0)).state_dict()


def test_the_logistic_loss_takes_a_leaky_relu_output_which_reaches_every_logit() -> None:
    x = np.random.default_rng(9).normal(size=(20, 2))
    config = TrainConfig(
        hidden=(3,), epochs=1, fourier_features=0, loss="logistic", output_activation="leaky_relu"
    )
    assert Trainer(config, x, (x[:, 0] > 0).astype(np.float64)).run().status == "completed"


@pytest.mark.parametrize("output", ["sigmoid", "relu", "tanh", "softplus"])
def test_a_bounded_output_refuses_a_standardised_target(output: str) -> None:
    """A sigmoid output of a standardised target floored every prediction at the training mean."""
    x = np.random.default_rng(6).uniform(size=(50, 2))
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0, output_activation=output)
    with pytest.raises(
        ValueError, match=rf"^output_activation='{output}' cannot reach the standardised target"
    ):
        train_dataset("mine", x, x[:, 0], config, split=SplitSettings())
    run = train_dataset("mine", x, x[:, 0], config, split=SplitSettings(), scale_y=False)  # in range: taken
    assert run.result.status == "completed"


def test_evaluate_refuses_a_file_whose_header_swaps_the_models_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read by position, the swapped columns measured an R² of −2 with no more than the warning
    every new file gets; predict refuses such a header, and so does evaluate."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(80, 3))
    config = TrainConfig(hidden=(4,), epochs=2, fourier_features=0)
    info = {"feature_names": ["a", "b", "c"], "target_name": "y"}
    run = train_dataset("mine", x, x[:, 0], config, split=SplitSettings(), info=info)
    write_run(run, tmp_path / "run", plots=False)
    data = tmp_path / "swapped.csv"
    data.write_text("b,a,c,y\n" + "".join(f"{r[1]!r},{r[0]!r},{r[2]!r},{r[0]!r}\n" for r in x.tolist()))
    assert main(["evaluate", str(tmp_path / "run"), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"glassnet evaluate: error: {data}: line 1: ") and err.count("\n") == 1
    assert "another order" in err


def test_predict_refuses_a_header_naming_the_models_target_over_a_feature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file whose third column is named as the target, y, held the target's values, read as
    feature c with no warning; the same rows under the features' names are predicted."""
    x = np.random.default_rng(8).normal(size=(60, 3))
    config = TrainConfig(hidden=(4,), epochs=2, fourier_features=0)
    info = {"feature_names": ["a", "b", "c"], "target_name": "y"}
    write_run(
        train_dataset("mine", x, x[:, 0], config, split=SplitSettings(), info=info),
        tmp_path / "run",
        plots=False,
    )
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b,y\n0.1,0.2,-1.3\n")
    assert main(["predict", str(tmp_path / "run"), str(rows)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: {rows}: line 1: column 3 (y) names the target, y, not one of the "
        "model's features (a, b, c) that the model reads: drop the target's column\n"
    )
    rows.write_text("a,b,c\n0.1,0.2,-1.3\n")
    assert main(["predict", str(tmp_path / "run"), str(rows)]) == 0
    assert capsys.readouterr().out.startswith("a,b,c,")


def test_write_run_refuses_an_interrupted_run_naming_save_resume(tmp_path: Path) -> None:
    """It wrote the validation pass's model as model.npz and metrics of no member, and the
    resume state was lost; or, stopped in the first pass, failed with 'no trained member'."""
    run = _interrupted_run()
    with pytest.raises(
        ValueError,
        match=r"^the run was interrupted \(.*\): it has no finished model to write; save_resume\(run, folder\)",
    ):
        write_run(run, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    assert save_resume(run, tmp_path / "run").name == "checkpoint.npz"


def test_predict_given_a_data_set_of_own_data_names_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows with the target as a last column: refused, and evaluate --data named, as for airfoil."""
    folder, x, y = _own_run(tmp_path)
    data = _data_file(tmp_path, x, y)
    assert main(["predict", str(folder), str(data)]) == 2
    err = capsys.readouterr().err
    assert f"and `glassnet evaluate {folder} --data {data}` measures the model on it" in err


def test_evaluate_reads_own_data_from_a_pipe(tmp_path: Path) -> None:
    """--data /dev/stdin (or <(…)), as airfoil's --data takes it: a pipe is no regular file."""
    folder, x, y = _own_run(tmp_path)
    rows = _data_file(tmp_path, x, y).read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "evaluate", str(folder), "--data", "/dev/stdin", "--json"],
        input=rows,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["all"]["n"] == len(x)


def test_evaluate_refuses_a_folder_as_own_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _, _ = _own_run(tmp_path)
    assert main(["evaluate", str(folder), "--data", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"glassnet evaluate: error: --data {tmp_path} is a folder; give the data file\n"
    )


def test_the_runs_task_is_saved_whatever_its_info_says(tmp_path: Path) -> None:
    """info={"task": "airfoil"} made a model of one's own data read back, and measured, as airfoil's."""
    x = np.random.default_rng(10).normal(size=(40, 5))
    config = TrainConfig(hidden=(3,), epochs=1, fourier_features=0)
    run = train_dataset("mine", x, x[:, 0], config, split=SplitSettings(), info={"task": "airfoil"})
    write_run(run, tmp_path / "run", plots=False)
    assert load_checkpoint(tmp_path / "run" / "model.npz").info["task"] == "mine"


def test_a_run_keeps_copies_of_the_callers_rows() -> None:
    """Run.X was the caller's X: a caller that reused the array after training changed the run's
    metrics (a test RMSE of 2.65 became 46.8) and the fingerprint its file records."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = 5 + 2 * X[:, 0]
    config = TrainConfig(hidden=(8,), epochs=2, fourier_features=0, refit=False)
    run = train_dataset("mine", X, y, config, split=SplitSettings(), handle_sigint=False)
    before = run_metrics(run)
    X *= 100
    y[:] = 0
    assert run.X is not X and run.y is not y
    assert run_metrics(run) == before


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (None, "train_dataset takes a TrainConfig as config, got NoneType$"),
        (
            {"epochs": 1},
            r"train_dataset takes a TrainConfig as config, got dict: build one, TrainConfig\(\*\*settings\)$",
        ),
    ],
)
def test_train_dataset_refuses_what_is_no_config(config: object, says: str) -> None:
    """It failed inside with "'NoneType' object has no attribute 'loss'"."""
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(TypeError, match=says):
        train_dataset("mine", X, y, config, split=SplitSettings())  # type: ignore[arg-type]


@pytest.mark.parametrize("caller", ["train_dataset", "train_moons", "train_airfoil"])
def test_a_split_given_as_a_dict_is_refused_in_words(caller: str) -> None:
    """It failed inside with "'dict' object has no attribute 'split'"."""
    import glassnet.train as train
    from glassnet.data import load_airfoil

    arguments = {
        "train_dataset": ("mine", np.zeros((10, 2)), np.zeros(10)),
        "train_moons": (),
        "train_airfoil": (load_airfoil(shared_airfoil()),),
    }[caller]
    with pytest.raises(
        TypeError,
        match=rf"^{caller} takes a SplitSettings as split, got dict: build one, SplitSettings\(\*\*settings\)$",
    ):
        getattr(train, caller)(*arguments, TrainConfig(epochs=1), split={"seed": 0})


LOGISTIC = TrainConfig(hidden=(4,), epochs=2, fourier_features=0, loss="logistic")


@pytest.mark.parametrize("part", ["train", "test"])
def test_a_bad_label_is_named_by_its_row_before_training(part: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A label of the training rows was named by its place among them (row 24 for the caller's
    row 37); one of the test rows was found by the metrics, after the whole training, and the
    run lost."""
    X = np.random.default_rng(0).normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(float)
    parts = SplitSettings(seed=0).split(50)
    row = int((parts.train if part == "train" else parts.test)[3])
    y[row] = 2.0
    trained: list[int] = []
    monkeypatch.setattr(Trainer, "run", lambda self, resume=None: trained.append(1))
    with pytest.raises(
        ValueError,
        match=rf"^the data's targets: LogisticLoss\(labels='01'\) expects labels in \{{0, 1\}}, got 2 in row {row}$",
    ):
        train_dataset("mine", X, y, LOGISTIC, split=SplitSettings(seed=0), scale_y=False)
    assert trained == []


def test_no_rows_are_named_as_such() -> None:
    with pytest.raises(
        ValueError, match=r"^X has no rows \(shape \(0, 3\)\); expected at least one row to train on$"
    ):
        train_dataset("mine", np.empty((0, 3)), np.empty(0), TrainConfig(epochs=1), split=SplitSettings())


def test_patience_without_validation_rows_names_the_splits_val_fraction() -> None:
    """The Trainer's message said "give x_val and y_val", arguments train_dataset has not."""
    with pytest.raises(
        ValueError,
        match=r"^patience=3 stops on the validation rows, and the split has none \(val_fraction=0\.0 of 20 "
        r"rows\): give SplitSettings a larger val_fraction, or patience=0$",
    ):
        train_dataset(
            "mine", np.zeros((20, 2)), np.zeros(20), TrainConfig(epochs=1, patience=3),
            split=SplitSettings(val_fraction=0.0),
        )  # fmt: skip


@pytest.mark.parametrize(
    "value", [{1, 2}, datetime.date(2026, 11, 27), object()], ids=["set", "date", "object"]
)
def test_what_a_checkpoint_cannot_store_is_refused_where_it_is_given(value: object) -> None:
    """extra and info were taken, the run trained, and write_run then failed: "cannot store set
    in checkpoint metadata", the training lost."""
    kind = type(value).__name__
    with pytest.raises(
        TypeError, match=rf"^extra must hold what a checkpoint stores .*: cannot store {kind} in"
    ):
        TrainConfig(extra={"w": value})
    X, y = np.zeros((10, 2)), np.arange(10.0)
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0)
    trained: list[object] = []
    with pytest.raises(
        TypeError, match=rf"^info must hold what a checkpoint stores .*: cannot store {kind} in"
    ):
        train_dataset(
            "mine", X, y, config, split=SplitSettings(), info={"when": value}, callback=trained.append
        )
    assert trained == []


def test_numpy_booleans_are_stored_and_a_dict_holding_itself_is_refused_in_words() -> None:
    """np.bool_ read "cannot store bool", which Python's bool is not; a dict holding itself gave a
    bare RecursionError."""
    assert TrainConfig(extra={"flag": np.bool_(True)}).extra == {"flag": np.bool_(True)}
    looped: dict[str, object] = {}
    looped["self"] = looped
    with pytest.raises(
        TypeError, match=r"^extra must hold what a checkpoint stores .*: it holds itself, or nests too deep$"
    ):
        TrainConfig(extra=looped)


# --- found by a new user's walk through the CLI (2026-11-28, a later session) ----------------------


@pytest.mark.parametrize("case", ["refit", "no refit", "stopped in the validation pass"])
def test_the_training_range_covers_the_rows_the_kept_model_trained_on(case: str) -> None:
    """Under refit the model kept trains on the validation rows too, and predict called a value only
    they hold an extrapolation ('20000 is outside the training data (200 to 16000)'); a run stopped
    (or diverged) before its final pass ended keeps a model of the training rows alone."""
    from glassnet.train import SplitSettings, TrainConfig, train_dataset

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, size=(40, 2))
    y = X.sum(axis=1)
    config = TrainConfig(hidden=(4,), epochs=2, fourier_features=0, refit=case != "no refit", warmup_epochs=0)
    stop = (lambda trainer, record: trainer.request_stop()) if case.startswith("stopped") else None
    run = train_dataset("mine", X, y, config, split=SplitSettings(seed=0, val_fraction=0.2), callback=stop)
    assert run.result.status == ("interrupted" if stop else "completed")
    kept = np.concatenate([run.split.train, run.split.val]) if case == "refit" else run.split.train
    low, high = run.preprocessor.training_range
    np.testing.assert_array_equal(low, X[kept].min(axis=0))
    np.testing.assert_array_equal(high, X[kept].max(axis=0))
    assert (X[run.split.val].min(axis=0) < X[run.split.train].min(axis=0)).any() or (
        X[run.split.val].max(axis=0) > X[run.split.train].max(axis=0)
    ).any()  # the case is there: some validation value lies outside the training rows' range
    # the scaling is the training rows' alone either way
    np.testing.assert_array_equal(run.preprocessor.x_scaler.mean_, X[run.split.train].mean(axis=0))


def test_widen_training_range_refuses_what_the_scaling_refuses() -> None:
    """A 0 in a log column widened the range, and the saved state then failed to load ('needs
    x_min > 0'); a preprocessor whose range is unknown was said not to be fitted."""
    from glassnet.data import Preprocessor

    X = np.array([[1.0, 2.0], [2.0, 3.0]])
    fitted = Preprocessor(log_columns=(0,)).fit(X, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"column 0 is log-transformed and must be > 0, got 0\.0 at row 0"):
        fitted.widen_training_range([[0.0, 2.0]])
    np.testing.assert_array_equal(fitted.training_range[0], [1.0, 2.0])
    state = fitted.to_state()
    del state["x_min"], state["x_max"]
    with pytest.raises(
        ValueError, match=r"the training range is unknown \(a state saved before glassnet kept it\)"
    ):
        Preprocessor.from_state(state).widen_training_range([[1.0, 2.0]])


# --- found by a review of predict and evaluate (2026-11-28, a later session) ------------------------


def _float32_linear_run(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, size=(60, 2))
    y = X @ np.array([2.0, 3.0]) + 1.0
    # weights near (0.5, 0.96): at standardised inputs of 3e38 the output passes float32's 3.4e38
    config = TrainConfig(hidden=(), epochs=100, fourier_features=0, dtype="float32", warmup_epochs=0, lr=0.05)
    folder = tmp_path / "lin32"
    write_run(train_dataset("lin", X, y, config, split=SplitSettings(seed=0)), folder, plots=False)
    return folder, X, y


def _overflowing_row(folder: Path) -> str:
    """A row whose standardised values are 3e38 (float32 holds them) and whose output overflows."""
    from glassnet.checkpoint import load_checkpoint

    scaler = load_checkpoint(folder / "model.npz").load_preprocessor().x_scaler
    return ",".join(repr(float(m + 3e38 * s)) for m, s in zip(scaler.mean_, scaler.scale_, strict=True))


def test_a_prediction_that_overflows_a_scaled_model_is_named_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An inf output of a y-scaled float32 model failed in inverse_transform_y ('y_scaled must be
    finite, got inf at index (1,)'), and predict's own line-numbered message never ran."""
    folder, _, _ = _float32_linear_run(tmp_path)
    rows = tmp_path / "rows.csv"
    rows.write_text(f"1,1\n{_overflowing_row(folder)}\n")
    assert main(["predict", str(folder), str(rows)]) == 2
    err = capsys.readouterr().err
    assert f"{rows}: line 2: the prediction is inf: " in err and "overflow float32" in err


def test_evaluate_reports_an_overflowing_prediction_as_an_infinite_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, X, y = _float32_linear_run(tmp_path)
    data = tmp_path / "data.csv"
    lines = [",".join(repr(float(v)) for v in row) for row in np.column_stack([X, y])]
    data.write_text("\n".join([*lines, _overflowing_row(folder) + ",1.0"]) + "\n")
    assert main(["evaluate", str(folder), "--data", str(data), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["all"]["rmse"] is None  # inf (or NaN), written as JSON's null
    assert "overflow encountered" not in captured.err
    assert main(["evaluate", str(folder), "--data", str(data)]) == 0
    table = capsys.readouterr().out
    assert any(line.lstrip().startswith("all") and "RMSE inf" in line for line in table.splitlines()), table


def test_evaluate_refuses_a_closed_stdout_before_the_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A traceback after all the work (text), or exit 0 having written nothing (--json)."""
    import sys

    monkeypatch.setattr(sys, "stdout", None)
    for extra in ([], ["--json"]):
        assert main(["evaluate", "no-such-model.npz", *extra]) == 2
        assert capsys.readouterr().err == (
            "glassnet evaluate: error: standard output is closed; evaluate writes its metrics there (--json too)\n"
        )


def test_predict_names_a_file_in_the_way_of_its_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = _float32_linear_run(tmp_path)
    rows = tmp_path / "rows.csv"
    rows.write_text("1,1\n")
    assert main(["predict", str(folder), str(rows), "-o", str(rows / "x.csv")]) == 2
    assert (
        capsys.readouterr().err == f"glassnet predict: error: -o {rows / 'x.csv'}: {rows} is not a folder\n"
    )


def test_a_model_saved_without_its_task_is_not_called_a_none_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

    folder, X, y = _float32_linear_run(tmp_path)
    saved = load_checkpoint(folder / "model.npz")
    bare = save_checkpoint(tmp_path / "bare.npz", Checkpoint(spec=saved.spec, members=saved.members))
    data = tmp_path / "data.csv"
    data.write_text(
        "\n".join(",".join(repr(float(v)) for v in row) for row in np.column_stack([X, y])) + "\n"
    )
    assert main(["evaluate", str(bare), "--data", str(data)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{bare}: model [2, 1], 1 member(s)")


def test_predict_names_no_unit_for_a_target_unit_of_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its output's header was 'prediction_None'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    folder = tmp_path / "run"
    config = TrainConfig(hidden=(4,), epochs=2, fourier_features=0)
    run = train_dataset(
        "mine", X, X.sum(axis=1), config, split=SplitSettings(seed=0), info={"target_unit": None}
    )
    write_run(run, folder, plots=False)
    rows = tmp_path / "rows.csv"
    rows.write_text("0.1,0.2\n")
    assert main(["predict", str(folder), str(rows)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "None" not in header


# --- found by a review of the Python training API (2026-11-28, a later session) ---------------------


def test_a_run_keeps_its_own_split_settings() -> None:
    """One SplitSettings reused across a sweep (its seed set each time) made every Run record the
    last seed, and a seed set to -3 afterwards went unchecked to NumPy's message."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0)
    settings, runs = SplitSettings(seed=0), []
    for seed in (0, 1):
        settings.seed = seed
        runs.append(train_dataset("m", X, X.sum(axis=1), config, split=settings))
    assert [run.split_settings.seed for run in runs] == [0, 1]
    settings.seed = -3
    with pytest.raises(ValueError, match=r"seed"):
        train_dataset("m", X, X.sum(axis=1), config, split=settings)


@pytest.mark.parametrize("task", [5, None, "", " "])
def test_a_task_is_a_name(task: object) -> None:
    """train_dataset(5, …) trained and saved "task": 5, which evaluate could not read back."""
    with pytest.raises(TypeError, match=r"^task must be a name \(a non-empty string\), got "):
        train_dataset(task, np.zeros((4, 2)), np.zeros(4), TrainConfig(), split=SplitSettings())


def test_the_api_names_its_arguments_misused(tmp_path: Path) -> None:
    """Raw errors: 'int' object is not iterable (log_columns=0), 'Preprocessor' object has no
    attribute 'spec' (predict_raw's arguments swapped), '_train_dataset() got multiple values for
    keyword argument' (an option train_moons sets)."""
    from glassnet.train import MOONS_CONFIG, train_moons

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    config = TrainConfig(hidden=(4,), epochs=1, fourier_features=0)
    with pytest.raises(TypeError, match=r"log_columns must be a sequence of column indices"):
        train_dataset("m", X, X.sum(axis=1), config, split=SplitSettings(), log_columns=0)
    run = train_dataset("m", X, X.sum(axis=1), config, split=SplitSettings())
    with pytest.raises(
        TypeError, match=r"^predict_raw takes an Ensemble first \(run\.ensemble\(\)\), got Preprocessor$"
    ):
        predict_raw(run.preprocessor, run.ensemble(), X)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^train_moons sets scale_y itself, got scale_y=True$"):
        train_moons(MOONS_CONFIG.replace(epochs=1), scale_y=True)
    with pytest.raises(TypeError, match=r"^train_moons got an unexpected keyword argument 'seed'"):
        train_moons(MOONS_CONFIG.replace(epochs=1), seed=3)


def test_fourier_sigma_takes_numpy_numbers_in_a_list_as_one() -> None:
    """A tuple of np.float32 was refused ('must be a number, got np.float32(0.1)'), and a float32
    array widened to 0.10000000149011612, where np.float32(0.1) alone is 0.1."""
    assert TrainConfig(fourier_sigma=(np.float32(0.1), np.float32(0.3))).fourier_sigma == (0.1, 0.3)
    assert TrainConfig(fourier_sigma=np.array([0.1, 0.3], np.float32)).fourier_sigma == (0.1, 0.3)
    assert TrainConfig(fourier_sigma=[np.int64(1), np.int64(2)]).fourier_sigma == (1.0, 2.0)


def test_fourier_sigma_as_a_0d_array_reads_as_its_number() -> None:
    """np.array(np.float32(0.1)) gave 0.10000000149011612 where every other form gives 0.1."""
    assert TrainConfig(fourier_sigma=np.array(np.float32(0.1))).fourier_sigma == 0.1


def test_a_split_settings_subclass_with_its_own_init_is_taken() -> None:
    """The copy through dataclasses.replace called the subclass's __init__ with every field."""

    class Halves(SplitSettings):
        def __init__(self, seed: int) -> None:
            super().__init__(seed=seed, test_fraction=0.5, val_fraction=0.0)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    run = train_dataset(
        "m", X, X.sum(axis=1), TrainConfig(hidden=(4,), epochs=1, fourier_features=0), split=Halves(3)
    )
    assert len(run.split.test) == 20


def test_evaluate_parts_names_itself_for_swapped_arguments() -> None:
    from glassnet.train import evaluate_parts

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    run = train_dataset(
        "m", X, X.sum(axis=1), TrainConfig(hidden=(4,), epochs=1, fourier_features=0), split=SplitSettings()
    )
    with pytest.raises(TypeError, match=r"^evaluate_parts takes an Ensemble first"):
        evaluate_parts(run.preprocessor, run.ensemble(), X, X.sum(axis=1), {"all": np.arange(40)}, loss="mse")  # type: ignore[arg-type]


def test_predict_and_evaluate_take_a_run_whose_names_are_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """info={"feature_names": None, "target_name": None}: "'NoneType' object is not iterable",
    and a header 'a,b,None'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    folder = tmp_path / "run"
    info = {"feature_names": None, "target_name": None}
    run = train_dataset(
        "mine",
        X,
        X.sum(axis=1),
        TrainConfig(hidden=(4,), epochs=1, fourier_features=0),
        split=SplitSettings(),
        info=info,
    )
    write_run(run, folder, plots=False)
    rows = tmp_path / "rows.csv"
    rows.write_text("0.1,0.2\n")
    assert main(["predict", str(folder), str(rows)]) == 0
    assert "None" not in capsys.readouterr().out.splitlines()[0]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(f"{a},{b},{a + b}" for a, b in X.tolist()) + "\n")
    assert main(["evaluate", str(folder), "--data", str(data)]) == 0


def test_predict_names_the_line_of_a_value_beyond_a_bare_float32_models_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model saved without preprocessing reads rows as they are: 1e39 in a float32 model was
    named by array index ("ensemble input holds 1e+39 at index (1, 0)"), not by line."""
    spec = MLPSpec(sizes=(2, 3, 1), dtype="float32")
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    model = save_checkpoint(tmp_path / "bare32.npz", Checkpoint(spec=spec, members=[weights]))
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2\n1e39,0\n")
    assert main(["predict", str(model), str(rows)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"glassnet predict: error: {rows}: line 2, column 1 (x1): 1e+39 is beyond float32's range"
    )
    assert err.count("\n") == 1
    # float32's largest value as NumPy prints it, 3.4028235e38, rounds to it: a value, not beyond
    rows.write_text("3.4028235e38,0\n")
    assert main(["predict", str(model), str(rows)]) == 0
