"""Regression and classification metrics, in the target's own units."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array, binary_scale, exact_text, finite_float, shown
from glassnet.nn import ACTIVATIONS


def regression_metrics(prediction: npt.ArrayLike, target: npt.ArrayLike) -> dict[str, float]:
    """RMSE, MAE and R² of predictions ŷ against targets y, in the same units.

    Shapes: ŷ and y both (N,) or (N, K) for K outputs; (N,) and (N, 1) go together.

    RMSE = √(mean (ŷ − y)²) and MAE = mean |ŷ − y| over all N·K values;
    R² = 1 − Σ (ŷ − y)² / Σₖ SSTₖ with SSTₖ = Σᵢ (yᵢₖ − ȳₖ)², each output centred on its own
    mean (scikit-learn's ``r2_score(multioutput="variance_weighted")`` when no output is
    constant: scikit-learn leaves a constant output's squared errors out, this R² counts
    them; the Trainer's ``train_r2`` is the same). One output: the usual
    R² = 1 − Σ (ŷ − y)² / Σ (y − ȳ)². Where every target is constant (Σₖ SSTₖ = 0) R² is
    NaN, where scikit-learn's ``r2_score`` returns 0.0 (1.0 for a perfect fit); the
    Trainer then leaves ``train_r2`` and ``val_r2`` out of its records.

    Argument order: prediction first, as glassnet's losses take ``loss(ŷ, y)``; the reverse of
    scikit-learn's ``r2_score(y_true, y_pred)``. RMSE and MAE do not mind the order, R² does
    (ȳ and SST are the target's): swapped arguments give another R², with no error.

    Examples
    --------
    >>> from glassnet.train import regression_metrics
    >>> metrics = regression_metrics([1.0, 3.0, 3.0], [1.0, 2.0, 3.0])  # one error of 1
    >>> {name: round(value, 6) for name, value in metrics.items()}  # √(1/3), 1/3, 1 − 1/2
    {'rmse': 0.57735, 'mae': 0.333333, 'r2': 0.5}

    A constant target (Σ (y − ȳ)² = 0) has no R²:

    >>> regression_metrics([1.0, 2.0], [0.0, 0.0])["r2"]
    nan
    """
    p, y = _columns(prediction, "predictions"), _columns(target, "targets")  # (N, K)
    if p.shape != y.shape or p.size == 0:
        shapes = f"{tuple(np.shape(prediction))} and {tuple(np.shape(target))}"  # as given, not as columns
        if p.shape == y.shape:
            raise ValueError(
                f"predictions and targets must hold at least one value each, got shapes {shapes}"
            )
        raise ValueError(
            f"predictions and targets must have the same non-zero number of rows and outputs, got shapes {shapes}"
        )
    with np.errstate(over="ignore"):  # a residual beyond float64 is inf: RMSE, MAE inf and R² −inf
        residual = (p - y).reshape(-1)  # (N·K,)
    centred = output_deviations(y)  # (N·K,)
    # each sum of squares in units of a power of two near its own largest magnitude (see
    # binary_scale), so neither underflows beside the other: SSE = r² sse, SST = c² sst
    r = binary_scale(float(np.max(np.abs(residual))))
    c = binary_scale(float(np.max(np.abs(centred))))
    residual_s, centred_s = residual / r, centred / c
    with np.errstate(over="ignore", invalid="ignore"):  # deviations beyond float64: R² left undefined below
        sse, sst = float(residual_s @ residual_s), float(centred_s @ centred_s)
    # R² is undefined for constant targets (SST = 0), and out of float64's reach when their
    # deviations overflow (SST = inf, which would give a wrong R² of 1)
    defined = 0.0 < sst < math.inf
    return {
        "rmse": r * math.sqrt(sse / y.size),
        "mae": float((np.abs(residual) / r).mean()) * r,  # the bits of mean |r|; no overflowing sum
        "r2": 1.0 - sse / sst * (r / c) * (r / c) if defined else float("nan"),  # ×(r/c)² exact
    }


def output_deviations(y: Array) -> Array:
    """y − ȳₖ of (N, K) targets, each output k centred on its own mean ȳₖ, as (N·K,): the
    squares of these sum to R²'s denominator Σₖ SSTₖ."""
    # each mean in units of a power of two near the largest |y| (see binary_scale): the bits of
    # y.mean(), and no overflowing sum for targets near 1e308. An output of equal values has
    # deviations of exactly 0 (its computed mean may round: 0.1 three times has 0.10000000000000002),
    # so that its R² is undefined rather than −1e32. Deviations beyond float64 are inf.
    constant = y.max(axis=0) == y.min(axis=0)  # (K,); not ptp, whose difference may overflow
    if y.shape[1] == 1:  # one output: the flat column's mean, so R² has the bits of its textbook formula
        flat = y.reshape(-1)
        power = binary_scale(float(np.max(np.abs(flat))))
        means = np.array([(flat / power).mean() * power])  # (1,)
    else:
        powers = binary_scale(np.abs(y).max(axis=0))  # (K,)
        means = (y / powers).mean(axis=0) * powers  # (K,)
    with np.errstate(over="ignore", invalid="ignore"):
        centred: Array = np.where(constant, 0.0, y - means)  # (N, K)
    return centred.reshape(-1)


def _columns(values: npt.ArrayLike, name: str) -> Array:
    """``values`` as float64 (N, K): (N,) becomes (N, 1); other shapes, and values that are not
    real numbers (complex, strings, None), are refused. NaN and ±inf are kept."""
    array = as_float_array(values, name=name, dtype=np.dtype(np.float64), finite=False)
    if array.ndim == 1:
        return array.reshape(-1, 1)  # (N,) -> (N, 1)
    if array.ndim != 2:
        raise ValueError(f"{name} must be (N,) or (N, outputs), got shape {array.shape}")
    return array


LABEL_THRESHOLD = 0.5  # labels are 0/1 (or soft targets in [0, 1]): y > 0.5 is class 1


def decision_threshold(output_activation: str | None) -> float:
    """The output t at which a binary classifier's decision changes: ŷ > t ↔ class 1.

    0.5 for a model that outputs a probability (a sigmoid output, trained with the BCE
    loss), 0 for one that outputs a logit z (no output activation, trained with the logistic
    loss). Both mean P(class 1) > ½, since σ(z) > ½ ↔ z > 0. Every accuracy and predicted
    label in glassnet takes its threshold from here.

    ``output_activation`` is None or one of TrainConfig's names (``glassnet.nn.ACTIVATIONS``);
    another (a typo, "Sigmoid") raises ValueError rather than being read as a logit.
    """
    return 0.5 if _output_activation(output_activation) == "sigmoid" else 0.0


def class_probability(output: npt.ArrayLike, output_activation: str | None) -> Array:
    """P(class 1) from a binary classifier's output: ŷ itself for a probability (sigmoid
    output), σ(ŷ) = 1 / (1 + e^(−ŷ)) for a logit. Same shape as ``output``, float64; NaN stays
    NaN. A sigmoid output outside [0, 1] is no probability: ValueError."""
    sigmoid = _output_activation(output_activation) == "sigmoid"
    y = as_float_array(output, name="class_probability output", dtype=np.dtype(np.float64), finite=False)
    if sigmoid:
        outside = (y < 0.0) | (y > 1.0)
        if outside.any():
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            raise ValueError(
                "class_probability of a sigmoid output takes probabilities in [0, 1], "
                f"got {y[index]} at index {index}"
            )
        return y.copy()  # a new array, never the caller's own
    with np.errstate(over="ignore", under="ignore"):
        # 1 / (1 + e^(−ŷ)), torch.sigmoid's numbers to rounding; below ŷ = −700, where e^(−ŷ)
        # nears its overflow, e^ŷ, which is σ(ŷ) to rounding there: 4.5e-309 at −710, 0 at −∞
        probability: Array = np.where(y > -700.0, 1.0 / (1.0 + np.exp(-y)), np.exp(y))
    return probability


def _output_activation(name: Any) -> str | None:
    """``name`` if it is None or an activation TrainConfig takes; else ValueError listing them."""
    if name is not None and (not isinstance(name, str) or name not in ACTIVATIONS):
        raise ValueError(
            f"output_activation must be None or one of {', '.join(ACTIVATIONS)}, got {shown(name)}"
        )
    return name


def correct(prediction: Any, target: Any, threshold: float) -> Any:
    """Element-wise (ŷ > t) == (y > 0.5): which predictions pick the label's class.

    For NumPy arrays and torch tensors alike (the torch engine sums it on its device).
    """
    return (prediction > threshold) == (target > LABEL_THRESHOLD)


# how labels of the ±1 convention become this module's 0/1, said wherever a −1 is refused
PM1_HINT = " (labels -1/+1 become 0/1 as (y + 1) / 2)"


def labels_outside(labels: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
    """The mask of labels a classifier is not measured against: outside [0, 1] (labels 0/1, or
    soft labels in between), NaN too. Shapes: any, the mask of the same."""
    return ~((labels >= 0.0) & (labels <= 1.0))


def classification_metrics(
    prediction: npt.ArrayLike, target: npt.ArrayLike, *, threshold: float
) -> dict[str, float]:
    """Accuracy of a binary classifier, ŷ > t ↔ class 1, against labels 0/1 (soft labels in
    [0, 1] read as y > 0.5; others, NaN too, are refused). A NaN prediction (a model that
    overflowed) makes the accuracy NaN, as it makes an RMSE NaN, rather than a class-0 vote.

    Shapes: ŷ and the labels both (N,) or (N, K), the mean over all N·K; (N,) and (N, 1) go together.

    ``threshold`` t is the model's :func:`decision_threshold`: 0 for logits, 0.5 for
    probabilities. It has no default, since the wrong one gives a wrong accuracy silently
    (probabilities read at 0 are all class 1).

    Examples
    --------
    >>> from glassnet.train import classification_metrics, decision_threshold
    >>> labels = [1, 0, 0, 0]
    >>> classification_metrics([2.0, -1.0, 0.5, -3.0], labels, threshold=0.0)  # logits: the third is wrong
    {'accuracy': 0.75}
    >>> decision_threshold(None), decision_threshold("sigmoid")  # a logit's threshold, a probability's
    (0.0, 0.5)
    >>> classification_metrics([0.9, 0.3, 0.6, 0.1], labels, threshold=0.5)  # the same votes
    {'accuracy': 0.75}

    Labels outside [0, 1] (the ±1 convention, say) are refused:

    >>> classification_metrics([2.0, -1.0], [1, -1], threshold=0.0)
    Traceback (most recent call last):
        ...
    ValueError: labels must be 0/1 (or probabilities in [0, 1]), got -1 at index 1
    """
    t = finite_float(threshold, "threshold")
    p, y = _columns(prediction, "predictions"), _columns(target, "labels")  # (N, K)
    if p.size != y.size or p.size == 0:
        raise ValueError(
            f"predictions and labels must have the same non-zero length, got {p.size} and {y.size}"
        )
    if p.shape != y.shape:  # (2, 3) against (3, 2) would pair the wrong values
        raise ValueError(
            f"predictions and labels must have the same shape, got {np.shape(prediction)} and "
            f"{np.shape(target)} ((N,) and (N, 1) go together)"
        )
    outside = labels_outside(y)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        index = tuple(int(i) for i in np.unravel_index(first, np.shape(target)))  # as the labels were given
        raise ValueError(
            f"labels must be 0/1 (or probabilities in [0, 1]), got {exact_text(y.flat[first])} at index "
            f"{index[0] if len(index) == 1 else index}"
        )
    if np.isnan(p).any():  # NaN > t is False: a NaN would count as a vote for class 0
        return {"accuracy": math.nan}
    return {"accuracy": float(correct(p, y, t).mean())}
