"""Architecture specification: what is needed to rebuild an MLP in either engine.

An :class:`MLPSpec` names the layer sizes, the hidden and output activations and the
dtype. It is what a checkpoint stores next to the weights, what ``build_mlp`` turns into
a glassnet :class:`~glassnet.nn.MLP` and what :func:`glassnet.torch_bridge.build_torch_mlp`
turns into a ``torch.nn.Sequential`` with the same parameter names (``"0.weight"``, …).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import as_dtype, layer_sizes, shown
from glassnet.nn import ACTIVATIONS, MLP, Activation, LeakyReLU, Linear, Module, flatten_modules

__all__ = [
    "DEFAULT_LEAKY_SLOPE",
    "MLPSpec",
    "build_mlp",
    "check_weights",
    "spec_of",
]

DEFAULT_LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class MLPSpec:
    """Layer sizes (d₀, …, d_L), hidden activation f, output activation g (None: identity, which
    "identity" is taken as), dtype.

    Layers, in order: Linear(d₀→d₁), f, Linear(d₁→d₂), f, …, Linear(d_{L−1}→d_L)[, g], named
    ``"0"``, ``"1"``, … as in ``MLP`` and in a flat ``torch.nn.Sequential``.

    Examples
    --------
    >>> from glassnet.spec import MLPSpec
    >>> spec = MLPSpec(sizes=(2, 3, 1), activation="tanh")
    >>> spec.parameter_shapes()  # W (out, in) and b (out,) of each Linear layer
    {'0.weight': (3, 2), '0.bias': (3,), '2.weight': (1, 3), '2.bias': (1,)}
    >>> spec.to_dict()  # what a checkpoint stores
    {'sizes': [2, 3, 1], 'activation': 'tanh', 'output_activation': None, 'dtype': 'float64',
     'negative_slope': 0.01}
    >>> MLPSpec.from_dict(spec.to_dict()) == spec
    True
    >>> MLPSpec(sizes=(2, 1), output_activation="identity").output_activation is None  # the same network
    True
    """

    sizes: tuple[int, ...]
    activation: str = "relu"
    output_activation: str | None = None
    dtype: str = "float64"
    # negative slope of "leaky_relu" (ignored by the other activations)
    negative_slope: float = field(default=DEFAULT_LEAKY_SLOPE)

    def __post_init__(self) -> None:
        sizes = layer_sizes(self.sizes, "MLPSpec sizes")
        if len(sizes) < 2:
            raise ValueError(f"an MLP needs at least two sizes (inputs and outputs), got {sizes}")
        object.__setattr__(self, "sizes", tuple(sizes))
        for name, value in (("activation", self.activation), ("output_activation", self.output_activation)):
            if value is None and name == "output_activation":
                continue
            if not isinstance(value, str) or value not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {', '.join(ACTIVATIONS)}, got {shown(value)}")
        if self.output_activation == "identity":  # the same network as None, which spec_of reports
            object.__setattr__(self, "output_activation", None)
        object.__setattr__(self, "dtype", str(as_dtype(self.dtype)))
        slope = self.negative_slope
        numeric = int | float | np.integer | np.floating  # np.float32(0.2) too, as LeakyReLU takes it
        if isinstance(slope, bool) or not isinstance(slope, numeric) or not _is_finite(slope):
            raise ValueError(f"negative_slope must be a finite number, got {shown(slope)}")
        object.__setattr__(self, "negative_slope", float(slope))

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def with_activation(self, activation: str) -> MLPSpec:
        """This spec with another hidden activation (itself when it is the same): an ensemble
        member's architecture, whose members differ in hidden activation at most."""
        return self if activation == self.activation else dataclasses.replace(self, activation=activation)

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name → shape of every parameter, in order: ``{"0.weight": (d₁, d₀), "0.bias": (d₁,), …}``."""
        shapes: dict[str, tuple[int, ...]] = {}
        for layer, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            shapes[f"{2 * layer}.weight"] = (fan_out, fan_in)
            shapes[f"{2 * layer}.bias"] = (fan_out,)
        return shapes

    def to_dict(self) -> dict[str, Any]:
        return {
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dtype": self.dtype,
            "negative_slope": self.negative_slope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MLPSpec:
        """Inverse of :meth:`to_dict`; unknown keys, or a missing ``sizes``, raise ValueError. The
        other keys, when missing, take their defaults (relu, no output activation, float64, a
        negative slope of 0.01)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an MLP spec must be a mapping, got {type(data).__name__}")
        known = ("sizes", "activation", "output_activation", "dtype", "negative_slope")
        unknown = sorted(set(data) - set(known), key=str)  # keys of mixed types (1, "x") do not compare
        if unknown:
            raise ValueError(f"bad MLP spec: unknown keys {shown(unknown)}; it takes {', '.join(known)}")
        if "sizes" not in data:
            raise ValueError("bad MLP spec: it has no 'sizes' (the layer widths, inputs first)")
        sizes = data["sizes"]
        # NumPy's integers too (a list made from an array); a bool is named by the constructor
        if not isinstance(sizes, list | tuple) or not all(isinstance(s, numbers.Integral) for s in sizes):
            raise ValueError(f"MLP spec sizes must be a list of integers, got {shown(sizes)}")
        return cls(
            sizes=tuple(sizes),
            activation=data.get("activation", "relu"),
            output_activation=data.get("output_activation"),
            dtype=data.get("dtype", "float64"),
            negative_slope=data.get("negative_slope", DEFAULT_LEAKY_SLOPE),
        )


def check_spec(spec: object, caller: str) -> MLPSpec:
    """``spec`` if it is an MLPSpec; TypeError naming ``caller`` otherwise (typed MLPSpec, but
    called without a type checker too: a dict failed deep inside with AttributeError "'dict'
    object has no attribute 'sizes'"), with a hint for a dict."""
    if not isinstance(spec, MLPSpec):
        hint = ""
        if isinstance(spec, Mapping):
            hint = "; for a dict such as MLPSpec.to_dict() gives, pass MLPSpec.from_dict(it)"
        raise TypeError(f"{caller} takes an MLPSpec, got {type(spec).__name__}{hint}")
    return spec


def build_mlp(spec: MLPSpec, *, rng: np.random.Generator | None = None, init: str = "torch") -> MLP:
    """A glassnet MLP for ``spec``, weights drawn from ``rng`` with the ``init`` scheme.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.spec import MLPSpec, build_mlp, spec_of
    >>> spec = MLPSpec(sizes=(2, 3, 1), activation="leaky_relu", negative_slope=0.2)
    >>> model = build_mlp(spec, rng=np.random.default_rng(0))
    >>> model
    MLP(
      sizes=[2, 3, 1]
      (0): Linear(in_features=2, out_features=3)
      (1): LeakyReLU(negative_slope=0.2)
      (2): Linear(in_features=3, out_features=1)
    )
    >>> model(np.zeros((4, 2))).shape
    (4, 1)
    >>> spec_of(model) == spec  # the spec read back from the model
    True
    """
    spec = check_spec(spec, "build_mlp")
    model = MLP(
        list(spec.sizes),
        activation=spec.activation,
        output_activation=spec.output_activation,
        init=init,  # type: ignore[arg-type]
        rng=rng if rng is not None else np.random.default_rng(),
        dtype=spec.dtype,
    )
    if spec.negative_slope != DEFAULT_LEAKY_SLOPE:
        for module in model.layers:
            if isinstance(module, LeakyReLU):
                module.negative_slope = spec.negative_slope
    return model


def spec_of(model: Module) -> MLPSpec:
    """The :class:`MLPSpec` of a glassnet model made of Linear layers with activations between.

    Accepts an MLP or any Sequential (nested ones are opened up) of the form
    Linear, f, Linear, f, …, Linear[, g] with one hidden activation f throughout, every layer
    glassnet's own class (a subclass may compute something else, which a spec cannot say, as
    torch_bridge reasons) and of one dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Linear, ReLU, Sequential, Sigmoid, Tanh
    >>> from glassnet.spec import spec_of
    >>> rng = np.random.default_rng(0)
    >>> model = Sequential(Linear(2, 4, rng=rng), Tanh(), Linear(4, 1, rng=rng), Sigmoid())
    >>> spec_of(model)  # the last activation is the output's
    MLPSpec(sizes=(2, 4, 1), activation='tanh', output_activation='sigmoid', dtype='float64',
            negative_slope=0.01)

    A spec holds one hidden activation: a model of two has none.

    >>> layers = [Linear(2, 3, rng=rng), Tanh(), Linear(3, 3, rng=rng), ReLU(), Linear(3, 1, rng=rng)]
    >>> spec_of(Sequential(*layers))
    Traceback (most recent call last):
        ...
    ValueError: an MLPSpec has one hidden activation, got ['relu', 'tanh']
    """
    layers = flatten_modules([model])
    if not layers or type(layers[0]) is not Linear:
        raise ValueError(f"expected a model that starts with a Linear layer, got {_kinds(layers)}")
    sizes = [layers[0].in_features]
    hidden: set[tuple[str, float]] = set()
    output: Activation | None = None
    expect_linear = True
    for position, layer in enumerate(layers):
        if expect_linear:
            if type(layer) is not Linear:
                raise ValueError(f"expected Linear at position {position}, got {type(layer).__name__}")
            if layer.dtype != layers[0].dtype:
                raise ValueError(
                    f"Linear at position {position} is {layer.dtype}, the first one {layers[0].dtype}; an "
                    "MLPSpec has one dtype (model.astype makes them one)"
                )
            if layer.in_features != sizes[-1]:
                raise ValueError(
                    f"Linear at position {position} takes {layer.in_features} inputs, previous layer gives {sizes[-1]}"
                )
            sizes.append(layer.out_features)
            expect_linear = False
        else:
            if not isinstance(layer, Activation) or type(layer) not in ACTIVATIONS.values():
                raise ValueError(
                    f"expected one of glassnet's activations ({', '.join(ACTIVATIONS)}) at position "
                    f"{position}, got {type(layer).__name__}"
                )
            if position == len(layers) - 1:
                output = layer
            else:
                hidden.add(_activation_key(layer))
            expect_linear = True
    if len({name for name, _ in hidden}) > 1:
        raise ValueError(f"an MLPSpec has one hidden activation, got {sorted({h[0] for h in hidden})}")
    if len(hidden) > 1:  # one activation, LeakyReLU, of several slopes
        raise ValueError(
            f"the hidden LeakyReLU slopes differ, {sorted(h[1] for h in hidden)}; an MLPSpec holds one slope"
        )
    activation, slope = hidden.pop() if hidden else ("relu", DEFAULT_LEAKY_SLOPE)
    output_name: str | None = None
    if output is not None:
        output_name, output_slope = _activation_key(output)
        if output_name == "leaky_relu":
            if activation == "leaky_relu" and output_slope != slope:
                raise ValueError("hidden and output LeakyReLU slopes differ; an MLPSpec holds one slope")
            slope = output_slope
        if output_name == "identity":
            output_name = None
    dtype = model.dtype
    return MLPSpec(
        sizes=tuple(sizes),
        activation=activation,
        output_activation=output_name,
        dtype=str(dtype if dtype is not None else np.dtype(np.float64)),
        negative_slope=slope,
    )


def _is_finite(number: float | np.integer | np.floating) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an int past float's range, 10**400
        return False


def _activation_key(layer: Activation) -> tuple[str, float]:
    slope = layer.negative_slope if isinstance(layer, LeakyReLU) else DEFAULT_LEAKY_SLOPE
    return layer.name, slope


def _kinds(layers: Sequence[Module]) -> list[str]:
    return [type(layer).__name__ for layer in layers]


def check_weights(spec: MLPSpec, weights: Mapping[str, npt.ArrayLike], *, what: str = "weights") -> None:
    """Raise ValueError unless ``weights`` has exactly the spec's parameter names and shapes.

    The names are compared without listing all of the spec's: a spec of a million layers
    beside the few arrays of a small model (a forged checkpoint) is refused in time and memory
    that grow with the arrays given, not with the layers claimed.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.spec import MLPSpec, build_mlp, check_weights
    >>> spec = MLPSpec(sizes=(2, 3, 1))
    >>> weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    >>> check_weights(spec, weights)  # names and shapes fit: nothing to say
    >>> check_weights(spec, {**weights, "2.weight": np.zeros((3, 1))})  # W is (out, in)
    Traceback (most recent call last):
        ...
    ValueError: weights['2.weight'] has shape (3, 1), the architecture [2, 3, 1] needs (1, 3)
    >>> del weights["2.bias"]
    >>> check_weights(spec, weights, what="member 0 weights")
    Traceback (most recent call last):
        ...
    ValueError: member 0 weights do not match the architecture [2, 3, 1]: missing ['2.bias'], unexpected []
    """
    n_layers = len(spec.sizes) - 1
    unexpected = sorted((name for name in weights if not _is_parameter_name(name, n_layers)), key=str)
    n_missing = 2 * n_layers - (len(weights) - len(unexpected))
    if n_missing or unexpected:
        absent = (name for name in _parameter_names(n_layers) if name not in weights)
        first = list(itertools.islice(absent, _LISTED))  # found within len(weights) + _LISTED names
        missing = (
            shown(sorted(first))
            if len(first) == n_missing
            else f"{n_missing} of its {2 * n_layers} parameters, the first {len(first)}: {shown(first)}"
        )
        raise ValueError(
            f"{what} do not match the architecture {shown(list(spec.sizes))}: missing {missing}, "
            f"unexpected {shown(unexpected)}"
        )
    for name, shape in spec.parameter_shapes().items():  # as many as the weights given
        got = np.shape(weights[name])
        if got != shape:
            raise ValueError(
                f"{what}[{name!r}] has shape {got}, the architecture {shown(list(spec.sizes))} needs {shape}"
            )


_LISTED = 10  # missing parameter names listed by check_weights, at most


def _parameter_names(n_layers: int) -> Iterator[str]:
    """The parameter names of ``n_layers`` Linear layers, in order: "0.weight", "0.bias", "2.weight", …"""
    for layer in range(n_layers):
        yield f"{2 * layer}.weight"
        yield f"{2 * layer}.bias"


def _is_parameter_name(name: object, n_layers: int) -> bool:
    """True if ``name`` is one of ``_parameter_names(n_layers)``, found without listing them."""
    if not isinstance(name, str):
        return False
    index, _, kind = name.partition(".")
    return (
        kind in ("weight", "bias")
        and index.isascii()
        and index.isdigit()
        and len(index) <= len(str(2 * n_layers))  # no int() of a digit string as long as the name
        and str(int(index)) == index  # "2", not "02"
        and int(index) % 2 == 0
        and int(index) < 2 * n_layers
    )
