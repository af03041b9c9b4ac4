"""glassnet's own loss definitions written in torch operations, where torch's differ.

One definition for every torch-side user (the Trainer's torch engine, explain's PyTorch check),
so that each computes glassnet's loss rather than torch's namesake. The functions take torch
tensors and use their methods only: nothing here imports torch, an optional dependency.
"""

from __future__ import annotations

from typing import Any

from glassnet.losses import Reduction


def glassnet_bce(p: Any, t: Any, eps: float, reduction: Reduction = "mean") -> Any:
    """glassnet's BCELoss on torch tensors, its value and its gradient: −[y log p̃ + (1 − y) log(1 − p̃)]
    per element, p̃ = p clipped to [ε, 1 − ε], reduced by mean or sum, with dℓ/dp = (p̃ − y) / (p̃ (1 − p̃))
    at every p, as glassnet.losses.BCELoss.elementwise_grad.

    Not torch's binary_cross_entropy: it caps each term at 100 where glassnet's clip caps it at
    −log ε (27.6 in float64), and its gradient divides by max(p (1 − p), 1e-12), in float32 too,
    where glassnet's ε is 1e-7; so its loss and gradients differ from glassnet's once p saturates.
    p̃ is the clipped value with p's gradient passed through it unchanged (p − p.detach() is 0
    with the derivative 1): torch's clamp would make the gradient 0 outside [ε, 1 − ε].
    """
    clipped = p.detach().clamp(eps, 1.0 - eps) + (p - p.detach())
    values = -(t * clipped.log() + (1.0 - t) * (-clipped).log1p())
    return values.mean() if reduction == "mean" else values.sum()
