"""Optimizer base: parameter groups, fused storage, zero_grad and state_dict."""

from __future__ import annotations

import copy
import math
import operator
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import numpy as np

from glassnet._checks import Array, as_float_array, finite_float, refuse_array_subclass, shown
from glassnet.nn import Parameter

ParamsLike = Iterable[Parameter] | Iterable[Mapping[str, Any]]

# How often (in steps of a group) an optimizer sets its buffers' subnormal entries to zero: see
# flush_subnormals. Every 128 steps the pass costs under 1 % of a step's time at the airfoil
# network's size; the subnormals it removes made the airfoil recipe's last epochs a third slower.
SUBNORMAL_FLUSH_EVERY = 128


def flush_subnormals(buffer: Array) -> None:
    """Set the entries of ``buffer`` smaller in magnitude than the dtype's smallest normal
    number (``np.finfo(dtype).tiny``: 2.2e-308 in float64, 1.2e-38 in float32) to zero.

    A moment of a parameter whose gradient has become exactly zero (the weights into a ReLU
    unit that no longer fires) decays as βᵗ into the subnormal range and stays there, since
    β times the smallest subnormals rounds back to them. x86 CPUs take tens of times longer
    for arithmetic on subnormals, and NumPy has no flush-to-zero mode, so the optimizers
    flush their buffers every ``SUBNORMAL_FLUSH_EVERY`` steps. What a flushed entry would
    still have added to its weight is below the weight's rounding unless the weight is itself
    below about 1e-280 (float64) or 1e-25 (float32) at the default settings.
    """
    buffer[np.abs(buffer) < np.finfo(buffer.dtype).tiny] = 0  # rare: two temporary arrays are fine


def glassnet_kind(instance: object, base: type) -> str:
    """The name a saved state gives ``instance``'s class: the first class of glassnet.optim in
    its MRO other than ``base`` (a user's ``class MyAdam(Adam)`` saves and takes Adam's states),
    else its own class's."""
    glassnet_own = (
        cls
        for cls in type(instance).__mro__
        if cls.__module__.startswith("glassnet.optim") and cls is not base
    )
    return next(glassnet_own, type(instance)).__name__


class Optimizer:
    """Base class: holds ``param_groups`` (as PyTorch) and one flat buffer per group.

    At construction every parameter of a group is moved into one contiguous array and its
    ``data`` and ``grad`` become views of it ("fused" storage). The update is then a few
    vectorised NumPy calls per group instead of a few per parameter, which is most of the
    time an optimizer step takes at these sizes. Values are unchanged; the layers, which
    update ``grad`` in place and read ``data`` through the Parameter, see no difference.

    Subclasses define ``defaults`` (their settings), ``state_keys`` (the buffers their state
    may hold), ``check_group`` and ``update_group``.

    Examples
    --------
    A sign-SGD optimizer, θ ← θ − η sign(g): the base class fuses the parameters and calls
    ``update_group`` with each group's flat data and gradient.

    >>> import numpy as np
    >>> from glassnet.nn import Parameter
    >>> from glassnet.optim import Optimizer
    >>> class SignSGD(Optimizer):
    ...     def __init__(self, params, lr=0.01):
    ...         super().__init__(params, {"lr": lr})  # the defaults: its settings
    ...
    ...     def update_group(self, data, grad, state, settings):
    ...         data -= settings["lr"] * np.sign(grad)  # in place
    >>> w = Parameter(np.array([1.0, 1.0, 1.0]))
    >>> opt = SignSGD([w], lr=0.1)
    >>> w.grad = np.array([3.0, -0.01, 0.0])
    >>> opt.step()
    >>> w.data  # a weight with a gradient moves by η, whatever the gradient's size
    array([0.9, 1.1, 1. ])
    >>> opt
    SignSGD(lr=0.1)
    """

    state_keys: frozenset[str] = frozenset()  # buffer names of a group's state, besides "step"

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]) -> None:
        groups = _as_groups(params)
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._flat_data: list[Array] = []
        self._flat_grad: list[Array] = []
        self._views: list[list[tuple[Parameter, Array]]] = []  # per group: (parameter, its data view)
        self.state: list[dict[str, Any]] = []
        # each group as it was last checked (its parameters a list of their own): step checks a
        # group again where it differs, as after a hand-written setting or an edited list
        self._stepped_as: list[dict[str, Any]] = []
        # Every group is checked before any is fused: fusing moves a group's parameters into
        # new arrays, which a refused construction must not leave behind (another optimizer
        # on the same parameters would then refuse to step them).
        checked: list[tuple[list[Parameter], dict[str, Any]]] = []
        seen: set[int] = set()
        for group in groups:
            settings = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
            self._check_settings(settings)
            # a group's params may be one Parameter, as torch's may be one tensor
            given = group["params"]
            if not isinstance(given, Parameter | Iterable):
                raise TypeError(
                    f"{type(self).__name__} group {len(checked)} 'params' must be Parameters, "
                    f"got {type(given).__name__}"
                )
            parameters = [given] if isinstance(given, Parameter) else list(given)
            for parameter in parameters:
                if not isinstance(parameter, Parameter):
                    raise TypeError(f"{type(self).__name__} takes Parameters, got {type(parameter).__name__}")
                if id(parameter) in seen:
                    raise ValueError(f"{type(self).__name__} got the same Parameter twice")
                seen.add(id(parameter))
            if not parameters:
                raise ValueError(f"{type(self).__name__} got an empty parameter list")
            dtypes = {parameter.data.dtype for parameter in parameters}
            if len(dtypes) != 1:
                raise TypeError(
                    f"all parameters of a group must share one dtype, got {sorted(map(str, dtypes))}"
                )
            checked.append((parameters, settings))
        for parameters, settings in checked:
            data, grad = _fuse(parameters)
            self.param_groups.append({"params": parameters, **plain_settings(settings)})
            self._stepped_as.append(self._as_checked(self.param_groups[-1]))
            self._flat_data.append(data)
            self._flat_grad.append(grad)
            self._views.append([(parameter, parameter.data) for parameter in parameters])
            self.state.append({"step": 0})

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Finish a copy (``copy.deepcopy``, ``pickle``) by fusing the copied parameters again.

        A copy gives each copied parameter arrays of its own, no longer views of the copied
        flat buffers: its backward would write gradients the copy's step never reads, and the
        step would move buffers its weights no longer use, silently (``step``'s test for
        replaced data passes, as the copied views are the copied arrays). Fusing them anew, as
        the constructor did, from their values (the buffers' too: the copy took both at once)
        makes the copy train its own parameters, as a copied torch optimizer does. The state
        (moments, step counts) follows the parameters' order, which is unchanged.

        A group is left as it is where a parameter's data is no longer the view the optimizer
        keeps (replaced, or fused by another optimizer since): its step refuses it, as the
        original's does; and where the views are still the buffers' (a shallow ``copy.copy``,
        which shares them). The lists are the copy's own, so a shallow copy changes nothing of
        the original's.
        """
        self.__dict__.update(state)
        if "_stepped_as" not in state:  # a copy pickled before step came to check changed groups
            self._stepped_as = [self._as_checked(group) for group in self.param_groups]
        self._flat_data, self._flat_grad, self._views = (
            list(self._flat_data),
            list(self._flat_grad),
            list(self._views),
        )
        for index, views in enumerate(self._views):
            if any(parameter.data is not view for parameter, view in views):
                continue
            if all(view.base is self._flat_data[index] for _, view in views):
                continue
            parameters = [parameter for parameter, _ in views]
            self._flat_data[index], self._flat_grad[index] = _fuse(parameters)
            self._views[index] = [(parameter, parameter.data) for parameter in parameters]

    # -- subclass interface ------------------------------------------------------------

    def check_group(self, settings: dict[str, Any]) -> None:
        """Refuse a group's settings (``lr`` and the subclass's) that no step can use, naming the
        setting; run when a group is added and when a setting has changed since the last step."""
        if "lr" not in settings:  # a subclass's defaults without one: a bare KeyError('lr') said nothing
            raise ValueError(
                f"{type(self).__name__} has no 'lr' setting: an optimizer's defaults name its learning "
                "rate 'lr' (the schedulers and the Trainer set it)"
            )
        finite_float(settings["lr"], f"{type(self).__name__} lr", minimum=0.0)

    def check_state(self, key: str, array: Array, group: int) -> None:
        """Refuse a saved buffer no run of this optimizer could hold (shape and finiteness are
        checked already)."""

    def check_buffers(self, state: dict[str, Any], group: int) -> None:
        """Refuse a saved state whose buffers (each checked by ``check_state``) do not go together."""

    def update_group(self, data: Array, grad: Array, state: dict[str, Any], settings: dict[str, Any]) -> None:
        """One step of a group in place: ``data`` and ``grad`` are the group's flat buffers (P,),
        ``state`` its buffers (momentum, moments), ``settings`` its lr and the rest."""
        raise NotImplementedError

    def flush_group(self, state: dict[str, Any], settings: dict[str, Any]) -> None:
        """Flush the subnormal entries of a group's buffers (:func:`flush_subnormals`), where that
        cannot change an update beyond rounding; ``step`` runs it every ``SUBNORMAL_FLUSH_EVERY``
        steps. A subclass with buffers overrides it."""

    # -- public ------------------------------------------------------------------------

    def step(self) -> None:
        """Apply one update to every parameter from its accumulated gradient.

        A group none of whose parameters has a gradient (no backward since ``zero_grad``, or
        since the optimizer was built) is left as it is, state and step count included, as
        torch skips parameters whose ``grad`` is None. Reading ``p.grad`` counts as having
        one, zeros included: the array read may have been written to (Parameter.grad).
        Within a group that has gradients, a parameter without one is updated with a zero
        gradient (weight decay and momentum still move it), where torch would skip it.

        A group changed by hand since the last step is checked first, as the constructor checks
        it: a setting out of range or unknown is refused (ValueError), and so is an edited list
        of parameters (RuntimeError: they were fused when the optimizer was built).
        """
        # every group checked, its parameters' data included, before any is updated: a refused
        # step changes nothing
        self._check_changed_groups()
        stepped = []
        for group, data, grad, state, views in zip(
            self.param_groups, self._flat_data, self._flat_grad, self.state, self._views, strict=True
        ):
            without_grad = 0
            for parameter, view in views:
                # One test per parameter for the two rare cases, as this runs every step: data
                # replaced (the update would go to the old array, unseen), or zeros pending
                # from zero_grad where no backward wrote (Parameter.settle_grad, which writes
                # the zeros the gradient already reads as).
                if parameter.data is not view or parameter._grad_is_zero:
                    if parameter.data is not view:
                        raise RuntimeError(_moved_message(self, parameter))
                    parameter.settle_grad()
                    without_grad += 1
            if without_grad < len(views):
                stepped.append((group, data, grad, state))
        for group, data, grad, state in stepped:
            self._update(group, data, grad, state)

    def _kind(self) -> str:
        """The name of this optimizer's update: for a subclass of one of glassnet's optimizers
        (``class MyAdam(Adam)``), the glassnet class's, whose states it takes; else its own class's."""
        return glassnet_kind(self, Optimizer)

    def _check_changed_groups(self) -> None:
        """Check every group changed by hand since it was last checked (:meth:`_check_changed_group`),
        and that none was added or removed (torch adds one by appending it: zip named no cause)."""
        self._check_group_count()
        for index, (group, checked) in enumerate(zip(self.param_groups, self._stepped_as, strict=True)):
            if _changed(group, checked):  # settings or parameters changed by hand since
                self._check_changed_group(index, group, self._views[index])

    def _check_group_count(self) -> None:
        """RuntimeError if a parameter group was added to or removed from ``param_groups`` by hand;
        TypeError for a ``param_groups`` set to what is no list (or tuple) of dicts."""
        groups: Any = self.param_groups  # set by hand, it may be anything
        # a loop, not all() over a generator: this runs at every step, a third of the check's time
        dicts = isinstance(groups, list | tuple)
        for group in groups if dicts else ():
            if not isinstance(group, dict):
                dicts = False
                break
        if not dicts:
            raise TypeError(
                f"{type(self).__name__}.param_groups must be a list of dicts (one per group), got {shown(groups)}"
            )
        if len(self.param_groups) != len(self._stepped_as):
            name = type(self).__name__
            raise RuntimeError(
                f"{name} was built with {len(self._stepped_as)} parameter group(s) and now has "
                f"{len(self.param_groups)}; its parameters are fused into one buffer per group when it is "
                f"built, so it steps only those: build a new {name} with every group"
            )

    @staticmethod
    def _as_checked(group: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``group`` to compare it with later: its lists and arrays copied too, so that
        one changed in place (``group["betas"][0] = …``) differs from the copy."""
        return {key: list(value) if key == "params" else copy.copy(value) for key, value in group.items()}

    def _check_changed_group(
        self, index: int, group: dict[str, Any], views: list[tuple[Parameter, Array]]
    ) -> None:
        """Refuse a group changed by hand into one this optimizer cannot step: its parameter list
        edited (the parameters were fused into one buffer when it was built, and a step would
        go on moving those), a setting the constructor refuses, or one it does not know (torch's
        step does not check them: a NaN lr made every weight NaN, a negative one climbed)."""
        name = type(self).__name__
        fused = [parameter for parameter, _ in views]
        given = group.get("params")
        if (
            not isinstance(given, list | tuple)
            or len(given) != len(fused)
            or any(map(operator.is_not, given, fused))
        ):
            raise RuntimeError(
                f"{name} param_groups[{index}]['params'] was changed after {name} was built; its "
                "parameters are fused into one buffer then, so it steps only those: build a new "
                f"{name} for other parameters"
            )
        settings = {key: value for key, value in group.items() if key != "params"}
        missing = sorted(set(self.defaults) - set(settings))  # the constructor fills them in; a step cannot
        if missing:
            raise ValueError(
                f"{name} param_groups[{index}] must hold the settings {sorted(self.defaults)}, got "
                f"{sorted(settings)}"
            )
        self._check_settings(settings)
        group.update(plain_settings(settings))
        self._stepped_as[index] = self._as_checked(group)

    def _check_settings(self, settings: dict[str, Any]) -> None:
        """A group's settings as the constructor and a step after a change by hand check them:
        no name this optimizer does not know, and values ``check_group`` takes."""
        unknown = sorted(set(settings) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no setting(s) {unknown}; known: {sorted(self.defaults)}"
            )
        self.check_group(settings)

    def step_written(self) -> None:
        """:meth:`step` for a caller that has written every parameter's whole gradient since the
        last step, into the arrays the optimizer holds (the Trainer's NumPy engine, see
        ``glassnet.train._fused``): the same update, without the per-parameter tests for zeros
        pending or data replaced, which cost a step of a small network a few percent."""
        for group, data, grad, state in zip(
            self.param_groups, self._flat_data, self._flat_grad, self.state, strict=True
        ):
            self._update(group, data, grad, state)

    def _update(self, group: dict[str, Any], data: Array, grad: Array, state: dict[str, Any]) -> None:
        state["step"] += 1
        self.update_group(data, grad, state, group)
        if state["step"] % SUBNORMAL_FLUSH_EVERY == 0:  # by the count, so a resumed run flushes alike
            self.flush_group(state, group)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` (its ``data``'s shape) to zeros, ready for the next backward."""
        for group in self.param_groups:
            for parameter in group["params"]:
                parameter.zero_grad()

    def state_dict(self) -> dict[str, Any]:
        """Settings and buffers (copies), without the parameters themselves; each group's
        settings name the shapes of its parameters (``param_shapes``), which a load checks, and
        ``optimizer`` names the class, which a load checks too (Adam's and AdamW's settings have
        the same names and mean another weight decay). A group changed by hand is checked first,
        as ``step`` checks it."""
        self._check_changed_groups()
        return {
            "optimizer": self._kind(),
            "param_groups": [
                {
                    # copies, as the docstring says: a list of betas was the live group's own
                    **{k: copy.deepcopy(v) for k, v in group.items() if k != "params"},
                    "param_shapes": [list(parameter.data.shape) for parameter in group["params"]],
                }
                for group in self.param_groups
            ],
            "state": [
                {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
                for state in self.state
            ],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore settings and buffers saved by ``state_dict`` of the same optimizer type, on
        parameters of the same shapes (a state without ``param_shapes``, built by hand, is
        checked by the length of each group's buffers alone)."""
        groups, states = self._saved_parts(state_dict)
        name = type(self).__name__
        new_states: list[dict[str, Any]] = []
        for index, (settings, state, data) in enumerate(zip(groups, states, self._flat_data, strict=True)):
            # another optimizer's state (SGD's into Adam, say) would load half-right
            unknown = sorted(set(settings) - set(self.defaults) - {"params", "param_shapes"})
            if unknown:
                raise ValueError(f"{name} has no setting(s) {unknown}; known: {sorted(self.defaults)}")
            if "param_shapes" in settings:
                # buffers are flat: another model's state of as many values would load onto the
                # wrong weights, silently
                self._check_shapes(settings["param_shapes"], index)
            unknown = sorted(set(state) - self.state_keys - {"step"})
            if unknown:
                raise ValueError(
                    f"{name} state of group {index} has unknown key(s) {unknown}; "
                    f"expected 'step' and {sorted(self.state_keys)} (a subclass names the buffers "
                    "it keeps in its state_keys, each an array of its group's values, as long as the "
                    "group's flat parameters, which a load takes back)"
                )
            if "step" not in state:  # step() counts on it: a state without one broke the next step
                raise ValueError(
                    f"{name} state of group {index} has no 'step' (the number of updates made); "
                    f"expected 'step' and any of {sorted(self.state_keys)}"
                )
            # a setting left out keeps the group's own (group.update below), not the default
            current = {k: v for k, v in self.param_groups[index].items() if k != "params"}
            self.check_group({**current, **settings})
            restored: dict[str, Any] = {}
            for key, value in state.items():
                if key == "step":
                    restored[key] = _saved_step(value)
                    continue
                array = as_float_array(
                    value, name=f"optimizer state {key!r} of group {index}", dtype=data.dtype
                )
                if array.shape != data.shape:
                    raise ValueError(
                        f"optimizer state {key!r} of group {index} has shape {array.shape}, expected {data.shape}"
                    )
                self.check_state(key, array, index)
                restored[key] = array.copy()
            self.check_buffers(restored, index)
            new_states.append(restored)
        # after the settings' names, which tell SGD's state from Adam's; Adam's and AdamW's have
        # the same names, and their weight decays differ
        kind = self._kind()
        saved_by = state_dict.get("optimizer", kind)  # a state built by hand may leave it out
        if saved_by != kind:
            raise ValueError(f"{name}.load_state_dict got a state saved by {shown(saved_by)}, not by {kind}")
        for group, settings in zip(self.param_groups, groups, strict=True):
            # copies, as torch's: a list of betas changed in place must not change the saved dict
            group.update(
                plain_settings({k: copy.deepcopy(v) for k, v in settings.items() if k in self.defaults})
            )
        self.state = new_states

    def _check_shapes(self, saved: Any, index: int) -> None:
        """Refuse a state saved for parameters of other shapes than group ``index``'s."""
        here = [tuple(parameter.data.shape) for parameter in self.param_groups[index]["params"]]
        if not isinstance(saved, list | tuple) or not all(_is_shape(shape) for shape in saved):
            raise ValueError(
                f"{type(self).__name__} state_dict: group {index}'s param_shapes must be a list of shapes "
                f"(lists of non-negative integers), got {shown(saved)}"
            )
        shapes = [tuple(int(size) for size in shape) for shape in saved]
        if shapes != here:
            raise ValueError(
                f"{type(self).__name__} state_dict was saved for parameters of shapes {shown(shapes)} in "
                f"group {index}; this optimizer's group {index} holds {shown(here)}"
            )

    def _saved_parts(self, state_dict: Any) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
        """The settings and the state of each group in ``state_dict``, refused unless there is one
        dict of each per parameter group (a group added by hand is named first: the saved
        state's count would be blamed for it)."""
        self._check_group_count()
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name} state_dict must be a dict with 'param_groups' and 'state', got {type(state_dict).__name__}"
            )
        groups, states = state_dict.get("param_groups"), state_dict.get("state")
        if isinstance(states, Mapping):  # torch.optim's: {parameter index: buffers}
            raise ValueError(
                f"{name}.load_state_dict takes glassnet's state_dict, whose 'state' is a list of one dict "
                "per parameter group; this one maps parameter indices to buffers, as torch.optim's does. "
                "Convert it: per group, concatenate each buffer's values over the group's parameters in "
                "order (np.concatenate of tensor.numpy().ravel()), make 'step' an int, and keep only the "
                f"settings {sorted(self.defaults)}"
            )
        if (
            not isinstance(groups, list)
            or not isinstance(states, list)
            or len(groups) != len(self.param_groups)
        ):
            raise ValueError(f"{name} state_dict must hold {len(self.param_groups)} parameter group(s)")
        if len(states) != len(groups):
            raise ValueError(f"{name} state_dict has {len(groups)} groups but {len(states)} states")
        for index, (settings, state) in enumerate(zip(groups, states, strict=True)):
            if not isinstance(settings, Mapping) or not isinstance(state, Mapping):
                raise TypeError(
                    f"{name} state_dict: group {index}'s settings and state must be dicts, "
                    f"got {type(settings).__name__} and {type(state).__name__}"
                )
        return groups, states

    def __repr__(self) -> str:
        """The settings each group is stepped with, read from ``param_groups`` (as torch's repr
        lists them per group), not ``defaults``: a scheduler, a group's own settings or
        ``load_state_dict`` change them. One group: one line, ``Adam(lr=0.0125, betas=…)``;
        several: one ``(group i): lr=…, …`` line each, as a Module lists its children."""
        name = type(self).__name__
        groups = [
            ", ".join(f"{key}={setting_text(value)}" for key, value in group.items() if key != "params")
            for group in self.param_groups
        ]
        if len(groups) <= 1:
            return f"{name}({''.join(groups)})"
        return f"{name}(\n" + "".join(f"  (group {i}): {text}\n" for i, text in enumerate(groups)) + ")"


def check_update_arrays(owner: str, param: Any, grad: Any, state: Any) -> None:
    """Refuse what a pure update function (``adam_update``, ``sgd_update``) cannot step in place:
    a ``param`` that is not a NumPy float array, a ``grad`` that is not one of ``param``'s shape
    (NumPy would broadcast it, or fail halfway through the update), a ``state`` not a dict."""
    _check_float_array(f"{owner} param", param, writeable=True)
    _check_float_array(f"{owner} grad", grad, shape=param.shape)
    if not isinstance(state, MutableMapping):
        raise TypeError(f"{owner} state must be a dict (updated in place), got {type(state).__name__}")


def check_update_buffer(owner: str, state: Mapping[str, Any], key: str, param: Array) -> None:
    """Refuse ``state[key]``, when present, unless it is a writeable float array of ``param``'s shape."""
    if key in state:
        _check_float_array(f"{owner} state[{key!r}]", state[key], shape=param.shape, writeable=True)


def _check_float_array(
    name: str, array: Any, *, shape: tuple[int, ...] | None = None, writeable: bool = False
) -> None:
    """TypeError unless ``array`` is a NumPy float array; ValueError unless it has ``shape``
    (param's, when given) and, with ``writeable``, can be updated in place."""
    refuse_array_subclass(name, array)
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        got = f"an array of {array.dtype}" if isinstance(array, np.ndarray) else type(array).__name__
        raise TypeError(f"{name} must be a NumPy array of floats, got {got}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have param's shape {shape}, got {array.shape}")
    if writeable and not array.flags.writeable:
        raise ValueError(f"{name} must be writeable: it is updated in place")


def _changed(group: dict[str, Any], checked: dict[str, Any]) -> bool:
    """Whether ``group`` differs from the copy of it last checked: a setting of another value, or
    of another type (np.float32(0.01) set by hand in place of the float it equals, which the check
    then makes a Python number again: left so, Adam's update computed in float32), in a tuple or
    list too (betas). A NumPy array of several numbers counts as changed."""
    if group.keys() != checked.keys():
        return True
    try:
        for key, value in group.items():
            old = checked[key]
            if value is old:
                continue
            if type(value) is not type(old) or bool(value != old):
                return True
            # the items' types too (betas); not the parameters', which step checks by identity
            if (
                key != "params"
                and type(value) in (tuple, list)
                and any(type(a) is not type(b) for a, b in zip(value, old, strict=True))
            ):
                return True
    except ValueError:  # "the truth value of an array with more than one element is ambiguous"
        return True
    return False


def _as_groups(params: ParamsLike) -> list[Mapping[str, Any]]:
    if isinstance(params, Parameter):
        raise TypeError("params must be an iterable of Parameters (model.parameters()), got one Parameter")
    if isinstance(params, Mapping):
        raise TypeError(
            "params must be an iterable of Parameters or a list of parameter groups, "
            "got one dict (a parameter group): put it in a list, [group]"
        )
    given: object = params  # as called: the annotation does not stop a caller
    if not isinstance(given, Iterable):  # SGD(model.parameters, …): the method, not its parameters
        hint = "; call it: model.parameters()" if callable(given) else ""
        raise TypeError(
            f"params must be an iterable of Parameters (model.parameters()) or a list of parameter "
            f"groups, got {type(given).__name__}{hint}"
        )
    items = list(params)
    if items and all(isinstance(item, Mapping) for item in items):
        for item in items:
            if "params" not in item:  # type: ignore[operator]
                raise ValueError("every parameter group must have a 'params' entry")
        return items  # type: ignore[return-value]
    return [{"params": items}]


def setting_text(value: Any) -> str:
    """A setting as Python writes it, NumPy scalars as plain numbers (0.9, not np.float64(0.9);
    a float32 with its own digits, 0.1, not 0.10000000149011612), in a tuple or list too."""
    if isinstance(value, tuple | list):
        items = ", ".join(map(setting_text, value))
        return (
            f"({items},)"
            if isinstance(value, tuple) and len(value) == 1
            else (f"({items})" if isinstance(value, tuple) else f"[{items}]")
        )
    if isinstance(value, np.floating):
        return repr(float(str(value)))  # str gives the shortest digits of the value's own type
    return repr(value.item() if isinstance(value, np.generic) else value)


def _is_shape(shape: Any) -> bool:
    """Whether ``shape`` is a list (or tuple) of sizes, integers ≥ 0 (bools are not sizes)."""
    return isinstance(shape, list | tuple) and all(
        isinstance(size, int | np.integer) and not isinstance(size, bool) and size >= 0 for size in shape
    )


def _saved_step(value: Any) -> int:
    """The step count of a saved state: a non-negative integer (an integral float too)."""
    number = (
        value
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
        else None
    )
    if number is None or not _is_whole(number) or number < 0:
        raise ValueError(f"optimizer state step must be a non-negative integer, got {value!r}")
    return int(number)


def _is_whole(number: float | np.integer | np.floating) -> bool:
    """Whether ``number`` is a whole number within float's range (no run counts 10**400 steps,
    and torch keeps the count as a float)."""
    try:
        return math.isfinite(number) and int(number) == number
    except OverflowError:  # an int past float's range
        return False


def plain_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` with NumPy scalars made Python numbers (in tuples and lists too, as Adam's betas),
    so that every update computes in float64 as torch's does: under NumPy 2 an ``np.float32(0.01)``
    rate times a Python float stays float32 (a float64 run drifted 3e-8 from torch in 200 steps)."""
    return {key: _plain(value) for key, value in settings.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 1:  # betas as an array: a tuple, as torch keeps them
        return tuple(_plain(item) for item in value)
    if isinstance(value, np.floating):  # float32's and longdouble's too (item() keeps a longdouble)
        return float(value)
    if isinstance(value, np.generic):  # np.int64(3), np.bool_(True): the Python number
        return value.item()
    if type(value) in (tuple, list):
        return type(value)(_plain(item) for item in value)
    return value


def _moved_message(optimizer: Optimizer, parameter: Parameter) -> str:
    return (
        f"{type(optimizer).__name__} cannot step {parameter}: its data is no longer the array the "
        "optimizer updates (it was replaced after the optimizer was built: by model.astype, by "
        "assigning p.data, or by building another optimizer on the same parameters). Change "
        "values in place (p.data[...] = values, model.load_state_dict), or build the optimizer "
        "afterwards"
    )


def _fuse(parameters: list[Parameter]) -> tuple[Array, Array]:
    """Move the parameters (of one dtype) into one flat data and one flat grad buffer; return both."""
    dtype = parameters[0].data.dtype  # one for the group (checked by the constructor)
    total = sum(parameter.size for parameter in parameters)
    data = np.empty(total, dtype=dtype)
    grad = np.empty(total, dtype=dtype)
    offset = 0
    for parameter in parameters:
        size, shape = parameter.size, parameter.data.shape
        without_grad = parameter._grad_is_zero  # read before .grad, which ends it
        data[offset : offset + size] = parameter.data.ravel()
        grad[offset : offset + size] = parameter.grad.ravel()
        # views into the flat buffers
        parameter.use_arrays(
            data[offset : offset + size].reshape(shape), grad[offset : offset + size].reshape(shape)
        )
        if without_grad:  # still none: step() skips a group of such parameters
            parameter.zero_grad()
        offset += size
    return data, grad
