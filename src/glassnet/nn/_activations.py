"""Element-wise activations: f(z) and f′(z) side by side, forward and backward in each class.

``function`` and ``derivative`` map an array of any shape to one of the same shape and are
pure (no state), so explanations and tests can call them on their own; called as a module,
an activation takes a batch, (N, d) -> (N, d), as every module does, and ``forward`` keeps
what ``backward`` needs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from glassnet._checks import Array, as_float_array, finite_float, keeps_methods
from glassnet.nn._module import Module


def stable_sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), computed through e^(−|z|) ≤ 1 so nothing overflows.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import stable_sigmoid
    >>> z = np.array([-1000.0, 0.0, 1000.0])  # e^1000 overflows float64
    >>> with np.errstate(over="raise"):  # an overflow here would raise FloatingPointError
    ...     s = stable_sigmoid(z)
    >>> s
    array([0. , 0.5, 1. ])
    >>> round(float(stable_sigmoid(np.array(1.0))), 6)  # 1 / (1 + e^(−1))
    0.731059
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def stable_softplus(z: Array) -> Array:
    """softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)), exact and overflow-free.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import stable_softplus
    >>> z = np.array([-1000.0, 0.0, 1000.0])  # log(1 + e^1000) would overflow to inf
    >>> with np.errstate(over="raise"):  # an overflow here would raise FloatingPointError
    ...     y = stable_softplus(z)
    >>> np.round(y, 4).tolist()  # 0, log 2, and z itself for large z
    [0.0, 0.6931, 1000.0]
    """
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _as_it_is(grad_out: Any, kept: Array) -> bool:
    """Whether a backward takes dL/dy as it is: an ndarray of the shape and dtype of ``kept``
    (what its forward kept). Anything else goes through ``Activation._checked``."""
    return type(grad_out) is np.ndarray and grad_out.shape == kept.shape and grad_out.dtype is kept.dtype


class Activation(Module):
    """Base of the element-wise activations: y = f(z), dL/dz = dL/dy ⊙ f′(z).

    Shapes: Z (N, d) -> Y (N, d), and dL/dY (N, d) -> dL/dZ (N, d), as for every subclass.

    Examples
    --------
    A new activation defines ``function`` (f) and ``derivative`` (f′); forward and backward
    come from this class:

    >>> import numpy as np
    >>> from glassnet import gradcheck
    >>> from glassnet.losses import MSELoss
    >>> from glassnet.nn import Activation
    >>> class Square(Activation):
    ...     name = "square"
    ...     def function(self, z):
    ...         return z**2
    ...     def derivative(self, z):
    ...         return 2 * z
    >>> act = Square()
    >>> act(np.array([[-1.0, 0.0, 2.0]]))
    array([[1., 0., 4.]])
    >>> act.backward(np.ones((1, 3)))  # dL/dZ = dL/dY ⊙ f′(Z) = 2Z
    array([[-2.,  0.,  4.]])

    No parameters to check, so gradcheck compares dL/dZ (``check_input``):

    >>> gradcheck(Square(), MSELoss(), [[-1.0, 0.5, 2.0]], [[0.0, 0.0, 0.0]], check_input=True).ok
    True
    """

    name: ClassVar[str]

    def function(self, z: Array) -> Array:
        """f(z), element by element: a new array of z's shape (N, d)."""
        raise NotImplementedError(f"{type(self).__name__} defines no function(z), the f that forward applies")

    def derivative(self, z: Array) -> Array:
        """f′(z), element by element: a new array of z's shape (N, d)."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no derivative(z), the f′ that backward applies"
        )

    def __init__(self) -> None:
        self._z: Array | None = None

    def forward(self, x: Array) -> Array:
        """Y = f(X), (N, d) -> (N, d); X is kept for :meth:`backward`."""
        self._z = x  # kept for backward
        return self.function(x)

    def backward(self, grad_out: Array) -> Array:
        """dL/dX = dL/dY ⊙ f′(X) for the X of the last forward, (N, d) -> (N, d)."""
        z = self._z
        if z is None or not _as_it_is(grad_out, z):  # the product would broadcast another shape, or cast
            grad_out, z = self._checked(grad_out, z)
        return grad_out * self.derivative(z)

    def _checked(self, grad_out: Any, kept: Array | None) -> tuple[Array, Array]:
        """The slow path of a backward, once its quick test (:func:`_as_it_is`) fails: (dL/dy as
        an array of its numbers, ``kept``, what forward kept for backward).

        RuntimeError when ``kept`` is None (no forward yet); ValueError unless dL/dy has the
        shape of the last forward's output, which the product would broadcast an (N,) or (N, 1)
        gradient against into wrong numbers, silently. dL/dy is made an array, since np.matrix's
        * is a matrix product (wrong numbers, silently) and a torch tensor's product would be a
        tensor; a masked array is kept as it is, whose product keeps its mask for the Linear
        layer before, which refuses masked values; a tensor that requires grad, and what is not
        real numbers, are refused (TypeError: complex ones went on to the layer before, which
        wrote its weight gradient without their imaginary parts)."""
        if kept is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if np.shape(grad_out) != kept.shape:
            raise ValueError(
                f"{type(self).__name__}.backward expects dL/dy of shape {kept.shape}, the shape of "
                f"its last forward's output, got shape {np.shape(grad_out)}"
            )
        if isinstance(grad_out, np.ma.MaskedArray) and grad_out.dtype.kind in "biuf":  # real numbers
            return grad_out, kept
        # in the dtype of a float input, as torch casts a gradient to its tensor's: a float64 dL/dy
        # of a float32 layer would make every dL/dx before it float64 (an integer input's dL/dy
        # stays a float: cast to int64, 0.5 became 0)
        name = f"{type(self).__name__}.backward's dL/dy"
        dtype = kept.dtype if kept.dtype.kind == "f" else None
        return as_float_array(grad_out, name=name, dtype=dtype, finite=False), kept


class Identity(Activation):
    """f(z) = z, f′(z) = 1. Shapes: (N, d) -> (N, d).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Identity
    >>> act = Identity()
    >>> act(np.array([[-1.0, 0.0, 2.0]]))  # unchanged
    array([[-1.,  0.,  2.]])
    >>> act.backward(np.array([[0.5, 1.0, -3.0]]))  # f′ = 1: dL/dy passes through as it is
    array([[ 0.5,  1. , -3. ]])
    """

    name = "identity"

    def function(self, z: Array) -> Array:
        return z

    def derivative(self, z: Array) -> Array:
        return np.ones_like(z)

    # backward passes dL/dy on as dL/dz, which is right for f′ = 1 only (see _keeps_f)
    _identity_passes: ClassVar[bool] = True

    def backward(self, grad_out: Array) -> Array:
        if not self._identity_passes:
            return super().backward(grad_out)
        z = self._z
        if z is None or not _as_it_is(grad_out, z):
            grad_out, _ = self._checked(grad_out, z)  # raises, unless real numbers of z's shape (a list, say)
        return grad_out

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._identity_passes = _keeps_f(cls, Identity)


def _keeps_f(cls: type[Activation], base: type[Activation]) -> bool:
    """Whether ``cls`` has ``base``'s f and f′, for which ``base``'s passes are written: a
    subclass with its own (a clipped ReLU, a scaled identity) takes Activation's general path,
    z kept and its own f′(z) applied. Decided in the base's passes, so that a subclass's own
    forward or backward calling super() reaches the general path too (it reached the base's, and
    its gradients were the base's: wrong, with no error)."""
    return keeps_methods(cls, base, ("function", "derivative"))


class ReLU(Activation):
    """f(z) = max(z, 0); f′(z) = 1 if z > 0 else 0 (0 at z = 0, as PyTorch). Shapes: (N, d) -> (N, d).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import ReLU
    >>> act = ReLU()
    >>> act(np.array([[-1.0, 0.0, 2.0]]))
    array([[0., 0., 2.]])
    >>> act.backward(np.ones((1, 3)))  # f′(z): 0 for z ≤ 0 (z = 0 included), 1 above
    array([[0., 0., 1.]])
    """

    name = "relu"

    def function(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def __init__(self) -> None:
        super().__init__()
        self._y: Array | None = None

    def derivative(self, z: Array) -> Array:
        return (z > 0).astype(z.dtype)

    # forward keeps y and backward multiplies by sign(y), which is f′(z) for max(z, 0) only
    _relu_passes: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._relu_passes = _keeps_f(cls, ReLU)

    def forward(self, x: Array) -> Array:
        if not self._relu_passes:
            return super().forward(x)
        self._y = self.function(x)  # kept for backward, in place of z
        return self._y

    def backward(self, grad_out: Array) -> Array:
        if not self._relu_passes:
            return super().backward(grad_out)
        y = self._y
        if y is None or not _as_it_is(grad_out, y):  # *= would broadcast an (N, 1) one
            grad_out, y = self._checked(grad_out, y)  # raises, unless real numbers of y's shape (a list, say)
            if isinstance(grad_out, np.ma.MaskedArray):  # the product below, in place, would drop its mask
                return grad_out * np.sign(y)
        # f′(z) = sign(y) for y = max(z, 0) ≥ 0: a float array, so the product is float by
        # float, where multiplying by the boolean mask z > 0 would cast it first.
        # The product goes into that fresh array rather than a second one.
        grad_in = np.sign(y)  # (N, features)
        grad_in *= grad_out
        return grad_in


class LeakyReLU(Activation):
    """f(z) = z if z > 0 else α z; f′(z) = 1 if z > 0 else α (α = negative_slope = 0.01).

    Shapes: (N, d) -> (N, d).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import LeakyReLU
    >>> act = LeakyReLU(negative_slope=0.1)
    >>> act(np.array([[-1.0, 0.0, 2.0]]))  # α z below zero
    array([[-0.1,  0. ,  2. ]])
    >>> act.backward(np.ones((1, 3)))  # f′(z): α for z ≤ 0, 1 above
    array([[0.1, 0.1, 1. ]])
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = finite_float(negative_slope, "LeakyReLU negative_slope")

    def function(self, z: Array) -> Array:
        return np.where(z > 0, z, self.negative_slope * z)

    def derivative(self, z: Array) -> Array:
        # in z's float dtype; an integer z's slope α must not be truncated to 0: float64 then, as function's
        dtype = z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64
        return np.where(z > 0, 1.0, self.negative_slope).astype(dtype)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Activation):
    """f(z) = σ(z) = 1 / (1 + e^(−z)); f′(z) = σ(z)(1 − σ(z)). Shapes: (N, d) -> (N, d).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Sigmoid
    >>> act = Sigmoid()
    >>> np.round(act(np.array([[-1.0, 0.0, 2.0]])), 4)  # σ(0) = 0.5
    array([[0.2689, 0.5   , 0.8808]])
    >>> np.round(act.backward(np.ones((1, 3))), 4)  # σ(z)(1 − σ(z)): 0.5 · 0.5 at z = 0
    array([[0.1966, 0.25  , 0.105 ]])
    """

    name = "sigmoid"

    def function(self, z: Array) -> Array:
        return stable_sigmoid(z)

    def derivative(self, z: Array) -> Array:
        s = stable_sigmoid(z)
        return s * (1.0 - s)


class Tanh(Activation):
    """f(z) = tanh z; f′(z) = 1 − tanh² z. Shapes: (N, d) -> (N, d).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Tanh
    >>> act = Tanh()
    >>> np.round(act(np.array([[-1.0, 0.0, 2.0]])), 4)
    array([[-0.7616,  0.    ,  0.964 ]])
    >>> np.round(act.backward(np.ones((1, 3))), 4)  # 1 − tanh² z: 1 at z = 0
    array([[0.42  , 1.    , 0.0707]])
    """

    name = "tanh"

    def function(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array) -> Array:
        return 1.0 - np.tanh(z) ** 2


class Softplus(Activation):
    """f(z) = log(1 + e^z); f′(z) = σ(z). Shapes: (N, d) -> (N, d).

    Exact for every z (PyTorch's ``nn.Softplus`` switches to f(z) = z above z = 20, a
    difference below 2.1e-9).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Softplus
    >>> act = Softplus()
    >>> np.round(act(np.array([[-1.0, 0.0, 2.0]])), 4)  # log 2 = 0.6931 at z = 0
    array([[0.3133, 0.6931, 2.1269]])
    >>> np.round(act.backward(np.ones((1, 3))), 4)  # f′(z) = σ(z)
    array([[0.2689, 0.5   , 0.8808]])
    """

    name = "softplus"

    def function(self, z: Array) -> Array:
        return stable_softplus(z)

    def derivative(self, z: Array) -> Array:
        return stable_sigmoid(z)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softplus)
}

# activations whose outputs are not every real number: sigmoid's (0, 1), relu's and softplus's
# ≥ 0, tanh's (−1, 1); as a network's output they cannot give a logit, or a standardised target,
# which take any sign and size
BOUNDED_OUTPUTS = ("sigmoid", "relu", "softplus", "tanh")


def get_activation(name: str | Activation) -> Activation:
    """An activation from its name (``"relu"``, ``"tanh"``, …) or an instance (returned as is).

    Examples
    --------
    >>> from glassnet.nn import LeakyReLU, get_activation
    >>> get_activation("tanh"), get_activation("leaky_relu")  # a fresh instance for a name
    (Tanh(), LeakyReLU(negative_slope=0.01))
    >>> act = LeakyReLU(0.2)
    >>> get_activation(act) is act
    True
    >>> get_activation("rleu")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'rleu'; expected one of identity, relu, leaky_relu, ...
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name.lower()]()
