"""The NumPy engine's forward and backward pass: the modules' own NumPy calls, in one function.

For a network as small as the airfoil recipe's, Python weighs on a step as much as the
arithmetic: ``model.forward``, the loss, ``model.backward_params`` and ``optimizer.zero_grad``
make dozens of Python calls (checks, attribute lookups, lazily zeroed gradients) around the
two dozen NumPy calls that compute (docs/benchmarks.md, "What the engine does for speed").
:class:`FusedPass` makes those same NumPy calls, on the same arrays and in the same order,
from one loop over the layers: the Linear layers' products and bias sums, ReLU's maximum and
sign mask, and the mean squared error's residual are written out here; any other activation
or loss is called through its module. Two calls differ in form only: ReLU's maximum is taken
in place, on the product the pass made (a module may not overwrite the z it was given), and
rᵀr is ``ndarray.dot``, which gives ``np.vdot``'s number with less overhead (it warns on
overflow where ``np.vdot`` does not; the Trainer trains with such warnings off). The
numbers are the modules' to the bit (tests/test_fused_pass.py), and the modules stay the
readable reference of each formula.
"""

from __future__ import annotations

import numpy as np

from glassnet._checks import Array
from glassnet.losses import SQUARES_BLOCK, Loss, MSELoss, sum_of_squares
from glassnet.nn import Linear, Module, ReLU
from glassnet.nn._activations import Activation
from glassnet.nn._linear import _ones
from glassnet.nn._module import flatten_modules


class FusedPass:
    """``loss(model(x), y)`` and its backward to every parameter's gradient, for an MLP.

    The model is Linear, f, Linear, f, …, Linear[, g], as ``glassnet.spec.build_mlp`` makes
    it. A call computes, as the modules would (Linear: Y = X Wᵀ + b; backward dL/dW = Gᵀ X,
    dL/db = 1ᵀ G, dL/dX = G W; ReLU: y = max(z, 0), dL/dz = sign(y) ⊙ dL/dy; mean squared
    error: r = ŷ − y, L = rᵀr / M, dL/dŷ = (2/M) r):

    - the forward pass, keeping each layer's input;
    - the loss and dL/dŷ;
    - the backward pass, writing dL/dW and dL/db into the gradients (not adding to them: no
      ``zero_grad`` is needed between steps) and stopping at the first layer's parameters, as
      ``model.backward_params`` does: dL/dX of the data rows is not computed.

    Shapes: x (B, in), y (B, out) -> (L, ŷ (B, out)). With the mean squared error the residual
    r = ŷ − y (B, out) goes into ``residual`` when given (else into a new array); any other
    loss leaves ``residual`` as it is.

    Nothing is checked per call: the Trainer checks the rows once, before training. The pass
    keeps the parameters' arrays as it finds them when built, so it is built after the
    optimizer that moves them into its flat buffers, and it is the only writer of their
    gradients: it writes them without lowering the flag ``zero_grad`` raises, so a
    ``zero_grad`` on them would make the next read of ``.grad`` zero them (NumpyEngine
    builds one after its optimizer and calls no ``zero_grad``).
    """

    def __init__(self, model: Module, loss: Loss) -> None:
        # the model's leaf modules in order; refuses a Sequential that computes more than its
        # layers in order (its own forward, say), whose layers a pass would misread
        modules = flatten_modules([model])
        # per Linear layer: W (out, in), b (out,), dL/dW and dL/db (written by every pass), then
        # the activation after it: ReLU written out here (relu), another called as a module
        # (activation), or none. The arrays are the parameters' own (the optimizer's flat
        # buffers, through views), so the pass sees every update made in place.
        layers: list[tuple[Array, Array, Array, Array, bool, Activation | None]] = []
        for index, module in enumerate(modules):
            if type(module) is Linear:
                after = modules[index + 1] if index + 1 < len(modules) else None
                relu = type(after) is ReLU  # a subclass may compute another f: called as a module
                activation = after if isinstance(after, Activation) and not relu else None
                weight, bias = module.weight, module.bias
                layers.append((weight.data, bias.data, weight.grad, bias.grad, relu, activation))
            elif not isinstance(module, Activation) or index == 0 or type(modules[index - 1]) is not Linear:
                raise ValueError(
                    "FusedPass takes an MLP of Linear layers, each followed by at most one activation, "
                    f"got {model!r}"
                )
        if not layers:
            raise ValueError(f"FusedPass takes an MLP with at least one Linear layer, got {model!r}")
        # what each half of a pass reads of a layer, as plain tuples (unpacked a dozen times a pass)
        self._forward = [(w.T, _added(b), relu, act) for w, b, _, _, relu, act in layers]  # Wᵀ (in, out)
        self._backward = [
            (index, w, w_grad, b_grad, relu, act)
            for index, (w, _, w_grad, b_grad, relu, act) in reversed(list(enumerate(layers)))
        ]
        self.loss = loss
        # the mean squared error, mean-reduced, is written out below; MSELoss.forward and
        # backward are the reference
        self.mse = type(loss) is MSELoss and loss.reduction == "mean"

    def __call__(self, x: Array, y: Array, residual: Array | None = None) -> tuple[float, Array]:
        maximum, sign = np.maximum, np.sign
        inputs = []  # each Linear layer's input (B, in), then ŷ: layer i's output is inputs[i + 1]
        h = x
        for weight_t, bias, relu, activation in self._forward:
            inputs.append(h)
            h = h.dot(weight_t)  # (B, out)
            h += bias
            if relu:
                maximum(h, 0.0, out=h)  # in place: h is the product's own new array
            elif activation is not None:
                h = activation.forward(h)
        prediction = h

        if self.mse:
            residual = np.subtract(prediction, y, out=residual)  # (B, out)
            flat, size = residual.ravel(), residual.size
            # MSELoss.forward's sum_of_squares: one dot (here ndarray.dot, the cheaper call) up
            # to SQUARES_BLOCK elements, in float64-summed blocks beyond
            value = (float(flat.dot(flat)) if size <= SQUARES_BLOCK else sum_of_squares(flat)) / size
            grad = residual * (2.0 / size)  # dL/dŷ (B, out)
        else:
            value = self.loss.forward(prediction, y)
            grad = self.loss.backward()

        ones = _ones(len(x), x.dtype)  # (B,), for Σₙ G as 1ᵀG
        inputs.append(prediction)  # so that inputs[index + 1] is layer index's output
        for index, weight, weight_grad, bias_grad, relu, activation in self._backward:
            if relu:
                masked = sign(inputs[index + 1])  # f′(z) = sign(y), y the ReLU's output
                masked *= grad
                grad = masked
            elif activation is not None:
                grad = activation.backward(grad)
            grad.T.dot(inputs[index], out=weight_grad)  # (out, in)
            ones.dot(grad, out=bias_grad)  # (out,)
            if index:
                grad = grad.dot(weight)  # dL/dX (B, in)
        return value, prediction


def _added(bias: Array) -> Array:
    """The bias as the forward pass adds it to the (B, out) product: a one-element bias (an
    output of one unit) as a 0-d view, which NumPy adds as a scalar, in half the time of the
    broadcast (1,) over (B, 1); the same numbers. Other biases as they are."""
    return bias.reshape(()) if bias.size == 1 else bias
