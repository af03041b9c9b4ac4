"""Figures of a training run, drawn with Matplotlib's Agg canvas (no display, no pyplot state).
An SVG is saved with Matplotlib's global ``svg.hashsalt`` set while it is written (one such save
at a time), so its ids do not change; a save by other code meanwhile would see that salt.

Each function writes one figure (PNG, or SVG/PDF by the suffix) atomically and returns its path: loss curves, predicted vs measured,
residuals vs frequency, and the decision boundary of a 2-D classifier. Values no Matplotlib axis can
place (beyond ±1e300, or outside 1e-200 to 1e200 on a log axis) are refused, UndrawableError.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from glassnet._checks import metric_text, shown
from glassnet._files import atomic_write, suffix_of

__all__ = [
    "UndrawableError",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_predicted_vs_measured",
    "plot_residuals_vs_frequency",
]

Array = npt.NDArray[np.float64]
PART_COLOURS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}
LINEAR_AXIS_LIMIT = 1e300
"""The largest magnitude a figure draws on a linear axis: beyond about 1e305 Matplotlib's margins
and ticks overflow float64 (its tick locator fails, "arange: cannot compute length")."""
LOG_AXIS_RANGE = (1e-200, 1e200)
"""The values a figure draws on a log axis: a margin of 5 % of the decades shown, on either
side, took a range such as 1e-250 to 1e250 past float64 (Matplotlib's points vanished, with an
overflow warning)."""


class UndrawableError(ValueError):
    """Values that a figure's axes cannot place (:data:`LINEAR_AXIS_LIMIT`, :data:`LOG_AXIS_RANGE`):
    the figure is not drawn. A run's files are written without it, and a warning names it."""


def refuse_undrawable(values: Array, what: str, caller: str, *, log: bool = False) -> None:
    """UndrawableError when a finite value of ``values`` lies outside what an axis (log or linear)
    can draw; NaN and ±inf, which a figure leaves out, are not checked."""
    finite = values[np.isfinite(values)]
    if log:
        low, high = LOG_AXIS_RANGE
        outside = finite[(finite < low) | (finite > high)]
        if outside.size:
            raise UndrawableError(
                f"{caller} draws {what} from {low:g} to {high:g} on a log axis (Matplotlib's axis "
                f"overflows float64 beyond), got {outside[0]:g}"
            )
    elif finite.size and np.abs(finite).max() > LINEAR_AXIS_LIMIT:
        raise UndrawableError(
            f"{caller} draws {what} up to ±{LINEAR_AXIS_LIMIT:g} (Matplotlib's axis overflows float64 "
            f"beyond), got {finite[np.argmax(np.abs(finite))]:g}"
        )


GRID_MARGIN = 0.15
"""How far the decision boundary's grid reaches past the data, a share of each axis's span
(two moons: 0.54 and 0.37, about the 0.5 a fixed margin gave)."""


def _figure(width: float = 6.0, height: float = 4.5) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def show_figures_in_ipython() -> None:
    """In IPython (a Jupyter kernel), have matplotlib figures displayed as images, in the formats
    the user chose (PNG by default), unless the shell displays them in some format already.

    glassnet draws on a bare ``Figure`` with an Agg canvas, never through pyplot, and the inline
    backend registers the display of figures only once pyplot makes one (or after ``%matplotlib
    inline``): until then a cell ending in an explanation's ``figure()`` showed the text
    ``<Figure size 1110x670 with 1 Axes>``. The formats the user chose are kept: those
    registered already, else ``%config InlineBackend.figure_formats`` (svg, retina). Outside
    IPython: nothing.
    """
    ipython = sys.modules.get("IPython")  # never imported here: a script without IPython pays nothing
    shell = None if ipython is None else ipython.get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    for formatter in shell.display_formatter.formatters.values():
        try:
            formatter.lookup_by_type(Figure)
        except KeyError:
            continue
        return  # displayed already, in the user's format
    from IPython.core.pylabtools import select_figure_formats

    formats: Any = {"png"}
    options: dict[str, Any] = {}
    try:  # the formats a %config (or the kernel's config file) chose before the backend started
        from matplotlib_inline.config import InlineBackend

        chosen = InlineBackend.instance(parent=shell)
        formats, options = chosen.figure_formats, dict(chosen.print_figure_kwargs)
    except ImportError:  # IPython without matplotlib-inline (a terminal shell): PNG
        pass
    select_figure_formats(shell, formats, **options)  # type: ignore[no-untyped-call]


SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
# Matplotlib is not thread-safe: figures drawn in threads at once failed in its text layout
# (mathtext's parser: "ParseException: exception raised in parse action"), all 8 plots drawn
# from 4 threads, and train's plots from 4 CLI runs in threads. glassnet draws one figure at a
# time, whichever thread asks; re-entrant, as a plot is saved inside the drawing of it.
_FIGURES = threading.RLock()


def _figures_lock_for_the_child() -> None:
    """In a forked child: a lock of its own. The parent's, held across the fork, is held by the
    thread that forked, which drew nothing."""
    global _FIGURES
    _FIGURES = threading.RLock()


# a child forked while another thread drew a figure inherited the lock held, and Matplotlib's
# own locks (its text layout's cache) mid-use, and hung in its first figure (10 of 10): the
# fork waits until no figure is being drawn. Registered after logging's hooks, so that this one
# runs first: a figure being drawn may log, and the forking thread must not hold logging's lock
# while it waits for that figure
if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    import logging  # noqa: F401  (its fork hooks first)

    os.register_at_fork(
        before=lambda: _FIGURES.acquire(),
        after_in_parent=lambda: _FIGURES.release(),
        after_in_child=_figures_lock_for_the_child,
    )

_Function = TypeVar("_Function", bound=Callable[..., Any])


def one_figure_at_a_time(function: _Function) -> _Function:
    """``function`` (which draws or saves a figure) run while no other thread draws one."""

    @functools.wraps(function)
    def drawing(*args: Any, **kwargs: Any) -> Any:
        with _FIGURES:
            return function(*args, **kwargs)

    return cast(_Function, drawing)


def write_figure(figure: Any, target: str | os.PathLike[str], fmt: str, **options: Any) -> Path:
    """Draw ``figure`` into ``target`` atomically, in ``fmt``, the same bytes for the same figure
    (:func:`figure_writer`)."""
    return atomic_write(target, figure_writer(figure, fmt, **options))


def figure_writer(figure: Any, fmt: str, **options: Any) -> Callable[[Path], None]:
    """A ``write`` for :func:`~glassnet._files.atomic_write` that draws ``figure`` in ``fmt``, the
    same bytes for the same figure: an SVG's date and the ids of its clip paths (random by
    default) and a PDF's date are fixed."""

    @one_figure_at_a_time
    def save(temporary: Path) -> None:
        metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
        if fmt != "svg":
            figure.savefig(temporary, format=fmt, metadata=metadata, **options)
            return
        import matplotlib

        # the SVG's ids come from the salt, not uuid4, where the salt is set: Matplotlib reads it
        # from its global rcParams, which the lock keeps to one glassnet save at a time (one
        # save's rc_context put back settings another set)
        with matplotlib.rc_context({"svg.hashsalt": "glassnet"}):
            figure.savefig(temporary, format=fmt, metadata=metadata, **options)

    return save


def _save(
    figure: Any,
    path: str | os.PathLike[str],
    axes: Any,
    title: str,
    *,
    grid: bool = True,
    legend: str = "best",
    legend_size: str | None = None,
) -> Path:
    """Title, grid and legend on ``axes``, then draw ``figure`` into ``path`` atomically; the
    format comes from the suffix (.png, .svg, .pdf)."""
    axes.set_title(title)
    if grid:
        axes.grid(True, alpha=0.3)
    axes.legend(loc=legend, fontsize=legend_size)
    fmt = SAVE_FORMATS.get(suffix_of(path))
    if fmt is None:
        raise ValueError(f"a figure file must end in {', '.join(SAVE_FORMATS)}, got {str(path)!r}")
    figure.tight_layout()
    return write_figure(figure, path, fmt)  # as given: "y.png/" names a folder, which the write refuses


@one_figure_at_a_time
def plot_loss_curves(
    history: Sequence[Mapping[str, float]],
    path: str | os.PathLike[str],
    *,
    title: str = "Loss per epoch",
    ylabel: str = "loss (mean per row)",
) -> Path:
    """Training and validation loss against the epoch, one pair of curves per ensemble member;
    ``ylabel`` names the loss (a run's figure says which, and of what target).

    Examples
    --------
    >>> import os
    >>> from glassnet.plots import plot_loss_curves
    >>> history = [  # as TrainResult.history records it: one record per member and epoch
    ...     {"epoch": 1, "train_loss": 1.0, "val_loss": 1.2},
    ...     {"epoch": 2, "train_loss": 0.5, "val_loss": 0.8},
    ...     {"epoch": 3, "train_loss": 0.25, "val_loss": 0.6},
    ... ]
    >>> plot_loss_curves(history, "loss.png").name  # the format from the suffix: .png, .svg or .pdf
    'loss.png'
    >>> sorted(os.listdir("."))
    ['loss.png']
    """
    if not history:
        raise ValueError("plot_loss_curves needs at least one epoch of history")
    for index, record in enumerate(history):  # every line is drawn against it (a KeyError before)
        if "epoch" not in record:
            raise ValueError(
                f"plot_loss_curves needs an 'epoch' in every record, got record {index} with keys {sorted(record)}"
            )
        if math.isnan(record["epoch"]):
            raise ValueError(
                f"plot_loss_curves needs a number in 'epoch' of every record, got NaN in record {index}"
            )
    # a NaN stands for a value the record lacks, as history.csv writes it (the validation pass's refit)
    history = [{key: value for key, value in record.items() if not math.isnan(value)} for record in history]
    from matplotlib.ticker import MaxNLocator

    figure = _figure()
    axes = figure.add_subplot()
    # one curve per member and pass; a final (refit) pass trains on training + validation rows
    curves = sorted({(int(r.get("refit", 0)), int(r.get("member", 0))) for r in history})
    members = sorted({member for _, member in curves})
    # an infinite loss, which matplotlib leaves out of a line unmarked, named in the legend entry
    # that stands for every member's line of its kind: {(refit, key): " , ∞ from epoch k …"}
    notes = {
        (refit, key): _overflow_note(
            [r for r in history if int(r.get("refit", 0)) == refit], key, len(members) > 1
        )
        for refit in {refit for refit, _ in curves}
        for key in ("train_loss", "val_loss")
    }
    suffix = f" ({len(members)} members)" if len(members) > 1 else ""
    # members share a colour per kind: the first line drawn of a kind, (refit, "train" or "val"),
    # has the entry that stands for all (entries per member would name lines the reader cannot
    # tell apart); the first member may draw no validation line, where the second does
    labelled: set[tuple[int, str]] = set()

    def label(refit: int, kind: str, text: str) -> str | None:
        if (refit, kind) in labelled:
            return None
        labelled.add((refit, kind))
        return text

    for refit, member in curves:
        rows = [r for r in history if (int(r.get("refit", 0)), int(r.get("member", 0))) == (refit, member)]
        epochs = [record["epoch"] for record in rows]
        alpha = 1.0 if len(members) == 1 else 0.6
        marker = "o" if len(rows) == 1 else None  # a pass of one epoch is a point, which a bare line hides
        axes.plot(
            epochs,
            [r.get("train_loss", math.nan) for r in rows],  # a NaN (a diverged epoch) is a gap
            color=PART_COLOURS["train"],
            alpha=alpha,
            linestyle="--" if refit else "-",
            marker=marker,
            label=label(
                refit,
                "train",
                f"{'refit on train+val' if refit else 'train'}{suffix}{notes[refit, 'train_loss']}",
            ),
        )
        if any("val_loss" in r for r in rows):
            axes.plot(
                epochs,
                [r.get("val_loss", math.nan) for r in rows],  # a NaN (or a record without one) is a gap
                color=PART_COLOURS["val"],
                alpha=alpha,
                marker=marker,
                label=label(refit, "val", f"validation{suffix}{notes[refit, 'val_loss']}"),
            )
    values = np.array([r[k] for r in history for k in ("train_loss", "val_loss") if k in r])  # (n,)
    refuse_undrawable(values, "losses", "plot_loss_curves")
    finite = values[np.isfinite(values)]
    low, high = LOG_AXIS_RANGE
    if finite.size and finite.min() > 0 and low <= finite.min() and finite.max() <= high:
        axes.set_yscale("log")  # else linear: a log axis cannot show 0, nor losses past its range
    axes.set_xlabel("epoch")
    # no epoch 1.5 in a short run; min_n_ticks=1 keeps that for a run of one epoch too, where
    # the locator dropped its integer rule for want of a second tick (0.945, 0.960, …)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes.set_ylabel(ylabel)
    return _save(figure, path, axes, title)


def _overflow_note(records: Sequence[Mapping[str, float]], key: str, ensemble: bool) -> str:
    """ ", ∞ from epoch k" (", ∞ from epoch k, member m" in an ensemble) for the first record whose
    ``key`` is infinite; "" when none is."""
    infinite = [r for r in records if math.isinf(r.get(key, 0.0))]
    if not infinite:
        return ""
    first = min(infinite, key=lambda r: (r["epoch"], r.get("member", 0.0)))
    # members counted from 1, as the Trainer's messages count them
    member = f", member {int(first.get('member', 0)) + 1}" if ensemble else ""
    return f", ∞ from epoch {int(first['epoch'])}{member}"


def _parts(
    first: Mapping[str, npt.ArrayLike],
    second: Mapping[str, npt.ArrayLike],
    names: tuple[str, str],
    caller: str,
) -> dict[str, tuple[Array, Array]]:
    """The parts' two value vectors, flattened; ValueError when a part lacks one or their sizes differ,
    or when no part has a value to draw."""
    parts: dict[str, tuple[Array, Array]] = {}
    for part, values in first.items():
        if part not in second:
            raise ValueError(f"{caller}: part {part!r} has {names[0]} but no {names[1]}")
        a = np.asarray(values, dtype=np.float64).reshape(-1)  # (n,)
        b = np.asarray(second[part], dtype=np.float64).reshape(-1)  # (n,)
        if a.size != b.size:
            raise ValueError(f"{caller}: part {part!r} has {a.size} {names[0]} but {b.size} {names[1]}")
        parts[part] = (a, b)
    extra = [part for part in second if part not in first]
    if extra:  # it was left out of the figure, silently
        raise ValueError(f"{caller}: part {extra[0]!r} has {names[1]} but no {names[0]}")
    if not any(a.size for a, _ in parts.values()):
        raise ValueError(
            f"{caller} needs at least one value, got {', '.join(map(repr, parts)) or 'no parts'}"
        )
    return parts


@one_figure_at_a_time
def plot_predicted_vs_measured(
    measured: Mapping[str, npt.ArrayLike],
    predicted: Mapping[str, npt.ArrayLike],
    path: str | os.PathLike[str],
    *,
    unit: str = "",
    title: str = "Predicted vs measured",
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Scatter of prediction against measurement for each part (train/val/test), with y = x;
    ``unit`` is the target's ("dB" for airfoil; "" for none: the axes and RMSE carry no unit),
    ``labels`` names a part otherwise than its key in the legend ("train+val")."""
    labels = labels or {}
    parts = _parts(measured, predicted, ("measured values", "predictions"), "plot_predicted_vs_measured")
    from glassnet.train._metrics import regression_metrics

    for part, (y, p) in parts.items():
        refuse_undrawable(
            np.concatenate([y, p]), f"the values of part {part!r}", "plot_predicted_vs_measured"
        )
    figure = _figure(5.5, 5.5)
    axes = figure.add_subplot()
    low, high = np.inf, -np.inf
    for part, (y, p) in parts.items():
        if y.size == 0:
            continue
        # metrics.json's RMSE: computed in units of the largest residual, it neither overflows to
        # inf nor underflows to 0 where the plain formula does (residuals beyond 1e154, below 1e-162)
        rmse = regression_metrics(p, y)["rmse"]
        label = f"{labels.get(part, part)} (RMSE {metric_text(rmse, 2)}{' ' + unit if unit else ''})"
        axes.scatter(y, p, s=8, alpha=0.6, color=PART_COLOURS.get(part), label=label)
        both = np.concatenate([y, p])  # (2n,)
        finite = both[np.isfinite(both)]  # an overflowed ŷ (±inf) would take the y = x line off the figure
        if finite.size:
            low, high = min(low, finite.min()), max(high, finite.max())
    if np.isfinite(low):
        axes.plot([low, high], [low, high], color="black", linewidth=1, label="y = x")
    axes.set_xlabel(f"measured [{unit}]" if unit else "measured")
    axes.set_ylabel(f"predicted [{unit}]" if unit else "predicted")
    return _save(figure, path, axes, title)


@one_figure_at_a_time
def plot_residuals_vs_frequency(
    frequency: Mapping[str, npt.ArrayLike],
    residual: Mapping[str, npt.ArrayLike],
    path: str | os.PathLike[str],
    *,
    unit: str = "dB",
    title: str = "Residuals vs frequency",
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Residual (predicted − measured) against frequency on a log axis, for each part, in the
    target's ``unit`` (airfoil's dB by default, the figure being airfoil's; "" for none);
    ``labels`` names a part otherwise than its key in the legend ("train+val"). A frequency ≤ 0
    or not finite, which the log axis cannot show, is refused (ValueError)."""
    labels = labels or {}
    parts = _parts(frequency, residual, ("frequencies", "residuals"), "plot_residuals_vs_frequency")
    for part, (f, _) in parts.items():
        drawable = np.isfinite(f) & (f > 0)  # the log axis would leave any other out, silently
        if not drawable.all():
            index = int(np.flatnonzero(~drawable)[0])
            raise ValueError(
                f"plot_residuals_vs_frequency needs finite frequencies > 0 (a log axis), got {f[index]:g} "
                f"at index {index} of part {part!r}"
            )
    for part, (f, r) in parts.items():
        refuse_undrawable(f, f"the frequencies of part {part!r}", "plot_residuals_vs_frequency", log=True)
        refuse_undrawable(r, f"the residuals of part {part!r}", "plot_residuals_vs_frequency")
    figure = _figure(6.5, 4.5)
    axes = figure.add_subplot()
    drawn = False
    for part, (f, r) in parts.items():
        if f.size:
            axes.scatter(f, r, s=8, alpha=0.6, color=PART_COLOURS.get(part), label=labels.get(part, part))
            drawn = drawn or bool((np.isfinite(r) & (f > 0)).any())
    axes.axhline(0.0, color="black", linewidth=1)
    if drawn:  # with no point to show (every residual NaN or inf), a log axis has no range to take
        axes.set_xscale("log")
    axes.set_xlabel("frequency [Hz]")
    axes.set_ylabel(f"predicted − measured [{unit}]" if unit else "predicted − measured")
    return _save(figure, path, axes, title)


def plot_decision_boundary(
    predict: Callable[[Array], npt.ArrayLike],
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    path: str | os.PathLike[str],
    *,
    output_activation: str | None,
    title: str = "Decision boundary",
    resolution: int = 200,
    held_out: npt.ArrayLike | None = None,
) -> Path:
    """Filled P(y = 1) over the plane with the boundary ŷ = t and the points, for 2-D inputs.

    ``predict`` gives the model's output ŷ, (M,) or (M, 1), for (M, 2) points: a logit
    (``output_activation`` None, P = σ(ŷ), t = 0) or a probability ("sigmoid", P = ŷ, t = 0.5); see
    :func:`glassnet.train.decision_threshold`. ``held_out``: the indices of the points the
    model never trained on (the test rows, and the validation rows of a model not refit),
    drawn hollow. Labels are 0/1 or soft labels in [0, 1], a point of class 1 where y > 0.5,
    as accuracy reads them; others are refused. A NaN output (a part of the plane outside the
    model's domain, say) is left blank. The plane shown is the data's box widened on each side
    by :data:`GRID_MARGIN` of its span on that axis (0.5 on an axis where all points agree),
    sampled at ``resolution`` points per axis.
    """
    from glassnet.train._metrics import (
        LABEL_THRESHOLD,
        PM1_HINT,
        class_probability,
        decision_threshold,
        labels_outside,
    )

    points = np.asarray(X, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64).reshape(-1)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs (N, 2), got shape {points.shape}")
    if len(points) == 0:
        raise ValueError(f"plot_decision_boundary needs at least one point, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("plot_decision_boundary needs finite inputs, got NaN or inf in X")
    refuse_undrawable(points, "inputs", "plot_decision_boundary")  # and the plane, GRID_MARGIN wider
    if labels.shape != (len(points),):
        raise ValueError(
            f"plot_decision_boundary needs one label per point ({len(points)}), got {labels.size}"
        )
    outside = labels_outside(labels)
    if outside.any():  # a point of label 2 was left out of both classes, silently
        index = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"plot_decision_boundary needs labels in [0, 1] (0/1, or soft labels), got {labels[index]:g} "
            f"at point {index}" + (PM1_HINT if labels[index] == -1 else "")
        )
    classes = labels > LABEL_THRESHOLD  # (N,) as accuracy reads a label
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) or resolution < 2:
        raise ValueError(f"resolution must be an integer ≥ 2 (grid points per axis), got {resolution!r}")
    test = np.zeros(len(points), dtype=bool)  # (N,) the held-out points
    if held_out is not None:
        rows = np.asarray(held_out)
        if rows.ndim == 1 and rows.size == 0:  # no point held out: [] is float64 to numpy
            rows = rows.astype(np.intp)
        if (
            rows.ndim != 1
            or rows.dtype.kind not in "iu"
            or (rows.size and not 0 <= rows.min() <= rows.max() < len(points))
        ):
            raise ValueError(
                f"held_out must be indices of the {len(points)} points (a 1-D integer array), got {shown(rows)}"
            )
        test[rows] = True
    # the grid reaches past the data by a share of each axis's span, in the data's own units: a
    # fixed 0.5 put all of data spanning 0.01 between two grid lines, its boundary not the model's
    low, high = points.min(axis=0), points.max(axis=0)  # (2,) each
    span = high - low  # (2,)
    margin = np.where(span > 0, GRID_MARGIN * span, 0.5)  # (2,) 0.5 where every point has one value
    x1 = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    x2 = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid1, grid2 = np.meshgrid(x1, x2)  # (R, R) each
    output = np.asarray(predict(np.column_stack([grid1.ravel(), grid2.ravel()])))  # (R²,) or (R², 1)
    if output.shape not in ((grid1.size,), (grid1.size, 1)):  # a reshape error named no cause
        raise ValueError(
            f"plot_decision_boundary needs predict to give one output per grid point, shape ({grid1.size},) "
            f"or ({grid1.size}, 1), got shape {output.shape}"
        )
    output = output.reshape(grid1.shape)  # (R, R)
    if output_activation == "sigmoid" and ((output < 0) | (output > 1)).any():
        raise ValueError(
            "plot_decision_boundary with output_activation='sigmoid' needs probabilities in [0, 1], "
            f"got outputs from {np.nanmin(output):g} to {np.nanmax(output):g}"
        )
    probability = class_probability(output, output_activation)  # (R, R)
    # drawn while no other thread draws (one_figure_at_a_time), after predict: a predict that
    # forks (a process pool) waited for the figure lock a fork takes, which this thread held
    with _FIGURES:
        figure = _figure(5.5, 5.0)
        axes = figure.add_subplot()
        filled = axes.contourf(
            grid1, grid2, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6
        )
        threshold = decision_threshold(output_activation)
        known = output[~np.isnan(output)]  # a NaN part of the plane is left blank, as contour leaves it
        if known.size and known.min() < threshold < known.max():
            # ±inf (a saturated logit) as a finite value beyond the rest, on its side of the threshold
            reach = float(np.abs(known[np.isfinite(known)]).max(initial=1.0)) * 2.0 + 1.0
            surface = np.clip(output, -reach, reach)
            axes.contour(grid1, grid2, surface, levels=[threshold], colors="black", linewidths=1.5)
            # the contour's legend entry
            axes.plot([], [], color="black", linewidth=1.5, label="boundary, P = ½")
        else:  # a model of one class over the whole plane (a dead ReLU network, say): no line to draw
            side = "≤" if known.size and known.max() <= threshold else "≥"
            what = f"P {side} ½ everywhere shown" if known.size else "the model's output is NaN"
            axes.plot([], [], linestyle="none", label=f"no boundary: {what}")
        for label, marker in ((0, "o"), (1, "^")):
            colour = "#2166ac" if label == 0 else "#b2182b"
            for part, hollow in ((~test, False), (test, True)):
                chosen = (classes == bool(label)) & part
                if hollow and not chosen.any():
                    continue
                axes.scatter(
                    points[chosen, 0],
                    points[chosen, 1],
                    s=14,
                    marker=marker,
                    edgecolors=colour if hollow else "black",
                    linewidths=0.9 if hollow else 0.4,
                    facecolors="none" if hollow else colour,
                    label=f"class {label}" + (", held out" if hollow else ""),
                )
        figure.colorbar(filled, ax=axes, label="P(class 1)")
        axes.set_xlabel("x₁")
        axes.set_ylabel("x₂")
        # small: five entries over the points (hollow ones the held-out rows)
        return _save(figure, path, axes, title, grid=False, legend="upper right", legend_size="x-small")
