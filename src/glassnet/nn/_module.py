"""Module: the base class of every layer, with PyTorch's habits and an explicit backward."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Self, SupportsIndex, overload

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, as_dtype, as_float_array
from glassnet.nn._parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` left aside: names it has no parameter for, or got no values
    for (as PyTorch's ``load_state_dict`` returns them; both empty when ``strict``).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import MLP
    >>> model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    >>> state = {"0.bias": np.zeros(3), "extra": np.ones(1)}  # one known name, one unknown
    >>> result = model.load_state_dict(state, strict=False)
    >>> result
    IncompatibleKeys(missing_keys=['0.weight', '2.weight', '2.bias'], unexpected_keys=['extra'])
    >>> model[0].bias.data  # what matched was loaded
    array([0., 0., 0.])
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: ``forward(x) -> y`` and ``backward(dL/dy) -> dL/dx``.

    ``backward`` adds dL/dθ to every parameter's ``grad`` and returns the gradient with
    respect to the module's input, using what ``forward`` kept: references to its input
    or output, not copies (as PyTorch saves tensors for backward), so change neither in
    place between ``forward`` and ``backward``. There is no graph per call: ``backward``
    differentiates the *last* forward, so another forward in between (a validation batch)
    makes it that batch's, silently where the shapes agree. Parameters and sub-modules
    are found among the instance attributes, in the order they were assigned, which gives
    stable dotted names (``"0.weight"``, ``"hidden.bias"``) as in PyTorch.

    Calling a module (``model(x)``) checks the input (2-D, finite, cast to the
    parameters' dtype) and then runs ``forward``; containers call their children's
    ``forward`` directly, so the check happens once per batch, at the top.

    Examples
    --------
    A layer of one's own, y = a x with one learnable number a: ``forward`` keeps x,
    ``backward`` adds dL/da to the gradient and returns dL/dx.

    >>> import numpy as np
    >>> from glassnet import gradcheck
    >>> from glassnet.losses import MSELoss
    >>> from glassnet.nn import Module, Parameter
    >>> class Scale(Module):
    ...     def __init__(self, a):
    ...         self.a = Parameter(np.array([a]))  # found as a parameter, named "a"
    ...     def forward(self, x):
    ...         self._x = x  # kept for backward
    ...         return self.a.data * x
    ...     def backward(self, grad_out):
    ...         self.a.grad += np.sum(grad_out * self._x)  # dL/da = Σ G ⊙ X
    ...         return grad_out * self.a.data  # dL/dX = a G
    >>> layer = Scale(2.0)
    >>> layer(np.array([[1.0, 3.0]]))
    array([[2., 6.]])
    >>> layer.backward(np.ones((1, 2))), layer.a.grad  # dL/da = 1·1 + 1·3
    (array([[2., 2.]]), array([4.]))
    >>> layer.state_dict()
    {'a': array([2.])}

    gradcheck compares this backward with finite differences of L(a) = mean((a x)²):

    >>> gradcheck(layer, MSELoss(), [[1.0, 3.0]], [[0.0, 0.0]], check_input=True).ok
    True
    """

    training: bool = True
    _input_name = "Module input"  # for the check's messages; set per subclass, not built per call

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._input_name = f"{cls.__name__} input"
        # a subclass that defines backward and not backward_params gets the default, which runs
        # that backward: an inherited backward_params (Linear's, Sequential's) would skip it and
        # give a training step the parent's gradients
        if "backward" in vars(cls) and "backward_params" not in vars(cls):
            cls.backward_params = Module.backward_params  # type: ignore[method-assign]

    def forward(self, x: Array) -> Array:
        """Y = f(X) without ``__call__``'s checks, keeping what backward needs: (N, in) -> (N, out)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_out: Array) -> Array:
        """Add dL/dθ to every parameter's grad; return dL/dX. Shapes: dL/dY (N, out) -> dL/dX (N, in)."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def backward_params(self, grad_out: Array) -> None:
        """``backward`` for a caller with no use for dL/dx: add dL/dθ to every parameter's
        ``grad`` and return nothing. A training step is one: its input is data (PyTorch does
        not compute dL/dx either, for an input that does not require a gradient). By default
        this runs ``backward``; modules whose dL/dx is work of its own skip it (``Linear``,
        and ``Sequential``, which passes the call on to its first layer). A subclass that
        defines ``backward`` and not ``backward_params`` gets this default, its own backward."""
        self.backward(grad_out)

    def __call__(self, x: npt.ArrayLike) -> Array:
        """``forward`` of x checked (2-D, finite) and cast to the parameters' dtype: (N, in) -> (N, out)."""
        return self.forward(as_float_array(x, name=self._input_name, dtype=self.dtype, ndim=2))

    # -- parameters and children -------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(attribute name, module) for each module held as an attribute, in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        """The modules :meth:`named_children` names, without their names."""
        for _, child in self.named_children():
            yield child

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(
        self, prefix: str = "", *, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs: the module's own parameters, then its children's.

        A parameter reached by two names (tied weights, ``dec.weight = enc.weight``) is listed
        once, at the first, unless ``remove_duplicate`` is False, as in PyTorch; ``state_dict``
        lists it under both, as PyTorch's does. (``remove_duplicate`` is a keyword: torch's second
        positional argument is ``recurse``, which glassnet does not take.)
        """
        seen: set[int] = set()
        # "model" names "model.0.weight", as torch's prefix does
        for name, parameter in self._named_parameters(f"{prefix}." if prefix else ""):
            if remove_duplicate:
                if id(parameter) in seen:
                    continue
                seen.add(id(parameter))
            yield name, parameter

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter once, in ``named_parameters()`` order: one reached by two names
        (tied weights) is listed at the first, as in PyTorch, so an optimizer steps it once
        and ``num_parameters`` counts it once."""
        return [parameter for _, parameter in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of scalar parameters (elements of every array; tied ones counted once)."""
        return sum(parameter.size for parameter in self.parameters())

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The dtype of the parameters (None for a module without any)."""
        # The first parameter in named_parameters() order (own ones, then the children's),
        # found without building names: this runs on every model(x).
        for value in vars(self).values():
            if isinstance(value, Parameter):
                return value.data.dtype
        for child in self.children():
            dtype = child.dtype
            if dtype is not None:
                return dtype
        return None

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, before the next backward accumulates into it."""
        for parameter in self.parameters():
            parameter.zero_grad()

    def astype(self, dtype: npt.DTypeLike) -> Self:
        """Convert every parameter (and its gradient) to ``dtype``; return self.

        A parameter of another dtype gets new arrays, so build optimizers after a conversion:
        one built before holds views of the old arrays and refuses to step. A parameter already
        of ``dtype`` keeps its arrays, as torch's ``.double()`` of a float64 model changes
        nothing, and an optimizer built before still steps it.

        ValueError, and no parameter changed, when a finite value lies outside ``dtype``'s
        range (a weight of 1e39 would become inf in float32, where torch's ``.float()`` makes it
        so without a word), or a gradient written since ``zero_grad``'s.
        """
        resolved = as_dtype(dtype)
        owner = f"{type(self).__name__}.astype({resolved})"
        converted = [  # every one converted, and so checked, before any is changed
            (parameter, parameter.converted(resolved, f"{owner}: parameter {name!r}"))
            for name, parameter in self.named_parameters()
            if parameter.data.dtype != resolved
        ]
        for parameter, (data, grad) in converted:
            # the gradient pending zeros, if it was (read as optimizers read the flag)
            parameter.use_arrays(data, grad, grad_pending=parameter._grad_is_zero)
        return self

    # -- modes -------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Self:
        """Set ``training`` to ``mode`` on this module and every module below it; return self."""
        if not isinstance(mode, bool | np.bool_):  # "eval" or 0 would be kept as they are
            raise TypeError(f"{type(self).__name__}.train mode must be True or False, got {mode!r}")
        mode = bool(mode)
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Self:
        """``train(False)``: evaluation mode for this module and every module below it; return self."""
        return self.train(False)

    # -- state -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Array]:
        """A copy of every parameter's values, by dotted name."""
        return {
            name: parameter.data.copy() for name, parameter in self.named_parameters(remove_duplicate=False)
        }

    def load_state_dict(self, state: Mapping[str, npt.ArrayLike], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters (kept in place, so optimizers still see them).

        Every array is checked first and nothing is changed unless all of them fit:
        names (all of them when ``strict``), shapes, and finite values. Returns the names
        left aside (``missing_keys``, ``unexpected_keys``), as PyTorch's does.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict expects a mapping of parameter names to arrays "
                f"(as state_dict() returns), got {type(state).__name__}"
            )
        if not isinstance(strict, bool | np.bool_):  # None or "no" would pass as False or True
            raise TypeError(
                f"{type(self).__name__}.load_state_dict strict must be True or False, got {strict!r}"
            )
        own = dict(self.named_parameters(remove_duplicate=False))
        # the missing names in the model's order, as PyTorch lists them; the unexpected in the
        # state's (PyTorch's, where they lie under a layer, come layer by layer)
        missing = [name for name in own if name not in state]
        unexpected = [str(name) for name in state if name not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"state_dict does not match {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        checked: list[tuple[Parameter, Array]] = []
        for name, values in state.items():
            if name not in own:
                continue
            parameter = own[name]
            if not parameter.data.flags.writeable:  # np.copyto would fail half-way through the loads
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: parameter {name!r} holds a read-only array "
                    "(a memory-mapped file, say), which cannot take values; give it a writeable copy "
                    "(p.data = p.data.copy()) before loading"
                )
            array = as_float_array(values, name=f"state_dict[{name!r}]", dtype=parameter.data.dtype)
            if array.shape != parameter.data.shape:
                raise ValueError(
                    f"state_dict[{name!r}] has shape {array.shape}, expected {parameter.data.shape}"
                )
            checked.append((parameter, array))
        for parameter, array in checked:
            np.copyto(parameter.data, array)
        return IncompatibleKeys(missing, unexpected)

    # -- display -----------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings the repr shows between its parentheses, as torch's ``extra_repr``."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: ``extra_repr()`` inline when it is one line and there are no
        children, else its lines first and then one ``(name): child`` line per child."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if len(lines) == 1 and extra == lines[0]:
            return f"{type(self).__name__}({extra})"
        if not lines:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


# The Sequentials that hold each Sequential, weakly: a module added to one inside another is
# checked against everything the outermost one holds, where a module held twice (a layer of
# the outer added to the inner, say) would keep only its second forward's input for backward
_HOLDERS: weakref.WeakKeyDictionary[Sequential, weakref.WeakSet[Sequential]] = weakref.WeakKeyDictionary()


class Sequential(Module):
    """Modules applied one after the other, y = fₖ(… f₂(f₁(x))); backward runs them in reverse,
    dL/dx = J₁ᵀ(… Jₖᵀ dL/dy).

    Shapes: X (N, in of the first layer) -> Y (N, out of the last); no layers: Y = X.

    Indexable like a list (``model[0]`` is the first layer, ``model[-1]`` the last,
    ``model[1:]`` a Sequential of the rest) and grown as torch's is, with ``append``,
    ``extend`` and ``insert``; parameters are named ``"0.weight"`` etc.

    Examples
    --------
    The exercise's 2→3→1 network, built by hand and given the sheet's weights:

    >>> import numpy as np
    >>> from glassnet.nn import Linear, ReLU, Sequential
    >>> rng = np.random.default_rng(0)
    >>> model = Sequential(Linear(2, 3, rng=rng), ReLU(), Linear(3, 1, rng=rng))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> _ = model.load_state_dict({
    ...     "0.weight": [[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]], "0.bias": [1.0, 1.0, -4.0],
    ...     "2.weight": [[0.5, -1.0, 0.0]], "2.bias": [3.0],
    ... })
    >>> model(np.array([[1.0, 2.0]]))  # z = (2, 2, −1), h = (2, 2, 0), ŷ = 0.5·2 − 1·2 + 3
    array([[2.]])

    backward runs the layers in reverse: for dL/dŷ = 1, dL/dh = Wᵒ = (0.5, −1, 0), which the
    ReLU passes where z > 0, so dL/dWʰ = (0.5, −1, 0)ᵀ x:

    >>> grad_x = model.backward(np.ones((1, 1)))
    >>> model[0].weight.grad
    array([[ 0.5,  1. ],
           [-1. , -2. ],
           [ 0. ,  0. ]])
    >>> np.round(grad_x, 4)  # dL/dx = (0.5, −1, 0) Wʰ
    array([[-0.7,  0.1]])
    """

    def __init__(self, *layers: Module) -> None:
        self.layers: list[Module] = []
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Modules, got {type(layer).__name__} at position {index}")
        self._add(0, layers)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a copy (copy.deepcopy, pickle) is built without __init__: its layers are held anew, so
        # that what is added to its inner Sequentials is checked against it too
        self.__dict__.update(state)
        for layer in self.layers:
            self._hold(layer)

    def forward(self, x: Array) -> Array:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: Array) -> Array:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def backward_params(self, grad_out: Array) -> None:
        """``backward`` whose first layer stops at its parameters: no dL/dx of the input."""
        if not self.layers:
            return
        for layer in self.layers[:0:-1]:  # every layer but the first, last to second
            grad_out = layer.backward(grad_out)
        self.layers[0].backward_params(grad_out)

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The dtype of the first layer with parameters, found without Module.dtype's walk through
        named_children, which costs more: this runs on every model(x). Without one, a parameter
        or module a subclass holds as an attribute (a head), the layers not walked again (nested
        Sequentials without parameters would walk each other's layers, twice a level)."""
        for layer in self.layers:
            dtype = layer.dtype
            if dtype is not None:
                return dtype
        for value in vars(self).values():
            if isinstance(value, Parameter):
                return value.data.dtype
        held = {id(layer) for layer in self.layers}
        for _, child in super().named_children():
            if id(child) not in held and (dtype := child.dtype) is not None:
                return dtype
        return None

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by position, then any module a subclass holds as an attribute (a
        head, say), by its name, as torch counts it: parameters, state_dict, train/eval and
        gradcheck reach it through here, with the layers."""
        for index, layer in enumerate(self.layers):
            yield str(index), layer
        held = {id(layer) for layer in self.layers}
        for name, child in super().named_children():
            if id(child) not in held:  # an attribute naming one of the layers is that layer
                yield name, child

    def append(self, layer: Module) -> Self:
        """Add ``layer`` at the end; return self (as ``torch.nn.Sequential.append``)."""
        return self.insert(len(self.layers), layer)

    def extend(self, layers: Iterable[Module]) -> Self:
        """Add every module of ``layers`` (a Sequential or any iterable of Modules) at the end, in
        order; return self. Every one is checked before any is added."""
        try:
            items = iter(layers)
        except TypeError:  # a single layer, say
            raise TypeError(
                f"Sequential.extend takes an iterable of Modules, got a {type(layers).__name__}"
            ) from None
        added = list(items)
        for offset, layer in enumerate(added):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential takes Modules, got {type(layer).__name__} at position {len(self.layers) + offset}"
                )
        return self._add(len(self.layers), added)  # in place: a kept model.layers sees them

    def insert(self, index: int, layer: Module) -> Self:
        """Put ``layer`` before position ``index`` (negative counts from the end, as for a list,
        which it must lie within); return self."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential takes Modules, got {type(layer).__name__}")
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise TypeError(f"Sequential.insert index must be an integer, got {type(index).__name__}")
        size = len(self.layers)
        if not -size <= index <= size:
            raise IndexError(f"Sequential.insert index must lie in [{-size}, {size}], got {index}")
        return self._add(int(index) if index >= 0 else size + int(index), [layer])

    def _add(self, position: int, layers: Sequence[Module]) -> Self:
        """Put ``layers`` at ``position``, once every one is checked (:meth:`_refuse_shared`):
        a refused one leaves the Sequential, and what holds what, as they were."""
        self._refuse_shared(layers, position)
        self.layers[position:position] = layers
        for layer in layers:
            self._hold(layer)
        return self

    def _hold(self, layer: Module) -> None:
        if isinstance(layer, Sequential):
            _HOLDERS.setdefault(layer, weakref.WeakSet()).add(self)

    def _outermost(self) -> list[Sequential]:
        """The Sequentials that hold this one and are held by none, up every chain of holders that
        still hold what they held (itself if none does)."""
        tops: list[Sequential] = []
        stack: list[Sequential] = [self]
        visited: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            holders = [h for h in _HOLDERS.get(node, ()) if any(layer is node for layer in h.layers)]
            stack.extend(holders)
            if not holders:
                tops.append(node)
        return tops

    def _refuse_shared(self, layers: Sequence[Module], position: int) -> None:
        """ValueError if a module of ``layers`` (or one inside it) is already in this Sequential,
        or in a Sequential that holds it (:meth:`_outermost`), or twice among ``layers``.

        A module keeps its forward input for ``backward``, so a second use would overwrite
        what the first one needs: the gradient would be silently wrong. (A module holding a
        Sequential as an attribute, a Module subclass's own, is not a holder seen here.)
        """
        seen = {id(module) for top in self._outermost() for module in top.modules()}
        for index, layer in enumerate(layers, start=position):
            for module in layer.modules():
                if id(module) in seen:
                    raise ValueError(
                        f"Sequential got a {type(module).__name__} instance that it, or a Sequential "
                        f"holding it, already holds (layer at position {index}): a module keeps its "
                        "forward state for backward, so each position needs its own instance; "
                        "copy.deepcopy(layer) makes one with the same weights"
                    )
                seen.add(id(module))

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    # a layer is typed Any, as the attribute access of torch's Module is: model[0].weight is a
    # Linear's, which the type Module does not know
    @overload
    def __getitem__(self, index: SupportsIndex) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        """The layer at ``index`` (negative from the end), or a Sequential of the layers in a slice."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        try:
            return self.layers[index]
        except IndexError:
            raise IndexError(
                f"index {index} is out of range for a Sequential of {len(self.layers)} layers"
            ) from None


# the methods a reader of a model's layers (spec_of, to_torch, explain, the Trainer's pass) takes
# from the layer's class: one of them set on the object runs other code
_LAYER_METHODS = ("forward", "backward", "backward_params")


def own_code(module: Any, base: type, methods: Iterable[str] = ("forward",)) -> str | None:
    """What ``module`` may run other than its class's code, in words, or None: one of ``methods``
    set on the object itself (as wrappers such as accelerate's hooks set ``forward``), or a
    ``__call__`` other than ``base``'s, the base class's that runs forward. A method set on the
    object that is its class's own, bound to it (what accelerate's ``remove_hook_from_module``
    leaves), is none. Works on torch modules too (``base`` torch.nn.Module)."""
    for name in methods:
        own = vars(module).get(name)
        if own is not None and not (
            getattr(own, "__func__", None) is getattr(type(module), name, None)
            and getattr(own, "__self__", None) is module
        ):
            return f"a {name} set on the object"
    return None if type(module).__call__ is base.__call__ else "a __call__ of its class's own"


def flatten_modules(modules: Iterable[Module]) -> list[Module]:
    """Leaf modules in forward order (Sequentials opened up).

    ValueError for a Sequential subclass that computes more than its layers in order (its own
    forward or backward, or modules held besides its layers), and for any module with a
    forward, backward or backward_params set on the object, or a ``__call__`` of its class's
    own (:func:`own_code`): a list of the layers
    would describe another model (spec_of, to_torch, explain and the Trainer's pass read them
    and compute each layer as its class does).

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.nn import Linear, ReLU, Sequential, flatten_modules
    >>> rng = np.random.default_rng(0)
    >>> inner = Sequential(ReLU(), Linear(3, 1, rng=rng))
    >>> model = Sequential(Linear(2, 3, rng=rng), inner)  # a Sequential within a Sequential
    >>> flatten_modules([model])  # the same network as one flat list of layers
    [Linear(in_features=2, out_features=3), ReLU(), Linear(in_features=3, out_features=1)]
    """
    leaves: list[Module] = []

    def visit(module: Module) -> None:
        own = own_code(module, Module, _LAYER_METHODS)
        if own is not None:
            raise ValueError(
                f"{type(module).__name__} at position {len(leaves)} has {own}: a list of layers (an "
                "MLPSpec, a torch.nn.Sequential, an explanation) computes and differentiates each as "
                "its class does, not as this one"
            )
        if isinstance(module, Sequential):
            kind = type(module)
            extra = [name for name, _ in module.named_children() if not name.isdigit()]
            if extra or kind.forward is not Sequential.forward or kind.backward is not Sequential.backward:
                held = f" and holds {', '.join(extra)} besides its layers" if extra else ""
                raise ValueError(
                    f"{kind.__name__} is a Sequential of its own{held}: its layers in order are not "
                    "the model it computes, which a list of layers (an MLPSpec, a torch.nn.Sequential, "
                    "an explanation) cannot describe"
                )
            for layer in module.layers:
                visit(layer)
        else:
            leaves.append(module)

    for module in modules:
        visit(module)
    return leaves
