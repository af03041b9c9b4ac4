"""Adam and AdamW (PyTorch's update rules)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from glassnet._checks import Array, finite_float
from glassnet.optim._optimizer import Optimizer, ParamsLike


def adam_update(
    param: Array,
    grad: Array,
    state: dict[str, Any],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: bool,
    amsgrad: bool,
) -> None:
    """One Adam/AdamW step in place, as ``torch.optim.Adam`` / ``AdamW`` at step t = state["step"]:

        g ← g + λ θ                      (Adam's L2 weight decay)   or   θ ← θ (1 − η λ)   (AdamW)
        m ← m + (1 − β₁)(g − m)           (PyTorch's lerp)
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v) with amsgrad, else v̂ = v
        θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    ``state`` holds ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (amsgrad) and a
    scratch buffer, all allocated once, so a step allocates nothing that grows.
    """
    step = state["step"]
    if "exp_avg" not in state:
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    scratch = state.get("_scratch")
    if scratch is None or scratch.shape != param.shape:
        scratch = state["_scratch"] = np.empty_like(param)

    if weight_decay != 0:
        if decoupled:
            param *= 1.0 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    np.subtract(grad, m, out=scratch)
    scratch *= 1.0 - beta1
    m += scratch
    v *= beta2
    np.multiply(grad, grad, out=scratch)
    scratch *= 1.0 - beta2
    v += scratch
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])

    # θ − (η / (1 − β₁ᵗ)) · m / (√v̂ / c + ε) with c = √(1 − β₂ᵗ) is computed as
    # θ − (η c / (1 − β₁ᵗ)) · m / (√v̂ + ε c): the same number up to rounding, one pass fewer.
    c = math.sqrt(1.0 - beta2**step)
    np.sqrt(v, out=scratch)
    scratch += eps * c
    np.divide(m, scratch, out=scratch)
    scratch *= lr * c / (1.0 - beta1**step)
    param -= scratch


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's update rule; see :func:`adam_update`.

    ``weight_decay`` adds λθ to the gradient (L2 penalty), as ``torch.optim.Adam``.
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)

    def check_group(self, settings: dict[str, Any]) -> None:
        super().check_group(settings)
        name = type(self).__name__
        betas = settings["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"{name} betas must be a pair (beta1, beta2), got {betas!r}")
        for index, beta in enumerate(betas):
            value = finite_float(beta, f"{name} beta{index + 1}", minimum=0.0)
            if value >= 1.0:
                raise ValueError(f"{name} beta{index + 1} must be in [0, 1), got {value}")
        finite_float(settings["eps"], f"{name} eps", minimum=0.0)
        finite_float(settings["weight_decay"], f"{name} weight_decay", minimum=0.0)
        if not isinstance(settings["amsgrad"], bool | np.bool_):
            raise TypeError(f"{name} amsgrad must be True or False, got {settings['amsgrad']!r}")

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        beta1, beta2 = settings["betas"]
        adam_update(
            data,
            grad,
            state,
            lr=settings["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=settings["eps"],
            weight_decay=settings["weight_decay"],
            decoupled=self.decoupled_weight_decay,
            amsgrad=settings["amsgrad"],
        )

    def state_dict(self) -> dict[str, Any]:
        saved = super().state_dict()
        for state in saved["state"]:
            state.pop("_scratch", None)  # working memory, not state
        return saved


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ (1 − ηλ) before the
    Adam step, as ``torch.optim.AdamW`` (whose default λ is 0.01)."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: ParamsLike,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
