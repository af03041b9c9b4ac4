"""Random Fourier features of standardised columns: fixed sines and cosines next to the inputs.

A ReLU network is slow to learn functions that change quickly along one input (the sharp
peaks of a noise spectrum along log-frequency, say); a few periodic features of each
input with random frequencies give it those variations for free (Tancik et al., 2020,
"Fourier features let networks learn high frequency functions"; Gorishniy et al., 2022,
"On embeddings for numerical features in tabular deep learning"). The frequencies are
drawn once and then fixed, like scikit-learn's ``RBFSampler``, so the features are part
of the preprocessing and are saved with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import (
    as_float_array,
    count_text,
    finite_float,
    int_in_range,
    refuse_unknown_keys,
    require_keys,
)
from glassnet.data._table import FloatArray

MAX_FREQUENCIES = 1024

Sigma = float | tuple[float, ...]  # one σ for every column, or one per column


def fourier_sigma(
    value: Any,
    name: str,
    *,
    each: Callable[[Any, str], float] | None = None,
    per: str = "column",
) -> Sigma:
    """``value`` as a σ of Fourier frequencies: one number, or a non-empty list, tuple or 1-D
    array of them (one per input ``per``, kept as a tuple); TypeError or ValueError naming
    ``name``. ``each(v, name)`` checks one σ and returns it as a float: by default finite
    and > 0 (TrainConfig bounds it above too)."""
    check = each if each is not None else _positive
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # the NumPy scalar, which ``each`` reads as it reads one given so
    if isinstance(value, np.ndarray | list | tuple):
        if isinstance(value, np.ndarray) and value.ndim != 1:
            raise ValueError(f"{name} must be a number or a 1-D sequence of them, got shape {value.shape}")
        values = list(value)  # an array's entries as its NumPy scalars, which ``each`` reads as it reads one
        if not values:
            raise ValueError(f"{name} must be a number or one number per {per}, got an empty sequence")
        return tuple(check(v, f"{name}[{i}]") for i, v in enumerate(values))
    return check(value, name)


def _positive(value: Any, name: str) -> float:
    return finite_float(value, name, minimum=0.0, strict=True)


class FourierFeatures:
    """z (N, d) ↦ [z, sin(2π zⱼ cⱼₖ), cos(2π zⱼ cⱼₖ)] (N, d + 2dK), per column j and k = 1…K.

    ``fit(d, rng)`` draws the frequencies cⱼₖ ~ N(0, σⱼ²), a (d, K) array; ``transform``
    appends the K sines of every column (column after column), then the K cosines. With
    standardised inputs σ is in units of the column's standard deviation: σ = 0.2 gives
    periods 1/|c| of about five standard deviations, the shortest of them about two.
    ``sigma`` is one σ for every column, or a sequence of one σⱼ per column: a column along
    which the target changes slowly wants a smaller one, a column along which it changes
    sharply a larger one.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import FourierFeatures
    >>> features = FourierFeatures(2, sigma=0.2).fit(1, np.random.default_rng(0))
    >>> features.frequencies_.shape  # (d, K): one column, two frequencies
    (1, 2)
    >>> Z = np.array([[0.0], [0.5]])
    >>> out = features.transform(Z)
    >>> out.shape  # d + 2dK = 1 + 4 columns: z, then its 2 sines, then its 2 cosines
    (2, 5)
    >>> angles = 2 * np.pi * Z * features.frequencies_  # 2π z c, (N, K)
    >>> bool(np.allclose(out, np.hstack([Z, np.sin(angles), np.cos(angles)])))
    True
    """

    def __init__(self, n_frequencies: int, sigma: float | Sequence[float]) -> None:
        self.n_frequencies = int_in_range(n_frequencies, "n_frequencies", 1, MAX_FREQUENCIES)
        self.sigma: Sigma = fourier_sigma(sigma, "Fourier features sigma")
        self.frequencies_: FloatArray | None = None  # (d, K) after fit

    def __repr__(self) -> str:
        fitted = (
            ""
            if self.frequencies_ is None
            else f"; fitted on {count_text(self.frequencies_.shape[0], 'column')}"
        )
        return f"FourierFeatures(n_frequencies={self.n_frequencies}, sigma={self.sigma!r}{fitted})"

    def fit(self, n_columns: int, rng: np.random.Generator) -> FourierFeatures:
        """Draw the (n_columns, K) frequencies from ``rng``."""
        if isinstance(n_columns, bool) or not isinstance(n_columns, int | np.integer) or n_columns < 1:
            raise TypeError(
                f"n_columns must be a positive integer (the inputs' column count), got {n_columns!r}"
            )
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(self.sigma, tuple) and len(self.sigma) != n_columns:
            raise ValueError(
                f"Fourier features sigma has {len(self.sigma)} values, one per column, but the "
                f"inputs have {n_columns} columns"
            )
        scale = self.sigma if isinstance(self.sigma, float) else np.array(self.sigma)[:, None]  # σ or (d, 1)
        frequencies = rng.normal(0.0, scale, size=(int(n_columns), self.n_frequencies))  # (d, K)
        if not np.isfinite(frequencies).all():  # σ near the float64 limit: σ · N(0, 1) overflows
            raise ValueError(
                f"Fourier features sigma = {self.sigma} is too large: frequencies drawn with it overflow float64"
            )
        self.frequencies_ = frequencies
        return self

    def transform(self, Z: Any) -> FloatArray:
        """(N, d) -> (N, d + 2dK): the columns, their sines, their cosines."""
        columns, frequencies = self._columns(Z, "transform")
        overflowing = self.overflows(columns)
        if overflowing.any():
            row, column = (int(i) for i in np.argwhere(overflowing)[0])
            raise ValueError(
                f"Z[{row}, {column}] = {columns[row, column]} is too large: its angles 2π z c overflow float64"
            )
        n, (d, k) = len(columns), frequencies.shape
        angles = (2.0 * np.pi) * columns[:, :, None] * frequencies  # (N, d, K)
        # sines and cosines written into their places in the result: no (N, dK) arrays of their
        # own and no concatenation, which took half the time and more than doubled the memory
        out = np.empty((n, d + 2 * d * k))  # (N, d + 2dK)
        out[:, :d] = columns
        np.sin(angles, out=out[:, d : d + d * k].reshape(n, d, k))  # views: each row's K are contiguous
        np.cos(angles, out=out[:, d + d * k :].reshape(n, d, k))
        return out

    def overflows(self, Z: Any) -> npt.NDArray[np.bool_]:
        """(N, d) mask of the finite z whose angles 2π z cₖ overflow float64 (sin, cos would be NaN)."""
        # checked as transform checks it (a Z of another width broadcast to a mask of the wrong
        # shape), but for ±inf and NaN, which are no overflow of the angles: the mask leaves them out
        columns, frequencies = self._columns(Z, "overflows", finite=False)
        largest = np.abs(frequencies).max(axis=1)  # (d,): the largest angle of each column
        with np.errstate(over="ignore", invalid="ignore"):
            angles = (2.0 * np.pi) * np.abs(columns) * largest  # (N, d), in the order transform multiplies
        overflowing: npt.NDArray[np.bool_] = np.isfinite(columns) & ~np.isfinite(angles)
        return overflowing

    def _columns(
        self, Z: Any, method: str, *, finite: bool = True
    ) -> tuple[npt.NDArray[np.floating[Any]], FloatArray]:
        """Z as a float64 (N, d) array of the fitted d columns (ValueError naming Z otherwise),
        and the (d, K) frequencies."""
        if self.frequencies_ is None:
            raise ValueError(f"FourierFeatures.{method} called before fit")
        columns = as_float_array(Z, name="Z", dtype=np.dtype(np.float64), ndim=2, finite=finite)
        if columns.shape[1] != self.frequencies_.shape[0]:
            raise ValueError(
                f"FourierFeatures expects {self.frequencies_.shape[0]} columns, got shape {columns.shape}"
            )
        return columns, self.frequencies_

    def n_outputs(self, n_columns: int) -> int:
        return n_columns * (1 + 2 * self.n_frequencies)

    def to_state(self) -> dict[str, FloatArray]:
        """{"frequencies": (d, K)} and σ (a scalar, or (d,) for one per column), as float64 arrays."""
        if self.frequencies_ is None:
            raise ValueError("FourierFeatures.to_state called before fit")
        return {"frequencies": self.frequencies_.copy(), "sigma": np.array(self.sigma, dtype=np.float64)}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> FourierFeatures:
        """Rebuild from :meth:`to_state` (checked: a finite (d, K) array, d ≥ 1, K ≥ 1, and σ > 0,
        one or d of them)."""
        require_keys(state, ("frequencies", "sigma"), owner="FourierFeatures")
        refuse_unknown_keys(state, ("frequencies", "sigma"), owner="FourierFeatures")
        frequencies = np.asarray(state["frequencies"])
        if frequencies.dtype.kind != "f" or frequencies.ndim != 2 or 0 in frequencies.shape:
            raise ValueError(
                "FourierFeatures state 'frequencies' must be a float array of d ≥ 1 rows, shape (d, K), K ≥ 1, "
                f"got dtype {frequencies.dtype} and shape {frequencies.shape}"
            )
        sigma = np.asarray(state["sigma"])
        if sigma.shape not in ((), frequencies.shape[:1]) or sigma.dtype.kind != "f":
            raise ValueError(
                "FourierFeatures state 'sigma' must be a float scalar or one float per column "
                f"(shape ({frequencies.shape[0]},)), got {sigma!r}"
            )
        features = cls(
            int(frequencies.shape[1]), float(sigma) if sigma.shape == () else tuple(sigma.tolist())
        )
        checked = as_float_array(frequencies, name="FourierFeatures state 'frequencies'")
        features.frequencies_ = checked.astype(np.float64)
        return features
