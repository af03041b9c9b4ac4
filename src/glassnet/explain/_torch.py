"""PyTorch autograd as a third, independent opinion on the gradients (used when installed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet._checks import Array
from glassnet._torch_losses import glassnet_bce, glassnet_half_squared_error, glassnet_logistic
from glassnet.explain._names import glassnet_name
from glassnet.losses import BCELoss, LogisticLoss, Loss
from glassnet.nn import Activation
from glassnet.torch_bridge import TorchMissingError, import_torch


def torch_gradients(
    weights: Sequence[tuple[Array, Array]],
    activations: Sequence[Activation | None],
    loss: Loss,
    x: Array,
    y: Array,
) -> tuple[list[tuple[Array, Array]] | None, str]:
    """dL/dW, dL/db for every layer from ``torch.autograd`` in float64, or None and the reason.

    Shapes: weights [(W (out, in), b (out,))], x (in,), y (K,). The mean squared error is
    PyTorch's own ``mse_loss``; the others are glassnet's written in torch operations, as the
    Trainer's torch engine computes them (:mod:`glassnet._torch_losses`): the logistic loss as
    ``logaddexp`` (torch's ``binary_cross_entropy_with_logits`` has its value but takes its
    gradient as σ(ŷ) − y, 0 at ŷ = 38 for a right label), ½Σ(ŷ − y)², and BCE clipped as
    glassnet clips it (torch's ``binary_cross_entropy`` gives other gradients once a
    probability saturates).
    """
    try:
        torch = import_torch()
    except TorchMissingError as error:  # not installed (with the install hint), or failing to import
        return None, str(error)
    F = torch.nn.functional
    functions: list[Any] = []
    for activation in activations:
        function = _torch_activation(activation, torch, F)
        if function is None:
            return None, f"no PyTorch counterpart for the activation {_named(activation)}"
        functions.append(function)
    params = [
        (
            torch.tensor(w, dtype=torch.float64, requires_grad=True),
            torch.tensor(b, dtype=torch.float64, requires_grad=True),
        )
        for w, b in weights
    ]
    a = torch.tensor(x, dtype=torch.float64)
    for (w, b), function in zip(params, functions, strict=True):
        a = function(F.linear(a, w, b))
    target = torch.tensor(y, dtype=torch.float64)
    value = _torch_loss(loss, a, target, torch, F)
    if value is None:
        return None, f"no PyTorch counterpart for the loss {_named(loss)}"
    value.backward()
    grads = [(_grad(w), _grad(b)) for w, b in params]
    return grads, f"PyTorch {torch.__version__} autograd, float64"


def _grad(tensor: Any) -> Array:
    if tensor.grad is None:  # a parameter the loss does not depend on
        return np.zeros(tuple(tensor.shape))
    return np.asarray(tensor.grad.numpy(), dtype=np.float64).copy()


def _torch_activation(activation: Activation | None, torch: Any, F: Any) -> Any:
    """PyTorch's function for a glassnet activation (or a subclass that keeps its f and f′:
    :func:`glassnet_name`), or None (no check) for any other, a user's own."""
    name = "identity" if activation is None else glassnet_name(activation)
    if name == "identity":
        return lambda z: z
    if name == "leaky_relu":
        slope = float(activation.negative_slope)  # type: ignore[union-attr]  # a 0-d array's too
        return lambda z: F.leaky_relu(z, negative_slope=slope)
    if name == "softplus":
        return lambda z: torch.logaddexp(z, torch.zeros_like(z))  # exact, like glassnet's
    simple: dict[str | None, Any] = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    return simple.get(name)


def _named(module: Any) -> str:
    """An activation or loss as the note names it: a subclass by its own class name, and as one
    (it inherits its base's ``name``, which would say the base has no counterpart)."""
    base = next((cls for cls in type(module).__mro__[1:] if cls.__module__.startswith("glassnet.")), None)
    if base is not None and not type(module).__module__.startswith("glassnet."):
        if base.__name__ in ("Activation", "Loss", "Module"):  # which compute nothing themselves
            return f"{type(module).__name__} (a user's {base.__name__.lower()})"
        return f"{type(module).__name__} (a subclass of {base.__name__}, which may compute something else)"
    return repr(getattr(module, "name", type(module).__name__))


def _torch_loss(loss: Loss, prediction: Any, target: Any, torch: Any, F: Any) -> Any:
    """PyTorch's computation of a glassnet loss (or a subclass that keeps its ℓ and ∂ℓ/∂ŷ), or
    None (no check) for any other, a user's own."""
    reduction = loss.reduction
    name = glassnet_name(loss)
    if name == "logistic" and isinstance(loss, LogisticLoss):
        # glassnet's softplus, for any label (the literal formula outside the convention):
        # torch's binary_cross_entropy_with_logits takes its gradient as σ(ŷ) − y, 0 at ŷ = 38
        return glassnet_logistic(prediction, target, reduction, loss.labels)
    if name == "mse":
        return F.mse_loss(prediction, target, reduction=reduction)
    if name == "half_sse":
        return glassnet_half_squared_error(prediction, target, reduction)
    if name == "bce" and isinstance(loss, BCELoss):
        return glassnet_bce(prediction, target, loss.bounds_for(np.float64), reduction)
    return None
