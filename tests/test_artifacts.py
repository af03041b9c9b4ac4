"""A run folder as a reader meets it: metrics.json and history.csv checked against an
independent computation (scikit-learn on model.npz's predictions, the csv module), and a
folder that never mixes two runs."""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from conftest import shared_airfoil
from glassnet import plots
from glassnet.checkpoint import load_checkpoint
from glassnet.data import load_airfoil
from glassnet.train import (
    MOONS_CONFIG,
    SplitSettings,
    TrainConfig,
    artifacts,
    train_airfoil,
    train_dataset,
    train_moons,
)
from glassnet.train._tasks import Run
from glassnet.train.artifacts import (
    PLOT_FILES,
    RESUME_FILE,
    IncompleteRunError,
    loss_label,
    save_resume,
    write_run,
)

SMALL = TrainConfig(hidden=(8,), epochs=4, batch_size=128, fourier_features=0, warmup_epochs=1, seed=3)


def airfoil_run(config: TrainConfig, **options: Any) -> Run:
    return train_airfoil(load_airfoil(shared_airfoil()), config, **options)


def sklearn_metrics(measured: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any]) -> dict[str, float]:
    return {
        "rmse": math.sqrt(mean_squared_error(measured, predicted)),
        "mae": mean_absolute_error(measured, predicted),
        "r2": r2_score(measured, predicted),
        "n": float(len(measured)),
    }


@pytest.mark.parametrize(
    ("refit", "ensemble"),
    [(True, 1), (True, 2), (False, 1), (False, 2)],
    ids=["refit", "refit-2", "one-pass", "one-pass-2"],
)
def test_metrics_json_is_what_the_saved_model_gives_on_the_saved_split(
    refit: bool, ensemble: int, tmp_path: Path
) -> None:
    """Every figure of metrics.json, recomputed by scikit-learn from model.npz's predictions on
    the rows its split names (a refit model's "train" is the training and validation rows)."""
    config = TrainConfig(**{**SMALL.to_dict(), "hidden": (8,), "refit": refit, "ensemble": ensemble})
    run = airfoil_run(config)
    write_run(run, tmp_path, plots=False)
    document = json.loads((tmp_path / "metrics.json").read_text())
    checkpoint = load_checkpoint(tmp_path / "model.npz")
    assert len(checkpoint.members) == ensemble and checkpoint.info["refit"] is refit
    predicted = run.preprocessor.inverse_transform_y(
        checkpoint.ensemble().predict(checkpoint.load_preprocessor().transform_x(run.X))[:, 0]
    )  # (N,) dB
    split = {
        name[len("split_") :]: rows for name, rows in checkpoint.arrays.items() if name.startswith("split_")
    }
    parts = {"train": split["train"], "test": split["test"]}
    if refit:
        parts["train"] = np.concatenate([split["train"], split["val"]])
    else:
        parts["val"] = split["val"]
    for name, rows in parts.items():
        expected = sklearn_metrics(run.y[rows], predicted[rows])
        assert document[name] == pytest.approx(expected, rel=1e-12), name
    assert document["unit"] == "dB" and document["status"] == "completed"
    assert [member["member"] for member in document["members"]] == list(range(ensemble))
    for member in document["members"]:
        assert member == {
            "member": member["member"],
            "activation": ("relu", "tanh")[member["member"] % 2],  # the default's, in turn
            "epochs_run": 4,
            "best_epoch": 4,
            "status": "completed",
        } | ({"validation_pass": member["validation_pass"]} if refit else {})
    assert document["protocol"].startswith("refit:" if refit else "one pass:")


def test_history_csv_holds_the_trainers_history(tmp_path: Path) -> None:
    """One row per member, pass and epoch, read back by the csv module to the Trainer's values
    (`nan` where a record lacks the column)."""
    run = airfoil_run(TrainConfig(**{**SMALL.to_dict(), "hidden": (8,), "ensemble": 2}))
    write_run(run, tmp_path, plots=False)
    with open(tmp_path / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    history = run.result.history
    assert len(rows) == len(history) == 2 * 2 * 4
    assert list(rows[0]) == [
        "member", "epoch", "lr", "train_loss", "train_rmse", "train_mae", "train_r2",
        "val_loss", "val_rmse", "val_mae", "val_r2", "refit",
    ]  # fmt: skip
    for row, record in zip(rows, history, strict=True):
        for column, text in row.items():
            value = float(text)
            assert value == record[column] if column in record else math.isnan(value), column


def test_history_records_count_members_and_epochs_in_ints(tmp_path: Path) -> None:
    """``result.history`` showed {'member': 0.0, 'epoch': 1.0, …}: they count, so they are ints,
    in the Trainer's records, in a checkpoint's read back, and as history.csv writes them."""
    run = airfoil_run(TrainConfig(**{**SMALL.to_dict(), "hidden": (4,), "epochs": 2}))
    history = run.result.history
    assert [(record["member"], record["epoch"]) for record in history[:2]] == [(0, 1), (0, 2)]
    assert all(type(record["member"]) is int and type(record["epoch"]) is int for record in history)
    assert all(type(record["lr"]) is float for record in history)
    write_run(run, tmp_path, plots=False)
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[1].startswith("0,1,") and lines[2].startswith("0,2,")
    saved = load_checkpoint(tmp_path / "model.npz").history
    assert saved == history
    assert all(type(record["member"]) is int and type(record["epoch"]) is int for record in saved)


def test_protocol_of_a_refit_whose_final_pass_diverged(tmp_path: Path) -> None:
    """The final pass of member 1 diverges in its second epoch and keeps its initial weights:
    metrics.json must not say it trained for all epochs and kept the last."""
    config = TrainConfig(
        hidden=(16,), epochs=15, optimizer="sgd", momentum=0.9, lr=0.6, schedule="constant",
        weight_decay=0.0, ensemble=2, batch_size=64, seed=2,
        fourier_sigma=0.2,  # the σ this divergence was found with (one for every feature)
        activation="relu",  # and the activation of both members
    )  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):
        run = airfoil_run(config)
    assert run.result.status == "diverged" and len(run.result.validation_members) == 2  # as found
    assert [member.status for member in run.result.members] == ["diverged"]
    write_run(run, tmp_path, plots=False)
    document = json.loads((tmp_path / "metrics.json").read_text())
    assert "for all epochs, keeping the last" not in document["protocol"]
    assert "diverged" in document["protocol"]
    assert "1 of the 2 members" in document["protocol"]


def test_a_failure_while_writing_leaves_no_mixture_of_two_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails while its files are written (a full disk in its plots) must not leave
    its model and metrics beside the previous run's figures."""
    write_run(airfoil_run(SMALL), tmp_path)
    assert all((tmp_path / name).is_file() for name in PLOT_FILES[:3])
    second = airfoil_run(TrainConfig(**{**SMALL.to_dict(), "hidden": (8,), "seed": 4}))

    def full_disk(measured: Any, predicted: Any, path: Path, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device", str(path))  # as atomic_write names it

    monkeypatch.setattr(plots, "plot_predicted_vs_measured", full_disk)
    with pytest.raises(IncompleteRunError) as caught:
        write_run(second, tmp_path, force=True)  # over the previous run, as train --force
    # the message says what the folder holds: a retry is refused as "not empty", and the figures
    # are missing, which the error alone did not say
    assert str(caught.value) == (
        f"{tmp_path / 'predicted_vs_measured.png'}: No space left on device; {tmp_path} holds the run's model.npz, metrics.json and history.csv, "
        "written before it, and not the rest"
    )
    assert caught.value.written == [tmp_path / name for name in ("model.npz", "metrics.json", "history.csv")]
    assert caught.value.errno == 28  # the cause's, for a caller who tells a full disk from the rest
    assert json.loads((tmp_path / "metrics.json").read_text())["split"]["seed"] == 4  # the new run's
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == ["history.csv", "metrics.json", "model.npz"]  # no figure of the previous run


def test_a_full_disk_in_the_first_file_is_the_systems_error_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of the new run was written: the previous run's files stand, unnamed by the error."""
    write_run(airfoil_run(SMALL), tmp_path)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def full_disk(path: Any, checkpoint: Any) -> Path:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(artifacts, "save_checkpoint", full_disk)
    with pytest.raises(OSError, match=r"No space left on device") as caught:
        write_run(airfoil_run(SMALL), tmp_path, force=True)
    assert not isinstance(caught.value, IncompleteRunError)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_resumed_run_that_fails_while_writing_keeps_its_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--resume can then finish the writing: the checkpoint was removed with the previous files,
    and the run could only be trained again from the start. Another run's state is removed as
    its other files are: kept, it made the next --resume replace the new run with that one."""
    interrupted = airfoil_run(SMALL, callback=lambda trainer, record: trainer.request_stop())
    other = airfoil_run(SMALL.replace(hidden=(5,)), callback=lambda trainer, record: trainer.request_stop())

    def full_disk(*args: Any, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "plot_predicted_vs_measured", full_disk)
    for state, kept in [(interrupted, True), (other, False)]:
        for path in tmp_path.iterdir():
            path.unlink()
        save_resume(state, tmp_path)
        with pytest.raises(OSError, match="No space left"):
            write_run(airfoil_run(SMALL), tmp_path, force=True)
        left = sorted(path.name for path in tmp_path.iterdir())
        assert left == [*([RESUME_FILE] if kept else []), "history.csv", "metrics.json", "model.npz"], state


def test_a_previous_runs_file_that_cannot_be_removed_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An immutable plot of the previous run: the error of its removal replaced the run's own
    (a full disk), or, once every file was written, said "Operation not permitted" of a folder
    that held the new model beside the old plot, without a word of either."""
    write_run(airfoil_run(SMALL), tmp_path)
    unlink = Path.unlink

    def immutable(path: Path, missing_ok: bool = False) -> None:
        if path.name == "residuals_vs_frequency.png":
            raise PermissionError(1, "Operation not permitted", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", immutable)
    second = airfoil_run(SMALL.replace(hidden=(5,)))
    with pytest.raises(IncompleteRunError) as caught:
        write_run(second, tmp_path, force=True, plots=False)
    assert str(caught.value) == (
        f"{tmp_path} holds the run's model.npz, metrics.json and history.csv, beside residuals_vs_frequency.png "
        f"of another run, which could not be removed ({tmp_path / 'residuals_vs_frequency.png'}: Operation not "
        "permitted): remove it by hand"
    )
    assert caught.value.left == [tmp_path / "residuals_vs_frequency.png"]
    write_run(airfoil_run(SMALL), tmp_path, force=True)  # the previous run's figures again

    def full_disk(*args: Any, **kwargs: Any) -> Path:
        raise OSError(28, "No space left on device", "loss_curves.png")

    monkeypatch.setattr(plots, "plot_loss_curves", full_disk)
    with pytest.raises(IncompleteRunError) as caught:
        write_run(second, tmp_path, force=True)
    message = str(caught.value)
    assert message.startswith("loss_curves.png: No space left on device; ")
    assert "beside residuals_vs_frequency.png of another run, which could not be removed" in message


def test_the_state_a_resumed_run_finished_is_named_as_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An immutable checkpoint.npz that the finished run resumed from was named "of another run"."""
    save_resume(airfoil_run(SMALL, callback=lambda trainer, record: trainer.request_stop()), tmp_path)
    unlink = Path.unlink

    def immutable(path: Path, missing_ok: bool = False) -> None:
        if path.name == RESUME_FILE:
            raise PermissionError(1, "Operation not permitted", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", immutable)
    with pytest.raises(IncompleteRunError) as caught:
        write_run(airfoil_run(SMALL), tmp_path, plots=False)
    assert str(caught.value) == (
        f"{tmp_path} holds the run's model.npz, metrics.json and history.csv, beside checkpoint.npz, the "
        f"interrupted state this run finished, which could not be removed ({tmp_path / RESUME_FILE}: "
        "Operation not permitted): remove it by hand"
    )


def test_protocol_of_a_run_without_validation_rows(tmp_path: Path) -> None:
    """moons' default has no validation rows: the protocol said "the model kept is the one
    validated" of a model nothing validated, and, once that was mended, "the one training ended
    with" of a diverged run, which keeps the weights its message names."""
    with np.errstate(over="ignore", invalid="ignore"):
        runs = {
            "completed": train_moons(MOONS_CONFIG.replace(epochs=2)),
            "diverged": train_moons(
                MOONS_CONFIG.replace(
                    optimizer="sgd", lr=10.0, momentum=0.999, hidden=(256, 256, 256), init="he", epochs=3,
                    schedule="constant",
                )
            ),
        }  # fmt: skip
    start = (
        "one pass on the training rows, without validation rows: no early stopping or best-epoch restore, "
    )
    kept = {
        "completed": "the model kept is the one training ended with",
        "diverged": "the model kept is the weights 'message' names (training diverged)",
    }
    for status, run in runs.items():
        assert run.result.status == status and len(run.split.val) == 0
        write_run(run, tmp_path / status, plots=False)
        document = json.loads((tmp_path / status / "metrics.json").read_text())
        assert document["protocol"] == start + kept[status]


@pytest.mark.parametrize("writer", ["write_run", "save_resume"])
def test_writing_a_run_into_a_folder_of_another_refuses_without_force(
    writer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python the folder was always forced: a previous run's model, or the user's own
    checkpoint.npz, was removed without a word (the command line checks --out first)."""
    (tmp_path / "checkpoint.npz").write_bytes(b"mine")  # no glassnet checkpoint: the user's own
    (tmp_path / "notes.txt").write_text("mine")
    if writer == "write_run":
        run = airfoil_run(SMALL)
        write = functools.partial(write_run, run, tmp_path, plots=False)
    else:
        run = airfoil_run(SMALL, callback=lambda trainer, record: trainer.request_stop())
        write = functools.partial(save_resume, run, tmp_path)
    with pytest.raises(
        FileExistsError,
        match=rf"^{re.escape(str(tmp_path))} holds checkpoint\.npz, of another run or of your own, which {writer} "
        r"would replace or remove so that the folder holds one run: pass force=True to let it, or choose another folder$",
    ):
        write()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["checkpoint.npz", "notes.txt"]
    write(force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"  # other names are never touched


def test_a_run_finishing_an_interrupted_one_in_its_folder_needs_no_force(tmp_path: Path) -> None:
    """The interrupted run's checkpoint.npz is the state the finished run replaces."""
    interrupted = airfoil_run(SMALL, callback=lambda trainer, record: trainer.request_stop())
    save_resume(interrupted, tmp_path)
    save_resume(interrupted, tmp_path)  # a second interruption saves again
    write_run(airfoil_run(SMALL), tmp_path, plots=False)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["history.csv", "metrics.json", "model.npz"]


def _own_rows_run(**options: Any) -> Run:
    """A small run of one's own rows (``options`` for train_dataset: split, task, rows …)."""
    rng = np.random.default_rng(0)
    X = options.pop("X", rng.normal(size=(40, 3)))
    config = options.pop("config", TrainConfig(hidden=(4,), epochs=2, fourier_features=0, warmup_epochs=1))
    task, split = options.pop("task", "mine"), options.pop("split", SplitSettings())
    return train_dataset(task, X, X[:, 0] * 2.0, config, split=split, **options)


@pytest.mark.parametrize(
    "other",
    [
        {"config": TrainConfig(hidden=(6,), epochs=2, fourier_features=0, warmup_epochs=1)},  # its settings
        {"split": SplitSettings(seed=7)},  # the same rows in other parts
        {"X": np.random.default_rng(1).normal(size=(40, 3))},  # other rows
        {"task": "theirs"},  # another task's name
        {"scale_y": False},  # other preprocessing, which TrainConfig does not hold
    ],
    ids=["settings", "split", "rows", "task", "preprocessing"],
)
def test_another_runs_interrupted_state_is_not_replaced_without_force(
    other: dict[str, Any], tmp_path: Path
) -> None:
    """Any readable resume state was taken for the one the run finishes: a run of other settings,
    or of the same settings on another split, removed another's training without a word."""
    interrupted = _own_rows_run(callback=lambda trainer, record: trainer.request_stop())
    save_resume(interrupted, tmp_path)
    before = (tmp_path / RESUME_FILE).read_bytes()
    with pytest.raises(FileExistsError, match=r"holds checkpoint\.npz, of another run or of your own"):
        write_run(_own_rows_run(**other), tmp_path, plots=False)
    assert (tmp_path / RESUME_FILE).read_bytes() == before
    write_run(_own_rows_run(), tmp_path, plots=False)  # the run itself, finished: replaces its state
    assert not (tmp_path / RESUME_FILE).exists()


def test_force_does_not_write_in_place_of_a_linked_run_file(tmp_path: Path) -> None:
    """With force the link was removed as a previous run's file, after the model was written, and
    the write of metrics.json failed: half a run, the user's link gone."""
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.json").symlink_to(shared)
    with pytest.raises(
        ValueError, match=r"metrics\.json is a symbolic link .*move it away, or choose another folder"
    ):
        write_run(_own_rows_run(), tmp_path / "run", plots=False, force=True)
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == ["metrics.json"]
    assert shared.read_text() == "{}"


def test_the_demos_airfoil_run_refuses_a_folder_of_another_run_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassnet import demo

    monkeypatch.setenv("GLASSNET_DATA", str(shared_airfoil()))
    (tmp_path / "model.npz").write_bytes(b"mine")
    trained: list[object] = []
    monkeypatch.setattr("glassnet.train.train_airfoil", lambda *args, **kwargs: trained.append(args))
    with pytest.raises(
        FileExistsError, match=r"holds model\.npz, .* which the demo would replace .*: choose another folder$"
    ):
        demo.airfoil_section(tmp_path, epochs=1)
    assert trained == [] and (tmp_path / "model.npz").read_bytes() == b"mine"
    with pytest.raises(
        FileExistsError, match="which the demo would replace"
    ):  # before the tour's first section
        next(demo.demo_sections(tmp_path))


def test_a_linked_run_file_is_named_before_the_force_it_would_not_help(tmp_path: Path) -> None:
    """Without force the link was reported as another run's file, "pass force=True", which then
    failed on the link."""
    (tmp_path / "shared.json").write_text("{}")
    (tmp_path / "metrics.json").symlink_to(tmp_path / "shared.json")
    with pytest.raises(ValueError, match=r"metrics\.json is a symbolic link"):
        write_run(_own_rows_run(), tmp_path, plots=False)


def test_a_state_further_on_is_not_replaced_by_a_new_training_stopped_sooner(tmp_path: Path) -> None:
    """A training of the same run started afresh and stopped sooner would have lost the saved
    state's progress without force."""
    epochs: list[int] = []

    def stop_after(count: int) -> Any:
        def stop(trainer: Any, record: dict[str, float]) -> None:
            epochs.append(1)
            if len(epochs) >= count:
                trainer.request_stop()

        return stop

    config = TrainConfig(hidden=(4,), epochs=6, fourier_features=0, warmup_epochs=1)
    further = _own_rows_run(config=config, callback=stop_after(4))
    save_resume(further, tmp_path)
    epochs.clear()
    sooner = _own_rows_run(config=config, callback=stop_after(1))
    with pytest.raises(FileExistsError, match=r"holds checkpoint\.npz, of another run or of your own"):
        save_resume(sooner, tmp_path)
    save_resume(further, tmp_path)  # the same state again: its own


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        ({}, "2→3→1 network on the moons set"),
        ({"hidden": ()}, "2→1 network on the moons set"),  # it read "2→→1"
        ({"fourier_features": 4}, "18→3→1 network on the moons set"),  # it read "2→3→1"
    ],
)
def test_the_figures_name_the_network_and_the_loss_they_show(
    changes: dict[str, Any], title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boundary's title was built from the hidden widths alone; the loss curves' axis said
    'loss (model units)', which nothing defined."""
    seen: dict[str, Any] = {}
    boundary, curves = plots.plot_decision_boundary, plots.plot_loss_curves

    def boundary_seen(*args: Any, **kwargs: Any) -> Path:
        seen["title"] = kwargs["title"]
        seen["held_out"] = len(kwargs["held_out"])  # the test rows, drawn hollow
        return boundary(*args, **kwargs)

    def curves_seen(*args: Any, **kwargs: Any) -> Path:
        seen["ylabel"] = kwargs["ylabel"]
        return curves(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_decision_boundary", boundary_seen)
    monkeypatch.setattr(plots, "plot_loss_curves", curves_seen)
    write_run(train_moons(MOONS_CONFIG.replace(epochs=2, **changes)), tmp_path / "run", plots=True)
    assert seen == {
        "title": title,
        "held_out": 100,
        "ylabel": "logistic loss, mean per row (target as given)",
    }


def test_an_airfoil_runs_loss_axis_names_the_standardised_target() -> None:
    run = train_airfoil(
        load_airfoil(shared_airfoil()), TrainConfig(hidden=(4,), epochs=2, fourier_features=0)
    )
    assert loss_label(run) == "mean squared error (standardised target)"


@pytest.mark.parametrize("writer", ["write_run", "save_resume"])
def test_a_run_is_never_written_over_the_data_it_read(writer: str, tmp_path: Path) -> None:
    """From Python as from the command line: force lets a run replace a previous run's files, not
    the data file it read, kept in the folder under a run file's name."""
    from glassnet.train import TrainConfig, train_airfoil
    from glassnet.train.artifacts import save_resume

    out = tmp_path / "run"
    out.mkdir()
    data = out / "metrics.json"
    data.write_bytes(shared_airfoil().read_bytes())

    def stop(trainer: Any, record: dict[str, float]) -> None:
        if writer == "save_resume":
            trainer.request_stop()

    run = train_airfoil(
        load_airfoil(data), TrainConfig(hidden=(4,), epochs=2, fourier_features=0), callback=stop
    )
    write = functools.partial(write_run, plots=False) if writer == "write_run" else save_resume
    with pytest.raises(ValueError, match=rf"^{re.escape(str(data))} is the data file this run reads"):
        write(run, out, force=True)
    assert data.read_bytes() == shared_airfoil().read_bytes()
