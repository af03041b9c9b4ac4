"""Stochastic gradient descent with momentum, Nesterov and weight decay (PyTorch's rule)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet._checks import Array, finite_float
from glassnet.optim._optimizer import (
    Optimizer,
    ParamsLike,
    check_update_arrays,
    check_update_buffer,
    flush_subnormals,
)


def sgd_update(
    param: Array,
    grad: Array,
    state: dict[str, Any],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
) -> None:
    """One SGD step in place, as ``torch.optim.SGD``:

        g ← g + λ θ                                  (weight_decay λ)
        b ← g  (first step),  b ← μ b + (1 − τ) g    (momentum μ, dampening τ)
        g ← g + μ b  (Nesterov)  or  g ← b
        θ ← θ − η g

    ``state`` holds the momentum buffer ``"momentum_buffer"`` once momentum is used.
    Shapes: param, grad and the buffer alike, any shape.

    The arguments are checked first, so that a refused call changes nothing (TypeError or
    ValueError naming what was expected): ``param`` and ``grad`` float arrays of one shape,
    the buffer, when present, one too, the settings as :class:`SGD` takes them. :class:`SGD`
    steps with the same update unchecked: its arrays and state are its own, checked when
    built or loaded; it also flushes the buffer's subnormal entries every 128 steps
    (:func:`~glassnet.optim._optimizer.flush_subnormals`), which this function does not.

    Examples
    --------
    With momentum μ = 0.9, the buffer starts as the gradient, then b ← μ b + g:

    >>> import numpy as np
    >>> from glassnet.optim import sgd_update
    >>> theta, state = np.array([1.0, 2.0]), {}
    >>> settings = dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)
    >>> sgd_update(theta, np.array([1.0, 1.0]), state, **settings)  # b = g = 1
    >>> theta  # θ − 0.1 · 1
    array([0.9, 1.9])
    >>> sgd_update(theta, np.array([1.0, 1.0]), state, **settings)  # b = 0.9 · 1 + 1
    >>> state["momentum_buffer"], theta  # θ − 0.1 · 1.9
    (array([1.9, 1.9]), array([0.71, 1.71]))
    """
    check_update_arrays("sgd_update", param, grad, state)
    if state.get("momentum_buffer") is not None:
        check_update_buffer("sgd_update", state, "momentum_buffer", param)
    _check_settings(
        "sgd_update",
        {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        },
    )
    _sgd_step(
        param,
        grad,
        state,
        lr=lr,
        momentum=momentum,
        dampening=dampening,
        nesterov=nesterov,
        weight_decay=weight_decay,
    )


def _sgd_step(
    param: Array,
    grad: Array,
    state: dict[str, Any],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
) -> None:
    """:func:`sgd_update` without its checks, for :class:`SGD`'s every step."""
    if weight_decay != 0:
        grad = grad + weight_decay * param
    if momentum != 0:
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = grad.copy()
        else:
            buffer *= momentum
            buffer += (1.0 - dampening) * grad
        grad = grad + momentum * buffer if nesterov else buffer
    param -= lr * grad


def _check_settings(owner: str, settings: Mapping[str, Any]) -> None:
    """SGD's settings, as torch.optim.SGD takes them; ``owner`` names the caller in the message."""
    finite_float(settings["lr"], f"{owner} lr", minimum=0.0)
    momentum = finite_float(settings["momentum"], f"{owner} momentum", minimum=0.0)
    dampening = finite_float(settings["dampening"], f"{owner} dampening")
    finite_float(settings["weight_decay"], f"{owner} weight_decay", minimum=0.0)
    if not isinstance(settings["nesterov"], bool | np.bool_):
        raise TypeError(f"{owner} nesterov must be True or False, got {settings['nesterov']!r}")
    if settings["nesterov"] and (momentum <= 0 or dampening != 0):
        raise ValueError(
            f"{owner} nesterov needs momentum > 0 and dampening = 0, got momentum={momentum}, dampening={dampening}"
        )


class SGD(Optimizer):
    """θ ← θ − η ∇L, with optional momentum, Nesterov momentum and L2 weight decay.

    The update is PyTorch's ``torch.optim.SGD`` to the letter; see :func:`sgd_update`.

    Examples
    --------
    One step on a one-parameter model, L = (w − 3)², from w = 1, where g = 2 (w − 3) = −4:

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import SGD
    >>> w = Parameter(np.array([1.0]))
    >>> opt = SGD([w], lr=0.1)  # a model's parameters: SGD(model.parameters(), lr=0.1)
    >>> opt.zero_grad()  # before each backward: gradients accumulate
    >>> w.grad = 2 * (w.data - 3)  # what a backward pass writes
    >>> opt.step()
    >>> w.data  # w − η g = 1 − 0.1 · (−4)
    array([1.4])
    """

    state_keys = frozenset({"momentum_buffer"})

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def check_group(self, settings: dict[str, Any]) -> None:
        _check_settings(type(self).__name__, settings)

    def flush_group(self, state: dict[str, Any], settings: dict[str, Any]) -> None:
        buffer = state.get("momentum_buffer")
        if buffer is not None:  # θ moves by η times it: a subnormal entry moves no normal weight
            flush_subnormals(buffer)

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        _sgd_step(
            data,
            grad,
            state,
            lr=settings["lr"],
            momentum=settings["momentum"],
            dampening=settings["dampening"],
            nesterov=settings["nesterov"],
            weight_decay=settings["weight_decay"],
        )
