"""The derivation as data: every intermediate value of forward pass, loss, chain rule, update.

:func:`derive` runs glassnet's own forward and backward passes on a float64 copy of the
network and records what each step of a worked solution needs. The chain-rule factors are
read from the cached forward values and the activations' ``derivative``; the gradient they
give is compared with ``model.backward`` (the engine), with central finite differences
(:func:`glassnet.gradcheck`) and, when installed, with PyTorch autograd.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array
from glassnet._gradcheck import GradcheckReport, StepBelowRounding, gradcheck
from glassnet.explain._names import glassnet_name, own_reduction, shown_name
from glassnet.explain._notation import Notation, ParamRef, all_params
from glassnet.explain._torch import torch_gradients
from glassnet.losses import LogisticLoss, Loss
from glassnet.nn import Activation, Linear, Module, Sequential, flatten_modules
from glassnet.optim import SGD

PATH_LIMIT = 64  # chain-rule paths computed one by one up to this many; the δ form always


@dataclass(frozen=True)
class LayerRecord:
    """Layer l: z = W a⁽ˡ⁻¹⁾ + b (``product`` = W a⁽ˡ⁻¹⁾), a⁽ˡ⁾ = f(z), f′(z).

    Shapes: weight (out, in), bias (out,), inputs (in,), product/z/output/derivative (out,).
    ``activation`` is None when the layer has none or the identity (then output = z).
    """

    index: int
    prefix: str
    weight: Array
    bias: Array
    inputs: Array
    product: Array
    z: Array
    activation: Activation | None
    output: Array
    derivative: Array

    @property
    def activation_name(self) -> str:
        return "identity" if self.activation is None else shown_name(self.activation)


@dataclass(frozen=True)
class LossRecord:
    """The loss on one example: ℓₖ per output, the reduced L and ∂L/∂ŷ (from ``backward``).

    Shapes: prediction, target, elementwise, grad (K,). ``sign`` is s(y) = 1 − 2y (labels
    '01') or −y ('pm1') for the logistic loss, else None. ``literal`` means the formula
    is applied to labels as written (``strict_labels=False``); ``outside`` that some label
    lies outside the convention.
    """

    loss: Loss
    prediction: Array
    target: Array
    elementwise: Array | None  # None for a loss of its own with no ℓ (own_reduction)
    value: float
    grad: Array
    sign: Array | None
    literal: bool
    outside: bool

    @property
    def name(self) -> str:
        return shown_name(self.loss)

    @property
    def terms(self) -> Array:
        """ℓₖ, (K,), of a loss whose L is written from them (not :attr:`own_reduction`'s)."""
        if self.elementwise is None:
            raise RuntimeError(f"{self.name} has no ℓ to write: its L is written its own way")
        return self.elementwise

    @property
    def own_reduction(self) -> bool:
        """Whether the loss makes L or dL/dŷ its own way (:func:`~glassnet.explain._names.own_reduction`)."""
        return own_reduction(self.loss)

    @property
    def labels(self) -> str | None:
        return self.loss.labels if self.name == "logistic" and isinstance(self.loss, LogisticLoss) else None

    @property
    def reduction(self) -> str:
        return self.loss.reduction


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule path, from the loss down to the parameter.

    kinds: ``"loss"`` ∂L/∂ŷₖ; ``"act"`` ∂a⁽ᵐ⁾ₖ/∂z⁽ᵐ⁾ₖ = f′(z⁽ᵐ⁾ₖ); ``"weight"``
    ∂z⁽ᵐ⁾ₖ/∂a⁽ᵐ⁻¹⁾ₚ = w⁽ᵐ⁾ₖₚ; ``"input"`` ∂z⁽ˡ⁾ᵢ/∂w⁽ˡ⁾ᵢⱼ = a⁽ˡ⁻¹⁾ⱼ (or ∂z/∂b = 1, ``prev`` None).
    ``unit`` and ``prev`` are 0-based unit indices in layers ``layer`` and ``layer − 1``.
    """

    kind: str
    layer: int
    unit: int
    prev: int | None
    value: float


@dataclass(frozen=True)
class Path:
    """One path through the units: ``units`` = (kₗ, …, k_L), its factors and their product."""

    units: tuple[int, ...]
    factors: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class ParamRecord:
    """One explained parameter: its chain rule, δ form, the three checks and the update.

    ``chain`` is the sum over ``paths`` (None when there are more than PATH_LIMIT),
    ``delta_form`` = δ⁽ˡ⁾ᵢ a⁽ˡ⁻¹⁾ⱼ, ``engine`` = ``model.backward``, ``numeric`` = central
    finite differences (None when a step of ε leaves the loss's domain), ``torch`` = PyTorch autograd (None when unavailable);
    ``updated`` = value − η · engine.
    """

    ref: ParamRef
    value: float
    paths: tuple[Path, ...] | None
    path_count: int
    chain: float | None
    delta: float
    delta_input: float
    delta_form: float
    engine: float
    numeric: float | None
    torch: float | None
    updated: float


@dataclass(frozen=True)
class TableRow:
    """Every parameter at a glance: value, gradient (engine, δ form, numeric, torch), update."""

    ref: ParamRef
    value: float
    engine: float
    delta_form: float
    numeric: float | None
    torch: float | None
    updated: float


@dataclass(frozen=True)
class StepRecord:
    """Training step k: prediction and loss before the update, the chosen parameters' update."""

    step: int
    prediction: Array
    loss: float
    params: tuple[tuple[ParamRef, float, float, float], ...]  # (ref, value, gradient, updated)


@dataclass(frozen=True)
class AfterSteps:
    """The prediction ŷ (K,) and the loss once every one of the k steps has been taken."""

    steps: int
    prediction: Array
    loss: float


KINKED = ("relu", "leaky_relu")
"""Activations with a kink at z = 0, where f′ is taken as its value on the left (as PyTorch does)."""


ROUNDED_BELOW = 1e-8
"""σ′(z) (z > 0) or tanh′(z) below this is said to be mostly rounding: see :func:`rounded_derivative`."""


def rounded_derivative(layer: LayerRecord, unit: int) -> bool:
    """Whether f′(z) of ``unit`` is dominated by rounding: σ(z)(1 − σ(z)) with z > 0 or
    1 − tanh²(z), computed so by the engine (and PyTorch), below ``ROUNDED_BELOW``.

    σ(z) and tanh(z) are rounded to float64 (an error up to 2⁻⁵³ ≈ 1.1e-16 near 1), so
    1 − σ(z) and 1 − tanh²(z) are accurate to a few 1e-16 absolute only: below 1e-8 that is
    a relative error above about 1e-8, and 0 for z past about 37 (σ) or 19 (tanh). For
    z < 0, σ(z)(1 − σ(z)) ≈ σ(z) is accurate to the last digit: nothing cancels.
    """
    name = layer.activation_name
    cancels = name == "tanh" or (name == "sigmoid" and layer.z[unit] > 0)
    return cancels and bool(layer.derivative[unit] < ROUNDED_BELOW)


@dataclass(frozen=True)
class Kink:
    """Unit ``unit`` (0-based) of layer ``layer``, whose z is at its activation's kink at 0
    (z = 0) or is moved across it by a finite-difference step (see :func:`_kinks`).

    ``z`` and ``derivative`` (f′(z), the one the backward pass and PyTorch use) are those at
    θ. At z = 0 the derivative is one of the two one-sided slopes; a central difference
    across the kink mixes the two, also where z ≠ 0 and f′(z) is the exact derivative.
    """

    layer: int
    unit: int
    z: float
    activation: str
    derivative: float


# a parameter as (layer, kind, row, col), layers from 1, col None for a bias, as ParamRef names it
ParamKey = tuple[int, str, int, int | None]


@dataclass(frozen=True)
class Derivation:
    """Every number of one worked solution (see the module docstring)."""

    notation: Notation
    x: Array
    y: Array
    layers: tuple[LayerRecord, ...]
    loss: LossRecord
    deltas: tuple[Array, ...]
    params: tuple[ParamRecord, ...]
    learning_rate: float
    table: tuple[TableRow, ...] | None
    steps: tuple[StepRecord, ...]
    after_steps: AfterSteps | None  # ŷ and L after the last of ``steps``; None without steps
    gradients: tuple[tuple[Array, Array], ...]  # backward's (dL/dW, dL/db) of every layer
    torch_note: str
    torch_available: bool
    fd_note: str | None  # why finite differences are missing (``numeric`` None); None when computed
    fd_eps: float
    show_deltas: bool
    kinks: tuple[Kink, ...] = ()
    # (layer, kind, row, col) of every parameter whose finite-difference step moves a unit at or
    # near a kink across it (col None for a bias): where a difference may be the kink's
    kink_crossers: frozenset[ParamKey] = frozenset()
    # the same of every parameter whose finite difference gradcheck calls a mismatch: off the
    # backward pass by more than its tolerance and what rounding leaves in it
    fd_mismatches: frozenset[ParamKey] = frozenset()
    # the dotted names of parameters no Linear holds (``Network.others``), which are not worked out
    other_params: tuple[str, ...] = ()
    # of ``fd_mismatches``, those whose PyTorch gradient agrees with the backward pass (to
    # TORCH_AGREES): there the finite differences are the ones off
    torch_confirmed: frozenset[ParamKey] = frozenset()
    # the interval [low, high] BCE's loss clips ŷ to, in float64 (None for another loss), and the
    # outputs k whose ŷₖ lies outside it
    clip_bounds: tuple[float, float] | None = None
    clipped_outputs: tuple[int, ...] = ()
    # of ``fd_mismatches``, those the clip explains: their finite differences agree with the
    # derivative of the clipped loss, the backward pass taken with ∂L/∂ŷₖ = 0 at the clipped outputs
    # (see _ClipHeld), or their steps take a clipped output back inside (_clip_crossers) and a third
    # check, the clipped outputs held where they are (_ClipDropped), passes them. With clipped
    # outputs, ``fd_mismatches`` holds the second check's mismatches too
    clip_explained: frozenset[ParamKey] = frozenset()
    model_dtype: str = "float64"  # the dtype of the model given (``Network.model_dtype``)

    def unexplained_mismatches(self) -> tuple[ParamRef, ...]:
        """The parameters whose finite difference is a mismatch that no kink explains (their
        steps move no ReLU-type unit across one): a backward pass to doubt, or finite
        differences (PyTorch tells the two apart: ``torch_confirmed``). Layer by layer, each
        layer's weights (row by row) before its biases."""
        keys = sorted(
            self.fd_mismatches - self.kink_crossers, key=lambda k: (k[0], k[1] != "weight", k[2], k[3] or 0)
        )
        return tuple(
            ParamRef(layer, "weight" if kind == "weight" else "bias", row, col, self.layers[layer - 1].prefix)
            for layer, kind, row, col in keys
        )


@dataclass(frozen=True)
class Network:
    """A model read as L Linear layers, each followed by at most one activation."""

    model: Sequential
    linears: tuple[Linear, ...]
    activations: tuple[Activation | None, ...]
    prefixes: tuple[str, ...]
    # the dotted names of parameters no Linear holds (an activation's own, a PReLU's slope): the
    # steps update them with the rest, but no chain rule or table works them out
    others: tuple[str, ...] = ()
    # the dtype of the model given, of which ``model`` is a float64 copy (a float32 model's own
    # passes differ from the copy's in about the seventh significant digit)
    model_dtype: str = "float64"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.linears[0].in_features, *(linear.out_features for linear in self.linears))

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        return tuple((linear.out_features, linear.in_features) for linear in self.linears)

    @property
    def plain(self) -> tuple[bool, ...]:
        return tuple(activation is None for activation in self.activations)


def _not_a_module(model: object) -> str:
    """Why ``model`` is refused, its type named in full: a torch.nn.Sequential is no glassnet
    Sequential ("got Sequential" read as one); a PyTorch model (its class, or one it derives
    from, is torch's, told without importing torch) is pointed to ``from_torch``."""
    given = type(model)
    name = (
        given.__qualname__ if given.__module__ == "builtins" else f"{given.__module__}.{given.__qualname__}"
    )
    from_torch = any(cls.__module__.partition(".")[0] == "torch" for cls in given.__mro__)
    hint = "; convert a PyTorch model with glassnet.torch_bridge.from_torch(model)" if from_torch else ""
    return f"explain needs a glassnet Module (glassnet.nn.Sequential, MLP or Linear), got {name}{hint}"


def read_network(model: Module) -> Network:
    """A float64 copy of ``model`` split into layers; the model itself is not touched."""
    if not isinstance(model, Module):
        raise TypeError(_not_a_module(model))
    copied = copy.deepcopy(model)
    if copied.dtype is None:
        raise ValueError("explain needs a model with at least one Linear layer, got one without parameters")
    model_dtype = np.dtype(copied.dtype).name
    copied.astype(np.float64)
    seq = copied if isinstance(copied, Sequential) else Sequential(copied)
    leaves = flatten_modules([seq])
    owner = {id(param): name.rsplit(".", 1)[0] for name, param in seq.named_parameters()}
    linears: list[Linear] = []
    activations: list[Activation | None] = []
    for leaf in leaves:
        if isinstance(leaf, Linear):
            linears.append(leaf)
            activations.append(None)
        elif isinstance(leaf, Activation) and linears and activations[-1] is None:
            # glassnet's identity is no activation to show; a user's subclass may compute another f
            activations[-1] = None if glassnet_name(leaf) == "identity" else leaf
        else:
            layout = ", ".join(type(m).__name__ for m in leaves)
            raise TypeError(
                "explain handles Linear layers, each followed by at most one activation, "
                f"starting with a Linear; got {layout}"
            )
    for before, after in itertools.pairwise(linears):
        if before.out_features != after.in_features:
            raise ValueError(
                f"layer sizes do not chain: a Linear with {before.out_features} outputs is followed by "
                f"one with {after.in_features} inputs"
            )
    for name, param in seq.named_parameters():
        # checked here, not left to the arithmetic: an inf weight read as "the numbers overflow"
        as_float_array(param.data, name=f"explain's parameter {name}")
    # a Parameter held by two layers (tied weights, dec.weight = enc.weight) is named once, by
    # its first holder, and its gradient sums over both layers: no chain through one layer
    # gives it, and the second layer's numbers would be shown under the first one's name
    holders: dict[int, int] = {}
    for position, linear in enumerate(linears, start=1):
        for parameter in (linear.weight, linear.bias):
            first = holders.setdefault(id(parameter), position)
            if first != position:
                raise ValueError(
                    f"explain cannot show layers {first} and {position}: they share a parameter "
                    f"(tied weights), whose gradient sums over both layers; give each its own copy "
                    "(copy.deepcopy of the layer) to explain the network"
                )
    prefixes = tuple(owner[id(linear.weight)] for linear in linears)
    held = {id(param) for linear in linears for param in (linear.weight, linear.bias)}
    others = tuple(name for name, param in seq.named_parameters() if id(param) not in held)
    return Network(seq, tuple(linears), tuple(activations), prefixes, others, model_dtype)


def _engine_pass(net: Network, loss: Loss, x: Array, y: Array) -> tuple[Array, float, Array]:
    """glassnet's forward, loss and backward; returns (ŷ (1, K), L, dL/dŷ (1, K))."""
    net.model.zero_grad()
    prediction = net.model(x[None, :])  # (1, K)
    value = loss(prediction, y[None, :])
    grad = loss.backward()  # (1, K)
    net.model.backward(grad)
    return prediction, value, grad


def delta_parts(deltas: Sequence[Array], layers: Sequence[LayerRecord], ref: ParamRef) -> tuple[float, float]:
    """(δ⁽ˡ⁾ᵢ, a⁽ˡ⁻¹⁾ⱼ) of ``ref``, whose product is its gradient in δ form (a⁽ˡ⁻¹⁾ⱼ = 1 for a bias)."""
    delta = float(deltas[ref.layer - 1][ref.row])
    a_in = 1.0 if ref.col is None else float(layers[ref.layer - 1].inputs[ref.col])
    return delta, a_in


def _refuse_a_forward_of_its_own(
    layers: Sequence[LayerRecord], activations: Sequence[Activation | None]
) -> None:
    """ValueError naming the first activation whose forward is not its f (a subclass's own
    forward, doubling ReLU's): explain writes h = f(z), which would not be the model's h (it
    raised "the layer-by-layer forward pass differs from the model's", naming nothing).
    ``activations``: copies of the layers' activations as they were before the engine's pass."""
    for layer, activation in zip(layers, activations, strict=True):
        if activation is None:
            continue
        computed = activation.forward(layer.z[None, :])[0]
        if not np.array_equal(computed, layer.output):
            raise ValueError(
                f"{type(activation).__name__}'s forward (layer {layer.index}) does not compute its "
                "function(z): explain writes h = f(z) from function and f′ from derivative, so a forward "
                "of its own must apply them"
            )


def _forward_records(net: Network, x: Array) -> list[LayerRecord]:
    """The forward pass again, layer by layer, keeping W a, z, f(z) and f′(z) of each layer."""
    records = []
    inputs = x[None, :]  # (1, in)
    for index, (linear, activation, prefix) in enumerate(
        zip(net.linears, net.activations, net.prefixes, strict=True), start=1
    ):
        weight, bias = linear.weight.data.copy(), linear.bias.data.copy()
        product = inputs @ weight.T  # (1, out), W a without the bias
        z = product + bias  # (1, out), as Linear.forward computes it
        output: Array = z if activation is None else activation.function(z)
        derivative: Array = np.ones_like(z) if activation is None else activation.derivative(z)
        records.append(
            LayerRecord(
                index,
                prefix,
                weight,
                bias,
                inputs[0].copy(),
                product[0],
                z[0],
                activation,
                output[0],
                derivative[0],
            )
        )
        inputs = output
    return records


def _own_terms(loss: Loss, prediction: Array, target: Array) -> Array | None:
    """ℓₖ of the one example, or None for a loss that makes L its own way without an ℓ (only its
    forward and backward: explain writes its L and dL/dŷ, not its terms)."""
    try:
        terms: Array = loss.elementwise(prediction, target)[0]
    except NotImplementedError:
        if own_reduction(loss):
            return None
        raise
    return terms


def _loss_record(loss: Loss, prediction: Array, y: Array, value: float, grad: Array) -> LossRecord:
    pred, target = loss.prepare(prediction, y[None, :])
    sign = None
    outside = False
    literal = False
    if isinstance(loss, LogisticLoss):
        sign = loss.sign(target)[0]
        outside = bool(loss.outside_labels(target).any())
        literal = not loss.strict_labels
    return LossRecord(
        loss,
        pred[0].copy(),
        target[0].copy(),
        _own_terms(loss, pred, target),
        value,
        grad[0].copy(),
        sign,
        literal,
        outside,
    )


def _deltas(layers: list[LayerRecord], grad: Array) -> list[Array]:
    """δ⁽ᴸ⁾ = ∂L/∂ŷ ⊙ g′(z⁽ᴸ⁾), δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f′(z⁽ˡ⁾), from the cached values."""
    deltas: list[Array] = [grad * layers[-1].derivative]
    for layer, above in zip(reversed(layers[:-1]), reversed(layers[1:]), strict=True):
        deltas.append((above.weight.T @ deltas[-1]) * layer.derivative)  # (out,)
    return deltas[::-1]


def _path_sum(paths: tuple[Path, ...]) -> float:
    """Σ of the paths' products, correctly rounded (``math.fsum``); where a product overflowed,
    the plain sum: inf, or NaN for +inf and −inf, on which ``math.fsum`` raises, for the overflow
    check of :func:`glassnet.explain.explain` to name."""
    products = [path.product for path in paths]
    return math.fsum(products) if all(map(math.isfinite, products)) else sum(products)


def _paths(layers: list[LayerRecord], grad: Array, ref: ParamRef) -> tuple[tuple[Path, ...] | None, int]:
    """Every path from the parameter to the loss, each a product of scalar factors."""
    depth = len(layers)
    later = [layers[m - 1].z.size for m in range(ref.layer + 1, depth + 1)]
    count = math.prod(later)
    if count > PATH_LIMIT:
        return None, count
    paths = []
    for rest in itertools.product(*(range(n) for n in later)):
        units = (ref.row, *rest)  # k_l, …, k_L
        factors = [Factor("loss", depth, units[-1], None, float(grad[units[-1]]))]
        if layers[-1].activation is not None:
            factors.append(Factor("act", depth, units[-1], None, float(layers[-1].derivative[units[-1]])))
        for m in range(depth, ref.layer, -1):
            k, p = units[m - ref.layer], units[m - 1 - ref.layer]
            factors.append(Factor("weight", m, k, p, float(layers[m - 1].weight[k, p])))
            below = layers[m - 2]
            if below.activation is not None:
                factors.append(Factor("act", m - 1, p, None, float(below.derivative[p])))
        own = layers[ref.layer - 1]
        if ref.col is None:
            factors.append(Factor("input", ref.layer, ref.row, None, 1.0))
        else:
            factors.append(Factor("input", ref.layer, ref.row, ref.col, float(own.inputs[ref.col])))
        paths.append(Path(units, tuple(factors), math.prod(f.value for f in factors)))
    return tuple(paths), count


def derive(
    x: Array,
    y: Array,
    loss: Loss,
    *,
    notation: Notation,
    net: Network,
    refs: list[ParamRef],
    learning_rate: float,
    table: bool,
    steps: int,
    check_torch: bool,
    fd_eps: float,
    show_deltas: bool,
) -> Derivation:
    """All numbers of the worked solution for ``refs``; ``net`` is a float64 copy of ``model``.

    Shapes: x (in,), y (K,). ``net`` (a copy of the user's model, see :func:`read_network`)
    runs the forward/backward passes; the finite differences and the k = ``steps`` training
    steps (none when 0) work on copies of it.
    """
    loss = copy.deepcopy(loss)
    # as they are before the engine's pass: a forward that draws (dropout in training) replays
    # the same draw on its copy
    activations = copy.deepcopy(net.activations)
    prediction, value, grad = _engine_pass(net, loss, x, y)
    layers = _forward_records(net, x)
    # every layer, not only where the output shows it: a later ReLU hid a doubled h, explained
    # as the model's
    _refuse_a_forward_of_its_own(layers, activations)
    if not np.array_equal(layers[-1].output, prediction[0]):  # a Linear of one's own, say
        raise RuntimeError("the layer-by-layer forward pass differs from the model's")
    loss_record = _loss_record(loss, prediction, y, value, grad)
    engine = {name: param.grad.copy() for name, param in net.model.named_parameters()}
    deltas = _deltas(layers, loss_record.grad)
    numeric: dict[str, Array] | None = None
    fd_note = None
    fd_mismatches: frozenset[ParamKey] = frozenset()
    bounds = _clip_bounds(loss)
    clipped = () if bounds is None else _clipped_outputs(prediction[0], bounds)
    clip_explained: frozenset[ParamKey] = frozenset()
    try:
        numeric_report = gradcheck(net.model, loss, x[None, :], y[None, :], eps=fd_eps)
        numeric = {c.name: c.numeric for c in numeric_report.comparisons}
        fd_mismatches = _mismatched(numeric_report, net.prefixes)
        if bounds is not None and clipped:
            held = _mismatched(
                gradcheck(net.model, _ClipHeld(loss, clipped), x[None, :], y[None, :], eps=fd_eps),
                net.prefixes,
            )
            # with those the clip hid: at ŷ = 1 − 1e-12 under the other label, ∂L/∂ŷ ≈ 1e12 makes
            # the first check's rounding allowance larger than any gradient (unresolved, not a
            # mismatch), where this one, without the clipped output, still resolves them
            mismatched = fd_mismatches | held
            # the clip's: those the second check passes, and those whose steps take a clipped
            # output back inside the interval, where neither check's slope is the one measured,
            # unless the third check below finds them wrong through the other outputs
            crossers = _clip_crossers(layers, clipped, bounds, fd_eps)
            suspects = mismatched & crossers
            dropped: frozenset[ParamKey] = frozenset()
            if suspects:
                # a crosser's difference may still hide a wrong derivative that reaches an output
                # the clip does not hold (ŷ₁ within 5e-5 of its edge, ŷ₂ = σ(0.32): all were
                # excused): a third check, with the clipped outputs held where they are
                without = _ClipDropped(loss, clipped, prediction)
                dropped = _mismatched(
                    gradcheck(net.model, without, x[None, :], y[None, :], eps=fd_eps), net.prefixes
                )
            clip_explained = (fd_mismatches - held) | (suspects - dropped)
            fd_mismatches = mismatched
    except StepBelowRounding as error:  # a weight so large that θ ± ε is θ
        fd_note = f"a step of ε = {fd_eps:g} is below a weight's rounding ({error})"
    except ValueError as error:  # e.g. BCE at ŷ = 1: ŷ + ε is no probability
        fd_note = f"a step of ε = {fd_eps:g} leaves the loss's domain ({error})"

    torch_grads: dict[str, Array] | None = None
    if check_torch:
        result, torch_note = torch_gradients(
            [(layer.weight, layer.bias) for layer in layers], list(net.activations), loss, x, y
        )
        if result is not None:
            torch_grads = {}
            for prefix, (gw, gb) in zip(net.prefixes, result, strict=True):
                torch_grads[f"{prefix}.weight"], torch_grads[f"{prefix}.bias"] = gw, gb
    else:
        torch_note = "turned off (check_torch=False, or --no-torch)"

    def numbers(ref: ParamRef) -> TableRow:
        """θ, its gradient from the engine, the δ form, the finite difference and PyTorch, and
        θ − η g: the numbers a ParamRecord and a TableRow share."""
        layer = layers[ref.layer - 1]
        value = float((layer.weight if ref.kind == "weight" else layer.bias)[ref.index])
        delta, a_in = delta_parts(deltas, layers, ref)
        g = float(engine[ref.array_name][ref.index])
        return TableRow(
            ref=ref,
            value=value,
            engine=g,
            delta_form=delta * a_in,
            numeric=None if numeric is None else float(numeric[ref.array_name][ref.index]),
            torch=None if torch_grads is None else float(torch_grads[ref.array_name][ref.index]),
            updated=value - learning_rate * g,
        )

    records = []
    for ref in refs:
        paths, count = _paths(layers, loss_record.grad, ref)
        delta, a_in = delta_parts(deltas, layers, ref)
        shared = numbers(ref)
        records.append(
            ParamRecord(
                ref=ref,
                value=shared.value,
                paths=paths,
                path_count=count,
                chain=None if paths is None else _path_sum(paths),
                delta=delta,
                delta_input=a_in,
                delta_form=shared.delta_form,
                engine=shared.engine,
                numeric=shared.numeric,
                torch=shared.torch,
                updated=shared.updated,
            )
        )
    rows = None if not table else [numbers(ref) for ref in all_params(net.prefixes, net.shapes)]
    step_records, after = _train(net, loss, x, y, refs, learning_rate, steps) if steps else ([], None)
    kinks, crossers = _kinks(layers, fd_eps)
    return Derivation(
        notation=notation,
        x=x.copy(),
        y=y.copy(),
        layers=tuple(layers),
        loss=loss_record,
        deltas=tuple(deltas),
        params=tuple(records),
        learning_rate=learning_rate,
        table=None if rows is None else tuple(rows),
        steps=tuple(step_records),
        after_steps=after,
        gradients=tuple((engine[f"{p}.weight"], engine[f"{p}.bias"]) for p in net.prefixes),
        torch_note=torch_note,
        torch_available=torch_grads is not None,
        fd_note=fd_note,
        fd_eps=fd_eps,
        show_deltas=show_deltas,
        kinks=kinks,
        kink_crossers=crossers,
        fd_mismatches=fd_mismatches,
        other_params=net.others,
        torch_confirmed=frozenset()
        if torch_grads is None or numeric is None
        else frozenset(
            key for key in fd_mismatches if _torch_agrees(torch_grads, engine, numeric, key, net.prefixes)
        ),
        clip_bounds=bounds,
        clipped_outputs=clipped,
        clip_explained=clip_explained,
        model_dtype=net.model_dtype,
    )


def _clip_bounds(loss: Loss) -> tuple[float, float] | None:
    """The interval BCE's loss clips probabilities to in float64, where explain computes
    (``BCELoss.bounds_for``); None for another loss (a user's subclass too: its ℓ may not clip)."""
    bounds_for = getattr(loss, "bounds_for", None)
    if shown_name(loss) != "bce" or bounds_for is None:
        return None
    low, high = bounds_for(np.dtype(np.float64))
    return float(low), float(high)


def _clipped_outputs(prediction: Array, bounds: tuple[float, float]) -> tuple[int, ...]:
    """The outputs k whose ŷₖ (``prediction`` (K,)) lies outside ``bounds``, which the loss clips."""
    low, high = bounds
    return tuple(int(k) for k in np.flatnonzero((prediction < low) | (prediction > high)))


def _clip_crossers(
    layers: list[LayerRecord], clipped: Sequence[int], bounds: tuple[float, float], fd_eps: float
) -> frozenset[ParamKey]:
    """The parameters one of whose finite-difference steps, θᵢ ± ε, takes a ``clipped`` output
    back inside ``bounds``: over such a step the clipped loss is not flat, and the central
    difference is neither the backward pass's slope nor the clipped loss's 0, for a correct
    network too (it read as a backward pass to doubt). Computed as :func:`_kinks` computes its
    crossers, on the same z the finite differences see."""
    low, high = bounds
    last = layers[-1].activation
    outputs = list(clipped)
    crossers: set[ParamKey] = set()
    for key, _, plus, minus in _stepped(layers, fd_eps):
        for z in (plus[-1], minus[-1]):
            with np.errstate(all="ignore"):
                y = z if last is None else last.function(z)
            if np.any((y[outputs] >= low) & (y[outputs] <= high)):
                crossers.add(key)
    return frozenset(crossers)


class _ClipHeld(Loss):
    """BCE as its clip holds it, for a second gradcheck: the value of ``loss``, and its ∂L/∂ŷ with
    0 at the clipped ``outputs``, the derivative of the clipped loss there, which is what the
    finite differences measure (glassnet's BCE backward takes the formula at the clipped value
    instead, so every parameter that reaches a clipped output mismatches). A mismatch that this
    check no longer shows is the clip's; one it still shows is not (a wrong f′ in a hidden layer
    under a clipped output went unnamed).

    Shapes: ŷ and y (1, K), as gradcheck passes one example.
    """

    name = "bce"

    def __init__(self, loss: Loss, outputs: Sequence[int]) -> None:
        super().__init__(loss.reduction)
        self.inner = loss
        self.outputs = list(outputs)

    def __call__(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> float:
        return self.inner(prediction, target)

    def backward(self) -> Array:
        grad = self.inner.backward().copy()
        grad[:, self.outputs] = 0.0
        return grad


class _ClipDropped(_ClipHeld):
    """:class:`_ClipHeld` with the clipped outputs held at their values in ``prediction`` (1, K)
    whatever the parameters: the loss of the other outputs alone, for the parameters whose steps
    cross the clip's edge. With one output, the loss is then constant and tells nothing, and
    the crossers stay the clip's."""

    def __init__(self, loss: Loss, outputs: Sequence[int], prediction: Array) -> None:
        super().__init__(loss, outputs)
        self.held_at = np.asarray(prediction)[0, self.outputs].copy()

    def __call__(self, prediction: npt.ArrayLike, target: npt.ArrayLike) -> float:
        fixed = np.array(prediction, dtype=np.float64)  # a copy: gradcheck's array is the model's
        fixed[:, self.outputs] = self.held_at
        return self.inner(fixed, target)


# PyTorch's gradient "agrees" with the backward pass within this much of the larger of the two
# (the same float64 arithmetic in another order: 1e-16 to 1e-13, far inside what a wrong
# derivative moves, a factor), or within TORCH_SIDES of the finite difference's own distance
# from it (a gradient near 0, where a rounding of ŷ is a large part of it: PyTorch 1e-17 off
# the backward pass, the finite difference 7e-8)
TORCH_AGREES = 1e-7
TORCH_SIDES = 1e-3


def _torch_agrees(
    torch_grads: Mapping[str, Array],
    engine: Mapping[str, Array],
    numeric: Mapping[str, Array],
    key: ParamKey,
    prefixes: Sequence[str],
) -> bool:
    """Whether PyTorch's gradient of the parameter ``key`` sides with the backward pass against the
    finite difference: within TORCH_AGREES of it, or TORCH_SIDES of the finite difference's gap."""
    layer, kind, row, col = key
    name = f"{prefixes[layer - 1]}.{kind}"
    index = (row,) if col is None else (row, col)
    theirs, ours = float(torch_grads[name][index]), float(engine[name][index])
    gap = abs(float(numeric[name][index]) - ours)
    return abs(theirs - ours) <= max(TORCH_AGREES * max(abs(theirs), abs(ours)), TORCH_SIDES * gap)


def _param_key(layer: int, kind: str, index: tuple[int, ...]) -> ParamKey:
    """The ParamKey of entry ``index`` of layer ``layer``'s ``kind`` ("weight" (row, col), "bias" (row,))."""
    return (layer, kind, index[0], index[1] if kind == "weight" else None)


def _mismatched(report: GradcheckReport, prefixes: Sequence[str]) -> frozenset[ParamKey]:
    """(layer, kind, row, col) of every parameter whose finite difference ``report`` calls a
    mismatch (col None for a bias); ``prefixes``: each layer's Linear's name, layer 1 first."""
    layer_of = {prefix: number for number, prefix in enumerate(prefixes, start=1)}
    found = set()
    for comparison in report.comparisons:
        prefix, kind = comparison.name.rsplit(".", 1)
        # gradcheck sets the mask; and an activation's own parameters (a PReLU's slope) are
        # none of the Linear weights and biases explain works with
        if comparison.mismatched is None or prefix not in layer_of or kind not in ("weight", "bias"):
            continue
        for index in np.argwhere(comparison.mismatched):
            found.add(_param_key(layer_of[prefix], kind, tuple(int(i) for i in index)))
    return frozenset(found)


def _kinks(layers: list[LayerRecord], fd_eps: float) -> tuple[tuple[Kink, ...], frozenset[ParamKey]]:
    """The ReLU-type units at z = 0, or whose z a central finite difference moves across 0; and
    the parameters whose steps move one across ((layer, kind, row, col), col None for a bias).

    The finite differences evaluate the loss at θᵢ + ε and θᵢ − ε for every parameter θᵢ
    (:func:`glassnet.gradcheck`). A unit is crossed when sign z(θᵢ + ε) · sign z(θᵢ − ε) ≤ 0
    for some i: then (L(θᵢ + ε) − L(θᵢ − ε))/2ε mixes the slopes on both sides of the kink. Checking
    every parameter, not only the weights of the unit's own layer, matters: a step on an
    earlier weight reaches z through the later weights, scaled by them (W = 100 moves z a
    hundred times as far). A parameter crosses a unit when its steps change the unit's z and
    that z changes sign (or touches 0): one that leaves a unit at z = 0 where it is does not.
    """
    if not any(layer.activation_name in KINKED for layer in layers):
        return (), frozenset()  # nothing to cross: spare the 2 forward passes per parameter
    crossed = [layer.z == 0 for layer in layers]  # (out,) per layer; z = 0 is at the kink itself
    crossers: set[ParamKey] = set()
    for key, start, plus, minus in _stepped(layers, fd_eps):
        for above, (z_plus, z_minus) in enumerate(zip(plus, minus, strict=True), start=start):
            # signs, not z₊ · z₋: the product of two tiny z underflows to 0
            across = np.sign(z_plus) * np.sign(z_minus) <= 0
            crossed[above] |= across
            if layers[above].activation_name in KINKED and np.any(across & (z_plus != z_minus)):
                crossers.add(key)
    kinks = []
    for layer, hit in zip(layers, crossed, strict=True):
        if layer.activation_name in KINKED:
            name = layer.activation_name
            kinks += [
                Kink(layer.index, int(k), float(layer.z[k]), name, float(layer.derivative[k]))
                for k in np.flatnonzero(hit)
            ]
    return tuple(kinks), frozenset(crossers)


def _stepped(
    layers: list[LayerRecord], fd_eps: float
) -> Iterator[tuple[ParamKey, int, list[Array], list[Array]]]:
    """For every parameter θᵢ, the z of its layer and those above (:func:`_pre_activations`) at
    θᵢ + ε and θᵢ − ε, as the finite differences step it: (its key, its layer's 0-based index,
    z₊ per layer, z₋ per layer). For the crossers of kinks and of BCE's clip."""
    for start, layer in enumerate(layers):
        # copied once per layer, one entry moved at a time and put back: a copy per entry made
        # the check quadratic in a layer's size (42 s for a 20→400→400→1 network)
        weight, bias = layer.weight.copy(), layer.bias.copy()
        for kind, moved in (("weight", weight), ("bias", bias)):
            for index in np.ndindex(moved.shape):
                value = moved[index]
                # an inf z keeps its sign; overflow is not this check's to report (gradcheck, which
                # runs the same passes, may have stopped early, at a step out of BCE's domain)
                with np.errstate(all="ignore"):
                    moved[index] = value + fd_eps  # θᵢ + ε, rounded as gradcheck rounds it
                    plus = _pre_activations(layers, start, weight, bias)
                    moved[index] = value - fd_eps
                    minus = _pre_activations(layers, start, weight, bias)
                moved[index] = value
                yield _param_key(layer.index, kind, index), start, plus, minus


def _pre_activations(layers: list[LayerRecord], start: int, weight: Array, bias: Array) -> list[Array]:
    """z of layers ``start``, ``start`` + 1, … (0-based) with layer ``start``'s weight and bias
    replaced by ``weight`` and ``bias`` (its own with one entry moved, as gradcheck moves it).

    The same operations as :func:`_forward_records` (and Linear.forward), on (1, n) rows,
    so the z are the ones the finite differences see, to the last bit.
    """
    first = layers[start]
    params = [(weight, bias), *((layer.weight, layer.bias) for layer in layers[start + 1 :])]
    inputs = first.inputs[None, :]  # (1, in): the layers below are unchanged
    zs = []
    for layer, (w, b) in zip(layers[start:], params, strict=True):
        z = inputs @ w.T + b  # (1, out)
        zs.append(z[0])
        inputs = z if layer.activation is None else layer.activation.function(z)
    return zs


def _train(
    net: Network, loss: Loss, x: Array, y: Array, refs: list[ParamRef], learning_rate: float, steps: int
) -> tuple[list[StepRecord], AfterSteps]:
    """k steps of plain gradient descent, θ ← θ − η ∇L, on a copy of ``net``; then ŷ and L after them.

    A step that overflows raises FloatingPointError naming it (e.g. "training step 37: L is
    inf"), which :func:`~glassnet.explain.explain` reports as the numbers overflowing float64.
    """
    trained = copy.deepcopy(net.model)
    names = dict(trained.named_parameters())
    optimizer = SGD(trained.parameters(), lr=learning_rate)
    records = []
    for step in range(1, steps + 1):
        with _naming(f"training step {step}"):
            optimizer.zero_grad()
            prediction = trained(x[None, :])
            value = _finite_loss(loss, prediction, y)
            trained.backward(loss.backward())
            before = {ref: float(names[ref.array_name].data[ref.index]) for ref in refs}
            grads = {ref: float(names[ref.array_name].grad[ref.index]) for ref in refs}
            optimizer.step()
        chosen = tuple(
            (ref, before[ref], grads[ref], float(names[ref.array_name].data[ref.index])) for ref in refs
        )
        records.append(StepRecord(step, prediction[0].copy(), value, chosen))
    with _naming(f"after training step {steps}"):
        prediction = trained(x[None, :])  # (1, K), with the parameters of the last update
        after = AfterSteps(steps, prediction[0].copy(), _finite_loss(loss, prediction, y))
    return records, after


def _finite_loss(loss: Loss, prediction: Array, y: Array) -> float:
    """L(ŷ, y) during the training steps; FloatingPointError when ŷ or L is inf or NaN.

    x, y and the first θ were finite, so an inf or NaN here means the steps diverged: the
    loss's own ValueError ("MSELoss value is inf for finite predictions") would read as a
    different kind of mistake, and a BCE ŷ outside [0, 1] must still be refused as such.
    """
    bad = prediction[~np.isfinite(prediction)]
    if bad.size:
        raise FloatingPointError(f"ŷ is {bad[0]}")
    moved = "(the steps moved ŷ there from inside; a smaller learning rate or fewer steps keeps it in)"
    try:
        prepared = loss.prepare(prediction, y[None, :])
    except ValueError as error:  # the given ŷ was inside the domain: the steps moved it out
        raise ValueError(f"{error} {moved}") from None
    if type(loss).__call__ is not Loss.__call__:  # its L is its own call's, which may not be forward's
        try:
            value = loss(prediction, y[None, :])
        except ValueError as error:
            value = loss.forward(*prepared)
            if not math.isfinite(value):  # Loss.__call__'s refusal of a value that is not finite
                raise FloatingPointError(f"L is {value}") from None
            raise ValueError(f"{error} {moved}") from None  # the loss's own refusal, as said
    else:
        value = loss.forward(*prepared)
    if not math.isfinite(value):
        raise FloatingPointError(f"L is {value}")
    return value


@contextlib.contextmanager
def _naming(where: str) -> Iterator[None]:
    """Put ``where`` in front of a FloatingPointError (NumPy's, or :func:`_finite_loss`'s) or of
    :func:`_finite_loss`'s ValueError (a ŷ the steps moved out of the loss's domain)."""
    try:
        yield
    except (FloatingPointError, ValueError) as error:
        raise type(error)(f"{where}: {error}") from None
