"""Adam and AdamW (PyTorch's update rules)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet._checks import Array, finite_float
from glassnet.optim._optimizer import Optimizer, ParamsLike

# Torch's name of each moment buffer -> glassnet's name for it and the β it is divided by:
# glassnet keeps u = m / (1 − β₁), w = v / (1 − β₂) (and the running max of w for amsgrad).
SCALED_MOMENTS: dict[str, tuple[str, int]] = {
    "exp_avg": ("exp_avg_scaled", 0),
    "exp_avg_sq": ("exp_avg_sq_scaled", 1),
    "max_exp_avg_sq": ("max_exp_avg_sq_scaled", 1),
}

# The second-moment buffers, in either form: means of squares, never negative.
SECOND_MOMENTS = frozenset(
    name
    for torch_name, (scaled, index) in SCALED_MOMENTS.items()
    if index == 1
    for name in (torch_name, scaled)
)


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
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        v̂ ← max(v̂, v) with amsgrad, else v̂ = v
        θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    The state keeps the moments divided by (1 − β): u = m / (1 − β₁) (``exp_avg_scaled``)
    and w = v / (1 − β₂) (``exp_avg_sq_scaled``, and ``max_exp_avg_sq_scaled`` for
    amsgrad). Then u ← β₁ u + g and w ← β₂ w + g² take one pass fewer each than torch's
    form, and the constants fold into the last line, with c = √((1 − β₂) / (1 − β₂ᵗ)):

        θ ← θ − (η (1 − β₁) / ((1 − β₁ᵗ) c)) · u / (√ŵ + ε / c)

    the same number as torch's up to rounding. :func:`moments_in_torch_form` converts.
    The price of the scaled form: w is 1/(1 − β₂) times torch's v (1000 times, by default),
    so it overflows to inf that much sooner, in float32 for gradients of about 6e17 held
    over many steps (torch's v at about 2e19), and a weight whose w is inf stops moving,
    as torch's does once its v is. Gradients that large mean the run has diverged already.
    With amsgrad turned on after the first step, v̂ starts at zero then, so v̂ is the maximum
    of v since then (``torch.optim.Adam`` raises KeyError there).
    A scratch buffer is allocated once, so a step allocates nothing that grows.
    """
    step = state["step"]
    if "exp_avg_scaled" not in state:
        state["exp_avg_scaled"] = np.zeros_like(param)
        state["exp_avg_sq_scaled"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq_scaled"] = np.zeros_like(param)
    u, w = state["exp_avg_scaled"], state["exp_avg_sq_scaled"]
    scratch = state.get("_scratch")
    if scratch is None or scratch.shape != param.shape:
        scratch = state["_scratch"] = np.empty_like(param)

    if weight_decay != 0:
        if decoupled:
            param *= 1.0 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    u *= beta1
    u += grad
    np.multiply(grad, grad, out=scratch)
    w *= beta2
    w += scratch
    if amsgrad:
        try:  # costs nothing until it raises
            maximum = state["max_exp_avg_sq_scaled"]
        except KeyError:  # amsgrad turned on after the first step: the maximum starts now
            maximum = state["max_exp_avg_sq_scaled"] = np.zeros_like(param)
        w = np.maximum(maximum, w, out=maximum)

    c = math.sqrt((1.0 - beta2) / (1.0 - beta2**step))
    np.sqrt(w, out=scratch)
    scratch += eps / c
    np.divide(u, scratch, out=scratch)
    scratch *= lr * (1.0 - beta1) / ((1.0 - beta1**step) * c)
    param -= scratch


def _rescale_moments(state: dict[str, Any], old: tuple[float, float], new: tuple[float, float]) -> None:
    """Moments kept in the scale of betas ``old`` (u = m / (1 − β₁), w = v / (1 − β₂)) put in
    the scale of ``new``, in place: torch keeps m and v as they are when the betas change."""
    if tuple(old) == tuple(new):
        return
    for scaled, index in SCALED_MOMENTS.values():
        if scaled in state:
            state[scaled] *= (1.0 - old[index]) / (1.0 - new[index])


def moments_in_torch_form(buffers: Mapping[str, Any], betas: tuple[float, float]) -> dict[str, Any]:
    """Adam's buffers with glassnet's scaled moments turned into torch's m and v.

    Values are arrays or ``{parameter name: array}`` mappings; other buffers pass unchanged.
    """
    scaled_names = {scaled: (torch_name, index) for torch_name, (scaled, index) in SCALED_MOMENTS.items()}
    converted: dict[str, Any] = {}
    for key, value in buffers.items():
        if key in scaled_names:
            torch_name, index = scaled_names[key]
            converted[torch_name] = _scale(value, 1.0 - betas[index])
        else:
            converted[key] = value
    return converted


def moments_in_scaled_form(buffers: Mapping[str, Any], betas: tuple[float, float]) -> dict[str, Any]:
    """The inverse of :func:`moments_in_torch_form`: torch's m and v turned into u and w."""
    converted: dict[str, Any] = {}
    for key, value in buffers.items():
        if key in SCALED_MOMENTS:
            scaled, index = SCALED_MOMENTS[key]
            converted[scaled] = _scale(value, 1.0 / (1.0 - betas[index]))
        else:
            converted[key] = value
    return converted


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, Mapping):
        return {name: np.asarray(array) * factor for name, array in value.items()}
    return np.asarray(value) * factor


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's update rule; see :func:`adam_update`.

    ``weight_decay`` adds λθ to the gradient (L2 penalty), as ``torch.optim.Adam``.
    """

    decoupled_weight_decay = False
    # glassnet's scaled moments, and torch's, which load_state_dict converts
    state_keys = frozenset(SCALED_MOMENTS) | {scaled for scaled, _ in SCALED_MOMENTS.values()}

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
            # a tuple, as torch keeps them; anything else as it is, for check_group to refuse
            "betas": tuple(betas) if isinstance(betas, list | tuple | np.ndarray) else betas,
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

    def check_state(self, key: str, array: Array, group: int) -> None:
        if key in SECOND_MOMENTS and bool((array < 0).any()):
            raise ValueError(
                f"{type(self).__name__} state {key!r} of group {group} must be >= 0 (a mean of squares), "
                f"got {array.min()}"
            )

    def check_buffers(self, state: dict[str, Any], group: int) -> None:
        # A step reads both moments: both, or neither (a fresh start, at step 0). amsgrad's maximum, when
        # missing, starts at the next step, as when amsgrad is turned on mid-run.
        held = sorted(key for key in state if key != "step")
        missing = [
            key
            for key in ("exp_avg", "exp_avg_sq")
            if key not in state and SCALED_MOMENTS[key][0] not in state
        ]
        if held and missing:
            raise ValueError(
                f"{type(self).__name__} state of group {group} holds {held} but not {missing} "
                "(or its _scaled form): a step needs exp_avg and exp_avg_sq; give both, or "
                "neither to start afresh"
            )
        if not held and state.get("step", 0) > 0:  # every step writes both moments
            raise ValueError(
                f"{type(self).__name__} state of group {group} has taken {state['step']} step(s) but holds "
                "no moments; give exp_avg and exp_avg_sq, or step 0 to start afresh"
            )

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        betas = tuple(settings["betas"])  # by value: a list may have been changed in place
        if state.get("_betas") != betas:  # first step, or betas set anew (as a schedule may)
            _rescale_moments(state, state.get("_betas", betas), betas)
            state["_betas"] = betas
        beta1, beta2 = betas
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
        """Settings and buffers; the moments in glassnet's scaled form (see :func:`adam_update`)."""
        saved = super().state_dict()
        for state, group in zip(saved["state"], self.param_groups, strict=True):
            state.pop("_scratch", None)  # working memory, not state
            # saved in the scale of the group's betas, which load_state_dict assumes
            _rescale_moments(state, state.pop("_betas", group["betas"]), group["betas"])
        return saved

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state saved by ``state_dict``; torch's m and v (``exp_avg``, ``exp_avg_sq``,
        ``max_exp_avg_sq``) are accepted too and converted to the scaled form."""
        _, states = self._saved_parts(state_dict)
        for state in states:
            both = [key for key, (scaled, _) in SCALED_MOMENTS.items() if key in state and scaled in state]
            if both:  # checked first, so that a refused state changes nothing
                scaled = SCALED_MOMENTS[both[0]][0]
                raise ValueError(f"Adam state has both {both[0]!r} and {scaled!r}; expected one of them")
        super().load_state_dict(state_dict)
        for state, group in zip(self.state, self.param_groups, strict=True):
            converted = moments_in_scaled_form(state, tuple(group["betas"]))
            state.clear()
            state.update(converted)


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
