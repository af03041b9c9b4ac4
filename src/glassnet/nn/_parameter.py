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

    Layers add to the gradient with :meth:`add_grad_product`. While the gradient is known
    to hold zeros (just after ``zero_grad``, before anyone has read ``grad``), it writes
    the product straight into ``grad`` instead of adding it, which saves a temporary array
    and an addition per parameter and step.
    """

    __slots__ = ("_grad", "_grad_is_zero", "data")

    def __init__(self, data: Array) -> None:
        self.data: Array = data
        self._grad: Array = np.zeros_like(data)
        self._grad_is_zero = True

    @property
    def grad(self) -> Array:
        # Whoever holds the array may write to it, so from here on it is no longer known
        # to be zero and the next backward adds to it.
        self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, value: Array) -> None:
        self._grad = value
        self._grad_is_zero = False

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
        self._grad.fill(0.0)
        self._grad_is_zero = True

    def grad_was_zeroed(self) -> None:
        """Record that ``grad`` now holds zeros: for optimizers that fill their fused buffer."""
        self._grad_is_zero = True

    def add_grad_product(self, a: Array, b: Array) -> None:
        """grad ← grad + a·b (the matrix product ``np.dot(a, b)``, of grad's shape)."""
        if self._grad_is_zero:
            try:
                np.dot(a, b, out=self._grad)
            except ValueError:  # out= takes only a C-contiguous array of the product's dtype
                self._grad[...] = np.dot(a, b)
            self._grad_is_zero = False
        else:
            self._grad += np.dot(a, b)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
