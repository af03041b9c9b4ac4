"""Losses: a value and its gradient with respect to the prediction.

A loss is called as ``loss(prediction, target)``, returns the reduced value as a float and
keeps what ``backward()`` needs; ``backward()`` returns dL/dprediction with the
prediction's shape, ready for ``model.backward``.

Each loss is a pair of pure element-wise functions, ``elementwise(ŷ, y)`` and
``elementwise_grad(ŷ, y)``; the reduction is applied on top:

- ``"mean"``: L = (1/M) Σᵢ ℓᵢ over all M elements (PyTorch's default);
- ``"sum"``:  L = Σᵢ ℓᵢ.

Targets have the prediction's shape, or shape (N,) for a prediction of shape (N, 1)
(it is reshaped; it is never broadcast into an (N, N) table).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal, NoReturn

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array, exact_text, finite_float, keeps_methods
from glassnet.nn import stable_sigmoid, stable_softplus

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "BCELoss",
    "HalfSquaredError",
    "LabelConvention",
    "LogisticLoss",
    "Loss",
    "MSELoss",
    "Reduction",
    "get_loss",
]

Reduction = Literal["mean", "sum"]
REDUCTIONS: tuple[Reduction, ...] = ("mean", "sum")
LabelConvention = Literal["01", "pm1"]


def overflow_advice(dtype: npt.DTypeLike, *, learning_rate: bool = True) -> str:
    """What to say when a number overflowed (or a prediction is NaN/inf) in ``dtype``.

    float32 overflows beyond 3.4e38 (so does the square of an error ŷ − y beyond about 1.8e19);
    float64 beyond 1.8e308. The usual causes are unscaled inputs or (``learning_rate``) a
    learning rate that diverged.
    """
    resolved = np.dtype(dtype)
    largest = float(np.finfo(resolved).max) if resolved.kind == "f" else float(np.finfo(np.float64).max)
    advice = (
        f"the numbers overflow {resolved} (largest finite {largest:.2g}); standardise or scale the inputs"
    )
    if resolved == np.float32:
        advice += ", or compute in float64"
    return advice + (", or lower the learning rate" if learning_rate else "")


class Loss:
    """Base class: subclasses define the element-wise loss ℓ(ŷ, y) (``elementwise``) and
    ∂ℓ/∂ŷ (``elementwise_grad``); L = Σ ℓ / M over the M elements ("mean") or Σ ℓ ("sum").

    Shapes: ŷ (N, K); y of ŷ's shape, or (N,) for ŷ (N, 1) in ``loss(ŷ, y)``; L a float;
    ``backward()`` → dL/dŷ of ŷ's shape.

    Examples
    --------
    A new loss needs only ℓ and ∂ℓ/∂ŷ; the reduction, the checks and ``backward`` come from
    the base class. The mean absolute error, ℓ = |ŷ − y|, ∂ℓ/∂ŷ = sign(ŷ − y):

    >>> import numpy as np
    >>> from glassnet.losses import Loss
    >>> class MAELoss(Loss):
    ...     name = "mae"
    ...
    ...     def elementwise(self, prediction, target):
    ...         return np.abs(prediction - target)
    ...
    ...     def elementwise_grad(self, prediction, target):
    ...         return np.sign(prediction - target)
    >>> loss = MAELoss()
    >>> loss(np.array([[1.0], [-3.0]]), np.array([0.0, 0.0]))  # (|1| + |−3|) / 2
    2.0
    >>> loss.backward()  # sign(ŷ − y) / M over the M = 2 elements
    array([[ 0.5],
           [-0.5]])
    """

    name: ClassVar[str]
    default_reduction: ClassVar[Reduction] = "mean"
    # True when a NaN or ±inf in the prediction or the target always gives a NaN or inf
    # value (without floating-point warnings on the way): both are then checked only when
    # the value is not finite, which saves two passes on every step. Not so for the
    # logistic loss (softplus(−∞) = 0) or BCE (which clips p).
    nonfinite_shows_in_value: ClassVar[bool] = False
    # names for the checks' messages, made once per class rather than on every call
    _prediction_name: ClassVar[str] = "Loss prediction"
    _target_name: ClassVar[str] = "Loss target"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._prediction_name = f"{cls.__name__} prediction"
        cls._target_name = f"{cls.__name__} target"
        # the promise is made by a class of its own ℓ, reduction and prepare: a subclass with others
        # (a trimmed mean, which drops the NaN ℓ of a NaN prediction, gave 2.5 and a NaN gradient; a
        # prepare that clips hides an inf) checks its arguments first, unless it makes the promise
        # itself (a mixin's, of methods it does not have, is withdrawn)
        if cls.nonfinite_shows_in_value and "nonfinite_shows_in_value" not in vars(cls):
            promiser = next(c for c in cls.__mro__ if "nonfinite_shows_in_value" in vars(c))
            computing = ("elementwise", "reduce", "prepare", "forward", "__call__")
            if not keeps_methods(cls, promiser, computing):
                cls.nonfinite_shows_in_value = False

    def __init__(self, reduction: Reduction | None = None) -> None:
        self.reduction = self.default_reduction if reduction is None else reduction
        self._prediction: Array | None = None
        self._target: Array | None = None

    @property
    def reduction(self) -> Reduction:
        """ "mean" (Σ ℓ / M over the M elements) or "sum" (Σ ℓ)."""
        return self._reduction

    @reduction.setter
    def reduction(self, reduction: Reduction) -> None:
        # checked when set, after the constructor too: the sums branch on "mean" alone, so
        # another string set by hand gave Σ ℓ silently, as PyTorch's losses refuse it at the call
        if not isinstance(reduction, str) or reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self._reduction = reduction

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a loss pickled before its settings became checked properties holds them as plain
        # attributes: set through the properties, which check them
        settings = {
            name: state.pop(name) for name in ("reduction", "labels", "strict_labels", "eps") if name in state
        }
        self.__dict__.update(state)
        for name, value in settings.items():
            setattr(self, name, value)

    def elementwise(self, prediction: Array, target: Array) -> Array:
        """ℓ(ŷᵢ, yᵢ) for every entry, of the pair's shape: the terms the reduction sums or averages."""
        raise NotImplementedError(f"{type(self).__name__} defines no elementwise(prediction, target), its ℓ")

    def elementwise_grad(self, prediction: Array, target: Array) -> Array:
        """∂ℓ(ŷᵢ, yᵢ)/∂ŷᵢ for every entry, of the pair's shape (before the reduction's 1/N)."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no elementwise_grad(prediction, target), its ∂ℓ/∂ŷ"
        )

    def check_target(self, target: Array) -> None:
        """Refuse targets outside the loss's domain (labels, probabilities): ValueError saying
        why (:meth:`target_refusal`) and how to go on. Nothing to refuse here: a loss with a
        domain overrides it (kept empty, as it runs at every call of a regression loss)."""

    def target_refusal(self, target: Array) -> str | None:
        """Why ``target`` lies outside the loss's domain, naming its first value there; None
        when it lies inside (every target, for a loss without a domain)."""
        return None

    def __call__(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> float:
        """L(ŷ, y), reduced; ValueError (naming the dtype) if it overflows instead of a silent inf."""
        given_prediction, given_target = prediction, target
        try:
            prediction, target = self.prepare(prediction, target)
        except BaseException:
            # what backward would use is the previous call's, while the model's forward state is
            # this batch's: a backward after the error would mix the two, silently
            self._forget()
            raise
        value = self.forward(prediction, target)
        if not math.isfinite(value):
            # backward refuses, as after a prepare that failed, rather than return the NaN or
            # inf gradient of this call
            self._forget()
            # name a NaN or inf in the prediction, then in the target, each as given, as an eager
            # check (prepare) names them, before blaming overflow
            self._prediction_array(given_prediction, finite=True)
            as_float_array(given_target, name=self._target_name)
            raise ValueError(
                f"{type(self).__name__} value is {value} for finite predictions: {overflow_advice(prediction.dtype)}"
            )
        return value

    def forward(self, prediction: Array, target: Array) -> float:
        """L for arrays ``prepare`` has checked, kept for ``backward`` (inf or NaN if it overflows).

        ``loss(ŷ, y)`` is ``prepare`` then ``forward``; a training loop that checked its data
        once may call ``forward`` directly, with y of ŷ's shape: another is refused (ValueError),
        not broadcast (an (N,) y against an (N, 1) ŷ would give (N, N) differences).
        """
        if target.shape != prediction.shape:
            self._refuse_shapes(prediction, target)
        self._prediction, self._target = prediction, target
        with np.errstate(over="ignore", invalid="ignore"):
            return self.reduce(self.elementwise(prediction, target))

    def _refuse_shapes(self, prediction: Array, target: Array) -> None:
        """ValueError for a ``forward`` given y of another shape than ŷ's; what the last call
        kept is dropped first, so that ``backward`` refuses too."""
        self._forget()
        raise ValueError(
            f"{type(self).__name__}.forward takes y of the prediction's shape {prediction.shape}, got "
            f"shape {target.shape}; loss(ŷ, y), which checks its arguments, takes y of shape (N,) for "
            "a prediction of shape (N, 1)"
        )

    def _forget(self) -> None:
        """Drop what the last call kept, so that ``backward`` refuses instead of using it."""
        self._prediction = self._target = None

    def backward(self) -> Array:
        """dL/dŷ for the last call, with the prediction's shape."""
        if self._prediction is None or self._target is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before the loss was computed "
                "(or after a call that failed)"
            )
        grad = self.elementwise_grad(self._prediction, self._target)
        if self.reduction == "mean":
            grad = grad / self._prediction.size
        return grad

    def value_and_grad(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> tuple[float, Array]:
        """(L, dL/dŷ): ``loss(ŷ, y)`` then ``backward()``, a float and an array of ŷ's shape (N, K)."""
        value = self(prediction, target)
        return value, self.backward()

    def reduce(self, losses: Array) -> float:
        """L from the element-wise losses ℓ (any shape, M elements): Σ ℓ / M ("mean") or Σ ℓ ("sum").

        A subclass with another reduction (a trimmed mean, a maximum) gives its own ``backward``
        too: Loss's differentiates these two, whatever ``reduce`` computes (gradcheck shows the
        difference)."""
        total = losses.sum()  # mean as sum / M: the same number as losses.mean(), in half the time
        return float(total / losses.size if self.reduction == "mean" else total)

    def prepare(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> tuple[Array, Array]:
        """Check and convert (ŷ, y): finite floats, matching shapes, y in the loss's domain.

        y is returned in ŷ's dtype (a float64 y of a float32 ŷ rounded to float32, after its
        domain is checked on the values given), so L and dL/dŷ are computed in ŷ's dtype, where
        torch's ``mse_loss`` and ``binary_cross_entropy_with_logits`` promote the pair to the
        wider one (its ``binary_cross_entropy`` refuses a pair of two dtypes).
        """
        checked = not self.nonfinite_shows_in_value
        prediction = self._prediction_array(prediction, finite=checked)
        # the target in its own float dtype: its domain is checked before the cast to ŷ's, which
        # could round a label out of the convention onto one (0.99999999 to 1 in float32)
        target = as_float_array(target, name=self._target_name, finite=checked)
        if target.shape != prediction.shape:
            if prediction.ndim == 2 and prediction.shape[1] == 1 and target.shape == prediction.shape[:1]:
                target = target.reshape(prediction.shape)  # (N,) -> (N, 1)
            else:
                raise ValueError(
                    f"{self._target_name} must have the prediction's shape {prediction.shape}, "
                    f"got shape {target.shape}"
                )
        if prediction.size == 0:
            raise ValueError(
                f"{type(self).__name__} needs at least one prediction, got shape {prediction.shape}"
            )
        self.check_target(target)
        if target.dtype is not prediction.dtype:  # `is`: NumPy keeps one dtype object per built-in type
            # through as_float_array, which refuses a value beyond the dtype's range (1e39 for
            # float32) by name, where a cast would make it inf
            target = as_float_array(target, name=self._target_name, dtype=prediction.dtype, finite=checked)
        return prediction, target

    def _prediction_array(self, prediction: npt.ArrayLike, *, finite: bool) -> Array:
        try:
            return as_float_array(prediction, name=self._prediction_name, finite=finite)
        except ValueError as error:
            if not hasattr(prediction, "dtype"):  # a list: no dtype that could have overflowed
                raise
            values = np.asarray(prediction)  # a torch tensor's dtype is not NumPy's
            if values.dtype not in (np.float32, np.float64):
                raise
            # a NaN may also have been given in: the overflow is one cause of two
            cause = "a NaN comes from a NaN in the inputs or weights, or from an overflow: "
            cause = cause if np.isnan(values).any() else ""
            raise ValueError(f"{error}; {cause}{overflow_advice(values.dtype)}") from None

    def extra_repr(self) -> str:
        """The settings the repr shows between its parentheses, as torch's ``extra_repr``."""
        return f"reduction={self.reduction!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class LogisticLoss(Loss):
    """Softplus (logistic) loss of a logit ŷ for binary classification.

    - ``labels="01"`` (y ∈ {0, 1}), the exercise's form: ℓ = log(1 + exp((1 − 2y) ŷ)),
      ∂ℓ/∂ŷ = (1 − 2y) σ((1 − 2y) ŷ).
    - ``labels="pm1"`` (y ∈ {−1, +1}): ℓ = log(1 + exp(−y ŷ)), ∂ℓ/∂ŷ = −y σ(−y ŷ).

    Both are the negative log-likelihood of a Bernoulli label with P(positive) = σ(ŷ), the
    value of PyTorch's ``binary_cross_entropy_with_logits`` (label 0/−1 ↔ 0, 1/+1 ↔ 1), whose
    gradient, σ(ŷ) − y, loses its precision at large |ŷ| where this one keeps it.
    Computed as softplus(s ŷ) with s = 1 − 2y or −y, through e^(−|sŷ|): finite value and
    gradient for any finite logit, no overflow.

    Labels outside the chosen convention are refused; ``strict_labels=False`` applies the
    formula to any finite y as written (the exercise's sheet does this with y = −1).

    Shapes: as :class:`Loss`, logits ŷ (N, K) and labels y of their shape ((N,) for ŷ (N, 1)).

    Examples
    --------
    A logit ŷ = 0 (P(positive) = σ(0) = 0.5) for the label y = 1: ℓ = log(1 + e⁰) = log 2.

    >>> import numpy as np
    >>> from glassnet.losses import LogisticLoss
    >>> loss = LogisticLoss()  # labels "01", mean over the elements
    >>> round(loss(np.array([[0.0]]), np.array([1.0])), 6)
    0.693147
    >>> loss.backward()  # σ(0) − 1
    array([[-0.5]])

    On a batch, dL/dŷ is σ(ŷ) − y divided by the N elements of the mean:

    >>> logits, labels = np.array([[2.0], [-1.0]]), np.array([1.0, 0.0])
    >>> round(loss(logits, labels), 6)
    0.220095
    >>> sigmoid = 1.0 / (1.0 + np.exp(-logits))
    >>> bool(np.allclose(loss.backward(), (sigmoid - labels[:, None]) / 2))
    True
    """

    name = "logistic"

    def __init__(
        self,
        labels: LabelConvention = "01",
        reduction: Reduction | None = None,
        *,
        strict_labels: bool = True,
    ) -> None:
        super().__init__(reduction)
        self.labels = labels
        self.strict_labels = strict_labels

    # labels and strict_labels are checked when set, after the constructor too: the formulas
    # branch on "01" alone, and a falsy strict_labels (None, 0) would turn the check off
    @property
    def labels(self) -> LabelConvention:
        """The label convention: "01" (y ∈ {0, 1}) or "pm1" (y ∈ {−1, +1})."""
        return self._labels

    @labels.setter
    def labels(self, labels: LabelConvention) -> None:
        if not isinstance(labels, str) or labels not in ("01", "pm1"):
            raise ValueError(
                f"labels must be '01' (y in {{0, 1}}) or 'pm1' (y in {{-1, +1}}), got {labels!r}"
            )
        self._labels = labels

    @property
    def strict_labels(self) -> bool:
        """Whether labels outside the convention are refused (True) or taken as written (False)."""
        return self._strict_labels

    @strict_labels.setter
    def strict_labels(self, strict_labels: bool) -> None:
        if not isinstance(strict_labels, bool | np.bool_):
            raise TypeError(f"LogisticLoss strict_labels must be True or False, got {strict_labels!r}")
        self._strict_labels = bool(strict_labels)

    @property
    def label_values(self) -> tuple[float, float]:
        """The two labels of the convention: (0, 1) for '01', (−1, +1) for 'pm1'."""
        return (0.0, 1.0) if self.labels == "01" else (-1.0, 1.0)

    @property
    def label_set_text(self) -> str:
        """The convention's labels as a set, for messages: "{0, 1}" or "{-1, +1}"."""
        return "{0, 1}" if self.labels == "01" else "{-1, +1}"

    def outside_labels(self, target: Array) -> npt.NDArray[np.bool_]:
        """Where ``target`` holds a value other than the convention's two labels."""
        low, high = self.label_values
        outside: npt.NDArray[np.bool_] = (target != low) & (target != high)
        return outside

    def sign(self, target: Array) -> Array:
        """s(y): the factor in front of ŷ, (1 − 2y) for labels '01' and −y for 'pm1'."""
        return 1.0 - 2.0 * target if self.labels == "01" else -target

    def elementwise(self, prediction: Array, target: Array) -> Array:
        return stable_softplus(self.sign(target) * prediction)

    def elementwise_grad(self, prediction: Array, target: Array) -> Array:
        s = self.sign(target)
        return s * stable_sigmoid(s * prediction)

    def check_target(self, target: Array) -> None:
        reason = self.target_refusal(target)
        if reason is not None:
            raise ValueError(reason + self.other_convention_hint(target))

    def other_convention_hint(self, target: Array) -> str:
        """ "; use labels='pm1' for the other convention" where every label of ``target`` is one
        of the other convention's (0/1 given to 'pm1', ±1 to '01'), else "": a label such as 0.5
        or 2 is in neither, and choosing the other would not take it either."""
        other = LogisticLoss("pm1" if self.labels == "01" else "01")
        if other.outside_labels(target).any():
            return ""
        return f"; use labels={other.labels!r} for the other convention"

    def target_refusal(self, target: Array) -> str | None:
        if not self.strict_labels:
            return None
        bad = self.outside_labels(target)
        if not bad.any():
            return None
        return (
            f"LogisticLoss(labels={self.labels!r}) expects labels in {self.label_set_text}, "
            f"got {exact_text(target[bad].flat[0])}"
        )

    def extra_repr(self) -> str:
        # strict_labels only when off, as torch's extra_repr shows what differs from the usual
        literal = "" if self.strict_labels else ", strict_labels=False"
        return f"labels={self.labels!r}, reduction={self.reduction!r}{literal}"


# Σ r² is one BLAS dot up to this many elements, and block by block beyond (see sum_of_squares)
SQUARES_BLOCK = 4096


def sum_of_squares(flat: Array) -> float:
    """Σᵢ rᵢ² = rᵀr of a 1-D array (n,), as ``np.vdot``: one BLAS dot up to :data:`SQUARES_BLOCK`
    elements; beyond, one per block of as many, in float64 (a float32 block copied), the blocks'
    sums added in float64.

    BLAS sums a float32 dot in float32, and its error grows with the count: 2.5e-6 relative at
    10⁶ elements and 9e-5 at 10⁷ (6.6e-5 for 10⁶ residuals near 1e4, 1.7e-4 for 10⁶ residuals
    all 0.3), where torch's ``mse_loss`` is within 1e-7 and these float64 blocks within 1e-15.
    inf, without a warning, where the sum passes the dtype's largest number, as a dot in that
    dtype overflows (and torch's float32 loss).
    """
    if flat.dtype.kind in "biu":  # integers: a dot in int64 wraps around past 3e9 each
        flat = flat.astype(np.float64)
    elif flat.dtype.kind != "f":  # complex: the blocks' float64 copies would drop the imaginary parts
        raise TypeError(f"sum_of_squares takes real numbers, got an array of {flat.dtype}")
    if flat.size <= SQUARES_BLOCK:
        return float(np.vdot(flat, flat))
    total = 0.0
    for start in range(0, flat.size, SQUARES_BLOCK):
        block = flat[start : start + SQUARES_BLOCK].astype(np.float64, copy=False)
        total += float(np.vdot(block, block))
    return math.inf if total > float(np.finfo(flat.dtype).max) else total  # NaN stays NaN


class MSELoss(Loss):
    """Mean squared error: ℓ = (ŷ − y)², ∂ℓ/∂ŷ = 2 (ŷ − y); mean over all elements by default.

    Shapes: as :class:`Loss`, ŷ (N, K) and y of its shape ((N,) for ŷ (N, 1)).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.losses import MSELoss
    >>> loss = MSELoss()
    >>> loss(np.array([[1.0], [2.0]]), np.array([0.0, 0.0]))  # (1² + 2²) / 2
    2.5
    >>> loss.backward()  # 2 (ŷ − y) / M over the M = 2 elements, ready for model.backward
    array([[1.],
           [2.]])
    """

    name = "mse"
    nonfinite_shows_in_value = True

    def __init__(self, reduction: Reduction | None = None) -> None:
        super().__init__(reduction)
        self._residual: Array | None = None

    def elementwise(self, prediction: Array, target: Array) -> Array:
        return (prediction - target) ** 2

    def elementwise_grad(self, prediction: Array, target: Array) -> Array:
        return 2.0 * (prediction - target)

    # forward and backward fuse the element-wise pair for the training loop, where the loss is
    # a fair share of a small network's step: the residual r = ŷ − y is computed once and
    # kept, Σ r² is rᵀr, and dL/dŷ = (2/M) r is one multiplication. The numbers agree with
    # the pair above up to rounding (tests/test_gradients.py).

    # forward and backward below are written for the MSE's own ℓ, ∂ℓ/∂ŷ and reduction
    _mse_passes: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a subclass with an ℓ, ∂ℓ/∂ŷ or reduction of its own (a weighted MSE) computes with them
        # on Loss's general path, also through super() from a forward of its own: it took these,
        # and its L and dL/dŷ were the plain MSE's (wrong, with no error: forward and backward
        # agreed, so gradcheck passed)
        cls._mse_passes = keeps_methods(cls, MSELoss, ("elementwise", "elementwise_grad", "reduce"))

    def forward(self, prediction: Array, target: Array) -> float:
        # No errstate (it would cost a fifth of the loss): r is NaN or inf only where ŷ or y
        # is (no warning for that, except inf − inf where both are infinite), and np.vdot (one
        # BLAS call) returns inf for an overflowing Σ r² without a floating-point warning. The
        # one warning left: a subtraction of finite numbers that overflows, past half the
        # dtype's largest number, where NumPy warns "overflow encountered in subtract" before
        # __call__ raises the ValueError naming the cause of a value that is not finite.
        if not self._mse_passes:
            return super().forward(prediction, target)
        if target.shape != prediction.shape:  # not broadcast: see Loss.forward
            self._refuse_shapes(prediction, target)
        residual = prediction - target
        flat = residual.ravel()
        # sum_of_squares, its one-dot case written out: a call fewer in a training step
        total = float(np.vdot(flat, flat)) if flat.size <= SQUARES_BLOCK else sum_of_squares(flat)
        self._residual = residual
        return total / residual.size if self.reduction == "mean" else total

    def _forget(self) -> None:
        super()._forget()
        self._residual = None

    @property
    def residual(self) -> Array:
        """r = ŷ − y of the last call, with the prediction's shape, for a training loop's metrics
        (Σ r², Σ |r|) without subtracting again. The array ``backward`` uses, not a copy: read
        it, do not change it in place."""
        if self._residual is None:
            if self._prediction is not None and self._target is not None:  # a subclass's own L
                return self._prediction - self._target
            raise RuntimeError(f"{type(self).__name__}.residual read before the loss was computed")
        return self._residual

    def backward(self) -> Array:
        if not self._mse_passes:
            return super().backward()
        if self._residual is None:
            raise RuntimeError(
                "MSELoss.backward called before the loss was computed (or after a call that failed)"
            )
        scale = 2.0 / self._residual.size if self.reduction == "mean" else 2.0
        grad: Array = self._residual * scale
        return grad


class HalfSquaredError(Loss):
    """The textbook form ½ Σ (ŷ − y)²: ℓ = ½ (ŷ − y)², ∂ℓ/∂ŷ = ŷ − y; summed by default.

    Shapes: as :class:`Loss`, ŷ (N, K) and y of its shape ((N,) for ŷ (N, 1)).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.losses import HalfSquaredError
    >>> loss = HalfSquaredError()
    >>> loss(np.array([[1.0], [3.0]]), np.array([0.0, 0.0]))  # ½ (1² + 3²), summed
    5.0
    >>> loss.backward()  # ŷ − y: the ½ cancels the square's 2, and no 1/N
    array([[1.],
           [3.]])
    """

    name = "half_sse"
    default_reduction = "sum"
    nonfinite_shows_in_value = True

    def elementwise(self, prediction: Array, target: Array) -> Array:
        residual = prediction - target
        # halved before the product, not after: the same number, but (ŷ − y)² overflows for a
        # residual of 1.4e154 whose ½ (ŷ − y)² float64 holds
        return (0.5 * residual) * residual

    def elementwise_grad(self, prediction: Array, target: Array) -> Array:
        return prediction - target


DEFAULT_BCE_EPS = 1e-12
"""BCELoss's default ε, the lower end of the interval it clips probabilities to (see
:meth:`BCELoss.bounds_for`)."""


class BCELoss(Loss):
    """Binary cross-entropy of a probability p ∈ [0, 1] and a target y ∈ [0, 1].

    ℓ = −[y log p + (1 − y) log(1 − p)], ∂ℓ/∂p = (p − y) / (p (1 − p)).

    p is clipped to [ε, 1 − ε] before the logarithms (:meth:`bounds_for`), so p = 0 or 1 gives
    a large finite loss instead of inf. ∂ℓ/∂p is the formula above at the clipped p, also where
    p lies outside the interval: the derivative of the clipped loss would be 0 there, and a
    sigmoid output saturated at the wrong end would stop learning (the torch engine passes the
    gradient through the clip the same way; PyTorch's ``BCELoss`` clamps log p at −100 to the
    same end, so its values differ once p saturates, and the Trainer's torch engine computes
    this definition). ε is ``eps``, by default 1e-12; in float32 the upper end is 1 − 1e-7, where
    1 − 1e-12 rounds to 1, and the lower end stays 1e-12, which float32 holds.
    For a model that outputs a logit, ``LogisticLoss`` is exact and better conditioned.

    Shapes: as :class:`Loss`, probabilities p (N, K) and targets y of their shape ((N,) for p (N, 1)).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.losses import BCELoss
    >>> loss = BCELoss()
    >>> p, y = np.array([[0.5], [0.9]]), np.array([1.0, 1.0])
    >>> round(loss(p, y), 6)  # −(log 0.5 + log 0.9) / 2
    0.399254
    >>> loss.backward()  # (p − y) / (p (1 − p)) / 2: −2 / 2 and −0.1 / 0.09 / 2
    array([[-1.        ],
           [-0.55555556]])

    p = 0 for y = 1 is clipped to ε = 1e-12: a large finite loss, −log ε, not inf.

    >>> round(loss(np.array([[0.0]]), np.array([1.0])), 6)
    27.631021
    """

    name = "bce"

    def __init__(self, reduction: Reduction | None = None, *, eps: float | None = None) -> None:
        super().__init__(reduction)
        # (ε, dtype) pairs found usable, so that bounds_for, which runs every step, checks each once
        self._eps_shown: set[tuple[float, np.dtype[Any]]] = set()
        self.eps = eps

    @property
    def eps(self) -> float | None:
        """ε of the interval [ε, 1 − ε] that p is clipped to; None for the dtype's default."""
        return self._eps

    @eps.setter
    def eps(self, eps: float | None) -> None:
        # checked when set, after the constructor too: an ε of 0.5 or more set by hand made the
        # interval empty (every p clipped to one number)
        if eps is not None:
            eps = finite_float(eps, "BCELoss eps", minimum=0.0, strict=True)
            if eps >= 0.5:
                raise ValueError(f"BCELoss eps must be < 0.5, got {eps}")
        self._eps = eps

    def extra_repr(self) -> str:
        # eps only when given: None means the dtype's default (bounds_for)
        return super().extra_repr() + ("" if self.eps is None else f", eps={self.eps!r}")

    def bounds_for(self, dtype: npt.DTypeLike) -> tuple[float, float]:
        """The interval [low, high] that probabilities in ``dtype`` are clipped to: [ε, 1 − ε] for
        a given ``eps``; by default [1e-12, 1 − 1e-12], and [1e-12, 1 − 1e-7] in float32, whose
        steps next to 1 are 6e-8 (1 − 1e-12 rounds to 1) while it holds p down to 1e-38, so
        that a sigmoid output of 1e-10 keeps its loss of 23 rather than 16.1 at 1e-7.

        ValueError for a given ``eps`` that ``dtype`` cannot show next to 1 (1 − ε rounds to 1,
        so p = 1 would give log 0).
        """
        resolved = np.dtype(dtype)
        if self.eps is None:
            return (DEFAULT_BCE_EPS, 1.0 - (1e-7 if resolved == np.float32 else DEFAULT_BCE_EPS))
        if (self.eps, resolved) not in self._eps_shown:
            if np.array(1.0 - self.eps, dtype=resolved) == 1.0:
                raise ValueError(
                    f"BCELoss eps={self.eps:g} is too small for {resolved}: 1 − eps rounds to 1 there; "
                    f"use an eps of at least {float(np.finfo(resolved).epsneg):.3g}"
                )
            self._eps_shown.add((self.eps, resolved))
        return (self.eps, 1.0 - self.eps)

    def eps_for(self, dtype: npt.DTypeLike) -> NoReturn:
        """Refused, naming :meth:`bounds_for`: the interval p is clipped to is given as (low, high),
        which by default in float32, [1e-12, 1 − 1e-7], one ε does not describe."""
        raise AttributeError(
            "BCELoss.eps_for is gone: bounds_for(dtype) gives the interval p is clipped to as (low, high) "
            "(by default [1e-12, 1 − 1e-12], and [1e-12, 1 − 1e-7] in float32)"
        )

    def _clipped(self, prediction: Array) -> Array:
        low, high = self.bounds_for(prediction.dtype)
        return np.clip(prediction, low, high)

    def elementwise(self, prediction: Array, target: Array) -> Array:
        p = self._clipped(prediction)
        return -(target * np.log(p) + (1.0 - target) * np.log1p(-p))

    def elementwise_grad(self, prediction: Array, target: Array) -> Array:
        p = self._clipped(prediction)
        return (p - target) / (p * (1.0 - p))

    def prepare(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> tuple[Array, Array]:
        prediction, target = super().prepare(prediction, target)
        outside = (prediction < 0) | (prediction > 1)
        if outside.any():
            raise ValueError(
                f"BCELoss expects probabilities in [0, 1], got {exact_text(prediction[outside].flat[0])}; "
                "for logits use LogisticLoss"
            )
        return prediction, target

    def check_target(self, target: Array) -> None:
        reason = self.target_refusal(target)
        if reason is not None:
            raise ValueError(reason)

    def target_refusal(self, target: Array) -> str | None:
        outside = (target < 0) | (target > 1)
        if not outside.any():
            return None
        return f"BCELoss expects targets in [0, 1], got {exact_text(target[outside].flat[0])}"


LOSSES: dict[str, type[Loss]] = {cls.name: cls for cls in (LogisticLoss, MSELoss, HalfSquaredError, BCELoss)}


def get_loss(name: str | Loss, **options: Any) -> Loss:
    """A loss from its name (``"logistic"``, ``"mse"``, ``"half_sse"``, ``"bce"``) or an instance.

    Examples
    --------
    >>> from glassnet.losses import MSELoss, get_loss
    >>> get_loss("mse")
    MSELoss(reduction='mean')
    >>> get_loss("logistic", labels="pm1")  # options go to the loss's constructor
    LogisticLoss(labels='pm1', reduction='mean')
    >>> loss = MSELoss(reduction="sum")
    >>> get_loss(loss) is loss  # an instance is returned as it is
    True
    """
    if isinstance(name, Loss):
        if options:  # an instance keeps its own settings: a reduction asked for would be dropped
            raise TypeError(
                f"get_loss got options {sorted(options)} with a Loss instance ({name!r}); "
                "set them when making the instance, or pass the loss's name"
            )
        return name
    if not isinstance(name, str) or name.lower() not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name.lower()](**options)
