"""The two tasks of the exercise as complete runs: airfoil regression and the 2-D moons classifier.

A run = split (from the seed) → preprocessing fitted on the training rows only → training
(:class:`Trainer`) → metrics on every part in the target's units. Nothing is written to
disk here; ``glassnet.cli`` and the benchmark save what they need.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import MAX_SEED, Array, as_float_array, finite_float, int_in_range, shown
from glassnet._files import check_storable
from glassnet._seeds import MOONS_STREAM
from glassnet.data import (
    AIRFOIL_LOG_COLUMNS,
    FEATURE_NAMES,
    Dataset,
    OutOfDomainError,
    Preprocessor,
    Split,
    make_moons,
    train_val_test_split,
)
from glassnet.data._airfoil import magnitude_refusal, nonpositive_magnitudes
from glassnet.data._split import _fraction
from glassnet.losses import LOSSES, get_loss
from glassnet.nn._activations import BOUNDED_OUTPUTS
from glassnet.train._config import TrainConfig, _choice
from glassnet.train._engines import REGRESSION_LOSSES
from glassnet.train._ensemble import Ensemble, predict_rows
from glassnet.train._metrics import classification_metrics, decision_threshold, regression_metrics
from glassnet.train._trainer import EpochCallback, ResumeState, Trainer, TrainResult, _check_labels

# σ of the Fourier frequencies of each airfoil feature (frequency, angle of attack, chord,
# velocity, displacement thickness), for TrainConfig.fourier_sigma None: the sound level
# changes sharply between the six chords and smoothly with the four velocities (the U⁵ law),
# so chord gets 1.5 × and velocity 0.5 × the σ of the others, as a Gaussian process's
# lengthscales suggested; measured on the benchmark's splits (docs/airfoil.md)
AIRFOIL_FOURIER_SIGMA = (0.2, 0.2, 0.3, 0.1, 0.2)
DEFAULT_FOURIER_SIGMA = 0.2  # every input's σ for TrainConfig.fourier_sigma None, other data

MOONS_CONFIG = TrainConfig(
    hidden=(3,),
    activation="relu",
    loss="logistic",
    optimizer="adam",
    lr=0.05,
    weight_decay=0.0,
    schedule="constant",
    batch_size=32,
    epochs=200,
    seed=0,
    fourier_features=0,
)
"""The exercise's 2→3→1 ReLU network trained with the logistic loss on the moons set."""


@dataclass
class SplitSettings:
    """How rows are split: the test part first, then validation carved from the rest."""

    seed: int = 0  # seeds the shuffle: default_rng(seed)
    test_fraction: float = 0.2  # share of all rows held out for the final figures
    val_fraction: float = 0.1  # share of the remaining rows used for early stopping

    def __post_init__(self) -> None:
        # None would draw another split at every run, True would be 1; numpy's own refusal of a
        # negative seed does not say which setting it is
        self.seed = int_in_range(self.seed, "SplitSettings seed", 0, MAX_SEED)
        # checked now, as train_val_test_split checks them, not at the first split
        self.test_fraction = _fraction(self.test_fraction, "SplitSettings test_fraction")
        self.val_fraction = _fraction(self.val_fraction, "SplitSettings val_fraction")

    def split(self, n: int) -> Split:
        return train_val_test_split(
            n,
            test_fraction=self.test_fraction,
            val_fraction=self.val_fraction,
            rng=np.random.default_rng(self.seed),
        )


@dataclass
class Run:
    """A finished (or interrupted) run with everything needed to report and save it.

    Attributes:
        task: "airfoil", "moons", or a caller's name for its own data (``train_dataset``).
        X: (N, d) raw features, every row of every part.
        y: (N,) raw target (dB for airfoil), labels 0/1, or BCE's targets in [0, 1].
        split: The rows of the training, validation and test parts (indices into X and y).
        split_settings: The seed and fractions that drew ``split``.
        preprocessor: The preprocessing, fitted on the training rows; the model takes its
            ``transform_x`` of the raw rows.
        result: What the Trainer returned: the members, their history, the run's status.
        metrics: Part -> metric -> value (:func:`run_metrics`); empty when the run kept no
            member: interrupted before its first member finished (under refit, its first
            final pass).
        info: What the run's checkpoint records about its data besides the rows: feature and
            target names and units, data source, … (``train_dataset``: its ``info``).
    """

    task: str
    X: Array = field(repr=False)
    y: Array = field(repr=False)
    split: Split = field(repr=False)
    split_settings: SplitSettings
    preprocessor: Preprocessor
    result: TrainResult
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> TrainConfig:
        return self.result.config

    def ensemble(self) -> Ensemble:
        """The members, taking preprocessed rows (``preprocessor.transform_x``) and predicting in the
        model's units; :meth:`predict` takes raw rows and answers in the target's."""
        return self.result.ensemble()

    def predict(self, x: npt.ArrayLike) -> Array:
        """Predictions for raw features, in the target's units (dB for airfoil); for a classifier
        the model's output, a logit (or a probability, with a sigmoid output). (N, d) -> (N,)."""
        return predict_raw(self.ensemble(), self.preprocessor, x)

    def parts(self) -> dict[str, np.ndarray[Any, Any]]:
        return {"train": self.split.train, "val": self.split.val, "test": self.split.test}


def predict_raw(ensemble: Ensemble, preprocessor: Preprocessor | None, x: npt.ArrayLike) -> Array:
    """Model output in the target's units for raw feature rows: (N, d) -> (N,), for a model of
    one output (a level, say, or a classifier's logit or probability); ValueError for one of several."""
    _check_model_and_preprocessing(ensemble, preprocessor, "predict_raw")
    if ensemble.spec.n_outputs != 1:  # [:, 0] would drop the other outputs, silently
        raise ValueError(
            f"predict_raw takes a model of one output, got {ensemble.spec.n_outputs}; "
            "use Ensemble.predict for several"
        )
    # in the model's dtype's range: a float32 member would refuse a scaled value beyond its own,
    # naming neither the row's value nor its column
    # (without one, x as given: Ensemble.predict checks it, where np.asarray parsed strings and
    # read the numbers under a mask)
    if preprocessor is None:
        output = ensemble.predict(x)[:, 0]  # (N,)
    else:
        # the features block by block, in the blocks Ensemble.predict runs them in (the same
        # numbers as all at once): a million rows' Fourier features took 680 MB at once
        rows = predict_rows(max(ensemble.spec.sizes))
        blocks = preprocessor.transform_x_blocks(x, ensemble.spec.dtype, rows)
        output = np.concatenate([np.empty(0), *(ensemble.predict(block)[:, 0] for block in blocks)])
    if preprocessor is not None and preprocessor.scale_y:
        # an output that overflowed (a float32 model far outside its training rows) stays ±inf or
        # NaN, for the caller to name by its row: inverse_transform_y refuses it (σ_y > 0 keeps
        # the sign of an inf)
        finite = np.isfinite(output)
        predicted = output.astype(np.float64)
        predicted[finite] = preprocessor.inverse_transform_y(output[finite])
        return predicted
    return output


def _check_model_and_preprocessing(ensemble: object, preprocessor: object, caller: str) -> None:
    """TypeError unless ``ensemble`` is an Ensemble and ``preprocessor`` a Preprocessor or None:
    given the other way round, an AttributeError on .spec named neither."""
    if not isinstance(ensemble, Ensemble):
        raise TypeError(f"{caller} takes an Ensemble first (run.ensemble()), got {type(ensemble).__name__}")
    if preprocessor is not None and not isinstance(preprocessor, Preprocessor):
        raise TypeError(
            f"{caller} takes a Preprocessor (or None) second (run.preprocessor), got {type(preprocessor).__name__}"
        )


def evaluate_parts(
    ensemble: Ensemble,
    preprocessor: Preprocessor | None,
    x: Array,
    y: Array,
    parts: dict[str, Any],
    *,
    loss: str,
) -> dict[str, dict[str, float]]:
    """Metrics of every part (rows given by index arrays) of a model trained with ``loss``:
    RMSE/MAE/R² in the target's units for a regression loss, else accuracy, computed as the
    run's own metrics (``Run.metrics``) are.

    Each part is measured as given. A refit model (the recipe's protocol) has trained on the
    validation rows, so measured on ``run.parts()`` its "val" figures are training figures:
    give it ``model_parts(parts, refit=True)``, whose "train" holds them, as ``glassnet
    evaluate`` does. Its held-out validation figures are those of the validation pass's
    models, in ``Run.metrics``."""
    _check_model_and_preprocessing(ensemble, preprocessor, "evaluate_parts")
    _check_parts(parts, "evaluate_parts")
    prediction = predict_raw(ensemble, preprocessor, x)  # (N,)
    y = as_float_array(y, name="evaluate_parts y", dtype=np.dtype(np.float64), finite=False)
    if y.ndim == 2 and y.shape[1] == 1:  # (N, 1), as train_dataset and the Trainer take it
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"evaluate_parts y must be (N,) or (N, 1), got shape {y.shape}")
    if len(y) != len(prediction):
        raise ValueError(f"evaluate_parts needs a target per row of x ({len(prediction)}), got {len(y)}")
    predicted = {name: prediction[rows] for name, rows in parts.items()}
    return _measured(predicted, y, parts, loss=loss, output_activation=ensemble.spec.output_activation)


def _measured(
    predicted: Mapping[str, Array],
    y: Array,
    parts: Mapping[str, Any],
    *,
    loss: str,
    output_activation: str | None,
) -> dict[str, dict[str, float]]:
    """:func:`part_metrics` of every part that has rows, its ``predicted`` values against ``y``
    at its rows: accuracy for a classification ``loss`` (ŷ > t ↔ class 1), else RMSE/MAE/R²."""
    _choice(loss, LOSSES, "loss")  # "MSE" is no name: not a classifier
    threshold = decision_threshold(output_activation)
    classify = loss not in REGRESSION_LOSSES  # the loss decides, not the task's name
    return {
        name: part_metrics(predicted[name], y[rows], classify=classify, threshold=threshold)
        for name, rows in parts.items()
        if len(rows) > 0
    }


def part_metrics(prediction: Array, target: Array, *, classify: bool, threshold: float) -> dict[str, float]:
    """One part's metrics and row count n: RMSE/MAE/R² in the target's units, or accuracy (a
    classifier, ŷ > threshold)."""
    if classify:
        values = classification_metrics(prediction, target, threshold=threshold)
    else:
        values = regression_metrics(prediction, target)
    return {**values, "n": len(target)}  # an int: "n": 1202 in metrics.json, not 1202.0


def target_scale(preprocessor: Preprocessor) -> float:
    """How many target units one model unit is worth: σ_y, which the target was divided by
    (1 when it was not scaled). Read from the scaler, not as inverse(1) − inverse(0), which
    loses σ_y's digits to μ_y when |μ_y| ≫ σ_y."""
    if not isinstance(preprocessor, Preprocessor):
        raise TypeError(
            f"target_scale takes a Preprocessor (run.preprocessor), got {type(preprocessor).__name__}"
        )
    scale = preprocessor.y_scaler.scale_
    if scale is None:
        raise ValueError("target_scale needs a fitted Preprocessor")
    return float(scale)


TASKS = ("airfoil", "moons")  # the names of glassnet's own data sets, which their runs are read back by


def train_dataset(
    task: str,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    config: TrainConfig,
    *,
    split: SplitSettings,
    log_columns: Sequence[int] = (),
    scale_y: bool = True,
    progress: bool = False,
    resume: ResumeState | None = None,
    callback: EpochCallback | None = None,
    handle_sigint: bool = True,
    info: dict[str, Any] | None = None,
) -> Run:
    """Split, fit the preprocessing on the training rows, train, and measure every part.

    X (N, d) and y (N,) or (N, 1) are checked whole before the split, so that an error names
    a row as the caller numbers it. The metrics follow the loss, whatever the ``task`` name:
    accuracy for a classifier (labels 0/1, taken as given: ``scale_y=False``), else RMSE,
    MAE and R² in the target's units. ``task`` names the data in the run's files; "airfoil"
    and "moons" are glassnet's own data sets (:func:`train_airfoil`, :func:`train_moons`),
    whose runs ``glassnet evaluate`` and ``predict`` read back as such, and are refused here.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.train import SplitSettings, TrainConfig, train_dataset
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(50, 2))
    >>> y = 3 * X[:, 0] - X[:, 1] + 1  # a plane to learn
    >>> config = TrainConfig(hidden=(8,), activation="tanh", fourier_features=0, lr=0.01,
    ...                      schedule="constant", batch_size=16, epochs=30)
    >>> run = train_dataset("plane", X, y, config, split=SplitSettings(seed=0))
    >>> run.result.status, len(run.split.train), len(run.split.val), len(run.split.test)
    ('completed', 36, 4, 10)
    >>> sorted(run.metrics["test"])  # a regression's, in the target's units
    ['mae', 'n', 'r2', 'rmse']
    >>> run.metrics["test"]["r2"] > 0.9
    True
    >>> run.predict(X[:3]).shape  # raw rows in, the target's units out
    (3,)
    """
    if not isinstance(task, str) or not task.strip():  # it names the data in the run's files
        raise TypeError(f"task must be a name (a non-empty string), got {shown(task)}")
    if task in TASKS:
        raise ValueError(
            f"task {task!r} is glassnet's own data set: train it with train_{task}, or give your data another name"
        )
    _check_config(config, "train_dataset", optional=False)  # else an AttributeError, on .loss
    _check_split(split, "train_dataset")  # else an AttributeError, on .split
    return _train_dataset(
        task,
        X,
        y,
        config,
        split=split,
        log_columns=log_columns,
        scale_y=scale_y,
        progress=progress,
        resume=resume,
        callback=callback,
        handle_sigint=handle_sigint,
        info=info,
    )


def _train_dataset(
    task: str,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    config: TrainConfig,
    *,
    split: SplitSettings,
    log_columns: Sequence[int] = (),
    scale_y: bool = True,
    progress: bool = False,
    resume: ResumeState | None = None,
    callback: EpochCallback | None = None,
    handle_sigint: bool = True,
    info: dict[str, Any] | None = None,
) -> Run:
    """:func:`train_dataset` for any task, glassnet's own included."""
    check_storable(info, "info")  # written into the run's checkpoint: refused now, not after training
    # a copy, checked anew: the Run keeps it, and a caller's object changed afterwards (a sweep
    # that sets .seed on one SplitSettings) made every Run record the last seed, unchecked
    split = copy.copy(split)  # not dataclasses.replace, which a subclass's own __init__ may not take
    split.__post_init__()
    X, y = _dataset_rows(X, y)
    if scale_y and config.loss not in REGRESSION_LOSSES:
        given = "labels 0/1" if config.loss == "logistic" else "targets in [0, 1]"
        raise ValueError(
            f"loss={config.loss!r} trains on {given} as given: pass scale_y=False "
            "(standardised, they would no longer be)"
        )
    if scale_y and config.loss in REGRESSION_LOSSES and config.output_activation in BOUNDED_OUTPUTS:
        # a standardised target is below 0 for about half the rows and beyond ±1 for a third:
        # such an output would floor (or cap) every prediction, silently
        raise ValueError(
            f"output_activation={config.output_activation!r} cannot reach the standardised target "
            "(scale_y=True: mean 0, standard deviation 1, negative for about half the rows); pass "
            "scale_y=False for a target already in the output's range, or no output activation"
        )
    if config.loss not in REGRESSION_LOSSES:  # every label now, named by its row as given; the
        # Trainer checks its parts' labels, where a bad one of the test rows met no check until
        # the metrics, after the whole training
        _check_labels(get_loss(config.loss), y.reshape(-1, 1), "the data's")
    # None: the data set's own σ (train_airfoil has given airfoil's); the run's config records it
    sigma = DEFAULT_FOURIER_SIGMA if config.fourier_sigma is None else config.fourier_sigma
    config = config.replace(fourier_sigma=sigma)
    parts = split.split(len(X))
    if config.patience > 0 and len(parts.val) == 0:  # the Trainer's message names its own arguments
        raise ValueError(
            f"patience={config.patience} stops on the validation rows, and the split has none "
            f"(val_fraction={split.val_fraction} of {len(X)} rows): give SplitSettings a larger "
            "val_fraction, or patience=0"
        )
    preprocessor = Preprocessor(
        log_columns=log_columns,  # as given: Preprocessor names what is not a sequence of indices
        scale_y=scale_y,
        fourier_features=config.fourier_features,
        fourier_sigma=sigma,
        seed=config.seed,
    )
    preprocessor.check_domain(X)  # every row first: fit would name a row by its place among the training rows
    preprocessor.fit(X[parts.train], y[parts.train])
    # in the model's dtype: a float32 model refuses a row whose z lies beyond float32's range,
    # which run_metrics met only after the whole training
    x_all = preprocessor.transform_x(X, config.dtype)  # (N, d)
    y_all = preprocessor.transform_y(y) if scale_y else y  # (N,)
    has_val = len(parts.val) > 0
    trainer = Trainer(
        config,
        x_all[parts.train],
        y_all[parts.train],
        x_all[parts.val] if has_val else None,
        y_all[parts.val] if has_val else None,
        target_scale=target_scale(preprocessor) if scale_y else 1.0,
        progress=progress,
        callback=callback,
        handle_sigint=handle_sigint,
    )
    result = trainer.run(resume)
    if result.refit_kept:  # the model kept trained on the validation rows as well: not an extrapolation
        preprocessor.widen_training_range(X[parts.val])
    run = Run(
        task=task,
        X=X,
        y=y,
        split=parts,
        split_settings=split,
        preprocessor=preprocessor,
        result=result,
        info=dict(info or {}),
    )
    if result.members:
        run.metrics = run_metrics(run)
    return run


def _dataset_rows(X: Any, y: Any) -> tuple[Array, Array]:
    """X as a finite (N, d) float array, N ≥ 1 and d ≥ 1, and y as a finite (N,) one, (N, 1) taken
    as (N,): copies, never the caller's arrays, which a Run keeps (its file's fingerprint and
    plots, the metrics run_metrics recomputes) and the caller may change after training."""
    features = np.array(as_float_array(X, name="X", ndim=2))  # (N, d)
    target = np.array(as_float_array(y, name="y"))
    if target.ndim == 2 and target.shape[1] == 1:
        target = target.reshape(-1)  # (N, 1) -> (N,)
    if target.shape != (len(features),):
        raise ValueError(
            f"y must have shape ({len(features)},) to match X of shape {features.shape}, got {target.shape} "
            "(one target per row)"
        )
    if len(features) == 0:  # the split would say "n must be a positive integer, got 0"
        raise ValueError(f"X has no rows (shape {features.shape}); expected at least one row to train on")
    if features.shape[1] == 0:  # the scaler would name a part of the rows, "X of shape ... got (7, 0)"
        raise ValueError(
            f"X has no feature columns (shape {features.shape}); expected at least one column to train on"
        )
    return features, target


def run_metrics(run: Run) -> dict[str, dict[str, float]]:
    """Metrics of every part; with refit, the validation figures come from the validation passes.

    A refit model has seen the validation rows, so "val" is measured with the models of the
    validation pass (trained on the training rows only) and "train" on every row the final
    model was trained on (training and validation rows).
    """
    parts, predicted = part_predictions(run)
    return _measured(
        predicted, run.y, parts, loss=run.config.loss, output_activation=run.result.spec.output_activation
    )


def part_predictions(
    run: Run, *, validation_pass: bool = True
) -> tuple[dict[str, npt.NDArray[np.intp]], dict[str, Array]]:
    """The rows of each part ("train", "val", "test", in that order) and the predictions they are
    measured with (:func:`run_metrics`, the run's plots): a refit model has trained on the
    validation rows, so its "train" covers the training and validation rows, and "val" is
    predicted by the validation pass's models (not at all with ``validation_pass`` False: the
    model kept's parts alone, as its figures show it)."""
    parts = run.parts()
    validation = run.result.validation_ensemble()
    kept = model_parts(parts, refit=validation is not None)
    prediction = run.predict(run.X)  # (N,)
    predicted = {name: prediction[rows] for name, rows in kept.items()}
    if validation is not None and validation_pass:
        kept["val"] = parts["val"]
        predicted["val"] = predict_raw(validation, run.preprocessor, run.X)[parts["val"]]
    order = [name for name in ("train", "val", "test") if name in kept]
    return {name: kept[name] for name in order}, {name: predicted[name] for name in order}


def model_parts(parts: Mapping[str, npt.NDArray[Any]], *, refit: bool) -> dict[str, npt.NDArray[Any]]:
    """The parts to measure a kept model on: a refit model was trained on the training and
    validation rows, so its "train" covers both and it has no "val" of its own."""
    _check_parts(parts, "model_parts")
    if not refit or len(parts.get("val", ())) == 0:
        return dict(parts)
    return {"train": np.concatenate([parts["train"], parts["val"]]), "test": parts["test"]}


def _check_parts(parts: object, caller: str) -> None:
    """TypeError unless ``parts`` is a mapping of part names to row indices (a Split is not one)."""
    if not isinstance(parts, Mapping):
        refit = (
            "; a refit model's through model_parts(parts, refit=True)" if caller == "evaluate_parts" else ""
        )
        raise TypeError(
            f"{caller} takes the parts as a mapping of names to row indices (split.to_state() or "
            f"run.parts(){refit}), got {type(parts).__name__}"
        )


def _check_config(config: object, caller: str, *, optional: bool = True) -> None:
    """TypeError unless ``config`` is a TrainConfig, or None where ``optional`` (the caller then
    has a recipe of its own); a dict of settings is not one."""
    if not isinstance(config, TrainConfig) and not (optional and config is None):
        hint = ": build one, TrainConfig(**settings)" if isinstance(config, Mapping) else ""
        takes = "a TrainConfig or None" if optional else "a TrainConfig"
        raise TypeError(f"{caller} takes {takes} as config, got {type(config).__name__}{hint}")


def _check_split(split: object, caller: str) -> None:
    """TypeError unless ``split`` is a SplitSettings; a dict of settings is not one."""
    if not isinstance(split, SplitSettings):
        hint = ": build one, SplitSettings(**settings)" if isinstance(split, Mapping) else ""
        raise TypeError(f"{caller} takes a SplitSettings as split, got {type(split).__name__}{hint}")


def airfoil_config(config: TrainConfig | None = None) -> TrainConfig:
    """The configuration :func:`train_airfoil` trains: ``config`` (default: the recipe,
    ``TrainConfig()``) with the data set's own σ of the Fourier frequencies where it has None."""
    config = config if config is not None else TrainConfig()
    return config if config.fourier_sigma is not None else config.replace(fourier_sigma=AIRFOIL_FOURIER_SIGMA)


def train_airfoil(
    dataset: Dataset,
    config: TrainConfig | None = None,
    *,
    split: SplitSettings | None = None,
    log_features: bool = True,
    **options: Any,
) -> Run:
    """The airfoil regression: log of frequency and displacement thickness, standardised X and y.

    The split's seed defaults to ``config.seed``; metrics are in dB. ``options`` are
    :func:`train_dataset`'s ``scale_y``, ``progress``, ``resume``, ``callback`` and
    ``handle_sigint``.
    """
    _refuse_fixed(options, {"log_columns": "log_features=", "info": None}, "train_airfoil")
    if not isinstance(dataset, Dataset):  # ds.X, an array, has no feature names nor target
        raise TypeError(
            f"train_airfoil takes a glassnet.data.Dataset (load_airfoil's), got {type(dataset).__name__}"
        )
    _check_config(config, "train_airfoil")
    _check_magnitudes(dataset)
    config = airfoil_config(config)
    if split is not None:
        _check_split(split, "train_airfoil")
    split = split if split is not None else SplitSettings(seed=config.seed)
    info = {
        "task": "airfoil",
        "feature_names": list(dataset.feature_names),
        "feature_units": list(dataset.feature_units),
        "target_name": dataset.target_name,
        "target_unit": dataset.target_unit,
        # absolute (links kept, as the user named it): the hints that name it hold from any folder
        "data_source": os.path.abspath(dataset.source) if dataset.source is not None else None,
        "n_rows": len(dataset),
    }
    try:
        return _train_dataset(
            "airfoil",
            dataset.X,
            dataset.y,
            config,
            split=split,
            log_columns=AIRFOIL_LOG_COLUMNS if log_features else (),  # they act on log scales
            info=info,
            **options,
        )
    except OutOfDomainError as error:  # a row of X (every row is checked before any part is taken)
        raise dataset.located(error) from None  # by file, line and column, as the loader names values


def _check_magnitudes(dataset: Dataset) -> None:
    """ValueError naming the first row and column of an airfoil data set whose physical magnitude
    (frequency, chord length, velocity, displacement thickness: ``POSITIVE_COLUMNS``) is ≤ 0,
    as load_airfoil and predict refuse it: a Dataset built in memory reached training with them,
    and predict then refused the rows the model was trained on. A NaN is left to the rows' check
    for finite values, which names it as such."""
    if dataset.X.shape[1] != len(FEATURE_NAMES):
        return  # not airfoil's columns: the Preprocessor's checks name what is wrong
    bad = nonpositive_magnitudes(dataset.X)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"train_airfoil: row {row}, column {column} ({dataset.feature_names[column]}) "
            f"{magnitude_refusal(dataset.X[row, column])}"
        )


MOONS_SAMPLES = (4, 1_000_000)  # the rows `glassnet train moons` draws: enough for every part
MOONS_NOISE = (0.0, 10.0)  # the noise it takes, in the moons' units (their radius is 1)


def saved_moons(info: Mapping[str, Any]) -> tuple[int, float, int]:
    """(n_samples, noise, seed) of the moons a moons run's ``info`` records (the checkpoint's),
    each checked, as the command line checks them: a run regenerates its data from them."""
    try:
        n_samples, noise, seed = int(info["n_samples"]), float(info["noise"]), int(info["data_seed"])
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise ValueError(
            f"the model's moons settings are damaged ({type(error).__name__}: {error})"
        ) from None
    if not (
        MOONS_SAMPLES[0] <= n_samples <= MOONS_SAMPLES[1]
        and MOONS_NOISE[0] <= noise <= MOONS_NOISE[1]
        and 0 <= seed <= MAX_SEED
    ):
        raise ValueError(
            f"the model's moons settings are out of range: {n_samples} samples, noise {noise}, seed {seed}"
        )
    return n_samples, noise, seed


def moons_data(n_samples: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[Array, Array]:
    """The 2-D moons set for the exercise's network: X (N, 2), y (N,) in {0, 1}, drawn from
    ``default_rng([seed, MOONS_STREAM])``."""
    seed = int_in_range(seed, "seed", 0, MAX_SEED)  # None would draw another set at every call
    return make_moons(n_samples, noise=noise, rng=np.random.default_rng([seed, MOONS_STREAM]))


def train_moons(
    config: TrainConfig | None = None,
    *,
    n_samples: int = 400,
    noise: float = 0.2,
    split: SplitSettings | None = None,
    **options: Any,
) -> Run:
    """The exercise's 2→3→1 network (logistic loss) on the moons set, drawn from ``config.seed``.

    Without ``config``, :data:`MOONS_CONFIG` (the exercise's network and loss), whose metrics
    are accuracies; a config of another loss trains it on the 0/1 labels all the same, with
    that loss's metrics (RMSE, MAE and R² for ``mse``: TrainConfig's default loss). ``options``
    are :func:`train_dataset`'s ``progress``, ``resume``, ``callback`` and ``handle_sigint``.

    Examples
    --------
    >>> from glassnet.train import train_moons
    >>> run = train_moons()  # MOONS_CONFIG: 200 epochs of Adam on 400 points
    >>> run.result.status, run.result.spec.sizes
    ('completed', (2, 3, 1))
    >>> {part: metrics["n"] for part, metrics in run.metrics.items()}  # a quarter held out for the test
    {'train': 300, 'test': 100}
    >>> run.metrics["test"]["accuracy"] > 0.8
    True
    >>> run.predict([[0.0, 1.0], [1.0, -0.5]]) > 0  # logits: the upper moon is class 0, the lower 1
    array([False,  True])
    """
    _refuse_fixed(options, {"log_columns": None, "info": None, "scale_y": None}, "train_moons")
    _check_config(config, "train_moons")
    config = config if config is not None else MOONS_CONFIG
    if split is not None:
        _check_split(split, "train_moons")
    split = (
        split if split is not None else SplitSettings(seed=config.seed, test_fraction=0.25, val_fraction=0.0)
    )
    # the bounds the command line takes and saved_moons reads a run back with: a run outside them
    # trained and saved a model that glassnet evaluate then refused
    n_samples = int_in_range(n_samples, "n_samples", *MOONS_SAMPLES)
    noise = finite_float(noise, "noise")
    if not MOONS_NOISE[0] <= noise <= MOONS_NOISE[1]:
        raise ValueError(f"noise must be in [{MOONS_NOISE[0]:g}, {MOONS_NOISE[1]:g}], got {noise:g}")
    X, y = moons_data(n_samples, noise, config.seed)
    info = {
        "task": "moons",
        "feature_names": ["x1", "x2"],
        "feature_units": ["", ""],
        "target_name": "label",
        "target_unit": "",
        "n_samples": n_samples,
        "noise": noise,
        "data_seed": config.seed,
    }
    return _train_dataset(
        "moons", X, y, config, split=split, log_columns=(), scale_y=False, info=info, **options
    )


# the options train_dataset takes that train_airfoil and train_moons pass on as given
_PASSED_ON = frozenset({"scale_y", "progress", "resume", "callback", "handle_sigint"})


def _refuse_fixed(options: Mapping[str, Any], fixed: Mapping[str, str | None], caller: str) -> None:
    """TypeError for an option ``caller`` sets itself (``fixed``: its name -> the option to use
    instead, or None), or one train_dataset does not take: "_train_dataset() got multiple values
    for keyword argument 'info'" named a private function and no way out."""
    for name in options:
        if name in fixed:
            instead = fixed[name]
            hint = f"; use {instead}" if instead else ""
            raise TypeError(f"{caller} sets {name} itself, got {name}={shown(options[name])}{hint}")
        if name not in _PASSED_ON:
            raise TypeError(
                f"{caller} got an unexpected keyword argument {name!r} (besides its own, it passes "
                f"{', '.join(sorted(_PASSED_ON - set(fixed)))} on to train_dataset)"
            )
