"""Generated 2-D binary classification sets for the exercise's 2→3→1 network.

Each returns X (N, 2) float64 and y (N,) float64 in {0., 1.}, rows in random order, every
random choice drawn from the ``rng`` passed in (same seed, same set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet._checks import exact_text, finite_float, positive_int
from glassnet.data._table import FloatArray


def _check(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[int, float]:
    n = positive_int(n_samples, "n_samples")
    if n < 2:
        raise ValueError(f"n_samples must be at least 2 (one point per class), got {n}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return n, finite_float(noise, "noise", minimum=0.0)


def _noisy(X: FloatArray, sigma: float, rng: np.random.Generator, start: Mapping[str, Any]) -> FloatArray:
    """X + σ·n, n ~ N(0, 1) per coordinate (same shape as X); ValueError naming ``noise`` when a
    coordinate overflows float64 (σ near 1e308), where the sets had ±inf in them. The generator is
    then put back to ``start``, its state when the set began, so a retry with a smaller noise
    draws what a fresh one would."""
    with np.errstate(over="ignore"):
        noisy: FloatArray = X + sigma * rng.standard_normal(X.shape)
    if not np.isfinite(noisy).all():
        rng.bit_generator.state = start
        raise ValueError(
            f"noise = {exact_text(sigma)} is too large: the coordinates drawn with it overflow float64"
        )
    return noisy


def _shuffled(X: FloatArray, y: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


def make_moons(
    n_samples: int = 200, *, noise: float = 0.1, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Two interleaving half circles.

    Class 0: (cos t, sin t); class 1: (1 − cos t, 0.5 − sin t), t evenly spaced in [0, π];
    then Gaussian noise of standard deviation ``noise`` on both coordinates.
    Shapes: X (N, 2), y (N,); ⌈N/2⌉ points in class 0, ⌊N/2⌋ in class 1.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_moons
    >>> X, y = make_moons(7, noise=0.0, rng=np.random.default_rng(0))
    >>> X.shape, y.shape
    ((7, 2), (7,))
    >>> np.bincount(y.astype(int))  # ⌈7/2⌉ = 4 in class 0, ⌊7/2⌋ = 3 in class 1
    array([4, 3])

    Without noise the points lie on the two half circles, of radius 1 about (0, 0) and (1, 0.5):

    >>> bool(np.allclose(np.hypot(*X[y == 0].T), 1.0))
    True
    >>> bool(np.allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0))
    True

    The same seed draws the same set:

    >>> X2, y2 = make_moons(7, noise=0.0, rng=np.random.default_rng(0))
    >>> bool(np.array_equal(X, X2) and np.array_equal(y, y2))
    True
    """
    n, sigma = _check(n_samples, noise, rng)
    start = rng.bit_generator.state  # put back if the noise is refused
    n0 = n - n // 2
    t0 = np.linspace(0.0, np.pi, n0)  # (n0,)
    t1 = np.linspace(0.0, np.pi, n // 2)  # (n1,)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], axis=1), np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)]
    )  # (N, 2)
    y = np.concatenate([np.zeros(n0), np.ones(n // 2)])  # (N,)
    X = _noisy(X, sigma, rng, start)  # (N, 2)
    return _shuffled(X, y, rng)


def make_xor(
    n_samples: int = 200, *, noise: float = 0.1, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """The XOR pattern in [−1, 1]²: class 0 where x₁ and x₂ have the same sign, class 1 where
    their signs differ (x₁·x₂ < 0).

    Each class's points are uniform over its two quadrants (magnitudes uniform in [0, 1),
    signs drawn), then Gaussian noise of standard deviation ``noise`` moves every point, so
    with noise > 0 a few cross the axes. Shapes: X (N, 2), y (N,); ⌈N/2⌉ points in class 0,
    ⌊N/2⌋ in class 1, as in the other sets (drawing the points first and labelling them
    after left a small set with one class only).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_xor
    >>> X, y = make_xor(8, noise=0.0, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y.astype(int))  # 4 points per class
    ((8, 2), array([4, 4]))

    Without noise the label is exactly the sign rule, and the points stay in [−1, 1]²:

    >>> bool(np.array_equal(y == 1.0, X[:, 0] * X[:, 1] < 0))
    True
    >>> bool((np.abs(X) <= 1.0).all())
    True
    """
    n, sigma = _check(n_samples, noise, rng)
    start = rng.bit_generator.state  # put back if the noise is refused
    y = np.concatenate([np.zeros(n - n // 2), np.ones(n // 2)])  # (N,)
    first = rng.choice([-1.0, 1.0], size=n)  # (N,): the sign of x₁
    second = np.where(y == 1.0, -first, first)  # (N,): x₂'s, the same for class 0, the other for 1
    X = rng.uniform(0.0, 1.0, size=(n, 2)) * np.stack([first, second], axis=1)  # (N, 2)
    X = _noisy(X, sigma, rng, start)  # (N, 2)
    return _shuffled(X, y, rng)


def make_circles(
    n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Two concentric circles: class 0 on radius 1, class 1 on radius ``factor`` (0 < factor < 1).

    Angles evenly spaced in [0, 2π), then Gaussian noise of standard deviation ``noise``.
    Shapes: X (N, 2), y (N,); ⌈N/2⌉ points in class 0, ⌊N/2⌋ in class 1.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_circles
    >>> X, y = make_circles(8, noise=0.0, factor=0.5, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y.astype(int))
    ((8, 2), array([4, 4]))

    Without noise every point lies on one of the two radii, 1 for class 0 and ``factor`` for class 1:

    >>> np.unique(np.round(np.hypot(X[:, 0], X[:, 1]), 6))
    array([0.5, 1. ])
    >>> bool(np.allclose(np.hypot(*X[y == 1].T), 0.5))
    True
    """
    n, sigma = _check(n_samples, noise, rng)
    start = rng.bit_generator.state  # put back if the noise is refused
    radius = finite_float(factor, "factor", minimum=0.0, strict=True)
    if radius >= 1.0:
        raise ValueError(f"factor must be < 1 (the inner circle's radius), got {radius}")
    n0 = n - n // 2
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)  # (n0,)
    t1 = np.linspace(0.0, 2.0 * np.pi, n // 2, endpoint=False)  # (n1,)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], axis=1), radius * np.stack([np.cos(t1), np.sin(t1)], axis=1)]
    )  # (N, 2)
    y = np.concatenate([np.zeros(n0), np.ones(n // 2)])  # (N,)
    X = _noisy(X, sigma, rng, start)  # (N, 2)
    return _shuffled(X, y, rng)
