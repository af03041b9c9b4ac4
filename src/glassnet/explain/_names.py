"""The names explain writes activations and losses under: glassnet's own, or a user's class."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from glassnet._checks import keeps_methods
from glassnet.losses import LOSSES, Loss
from glassnet.nn import ACTIVATIONS, Activation

# what decides an activation's or a loss's numbers: a subclass that overrides one computes
# something of its own (a loss whose prepare scales its targets, a logistic loss with another
# sign s(y)), which glassnet's formulas and PyTorch's check would misstate. An activation's f, f′
# and backward (a straight-through ReLU's backward is no ReLU's, whose kink note would excuse
# it), not its forward: explain refuses a forward that does not compute its f
_FORMULAS = {
    Activation: ("function", "derivative", "backward", "__call__"),
    Loss: ("elementwise", "elementwise_grad", "prepare", "sign", "reduce", "__call__", "forward", "backward"),
}


def glassnet_name(part: Activation | Loss) -> str | None:
    """The name of the glassnet activation or loss whose formulas ``part`` computes: that of the
    glassnet class it is, or derives from keeping what decides its numbers (``_FORMULAS``: an
    activation's f, f′ and backward, whatever its forward; a loss's ℓ, ∂ℓ/∂ŷ, prepare, sign,
    reduction and passes), as a subclass that renames it, sets its own ``name`` or a default (a
    LeakyReLU of slope 0.2), or records its output; None for any other, a user's own (a
    LeakyReLU of one slope per unit too)."""
    known: Mapping[str, type] = ACTIVATIONS if isinstance(part, Activation) else LOSSES
    base = next((cls for cls in type(part).__mro__ if cls in known.values()), None)
    if base is None:
        return None
    methods = _FORMULAS[Activation] if isinstance(part, Activation) else _FORMULAS[Loss]
    if not keeps_methods(type(part), base, methods):
        return None
    if np.ndim(getattr(part, "negative_slope", 0.0)) != 0:  # a LeakyReLU of one slope per unit
        return None
    return str(base.name)  # type: ignore[attr-defined]


def shown_name(part: Activation | Loss) -> str:
    """The name ``part``'s formulas are written under: a glassnet activation's or loss's own
    ("relu", "mse": :func:`glassnet_name`), and for any other its class's name, its f or ℓ then
    written as a function of that name (a user's subclass of Tanh computing 2 tanh z was written
    "tanh(z)", of MSELoss with a weight the plain mean squared error; one without a ``name``
    raised AttributeError). A user's class named as one of glassnet's, by name or class name, in
    any case or without its underscores (``mse``, ``ReLU``, ``MSELoss``), is named with its module
    (``__main__.ReLU``), so that it is not read as glassnet's."""
    name = glassnet_name(part)
    if name is not None:
        return name
    own = type(part).__name__
    glassnets = {**ACTIVATIONS, **LOSSES}  # by name and by class name (MSELoss, HalfSquaredError)
    keys = {word.lower().replace("_", "") for key, cls in glassnets.items() for word in (key, cls.__name__)}
    if own.lower().replace("_", "") in keys:
        own = f"{type(part).__module__}.{type(part).__qualname__}"
    # on one line, as every name written (a class made by type() may hold a line break, which
    # split a heading and stopped pdflatex)
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in own)


def own_reduction(loss: Loss) -> bool:
    """Whether ``loss`` makes L or dL/dŷ its own way: its ``reduce``, ``__call__``, ``forward`` or
    ``backward`` is neither Loss's nor a glassnet loss's. L is then not the sum or mean of its ℓ
    that explain would write (a loss that takes their maximum was written "Σₖ ℓₖ = … = max"),
    nor dL/dŷ its ∂ℓ/∂ŷ: explain writes its own numbers."""
    bases = (Loss, *LOSSES.values())
    return any(
        all(getattr(type(loss), method) is not getattr(base, method) for base in bases)
        for method in ("reduce", "__call__", "forward", "backward")
    )
