"""The speed benchmark's hand-written floor computes what glassnet computes, so the comparison is fair."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import load_benchmark
from glassnet import losses, nn, optim


@pytest.fixture(scope="module")
def speed() -> ModuleType:
    return load_benchmark("speed")


@pytest.mark.parametrize(("dtype", "rtol", "atol"), [(np.float64, 1e-10, 1e-12), (np.float32, 2e-4, 2e-6)])
def test_floor_step_matches_glassnet_engine(speed: ModuleType, dtype: type, rtol: float, atol: float) -> None:
    sizes = (5, 16, 8, 1)
    rng = np.random.default_rng(7)
    x: np.ndarray = rng.normal(size=(71, 5)).astype(dtype)  # 71 rows: two batches of 32 and one of 7
    y: np.ndarray = rng.normal(size=(71, 1)).astype(dtype)
    weights = speed.initial_weights(sizes, dtype, seed=3)
    floor_step, floor_params = speed.make_floor_step(weights, lr=1e-2)

    model = nn.MLP(sizes, rng=np.random.default_rng(3), dtype=dtype)
    loss = losses.MSELoss()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    glassnet_step = speed.make_glassnet_step(model, loss, opt)

    for _ in range(3):  # nine steps, three batch sizes
        for start in range(0, len(x), 32):
            xb, yb = x[start : start + 32], y[start : start + 32]
            theirs = glassnet_step(xb, yb)
            ours = floor_step(xb, yb)
            assert ours == pytest.approx(theirs, rel=rtol, abs=atol)

    for (name, parameter), value in zip(model.named_parameters(), floor_params, strict=True):
        assert value.dtype == parameter.data.dtype
        np.testing.assert_allclose(value, parameter.data, rtol=rtol, atol=atol, err_msg=name)
    np.testing.assert_allclose(speed.floor_predict(floor_params, x), model(x), rtol=rtol, atol=atol)


def test_write_docs_replaces_only_the_results_block(speed: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(f"intro\n{speed.BEGIN}\nold\n{speed.END}\noutro\n", encoding="utf-8")
    speed.write_docs("new table", page)
    assert page.read_text(encoding="utf-8") == f"intro\n{speed.BEGIN}\nnew table\n{speed.END}\noutro\n"
    page.write_text("no markers", encoding="utf-8")
    with pytest.raises(ValueError, match="needs the markers"):
        speed.write_docs("x", page)


def test_the_trainer_is_timed_per_epoch_between_its_callbacks(speed: ModuleType) -> None:
    """Its setup and first epoch are kept apart, and time_methods reads what the run measured."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 1))
    timed = speed.trainer_run(x, y, (5, 4, 1), 16, "numpy", 3)()
    assert isinstance(timed, speed.SelfTimed)
    assert timed.epochs == 3 and timed.wall > 0 and timed.cpu > 0 and timed.first > 0

    fixed = speed.SelfTimed(wall=0.6, cpu=0.3, epochs=3, first=5.0)
    timing = speed.time_methods({"run": (lambda: fixed, 3)}, rounds=2, min_seconds=0.0)
    assert timing.per_epoch["run"] == [pytest.approx(0.2)] * 2
    assert timing.cpu_per_epoch["run"] == [pytest.approx(0.1)] * 2
    assert timing.first_epoch["run"] == [5.0, 5.0]
