"""Parity with PyTorch on the same weights: outputs, every named gradient, optimizers, schedules.

The PyTorch oracle is built here by hand from the glassnet weights (not by glassnet's own
converter), so a bug in the converter cannot hide a bug in the engine.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from conftest import require_torch
from glassnet import optim
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, Loss, MSELoss
from glassnet.nn import ACTIVATIONS, MLP, Linear, Module, Parameter, Sequential, Tanh
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import TrainConfig, Trainer
from glassnet.train._engines import NumpyEngine, TorchEngine

torch = require_torch()
F = torch.nn.functional

TORCH_ACTIVATIONS: dict[str, Any] = {
    "identity": torch.nn.Identity,
    "relu": torch.nn.ReLU,
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "softplus": torch.nn.Softplus,
}


def torch_copy(model: Sequential) -> Any:
    """A torch.nn.Sequential with the same layers and weights (float64)."""
    layers = []
    for layer in model:
        if isinstance(layer, Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.weight.data))  # both (out, in)
                linear.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(linear)
        else:
            layers.append(TORCH_ACTIVATIONS[layer.name]())  # type: ignore[attr-defined]
    return torch.nn.Sequential(*layers)


def torch_loss(loss: Loss, prediction: Any, target: Any) -> Any:
    reduction = loss.reduction
    if isinstance(loss, LogisticLoss):
        as01 = target if loss.labels == "01" else (target + 1) / 2
        return F.binary_cross_entropy_with_logits(prediction, as01, reduction=reduction)
    if isinstance(loss, MSELoss):
        return F.mse_loss(prediction, target, reduction=reduction)
    if isinstance(loss, HalfSquaredError):
        squares = 0.5 * (prediction - target) ** 2
        return squares.sum() if reduction == "sum" else squares.mean()
    if isinstance(loss, BCELoss):
        return F.binary_cross_entropy(prediction, target, reduction=reduction)
    raise AssertionError(loss)


def make_target(loss: Loss, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    if isinstance(loss, LogisticLoss):
        labels = rng.integers(0, 2, size=shape).astype(float)
        return labels if loss.labels == "01" else 2 * labels - 1
    if isinstance(loss, BCELoss):
        return rng.uniform(size=shape)
    return rng.normal(size=shape)


LOSSES = [
    LogisticLoss("01"),
    LogisticLoss("pm1", reduction="sum"),
    MSELoss(),
    MSELoss("sum"),
    HalfSquaredError(),
    BCELoss(),
]


def random_case(seed: int) -> tuple[MLP, Loss, int]:
    """A random MLP (depth 1–4, widths 1–64, any activation) with a loss and a batch size."""
    rng = np.random.default_rng(seed)
    loss = LOSSES[seed % len(LOSSES)]
    depth = int(rng.integers(1, 5))
    outputs = 1 if isinstance(loss, LogisticLoss | BCELoss) else int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 65)) for _ in range(depth)] + [outputs]
    activation = list(ACTIVATIONS)[(seed // len(LOSSES)) % len(ACTIVATIONS)]  # every (loss, activation) pair
    output_activation = "sigmoid" if isinstance(loss, BCELoss) else None
    model = MLP(sizes, activation=activation, output_activation=output_activation, rng=rng)
    batch = 1 if (seed + seed // len(LOSSES)) % 2 else 17  # each loss and activation sees both
    return model, loss, batch


@pytest.mark.parametrize("seed", range(72))
def test_random_mlp_outputs_and_gradients_match_torch(seed: int) -> None:
    model, loss, batch = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    x = rng.normal(size=(batch, model.sizes[0]))
    y = make_target(loss, rng, (batch, model.sizes[-1]))

    value = loss(model(x), y)
    model.backward(loss.backward())

    reference = torch_copy(model)
    x_t = torch.from_numpy(x).requires_grad_(True)
    out_t = reference(x_t)
    value_t = torch_loss(loss, out_t, torch.from_numpy(y))
    value_t.backward()

    np.testing.assert_allclose(model.forward(x), out_t.detach().numpy(), rtol=0, atol=1e-10)
    assert abs(value - value_t.item()) < 1e-10
    torch_grads = dict(reference.named_parameters())
    names = [name for name, _ in model.named_parameters()]
    assert names == list(torch_grads), "glassnet's dotted names follow PyTorch's"
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_grads[name].grad.numpy(), rtol=0, atol=1e-10, err_msg=name
        )


def test_input_gradient_matches_torch() -> None:
    model, loss, _ = random_case(4)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(17, model.sizes[0]))
    y = make_target(loss, rng, (17, model.sizes[-1]))
    loss(model(x), y)
    grad_x = model.backward(loss.backward())
    x_t = torch.from_numpy(x).requires_grad_(True)
    torch_loss(loss, torch_copy(model)(x_t), torch.from_numpy(y)).backward()
    np.testing.assert_allclose(grad_x, x_t.grad.numpy(), rtol=0, atol=1e-10)


def test_a_layer_used_twice_as_two_copies_adds_up_to_torchs_shared_layer() -> None:
    """Sequential refuses one instance twice; two deep copies are the way, and the sum of
    their gradients is what torch gives the one shared (tied) layer."""
    rng = np.random.default_rng(5)
    linear = Linear(3, 3, rng=rng)
    model = Sequential(linear, Tanh(), copy.deepcopy(linear))
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss = MSELoss()
    loss(model(x), y)
    model.backward(loss.backward())

    shared = torch_copy(Sequential(linear))[0]
    torch_loss(loss, shared(torch.tanh(shared(torch.from_numpy(x)))), torch.from_numpy(y)).backward()
    for name in ("weight", "bias"):
        summed = getattr(model[0], name).grad + getattr(model[2], name).grad
        np.testing.assert_allclose(summed, getattr(shared, name).grad.numpy(), rtol=0, atol=1e-12)


OPTIMIZERS: list[tuple[str, Any, Any]] = [
    ("sgd", lambda p: optim.SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    (
        "sgd-momentum",
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    ),
    (
        "sgd-nesterov",
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    ("adam", lambda p: optim.Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2)),
    (
        "adam-l2-amsgrad",
        lambda p: optim.Adam(p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2, amsgrad=True),
        lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2, amsgrad=True),
    ),
    ("adamw", lambda p: optim.AdamW(p, lr=1e-2), lambda p: torch.optim.AdamW(p, lr=1e-2)),
    (
        "adamw-decay",
        lambda p: optim.AdamW(p, lr=3e-3, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, lr=3e-3, weight_decay=0.1),
    ),
]


def _step_ours(model: MLP, ours: Any, x: np.ndarray, y: np.ndarray) -> None:
    loss = MSELoss()
    ours.zero_grad()
    loss(model(x), y)
    model.backward(loss.backward())
    ours.step()


def _step_both(model: MLP, ours: Any, reference: Any, theirs: Any, x: np.ndarray, y: np.ndarray) -> None:
    _step_ours(model, ours, x, y)
    theirs.zero_grad()
    F.mse_loss(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    theirs.step()


def _assert_weights_match(model: MLP, reference: Any) -> None:
    """glassnet's weights within 1e-9 of torch's, parameter by parameter."""
    for (our_name, parameter), (_, tensor) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            parameter.data, tensor.detach().numpy(), rtol=0, atol=1e-9, err_msg=our_name
        )


def _paired_run(
    seed: int, make_ours: Any, make_theirs: Any, batches: int
) -> tuple[MLP, Any, Any, Any, list[tuple[np.ndarray, np.ndarray]]]:
    """A 5→16→8→1 tanh MLP and its torch copy, each with its optimizer, and ``batches`` batches
    of 17 rows, all from ``seed``: (model, reference, ours, theirs, batches)."""
    rng = np.random.default_rng(seed)
    model = MLP([5, 16, 8, 1], activation="tanh", rng=rng)
    reference = torch_copy(model)
    ours, theirs = make_ours(model.parameters()), make_theirs(reference.parameters())
    data = [(rng.normal(size=(17, 5)), rng.normal(size=(17, 1))) for _ in range(batches)]
    return model, reference, ours, theirs, data


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_fifty_optimizer_steps_match_torch_optim(name: str, make_ours: Any, make_theirs: Any) -> None:
    model, reference, ours, theirs, batches = _paired_run(11, make_ours, make_theirs, 50)
    for x, y in batches:
        _step_both(model, ours, reference, theirs, x, y)
    for (our_name, parameter), (their_name, tensor) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        assert our_name == their_name
        np.testing.assert_allclose(parameter.data, tensor.detach().numpy(), rtol=0, atol=1e-9, err_msg=name)


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_a_group_without_gradients_is_left_alone_as_in_torch(
    name: str, make_ours: Any, make_theirs: Any
) -> None:
    """torch skips a parameter whose grad is None (before any backward, or zeroed with no
    backward since): no weight decay, no momentum, no step count. So does glassnet for a
    group none of whose parameters has a gradient."""

    def two_groups(make: Any) -> Any:  # the first layer's weight and bias, then the rest
        def build(params: Any) -> Any:
            params = list(params)
            return make([{"params": params[:2]}, {"params": params[2:]}])

        return build

    model, reference, ours, theirs, batches = _paired_run(
        14, two_groups(make_ours), two_groups(make_theirs), 12
    )
    ours.step()  # before any backward
    theirs.step()
    for index, (x, y) in enumerate(batches):
        no_first_layer_grad = index % 3 == 0  # the first layer gets no gradient this batch
        ours.zero_grad()
        loss = MSELoss()
        loss(model(x), y)
        model.backward(loss.backward())
        theirs.zero_grad()
        F.mse_loss(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        if no_first_layer_grad:
            model[0].zero_grad()
            for tensor in reference[0].parameters():
                tensor.grad = None
        ours.step()
        theirs.step()
    for (our_name, parameter), (_, tensor) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            parameter.data, tensor.detach().numpy(), rtol=0, atol=1e-9, err_msg=f"{name} {our_name}"
        )


def test_adam_follows_torch_when_list_betas_change_in_place() -> None:
    """Betas loaded from JSON are a list; changed in place, the moments are rescaled all the same."""
    model, reference, ours, theirs, batches = _paired_run(
        15, lambda p: optim.Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2), 20
    )
    for optimizer in (ours, theirs):
        optimizer.param_groups[0]["betas"] = [0.9, 0.999]
    for index, (x, y) in enumerate(batches):
        if index == 10:
            for optimizer in (ours, theirs):
                optimizer.param_groups[0]["betas"][0] = 0.5
        _step_both(model, ours, reference, theirs, x, y)
    for (our_name, parameter), (_, tensor) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            parameter.data, tensor.detach().numpy(), rtol=0, atol=1e-9, err_msg=our_name
        )


def _one_parameter_optimizers() -> tuple[optim.SGD, Any]:
    ours = optim.SGD([Linear(1, 1, rng=np.random.default_rng(0)).weight], lr=0.1)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return ours, theirs


SCHEDULES: list[tuple[str, Any, Any]] = [
    (
        "step",
        lambda o: optim.StepLR(o, step_size=7, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5),
    ),
    (
        "exponential",
        lambda o: optim.ExponentialLR(o, 0.95),
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.95),
    ),
    (
        "cosine",
        lambda o: optim.CosineLR(o, t_max=40, eta_min=1e-3),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=1e-3),
    ),
    (
        "cosine-warmup",
        lambda o: optim.CosineLR(o, t_max=35, warmup=5, warmup_start_factor=0.1),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=35),
            ],
            milestones=[5],
        ),
    ),
]


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_match_torch(name: str, make_ours: Any, make_theirs: Any) -> None:
    ours_opt, theirs_opt = _one_parameter_optimizers()
    ours, theirs = make_ours(ours_opt), make_theirs(theirs_opt)
    for epoch in range(40):
        assert abs(ours.get_last_lr()[0] - theirs.get_last_lr()[0]) < 1e-12, f"{name} epoch {epoch}"
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_get_last_lr_is_the_schedulers_rate_not_a_hand_set_one() -> None:
    ours_opt, theirs_opt = _one_parameter_optimizers()
    ours = optim.ExponentialLR(ours_opt, 0.5)
    theirs = torch.optim.lr_scheduler.ExponentialLR(theirs_opt, 0.5)
    ours_opt.step()
    theirs_opt.step()
    ours.step()
    theirs.step()
    ours_opt.param_groups[0]["lr"] = theirs_opt.param_groups[0]["lr"] = 0.3
    assert ours.get_last_lr() == theirs.get_last_lr() == [0.05]


def test_parity_helpers_cover_every_activation() -> None:
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)
    assert isinstance(random_case(0)[0], Module)


ADAMS = [case for case in OPTIMIZERS if case[0].startswith("adam")]


@pytest.mark.parametrize("beta1", [0.9, 0.97, 0.99, 0.999, 0.9999])
@pytest.mark.parametrize("decoupled", [False, True], ids=["adam", "adamw"])
def test_float32_adam_keeps_torchs_first_moment_at_every_beta1(beta1: float, decoupled: bool) -> None:
    """u ← β₁ u + g multiplied by float32's β₁, whose rounding biases the decay 1 − β₁ the same
    way every step: after 3,000 steps of gradients near 1, m was off torch's by a median of
    9.5e-7 at β₁ = 0.97 and 0.99, 1.1e-5 at 0.999 and −2.4e-5 at 0.9999 (torch's lerp rounds the
    small 1 − β₁), and so was the step it then takes (from weights of 0, so that the step is not
    lost in the weights' rounding). A median of 2 units of float32's roundoff at most now (0.9,
    whose rounding is that small, keeps u *= β₁), every element within 5e-6."""
    rng = np.random.default_rng(0)
    grads = (1.0 + 0.01 * rng.normal(size=(3000, 500))).astype(np.float32)
    ours_cls, theirs_cls = (optim.AdamW, torch.optim.AdamW) if decoupled else (optim.Adam, torch.optim.Adam)
    parameter = Parameter(np.zeros(500, np.float32))
    tensor = torch.zeros(500, dtype=torch.float32, requires_grad=True)
    ours = ours_cls([parameter], lr=1e-3, betas=(beta1, 0.999))
    theirs = theirs_cls([tensor], lr=1e-3, betas=(beta1, 0.999))
    for g in grads:
        parameter.grad = g
        ours.step()
        tensor.grad = torch.from_numpy(g.copy())
        theirs.step()
    m = optim.moments_in_torch_form(ours.state_dict()["state"][0], (beta1, 0.999))["exp_avg"]
    torch_m = theirs.state[tensor]["exp_avg"].numpy().copy()
    parameter.data[...] = 0.0
    with torch.no_grad():
        tensor.zero_()
    parameter.grad = grads[0]
    ours.step()
    tensor.grad = torch.from_numpy(grads[0].copy())
    theirs.step()
    for what, relative in [
        ("m", m / torch_m - 1.0),
        ("step", parameter.data / tensor.detach().numpy() - 1.0),
    ]:
        assert abs(np.median(relative)) <= 2.5e-7, (what, np.median(relative))
        assert np.abs(relative).max() <= 5e-6, (what, np.abs(relative).max())


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), ADAMS, ids=[a[0] for a in ADAMS])
def test_adam_moments_convert_to_and_from_torch_form(name: str, make_ours: Any, make_theirs: Any) -> None:
    """glassnet keeps u = m/(1−β₁) and w = v/(1−β₂); converted they are torch's m and v, and
    torch's m and v loaded into glassnet's Adam go on exactly as torch goes on."""
    model, reference, ours, theirs, batches = _paired_run(12, make_ours, make_theirs, 40)
    for x, y in batches[:20]:
        _step_both(model, ours, reference, theirs, x, y)

    saved = ours.state_dict()
    state, betas = saved["state"][0], tuple(saved["param_groups"][0]["betas"])
    assert "exp_avg_scaled" in state and "exp_avg" not in state
    converted = optim.moments_in_torch_form(state, betas)
    keys = [
        key for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if key in theirs.state[reference[0].weight]
    ]
    assert keys and all(key in converted for key in keys)
    torch_state: dict[str, Any] = {"step": 20}
    for key in keys:
        flat = np.concatenate([theirs.state[p][key].numpy().ravel() for p in reference.parameters()])
        np.testing.assert_allclose(converted[key], flat, rtol=1e-10, atol=1e-15, err_msg=f"{name} {key}")
        torch_state[key] = flat

    resumed = MLP([5, 16, 8, 1], activation="tanh", rng=np.random.default_rng(0))
    resumed.load_state_dict({k: v.detach().numpy() for k, v in reference.named_parameters()})
    continued = make_ours(resumed.parameters())
    continued.load_state_dict({"param_groups": saved["param_groups"], "state": [torch_state]})
    for x, y in batches[20:]:
        _step_both(resumed, continued, reference, theirs, x, y)
    _assert_weights_match(resumed, reference)


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), ADAMS, ids=[a[0] for a in ADAMS])
def test_adam_follows_torch_when_the_betas_change_mid_run(
    name: str, make_ours: Any, make_theirs: Any
) -> None:
    """glassnet's moments are scaled by the betas; set anew (as a momentum schedule does), they are
    rescaled, so the run goes on as torch's, and a state saved before the next step resumes it."""
    model, reference, ours, theirs, batches = _paired_run(13, make_ours, make_theirs, 20)
    for x, y in batches[:10]:
        _step_both(model, ours, reference, theirs, x, y)
    for optimizer in (ours, theirs):
        optimizer.param_groups[0]["betas"] = (0.7, 0.95)
    weights, saved = model.state_dict(), ours.state_dict()  # after the change, before a step
    resumed = MLP([5, 16, 8, 1], activation="tanh", rng=np.random.default_rng(0))
    resumed.load_state_dict(weights)
    continued = make_ours(resumed.parameters())
    continued.load_state_dict(saved)
    for x, y in batches[10:]:
        _step_both(model, ours, reference, theirs, x, y)
        _step_ours(resumed, continued, x, y)
    for (our_name, parameter), (_, tensor), (_, again) in zip(
        model.named_parameters(), reference.named_parameters(), resumed.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            parameter.data, tensor.detach().numpy(), rtol=0, atol=1e-9, err_msg=our_name
        )
        np.testing.assert_allclose(again.data, parameter.data, rtol=0, atol=1e-12, err_msg=our_name)


@pytest.mark.parametrize(("name", "make_ours", "make_theirs"), ADAMS, ids=[a[0] for a in ADAMS])
def test_adam_loaded_from_a_state_follows_torch_when_the_betas_change_next(
    name: str, make_ours: Any, make_theirs: Any
) -> None:
    """A loaded state kept no record of the betas its moments were scaled by, so betas set anew
    after the load left them unscaled: 0.07 off torch five steps later."""
    model, reference, ours, theirs, batches = _paired_run(13, make_ours, make_theirs, 20)
    for x, y in batches[:10]:
        _step_both(model, ours, reference, theirs, x, y)
    resumed = MLP([5, 16, 8, 1], activation="tanh", rng=np.random.default_rng(0))
    resumed.load_state_dict(model.state_dict())
    continued = make_ours(resumed.parameters())
    continued.load_state_dict(ours.state_dict())
    for optimizer in (continued, theirs):
        optimizer.param_groups[0]["betas"] = (0.7, 0.95)
    for x, y in batches[10:]:
        _step_both(resumed, continued, reference, theirs, x, y)
    _assert_weights_match(resumed, reference)


# -- the Trainer's torch engine refuses what its numpy engine refuses -----------------------

ENGINE_SPEC = MLPSpec(sizes=(3, 4, 1), activation="tanh")


def make_engines(**changes: Any) -> list[Any]:
    """Both engines on 20 rows of a 3→4→1 tanh net, from the same weights."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    config = TrainConfig(
        **{"hidden": (4,), "activation": "tanh", "batch_size": 5, "optimizer": "adam", **changes}
    )
    weights = build_mlp(ENGINE_SPEC, rng=rng).state_dict()
    return [cls(ENGINE_SPEC, weights, config, x, y) for cls in (NumpyEngine, TorchEngine)]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (np.zeros(3), r"Linear\(3, 4\) expects input of shape \(N, 3\), got shape \(3,\)"),
        (np.zeros((2, 5)), r"expects input of shape \(N, 3\), got shape \(2, 5\)"),
        (np.zeros((2, 3, 1)), r"expects input of shape \(N, 3\), got shape \(2, 3, 1\)"),
    ],
    ids=["1-D", "features", "3-D"],
)
def test_engines_refuse_rows_of_the_wrong_shape_alike(rows: Any, match: str) -> None:
    """torch's Linear takes a 1-D row as a single row and says 'mat1 and mat2' for the rest."""
    for engine in make_engines():
        with pytest.raises(ValueError, match=match):
            engine.predict(rows)


def _changed(name: str, values: Any, drop: str | None = None) -> dict[str, Any]:
    weights = build_mlp(ENGINE_SPEC, rng=np.random.default_rng(1)).state_dict()
    weights[name] = values
    if drop is not None:
        del weights[drop]
    return weights


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (
            _changed("0.bias", np.zeros(1)),
            r"weights\['0\.bias'\] has shape \(1,\), the architecture \[3, 4, 1\] needs \(4,\)",
        ),
        (
            _changed("0.weight", np.zeros(3)),
            r"weights\['0\.weight'\] has shape \(3,\), the architecture .* needs \(4, 3\)",
        ),
        (_changed("extra", np.zeros(1)), r"missing \[\], unexpected \['extra'\]"),
        (_changed("0.bias", np.zeros(4), drop="2.bias"), r"missing \['2\.bias'\], unexpected \[\]"),
    ],
    ids=["broadcast-bias", "broadcast-weight", "extra", "missing"],
)
def test_engines_refuse_weights_that_do_not_fit_alike(weights: dict[str, Any], match: str) -> None:
    """torch's copy_ broadcast a (1,) bias over all four; the weights stay as they were."""
    for engine in make_engines():
        before = engine.get_weights()
        with pytest.raises(ValueError, match=match):
            engine.set_weights(weights)
        for name, values in engine.get_weights().items():
            np.testing.assert_array_equal(values, before[name])


def test_engines_hold_non_finite_weights_alike() -> None:
    """A run's state after a step that overflowed: both engines take it (a resumed run meets its
    divergence, and the Trainer tries such weights as divergence candidates) and predict NaN."""
    weights = _changed("0.bias", np.array([np.nan, np.inf, 0.0, 1.0]))
    for engine in make_engines():
        engine.set_weights(weights)
        np.testing.assert_array_equal(engine.get_weights()["0.bias"], weights["0.bias"])
        assert np.isnan(engine.predict(np.ones((2, 3)))).all()


def test_engines_refuse_optimizer_buffers_of_the_wrong_shape_alike() -> None:
    """Taken as they were, they broadcast in torch's Adam update, or failed at its next step; the
    numpy engine's ravel took a (4, 3) buffer for a (3, 4) weight."""
    for engine in make_engines():
        state = engine.optimizer_state()
        shapes = {name: values.shape for name, values in engine.get_weights().items()}
        buffers = {
            key: {name: np.zeros(shape) for name, shape in shapes.items()}
            for key in ("exp_avg", "exp_avg_sq")
        }
        buffers["exp_avg"]["0.bias"] = np.zeros((4, 3))
        with pytest.raises(
            ValueError, match=r"optimizer buffer 'exp_avg' of '0\.bias' has shape \(4, 3\), expected \(4,\)"
        ):
            engine.load_optimizer_state({"step": 3, "buffers": buffers})
        buffers["exp_avg"]["0.bias"] = np.zeros(4)
        buffers["exp_avg"]["0.weight"] = np.zeros((3, 4))  # as many entries as (4, 3)
        with pytest.raises(ValueError, match=r"'0\.weight' has shape \(3, 4\), expected \(4, 3\)"):
            engine.load_optimizer_state({"step": 3, "buffers": buffers})
        del buffers["exp_avg"]["0.weight"]
        with pytest.raises(ValueError, match=r"optimizer buffer 'exp_avg' has no values for \['0\.weight'\]"):
            engine.load_optimizer_state({"step": 3, "buffers": buffers})
        np.testing.assert_equal(engine.optimizer_state(), state)  # nothing loaded


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_engines_count_the_steps_alike(optimizer: str) -> None:
    """torch's SGD keeps no step count: the torch engine reported 0 where the numpy engine, and
    the step after a resume in either, counted 4."""
    engines = make_engines(optimizer=optimizer, momentum=0.9) if optimizer == "sgd" else make_engines()
    for engine in engines:
        engine.begin_epoch(np.arange(20))
        for start in range(0, 20, 5):
            engine.train_batch(start, start + 5)
    states = [engine.optimizer_state() for engine in engines]
    assert [state["step"] for state in states] == [4, 4]
    for engine, state in zip(reversed(engines), states, strict=True):  # each takes the other's state
        engine.load_optimizer_state(state)
        engine.train_batch(0, 5)
        assert engine.optimizer_state()["step"] == 5


@pytest.mark.filterwarnings("error")
def test_a_torch_engines_infinite_adam_moments_resume_in_the_numpy_engine() -> None:
    """torch's m and v, infinite after an overflowing step, become glassnet's u and v: still
    infinite, without an overflow warning from scaling their finite stand-ins."""
    numpy_engine, torch_engine = make_engines()
    torch_engine.train_batch(0, 5)
    state = torch_engine.optimizer_state()
    assert sorted(state["buffers"]) == ["exp_avg", "exp_avg_sq"]
    for key, sign in (("exp_avg", -1.0), ("exp_avg_sq", 1.0)):
        state["buffers"][key]["0.bias"][1] = sign * np.inf
    numpy_engine.load_optimizer_state(state)
    loaded = numpy_engine.optimizer_state()["buffers"]
    assert loaded["exp_avg_scaled"]["0.bias"][1] == -np.inf and loaded["exp_avg_sq"]["0.bias"][1] == np.inf
    finite = state["buffers"]["exp_avg"]["2.weight"]
    np.testing.assert_allclose(loaded["exp_avg_scaled"]["2.weight"], finite / (1 - 0.9), rtol=1e-12)
    np.testing.assert_array_equal(
        loaded["exp_avg_sq"]["2.weight"], state["buffers"]["exp_avg_sq"]["2.weight"]
    )


def test_both_engines_resume_an_earlier_glassnets_scaled_second_moment() -> None:
    """A resume state from an earlier glassnet holds exp_avg_sq_scaled = v / (1 − β₂): each
    engine loads it as the v it is, and the two go on alike."""
    numpy_engine, torch_engine = make_engines()
    for engine in (numpy_engine, torch_engine):
        engine.train_batch(0, 5)
    state = numpy_engine.optimizer_state()
    buffers = dict(state["buffers"])
    buffers["exp_avg_sq_scaled"] = {name: v / (1 - 0.999) for name, v in buffers.pop("exp_avg_sq").items()}
    for engine in (numpy_engine, torch_engine):
        engine.load_optimizer_state({"step": state["step"], "buffers": buffers})
        engine.train_batch(5, 10)
    for name, values in numpy_engine.get_weights().items():
        np.testing.assert_allclose(values, torch_engine.get_weights()[name], rtol=1e-12, atol=1e-15)
    loaded = numpy_engine.optimizer_state()["buffers"]
    assert sorted(loaded) == ["exp_avg_scaled", "exp_avg_sq"]


def test_torch_engine_that_fails_to_start_gives_the_thread_setting_back() -> None:
    before = torch.get_num_threads()
    weights = build_mlp(ENGINE_SPEC, rng=np.random.default_rng(0)).state_dict()
    weights["0.bias"] = np.zeros(1)
    config = TrainConfig(hidden=(4,), activation="tanh", threads=before + 1)
    with pytest.raises(ValueError, match=r"has shape \(1,\)"):
        TorchEngine(ENGINE_SPEC, weights, config, np.zeros((4, 3)), np.zeros((4, 1)))
    assert torch.get_num_threads() == before


def test_float32_half_sse_is_a_sum_of_halves_in_both_engines() -> None:
    """½ r² per element, then summed, as glassnet's HalfSquaredError: the torch engine took
    ½ (Σ r²), whose Σ r² overflows float32 where the sum of halves is finite (targets of 3.4e18:
    the numpy engine trained, train_loss 5.8e36, the torch one refused "training loss is inf at
    the initial weights"). Σ r² itself (train_rmse) is inf in both."""
    spec = MLPSpec(sizes=(1, 2, 1), dtype="float32")
    config = TrainConfig(
        hidden=(2,), dtype="float32", loss="half_sse", batch_size=32, optimizer="sgd",
        momentum=0.0, weight_decay=0.0, lr=1e-30, fourier_features=0,
    )  # fmt: skip
    x, y = np.linspace(-1.0, 1.0, 32).reshape(-1, 1), np.full((32, 1), 3.4e18)
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    sums = []
    for cls in (NumpyEngine, TorchEngine):
        engine = cls(spec, weights, config, x, y)
        engine.begin_epoch(np.arange(32))
        engine.train_batch(0, 32)
        sums.append(engine.epoch_sums())
    (loss, squares, _), (torch_loss, torch_squares, _) = sums
    assert np.isfinite(loss) and loss > 1.8e38  # half of a Σ r² past float32's 3.4e38
    assert torch_loss == pytest.approx(loss, rel=1e-6)  # summed in another order: rounding apart
    assert squares == torch_squares == np.inf
    runs = [
        Trainer(config.replace(engine=engine, epochs=2, refit=False), x, y[:, 0]).run()
        for engine in ("numpy", "torch")
    ]
    assert [run.status for run in runs] == ["completed", "completed"]
    assert runs[1].history[-1]["train_loss"] == pytest.approx(runs[0].history[-1]["train_loss"], rel=1e-6)


@pytest.mark.parametrize(
    ("dtype", "logit", "label"),
    [("float32", 15.0, 1.0), ("float64", 38.0, 1.0), ("float32", -17.0, 0.0), ("float64", -40.0, 0.0), ("float64", 0.0, 1.0)],
)  # fmt: skip
def test_the_torch_engines_logistic_loss_is_glassnets_at_saturated_logits(
    dtype: str, logit: float, label: float
) -> None:
    """torch's binary_cross_entropy_with_logits takes its gradient as σ(z) − y: 17 % off
    glassnet's at z = 15 (float32), 0 at z = 38 (float64), where σ(−z) is 3.1e-17; its loss of a
    right row rounded to 0 sooner. One SGD step of lr 1 from w = 1, b = 0 on x = z moves b by
    −dL/db: the engines now agree to rounding, value and step."""
    spec = MLPSpec(sizes=(1, 1), dtype=dtype)
    weights = {"0.weight": np.array([[1.0]]), "0.bias": np.array([0.0])}
    config = TrainConfig(
        hidden=(), dtype=dtype, loss="logistic", optimizer="sgd", momentum=0.0, weight_decay=0.0, lr=1.0,
        fourier_features=0, schedule="constant",
    )  # fmt: skip
    engines = [
        cls(spec, weights, config, np.array([[logit]]), np.array([[label]]))
        for cls in (NumpyEngine, TorchEngine)
    ]
    for engine in engines:
        engine.begin_epoch(np.array([0]))
        engine.train_batch(0, 1)
    (ours, _, _), (theirs, _, _) = (engine.epoch_sums() for engine in engines)
    ulps = 4 * float(np.finfo(dtype).eps)  # rounding apart, where they were 17 % or all of it apart
    assert ours > 0 and theirs == pytest.approx(ours, rel=ulps, abs=0)
    bias = [engine.get_weights()["0.bias"] for engine in engines]
    assert bias[0][0] != 0.0
    np.testing.assert_allclose(bias[1], bias[0], rtol=ulps, atol=0)
