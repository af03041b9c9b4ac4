"""Ensemble: k trained members of one architecture, predicting the mean of their outputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_float_array
from glassnet.nn import MLP
from glassnet.spec import MLPSpec, build_mlp, check_weights

PREDICT_ROWS = 8192  # the rows a prediction runs through a model at a time, through layers up to 512 wide
PREDICT_ELEMENTS = PREDICT_ROWS * 512  # the most rows × units of a block's widest layer: 32 MiB in float64


def predict_rows(widest: int) -> int:
    """Rows per block of a prediction through layers at most ``widest`` units wide: PREDICT_ROWS,
    fewer through layers wider than 512, so that a block's widest array stays PREDICT_ELEMENTS
    (8,192 rows of a 20,000-wide layer asked for 1.2 GiB)."""
    return max(1, min(PREDICT_ROWS, PREDICT_ELEMENTS // max(1, widest)))


class Ensemble:
    """Members m = 1…k of one :class:`MLPSpec`; ŷ(x) = (1/k) Σₘ fₘ(x).

    Shapes: X (N, d₀) -> ŷ (N, d_L). A single model is an ensemble of one. ``members`` is a
    list (any iterable) of weight dicts, one per member (``model.state_dict()``).

    ``activations``, one name per member, gives member m the hidden activation
    ``activations[m]`` in place of ``spec.activation`` (members of different activations err
    differently, and their mean gains: ``TrainConfig.activation`` as a tuple trains them);
    the spec's sizes, output activation and dtype are every member's. ``activations`` lists
    each member's, given or not; ``member_spec(m)`` is member m's whole architecture.

    Examples
    --------
    Two members of one Linear layer, f(x) = w x + b, with w, b = 1, 0 and 3, 1:

    >>> from glassnet.spec import MLPSpec
    >>> from glassnet.train import Ensemble
    >>> members = [{"0.weight": [[1.0]], "0.bias": [0.0]}, {"0.weight": [[3.0]], "0.bias": [1.0]}]
    >>> Ensemble(MLPSpec(sizes=(1, 1)), members).predict([[2.0], [0.0]])  # (2 + 7) / 2, (0 + 1) / 2
    array([[4.5],
           [0.5]])

    Members of one architecture but different hidden activations, each with W = I and the sum out:

    >>> weights = {"0.weight": [[1.0, 0.0], [0.0, 1.0]], "0.bias": [0.0, 0.0],
    ...            "2.weight": [[1.0, 1.0]], "2.bias": [0.0]}
    >>> ensemble = Ensemble(MLPSpec(sizes=(2, 2, 1)), [weights, weights], activations=["relu", "tanh"])
    >>> ensemble
    Ensemble(2 members of [2, 2, 1], activations ['relu', 'tanh'], float64)
    >>> ensemble.predict([[1.0, -1.0]])  # (relu(1) + relu(−1) + tanh(1) + tanh(−1)) / 2 = (1 + 0) / 2
    array([[0.5]])
    """

    def __init__(
        self,
        spec: MLPSpec,
        members: Iterable[Mapping[str, npt.ArrayLike]],
        *,
        activations: Sequence[str] | None = None,
    ) -> None:
        if not isinstance(spec, MLPSpec):
            raise TypeError(f"spec must be an MLPSpec, got {type(spec).__name__}")
        # one member's dict (or a str) is iterable too: its keys (characters) are no members
        if isinstance(members, Mapping | str | bytes) or not isinstance(members, Iterable):
            given = (
                "one dict: put it in a list, [weights]"
                if isinstance(members, Mapping)
                else type(members).__name__
            )
            raise TypeError(f"members must be a list of weight dicts, one per member, got {given}")
        listed = list(members)
        if len(listed) == 0:
            raise ValueError("an ensemble needs at least one member")
        for index, weights in enumerate(listed):
            if not isinstance(weights, Mapping):
                raise TypeError(
                    f"member {index} weights must be a dict of arrays (model.state_dict()), "
                    f"got {type(weights).__name__}"
                )
            check_weights(spec, weights, what=f"member {index} weights")
        self.spec = spec
        self.activations = member_activations(spec, activations, len(listed))
        self._models = []
        for index, weights in enumerate(listed):
            model = build_mlp(self.member_spec(index), rng=np.random.default_rng(0))
            model.load_state_dict(weights)
            self._models.append(model)

    def member_spec(self, member: int) -> MLPSpec:
        """Member m's architecture: the spec with its own hidden activation."""
        return self.spec.with_activation(self.activations[member])

    @property
    def members(self) -> list[dict[str, Array]]:
        """Copies of each member's weights."""
        return [model.state_dict() for model in self._models]

    def models(self) -> list[MLP]:
        """The glassnet models themselves (not copies)."""
        return list(self._models)

    def torch_modules(self, device: str = "cpu") -> list[Any]:
        """Each member as a ``torch.nn.Sequential`` (see :func:`glassnet.torch_bridge.to_torch`)."""
        from glassnet.torch_bridge import to_torch

        return [to_torch(model, device=device) for model in self._models]

    def __repr__(self) -> str:
        """The members' count and kinds and the shared architecture, not their weights."""
        spec = self.spec
        output = "" if spec.output_activation is None else f", output {spec.output_activation}"
        return (
            f"Ensemble({len(self)} member{'s' if len(self) != 1 else ''} of {list(spec.sizes)}, "
            f"activations {list(self.activations)}{output}, {spec.dtype})"
        )

    def __len__(self) -> int:
        return len(self._models)

    def predict(self, x: npt.ArrayLike) -> Array:
        """Mean of the members' outputs, in float64: (N, d₀) -> (N, d_L).

        ``x`` holds the network's inputs, after any preprocessing (scaling, log columns,
        Fourier features); for raw feature rows use ``run.predict`` or :func:`predict_raw`.

        ``PREDICT_ROWS`` rows at a time (fewer through layers wider than 512, :func:`predict_rows`):
        every layer keeps its input for a backward pass that prediction never takes, so all N
        rows at once held each member's (N, width) arrays (9.8 GB for a million rows through two
        128-wide members of three layers); a block keeps that to megabytes, and its products run
        no slower. The mean is summed member by member and divided once, as ``np.mean`` of the
        members' outputs. Up to ``predict_rows(widest layer)`` rows the numbers are those of one
        pass over all of them to the bit; beyond, BLAS may round a block's products differently in
        the last place. The members keep a copy of the last block, not ``x``."""
        dtype = np.dtype(self.spec.dtype)
        inputs = as_float_array(x, name="ensemble input", dtype=dtype, ndim=2)
        if inputs.shape[1] != self.spec.n_inputs:
            raise ValueError(
                f"Ensemble.predict expected the network's inputs, shape (N, {self.spec.n_inputs}), got "
                f"{inputs.shape}; rows of raw features of a run with preprocessing go through it first "
                "(run.predict, or predict_raw with the run's preprocessor)"
            )
        mean = np.empty((len(inputs), self.spec.n_outputs))  # (N, d_L) float64
        first, *others = self._models
        with np.errstate(under="ignore"):
            rows = predict_rows(max(self.spec.sizes))
            for start in range(0, len(inputs), rows):
                # a copy: the first layers keep their input, and a view would keep all of x alive
                block = inputs[start : start + rows].copy()
                total = first.forward(block).astype(np.float64)  # a copy: the sums go into it
                for model in others:
                    total += model.forward(block)
                if others:
                    total /= len(self._models)
                mean[start : start + len(block)] = total
        return mean


def member_activations(spec: MLPSpec, activations: Sequence[str] | None, k: int) -> tuple[str, ...]:
    """The hidden activation of each of k members: ``activations`` checked (one valid name per
    member, each as MLPSpec checks it), or ``spec.activation`` for all when None."""
    if activations is None:
        return (spec.activation,) * k
    if isinstance(activations, str) or not isinstance(activations, Sequence):
        raise TypeError(
            f"activations must be a sequence of names, one per member, got {type(activations).__name__}"
        )
    if len(activations) != k:
        raise ValueError(f"activations names {len(activations)} member(s), the ensemble has {k}")
    for name in activations:
        spec.with_activation(name)  # refuses an unknown name, as MLPSpec does
    return tuple(activations)
