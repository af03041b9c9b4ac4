"""glassnet train / evaluate / predict: end to end on airfoil and moons, option checks, Ctrl-C and --resume."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import reseal, rewrite_checkpoint, shared_airfoil
from glassnet._checks import metric_text, seconds_text
from glassnet._files import LOCK_NAME
from glassnet.checkpoint import load_checkpoint, save_checkpoint
from glassnet.cli import build_parser, main
from glassnet.cli._train import config_from_args, run_notes
from glassnet.train import TrainConfig, Trainer
from glassnet.train._engines import NumpyEngine

QUICK = ["--hidden", "32,32", "--epochs", "40", "--batch-size", "64", "--lr", "5e-3", "--warmup-epochs", "2"]


@pytest.fixture(scope="module")
def airfoil_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "quick"
    assert main(["train", "airfoil", *QUICK, "--out", str(out), "--quiet"]) == 0
    return out


def test_train_airfoil_writes_the_run_folder(airfoil_run: Path) -> None:
    names = sorted(p.name for p in airfoil_run.iterdir())
    assert names == [
        "history.csv",
        "loss_curves.png",
        "metrics.json",
        "model.npz",
        "predicted_vs_measured.png",
        "residuals_vs_frequency.png",
    ]
    metrics = json.loads((airfoil_run / "metrics.json").read_text())
    assert metrics["unit"] == "dB"
    # refit: "val" is measured on the validation pass's model, "train" on every row the final
    # model was trained on (1081 training + 121 validation rows)
    assert {part: int(metrics[part]["n"]) for part in ("train", "val", "test")} == {
        "train": 1202,
        "val": 121,
        "test": 301,
    }
    assert metrics["test"]["rmse"] < 3.0  # sanity bound, not the accuracy target
    assert 0.8 < metrics["test"]["r2"] <= 1.0
    with open(airfoil_run / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 40 and rows[0]["epoch"] == "1"  # the validation pass, then the final one
    assert {"train_loss", "val_loss", "val_rmse", "val_mae", "val_r2", "lr"} <= set(rows[0])
    assert rows[0]["refit"] == "nan" and rows[40]["refit"] == "1.0" and rows[40]["val_loss"] == "nan"


def test_evaluate_reproduces_the_saved_metrics(airfoil_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["evaluate", str(airfoil_run), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    saved = json.loads((airfoil_run / "metrics.json").read_text())
    for part in ("train", "test"):
        assert measured[part]["rmse"] == pytest.approx(saved[part]["rmse"], rel=1e-12)
    assert "val" not in measured  # a refit model has trained on the validation rows
    assert measured["all"]["n"] == 1503
    assert main(["evaluate", str(airfoil_run / "model.npz")]) == 0
    assert "\n  train+val  RMSE" in (out := capsys.readouterr().out) and "\n  test       RMSE" in out


def airfoil_variant(tmp_path: Path, change: str) -> Path:
    """The published file with its rows reversed, or every target 20 dB louder: same row count."""
    header, *lines = shared_airfoil().read_text().splitlines()
    if change == "reversed":
        lines = lines[::-1]
    else:
        lines = [",".join([*line.split(",")[:5], repr(float(line.split(",")[5]) + 20.0)]) for line in lines]
    path = tmp_path / f"{change}.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


@pytest.mark.parametrize("change", ["reversed", "louder"])
def test_evaluate_on_other_data_of_the_same_size_measures_all_rows_only(
    change: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The saved split names rows by index: on other rows its "train"/"test" would be wrong rows."""
    data = airfoil_variant(tmp_path, change)
    capsys.readouterr()
    assert main(["evaluate", str(airfoil_run), "--data", str(data), "--json"]) == 0
    captured = capsys.readouterr()
    measured = json.loads(captured.out)
    assert list(measured) == ["all"] and measured["all"]["n"] == 1503
    assert (
        f"glassnet evaluate: warning: --data {data} is not the data this model was trained on (its rows "
        "differ from the run's, in values or in order (another SHA-256)); measured on all its rows only "
        "('all'), not on the run's train/val/test parts\n"
    ) in captured.err


def without_info(key: str) -> Any:
    """A change for :func:`rewrite_checkpoint`: drop ``info[key]``, as a checkpoint saved before
    glassnet wrote it would lack it."""

    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        del meta["info"][key]
        reseal(arrays, meta)

    return change


def test_a_relative_data_path_is_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """metrics.json and the model record the file the run read as an absolute path, so that
    the hints naming it (evaluate, predict) hold from any folder."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_bytes(shared_airfoil().read_bytes())
    monkeypatch.chdir(tmp_path)
    argv = [
        "train",
        "airfoil",
        "--data",
        "data/a.csv",
        "--epochs",
        "1",
        "--hidden",
        "4",
        "--quiet",
        "--no-plots",
    ]
    assert main([*argv, "--out", "run"]) == 0
    expected = os.path.abspath("data/a.csv")  # the folder's links kept, as the user named it
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["data_source"] == expected
    assert load_checkpoint(tmp_path / "run" / "model.npz").info["data_source"] == expected


@pytest.mark.parametrize("log_features", [True, False])
def test_metrics_json_names_the_features_taken_as_logs(log_features: bool, tmp_path: Path) -> None:
    """With and without --no-log-features, metrics.json differed only in the metrics: the rows the
    model saw could not be told from it (model.npz records them)."""
    argv = ["train", "airfoil", "--data", str(shared_airfoil()), "--epochs", "1", "--hidden", "4"]
    extra = [] if log_features else ["--no-log-features"]
    assert (
        main([*argv, *extra, "--warmup-epochs", "0", "--quiet", "--no-plots", "--out", str(tmp_path / "r")])
        == 0
    )
    document = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert document["log_features"] == (["frequency", "displacement_thickness"] if log_features else [])
    assert "moons" not in document


def test_metrics_json_of_moons_records_the_generated_set(tmp_path: Path) -> None:
    """--samples, --noise and the seed drew the rows, and metrics.json named none of them."""
    argv = ["train", "moons", "--samples", "150", "--noise", "0.35", "--seed", "3", "--epochs", "2"]
    assert main([*argv, "--quiet", "--no-plots", "--out", str(tmp_path / "m")]) == 0
    document = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert document["moons"] == {"n_samples": 150, "noise": 0.35, "data_seed": 3}
    assert document["log_features"] == []


def test_evaluate_without_data_names_the_file_the_model_was_trained_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The usual search finds the published rows, not the run's: the warning says which file to give.
    (Named, not read: nothing a checkpoint holds is opened as a path.)"""
    data = airfoil_variant(tmp_path, "reversed")
    out = tmp_path / "run"
    argv = ["train", "airfoil", "--epochs", "1", *TINY_AIRFOIL, "--data", str(data), "--out", str(out)]
    assert main(argv) == 0
    assert evaluated_sizes(out, capsys) == {"all": 1503}
    main(["evaluate", str(out)])
    assert capsys.readouterr().err == (
        "glassnet evaluate: warning: the data found is not the data this model was trained on (its rows "
        "differ from the run's, in values or in order (another SHA-256)); measured on all its rows only "
        f"('all'), not on the run's train/val/test parts; its run read {data}: give that file with --data\n"
    )
    assert main(["evaluate", str(out), "--data", str(data), "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)) == ["train", "test", "all"]


def test_evaluate_where_no_data_is_found_names_the_file_the_model_was_trained_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed glassnet has no checkout's copy to fall back on: the error says which file to give."""
    data = airfoil_variant(tmp_path, "reversed")
    out = tmp_path / "run"
    argv = ["train", "airfoil", "--epochs", "1", *TINY_AIRFOIL, "--data", str(data), "--out", str(out)]
    assert main(argv) == 0
    monkeypatch.setattr("glassnet.data._airfoil.source_checkout_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glassnet evaluate: error: airfoil data not found")
    assert err.endswith(f"; the model's run read {data}: give that file with --data\n")


@pytest.mark.parametrize(
    ("target", "nulls"),
    # R² of constant targets: 0/0; three targets of 1.7e308: their means and squares are taken in
    # units of a power of two, so RMSE and MAE (1.7e308) are numbers and R² still undefined
    [("126.5", {"r2"}), ("1.7e308", {"r2"})],
)
def test_evaluate_json_writes_null_for_nan_and_infinity(
    target: str, nulls: set[str], airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As metrics.json does: NaN and Infinity are not JSON, and strict parsers refuse them."""
    data = tmp_path / "three.csv"
    data.write_text(f"800,0,0.3048,71.3,0.00266337,{target}\n" * 3)
    capsys.readouterr()
    with np.errstate(over="ignore"):  # the overflow is the case under test
        assert main(["evaluate", str(airfoil_run), "--data", str(data), "--json"]) == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"evaluate --json wrote {constant}, which is not JSON")

    measured = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert {name for name, value in measured["all"].items() if value is None} == nulls


def test_evaluate_refuses_a_model_whose_split_points_outside_its_data(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A negative row index would measure "test" on rows counted from the end: refused on loading."""
    model = tmp_path / "model.npz"
    model.write_bytes((airfoil_run / "model.npz").read_bytes())

    def damage(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        arrays["arrays/split_test"] = arrays["arrays/split_test"] - 2000
        reseal(arrays, meta)

    rewrite_checkpoint(model, damage)
    capsys.readouterr()
    assert main(["evaluate", str(model)]) == 2
    assert capsys.readouterr().err.startswith(
        f"glassnet evaluate: error: {model}: damaged split: 'split_test' holds row -"
    )


def evaluated_sizes(model: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    """``glassnet evaluate MODEL --json``: the row count of every part measured."""
    capsys.readouterr()
    assert main(["evaluate", str(model), "--json"]) == 0
    return {part: values["n"] for part, values in json.loads(capsys.readouterr().out).items()}


def test_a_model_saved_before_data_fingerprints_is_evaluated_by_row_count(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = tmp_path / "model.npz"
    older.write_bytes((airfoil_run / "model.npz").read_bytes())

    rewrite_checkpoint(older, without_info("data_sha256"))
    assert evaluated_sizes(older, capsys) == {"train": 1202, "test": 301, "all": 1503}


def interrupted_airfoil_run(out: Path, *, in_final_pass: bool = False) -> None:
    """An airfoil run stopped after the first epoch of its validation pass (or of its final,
    refit pass), its resume checkpoint saved in ``out``."""
    from glassnet.data import load_airfoil
    from glassnet.train import TrainConfig, train_airfoil
    from glassnet.train.artifacts import save_resume

    def stop(trainer: Any, record: dict[str, float]) -> None:
        if not in_final_pass or record.get("refit") == 1.0:
            trainer.request_stop()

    config = TrainConfig(hidden=(8,), epochs=3, fourier_features=0, warmup_epochs=1)
    run = train_airfoil(load_airfoil(shared_airfoil()), config, callback=stop)
    assert run.result.status == "interrupted"
    save_resume(run, out, force=True)  # as train --force would, over a run in ``out``


@pytest.mark.parametrize("change", ["reversed", "louder"])
def test_resume_refuses_other_data_of_the_same_size(
    change: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    interrupted_airfoil_run(out)
    data = airfoil_variant(tmp_path, change)
    argv = ["train", "airfoil", "--out", str(out), "--resume", "--quiet", "--no-plots"]
    capsys.readouterr()
    assert main([*argv, "--data", str(data), "--threads", "2"]) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "error: the data differs from the interrupted run's (its rows differ from the run's, in values or "
        "in order (another SHA-256)); resume with the same --data\n"
    )
    assert "note:" not in err  # "resumed with threads 2" came before the refusal

    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz"]
    assert main([*argv, "--data", str(shared_airfoil())]) == 0


DIVERGING = [  # a learning rate of 10 with momentum 0.99: the loss overflows in the validation pass
    *["--epochs", "20", "--hidden", "16", "--fourier-features", "0", "--optimizer", "sgd", "--lr", "10"],
    *["--momentum", "0.99", "--schedule", "constant", "--weight-decay", "0", "--quiet", "--no-plots"],
]


def test_a_run_that_diverges_in_its_first_epoch_writes_a_history_with_a_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No epoch finished: history.csv holds the header of the columns every record has, not an
    empty line that CSV readers refuse."""
    out = tmp_path / "dv"
    first_epoch = [*DIVERGING, "--epochs", "2"]  # later options win; lr 10 overflows in epoch 1
    assert main(["train", "airfoil", *first_epoch, "--out", str(out)]) == 1
    assert "diverged at epoch 1" in capsys.readouterr().err
    with (out / "history.csv").open(newline="") as file:
        assert list(csv.reader(file)) == [["member", "epoch", "lr", "train_loss"]]


def test_evaluate_of_a_run_that_diverged_before_its_refit_measures_the_validation_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """config.refit is set, but no refit happened: the model kept never trained on the val rows."""
    out = tmp_path / "dv"
    assert main(["train", "airfoil", *DIVERGING, "--out", str(out)]) == 1
    assert "in the validation pass" in capsys.readouterr().err
    model = load_checkpoint(out / "model.npz")
    assert model.config is not None and model.config.refit and model.info["refit"] is False
    sizes = {"train": 1081, "val": 121, "test": 301, "all": 1503}
    assert evaluated_sizes(out, capsys) == sizes
    rewrite_checkpoint(out / "model.npz", without_info("refit"))
    assert evaluated_sizes(out, capsys) == sizes  # read from its history: no record of a final pass


@pytest.mark.parametrize(
    ("in_final_pass", "sizes"),
    [
        (False, {"train": 1081, "val": 121, "test": 301, "all": 1503}),
        # stopped in the final pass, it saves its finished validation pass, not the weights in progress
        (True, {"train": 1081, "val": 121, "test": 301, "all": 1503}),
    ],
)
def test_evaluate_of_an_interrupted_run_measures_the_pass_its_checkpoint_holds(
    in_final_pass: bool, sizes: dict[str, float], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    interrupted_airfoil_run(tmp_path, in_final_pass=in_final_pass)
    assert evaluated_sizes(tmp_path / "checkpoint.npz", capsys) == sizes
    assert evaluated_sizes(tmp_path, capsys) == sizes  # the run folder: no model.npz, its checkpoint
    if not in_final_pass:  # a checkpoint without info["refit"]: read from the job in progress
        rewrite_checkpoint(tmp_path / "checkpoint.npz", without_info("refit"))
        assert evaluated_sizes(tmp_path / "checkpoint.npz", capsys) == sizes


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_an_interrupted_runs_checkpoint_is_used_with_a_warning_that_it_is_unfinished(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run folder without model.npz is read through its checkpoint.npz: say so, and how to finish it."""
    run = tmp_path / "run"
    interrupted_airfoil_run(run)
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    capsys.readouterr()
    assert main([command, str(run), *([str(rows)] if command == "predict" else [])]) == 0
    assert capsys.readouterr().err == (
        f"glassnet {command}: warning: {run / 'checkpoint.npz'} is the checkpoint of an interrupted run "
        "(interrupted in validation pass, epoch 2 after 0 batch(es)), not a finished model; "
        f"`glassnet train airfoil --out {run} --data {shared_airfoil()} --resume` finishes it\n"
    )


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_diverged_runs_model_is_used_with_a_warning_that_it_diverged(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its numbers (a level of 4.9e75 dB, say) were printed without a word; an RMSE past a million
    is printed in four significant digits, not seventy-six."""
    out = tmp_path / "dv"
    assert main(["train", "airfoil", *DIVERGING, "--out", str(out)]) == 1
    message = load_checkpoint(out / "model.npz").info["message"]
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    capsys.readouterr()
    assert main([command, str(out), *([str(rows)] if command == "predict" else [])]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        f"glassnet {command}: warning: {out / 'model.npz'} is the model of a run that diverged ({message})\n"
    )
    if command == "evaluate":
        assert all(len(number) < 12 for number in re.findall(r"(?:RMSE|MAE|R²) (\S+)", captured.out))


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0.9781, 3, "0.978"),
        (-0.25, 4, "-0.2500"),
        (4.9e75, 3, "4.9e+75"),
        (-3.2e150, 4, "-3.2e+150"),
        (math.nan, 3, "nan"),
        (0.0, 3, "0.000"),
        (0.0123, 3, "0.012"),
        (0.004, 3, "0.004"),  # a digit shown: fixed decimals still, as the rest of a table
        (1.2447e-05, 3, "1.245e-05"),  # fixed decimals would print 0.000
        (-0.000042, 4, "-4.2e-05"),
    ],
)
def test_a_metric_is_printed_in_fixed_decimals_unless_they_show_no_digit_or_a_million(
    value: float, decimals: int, text: str
) -> None:
    assert metric_text(value, decimals) == text


@pytest.mark.parametrize("refit", [True, False])
def test_an_ensemble_interrupted_in_its_second_member_saves_the_finished_first(refit: bool) -> None:
    """Not the second member's few epochs: with refit, the finished member is a validation pass."""
    from glassnet.data import load_airfoil
    from glassnet.train import TrainConfig, train_airfoil
    from glassnet.train.artifacts import run_checkpoint

    def stop_in_member_2(trainer: Any, record: dict[str, float]) -> None:
        if record["member"] == 1.0 and record["epoch"] == 2.0:
            trainer.request_stop()

    config = TrainConfig(hidden=(8,), epochs=4, ensemble=2, fourier_features=0, warmup_epochs=1, refit=refit)
    run = train_airfoil(load_airfoil(shared_airfoil()), config, callback=stop_in_member_2)
    assert run.result.resume is not None and run.result.resume.member == 1
    (finished,) = run.result.resume.finished
    checkpoint = run_checkpoint(run, with_resume=True)
    assert len(checkpoint.members) == 1 and checkpoint.info["refit"] is False
    for name, value in finished.weights.items():
        np.testing.assert_array_equal(checkpoint.members[0][name], value)


def test_a_run_interrupted_in_its_first_member_just_after_an_overflow_saves_finite_weights(
    tmp_path: Path,
) -> None:
    """The model of such a run is the weights its epoch started from; the resume state keeps
    the overflowed weights (resuming meets the divergence). They made a file that no load took."""
    from glassnet.data import load_airfoil
    from glassnet.train import TrainConfig, train_airfoil
    from glassnet.train.artifacts import run_checkpoint

    def stop_in_member_1(trainer: Any, record: dict[str, float]) -> None:
        if record["epoch"] == 2.0:
            trainer.request_stop()

    config = TrainConfig(hidden=(8,), epochs=4, fourier_features=0, warmup_epochs=1, refit=False)
    run = train_airfoil(load_airfoil(shared_airfoil()), config, callback=stop_in_member_1)
    resume = run.result.resume
    assert resume is not None and resume.member == 0 and not run.result.members
    start = {name: values + 1.0 for name, values in resume.weights.items()}
    resume.weights = {name: np.full_like(values, np.nan) for name, values in resume.weights.items()}
    resume.epoch_start_weights = start  # as an interruption just after the overflowing step leaves them
    path = save_checkpoint(tmp_path / "checkpoint.npz", run_checkpoint(run, with_resume=True))
    loaded = load_checkpoint(path)
    assert loaded.resume is not None and all(np.isnan(v).all() for v in loaded.resume.weights.values())
    for name, values in start.items():
        np.testing.assert_array_equal(loaded.members[0][name], values)


EARLY_STOPPING = [  # a learning rate this high stops the validation pass at epoch 10, best epoch 8
    *["--hidden", "16", "--epochs", "30", "--batch-size", "64", "--lr", "3e-2", "--warmup-epochs", "0"],
    *["--fourier-features", "0", "--quiet", "--no-plots"],
]
STOPPED = {"epochs_run": 10, "best_epoch": 8, "status": "early_stopped"}
ALL_EPOCHS = {"epochs_run": 30, "best_epoch": 30, "status": "completed"}  # the final pass keeps its last
BEST_EPOCHS = {"epochs_run": 8, "best_epoch": 8, "status": "completed"}  # as many as the validation pass kept


@pytest.mark.parametrize(
    ("options", "member"),
    [
        (["--patience", "2"], {**BEST_EPOCHS, "validation_pass": STOPPED}),
        # without restore the validation pass kept its 10th epoch, and so many the final pass trains
        (
            ["--patience", "2", "--no-restore-best"],
            {
                **BEST_EPOCHS,
                "epochs_run": 10,
                "best_epoch": 10,
                "validation_pass": {**STOPPED, "best_epoch": 10},
            },
        ),
        (["--patience", "2", "--no-refit"], STOPPED),  # the early-stopped model is the one kept
        (
            [],
            {**ALL_EPOCHS, "validation_pass": {**ALL_EPOCHS, "best_epoch": 23}},
        ),  # restore_best, no patience
    ],
)
def test_under_refit_the_final_pass_trains_the_epochs_early_stopping_chose(
    options: list[str], member: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["train", "airfoil", *EARLY_STOPPING, *options, "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    document = json.loads((tmp_path / "metrics.json").read_text())
    assert document["members"] == [{"member": 0, "activation": "relu", **member}]
    cut = "retrained on the training and validation rows for as many epochs as its validation pass kept (patience > 0"
    assert (cut in document["protocol"]) == ("--patience" in options and "--no-refit" not in options)
    with open(tmp_path / "history.csv") as handle:  # the epochs reported are the history's
        passes = [row.get("refit", "nan") for row in csv.DictReader(handle)]
    validated = member.get("validation_pass", member)["epochs_run"]
    assert passes == ["nan"] * validated + ["1.0"] * (len(passes) - validated)
    assert len(passes) == validated + (member["epochs_run"] if "validation_pass" in member else 0)


def test_predict_writes_one_prediction_per_row(airfoil_run: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "frequency,aoa,chord,velocity,thickness\n800,0,0.3048,71.3,0.00266337\n4000;3;0.1;39.6;0.002\n".replace(
            ";", ","
        )
    )
    out = tmp_path / "pred.csv"
    assert main(["predict", str(airfoil_run), str(rows), "-o", str(out)]) == 0
    with open(out) as handle:
        table = list(csv.reader(handle))
    assert table[0][-1] == "sound_pressure_level_dB"
    assert len(table) == 3
    values = [float(line[-1]) for line in table[1:]]
    assert all(100.0 < v < 145.0 for v in values)
    checkpoint = load_checkpoint(airfoil_run / "model.npz")
    from glassnet.train import predict_raw

    expected = predict_raw(
        checkpoint.ensemble(), checkpoint.load_preprocessor(), np.array([[800, 0, 0.3048, 71.3, 0.00266337]])
    )
    assert values[0] == pytest.approx(expected[0], abs=1e-6)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("800,0,0.3048,71.3,0.00266337\n1000,x,0.3,71,0.002\n", "line 2, column 2"),
        ("800,0,0.3048,71.3\n", "line 1"),
        ("800,0,0.3048,71.3,nan\n", "line 1"),
        (  # every bad line named: the first in full, the others by number
            "f,a,c,v,t\n800,0,0.3,71,0.002\n1000,x,0.3,71,0.002\n# note\n1,2\n800,0,0.3,71,inf\n",
            "line 3, column 2 (angle_of_attack): expected a number, got 'x'; 2 more bad lines, at lines 5 and 6",
        ),
        (  # physical magnitudes must be > 0, as load_airfoil asks of a data file: named by file line
            "f,a,c,v,t\n800,0,0.3,71,0.002\n0,0,0.3,71,0.002\n800,0,0.3,71,-1\n",
            "line 3, column 1 (frequency): must be > 0 (a physical magnitude), got 0; 1 more bad line, at line 4",
        ),
        (  # velocity and chord too, though the model takes no logarithm of them
            "f,a,c,v,t\n800,0,0.3,71,0.002\n800,0,0.3,-71,0.002\n800,0,0,71,0.002\n",
            "line 3, column 4 (velocity): must be > 0 (a physical magnitude), got -71; 1 more bad line, at line 4",
        ),
        (  # the model's own names in another order: read by position, the columns would be swapped
            "velocity,frequency,angle_of_attack,chord_length,displacement_thickness\n71.3,800,0,0.3048,0.0026\n",
            "the header lists the model's features in another order (velocity, frequency, angle_of_attack, "
            "chord_length, displacement_thickness); the model reads its columns by position, as frequency, "
            "angle_of_attack, chord_length, velocity, displacement_thickness: put the columns in that order",
        ),
        (  # the published copies' abbreviations in another order: known, so refused as well
            "AOA,Freq,Chord,Velocity,Displacement\n0,800,0.3048,71.3,0.0026\n",
            "the header lists the model's features in another order (AOA, Freq, Chord, Velocity, Displacement)",
        ),
        (  # values whose standardised form (x − μ) / σ, or its Fourier angles, overflow
            "f,a,c,v,t\n800,0,0.3,71,0.002\n800,0,1e308,71,0.002\n800,0,1e307,71,0.002\n",
            "line 3, column 3 (chord_length): 1e+308 is too far from the training data: "
            "its scaled features overflow float64; 1 more bad line, at line 4",
        ),
    ],
)
def test_predict_reports_bad_rows_by_line(
    content: str, match: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "bad.csv"
    rows.write_text(content)
    assert main(["predict", str(airfoil_run), str(rows)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err


def test_predict_and_evaluate_name_the_values_that_overflow_a_float32_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check was float64's: the row reached the model, and its float32 input was refused
    as 'ensemble input holds 6.4e+38 at index (2, 3)', a standardised value at a 0-based index."""
    run = tmp_path / "run32"
    assert main(["train", "airfoil", *QUICK, "--float32", "--out", str(run), "--quiet"]) == 0
    rows = tmp_path / "big.csv"
    rows.write_text(
        "f,a,c,v,t\n800,0,0.3,71,0.002\n800,0,0.3,1e40,0.002\n800,0,0.3,71,0.002\n800,0,0.3,-1e39,0.002\n"
    )
    capsys.readouterr()
    assert main(["predict", str(run), str(rows)]) == 2
    err = capsys.readouterr().err
    expected = (
        "line 3, column 4 (velocity): 1e+40 is too far from the training data: its scaled features "
        "overflow float32; 1 more bad line, at line 5"
    )
    assert err.count("\n") == 1 and expected in err, err
    data = tmp_path / "big_data.csv"  # evaluate and train: the same row in a data file, by its line
    data.write_text(
        "# a comment line\n800,0,0.3048,71.3,0.00266337,126.2\n1000,0,0.3048,1e40,0.00266337,125.2\n"
    )
    assert main(["evaluate", str(run), "--data", str(data)]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    # it was "X[1, 3] = 1e+40 …", an index into an array the user never saw
    assert err.endswith(
        f"error: {data}: line 3, column 4 (velocity): 1e+40 is too large: its standardised value or Fourier "
        "angles overflow float32"
    ), err


@pytest.mark.parametrize(
    "header",
    [
        "",
        "frequency,angle_of_attack,chord_length,velocity,displacement_thickness\n",
        "Freq,AOA,Chord,Velocity,Disp\n",
    ],
)
def test_predict_reads_a_header_in_the_models_order_or_of_other_names(
    header: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(header + "800,0,0.3048,71.3,0.00266337\n")
    capsys.readouterr()
    assert main(["predict", str(airfoil_run), str(rows)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("800.0,0.0,0.3048,71.3,0.00266337,")


def test_predict_reads_standard_input_and_writes_standard_output_for_dashes(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cat rows.csv | glassnet predict MODEL - -o -`` predicts what the file gives; errors name <stdin>."""
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n4000,3,0.1,39.6,0.002\n")
    capsys.readouterr()
    assert main(["predict", str(airfoil_run), str(rows)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(rows.read_bytes())))
    assert main(["predict", str(airfoil_run), "-", "-o", "-"]) == 0
    assert capsys.readouterr().out == from_file
    assert not (Path.cwd() / "-").exists()
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b"800,0,0.3048,71.3,0.0026\n800,x,0.3,71,0.002\n"))
    )
    assert main(["predict", str(airfoil_run), "-"]) == 2
    assert capsys.readouterr().err == (
        "glassnet predict: error: <stdin>: line 2, column 2 (angle_of_attack): expected a number, got 'x'\n"
    )


def test_predict_refuses_an_output_in_a_missing_folder_before_any_work(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not after reading and predicting every row: the folder is checked with the other -o checks."""
    out = tmp_path / "missing" / "pred.csv"
    capsys.readouterr()
    assert main(["predict", str(airfoil_run), str(tmp_path / "absent.csv"), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: -o {out}: folder {str(out.parent)!r} does not exist\n"
    )
    assert not out.parent.exists()


def test_predict_warns_in_one_line_about_rows_outside_the_training_range(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "f,a,c,v,t\n800,0,0.3048,71.3,0.00266337\n800,40,0.3048,71.3,0.00266337\n1e6,0,0.3,71.3,0.002\n"
    )
    assert main(["predict", str(airfoil_run), str(rows)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 4  # the header and every row, predicted all the same
    assert captured.err == (
        f"glassnet predict: warning: {rows}: line 3, column 2 (angle_of_attack): 40 is outside the training data "
        "(0 to 22.2), so its prediction is an extrapolation; 1 more such row, at line 4\n"
    )
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    assert main(["predict", str(airfoil_run), str(rows)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["train airfoil", "evaluate"])
def test_a_data_file_with_a_zero_frequency_is_named_by_line(
    command: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not 'row 1081' of the training part, which the log transform would name: the file's line."""
    data = tmp_path / "data.csv"
    lines = shared_airfoil().read_text().splitlines()
    data.write_text("\n".join([*lines, "0,0,0.3048,71.3,0.00266337,126.201"]) + "\n")
    argv = ["train", "airfoil", "--epochs", "1", "--out", str(tmp_path / "run")]
    if command == "evaluate":
        argv = ["evaluate", str(airfoil_run)]
    assert main([*argv, "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"glassnet {command}: error: {data}: line {len(lines) + 1}, column 1 (frequency): "
        "must be > 0 (a physical magnitude), got 0\n"
    )


def test_warnings_are_one_line_without_python_source(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part = tmp_path / "part.csv"
    part.write_text("\n".join(shared_airfoil().read_text().splitlines()[:200]) + "\n")
    assert main(["evaluate", str(airfoil_run), "--data", str(part)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"glassnet evaluate: warning: {part}: differs from the published airfoil data set")
    assert ".py" not in err
    _, second = err.splitlines()  # and, one line too: the run's train/val/test parts are not measured
    assert second.startswith(
        f"glassnet evaluate: warning: --data {part} is not the data this model was trained on"
    )


def test_train_moons_plots_the_decision_boundary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "moons"
    assert main(["train", "moons", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "(2, 3, 1)" in text and "accuracy" in text
    assert (out / "decision_boundary.png").stat().st_size > 1000
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.8
    points = tmp_path / "points.csv"
    points.write_text("0,0\n1.5,-0.5\n")
    assert main(["predict", str(out), str(points)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "x1,x2,logit,probability,label"
    points.write_text("x2,x1\n0,0\n")  # the model's names swapped: refused, not read by position
    assert main(["predict", str(out), str(points)]) == 2
    assert "the header lists the model's features in another order (x2, x1)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("--epochs", "0", r"--epochs must be an integer in \[1, 1000000\], got 0"),
        ("--epochs", "-5", "--epochs must be an integer"),
        ("--epochs", "10000000000", "--epochs must be an integer"),
        ("--epochs", "many", "--epochs must be an integer"),
        ("--lr", "0", r"--lr must be a number in \(0, 10\]"),
        ("--lr", "-0.001", "--lr must be a number"),
        ("--lr", "inf", "--lr must be a number"),
        ("--lr", "1e6", "--lr must be a number"),
        ("--batch-size", "0", "--batch-size must be an integer"),
        ("--batch-size", "1e9", "--batch-size must be an integer"),
        ("--ensemble", "0", "--ensemble must be an integer"),
        ("--ensemble", "5000", "--ensemble must be an integer"),
        ("--seed", "-1", "--seed must be an integer"),
        (
            "--seed",
            str(2**63),
            r"--seed must be an integer in \[0, 9223372036854775807\], got 9223372036854775808",
        ),
        ("--momentum", "1", r"--momentum must be a number in \[0, 1\), got 1$"),
        ("--hidden", "128,0", "--hidden widths must be an integer"),
        ("--hidden", "12x", "--hidden widths must be an integer"),
        ("--hidden", "16384,16384,16384", "parameters"),
        ("--weight-decay", "-0.1", "--weight-decay must be a number"),
        ("--patience", "-1", "--patience must be an integer"),
        ("--clip-norm", "nan", "--clip-norm must be a number"),
        ("--warmup-epochs", "-1", "--warmup-epochs must be an integer"),
        ("--test-fraction", "1", "--test-fraction must be a number"),
        ("--val-fraction", "-0.1", "--val-fraction must be a number"),
        ("--device", "cuda", "--device cuda needs --engine torch"),
        (
            "--fourier-sigma",
            "0.2,x",
            r"--fourier-sigma takes one number in \(0, 1e\+06\] for every feature, or one per feature, "
            r"comma-separated, got '0.2,x'",
        ),
        ("--fourier-sigma", "0.2,0", r"or one per feature, comma-separated, got '0.2,0'"),
        ("--fourier-sigma", "0.2,", r"or one per feature, comma-separated, got '0.2,'"),
        ("--fourier-sigma", "0.2 0.3", r"or one per feature, comma-separated, got '0.2 0.3'"),
        (
            "--fourier-sigma",
            "0.2,0.3",
            r"--fourier-sigma gives 2 values for 5 features: give one σ for all of them, or 5, comma-separated",
        ),
    ],
)
def test_bad_numbers_give_one_line(
    option: str, value: str, match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "airfoil", option, value, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("glassnet train airfoil: error: ")
    assert re.search(match, err), err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--momentum", "0.5"], "--momentum has no effect in this run: it applies with --optimizer sgd only"),
        # no step is captured off CUDA, nor in float64: the flag changed nothing, unsaid
        (["--no-cuda-graph"], "--no-cuda-graph has no effect in this run: it applies with --engine torch --device cuda --float32 only (every other run steps eagerly)"),
        (["--engine", "torch", "--no-cuda-graph", "--float32"], "--no-cuda-graph has no effect in this run: it applies with --engine torch --device cuda --float32 only (every other run steps eagerly)"),
        (["--schedule", "step", "--warmup-epochs", "3"], "--warmup-epochs has no effect in this run: it applies with --schedule cosine only"),
        (["--min-lr-factor", "0.1", "--schedule", "constant"], "--min-lr-factor has no effect in this run: it applies with --schedule cosine only"),
        (["--step-size", "10"], "--step-size has no effect in this run: it applies with --schedule step only"),
        (["--gamma", "0.5"], "--gamma has no effect in this run: it applies with --schedule step or exponential only"),
        (["--fourier-features", "0", "--fourier-sigma", "1"], "--fourier-sigma has no effect in this run: it applies with --fourier-features above 0 only"),
        # a network without hidden layers applies no hidden activation; evaluate then named two
        (["--hidden", "", "--activation", "tanh"], "--activation has no effect in this run: it applies with hidden layers (--hidden not empty) only"),
    ],
)  # fmt: skip
def test_an_option_the_run_would_ignore_is_refused(
    options: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--momentum with AdamW (the default), say, would change nothing: refused, not ignored."""
    assert main(["train", "airfoil", *options, "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == f"glassnet train airfoil: error: {message}\n"
    assert not (tmp_path / "x").exists()


def test_the_same_options_are_taken_where_they_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = ["--epochs", "2", "--hidden", "4", "--quiet", "--no-plots", "--warmup-epochs", "0"]
    options = [
        *small,
        "--optimizer",
        "sgd",
        "--momentum",
        "0.5",
        "--fourier-sigma",
        "1,1,1.5,0.5,1",
        "--min-lr-factor",
        "0.1",
    ]
    assert main(["train", "airfoil", *options, "--out", str(tmp_path / "a")]) == 0
    saved = load_checkpoint(tmp_path / "a" / "model.npz")
    assert saved.config is not None and saved.config.fourier_sigma == (1.0, 1.0, 1.5, 0.5, 1.0)
    np.testing.assert_array_equal(saved.preprocessor["fourier_sigma"], [1.0, 1.0, 1.5, 0.5, 1.0])
    stepped = ["--epochs", "2", "--hidden", "4", "--quiet", "--no-plots", "--schedule", "step"]
    assert (
        main(
            ["train", "airfoil", *stepped, "--step-size", "1", "--gamma", "0.5", "--out", str(tmp_path / "b")]
        )
        == 0
    )
    assert capsys.readouterr().err == ""


def test_the_options_ranges_are_the_configurations() -> None:
    """The command line refused seeds above 2³² − 1, widths above 16,384 and momentum above
    0.999999, which TrainConfig takes: one set of bounds, TrainConfig's."""
    options = ["train", "airfoil", "--seed", str(2**63 - 1), "--hidden", "100000", "--optimizer", "sgd"]
    config = config_from_args(build_parser().parse_args([*options, "--momentum", "0.9999999"]), TrainConfig())
    assert (config.seed, config.hidden, config.momentum) == (2**63 - 1, (100000,), 0.9999999)


def test_no_cuda_graph_is_taken_where_steps_are_captured() -> None:
    """The one configuration that captures steps (torch on cuda, float32) takes --no-cuda-graph;
    built from the options alone, as this machine may have no GPU to train on."""
    options = ["train", "airfoil", "--engine", "torch", "--device", "cuda", "--float32", "--no-cuda-graph"]
    config = config_from_args(build_parser().parse_args(options), TrainConfig())
    assert (config.device, config.dtype, config.cuda_graph) == ("cuda", "float32", False)


def test_existing_out_folder_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["train", "moons", "--out", str(out), "--quiet", "--epochs", "2"]) == 2
    assert "is not empty; use --force" in capsys.readouterr().err
    assert main(["train", "moons", "--out", str(out), "--quiet", "--epochs", "2", "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # --force replaces run files only
    assert (out / "model.npz").is_file()


@pytest.mark.parametrize("name", ["history.csv", "metrics.json", "loss_curves.png"])
@pytest.mark.parametrize("how", ["copy", "link"])
def test_force_never_writes_a_run_file_over_the_data_the_run_reads(
    name: str, how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data kept in --out under a run file's name (or linked there under another) was replaced
    by the run's file with --force, which the "not empty" refusal points to: the data lost, and
    the model naming its own history as its data file."""
    out = tmp_path / "run"
    out.mkdir()
    data = out / name
    if how == "copy":
        data.write_bytes(shared_airfoil().read_bytes())
    else:
        os.link(shared_airfoil(), data)
    before = data.read_bytes()
    given = data if how == "copy" else shared_airfoil()
    argv = [
        "train",
        "airfoil",
        "--epochs",
        "1",
        *TINY_AIRFOIL,
        "--data",
        str(given),
        "--out",
        str(out),
        "--force",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{data} is the data file this run reads" in err
    assert f"would replace it with its {name}: choose another folder (--out)" in err
    assert data.read_bytes() == before
    assert sorted(path.name for path in out.iterdir() if path.name != LOCK_NAME) == [name]


def test_resume_never_writes_a_run_file_over_the_data_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    interrupted_airfoil_run(out)
    data = out / "history.csv"
    data.write_bytes(shared_airfoil().read_bytes())
    argv = ["train", "airfoil", "--out", str(out), "--resume", "--quiet", "--no-plots", "--data", str(data)]
    assert main(argv) == 2
    assert f"{data} is the data file this run reads" in capsys.readouterr().err
    assert data.read_bytes() == shared_airfoil().read_bytes()


def test_force_keeps_the_old_run_until_the_new_one_has_written_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", "moons", "--out", str(out), "--quiet", "--epochs", "2"]) == 0
    (out / "notes.txt").write_text("mine")
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    assert "decision_boundary.png" in before
    one_row = tmp_path / "one_row.csv"
    one_row.write_text("800,0,0.3048,71.3,0.00266337,126.201\n")
    argv = ["--out", str(out), "--quiet", "--force"]
    assert main(["train", "airfoil", "--data", str(one_row), *argv]) == 2
    assert "no training rows left" in capsys.readouterr().err
    assert {
        path.name: path.read_bytes() for path in out.iterdir()
    } == before  # the failed run changed nothing
    assert main(["train", "moons", "--epochs", "2", "--seed", "1", "--no-plots", *argv]) == 0
    # the old run's figures are gone with it: the folder holds one run's files (and the user's)
    assert sorted(path.name for path in out.iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.npz",
        "notes.txt",
    ]
    assert (out / "model.npz").read_bytes() != before["model.npz"]
    interrupted_airfoil_run(out)  # an interrupted run's checkpoint does not sit beside another run's model
    assert sorted(path.name for path in out.iterdir()) == ["checkpoint.npz", "notes.txt"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (
            ["moons", "--samples", "4", "--val-fraction", "0.9", "--test-fraction", "0.9"],
            "no training rows left",
        ),
        (["airfoil", "--data", "ONE_ROW"], "no training rows left"),
    ],
)
@pytest.mark.parametrize("out", ["m_x", "a/b/m_x", None])  # None: the default runs/TASK-DATE-TIME
def test_a_failed_run_removes_the_folders_it_created(
    argv: list[str],
    match: str,
    out: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("one_row.csv").write_text("800,0,0.3048,71.3,0.00266337,126.201\n")
    argv = [arg.replace("ONE_ROW", "one_row.csv") for arg in argv]
    assert main(["train", *argv, "--quiet", *(["--out", out] if out else [])]) == 2
    assert match in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["one_row.csv"]
    Path("mine").mkdir()  # a folder that was there before stays, even empty
    assert main(["train", *argv, "--quiet", "--out", "mine"]) == 2
    assert Path("mine").is_dir() and list(Path("mine").iterdir()) == []


def test_without_out_a_fresh_folder_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "moons", "--epochs", "2", "--quiet", "--no-plots"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("run folder: runs/moons-")
    assert (tmp_path / line.removeprefix("run folder: ") / "model.npz").is_file()


def test_runs_started_in_the_same_second_get_folders_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two trainings started together found runs/moons-DATE-TIME free, and the second was
    refused for the first one's lock: the name is reserved when the folder is made."""
    import datetime

    from glassnet.train import artifacts

    class _Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> _Frozen:
            return cls(2026, 11, 27, 8, 41, 36)

    monkeypatch.setattr(artifacts._dt, "datetime", _Frozen)
    monkeypatch.chdir(tmp_path)
    folders = [artifacts.fresh_run_folder("runs", "moons") for _ in range(3)]
    assert [str(folder) for folder in folders] == [
        "runs/moons-20261127-084136",
        "runs/moons-20261127-084136-2",
        "runs/moons-20261127-084136-3",
    ]
    assert all(folder.is_dir() and not any(folder.iterdir()) for folder in folders)
    # the CLI takes the next free name, and trains into it
    assert main(["train", "moons", "--epochs", "2", "--quiet", "--no-plots"]) == 0
    assert capsys.readouterr().out.strip() == "run folder: runs/moons-20261127-084136-4"
    assert (tmp_path / "runs" / "moons-20261127-084136-4" / "model.npz").is_file()


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--hidden", "16", "--epochs", "6", "--ensemble", "2", "--quiet", "--no-plots"]
    original = NumpyEngine.train_batch
    calls = [0]

    def interrupting(self: Any, start: int, stop: int) -> None:
        calls[0] += 1
        if calls[0] == 150:  # in member 2 (17 batches per epoch, 6 epochs per member)
            signal.raise_signal(signal.SIGINT)
        original(self, start, stop)

    with monkeypatch.context() as patch:
        patch.setattr(NumpyEngine, "train_batch", interrupting)
        data = ["--data", str(shared_airfoil())]
        assert main(["train", "airfoil", *options, *data, "--out", str(tmp_path / "a")]) == 130
    err = capsys.readouterr().err
    assert "interrupted in validation pass, member 2/2, epoch 3 after 14 batch(es)" in err
    assert (
        # the output options are not in the checkpoint: the line gives them again (the plots
        # asked to be skipped were drawn by the resumed run)
        f"continue with: glassnet train airfoil --out {tmp_path / 'a'} --data {shared_airfoil()} "
        "--resume --quiet --no-plots\n" in err
    )
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["checkpoint.npz"]
    assert main(["train", "airfoil", "--out", str(tmp_path / "a"), "--resume", "--epochs", "7"]) == 2
    assert "drop --epochs" in capsys.readouterr().err
    assert main(["train", "moons", "--out", str(tmp_path / "a"), "--resume"]) == 2
    assert "not 'moons'" in capsys.readouterr().err
    assert main(["train", "airfoil", "--out", str(tmp_path / "a"), "--resume", "--quiet", "--no-plots"]) == 0
    assert not (tmp_path / "a" / "checkpoint.npz").exists()
    assert main(["train", "airfoil", *options, "--out", str(tmp_path / "b")]) == 0
    resumed, straight = (
        load_checkpoint(tmp_path / "a" / "model.npz"),
        load_checkpoint(tmp_path / "b" / "model.npz"),
    )
    for ours, theirs in zip(resumed.members, straight.members, strict=True):
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])
    assert resumed.history == straight.history


def test_resume_needs_an_interrupted_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "airfoil", "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    assert main(["train", "airfoil", "--resume", "--out", str(tmp_path)]) == 2
    assert "no interrupted run to resume" in capsys.readouterr().err


def test_torch_engine_without_torch_installed_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails, as without the extra
    out = tmp_path / "t"
    assert main(["train", "moons", "--engine", "torch", "--epochs", "2", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "PyTorch is not installed; install the extra with: pip install 'glassnet[torch]'" in err
    assert not out.exists()  # nothing half-written


def test_torch_engine_from_the_command_line(
    tmp_path: Path, torch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t"
    assert (
        main(
            [
                "train",
                "moons",
                "--engine",
                "torch",
                "--threads",
                "1",
                "--epochs",
                "20",
                "--out",
                str(out),
                "--no-plots",
            ]
        )
        == 0
    )
    assert "(torch)" in capsys.readouterr().out
    numpy_out = tmp_path / "n"
    assert main(["train", "moons", "--epochs", "20", "--out", str(numpy_out), "--no-plots", "--quiet"]) == 0
    a, b = load_checkpoint(out / "model.npz"), load_checkpoint(numpy_out / "model.npz")
    assert a.config is not None and a.config.engine == "torch"
    for name, value in a.members[0].items():
        np.testing.assert_allclose(value, b.members[0][name], atol=1e-9)


def test_evaluate_refuses_a_bad_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert main(["evaluate", str(bad)]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "absent")]) == 2
    assert "no model file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(tmp_path / "empty")]) == 2
    assert (
        f"no model file in {tmp_path / 'empty'} (neither model.npz nor checkpoint.npz)"
        in capsys.readouterr().err
    )


def test_real_subprocess_trains_moons(tmp_path: Path) -> None:
    out = tmp_path / "sub"
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "moons", "--epochs", "20", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"run folder: {out}"
    assert (out / "model.npz").is_file()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0421, "0.042 s"), (0.0004, "0.0004 s"), (0.96, "0.96 s"), (23.24, "23.2 s"), (1234.5, "1234.5 s")],
)
def test_the_training_time_reads_well_at_every_scale(seconds: float, text: str) -> None:
    assert seconds_text(seconds) == text


# a few seconds of the airfoil recipe: its cosine schedule, with its 20 epochs of warm-up
TINY_AIRFOIL = ["--hidden", "4", "--fourier-features", "0", "--quiet", "--no-plots"]


@pytest.mark.parametrize(
    ("epochs", "options", "over"),
    [
        (3, [], "2 epochs"),  # the default warm-up, 20 epochs, in a run of 3
        (2, [], "1 epoch"),  # in the singular
        # one epoch shorter than the run: its one cosine epoch runs at η₀, as the note's advice led to
        (4, ["--warmup-epochs", "3"], "3 epochs"),
        (4, ["--warmup-epochs", "2"], None),  # a cosine of two epochs: η₀, then η₀/2
        (3, ["--schedule", "constant"], None),
    ],
)
def test_a_warm_up_that_leaves_no_epoch_to_decay_in_is_noted(
    epochs: int, options: list[str], over: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["train", "airfoil", "--epochs", str(epochs), *TINY_AIRFOIL, *options, "--out", str(tmp_path)]
    assert main(argv) == 0
    warmup = options[1] if options and options[0] == "--warmup-epochs" else "20"
    note = (
        f"glassnet train airfoil: note: the warm-up of {warmup} epochs leaves the run of {epochs} no epoch to "
        f"decay in: the rate rises to --lr over {over} and stays there; give --warmup-epochs at most "
        f"{epochs - 2}\n"
    )
    assert capsys.readouterr().err == (note if over is not None else "")


@pytest.mark.parametrize(
    ("epochs", "warmup", "decays"), [(4, 3, False), (4, 2, True), (2, 1, False), (2, 0, True)]
)
def test_the_note_on_the_warm_up_says_what_the_trainers_rates_do(
    epochs: int, warmup: int, decays: bool
) -> None:
    config = TrainConfig(epochs=epochs, warmup_epochs=warmup, hidden=(2,), fourier_features=0)
    trainer = Trainer(config, np.zeros((4, 2)), np.arange(4.0))
    rates = [trainer.learning_rate(epoch) for epoch in range(epochs)]
    assert (rates[-1] < max(rates)) == decays and bool(run_notes(config)) == (not decays)
    if warmup == 1 and not decays:  # counted in words: "1 epoch", not "1 epochs"
        assert run_notes(config)[0].startswith("the warm-up of 1 epoch leaves the run of 2 no epoch")


@pytest.mark.parametrize(
    ("step_size", "epochs", "noted"), [(3, 3, True), (100, 3, True), (2, 3, False), (1, 1, False)]
)
def test_a_step_schedule_that_never_steps_is_noted(
    step_size: int, epochs: int, noted: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--schedule step with the default --step-size 100 in a shorter run trained at a constant rate,
    unsaid; a run of one epoch has nothing to decay into, and no smaller step size to take: its
    note says that one epoch reads no schedule option."""
    capsys.readouterr()
    options = ["--schedule", "step", "--step-size", str(step_size), "--epochs", str(epochs), *TINY_AIRFOIL]
    assert main(["train", "airfoil", *options, "--out", str(tmp_path)]) == 0
    note = (
        f"glassnet train airfoil: note: --step-size {step_size} is not smaller than the run of {epochs} epochs: "
        "the rate stays at --lr throughout; give --step-size a smaller number\n"
    )
    one_epoch = (
        "glassnet train airfoil: note: a run of one epoch trains at --lr throughout: --schedule, --step-size "
        "change nothing; give --epochs 2 or more for the rate to change\n"
    )
    assert capsys.readouterr().err == (note if noted else one_epoch if epochs == 1 else "")


@pytest.mark.parametrize(
    ("options", "note"),
    [
        (
            ["--patience", "4"],
            "the earliest stop would come after epoch 5; give --patience at most 3 (the best",
        ),
        (
            ["--patience", "9", "--no-restore-best"],
            "after epoch 10; give --patience at most 3 (the last epoch",
        ),
        (["--patience", "3"], None),  # it may stop after epoch 4
        (["--patience", "4", "--refit"], None),  # it cuts the final pass to the best epoch
        # without restore-best the final pass trains to where the first stopped: every epoch
        (["--patience", "4", "--refit", "--no-restore-best"], "at most 3 (the final pass trains every epoch"),
    ],
)
def test_a_patience_that_cannot_stop_a_run_without_refit_is_noted(
    options: list[str], note: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-refit with --patience 4 in a run of 5 epochs gave the metrics of --patience 0, unsaid (a
    review of impossible settings): epoch 1 is the first best, so no stop comes before the end."""
    refit = "--refit" in options
    given = [option for option in options if option != "--refit"] + ([] if refit else ["--no-refit"])
    capsys.readouterr()
    command = ["train", "moons", "--samples", "60", "--val-fraction", "0.2", "--epochs", "5", *given]
    assert main([*command, "--quiet", "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    if note is None:
        assert "note:" not in err
    else:
        assert err.startswith(
            f"glassnet train moons: note: --patience {given[1]} cannot stop the run of 5 epochs early: "
        )
        assert note in err


def test_a_patience_that_runs_out_at_the_last_epoch_stops_nothing(tmp_path: Path) -> None:
    """Epoch 1 the best, then two worse of three under --patience 2: the stop came after the last
    epoch and the member read "early_stopped", beside the note that the patience cannot stop the
    run (a review of the note); it completed, as it does under --patience 0."""
    common = ["train", "moons", "--no-refit", "--epochs", "3", "--val-fraction", "0.2", "--noise", "1"]
    common += ["--lr", "0.1", "--seed", "1", "--quiet"]
    members = []
    for patience in ("2", "0"):
        out = tmp_path / patience
        assert main([*common, "--patience", patience, "--out", str(out)]) == 0
        members.append(json.loads((out / "metrics.json").read_text(encoding="utf-8"))["members"])
    assert members[0] == members[1]
    assert [(m["status"], m["best_epoch"], m["epochs_run"]) for m in members[0]] == [("completed", 1, 3)]


@pytest.mark.parametrize(
    ("options", "noted"),
    [
        (["--schedule", "cosine", "--warmup-epochs", "5", "--min-lr-factor", "0.5"], "--schedule, --warmup-epochs, --min-lr-factor"),
        (["--schedule", "exponential", "--gamma", "0.1"], "--schedule, --gamma"),
        (["--schedule", "constant"], None),
        ([], None),  # the recipe's own cosine, not given: nothing to say
    ],
)  # fmt: skip
def test_schedule_options_of_a_run_of_one_epoch_are_noted(
    options: list[str], noted: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They were read by nothing, unsaid: one epoch trains at --lr whatever the schedule."""
    capsys.readouterr()
    assert (
        main(
            [
                "train",
                "moons",
                *options,
                "--epochs",
                "1",
                "--no-plots",
                "--quiet",
                "--out",
                str(tmp_path / "m"),
            ]
        )
        == 0
    )
    expected = (
        ""
        if noted is None
        else f"glassnet train moons: note: a run of one epoch trains at --lr throughout: {noted} change nothing; "
        "give --epochs 2 or more for the rate to change\n"
    )
    assert capsys.readouterr().err == expected


def test_a_note_is_not_printed_when_the_command_then_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused command says one line: the notes about its settings come only once it runs."""
    full = tmp_path / "full"
    full.mkdir()
    (full / "other.txt").write_text("not a run\n", encoding="utf-8")
    capsys.readouterr()
    # the airfoil recipe's cosine warm-up of 20 epochs is longer than these 10: noted when it runs
    assert main(["train", "airfoil", "--epochs", "10", "--out", str(full)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "note:" not in err and "is not empty" in err


def test_evaluate_refuses_data_for_a_moons_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its moons are regenerated from the seed: a --data file would be ignored, its name misleading."""
    run = tmp_path / "moons"
    assert main(["train", "moons", "--epochs", "2", "--out", str(run), "--quiet", "--no-plots"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(shared_airfoil())]) == 2
    assert capsys.readouterr().err == (
        "glassnet evaluate: error: --data is for models of a data file (airfoil, or data of your own); a moons model is measured on its "
        "moons, regenerated from its seed\n"
    )
    assert main(["evaluate", str(run)]) == 0


def test_metrics_say_nothing_was_validated_when_no_rows_were(tmp_path: Path) -> None:
    """moons trains without validation rows by default: metrics.json's protocol said "the model
    kept is the one validated", of a model nothing validated."""
    small = ["--epochs", "2", "--quiet", "--no-plots"]
    for name, options in (("plain", []), ("validated", ["--val-fraction", "0.2"])):
        assert main(["train", "moons", *small, *options, "--out", str(tmp_path / name)]) == 0
    protocols = {
        name: json.loads((tmp_path / name / "metrics.json").read_text())["protocol"]
        for name in ("plain", "validated")
    }
    assert protocols["plain"] == (
        "one pass on the training rows, without validation rows: no early stopping or "
        "best-epoch restore, the model kept is the one training ended with"
    )
    assert protocols["validated"].startswith("refit: 'val' measures the validation pass")


# --- found by a review of the train options (2026-11-28, a later session) --------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "2_"], "--epochs must be an integer in"),
        (["--hidden", "64_64"], "--hidden"),
        (
            ["--lr", "1e-400"],
            "--lr must be a number in (0, 10], got 1e-400, which is 0 in float64 (below 5e-324)",
        ),
    ],
    ids=["int-trailing-underscore", "hidden-underscore", "underflow"],
)
def test_options_that_a_slip_or_an_underflow_would_change_are_refused(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'2_' trained 2 epochs and '64_64' one layer of 6464 units (underscores were dropped); 1e-400
    was refused as 'got 1e-400', a value inside the interval it named."""
    assert main(["train", "moons", *argv, "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_negative_zero_option_is_recorded_as_zero(tmp_path: Path) -> None:
    """--weight-decay -0 was saved as -0.0, outside the [0, …] the option names."""
    out = tmp_path / "r"
    argv = ["train", "moons", "--epochs", "2", "--no-plots", "--quiet", "--out", str(out)]
    assert main([*argv, "--weight-decay", "-0", "--clip-norm", "-0", "--noise", "-0"]) == 0
    text = (out / "metrics.json").read_text()
    assert "-0.0" not in text


def test_resume_names_a_checkpoint_given_as_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'no interrupted run to resume in r/checkpoint.npz (no checkpoint.npz)' for the checkpoint itself."""
    checkpoint = tmp_path / "checkpoint.npz"
    checkpoint.write_bytes(b"PK")
    assert main(["train", "moons", "--resume", "--out", str(checkpoint), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {checkpoint} is a file: give its folder, --out {tmp_path}" in err


def test_a_linear_ensemble_names_no_activation(tmp_path: Path) -> None:
    """metrics.json said member 1 of a model without hidden layers was tanh, where --activation is refused."""
    out = tmp_path / "r"
    argv = ["train", "moons", "--hidden", "", "--ensemble", "2", "--epochs", "2", "--no-plots", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    members = json.loads((out / "metrics.json").read_text())["members"]
    assert [member["activation"] for member in members] == [None, None]


@pytest.mark.parametrize("option", ["--weight-decay", "--clip-norm", "--val-fraction"])
def test_a_float_option_refuses_underscores_and_any_underflow(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--fourier-sigma 1_10 trained with σ = 110 (a slip of 1,10); an underflow is refused wherever
    it is, since 0 may mean something else than the tiny number typed (--clip-norm 1e-400 turned
    clipping off, --val-fraction 1e-400 made no validation part where 1e-320 takes a row)."""
    base = ["train", "moons", "--epochs", "2", "--no-plots", "--quiet"]
    assert main([*base, "--lr", "0_5", "--out", str(tmp_path / "a")]) == 2
    assert "--lr must be a number in (0, 10], got '0_5'" in capsys.readouterr().err
    assert main([*base, option, "1e-400", "--out", str(tmp_path / "b")]) == 2
    assert "got 1e-400, which is 0 in float64 (below 5e-324); give 0 if 0 is meant" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_train_refuses_a_closed_stdout_unless_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its summary failed with a traceback after the whole training."""
    import sys

    monkeypatch.setattr(sys, "stdout", None)
    argv = ["train", "moons", "--epochs", "2", "--no-plots", "--out"]
    assert main([*argv, str(tmp_path / "a")]) == 2
    assert "standard output is closed; give --quiet" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main([*argv, str(tmp_path / "b"), "--quiet"]) == 0


def test_an_underflow_gives_the_zero_hint_only_where_zero_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'give 0 if 0 is meant' for --lr, which refuses 0; an Arabic-Indic '١e-400' slipped past the check."""
    assert main(["train", "moons", "--lr", "1e-400"]) == 2
    err = capsys.readouterr().err
    assert "which is 0 in float64" in err and "give 0" not in err
    assert main(["train", "moons", "--clip-norm", "١e-400"]) == 2
    assert "give 0 if 0 is meant" in capsys.readouterr().err
