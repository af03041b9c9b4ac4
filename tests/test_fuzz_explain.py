"""Fuzzing explain's JSON specs: every mutated or random spec gives an explanation or one clear error.

The outcome of each case is an :class:`Explanation` that renders, or a ValueError/TypeError/
OSError whose message names the spec; never another exception (OverflowError,
RecursionError, FloatingPointError, KeyError, ...) and, at the CLI, never a traceback.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from glassnet.cli import main
from glassnet.explain import explain_spec, parse_spec
from test_explain_spec import VALID as VALID_SPEC

USER_ERRORS = (ValueError, TypeError, OSError)
FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

VALID: dict[str, Any] = {**VALID_SPEC, "learning_rate": 0.1}  # the exercise, as test_explain_spec writes it

# Values that break a field: wrong types, NaN/inf, huge, tiny, deep nesting, unknown names.
ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            0,
            -1,
            10**400,  # an integer no float can hold
            -(10**30),
            1e308,
            -1e308,
            5e-324,
            math.nan,
            math.inf,
            -math.inf,
            "",
            "relu",
            "nonsense",
            "w99h",
            "0.weight[9,9]",
            [],
            [[]],
            [[1.0], [2.0, 3.0]],
            [1e300, -1e300],
            [[1e200, 1e200], [1e200, 1e200], [1e200, 1e200]],
            {},
            {"name": "leaky_relu", "negative_slope": "x"},
            {"name": "leaky_relu", "negative_slope": 1e400 if False else 1e308},
            {"name": "softplus", "beta": 0},
            {"name": "nope"},
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
        ),
        max_leaves=12,
    ),
)

# Paths to every field and sub-field of VALID.
PATHS: list[tuple[Any, ...]] = [
    ("layers",),
    ("layers", 0),
    ("layers", 0, "weight"),
    ("layers", 0, "weight", 1),
    ("layers", 0, "weight", 1, 0),
    ("layers", 0, "bias"),
    ("layers", 0, "bias", 2),
    ("layers", 0, "activation"),
    ("layers", 1),
    ("layers", 1, "weight"),
    ("layers", 1, "weight", 0, 2),
    ("layers", 1, "bias"),
    ("layers", 1, "activation"),
    ("x",),
    ("x", 0),
    ("y",),
    ("loss",),
    ("labels",),
    ("literal_labels",),
    ("reduction",),
    ("learning_rate",),
    ("eta",),
    ("params",),
    ("params", 0),
    ("all_params",),
    ("steps",),
    ("digits",),
    ("notation",),
    ("deltas",),
    ("title",),
    ("surprise",),
    ("layers", 0, "surprise"),
]


def _set(spec: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(spec: dict[str, Any], path: tuple[Any, ...]) -> None:
    node: Any = spec
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    elif isinstance(node, list) and len(node) > path[-1]:
        del node[path[-1]]


def outcome(spec: Any) -> str:
    """ "ok" when the spec explains and renders in every format, else the user error's class name."""
    try:
        explanation = explain_spec(spec, check_torch=False) if isinstance(spec, dict) else parse_spec(spec)
        if not isinstance(spec, dict):
            return "ok"
        for fmt in ("text", "json", "markdown"):
            assert explanation.render(fmt)
    except USER_ERRORS as error:
        message = str(error)
        assert message and "\n" not in message.strip(), message
        event(f"refused: {type(error).__name__}")
        return type(error).__name__
    event("explained")
    return "ok"


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    action=st.sampled_from(["set", "delete"]),
    value=ODD_VALUES,
    second=st.sampled_from(PATHS),
    second_value=ODD_VALUES,
)
def test_mutated_specs_explain_or_fail_clearly(
    path: tuple[Any, ...], action: str, value: Any, second: tuple[Any, ...], second_value: Any
) -> None:
    spec = copy.deepcopy(VALID)
    try:
        if action == "set":
            _set(spec, path, value)
        else:
            _delete(spec, path)
        _set(spec, second, second_value)
    except (KeyError, IndexError, TypeError):  # the first change removed what the second path needs
        pass
    outcome(spec)


@FUZZ
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=6),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(
                st.sampled_from([*VALID, "eta", "steps", "weight", "bias", "zz"]), children, max_size=6
            )
        ),
        max_leaves=30,
    )
)
def test_random_json_values_are_refused_clearly(data: Any) -> None:
    outcome(data)


@FUZZ
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    scale=st.sampled_from([1e-300, 1e-30, 1.0, 1e4, 1e30, 1e100, 1e200, 1e300]),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "softplus", "identity", "leaky_relu"]),
    loss=st.sampled_from(["logistic", "mse", "half_sse", "bce"]),
    seed=st.integers(0, 2**16),
)
def test_well_formed_specs_with_extreme_numbers(
    sizes: list[int], scale: float, activation: str, loss: str, seed: int
) -> None:
    """Shapes agree; the numbers go up to 1e300, so forward passes and gradients may overflow."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes[-1] = 1
    layers = [
        {
            "weight": (rng.normal(size=(b, a)) * scale).tolist(),
            "bias": (rng.normal(size=b) * scale).tolist(),
            "activation": activation if i < len(sizes) - 2 else ("sigmoid" if loss == "bce" else "identity"),
        }
        for i, (a, b) in enumerate(itertools.pairwise(sizes))
    ]
    y = float(rng.integers(0, 2)) if loss in ("logistic", "bce") else float(rng.normal() * scale)
    spec = {"layers": layers, "x": (rng.normal(size=sizes[0]) * scale).tolist(), "y": y, "loss": loss}
    spec["all_params"] = True
    spec["steps"] = int(rng.integers(1, 4))
    assert outcome(spec) in ("ok", "ValueError")


def test_deep_nesting_and_huge_numbers_in_a_file(tmp_path: Path) -> None:
    """Parsing the file itself: nesting deeper than Python's recursion limit, integers of 10⁵ digits."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="nested too deeply"):
        explain_spec(deep, check_torch=False)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(VALID).replace('"x": [1, 2]', '"x": [1' + "0" * 100_000 + ", 2]"))
    with pytest.raises(ValueError, match=str(huge)):
        explain_spec(huge, check_torch=False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
@given(path=st.sampled_from(PATHS), value=ODD_VALUES)
def test_cli_gives_one_line_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: tuple[Any, ...], value: Any
) -> None:
    spec = copy.deepcopy(VALID)
    _set(spec, path, value)
    file = tmp_path / "spec.json"
    file.write_text(json.dumps(spec, allow_nan=True))
    status = main(["explain", str(file), "--no-torch"])
    err = capsys.readouterr().err
    assert status in (0, 2)
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("glassnet explain: error: "), err


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1, 2]",
        '{"layers": ' + "[" * 50_000 + "]" * 50_000 + "}",
        json.dumps({**VALID, "x": [10**400, 1]}),
        json.dumps({**VALID, "x": [math.nan, 1]}),
        json.dumps({**VALID, "layers": [{"weight": [[1e308, 1e308]], "bias": [1e308]}]}).replace(
            '"y": 0', '"y": 1'
        ),
        json.dumps({**VALID, "steps": 10**12}),
        json.dumps({**VALID, "loss": "hinge"}),
    ],
)
def test_cli_subprocess_one_line(tmp_path: Path, text: str) -> None:
    file = tmp_path / "spec.json"
    file.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "explain", str(file), "--no-torch"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout[-500:]
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
