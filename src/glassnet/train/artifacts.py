"""A run's files: the model checkpoint, metrics.json, history.csv, the plots, and the resume checkpoint.

Layout of a run folder (``runs/NAME``):

- ``model.npz``: the trained model (see :mod:`glassnet.checkpoint`), preprocessing and split included;
- ``metrics.json``: RMSE, MAE, R² (dB) or accuracy for train, val, test, with the configuration;
- ``history.csv``: one line per member and epoch;
- ``loss_curves.png``; for a regression ``predicted_vs_measured.png`` (and, for airfoil,
  ``residuals_vs_frequency.png``), for a classifier of two inputs ``decision_boundary.png``
  (moons);
- ``checkpoint.npz``: only while a run is interrupted; ``--resume`` continues from it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._checks import Array, rebuilt_error, shown, user_stacklevel
from glassnet._files import (
    LOCK_NAME,
    FolderInUseError,
    atomic_write_text,
    finite_json,
    folder_lock,
    listed,
    missing_folders,
    nearest_existing,
    os_error_text,
    placed_together,
    raw_name,
    shell_word,
    temporary_file_target,
    unwritable_kind,
)
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.data import Preprocessor
from glassnet.train._engines import REGRESSION_LOSSES
from glassnet.train._ensemble import Ensemble
from glassnet.train._fingerprint import data_fingerprint
from glassnet.train._tasks import Run, part_predictions, predict_raw
from glassnet.train._trainer import (
    MemberResult,
    ResumeState,
    TrainResult,
    check_resume_config,
    history_columns,
)

# what the CLI, the demo and the tests use from here, and the file names of the layout above;
# the other functions are this module's helpers
__all__ = [
    "HISTORY_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "PLOT_FILES",
    "RESUME_FILE",
    "RESUME_SETTINGS",
    "RUN_FILES",
    "FolderInUseError",
    "IncompleteRunError",
    "data_mismatch",
    "fresh_run_folder",
    "history_csv",
    "json_text",
    "load_resume",
    "locked_run_folders",
    "prepare_out_folder",
    "raw_name",
    "refuse_replacing",
    "refuse_unwritable_run_files",
    "refuse_writing_over",
    "remove_other_run_files",
    "resume_command",
    "run_checkpoint",
    "save_resume",
    "shell_word",
    "unprintable_note",
    "write_plots",
    "write_run",
]

MODEL_FILE = "model.npz"
RESUME_FILE = "checkpoint.npz"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
PLOT_FILES = (
    "loss_curves.png",
    "predicted_vs_measured.png",
    "residuals_vs_frequency.png",
    "decision_boundary.png",
)
RUN_FILES = (MODEL_FILE, RESUME_FILE, METRICS_FILE, HISTORY_FILE, *PLOT_FILES)


def run_info(run: Run) -> dict[str, Any]:
    """What a checkpoint records about the run besides weights and configuration."""
    return {
        **run.info,
        "task": run.task,  # what evaluate, predict and --resume read the data by: the run's, not info's
        "split": split_info(run),
        "log_columns": list(run.preprocessor.log_columns),
        "data_sha256": data_fingerprint(run.X, run.y),
        "status": run.result.status,
        "message": run.result.message,
        "seconds": run.result.seconds,
    }


def split_info(run: Run) -> dict[str, Any]:
    """The seed and fractions that split the run's rows (in its checkpoint and metrics.json)."""
    settings = run.split_settings
    return {
        "seed": settings.seed,
        "test_fraction": settings.test_fraction,
        "val_fraction": settings.val_fraction,
    }


def data_mismatch(checkpoint: Checkpoint, x: Any, y: Any) -> str | None:
    """Why (x, y) are not the rows ``checkpoint``'s run was trained on, or None when they are.

    A checkpoint saved before glassnet recorded the fingerprint (no ``info["data_sha256"]``)
    can only be compared by its row count, the total of its saved split parts.
    """
    n_split = sum(len(rows) for key, rows in checkpoint.arrays.items() if key.startswith("split_"))
    if n_split != len(x):
        return f"it has {len(x)} row{'' if len(x) == 1 else 's'}, the run's data had {n_split}"
    recorded = checkpoint.info.get("data_sha256")
    if recorded is not None and recorded != data_fingerprint(x, y):
        return "its rows differ from the run's, in values or in order (another SHA-256)"
    return None


def run_checkpoint(run: Run, *, with_resume: bool = False) -> Checkpoint:
    """The run as a :class:`Checkpoint` (with its resume state when ``with_resume``)."""
    resume = run.result.resume if with_resume else None
    finished = run.result.members
    if not finished and run.result.validation_members:  # stopped before any final pass ended:
        finished = run.result.validation_members  # the finished ones
    members = [member.weights for member in finished]
    numbers = [member.member for member in finished]
    if not members:  # interrupted in the first member: its weights so far stand in
        if resume is None:
            raise ValueError("the run has no trained member to save")
        members = [stand_in_weights(resume)]
        numbers = [resume.member % run.config.ensemble]
    refit = run.result.refit_kept
    return Checkpoint(
        spec=run.result.spec,
        members=members,
        activations=[run.config.member_activation(number) for number in numbers],
        config=run.config,
        preprocessor=run.preprocessor.to_state(),
        metrics=run.metrics,
        # "refit": whether the members saved were trained on the training and validation rows;
        # not config.refit, since a run that diverged or stopped in its validation pass was not
        info={**run_info(run), "refit": refit},
        history=run.result.history,
        arrays={f"split_{name}": rows for name, rows in run.parts().items()},
        resume=resume,
    )


def stand_in_weights(resume: ResumeState) -> dict[str, Array]:
    """The model of a run interrupted in its first member: the weights in progress, or, when a
    step just overflowed them (NaN or inf; the resume state keeps them, and the resumed epoch
    meets the divergence), the finite weights its epoch (or the one before) started from."""
    candidates = (resume.weights, resume.epoch_start_weights, resume.previous_epoch_start_weights)
    for weights in candidates:
        if weights is not None and all(np.isfinite(values).all() for values in weights.values()):
            return weights
    raise ValueError("the run was interrupted before it had finite weights to save as its model")


def metrics_document(run: Run) -> dict[str, Any]:
    """The content of metrics.json."""
    result = run.result
    # refit: the validation pass of each member kept, where early stopping and best-epoch restore act
    validated = {member.member: member for member in result.validation_members}
    return {
        "task": run.task,
        "unit": run.info.get("target_unit", ""),
        **{part: values for part, values in run.metrics.items()},
        "status": result.status,
        "message": result.message,
        "seconds": round(result.seconds, 3),
        "members": [
            {
                "member": member.member,
                # each member's own: the config's activation is the names the members take in turn
                # (the default's ["relu", "tanh"] for a single ReLU model); none without hidden
                # layers, where no activation is applied (a linear model was said to be tanh)
                "activation": run.config.member_activation(member.member) if run.config.hidden else None,
                **_pass_summary(member),
                **(
                    {"validation_pass": _pass_summary(validated[member.member])}
                    if member.member in validated
                    else {}
                ),
            }
            for member in result.members
        ],
        "protocol": _protocol(result, validated=len(run.split.val) > 0),
        "split": split_info(run),  # not run_info(run), which hashes every row for nothing here
        "config": run.config.to_dict(),
        "data_source": run.info.get("data_source"),
        # what, besides the configuration, made the rows the model saw: the features taken as
        # logs (a task option, not a TrainConfig field), and the generated moons' own settings
        "log_features": [_feature_name(run, column) for column in run.preprocessor.log_columns],
        **({"moons": {key: run.info.get(key) for key in MOONS_KEYS}} if run.task == "moons" else {}),
        # a resume that changed the engine, device or threads (glassnet train --resume): "config" names the last
        **({"resumed": run.info["resumed"]} if run.info.get("resumed") else {}),
    }


MOONS_KEYS = ("n_samples", "noise", "data_seed")  # what draws a moons run's rows (train moons's options)


def _feature_name(run: Run, column: int) -> str:
    names = run.info.get("feature_names")
    return str(names[column]) if isinstance(names, list) and column < len(names) else f"column {column}"


def _protocol(result: TrainResult, *, validated: bool) -> str:
    """What metrics.json's parts measure: under refit, 'val' the validation passes and 'train' the
    training and validation rows the model kept was retrained on. ``validated``: the split has
    validation rows."""
    if not validated:  # moons' default, --val-fraction 0: "the one validated" said what did not happen
        kept = (
            "the weights 'message' names (training diverged)"
            if result.status == "diverged"
            else "the one training ended with"
        )
        return (
            "one pass on the training rows, without validation rows: no early stopping or "
            f"best-epoch restore, the model kept is {kept}"
        )
    if not result.validation_members:
        if result.status != "diverged":
            return "one pass: the model kept is the one validated"
        # a validation pass diverged: under refit no final pass ran, and the members after it neither
        several = len(result.members) > 1
        held = (
            f"the model kept holds {len(result.members)} of the {result.config.ensemble} members, "
            f"{'the last of them ' if several else ''}with the weights 'message' names"
        )
        if result.config.refit:
            return (
                f"refit: training diverged in a validation pass (see 'message'), before any member was "
                f"retrained: {held}, {'each ' if several else ''}trained on the training rows only, and "
                "'train' is measured on those rows"
            )
        return f"one pass: the model kept is the one validated; training diverged (see 'message'): {held}"
    retrained = (
        "for as many epochs as its validation pass kept (patience > 0: its best epoch, or without "
        "restore_best the one it stopped at), keeping the last"
        if result.config.patience > 0 and result.final_pass_cut
        else "for all epochs, keeping the last"
    )
    if result.status == "diverged":  # only a final pass can diverge beside validation passes
        retrained = (
            f"until a final pass diverged (see 'message'): the model kept holds {len(result.members)} of the "
            f"{len(result.validation_members)} members, the last of them with the weights 'message' names"
        )
    return (
        "refit: 'val' measures the validation pass (trained on the training rows, where early "
        "stopping and best-epoch restore act); the model kept was then retrained on the training "
        f"and validation rows {retrained}, and 'train' is measured on those rows"
    )


def _pass_summary(member: MemberResult) -> dict[str, Any]:
    """How one pass of a member ended: epochs run, the epoch whose weights it kept, its status
    (completed, early_stopped, diverged)."""
    return {"epochs_run": len(member.history), "best_epoch": member.best_epoch, "status": member.status}


# the columns every record has (the Trainer's epoch records): the header of a history without
# records, as a run that diverges in its first epoch leaves, so that the file still reads as CSV
HISTORY_BASE_COLUMNS = ("member", "epoch", "lr", "train_loss")


def history_csv(history: list[dict[str, float]]) -> str:
    """The history as CSV text: a header, then one line per member and epoch."""
    columns = history_columns(history) or list(HISTORY_BASE_COLUMNS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in history:
        row = []
        for column in columns:
            value = record.get(column, math.nan)
            row.append(str(int(value)) if column in ("member", "epoch") else repr(float(value)))
        writer.writerow(row)
    return buffer.getvalue()


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:func:`glassnet._files.atomic_write_text`)."""
    return atomic_write_text(path, text)


def write_run(
    run: Run, folder: str | os.PathLike[str], *, plots: bool = True, force: bool = False
) -> dict[str, Path]:
    """Write the model, metrics, history and plots of a finished run into ``folder``; return the paths.

    The run's files replace any of those names in ``folder``, and the others of those names
    (a previous run's plots, say) are removed, so that the folder never mixes two runs: a
    folder that holds such files is refused unless ``force`` (:func:`refuse_replacing`; an
    interrupted run's checkpoint.npz, which this run finishes, is no such file). Files of
    other names are never touched. An interrupted run is refused: it has no model to write,
    and its state is what :func:`save_resume` keeps, for ``resume=`` to finish it.

    Examples
    --------
    >>> import os
    >>> from glassnet.train import MOONS_CONFIG, train_moons
    >>> from glassnet.train.artifacts import write_run
    >>> run = train_moons(MOONS_CONFIG.replace(epochs=5), n_samples=100)
    >>> written = write_run(run, "run", plots=False)  # the default adds the figures
    >>> sorted(written)
    ['history', 'metrics', 'model']
    >>> sorted(os.listdir("run"))
    ['history.csv', 'metrics.json', 'model.npz']

    A folder that holds a run's files is not written over unless ``force=True``:

    >>> write_run(run, "run", plots=False)
    Traceback (most recent call last):
        ...
    FileExistsError: run holds model.npz, metrics.json and history.csv, ... pass force=True to let it, ...
    """
    if run.result.status == "interrupted":
        raise ValueError(
            f"the run was interrupted ({run.result.message}): it has no finished model to write; "
            "save_resume(run, folder) keeps its state, which resume=load_checkpoint(folder/checkpoint.npz).resume "
            "finishes"
        )
    out = Path(folder)
    refuse_unwritable_run_files(out)  # with force too: no file is written in place of a link
    refuse_writing_over(out, run.info.get("data_source"))  # with force too: the data is no previous run's
    # locked while it is written (already, where the command holds it): two write_run calls
    # into one folder at once (processes, or threads) left the model of one run beside the
    # metrics of the other, each call told it succeeded, and one swept up the other's temporary
    # file as a killed save's; the second is refused now, FolderInUseError. Checked again under
    # the lock, where no other writer can change the folder
    with folder_lock(out):
        refuse_replacing(out, run, force=force, caller="write_run")
        return _write_run_files(run, out, plots=plots)


def _write_run_files(run: Run, out: Path, *, plots: bool) -> dict[str, Path]:
    """:func:`write_run`'s writing, into the folder ``out`` it has checked and locked."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    placed: list[Path] = []
    # the interrupted state this run finishes stays until its files are in place; another run's
    # (left there under --force) goes with that run's other files
    own_state = [out / RESUME_FILE] if _holds_the_state_of(out / RESUME_FILE, run) else []
    try:
        # every file is filled before any is put in place: a process killed while they were
        # written one by one (SIGKILL, a second or more with the plots) left the new model beside
        # a previous run's metrics and plots; now it leaves the previous run whole, and only a
        # kill in the renames at the end (microseconds) can mix the two
        def write() -> None:
            written["model"] = save_checkpoint(out / MODEL_FILE, run_checkpoint(run))
            written["metrics"] = write_text_atomically(
                out / METRICS_FILE, json_text(metrics_document(run)) + "\n"
            )
            written["history"] = write_text_atomically(out / HISTORY_FILE, history_csv(run.result.history))
            if plots:
                written.update(write_plots(run, out))
            # the previous run's files of names this run does not write (its plots under
            # --no-plots, another run's resume state, which a later --resume would have finished
            # in place of this run) go before the renames, not after them: a kill between the two
            # leaves part of the previous run, never the new run beside them. Not this run's own
            # state, nor any temporary file (these)
            remove_other_run_files(out, [*written.values(), *own_state], quiet=True, temporaries=False)

        placed_together(placed, write)
    except BaseException as error:
        # those filled before the error are in place (a failed rename leaves the rest out)
        written = {name: path for name, path in written.items() if path in placed}
        if not written:
            raise
        # the new model stands: the previous run's files would describe another model; the
        # interrupted state of this run stays, so that --resume can finish the writing (another
        # run's, left by --force, would have --resume replace this run with that one)
        kept = [*written.values(), *own_state]
        # quietly: a file that cannot be removed is named in the error, not raised in its place
        left = remove_other_run_files(out, kept, quiet=True)
        if isinstance(error, OSError):  # a full disk, say: the folder holds part of the run
            raise IncompleteRunError(error, out, list(written.values()), left) from error
        raise
    left = remove_other_run_files(out, written.values(), quiet=True)
    if left:
        # the state this run was resumed from, finished now, is no other run's
        own = [path for path, _ in left if path in own_state]
        raise IncompleteRunError(left[0][1], out, list(written.values()), left, whole=True, own=own)
    return written


class IncompleteRunError(OSError):
    """Writing a run's files failed after some were written: the folder holds those, whole
    (each was written atomically), and not the rest; or, with ``whole``, it holds them all but
    a previous run's file of a run file's name could not be removed beside them. The message
    says which, and names any file left there that should have gone (``left``: path and error;
    those in ``own`` are the interrupted state this run finished, the others another run's)."""

    def __init__(
        self,
        cause: OSError,
        folder: Path,
        written: list[Path],
        left: Sequence[tuple[Path, OSError]] = (),
        *,
        whole: bool = False,
        own: Sequence[Path] = (),
    ) -> None:
        names = listed([path.name for path in written])
        if whole:
            text = f"{folder} holds the run's {names}"
        else:
            text = f"{os_error_text(cause)}; {folder} holds the run's {names}, written before it, and not the rest"
        if left:
            described = listed(
                [
                    f"{path.name}, the interrupted state this run finished"
                    if path in own
                    else f"{path.name} of another run"
                    for path, _ in left
                ]
            )
            text += (
                f", beside {described}, which could not be removed "
                f"({os_error_text(left[0][1])}): remove {'it' if len(left) == 1 else 'them'} by hand"
            )
        super().__init__(text)
        self.errno = cause.errno  # ENOSPC, say, for a caller who tells causes apart (the message is the text)
        self.written = written
        self.left = [path for path, _ in left]

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its message, files and errno: from ``args`` alone, pickle and copy failed (a
        # process pool's worker that raised it broke the pool)
        return (rebuilt_error, (type(self), str(self), self.__dict__, self.errno))


LOSS_NAMES = {
    "mse": "mean squared error",
    "half_sse": "half squared error per row",
    "logistic": "logistic loss, mean per row",
    "bce": "binary cross-entropy, mean per row",
}


def loss_label(run: Run) -> str:
    """The loss curves' axis: which loss, and of what target; the history's losses are the
    training loss, in the units the model trains in (a standardised target has none)."""
    scaled = run.preprocessor is not None and run.preprocessor.scale_y
    return f"{LOSS_NAMES[run.config.loss]} ({'standardised target' if scaled else 'target as given'})"


def _predicted_where_defined(ensemble: Ensemble, preprocessor: Preprocessor, grid: Array) -> Array:
    """``predict_raw`` of the (M, d) points the preprocessing takes, NaN at the others: a decision
    boundary's grid runs past the data, into values ≤ 0 of a log-transformed column, which
    ``transform_x`` refuses (the figure failed, and the run's files with it); the figure leaves
    that part of the plane blank."""
    # in the model's dtype: a float32 model takes the scaled grid in float32, which may overflow
    defined = ~preprocessor.outside_domain(grid, ensemble.spec.dtype).any(axis=1)  # (M,)
    predicted = np.full(len(grid), np.nan)
    if defined.any():
        predicted[defined] = predict_raw(ensemble, preprocessor, grid[defined])
    return predicted


def write_plots(run: Run, out: Path) -> dict[str, Path]:
    """The run's figures (see the module docstring); a figure whose values its axes cannot place
    (:class:`glassnet.plots.UndrawableError`: targets near ±1e308, say) is left out with a
    warning, and the others are drawn: the run is finished, and its files are written."""
    from glassnet import plots

    written: dict[str, Path] = {}

    def draw(name: str, figure: Callable[[], Path]) -> None:
        try:
            written[name] = figure()
        except plots.UndrawableError as error:  # the whole run failed, exit 2, for want of a figure
            warnings.warn(f"{name}.png is not drawn: {error}", UserWarning, stacklevel=user_stacklevel())

    if run.result.history:
        draw(
            "loss_curves",
            lambda: plots.plot_loss_curves(
                run.result.history,
                out / "loss_curves.png",
                title=f"{run.task}: loss per epoch",
                ylabel=loss_label(run),
            ),
        )
    if not run.result.members:
        return written
    ensemble = run.ensemble()
    if run.config.loss not in REGRESSION_LOSSES:  # a classifier, whatever its task's name
        if run.X.shape[1] == 2:  # a boundary in the plane of its two inputs
            draw(
                "decision_boundary",
                lambda: plots.plot_decision_boundary(
                    lambda grid: _predicted_where_defined(ensemble, run.preprocessor, grid),
                    run.X,
                    run.y,
                    out / "decision_boundary.png",
                    output_activation=ensemble.spec.output_activation,
                    title=f"{'→'.join(map(str, ensemble.spec.sizes))} network on the {run.task} set",
                    # the rows the kept model never trained on: under refit the test rows, else the
                    # validation rows too (they were drawn filled, as trained on)
                    held_out=run.split.test
                    if run.result.validation_members
                    else np.concatenate([run.split.test, run.split.val]),
                ),
            )
        return written
    # refit: the model kept was trained on the validation rows, which its "train" covers; its
    # figures show it alone (the validation pass's models measured them, in metrics.json), so
    # those models predict nothing here
    parts, predicted = part_predictions(run, validation_pass=False)
    labels = {"train": "train+val"} if run.result.validation_ensemble() is not None else {}
    unit = str(run.info.get("target_unit") or "")  # as metrics.json's "unit": none unless the data names one
    measured = {name: run.y[rows] for name, rows in parts.items()}
    draw(
        "predicted_vs_measured",
        lambda: plots.plot_predicted_vs_measured(
            measured, predicted, out / "predicted_vs_measured.png", unit=unit, labels=labels
        ),
    )
    if run.task == "airfoil":  # its first column is the frequency
        draw(
            "residuals_vs_frequency",
            lambda: plots.plot_residuals_vs_frequency(
                {name: run.X[rows, 0] for name, rows in parts.items()},
                {name: predicted[name] - measured[name] for name in parts},
                out / "residuals_vs_frequency.png",
                unit=unit,
                labels=labels,
            ),
        )
    return written


def save_resume(run: Run, folder: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Save an interrupted run's state to ``folder/checkpoint.npz``; the other run files there are
    removed (they would describe another model), and so a folder holding any is refused
    unless ``force``, as by :func:`write_run`."""
    if run.result.resume is None:
        raise ValueError("only an interrupted run has a resume state to save")
    out = Path(folder)
    refuse_unwritable_run_files(out)
    refuse_writing_over(out, run.info.get("data_source"))
    with folder_lock(out):  # as write_run's
        refuse_replacing(out, run, force=force, caller="save_resume")
        out.mkdir(parents=True, exist_ok=True)
        path = save_checkpoint(out / RESUME_FILE, run_checkpoint(run, with_resume=True))
        remove_other_run_files(out, [path])
    return path


def refuse_replacing(
    out: Path,
    run: Run | None,
    *,
    force: bool,
    caller: str,
    remedy: str = "pass force=True to let it, or choose another folder",
) -> None:
    """FileExistsError, unless ``force``, when ``out`` holds files of the run files' names
    (:data:`RUN_FILES`), which ``caller`` would replace or remove: another run's, or the user's
    own of those names; the message ends with ``remedy``. A checkpoint.npz holding the
    interrupted state of ``run`` (its task and settings, on its rows and its split) is the
    state it finishes, or saves again, and is no such file; another run's state is (and every
    one, for ``run`` None: a run not trained yet). The command line checks its ``--out`` first
    (:func:`prepare_out_folder`) and passes ``force``. A retry of a write that failed part-way (:class:`IncompleteRunError`)
    finds the run's first files there, and needs ``force`` too."""
    if force or not out.is_dir():
        return
    found = [
        name
        for name in RUN_FILES
        if os.path.lexists(out / name)
        and not (run is not None and name == RESUME_FILE and _holds_the_state_of(out / name, run))
    ]
    if found:
        raise FileExistsError(
            f"{out} holds {listed(found)}, of another run or of your own, which {caller} would replace or remove "
            f"so that the folder holds one run: {remedy}"
        )


def _holds_the_state_of(path: Path, run: Run) -> bool:
    """Whether ``path`` is a checkpoint holding the interrupted state of ``run``: its task, its
    settings (those a resume must keep), on its rows (the fingerprint :func:`data_mismatch`
    compares) and in its split's parts, no further on than ``run`` (a training of the same run
    started afresh and stopped sooner would lose the state's progress)."""
    if not path.is_file():  # not a FIFO either, which reading would wait on
        return False
    try:
        checkpoint = load_checkpoint(path)
        if checkpoint.resume is None or checkpoint.config is None:
            return False
        check_resume_config(checkpoint.config, run.config)
    except (OSError, ValueError):
        return False
    saved = {key: rows for key, rows in checkpoint.arrays.items() if key.startswith("split_")}
    parts = {f"split_{name}": rows for name, rows in run.parts().items()}
    now = run.result.resume  # None: finished, past any saved state
    behind = now is not None and (now.member, now.epoch, now.batch) < (
        checkpoint.resume.member,
        checkpoint.resume.epoch,
        checkpoint.resume.batch,
    )
    return (
        not behind  # a new training of the same run, stopped sooner: the state saved is further on
        and checkpoint.info.get("task") == run.task
        and data_mismatch(checkpoint, run.X, run.y) is None
        and saved.keys() == parts.keys()
        and all(np.array_equal(saved[key], rows) for key, rows in parts.items())  # its split, not another's
        and _same_preprocessing(checkpoint.preprocessor, run.preprocessor.to_state())
    )


# Preprocessor.to_state keys that describe the rows seen, not the transform: the training range,
# which a refit run widens once its final pass has trained (an interrupted state's is narrower)
_RANGE_KEYS = frozenset({"x_min", "x_max"})


def _same_preprocessing(saved: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether two Preprocessor states transform rows alike: the same log columns, target scaling,
    scalers and Fourier draw (another log_columns or scale_y trains another run on the same rows
    and split, which its TrainConfig does not hold)."""
    keys = set(saved) - _RANGE_KEYS
    return keys == set(current) - _RANGE_KEYS and all(
        np.array_equal(saved[key], current[key]) for key in keys
    )


def remove_other_run_files(
    out: Path, kept: Iterable[Path], *, quiet: bool = False, temporaries: bool = True
) -> list[tuple[Path, OSError]]:
    """Remove the run files (:data:`RUN_FILES`) in ``out`` other than those ``kept``, which the
    run has just written: the rest are a previous run's (``--force``), say its plots under
    ``--no-plots``, or its model beside an interrupted run's checkpoint. Called once the new
    files are in place (and, by :func:`write_run`, just before, for the names they do not
    replace), so that a run that succeeds leaves its own files only, never a mixture of two
    runs; and by a run that fails part-way through writing them, which keeps what it wrote and
    its own interrupted state (:func:`write_run`). With ``quiet``, a file
    that cannot be removed (an immutable one, say) is returned with its error, for the caller
    to name, and the others are removed still; without, its OSError is raised. With
    ``temporaries``, a killed save's temporary files of run files go too."""
    keep = {path.name for path in kept}
    failed: list[tuple[Path, OSError]] = []
    for name in RUN_FILES:
        path = out / name
        if name in keep or (path.is_dir() and not path.is_symlink()):
            # a folder of that name is no run's file (refused before a run starts:
            # refuse_unwritable_run_files): left as it is, its error never hiding the real one
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            if not quiet:
                raise
            failed.append((path, error))
    for leftover in (
        leftover_temporary_files(out) if temporaries else []
    ):  # a killed save's: see prepare_out_folder
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            if not quiet:
                raise
    return failed


def leftover_temporary_files(out: Path) -> list[Path]:
    """The temporary files of run files that a save cut short left in ``out``: regular files
    named as :func:`glassnet._files.atomic_write` names them for a run file
    (``.model.npz.hdfpgzhs.tmp``), which a killed process (SIGKILL, a power cut) leaves behind
    and nothing ever reads. Other files are never among them."""
    try:
        entries = list(out.iterdir())
    except OSError:  # not there (yet), or not a folder
        return []
    return sorted(
        entry
        for entry in entries
        if temporary_file_target(entry.name) in RUN_FILES and entry.is_file() and not entry.is_symlink()
    )


def refuse_unwritable_run_files(out: Path) -> None:
    """ValueError naming an entry of ``out`` with a run file's name (:data:`RUN_FILES`) that the
    run could not write, after training for nothing: a folder (or a link to one), which it could
    neither replace nor remove as a previous run's; a symbolic link, a FIFO or a device, which
    its atomic writes refuse (:func:`glassnet._files.unwritable_kind`). Checked before the run
    starts."""
    for name in RUN_FILES:
        path = out / name
        if path.is_dir():
            raise ValueError(
                f"{path} is a folder, where the run writes (or removes) its {name} file; "
                "move it away, or choose another folder (--out)"
            )
        kind = unwritable_kind(path)
        if kind is not None:
            raise ValueError(
                f"{path} is a {kind}, where the run writes (or removes) its {name} file, a regular file; "
                "move it away, or choose another folder (--out)"
            )


def refuse_writing_over(out: Path, source: Any) -> None:
    """ValueError when a run file of ``out`` (:data:`RUN_FILES`) is ``source``, the data file
    the run reads: its files would replace the data (``--force`` lets a run replace a previous
    run's), and the run's model would name a data file that is now its history. A link or another
    name of the same file counts too. The command line checks it before the run starts;
    :func:`write_run` and :func:`save_resume` check it again before they write."""
    if not isinstance(source, str | os.PathLike):  # None: rows from memory (an int would be a descriptor)
        return
    for name in RUN_FILES:
        path = out / name
        try:
            same = os.path.samefile(path, source)
        except OSError:  # no such file: nothing to replace
            continue
        if same:
            raise ValueError(
                f"{path} is the data file this run reads ({source}); the run would replace it with its "
                f"{name}: choose another folder (--out), or move the data out of it"
            )


def refuse_unmakeable_folder(folder: Path, label: str) -> None:
    """ValueError when ``folder`` cannot be made where ``mkdir`` would fail with a bare "File
    exists" or "Not a directory": ``folder``, or one of the parents about to be made with it,
    is a symbolic link to nothing, or the nearest of them that exists is not a folder (a file
    named ``runs``). ``label`` names ``folder`` in the message ("--out runs/a")."""
    missing = missing_folders(folder)
    for path in missing:
        if path.is_symlink():
            where = label if path == folder else f"{label}: {path}"
            raise ValueError(
                f"{where} is a symbolic link to {os.readlink(path)}, which does not exist; "
                "make that folder first, or give another one"
            )
    existing = nearest_existing(folder)
    if existing.exists() and not existing.is_dir():
        where = label if existing == folder else f"{label}: {existing}"
        raise ValueError(f"{where} exists and is not a folder")


def load_resume(folder: str | os.PathLike[str]) -> Checkpoint:
    """The resume checkpoint of an interrupted run in ``folder``, its run description checked.

    Inside :func:`locked_run_folders` the folder is locked first. Raises NotADirectoryError
    when ``folder`` is a file (the checkpoint itself, given for its folder), FileNotFoundError
    when there is nothing to resume and ValueError when the checkpoint holds no resume
    state or a run description (``info``) that glassnet did not write.
    """
    path = Path(folder) / RESUME_FILE
    if Path(folder).exists() and not Path(folder).is_dir():  # the checkpoint itself, say
        raise NotADirectoryError(
            f"--resume continues the run in a folder; --out {folder} is a file: give its folder, "
            f"--out {shell_word(str(Path(folder).parent)) or Path(folder).parent}"
        )
    if Path(folder).is_dir():
        # locked before the checkpoint is looked for: a run still in progress there has none
        # yet, and is refused as the folder in use, not as nothing to resume
        _lock_if_held(Path(folder))
    if not path.is_file():
        raise FileNotFoundError(f"no interrupted run to resume in {folder} (no {RESUME_FILE})")
    checkpoint = load_checkpoint(path)
    if checkpoint.resume is None or checkpoint.config is None:
        raise ValueError(f"{path} holds no resume state")
    _check_resume_info(checkpoint.info, path)
    return checkpoint


def _check_resume_info(info: dict[str, Any], path: Path) -> None:
    """The fields ``--resume`` reads from ``info``: the task, the split and, for moons, the data."""
    split = info.get("split")
    fields = {"seed": int, "test_fraction": float, "val_fraction": float}
    if not isinstance(split, dict) or any(
        isinstance(split.get(key), bool) or not isinstance(split.get(key), int | float) for key in fields
    ):
        raise ValueError(f"{path}: damaged run description (split {shown(split)})")
    if info.get("task") == "moons":
        for key in ("n_samples", "noise"):
            value = info.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{path}: damaged run description ({key} {shown(value)})")
    resumed = info.get("resumed")  # the earlier resumes that changed how the run computes
    if resumed is not None and not (
        isinstance(resumed, list)
        and all(
            isinstance(entry, dict)
            and entry.keys() == {"epochs_before", "settings"}
            and type(entry["epochs_before"]) is int
            and entry["epochs_before"] >= 0
            and isinstance(entry["settings"], dict)
            and set(entry["settings"]) <= set(RESUME_SETTINGS)
            for entry in resumed
        )
    ):
        raise ValueError(f"{path}: damaged run description (resumed {shown(resumed)})")


RESUME_SETTINGS = ("engine", "device", "cuda_graph", "threads")
"""What ``glassnet train --resume`` may change: where and how fast the run computes."""


def fresh_run_folder(base: str | os.PathLike[str], prefix: str) -> Path:
    """A new folder ``base/prefix-YYYYmmdd-HHMMSS[-k]``, made here.

    Making it is what reserves the name: two runs started in the same second (a script
    that starts several seeds at once) both found the name free, and the second was then
    refused for the first one's lock. ``mkdir`` fails for all but one of them, and the
    others take the next k. Inside :func:`locked_run_folders` the folder (and ``base``,
    if made here) is removed again when the run fails before writing into it.
    """
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = Path(base)
    refuse_unmakeable_folder(root, f"{root} (the folder of new runs; --out names another)")
    created = _CREATED.get()
    if created is None:  # outside locked_run_folders nothing is removed
        created = []
    created.extend(missing_folders(root))  # registered first: removed even if a mkdir below fails
    root.mkdir(parents=True, exist_ok=True)
    candidate, counter = root / f"{prefix}-{stamp}", 1
    while True:
        try:
            candidate.mkdir()
        except FileExistsError:  # another run took this name first
            counter += 1
            candidate = root / f"{prefix}-{stamp}-{counter}"
            continue
        created.insert(0, candidate)  # deepest first, before base's
        return candidate


_HELD_LOCKS: ContextVar[contextlib.ExitStack | None] = ContextVar("glassnet_run_locks", default=None)
_CREATED: ContextVar[list[Path] | None] = ContextVar("glassnet_created_run_folders", default=None)


@contextlib.contextmanager
def locked_run_folders() -> Iterator[None]:
    """A scope in which :func:`prepare_out_folder` and :func:`load_resume` lock their folder.

    Each folder stays locked (:func:`glassnet._files.folder_lock`) until the scope ends,
    so two trainings into one folder cannot interleave: the second is refused with a
    message naming the folder and the first one's pid. ``glassnet train`` runs inside it.
    A folder that :func:`prepare_out_folder` or :func:`fresh_run_folder` created here (with
    its parents) is removed again when the scope ends with an error while the folder is
    still empty, a run that failed before writing anything; a folder that existed before is
    never removed.
    """
    created: list[Path] = []
    created_token = _CREATED.set(created)
    try:
        with contextlib.ExitStack() as stack:
            token = _HELD_LOCKS.set(stack)
            try:
                yield
            finally:
                _HELD_LOCKS.reset(token)
    except BaseException:
        for folder in created:  # deepest first; the locks, and their files, are gone by now
            with contextlib.suppress(OSError):  # not empty (or not there): it stays
                folder.rmdir()
        raise
    finally:
        _CREATED.reset(created_token)


def _lock_if_held(out: Path) -> None:
    stack = _HELD_LOCKS.get()
    if stack is not None:
        stack.enter_context(folder_lock(out))


def prepare_out_folder(folder: str | os.PathLike[str], *, force: bool) -> Path:
    """Check that ``folder`` may receive a run: absent or empty, or ``force``.

    With ``force`` a previous run's files stay until the new run has written its own
    (:func:`write_run`, :func:`save_resume`), so a run that fails does not empty the folder;
    a killed save's temporary files (:func:`leftover_temporary_files`) go with them.
    Inside :func:`locked_run_folders` the folder is locked first (refused if another
    process holds it); the lock file itself does not make a folder "not empty". Refused too,
    before any training: a symbolic link to nothing, or a file, on the way
    (:func:`refuse_unmakeable_folder`), and a
    folder holding a folder, a symbolic link, a FIFO or a device of a run file's name
    (:func:`refuse_unwritable_run_files`).
    """
    out = Path(folder)
    refuse_unmakeable_folder(out, f"--out {out}")
    created = _CREATED.get()
    if created is not None:  # the folders about to be made, deepest first, for locked_run_folders
        created.extend(missing_folders(out))
    _lock_if_held(out)
    if out.is_dir():
        if not force:
            refuse_not_empty(out)
        refuse_unwritable_run_files(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def refuse_not_empty(out: Path) -> None:
    """ValueError when the folder ``out`` holds anything but its lock file. Where ``ls`` would show
    nothing (hidden files only) the message names them, a killed save's temporary files as such;
    it points to ``--resume`` only where the folder's checkpoint.npz reads as an interrupted
    run's."""
    entries = sorted(entry.name for entry in out.iterdir() if entry.name != LOCK_NAME)
    if not entries:
        return
    detail = ""
    if all(name.startswith(".") for name in entries):
        listed = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        leftovers = {path.name for path in leftover_temporary_files(out)}
        if set(entries) <= leftovers:
            what = "a temporary file" if len(entries) == 1 else "temporary files"
            detail = f": it holds {listed}, {what} left by a save that was cut short (a killed run)"
        else:
            detail = f": it holds hidden files, {listed}"
    raise ValueError(f"--out {out} is not empty{detail}; use --force to overwrite it{_resume_hint(out)}")


def _resume_hint(out: Path) -> str:
    """The pointer to ``--resume`` of a refused non-empty ``out``: only where its checkpoint.npz
    reads as an interrupted run's (a truncated one does not: --resume would fail on it)."""
    path = out / RESUME_FILE
    if not path.is_file():  # not a FIFO either, which reading would wait on
        return ""
    try:
        checkpoint = load_checkpoint(path)
    except (OSError, ValueError):
        return f" ({RESUME_FILE} there is not a readable checkpoint, so --resume cannot continue it)"
    if checkpoint.resume is None or checkpoint.config is None:
        return ""
    return " (or --resume to continue the interrupted run it holds)"


def json_text(document: Any) -> str:
    """``document`` as indented JSON, as metrics.json holds it: NaN and ±inf (an R² of constant
    targets, an RMSE that overflows) written as null, since JSON has no such numbers."""
    return json.dumps(finite_json(document), indent=2, allow_nan=False)


def resume_command(
    task: object, folder: str | os.PathLike[str], data_source: object = None, options: str = ""
) -> str:
    """The command that finishes the interrupted ``task`` run in ``folder``, as ``glassnet train``
    prints it after Ctrl-C and ``evaluate``/``predict`` name it for its checkpoint: the same
    line from both. ``data_source``: the file the run read (its ``info["data_source"]``), given
    as ``--data`` so the resumed run reads the same rows; ``options``: output flags to repeat
    (" --quiet --no-plots"), which the checkpoint does not keep.

    A folder whose name starts with "-" is given as ``--out=NAME`` (``--out -r`` would read as
    an option); a folder or data file whose name no printed line gives back (:func:`shell_word`)
    stands as FOLDER or FILE, which :func:`unprintable_note` then describes."""
    folder_text = os.fspath(folder)
    word = shell_word(folder_text)
    if word is None:
        out = "--out FOLDER"
    else:
        out = f"--out={word}" if folder_text.startswith("-") else f"--out {word}"
    data = ""
    if isinstance(data_source, str) and data_source:
        data = f" --data {shell_word(data_source) or 'FILE'}"
    return f"glassnet train {task} {out}{data} --resume{options}"


def unprintable_note(folder: str | os.PathLike[str], data_source: object = None) -> str:
    """What the FOLDER and FILE of :func:`resume_command` stand for (" (FOLDER is the run folder
    b'bad\\xffname', whose name cannot be printed as typed)"), or "" where it printed them."""
    notes = []
    if shell_word(os.fspath(folder)) is None:
        notes.append(f"FOLDER is the run folder {raw_name(os.fspath(folder))}")
    if isinstance(data_source, str) and data_source and shell_word(data_source) is None:
        notes.append(f"FILE is the data file {raw_name(data_source)}")
    if not notes:
        return ""
    whose = "whose names" if len(notes) > 1 else "whose name"
    return f" ({' and '.join(notes)}, {whose} cannot be printed as typed)"
