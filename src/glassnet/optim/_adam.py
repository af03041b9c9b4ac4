"""Adam and AdamW (PyTorch's update rules)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, finite_float, shown
from glassnet.optim._optimizer import (
    Optimizer,
    ParamsLike,
    check_update_arrays,
    check_update_buffer,
    flush_subnormals,
)

# Torch's name of a moment buffer -> the name glassnet keeps it under and the β it is divided
# by there: u = m / (1 − β₁) (one NumPy pass fewer per step, see adam_update). The second
# moment v is kept as torch keeps it: in the same scaled form it overflowed float32 1/(1 − β₂)
# times sooner than torch's v (gradients of about 6e17), and the weight stopped moving.
SCALED_MOMENTS: dict[str, tuple[str, int]] = {"exp_avg": ("exp_avg_scaled", 0)}

# Second moments as glassnet kept them before, v / (1 − β₂), by name -> torch's name: states
# and checkpoints saved then still load, converted to v (as each form's own name says).
LEGACY_SCALED_MOMENTS: dict[str, str] = {
    "exp_avg_sq_scaled": "exp_avg_sq",
    "max_exp_avg_sq_scaled": "max_exp_avg_sq",
}

# The second-moment buffers, in any form: means of squares, never negative.
SECOND_MOMENTS = frozenset({"exp_avg_sq", "max_exp_avg_sq", *LEGACY_SCALED_MOMENTS})

# The moments every step reads and writes, by torch's names (amsgrad's maximum besides).
MOMENTS = ("exp_avg", "exp_avg_sq")


def held_name(name: str) -> str:
    """The name glassnet's Adam keeps a buffer under, given any name it loads it by (torch's,
    glassnet's, or an earlier glassnet's)."""
    if name in SCALED_MOMENTS:
        return SCALED_MOMENTS[name][0]
    return LEGACY_SCALED_MOMENTS.get(name, name)


def moments_flushable(eps: float, beta2: float, dtype: npt.DTypeLike) -> bool:
    """Whether Adam's moments may have their subnormal entries flushed to zero (see
    :func:`~glassnet.optim._optimizer.flush_subnormals`) without changing any step beyond rounding.

    v̂ enters the step as √v̂ + ε/c, with ε/c ≥ ε √(1 − β₂): where √tiny is below a quarter of
    that times the dtype's epsilon, a subnormal v̂ adds less than half a unit in the last place
    to it, and zero gives the same sum. A subnormal first moment u then moves its weight by less
    than lr · tiny / (ε √(1 − β₂)), 3.7e-29 · lr in float32 at the default ε and β₂, below the rounding of any weight but the
    tiniest. Not so with ε = 0, where the step is u / √v̂, nor with a tiny ε, 1e-40 in float32,
    where u over ε is a whole step once v̂ has underflowed to 0 (a gradient of 1e-39 held for 300
    steps ended 6 % off torch, the first moment flushed at steps 128 and 256).
    """
    info = np.finfo(dtype)
    return bool(eps * math.sqrt(1.0 - beta2) * info.eps > 4.0 * math.sqrt(info.tiny))


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

    The state keeps the first moment divided by (1 − β₁), u = m / (1 − β₁)
    (``exp_avg_scaled``), so that u ← β₁ u + g takes one pass fewer than torch's form, and
    v as torch does (``exp_avg_sq``, and ``max_exp_avg_sq`` for amsgrad; kept as v / (1 − β₂)
    it would save a pass too, but overflow float32 a thousand times sooner). The constants
    fold into the last line, with c = 1 / √(1 − β₂ᵗ):

        θ ← θ − (η (1 − β₁) / ((1 − β₁ᵗ) c)) · u / (√v̂ + ε / c)

    the same number as torch's up to rounding. In float32, where β₁ rounds so far from itself
    that u ← β₁ u + g would settle m beyond rounding off torch's (some β₁ above 0.9375: 0.96,
    0.99 and 0.999, say, not 0.9 or 0.95; see ``_beta1_rounds_off``), u decays as u − (1 − β₁) u, one pass more, as torch's lerp keeps the
    digits of 1 − β₁. :func:`moments_in_torch_form` converts.
    With amsgrad turned on after the first step, v̂ starts at zero then, so v̂ is the maximum
    of v since then (``torch.optim.Adam`` raises KeyError there).
    A scratch buffer is allocated once, so a step allocates nothing that grows: it is kept in
    ``state`` as ``_scratch``, beside ``_betas`` (the β the moments were kept for); keys that
    begin with ``_`` are the update's own, not state to save.

    Shapes: param, grad and every buffer alike, any shape.

    The arguments are checked first, so that a refused call changes nothing (TypeError or
    ValueError naming what was expected): ``param`` and ``grad`` float arrays of one shape;
    ``state["step"]`` this update's number, an integer ≥ 1 (1 for the first); both moments
    or neither (a first update), each a float array of ``param``'s shape, in glassnet's form
    (:func:`moments_in_scaled_form` converts torch's); the settings as :class:`Adam` takes
    them. :class:`Adam` steps with the same update unchecked: its arrays and state are its
    own, checked when built or loaded. It also flushes the moments' subnormal entries every
    128 steps (:func:`~glassnet.optim._optimizer.flush_subnormals`), which this function does
    not: a long loop of it slows down as weights stop receiving gradients.

    Examples
    --------
    The caller counts the steps (``state["step"]``, 1 for the first); the moments are
    created at the first update:

    >>> import numpy as np
    >>> from glassnet.optim import adam_update
    >>> theta, state = np.array([1.0, 2.0]), {"step": 1}
    >>> settings = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    >>> adam_update(theta, np.array([3.0, -0.5]), state, decoupled=False, amsgrad=False, **settings)
    >>> np.round(theta, 6)  # the first step is η against the gradient's sign, whatever its size
    array([0.9, 2.1])
    >>> state["exp_avg_scaled"]  # u = m / (1 − β₁) = g after one step
    array([ 3. , -0.5])
    """
    check_update_arrays("adam_update", param, grad, state)
    _check_state(param, state)
    _check_settings(
        "adam_update",
        {"lr": lr, "betas": (beta1, beta2), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad},
    )
    if not isinstance(decoupled, bool | np.bool_):
        raise TypeError(f"adam_update decoupled must be True or False, got {decoupled!r}")
    _at_betas(state, (beta1, beta2))
    _adam_step(
        param,
        grad,
        state,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        decoupled=decoupled,
        amsgrad=amsgrad,
    )


def _adam_step(
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
    """:func:`adam_update` without its checks, for :class:`Adam`'s every step."""
    step = state["step"]
    if "exp_avg_scaled" not in state:
        state["exp_avg_scaled"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    u, v = state["exp_avg_scaled"], state["exp_avg_sq"]
    scratch = state.get("_scratch")
    if scratch is None or scratch.shape != param.shape or scratch.dtype != param.dtype:
        scratch = state["_scratch"] = np.empty_like(param)

    if weight_decay != 0:
        if decoupled:
            param *= 1.0 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    # u *= β₁, unless float32's β₁ would bias the decay beyond rounding, which only a β₁ above
    # 0.9375 can (see _beta1_rounds_off; the first test spares the default 0.9 the others)
    if beta1 > 0.9375 and u.dtype.char == "f" and _beta1_rounds_off(beta1):
        np.multiply(u, 1.0 - beta1, out=scratch)  # u − (1 − β₁) u
        u -= scratch
    else:
        u *= beta1
    u += grad
    # (1 − β₂) g first, then times g, as torch's addcmul: g² alone overflows float32 from 1.8e19
    np.multiply(grad, 1.0 - beta2, out=scratch)
    scratch *= grad
    v *= beta2
    v += scratch
    if amsgrad:
        try:  # costs nothing until it raises
            maximum = state["max_exp_avg_sq"]
        except KeyError:  # amsgrad turned on after the first step: the maximum starts now
            maximum = state["max_exp_avg_sq"] = np.zeros_like(param)
        v = np.maximum(maximum, v, out=maximum)

    c = 1.0 / math.sqrt(1.0 - beta2**step)
    np.sqrt(v, out=scratch)
    added = eps / c  # ε √(1 − β₂ᵗ): torch's ε on √v̂, in the scale of √v
    if added < FLOAT32_TINY and eps > 0 and _loses_bits(added, scratch.dtype):
        # rare: an ε of 1e-38 or less (float32), whose scaled form is subnormal or 0 in the dtype,
        # so that a gradient still 0 gave 0/0 (NaN weights) and a v̂ that underflowed divided by
        # a few bits of ε: torch's own order, ε added to √v̂ itself, m̂ / (√v̂ + ε)
        scratch *= c
        scratch += eps
        np.divide(u, scratch, out=scratch)
        scratch *= lr * (1.0 - beta1) / (1.0 - beta1**step)
    else:
        scratch += added
        np.divide(u, scratch, out=scratch)
        scratch *= lr * (1.0 - beta1) / ((1.0 - beta1**step) * c)
    param -= scratch


FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # 1.2e-38, float32's smallest normal number


def _loses_bits(added: float, dtype: np.dtype[Any]) -> bool:
    """Whether ε √(1 − β₂ᵗ) is below ``dtype``'s smallest normal number (2.2e-308 in float64),
    where it keeps fewer bits than the dtype's, or none: see :func:`_adam_step`."""
    return added < float(np.finfo(dtype).tiny)


@functools.lru_cache(maxsize=64)  # bounded: a schedule of β₁ sees a new value every step
def _beta1_rounds_off(beta1: float) -> bool:
    """Whether u ← β₁ u + g in float32 would bias the first moment beyond rounding.

    u *= β₁ multiplies by float32's β₁, whose rounding changes the decay 1 − β₁ by
    |fl(β₁) − β₁| / (1 − β₁) relative, the same sign every step: m then settles that much off
    torch's (torch's lerp, m + (1 − β₁)(g − m), rounds the small 1 − β₁ instead, which keeps its
    digits). That is 2 units of float32's roundoff at β₁ = 0.9 and 0.95, 8 at 0.97 to 0.995,
    108 at 0.999: past 4, the step decays u as u − (1 − β₁) u, one NumPy call more. Only a β₁
    above 0.9375 gets there: float32 rounds β₁ ∈ [0.5, 1) by at most 2⁻²⁵, which is past 4
    units of roundoff times 1 − β₁ only where 1 − β₁ < 1/16 (and a β₁ below 0.5 by less still).
    """
    rounded = float(np.float32(beta1))
    return abs(rounded - beta1) > 4.0 * float(np.finfo(np.float32).eps) * (1.0 - beta1)


def _at_betas(state: dict[str, Any], betas: tuple[float, float]) -> None:
    """The first moment u = m / (1 − β₁) rescaled to ``betas`` where the state's were others
    (kept as ``state["_betas"]``; a state without them is taken to be at ``betas``), so that a
    β₁ changed between steps (as a schedule may change it) moves m as torch's does."""
    if state.get("_betas") != betas:
        _rescale_moments(state, state.get("_betas", betas), betas)
        state["_betas"] = betas


def _check_state(param: Array, state: dict[str, Any]) -> None:
    """Refuse a state :func:`adam_update` cannot take a step from, before it changes anything."""
    if "step" not in state:
        raise ValueError(
            "adam_update state needs 'step', this update's number (1 for the first), "
            f"got a state with keys {sorted(state)}"
        )
    step = state["step"]
    # a whole float is a count too: torch keeps its step as a float tensor, and a state taken
    # from it (moments_in_scaled_form) keeps the number as it came
    whole = isinstance(step, int | np.integer) or (
        isinstance(step, float | np.floating) and math.isfinite(step) and float(step).is_integer()
    )
    if isinstance(step, bool) or not whole:
        raise TypeError(
            f"adam_update state['step'] must be an integer (this update's number, 1 for the first), "
            f"got {shown(step)} ({type(step).__name__})"
        )
    if step < 1:
        raise ValueError(
            f"adam_update state['step'] must be >= 1 (this update's number, 1 for the first), got {step}"
        )
    other_forms = sorted(key for key in state if key in SCALED_MOMENTS or key in LEGACY_SCALED_MOMENTS)
    if other_forms:
        raise ValueError(
            f"adam_update state holds {other_forms}, buffers in a form it does not update; expected "
            f"{sorted(held_name(name) for name in MOMENTS)}: convert the state with "
            "moments_in_scaled_form(state, (beta1, beta2))"
        )
    held = [held_name(name) for name in MOMENTS]
    present = [key for key in held if key in state]
    if present and len(present) < len(held):
        missing = [key for key in held if key not in state]
        raise ValueError(
            f"adam_update state holds {present} but not {missing}: an update reads both moments; "
            "give both, or neither for a first update"
        )
    if not present and "max_exp_avg_sq" in state:
        raise ValueError(
            f"adam_update state holds 'max_exp_avg_sq' but not the moments {held}: give them too, "
            "or none of the three for a first update"
        )
    if not present and step > 1:
        raise ValueError(
            f"adam_update state is at step {step} but holds no moments {held}; a first update is step 1"
        )
    for key in (*held, "max_exp_avg_sq"):  # not _scratch: working memory, made anew when it does not fit
        check_update_buffer("adam_update", state, key, param)


def _check_settings(owner: str, settings: Mapping[str, Any]) -> None:
    """Adam's settings, as torch.optim.Adam takes them; ``owner`` names the caller in the message."""
    finite_float(settings["lr"], f"{owner} lr", minimum=0.0)
    betas = settings["betas"]
    # a NumPy pair too, as the constructor takes it (and keeps it as a tuple), and step reads it
    if not isinstance(betas, tuple | list | np.ndarray) or np.ndim(betas) != 1 or len(betas) != 2:
        raise ValueError(f"{owner} betas must be a pair (beta1, beta2), got {betas!r}")
    for index, beta in enumerate(betas):
        value = finite_float(beta, f"{owner} beta{index + 1}", minimum=0.0)
        if value >= 1.0:
            raise ValueError(f"{owner} beta{index + 1} must be in [0, 1), got {value}")
    finite_float(settings["eps"], f"{owner} eps", minimum=0.0)
    finite_float(settings["weight_decay"], f"{owner} weight_decay", minimum=0.0)
    if not isinstance(settings["amsgrad"], bool | np.bool_):
        raise TypeError(f"{owner} amsgrad must be True or False, got {settings['amsgrad']!r}")


def _rescale_moments(state: dict[str, Any], old: tuple[float, float], new: tuple[float, float]) -> None:
    """The first moment kept in the scale of betas ``old`` (u = m / (1 − β₁)) put in the scale
    of ``new``, in place: torch keeps m as it is when the betas change."""
    if tuple(old) == tuple(new):
        return
    for scaled, index in SCALED_MOMENTS.values():
        if scaled in state:
            state[scaled] *= (1.0 - old[index]) / (1.0 - new[index])


def moments_in_torch_form(buffers: Mapping[str, Any], betas: tuple[float, float]) -> dict[str, Any]:
    """Adam's buffers with glassnet's scaled first moment (and second moments an earlier
    glassnet kept scaled) turned into torch's m and v.

    Values are arrays or ``{parameter name: array}`` mappings; other buffers pass unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import Adam, moments_in_torch_form
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> opt = Adam([w])
    >>> w.grad = np.array([3.0, -0.5])
    >>> opt.step()
    >>> state = opt.state_dict()["state"][0]  # group 0's buffers, as glassnet keeps them
    >>> sorted(state)
    ['exp_avg_scaled', 'exp_avg_sq', 'step']
    >>> torch_state = moments_in_torch_form(state, betas=(0.9, 0.999))
    >>> sorted(torch_state), torch_state["exp_avg"]  # m = (1 − β₁) u = 0.1 g
    (['exp_avg', 'exp_avg_sq', 'step'], array([ 0.3 , -0.05]))
    """
    scaled_names = {scaled: (torch_name, index) for torch_name, (scaled, index) in SCALED_MOMENTS.items()}
    scaled_names.update({legacy: (torch_name, 1) for legacy, torch_name in LEGACY_SCALED_MOMENTS.items()})
    converted: dict[str, Any] = {}
    for key, value in buffers.items():
        if key in scaled_names:
            torch_name, index = scaled_names[key]
            converted[torch_name] = _scale(value, 1.0 - betas[index])
        else:
            converted[key] = value
    return converted


def moments_in_scaled_form(buffers: Mapping[str, Any], betas: tuple[float, float]) -> dict[str, Any]:
    """The inverse of :func:`moments_in_torch_form`: Adam's buffers as glassnet keeps them,
    torch's m as u = m / (1 − β₁), and an earlier glassnet's v / (1 − β₂) as v.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.optim import moments_in_scaled_form, moments_in_torch_form
    >>> torch_state = {"step": 1, "exp_avg": np.array([0.3, -0.05]), "exp_avg_sq": np.zeros(2)}
    >>> state = moments_in_scaled_form(torch_state, betas=(0.9, 0.999))
    >>> sorted(state), np.round(state["exp_avg_scaled"], 6)  # u = m / (1 − β₁)
    (['exp_avg_scaled', 'exp_avg_sq', 'step'], array([ 3. , -0.5]))
    >>> back = moments_in_torch_form(state, betas=(0.9, 0.999))
    >>> bool(np.allclose(back["exp_avg"], torch_state["exp_avg"]))  # the inverse of each other
    True
    """
    converted: dict[str, Any] = {}
    for key, value in buffers.items():
        if key in SCALED_MOMENTS:
            scaled, index = SCALED_MOMENTS[key]
            converted[scaled] = _scale(value, 1.0 / (1.0 - betas[index]))
        elif key in LEGACY_SCALED_MOMENTS:
            converted[LEGACY_SCALED_MOMENTS[key]] = _scale(value, 1.0 - betas[1])
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

    Examples
    --------
    The first step moves each weight by about η, against its gradient's sign: m̂ = g and
    √v̂ = |g| after bias correction, so m̂ / (√v̂ + ε) ≈ ±1 for gradients of any size.

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import Adam
    >>> w = Parameter(np.array([1.0, -2.0, 3.0]))
    >>> opt = Adam([w], lr=0.01)
    >>> w.grad = np.array([0.001, 5.0, -100.0])  # five orders of magnitude apart
    >>> opt.step()
    >>> np.round(w.data, 4)
    array([ 0.99, -2.01,  3.01])
    """

    decoupled_weight_decay = False
    # glassnet's buffers, and torch's and an earlier glassnet's, which load_state_dict converts
    state_keys = (
        frozenset(SCALED_MOMENTS) | {scaled for scaled, _ in SCALED_MOMENTS.values()} | SECOND_MOMENTS
    )

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
        _check_settings(type(self).__name__, settings)

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
        names = {held_name(key) for key in state}
        missing = [key for key in MOMENTS if held_name(key) not in names]
        if held and missing:
            raise ValueError(
                f"{type(self).__name__} state of group {group} holds {held} but not {missing} "
                f"(or its _scaled form): a step needs {' and '.join(MOMENTS)}; give both, or "
                "neither to start afresh"
            )
        if not held and state.get("step", 0) > 0:  # every step writes both moments
            raise ValueError(
                f"{type(self).__name__} state of group {group} has taken {state['step']} step(s) but holds "
                "no moments; give exp_avg and exp_avg_sq, or step 0 to start afresh"
            )

    def flush_group(self, state: dict[str, Any], settings: dict[str, Any]) -> None:
        u = state.get("exp_avg_scaled")
        if u is None or not moments_flushable(settings["eps"], settings["betas"][1], u.dtype):
            return
        for key in ("exp_avg_scaled", "exp_avg_sq", "max_exp_avg_sq"):
            if key in state:
                flush_subnormals(state[key])

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        betas = tuple(settings["betas"])  # by value: a list may have been changed in place
        _at_betas(state, betas)
        beta1, beta2 = betas
        _adam_step(
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
        """Settings and buffers; the first moment in glassnet's scaled form (see :func:`adam_update`)."""
        saved = super().state_dict()
        for state, group in zip(saved["state"], self.param_groups, strict=True):
            state.pop("_scratch", None)  # working memory, not state
            # saved in the scale of the group's betas, which load_state_dict assumes
            _rescale_moments(state, state.pop("_betas", group["betas"]), group["betas"])
        return saved

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state saved by ``state_dict``; torch's m (``exp_avg``) is accepted too and
        converted to the scaled form, as are an earlier glassnet's scaled second moments
        (``exp_avg_sq_scaled``, ``max_exp_avg_sq_scaled``: v / (1 − β₂)) to v."""
        _, states = self._saved_parts(state_dict)
        for state in states:
            by_held: dict[str, str] = {}
            for key in state:  # checked first, so that a refused state changes nothing
                other = by_held.setdefault(held_name(key), key)
                if other != key:  # one buffer by two names: 'exp_avg' and 'exp_avg_scaled', say
                    first, second = sorted((other, key))
                    raise ValueError(
                        f"{type(self).__name__} state has both {first!r} and {second!r}; expected one of them"
                    )
        super().load_state_dict(state_dict)
        for state, group in zip(self.state, self.param_groups, strict=True):
            converted = moments_in_scaled_form(state, tuple(group["betas"]))
            state.clear()
            state.update(converted)
            # the betas the moments are scaled by, so that betas set anew before the next step
            # rescale them (_at_betas), as they would have without the load
            state["_betas"] = tuple(group["betas"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ (1 − ηλ) before the
    Adam step, as ``torch.optim.AdamW`` (whose default λ is 0.01).

    Examples
    --------
    With a zero gradient only the decay acts: AdamW shrinks θ by the factor 1 − ηλ, where
    Adam's L2 form adds λθ to the gradient, which Adam's normalisation makes a whole step of η.

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import Adam, AdamW
    >>> w, v = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    >>> adamw, adam = AdamW([w], lr=0.1, weight_decay=0.5), Adam([v], lr=0.1, weight_decay=0.5)
    >>> w.grad, v.grad = np.zeros(1), np.zeros(1)
    >>> adamw.step()
    >>> adam.step()
    >>> w.data, np.round(v.data, 6)  # 1 · (1 − 0.1 · 0.5), and 1 − 0.1
    (array([0.95]), array([0.9]))
    """

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
