"""Gradient checking: the model's backward pass against central finite differences in float64.

Private module: the public names are :func:`glassnet.gradcheck`, :class:`glassnet.GradcheckReport`
and :class:`glassnet.GradientComparison`, re-exported by the package.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array, finite_float
from glassnet.losses import Loss
from glassnet.nn import Module

FLOAT64_EPS = float(np.finfo(np.float64).eps)  # u, the spacing of float64 next to 1
# How many units of |L| (and of Σ |ŷ| |dL/dŷ|) the rounding of a forward pass and loss may leave
# in L: a few ulp per operation, of which a central difference sees the two evaluations'
# (gradcheck's docstring)
ROUNDOFF_UNITS = 8
# An element whose rounding allowance rᵢ is a tenth of its array's largest gradient or more is
# unresolved: a backward that far off would pass there (GradientComparison.first_unresolved)
RESOLVED_SHARE = 0.1
# gradcheck's default tolerance of |aᵢ − nᵢ|: atol + rtol |nᵢ| (+ the rounding allowance rᵢ)
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-8

__all__ = [
    "GradcheckReport",
    "GradientComparison",
    "gradcheck",
]


class StepBelowRounding(ValueError):
    """gradcheck's ε leaves a coordinate as it is (θ ± ε rounds to θ): no finite difference."""


@dataclass(frozen=True)
class GradientComparison:
    """One named array: analytic (backward) against numeric (finite-difference) gradient.

    ``max_abs_error`` = maxᵢ |aᵢ − nᵢ|; ``rel_error`` = max_abs_error / s, s = max(‖a‖∞, ‖n‖∞,
    atol), the error relative to the size of the gradient. ``first_mismatch`` is the first
    index (row-major) where |aᵢ − nᵢ| > atol + rtol·|nᵢ| + rᵢ (rᵢ: what rounding L leaves in nᵢ,
    see :func:`gradcheck`) or aᵢ is NaN, or None. ``first_unresolved`` is the first index of
    the others where rᵢ, beyond atol + rtol·|nᵢ|, is 0.1 s or more: there a backward wrong by a
    tenth of the array's gradient or more could pass (a sigmoid output saturated under the BCE
    loss, whose L is then rounded more coarsely than its steps move it; an array of small
    gradients beside a large loss), or None. An element whose outputs did not move at all
    (ŷ(θ + ε) = ŷ(θ − ε) to the bit, so nᵢ = 0) and whose aᵢ is 0 is resolved: a dead ReLU unit's
    weights, when the gradient the outputs' float spacing leaves unseen, Σₙ |∂L/∂ŷₙ| spacing(ŷₙ)
    / 2hᵢ, is ≤ atol + rtol·|nᵢ| or < 0.1 s; where ε's is not, over steps twice as long as
    showing atol takes (up to a hundredth of max(1, |θᵢ|)), if ŷ stays on its floats there too.
    ``mismatched`` is True at every element that does not match (None in a comparison built by
    hand). ``ok``: no mismatch, none unresolved.
    """

    name: str
    analytic: Array
    numeric: Array
    max_abs_error: float
    rel_error: float
    first_mismatch: tuple[int, ...] | None
    first_unresolved: tuple[int, ...] | None = None
    # True at every element that does not match, numeric's shape (first_mismatch is the first)
    mismatched: npt.NDArray[np.bool_] | None = None

    @property
    def ok(self) -> bool:
        return self.first_mismatch is None and self.first_unresolved is None

    def __repr__(self) -> str:
        """One line, without the arrays (a notebook cell showed them all)."""
        verdict = "ok" if self.ok else "unresolved" if self.first_mismatch is None else "MISMATCH"
        return (
            f"GradientComparison({self.name!r}, shape {np.shape(self.numeric)}, {verdict}, "
            f"max abs err {self.max_abs_error:.3e}, rel err {self.rel_error:.3e})"
        )


@dataclass(frozen=True)
class GradcheckReport:
    """The comparisons for every parameter (and the input, if asked), in named order.

    ``ok``: every element matches and is resolved; ``inconclusive``: none mismatches, but
    rounding leaves some unresolved (:class:`GradientComparison`), so ``ok`` is False."""

    comparisons: list[GradientComparison] = field(default_factory=list)
    eps: float = 1e-6

    @property
    def ok(self) -> bool:
        return all(comparison.ok for comparison in self.comparisons)

    @property
    def inconclusive(self) -> bool:
        return not self.ok and all(comparison.first_mismatch is None for comparison in self.comparisons)

    # np.max, not max(): a NaN error must show in the maximum, and max() keeps or drops it by order
    @property
    def max_abs_error(self) -> float:
        return float(np.max([c.max_abs_error for c in self.comparisons], initial=0.0))

    @property
    def max_rel_error(self) -> float:
        return float(np.max([c.rel_error for c in self.comparisons], initial=0.0))

    def __getitem__(self, name: str) -> GradientComparison:
        for comparison in self.comparisons:
            if comparison.name == name:
                return comparison
        raise KeyError(f"no gradient named {name!r}; have {[c.name for c in self.comparisons]}")

    @property
    def verdict(self) -> str:
        """ "all ok", "INCONCLUSIVE" (nothing mismatches, some unresolved) or "MISMATCH"."""
        return "all ok" if self.ok else "INCONCLUSIVE" if self.inconclusive else "MISMATCH"

    def __repr__(self) -> str:
        """One line: the verdict and the largest errors. The dataclass's own repr wrote out every
        array, 15,000 characters for a 3→16→16→1 network in a notebook cell; ``str`` is the table."""
        return (
            f"GradcheckReport({self.verdict}: {len(self.comparisons)} arrays, max abs err "
            f"{self.max_abs_error:.3e}, max rel err {self.max_rel_error:.3e}, eps={self.eps:g})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's display of a cell ending in ``gradcheck(...)``: the table of ``str``."""
        printer.text(repr(self) if cycle else str(self))

    def __str__(self) -> str:
        width = max((len(c.name) for c in self.comparisons), default=4)
        lines = [f"{'name':<{width}}  {'max abs err':>11}  {'rel err':>9}  first mismatch"]
        for c in self.comparisons:
            mismatch = "-" if c.first_mismatch is None else str(c.first_mismatch)
            if c.first_unresolved is not None:
                mismatch += f" (unresolved from {c.first_unresolved})"
            lines.append(f"{c.name:<{width}}  {c.max_abs_error:11.3e}  {c.rel_error:9.3e}  {mismatch}")
        lines.append(f"{self.verdict} (central differences, eps={self.eps:g}, float64)")
        if any(c.first_unresolved is not None for c in self.comparisons):
            lines.append(
                "unresolved: rounding L (a large loss, large outputs, or a loss steep in them) leaves "
                "errors of a tenth of that array's gradient or more in the finite differences there, so a "
                "backward that far off would pass; check on rows where the loss is smaller and less steep "
                "(targets scaled, outputs not saturated), or with a larger eps; where a gradient is 0, a "
                "larger atol may resolve it"
            )
        return "\n".join(lines)


def _refuse_other_kinds(model: Any, loss: Any) -> None:
    """TypeError for a model that is no glassnet Module or a loss that is no Loss instance, named
    here rather than as an AttributeError or TypeError from deep inside the check."""
    if not isinstance(model, Module):
        raise TypeError(f"gradcheck takes a glassnet Module as model, got {type(model).__name__}")
    if not isinstance(loss, Loss):
        hint = f" (the class itself: give an instance, {loss.__name__}())" if isinstance(loss, type) else ""
        raise TypeError(f"gradcheck takes a glassnet Loss as loss, got {type(loss).__name__}{hint}")


def gradcheck(
    model: Module,
    loss: Loss,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    eps: float = 1e-6,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    check_input: bool = False,
) -> GradcheckReport:
    """Compare ``model.backward`` with central finite differences of L(θ) on one batch.

    For each parameter element θᵢ: nᵢ = (L(θ + ε eᵢ) − L(θ − ε eᵢ)) / (2ε), against the
    analytic aᵢ from one forward/backward pass. The check runs on a float64 copy of the
    model, so the model itself is never changed and a float32 model is checked in float64.
    With ``check_input`` the gradient with respect to x is compared too (named ``"input"``).

    The difference is divided by the step θᵢ takes, (θᵢ + ε) − (θᵢ − ε) as float64 rounds
    them: 2ε to within a relative u|θᵢ|/ε (8.9e-11 at θᵢ = 0.4 and ε = 1e-6, where it is
    2.7e-11 in fact, which moves the last digits of a difference), and 3.8e-6 at θᵢ = 1e10, where 2ε was 1.9 times too small;
    an ε below θᵢ's rounding, which leaves θᵢ as it is, is refused (ValueError).

    aᵢ matches when |aᵢ − nᵢ| ≤ atol + rtol |nᵢ| + rᵢ, where
    rᵢ = 8 u (max |L(θ ± ε eᵢ)| + Σₙ |ŷₙ| |∂L/∂ŷₙ|) / hᵢ (u = 2.2e-16, hᵢ half the step, ε
    as a rule) bounds what rounding leaves in nᵢ: rounding L itself, and rounding each output ŷₙ
    to its own spacing, which moves L by up to u |ŷₙ| |∂L/∂ŷₙ| (large when ŷ is, as with an
    unscaled target of 3e5). With a loss of 1e6 and ε = 1e-6 it is about 1e-3, far above rtol
    and atol, where a correct backward would otherwise fail; with a loss and outputs near 1 it
    is about 1e-9, below atol. So atol = rtol = 0 still allows rᵢ: finite differences tell
    nothing finer (the report's errors are the plain |aᵢ − nᵢ|). Rounding inside the hidden
    layers is not counted: on activations far larger than the outputs, scale the inputs.
    Where rᵢ, beyond atol + rtol |nᵢ|, is a tenth or more of its array's largest gradient
    (maxᵢ max(|aᵢ|, |nᵢ|) over the array), the element is unresolved rather than passed, and
    ``ok`` is False (``report.inconclusive`` when nothing mismatches): a sigmoid output saturated
    under the BCE loss (logit 20 and more, a wrong label) makes ∂L/∂ŷ ≈ e^z, and rᵢ then exceeds
    the gradient itself, where a backward wrong by a factor of 2 would pass; so does a loss of
    1e4 beside an array whose gradients are 1e-6. An element whose outputs did not move at all
    (ŷ(θ ± ε) equal to the bit) and whose aᵢ is 0, a dead ReLU unit's, is resolved where the
    outputs' floats lie close enough together to show atol (or a tenth of its array's gradient);
    where they do not, it steps further, twice as far as showing atol takes (up to a hundredth
    of max(1, |θᵢ|)), and is resolved if ŷ stays on its floats there too.

    Two limits, as in ``torch.autograd.gradcheck``: a unit at (or within a step of) a ReLU-type
    kink makes a correct backward mismatch, since the central difference averages the slopes on
    both sides (check at another point; ``glassnet explain`` names such units); and an array
    whose gradients are all below atol is checked to atol only (``rel_error`` is then relative to
    atol): give a smaller atol for gradients that small.

    Shapes: x (N, in), y as the loss expects (the model's output shape, or (N,)).
    Cost: 2 forward passes per parameter element (and per input element): small models.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet import gradcheck
    >>> from glassnet.losses import MSELoss
    >>> from glassnet.nn import MLP, Linear, Sequential, Tanh
    >>> x, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[1.0], [0.0]])
    >>> model = MLP([2, 3, 1], activation="tanh", rng=np.random.default_rng(0))
    >>> report = gradcheck(model, MSELoss(), x, y)  # a float64 copy of model, model unchanged
    >>> report.ok, [comparison.name for comparison in report.comparisons]
    (True, ['0.weight', '0.bias', '2.weight', '2.bias'])

    A backward with a wrong derivative, f′ twice what it should be, is caught:

    >>> class WrongTanh(Tanh):
    ...     def derivative(self, z):
    ...         return 2 * super().derivative(z)
    >>> wrong = Sequential(Linear(2, 1, rng=np.random.default_rng(0)), WrongTanh())
    >>> report = gradcheck(wrong, MSELoss(), x, y)
    >>> report.verdict, report["0.weight"].first_mismatch
    ('MISMATCH', (0, 0))
    """
    _refuse_other_kinds(model, loss)
    eps = finite_float(eps, "gradcheck eps", minimum=0.0, strict=True)
    rtol = finite_float(rtol, "gradcheck rtol", minimum=0.0)
    atol = finite_float(atol, "gradcheck atol", minimum=0.0)
    checked = copy.deepcopy(model).astype(np.float64)
    loss = copy.deepcopy(loss)
    x64 = as_float_array(x, name="gradcheck x", dtype=np.dtype(np.float64), ndim=2).copy()
    y64 = as_float_array(y, name="gradcheck y", dtype=np.dtype(np.float64))

    checked.zero_grad()
    prediction = checked(x64)
    loss(prediction, y64)
    grad_prediction = loss.backward()
    grad_input = checked.backward(grad_prediction)
    # what rounding ŷ to u |ŷ| may move L by: Σ |ŷ| |dL/dŷ| u (the second part of rᵢ)
    output_rounding = float(np.sum(np.abs(prediction) * np.abs(grad_prediction)))
    # how far L may move while every ŷ stays on its float: a step that leaves ŷ as it is shows
    # only that |∂L/∂θ| is below this over the step (ŷ of 3e5 is spaced 5.8e-11 apart)
    output_spacing = float(np.sum(np.abs(grad_prediction) * np.spacing(np.abs(prediction))))
    analytic = {name: parameter.grad.copy() for name, parameter in checked.named_parameters()}

    def evaluated() -> tuple[float, Array]:
        """L and ŷ at the parameters as they are now."""
        prediction = checked.forward(x64)
        return loss(prediction, y64), prediction

    targets = [(name, parameter.data) for name, parameter in checked.named_parameters()]
    if check_input:
        if np.shape(grad_input) != x64.shape:  # compared as it is, it broadcast against dL/dx and passed
            raise ValueError(
                f"gradcheck: {type(model).__name__}.backward returned dL/dx of shape {np.shape(grad_input)}, "
                f"not the input's shape {x64.shape}: the backward is wrong"
            )
        targets.append(("input", x64))
        analytic["input"] = grad_input.copy()
    if not targets:  # an empty report would read "all ok"
        raise ValueError(
            f"gradcheck has nothing to compare: the model has no parameters ({type(model).__name__}); "
            "pass check_input=True to check dL/dx"
        )
    comparisons = []
    for name, values in targets:
        numeric, roundoff = np.empty(values.shape), np.empty(values.shape)
        # where ŷ(θ + ε) = ŷ(θ − ε) to the bit and both gradients are 0, the |∂L/∂θ| the outputs'
        # spacing leaves unseen (output_spacing / 2hᵢ); inf elsewhere, where nothing is exempt
        unseen = np.full(values.shape, math.inf)
        # by index, not through values.reshape(-1): that is a copy for an array that is not
        # C-contiguous (Fortran order, a strided view), which the model would never see
        for i in np.ndindex(values.shape):
            original = values[i]
            up, down = original + eps, original - eps
            # the step taken, not 2ε: θ ± ε rounds to θ's own spacing (1.9e-6 at θ = 1e10, ε = 1e-6)
            half_step = (float(up) - float(down)) / 2.0
            if half_step == 0.0:
                raise StepBelowRounding(
                    f"gradcheck eps={eps:g} is below the rounding of {name}{list(i)} = {float(original):g}: "
                    "θ ± eps is θ itself; give a larger eps"
                )
            values[i] = up
            plus, plus_prediction = evaluated()
            plus_prediction = plus_prediction.copy()  # a forward may reuse its output array
            values[i] = down
            minus, minus_prediction = evaluated()
            unmoved = np.array_equal(plus_prediction, minus_prediction)
            values[i] = original
            numeric[i] = (plus - minus) / (2.0 * half_step)
            rounding = max(abs(plus), abs(minus)) + output_rounding
            roundoff[i] = ROUNDOFF_UNITS * FLOAT64_EPS * rounding / half_step
            if unmoved and numeric[i] == 0.0 and analytic[name][i] == 0.0:
                near = output_spacing / (2.0 * half_step)  # Δŷ below one spacing over the step
                if 0.0 < atol < near:
                    # ŷ's floats lie too far apart to show atol over this step: step twice as far
                    # as showing atol takes, and see whether ŷ stays on them there too
                    reach = 2.0 * half_step * near / atol
                    near = min(
                        near, _unseen_over(values, i, reach, lambda: checked.forward(x64), output_spacing)
                    )
                unseen[i] = near
        comparisons.append(
            _compare(
                name,
                analytic[name],
                numeric,
                rtol=rtol,
                atol=atol,
                roundoff=roundoff,
                unseen=unseen,
            )
        )
    return GradcheckReport(comparisons, eps)


def _unseen_over(
    values: Array, i: tuple[int, ...], reach: float, forward: Callable[[], Array], output_spacing: float
) -> float:
    """The |∂L/∂θ| the outputs' spacing leaves unseen over steps θᵢ ± ``reach`` (output_spacing /
    2·reach), if ŷ stays on the same floats there, else inf; a reach beyond a hundredth of
    max(1, |θᵢ|) is not taken (inf): that far a step measures another point."""
    original = values[i]
    if not reach <= 1e-2 * max(1.0, abs(float(original))):
        return math.inf
    values[i] = original + reach
    up = forward().copy()
    values[i] = original - reach
    down = forward()
    values[i] = original
    taken = (float(original + reach) - float(original - reach)) / 2.0
    return output_spacing / (2.0 * taken) if np.array_equal(up, down) else math.inf


def _compare(
    name: str,
    analytic: Array,
    numeric: Array,
    *,
    rtol: float,
    atol: float,
    roundoff: Array,
    unseen: Array,
) -> GradientComparison:
    difference = np.abs(analytic - numeric)
    max_abs = float(difference.max(initial=0.0))  # NaN if the backward gave a NaN
    scale = max(float(np.abs(analytic).max(initial=0.0)), float(np.abs(numeric).max(initial=0.0)), atol)
    rel = max_abs / scale if scale != 0 else 0.0  # NaN / NaN with a NaN gradient (max() keeps it first)
    tolerance = atol + rtol * np.abs(numeric)
    # not (|a − n| ≤ tol) rather than |a − n| > tol, which is False for a NaN gradient and would pass it
    matches = difference <= tolerance + roundoff
    # the outputs did not move at all (a dead unit's weights), both gradients are 0 (unseen is
    # finite), and the gradient the outputs' spacing leaves unseen is within the tolerance or the
    # share that counts: nothing rounding could hide. Not L alone: under a large loss L(θ ± ε) may
    # round equal while ŷ moves; nor ŷ alone, whose floats are far apart when it is large
    flat = (unseen <= tolerance) | (unseen < RESOLVED_SHARE * scale)
    unresolved = matches & ~flat & (roundoff > tolerance) & (roundoff >= RESOLVED_SHARE * scale)
    return GradientComparison(
        name,
        analytic,
        numeric,
        max_abs,
        rel,
        _first(~matches),
        first_unresolved=_first(unresolved),
        mismatched=~matches,
    )


def _first(mask: npt.NDArray[np.bool_]) -> tuple[int, ...] | None:
    """The first index (row-major) where ``mask`` is True, or None."""
    found = np.argwhere(mask)
    return tuple(int(i) for i in found[0]) if len(found) else None
