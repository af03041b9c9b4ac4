"""The optimizers' buffers hold no subnormal numbers after a flush, and the flush changes no weight.

A parameter whose gradient becomes exactly zero (the weights into a ReLU unit that stopped
firing) has its moments decay into the subnormal range, where they stay: β times the smallest
subnormals rounds back to them, and x86 arithmetic on them is tens of times slower. Every
``SUBNORMAL_FLUSH_EVERY`` steps the optimizers set such entries to zero (glassnet.optim._optimizer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conftest import require_torch
from glassnet import optim
from glassnet.nn import Parameter
from glassnet.optim import _optimizer

torch = require_torch()

EVERY = _optimizer.SUBNORMAL_FLUSH_EVERY
# β = 0.6 takes a moment of about 1 to the smallest subnormal in about 1460 steps in float64 (200
# in float32), and keeps it there: 0.6 times it rounds back to it
STEPS = 16 * EVERY


def _subnormal(array: np.ndarray) -> int:
    return int(np.count_nonzero((array != 0) & (np.abs(array) < np.finfo(array.dtype).tiny)))


def _train(make: Callable[[list[Parameter]], optim.Optimizer], dtype: Any, steps: int = STEPS) -> tuple:
    """Two parameters: one with a gradient at every step, one whose gradient is zero after the
    first 10 steps (a unit that stopped firing). Returns (the weights, the optimizer)."""
    rng = np.random.default_rng(0)
    live, dead = Parameter(rng.normal(size=6).astype(dtype)), Parameter(rng.normal(size=4).astype(dtype))
    opt = make([live, dead])
    for step in range(steps):
        opt.zero_grad()
        live.grad = rng.normal(size=6).astype(dtype)
        dead.grad = rng.normal(size=4).astype(dtype) if step < 10 else np.zeros(4, dtype)
        opt.step()
    return np.concatenate([live.data, dead.data]), opt


OPTIMIZERS = {
    "adam": lambda params: optim.Adam(params, lr=1e-3, betas=(0.6, 0.6)),
    "adamw amsgrad": lambda params: optim.AdamW(params, lr=1e-3, betas=(0.6, 0.6), amsgrad=True),
    "sgd momentum": lambda params: optim.SGD(params, lr=1e-3, momentum=0.6),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_buffers_hold_no_subnormals_after_a_flush(name: str, dtype: Any) -> None:
    _, opt = _train(OPTIMIZERS[name], dtype)
    buffers = {
        key: value for key, value in opt.state[0].items() if isinstance(value, np.ndarray) and key[0] != "_"
    }
    assert buffers
    assert {key: _subnormal(value) for key, value in buffers.items()} == dict.fromkeys(buffers, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_without_the_flush_they_would(name: str, dtype: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the condition the flush is for: without it, subnormals stay in the buffers
    monkeypatch.setattr(_optimizer, "SUBNORMAL_FLUSH_EVERY", 10**9)
    _, opt = _train(OPTIMIZERS[name], dtype)
    assert any(_subnormal(value) for value in opt.state[0].values() if isinstance(value, np.ndarray))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_flush_changes_no_weight(name: str, dtype: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed, _ = _train(OPTIMIZERS[name], dtype)
    monkeypatch.setattr(_optimizer, "SUBNORMAL_FLUSH_EVERY", 10**9)
    kept, _ = _train(OPTIMIZERS[name], dtype)
    np.testing.assert_array_equal(flushed, kept)


def test_adam_against_torch_across_flushes() -> None:
    # float64, the default settings: the same weights as torch.optim.Adam, which flushes nothing
    rng = np.random.default_rng(3)
    start = rng.normal(size=5)
    ours, theirs = Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start))
    opt, reference = optim.Adam([ours], lr=1e-2), torch.optim.Adam([theirs], lr=1e-2)
    for step in range(3 * EVERY):
        g = rng.normal(size=5) * (step < 5)
        opt.zero_grad()
        reference.zero_grad()
        ours.grad, theirs.grad = g, torch.tensor(g)
        opt.step()
        reference.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("eps", "flushed"), [(1e-8, True), (0.0, False)])
def test_the_second_moment_is_flushed_only_where_zero_gives_the_same_step(eps: float, flushed: bool) -> None:
    # with ε = 0 the step divides by √v̂ alone: a subnormal v̂ is then a number the step uses
    param = Parameter(np.ones(3))
    opt = optim.Adam([param], eps=eps)
    param.grad = np.ones(3)
    opt.step()
    state = opt.state[0]
    tiny = np.finfo(np.float64).tiny
    state["exp_avg_sq"][:] = tiny / 4  # subnormal
    state["exp_avg_scaled"][:] = 1e-3
    opt.flush_group(state, opt.param_groups[0])
    assert np.all(state["exp_avg_sq"] == (0.0 if flushed else tiny / 4))
    assert np.all(state["exp_avg_scaled"] == 1e-3)  # a normal number is left alone


def test_flush_subnormals_keeps_normal_numbers_and_signs() -> None:
    tiny = np.finfo(np.float32).tiny
    buffer = np.array([tiny, -tiny, tiny / 2, -tiny / 8, 0.0, 1.0, -3.0], dtype=np.float32)
    _optimizer.flush_subnormals(buffer)
    np.testing.assert_array_equal(buffer, np.array([tiny, -tiny, 0, 0, 0, 1, -3], dtype=np.float32))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_state_saved_between_flushes_resumes_to_the_same_weights(name: str) -> None:
    # the flush goes by the step count, which the state keeps: a run resumed from step 200
    # flushes at 256, 384, ... as the run it continues
    straight, _ = _train(OPTIMIZERS[name], np.float32, steps=3 * EVERY)
    rng = np.random.default_rng(0)
    live, dead = (
        Parameter(rng.normal(size=6).astype(np.float32)),
        Parameter(rng.normal(size=4).astype(np.float32)),
    )
    opt = OPTIMIZERS[name]([live, dead])
    for step in range(3 * EVERY):
        if step == 200:  # a fresh optimizer on the same weights, from the saved state
            saved = opt.state_dict()
            live, dead = Parameter(live.data.copy()), Parameter(dead.data.copy())
            opt = OPTIMIZERS[name]([live, dead])
            opt.load_state_dict(saved)
        opt.zero_grad()
        live.grad = rng.normal(size=6).astype(np.float32)
        dead.grad = rng.normal(size=4).astype(np.float32) if step < 10 else np.zeros(4, np.float32)
        opt.step()
    np.testing.assert_array_equal(np.concatenate([live.data, dead.data]), straight)


# -- the Trainer's torch engine flushes torch's buffers at the same steps -----------------------


def _engines_with_dead_units(**changes: Any) -> list[Any]:
    """Both engines on a 1→4→1 ReLU net, float64, β = 0.6, no weight decay: hidden units 0 and 1
    fire for the rows x = 1 (0–9) and never for the rows x = −1 (10–19); units 2 and 3 fire for
    every row."""
    from glassnet.spec import MLPSpec, build_mlp
    from glassnet.train import TrainConfig
    from glassnet.train._engines import NumpyEngine, TorchEngine

    spec = MLPSpec(sizes=(1, 4, 1), activation="relu")
    config = TrainConfig(
        **{
            "hidden": (4,),
            "activation": "relu",
            "beta1": 0.6,
            "beta2": 0.6,
            "batch_size": 10,
            "lr": 1e-3,
            "weight_decay": 0.0,  # λθ would keep every gradient from zero
            "threads": 0,  # an engine limits BLAS's threads until close(): none to give back
            **changes,
        }
    )
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    weights["0.weight"] = np.array([[1.0], [1.0], [0.0], [0.0]])
    weights["0.bias"] = np.array([0.0, 0.0, 1.0, 1.0])
    x = np.r_[np.ones(10), -np.ones(10)].reshape(-1, 1)
    y = np.linspace(-1.0, 1.0, 20).reshape(-1, 1)
    return [cls(spec, weights, config, x, y) for cls in (NumpyEngine, TorchEngine)]


def _train_dead(engines: list[Any]) -> None:
    """10 steps on the rows that fire units 0 and 1, then STEPS − 10 on those that do not:
    their weights' moments decay into the subnormal range after about 1400 steps."""
    for engine in engines:
        engine.begin_epoch(np.arange(20))
        for step in range(STEPS):
            engine.train_batch(*((0, 10) if step < 10 else (10, 20)))


def _torch_buffers(engine: Any) -> dict[str, np.ndarray]:
    state = engine.optimizer.state
    return {
        f"{key} {index}": value.numpy()
        for index, parameter in enumerate(engine.optimizer.param_groups[0]["params"])
        for key, value in state[parameter].items()
        if key != "step" and value is not None
    }


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_the_torch_engine_flushes_its_buffers_as_the_numpy_engine(optimizer: str) -> None:
    changes = {"optimizer": optimizer, "momentum": 0.6} if optimizer == "sgd" else {"optimizer": optimizer}
    numpy_engine, torch_engine = _engines_with_dead_units(**changes)
    _train_dead([numpy_engine, torch_engine])
    buffers = _torch_buffers(torch_engine)
    assert buffers
    assert {key: _subnormal(value) for key, value in buffers.items()} == dict.fromkeys(buffers, 0)
    for name, values in numpy_engine.get_weights().items():
        np.testing.assert_allclose(torch_engine.get_weights()[name], values, rtol=1e-9, atol=0, err_msg=name)


def test_the_torch_engine_flushes_the_first_moments_glassnet_flushes_and_no_others() -> None:
    """glassnet flushes u = m / (1 − β₁) below the smallest normal number, torch's engine m below
    (1 − β₁) times it: the same entries. Flushing m below the smallest normal number zeroed
    first moments that glassnet keeps (a reviewer's case: u = 2 tiny, at a flush step)."""
    tiny = np.finfo(np.float64).tiny
    engines = _engines_with_dead_units(optimizer="adam")
    for engine in engines:  # a state to start from, with the moments of every weight
        engine.begin_epoch(np.arange(20))
        engine.train_batch(0, 10)
    state = engines[0].optimizer_state()
    state["step"] = EVERY - 1
    for name in ("0.weight", "0.bias"):  # units 0 and 1, which the next batch does not fire
        state["buffers"]["exp_avg_scaled"][name][:2] = 2 * tiny  # after the step's β₁ = 0.6: 1.2 tiny
    kept = []
    for engine in engines:
        engine.load_optimizer_state(state)
        engine.train_batch(10, 20)  # the step numbered EVERY: a flush
        buffers = engine.optimizer_state()["buffers"]
        first = buffers["exp_avg_scaled" if "exp_avg_scaled" in buffers else "exp_avg"]
        kept.append(
            [bool(first[name].ravel()[index] != 0) for name in ("0.weight", "0.bias") for index in (0, 1)]
        )
    assert kept == [[True] * 4, [True] * 4]


def test_without_the_flush_the_torch_engines_buffers_would_hold_subnormals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_optimizer, "SUBNORMAL_FLUSH_EVERY", 10**9)
    _, torch_engine = _engines_with_dead_units(optimizer="adam")
    _train_dead([torch_engine])
    assert any(_subnormal(value) for value in _torch_buffers(torch_engine).values())


def test_the_torch_engine_leaves_moments_that_zero_would_not_replace() -> None:
    # ε = 1e-300: the step is about u / √v̂, so a subnormal v̂ is a number it uses, and a subnormal
    # u over ε a step of up to 1e-6 · lr where v̂ underflowed (as in glassnet's Adam)
    _, torch_engine = _engines_with_dead_units(optimizer="adam", eps=1e-300)
    assert torch_engine._flushed == ()


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_a_tiny_eps_keeps_subnormal_first_moments_as_torch(name: str) -> None:
    """ε = 1e-40 in float32 and a gradient of 1e-39 held: v̂ underflows to 0, and the step is
    u / ε, a whole step even where u is subnormal. The flush at steps 128 and 256 set u to 0 and
    the weight ended 6 % off torch's (a review); with such an ε nothing is flushed."""
    ours = Parameter(np.zeros(2, dtype=np.float32))
    theirs = torch.nn.Parameter(torch.zeros(2, dtype=torch.float32))
    opt = getattr(optim, name)([ours], lr=0.01, eps=1e-40)
    reference = getattr(torch.optim, name)([theirs], lr=0.01, eps=1e-40)
    for _ in range(300):
        ours.grad, theirs.grad = np.full(2, 1e-39, np.float32), torch.full((2,), 1e-39)
        opt.step()
        reference.step()
    # 300 steps of about lr each, rounded in float32 in two orders: 3e-5 apart (the flush: 6 %)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-4)


@pytest.mark.parametrize(
    ("dtype", "eps", "beta2"),
    [
        ("float32", 1e-44, 0.999),
        ("float32", 1.4e-45, 0.999),
        ("float32", 1e-40, 0.999),
        ("float64", 5e-323, 0.999),
        ("float64", 1e-323, 0.999),
        ("float64", 1e-320, 0.999999),
    ],
)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_a_tiny_eps_steps_as_torch(dtype: str, eps: float, beta2: float, name: str) -> None:
    # ε √(1 − β₂ᵗ), the scaled update's ε, rounded to 0 in the first steps (ε below 4e-44 in
    # float32, 8e-323 in float64): a gradient still 0 gave 0/0, a NaN weight, where torch's ε
    # gives 0 (the Trainer then said the run diverged, and blamed the learning rate); and where it
    # kept a few bits, a gradient of 1e-22 (whose v underflows in float32) stepped 3 to 30 times
    # less far than torch's m̂ / ε (a review of 7a348fc). Such an ε now takes torch's order
    grads = [[0.0, 1e-22, 1e-3, 0.0]] * 3 + [[0.0] * 4] * 2
    ours = Parameter(np.array([1.0, 2.0, 3.0, 4.0], dtype=dtype))
    theirs = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=getattr(torch, dtype)))
    settings = {"lr": 0.1, "eps": eps, "betas": (0.9, beta2)}
    opt, reference = (
        getattr(optim, name)([ours], **settings),
        getattr(torch.optim, name)([theirs], **settings),
    )
    for g in grads:
        ours.grad, theirs.grad = np.array(g), torch.tensor(g, dtype=theirs.dtype)
        opt.step()
        reference.step()
    expected = theirs.detach().numpy()
    assert np.isfinite(ours.data).all() and ours.data[0] == expected[0] and ours.data[3] == expected[3]
    np.testing.assert_allclose(ours.data, expected, rtol=1e-6 if dtype == "float32" else 1e-14)


def test_a_float32_configuration_refuses_an_eps_float32_rounds_to_zero() -> None:
    # both engines divided 0 by 0 for a gradient still 0 (torch adds ε in float32); SGD reads no ε.
    # The floor the message names is taken (it refused 1.4e-45 as below 1.4e-45: a review)
    from glassnet.train import TrainConfig

    for eps in (7e-46, 1e-47):
        with pytest.raises(
            ValueError,
            match=rf"^eps must not round to 0 in float32 .* give at least 1\.401e-45, .* got {eps:g}$",
        ):
            TrainConfig(dtype="float32", eps=eps)
    for eps in (1.401e-45, 1.4e-45, 1e-45):  # float32's smallest positive number, as float32 rounds them
        assert TrainConfig(dtype="float32", eps=eps).eps == eps
    assert TrainConfig(dtype="float64", eps=7e-46).eps == 7e-46
    assert TrainConfig(dtype="float32", optimizer="sgd", eps=7e-46).eps == 7e-46
