"""Determinism through the CLI: the same command and seed give bit-identical metrics, history and weights.

NumPy engine: run twice, and interrupted (Ctrl-C) then resumed against straight through.
Torch engine on the CPU: run twice, and across a resume. metrics.json is compared whole
except "seconds" (wall time); history.csv byte for byte; weights with array_equal.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.checkpoint import load_checkpoint
from glassnet.cli import main
from glassnet.train._engines import NumpyEngine, TorchEngine

SHORT = ["--hidden", "16,16", "--epochs", "4", "--batch-size", "64", "--warmup-epochs", "1", "--seed", "11"]
SHORT += ["--quiet", "--no-plots"]


def _metrics(folder: Path) -> dict[str, Any]:
    document = json.loads((folder / "metrics.json").read_text())
    document.pop("seconds")
    return dict(document)


def assert_same_run(a: Path, b: Path) -> None:
    assert _metrics(a) == _metrics(b)
    assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes()
    first, second = load_checkpoint(a / "model.npz"), load_checkpoint(b / "model.npz")
    assert len(first.members) == len(second.members)
    for ours, theirs in zip(first.members, second.members, strict=True):
        assert ours.keys() == theirs.keys()
        for name in ours:
            assert np.array_equal(ours[name], theirs[name]), name
    assert first.history == second.history


def _interrupt_at(engine: Any, call: int, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine.train_batch
    calls = [0]

    def interrupting(self: Any, start: int, stop: int) -> None:
        calls[0] += 1
        if calls[0] == call:
            signal.raise_signal(signal.SIGINT)
        original(self, start, stop)

    monkeypatch.setattr(engine, "train_batch", interrupting)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_same_seed_same_bits_twice_and_across_a_resume(
    engine: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    torch: Any,
) -> None:
    argv = ["train", "airfoil", *SHORT, "--engine", engine, "--ensemble", "2"]
    if engine == "torch":
        argv += ["--threads", "1"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert_same_run(tmp_path / "a", tmp_path / "b")

    # interrupted in the second member's validation pass (17 batches per epoch here), then resumed
    with monkeypatch.context() as patch:
        _interrupt_at(NumpyEngine if engine == "numpy" else TorchEngine, 90, patch)
        assert main([*argv, "--out", str(tmp_path / "c")]) == 130
    assert "interrupted in" in capsys.readouterr().err
    assert (tmp_path / "c" / "checkpoint.npz").is_file()
    assert main(["train", "airfoil", "--out", str(tmp_path / "c"), "--resume", "--quiet", "--no-plots"]) == 0
    assert_same_run(tmp_path / "a", tmp_path / "c")


def test_a_different_seed_gives_different_weights(tmp_path: Path) -> None:
    """The seed is what fixes the bits: change it and the weights change (the check above is not vacuous)."""
    assert main(["train", "airfoil", *SHORT, "--out", str(tmp_path / "a")]) == 0
    other = [value if value != "11" else "12" for value in SHORT]
    assert main(["train", "airfoil", *other, "--out", str(tmp_path / "b")]) == 0
    a, b = load_checkpoint(tmp_path / "a" / "model.npz"), load_checkpoint(tmp_path / "b" / "model.npz")
    assert not np.array_equal(a.members[0]["0.weight"], b.members[0]["0.weight"])


def test_a_seed_of_more_than_32_bits_draws_weights_of_its_own() -> None:
    """NumPy reads [a + 2³² b, 0] as [a, b]: seed 2³² + 5's first member started from seed 5's
    second member's weights. Seeds below 2³² keep theirs."""
    from glassnet.train import TrainConfig, Trainer

    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.zeros(8)

    def weights(seed: int, member: int) -> dict[str, np.ndarray]:
        config = TrainConfig(hidden=(4,), seed=seed, ensemble=2, fourier_features=0)
        return Trainer(config, x, y).initial_weights(member)

    wide, narrow = weights(2**32 + 5, 0), weights(5, 1)
    assert not np.array_equal(wide["0.weight"], narrow["0.weight"])
    from glassnet.spec import MLPSpec, build_mlp

    drawn = build_mlp(MLPSpec(sizes=(3, 4, 1)), rng=np.random.default_rng([5, 1])).state_dict()
    for name, value in drawn.items():
        np.testing.assert_array_equal(narrow[name], value)
