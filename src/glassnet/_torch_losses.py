"""glassnet's own loss definitions written in torch operations, where torch's differ.

One definition for every torch-side user (the Trainer's torch engine, explain's PyTorch check),
so that each computes glassnet's loss rather than torch's namesake. The functions take torch
tensors and use their methods only: nothing here imports torch, an optional dependency.
"""

from __future__ import annotations

from typing import Any

from glassnet.losses import Reduction


def glassnet_bce(p: Any, t: Any, bounds: tuple[float, float], reduction: Reduction = "mean") -> Any:
    """glassnet's BCELoss on torch tensors, its value and its gradient: −[y log p̃ + (1 − y) log(1 − p̃)]
    per element, p̃ = p clipped to ``bounds`` = [low, high] (``BCELoss.bounds_for`` p's dtype),
    reduced by mean or sum, with dℓ/dp = (p̃ − y) / (p̃ (1 − p̃)) at every p, as
    glassnet.losses.BCELoss.elementwise_grad.

    Not torch's binary_cross_entropy: it caps each term at 100 where glassnet's clip caps it at
    −log 1e-12 = 27.6 (at 15.9 next to 1 in float32, where 1 − 1e-7 rounds to 1 − 1.19e-7), and its
    gradient divides by
    max(p (1 − p), 1e-12); so its loss and gradients differ from glassnet's once p saturates.
    p̃ is the clipped value with p's gradient passed through it unchanged (p − p.detach() is 0
    with the derivative 1): torch's clamp would make the gradient 0 outside [low, high].
    """
    low, high = bounds
    clipped = p.detach().clamp(low, high) + (p - p.detach())
    values = -(t * clipped.log() + (1.0 - t) * (-clipped).log1p())
    return values.mean() if reduction == "mean" else values.sum()


def glassnet_half_squared_error(p: Any, t: Any, reduction: Reduction = "sum") -> Any:
    """glassnet's HalfSquaredError on torch tensors: ½ r² per element, r = p − t, reduced by sum
    (its default) or mean. Halved before the product, (½ r) r, as glassnet's: ½ (r²) overflows
    where r² does, at |r| above √max (1.8e19 in float32), where glassnet's value is finite."""
    residual = p - t
    values = (0.5 * residual) * residual
    return values.mean() if reduction == "mean" else values.sum()


def glassnet_logistic(p: Any, t: Any, reduction: Reduction = "mean", labels: str = "01") -> Any:
    """glassnet's LogisticLoss on torch tensors: softplus(s p) per element, s = 1 − 2t for labels
    "01" and −t for "pm1" (``LogisticLoss.sign``, applied as written to any t), as
    logaddexp(s p, 0), reduced by mean (its default) or sum. Its gradient, s σ(s p), is
    computed as s / (1 + e^(−s p)), exact to rounding as glassnet's, into the subnormal numbers,
    down to about 5.6e-309 in float64 (2.9e-39 in float32), below which e^(−s p) overflows and
    this one is 0.

    Not torch's binary_cross_entropy_with_logits: the same value, but its gradient is taken as
    σ(p) − t, which loses σ's relative precision once |p| is large and the row is right (17 %
    off at p = 15 in float32; 0 at p = 38 in float64, where glassnet's is 3.1e-17), and the
    value of such a row rounds to 0 sooner."""
    sign = 1.0 - 2.0 * t if labels == "01" else -t
    values = (sign * p).logaddexp(p.new_zeros(()))
    return values.mean() if reduction == "mean" else values.sum()
