"""The exercise's network (Figure 1 of the sheet): 2 inputs → 3 ReLU units → 1 logit.

    z = Wʰ x + bʰ,   h = ReLU(z),   ŷ = Wᵒ h + bᵒ

with Wʰ = [[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]], bʰ = (1, 1, −4), Wᵒ = [0.5, −1, 0],
bᵒ = 3 and the input x = (1, 2); this gives z = (2, 2, −1), h = (2, 2, 0) and ŷ = 2.
The sheet trains it with the logistic loss L = log(1 + exp((1 − 2y) ŷ)) and η = 0.1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_dtype
from glassnet.nn import MLP

__all__ = [
    "HIDDEN_BIAS",
    "HIDDEN_WEIGHT",
    "INPUT",
    "LEARNING_RATE",
    "OUTPUT_BIAS",
    "OUTPUT_WEIGHT",
    "SHEET_LABEL",
    "exercise_input",
    "exercise_network",
]

HIDDEN_WEIGHT = ((0.2, 0.4), (0.8, 0.1), (2.0, 0.5))
HIDDEN_BIAS = (1.0, 1.0, -4.0)
OUTPUT_WEIGHT = ((0.5, -1.0, 0.0),)
OUTPUT_BIAS = (3.0,)
INPUT = (1.0, 2.0)
SHEET_LABEL = -1.0  # the sheet's y; outside {0, 1}, see glassnet.explain
LEARNING_RATE = 0.1


def exercise_network(dtype: npt.DTypeLike = np.float64) -> MLP:
    """The sheet's 2→3→1 ReLU network with its weights: ``model[0]`` is (Wʰ, bʰ), ``model[2]`` (Wᵒ, bᵒ).

    ``dtype``: float32 or float64, as a dtype, a type or a name (``np.float32``, ``"float64"``).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.exercise import exercise_network
    >>> model = exercise_network()
    >>> model[0].weight.data  # Wʰ
    array([[0.2, 0.4],
           [0.8, 0.1],
           [2. , 0.5]])

    The sheet's forward pass for x = (1, 2), layer by layer:

    >>> x = np.array([[1.0, 2.0]])
    >>> z = model[0](x)  # z = Wʰ x + bʰ
    >>> h = model[1](z)  # h = ReLU(z)
    >>> np.round(z, 4), np.round(h, 4), np.round(model[2](h), 4)  # ŷ = Wᵒ h + bᵒ
    (array([[ 2.,  2., -1.]]), array([[2., 2., 0.]]), array([[2.]]))
    >>> exercise_network("float32").dtype
    dtype('float32')
    """
    model = MLP([2, 3, 1], activation="relu", rng=np.random.default_rng(0), dtype=dtype)
    model.load_state_dict(
        {"0.weight": HIDDEN_WEIGHT, "0.bias": HIDDEN_BIAS, "2.weight": OUTPUT_WEIGHT, "2.bias": OUTPUT_BIAS}
    )
    return model


def exercise_input(dtype: npt.DTypeLike = np.float64) -> Array:
    """x = (1, 2) as a batch of one row, shape (1, 2), of ``dtype`` (float32 or float64)."""
    return np.array([INPUT], dtype=as_dtype(dtype))
