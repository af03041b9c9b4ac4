"""Parameter: a weight array and the gradient accumulated for it."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import FLOAT_DTYPES, Array, as_float_array, refuse_array_subclass


class Parameter:
    """A trainable array ``data`` with its gradient ``grad`` (same shape and dtype).

    ``grad`` starts at zero and ``backward`` passes add to it, as PyTorch's ``.grad``
    accumulates; ``zero_grad()`` on the module or the optimizer resets it.

    Optimizers make ``data`` and ``grad`` views of one contiguous buffer (so one vectorised
    update serves every parameter, see :meth:`use_arrays`); always reach the arrays through
    the Parameter rather than keeping a reference to them. Change values in place
    (``p.data[...] = values``, ``model.load_state_dict``); assigning ``p.grad = values``
    writes them into the gradient array, so an optimizer's view of it sees them. An
    optimizer refuses to step a parameter whose ``data`` was replaced by another array.

    ``zero_grad`` only records that the gradient is zero, as PyTorch's
    ``zero_grad(set_to_none=True)`` drops it: the zeros are written when someone reads
    ``grad`` (or an optimizer steps, see :meth:`settle_grad`). Until then the layers'
    :meth:`add_grad_product` writes the product straight into the array instead of adding
    it, which saves filling the array with zeros, a temporary array and an addition per
    parameter and step. ``opt.step()`` reads that flag (``_grad_is_zero``) itself, rather
    than through a method call per parameter, and calls :meth:`settle_grad` only when it is up.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> p = Parameter(np.array([1.0, 2.0]))
    >>> p
    Parameter(shape=(2,), dtype=float64)
    >>> p.grad  # starts at zero
    array([0., 0.])

    Each backward pass adds its dL/dθ; nothing resets it but ``zero_grad``:

    >>> p.grad += np.array([0.5, 1.0])
    >>> p.grad += np.array([0.5, 1.0])
    >>> p.grad
    array([1., 2.])
    >>> p.zero_grad()
    >>> p.grad
    array([0., 0.])
    """

    __slots__ = ("_grad", "_grad_is_zero", "data")

    def __init__(self, data: Array) -> None:
        refuse_array_subclass("Parameter data", data)
        if isinstance(data, np.ndarray) and data.dtype.kind == "f" and not data.dtype.isnative:
            # big-endian numbers, as a file written on another machine holds them: in the
            # machine's own order, where the check below named their dtype ">f8" a wrong one
            data = data.astype(data.dtype.newbyteorder("="))
        if not isinstance(data, np.ndarray) or data.dtype not in FLOAT_DTYPES:
            # an int array would truncate every gradient written into it (0.4 -> 0), a list has no shape
            kind = f"an array of dtype {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
            raise TypeError(f"Parameter data must be a float32 or float64 numpy array, got {kind}")
        self.data: Array = data
        self._grad: Array = np.zeros_like(data)
        self._grad_is_zero = True

    @property
    def grad(self) -> Array:
        """dL/dθ accumulated since the last ``zero_grad``, of ``data``'s shape and dtype (a live
        array: later backward passes add to it)."""
        self.settle_grad()
        # Whoever holds the array may write to it, so from here on it is no longer known
        # to be zero and the next backward adds to it.
        self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, value: npt.ArrayLike) -> None:
        """Write ``value`` (of the parameter's shape) into the gradient array, in place."""
        if value is None:
            # torch's way to clear a gradient; here every parameter keeps a gradient array, and
            # zeros are not None's meaning either (torch's optimizers skip such a parameter)
            raise TypeError(
                "Parameter.grad cannot be None: every glassnet parameter keeps a gradient array; "
                "call zero_grad() (on the parameter, its module or the optimizer) to clear it"
            )
        array = as_float_array(value, name="Parameter.grad", finite=False)
        if array.shape != self._grad.shape:
            raise ValueError(
                f"Parameter.grad must have the parameter's shape {self._grad.shape}, got shape {array.shape}"
            )
        np.copyto(self._grad, array)
        self._grad_is_zero = False

    def use_arrays(self, data: Array, grad: Array, *, grad_pending: bool = False) -> None:
        """Make ``data`` and ``grad`` (same shape) the parameter's arrays, as they are: no copy.

        For optimizers, which move every parameter into one flat buffer and keep views of
        it, and for :meth:`Module.astype`. The gradient counts as written, or with
        ``grad_pending`` as zeros still pending (no backward since ``zero_grad``).
        """
        if data.shape != grad.shape:
            raise ValueError(
                f"Parameter data and grad must share one shape, got {data.shape} and {grad.shape}"
            )
        self.data, self._grad, self._grad_is_zero = data, grad, bool(grad_pending)

    def converted(self, dtype: np.dtype[Any], name: str) -> tuple[Array, Array]:
        """Its data and gradient in ``dtype`` (new arrays; a gradient pending zeros as zeros: its
        old numbers, 1e39 say, no longer count), for :meth:`use_arrays`. ValueError, naming the
        parameter as ``name``, where the conversion would turn a finite value infinite."""
        data = as_float_array(self.data, name=name, dtype=dtype, finite=False)
        if self._grad_is_zero:
            return data, np.zeros_like(data)
        grad = as_float_array(
            self._grad, name=f"{name}'s gradient (zero_grad() clears it)", dtype=dtype, finite=False
        )
        return data, grad

    def cast(self, dtype: npt.DTypeLike) -> None:
        """Its arrays converted to ``dtype`` (:meth:`converted`), the gradient still pending if it
        was: a step after the conversion skips a parameter no backward has reached, as before it."""
        self.use_arrays(*self.converted(np.dtype(dtype), "Parameter.cast"), grad_pending=self._grad_is_zero)

    @property
    def shape(self) -> tuple[int, ...]:
        """``data``'s shape: (out, in) for a Linear's weight, (out,) for its bias."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype[np.floating]:
        """``data``'s dtype, float32 or float64 (its gradient's too)."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of values in ``data``."""
        return int(self.data.size)

    def zero_grad(self) -> None:
        """Set the gradient to zero (written lazily: see the class docstring)."""
        self._grad_is_zero = True

    def settle_grad(self) -> None:
        """Write the zeros a ``zero_grad`` left pending, so the array itself reads zero.

        For optimizers, which read the gradient arrays directly: a parameter that no
        backward reached since ``zero_grad`` would otherwise show its old gradient.
        """
        if self._grad_is_zero:
            self._grad.fill(0.0)

    def add_grad_product(self, a: Array, b: Array) -> None:
        """grad ← grad + a·b (the matrix product ``a.dot(b)``, of grad's shape)."""
        if self._grad_is_zero:
            try:
                a.dot(b, out=self._grad)
            except ValueError:  # out= takes only a C-contiguous array of the product's dtype
                self._grad[...] = self._product(a, b)
            self._grad_is_zero = False
        else:
            self._grad += self._product(a, b)

    def _product(self, a: Array, b: Array) -> Array:
        """a·b, refused unless it has the gradient's shape: ``[...] =`` and ``+=`` would
        broadcast a (1, in) product over an (out, in) gradient, silently."""
        product: Array = a.dot(b)
        if product.shape != self._grad.shape:
            raise ValueError(
                f"Parameter.add_grad_product needs a·b of the gradient's shape {self._grad.shape}, "
                f"got shape {product.shape}"
            )
        return product

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
