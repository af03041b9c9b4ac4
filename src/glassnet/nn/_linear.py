"""Linear layer and its weight initialisations."""

from __future__ import annotations

import functools
import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_dtype, as_float_array, positive_int
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

Init = Literal["torch", "he", "xavier"]
INITS: tuple[Init, ...] = ("torch", "he", "xavier")


def init_linear(
    in_features: int,
    out_features: int,
    init: Init,
    rng: np.random.Generator,
    dtype: npt.DTypeLike,
) -> tuple[Array, Array]:
    """Draw (W, b) for a layer with ``in_features`` inputs and ``out_features`` outputs, of
    ``dtype`` (float32 or float64, as a dtype, a type or a name: ``np.float32``, ``"float64"``).

    Shapes: W (out, in), b (out,).

    - ``"torch"``: PyTorch's default for ``nn.Linear``, W, b ~ U(−1/√in, 1/√in).
    - ``"he"``: He (Kaiming) normal for ReLU nets, W ~ N(0, 2/in), b = 0.
    - ``"xavier"``: Glorot uniform for tanh/sigmoid nets, W ~ U(−a, a), a = √(6/(in+out)), b = 0.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import init_linear
    >>> W, b = init_linear(2, 3, "xavier", np.random.default_rng(0), np.float32)
    >>> W.shape, W.dtype, b
    ((3, 2), dtype('float32'), array([0., 0., 0.], dtype=float32))
    >>> bool(np.all(np.abs(W) <= np.sqrt(6 / (2 + 3))))  # within Glorot's bound a
    True

    He's standard deviation √(2/in) shows on a large layer (√(2/1000) = 0.0447):

    >>> W, b = init_linear(1000, 1000, "he", np.random.default_rng(0), "float64")
    >>> round(float(W.std()), 3)
    0.045
    """
    resolved = as_dtype(dtype)  # TypeError for an integer dtype, before any draw
    in_features = positive_int(in_features, "init_linear in_features")
    out_features = positive_int(out_features, "init_linear out_features")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    shape = (out_features, in_features)
    if init == "torch":
        bound = 1.0 / math.sqrt(in_features)
        weight = rng.uniform(-bound, bound, size=shape)
        bias = rng.uniform(-bound, bound, size=out_features)
    elif init == "he":
        weight = rng.normal(0.0, math.sqrt(2.0 / in_features), size=shape)
        bias = np.zeros(out_features)
    elif init == "xavier":
        bound = math.sqrt(6.0 / (in_features + out_features))
        weight = rng.uniform(-bound, bound, size=shape)
        bias = np.zeros(out_features)
    else:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return weight.astype(resolved), bias.astype(resolved)


@functools.lru_cache(maxsize=16)
def _ones(n: int, dtype: np.dtype[Any]) -> Array:
    """A read-only vector of n ones, kept between calls.

    Σₙ G written as 1ᵀG is one BLAS call, faster than ``G.sum(axis=0)`` at the batch sizes of
    this package, where the sum's reduction machinery costs more than the sum (timings:
    docs/benchmarks.md, "What the engine does for speed").
    """
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


class Linear(Module):
    """Affine map y = W x + b, applied row-wise: Y = X Wᵀ + b.

    Shapes: X (N, in) -> Y (N, out). W is (out, in), as in the maths (Wʰ ∈ R³ˣ² for the
    exercise's 2→3 layer) and in PyTorch; b is (out,).

    Weights are drawn from ``rng`` (a ``numpy.random.Generator``; a fresh unseeded one when
    None) with the ``init`` scheme of :func:`init_linear`, PyTorch's default unless told.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Linear
    >>> layer = Linear(2, 3, rng=np.random.default_rng(0))
    >>> layer.weight.data.shape, layer.bias.data.shape
    ((3, 2), (3,))
    >>> x = np.array([[1.0, 2.0]])  # one row of two features
    >>> y = layer(x)  # X Wᵀ + b, (1, 3)
    >>> bool(np.allclose(y, x @ layer.weight.data.T + layer.bias.data))
    True

    The backward pass takes dL/dY and adds dL/dW = Gᵀ X and dL/db = Σₙ G to the gradients:

    >>> grad_x = layer.backward(np.ones((1, 3)))  # returns dL/dX = G W, (1, 2)
    >>> layer.weight.grad
    array([[1., 2.],
           [1., 2.],
           [1., 2.]])
    >>> layer.bias.grad
    array([1., 1., 1.])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: Init = "torch",
        rng: np.random.Generator | None = None,
        dtype: npt.DTypeLike = np.float64,
    ) -> None:
        self.in_features = positive_int(in_features, "Linear in_features")
        self.out_features = positive_int(out_features, "Linear out_features")
        # init_linear checks rng (a Generator) with the other arguments
        generator = rng if rng is not None else np.random.default_rng()
        weight, bias = init_linear(self.in_features, self.out_features, init, generator, dtype)
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
        self._x: Array | None = None
        self._ones = _ones(1, self.weight.data.dtype)  # (N,) for Σₙ G, kept while N repeats

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.weight.data.dtype

    def forward(self, x: Array) -> Array:
        """Y = X Wᵀ + b, keeping X for backward. Shapes: X (N, in) -> Y (N, out)."""
        # ndarray.dot, here and in backward, is the same BLAS product as @ and np.dot with the
        # least overhead per call (np.dot first runs NumPy's __array_function__ dispatch in
        # Python; timings: docs/benchmarks.md, "What the engine does for speed"), which adds
        # up over the products of a small network's step. For the same reason the product
        # itself finds a 2-D x with the wrong number of features: no test of x.shape per call.
        if x.ndim == 2:
            try:
                out: Array = x.dot(self.weight.data.T)  # (N, out)
            except ValueError:  # not (N, in_features)
                pass
            else:
                self._x = x  # kept for backward
                out += self.bias.data  # in place: one (N, out) array fewer
                return out
        raise ValueError(
            f"Linear({self.in_features}, {self.out_features}) expects input of shape "
            f"(N, {self.in_features}), got shape {x.shape}"
        )

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Add dL/dW = Gᵀ X and dL/db = Σₙ G to the gradients; return dL/dX = G W."""
        # a nested list, say, or an ndarray subclass (np.matrix, whose * is a matrix product in
        # the activation before: silently wrong gradients)
        if type(grad_out) is not np.ndarray or grad_out.dtype is not self.weight.data.dtype:
            grad_out = self._grad_array(grad_out)
        self._add_param_grads(grad_out)  # refuses a dL/dY of the wrong shape
        grad_in: Array = grad_out.dot(self.weight.data)  # (N, in)
        return grad_in

    def backward_params(self, grad_out: npt.ArrayLike) -> None:
        """The parameters' half of :meth:`backward`: add dL/dW = Gᵀ X and dL/db = Σₙ G to the
        gradients, without the product dL/dX = G W (see :meth:`Module.backward_params`)."""
        self._add_param_grads(grad_out)

    def _add_param_grads(self, grad_out: npt.ArrayLike) -> None:
        # backward and backward_params share it, so that a subclass's backward, which calls
        # Linear.backward, does not come back to itself through backward_params (a subclass
        # with its own backward runs it for backward_params: Module.__init_subclass__)
        if self._x is None:
            raise RuntimeError("Linear.backward called before forward")
        # An array of the layer's dtype is taken as it is; anything else through _grad_array, which
        # casts lists, integers, float16 (whose Σₙ G summed in float16 overflowed) and the other
        # float dtype (a float64 dL/dY of a float32 layer made its dL/dX float64, where torch
        # casts a gradient to its tensor's dtype), and refuses complex numbers or strings before
        # a gradient is written (a complex one was written without its imaginary part, then the
        # bias's failed).
        if type(grad_out) is not np.ndarray or grad_out.dtype is not self.weight.data.dtype:
            grad_out = self._grad_array(grad_out)
        if grad_out.ndim != 2:  # a number: Gᵀ X of N rows has the weight's shape when N = out
            self._refuse_grad_shape(grad_out)
        try:
            self.weight.add_grad_product(grad_out.T, self._x)  # (out, in)
            ones = self._ones
            # a new batch size or dtype (`is`: NumPy keeps one dtype object per built-in type)
            if len(ones) != len(grad_out) or ones.dtype is not grad_out.dtype:
                ones = self._ones = _ones(len(grad_out), grad_out.dtype)
            self.bias.add_grad_product(ones, grad_out)  # (out,): Σₙ G as 1ᵀG
        except ValueError:
            self._refuse_grad_shape(grad_out)
            raise

    def _grad_array(self, grad_out: Any) -> Array:
        """dL/dY given as a nested list (or another array-like) as an array of the layer's dtype,
        for the ``.T`` and ``.dot`` that backward takes of it."""
        return as_float_array(grad_out, name=f"{self!r}.backward's dL/dY", dtype=self.dtype, finite=False)

    def _refuse_grad_shape(self, grad_out: Array) -> None:
        """ValueError if dL/dY is not (N, out) for the N rows of the last forward; called once a
        product with it has failed, since NumPy's own message names BLAS's view of it."""
        expected = (0 if self._x is None else len(self._x), self.out_features)
        if np.shape(grad_out) != expected:
            raise ValueError(
                f"{self!r}.backward expects dL/dY of shape {expected} for the {expected[0]} rows "
                f"of its last forward, got shape {np.shape(grad_out)}; call backward after the "
                "forward whose output it differentiates"
            ) from None

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
