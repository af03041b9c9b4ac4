"""Conversion between glassnet models and PyTorch modules, both ways, with the same weights.

Layouts agree, so nothing is transposed: glassnet's ``Linear`` keeps W as (out, in), like
``torch.nn.Linear.weight``. A glassnet MLP becomes a flat ``torch.nn.Sequential`` whose
``state_dict`` keys are the glassnet parameter names (``"0.weight"``, ``"0.bias"``, …).

Activations map one to one: identity ↔ ``nn.Identity``, relu ↔ ``nn.ReLU``, leaky_relu ↔
``nn.LeakyReLU`` (same slope), sigmoid ↔ ``nn.Sigmoid``, tanh ↔ ``nn.Tanh``, softplus ↔
``nn.Softplus`` (PyTorch's returns z itself above z = 20, a difference below 2.1e-9;
``from_torch`` refuses a Softplus whose ``beta`` is not 1 or whose ``threshold`` is below 20).

PyTorch is an optional dependency (``pip install 'glassnet[torch]'``), imported only when
one of these functions is called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.nn import (
    Activation,
    Identity,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    flatten_modules,
)
from glassnet.spec import MLPSpec, build_mlp

# torch's Softplus returns z where z > threshold: from 20 (its default) up, that is
# log1p(e^-20) = 2.1e-9 or less away from glassnet's exact log(1 + e^z)
SOFTPLUS_MIN_THRESHOLD = 20.0
TORCH_MISSING = "PyTorch is not installed; install the extra with: pip install 'glassnet[torch]'"
DEVICES = ("cpu", "cuda")


class TorchMissingError(ImportError):
    """PyTorch is not installed (the optional ``torch`` extra): a setup to change, not a bug,
    so the command line reports it in one line like any other user error."""


def import_torch() -> Any:
    """Import and return the ``torch`` module, or raise TorchMissingError naming the extra to install."""
    try:
        import torch
    except ImportError as error:
        raise TorchMissingError(TORCH_MISSING) from error
    return torch


def resolve_device(device: str) -> Any:
    """``torch.device`` for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; a clear ValueError when CUDA is absent."""
    torch = import_torch()
    if not isinstance(device, str) or not (device == "cpu" or device == "cuda" or device.startswith("cuda:")):
        raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise ValueError(
            f"device {device!r} requested but no CUDA GPU is available (torch {torch.__version__}, {build}); "
            "use device 'cpu' (--device cpu on the command line)"
        )
    return torch.device(device)


def torch_dtype(dtype: Any) -> Any:
    """The torch dtype for a NumPy float32/float64 dtype (or its name)."""
    torch = import_torch()
    resolved = np.dtype(dtype)
    if resolved == np.float64:
        return torch.float64
    if resolved == np.float32:
        return torch.float32
    raise TypeError(f"dtype must be float32 or float64, got {resolved}")


def _torch_activation(layer: Activation) -> Any:
    nn = import_torch().nn
    if isinstance(layer, LeakyReLU):
        return nn.LeakyReLU(negative_slope=layer.negative_slope)
    table = {Identity: nn.Identity, ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh, Softplus: nn.Softplus}
    for cls, torch_cls in table.items():
        if type(layer) is cls:
            return torch_cls()
    raise ValueError(f"no PyTorch counterpart for activation {type(layer).__name__}")


def to_torch(model: Module, device: str = "cpu") -> Any:
    """A ``torch.nn.Sequential`` computing the same function as ``model``, with copies of its weights.

    ``model`` is a glassnet MLP or Sequential (nested ones are flattened) of Linear layers
    and activations. The torch module has the model's dtype and lives on ``device``.
    """
    torch = import_torch()
    target = resolve_device(device)
    dtype = model.dtype
    if dtype is None:
        raise ValueError("to_torch needs a model with parameters")
    layers: list[Any] = []
    for position, layer in enumerate(flatten_modules([model])):
        if isinstance(layer, Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch_dtype(dtype))
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.weight.data)))
                linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(layer.bias.data)))
            layers.append(linear)
        elif isinstance(layer, Activation):
            layers.append(_torch_activation(layer))
        else:
            raise ValueError(f"to_torch cannot convert {type(layer).__name__} at position {position}")
    return torch.nn.Sequential(*layers).to(target)


def _flatten_torch(module: Any) -> list[Any]:
    torch = import_torch()
    if isinstance(module, torch.nn.Sequential):
        leaves: list[Any] = []
        for child in module:
            leaves.extend(_flatten_torch(child))
        return leaves
    return [module]


def from_torch(module: Any) -> Sequential:
    """A glassnet Sequential with copies of the weights of a torch Sequential (or single layer).

    Supported layers: ``nn.Linear`` (with bias) and the six activations above; nested
    Sequentials are flattened, so a flat torch Sequential keeps its parameter names.
    The dtype (float32/float64) is kept; weights are copied to the CPU.
    """
    torch = import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch takes a torch.nn.Module, got {type(module).__name__}")
    nn = torch.nn
    layers: list[Module] = []
    owners: dict[int, int] = {}  # id of a weight or bias tensor -> position of the first Linear holding it
    for position, layer in enumerate(_flatten_torch(module)):
        if isinstance(layer, nn.Linear):
            if layer.bias is None:
                raise ValueError(f"from_torch needs Linear layers with a bias (position {position} has none)")
            for tensor in (layer.weight, layer.bias):
                first = owners.setdefault(id(tensor), position)
                if first != position:  # copies would train apart where torch's stay one
                    raise ValueError(
                        f"from_torch: the Linear layers at positions {first} and {position} share "
                        "parameters (one module used twice, or tied weights), which glassnet cannot "
                        "represent: each of its layers owns its parameters"
                    )
            dtypes = (layer.weight.dtype, layer.bias.dtype)
            if dtypes[0] != dtypes[1] or dtypes[0] not in (torch.float32, torch.float64):
                got = dtypes[0] if dtypes[0] == dtypes[1] else f"weight {dtypes[0]}, bias {dtypes[1]}"
                raise TypeError(
                    f"from_torch supports Linear layers in float32 or float64, got {got} at position "
                    f"{position}; convert the module with .float() or .double() first"
                )
            weight = layer.weight.detach().cpu().numpy().copy()
            bias = layer.bias.detach().cpu().numpy().copy()
            linear = Linear(
                layer.in_features, layer.out_features, rng=np.random.default_rng(0), dtype=weight.dtype
            )
            linear.weight.data[...] = weight
            linear.bias.data[...] = bias
            layers.append(linear)
        elif isinstance(layer, nn.LeakyReLU):
            layers.append(LeakyReLU(layer.negative_slope))
        elif isinstance(layer, nn.Softplus):
            if layer.beta != 1 or not layer.threshold >= SOFTPLUS_MIN_THRESHOLD:  # NaN refused too
                raise ValueError(
                    f"from_torch supports Softplus with beta=1 and threshold >= {SOFTPLUS_MIN_THRESHOLD:g} "
                    f"(glassnet's is log(1 + e^z) for every z), got beta={layer.beta}, "
                    f"threshold={layer.threshold} at position {position}"
                )
            layers.append(Softplus())
        elif type(layer) in (nn.Identity, nn.ReLU, nn.Sigmoid, nn.Tanh):
            simple: dict[type, type[Activation]] = {
                nn.Identity: Identity,
                nn.ReLU: ReLU,
                nn.Sigmoid: Sigmoid,
                nn.Tanh: Tanh,
            }
            layers.append(simple[type(layer)]())
        else:
            raise ValueError(f"from_torch cannot convert {type(layer).__name__} at position {position}")
    if not layers:
        raise ValueError("from_torch got an empty module")
    return Sequential(*layers)


def build_torch_mlp(
    spec: MLPSpec, *, device: str = "cpu", rng: np.random.Generator | None = None, init: str = "torch"
) -> Any:
    """A torch Sequential for ``spec``, weights drawn by glassnet from ``rng`` (so both engines start alike)."""
    return to_torch(build_mlp(spec, rng=rng, init=init), device=device)
