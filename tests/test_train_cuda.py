"""The torch engine's captured steps (CUDA graphs): what runs on the CPU, then what needs a GPU.

``warm_up_undone`` is plain torch and is tested here on the CPU, with the fused optimizers
the engine uses on CUDA. Capture itself needs a CUDA device: those tests skip without one
(CI has none) and ran on the GPU machine (docs/benchmarks.md, "GPU (CUDA)").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import test_train
from glassnet.train import Trainer
from glassnet.train._cuda_graph import warm_up_undone
from glassnet.train._engines import TorchEngine, captures_steps
from test_train import assert_resume_is_exact, small

airfoil = test_train.airfoil  # the same fixture: standardised airfoil rows

OPTIMIZERS = {
    "adam": {"optimizer": "adam"},
    "adamw": {"optimizer": "adamw", "weight_decay": 0.1},
    "sgd": {"optimizer": "sgd", "momentum": 0.9, "lr": 1e-2},
}


def _optimizer(torch: Any, name: str, params: list[Any]) -> Any:
    """torch's fused optimizer with η in a float32 tensor: what the engine builds on CUDA
    (where Adam is also capturable=True)."""
    lr = torch.tensor(1e-2)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, fused=True)
    cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, weight_decay=0.1, fused=True)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("steps_before", [0, 2])
def test_warm_up_undone_restores_weights_sums_and_optimizer_state(
    name: str, steps_before: int, torch: Any
) -> None:
    """Steps inside the block leave no trace: the next steps equal those of an untouched twin,
    whether the optimizer's state existed before the block or the block created it."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, generator=gen), torch.randn(8, 1, generator=gen)

    def model_and_optimizer() -> tuple[Any, Any, Any]:
        module = torch.nn.Linear(3, 1)
        with torch.no_grad():
            module.weight.copy_(torch.tensor([[0.5, -0.25, 1.0]]))
            module.bias.fill_(0.125)
        return module, _optimizer(torch, name, list(module.parameters())), torch.zeros(2)

    def step(module: Any, optimizer: Any, sums: Any, scale: float = 1.0) -> None:
        optimizer.zero_grad()
        loss = ((module(x * scale) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        sums += torch.stack([loss.detach(), loss.detach() ** 2])

    ours, twin = model_and_optimizer(), model_and_optimizer()
    for _ in range(steps_before):
        step(*ours)
        step(*twin)
    with warm_up_undone([*ours[0].parameters(), ours[2]], ours[1]):
        for _ in range(3):
            step(*ours, scale=3.0)  # other data: the warm-up sees whatever batch comes first
    for _ in range(3):
        step(*ours)
        step(*twin)
    for a, b in zip(ours[0].parameters(), twin[0].parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(ours[2], twin[2], rtol=0, atol=0)


def test_warm_up_undone_restores_even_when_the_block_fails(torch: Any) -> None:
    weight = torch.ones(3)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    with pytest.raises(RuntimeError, match="capture failed"), warm_up_undone([weight], optimizer):
        weight.add_(5.0)
        raise RuntimeError("capture failed")
    torch.testing.assert_close(weight, torch.ones(3), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("changes", "device", "expected"),
    [
        ({"dtype": "float32"}, "cuda", True),
        ({"dtype": "float32", "cuda_graph": False}, "cuda", False),
        ({"dtype": "float64"}, "cuda", False),  # torch's capture-safe optimizers round η to float32
        ({"dtype": "float32"}, "cpu", False),
    ],
)
def test_which_runs_capture_their_steps(changes: dict[str, Any], device: str, expected: bool) -> None:
    assert captures_steps(small(engine="torch", **changes), device) is expected


def test_the_cpu_path_is_eager(torch: Any) -> None:
    """cuda_graph is the default but only CUDA captures: on the CPU the optimizer is torch's usual one."""
    trainer = Trainer(small(engine="torch", dtype="float32"), np.ones((4, 2)), np.zeros(4))
    engine = TorchEngine(trainer.spec, trainer.initial_weights(0), trainer.config, trainer.x, trainer.y)
    assert engine._graphs is None
    assert not engine.optimizer.param_groups[0]["fused"]
    assert isinstance(engine.optimizer.param_groups[0]["lr"], float)


# -- on a CUDA device ---------------------------------------------------------------------


@pytest.fixture
def cuda(torch: Any) -> Any:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU (the CPU path is tested above and in test_train.py)")
    return torch


@pytest.mark.parametrize(
    "changes", [*OPTIMIZERS.values(), {"optimizer": "adamw", "clip_norm": 0.5}, {"ensemble": 2}]
)
def test_captured_steps_train_as_eager_ones(changes: dict[str, Any], airfoil: Any, cuda: Any) -> None:
    """float32, a cosine schedule (η changes every epoch), 1000 rows in batches of 64 (the last of
    40): captured runs agree with eager ones and with the numpy engine to float32 rounding, for
    every member (with ``ensemble=2``, the default's ReLU member and its tanh one)."""
    x, y, xv, yv, _ = airfoil
    config = small(engine="torch", device="cuda", dtype="float32", batch_size=64, epochs=4, **changes)
    runs = {
        "graph": Trainer(config, x, y, xv, yv).run(),
        "eager": Trainer(config.replace(cuda_graph=False), x, y, xv, yv).run(),
        "numpy": Trainer(config.replace(engine="numpy", device="cpu"), x, y, xv, yv).run(),
    }
    graph = runs.pop("graph")
    for other in runs.values():
        assert other.activations == graph.activations
        for ours, theirs in zip(graph.weights, other.weights, strict=True):
            for name, value in ours.items():
                np.testing.assert_allclose(value, theirs[name], rtol=1e-4, atol=1e-5, err_msg=name)
        for a, b in zip(graph.history, other.history, strict=True):
            for key in ("train_loss", "train_rmse", "val_loss"):
                assert a[key] == pytest.approx(b[key], rel=1e-5), key


def test_a_replay_is_the_eager_step_to_the_bit(airfoil: Any, cuda: Any) -> None:
    """Two epochs (batches of 64 and a last one of 40), captured against the very same step
    (``_step``, the same fused optimizer) run eagerly: equal weights and sums, bit for bit.
    What separates a captured run from a foreach-Adam run is the optimizer's arithmetic only."""
    x, y, _, _, _ = airfoil
    config = small(engine="torch", device="cuda", dtype="float32", optimizer="adamw", weight_decay=0.1)
    trainer = Trainer(config, x, y)
    engines = [
        TorchEngine(trainer.spec, trainer.initial_weights(0), config, trainer.x, trainer.y) for _ in range(2)
    ]
    captured, eager = engines
    for epoch in range(2):
        for engine in engines:
            engine.set_lr(trainer.learning_rate(epoch))
            engine.begin_epoch(trainer.epoch_order(0, epoch))
        for start in range(0, len(x), 64):
            stop = min(len(x), start + 64)
            captured.train_batch(start, stop)
            eager._step(eager.xe[start:stop], eager.ye[start:stop])
        assert captured.epoch_sums() == eager.epoch_sums()
    for name, value in captured.get_weights().items():
        np.testing.assert_array_equal(value, eager.get_weights()[name], err_msg=name)


def test_engines_agree_after_100_adam_steps_on_cuda(airfoil: Any, cuda: Any) -> None:
    """The parity of test_train.py, 5→64→64→1 in float64 (eager on CUDA too): 1e-9 after 100 steps."""
    x, y, xv, yv, _ = airfoil
    config = small(hidden=(64, 64), epochs=10, schedule="constant", lr=1e-3)
    ours = Trainer(config, x, y, xv, yv).run()
    theirs = Trainer(config.replace(engine="torch", device="cuda"), x, y, xv, yv).run()
    for name, value in ours.weights[0].items():
        np.testing.assert_allclose(value, theirs.weights[0][name], rtol=0, atol=1e-9, err_msg=name)


def test_captured_steps_never_wait_for_the_device(airfoil: Any, cuda: Any) -> None:
    """After the first epoch (which captures), a step is copies and a replay: torch's sync debug
    mode would raise on any operation that makes the host wait for the GPU."""
    x, y, _, _, _ = airfoil
    config = small(engine="torch", device="cuda", dtype="float32", batch_size=64)
    trainer = Trainer(config, x, y)
    engine = TorchEngine(trainer.spec, trainer.initial_weights(0), config, trainer.x, trainer.y)
    n = len(x)
    for epoch in range(2):
        engine.begin_epoch(trainer.epoch_order(0, epoch))
        cuda.cuda.synchronize()
        if epoch == 1:
            cuda.cuda.set_sync_debug_mode("error")
        try:
            for start in range(0, n, 64):
                engine.train_batch(start, min(n, start + 64))
        finally:
            cuda.cuda.set_sync_debug_mode("default")
    assert engine._graphs is not None and sorted(engine._graphs) == [40, 64]
    assert np.isfinite(engine.epoch_sums()).all()


@pytest.mark.parametrize("batches", [23, 130])
def test_captured_runs_resume_bit_identically(
    batches: int, airfoil: Any, monkeypatch: pytest.MonkeyPatch, cuda: Any
) -> None:
    """Mid-epoch in the validation pass, and in the final pass of the first member: the resumed
    run recaptures from the saved weights and optimizer state and ends on the same bits."""
    config = small(engine="torch", device="cuda", dtype="float32", ensemble=2, epochs=5, refit=True)
    assert assert_resume_is_exact(config, airfoil, TorchEngine, batches, monkeypatch).status == "completed"


def test_a_captured_run_that_diverges_keeps_good_weights(airfoil: Any, cuda: Any) -> None:
    x, y, _, _, _ = airfoil
    config = small(
        engine="torch",
        device="cuda",
        dtype="float32",
        optimizer="sgd",
        lr=5.0,
        schedule="constant",
        epochs=50,
    )
    result = Trainer(config, x * 100.0, y).run()
    assert result.status == "diverged" and "try a smaller learning rate than 5" in result.message
    assert all(np.isfinite(w).all() for w in result.weights[0].values())
