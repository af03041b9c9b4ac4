"""Train/validation/test splits and K-fold indices, reproducible from a ``Generator``.

Every function returns integer index arrays (sorted, dtype intp) into rows 0..n−1; the
parts are disjoint and together cover every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from glassnet._checks import finite_float, positive_int

IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Split:
    """Disjoint row indices that together cover range(n).

    Attributes:
        train: (n_train,) rows to fit on: the preprocessing, and the model (under refit, the
            default, the model kept is trained on the train and val rows together).
        val: (n_val,) rows for validation: early stopping, the best epoch, model choice; may
            be empty.
        test: (n_test,) rows held out for the final figures; may be empty.
    """

    train: IndexArray
    val: IndexArray
    test: IndexArray

    def to_state(self) -> dict[str, IndexArray]:
        """Copies of the indices as plain arrays (for an ``.npz`` saved with ``allow_pickle=False``)."""
        return {"train": self.train.copy(), "val": self.val.copy(), "test": self.test.copy()}


def _check_rng(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _fraction(value: object, name: str) -> float:
    if isinstance(value, np.floating) and np.finfo(value.dtype).bits < 64:
        # np.float32(0.2) is 0.20000000298…, an error far beyond the float64 ulps that
        # :func:`_ceil` absorbs: its ceiling took a row more. Its shortest decimal form as a
        # float32 is the number the caller wrote.
        value = float(str(value))
    fraction = finite_float(value, name, minimum=0.0)
    if fraction >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {fraction}")
    return fraction


def _ceil(fraction: float, rows: int) -> int:
    """⌈fraction · rows⌉ of the number the caller meant. A fraction written as a decimal (0.07)
    or computed (0.1 · 3, 1 / 6) is a float a few ulps off it, so its exact product with the row
    count may lie just above a whole number that the meant one hits: 0.07 · 100 is
    7.000000000000001, and its ceiling would take 8 rows. A product within 16 ulps of itself,
    or within 4 ulps of 1.0 per row (the error of a fraction computed as 1 − 0.9984, which is
    small beside 1 but not beside 0.0016), of a whole number is taken as that number; any
    other, and any positive one below 1, rounds up. (Rounding the product to 9 decimals, as
    before, absorbed the error only while the product was small: 0.55 · 1.3e7 took 7,150,001
    rows.)"""
    product = Fraction(fraction) * rows  # exact
    nearest = round(product)
    if nearest > 0 and abs(product - nearest) <= max(product / 2**48, Fraction(rows, 2**50)):
        return int(nearest)
    return math.ceil(product)


def train_val_test_split(
    n: int, *, test_fraction: float = 0.2, val_fraction: float = 0.1, rng: np.random.Generator
) -> Split:
    """Shuffle rows 0..n−1 with ``rng`` and cut them into test, validation and training parts.

    n_test = ⌈test_fraction · n⌉; n_val = ⌈val_fraction · (n − n_test)⌉ (the validation part
    is a fraction of what is left for training); the rest trains. A positive fraction
    therefore always gets at least one row. For airfoil (n = 1503, defaults): 301 test,
    121 validation, 1081 training rows.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import train_val_test_split
    >>> split = train_val_test_split(10, rng=np.random.default_rng(0))
    >>> split.test, split.val  # ⌈0.2 · 10⌉ = 2 test rows, ⌈0.1 · 8⌉ = 1 validation row
    (array([4, 6]), array([2]))
    >>> split.train  # the other 7, sorted
    array([0, 1, 3, 5, 7, 8, 9])

    For airfoil's 1503 rows:

    >>> split = train_val_test_split(1503, rng=np.random.default_rng(0))
    >>> len(split.test), len(split.val), len(split.train)
    (301, 121, 1081)
    >>> every = np.concatenate([split.train, split.val, split.test])
    >>> bool(np.array_equal(np.sort(every), np.arange(1503)))  # disjoint, and covering every row
    True
    """
    rows = positive_int(n, "n")
    test_f = _fraction(test_fraction, "test_fraction")
    val_f = _fraction(val_fraction, "val_fraction")
    generator = _check_rng(rng)
    n_test = _ceil(test_f, rows)
    n_val = _ceil(val_f, rows - n_test)
    if rows - n_test - n_val < 1:  # before the draw: a refused split leaves the generator as it was
        raise ValueError(
            f"no training rows left: n={rows}, test_fraction={test_f} (--test-fraction) takes {n_test}, "
            f"val_fraction={val_f} (--val-fraction) takes {n_val}"
        )
    order = generator.permutation(rows)  # (n,)
    test = np.sort(order[:n_test])
    val = np.sort(order[n_test : n_test + n_val])
    train = np.sort(order[n_test + n_val :])
    return Split(train=train, val=val, test=test)


def kfold_indices(n: int, k: int, *, rng: np.random.Generator) -> list[tuple[IndexArray, IndexArray]]:
    """K-fold cross-validation: ``k`` (train, held_out) pairs of index arrays.

    Rows are shuffled with ``rng`` and cut into k folds of sizes differing by at most one;
    fold i is held out once and the other k − 1 train. The held-out folds are disjoint and
    cover range(n). Needs 2 ≤ k ≤ n.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import kfold_indices
    >>> folds = kfold_indices(7, 3, rng=np.random.default_rng(0))
    >>> [len(held_out) for _, held_out in folds]  # 7 rows in 3 folds: sizes differ by at most one
    [3, 2, 2]
    >>> train, held_out = folds[0]
    >>> train, held_out  # fold 0 is held out, the other two train
    (array([0, 1, 5, 6]), array([2, 3, 4]))
    >>> held = np.concatenate([held_out for _, held_out in folds])
    >>> bool(np.array_equal(np.sort(held), np.arange(7)))  # each row held out exactly once
    True
    """
    rows = positive_int(n, "n")
    folds = positive_int(k, "k")
    if rows < 2:
        raise ValueError(f"K-fold needs n ≥ 2 rows (two folds at least), got n={rows}")
    if not 2 <= folds <= rows:
        raise ValueError(f"k must be between 2 and n={rows}, got {folds}")
    order = _check_rng(rng).permutation(rows)  # (n,)
    parts = np.array_split(order, folds)
    pairs = []
    for i, held_out in enumerate(parts):
        train = np.concatenate([part for j, part in enumerate(parts) if j != i])
        pairs.append((np.sort(train), np.sort(held_out)))
    return pairs
