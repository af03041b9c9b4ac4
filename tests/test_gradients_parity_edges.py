"""Finite differences and PyTorch parity where test_gradients.py and test_torch_parity.py do not look:

- finite differences (float64) for every activation *between* two layers (elsewhere only tanh
  sits inside a network) and LeakyReLU slopes other than 0.1, and for the loss reductions
  test_gradients.py leaves out (logistic '01' summed, 'pm1' averaged, BCE summed);
- every activation against torch at its kinks and extremes (z = ±0, ±1e-300, ±20.5, …);
- float32 against torch float32 (and float64): outputs, every gradient, optimizer steps;
- schedules driving an optimizer over many steps against torch on the same weights (elsewhere
  the schedules' rates are compared with nothing to step);
- the exercise's SGD step taken by ``optim.SGD``, every gradient of the sheet by hand, and the
  sheet's network under the 'pm1' convention;
- ``backward_params`` of a nested Sequential and of a custom Module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from glassnet import gradcheck, optim
from glassnet.exercise import LEARNING_RATE, SHEET_LABEL, exercise_input, exercise_network
from glassnet.losses import BCELoss, LogisticLoss, Loss, MSELoss
from glassnet.nn import ACTIVATIONS, MLP, Activation, LeakyReLU, Linear, Module, Sequential, Tanh

# LeakyReLU slopes no other test differentiates: a moderate one, a negative one, one above 1
LEAKY = {"leaky-0.3": 0.3, "leaky-negative": -0.5, "leaky-steep": 1.5}
ACTIVATION_FACTORIES: dict[str, Callable[[], Activation]] = {
    **{name: cls for name, cls in ACTIVATIONS.items()},
    **{name: (lambda slope=slope: LeakyReLU(slope)) for name, slope in LEAKY.items()},
}


def torch_activation(torch: Any, layer: Activation) -> Any:
    """torch's module computing ``layer`` (LeakyReLU with the layer's own slope)."""
    nn = torch.nn
    return {
        "identity": nn.Identity,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(layer.negative_slope),  # type: ignore[attr-defined]
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softplus": nn.Softplus,
    }[layer.name]()


def torch_twin(torch: Any, model: Sequential, dtype: Any) -> Any:
    """A torch.nn.Sequential of the same layers in ``dtype``, given the model's weights by name
    (both keep W as (out, in) and name it "<index>.weight")."""
    layers = [
        torch.nn.Linear(layer.in_features, layer.out_features, dtype=dtype)
        if isinstance(layer, Linear)
        else torch_activation(torch, layer)
        for layer in model
    ]
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict(
        {name: torch.from_numpy(values).to(dtype) for name, values in model.state_dict().items()}
    )
    return twin


# -- central finite differences ----------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIVATION_FACTORIES))
def test_every_activation_between_two_layers_matches_central_differences(name: str) -> None:
    """dL/dz through the activation reaches the first layer's weights and the input."""
    rng = np.random.default_rng(21)
    model = Sequential(Linear(3, 5, rng=rng), ACTIVATION_FACTORIES[name](), Linear(5, 2, rng=rng))
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    report = gradcheck(model, MSELoss(), x, y, check_input=True)
    assert report.ok, str(report)
    assert [c.name for c in report.comparisons] == ["0.weight", "0.bias", "2.weight", "2.bias", "input"]
    assert report.max_rel_error < 1e-7, str(report)


LOSS_REDUCTIONS: list[tuple[str, Loss, Callable[[np.random.Generator], np.ndarray]]] = [
    ("logistic-01-sum", LogisticLoss("01", "sum"), lambda rng: rng.integers(0, 2, size=9).astype(float)),
    ("logistic-pm1-mean", LogisticLoss("pm1", "mean"), lambda rng: rng.choice([-1.0, 1.0], size=9)),
    ("bce-sum", BCELoss("sum"), lambda rng: rng.uniform(size=9)),
]


@pytest.mark.parametrize(
    ("name", "loss", "make_target"), LOSS_REDUCTIONS, ids=[c[0] for c in LOSS_REDUCTIONS]
)
def test_loss_reductions_left_out_elsewhere_match_central_differences(
    name: str, loss: Loss, make_target: Callable[[np.random.Generator], np.ndarray]
) -> None:
    rng = np.random.default_rng(22)
    output = "sigmoid" if isinstance(loss, BCELoss) else None
    model = MLP([4, 5, 1], activation="softplus", output_activation=output, rng=rng)
    x = rng.normal(size=(9, 4))
    report = gradcheck(model, loss, x, make_target(rng), check_input=True)  # targets (N,) for (N, 1)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-7, f"{name}\n{report}"


# -- activations against torch where they bend or saturate -------------------------------

KINKS = np.array([[-745.0, -40.0, -20.5, -1.0, -1e-300, -0.0], [0.0, 1e-300, 1.0, 19.5, 20.5, 40.0]])


@pytest.mark.parametrize("name", list(ACTIVATION_FACTORIES))
def test_activations_match_torch_at_kinks_and_extremes(name: str, torch: Any) -> None:
    """f and dL/dz as torch's autograd gives them, to rounding: f′(0) is torch's one-sided choice
    (0 for ReLU, the slope for LeakyReLU). Softplus differs only where torch's switches to z
    (z > 20), by less than the 2.1e-9 its docstring states."""
    layer = ACTIVATION_FACTORIES[name]()
    grad_out = np.arange(1.0, 13.0).reshape(KINKS.shape) / 7.0
    value = layer.forward(KINKS.copy())
    grad = layer.backward(grad_out)

    z = torch.tensor(KINKS, requires_grad=True)
    expected = torch_activation(torch, layer)(z)
    expected.backward(torch.tensor(grad_out))
    expected_value, expected_grad = expected.detach().numpy(), z.grad.numpy()

    exact = ~((KINKS > 20) & (layer.name == "softplus"))
    # atol: σ(−745) is the subnormal 5e-324 here, 0 in torch
    np.testing.assert_allclose(value[exact], expected_value[exact], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(grad[exact], expected_grad[exact], rtol=1e-15, atol=1e-300)
    assert np.abs(value - expected_value).max() < 2.1e-9
    assert np.abs(grad - expected_grad).max() < 2.1e-9 * np.abs(grad_out).max()


# -- float32 against torch ---------------------------------------------------------------


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_float32_outputs_and_gradients_match_torch_to_float32_rounding(activation: str, torch: Any) -> None:
    """A float32 network stays float32 and agrees with torch in float32, and both with float64,
    to a few units of float32 rounding (measured: under 3e-7 of the largest gradient)."""
    rng = np.random.default_rng(23)
    model = MLP([6, 32, 16, 3], activation=activation, rng=rng, dtype=np.float32)
    x, y = rng.normal(size=(64, 6)).astype(np.float32), rng.normal(size=(64, 3)).astype(np.float32)
    loss = MSELoss()
    value = loss(model(x), y)
    model.backward(loss.backward())

    for dtype in (torch.float32, torch.float64):
        twin = torch_twin(torch, model, dtype)
        out = twin(torch.from_numpy(x).to(dtype))
        expected = torch.nn.functional.mse_loss(out, torch.from_numpy(y).to(dtype))
        expected.backward()
        assert value == pytest.approx(expected.item(), rel=2e-6), dtype
        np.testing.assert_allclose(
            model.forward(x), out.detach().numpy(), rtol=0, atol=2e-6, err_msg=str(dtype)
        )
        for (name, parameter), (_, tensor) in zip(
            model.named_parameters(), twin.named_parameters(), strict=True
        ):
            assert parameter.grad.dtype == np.float32
            reference = tensor.grad.numpy()
            scale = np.abs(reference).max()
            assert np.abs(parameter.grad - reference).max() <= 2e-6 * scale, f"{dtype} {name}"


def step_both(
    torch: Any, model: MLP, twin: Any, optimizers: tuple[Any, Any], steps: int, *, seed: int, dtype: Any
) -> Iterator[int]:
    """``steps`` steps of MSE on the same random batches for glassnet's model and its torch twin,
    each with its optimizer (glassnet's first); yields the step's index after each step."""
    ours, theirs = optimizers
    rng = np.random.default_rng(seed)
    loss = MSELoss()
    for step in range(steps):
        x = rng.normal(size=(10, model.sizes[0])).astype(dtype)
        y = rng.normal(size=(10, model.sizes[-1])).astype(dtype)
        ours.zero_grad()
        loss(model(x), y)
        model.backward(loss.backward())
        ours.step()
        theirs.zero_grad()
        torch.nn.functional.mse_loss(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs.step()
        yield step


def assert_same_weights(model: MLP, twin: Any, atol: float) -> None:
    for (name, parameter), (_, tensor) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert parameter.data.dtype == tensor.detach().numpy().dtype, name
        np.testing.assert_allclose(parameter.data, tensor.detach().numpy(), rtol=0, atol=atol, err_msg=name)


# optimizer name in both packages, its settings
FLOAT32_OPTIMIZERS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2, "nesterov": True}),
    ("Adam", {"lr": 1e-2, "weight_decay": 1e-2, "amsgrad": True}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "settings"), FLOAT32_OPTIMIZERS, ids=[o[0] for o in FLOAT32_OPTIMIZERS])
def test_thirty_float32_optimizer_steps_match_torch_in_float32(
    name: str, settings: dict[str, Any], torch: Any
) -> None:
    """glassnet's Adam keeps its moments scaled (u = m/(1−β₁)), so float32 rounds differently
    from torch's; the weights still agree to float32 rounding after 30 steps (measured: 2.3e-7)."""
    model = MLP([5, 16, 8, 1], activation="tanh", rng=np.random.default_rng(24), dtype=np.float32)
    twin = torch_twin(torch, model, torch.float32)
    optimizers = (
        getattr(optim, name)(model.parameters(), **settings),
        getattr(torch.optim, name)(twin.parameters(), **settings),
    )
    for _ in step_both(torch, model, twin, optimizers, 30, seed=124, dtype=np.float32):
        pass
    assert_same_weights(model, twin, atol=2e-6)


# -- schedules driving an optimizer ------------------------------------------------------


def _torch_warmup_cosine(torch: Any, opt: Any) -> Any:
    schedulers = torch.optim.lr_scheduler
    warmup = schedulers.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=4)
    return schedulers.SequentialLR(opt, [warmup, schedulers.CosineAnnealingLR(opt, T_max=20)], milestones=[4])


# id, optimizer name in both packages and its settings, glassnet's schedule, torch's (given torch)
SCHEDULED: list[tuple[str, str, dict[str, Any], Any, Any]] = [
    (
        "sgd-momentum-step",
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3},
        lambda o: optim.StepLR(o, step_size=5, gamma=0.5),
        lambda torch, o: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5),
    ),
    (
        "adam-exponential",
        "Adam",
        {"lr": 2e-2},
        lambda o: optim.ExponentialLR(o, 0.9),
        lambda torch, o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9),
    ),
    (
        "adamw-cosine",
        "AdamW",
        {"lr": 2e-2, "weight_decay": 0.05},
        lambda o: optim.CosineLR(o, t_max=24, eta_min=1e-3),
        lambda torch, o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=24, eta_min=1e-3),
    ),
    (
        "adamw-warmup-cosine",
        "AdamW",
        {"lr": 2e-2, "weight_decay": 0.05, "amsgrad": True},
        lambda o: optim.CosineLR(o, t_max=20, warmup=4, warmup_start_factor=0.2),
        _torch_warmup_cosine,
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "settings", "make_schedule", "make_their_schedule"),
    SCHEDULED,
    ids=[s[0] for s in SCHEDULED],
)
def test_a_schedule_driving_an_optimizer_follows_torch_over_24_steps(
    case: str, name: str, settings: dict[str, Any], make_schedule: Any, make_their_schedule: Any, torch: Any
) -> None:
    """One optimizer step, then one schedule step, as a training loop does: the same rates and
    the same weights as torch's over 24 steps (within t_max, where glassnet's cosine and torch's
    agree), with two parameter groups of their own rates."""
    model = MLP([4, 8, 1], activation="relu", rng=np.random.default_rng(25))
    twin = torch_twin(torch, model, torch.float64)

    def groups(params: Any) -> list[dict[str, Any]]:
        params = list(params)
        return [{"params": params[:2]}, {"params": params[2:], "lr": 5e-3}]

    ours = getattr(optim, name)(groups(model.parameters()), **settings)
    theirs = getattr(torch.optim, name)(groups(twin.parameters()), **settings)
    schedule, their_schedule = make_schedule(ours), make_their_schedule(torch, theirs)
    for step in step_both(torch, model, twin, (ours, theirs), 24, seed=125, dtype=np.float64):
        schedule.step()
        their_schedule.step()
        expected = their_schedule.get_last_lr()
        assert schedule.get_last_lr() == pytest.approx(expected, rel=1e-13, abs=0), step
        assert [group["lr"] for group in ours.param_groups] == pytest.approx(expected, rel=1e-13, abs=0), step
    assert_same_weights(model, twin, atol=1e-10)


# -- the exercise, by hand ---------------------------------------------------------------


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def test_the_sheets_step_taken_by_optim_sgd_gives_every_weight_by_hand() -> None:
    """y = −1 in the {0, 1} formula, as the sheet writes it: s = 1 − 2y = 3, L = log(1 + e⁶),
    g = ∂L/∂ŷ = 3σ(6). With h = (2, 2, 0), Wᵒ = (0.5, −1, 0), ReLU′(z) = (1, 1, 0), x = (1, 2):
    ∂L/∂Wᵒ = g h, ∂L/∂bᵒ = g, δ = g Wᵒ ⊙ ReLU′(z), ∂L/∂Wʰ = δ xᵀ, ∂L/∂bʰ = δ; then one step of
    optim.SGD at η = 0.1 (the sheet's new w₁₂ʰ = 0.100742)."""
    model = exercise_network()
    loss = LogisticLoss("01", strict_labels=False)
    value = loss(model(exercise_input()), np.array([SHEET_LABEL]))
    model.backward(loss.backward())
    g = 3.0 * sigmoid(6.0)
    delta = g * np.array([0.5, -1.0, 0.0])
    expected = {
        "0.weight": np.outer(delta, [1.0, 2.0]),
        "0.bias": delta,
        "2.weight": g * np.array([[2.0, 2.0, 0.0]]),
        "2.bias": np.array([g]),
    }
    assert abs(value - 6.002476) < 5e-7 and abs(value - math.log1p(math.exp(6.0))) < 1e-12
    assert abs(model[0].weight.grad[0, 1] - 2.992582) < 5e-7
    before = model.state_dict()
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad, expected[name], rtol=0, atol=1e-12, err_msg=name)

    optim.SGD(model.parameters(), lr=LEARNING_RATE).step()
    after = model.state_dict()
    assert abs(after["0.weight"][0, 1] - 0.100742) < 5e-7
    for name, values in after.items():
        np.testing.assert_allclose(
            values, before[name] - LEARNING_RATE * expected[name], rtol=0, atol=1e-12, err_msg=name
        )


def test_the_sheets_network_under_the_pm1_convention_by_hand() -> None:
    """y = −1 read as a label in {−1, +1}: L = log(1 + e^(−yŷ)) = log(1 + e²) = 2.126928,
    ∂L/∂ŷ = −y σ(−yŷ) = σ(2) = 0.880797, ∂L/∂w₁₂ʰ = σ(2) · 0.5 · 1 · 2 = 0.880797."""
    model = exercise_network()
    loss = LogisticLoss("pm1")
    value = loss(model(exercise_input()), np.array([-1.0]))
    grad_out = loss.backward()
    model.backward(grad_out)
    assert abs(value - math.log1p(math.exp(2.0))) < 1e-12 and abs(value - 2.126928) < 5e-7
    assert abs(grad_out[0, 0] - sigmoid(2.0)) < 1e-12 and abs(grad_out[0, 0] - 0.880797) < 5e-7
    assert abs(model[0].weight.grad[0, 1] - sigmoid(2.0) * 0.5 * 2.0) < 1e-12
    np.testing.assert_array_equal(model[0].weight.grad[2], [0.0, 0.0])  # the dead unit


# -- backward_params ---------------------------------------------------------------------


class Residual(Module):
    """x + tanh(W x + b): a Module of its own (not a Sequential), so it takes the default
    backward_params, which runs backward."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.linear = Linear(size, size, rng=rng)
        self.tanh = Tanh()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x + self.tanh.forward(self.linear.forward(x))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out + self.linear.backward(self.tanh.backward(grad_out))


@pytest.mark.parametrize("first", ["nested", "custom"])
def test_backward_params_through_a_nested_or_custom_first_module_adds_what_backward_adds(first: str) -> None:
    """Sequential.backward_params hands the call to its first layer: a Sequential (which hands it
    on) or a custom Module. The same gradients to the bit, and no dL/dx."""

    def build() -> Sequential:
        rng = np.random.default_rng(26)
        head = Sequential(Linear(3, 3, rng=rng), Tanh()) if first == "nested" else Residual(3, rng)
        return Sequential(head, Linear(3, 2, rng=rng))

    rng = np.random.default_rng(27)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    full, half = build(), build()
    for model in (full, half):
        model.forward(x)
    full.backward(g)
    assert half.backward_params(g) is None
    inner = "0.0" if first == "nested" else "0.linear"
    assert [name for name, _ in half.named_parameters()] == [
        f"{inner}.weight",
        f"{inner}.bias",
        "1.weight",
        "1.bias",
    ]
    for (name, a), (_, b) in zip(full.named_parameters(), half.named_parameters(), strict=True):
        np.testing.assert_array_equal(b.grad, a.grad, err_msg=name)
