"""to_torch / from_torch as a PyTorch user calls them: torch.device objects, parametrized layers,
a seeded torch generator left alone; Linear sizes that do not chain, global forward hooks, torch's
own dtypes, a dict for an MLPSpec and GPU numbers with a leading zero, refused or taken clearly."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from glassnet.nn import MLP, Linear, ReLU, Sequential, Tanh
from glassnet.spec import MLPSpec
from glassnet.torch_bridge import build_torch_mlp, from_torch, resolve_device, to_torch, torch_dtype
from glassnet.train import TrainConfig


@pytest.mark.parametrize("device", ["cpu", ("cpu",), ("cpu", 0)], ids=["str", "device", "device-index"])
def test_to_torch_takes_a_torch_device(device: Any, torch: Any, rng: np.random.Generator) -> None:
    """PyTorch users pass torch.device objects wherever a device goes."""
    target = device if isinstance(device, str) else torch.device(*device)
    model = MLP([3, 4, 1], activation="tanh", rng=rng)
    module = to_torch(model, device=target)
    assert all(parameter.device == torch.device("cpu") for parameter in module.parameters())
    x = rng.normal(size=(5, 3))
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, model(x), rtol=1e-12, atol=1e-12)
    assert resolve_device(target) == torch.device("cpu")
    spec = MLPSpec(sizes=(3, 4, 1))
    assert next(build_torch_mlp(spec, device=target, rng=rng).parameters()).device.type == "cpu"


@pytest.mark.parametrize("device", ["meta", "mps"])
def test_a_torch_device_of_another_kind_is_refused_by_name(device: str, torch: Any) -> None:
    with pytest.raises(
        ValueError, match=rf"device must be 'cpu' or 'cuda' \(or 'cuda:N'\), got device\(type='{device}'\)"
    ):
        to_torch(MLP([2, 1], rng=np.random.default_rng(0)), device=torch.device(device))


def test_a_torch_cuda_device_without_cuda_is_the_same_clear_error(torch: Any) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(
        ValueError, match=r"device 'cuda:0' requested but no CUDA GPU is available.*--device cpu"
    ):
        to_torch(MLP([2, 1], rng=np.random.default_rng(0)), device=torch.device("cuda", 0))


def test_a_torch_cuda_device_beyond_the_gpus_is_the_same_clear_error(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ValueError, match=r"device 'cuda:2' requested but this machine has 2 CUDA GPUs"):
        resolve_device(torch.device("cuda", 2))
    assert resolve_device(torch.device("cuda", 1)) == torch.device("cuda:1")
    assert resolve_device(torch.device("cuda")) == torch.device("cuda")


def _doubled(torch: Any) -> Any:
    """A parametrization: the layer's weight (or bias) is twice the stored one."""

    class Doubled(torch.nn.Module):  # type: ignore[misc]
        def forward(self, value: Any) -> Any:
            return 2 * value

    return Doubled()


@pytest.mark.parametrize("name", ["weight", "bias"])
def test_from_torch_takes_parametrized_linear_layers(name: str, torch: Any) -> None:
    """A parametrized weight is a new tensor at each read: its id, freed, may come back as another
    layer's, which from_torch took for one parameter shared by two layers."""
    parametrize = torch.nn.utils.parametrize
    layers: list[Any] = []
    for _ in range(10):
        linear = torch.nn.Linear(3, 3, dtype=torch.float64)
        parametrize.register_parametrization(linear, name, _doubled(torch))
        layers += [linear, torch.nn.Tanh()]
    module = torch.nn.Sequential(*layers)
    x = np.random.default_rng(0).normal(size=(4, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    model = from_torch(module)
    np.testing.assert_allclose(model(x), expected, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        np.testing.assert_array_equal(model[0].weight.data, module[0].weight.numpy())


def test_from_torch_takes_the_new_weight_norm(torch: Any) -> None:
    weight_norm = torch.nn.utils.parametrizations.weight_norm
    nn = torch.nn
    module = nn.Sequential(
        weight_norm(nn.Linear(3, 4)),
        nn.ReLU(),
        weight_norm(nn.Linear(4, 4)),
        nn.ReLU(),
        weight_norm(nn.Linear(4, 1)),
    ).double()
    x = np.random.default_rng(1).normal(size=(6, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(from_torch(module)(x), expected, rtol=1e-12, atol=1e-12)


def test_from_torch_still_refuses_a_parametrized_weight_shared_by_two_layers(torch: Any) -> None:
    parametrize = torch.nn.utils.parametrize
    first, second = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    parametrize.register_parametrization(first, "weight", _doubled(torch))
    parametrize.register_parametrization(second, "weight", _doubled(torch))
    second.parametrizations.weight.original = first.parametrizations.weight.original  # tied
    with pytest.raises(ValueError, match=r"Linear layers at positions 0 and 2 share parameters"):
        from_torch(torch.nn.Sequential(first, torch.nn.Tanh(), second))


def test_to_torch_leaves_torchs_global_generator_alone(torch: Any) -> None:
    """The weights are copied in: drawing throw-away ones would move a stream the caller seeded."""
    model = MLP([3, 8, 8, 1], rng=np.random.default_rng(0))
    torch.manual_seed(0)
    expected = torch.rand(4)
    torch.manual_seed(0)
    to_torch(model)
    build_torch_mlp(MLPSpec(sizes=(3, 5, 1)), rng=np.random.default_rng(0))
    torch.testing.assert_close(torch.rand(4), expected, rtol=0, atol=0)


# -- Linear sizes that do not chain, both ways -------------------------------------------------


def test_from_torch_refuses_linear_sizes_that_do_not_chain(torch: Any) -> None:
    """Taken, the model failed at its first forward pass ("Linear(5, 2) expects input of shape
    (N, 5), got shape (2, 4)"), and to_torch passed it on."""
    nn = torch.nn
    with pytest.raises(
        ValueError,
        match=r"^from_torch: the layer sizes do not chain: Linear\(5, 2\) at position 2 takes 5 inputs, "
        r"but Linear\(3, 4\) at position 0 gives 4$",
    ):
        from_torch(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(5, 2))))
    # chaining ones, activations between them or not, still convert
    assert len(from_torch(nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1), nn.ReLU())).layers) == 3


def test_to_torch_refuses_linear_sizes_that_do_not_chain(torch: Any) -> None:
    layers = (Linear(3, 4, rng=np.random.default_rng(0)), Tanh(), Linear(5, 1, rng=np.random.default_rng(1)))
    with pytest.raises(
        ValueError,
        match=r"^to_torch: the layer sizes do not chain: Linear\(5, 1\) at position 2 takes 5 inputs, "
        r"but Linear\(3, 4\) at position 0 gives 4$",
    ):
        to_torch(Sequential(*layers))
    with pytest.raises(ValueError, match=r"Linear\(1, 2\) at position 1 takes 1 input, but Linear\(3, 4\)"):
        to_torch(
            Sequential(Linear(3, 4, rng=np.random.default_rng(0)), Linear(1, 2, rng=np.random.default_rng(0)))
        )


# -- global forward hooks ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["forward", "forward_pre"])
def test_from_torch_refuses_while_global_forward_hooks_are_registered(kind: str, torch: Any) -> None:
    """A global hook runs on every module's forward: this one doubles every Linear's output (or
    input), and from_torch copied the layers as if it did not, into a model computing half."""
    registry = torch.nn.modules.module
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()).double()

    def doubled(layer: Any, *values: Any) -> Any:
        if not isinstance(layer, torch.nn.Linear):
            return None
        return tuple(2 * v for v in values[0]) if kind == "forward_pre" else 2 * values[1]

    handle = getattr(registry, f"register_module_{kind}_hook")(doubled)
    try:
        with pytest.raises(
            ValueError,
            match=rf"^from_torch cannot convert while global module hooks are registered \(1 by "
            rf"torch\.nn\.modules\.module\.register_module_{kind}_hook\): .*remove them first \(handle\.remove\(\)",
        ):
            from_torch(module)
    finally:
        handle.remove()
    x = np.ones((1, 2))
    with torch.no_grad():  # removed, the module computes what its layers do, and converts
        np.testing.assert_allclose(from_torch(module)(x), module(torch.from_numpy(x)).numpy(), rtol=1e-12)


def test_from_torch_reads_torchs_private_hook_registries_defensively(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They are private: a torch without them (renamed, or gone) has no global hooks to refuse."""
    for name in ("_global_forward_hooks", "_global_forward_pre_hooks"):
        monkeypatch.delattr(torch.nn.modules.module, name)
    assert len(from_torch(torch.nn.Linear(2, 1)).layers) == 1


# -- torch_dtype, build_torch_mlp, devices ------------------------------------------------------


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_torch_dtype_takes_torchs_own_float_dtypes(name: str, torch: Any) -> None:
    """NumPy failed on them: "Cannot interpret 'torch.float32' as a data type"."""
    dtype = getattr(torch, name)
    assert torch_dtype(dtype) is dtype
    assert torch_dtype(name) is dtype and torch_dtype(np.dtype(name)) is dtype


@pytest.mark.parametrize(
    ("dtype", "match"),
    [
        ("float16", r"^dtype must be float32 or float64, got float16$"),
        ("bogus", r"^dtype must be float32 or float64, got 'bogus'$"),
        ("torch.float16", r"^dtype must be float32 or float64, got torch\.float16$"),
        ("torch.int64", r"^dtype must be float32 or float64, got torch\.int64$"),
    ],
)
def test_torch_dtype_refuses_other_dtypes_naming_the_two_it_takes(dtype: str, match: str, torch: Any) -> None:
    given = getattr(torch, dtype.split(".")[1]) if dtype.startswith("torch.") else dtype
    with pytest.raises(TypeError, match=match):
        torch_dtype(given)


def test_build_torch_mlp_refuses_a_dict_naming_mlpspec(torch: Any) -> None:
    """It failed deep inside with AttributeError "'dict' object has no attribute 'sizes'"."""
    data = MLPSpec(sizes=(3, 4, 1)).to_dict()
    with pytest.raises(
        TypeError,
        match=r"^build_torch_mlp takes an MLPSpec, got dict; for a dict such as MLPSpec\.to_dict\(\) gives, "
        r"pass MLPSpec\.from_dict\(it\)$",
    ):
        build_torch_mlp(data)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^build_torch_mlp takes an MLPSpec, got tuple$"):
        build_torch_mlp((3, 4, 1))  # type: ignore[arg-type]
    assert len(build_torch_mlp(MLPSpec.from_dict(data), rng=np.random.default_rng(0))) == 3


@pytest.mark.parametrize(
    ("device", "written"), [("cuda:01", "cuda:1"), ("cuda:00", "cuda:0"), ("cuda:010", "cuda:10")]
)
def test_a_gpu_number_with_a_leading_zero_is_refused_saying_how_to_write_it(
    device: str, written: str, torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configuration and resolve_device took "cuda:01", which torch.device refuses as an
    "Invalid device string" (a RuntimeError, not glassnet's ValueError)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a machine of 11 GPUs, as far as asked
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 11)
    match = rf"^device must be 'cpu' or 'cuda' \(or 'cuda:N'\), got '{device}': write the GPU number without leading zeros, '{written}'$"
    with pytest.raises(ValueError, match=match):
        resolve_device(device)
    with pytest.raises(ValueError, match=match):
        TrainConfig(engine="torch", device=device)
    assert resolve_device(written) == torch.device(written)
    assert TrainConfig(engine="torch", device=written).device == written


# --- found by a review of the torch side (2026-11-28) --------------------------------------------

SIMPLE_ACTIVATIONS = ["Identity", "ReLU", "Sigmoid", "Tanh"]


@pytest.mark.parametrize("name", SIMPLE_ACTIVATIONS)
def test_a_plain_subclass_of_a_simple_activation_converts_as_its_base(name: str, torch: Any) -> None:
    """It was refused 'with a forward or __call__ of its own', which it has not (subclasses of
    Linear, LeakyReLU and Softplus that keep torch's forward were taken)."""
    base = getattr(torch.nn, name)
    subclass = type(f"My{name}", (base,), {})
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 3).double(), subclass(), torch.nn.Linear(3, 1).double())
    converted = from_torch(module)
    assert type(converted[1]).__name__ == name
    x = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_allclose(converted(x), module(torch.from_numpy(x)).detach().numpy(), rtol=1e-15, atol=0)

    class OwnForward(base):  # type: ignore[misc, valid-type]
        def forward(self, z: Any) -> Any:
            return 2 * z

    with pytest.raises(
        ValueError, match=r"cannot convert OwnForward at position 1 \(a forward or __call__ of its own\)"
    ):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), OwnForward()))


def test_weights_tied_through_their_memory_are_refused(torch: Any) -> None:
    """Two Parameters on one storage (Parameter(l1.weight.data)) stay one in torch's training and
    were converted to copies that trained apart; only the same Parameter twice was refused."""
    first, second = torch.nn.Linear(3, 3).double(), torch.nn.Linear(3, 3).double()
    second.weight = torch.nn.Parameter(first.weight.data)
    with pytest.raises(ValueError, match=r"the Linear layers at positions 0 and 2 share parameters"):
        from_torch(torch.nn.Sequential(first, torch.nn.Tanh(), second))
    # slices of one buffer that do not overlap are separate weights: converted
    buffer = torch.arange(24, dtype=torch.float64)
    first.weight, second.weight = (torch.nn.Parameter(buffer[i : i + 9].view(3, 3)) for i in (0, 9))
    first.bias, second.bias = (torch.nn.Parameter(buffer[i : i + 3]) for i in (18, 21))
    converted = from_torch(torch.nn.Sequential(first, torch.nn.Tanh(), second))
    np.testing.assert_array_equal(converted.state_dict()["2.weight"], np.arange(9, 18.0).reshape(3, 3))


@pytest.mark.parametrize("layout", ["columns", "interleaved rows", "expanded biases"])
def test_views_of_one_buffer_that_share_no_element_convert(layout: str, torch: Any) -> None:
    """Columns 0-2 and 3-5 of one buffer span the same bytes and share none: refused as tied at
    first (their spans were compared, not their elements)."""
    first, second = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    if layout == "columns":
        buffer = torch.randn(3, 6)
        first.weight, second.weight = torch.nn.Parameter(buffer[:, :3]), torch.nn.Parameter(buffer[:, 3:])
    elif layout == "interleaved rows":
        buffer = torch.randn(6, 3)
        first.weight, second.weight = torch.nn.Parameter(buffer[0::2]), torch.nn.Parameter(buffer[1::2])
    else:
        buffer = torch.randn(2)
        first.bias, second.bias = (torch.nn.Parameter(buffer[i : i + 1].expand(3)) for i in (0, 1))
    module = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    converted = from_torch(module)
    np.testing.assert_array_equal(converted.state_dict()["2.weight"], second.weight.detach().numpy())
    np.testing.assert_array_equal(converted.state_dict()["0.bias"], first.bias.detach().numpy())
    if layout != "expanded biases":  # one column, or the same rows, in common: tied
        second.weight = torch.nn.Parameter(buffer[:, 2:5] if layout == "columns" else first.weight.data)
        with pytest.raises(ValueError, match="share parameters"):
            from_torch(torch.nn.Sequential(first, torch.nn.ReLU(), second))


# --- found by a review of the bridge and the spec (2026-11-28, a later session) ---------------------


def _patched(model: Any, position: int, method: str = "forward") -> Any:
    """``model`` with ``method`` of its layer at ``position`` set on the object, as a wrapper's
    hook sets it: the forward computes ten times the class's."""
    layer = model[position]
    original = getattr(layer, method)
    setattr(layer, method, lambda x: 10 * original(x))
    return model


@pytest.mark.parametrize("method", ["forward", "backward", "backward_params"])
def test_every_reader_of_the_layers_refuses_a_method_set_on_a_layer(method: str, torch: Any) -> None:
    """spec_of described such a model as a plain MLP (a model rebuilt from it computed another
    function), explain failed with 'Linear.backward called before forward', and to_torch alone
    refused it: flatten_modules, which all of them read the layers through, now refuses it."""
    from glassnet.explain import explain
    from glassnet.losses import MSELoss
    from glassnet.spec import spec_of
    from glassnet.train._fused import FusedPass

    match = rf"^Linear at position 0 has a {method} set on the object: a list of layers"
    readers = [
        spec_of,
        to_torch,
        lambda m: explain(m, x=[1.0, 2.0], y=[1.0]),
        lambda m: FusedPass(m, MSELoss()),
    ]
    for read in readers:
        model = _patched(MLP([2, 3, 1], rng=np.random.default_rng(0)), 0, method)
        with pytest.raises(ValueError, match=match):
            read(model)


def test_a_method_set_back_to_the_class_own_is_read_as_the_class() -> None:
    from glassnet.spec import spec_of

    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    model[0].forward = model[0].forward  # bound to the layer: its class's own
    assert spec_of(model).sizes == (2, 3, 1)


def test_the_torch_engine_halves_before_the_square_as_the_numpy_engine(torch: Any) -> None:
    """½ (r²) overflowed float32 at r = 2e19 in the torch engine (and in explain's PyTorch check)
    where glassnet's (½ r) r is 2e38: the engines' losses differed, inf against finite."""
    import warnings

    from glassnet._torch_losses import glassnet_half_squared_error
    from glassnet.losses import HalfSquaredError
    from glassnet.train._engines import NumpyEngine, TorchEngine

    spec = MLPSpec((1, 1), dtype="float32")
    config = TrainConfig(
        engine="torch", loss="half_sse", hidden=(), epochs=1, batch_size=1, dtype="float32",
        optimizer="sgd", lr=1e-30, momentum=0.0, weight_decay=0.0, fourier_features=0,
    )  # fmt: skip
    weights = {"0.weight": np.zeros((1, 1), np.float32), "0.bias": np.zeros(1, np.float32)}
    x, y = np.zeros((1, 1), np.float32), np.full((1, 1), 2e19, np.float32)
    sums = []
    for engine_class in (NumpyEngine, TorchEngine):
        engine = engine_class(spec, weights, config, x, y)
        engine.begin_epoch(np.arange(1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            engine.train_batch(0, 1)
        sums.append(engine.epoch_sums()[0])
    assert np.isfinite(sums[0])
    assert sums[1] == sums[0]
    p, t = torch.zeros(1, dtype=torch.float32), torch.full((1,), 2e19, dtype=torch.float32)
    expected = HalfSquaredError(reduction="mean")(np.zeros(1, np.float32), np.full(1, 2e19, np.float32))
    assert float(glassnet_half_squared_error(p, t, "mean")) == pytest.approx(expected, rel=1e-6)


def test_hidden_leaky_relus_of_two_slopes_are_named_as_such() -> None:
    """'an MLPSpec has one hidden activation, got ['leaky_relu', 'leaky_relu']' contradicted itself."""
    from glassnet.nn import LeakyReLU
    from glassnet.spec import spec_of

    rng = np.random.default_rng(0)
    model = Sequential(
        Linear(2, 3, rng=rng), LeakyReLU(0.1), Linear(3, 3, rng=rng), LeakyReLU(0.2), Linear(3, 1, rng=rng)
    )
    with pytest.raises(
        ValueError, match=r"^the hidden LeakyReLU slopes differ, \[0\.1, 0\.2\]; an MLPSpec holds one slope$"
    ):
        spec_of(model)
    model = Sequential(
        Linear(2, 3, rng=rng), LeakyReLU(0.1), Linear(3, 3, rng=rng), Tanh(), Linear(3, 1, rng=rng)
    )
    with pytest.raises(
        ValueError, match=r"^an MLPSpec has one hidden activation, got \['leaky_relu', 'tanh'\]$"
    ):
        spec_of(model)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: MLPSpec.from_dict({"sizes": [1, 2], 1: 2, "x": 3}), ValueError, r"unknown keys \[1, 'x'\]"),
        (
            lambda: MLPSpec((2, 1), negative_slope=10**400),
            ValueError,
            r"^negative_slope must be a finite number, got ",
        ),
    ],
    ids=["keys-of-mixed-types", "slope-past-float"],
)
def test_spec_refusals_name_the_setting(make: Any, error: type, match: str) -> None:
    """A TypeError from sorting keys of mixed types, and an OverflowError naming nothing."""
    with pytest.raises(error, match=match):
        make()


def test_a_module_of_the_other_library_is_named_with_its_module(torch: Any) -> None:
    """'to_torch takes a glassnet Module (an MLP or a Sequential), got Sequential' named the type
    it asks for; from_torch of a glassnet Sequential the same."""
    with pytest.raises(
        TypeError, match=r"got torch\.nn\.modules\.container\.Sequential; for a torch module use from_torch$"
    ):
        to_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)))
    with pytest.raises(
        TypeError, match=r"got glassnet\.nn\._module\.Sequential; for a glassnet module use to_torch$"
    ):
        from_torch(Sequential(Linear(2, 1, rng=np.random.default_rng(0))))


def test_an_activation_subclass_is_refused_with_its_position(torch: Any) -> None:
    """'no PyTorch counterpart for activation MyReLU' named neither to_torch nor the position."""
    from glassnet.nn import ReLU

    class MyReLU(ReLU):
        pass

    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"^to_torch cannot convert MyReLU at position 1; it converts Linear, "
    ):
        to_torch(Sequential(Linear(2, 3, rng=rng), MyReLU(), Linear(3, 1, rng=rng)))


def test_read_only_weights_convert_without_torch_warning(torch: Any) -> None:
    import warnings

    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    for parameter in model.parameters():
        parameter.data.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = to_torch(model)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), model[0].weight.data)


# -- found by a review of the bridge (2026-11-28) ------------------------------------------------


@pytest.mark.parametrize(("name", "shape"), [("weight", (4, 1)), ("weight", (1, 3)), ("bias", (1,))])
def test_to_torch_refuses_a_weight_set_to_another_shape(
    name: str, shape: tuple[int, ...], torch: Any
) -> None:
    """A Parameter takes data of any shape: torch's copy_ broadcast a (4, 1) weight into the
    Linear(3, 4) of the stored sizes, a model of 3 inputs where glassnet's takes 1."""
    layer = Linear(3, 4, rng=np.random.default_rng(0))
    getattr(layer, name).data = np.ones(shape)
    expected = (4, 3) if name == "weight" else (4,)
    with pytest.raises(
        ValueError,
        match=rf"^to_torch: the {name} of the Linear\(3, 4\) at position 0 has shape {re.escape(str(shape))}, "
        rf"expected {re.escape(str(expected))}$",
    ):
        to_torch(Sequential(layer))


@pytest.mark.parametrize("kind", ["module", "module_pre", "tensor", "global"])
def test_from_torch_refuses_hooks_that_change_the_gradients(
    kind: str, torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backward hook (the module's, a global one, or a tensor hook on a weight) changes the
    gradients torch computes, and the copy trained with the layer's own: 0.152 against 0 here."""
    # a global full hook sets torch's flag for good (the older kind is refused after it): put back after
    monkeypatch.setattr(torch.nn.modules.module, "_global_is_full_backward_hook", None)
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)).double()
    zeroed = lambda *args: tuple(None if g is None else 0 * g for g in args[-1])  # noqa: E731
    if kind == "module":
        handle = module[0].register_full_backward_hook(lambda m, gi, go: zeroed(gi))
    elif kind == "module_pre":
        handle = module[2].register_full_backward_pre_hook(lambda m, go: zeroed(go))
    elif kind == "tensor":
        handle = module[2].weight.register_hook(lambda g: g.clamp(-1e-3, 1e-3))
    else:
        handle = torch.nn.modules.module.register_module_full_backward_hook(lambda m, gi, go: None)
    match = {
        "module": r"^from_torch cannot convert Linear at position 0 \(it has backward hooks",
        "module_pre": r"^from_torch cannot convert Linear at position 2 \(it has backward hooks",
        "tensor": r"^from_torch: the Linear at position 2 has gradient hooks on weight \(Tensor\.register_hook\)",
        "global": r"^from_torch cannot convert while global module hooks are registered \(1 by "
        r"torch\.nn\.modules\.module\.register_module_full_backward_hook\)",
    }[kind]
    try:
        with pytest.raises(ValueError, match=match):
            from_torch(module)
    finally:
        handle.remove()
    assert len(from_torch(module).layers) == 3  # removed, it converts


def test_from_torch_reads_a_stateful_parametrization_without_advancing_it(torch: Any) -> None:
    """spectral_norm in train mode runs a power iteration at each read of the weight: from_torch
    changed the module's buffers, and copied a weight its next eval forward does not use."""
    torch.manual_seed(0)
    layer = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(4, 4).double())
    before = {name: value.clone() for name, value in layer.state_dict().items()}
    converted = from_torch(layer)
    after = layer.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)  # not advanced
    assert layer.training and layer.parametrizations.weight[0].training  # modes put back
    layer.eval()
    x = np.random.default_rng(0).normal(size=(3, 4))
    with torch.no_grad():
        np.testing.assert_allclose(converted(x), layer(torch.from_numpy(x)).numpy(), rtol=1e-15, atol=1e-15)


def test_from_torch_names_what_it_converts_and_why_dropout_is_not(torch: Any) -> None:
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.1))
    with pytest.raises(
        ValueError,
        match=r"^from_torch cannot convert Dropout at position 1 \(glassnet has no dropout; in eval mode it "
        r"passes its input on: leave it out\); it converts nn\.Linear \(with a bias\), nn\.Identity, .*"
        r"nn\.Softplus \(beta=1, threshold >= 20\), in an nn\.Sequential$",
    ):
        from_torch(module)


def test_from_torch_inside_parametrize_cached_leaves_the_next_forward_alone(torch: Any) -> None:
    """Inside parametrize.cached(), reading the weight stored its eval-mode value in torch's
    cache, and the module's next train-mode forward in that block used it, skipping its own power
    iteration: 1.8 off the forward of an untouched copy."""
    import copy

    parametrize = torch.nn.utils.parametrize
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    torch.nn.utils.parametrizations.spectral_norm(module[0])
    untouched, converted = copy.deepcopy(module), copy.deepcopy(module)
    x = torch.randn(5, 3, dtype=torch.float64)
    with parametrize.cached():
        expected = untouched(x)
    with parametrize.cached():
        from_torch(converted)
        got = converted(x)
    assert torch.equal(got, expected)


def test_a_global_backward_hook_of_the_older_kind_is_named_by_its_own_function(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both kinds share torch's registry; the message named register_module_full_backward_hook
    for a hook added with register_module_backward_hook."""
    # torch refuses the older kind once a full one was ever registered in the process, and never
    # clears its flag: cleared here, and put back after
    monkeypatch.setattr(torch.nn.modules.module, "_global_is_full_backward_hook", None)
    handle = torch.nn.modules.module.register_module_backward_hook(lambda m, gi, go: None)
    try:
        with pytest.raises(
            ValueError, match=r"\(1 by torch\.nn\.modules\.module\.register_module_backward_hook\)"
        ):
            from_torch(torch.nn.Linear(3, 1))
    finally:
        handle.remove()


def test_a_model_of_activations_alone_converts_both_ways(torch: Any) -> None:
    """to_torch refused a model without parameters ('needs a model with parameters'), where torch
    holds nn.Sequential(nn.ReLU(), nn.Tanh()) and from_torch converts it; an empty model is refused
    as from_torch refuses an empty module."""
    model = Sequential(ReLU(), Tanh())
    module = to_torch(model)
    assert [type(layer) for layer in module] == [torch.nn.ReLU, torch.nn.Tanh]
    x = np.array([[-1.5, 0.0, 2.0]])
    np.testing.assert_array_equal(module(torch.from_numpy(x)).numpy(), model(x))
    back = from_torch(module)
    assert [type(layer) for layer in back] == [ReLU, Tanh]
    with pytest.raises(ValueError, match=r"^to_torch got an empty model$"):
        to_torch(Sequential())
    with pytest.raises(ValueError, match=r"^from_torch got an empty module$"):
        from_torch(torch.nn.Sequential())
