"""Preprocessing at its edges: overflow at the float64 limit in the scaler and the target's
transform, Fourier frequencies drawn beyond float64, messages that name the argument at fault."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from glassnet.data import FourierFeatures, Preprocessor, StandardScaler, train_val_test_split


def test_scaler_fit_of_a_column_spanning_the_float64_range_does_not_overflow() -> None:
    """max − min of (−1.7e308, 1.7e308) overflows: the constant-column test compared it with 0
    (np.ptp), which raised FloatingPointError under np.errstate(over="raise") and warned outside it."""
    X = np.array([[-1.7e308, 1.0], [1.7e308, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler = StandardScaler().fit(X)
    np.testing.assert_array_equal(scaler.mean_, [0.0, 1.0])  # type: ignore[arg-type]
    np.testing.assert_array_equal(scaler.scale_, [1.7e308, 1.0])  # type: ignore[arg-type]
    np.testing.assert_array_equal(scaler.transform(X), [[-1.0, 0.0], [1.0, 0.0]])


def test_every_row_a_scaler_was_fitted_on_transforms_near_the_float64_limit() -> None:
    """x − μ overflowed for values of both signs near 1.7e308, whose z is finite (about ±1.4):
    fit succeeded on rows that transform then refused."""
    X = np.array([[-1.7e308], [1.7e308], [1.7e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler = StandardScaler().fit(X)
        z = scaler.transform(X)
        Preprocessor().fit(X, [0.0, 1.0, 2.0]).transform_x(X)
    np.testing.assert_allclose(z.ravel(), [-np.sqrt(2.0), np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-15)


def test_an_inverse_transform_beyond_float64_is_inf_without_a_warning() -> None:
    """A prediction beyond float64 in the target's units: inf, as the metrics report it, and no
    NumPy RuntimeWarning beside it."""
    preprocessor = Preprocessor(log_columns=(0,)).fit(np.array([[1.0], [2.0]]), np.array([0.0, 1e5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isposinf(preprocessor.inverse_transform_y(np.array([1e306]))).all()
        assert np.isposinf(preprocessor.inverse_transform_x(np.array([[1e300]]))).all()


def test_a_refused_split_leaves_the_generator_as_it_was() -> None:
    """The permutation was drawn before the refusal: a caller retrying with other fractions got
    another split than a fresh generator gives."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="no training rows left"):
        train_val_test_split(100, test_fraction=0.5, val_fraction=0.99, rng=rng)
    again = train_val_test_split(10, rng=rng)
    fresh = train_val_test_split(10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again.test, fresh.test)


def test_a_column_constant_up_to_rounding_is_scaled_as_constant_as_sklearn_does() -> None:
    # 0.1 · 3 beside 0.3 gave a scale of 4.8e-17, and a later 0.31 was standardised to 2e14
    X = np.array([[0.1 * 3, 1.0], [0.3, 2.0], [0.3, 3.0], [0.3, 4.0]])
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.scale_, [1.0, np.sqrt(1.25)], rtol=1e-15)  # type: ignore[arg-type]
    np.testing.assert_allclose(scaler.transform([[0.31, 1.0]]), [[0.01, -1.5 / np.sqrt(1.25)]], rtol=1e-12)
    # a spread of a few units far from 0 is no rounding: 1e15 + (3, 4, 5)
    far = StandardScaler().fit(np.array([[1e15 + 3], [1e15 + 4], [1e15 + 5]]))
    np.testing.assert_allclose(far.scale_, [np.sqrt(2 / 3)], rtol=1e-12)  # type: ignore[arg-type]


def _tiny_target() -> Preprocessor:
    """σ_y = 5e-301: a target of 1e10 is 2e310 standard deviations away."""
    return Preprocessor(()).fit(np.array([[0.0], [1.0]]), np.array([0.0, 1e-300]))


def test_transform_y_refuses_a_target_whose_standardised_value_overflows() -> None:
    """transform_x refuses such values by name; transform_y returned inf (the training then
    turned every weight into NaN) or raised FloatingPointError under np.errstate."""
    preprocessor = _tiny_target()
    with pytest.raises(
        ValueError,
        match=r"^y\[1\] = 10000000000 is too large: its standardised value .* overflows float64$",
    ):
        preprocessor.transform_y(np.array([0.0, 1e10]))
    with pytest.raises(ValueError, match=r"^y = 10000000000 is too large"):
        preprocessor.transform_y(1e10)
    np.testing.assert_array_equal(preprocessor.transform_y([[0.0], [1e-300]]), [[-1.0], [1.0]])  # (N, 1)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda p: p.inverse_transform_y(np.array([0.0, np.nan])), r"y_scaled must be finite, got nan"),
        (
            lambda p: p.inverse_transform_x(np.zeros((2, 4))),
            r"Preprocessor.inverse_transform_x expects Z of shape \(N, 3\) or \(N, 15\) "
            r"\(with the Fourier features\), got \(2, 4\)",
        ),
    ],
)
def test_inverse_transforms_name_their_own_argument(call: Any, pattern: str) -> None:
    """They named "y" and "StandardScaler.inverse_transform ... X of shape (N, 3)", neither the
    argument given nor the Fourier width the method also takes."""
    X = np.array([[1.0, 2.0, 3.0], [2.0, 5.0, 3.0], [4.0, 1.0, 3.0]])
    preprocessor = Preprocessor((0,), fourier_features=2).fit(X, np.array([1.0, 2.0, 4.0]))
    with pytest.raises(ValueError, match=pattern):
        call(preprocessor)


def test_inverse_transform_x_without_fourier_features_names_one_width() -> None:
    preprocessor = Preprocessor(()).fit(np.eye(3), np.arange(3.0))
    with pytest.raises(
        ValueError, match=r"Preprocessor.inverse_transform_x expects Z of shape \(N, 3\), got \(2, 4\)$"
    ):
        preprocessor.inverse_transform_x(np.zeros((2, 4)))


def test_fourier_fit_refuses_a_sigma_whose_frequencies_overflow() -> None:
    """σ = 1e308 drew ±inf frequencies: the state could not be saved and read back, and
    transform refused z = 0 as 'too large' (0 · inf is NaN)."""
    features = FourierFeatures(1024, 1e308)
    with pytest.raises(
        ValueError,
        match=r"Fourier features sigma = 1e\+308 is too large: frequencies drawn with it overflow float64",
    ):
        features.fit(5, np.random.default_rng(0))
    assert features.frequencies_ is None  # nothing half fitted


def test_fourier_state_refuses_zero_columns() -> None:
    """fit refuses 0 columns; a (0, K) state was taken."""
    with pytest.raises(
        ValueError, match=r"of d ≥ 1 rows, shape \(d, K\), K ≥ 1, got dtype float64 and shape \(0, 2\)"
    ):
        FourierFeatures.from_state({"frequencies": np.ones((0, 2)), "sigma": np.array(1.0)})


def test_split_indices_are_pinned() -> None:
    """Not a fix: a guard that the split a seed gives does not change with the NumPy version
    (Generator.permutation's stream), which would silently change every published figure."""
    split = train_val_test_split(10, test_fraction=0.2, val_fraction=0.25, rng=np.random.default_rng(0))
    assert (split.train.tolist(), split.val.tolist(), split.test.tolist()) == PINNED_SPLIT


PINNED_SPLIT = ([0, 1, 3, 5, 8, 9], [2, 7], [4, 6])  # default_rng(0).permutation(10) = 4 6 | 2 7 | ...


def test_training_range_gives_copies() -> None:
    """training_range returned the Preprocessor's own arrays: writing to them moved the range
    that outside_training_range flags extrapolation by."""
    X = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    p = Preprocessor(log_columns=(), fourier_features=0).fit(X, np.array([1.0, 2.0, 3.0]))
    bounds = p.training_range
    assert bounds is not None
    low, high = bounds
    low[...] = -100.0
    high[...] = 100.0
    again = p.training_range
    assert again is not None
    np.testing.assert_array_equal(again[0], [1.0, 10.0])
    np.testing.assert_array_equal(again[1], [3.0, 30.0])
    assert p.outside_training_range(np.array([[0.0, 10.0]])).tolist() == [[True, False]]  # type: ignore[union-attr]


def test_preprocessing_objects_show_their_settings_as_scikit_learns_estimators_do() -> None:
    assert repr(Preprocessor()) == "Preprocessor(log_columns=(), scale_y=True, seed=0)"
    preprocessor = Preprocessor((0, 4), fourier_features=8)
    assert repr(preprocessor) == (
        "Preprocessor(log_columns=(0, 4), scale_y=True, fourier_features=8, fourier_sigma=0.2, seed=0)"
    )
    assert repr(StandardScaler()) == "StandardScaler()"
    rows = np.random.default_rng(0).uniform(1.0, 2.0, size=(20, 5))
    preprocessor.fit(rows, rows[:, 0])
    assert repr(preprocessor).endswith("seed=0; fitted on 5 features)")
    assert repr(preprocessor.x_scaler) == "StandardScaler(fitted on 5 columns)"
    assert repr(preprocessor.fourier) == "FourierFeatures(n_frequencies=8, sigma=0.2; fitted on 5 columns)"
    assert repr(FourierFeatures(2, (0.1, 0.3))) == "FourierFeatures(n_frequencies=2, sigma=(0.1, 0.3))"


def test_a_default_preprocessor_takes_no_logs_of_anyones_features() -> None:
    """Log columns are the caller's choice: the default standardises any number of columns as
    they are, where the airfoil's (0, 4) logged two columns of other data silently."""
    rows = np.random.default_rng(1).normal(size=(30, 3))  # negative values: no log would take them
    z = Preprocessor().fit(rows, rows[:, 0]).transform_x(rows)
    np.testing.assert_allclose(z, (rows - rows.mean(axis=0)) / rows.std(axis=0), rtol=1e-13)


def test_a_target_column_fits_as_the_same_target_as_a_vector() -> None:
    """y of shape (N, 1), as the Trainer and train_dataset take it, fits as y (N,) does."""
    rows = np.random.default_rng(2).uniform(1.0, 2.0, size=(12, 2))
    target = rows @ np.array([3.0, -1.0])
    column = Preprocessor().fit(rows, target[:, None])
    vector = Preprocessor().fit(rows, target)
    assert (column.y_scaler.mean_, column.y_scaler.scale_) == (vector.y_scaler.mean_, vector.y_scaler.scale_)


NEAR_LIMIT = np.array([-1.7e308, 1.7e308, 1.7e308])  # mean 5.7e307, scale 1.6e308; z = −√2, √½, √½


def test_transform_y_takes_the_targets_it_was_fitted_on_near_the_float64_limit() -> None:
    """y − μ_y overflowed for -1.7e308, whose t is −√2: transform_y refused the very targets fit
    had taken ("its standardised value ... overflows float64"), as StandardScaler.transform no longer did."""
    preprocessor = Preprocessor().fit(np.ones((3, 1)), NEAR_LIMIT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = preprocessor.transform_y(NEAR_LIMIT)
    np.testing.assert_allclose(t, [-np.sqrt(2.0), np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-15)
    np.testing.assert_allclose(preprocessor.transform_y(NEAR_LIMIT[:, None]), t[:, None], rtol=0)  # (N, 1)


def test_inverse_transforms_give_back_finite_values_near_the_float64_limit() -> None:
    """z · σ overflowed before μ was added: −1.7e308 came back as −inf, where the docstrings
    promise ±inf only beyond float64."""
    scaler = StandardScaler().fit(NEAR_LIMIT[:, None])
    preprocessor = Preprocessor().fit(NEAR_LIMIT[:, None], NEAR_LIMIT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = scaler.inverse_transform(scaler.transform(NEAR_LIMIT[:, None]))
        np.testing.assert_allclose(x.ravel(), NEAR_LIMIT, rtol=1e-15)
        y = preprocessor.inverse_transform_y([-1.4142135623730951])
        np.testing.assert_allclose(y, [-1.7e308], rtol=1e-15)
        x_back = preprocessor.inverse_transform_x(preprocessor.transform_x(NEAR_LIMIT[:, None]))
        np.testing.assert_allclose(x_back.ravel(), NEAR_LIMIT, rtol=1e-15)
        y_back = preprocessor.inverse_transform_y(preprocessor.transform_y(NEAR_LIMIT))
        np.testing.assert_allclose(y_back, NEAR_LIMIT, rtol=1e-15)
    # columns near the largest float of both signs come back finite; an x truly beyond float64
    # stays ±inf (a clip to the largest float once turned 2.25e308 into 1.8e308)
    edge = np.array([-1.79e308, -1.5e308, 1.2e308, 1.4e308, 1.5e308, 1.79e308])
    for values in (edge, -edge):
        edge_scaler = StandardScaler().fit(values[:, None])
        back = edge_scaler.inverse_transform(edge_scaler.transform(values[:, None])).ravel()
        assert np.isfinite(back).all(), back
        np.testing.assert_allclose(back, values, rtol=1e-15)
    small = StandardScaler().fit(np.array([[0.0], [3.0]]))  # mean 1.5, scale 1.5
    np.testing.assert_array_equal(
        small.inverse_transform(np.array([[1.5e308], [-1.5e308]])).ravel(), [np.inf, -np.inf]
    )
    # only what overflowed is taken again: ordinary values keep the plain formulas' bits
    rows = np.random.default_rng(3).normal(5.0, 2.0, size=(20, 1))
    ordinary = Preprocessor().fit(rows, rows[:, 0] * 7.0)
    mean, scale = ordinary.y_scaler.mean_, ordinary.y_scaler.scale_
    assert mean is not None and scale is not None
    z = np.array([-1.0, 0.25, 3.0])
    np.testing.assert_array_equal(ordinary.inverse_transform_y(z), z * scale + mean)
    np.testing.assert_array_equal(ordinary.transform_y(rows[:, 0]), (rows[:, 0] - mean) / scale)


def test_reprs_of_one_fitted_column_are_singular() -> None:
    """ "fitted on 1 features", "fitted on 1 columns"."""
    rows = np.array([[1.0], [2.0], [4.0]])
    preprocessor = Preprocessor(fourier_features=2).fit(rows, rows[:, 0])
    assert repr(preprocessor).endswith("seed=0; fitted on 1 feature)")
    assert repr(preprocessor.fourier) == "FourierFeatures(n_frequencies=2, sigma=0.2; fitted on 1 column)"
    assert repr(preprocessor.x_scaler) == "StandardScaler(fitted on 1 column)"
