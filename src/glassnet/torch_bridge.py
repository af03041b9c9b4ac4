"""Conversion between glassnet models and PyTorch modules, both ways, with the same weights.

Layouts agree, so nothing is transposed: glassnet's ``Linear`` keeps W as (out, in), like
``torch.nn.Linear.weight``. A glassnet MLP becomes a flat ``torch.nn.Sequential`` whose
``state_dict`` keys are the glassnet parameter names (``"0.weight"``, ``"0.bias"``, …).

Activations map one to one: identity ↔ ``nn.Identity``, relu ↔ ``nn.ReLU``, leaky_relu ↔
``nn.LeakyReLU`` (same slope), sigmoid ↔ ``nn.Sigmoid``, tanh ↔ ``nn.Tanh``, softplus ↔
``nn.Softplus`` (PyTorch's returns z itself above z = 20, a difference below 2.1e-9;
``from_torch`` refuses a Softplus whose ``beta`` is not 1 or whose ``threshold`` is below 20;
one above 88.7 in float32, 709.8 in float64, lets torch's log(1 + e^z) overflow to inf below
it, where glassnet's stays finite). A nested glassnet Sequential becomes a flat one, its
layers renamed by position (``"0.0.weight"`` becomes ``"0.weight"``).

A layer is converted only when it computes what its class computes: a subclass with a
forward or ``__call__`` of its own, a module whose forward was set on the object (as wrappers
such as accelerate's hooks do), or a torch module with forward or backward hooks (its own, or
global ones that run on every module), is refused rather than copied into a layer that would
compute something else.
A model whose Linear sizes do not chain (Linear(3, 4) then Linear(5, 2)) is refused both ways,
naming the two layers, rather than converted into one that fails at its first forward pass.
The train/eval mode is kept.

PyTorch is an optional dependency (``pip install 'glassnet[torch]'``), imported only when
one of these functions is called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet._checks import as_dtype, as_float_array, check_device_name
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
from glassnet.nn._module import own_code
from glassnet.spec import MLPSpec, build_mlp, check_spec

__all__ = [
    "TorchMissingError",
    "build_torch_mlp",
    "from_torch",
    "import_torch",
    "resolve_device",
    "to_torch",
    "torch_dtype",
]

# torch's Softplus returns z where z > threshold: from 20 (its default) up, that is
# log1p(e^-20) = 2.1e-9 or less away from glassnet's exact log(1 + e^z)
SOFTPLUS_MIN_THRESHOLD = 20.0
# what each direction converts, for its refusals
TO_TORCH_LAYERS = "Linear, Identity, ReLU, LeakyReLU, Sigmoid, Tanh and Softplus, in a Sequential or an MLP"
FROM_TORCH_LAYERS = (
    "nn.Linear (with a bias), nn.Identity, nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh and nn.Softplus "
    f"(beta=1, threshold >= {SOFTPLUS_MIN_THRESHOLD:g}), in an nn.Sequential"
)
TORCH_MISSING = (
    "PyTorch is not installed; install the extra with: pip install 'glassnet[torch]' (on Linux PyPI's "
    "torch is the CUDA build, several GB; for the CPU-only one, first: pip install torch --index-url "
    "https://download.pytorch.org/whl/cpu)"
)
TORCH_BROKEN = "PyTorch is installed but cannot be imported: {error}"


class TorchMissingError(ImportError):
    """PyTorch cannot be imported: not installed (the optional ``torch`` extra), or installed but
    failing to import (a missing shared library or dependency). A setup to change, not a bug, so
    the command line reports it in one line like any other user error."""


def import_torch() -> Any:
    """Import and return the ``torch`` module, or raise TorchMissingError: naming the extra to
    install when torch is not there, or torch's own error, in one line, when it is there but fails."""
    try:
        import torch
    except ModuleNotFoundError as error:
        if error.name != "torch":  # torch was found; a module it imports was not
            raise TorchMissingError(TORCH_BROKEN.format(error=_one_line(error))) from error
        raise TorchMissingError(TORCH_MISSING) from error
    except (ImportError, OSError) as error:  # OSError: a shared library that ctypes cannot load
        # "install the extra" would not help: pip sees torch installed and does nothing
        raise TorchMissingError(TORCH_BROKEN.format(error=_one_line(error))) from error
    return torch


def _one_line(error: BaseException) -> str:
    """``Type: message``, its whitespace and line breaks collapsed to single spaces."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def resolve_device(device: Any) -> Any:
    """``torch.device`` for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, or such a ``torch.device``; a clear
    ValueError when CUDA is absent or has no GPU N (torch.device takes any N; the first copy to it
    would fail)."""
    torch = import_torch()
    given = device
    if isinstance(device, torch.device):  # the same checks on its name: "cuda:1", "mps", …
        device = "cpu" if device.type == "cpu" else str(device)  # torch's cpu:N is the one cpu
    check_device_name(device, repr(given))
    index = device[len("cuda:") :] if device.startswith("cuda:") else None
    if device.startswith("cuda") and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise ValueError(
            f"device {device!r} requested but no CUDA GPU is available (torch {torch.__version__}, {build}); "
            "use device 'cpu' (--device cpu on the command line)"
        )
    if index is not None and int(index) >= (count := torch.cuda.device_count()):
        raise ValueError(
            f"device {device!r} requested but this machine has {count} CUDA GPU{'s' if count != 1 else ''} "
            f"(cuda:0 to cuda:{count - 1})"
        )
    return torch.device(device)


def torch_dtype(dtype: Any) -> Any:
    """The torch dtype for a NumPy float32/float64 dtype (or its name), or for torch.float32 /
    torch.float64 themselves (returned as they are); TypeError for any other."""
    torch = import_torch()
    if isinstance(dtype, torch.dtype):  # NumPy cannot interpret one ("Cannot interpret 'torch.float32'")
        if dtype in (torch.float32, torch.float64):
            return dtype
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    resolved = as_dtype(dtype)  # TypeError naming both for any other (NumPy's "not understood" names none)
    return torch.float64 if resolved == np.float64 else torch.float32


def _torch_activation(layer: Activation) -> Any:
    """torch's module for a glassnet activation of one of glassnet's own classes; None for any
    other (a subclass may compute something else), which the caller refuses with its position."""
    nn = import_torch().nn
    if type(layer) is LeakyReLU:  # a subclass may compute something else, as in the table below
        return nn.LeakyReLU(negative_slope=layer.negative_slope)
    table = {Identity: nn.Identity, ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh, Softplus: nn.Softplus}
    for cls, torch_cls in table.items():
        if type(layer) is cls:
            return torch_cls()
    return None


def _same_dtype(dtypes: dict[int, Any], dtype: Any, position: int) -> None:
    """TypeError unless ``dtype`` is the dtype of the first Linear layer seen (``dtypes``, position -> dtype)."""
    first = next(iter(dtypes), position)
    if dtypes.setdefault(position, dtype) != dtypes[first]:
        raise TypeError(
            f"the Linear at position {position} is {dtype}, the one at position {first} {dtypes[first]}: "
            "a model takes one dtype for all its layers; convert them all to one first"
        )


def to_torch(model: Module, device: Any = "cpu") -> Any:
    """A ``torch.nn.Sequential`` computing the same function as ``model``, with copies of its weights.

    ``model`` is a glassnet MLP or Sequential (nested ones are flattened) of Linear layers
    and activations, all in one dtype, each Linear taking as many inputs as the one before it
    gives (ValueError otherwise). The torch module has that dtype (a model of activations alone
    has none: its torch module computes in its input's dtype), the model's train/eval mode, and
    lives on ``device`` ("cpu", "cuda", "cuda:N" or a ``torch.device``).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from glassnet.spec import MLPSpec, build_mlp
    >>> from glassnet.torch_bridge import from_torch, to_torch
    >>> model = build_mlp(MLPSpec(sizes=(2, 3, 1), activation="tanh"), rng=np.random.default_rng(0))
    >>> net = to_torch(model)
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> x = np.array([[1.0, 2.0]])  # float64, the model's dtype and so the module's
    >>> bool(np.allclose(net(torch.from_numpy(x)).detach().numpy(), model(x)))
    True

    The round trip gives the same weights back, under the same names:

    >>> back = from_torch(net).state_dict()
    >>> all(np.array_equal(back[name], value) for name, value in model.state_dict().items())
    True
    """
    torch = import_torch()
    if not isinstance(model, Module):
        # a torch module's type name may be glassnet's (Sequential): say which it is
        raise TypeError(
            f"to_torch takes a glassnet Module (an MLP or a Sequential), got "
            f"{type(model).__module__}.{type(model).__qualname__}"
            + ("; for a torch module use from_torch" if isinstance(model, torch.nn.Module) else "")
        )
    target = resolve_device(device)
    modules = flatten_modules([model])
    if not modules:  # as from_torch refuses an empty module
        raise ValueError("to_torch got an empty model")
    layers: list[Any] = []
    dtypes: dict[int, Any] = {}  # position of each Linear -> its dtype
    owners: dict[int, int] = {}  # id of a Parameter -> position of the first Linear holding it
    chain: list[tuple[int, int, int]] = []  # (position, in, out) of the last Linear
    for position, layer in enumerate(modules):
        # a subclass with a forward of its own computes something nn.Linear would not
        if isinstance(layer, Linear) and type(layer).forward is Linear.forward:
            _same_dtype(dtypes, layer.dtype, position)  # one torch dtype for all would round some weights
            _sizes_chain(chain, layer.in_features, layer.out_features, position, "to_torch")
            _own_shapes(layer, position)
            first = _shared_with(owners, (layer.weight, layer.bias), position)
            if first is not None:  # copies would train apart where glassnet's stay one
                raise ValueError(
                    f"to_torch: the Linear layers at positions {first} and {position} share a "
                    "Parameter (tied weights), which to_torch does not carry over: torch's copies "
                    "would train apart"
                )
            # skip_init: no draw from torch's global generator, whose stream the caller may have seeded
            linear = torch.nn.utils.skip_init(
                torch.nn.Linear, layer.in_features, layer.out_features, dtype=torch_dtype(layer.dtype)
            )
            with torch.no_grad():
                linear.weight.copy_(_host_tensor(torch, layer.weight.data))
                linear.bias.copy_(_host_tensor(torch, layer.bias.data))
            layers.append(linear)
        elif isinstance(layer, Activation) and (converted := _torch_activation(layer)) is not None:
            layers.append(converted)
        else:
            raise ValueError(
                f"to_torch cannot convert {type(layer).__name__} at position {position}; it converts "
                f"{TO_TORCH_LAYERS}"
            )
    return torch.nn.Sequential(*layers).to(target).train(model.training)


def _own_shapes(layer: Linear, position: int) -> None:
    """ValueError unless the Linear's weight is (out, in) and its bias (out,) of its own sizes:
    data set by hand to another shape (a Parameter takes it) would be broadcast by torch's copy_
    into a layer of the stored sizes, a model computing another function."""
    expected = {"weight": (layer.out_features, layer.in_features), "bias": (layer.out_features,)}
    for name, shape in expected.items():
        got = getattr(layer, name).data.shape
        if got != shape:
            raise ValueError(
                f"to_torch: the {name} of the Linear({layer.in_features}, {layer.out_features}) at position "
                f"{position} has shape {got}, expected {shape}"
            )


def _host_tensor(torch: Any, array: Any) -> Any:
    """A CPU tensor of ``array``'s values, to copy from: the array itself where torch can share
    it, a copy where it is read-only (torch warns of undefined behaviour on sharing one)."""
    return torch.from_numpy(np.require(array, requirements=("C", "W")))


def _sizes_chain(
    chain: list[tuple[int, int, int]], in_features: int, out_features: int, position: int, caller: str
) -> None:
    """ValueError unless the Linear(``in_features``, ``out_features``) at ``position`` takes as many
    inputs as the Linear before it gives; ``chain`` holds (position, in, out) of that one and is
    updated here. Activations keep the width, so only Linear layers are compared. A model whose
    sizes do not chain fails at its first forward pass, in torch's words ("mat1 and mat2 shapes
    cannot be multiplied") or glassnet's: it is refused when converted, naming both layers."""
    if chain and chain[0][2] != in_features:
        before, before_in, width = chain[0]
        raise ValueError(
            f"{caller}: the layer sizes do not chain: Linear({in_features}, {out_features}) at position "
            f"{position} takes {in_features} input{'s' if in_features != 1 else ''}, but "
            f"Linear({before_in}, {width}) at position {before} gives {width}"
        )
    chain[:] = [(position, in_features, out_features)]


def _shared_with(owners: dict[int, int], parameters: Iterable[object], position: int) -> int | None:
    """The position of an earlier Linear that holds one of ``parameters`` (tied weights), or
    None; records the others as the Linear's at ``position``. ``owners``: id -> first position."""
    for parameter in parameters:
        first = owners.setdefault(id(parameter), position)
        if first != position:
            return first
    return None


def _overlapping(
    spans: list[tuple[int, int, int, Any]], parameters: Iterable[Any], position: int
) -> int | None:
    """The position of an earlier Linear whose parameters share memory with one of ``parameters``
    (tied through their storage, not their identity), or None; records each parameter as the
    Linear's at ``position``: (first byte, end of its last element, position, the tensor). Two
    strided views of one buffer (its columns 0-2 and 3-5, say) may span the same bytes and use
    none in common: their elements are compared where their spans meet. Tensors without
    strided memory of their own (on the meta device, sparse: refused further on) are skipped."""
    for parameter in parameters:
        if parameter.is_meta or str(parameter.layout) != "torch.strided" or parameter.numel() == 0:
            continue
        size = parameter.element_size()
        start = parameter.untyped_storage().data_ptr() + parameter.storage_offset() * size
        reach = sum(
            (length - 1) * abs(stride)
            for length, stride in zip(parameter.shape, parameter.stride(), strict=True)
        )
        end = start + (reach + 1) * size
        for first, last, owner, other in spans:
            if owner != position and start < last and first < end and _share_elements(parameter, other):
                return owner
        spans.append((start, end, position, parameter))
    return None


def _share_elements(a: Any, b: Any) -> bool:
    """Whether two tensors on overlapping memory use a byte in common (each element's bytes)."""

    def byte_ranges(tensor: Any) -> Any:  # (numel, 2): each element's first byte and end
        offsets = np.zeros((), dtype=np.int64)
        for length, stride in zip(tensor.shape, tensor.stride(), strict=True):
            offsets = offsets[..., None] + np.arange(length, dtype=np.int64) * stride
        size = tensor.element_size()
        # once each: an expanded tensor (stride 0) reads one element many times
        first = tensor.untyped_storage().data_ptr() + (tensor.storage_offset() + np.unique(offsets)) * size
        return np.stack([first, first + size], axis=1)

    ranges = np.concatenate([byte_ranges(a), byte_ranges(b)])
    order = np.argsort(ranges[:, 0], kind="stable")
    starts, ends = ranges[order, 0], ranges[order, 1]
    # sorted by first byte, a range overlaps some other exactly where it starts before the
    # furthest end of those before it (a tensor's own elements, each once, do not overlap)
    return bool((starts[1:] < np.maximum.accumulate(ends)[:-1]).any())


def _computes_as(module: Any, cls: Any) -> bool:
    """Whether ``module`` is a ``cls`` that computes what ``cls`` does: its forward and ``__call__``
    are ``cls``'s own (a subclass may change them, and a forward set on the object replaces its
    class's), no forward hook changes its input or output, and no backward hook its gradients.
    Global hooks, which run on every module, are refused once for the whole module
    (:func:`_refuse_global_hooks`)."""
    return (
        isinstance(module, cls)
        and type(module).forward is cls.forward
        and own_code(module, cls) is None
        and not _hooks(module)
    )


def _hooks(module: Any) -> bool:
    """Whether a torch module has hooks of its own that may change its output or its gradients."""
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    return any(getattr(module, name, None) for name in names)


# torch's registries of the hooks that run on every module (torch.nn.modules.module's
# register_module_forward_hook, …), by the function that adds to each
GLOBAL_HOOKS = {
    "_global_forward_hooks": "register_module_forward_hook",
    "_global_forward_pre_hooks": "register_module_forward_pre_hook",
    "_global_backward_hooks": "register_module_full_backward_hook",
    "_global_backward_pre_hooks": "register_module_full_backward_pre_hook",
}


def _refuse_global_hooks(torch: Any) -> None:
    """ValueError while global module hooks are registered: forward ones (and pre-hooks) run on
    every module's forward, so each layer may compute something other than its class, and
    backward ones on every module's backward, changing its gradients, as with a layer's own
    hooks (see :func:`_computes_as`). The registries are private to torch: read with getattr,
    and a torch without them (or with them renamed) has none to refuse."""
    home = getattr(getattr(torch.nn, "modules", None), "module", None)  # torch.nn.modules.module
    found = []
    for name, register in GLOBAL_HOOKS.items():
        hooks = getattr(home, name, None)  # an OrderedDict of hooks, by handle id
        if name == "_global_backward_hooks" and getattr(home, "_global_is_full_backward_hook", None) is False:
            register = "register_module_backward_hook"  # the older, non-full kind, in the same registry
        if hooks and hasattr(hooks, "__len__"):
            found.append(f"{len(hooks)} by torch.nn.modules.module.{register}")
    if found:
        raise ValueError(
            f"from_torch cannot convert while global module hooks are registered ({', '.join(found)}): "
            "they run on every module and may change what each layer computes, or its gradients; "
            "remove them first (handle.remove() on the handle the register function returned)"
        )


def _flatten_torch(module: Any) -> list[Any]:
    """Leaf modules in forward order: plain Sequentials opened up, anything else kept whole
    (so that a Sequential with a forward or hooks of its own is refused as a layer)."""
    torch = import_torch()
    if _computes_as(module, torch.nn.Sequential):
        leaves: list[Any] = []
        for child in module:
            leaves.extend(_flatten_torch(child))
        return leaves
    return [module]


def _linear_values(tensor: Any, what: str, shape: tuple[int, ...], layer: Any, position: int) -> Any:
    """A NumPy copy of a Linear's weight or bias, checked as glassnet checks a state_dict:
    its shape (out, in) or (out,) and finite values."""
    name = f"from_torch: the {what} at position {position}"
    if tensor.layout != import_torch().strided:  # nn.Linear's forward fails on a sparse weight
        raise ValueError(f"{name} is a {tensor.layout} tensor; make it dense first (.to_dense())")
    # resolve_neg: a view with torch's lazy negation (the imaginary part of a conjugate) has it applied
    values = tensor.detach().cpu().resolve_neg().numpy().copy()
    if values.shape != shape:
        raise ValueError(
            f"{name} has shape {values.shape}, Linear({layer.in_features}, {layer.out_features}) needs {shape}"
        )
    return as_float_array(values, name=name)


def _parametrized_values(layer: Any) -> tuple[Any, Any]:
    """A Linear's (weight, bias) as its forward reads them; a parametrized one's
    (``torch.nn.utils.parametrize``) computed with its parametrizations in eval mode, so that a
    stateful one is read, not advanced (spectral_norm runs a power iteration at each read in
    train mode, changing the module's buffers), and put back in their modes afterwards."""
    parametrizations = getattr(layer, "parametrizations", None)
    if parametrizations is None:
        return layer.weight, layer.bias
    modes = [(module, module.training) for module in parametrizations.modules()]
    parametrizations.eval()
    try:
        # each computed by its ParametrizationList: the attribute would store the eval-mode value
        # in parametrize.cached()'s cache, which the module's next forward in that block would use
        weight, bias = (
            parametrizations[name]() if name in parametrizations else getattr(layer, name)
            for name in ("weight", "bias")
        )
        return weight, bias
    finally:
        for module, training in modes:
            module.training = training


def from_torch(module: Any) -> Sequential:
    """A glassnet Sequential with copies of the weights of a torch Sequential (or single layer).

    Supported layers: ``nn.Linear`` (with bias) and the six activations above, each
    computing what its torch class does (no subclass forward, no forward or backward hooks, and
    no global ones registered with ``torch.nn.modules.module``'s ``register_module_forward_hook``,
    ``register_module_forward_pre_hook``, ``register_module_full_backward_hook`` and the like),
    the Linear sizes chaining (ValueError otherwise); nested
    Sequentials are flattened and layers named by position, so a flat torch Sequential keeps
    its parameter names if it has torch's own ("0.weight", …; not those of an OrderedDict).
    The dtype (float32/float64, one for all layers) and the train/eval mode are kept;
    weights (finite, of the layer's shapes) are copied to the CPU, a parametrized one
    (``torch.nn.utils.parametrize``, e.g. the new ``weight_norm``) as the value it computes in
    eval mode (spectral_norm's power iteration is not advanced, inside ``parametrize.cached()``
    too). Backward hooks (a module's, a global one, or ``Tensor.register_hook`` on a weight) may
    change the gradients torch computes and are refused too; post-accumulate hooks
    (``register_post_accumulate_grad_hook``, which torch's optimizer-in-backward recipe puts on
    every parameter) are not looked at. ``requires_grad`` is not carried over: every glassnet
    parameter trains, and ``to_torch``'s parameters all require gradients.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from glassnet.torch_bridge import from_torch, to_torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> model = from_torch(net)
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=3)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1)
    )
    >>> x = np.array([[1.0, 2.0]], dtype=np.float32)  # torch's default dtype, which the model keeps
    >>> with torch.no_grad():
    ...     expected = net(torch.from_numpy(x)).numpy()
    >>> bool(np.allclose(model(x), expected))
    True
    >>> back = to_torch(model).state_dict()  # and back: the same tensors, under the same names
    >>> all(torch.equal(back[name], value) for name, value in net.state_dict().items())
    True
    """
    torch = import_torch()
    if not isinstance(module, torch.nn.Module):
        hint = "; for a glassnet module use to_torch" if isinstance(module, Module) else ""
        raise TypeError(
            f"from_torch takes a torch.nn.Module, got {type(module).__module__}.{type(module).__qualname__}{hint}"
        )
    _refuse_global_hooks(torch)
    nn = torch.nn
    # torch's activations without settings, by glassnet's (a subclass too, where it computes as its base)
    simple: dict[type, type[Activation]] = {
        nn.Identity: Identity,
        nn.ReLU: ReLU,
        nn.Sigmoid: Sigmoid,
        nn.Tanh: Tanh,
    }
    layers: list[Module] = []
    seen = _LinearsSeen()
    for position, layer in enumerate(_flatten_torch(module)):
        if _computes_as(layer, nn.Linear):
            layers.append(_linear_from_torch(torch, layer, position, seen))
        elif _computes_as(layer, nn.LeakyReLU):
            layers.append(LeakyReLU(layer.negative_slope))
        elif _computes_as(layer, nn.Softplus):
            if layer.beta != 1 or not layer.threshold >= SOFTPLUS_MIN_THRESHOLD:  # NaN refused too
                raise ValueError(
                    f"from_torch supports Softplus with beta=1 and threshold >= {SOFTPLUS_MIN_THRESHOLD:g} "
                    f"(glassnet's is log(1 + e^z) for every z), got beta={layer.beta}, "
                    f"threshold={layer.threshold} at position {position}"
                )
            layers.append(Softplus())
        elif (base := next((cls for cls in simple if _computes_as(layer, cls)), None)) is not None:
            layers.append(simple[base]())
        else:
            raise ValueError(
                f"from_torch cannot convert {type(layer).__name__} at position {position}"
                f"{_why_not_converted(nn, layer, tuple(simple))}; it converts {FROM_TORCH_LAYERS}"
            )
    if not layers:
        raise ValueError("from_torch got an empty module")
    return Sequential(*layers).train(module.training)


@dataclass
class _LinearsSeen:
    """What from_torch has read of the Linear layers before the current one, for the checks
    that span layers: shared parameters, one dtype, sizes that chain."""

    owners: dict[int, int] = field(default_factory=dict)  # id of a weight or bias -> first Linear's position
    # (first byte, end, position, tensor) of each Linear's parameters in memory
    spans: list[tuple[int, int, int, Any]] = field(default_factory=list)
    dtypes: dict[int, Any] = field(default_factory=dict)  # position of each Linear -> its dtype
    chain: list[tuple[int, int, int]] = field(default_factory=list)  # (position, in, out) of the last Linear


def _linear_from_torch(torch: Any, layer: Any, position: int, seen: _LinearsSeen) -> Linear:
    """A glassnet Linear with copies of an ``nn.Linear``'s weight (out, in) and bias (out,), as its
    forward reads them; ValueError or TypeError for what glassnet's copy would compute or train
    otherwise (no bias, gradient hooks, parameters shared with an earlier layer, another dtype,
    the meta device, sizes that do not chain)."""
    _sizes_chain(seen.chain, layer.in_features, layer.out_features, position, "from_torch")
    # read once: a parametrized layer (torch.nn.utils.parametrize) computes them at each read
    weight_tensor, bias_tensor = _parametrized_values(layer)
    if bias_tensor is None:
        raise ValueError(f"from_torch needs Linear layers with a bias (position {position} has none)")
    hooked = [name for name, tensor in layer.named_parameters() if getattr(tensor, "_backward_hooks", None)]
    if hooked:  # the gradients torch computes are the hooks', not the layer's
        raise ValueError(
            f"from_torch: the Linear at position {position} has gradient hooks on {', '.join(hooked)} "
            "(Tensor.register_hook), which may change its gradients; remove them first (handle.remove())"
        )
    # the layer's own parameters, which live as long as the module: a parametrized weight
    # is a new tensor at each read, whose id a later one may take once it is freed
    first = _shared_with(seen.owners, layer.parameters(), position)
    if first is None:
        # other Parameters on the same memory (Parameter(other.weight.data)) are tied too
        first = _overlapping(seen.spans, layer.parameters(), position)
    if first is not None:  # copies would train apart where torch's stay one
        raise ValueError(
            f"from_torch: the Linear layers at positions {first} and {position} share "
            "parameters (one module used twice, or tied weights), which from_torch does "
            "not carry over: glassnet's copies would train apart"
        )
    dtypes = (weight_tensor.dtype, bias_tensor.dtype)
    if dtypes[0] != dtypes[1] or dtypes[0] not in (torch.float32, torch.float64):
        got = dtypes[0] if dtypes[0] == dtypes[1] else f"weight {dtypes[0]}, bias {dtypes[1]}"
        raise TypeError(
            f"from_torch supports Linear layers in float32 or float64, got {got} at position "
            f"{position}; convert the module with .float() or .double() first"
        )
    _same_dtype(seen.dtypes, dtypes[0], position)  # torch cannot run it; glassnet would mix both
    if weight_tensor.is_meta or bias_tensor.is_meta:
        raise ValueError(
            f"from_torch: the Linear at position {position} is on the meta device, which holds "
            "shapes but no values; load its weights first (module.to_empty, load_state_dict)"
        )
    shape = (layer.out_features, layer.in_features)
    weight = _linear_values(weight_tensor, "weight", shape, layer, position)  # (out, in)
    bias = _linear_values(bias_tensor, "bias", shape[:1], layer, position)  # (out,)
    linear = Linear(layer.in_features, layer.out_features, rng=np.random.default_rng(0), dtype=weight.dtype)
    linear.weight.data[...] = weight
    linear.bias.data[...] = bias
    return linear


def _why_not_converted(nn: Any, layer: Any, activations: tuple[type, ...]) -> str:
    """Why from_torch refuses ``layer``, in brackets for its message, where the class alone does
    not say it ('' where it does); ``activations``: the setting-free ones it converts."""
    if isinstance(layer, nn.modules.lazy.LazyModuleMixin):  # its shapes come with the first input
        return " (a lazy module not yet initialised: run one forward pass first)"
    if isinstance(layer, nn.Module) and (layer._forward_hooks or layer._forward_pre_hooks):
        return (
            " (it has forward hooks, which change what it computes; remove them first: "
            "handle.remove(), torch.nn.utils.prune.remove(m, 'weight') for pruning, "
            "torch.nn.utils.remove_weight_norm(m) for the old weight norm)"
        )
    if isinstance(layer, nn.Module) and _hooks(layer):
        return " (it has backward hooks, which may change its gradients; remove them first: handle.remove())"
    if isinstance(layer, (nn.Linear, nn.LeakyReLU, nn.Softplus, nn.Sequential, *activations)):
        return " (a forward or __call__ of its own)"
    if isinstance(layer, nn.modules.dropout._DropoutNd):
        return " (glassnet has no dropout; in eval mode it passes its input on: leave it out)"
    return ""


def build_torch_mlp(
    spec: MLPSpec, *, device: Any = "cpu", rng: np.random.Generator | None = None, init: str = "torch"
) -> Any:
    """A torch Sequential for ``spec``, weights drawn by glassnet from ``rng`` (so both engines start alike)."""
    return to_torch(build_mlp(check_spec(spec, "build_torch_mlp"), rng=rng, init=init), device=device)
