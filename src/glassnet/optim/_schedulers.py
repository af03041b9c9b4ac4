"""Learning-rate schedules: the rate as a pure function of the step count t.

Used as PyTorch's: build the schedule on an optimizer, call ``scheduler.step()`` once per
epoch (or per batch, if that is the unit you chose), after ``optimizer.step()``.

Closed form, unlike PyTorch's chainable schedulers (which multiply the group's current
``lr``): each ``step()`` sets ``lr = lr_at(base_lr, t)`` from the rate the scheduler was
built with, whatever ``lr`` is now. So two schedulers on one optimizer do not chain (with
``StepLR`` and ``ExponentialLR``, the rate is that of the one stepped last, not their
product as in PyTorch), and a change made by hand to a group's ``lr`` is overwritten at
the next ``step()``; change ``scheduler.base_lrs`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from glassnet._checks import finite_float, nonnegative_int, positive_int, shown
from glassnet.optim._optimizer import Optimizer, glassnet_kind, setting_text


class LRScheduler:
    """Base class: sets every group's ``lr`` to ``lr_at(base_lr, t)``; t starts at 0.

    ``base_lr`` is the group's ``lr`` when the scheduler is built, and only it, t and the
    scheduler's settings decide the rate: schedulers do not chain, and a hand-set ``lr`` lasts
    until the next ``step()`` (see the module docstring).

    A subclass with settings names them in ``_SETTINGS`` (saved by ``state_dict``, set again by
    ``load_state_dict``), sets them before calling its base's constructor, and checks them in
    ``_checked_settings``, which both the constructor and ``load_state_dict`` call (without one,
    they are taken as given).

    Examples
    --------
    A schedule that keeps η₀ for a number of epochs, then halves it: ``lr_at`` is all it needs.

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import SGD, LRScheduler
    >>> class HalvedAfter(LRScheduler):
    ...     _SETTINGS = ("epochs",)  # shown by repr, saved by state_dict
    ...
    ...     def __init__(self, optimizer, epochs):
    ...         self.epochs = epochs  # before super().__init__, which sets the rate at t = 0
    ...         super().__init__(optimizer)
    ...
    ...     def lr_at(self, base_lr, t):
    ...         return base_lr if t < self.epochs else base_lr / 2
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    >>> scheduler = HalvedAfter(opt, epochs=2)
    >>> rates = []
    >>> for epoch in range(4):
    ...     rates.append(opt.param_groups[0]["lr"])  # the rate this epoch trains with
    ...     scheduler.step()  # after the epoch's optimizer steps
    >>> rates, scheduler
    ([0.1, 0.1, 0.05, 0.05], HalvedAfter(epochs=2, base_lr=0.1, last_epoch=4, last_lr=0.05))
    """

    _SETTINGS: ClassVar[tuple[str, ...]] = ()  # the constructor's settings, saved by state_dict

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs a glassnet Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        # a subclass's settings, set before this call, are checked here as a load checks them (its
        # own check ran on loads alone: a setting it refuses was built, and its state not loaded)
        given = self._own_settings()
        if given and len(given) == len(self._SETTINGS):  # one set later is checked on loads alone
            self._set_settings(self._checked_settings(given))
        self._apply(0, [float(group["lr"]) for group in optimizer.param_groups])

    def lr_at(self, base_lr: float, t: int) -> float:
        """The rate after ``t`` calls of :meth:`step` for a group whose initial rate is ``base_lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """t ← t + 1 (``last_epoch``); each group's ``lr`` ← ``lr_at(base_lr, t)`` (``base_lrs``: (G,))."""
        # base_lrs may have been set by hand (the module docstring's advice): checked as a load checks
        # it, and kept as the same list where it is one, so that a reference to it still sets the rates
        rates = self._checked_base_lrs(self.base_lrs, "base_lrs")
        if isinstance(self.base_lrs, list):
            self.base_lrs[:] = rates
            rates = self.base_lrs
        self._apply(self.last_epoch + 1, rates)

    def get_last_lr(self) -> list[float]:
        """The rates this scheduler set last (as torch's: a hand-set ``lr`` is not one of them)."""
        return list(self._last_lr)

    def __repr__(self) -> str:
        """The settings (``_SETTINGS``), then ``base_lr``, t (``last_epoch``) and the rate this
        scheduler set at t (``get_last_lr``): numbers for one parameter group, lists for several,
        e.g. ``StepLR(step_size=1, gamma=0.5, base_lr=0.1, last_epoch=3, last_lr=0.0125)``."""
        parts = [f"{name}={setting_text(getattr(self, name))}" for name in self._SETTINGS]
        one = len(self.base_lrs) == 1
        base, last = (list(map(setting_text, rates)) for rates in (self.base_lrs, self._last_lr))
        parts.append(f"base_lr={base[0]}" if one else f"base_lrs=[{', '.join(base)}]")
        parts.append(f"last_epoch={self.last_epoch}")
        parts.append(f"last_lr={last[0]}" if one else f"last_lr=[{', '.join(last)}]")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _own_settings(self) -> dict[str, Any]:
        """The settings a subclass set before calling its base's constructor (``_SETTINGS`` beyond
        the base's), for the base's ``_checked_settings`` call, which a subclass's own override
        reads too (it was given the base's alone: KeyError)."""
        return {name: getattr(self, name) for name in self._SETTINGS if hasattr(self, name)}

    def _checked_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """``settings`` (one value for each name in ``_SETTINGS``) checked and made plain ints and
        floats: the one place each check lives, for the constructor and ``load_state_dict``. This
        base takes them as given, so that a subclass that checks nothing still has its saved
        settings loaded (it returned none, and a load went on with the constructor's)."""
        return {name: settings[name] for name in self._SETTINGS}

    def _set_settings(self, settings: Mapping[str, Any]) -> None:
        for name, value in settings.items():
            setattr(self, name, value)

    def _apply(self, t: int, base_lrs: list[float], settings: Mapping[str, Any] | None = None) -> None:
        """Set step t's rates from ``base_lrs`` (and checked ``settings``, if given); nothing
        changes if one of the rates cannot be had.

        The settings, ``base_lrs`` and ``last_epoch`` are set before the rates are computed, since
        ``lr_at`` reads them (a subclass's may read ``base_lrs`` and ``last_epoch`` too), and put
        back if one is refused.
        """
        settings = settings or {}
        before_settings = {name: getattr(self, name) for name in settings}
        before = getattr(self, "base_lrs", base_lrs), getattr(self, "last_epoch", t)  # none yet in __init__
        self._set_settings(settings)
        self.base_lrs, self.last_epoch = base_lrs, t
        try:
            rates = [self.lr_at(base_lr, t) for base_lr in base_lrs]
        except BaseException:
            self._set_settings(before_settings)
            self.base_lrs, self.last_epoch = before
            raise
        self._last_lr = rates
        for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = lr

    def _checked_base_lrs(self, given: Any, name: str) -> list[float]:
        """``given`` as one finite rate ≥ 0 per parameter group, plain floats; ValueError naming
        ``name`` else, before any rate is set."""
        groups = len(self.optimizer.param_groups)
        if not isinstance(given, list | tuple) or len(given) != groups:
            raise ValueError(
                f"{name} must be a list of {groups} rate(s), one per parameter group, got {given!r}"
            )
        return [finite_float(lr, f"{name}[{i}]", minimum=0.0) for i, lr in enumerate(given)]

    def state_dict(self) -> dict[str, Any]:
        """``scheduler`` (the class's name), ``last_epoch``, ``base_lrs`` and the scheduler's
        settings (``StepLR``'s ``step_size`` and ``gamma``, ``ExponentialLR``'s ``gamma``,
        ``CosineLR``'s ``t_max``, ``eta_min``, ``warmup`` and ``warmup_start_factor``), as plain
        Python numbers (``base_lrs`` set by hand is checked as ``step`` checks it).

        As torch's, it holds the settings, so loading it into a scheduler of the same class
        built with other settings goes on with the saved schedule. The settings' keys are the
        constructor's argument names, which are torch's where torch has the setting
        (``step_size``, ``gamma``, ``eta_min``); ``t_max`` is torch's ``T_max``. ``scheduler``
        lets a load refuse another class's state whose keys it shares (``ExponentialLR``'s
        ``gamma`` is ``StepLR``'s too), as an optimizer's state names its class.
        """
        return {
            "scheduler": self._kind(),
            "last_epoch": self.last_epoch,
            "base_lrs": self._checked_base_lrs(self.base_lrs, "base_lrs"),
            **{name: getattr(self, name) for name in self._SETTINGS},
        }

    def _kind(self) -> str:
        """The name of this schedule: for a subclass of one of glassnet's schedulers, the
        glassnet class's, whose states it takes (as ``Optimizer._kind``); else its own class's."""
        return glassnet_kind(self, LRScheduler)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take ``last_epoch`` (and ``base_lrs`` and the settings, if given) and set the rates for them.

        A setting left out keeps this scheduler's own, so a state saved with only ``last_epoch``
        and ``base_lrs`` still loads; one given is checked as the constructor checks it, and a
        key of another scheduler's settings is refused, as is a state whose ``scheduler`` names
        another class (a state without it is taken). Everything is checked first, the rates
        at ``last_epoch`` included (one beyond float64 is refused): nothing changes (settings,
        ``base_lrs``, ``last_epoch``, the groups' ``lr``) unless all of it is valid.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"scheduler state must be a dict, got {type(state).__name__}")
        expected = ("last_epoch", "base_lrs", *self._SETTINGS)
        unknown = sorted(set(state) - {"scheduler", *expected}, key=str)
        if unknown:
            raise ValueError(
                f"scheduler state has unknown keys {unknown}; {type(self).__name__} takes {', '.join(expected)}"
            )
        kind = self._kind()
        saved_by = state.get("scheduler", kind)  # a state built by hand, or saved before it, may leave it out
        if saved_by != kind:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict got a state saved by {shown(saved_by)}, not by {kind}"
            )
        if "last_epoch" not in state:
            raise ValueError(
                f"scheduler state has no last_epoch; {type(self).__name__} takes {', '.join(expected)}"
            )
        last_epoch = state["last_epoch"]
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int | np.integer) or last_epoch < 0:
            raise ValueError(f"scheduler state last_epoch must be a non-negative integer, got {last_epoch!r}")
        base_lrs = self._checked_base_lrs(state.get("base_lrs", self.base_lrs), "scheduler state base_lrs")
        given = {name: state[name] if name in state else getattr(self, name) for name in self._SETTINGS}
        # those a subclass does not check are taken as given: a subclass of StepLR with a setting
        # of its own lost it on load (StepLR checks, and returned, its own two only)
        settings = {**given, **self._checked_settings(given)}
        self._apply(int(last_epoch), base_lrs, settings)


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t / step_size⌋ (``torch.optim.lr_scheduler.StepLR``).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import SGD, StepLR
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)  # halved every 2 epochs
    >>> rates = []
    >>> for epoch in range(6):
    ...     rates.append(opt.param_groups[0]["lr"])  # the rate this epoch trains with
    ...     scheduler.step()  # after the epoch's optimizer steps
    >>> rates
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    _SETTINGS = ("step_size", "gamma")
    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self._set_settings(
            self._checked_settings({**self._own_settings(), "step_size": step_size, "gamma": gamma})
        )
        super().__init__(optimizer)

    def _checked_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "step_size": positive_int(settings["step_size"], "StepLR step_size"),
            "gamma": finite_float(settings["gamma"], "StepLR gamma", minimum=0.0, strict=True),
        }

    def lr_at(self, base_lr: float, t: int) -> float:
        return _decayed(base_lr, self.gamma, t // self.step_size, f"StepLR rate at step {t}")


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γᵗ (``torch.optim.lr_scheduler.ExponentialLR``).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import SGD, ExponentialLR
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    >>> scheduler = ExponentialLR(opt, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(4):
    ...     rates.append(opt.param_groups[0]["lr"])  # 0.1 · 0.5ᵗ
    ...     scheduler.step()
    >>> rates
    [0.1, 0.05, 0.025, 0.0125]
    """

    _SETTINGS = ("gamma",)
    gamma: float

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self._set_settings(self._checked_settings({**self._own_settings(), "gamma": gamma}))
        super().__init__(optimizer)

    def _checked_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {"gamma": finite_float(settings["gamma"], "ExponentialLR gamma", minimum=0.0, strict=True)}

    def lr_at(self, base_lr: float, t: int) -> float:
        return _decayed(base_lr, self.gamma, t, f"ExponentialLR rate at step {t}")


class CosineLR(LRScheduler):
    """Cosine annealing over ``t_max`` steps after an optional linear warm-up of ``warmup`` steps:

        t < W:        η_t = η₀ · (f + (1 − f) · t / W)                       (f = warmup_start_factor)
        W ≤ t ≤ W+T:  η_t = η_min + (η₀ − η_min) · (1 + cos(π (t − W) / T)) / 2
        t > W+T:      η_t = η_min

    With W = 0 this is PyTorch's ``CosineAnnealingLR(T_max=T, eta_min=η_min)`` up to t = T
    (PyTorch's rate climbs again after T; here it stays at η_min). With W > 0 it is
    ``SequentialLR([LinearLR(f, 1, W), CosineAnnealingLR(T)], milestones=[W])`` up to t = W + T,
    to rounding; at t = W this is η₀ itself, the rate given, where SequentialLR's closed form
    η_min + (η₀ − η_min) may round 1 ulp above it (0.30000000000000004 for η₀ = 0.3,
    η_min = 0.03).

    Examples
    --------
    Two warm-up steps from η₀/3, four of cosine down to η_min = 0.01, then η_min:

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import SGD, CosineLR
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    >>> scheduler = CosineLR(opt, t_max=4, eta_min=0.01, warmup=2)
    >>> rates = []
    >>> for epoch in range(8):
    ...     rates.append(round(opt.param_groups[0]["lr"], 6))
    ...     scheduler.step()
    >>> rates  # at t = 4, halfway: 0.01 + (0.1 − 0.01) / 2
    [0.033333, 0.066667, 0.1, 0.08682, 0.055, 0.02318, 0.01, 0.01]
    """

    _SETTINGS = ("t_max", "eta_min", "warmup", "warmup_start_factor")
    t_max: int
    eta_min: float
    warmup: int
    warmup_start_factor: float

    def __init__(
        self,
        optimizer: Optimizer,
        t_max: int,
        eta_min: float = 0.0,
        warmup: int = 0,
        warmup_start_factor: float = 1.0 / 3.0,
    ) -> None:
        settings = {
            **self._own_settings(),
            "t_max": t_max,
            "eta_min": eta_min,
            "warmup": warmup,
            "warmup_start_factor": warmup_start_factor,
        }
        self._set_settings(self._checked_settings(settings))
        super().__init__(optimizer)

    def _checked_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        t_max = positive_int(settings["t_max"], "CosineLR t_max")
        eta_min = finite_float(settings["eta_min"], "CosineLR eta_min", minimum=0.0)
        warmup = nonnegative_int(settings["warmup"], "CosineLR warmup")
        factor = finite_float(settings["warmup_start_factor"], "CosineLR warmup_start_factor", minimum=0.0)
        if factor > 1.0:
            raise ValueError(f"CosineLR warmup_start_factor must be in [0, 1], got {factor}")
        return {"t_max": t_max, "eta_min": eta_min, "warmup": warmup, "warmup_start_factor": factor}

    def lr_at(self, base_lr: float, t: int) -> float:
        if t < self.warmup:
            f = self.warmup_start_factor
            return base_lr * (f + (1.0 - f) * t / self.warmup)
        progress = min(t - self.warmup, self.t_max) / self.t_max
        # η₀ itself, as torch's CosineAnnealingLR: η_min + (η₀ − η_min) may round 1 ulp above it
        if progress == 0.0:
            return base_lr
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * progress)) / 2.0


def _decayed(base_lr: float, gamma: float, n: int, what: str) -> float:
    """η₀ · γⁿ, finite wherever torch's product of n factors γ is.

    For γ > 1, γⁿ alone may pass float64's limit where η₀ · γⁿ does not (η₀ = 1e-10,
    γ = 2, n = 1024; or η₀ = 0): then γⁿ is applied in parts γᵏ < 2¹⁰⁰⁰. A rate beyond
    float64 is refused (torch's would be inf, and the next update would make every
    parameter inf or NaN).
    """
    try:
        rate = base_lr * gamma**n
    except OverflowError:  # γⁿ > 1.8e308, or n itself beyond float64 (γ ≤ 1: γⁿ is its limit)
        if gamma <= 1.0:
            return base_lr if gamma == 1.0 else 0.0
        rate, left, part = base_lr, n, max(1, int(1000 / math.log2(gamma)))
        while left > 0 and 0.0 < rate < math.inf:
            k = min(left, part)
            rate *= gamma**k
            left -= k
    if rate == math.inf:
        raise ValueError(f"{what} is beyond float64: {base_lr} · {gamma}^{n}")
    return rate
