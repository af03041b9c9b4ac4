"""to_torch / from_torch as a PyTorch user calls them: torch.device objects, parametrized layers,
a seeded torch generator left alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from glassnet.nn import MLP
from glassnet.spec import MLPSpec
from glassnet.torch_bridge import build_torch_mlp, from_torch, resolve_device, to_torch


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
