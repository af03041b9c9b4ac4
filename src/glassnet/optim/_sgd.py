"""Stochastic gradient descent with momentum, Nesterov and weight decay (PyTorch's rule)."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet._checks import Array, finite_float
from glassnet.optim._optimizer import Optimizer, ParamsLike


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
    """
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


class SGD(Optimizer):
    """θ ← θ − η ∇L, with optional momentum, Nesterov momentum and L2 weight decay.

    The update is PyTorch's ``torch.optim.SGD`` to the letter; see :func:`sgd_update`.
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
        super().check_group(settings)
        momentum = finite_float(settings["momentum"], "SGD momentum", minimum=0.0)
        dampening = finite_float(settings["dampening"], "SGD dampening")
        finite_float(settings["weight_decay"], "SGD weight_decay", minimum=0.0)
        if not isinstance(settings["nesterov"], bool | np.bool_):
            raise TypeError(f"SGD nesterov must be True or False, got {settings['nesterov']!r}")
        if settings["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD nesterov needs momentum > 0 and dampening = 0, got momentum={momentum}, dampening={dampening}"
            )

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        sgd_update(
            data,
            grad,
            state,
            lr=settings["lr"],
            momentum=settings["momentum"],
            dampening=settings["dampening"],
            nesterov=settings["nesterov"],
            weight_decay=settings["weight_decay"],
        )
