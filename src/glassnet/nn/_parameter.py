"""Parameter: a weight array and the gradient accumulated for it."""

from __future__ import annotations

import numpy as np

from glassnet._checks import Array


class Parameter:
    """A trainable array ``data`` with its gradient ``grad`` (same shape and dtype).

    ``grad`` starts at zero and ``backward`` passes add to it, as PyTorch's ``.grad``
    accumulates; ``zero_grad()`` on the module or the optimizer resets it.

    Optimizers may rebind ``data`` and ``grad`` to views of one contiguous buffer (so one
    vectorised update serves every parameter); always reach the arrays through the
    Parameter rather than keeping a reference to them.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: Array) -> None:
        self.data: Array = data
        self.grad: Array = np.zeros_like(data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype[np.floating]:
        return self.data.dtype

    @property
    def size(self) -> int:
        return int(self.data.size)

    def zero_grad(self) -> None:
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
