"""Fourier features: the formula by hand, seeding, the Preprocessor around them, saved states, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import changed, reseal, rewrite_checkpoint
from glassnet.checkpoint import load_checkpoint
from glassnet.data import FourierFeatures, Preprocessor


def test_fourier_features_by_hand() -> None:
    features = FourierFeatures(2, sigma=0.5)
    features.frequencies_ = np.array([[0.25, 1.0], [0.5, -0.125]])  # (d = 2, K = 2)
    z = np.array([[1.0, 2.0], [-0.5, 0.0]])
    out = features.transform(z)
    assert out.shape == (2, 2 * (1 + 2 * 2)) == (2, features.n_outputs(2))
    tau = 2.0 * np.pi
    expected_first_row = [
        1.0,
        2.0,
        np.sin(tau * 0.25),  # column 0, frequency 0.25
        np.sin(tau * 1.0),
        np.sin(tau * 2.0 * 0.5),  # column 1
        np.sin(tau * 2.0 * -0.125),
        np.cos(tau * 0.25),
        np.cos(tau * 1.0),
        np.cos(tau * 2.0 * 0.5),
        np.cos(tau * 2.0 * -0.125),
    ]
    np.testing.assert_allclose(out[0], expected_first_row, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out[1, 6:], [np.cos(tau * -0.125), np.cos(tau * -0.5), 1.0, 1.0], atol=1e-15)


def test_the_features_written_in_place_are_those_computed_on_their_own() -> None:
    """transform writes sin and cos into their columns of the result (strided views); the
    numbers are those of np.sin and np.cos of the (N, d, K) angles as contiguous arrays, the
    form it took before, to the bit: the airfoil figures depend on them."""
    rng = np.random.default_rng(7)
    features = FourierFeatures(8, sigma=(0.2, 0.2, 0.3, 0.1, 0.2)).fit(5, rng)
    z = rng.normal(size=(1000, 5)) * 3.0
    angles = (2.0 * np.pi) * z[:, :, None] * features.frequencies_  # (N, d, K)
    expected = np.concatenate([z, np.sin(angles).reshape(1000, -1), np.cos(angles).reshape(1000, -1)], axis=1)
    out = features.transform(z)
    np.testing.assert_array_equal(out, expected)
    assert out.flags.c_contiguous


def test_angles_that_overflow_are_refused_not_turned_into_nan() -> None:
    """sin and cos of an overflowing angle 2π z c would be NaN: transform refuses the value,
    overflows() marks it (by input column, the largest |c| of the column deciding)."""
    features = FourierFeatures(2, sigma=0.5)
    features.frequencies_ = np.array([[0.25, 4.0], [0.5, -0.125]])
    big = np.finfo(np.float64).max / 8  # 2π z is finite; times 4 it overflows, times 0.5 it does not
    z = np.array([[1.0, big], [big, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(features.overflows(z), [[False, False], [True, False], [False, False]])
    with pytest.raises(ValueError, match=r"Z\[1, 0\] = .* is too large: its angles 2π z c overflow float64"):
        features.transform(z)
    assert np.isfinite(features.transform(z[[0, 2]])).all()


def test_no_rows_give_no_rows() -> None:
    """An empty batch (a validation part of 0 rows, say) maps to (0, n_outputs), as without
    Fourier features, not to a reshape error."""
    features = FourierFeatures(3, 0.5).fit(2, np.random.default_rng(0))
    assert features.transform(np.zeros((0, 2))).shape == (0, features.n_outputs(2)) == (0, 14)
    X, y = _data()
    preprocessor = Preprocessor(fourier_features=3).fit(X, y)
    assert preprocessor.transform_x(X[:0]).shape == (0, 5 * 7)


def test_frequencies_come_from_the_generator() -> None:
    a = FourierFeatures(8, 0.2).fit(5, np.random.default_rng(3)).frequencies_
    b = FourierFeatures(8, 0.2).fit(5, np.random.default_rng(3)).frequencies_
    c = FourierFeatures(8, 0.2).fit(5, np.random.default_rng(4)).frequencies_
    assert a is not None and b is not None and c is not None
    assert a.shape == (5, 8) and np.array_equal(a, b) and not np.array_equal(a, c)
    large = FourierFeatures(1000, 0.2).fit(20, np.random.default_rng(0)).frequencies_
    assert large is not None and abs(large.std() - 0.2) < 0.005  # N(0, σ²)


def _data(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    return rng.uniform(1.0, 2.0, size=(n, 5)), rng.normal(size=n)


def test_preprocessor_appends_the_features_of_the_standardised_columns(tmp_path: Path) -> None:
    X, y = _data()
    plain = Preprocessor().fit(X, y)
    fourier = Preprocessor(fourier_features=3, fourier_sigma=0.3, seed=7).fit(X, y)
    assert fourier.n_features == 5 and fourier.n_outputs == 5 * 7 and plain.n_outputs == 5
    z = plain.transform_x(X)
    out = fourier.transform_x(X)
    assert fourier.fourier is not None
    np.testing.assert_array_equal(out, fourier.fourier.transform(z))
    np.testing.assert_allclose(fourier.inverse_transform_x(out), X, rtol=1e-12)
    again = Preprocessor(fourier_features=3, fourier_sigma=0.3, seed=7).fit(X, y)
    np.testing.assert_array_equal(again.transform_x(X), out)  # the seed fixes the frequencies
    other = Preprocessor(fourier_features=3, fourier_sigma=0.3, seed=8).fit(X, y)
    assert not np.array_equal(other.transform_x(X), out)
    path = tmp_path / "pre.npz"
    np.savez(path, **fourier.to_state())
    with np.load(path, allow_pickle=False) as stored:
        loaded = Preprocessor.from_state(dict(stored))
    assert loaded.seed == 7 and loaded.n_outputs == 35
    np.testing.assert_array_equal(loaded.transform_x(X), out)


def test_a_state_from_before_fourier_features_loads_without_them() -> None:
    X, y = _data()
    state = Preprocessor().fit(X, y).to_state()
    del state["seed"]
    loaded = Preprocessor.from_state(state)
    assert loaded.fourier is None and loaded.n_outputs == 5


def _fourier_state() -> dict[str, Any]:
    X, y = _data()
    return Preprocessor(fourier_features=2).fit(X, y).to_state()


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"fourier_sigma": None}, ValueError, r"Preprocessor state needs the key 'fourier_sigma'"),
        (
            {"fourier_frequencies": None},
            ValueError,
            r"Preprocessor state needs the key 'fourier_frequencies'",
        ),
        (
            {"fourier_frequencies": np.ones((5, 0))},
            ValueError,
            r"shape \(d, K\), K ≥ 1, got dtype float64 and shape \(5, 0\)",
        ),
        ({"fourier_frequencies": np.ones((5, 2), dtype=np.int64)}, ValueError, r"must be a float array"),
        (
            {"fourier_frequencies": np.full((5, 2), np.nan)},
            ValueError,
            r"'frequencies' must be finite, got nan",
        ),
        (
            {"fourier_frequencies": np.ones((4, 2))},
            ValueError,
            r"Fourier frequencies for 4 columns but 5 features",
        ),
        (
            {"fourier_sigma": np.array([0.2, 0.3])},
            ValueError,
            r"'sigma' must be a float scalar or one float per column \(shape \(5,\)\)",
        ),
        (
            {"fourier_sigma": np.array([0.2, 0.3, -1.0, 0.2, 0.2])},
            ValueError,
            r"sigma\[2\] must be > 0.0, got -1.0",
        ),
        ({"fourier_sigma": np.array(-1.0)}, ValueError, r"sigma must be > 0.0, got -1.0"),
        ({"seed": np.array(-2)}, TypeError, r"'seed' must be a non-negative integer scalar"),
        ({"seed": np.array(1.5)}, TypeError, r"'seed' must be a non-negative integer scalar"),
    ],
)
def test_damaged_fourier_states_are_refused(
    change: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        Preprocessor.from_state(changed(_fourier_state(), change))


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: FourierFeatures(0, 0.2), ValueError, r"n_frequencies must be in \[1, 1024\], got 0"),
        (lambda: FourierFeatures(2000, 0.2), ValueError, r"n_frequencies must be in \[1, 1024\], got 2000"),
        (lambda: FourierFeatures(2.5, 0.2), TypeError, r"n_frequencies must be an integer, got 2.5"),  # type: ignore[arg-type]
        (lambda: FourierFeatures(True, 0.2), TypeError, r"n_frequencies must be an integer, got True"),
        (lambda: FourierFeatures(4, 0.0), ValueError, r"sigma must be > 0.0, got 0.0"),
        (lambda: FourierFeatures(4, float("nan")), ValueError, r"sigma must be finite, got nan"),
        (
            lambda: FourierFeatures(4, ()),
            ValueError,
            r"sigma must be a number or one number per column, got an empty",
        ),
        (lambda: FourierFeatures(4, [0.2, 0.0]), ValueError, r"sigma\[1\] must be > 0.0, got 0.0"),
        (lambda: FourierFeatures(4, [0.2, "0.3"]), TypeError, r"sigma\[1\] must be a number, got '0.3'"),
        (lambda: FourierFeatures(4, "0.2"), TypeError, r"sigma must be a number, got '0.2'"),  # type: ignore[arg-type]
        (
            lambda: FourierFeatures(4, np.ones((2, 2))),
            ValueError,
            r"a 1-D sequence of them, got shape \(2, 2\)",
        ),
        (
            lambda: FourierFeatures(4, (0.2, 0.3)).fit(3, np.random.default_rng(0)),
            ValueError,
            r"sigma has 2 values, one per column, but the inputs have 3 columns",
        ),
        (
            lambda: FourierFeatures(4, 0.2).fit(3, 7),
            TypeError,
            r"rng must be a numpy.random.Generator, got int",
        ),  # type: ignore[arg-type]
        (
            lambda: FourierFeatures(4, 0.2).transform(np.ones((2, 3))),
            ValueError,
            r"transform called before fit",
        ),
        (
            lambda: FourierFeatures(4, 0.2).fit(3, np.random.default_rng(0)).transform(np.ones((2, 4))),
            ValueError,
            r"expects 3 columns, got shape \(2, 4\)",
        ),
        (
            lambda: (
                FourierFeatures(4, 0.2).fit(3, np.random.default_rng(0)).transform(np.full((1, 3), np.inf))
            ),
            ValueError,
            r"Z must be finite, got inf",
        ),
        (
            lambda: Preprocessor(fourier_features=-1),
            ValueError,
            r"fourier_features must be in \[0, 1024\], got -1",
        ),
        (
            lambda: Preprocessor(fourier_features=1.5),  # type: ignore[arg-type]
            TypeError,
            r"fourier_features must be an integer, got 1.5",
        ),
        (
            lambda: Preprocessor(fourier_features=3, fourier_sigma=-1.0),
            ValueError,
            r"sigma must be > 0.0, got -1.0",
        ),
        (
            lambda: Preprocessor(fourier_features=3, fourier_sigma=(0.2, float("inf"))),
            ValueError,
            r"fourier_sigma\[1\] must be finite, got inf",
        ),
        (lambda: Preprocessor(seed=-1), ValueError, r"seed must be in \[0, 9223372036854775807\], got -1"),
    ],
)
def test_bad_fourier_settings(make: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()


def test_a_checkpoint_whose_preprocessing_does_not_fit_its_model_is_refused(tmp_path: Path) -> None:
    from glassnet.checkpoint import Checkpoint, save_checkpoint
    from glassnet.spec import MLPSpec, build_mlp

    X, y = _data()
    spec = MLPSpec(sizes=(5, 4, 1))  # 5 inputs, but the preprocessing gives 5 · (1 + 2·2) = 25
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    state = Preprocessor(fourier_features=2).fit(X, y).to_state()
    damaged = r"damaged preprocessing: it gives 25 columns, the model takes 5"
    with pytest.raises(ValueError, match=damaged):  # never written
        save_checkpoint(tmp_path / "m.npz", Checkpoint(spec=spec, members=[weights], preprocessor=state))
    path = save_checkpoint(tmp_path / "m.npz", Checkpoint(spec=spec, members=[weights]))

    def add_the_preprocessing(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        arrays.update({f"preprocessor/{key}": np.asarray(value) for key, value in state.items()})
        reseal(arrays, meta)

    rewrite_checkpoint(path, add_the_preprocessing)  # as a forger would
    with pytest.raises(ValueError, match=damaged):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "n_columns", [0, -1, 2.7, "3", True, np.ones(3)], ids=["0", "-1", "2.7", "'3'", "True", "array"]
)
def test_fit_takes_a_column_count(n_columns: object) -> None:
    """A count, not X as scikit-learn's RBFSampler.fit takes: anything else is refused, not cast."""
    with pytest.raises(TypeError, match=r"n_columns must be a positive integer \(the inputs' column count\)"):
        FourierFeatures(2, 0.5).fit(n_columns, np.random.default_rng(0))  # type: ignore[arg-type]


def test_one_sigma_per_column_scales_each_columns_draw() -> None:
    """σ = (σ₁, …, σ_d): column j's frequencies are σⱼ times the standard normals that σ = 1 draws
    from the same generator, to the bit; one σ draws as it always did, σ · N(0, 1)."""
    sigmas = (0.2, 0.2, 0.3, 0.1, 0.2)
    per_column = FourierFeatures(8, sigmas).fit(5, np.random.default_rng(3)).frequencies_
    unit = FourierFeatures(8, 1.0).fit(5, np.random.default_rng(3)).frequencies_
    assert per_column is not None and unit is not None
    np.testing.assert_array_equal(per_column, np.array(sigmas)[:, None] * unit)
    one = FourierFeatures(8, 0.2).fit(5, np.random.default_rng(3)).frequencies_
    np.testing.assert_array_equal(one, np.random.default_rng(3).normal(0.0, 0.2, size=(5, 8)))
    assert FourierFeatures(8, np.array(sigmas)).sigma == sigmas  # a 1-D array: kept as a tuple
    assert FourierFeatures(8, np.array(0.5)).sigma == 0.5  # a 0-d array: one σ


def test_a_preprocessor_with_one_sigma_per_column_saves_and_loads_them() -> None:
    X, y = _data()
    sigmas = (0.2, 0.2, 0.3, 0.1, 0.2)
    fitted = Preprocessor(fourier_features=3, fourier_sigma=sigmas, seed=4).fit(X, y)
    state = fitted.to_state()
    np.testing.assert_array_equal(state["fourier_sigma"], sigmas)
    loaded = Preprocessor.from_state(state)
    assert loaded.fourier is not None and loaded.fourier.sigma == sigmas
    np.testing.assert_array_equal(loaded.transform_x(X), fitted.transform_x(X))
    with pytest.raises(
        ValueError, match=r"sigma has 2 values, one per column, but the inputs have 5 columns"
    ):
        Preprocessor(fourier_features=3, fourier_sigma=[0.2, 0.3]).fit(X, y)


@pytest.mark.parametrize(
    ("Z", "pattern"),
    [
        (np.ones((2, 1)), r"^FourierFeatures expects 3 columns, got shape \(2, 1\)$"),
        (np.ones(3), r"^Z must be a 2-D array \(N, features\), got shape \(3,\)$"),
    ],
)
def test_overflows_checks_z_as_transform_does(Z: np.ndarray, pattern: str) -> None:
    """overflows broadcast a Z of another width: (2, 1) gave a (2, 3) mask for 3 fitted columns,
    (3,) a (3,) one."""
    features = FourierFeatures(2, 0.5).fit(3, np.random.default_rng(0))
    for method in (features.overflows, features.transform):
        with pytest.raises(ValueError, match=pattern):
            method(Z)
    # ±inf is no overflow of the angles (transform refuses it as not finite): left out of the mask
    np.testing.assert_array_equal(features.overflows([[np.inf, 0.0, 1.0]]), [[False, False, False]])
