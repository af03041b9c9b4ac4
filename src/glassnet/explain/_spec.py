"""JSON spec files for ``glassnet explain``: a network, an example, a loss, η, parameters.

The format (documented with examples in ``docs/explain.md``)::

    {
      "layers": [
        {"weight": [[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]], "bias": [1, 1, -4], "activation": "relu"},
        {"weight": [[0.5, -1, 0]], "bias": [3]}
      ],
      "x": [1, 2],
      "y": 0,
      "loss": "logistic",
      "labels": "01",
      "learning_rate": 0.1,
      "params": ["w12h"]
    }

Required: ``layers`` (each with ``weight`` (out × in rows) and ``bias`` (out values);
``activation`` is optional, "identity" by default), ``x``, ``y`` and ``loss``. Optional:
``labels`` ("01" or "pm1") and ``literal_labels`` (logistic loss only), ``reduction``,
``learning_rate`` (or ``eta``; 0.1), ``params``, ``all_params``, ``steps``, ``digits``,
``notation``, ``deltas``, ``title``, ``description`` (ignored). Unknown fields are errors,
so a misspelt one does not pass silently.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import Array, underflows
from glassnet._files import dash_hint, given_path
from glassnet.explain._api import MAX_STEPS, Explanation, _check_labels, _make_loss, explain
from glassnet.losses import LOSSES, REDUCTIONS, Loss
from glassnet.nn import Activation, Linear, Module, Sequential, get_activation

REQUIRED = ("layers", "x", "y", "loss")
OPTIONAL = (
    "labels",
    "literal_labels",
    "reduction",
    "learning_rate",
    "eta",
    "params",
    "all_params",
    "steps",
    "digits",
    "notation",
    "deltas",
    "title",
    "description",
)
LAYER_FIELDS = ("weight", "bias", "activation")


@dataclass(frozen=True)
class ExplainSpec:
    """A parsed spec: the model (a Sequential), the example, the loss and the options."""

    model: Sequential
    x: Array
    y: Array
    loss: Loss
    learning_rate: float = 0.1
    params: tuple[str, ...] | None = None
    all_params: bool = False
    steps: int | None = None  # None: only the step derived; k: also k steps of gradient descent
    digits: int = 6
    notation: str = "auto"
    deltas: bool | None = None
    title: str | None = None


def _show(value: Any, limit: int = 60) -> str:
    """``value`` as JSON for a message, cut to ``limit`` characters (a spec may hold anything)."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Underflow(ValueError):
    """A number written nonzero that float64 reads as 0."""


def _json_float(text: str) -> float:
    """A JSON number with a fraction or exponent as float64; one written nonzero that float64
    reads as 0 (1e-400, which would be shown and computed as 0) is refused, as the CLI's own
    options refuse it."""
    value = float(text)
    if underflows(text, value):
        raise _Underflow(f"{text} is 0 in float64 (below 5e-324); write 0 if 0 is meant")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any, where: str) -> float:
    if not _is_number(value):
        raise TypeError(f"{where} must be a number, got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float64's range
        raise ValueError(f"{where} is too large for a float64, got {_show(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{where} must be finite, got {number}")
    return number


def _vector(value: Any, where: str) -> Array:
    if _is_number(value):
        value = [value]
    if not isinstance(value, list) or not value:
        raise TypeError(f"{where} must be a number or a non-empty list of numbers, got {_show(value)}")
    return np.array([_number(v, f"{where}[{i}]") for i, v in enumerate(value)])


def _matrix(value: Any, where: str) -> Array:
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise TypeError(f"{where} must be a non-empty list of rows (a matrix, out x in), got {_show(value)}")
    width = len(value[0])
    rows = []
    for i, row in enumerate(value):
        if not row:
            raise ValueError(f"{where}[{i}] is empty, expected at least one value (one per input unit)")
        if len(row) != width:
            raise ValueError(
                f"{where}[{i}] has {len(row)} values, expected {width} like row 0 (rows of one length)"
            )
        rows.append([_number(v, f"{where}[{i}][{j}]") for j, v in enumerate(row)])
    return np.array(rows)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{where} must be true or false, got {_show(value)}")
    return value


def _int(value: Any, where: str, largest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TypeError(f"{where} must be a positive integer, got {_show(value)}")
    if value > largest:
        raise ValueError(f"{where} must be at most {largest}, got {_show(value)}")
    return value


def _string(value: Any, where: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a string, got {_show(value)}")
    if choices is not None and value not in choices:
        raise ValueError(f"{where} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _activation(value: Any, where: str) -> Activation:
    if isinstance(value, str):
        try:
            return get_activation(value)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        options = {k: v for k, v in value.items() if k != "name"}
        name = value["name"]
        try:
            cls = type(get_activation(name))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        # the options the class takes, named, rather than Python's "__init__() got an unexpected keyword"
        accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        unknown = sorted(set(options) - set(accepted), key=str)
        if unknown:
            takes = f"takes {', '.join(accepted)}" if accepted else "takes no options"
            raise TypeError(f"{where}: {name!r} {takes}, got {_show(unknown)}")
        try:
            return cls(**options)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None
    raise TypeError(
        f'{where} must be a name ("relu") or an object {{"name": ..., options}}, got {_show(value)}'
    )


def parse_spec(data: Any, *, source: str = "spec", literal_labels: bool | None = None) -> ExplainSpec:
    """Check a spec (parsed JSON) and build the model and loss; errors name the field.

    ``literal_labels`` (when not None) overrides the spec's own setting (the CLI's flag).
    """
    try:
        return _parse(data, literal_labels)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{source}: {error}") from None


def _parse(data: Any, literal_override: bool | None) -> ExplainSpec:
    if not isinstance(data, dict):
        raise TypeError(f"a spec must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; expected fields {', '.join(REQUIRED + OPTIONAL)}")
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise ValueError(f"missing field {missing[0]!r} (required: {', '.join(REQUIRED)})")
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise TypeError(f"layers must be a non-empty list of layers, got {_show(layers)}")
    modules: list[Module] = []
    state: dict[str, Array] = {}
    previous_out: int | None = None
    for index, layer in enumerate(layers):
        where = f"layers[{index}]"
        if not isinstance(layer, dict):
            raise TypeError(f"{where} must be an object with weight, bias, activation, got {_show(layer)}")
        extra = sorted(set(layer) - set(LAYER_FIELDS))
        if extra:
            raise ValueError(f"{where}: unknown field {extra[0]!r}; expected {', '.join(LAYER_FIELDS)}")
        for name in ("weight", "bias"):
            if name not in layer:
                raise ValueError(f"{where}: missing field {name!r}")
        weight = _matrix(layer["weight"], f"{where}.weight")
        bias = _vector(layer["bias"], f"{where}.bias")
        out, fan_in = weight.shape
        if bias.size != out:
            raise ValueError(f"{where}.bias has {bias.size} values, expected {out} (one per row of weight)")
        if previous_out is not None and fan_in != previous_out:
            raise ValueError(
                f"{where}.weight has {fan_in} columns, expected {previous_out} "
                f"(the rows of layers[{index - 1}].weight)"
            )
        previous_out = out
        linear = Linear(fan_in, out, rng=np.random.default_rng(0))
        state[f"{len(modules)}.weight"], state[f"{len(modules)}.bias"] = weight, bias
        modules.append(linear)
        activation = _activation(layer.get("activation", "identity"), f"{where}.activation")
        if activation.name != "identity":
            modules.append(activation)
    model = Sequential(*modules)
    model.load_state_dict(state)
    sizes = (layers_in := int(state["0.weight"].shape[1]), previous_out)
    x = _vector(data["x"], "x")
    if x.size != layers_in:
        raise ValueError(f"x has {x.size} values, expected {layers_in} (the columns of layers[0].weight)")
    y = _vector(data["y"], "y")
    if y.size != sizes[1]:
        raise ValueError(f"y has {y.size} values, expected {sizes[1]} (the rows of the last layer's weight)")
    loss_name = _string(data["loss"], "loss")
    if loss_name.lower() not in LOSSES:
        raise ValueError(f"unknown loss {loss_name!r}; expected one of {', '.join(LOSSES)}")
    labels = _string(data["labels"], "labels", ("01", "pm1")) if "labels" in data else None
    literal = _bool(data.get("literal_labels", False), "literal_labels")
    literal_name = "literal_labels"
    if literal_override is not None:
        literal, literal_name = literal_override, "literal_labels (--literal-labels)"
    reduction = data.get("reduction")
    if reduction is not None:
        reduction = _string(reduction, "reduction", REDUCTIONS)
    # refuses labels (given at all) and literal_labels (true) with any loss but the logistic
    loss = _make_loss(loss_name, labels, literal, reduction, literal_name=literal_name)  # type: ignore[arg-type]
    _check_labels(loss, y)
    if "learning_rate" in data and "eta" in data:
        raise ValueError("give learning_rate or eta, not both")
    eta_field = "eta" if "eta" in data else "learning_rate"
    eta = _number(data.get(eta_field, 0.1), eta_field)
    if eta < 0:
        raise ValueError(f"{eta_field} must be >= 0, got {eta}")
    params = data.get("params")
    if params is not None:
        if isinstance(params, str):
            params = [params]
        if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
            raise TypeError(
                f'params must be a name or a list of names ("w12h", "0.weight[0,1]"), got {_show(params)}'
            )
        params = tuple(params)
    deltas = data.get("deltas")
    return ExplainSpec(
        model=model,
        x=x,
        y=y,
        loss=loss,
        learning_rate=eta,
        params=params,
        all_params=_bool(data.get("all_params", False), "all_params"),
        steps=_int(data["steps"], "steps", MAX_STEPS) if "steps" in data else None,
        digits=_int(data.get("digits", 6), "digits", 17),
        notation=_string(data.get("notation", "auto"), "notation", ("auto", "ho", "numbered")),
        deltas=None if deltas is None else _bool(deltas, "deltas"),
        title=None if data.get("title") is None else _string(data["title"], "title"),
    )


class _DuplicateField(ValueError):
    """A JSON object names one field twice."""


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a field given twice is an error (json would keep the last silently)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateField(f"field {key!r} is given twice in one object; give it once")
        data[key] = value
    return data


def load_spec(path: str | os.PathLike[str], *, literal_labels: bool | None = None) -> ExplainSpec:
    """Read and check a JSON spec file (see the module docstring and docs/explain.md).

    Examples
    --------
    One linear unit, W = (0.5, −1), b = 0, on x = (1, 2) with target y = 0.5:

    >>> import json
    >>> from pathlib import Path
    >>> from glassnet.explain import explain_spec, load_spec
    >>> unit = {"layers": [{"weight": [[0.5, -1]], "bias": [0]}], "x": [1, 2], "y": 0.5, "loss": "mse"}
    >>> _ = Path("unit.json").write_text(json.dumps({**unit, "params": ["w12^1"]}))
    >>> spec = load_spec("unit.json")
    >>> spec.model
    Sequential(
      (0): Linear(in_features=2, out_features=1)
    )
    >>> spec.x, spec.y, spec.loss, spec.learning_rate  # η not given: 0.1
    (array([1., 2.]), array([0.5]), MSELoss(reduction='mean'), 0.1)
    >>> explain_spec(spec, check_torch=False).param().engine  # ∂L/∂w₁₂ = 2(ŷ − y)·x₂ = 2(−2)·2
    -8.0

    A misspelt field is an error, not ignored:

    >>> _ = Path("typo.json").write_text(json.dumps({**unit, "learning_rte": 0.1}))
    >>> load_spec("typo.json")
    Traceback (most recent call last):
        ...
    ValueError: typo.json: unknown field 'learning_rte'; expected fields layers, x, y, loss, ...
    """
    file = given_path(path, "spec")
    if file.is_dir():
        if any((file / name).is_file() for name in ("model.npz", "checkpoint.npz")):  # a likely mistake
            raise IsADirectoryError(
                f"spec {str(file)!r} is a training run's folder; explain reads a network spec, a JSON file "
                "such as examples/exercise.json (docs/explain.md), not a trained model"
            )
        raise IsADirectoryError(f"spec {str(file)!r} is a folder; expected a JSON file")
    if not file.exists():
        raise FileNotFoundError(f"spec file {str(file)!r} not found{dash_hint(file)}")
    if file.is_char_device() or file.is_block_device():  # /dev/zero would be read without end
        raise ValueError(f"spec {str(file)!r} is a device; expected a JSON file")
    raw = file.read_bytes()  # a pipe (<(cat spec.json)) too, read once
    if raw.startswith(b"PK\x03\x04"):
        raise ValueError(
            f"{file}: is a zip archive (a glassnet model file, say), not a spec; expected a JSON file "
            "such as examples/exercise.json (docs/explain.md)"
        )
    try:
        # UTF-8 with or without a byte-order mark, as Windows editors write it, and UTF-16 and
        # UTF-32 (Notepad's "Unicode"), as json.loads tells them apart from bytes
        text = raw.decode(json.detect_encoding(raw))
        data = json.loads(text, object_pairs_hook=_unique_fields, parse_float=_json_float)
    except _Underflow as error:
        raise ValueError(f"{file}: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{file}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{file}: not UTF-8 text: {error}") from None
    except _DuplicateField as error:
        raise ValueError(f"{file}: {error}") from None
    except RecursionError:
        raise ValueError(f"{file}: not a spec: JSON nested too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise ValueError(f"{file}: not valid JSON: {error}") from None
    return parse_spec(data, source=str(file), literal_labels=literal_labels)


def explain_spec(
    spec: ExplainSpec | str | os.PathLike[str] | dict[str, Any],
    *,
    params: str | Sequence[str] | None = None,
    all_params: bool | None = None,
    steps: int | None = None,
    digits: int | None = None,
    literal_labels: bool | None = None,
    check_torch: bool = True,
    x: npt.ArrayLike | None = None,
    y: npt.ArrayLike | None = None,
    learning_rate: float | None = None,
) -> Explanation:
    """The explanation a spec describes; the keyword arguments override the spec's options, and
    ``x``, ``y`` and ``learning_rate`` its example and η (one spec, another step: a variant of
    an exercise).

    Examples
    --------
    The exercise's network (``examples/exercise.json``), with the label y = 0:

    >>> from glassnet.explain import explain_spec
    >>> spec = {
    ...     "layers": [
    ...         {"weight": [[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]], "bias": [1, 1, -4], "activation": "relu"},
    ...         {"weight": [[0.5, -1, 0]], "bias": [3]},
    ...     ],
    ...     "x": [1, 2], "y": 0, "loss": "logistic", "learning_rate": 0.1, "params": ["w12h"],
    ... }
    >>> e = explain_spec(spec, check_torch=False)
    >>> e.derivation.loss.prediction, round(e.derivation.loss.value, 6)  # ŷ = 2, L = log(1 + e²)
    (array([2.]), 2.126928)
    >>> round(e.param("w12h").engine, 6), round(e.param("w12h").updated, 6)  # σ(2), 0.4 − 0.1 σ(2)
    (0.880797, 0.31192)
    >>> print(e)  # the worked solution
    Worked solution: a 2-3-1 network, logistic loss
    ...
      ∂L/∂w₁₂ʰ = 0.880797 · 0.5 · 1 · 2 = 0.880797
    ...

    The keyword arguments override the spec's own: another label, the same network:

    >>> e = explain_spec(spec, y=1, check_torch=False)
    >>> round(e.param("w12h").engine, 6)  # −σ(−2) · 0.5 · 1 · 2
    -0.119203
    """
    source = "spec"
    if isinstance(spec, ExplainSpec) and literal_labels is not None:
        # a parsed spec's loss is made: the keyword would be dropped, silently
        raise TypeError(
            "explain_spec takes literal_labels with a spec's file or dict only; a parsed ExplainSpec has "
            "its loss made already: pass literal_labels to parse_spec or load_spec"
        )
    if isinstance(spec, dict):
        spec = parse_spec(spec, literal_labels=literal_labels)
    elif not isinstance(spec, ExplainSpec):
        source = str(spec)
        spec = load_spec(spec, literal_labels=literal_labels)
    given = [
        name for name, value in (("x", x), ("y", y), ("learning_rate", learning_rate)) if value is not None
    ]
    if given:  # a fault in them is not the file's
        source += f" with the {', '.join(given)} given"
    try:  # explain refuses numbers that overflow float64
        return _explain_parsed(
            spec, params, all_params, steps, digits, check_torch, x=x, y=y, learning_rate=learning_rate
        )
    except (TypeError, ValueError) as error:
        raise type(error)(f"{source}: {error}") from None


def _explain_parsed(
    spec: ExplainSpec,
    params: str | Sequence[str] | None,
    all_params: bool | None,
    steps: int | None,
    digits: int | None,
    check_torch: bool,
    *,
    x: npt.ArrayLike | None = None,
    y: npt.ArrayLike | None = None,
    learning_rate: float | None = None,
) -> Explanation:
    """``explain`` with the spec's options, each overridden by an argument that is not None."""
    return explain(
        spec.model,
        spec.x if x is None else x,
        spec.y if y is None else y,
        loss=spec.loss,
        learning_rate=spec.learning_rate if learning_rate is None else learning_rate,
        params=spec.params if params is None else params,
        all_params=spec.all_params if all_params is None else all_params,
        steps=spec.steps if steps is None else steps,
        digits=spec.digits if digits is None else digits,
        notation=spec.notation,
        deltas=spec.deltas,
        check_torch=check_torch,
        title=spec.title,
    )
