"""MLP: a Sequential of Linear layers and activations built from a list of sizes."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from glassnet._checks import layer_sizes
from glassnet.nn._activations import Activation, get_activation
from glassnet.nn._linear import Init, Linear
from glassnet.nn._module import Module, Sequential


class MLP(Sequential):
    """Feedforward network: sizes (d₀, d₁, …, d_L) give L Linear layers dₗ₋₁ → dₗ.

    h⁽ˡ⁾ = f(W⁽ˡ⁾ h⁽ˡ⁻¹⁾ + b⁽ˡ⁾) for the hidden layers, ŷ = g(W⁽ᴸ⁾ h⁽ᴸ⁻¹⁾ + b⁽ᴸ⁾) for the
    output, with f = ``activation`` and g = ``output_activation`` (identity by default, so
    the output is a logit or a regression value). Each is a name (``"relu"``, ``"tanh"``,
    …), an Activation class, or an instance that every layer gets a copy of.

    Shapes: X (N, d₀) -> ŷ (N, d_L). ``MLP([2, 3, 1])`` is the exercise's network; its
    layers are ``model[0]`` (Linear 2→3), ``model[1]`` (ReLU), ``model[2]`` (Linear 3→1).
    Every layer draws its weights from the one ``rng``, in order, so a seed fixes them all.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import MLP
    >>> model = MLP([2, 3, 1], activation="tanh", rng=np.random.default_rng(0))
    >>> model
    MLP(
      sizes=[2, 3, 1]
      (0): Linear(in_features=2, out_features=3)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1)
    )
    >>> model.num_parameters()  # (3·2 + 3) + (1·3 + 1)
    13

    The forward pass is ŷ = W⁽²⁾ tanh(W⁽¹⁾ x + b⁽¹⁾) + b⁽²⁾, row by row:

    >>> x = np.array([[1.0, 2.0], [0.0, -1.0]])
    >>> (W1, b1), (W2, b2) = [(layer.weight.data, layer.bias.data) for layer in (model[0], model[2])]
    >>> bool(np.allclose(model(x), np.tanh(x @ W1.T + b1) @ W2.T + b2))
    True
    >>> grad_x = model.backward(np.ones((2, 1)))  # dL/dŷ = 1 for both rows
    >>> grad_x.shape, model[0].weight.grad.shape
    ((2, 2), (3, 2))
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str | type[Activation] | Activation = "relu",
        output_activation: str | type[Activation] | Activation | None = None,
        init: Init = "torch",
        rng: np.random.Generator | None = None,
        dtype: npt.DTypeLike = np.float64,
    ) -> None:
        sizes = layer_sizes(sizes, "MLP sizes")
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least two sizes (inputs and outputs), got {sizes}")
        rng = rng if rng is not None else np.random.default_rng()
        _make_activation(activation)  # checked even where no hidden layer uses it: MLP([2, 1], "rleu")
        if output_activation is not None:  # before any draw: a refused model leaves rng as it was
            _make_activation(output_activation)
        layers: list[Module] = []
        for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
            is_output = index == len(sizes) - 2
            if not is_output:
                layers.append(_make_activation(activation))
            elif output_activation is not None:
                layers.append(_make_activation(output_activation))
        super().__init__(*layers)

    @property
    def sizes(self) -> list[int]:
        """(d₀, d₁, …, d_L) of the Linear layers as they are now, those of Sequentials within
        included: ``append``, ``insert`` and ``extend`` change them, as they change the network."""
        linears = list(_linears(self.layers))
        if not linears:
            return []
        return [linears[0].in_features, *(layer.out_features for layer in linears)]

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


def _linears(layers: Iterable[Module]) -> Iterator[Linear]:
    """The Linear layers among ``layers``, in order, those of Sequentials within included."""
    for layer in layers:
        if isinstance(layer, Linear):
            yield layer
        elif isinstance(layer, Sequential):
            yield from _linears(layer.layers)


def _make_activation(spec: str | type[Activation] | Activation) -> Activation:
    """A fresh activation for one layer, from a name, a class or an instance (copied).

    Every layer needs its own: an activation keeps its forward state for ``backward``, so
    one instance shared by two layers would hand the first layer the second one's.
    """
    if isinstance(spec, Activation):
        return copy.deepcopy(spec)
    if isinstance(spec, type) and issubclass(spec, Activation):
        return spec()
    return get_activation(spec)
