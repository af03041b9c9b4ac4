"""Module API: names, state, modes, dtypes, initialisation, optimizer state."""

from __future__ import annotations

import copy
import math
import re
import warnings
from typing import Any

import numpy as np
import pytest

from glassnet import gradcheck, optim
from glassnet.losses import LogisticLoss, MSELoss
from glassnet.nn import (
    ACTIVATIONS,
    MLP,
    Activation,
    Identity,
    LeakyReLU,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)
from glassnet.torch_bridge import to_torch


def test_named_parameters_are_stable_dotted_names() -> None:
    model = MLP([5, 4, 3, 1], rng=np.random.default_rng(0))
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
    ]
    assert [p.shape for p in model.parameters()] == [(4, 5), (4,), (3, 4), (3,), (1, 3), (1,)]
    assert model.num_parameters() == 4 * 5 + 4 + 3 * 4 + 3 + 3 + 1


def test_custom_module_finds_attributes_in_assignment_order() -> None:
    class TwoHeads(Module):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.trunk = Sequential(Linear(2, 3, rng=rng), Tanh())
            self.scale = Parameter(np.ones(1))
            self.head = Linear(3, 1, rng=rng)

    names = [name for name, _ in TwoHeads().named_parameters()]
    assert names == ["scale", "trunk.0.weight", "trunk.0.bias", "head.weight", "head.bias"]


def test_sequential_indexing_and_slicing() -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    assert len(model) == 3
    assert isinstance(model[0], Linear) and isinstance(model[1], ReLU) and model[-1] is model[2]
    head = model[1:]
    assert isinstance(head, Sequential) and len(head) == 2 and head[1] is model[2]
    assert "Linear(in_features=2, out_features=3)" in repr(model)


def test_same_seed_same_weights_and_different_seed_different_weights() -> None:
    a = MLP([3, 8, 1], rng=np.random.default_rng(42)).state_dict()
    b = MLP([3, 8, 1], rng=np.random.default_rng(42)).state_dict()
    c = MLP([3, 8, 1], rng=np.random.default_rng(43)).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], c["0.weight"])


@pytest.mark.parametrize(
    ("init", "bound", "std", "bias_bound"),
    [
        # torch's default: W, b ~ U(−1/√in, 1/√in), standard deviation bound / √3
        ("torch", 1 / math.sqrt(400), 1 / math.sqrt(400) / math.sqrt(3), 1 / math.sqrt(400)),
        # Glorot uniform: W ~ U(−a, a), a = √(6 / (in + out)), standard deviation √(2 / (in + out)); b = 0
        ("xavier", math.sqrt(6 / 700), math.sqrt(2 / 700), 0.0),
        # He normal: W ~ N(0, 2 / in), unbounded; b = 0
        ("he", None, math.sqrt(2 / 400), 0.0),
    ],
    ids=["torch", "xavier", "he"],
)
def test_initialisations_draw_from_their_distributions(
    init: str, bound: float | None, std: float, bias_bound: float
) -> None:
    """Linear(400, 300), seed 0: 120,000 weights, enough that the sample's extremes, mean and
    standard deviation are within 1 % of the distribution's (extremes of N uniform draws lie
    about 2/N of the range inside its ends; the sample's standard deviation is within ~0.2 %;
    its mean within ~0.3 % of a standard deviation of 0). So a bound too small or too large, a
    one-sided U(0, a), or a wrong variance each fail. The 300 biases of torch's scheme come
    from U(−1/√in, 1/√in) too: fewer draws, so looser."""
    layer = Linear(400, 300, init=init, rng=np.random.default_rng(0))  # type: ignore[arg-type]
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (300, 400) and b.shape == (300,)
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.01)
    if bound is not None:  # uniform on (−bound, bound): reaches both ends, never past them
        assert -bound <= w.min() <= -0.99 * bound
        assert 0.99 * bound <= w.max() <= bound
    else:  # normal: 68.27 % of draws within one standard deviation, 95.45 % within two
        assert np.mean(np.abs(w) < std) == pytest.approx(0.6827, abs=0.005)
        assert np.mean(np.abs(w) < 2 * std) == pytest.approx(0.9545, abs=0.005)
    if bias_bound == 0.0:
        assert not b.any()
    else:
        assert -bias_bound <= b.min() <= -0.95 * bias_bound
        assert 0.95 * bias_bound <= b.max() <= bias_bound
        assert b.std() == pytest.approx(bias_bound / math.sqrt(3), rel=0.1)


def test_state_dict_round_trip_keeps_optimizer_views() -> None:
    rng = np.random.default_rng(0)
    model = MLP([3, 4, 1], rng=rng)
    opt = optim.SGD(model.parameters(), lr=0.1)
    saved = model.state_dict()
    saved["0.bias"][:] = 7.0  # a copy: the model is not changed
    assert not np.any(model[0].bias.data == 7.0)
    model.load_state_dict(saved)
    np.testing.assert_array_equal(model[0].bias.data, 7.0)
    model[0].bias.grad[:] = 1.0
    opt.step()  # the optimizer still updates the loaded values in place
    np.testing.assert_allclose(model[0].bias.data, 6.9)


def test_train_eval_modes_reach_every_module() -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_astype_float32_trains_end_to_end() -> None:
    rng = np.random.default_rng(0)
    model = MLP([3, 8, 1], rng=rng).astype(np.float32)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss = MSELoss()
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    first = loss(model(x), y)
    for _ in range(50):
        opt.zero_grad()
        loss(model(x), y)
        model.backward(loss.backward())
        opt.step()
    assert loss(model(x), y) < first
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_gradients_accumulate_until_zero_grad() -> None:
    rng = np.random.default_rng(0)
    model = MLP([2, 3, 1], rng=rng)
    loss = LogisticLoss()
    x, y = rng.normal(size=(4, 2)), np.array([0.0, 1.0, 1.0, 0.0])
    loss(model(x), y)
    model.backward(loss.backward())
    once = [p.grad.copy() for p in model.parameters()]
    loss(model(x), y)
    model.backward(loss.backward())
    for grad, parameter in zip(once, model.parameters(), strict=True):
        np.testing.assert_allclose(parameter.grad, 2 * grad)
    model.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())


@pytest.mark.parametrize("zeroed_by", ["module", "optimizer"])
def test_a_gradient_written_after_zero_grad_equals_one_accumulated(zeroed_by: str) -> None:
    """After zero_grad, backward writes dL/dθ into grad instead of adding it: same numbers."""
    rng = np.random.default_rng(3)
    model = MLP([4, 5, 3, 1], rng=rng)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = MSELoss()
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 1))
    for parameter in model.parameters():
        parameter.grad += 1.0  # stale numbers, which zero_grad must clear
    (model if zeroed_by == "module" else opt).zero_grad()
    loss(model(x), y)
    model.backward(loss.backward())
    written = [p.grad.copy() for p in model.parameters()]
    for parameter in model.parameters():
        parameter.grad[...] = 0.0  # zeros the flag does not know about: backward adds
    loss(model(x), y)
    model.backward(loss.backward())
    for grad, parameter in zip(written, model.parameters(), strict=True):
        np.testing.assert_array_equal(parameter.grad, grad)


@pytest.mark.parametrize("zeroed_by", ["module", "optimizer"])
def test_a_parameter_no_backward_reached_steps_from_zero_not_its_old_gradient(zeroed_by: str) -> None:
    """zero_grad writes its zeros lazily; the optimizer must still see zeros, not the old numbers."""
    rng = np.random.default_rng(6)
    used, unused = Linear(3, 2, rng=rng), Linear(3, 2, rng=rng)
    opt = optim.SGD([*used.parameters(), *unused.parameters()], lr=0.5)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    for layer in (used, unused):
        layer.forward(x)
        layer.backward(g)  # both now hold a gradient
    (unused if zeroed_by == "module" else opt).zero_grad()
    if zeroed_by == "optimizer":
        used.forward(x)
        used.backward(g)  # written into the zeroed gradient
    before = {name: p.data.copy() for name, p in unused.named_parameters()}
    opt.step()
    for name, parameter in unused.named_parameters():
        np.testing.assert_array_equal(parameter.data, before[name])  # stepped by a zero gradient
        assert not parameter.grad.any()


def test_the_gradient_array_is_reused_so_a_kept_reference_shows_the_next_gradient() -> None:
    """As with PyTorch's zero_grad(set_to_none=False): copy a gradient to keep it."""
    rng = np.random.default_rng(8)
    layer = Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(g)
    kept, copied = layer.weight.grad, layer.weight.grad.copy()
    layer.zero_grad()
    layer.forward(2 * x)
    layer.backward(g)
    assert kept is layer.weight.grad
    np.testing.assert_allclose(kept, 2 * copied, rtol=1e-15)


def test_assigning_a_gradient_writes_it_where_the_optimizer_reads_it() -> None:
    layer = Linear(3, 2, rng=np.random.default_rng(9))
    opt = optim.SGD(layer.parameters(), lr=0.5)
    before = layer.weight.data.copy()
    layer.weight.grad = np.ones((2, 3))
    layer.bias.grad = [1.0, -1.0]
    opt.step()
    np.testing.assert_allclose(layer.weight.data, before - 0.5, rtol=1e-15)
    np.testing.assert_array_equal(layer.bias.grad, [1.0, -1.0])


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (np.ones(3), ValueError, r"Parameter.grad must have the parameter's shape \(2,\), got shape \(3,\)"),
        (np.ones((2, 1)), ValueError, r"shape \(2,\), got shape \(2, 1\)"),
        ("abc", TypeError, r"Parameter.grad must be an array of numbers"),
        # torch's way to clear a gradient; the message named an object array holding NoneType
        (None, TypeError, r"^Parameter.grad cannot be None: .* call zero_grad\(\)"),
    ],
)
def test_assigning_a_gradient_of_the_wrong_shape_or_kind_is_refused(
    value: object, error: type, match: str
) -> None:
    parameter = Parameter(np.zeros(2))
    with pytest.raises(error, match=match):
        parameter.grad = value  # type: ignore[assignment]
    np.testing.assert_array_equal(parameter.grad, np.zeros(2))


@pytest.mark.parametrize("replace", ["astype", "assign data", "second optimizer"])
def test_an_optimizer_refuses_to_step_a_parameter_whose_data_was_replaced(replace: str) -> None:
    """The optimizer updates its flat buffer: a parameter moved off it would silently never change."""
    model = MLP([3, 4, 1], rng=np.random.default_rng(10))
    opt = optim.Adam(model.parameters(), lr=0.1)
    if replace == "astype":
        model.astype(np.float32)  # new arrays
    elif replace == "assign data":
        model[0].weight.data = np.zeros((4, 3))
    else:
        optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(
        RuntimeError, match=r"Adam cannot step Parameter\(shape=\(4, 3\).*build the optimizer"
    ):
        opt.step()


def test_astype_to_the_dtype_a_model_has_keeps_its_arrays_and_optimizer() -> None:
    # it copied every array, so an optimizer built before refused to step, where torch's
    # .double() of a float64 model changes nothing
    model = MLP([3, 4, 1], rng=np.random.default_rng(10))
    opt = optim.SGD(model.parameters(), lr=0.1)
    weight = model[0].weight.data
    assert model.astype(np.float64) is model and model[0].weight.data is weight
    model[0].weight.grad = np.ones((4, 3))
    before = weight.copy()
    opt.step()
    np.testing.assert_allclose(model[0].weight.data, before - 0.1, rtol=1e-12)


def test_an_optimizer_built_after_astype_steps_the_converted_model() -> None:
    model = MLP([3, 4, 1], rng=np.random.default_rng(11)).astype(np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model[0].weight.data.copy()
    model[0].weight.grad = np.ones((4, 3))
    opt.step()
    assert model[0].weight.data.dtype == np.float32
    np.testing.assert_allclose(model[0].weight.data, before - np.float32(0.1), rtol=1e-6)


def test_astype_refuses_a_value_past_the_dtypes_range_and_changes_nothing() -> None:
    # a weight of 1e39 became inf in float32 with NumPy's RuntimeWarning only (torch's .float()
    # says nothing), and the layers converted before it stayed converted
    model = MLP([3, 4, 2], rng=np.random.default_rng(12))
    model[2].weight.data[1, 2] = -1e39
    model[2].bias.data[0] = np.nan  # NaN is not outside the range: converted as it is
    with pytest.raises(
        ValueError,
        match=r"^MLP\.astype\(float32\): parameter '2\.weight' holds -1e\+39 at index \(1, 2\), "
        r"outside the range of float32 \(largest 3\.4e\+38\)$",
    ):
        model.astype(np.float32)
    assert all(p.data.dtype == np.float64 for p in model.parameters())
    model[2].weight.data[1, 2] = 3.4e38
    assert np.isnan(model.astype(np.float32)[2].bias.data[0])


def _float32_layer_and_input(name: str) -> tuple[Module, np.ndarray]:
    rng = np.random.default_rng(13)
    layer: Module = (
        Linear(3, 3, rng=rng)
        if name == "linear"
        else MLP([3, 4, 3], rng=rng)
        if name == "mlp"
        else ACTIVATIONS[name]()
    ).astype(np.float32)
    return layer, rng.normal(size=(5, 3)).astype(np.float32)


@pytest.mark.parametrize("name", ["linear", "mlp", *ACTIVATIONS])
def test_a_float64_dl_dy_of_a_float32_layer_gives_a_float32_dl_dx(name: str) -> None:
    # dL/dX came back float64 (NumPy's promotion in G W or G ⊙ f′), and so did every dL/dX before
    # it; torch casts a gradient to its tensor's dtype, and so does glassnet now, first
    layer, x = _float32_layer_and_input(name)
    grad = np.random.default_rng(14).normal(size=(5, 3))
    layer(x)
    expected = layer.backward(grad.astype(np.float32))
    layer(x)
    got = layer.backward(grad)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_an_activation_of_an_integer_input_takes_a_float_dl_dy_as_it_is(name: str) -> None:
    # the cast to the input's dtype made dL/dy int64 there: 0.5 became 0, every gradient 0 (a
    # review of c0f0098); an integer input's gradient stays the float it is, as before
    z = np.array([[1, 2], [0, -1]])
    layer = ACTIVATIONS[name]()
    layer.forward(z)
    got = layer.backward(np.full((2, 2), 0.5))
    layer.forward(z.astype(np.float64))
    np.testing.assert_array_equal(got, layer.backward(np.full((2, 2), 0.5)))
    assert got.dtype == np.float64


def test_astype_leaves_a_pending_gradient_and_refuses_a_written_one_past_the_range() -> None:
    # the gradient zero_grad left pending (old numbers, 1e39) was cast too: NumPy's overflow
    # warning, and under warnings as errors a model half converted; a written one became inf
    model = MLP([3, 4, 2], rng=np.random.default_rng(15))
    model[2].weight.grad = np.full((2, 4), 1e39)
    model.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.astype(np.float32)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    np.testing.assert_array_equal(model[2].weight.grad, np.zeros((2, 4), np.float32))
    written = MLP([3, 4, 2], rng=np.random.default_rng(15))
    written[2].weight.grad = np.full((2, 4), 1e39)
    with pytest.raises(
        ValueError,
        match=r"^MLP\.astype\(float32\): parameter '2\.weight''s gradient \(zero_grad\(\) clears it\) holds 1e\+39",
    ):
        written.astype(np.float32)
    assert all(p.data.dtype == np.float64 for p in written.parameters())


def test_use_arrays_refuses_data_and_grad_of_different_shapes() -> None:
    with pytest.raises(ValueError, match=r"must share one shape, got \(2,\) and \(3,\)"):
        Parameter(np.zeros(2)).use_arrays(np.zeros(2), np.zeros(3))


def test_a_gradient_read_after_zero_grad_is_zero_though_the_zeros_are_written_lazily() -> None:
    layer = Linear(3, 2, rng=np.random.default_rng(7))
    layer.forward(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    layer.zero_grad()
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((2, 3)))
    np.testing.assert_array_equal(layer.bias.grad, np.zeros(2))


def test_linear_bias_gradient_follows_changes_of_batch_size_and_dtype() -> None:
    """Σₙ G uses a vector of ones kept between calls: it must follow N and the dtype."""
    rng = np.random.default_rng(8)
    layer = Linear(3, 2, rng=rng)
    for n, dtype in [(4, np.float64), (7, np.float64), (4, np.float64), (7, np.float32), (2, np.float64)]:
        layer.astype(dtype)
        g = rng.normal(size=(n, 2)).astype(dtype)
        layer.zero_grad()
        layer.forward(rng.normal(size=(n, 3)).astype(dtype))
        layer.backward(g)
        assert layer.bias.grad.dtype == dtype
        np.testing.assert_allclose(
            layer.bias.grad, g.sum(axis=0), rtol=1e-6 if dtype == np.float32 else 1e-14
        )


def test_linear_backward_params_adds_what_backward_adds_and_returns_nothing() -> None:
    """The parameters' half of backward: the same gradients to the bit, accumulated the same
    way, and no dL/dX."""
    rng = np.random.default_rng(9)
    x, g = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    full, half = Linear(3, 2, rng=np.random.default_rng(1)), Linear(3, 2, rng=np.random.default_rng(1))
    for layer in (full, half):
        layer.forward(x)
    for _ in range(2):  # written after zero_grad, then added to
        assert full.backward(g).shape == (6, 3)
        assert half.backward_params(g) is None
        for name in ("weight", "bias"):
            np.testing.assert_array_equal(getattr(half, name).grad, getattr(full, name).grad, err_msg=name)
    with pytest.raises(RuntimeError, match=r"Linear\.backward called before forward"):
        Linear(3, 2).backward_params(g)


@pytest.mark.parametrize("first", ["linear", "relu"])
def test_sequential_backward_params_adds_what_backward_adds(first: str) -> None:
    """Layer by layer as backward, the first layer stopping at its parameters (Linear) or
    running its backward (any other module): the same gradients to the bit."""
    rng = np.random.default_rng(10)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))

    def build() -> Sequential:
        layers = [
            Linear(3, 4, rng=np.random.default_rng(2)),
            ReLU(),
            Linear(4, 2, rng=np.random.default_rng(3)),
        ]
        return Sequential(*([ReLU()] if first == "relu" else []), *layers)

    full, half = build(), build()
    for model in (full, half):
        model.forward(x)
    full.backward(g)
    assert half.backward_params(g) is None
    for (name, a), (_, b) in zip(full.named_parameters(), half.named_parameters(), strict=True):
        np.testing.assert_array_equal(b.grad, a.grad, err_msg=name)
    Sequential().backward_params(g)  # no layers: nothing to do


def test_a_gradient_changed_after_zero_grad_is_added_to() -> None:
    """Whoever reads grad after zero_grad may write to it: backward then adds, as PyTorch."""
    rng = np.random.default_rng(4)
    layer = Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    layer.zero_grad()
    layer.weight.grad += 10.0  # e.g. a penalty's gradient, added before backward
    layer.forward(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 10.0 + g.T @ x, rtol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-14)


def test_a_gradient_of_another_dtype_or_layout_is_still_written() -> None:
    """np.dot's out= takes only a C-contiguous array of the product's dtype; others fall back."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    float32 = Parameter(np.zeros((3, 2), dtype=np.float32))
    float32.add_grad_product(a, b)  # float64 product into a float32 gradient
    np.testing.assert_allclose(float32.grad, a @ b, rtol=1e-6)
    strided = Parameter(np.zeros((2, 3)).T)  # F-contiguous data, so an F-contiguous gradient
    assert not strided.grad.flags.c_contiguous
    strided.zero_grad()
    strided.add_grad_product(a, b)
    np.testing.assert_allclose(strided.grad, a @ b, rtol=1e-15)


def test_optimizer_state_dict_round_trip_resumes_exactly() -> None:
    rng = np.random.default_rng(5)
    model = MLP([3, 6, 1], rng=rng)
    data = [(rng.normal(size=(8, 3)), rng.normal(size=(8, 1))) for _ in range(10)]
    loss = MSELoss()

    def run(model: MLP, opt: optim.Adam, batches: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for x, y in batches:
            opt.zero_grad()
            loss(model(x), y)
            model.backward(loss.backward())
            opt.step()

    straight = copy.deepcopy(model)
    run(straight, optim.Adam(straight.parameters(), lr=1e-2), data)

    first = copy.deepcopy(model)
    opt = optim.Adam(first.parameters(), lr=1e-2)
    run(first, opt, data[:4])
    weights, state = first.state_dict(), opt.state_dict()
    resumed = copy.deepcopy(model)
    resumed.load_state_dict(weights)
    new_opt = optim.Adam(resumed.parameters(), lr=1e-2)
    new_opt.load_state_dict(state)
    run(resumed, new_opt, data[4:])
    for key, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value)


def test_adam_refuses_a_state_with_both_forms_of_a_moment_and_keeps_its_own() -> None:
    model = MLP([3, 6, 1], rng=np.random.default_rng(0))
    opt = optim.Adam(model.parameters())
    model.zero_grad()
    loss = MSELoss()
    loss(model(np.ones((2, 3))), np.zeros(2))
    model.backward(loss.backward())
    opt.step()
    before = opt.state_dict()
    state = copy.deepcopy(before)
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg_scaled"] * 0.1
    with pytest.raises(ValueError, match=r"both 'exp_avg' and 'exp_avg_scaled'; expected one of them"):
        opt.load_state_dict(state)
    after = opt.state_dict()
    assert after["state"][0].keys() == before["state"][0].keys()
    assert all(np.array_equal(after["state"][0][k], v) for k, v in before["state"][0].items())


def test_optimizer_refuses_a_mismatched_state() -> None:
    model = MLP([3, 6, 1], rng=np.random.default_rng(0))
    state = optim.Adam(MLP([3, 5, 1], rng=np.random.default_rng(0)).parameters()).state_dict()
    del state["param_groups"][0]["param_shapes"]  # a state built by hand: its buffers' length is checked
    state["state"][0]["exp_avg"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"'exp_avg' of group 0 has shape \(3,\), expected \(31,\)"):
        optim.Adam(model.parameters()).load_state_dict(state)


@pytest.mark.parametrize(
    ("make", "saved_on", "loaded_on", "shapes"),
    [
        # as many values (15), other shapes: the moments would land on other weights
        (
            lambda p: optim.Adam(p, lr=0.1),
            Linear(4, 3),
            Linear(2, 5),
            r"\[\(3, 4\), \(3,\)\].*\[\(5, 2\), \(5,\)\]",
        ),
        # 4 parameters against 2, the same 13 values
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            MLP([2, 3, 1], rng=np.random.default_rng(0)),
            Linear(12, 1),
            r"\[\(3, 2\), \(3,\), \(1, 3\), \(1,\)\] in group 0; this optimizer's group 0 holds \[\(1, 12\), \(1,\)\]",
        ),
    ],
    ids=["adam same size", "sgd same size"],
)
def test_optimizer_refuses_the_state_of_parameters_of_other_shapes(
    make: Any, saved_on: Module, loaded_on: Module, shapes: str
) -> None:
    """A group's buffers are flat: a state of as many values from another model loaded onto the
    wrong weights before the state named its parameters' shapes (torch fails at the next step)."""
    saved = make(saved_on.parameters())
    for parameter in saved_on.parameters():
        parameter.grad = np.ones_like(parameter.data)
    saved.step()
    opt = make(loaded_on.parameters())
    with pytest.raises(ValueError, match=r"state_dict was saved for parameters of shapes " + shapes):
        opt.load_state_dict(saved.state_dict())
    assert opt.state == [{"step": 0}]  # refused, nothing loaded


@pytest.mark.parametrize(
    "shapes",
    [5, [[3, "x"], [3], [1, 3], [1]], [[3, 2.0], [3], [1, 3], [1]], [[3, True], [3], [1, 3], [1]], [[3, -2]]],
    ids=["not a list", "str size", "float size", "bool size", "negative size"],
)
def test_optimizer_refuses_param_shapes_that_are_not_shapes(shapes: Any) -> None:
    opt = optim.SGD(MLP([2, 3, 1], rng=np.random.default_rng(0)).parameters(), lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    saved["param_groups"][0]["param_shapes"] = shapes
    with pytest.raises(
        ValueError, match=r"^SGD state_dict: group 0's param_shapes must be a list of shapes \(lists"
    ):
        opt.load_state_dict(saved)


def test_optimizer_state_names_the_shapes_of_its_parameters_and_loads_them_back() -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    opt = optim.Adam(model.parameters())
    saved = opt.state_dict()
    assert saved["param_groups"][0]["param_shapes"] == [[3, 2], [3], [1, 3], [1]]
    saved["param_groups"][0]["param_shapes"] = [
        tuple(shape) for shape in saved["param_groups"][0]["param_shapes"]
    ]
    opt.load_state_dict(saved)  # tuples, as a pickle or a hand-made state may hold them
    assert "param_shapes" not in opt.param_groups[0]  # a record of the saved state, not a setting


def _stepped_adam_state() -> dict:
    model = MLP([3, 6, 1], rng=np.random.default_rng(0))
    opt = optim.Adam(model.parameters())
    MSELoss()(model(np.ones((2, 3))), np.zeros(2))
    model.backward(np.ones((2, 1)))
    opt.step()
    return opt.state_dict()


def _sgd_state() -> dict:
    model = MLP([3, 6, 1], rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model[0].weight.grad = np.ones((6, 3))
    opt.step()
    return opt.state_dict()


def _with(state: dict, **changes: object) -> dict:
    changed = copy.deepcopy(state)
    changed["state"][0].update(changes)
    return changed


@pytest.mark.parametrize(
    ("make_state", "match"),
    [
        (lambda: _sgd_state(), r"Adam has no setting\(s\) \['dampening', 'momentum', 'nesterov'\]"),
        (
            lambda: {**_stepped_adam_state(), "state": _sgd_state()["state"]},
            r"Adam state of group 0 has unknown key\(s\) \['momentum_buffer'\]; expected 'step' and \['exp_avg'",
        ),
        (lambda: _with(_stepped_adam_state(), step=None), r"step must be a non-negative integer, got None"),
        (lambda: _with(_stepped_adam_state(), step=float("nan")), r"non-negative integer, got nan"),
        (lambda: _with(_stepped_adam_state(), step=2.5), r"non-negative integer, got 2.5"),
        (lambda: _with(_stepped_adam_state(), step=-1), r"non-negative integer, got -1"),
        (
            lambda: _with(_stepped_adam_state(), exp_avg_sq=np.full(31, -1.0)),
            r"Adam state 'exp_avg_sq' of group 0 must be >= 0 \(a mean of squares\), got -1.0",
        ),
    ],
    ids=["sgd settings", "sgd buffers", "step None", "step nan", "step 2.5", "step -1", "negative squares"],
)
def test_adam_refuses_a_state_it_could_not_have_saved_and_keeps_its_own(
    make_state: object, match: str
) -> None:
    model = MLP([3, 6, 1], rng=np.random.default_rng(0))
    opt = optim.Adam(model.parameters())
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(make_state())  # type: ignore[operator]
    after = opt.state_dict()
    assert (
        after["param_groups"] == before["param_groups"]
        and after["state"][0].keys() == before["state"][0].keys()
    )


def test_parameter_groups_take_their_own_learning_rate() -> None:
    model = MLP([2, 2, 1], rng=np.random.default_rng(0))
    opt = optim.SGD([{"params": model[0].parameters(), "lr": 1.0}, {"params": model[2].parameters()}], lr=0.0)
    before = model.state_dict()
    for parameter in model.parameters():
        parameter.grad[...] = 1.0
    opt.step()
    after = model.state_dict()
    np.testing.assert_allclose(after["0.weight"], before["0.weight"] - 1.0)
    np.testing.assert_array_equal(after["2.weight"], before["2.weight"])


def test_a_parameter_group_may_hold_one_parameter_as_in_torch() -> None:
    weight, bias = Parameter(np.ones(2)), Parameter(np.ones(1))
    opt = optim.SGD([{"params": weight, "lr": 0.5}, {"params": [bias]}], lr=0.1)
    assert opt.param_groups[0]["params"] == [weight]
    weight.grad = np.ones(2)
    bias.grad = np.ones(1)
    opt.step()
    np.testing.assert_allclose(weight.data, 0.5)
    np.testing.assert_allclose(bias.data, 0.9)


def test_schedule_changes_the_optimizer_rate() -> None:
    opt = optim.SGD(MLP([1, 1], rng=np.random.default_rng(0)).parameters(), lr=1.0)
    schedule = optim.CosineLR(opt, t_max=4, warmup=2, warmup_start_factor=0.5)
    rates = []
    for _ in range(8):
        rates.append(schedule.get_last_lr()[0])
        schedule.step()
    np.testing.assert_allclose(
        rates, [0.5, 0.75, 1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0, 0], atol=1e-15
    )


def test_schedules_are_closed_form_so_they_do_not_chain_and_overwrite_a_hand_set_rate() -> None:
    """As the schedulers' docstrings say: unlike PyTorch's (whose StepLR then ExponentialLR
    multiply), the rate is lr_at(base_lr, t) of the scheduler stepped last."""
    opt = optim.SGD(MLP([1, 1], rng=np.random.default_rng(0)).parameters(), lr=1.0)
    step, exponential = optim.StepLR(opt, step_size=1, gamma=0.5), optim.ExponentialLR(opt, gamma=0.9)
    step.step()
    exponential.step()
    assert opt.param_groups[0]["lr"] == 0.9  # PyTorch: 0.5 * 0.9
    opt.param_groups[0]["lr"] = 0.01
    exponential.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.81)  # the hand-set 0.01 is gone
    exponential.base_lrs = [0.1]  # the way to change the rate for good
    exponential.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.9**3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_is_the_derivative_times_the_gradient_and_zero_at_zero(dtype: type) -> None:
    """backward multiplies by sign(y), y = max(z, 0): f′(z) of `derivative`, 0 at z = 0 and −0."""
    z = np.array([[-3.0, -0.0, 0.0, 1e-30, 2.5], [1e-45, -1e-45, 7.0, -7.0, 0.5]], dtype=dtype)
    g = np.arange(1.0, 11.0, dtype=dtype).reshape(2, 5)
    relu = ReLU()
    relu.forward(z)
    result = relu.backward(g)
    np.testing.assert_array_equal(result, g * relu.derivative(z))
    assert result.dtype == dtype
    np.testing.assert_array_equal(result[0, :3], 0.0)


@pytest.mark.parametrize("activation", ["tanh", Tanh, Tanh()])
def test_every_mlp_layer_gets_its_own_activation(activation: str | type[Activation] | Activation) -> None:
    """An instance is copied per layer: one shared instance would keep only the last layer's z,
    and backward would hand it to the first layer too."""
    model = MLP([2, 3, 3, 1], activation=activation, rng=np.random.default_rng(0))
    assert model[1] is not model[3]
    assert isinstance(model[1], Tanh) and isinstance(model[3], Tanh)
    twin = MLP([2, 3, 3, 1], activation="tanh", rng=np.random.default_rng(0))
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    for net in (model, twin):
        net.backward(np.ones_like(net(x)))
    for (name, p), (_, q) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)


@pytest.mark.parametrize(
    ("grad_shape", "rows"),
    [((32, 4), 16), ((16, 3), 16)],
    ids=["a stale forward", "the wrong width"],
)
def test_linear_backward_names_the_gradient_shape_it_expects(grad_shape: tuple[int, int], rows: int) -> None:
    layer = Linear(5, 4, rng=np.random.default_rng(0))
    layer.forward(np.ones((32, 5)))
    layer.forward(np.ones((rows, 5)))  # e.g. a validation batch between forward and backward
    match = (
        r"Linear\(in_features=5, out_features=4\)\.backward expects dL/dY of shape \(16, 4\) for the 16 rows "
        rf"of its last forward, got shape \({grad_shape[0]}, {grad_shape[1]}\)"
    )
    with pytest.raises(ValueError, match=match):
        layer.backward(np.ones(grad_shape))


@pytest.mark.parametrize(
    ("out_features", "grad_shape"),
    [(3, (5, 1)), (1, (5,))],
    ids=["(N, 1) for 3 outputs", "(N,) for 1 output"],
)
@pytest.mark.parametrize("call", ["backward", "backward_params"])
@pytest.mark.parametrize("accumulating", [False, True], ids=["after zero_grad", "accumulating"])
def test_linear_backward_refuses_a_gradient_that_would_broadcast(
    out_features: int, grad_shape: tuple[int, ...], call: str, accumulating: bool
) -> None:
    # Gᵀ X of an (N, 1) G is (1, in): written into (or added to) the (3, in) gradient, it was
    # broadcast to every row, silently (backward_params, which the training loop calls, returned)
    layer = Linear(2, out_features, rng=np.random.default_rng(0))
    layer.forward(np.ones((5, 2)))
    layer.zero_grad()
    if accumulating:  # a gradient read is added to from then on, not overwritten
        assert not layer.weight.grad.any() and not layer.bias.grad.any()
    match = rf"expects dL/dY of shape \(5, {out_features}\) .* got shape {re.escape(str(grad_shape))}"
    with pytest.raises(ValueError, match=match):
        getattr(layer, call)(np.ones(grad_shape))
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def test_add_grad_product_refuses_a_product_of_another_shape() -> None:
    parameter = Parameter(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"needs a·b of the gradient's shape \(3, 2\), got shape \(1, 2\)"):
        parameter.add_grad_product(np.ones((1, 4)), np.ones((4, 2)))


@pytest.mark.parametrize(
    ("data", "received"),
    [
        (np.array([1, 2]), "an array of dtype int64"),
        ([1.0, 2.0], "list"),
        (np.zeros(2, np.float16), "an array of dtype float16"),
    ],
    ids=["int", "list", "float16"],
)
def test_parameter_refuses_data_that_is_not_a_float_array(data: object, received: str) -> None:
    # an int array took every gradient truncated (0.4 -> 0); a list failed on .shape later
    with pytest.raises(
        TypeError, match=rf"Parameter data must be a float32 or float64 numpy array, got {received}"
    ):
        Parameter(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "activation", [ReLU(), Sigmoid(), Tanh(), Softplus(), LeakyReLU(), Identity()], ids=str
)
@pytest.mark.parametrize(
    ("width", "grad_shape"), [(3, (4, 1)), (1, (4,))], ids=["(N, 1) for 3 outputs", "(N,) for 1 output"]
)
def test_activation_backward_refuses_a_gradient_that_would_broadcast(
    activation: Activation, width: int, grad_shape: tuple[int, ...]
) -> None:
    # dL/dy ⊙ f′(z) broadcast an (N, 1) gradient over every output, or an (N,) one into (N, N)
    activation.forward(np.ones((4, width)))
    match = rf"{type(activation).__name__}\.backward expects dL/dy of shape \(4, {width}\), .* got shape {re.escape(str(grad_shape))}"
    with pytest.raises(ValueError, match=match):
        activation.backward(np.ones(grad_shape))


@pytest.mark.parametrize(
    "shape", [(4, 3), (4, 6), (5,), (1, 4, 5), ()], ids=["narrow", "wide", "1-D", "3-D", "0-D"]
)
def test_linear_forward_called_directly_refuses_an_input_that_is_not_n_by_in_features(
    shape: tuple[int, ...],
) -> None:
    # The width is found by the product failing (no shape test on the hot path): every
    # shape but (N, 5) must still be refused, and refused before the layer keeps x.
    layer = Linear(5, 2, rng=np.random.default_rng(0))
    expected = rf"Linear\(5, 2\) expects input of shape \(N, 5\), got shape {re.escape(str(shape))}$"
    with pytest.raises(ValueError, match=expected):
        layer.forward(np.ones(shape))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((4, 2)))


def test_a_relu_subclass_with_its_own_function_forwards_through_it() -> None:
    # forward goes through function: a subclass's own function is used (an inlined max(x, 0),
    # tried for speed, gave a clipped ReLU unclipped); and backward through its derivative,
    # not ReLU's sign(y) shortcut, which is f′ of max(z, 0) only
    class ClippedReLU(ReLU):
        def function(self, z: np.ndarray) -> np.ndarray:
            return np.minimum(np.maximum(z, 0.0), 6.0)

        def derivative(self, z: np.ndarray) -> np.ndarray:
            return ((z > 0) & (z < 6)).astype(z.dtype)

    layer = ClippedReLU()
    x = np.array([[-1.0, 3.0, 10.0]])
    np.testing.assert_array_equal(layer.forward(x), [[0.0, 3.0, 6.0]])
    np.testing.assert_array_equal(layer(x), [[0.0, 3.0, 6.0]])
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 1.0, 0.0]])  # sign(6) would say 1
    model = Sequential(
        Linear(3, 2, rng=np.random.default_rng(0)), ClippedReLU(), Linear(2, 1, rng=np.random.default_rng(1))
    )
    report = gradcheck(model, MSELoss(), np.array([[1.0, -2.0, 30.0], [0.5, 0.1, -0.3]]), np.zeros((2, 1)))
    assert report.ok, report
    plain = ReLU()
    np.testing.assert_array_equal(plain.forward(x), [[0.0, 3.0, 10.0]])
    np.testing.assert_array_equal(plain.backward(np.ones((1, 3))), [[0.0, 1.0, 1.0]])


def test_optimizer_zero_grad_calls_a_parameter_subclass_zero_grad() -> None:
    calls: list[str] = []

    class CountingParameter(Parameter):
        def zero_grad(self) -> None:
            calls.append("zero_grad")
            super().zero_grad()

    parameter = CountingParameter(np.ones(3))
    parameter.grad = np.full(3, 2.0)
    optimizer = optim.SGD([parameter], lr=0.5)
    optimizer.zero_grad()
    assert calls == ["zero_grad"]  # as Module.zero_grad calls it
    optimizer.step()
    np.testing.assert_array_equal(parameter.data, np.ones(3))
    np.testing.assert_array_equal(parameter.grad, np.zeros(3))


@pytest.mark.parametrize("mode", ["eval", 0, None], ids=["str", "int", "None"])
def test_train_refuses_a_mode_that_is_not_a_bool(mode: object) -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    with pytest.raises(
        TypeError, match=rf"MLP.train mode must be True or False, got {re.escape(repr(mode))}$"
    ):
        model.train(mode)  # type: ignore[arg-type]
    assert model.training is True and all(module.training is True for module in model.modules())
    assert model.train(np.bool_(False)).training is False  # type: ignore[arg-type]


def test_load_state_dict_refuses_what_is_not_a_mapping() -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"MLP.load_state_dict expects a mapping .*, got ndarray$"):
        model.load_state_dict(np.ones(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got list$"):
        model.load_state_dict(list(model.state_dict().items()))  # type: ignore[arg-type]


def test_load_state_dict_returns_the_keys_it_left_aside_as_torch() -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    state = model.state_dict()
    assert model.load_state_dict(state) == ([], [])
    partial = {"0.weight": np.zeros((3, 2)), "extra": np.ones(1)}
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].weight.data, np.zeros((3, 2)))


def test_load_state_dict_lists_the_keys_left_aside_in_torchs_order(torch: Any) -> None:
    """The missing names in the model's order, as PyTorch lists them, and unexpected names of
    the model's root in the state's, as PyTorch's: glassnet sorted them, so '10.weight' came
    before '2.weight'."""
    sizes = [2, *[3] * 6, 1]  # 13 modules: layer indices 0 to 12
    model = MLP(sizes, rng=np.random.default_rng(0))
    module = to_torch(model)
    partial = {"z": np.ones(1), "4.bias": np.zeros(3), "a": np.ones(1)}
    ours = model.load_state_dict(partial, strict=False)
    theirs = module.load_state_dict({k: torch.as_tensor(v) for k, v in partial.items()}, strict=False)
    assert (ours.missing_keys, ours.unexpected_keys) == (theirs.missing_keys, theirs.unexpected_keys)
    assert ours.missing_keys[-4:] == ["10.weight", "10.bias", "12.weight", "12.bias"]


def test_load_state_dict_names_unexpected_keys_of_mixed_types() -> None:
    # sorting an int and a str key raised TypeError ('<' not supported) instead of the message
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    state: dict[object, np.ndarray] = dict(model.state_dict())
    state.update({1: np.ones(1), "extra": np.ones(1)})
    with pytest.raises(ValueError, match=r"unexpected keys \['1', 'extra'\]"):
        model.load_state_dict(state)  # type: ignore[arg-type]


def test_a_number_as_dl_dy_is_refused_before_any_gradient_is_written() -> None:
    """The loss's value given for loss.backward(): Gᵀ X of a 0-d G has the weight's shape when
    the batch has as many rows as outputs, so dL/dW was written, then len() failed."""
    rng = np.random.default_rng(0)
    model = MLP([2, 4, 3], rng=rng)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 3))
    model.zero_grad()
    value = MSELoss()(model(x), y)
    with pytest.raises(ValueError, match=r"expects dL/dY of shape \(3, 3\) for the 3 rows .* got shape \(\)"):
        model.backward(value)
    assert not model[2].weight.grad.any() and not model[2].bias.grad.any()


def test_a_float16_dl_dy_is_summed_in_the_layers_dtype() -> None:
    """Σₙ G was summed in float16 and overflowed: 4096 rows of 20 gave inf (torch: 81920)."""
    layer = Linear(2, 1, rng=np.random.default_rng(0))
    layer(np.random.default_rng(1).normal(size=(4096, 2)))
    layer.zero_grad()
    layer.backward(np.full((4096, 1), 20.0, dtype=np.float16))
    np.testing.assert_array_equal(layer.bias.grad, [81920.0])
