"""to_torch / from_torch: same function, same weights, both ways, for every activation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.nn import ACTIVATIONS, MLP, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from glassnet.spec import MLPSpec, build_mlp, spec_of
from glassnet.torch_bridge import (
    TORCH_MISSING,
    TorchMissingError,
    build_torch_mlp,
    from_torch,
    import_torch,
    resolve_device,
    to_torch,
)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_keeps_function_and_weights(
    activation: str, dtype: Any, torch: Any, rng: np.random.Generator
) -> None:
    model = MLP([4, 7, 5, 2], activation=activation, output_activation="sigmoid", rng=rng, dtype=dtype)
    x = rng.normal(size=(9, 4)).astype(dtype)
    module = to_torch(model)
    assert [name for name, _ in module.named_parameters()] == [name for name, _ in model.named_parameters()]
    assert next(module.parameters()).dtype == (torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    if activation == "softplus":
        tolerance = max(tolerance, 3e-9)  # torch's Softplus returns z above z = 20
    np.testing.assert_allclose(out, model(x), rtol=tolerance, atol=tolerance)
    back = from_torch(module)
    for (name, ours), (name_back, theirs) in zip(
        model.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back
        assert theirs.data.dtype == dtype
        np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(back(x), model(x))
    assert spec_of(back) == spec_of(model)


def test_leaky_slope_survives_the_trip(torch: Any) -> None:
    model = Sequential(
        Linear(2, 3, rng=np.random.default_rng(0)), LeakyReLU(0.2), Linear(3, 1, rng=np.random.default_rng(1))
    )
    module = to_torch(model)
    assert module[1].negative_slope == 0.2
    back = from_torch(module)
    assert isinstance(back[1], LeakyReLU) and back[1].negative_slope == 0.2
    assert spec_of(back).negative_slope == 0.2


def test_nested_torch_sequential_is_flattened(torch: Any) -> None:
    nn = torch.nn
    module = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 1), nn.Sigmoid()).double()
    model = from_torch(module)
    assert [type(layer) for layer in model] == [Linear, Tanh, Linear, Sigmoid]
    x = np.random.default_rng(0).normal(size=(5, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(x), expected, rtol=1e-12)


def test_build_torch_mlp_matches_glassnet_draw(torch: Any) -> None:
    spec = MLPSpec(sizes=(5, 8, 1), activation="tanh")
    module = build_torch_mlp(spec, rng=np.random.default_rng(3))
    reference = build_mlp(spec, rng=np.random.default_rng(3))
    for name, parameter in module.named_parameters():
        np.testing.assert_array_equal(parameter.detach().numpy(), reference.state_dict()[name])


def _used_twice(nn: Any) -> Any:
    layer = nn.Linear(2, 2)
    return nn.Sequential(layer, nn.Tanh(), layer)


def _tied(nn: Any) -> Any:
    first, second = nn.Linear(2, 2), nn.Linear(2, 2)
    second.weight = first.weight  # tied weights: two modules, one parameter
    return nn.Sequential(first, nn.Tanh(), second)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda nn: nn.Sequential(nn.Linear(2, 2), nn.GELU()), "cannot convert GELU at position 1"),
        (lambda nn: nn.Linear(2, 2, bias=False), "with a bias"),
        (
            lambda nn: nn.Sequential(nn.Linear(2, 2), nn.Softplus(beta=2.0)),
            r"Softplus with beta=1 and threshold >= 20 .*, got beta=2.0, threshold=20.0 at position 1",
        ),
        (
            lambda nn: nn.Sequential(nn.Linear(2, 2), nn.Softplus(threshold=1.0)),
            r"Softplus with beta=1 and threshold >= 20 .*, got beta=1.0, threshold=1.0 at position 1",
        ),
        (lambda nn: nn.Softplus(threshold=float("nan")), r"threshold=nan at position 0"),
        (lambda nn: nn.Sequential(), "empty"),
        (
            lambda nn: _used_twice(nn),
            r"Linear layers at positions 0 and 2 share parameters \(one module used twice",
        ),
        (lambda nn: _tied(nn), r"Linear layers at positions 0 and 2 share parameters"),
    ],
)
def test_from_torch_refuses_what_it_cannot_express(make: Any, match: str, torch: Any) -> None:
    with pytest.raises(ValueError, match=match):
        from_torch(make(torch.nn))


@pytest.mark.parametrize("threshold", [20.0, 30.0, float("inf")])
def test_from_torch_takes_softplus_thresholds_from_20_up(threshold: float, torch: Any) -> None:
    """Above its threshold torch's Softplus is z itself: from 20 up, within 2.1e-9 of the exact one."""
    module = torch.nn.Softplus(threshold=threshold)
    z = np.linspace(-30.0, 30.0, 121).reshape(-1, 1)
    with torch.no_grad():
        expected = module(torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(from_torch(module)(z), expected, rtol=0, atol=2.1e-9)


def _mixed_linear(torch: Any) -> Any:
    linear = torch.nn.Linear(2, 2, dtype=torch.float64)
    linear.bias = torch.nn.Parameter(linear.bias.detach().float())
    return linear


@pytest.mark.parametrize(
    ("make", "got"),
    [
        (lambda torch: torch.nn.Linear(2, 2, dtype=torch.bfloat16), r"torch\.bfloat16"),
        (lambda torch: torch.nn.Linear(2, 2, dtype=torch.float16), r"torch\.float16"),
        (lambda torch: torch.nn.Linear(2, 2, dtype=torch.complex64), r"torch\.complex64"),
        (_mixed_linear, r"weight torch\.float64, bias torch\.float32"),
    ],
    ids=["bfloat16", "float16", "complex64", "mixed"],
)
def test_from_torch_names_a_dtype_it_cannot_take(make: Any, got: str, torch: Any) -> None:
    with pytest.raises(
        TypeError, match=rf"float32 or float64, got {got} at position 0; convert .*\.double\(\)"
    ):
        from_torch(make(torch))


def test_from_torch_refuses_non_modules(torch: Any) -> None:
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        from_torch([1, 2])


def test_cuda_request_without_cuda_is_a_clear_error(torch: Any) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(
        ValueError, match=r"no CUDA GPU is available.*use device 'cpu' \(--device cpu on the command line\)"
    ):
        to_torch(MLP([2, 1], rng=np.random.default_rng(0)), device="cuda")


@pytest.mark.parametrize("device", ["gpu", "tpu", "", "CUDA"])
def test_unknown_device_is_refused(device: str, torch: Any) -> None:
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        resolve_device(device)


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch itself not found (ModuleNotFoundError for "torch"): the extra to install."""
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(TorchMissingError) as caught:
        import_torch()
    assert str(caught.value) == TORCH_MISSING
    assert "pip install 'glassnet[torch]'" in TORCH_MISSING


BROKEN_TORCH = [  # (torch/__init__.py of a torch that is there but fails, what the error says)
    (
        'raise ImportError("libtorch_cpu.so: cannot open shared object file: No such file or directory")',
        "ImportError: libtorch_cpu.so: cannot open shared object file: No such file or directory",
    ),
    (  # a dependency of torch missing: not torch itself
        "import glassnet_test_no_such_dependency_of_torch",
        "ModuleNotFoundError: No module named 'glassnet_test_no_such_dependency_of_torch'",
    ),
    (  # as ctypes raises it for a library torch loads; the message's line break becomes a space
        'raise OSError("libcudnn.so.9: cannot open shared object file:\\nNo such file or directory")',
        "OSError: libcudnn.so.9: cannot open shared object file: No such file or directory",
    ),
]


def broken_torch(source: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``torch`` package in ``folder`` whose import runs ``source``, found before any real torch
    (which is taken out of sys.modules for the test and put back after it)."""
    (folder / "torch").mkdir(parents=True)
    (folder / "torch" / "__init__.py").write_text(source + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "torch", raising=False)


@pytest.mark.parametrize(("source", "says"), BROKEN_TORCH, ids=["ImportError", "dependency", "OSError"])
def test_a_torch_that_fails_to_import_is_not_called_missing(
    source: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed but failing to import: said so, with torch's own error in one line, and not the
    advice to install the extra (pip would find torch installed and do nothing)."""
    broken_torch(source, tmp_path, monkeypatch)
    with pytest.raises(TorchMissingError) as caught:
        import_torch()
    assert str(caught.value) == f"PyTorch is installed but cannot be imported: {says}"
    assert isinstance(caught.value.__cause__, ImportError | OSError)  # kept, for --traceback


def test_the_command_line_reports_a_broken_torch_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`glassnet train moons --engine torch` with a torch that fails to import: one line on
    stderr naming the failure, exit status 2, no traceback, nothing written."""
    source, says = BROKEN_TORCH[0]
    broken_torch(source, tmp_path / "site", monkeypatch)
    out = tmp_path / "run"
    assert main(["train", "moons", "--engine", "torch", "--epochs", "1", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err == f"glassnet train moons: error: PyTorch is installed but cannot be imported: {says}\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ([Tanh()], "starts with a Linear"),
        ([Linear(2, 3), Linear(3, 1)], "expected one of glassnet's activations .* at position 1, got Linear"),
        ([Linear(2, 3), Tanh(), Linear(4, 1)], "takes 4 inputs"),
        ([Linear(2, 3), Tanh(), Linear(3, 3), Sigmoid(), Linear(3, 1)], "one hidden activation"),
    ],
)
def test_spec_of_refuses_other_layouts(layers: list[Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        spec_of(Sequential(*layers))


def _with_forward(torch: Any, base: Any, *args: Any) -> Any:
    """An instance of a subclass of ``base`` whose forward doubles what ``base`` computes."""

    class Doubled(base):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    return Doubled(*args)


def _hooked(torch: Any) -> Any:
    linear = torch.nn.Linear(2, 2)
    linear.register_forward_hook(lambda module, inputs, output: output + 1)
    return torch.nn.Sequential(linear, torch.nn.Tanh())


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda torch: _with_forward(torch, torch.nn.Linear, 2, 2),
            r"Doubled at position 0 \(a forward or __call__ of its own\)",
        ),
        (lambda torch: _with_forward(torch, torch.nn.LeakyReLU, 0.1), "Doubled at position 0"),
        (lambda torch: _with_forward(torch, torch.nn.Softplus), "Doubled at position 0"),
        (lambda torch: _with_forward(torch, torch.nn.Sequential, torch.nn.Linear(2, 2)), "Doubled"),
        (_hooked, r"Linear at position 0 \(it has forward hooks, .*; remove them first: handle\.remove\(\)"),
        (
            lambda torch: torch.nn.LazyLinear(2),
            r"LazyLinear at position 0 \(a lazy module not yet initialised",
        ),
    ],
    ids=["Linear", "LeakyReLU", "Softplus", "Sequential", "hook", "lazy"],
)
def test_from_torch_refuses_layers_that_compute_something_else(make: Any, match: str, torch: Any) -> None:
    """A subclass with its own forward, or a forward hook, computes something the copy would not."""
    with pytest.raises(ValueError, match=match):
        from_torch(make(torch))


def _forward_set_on(module: Any, position: int | None = None) -> Any:
    """``module`` (or its layer at ``position``) with a forward set on the object, as wrappers
    such as accelerate's hooks set it: calling it doubles what the class computes."""
    layer = module if position is None else module[position]
    original = layer.forward
    layer.forward = lambda x: 2 * original(x)
    return module


def _with_call(torch: Any, base: Any, *args: Any) -> Any:
    class Scaled(base):  # type: ignore[misc]
        def __call__(self, x: Any) -> Any:
            return 10 * super().__call__(x)

    return Scaled(*args)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda torch: _forward_set_on(torch.nn.Sequential(torch.nn.Linear(2, 2)), 0),
            "Linear at position 0",
        ),
        (
            lambda torch: _forward_set_on(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), 1),
            "ReLU at position 1",
        ),
        (
            lambda torch: _forward_set_on(torch.nn.Sequential(torch.nn.Linear(2, 2))),
            "Sequential at position 0",
        ),
        (lambda torch: _with_call(torch, torch.nn.Linear, 2, 2), "Scaled at position 0"),
        (lambda torch: _with_call(torch, torch.nn.Tanh), "Scaled at position 0"),
    ],
    ids=["Linear", "ReLU", "Sequential", "Linear-__call__", "Tanh-__call__"],
)
def test_from_torch_refuses_a_forward_or_call_of_its_own(make: Any, match: str, torch: Any) -> None:
    """A forward set on the object replaces its class's, and a subclass's __call__ may skip forward
    altogether: either computes something the copy would not."""
    with pytest.raises(ValueError, match=rf"{match} \(a forward or __call__ of its own\)"):
        from_torch(make(torch).double())


def test_a_forward_set_back_to_the_class_own_is_taken(torch: Any) -> None:
    """accelerate's remove_hook_from_module leaves module.forward = the class's forward bound to
    the module: it computes what the class does, both ways."""
    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh()).double()
    for layer in module:
        layer.forward = layer.forward  # bound to the layer: its class's own
    x = np.random.default_rng(0).normal(size=(4, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(from_torch(module)(x), expected, rtol=1e-12)
    model = MLP([3, 2, 1], rng=np.random.default_rng(0))
    model[0].forward = model[0].forward
    np.testing.assert_allclose(to_torch(model)(torch.from_numpy(x)).detach().numpy(), model(x), rtol=1e-12)


def test_from_torch_takes_subclasses_that_keep_torchs_forward(torch: Any) -> None:
    class Named(torch.nn.Linear):  # type: ignore[misc]
        pass  # e.g. a subclass for its own initialisation

    module = torch.nn.Sequential(Named(3, 2), torch.nn.Tanh()).double()
    x = np.random.default_rng(0).normal(size=(4, 3))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(from_torch(module)(x), expected, rtol=1e-12)


def _nan_weight(torch: Any) -> Any:
    linear = torch.nn.Linear(2, 2)
    with torch.no_grad():
        linear.weight[1, 0] = float("nan")
    return torch.nn.Sequential(torch.nn.Tanh(), linear)


def _wrong_bias(torch: Any) -> Any:
    linear = torch.nn.Linear(3, 2)
    linear.bias = torch.nn.Parameter(torch.zeros(5))
    return linear


def _sparse_weight(torch: Any) -> Any:
    linear = torch.nn.Linear(3, 2)
    linear.weight = torch.nn.Parameter(linear.weight.detach().to_sparse())
    return linear


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (_nan_weight, r"weight at position 1 must be finite, got nan at index \(1, 0\)"),
        (_sparse_weight, r"the weight at position 0 is a torch\.sparse_coo tensor; make it dense first"),
        (_wrong_bias, r"bias at position 0 has shape \(5,\), Linear\(3, 2\) needs \(2,\)"),
        (
            lambda torch: torch.nn.Linear(2, 2, device="meta"),
            "Linear at position 0 is on the meta device",
        ),
    ],
    ids=["nan", "bias-shape", "sparse", "meta"],
)
def test_from_torch_refuses_weights_glassnet_would_refuse(make: Any, match: str, torch: Any) -> None:
    with pytest.raises(ValueError, match=match):
        from_torch(make(torch))


def test_from_torch_copies_a_weight_with_torchs_lazy_negation(torch: Any) -> None:
    """The imaginary part of a conjugate is a view with torch's negative bit set, which .numpy()
    refuses: the copy takes the values the layer computes with."""
    linear = torch.nn.Linear(3, 2).double()
    linear.weight = torch.nn.Parameter(torch.randn(2, 3, dtype=torch.complex128).conj().imag)
    assert linear.weight.is_neg()
    x = np.random.default_rng(0).normal(size=(4, 3))
    with torch.no_grad():
        expected = linear(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(from_torch(linear)(x), expected, rtol=1e-12)


def test_from_torch_refuses_layers_of_two_dtypes(torch: Any) -> None:
    """torch itself cannot run such a module; the copy would quietly compute in both dtypes."""
    nn = torch.nn
    module = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1).double())
    with pytest.raises(
        TypeError, match=r"Linear at position 2 is torch\.float64, the one at position 0 torch\.float32"
    ):
        from_torch(module)


def test_to_torch_refuses_layers_of_two_dtypes(torch: Any) -> None:
    """One torch dtype for all would round the float64 layer's weights to float32 unseen."""
    model = Sequential(
        Linear(3, 4, rng=np.random.default_rng(0)),
        Tanh(),
        Linear(4, 1, rng=np.random.default_rng(1), dtype=np.float32),
    )
    with pytest.raises(TypeError, match=r"Linear at position 2 is float32, the one at position 0 float64"):
        to_torch(model)


@pytest.mark.parametrize("tie", ["weight", "bias"])
def test_to_torch_refuses_shared_parameters_as_from_torch_does(tie: str, torch: Any) -> None:
    """glassnet's parameters() and optimizers keep a tied weight one; torch's copies of it,
    made layer by layer, trained apart, silently. (A layer used twice Sequential refuses.)"""
    first, second = Linear(3, 3, rng=np.random.default_rng(0)), Linear(3, 3, rng=np.random.default_rng(1))
    setattr(second, tie, getattr(first, tie))
    with pytest.raises(
        ValueError,
        match=r"^to_torch: the Linear layers at positions 0 and 2 share a Parameter \(tied weights\), "
        r"which to_torch does not carry over: torch's copies would train apart$",
    ):
        to_torch(Sequential(first, Tanh(), second))


def test_to_torch_refuses_glassnet_layers_with_their_own_forward(torch: Any) -> None:
    class Doubled(Linear):
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    with pytest.raises(ValueError, match="cannot convert Doubled at position 0"):
        to_torch(Sequential(Doubled(2, 2, rng=np.random.default_rng(0))))

    class Doubling(Sequential):  # flattened, it would lose the factor 2
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    inner = Doubling(Linear(2, 2, rng=np.random.default_rng(0)))
    for model in (inner, Sequential(Sequential(inner))):
        with pytest.raises(ValueError, match=r"^Doubling is a Sequential of its own: its layers in order"):
            to_torch(model)
    to_torch(MLP([2, 3, 1], rng=np.random.default_rng(0)))  # MLP keeps Sequential's forward


@pytest.mark.parametrize("position", [0, 1, None], ids=["Linear", "ReLU", "Sequential"])
def test_to_torch_refuses_a_forward_set_on_the_object(position: int | None, torch: Any) -> None:
    model = _forward_set_on(MLP([2, 3, 1], rng=np.random.default_rng(0)), position)
    what = "MLP" if position is None else type(model[position]).__name__
    with pytest.raises(
        ValueError,
        match=rf"^{what} at position {position or 0} has a forward set on the object: ",
    ):
        to_torch(model)


def test_to_torch_refuses_a_glassnet_layer_with_a_call_of_its_own(torch: Any) -> None:
    class Scaled(Linear):
        def __call__(self, x: Any) -> Any:
            return 10 * super().__call__(x)

    with pytest.raises(ValueError, match=r"^Scaled at position 0 has a __call__ of its class's own: "):
        to_torch(Sequential(Scaled(2, 2, rng=np.random.default_rng(0))))


@pytest.mark.parametrize("model", ["not a model", np.zeros((2, 2)), None])
def test_to_torch_refuses_non_modules(model: Any, torch: Any) -> None:
    with pytest.raises(TypeError, match=r"to_torch takes a glassnet Module \(an MLP or a Sequential\), got "):
        to_torch(model)


@pytest.mark.parametrize("training", [True, False])
def test_train_and_eval_modes_survive_the_trip(training: bool, torch: Any) -> None:
    model = MLP([2, 3, 1], rng=np.random.default_rng(0)).train(training)
    module = to_torch(model)
    assert all(m.training is training for m in module.modules())
    assert all(m.training is training for m in from_torch(module).modules())


@pytest.mark.parametrize("device", ["cuda:x", "cuda:-1", "cuda:", "cuda:0:1"])
def test_malformed_cuda_index_is_refused(device: str, torch: Any) -> None:
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        resolve_device(device)


def test_cuda_index_beyond_the_gpus_is_a_clear_error(torch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.device takes any index; the first copy to it would fail with 'invalid device ordinal'."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ValueError, match=r"device 'cuda:2' requested but this machine has 2 CUDA GPUs"):
        resolve_device("cuda:2")
    assert resolve_device("cuda:1") == torch.device("cuda:1")


class _Doubled(Linear):
    """A Linear whose output is twice its product: the same weights, another function."""

    def forward(self, x: Any) -> Any:
        return 2.0 * super().forward(x)


class _Clipped(ReLU):
    name = "relu"

    def function(self, z: Any) -> Any:
        return np.clip(z, 0.0, 1.0)


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ([_Doubled(2, 1)], r"starts with a Linear layer, got \['_Doubled'\]"),
        ([Linear(2, 3), _Clipped(), Linear(3, 1)], r"activations .* at position 1, got _Clipped"),
        (
            [Linear(2, 3), Tanh(), Linear(3, 1, dtype=np.float32)],
            r"Linear at position 2 is float32, the first one float64; an MLPSpec has one dtype",
        ),
    ],
    ids=["linear subclass", "activation subclass", "two dtypes"],
)
def test_spec_of_refuses_what_a_spec_would_describe_as_another_model(layers: list[Any], match: str) -> None:
    """spec_of took subclasses for their parents (a model rebuilt from the spec computed other
    outputs) and called a float32-after-float64 model float32."""
    with pytest.raises(ValueError, match=match):
        spec_of(Sequential(*layers))


def test_explain_says_a_broken_torch_is_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The explanation's PyTorch check, skipped for a torch that fails to import, says why in
    torch's words, as the engines do, not that PyTorch is not installed."""
    from glassnet.explain import explain_exercise

    source, says = BROKEN_TORCH[2]  # a shared library that cannot be loaded: an OSError
    broken_torch(source, tmp_path, monkeypatch)
    text = " ".join(explain_exercise(check_torch=True).render("text").split())
    assert f"PyTorch check skipped: PyTorch is installed but cannot be imported: {says}" in text
