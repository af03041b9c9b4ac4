"""Splits, K-fold, scaling and the log transform (no leakage), and the generated 2-D sets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import changed
from glassnet.data import (
    AIRFOIL_LOG_COLUMNS,
    Preprocessor,
    StandardScaler,
    kfold_indices,
    make_circles,
    make_moons,
    make_xor,
    train_val_test_split,
)
from glassnet.train import SplitSettings, target_scale

# --- train / validation / test -------------------------------------------------------------------------


def test_split_sizes_disjoint_and_covering() -> None:
    split = train_val_test_split(1503, rng=np.random.default_rng(0))
    assert (len(split.train), len(split.val), len(split.test)) == (1081, 121, 301)  # ⌈300.6⌉, ⌈120.2⌉
    every = np.concatenate([split.train, split.val, split.test])
    np.testing.assert_array_equal(np.sort(every), np.arange(1503))  # disjoint and covering
    for part in (split.train, split.val, split.test):
        assert part.dtype == np.intp and np.all(np.diff(part) > 0)


@pytest.mark.parametrize("n", [100, 200, 300])
def test_split_sizes_are_the_ceiling_of_the_exact_product(n: int) -> None:
    """0.07 · 100 is 7.000000000000001 in floating point: the test part is still ⌈7⌉ = 7 rows."""
    split = train_val_test_split(n, test_fraction=0.07, val_fraction=0.0, rng=np.random.default_rng(0))
    assert len(split.test) == 7 * n // 100


@pytest.mark.parametrize(
    ("n", "fraction", "rows"), [(13_000_000, 0.55, 7_150_000), (100_000_000, 0.07, 7_000_000)]
)
def test_split_sizes_are_the_exact_ceiling_for_many_rows(n: int, fraction: float, rows: int) -> None:
    """The product was rounded to 9 decimals, which absorbs float64's error only below about
    2e6: 0.55 · 13e6 took 7,150,001 test rows. (Read from the refusal, made before the draw, so
    that no permutation of 10⁸ rows is made.)"""
    with pytest.raises(ValueError, match=rf"test_fraction={fraction} \(--test-fraction\) takes {rows}, "):
        train_val_test_split(n, test_fraction=fraction, val_fraction=1 - 1e-12, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("n", "test_fraction", "val_fraction", "sizes"),
    [
        (100, 0.1, 0.1 / (1 - 0.1), (80, 10, 10)),
        (1000, 0.1 * 3, 0.1, (630, 70, 300)),
        # read to 15 digits, 1/6 is 0.166666666666667, above 1/6: those took a row more
        (6, 1 / 6, 0.1, (4, 1, 1)),
        (70, 1 / 7, 0.1, (54, 6, 10)),
        (300, 2 / 3, 0.1, (90, 10, 200)),
        # 1 − 0.9984 is 0.0016000000000000458: an error small beside 1, large beside 0.0016
        (625, 1 - 0.9984, 0.0, (624, 0, 1)),
        (10_000, 1.0011 - 1, 0.0, (9989, 0, 11)),
    ],
)
def test_a_fraction_computed_in_floating_point_is_the_decimal_it_stands_for(
    n: int, test_fraction: float, val_fraction: float, sizes: tuple[int, int, int]
) -> None:
    """0.1 / 0.9 is 0.11111111111111112 and 0.1 · 3 is 0.30000000000000004: taken as those
    decimals exactly, their ceilings took a row more than the 10 % and 30 % meant; and 1 / 6,
    1 / 7, 2 / 3 read to 15 significant digits are a little above the fraction meant."""
    split = train_val_test_split(
        n, test_fraction=test_fraction, val_fraction=val_fraction, rng=np.random.default_rng(0)
    )
    assert (len(split.train), len(split.val), len(split.test)) == sizes


@pytest.mark.parametrize(("n", "fraction", "rows"), [(1500, 0.2, 300), (100, 0.07, 7), (1503, 0.2, 301)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_fraction_of_lower_precision_is_the_number_written(
    n: int, fraction: float, rows: int, dtype: type
) -> None:
    """np.float32(0.2) is 0.20000000298: 301 test rows of 1500, not 300 (and 8 of 100 at 0.07)."""
    split = train_val_test_split(
        n, test_fraction=dtype(fraction), val_fraction=dtype(0.0), rng=np.random.default_rng(0)
    )
    assert len(split.test) == rows
    same = train_val_test_split(n, test_fraction=fraction, val_fraction=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(split.test, same.test)


def test_split_is_reproducible_from_the_seed() -> None:
    a = train_val_test_split(100, rng=np.random.default_rng(7))
    b = train_val_test_split(100, rng=np.random.default_rng(7))
    c = train_val_test_split(100, rng=np.random.default_rng(8))
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.test, c.test)
    assert set(a.to_state()) == {"train", "val", "test"}


def test_split_zero_fractions() -> None:
    split = train_val_test_split(10, test_fraction=0.0, val_fraction=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(split.train, np.arange(10))
    assert split.val.size == 0 and split.test.size == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"n": 0}, ValueError, r"n must be a positive integer, got 0"),
        ({"n": 10.0}, TypeError, r"n must be a positive integer, got 10.0"),
        ({"test_fraction": 1.0}, ValueError, r"test_fraction must be in \[0, 1\), got 1.0"),
        ({"test_fraction": -0.1}, ValueError, r"test_fraction must be >= 0.0, got -0.1"),
        ({"val_fraction": math.nan}, ValueError, r"val_fraction must be finite, got nan"),
        ({"n": 2, "test_fraction": 0.5, "val_fraction": 0.5}, ValueError, r"no training rows left: n=2"),
        ({"rng": 0}, TypeError, r"rng must be a numpy.random.Generator, got int"),
    ],
)
def test_split_bad_arguments(kwargs: dict[str, Any], error: type[Exception], pattern: str) -> None:
    arguments: dict[str, Any] = {"n": 10, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(error, match=pattern):
        train_val_test_split(**arguments)


@pytest.mark.parametrize("fraction", [1e-9, 1e-12, 1e-300, 5e-324])
def test_split_a_tiny_positive_fraction_still_gets_one_row(fraction: float) -> None:
    """As documented (and as in scikit-learn's train_test_split): ⌈f · n⌉ ≥ 1 for any f > 0,
    even where rounding f · n to 9 decimals gives 0."""
    split = train_val_test_split(
        10, test_fraction=fraction, val_fraction=fraction, rng=np.random.default_rng(0)
    )
    assert (len(split.train), len(split.val), len(split.test)) == (8, 1, 1)


# --- K-fold ---------------------------------------------------------------------------------------------


def test_kfold_folds_are_disjoint_covering_and_balanced() -> None:
    folds = kfold_indices(23, 5, rng=np.random.default_rng(3))
    assert len(folds) == 5
    held = [held_out for _, held_out in folds]
    assert sorted(len(h) for h in held) == [4, 4, 5, 5, 5]
    np.testing.assert_array_equal(np.sort(np.concatenate(held)), np.arange(23))
    for train, held_out in folds:
        assert np.intersect1d(train, held_out).size == 0
        np.testing.assert_array_equal(np.sort(np.concatenate([train, held_out])), np.arange(23))
    again = kfold_indices(23, 5, rng=np.random.default_rng(3))
    for (t1, h1), (t2, h2) in zip(folds, again, strict=True):
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(h1, h2)


@pytest.mark.parametrize(
    ("n", "k", "pattern"),
    [
        (10, 1, r"k must be between 2 and n=10, got 1"),
        (3, 4, r"between 2 and n=3, got 4"),
        (1, 2, r"^K-fold needs n ≥ 2 rows \(two folds at least\), got n=1$"),  # not "between 2 and n=1"
    ],
)
def test_kfold_bad_k(n: int, k: int, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        kfold_indices(n, k, rng=np.random.default_rng(0))


# --- StandardScaler -------------------------------------------------------------------------------------


def test_scaler_hand_worked() -> None:
    X = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    scaler = StandardScaler().fit(X)
    np.testing.assert_array_equal(scaler.mean_, [3.0, 10.0])  # type: ignore[arg-type]
    np.testing.assert_allclose(scaler.scale_, [math.sqrt(8 / 3), 1.0], rtol=1e-15)  # type: ignore[arg-type]
    z = scaler.transform(X)
    np.testing.assert_allclose(z[:, 0], [-1.224744871391589, 0.0, 1.224744871391589], rtol=1e-14)
    np.testing.assert_array_equal(z[:, 1], 0.0)  # the constant column: scale 1, no division by zero
    np.testing.assert_allclose(scaler.inverse_transform(z), X, rtol=1e-15)


def test_scaler_mean_of_values_near_the_float64_limit() -> None:
    """Their sum overflows: the mean is taken in units of a power of two, with the same bits as
    X.mean() wherever that does not overflow."""
    with np.errstate(all="raise"):
        scaler = StandardScaler().fit([[1e308], [1.5e308]])
        assert scaler.mean_[0] == 1.25e308  # type: ignore[index]
        np.testing.assert_allclose(scaler.transform([[1e308]]), [[-1.0]], rtol=1e-15)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4)) * 10.0 ** rng.integers(-300, 300, size=4)
    np.testing.assert_array_equal(StandardScaler().fit(X).mean_, X.mean(axis=0))  # type: ignore[arg-type]


def test_scaler_scale_of_a_column_far_from_zero() -> None:
    """1e15 + (3, 4, 5): σ = √(2/3) exactly as X.std() and scikit-learn give it, not with the
    rounding of dividing by max |x| (which made it 0.81584)."""
    X = np.array([[1e15 + 3.0], [1e15 + 4.0], [1e15 + 5.0]])
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.scale_, [math.sqrt(2 / 3)], rtol=1e-15)  # type: ignore[arg-type]
    z = scaler.transform(X)[:, 0]
    np.testing.assert_allclose(z, [-1.224744871391589, 0.0, 1.224744871391589], rtol=1e-14)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3)) * [1.0, 1e-3, 5.0] + [1e6, 3.0, 1e12]
    np.testing.assert_array_equal(StandardScaler().fit(X).scale_, X.std(axis=0))


def test_scaler_constant_column_that_rounds() -> None:
    X = np.full((1503, 1), 0.1)  # std rounds to ~1e-17, not 0: still treated as constant
    scaler = StandardScaler().fit(X)
    assert scaler.scale_ is not None and scaler.scale_[0] == 1.0
    assert np.all(np.abs(scaler.transform(X)) < 1e-15)


def test_scaler_on_a_vector_and_its_state_round_trip(tmp_path: Path) -> None:
    y = np.array([2.0, 4.0, 9.0])
    scaler = StandardScaler().fit(y)
    assert scaler.mean_ is not None and scaler.mean_.shape == ()
    np.testing.assert_allclose(scaler.fit_transform(y).mean(), 0.0, atol=1e-15)
    path = tmp_path / "s.npz"
    np.savez(path, **scaler.to_state())
    with np.load(path, allow_pickle=False) as state:
        again = StandardScaler.from_state(dict(state))
    np.testing.assert_array_equal(again.transform(y), scaler.transform(y))


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: StandardScaler().fit(np.zeros((0, 2))), ValueError, r"N ≥ 1, got \(0, 2\)"),
        (lambda: StandardScaler().fit(np.zeros((2, 2, 2))), ValueError, r"\(N, d\) or \(N,\)"),
        (lambda: StandardScaler().fit(np.zeros((5, 0))), ValueError, r"d ≥ 1 .*got \(5, 0\)"),
        (
            lambda: StandardScaler.from_state({"mean": np.zeros(0), "scale": np.ones(0)}),
            ValueError,
            r"\(d,\) with d ≥ 1, got \(0,\) and \(0,\)",
        ),
        (
            lambda: StandardScaler().fit([[1.0, np.nan]]),
            ValueError,
            r"X must be finite, got nan at index \(0, 1\)",
        ),
        (lambda: StandardScaler().fit(["a"]), TypeError, r"X must be an array of numbers"),
        (lambda: StandardScaler().transform(np.zeros((2, 2))), ValueError, r"transform called before fit"),
        (
            lambda: StandardScaler().fit(np.ones((3, 2))).transform(np.ones((3, 3))),
            ValueError,
            r"\(N, 2\), got \(3, 3\)",
        ),
        (
            lambda: StandardScaler().fit(np.ones(3)).transform(np.ones((3, 1))),
            ValueError,
            r"\(N,\), got \(3, 1\)",
        ),
        (lambda: StandardScaler().to_state(), ValueError, r"to_state called before fit"),
        (lambda: StandardScaler.from_state({"mean": np.zeros(2)}), ValueError, r"needs the key 'scale'"),
        (
            lambda: StandardScaler.from_state({"mean": np.zeros(2), "scale": np.ones(3)}),
            ValueError,
            r"one shape",
        ),
        (
            lambda: StandardScaler.from_state({"mean": np.zeros(2), "scale": np.zeros(2)}),
            ValueError,
            r"scale must be > 0",
        ),
        (
            lambda: StandardScaler.from_state({"mean": np.array(["a"]), "scale": np.ones(1)}),
            TypeError,
            r"hold numbers",
        ),
        (
            lambda: StandardScaler.from_state({"mean": np.array([np.inf]), "scale": np.ones(1)}),
            ValueError,
            r"finite",
        ),
    ],
)
def test_scaler_bad_input(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


# --- Preprocessor: log transform, standardisation, no leakage ------------------------------------------


def _airfoil_like(rng: np.random.Generator, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Rows shaped like airfoil's (positive frequency and thickness), with a target in dB."""
    X = np.column_stack(
        [
            rng.choice([200.0, 800.0, 3150.0, 10000.0], n),
            rng.uniform(0, 22, n),
            rng.choice([0.0254, 0.1016, 0.3048], n),
            rng.choice([31.7, 39.6, 55.5, 71.3], n),
            rng.uniform(4e-4, 0.058, n),
        ]
    )  # (n, 5)
    y = 125.0 + rng.normal(0, 6, n)  # (n,)
    return X, y


def test_preprocessor_is_fitted_on_training_rows_only() -> None:
    X, y = _airfoil_like(np.random.default_rng(0))
    split = train_val_test_split(len(y), rng=np.random.default_rng(1))
    pre = Preprocessor(AIRFOIL_LOG_COLUMNS).fit(X[split.train], y[split.train])
    assert pre.log_columns == AIRFOIL_LOG_COLUMNS == (0, 4)
    logged_train = X[split.train].copy()
    logged_train[:, [0, 4]] = np.log(logged_train[:, [0, 4]])
    logged_all = X.copy()
    logged_all[:, [0, 4]] = np.log(logged_all[:, [0, 4]])
    state = pre.to_state()
    np.testing.assert_allclose(state["x_mean"], logged_train.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(state["x_scale"], logged_train.std(axis=0), rtol=1e-14)
    np.testing.assert_allclose(state["y_mean"], y[split.train].mean(), rtol=1e-14)
    assert np.all(
        np.abs(state["x_mean"] - logged_all.mean(axis=0)) > 1e-6
    )  # all rows would give other values
    assert abs(state["y_mean"] - y.mean()) > 1e-6
    z = pre.transform_x(X[split.train])
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-12)
    pre.transform_x(X[split.test])  # transforming other rows leaves the fitted state alone
    for key, value in pre.to_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_preprocessor_round_trips_and_undoes_the_target_scaling(tmp_path: Path) -> None:
    X, y = _airfoil_like(np.random.default_rng(2))
    pre = Preprocessor(AIRFOIL_LOG_COLUMNS).fit(X, y)
    np.testing.assert_allclose(pre.inverse_transform_y(pre.transform_y(y)), y, rtol=1e-14)
    np.testing.assert_allclose(pre.inverse_transform_x(pre.transform_x(X)), X, rtol=1e-12)
    column = pre.transform_y(y)[:, None]  # (N, 1) model outputs are accepted too
    np.testing.assert_allclose(pre.inverse_transform_y(column)[:, 0], y, rtol=1e-14)
    path = tmp_path / "pre.npz"
    np.savez(path, **pre.to_state())
    with np.load(path, allow_pickle=False) as stored:
        again = Preprocessor.from_state(dict(stored))
    assert again.log_columns == (0, 4) and again.scale_y is True and again.n_features == 5
    np.testing.assert_array_equal(again.transform_x(X), pre.transform_x(X))
    np.testing.assert_array_equal(again.transform_y(y), pre.transform_y(y))


def test_preprocessor_keeps_the_training_range_to_flag_extrapolation() -> None:
    """x_min_ and x_max_ are the raw (not logged) ranges of the rows fit saw; values outside
    them are flagged; a state saved before the range was kept loads without one."""
    X, y = _airfoil_like(np.random.default_rng(5), n=30)
    pre = Preprocessor(AIRFOIL_LOG_COLUMNS).fit(X[:20], y[:20])
    bounds = pre.training_range
    assert bounds is not None
    np.testing.assert_array_equal(bounds[0], X[:20].min(axis=0))
    np.testing.assert_array_equal(bounds[1], X[:20].max(axis=0))
    assert not pre.outside_training_range(X[:20]).any()  # type: ignore[union-attr]
    probe = np.vstack([bounds[0], bounds[1], bounds[0] * 0.5, bounds[1] * 2.0])
    np.testing.assert_array_equal(
        pre.outside_training_range(probe), [[False] * 5, [False] * 5, [True] * 5, [True] * 5]
    )
    again = Preprocessor.from_state(pre.to_state())
    np.testing.assert_array_equal(again.outside_training_range(probe), pre.outside_training_range(probe))
    old = changed(pre.to_state(), {"x_min": None, "x_max": None})
    assert Preprocessor.from_state(old).training_range is None
    assert Preprocessor.from_state(old).outside_training_range(probe) is None
    assert Preprocessor().training_range is None


def test_preprocessor_hand_worked_and_without_target_scaling() -> None:
    X = np.array([[1.0, 2.0], [np.e**2, 4.0]])
    pre = Preprocessor(log_columns=(0,), scale_y=False).fit(X, np.array([0.0, 1.0]))
    np.testing.assert_allclose(pre.transform_x(X), [[-1.0, -1.0], [1.0, 1.0]], rtol=1e-15)  # ln: 0, 2 -> ∓1
    np.testing.assert_array_equal(pre.transform_y(np.array([0.0, 1.0])), [0.0, 1.0])
    state = pre.to_state()
    assert state["scale_y"].dtype == np.bool_ and not state["scale_y"]
    assert not Preprocessor.from_state(state).scale_y
    plain = Preprocessor(log_columns=()).fit(X, np.array([1.0, 3.0]))
    np.testing.assert_array_equal(plain.transform_y(np.array([1.0, 3.0])), [-1.0, 1.0])


def test_preprocessor_outside_domain_marks_what_transform_refuses() -> None:
    """The (N, d) mask of values ≤ 0 in a log column, before and after fit; transform_x refuses
    exactly the rows it marks, naming the first."""
    pre = Preprocessor(log_columns=(0, 2))
    X = np.array([[1.0, -1.0, 2.0], [0.0, 1.0, 1.0], [2.0, 1.0, -3.0], [-1.0, 0.0, 0.0]])
    expected = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(pre.outside_domain(X), expected)
    pre.fit(X[:1], np.ones(1))
    np.testing.assert_array_equal(pre.outside_domain(X), expected)
    pre.transform_x(X[:1])
    with pytest.raises(ValueError, match=r"column 0 is log-transformed and must be > 0, got 0.0 at row 1"):
        pre.transform_x(X)
    with pytest.raises(ValueError, match=r"X must have 3 feature columns"):
        pre.outside_domain(np.ones((1, 2)))


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (
            lambda p: p.fit(np.array([[0.0, 1, 1, 1, 1]]), np.ones(1)),
            ValueError,
            r"column 0 is log-transformed and must be > 0, got 0.0 at row 0",
        ),
        (
            lambda p: p.fit(np.ones((2, 3)), np.ones(2)),
            ValueError,
            r"log_columns \(0, 4\) do not exist in X of shape \(2, 3\)",
        ),
        (
            lambda p: p.fit(np.ones((2, 5)), np.ones(3)),
            ValueError,
            r"y must have shape \(2,\) or \(2, 1\) to match X \(one target column\), got \(3,\)",
        ),
        (
            lambda p: p.fit(np.ones((2, 5)), np.ones((2, 2))),
            ValueError,
            r"y must have shape \(2,\) or \(2, 1\) to match X \(one target column\), got \(2, 2\)",
        ),
        (
            lambda p: p.fit(np.ones(5), np.ones(1)),
            ValueError,
            r"X must be a 2-D array \(N, features\), got shape \(5,\)",
        ),
        (lambda p: p.fit(np.full((2, 5), np.inf), np.ones(2)), ValueError, r"X must be finite, got inf"),
        (
            lambda p: p.fit(np.ones((2, 5)), np.array([1.0, np.nan])),
            ValueError,
            r"y must be finite, got nan at index \(1,\)",
        ),
        (
            lambda p: p.fit(np.zeros((0, 5)), np.zeros(0)),
            ValueError,
            r"^Preprocessor.fit needs X with at least one row",
        ),
        (lambda p: p.transform_x(np.ones((2, 5))), ValueError, r"transform_x called before fit"),
        (lambda p: p.inverse_transform_y(np.ones(2)), ValueError, r"inverse_transform_y called before fit"),
        (
            lambda p: p.fit(np.ones((2, 5)), np.ones(2)).transform_x(np.ones((2, 6))),
            ValueError,
            r"X must have 5 feature columns, got shape \(2, 6\)",
        ),
        (
            lambda p: p.fit(np.ones((2, 5)), np.ones(2)).transform_x(-np.ones((1, 5))),
            ValueError,
            r"column 0 .* got -1.0 at row 0",
        ),
        (
            lambda p: p.fit(np.array([[1.0] * 5, [2.0] * 5]), np.ones(2)).transform_x(
                np.array([[1.0, 1e308, 1.0, 1.0, 1.0]])
            ),
            ValueError,
            r"X\[0, 1\] = 1e\+308 is too large: its standardised value or Fourier angles overflow float64",
        ),
    ],
)
def test_preprocessor_bad_input(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call(Preprocessor(AIRFOIL_LOG_COLUMNS))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "pattern"),
    [
        (((0, 0),), {}, ValueError, r"log_columns must not repeat a column, got \(0, 0\)"),
        (((-1,),), {}, TypeError, r"log_columns must be non-negative column indices"),
        ((("a",),), {}, TypeError, r"log_columns must be non-negative column indices"),
        ((0,), {}, TypeError, r"log_columns must be a sequence of column indices, got 0"),
        ((None,), {}, TypeError, r"log_columns must be a sequence of column indices, got None"),
        ((), {"scale_y": 1}, TypeError, r"scale_y must be a bool, got 1"),
        (
            (),
            {"seed": 2**63},
            ValueError,
            r"seed must be in \[0, 9223372036854775807\], got 9223372036854775808",
        ),
        (
            (),
            {"fourier_features": 0, "fourier_sigma": -1.0},
            ValueError,
            r"fourier_sigma must be > 0.0, got -1.0",
        ),
        ((), {"fourier_features": 0, "fourier_sigma": float("nan")}, ValueError, r"fourier_sigma must be"),
    ],
)
def test_preprocessor_bad_settings(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        Preprocessor(*args, **kwargs)


def _state() -> dict[str, np.ndarray]:
    X, y = _airfoil_like(np.random.default_rng(4), n=20)
    return Preprocessor(AIRFOIL_LOG_COLUMNS).fit(X, y).to_state()


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"x_mean": None}, ValueError, r"needs the key 'x_mean'"),
        ({"log_columns": None}, ValueError, r"needs the key 'log_columns'"),
        ({"log_columns": np.array([0.5])}, TypeError, r"'log_columns' must be a 1-D integer array"),
        ({"log_columns": np.array([0, 9])}, ValueError, r"log_columns \(0, 9\) exceed its 5 features"),
        ({"scale_y": np.array([True, False])}, TypeError, r"'scale_y' must be a boolean scalar"),
        ({"x_scale": np.ones(4)}, ValueError, r"one shape"),
        (
            {"y_mean": np.zeros(1)},
            ValueError,
            r"x_mean of shape \(d,\) and y_mean of shape \(\), got \(5,\) and \(1,\)",
        ),
        ({"y_scale": np.array(-1.0)}, ValueError, r"scale must be > 0"),
        ({"x_mean": np.full(5, np.nan)}, ValueError, r"'x_mean' must be finite"),
        ({"x_max": None}, ValueError, r"needs the key 'x_max'"),
        ({"x_min": np.zeros(4)}, ValueError, r"x_min and x_max of shape \(5,\), got \(4,\) and \(5,\)"),
        ({"x_min": np.full(5, 1e9)}, ValueError, r"x_min ≤ x_max, got 1e\+09 > .* in column 0"),
        (
            {"x_min": np.array([100.0, 0.0, 0.0254, 31.7, -1e-3])},
            ValueError,
            r"x_min > 0 in its log columns \(0, 4\), got -0\.001 in column 4",
        ),
        ({"x_max": np.full(5, np.inf)}, ValueError, r"'x_max' must be finite"),
        (
            {"scale_y": np.array(False)},
            ValueError,
            r"scale_y False .* y_mean 0 and y_scale 1, got y_mean=.* and y_scale=",
        ),
    ],
)
def test_preprocessor_rejects_bad_states(
    change: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        Preprocessor.from_state(changed(_state(), change))


# --- generated 2-D sets ---------------------------------------------------------------------------------

MAKERS = {"moons": make_moons, "xor": make_xor, "circles": make_circles}


@pytest.mark.parametrize("name", MAKERS)
def test_generated_sets_shape_labels_and_seed(name: str) -> None:
    make = MAKERS[name]
    X, y = make(101, rng=np.random.default_rng(5))
    assert X.shape == (101, 2) and y.shape == (101,) and X.dtype == y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    X2, y2 = make(101, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(101, rng=np.random.default_rng(6))
    assert not np.array_equal(X, X3)


def test_moons_and_circles_without_noise_lie_on_their_curves() -> None:
    X, y = make_moons(50, noise=0.0, rng=np.random.default_rng(0))
    assert int(y.sum()) == 25
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-14)
    X, y = make_circles(40, noise=0.0, factor=0.3, rng=np.random.default_rng(0))
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3, rtol=1e-14)


def test_xor_labels_follow_the_quadrants() -> None:
    X, y = make_xor(400, noise=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(float))
    assert y.sum() == 200
    assert all(
        np.count_nonzero((np.sign(X[:, 0]) == a) & (np.sign(X[:, 1]) == b)) > 70
        for a in (-1, 1)
        for b in (-1, 1)
    )


@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("n", [2, 3, 7])
def test_every_set_has_half_its_points_in_each_class(name: str, n: int) -> None:
    """make_xor labelled uniform points by their quadrant: 467 of the first 1000 seeds gave a set
    of 2 points a single class, which the check of n_samples ("one point per class") promised not."""
    for seed in range(200):
        _, y = MAKERS[name](n, rng=np.random.default_rng(seed))
        assert y.sum() == n // 2, (name, n, seed)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: make_moons(1, rng=np.random.default_rng(0)), ValueError, r"n_samples must be at least 2"),
        (
            lambda: make_xor(0, rng=np.random.default_rng(0)),
            ValueError,
            r"n_samples must be a positive integer, got 0",
        ),
        (
            lambda: make_moons(10, noise=-1.0, rng=np.random.default_rng(0)),
            ValueError,
            r"noise must be >= 0.0",
        ),
        (
            lambda: make_circles(10, factor=1.0, rng=np.random.default_rng(0)),
            ValueError,
            r"factor must be < 1",
        ),
        (lambda: make_moons(10, rng=42), TypeError, r"rng must be a numpy.random.Generator, got int"),
    ],
)
def test_generated_sets_bad_arguments(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (None, TypeError, r"SplitSettings seed must be an integer, got None"),
        (True, TypeError, r"SplitSettings seed must be an integer, got True"),
        (1.5, TypeError, r"SplitSettings seed must be an integer, got 1\.5"),
        (-1, ValueError, r"SplitSettings seed must be in \[0, 9223372036854775807\], got -1"),
    ],
)
def test_split_settings_refuse_a_seed_that_is_not_one(seed: Any, error: type, match: str) -> None:
    """None drew another split at every run, True acted as 1, -1 failed in numpy's words."""
    with pytest.raises(error, match=match):
        SplitSettings(seed=seed)
    assert (
        SplitSettings(seed=np.int64(3)).split(10).test.tolist()
        == SplitSettings(seed=3).split(10).test.tolist()
    )


def test_target_scale_keeps_its_digits_when_the_mean_dwarfs_it() -> None:
    """inverse(1) − inverse(0) at μ_y = 1e17 kept σ_y to the nearest 16 (the spacing of floats there)."""
    y = 1e17 + 16.0 * np.arange(20.0) + np.linspace(0.0, 5.0, 20)
    preprocessor = Preprocessor(log_columns=()).fit(np.arange(20.0).reshape(-1, 1), y)
    assert target_scale(preprocessor) == float(preprocessor.y_scaler.scale_) != 0.0


def test_split_to_state_gives_copies() -> None:
    """to_state() shared the Split's own index arrays: writing to the state changed the split."""
    from glassnet.data import train_val_test_split as split_rows

    split = split_rows(20, rng=np.random.default_rng(0))
    kept = {name: getattr(split, name).copy() for name in ("train", "val", "test")}
    state = split.to_state()
    for name, rows in state.items():
        assert rows is not getattr(split, name)
        rows[...] = -1
    for name, rows in kept.items():
        np.testing.assert_array_equal(getattr(split, name), rows)


@pytest.mark.parametrize("name", MAKERS)
def test_generated_sets_refuse_a_noise_whose_coordinates_overflow(name: str) -> None:
    """noise = 1e308 gave ±inf coordinates (and NumPy's overflow warning); the refusal leaves the
    generator as it was, so a retry draws the set a fresh generator gives."""
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"^noise = 1e\+308 is too large: the coordinates drawn with it overflow float64$"
    ):
        MAKERS[name](100, noise=1e308, rng=rng)
    again, _ = MAKERS[name](10, rng=rng)
    fresh, _ = MAKERS[name](10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again, fresh)
    large, _ = MAKERS[name](100, noise=1e307, rng=rng)  # large, but every coordinate finite: taken
    assert np.isfinite(large).all()


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda p: p.transform_x(np.ones((2, 5)), "int32"), r"^dtype must be float32 or float64, got int32$"),
        (lambda p: p.transform_x(np.ones((2, 5)), None), r"^dtype must be float32 or float64, got None$"),
        (
            lambda p: p.outside_domain(np.ones((2, 5)), "banana"),
            r"^dtype must be float32 or float64, got 'banana'$",
        ),
        (lambda p: p.outside_domain(np.ones((2, 5)), np.float16), r"^dtype must be float32 or float64"),
    ],
)
def test_preprocessor_names_a_dtype_that_is_not_a_float(call: Any, pattern: str) -> None:
    """NumPy's "data type <class 'numpy.int32'> not inexact" and "data type 'banana' not
    understood" named no argument."""
    preprocessor = Preprocessor().fit(np.arange(10.0).reshape(2, 5), np.ones(2))
    with pytest.raises(TypeError, match=pattern):
        call(preprocessor)


@pytest.mark.parametrize("shape", [(3, 0), (0, 3)])
def test_preprocessor_fit_refuses_no_columns_or_no_rows_in_its_own_name(shape: tuple[int, int]) -> None:
    """It said "StandardScaler.fit needs X of shape (N, d) or (N,) with d ≥ 1 ...", a class the
    caller did not call."""
    with pytest.raises(
        ValueError,
        match=rf"^Preprocessor.fit needs X with at least one row and one feature column, got shape "
        rf"\({shape[0]}, {shape[1]}\)$",
    ):
        Preprocessor().fit(np.zeros(shape), np.ones(shape[0]))


def test_train_dataset_refuses_no_feature_columns_naming_x() -> None:
    """The scaler refused the training rows, "... got (7, 0)", a shape the caller never gave."""
    from glassnet.train import TrainConfig, train_dataset

    with pytest.raises(
        ValueError,
        match=r"^X has no feature columns \(shape \(10, 0\)\); expected at least one column to train on$",
    ):
        train_dataset(
            "mine",
            np.zeros((10, 0)),
            np.arange(10.0),
            TrainConfig(hidden=(3,), epochs=1),
            split=SplitSettings(),
        )
