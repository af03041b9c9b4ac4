"""Standardisation, the optional log transform and Fourier features, fitted on the training rows only.

The states are dictionaries of plain NumPy arrays, so a checkpoint can keep them in an
``.npz`` file saved and loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import (
    MAX_SEED,
    as_dtype,
    as_float_array,
    binary_scale,
    count_text,
    exact_text,
    int_in_range,
    refuse_unknown_keys,
    require_keys,
)
from glassnet._seeds import FOURIER_STREAM
from glassnet.data._errors import OutOfDomainError
from glassnet.data._fourier import MAX_FREQUENCIES, FourierFeatures
from glassnet.data._fourier import fourier_sigma as _fourier_sigma
from glassnet.data._table import FloatArray

AIRFOIL_LOG_COLUMNS = (0, 4)
"""Frequency and displacement thickness: quantities that act on log scales (both > 0)."""

# what Preprocessor.to_state writes (x_min and x_max since the training range was kept; the
# fourier_ entries with Fourier features)
STATE_KEYS = (
    "log_columns",
    "x_mean",
    "x_scale",
    "y_mean",
    "y_scale",
    "scale_y",
    "seed",
    "x_min",
    "x_max",
    "fourier_frequencies",
    "fourier_sigma",
)


def _as_f64(values: Any, *, name: str, dtype: np.dtype[Any], ndim: int | None = None) -> FloatArray:
    """``values`` as a finite float64 array (ValueError/TypeError naming ``name`` otherwise)."""
    return as_float_array(values, name=name, dtype=dtype, ndim=ndim).astype(np.float64, copy=False)


def _state_array(state: Mapping[str, Any], key: str, *, owner: str) -> FloatArray:
    require_keys(state, (key,), owner=owner)
    value = np.asarray(state[key])
    if value.dtype.kind not in "fiu":
        raise TypeError(f"{owner} state {key!r} must hold numbers, got dtype {value.dtype}")
    array = value.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{owner} state {key!r} must be finite, got {array}")
    return array


def _standardise(array: FloatArray, mean: FloatArray, scale: FloatArray) -> FloatArray:
    """z = (x − mean) / scale, broadcast (mean and scale (d,) for X (N, d), () for any shape).

    x − mean overflows for values of both signs near ±1.8e308, whose z is finite: those entries
    are taken again in units of a power of two p near the column's size, as ``fit`` took mean
    and scale, z = (x/p − mean/p) / (scale/p). Only those: x/p can round a small x to a
    subnormal, so every other entry keeps the plain result, bit for bit. A z that overflows
    even so stays ±inf (no warning), for the caller to refuse.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        z: FloatArray = (array - mean) / scale
        finite = np.isfinite(z)
        if not finite.all():
            power = binary_scale(np.maximum(np.abs(mean), scale))  # (d,) or ()
            z = np.where(finite, z, (array / power - mean / power) / (scale / power))
    return z


def _unstandardise(array: FloatArray, mean: FloatArray, scale: FloatArray) -> FloatArray:
    """x = z · scale + mean, broadcast as :func:`_standardise`, which it undoes.

    z · scale overflows for a finite x near ±1.8e308 (z = −1.41 of a column of mean 5.7e307
    and scale 1.6e308 is x = −1.7e308): those entries are taken again in units of the power
    of two p of :func:`_standardise`, x = (z · (scale/p) + mean/p) · p, the others keep the
    plain result. An x beyond float64 is ±inf, without a warning; so, as in the plain formula,
    whose product and sum round too, may be an x within a unit in the last place of the largest
    float (a column holding ±1.8e308 itself).
    """
    with np.errstate(over="ignore"):
        x: FloatArray = array * scale + mean
        finite = np.isfinite(x)
        if not finite.all():
            power = binary_scale(np.maximum(np.abs(mean), scale))  # (d,) or ()
            x = np.where(finite, x, (array * (scale / power) + mean / power) * power)
    return x


class StandardScaler:
    """z = (x − mean) / scale, column by column, with mean and scale taken from ``fit``.

    scale is the population standard deviation (ddof = 0); a column constant up to rounding
    gets scale 1, and the middle of its values (its value, where all are equal) for mean, so it
    maps to (nearly) 0 instead of dividing by (nearly) zero. "Up to rounding" is
    scikit-learn's test, variance ≤ Nε·var + (Nε·mean)² (ε float64's spacing at 1), so it
    grows with N: at 100,000 rows a column 1000 + N(0, 1e-8) is taken as constant.
    Works on X (N, d) (mean_, scale_ of shape (d,)) and on y (N,) (mean_, scale_ of shape
    ()). Unlike scikit-learn's: it computes in float64 and returns float64 for float32 input,
    takes y (N,) as a column, and refuses NaN and inf in ``fit`` (scikit-learn ignores NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import StandardScaler
    >>> X = np.array([[1.0, 10.0, 7.0], [3.0, 30.0, 7.0]])
    >>> scaler = StandardScaler().fit(X)
    >>> scaler.mean_, scaler.scale_  # the last column is constant: scale 1, not 0
    (array([ 2., 20.,  7.]), array([ 1., 10.,  1.]))
    >>> scaler.transform(X)  # (x − mean) / scale
    array([[-1., -1.,  0.],
           [ 1.,  1.,  0.]])
    >>> bool(np.allclose(scaler.inverse_transform(scaler.transform(X)), X))
    True

    A target y (N,) is one column, with mean_ and scale_ of shape ():

    >>> StandardScaler().fit_transform(np.array([2.0, 4.0, 6.0])).round(6)  # mean 4, std √(8/3)
    array([-1.224745,  0.      ,  1.224745])
    """

    def __init__(self) -> None:
        self.mean_: FloatArray | None = None
        self.scale_: FloatArray | None = None

    def __repr__(self) -> str:
        """``StandardScaler()``, as scikit-learn's; fitted, the columns it was fitted on."""
        if self.mean_ is None:
            return "StandardScaler()"
        return f"StandardScaler(fitted on {self.mean_.size} column{'s' if self.mean_.size != 1 else ''})"

    def fit(self, X: Any) -> StandardScaler:
        """Take mean and scale from ``X`` (N, d) or (N,), N ≥ 1, d ≥ 1, finite."""
        array = _as_f64(X, name="X", dtype=np.dtype(np.float64))
        if array.ndim not in (1, 2) or array.size == 0:
            raise ValueError(
                f"StandardScaler.fit needs X of shape (N, d) or (N,) with d ≥ 1 and N ≥ 1, got {array.shape}"
            )
        # mean and std in units of a power of two p near m = max |x| per column (see binary_scale):
        # x/p is exact, so they have the bits of array.mean and array.std (dividing by m itself
        # would round x/m and lose the spread of a column far from 0, such as 1e15 + (3, 4, 5)),
        # and |x/p| < 2, so neither the sum nor the squares overflow for values near 1e308
        power = binary_scale(np.abs(array).max(axis=0))  # (d,) or ()
        mean_p = (array / power).mean(axis=0)  # (d,) or (), in units of power
        std_p = (array / power).std(axis=0)
        mean, scale = mean_p * power, std_p * power
        # A column is constant when its spread is no more than the rounding of its values,
        # scikit-learn's test: var ≤ N ε var + (N ε mean)². Equal values up to rounding (0.1 · 3
        # beside 0.3) have a std of ~1e-17, and dividing by it would blow a later 0.31 up to 2e14.
        n, eps = len(array), np.finfo(np.float64).eps
        var_p = std_p**2
        constant = var_p <= n * eps * var_p + (n * eps * mean_p) ** 2  # (d,) or ()
        # a constant column is centred on the middle of its values, exactly its value where all
        # are equal: its mean, summed row by row, may lie N ulps away, which scale 1 kept in z (a
        # column of 6.02e23 in every row became z = 3.1e9, and the network's predictions wrong)
        low, high = array.min(axis=0), array.max(axis=0)
        # high − low of a column spanning ±1e308 overflows, in a branch np.where does not take
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.where(constant, low + (high - low) / 2, mean)
        self.mean_ = np.asarray(mean, dtype=np.float64)
        self.scale_ = np.asarray(np.where(constant | (scale == 0.0), 1.0, scale), dtype=np.float64)
        return self

    def _fitted(self, X: Any, method: str) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self.mean_ is None or self.scale_ is None:
            raise ValueError(f"StandardScaler.{method} called before fit")
        array = _as_f64(X, name="X", dtype=np.dtype(np.float64))
        if array.shape[1:] != self.mean_.shape or array.ndim == 0:
            expected = f"(N, {self.mean_.shape[0]})" if self.mean_.ndim else "(N,)"
            raise ValueError(f"StandardScaler.{method} expects X of shape {expected}, got {array.shape}")
        return array, self.mean_, self.scale_

    def transform(self, X: Any) -> FloatArray:
        """z = (X − mean_) / scale_; same shape as X."""
        array, mean, scale = self._fitted(X, "transform")
        return _standardise(array, mean, scale)  # finite near ±1.8e308 too, where x − mean overflows

    def inverse_transform(self, Z: Any) -> FloatArray:
        """X = Z · scale_ + mean_; same shape as Z (±inf, without a warning, beyond float64)."""
        array, mean, scale = self._fitted(Z, "inverse_transform")
        return _unstandardise(array, mean, scale)

    def fit_transform(self, X: Any) -> FloatArray:
        return self.fit(X).transform(X)

    def to_state(self) -> dict[str, FloatArray]:
        """{"mean": mean_, "scale": scale_}, float64 arrays."""
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("StandardScaler.to_state called before fit")
        return {"mean": self.mean_.copy(), "scale": self.scale_.copy()}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> StandardScaler:
        """Rebuild a fitted scaler from :meth:`to_state`'s dictionary (checked: shapes, finite, scale > 0)."""
        mean = _state_array(state, "mean", owner="StandardScaler")
        scale = _state_array(state, "scale", owner="StandardScaler")
        if mean.shape != scale.shape or mean.ndim > 1 or mean.size == 0:
            raise ValueError(
                "StandardScaler state needs mean and scale of one shape, () or (d,) with d ≥ 1, "
                f"got {mean.shape} and {scale.shape}"
            )
        if not (scale > 0.0).all():
            raise ValueError(f"StandardScaler state scale must be > 0, got {scale}")
        scaler = cls()
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler


class Preprocessor:
    """Features: log of ``log_columns``, standardise every column, optionally Fourier features.
    Target: standardise.

    x̃ⱼ = ln xⱼ for j in log_columns (none by default; airfoil's are ``AIRFOIL_LOG_COLUMNS``,
    frequency and displacement thickness), else xⱼ;  z = (x̃ − μₓ) / σₓ;  t = (y − μ_y) / σ_y.
    μ and σ come from ``fit``, which the caller runs on the training rows only, so
    validation and test rows never leak into them. With ``scale_y=False`` the target
    passes unchanged (classification labels). With ``fourier_features`` K > 0, z is
    followed by K sines and K cosines of every column (:class:`FourierFeatures`, σ =
    ``fourier_sigma``, one for every column or one per column, frequencies drawn by ``fit``
    from ``seed``). Shapes: X (N, d) -> (N, d), or (N, d(1 + 2K)) with Fourier features; y of
    any shape ((N,) or (N, 1)) -> the same shape.

    ``fit`` also keeps every feature's range over the training rows (``training_range``),
    so that inputs outside it can be flagged as extrapolation (``outside_training_range``).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import Preprocessor
    >>> X = np.array([[1.0, 10.0], [100.0, 30.0]])  # column 0 spans decades: take its log
    >>> y = np.array([2.0, 4.0])
    >>> pre = Preprocessor(log_columns=[0]).fit(X, y)  # on the training rows only
    >>> pre.transform_x(X)  # ln 1 and ln 100 standardised, as 10 and 30 are
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> pre.transform_y(y), pre.inverse_transform_y([0.0, 1.0])  # t = (y − 3) / 1, and back
    (array([-1.,  1.]), array([3., 4.]))
    >>> pre.outside_training_range([[50.0, 40.0]])  # 40 lies beyond the 10 to 30 seen: extrapolation
    array([[False,  True]])

    With K Fourier features every column gets K sines and K cosines beside it:

    >>> Preprocessor(fourier_features=2).fit(X, y).transform_x(X).shape  # d(1 + 2K) = 2 · 5 columns
    (2, 10)
    """

    def __init__(
        self,
        log_columns: Sequence[int] = (),
        *,
        scale_y: bool = True,
        fourier_features: int = 0,
        fourier_sigma: float | Sequence[float] = 0.2,
        seed: int = 0,
    ):
        try:
            columns = tuple(log_columns)
        except TypeError:
            raise TypeError(
                f"log_columns must be a sequence of column indices, got {log_columns!r}"
            ) from None
        for column in columns:
            if isinstance(column, bool) or not isinstance(column, int | np.integer) or column < 0:
                raise TypeError(f"log_columns must be non-negative column indices, got {columns!r}")
        if len(set(columns)) != len(columns):
            raise ValueError(f"log_columns must not repeat a column, got {columns!r}")
        if not isinstance(scale_y, bool | np.bool_):
            raise TypeError(f"scale_y must be a bool, got {scale_y!r}")
        seed = int_in_range(seed, "seed", 0, MAX_SEED)  # to_state keeps it as an int64
        self.log_columns: tuple[int, ...] = tuple(sorted(int(c) for c in columns))
        self.scale_y = bool(scale_y)
        self.seed = int(seed)
        int_in_range(fourier_features, "fourier_features", 0, MAX_FREQUENCIES)
        fourier_sigma = _fourier_sigma(fourier_sigma, "fourier_sigma")  # checked even when unused
        self.fourier = FourierFeatures(fourier_features, fourier_sigma) if fourier_features else None
        self.x_scaler = StandardScaler()
        self.y_scaler = StandardScaler()
        self.x_min_: FloatArray | None = None  # (d,) each feature's range over the training rows
        self.x_max_: FloatArray | None = None

    def __repr__(self) -> str:
        """The settings it was made with, as scikit-learn shows an estimator, and whether fitted."""
        fourier = (
            ""
            if self.fourier is None
            else f", fourier_features={self.fourier.n_frequencies}, fourier_sigma={self.fourier.sigma!r}"
        )
        fitted = "" if self.n_features is None else f"; fitted on {count_text(self.n_features, 'feature')}"
        return (
            f"Preprocessor(log_columns={self.log_columns!r}, scale_y={self.scale_y}{fourier}, "
            f"seed={self.seed}{fitted})"
        )

    @property
    def n_features(self) -> int | None:
        """Feature columns seen by ``fit`` (None before)."""
        return None if self.x_scaler.mean_ is None else int(self.x_scaler.mean_.shape[0])

    @property
    def n_outputs(self) -> int | None:
        """Columns ``transform_x`` returns, the model's inputs (None before ``fit``)."""
        d = self.n_features
        return d if d is None or self.fourier is None else self.fourier.n_outputs(d)

    def _features(self, X: Any, *, fitting: bool = False) -> FloatArray:
        """X as a (N, d) float64 array, its columns checked against the fitted ones and log_columns."""
        array = _as_f64(X, name="X", dtype=np.dtype(np.float64), ndim=2)
        expected = None if fitting else self.n_features
        if expected is not None and array.shape[1] != expected:
            raise ValueError(f"X must have {expected} feature columns, got shape {array.shape}")
        if self.log_columns and self.log_columns[-1] >= array.shape[1]:
            raise ValueError(f"log_columns {self.log_columns} do not exist in X of shape {array.shape}")
        return array

    def outside_domain(self, X: Any, dtype: npt.DTypeLike = np.float64) -> npt.NDArray[np.bool_]:
        """(N, d) mask of the values ``transform_x`` refuses: those ≤ 0 in a log-transformed
        column and, once fitted, those whose standardised value z = (x̃ − μ) / σ, or the angles
        of its Fourier features, overflow; with ``dtype`` float32 (a float32 model's, which
        takes the features in it), also those whose z lies beyond float32's range."""
        dtype = as_dtype(dtype)  # numpy's "data type ... not understood" named no argument
        return self._outside(self._features(X, fitting=self.n_features is None), dtype)

    def check_domain(self, X: Any) -> None:
        """ValueError naming the first value of X (N, d) that :meth:`outside_domain` marks, by its
        row and column in X: what ``fit`` and ``transform_x`` refuse, for a caller who checks all
        its rows before it takes a part of them (``fit`` names a row by its place in that part)."""
        array = self._features(X, fitting=self.n_features is None)
        self._refuse(array, self._outside(array))

    def _outside(self, array: FloatArray, dtype: npt.DTypeLike = np.float64) -> npt.NDArray[np.bool_]:
        """:meth:`outside_domain` of checked features (N, d)."""
        return self._standardised(array, dtype)[1] if self.n_features is not None else self._log_domain(array)

    def _log_domain(self, array: FloatArray) -> npt.NDArray[np.bool_]:
        outside = np.zeros(array.shape, dtype=bool)  # (N, d)
        for column in self.log_columns:
            outside[:, column] = array[:, column] <= 0.0
        return outside

    def _log(self, array: FloatArray) -> FloatArray:
        out = array.copy()
        for column in self.log_columns:
            out[:, column] = np.log(array[:, column])
        return out

    def _standardised(
        self, array: FloatArray, dtype: npt.DTypeLike = np.float64
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """z = (x̃ − μ) / σ (N, d), and the mask of the values the transform refuses (where z is
        not meaningful): outside the log's domain, or overflowing in z or in the Fourier angles;
        with ``dtype`` float32 (a float32 model's, which takes the features in it), also beyond
        float32's range."""
        outside = self._log_domain(array)
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.x_scaler.transform(self._log(np.where(outside, 1.0, array)))  # (N, d)
        outside |= ~np.isfinite(z)
        limit = np.finfo(np.dtype(dtype)).max
        if limit < np.finfo(np.float64).max:
            outside |= np.abs(z) > limit  # the sines and cosines are in [-1, 1]: z alone can overflow
        if self.fourier is not None:
            outside |= self.fourier.overflows(z)
        return z, outside

    def _refuse(self, array: FloatArray, outside: npt.NDArray[np.bool_], dtype: str = "float64") -> None:
        """OutOfDomainError (a ValueError) naming the first value of ``array`` that ``outside`` marks, if any."""
        if not outside.any():
            return
        row, column = (int(i) for i in np.argwhere(outside)[0])
        value = float(array[row, column])
        if column in self.log_columns and value <= 0.0:
            reason = f"{value:g} must be > 0, since the model takes its logarithm"  # as predict says it
            message = f"column {column} is log-transformed and must be > 0, got {value} at row {row}"
        else:
            reason = f"{value} is too large: its standardised value or Fourier angles overflow {dtype}"
            message = f"X[{row}, {column}] = {reason}"
        raise OutOfDomainError(message, row=row, column=column, value=value, reason=reason)

    def _y(self, y: Any, name: str = "y") -> FloatArray:
        return _as_f64(y, name=name, dtype=np.dtype(np.float64))

    def fit(self, X: Any, y: Any) -> Preprocessor:
        """Fit on the training rows only: X (N, d), y (N,) or (N, 1) (one target), N ≥ 1."""
        array = self._features(X, fitting=True)  # (N, d)
        if array.size == 0:  # StandardScaler.fit would refuse it in its own name
            raise ValueError(
                f"Preprocessor.fit needs X with at least one row and one feature column, got shape {array.shape}"
            )
        self._refuse(array, self._log_domain(array))
        features = self._log(array)  # (N, d)
        target = self._y(y)  # (N,) or (N, 1)
        if target.ndim == 2 and target.shape[1] == 1:  # a column, as the Trainer takes one
            target = target[:, 0]
        if target.ndim != 1 or target.shape[0] != features.shape[0]:
            raise ValueError(
                f"y must have shape ({features.shape[0]},) or ({features.shape[0]}, 1) to match X "
                f"(one target column), got {target.shape}"
            )
        x_scaler = StandardScaler().fit(features)
        y_scaler = (
            StandardScaler().fit(target)
            if self.scale_y
            else StandardScaler.from_state({"mean": np.float64(0.0), "scale": np.float64(1.0)})
        )
        if self.fourier is not None:
            self.fourier.fit(features.shape[1], np.random.default_rng([self.seed, FOURIER_STREAM]))
        self.x_scaler, self.y_scaler = x_scaler, y_scaler
        self.x_min_, self.x_max_ = array.min(axis=0), array.max(axis=0)
        return self

    @property
    def training_range(self) -> tuple[FloatArray, FloatArray] | None:
        """(x_min_, x_max_), each (d,): every feature's range over the rows ``fit`` saw (and those
        :meth:`widen_training_range` added); None when unknown (before fit, or a state saved
        before glassnet kept it)."""
        if self.x_min_ is None or self.x_max_ is None:
            return None
        return self.x_min_.copy(), self.x_max_.copy()  # copies: writing to them leaves the fit as it was

    def widen_training_range(self, X: Any) -> None:
        """Widen :attr:`training_range` to the rows of ``X`` (N, d) too: rows a model trained on
        besides those ``fit`` scaled with (under refit, the validation rows), so that a value
        only they hold is not called an extrapolation. The scaling is unchanged."""
        if self.x_scaler.mean_ is None:
            raise ValueError("Preprocessor.widen_training_range called before fit")
        if self.x_min_ is None or self.x_max_ is None:
            raise ValueError(
                "Preprocessor.widen_training_range: the training range is unknown (a state saved "
                "before glassnet kept it), so there is none to widen"
            )
        self.check_domain(X)  # what the scaling refuses (a value <= 0 in a log column) is no training row
        array = self._features(X)  # (N, d)
        if len(array):
            self.x_min_ = np.minimum(self.x_min_, array.min(axis=0))
            self.x_max_ = np.maximum(self.x_max_, array.max(axis=0))

    def outside_training_range(self, X: Any) -> npt.NDArray[np.bool_] | None:
        """(N, d) mask of the values outside :attr:`training_range`, where a prediction is an
        extrapolation; None when the range is unknown."""
        bounds = self.training_range
        if bounds is None:
            return None
        array = self._features(X)
        outside: npt.NDArray[np.bool_] = (array < bounds[0]) | (array > bounds[1])
        return outside

    def _y_parameters(self, method: str) -> tuple[FloatArray, FloatArray]:
        mean, scale = self.y_scaler.mean_, self.y_scaler.scale_
        if self.x_scaler.mean_ is None or mean is None or scale is None:
            raise ValueError(f"Preprocessor.{method} called before fit")
        return mean, scale

    def transform_x(self, X: Any, dtype: npt.DTypeLike = np.float64) -> FloatArray:
        """z = (x̃ − μₓ) / σₓ with x̃ the log-transformed features, then the Fourier features.
        (N, d) -> (N, n_outputs), in float64; ``dtype`` float32 (that of the model they are
        for) also refuses a z beyond float32's range, which the model could not take."""
        z = self._checked_z(X, dtype)  # (N, d)
        return z if self.fourier is None else self.fourier.transform(z)

    def transform_x_blocks(self, X: Any, dtype: npt.DTypeLike, rows: int) -> Iterator[FloatArray]:
        """:meth:`transform_x` of ``X``, ``rows`` rows at a time: every row checked first (a value
        refused is named by its row in X, as transform_x names it), then the features of each
        block, the numbers transform_x gives those rows. The Fourier features of a million rows
        take 680 MB at once (85 columns and the angles, in float64), and a prediction needs a
        block's at a time. Yields nothing for no rows."""
        z = self._checked_z(X, dtype)  # (N, d): a few columns, every row
        for start in range(0, len(z), rows):
            block = z[start : start + rows]
            yield block if self.fourier is None else self.fourier.transform(block)

    def _checked_z(self, X: Any, dtype: npt.DTypeLike) -> FloatArray:
        """z = (x̃ − μₓ) / σₓ (N, d) of X, every value :meth:`transform_x` refuses refused."""
        dtype = as_dtype(dtype)  # numpy's "data type ... not inexact" named no argument
        self._y_parameters("transform_x")
        array = self._features(X)
        z, outside = self._standardised(array, dtype)  # (N, d)
        self._refuse(array, outside, np.dtype(dtype).name)
        return z

    def inverse_transform_x(self, Z: Any) -> FloatArray:
        """Undo transform_x: x̃ = z σₓ + μₓ, then exp on the log columns. (N, d) -> (N, d);
        of (N, n_outputs) the first d columns (z) are used."""
        self._y_parameters("inverse_transform_x")
        array = _as_f64(Z, name="Z", dtype=np.dtype(np.float64), ndim=2)
        d = self.n_features
        if self.fourier is not None and array.shape[1] == self.n_outputs:
            array = array[:, :d]
        if array.shape[1] != d:
            fourier = "" if self.fourier is None else f" or (N, {self.n_outputs}) (with the Fourier features)"
            raise ValueError(
                f"Preprocessor.inverse_transform_x expects Z of shape (N, {d}){fourier}, got {array.shape}"
            )
        out = self.x_scaler.inverse_transform(array)
        with np.errstate(over="ignore"):  # a value beyond float64 is inf, as the model's own would be
            for column in self.log_columns:
                out[:, column] = np.exp(out[:, column])
        return out

    def transform_y(self, y: Any) -> FloatArray:
        """t = (y − μ_y) / σ_y, elementwise (any shape, e.g. (N,) or (N, 1)); a y whose t
        overflows float64 is refused, as transform_x refuses such an x."""
        mean, scale = self._y_parameters("transform_y")
        target = self._y(y)
        # the scaler's own computation: finite near ±1.8e308 too, where y − μ_y overflows
        t = _standardise(target, mean, scale)  # same shape as y
        overflowing = ~np.isfinite(t)
        if overflowing.any():  # as transform_x refuses an overflowing z, in its words
            index = tuple(int(i) for i in np.argwhere(overflowing)[0])
            where = f"[{', '.join(map(str, index))}]" if index else ""
            raise ValueError(
                f"y{where} = {exact_text(target[index])} is too large: its standardised value "
                "(y − μ_y) / σ_y overflows float64"
            )
        return t

    def inverse_transform_y(self, y_scaled: Any) -> FloatArray:
        """y = t σ_y + μ_y, elementwise: model outputs back to the target's units (dB). A y beyond
        float64 is ±inf, without a warning: a prediction, which the metrics then report as inf,
        where transform_y refuses a target it cannot standardise."""
        mean, scale = self._y_parameters("inverse_transform_y")
        return _unstandardise(self._y(y_scaled, "y_scaled"), mean, scale)

    def fit_transform(self, X: Any, y: Any) -> tuple[FloatArray, FloatArray]:
        self.fit(X, y)
        return self.transform_x(X), self.transform_y(y)

    def to_state(self) -> dict[str, np.ndarray]:
        """Plain arrays: log_columns (k,) int64, x_mean/x_scale (d,), y_mean/y_scale (), scale_y () bool,
        x_min/x_max (d,) (the training range), seed, and the Fourier state if any."""
        self._y_parameters("to_state")
        x_state, y_state = self.x_scaler.to_state(), self.y_scaler.to_state()
        return {
            "log_columns": np.array(self.log_columns, dtype=np.int64),
            "x_mean": x_state["mean"],
            "x_scale": x_state["scale"],
            "y_mean": y_state["mean"],
            "y_scale": y_state["scale"],
            "scale_y": np.array(self.scale_y),
            "seed": np.array(self.seed, dtype=np.int64),
            **(
                {}
                if self.x_min_ is None or self.x_max_ is None
                else {"x_min": self.x_min_.copy(), "x_max": self.x_max_.copy()}
            ),
            **(
                {}
                if self.fourier is None
                else {f"fourier_{k}": v for k, v in self.fourier.to_state().items()}
            ),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Preprocessor:
        """Rebuild a fitted Preprocessor from :meth:`to_state`'s dictionary (every array checked;
        a key it does not read is refused)."""
        require_keys(state, ("log_columns", "scale_y"), owner="Preprocessor")
        refuse_unknown_keys(state, STATE_KEYS, owner="Preprocessor")
        columns = np.asarray(state["log_columns"])
        if columns.ndim != 1 or (columns.size and columns.dtype.kind not in "iu"):
            raise TypeError(f"Preprocessor state 'log_columns' must be a 1-D integer array, got {columns!r}")
        scale_y = np.asarray(state["scale_y"])
        if scale_y.shape != () or scale_y.dtype.kind != "b":
            raise TypeError(f"Preprocessor state 'scale_y' must be a boolean scalar array, got {scale_y!r}")
        x_mean = _state_array(state, "x_mean", owner="Preprocessor")
        x_scale = _state_array(state, "x_scale", owner="Preprocessor")
        y_mean = _state_array(state, "y_mean", owner="Preprocessor")
        y_scale = _state_array(state, "y_scale", owner="Preprocessor")
        if x_mean.ndim != 1 or y_mean.ndim != 0:
            raise ValueError(
                f"Preprocessor state needs x_mean of shape (d,) and y_mean of shape (), got "
                f"{x_mean.shape} and {y_mean.shape}"
            )
        x_scaler = StandardScaler.from_state({"mean": x_mean, "scale": x_scale})
        y_scaler = StandardScaler.from_state({"mean": y_mean, "scale": y_scale})
        if not scale_y and (y_mean != 0.0 or y_scale != 1.0):  # fit leaves such a target unchanged
            raise ValueError(
                "Preprocessor state with scale_y False needs y_mean 0 and y_scale 1, "
                f"got y_mean={y_mean} and y_scale={y_scale}"
            )
        seed = np.asarray(state.get("seed", 0))
        if seed.shape != () or seed.dtype.kind not in "iu" or seed < 0:
            raise TypeError(f"Preprocessor state 'seed' must be a non-negative integer scalar, got {seed!r}")
        preprocessor = cls(tuple(int(c) for c in columns), scale_y=bool(scale_y), seed=int(seed))
        fourier_state = {k.removeprefix("fourier_"): v for k, v in state.items() if k.startswith("fourier_")}
        if fourier_state:  # a checkpoint without these keys predates Fourier features: none
            # named as the state holds them (FourierFeatures would name 'sigma')
            require_keys(state, ("fourier_frequencies", "fourier_sigma"), owner="Preprocessor")
            preprocessor.fourier = FourierFeatures.from_state(fourier_state)
            if preprocessor.fourier.frequencies_ is not None and len(
                preprocessor.fourier.frequencies_
            ) != len(x_mean):
                raise ValueError(
                    f"Preprocessor state has Fourier frequencies for {len(preprocessor.fourier.frequencies_)} "
                    f"columns but {len(x_mean)} features"
                )
        if preprocessor.log_columns and preprocessor.log_columns[-1] >= x_mean.shape[0]:
            raise ValueError(
                f"Preprocessor state log_columns {preprocessor.log_columns} "
                f"exceed its {x_mean.shape[0]} features"
            )
        preprocessor.x_scaler, preprocessor.y_scaler = x_scaler, y_scaler
        if "x_min" in state or "x_max" in state:  # a state without both predates them: range unknown
            x_min = _state_array(state, "x_min", owner="Preprocessor")
            x_max = _state_array(state, "x_max", owner="Preprocessor")
            if x_min.shape != x_mean.shape or x_max.shape != x_mean.shape:
                raise ValueError(
                    f"Preprocessor state needs x_min and x_max of shape {x_mean.shape}, "
                    f"got {x_min.shape} and {x_max.shape}"
                )
            reversed_columns = np.flatnonzero(x_min > x_max)
            if reversed_columns.size:
                j = int(reversed_columns[0])
                raise ValueError(
                    f"Preprocessor state needs x_min ≤ x_max, got {x_min[j]:g} > {x_max[j]:g} in column {j}"
                )
            logged = list(preprocessor.log_columns)
            not_positive = [j for j in logged if not x_min[j] > 0.0]  # fit takes the log of these
            if not_positive:
                j = not_positive[0]
                raise ValueError(
                    f"Preprocessor state needs x_min > 0 in its log columns {tuple(logged)}, "
                    f"got {x_min[j]:g} in column {j}"
                )
            preprocessor.x_min_, preprocessor.x_max_ = x_min, x_max
        return preprocessor
