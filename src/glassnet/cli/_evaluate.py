"""``glassnet evaluate MODEL``: metrics of a saved model on its split (train/val/test) and on all rows."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._checks import exact_text, metric_text
from glassnet._files import dash_hint, given_path
from glassnet.checkpoint import Checkpoint, load_checkpoint
from glassnet.cli._output import path_text, refuse_closed_stdout, write_message, writing_stdout
from glassnet.data import Dataset, OutOfDomainError, Preprocessor
from glassnet.train._tasks import TASKS
from glassnet.train.artifacts import (
    MODEL_FILE,
    RESUME_FILE,
    data_mismatch,
    json_text,
    resume_command,
    unprintable_note,
)

MODEL_HELP = f"model file, or run folder (its {MODEL_FILE}, or the {RESUME_FILE} of an interrupted run)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="metrics of a saved model (RMSE and MAE in the target's units, dB for airfoil, and R²; accuracy for a classifier)",
        description="Load MODEL (a model.npz or a run folder) and measure it on its data.",
    )
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="airfoil file (default: the usual search); for a model of your own data, its file: "
        "the features in the model's order, then the target",
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.set_defaults(handler=handle)


def model_path(text: str) -> Path:
    """MODEL as given: a file, or a run folder: its model.npz, or the checkpoint.npz of a run
    that was interrupted (whose folder holds no model.npz); ``~`` expanded, as in ``--data``."""
    path = given_path(text, "MODEL", "a model file or run folder name")
    if path.is_dir():
        folder = path
        path = folder / MODEL_FILE
        if not path.exists() and (folder / RESUME_FILE).is_file():
            path = folder / RESUME_FILE
        if not path.exists():
            raise FileNotFoundError(f"no model file in {folder} (neither {MODEL_FILE} nor {RESUME_FILE})")
    if path.exists() and not path.is_file():  # a FIFO (reading it would wait), /dev/zero, a socket
        raise ValueError(
            f"{path} is not a regular file ({_file_kind(path)}); give a model file or a run folder"
        )
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    return path


def _file_kind(path: Path) -> str:
    """What a path that is not a regular file is, for messages."""
    for test, kind in (
        (path.is_dir, "a folder"),
        (path.is_fifo, "a FIFO"),
        (path.is_char_device, "a character device"),
        (path.is_block_device, "a block device"),
        (path.is_socket, "a socket"),
    ):
        if test():
            return kind
    return "not a file"


def warn_unfinished(checkpoint: Checkpoint, path: Path) -> None:
    """A warning when ``path`` is an interrupted run's checkpoint (a model stopped part-way) or
    a diverged run's model (the weights its message names, not those of a finished run)."""
    info = checkpoint.info
    if checkpoint.resume is None:
        if info.get("status") == "diverged":  # it printed the numbers of such a model without a word
            why = info.get("message") or "training diverged"
            warnings.warn(f"{path} is the model of a run that diverged ({why})", UserWarning, stacklevel=2)
        return
    how = info.get("message") or "interrupted"
    task = info.get("task")
    if task not in TASKS:  # trained from Python (train_dataset): no command resumes it
        finish = (
            f"it resumes from Python: train_dataset({task!r}, …) with the run's rows and settings and "
            f"resume=load_checkpoint({str(path)!r}).resume"
        )
    else:
        # the line `glassnet train` printed when it was interrupted: the file the run read, since
        # resuming needs the same rows
        source = info.get("data_source")
        command = resume_command(task, path.parent, source)
        note = unprintable_note(path.parent, source)
        finish = f"`{command}` finishes it{note}"
        if path.name != RESUME_FILE:  # renamed: --resume reads FOLDER/checkpoint.npz only
            finish = f"to finish it, put it back as {path.parent / RESUME_FILE} and run `{command}`{note}"
    warnings.warn(
        f"{path} is the checkpoint of an interrupted run ({how}), not a finished model; {finish}",
        UserWarning,
        stacklevel=2,
    )


def task_data(checkpoint: Checkpoint, preprocessor: Preprocessor | None, data: str | None) -> Dataset:
    """The raw data the model was trained on: the airfoil file, the regenerated moons set, or
    the file ``data`` of a model of data of the user's own (:func:`own_data`; ``preprocessor``,
    the checkpoint's, gives its columns)."""
    task = checkpoint.info.get("task")
    if task == "airfoil":
        from glassnet.data import load_airfoil

        try:
            dataset = load_airfoil(data)
        except FileNotFoundError as error:
            # named, never read: a checkpoint names no file to open
            source = checkpoint.info.get("data_source")
            if data is not None or not source:
                raise
            raise FileNotFoundError(
                f"{error}; the model's run read {source}: give that file with --data"
            ) from None
        return dataset
    if task == "moons":
        from glassnet.train import moons_data
        from glassnet.train._tasks import saved_moons

        if data is not None:  # it would be ignored, and the figures taken for that file's
            raise ValueError(
                "--data is for models of a data file (airfoil, or data of your own); a moons model is measured on "
                "its moons, regenerated from its seed"
            )
        n_samples, noise, seed = saved_moons(checkpoint.info)
        X, y = moons_data(n_samples, noise, seed)
        return Dataset(
            np.asarray(X, np.float64),
            np.asarray(y, np.float64),
            ("x1", "x2"),
            ("", ""),
            "label",
            "",
            source=None,
        )
    return own_data(checkpoint, preprocessor, data)


def feature_columns(checkpoint: Checkpoint, preprocessor: Preprocessor | None) -> list[str]:
    """The names of the model's raw feature columns, in order: those its run recorded, or x1,
    x2, … where it recorded none, or not one per column (the preprocessing's input columns,
    else the model's inputs)."""
    n_features = (preprocessor.n_features if preprocessor is not None else None) or checkpoint.spec.n_inputs
    names = [str(name) for name in checkpoint.info.get("feature_names") or []]  # None: none saved
    return names if len(names) == n_features else [f"x{i + 1}" for i in range(n_features)]


def own_data(checkpoint: Checkpoint, preprocessor: Preprocessor | None, data: str | None) -> Dataset:
    """The data of a model trained on data of the user's own (``train_dataset`` from Python):
    the file ``data``, read as the airfoil file is (comma, semicolon, tab or spaces, header optional),
    its columns the model's features in order and then the target."""
    from glassnet.data import DataFormatError
    from glassnet.data._table import (
        Table,
        bad_lines_note,
        first_bad_value,
        read_table,
        refuse_reordered_header,
    )
    from glassnet.train._engines import REGRESSION_LOSSES
    from glassnet.train._metrics import PM1_HINT, labels_outside

    names = feature_columns(checkpoint, preprocessor)
    n_features = len(names)
    info = checkpoint.info
    columns = [*names, str(info.get("target_name") or "target")]
    if data is None:
        task = info.get("task")
        trained = (
            f"data of its own ({task!r})" if isinstance(task, str) else "data glassnet cannot load by itself"
        )
        raise ValueError(
            f"the model was trained on {trained}: give that data with --data FILE, rows of its "
            f"{n_features} feature(s) then the target ({len(columns)} columns: {', '.join(columns)})"
        )
    path = given_path(data, "--data")  # a file, or a pipe (<(…), /dev/stdin), as airfoil's --data
    if not path.exists():
        raise FileNotFoundError(f"--data {path} does not exist{dash_hint(path)}")
    if path.is_dir():
        raise IsADirectoryError(f"--data {path} is a folder; give the data file")

    def check(table: Table) -> list[DataFormatError]:
        # rows are read by position: a header naming the columns in another order is refused, as
        # predict refuses one, rather than measured with its columns swapped
        refuse_reordered_header(
            table,
            columns,
            source=str(path),
            listing="the model's features and its target",
            reader="the model",
        )
        if trained_loss(checkpoint) not in REGRESSION_LOSSES:  # a classifier's labels, named by line
            # the labels the metrics would refuse, found here to be named by their line
            outside = np.zeros(table.values.shape, dtype=bool)
            outside[:, n_features:] = labels_outside(table.values[:, n_features:])
            bad = first_bad_value(table, outside)
            if bad is not None:
                value = table.values[bad.row, bad.column]
                hint = PM1_HINT if value == -1.0 else ""
                raise ValueError(
                    f"{bad.where(str(path), columns)}: expected a label 0 or 1 (or a probability in [0, 1]), "
                    f"got {exact_text(value)}{hint}{bad_lines_note(bad.other_lines)}"
                )
        return []

    table = read_table(path, columns, check=check)
    return Dataset(
        table.values[:, :n_features],
        table.values[:, n_features],
        tuple(names),
        ("",) * n_features,
        columns[-1],
        "",
        source=path,
    ).with_lines(table.lines)


def was_refit(checkpoint: Checkpoint) -> bool:
    """Whether the saved members were trained on the training and validation rows (a final, refit pass).

    Not ``config.refit``: a run that diverged or was interrupted in its validation pass keeps
    a model of the training rows only. Checkpoints record it as ``info["refit"]``; in older
    ones a final pass shows in the history (its records carry ``refit`` = 1) or, for an
    interrupted run, in the job in progress (jobs K…2K−1 are the final passes).
    """
    recorded = checkpoint.info.get("refit")
    if isinstance(recorded, bool):
        return recorded
    if any(record.get("refit") == 1.0 for record in checkpoint.history):
        return True
    resume, config = checkpoint.resume, checkpoint.config
    return resume is not None and config is not None and resume.member >= config.ensemble


def evaluate(checkpoint: Checkpoint, data: str | None = None) -> dict[str, dict[str, float]]:
    """Metrics of every saved split part (on the run's own data) and of all rows.

    A refit model was trained on the training and validation rows: its "train" covers both
    and there is no "val" to measure (the run's metrics.json holds the validation pass's).
    On other data (another row count, or rows whose fingerprint differs from the run's:
    shuffled, shifted, ...) the saved row indices point at rows the model never saw in
    those roles, so only "all" is measured, with a DataWarning saying why.
    """
    from glassnet.data import DataWarning
    from glassnet.train import evaluate_parts, model_parts

    preprocessor = checkpoint.load_preprocessor()  # built once: the data's columns, then the prediction
    dataset = task_data(checkpoint, preprocessor, data)
    X, y = dataset.X, dataset.y
    parts: dict[str, Any] = {}
    split = {
        name: checkpoint.arrays[f"split_{name}"]
        for name in ("train", "val", "test")
        if f"split_{name}" in checkpoint.arrays
    }
    mismatch = data_mismatch(checkpoint, X, y) if split else None
    if mismatch is not None:
        source = checkpoint.info.get("data_source")  # named, never read: a checkpoint names no file to open
        hint = f"; its run read {source}: give that file with --data" if data is None and source else ""
        warnings.warn(
            f"{'--data ' + data if data else 'the data found'} is not the data this model was trained on ({mismatch}); "
            f"measured on all its rows only ('all'), not on the run's train/val/test parts{hint}",
            DataWarning,
            stacklevel=2,
        )
    elif split:
        parts.update(model_parts(split, refit=was_refit(checkpoint)))
    parts["all"] = np.arange(len(X))
    # the loss the model was trained with decides the metrics, as for the run's own
    loss = trained_loss(checkpoint)
    # a float32 model's output that overflows is an inf prediction, which the metrics report
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return evaluate_parts(checkpoint.ensemble(), preprocessor, X, y, parts, loss=loss)
    except OutOfDomainError as error:  # a row of X, named by its line in the file ("X[1, 3]" before)
        raise dataset.located(error) from None


def trained_loss(checkpoint: Checkpoint) -> str:
    """The loss the model was trained with, which decides how evaluate measures it and predict
    writes it: its configuration's; for a checkpoint saved without one, told by the model: "bce"
    for a sigmoid output (a probability), "logistic" for a moons model (a logit), else "mse" (a
    logit classifier of other data saved without its configuration reads as a regression)."""
    if checkpoint.config is not None:
        return checkpoint.config.loss
    if checkpoint.spec.output_activation == "sigmoid":
        return "bce"
    return "logistic" if checkpoint.info.get("task") == "moons" else "mse"


def _task_words(checkpoint: Checkpoint) -> str:
    """ "airfoil " for a model of a named task, "" for one saved without it (a Checkpoint built
    by hand: its header said "None model")."""
    task = checkpoint.info.get("task")
    return f"{task} " if isinstance(task, str) and task else ""


def handle(args: argparse.Namespace) -> int:
    refuse_closed_stdout("evaluate writes its metrics there (--json too)")
    path = model_path(args.model)
    checkpoint = load_checkpoint(path)
    warn_unfinished(checkpoint, path)
    if checkpoint.spec.n_outputs != 1:  # before any data is asked for: predict_raw would refuse it after
        raise ValueError(
            f"{path} is a model of {checkpoint.spec.n_outputs} outputs; glassnet evaluate measures models of "
            "one output (a level, or a classifier's logit or probability): measure it from Python, "
            "load_checkpoint(MODEL).ensemble().predict(rows), with the model's preprocessing"
        )
    metrics = evaluate(checkpoint, args.data)
    if args.json:
        with writing_stdout():
            print(json_text(metrics))  # valid JSON: a NaN R² or an infinite RMSE is null, as in metrics.json
        return 0
    unit = checkpoint.info.get("target_unit") or ""  # None: no unit
    # a refit model's "train" rows are the training and validation rows it was retrained on
    labels = {"train": "train+val"} if was_refit(checkpoint) and "train" in metrics else {}
    lines = [
        f"{path_text(path, sys.stdout)}: {_task_words(checkpoint)}model {list(checkpoint.spec.sizes)}, "
        f"{members_text(checkpoint.member_activations(), 'member', checkpoint.spec.sizes)}",
        *metrics_lines(metrics, unit, labels=labels),
    ]
    # a table for reading, as train's summary: R² written as "R?" on an output without "²",
    # where it failed after the first line (--json is the form for programs, and stays exact)
    with writing_stdout():
        write_message("\n".join(lines) + "\n", sys.stdout)
    return 0


# up to this many members are listed one by one; more, as counts ("25 relu, 25 tanh")
MEMBERS_LISTED = 8


def members_text(activations: Sequence[str], noun: str, sizes: Sequence[int]) -> str:
    """ "3 member(s)", followed by each one's activation where they differ: "(relu, tanh, relu)",
    or beyond :data:`MEMBERS_LISTED` members how many take each, in the order of the first to
    ("(25 relu, 25 tanh)": a thousand names made a line of 6,000 characters); not for a network
    of ``sizes`` without hidden layers, which applies no activation."""
    kinds = ""
    if len(set(activations)) > 1 and len(sizes) > 2:
        if len(activations) <= MEMBERS_LISTED:
            kinds = f" ({', '.join(activations)})"
        else:
            counts = Counter(activations)  # insertion order: the order members take them
            kinds = f" ({', '.join(f'{count} {name}' for name, count in counts.items())})"
    return f"{len(activations)} {noun}(s){kinds}"


def metrics_lines(
    metrics: dict[str, dict[str, float]],
    unit: str,
    *,
    labels: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
) -> list[str]:
    """One line per part, as train and evaluate print them: its label (``labels``, else the
    part's name) padded to the longest, RMSE/MAE/R² in ``unit`` or the accuracy, and the row
    count with the part's note, if any."""
    labels, notes = labels or {}, notes or {}
    width = max([5, *(len(labels.get(part, part)) for part in metrics)])
    lines = []
    for part, values in metrics.items():
        if "accuracy" in values:
            measured = f"accuracy {values['accuracy']:.3f}"
        else:
            rmse, mae, r2 = (
                metric_text(values[key], decimals) for key, decimals in (("rmse", 3), ("mae", 3), ("r2", 4))
            )
            units = f" {unit}" if unit else ""  # a target without a unit: no gap where it would be
            measured = f"RMSE {rmse}{units}  MAE {mae}{units}  R² {r2}"
        note = f", {notes[part]}" if part in notes else ""
        lines.append(f"  {labels.get(part, part):{width}s}  {measured}  (n={int(values['n'])}{note})")
    return lines
