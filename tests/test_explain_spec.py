"""JSON specs for glassnet explain: the examples work, every bad spec gets one clear message."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from glassnet.explain import explain_spec, load_spec, parse_spec
from glassnet.explain._symbols import Style
from glassnet.nn import stable_sigmoid

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

VALID: dict[str, Any] = {
    "layers": [
        {"weight": [[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]], "bias": [1, 1, -4], "activation": "relu"},
        {"weight": [[0.5, -1, 0]], "bias": [3]},
    ],
    "x": [1, 2],
    "y": 0,
    "loss": "logistic",
    "params": ["w12h"],
}


def test_valid_spec_reproduces_the_consistent_reading() -> None:
    e = explain_spec(VALID, check_torch=False)
    assert e.derivation.loss.value == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-12)
    assert e.param("w12h").engine == pytest.approx(float(stable_sigmoid(2.0)), abs=1e-12)
    assert [name for name, _ in parse_spec(VALID).model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_examples(path: Path) -> None:
    e = explain_spec(path, check_torch=False)
    for record in e.derivation.params:
        assert record.delta_form == pytest.approx(record.engine, abs=1e-12)
        assert record.numeric == pytest.approx(record.engine, abs=1e-7)


def test_literal_example_is_the_sheet() -> None:
    e = explain_spec(EXAMPLES / "exercise_as_written.json", check_torch=False)
    assert e.param("w12h").engine == pytest.approx(3 * float(stable_sigmoid(6.0)), abs=1e-12)


def test_overrides() -> None:
    e = explain_spec(VALID, params=["b1o"], steps=2, digits=3, all_params=True, check_torch=False)
    assert [r.ref.dotted for r in e.derivation.params] == ["2.bias[0]"]
    assert len(e.derivation.steps) == 2 and e.digits == 3 and e.derivation.table is not None


def _mutate(path: str, value: Any) -> dict[str, Any]:
    """VALID with the field at ``path`` ("layers.0.weight") set to value, or removed (DELETE)."""
    spec = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: Any = spec
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return spec


DELETE = object()

BAD = [
    ("layers", DELETE, ValueError, r"missing field 'layers'"),
    ("x", DELETE, ValueError, r"missing field 'x'"),
    ("y", DELETE, ValueError, r"missing field 'y'"),
    ("loss", DELETE, ValueError, r"missing field 'loss'"),
    ("layers.0.weight", DELETE, ValueError, r"layers\[0\]: missing field 'weight'"),
    ("layers.1.bias", DELETE, ValueError, r"layers\[1\]: missing field 'bias'"),
    ("layers", [], TypeError, r"layers must be a non-empty list"),
    ("layers.0", [1, 2], TypeError, r"layers\[0\] must be an object"),
    ("layers.0.weight", [[0.2, 0.4], [0.8], [2.0, 0.5]], ValueError, r"weight\[1\] has 1 values, expected 2"),
    ("layers.0.weight", [0.2, 0.4], TypeError, r"layers\[0\]\.weight must be a non-empty list of rows"),
    # an empty first row once read "has 0 values, expected 0 like row 0"
    (
        "layers.0.weight",
        [[], [], []],
        ValueError,
        r"layers\[0\]\.weight\[0\] is empty, expected at least one",
    ),
    ("layers.0.weight", [[0.2, 0.4], [], [2.0, 0.5]], ValueError, r"weight\[1\] is empty, expected at least"),
    ("layers.0.bias", [1, 1], ValueError, r"layers\[0\]\.bias has 2 values, expected 3"),
    ("layers.1.weight", [[0.5, -1]], ValueError, r"layers\[1\]\.weight has 2 columns, expected 3"),
    ("x", [1, 2, 3], ValueError, r"x has 3 values, expected 2"),
    ("y", [0, 1], ValueError, r"y has 2 values, expected 1"),
    (
        "layers.0.weight",
        [[0.2, "abc"], [0.8, 0.1], [2.0, 0.5]],
        TypeError,
        r"weight\[0\]\[1\] must be a number",
    ),
    ("layers.0.bias", [1, True, -4], TypeError, r"bias\[1\] must be a number, got true"),
    ("x", "1, 2", TypeError, r"x must be a number or a non-empty list of numbers"),
    ("y", None, TypeError, r"y must be a number or a non-empty list"),
    ("layers.0.activation", "relux", ValueError, r"layers\[0\]\.activation: unknown activation 'relux'"),
    ("layers.0.activation", 3, TypeError, r"layers\[0\]\.activation must be a name"),
    # the options the activation takes named, not Python's "__init__() got an unexpected keyword"
    (
        "layers.0.activation",
        {"name": "leaky_relu", "slope": 2},
        TypeError,
        r"^spec: layers\[0\]\.activation: 'leaky_relu' takes negative_slope, got \[\"slope\"\]$",
    ),
    (
        "layers.0.activation",
        {"name": "relu", "slope": 2},
        TypeError,
        r"^spec: layers\[0\]\.activation: 'relu' takes no options, got \[\"slope\"\]$",
    ),
    (
        "layers.0.activation",
        {"name": "leaky_relu", "negative_slope": "x"},
        TypeError,
        r"^spec: layers\[0\]\.activation: LeakyReLU negative_slope must be a number, got 'x' \(str\)$",
    ),
    ("layers.0.colour", "red", ValueError, r"layers\[0\]: unknown field 'colour'"),
    ("loss", "hinge", ValueError, r"unknown loss 'hinge'"),
    ("loss", 3, TypeError, r"loss must be a string"),
    ("labels", "pm2", ValueError, r"labels must be one of 01, pm1"),
    (
        "y",
        -1,
        ValueError,
        r"^spec: y: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got -1; use labels='pm1' for "
        r"the other convention, or literal_labels \(--literal-labels\) to apply the formula to y as written$",
    ),
    ("y", 0.5, ValueError, r"^spec: y: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got 0\.5; "),
    ("lerning_rate", 0.1, ValueError, r"unknown field 'lerning_rate'"),
    ("learning_rate", -0.1, ValueError, r"learning_rate must be >= 0"),
    ("learning_rate", "fast", TypeError, r"learning_rate must be a number"),
    ("eta", "fast", TypeError, r"^spec: eta must be a number, got \"fast\"$"),  # the field given, by name
    ("eta", -0.5, ValueError, r"^spec: eta must be >= 0, got -0\.5$"),
    ("steps", 0, TypeError, r"steps must be a positive integer"),
    ("literal_labels", "yes", TypeError, r"literal_labels must be true or false"),
    ("params", ["w41h"], ValueError, r"no parameter 'w41h'"),
    ("params", ["w12^3"], ValueError, r"no layer 3"),
    ("params", ["7.bias[0]"], ValueError, r"no parameter '7\.bias\[0\]'"),
    ("params", [3], TypeError, r"params must be a name or a list of names"),
    ("notation", "greek", ValueError, r"notation must be one of auto, ho, numbered"),
]


@pytest.mark.parametrize(
    "path, value, error, match",
    BAD,
    ids=[f"{p}={'<deleted>' if v is DELETE else repr(v)}"[:40] for p, v, *_ in BAD],
)
def test_bad_spec(path: str, value: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        explain_spec(_mutate(path, value), check_torch=False)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("spec: ")


@pytest.mark.parametrize("loss", ["mse", "half_sse", "bce"])
@pytest.mark.parametrize(
    ("fields", "override", "given"),
    [
        ({"labels": "01"}, None, "labels"),
        ({"literal_labels": True}, None, "literal_labels"),
        ({}, True, "literal_labels (--literal-labels)"),
        ({"literal_labels": False}, True, "literal_labels (--literal-labels)"),
    ],
    ids=["labels field", "literal_labels field", "literal_labels keyword", "keyword over a false field"],
)
def test_label_options_of_another_loss_are_refused(
    loss: str, fields: dict[str, Any], override: bool | None, given: str
) -> None:
    """An mse spec with literal_labels true (or the CLI's --literal-labels) was explained as if it
    were absent: only the logistic loss checks labels, so it is refused, as labels is."""
    spec = {**VALID, "loss": loss, **fields}
    expected = rf"^spec: {re.escape(given)} applies to the logistic loss only, got loss '{loss}'$"
    with pytest.raises(ValueError, match=expected):
        parse_spec(spec, literal_labels=override)
    with pytest.raises(ValueError, match=expected):
        explain_spec(spec, literal_labels=override, check_torch=False)


@pytest.mark.parametrize("loss", ["mse", "half_sse"])
def test_literal_labels_false_is_accepted_with_any_loss(loss: str) -> None:
    plain = explain_spec({**VALID, "loss": loss}, check_torch=False).to_text()
    assert (
        explain_spec({**VALID, "loss": loss, "literal_labels": False}, check_torch=False).to_text() == plain
    )
    assert explain_spec({**VALID, "loss": loss}, literal_labels=False, check_torch=False).to_text() == plain


@pytest.mark.parametrize("literal_labels", [True, False])
def test_a_parsed_spec_refuses_the_literal_labels_keyword(literal_labels: bool) -> None:
    """Its loss is made at parsing: explain_spec dropped the keyword, silently."""
    parsed = parse_spec(VALID)
    with pytest.raises(
        TypeError, match=r"^explain_spec takes literal_labels with a spec's file or dict only; a parsed"
    ):
        explain_spec(parsed, literal_labels=literal_labels, check_torch=False)
    assert (
        explain_spec(parsed, check_torch=False).to_text() == explain_spec(VALID, check_torch=False).to_text()
    )


def test_an_empty_params_list_is_refused_not_replaced_by_the_specs() -> None:
    """explain_spec(spec, params=[]) explained the spec's own params, silently; explain() refuses []."""
    with pytest.raises(
        ValueError, match=r"^spec: params must name at least one parameter, got an empty list$"
    ):
        explain_spec({**VALID, "params": ["w11h"]}, params=[], check_torch=False)


def test_spec_must_be_an_object() -> None:
    with pytest.raises(TypeError, match="a spec must be a JSON object, got list"):
        parse_spec([1, 2])


def test_literal_labels_allows_the_sheets_label() -> None:
    e = explain_spec({**VALID, "y": -1, "literal_labels": True}, check_torch=False)
    assert e.derivation.loss.literal and e.derivation.loss.outside


def test_load_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_spec(tmp_path / "missing.json")
    with pytest.raises(IsADirectoryError, match=r"^spec '.*' is a folder; expected a JSON file$"):
        load_spec(tmp_path)  # it said "not found"
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.npz").write_bytes(b"PK\x03\x04")
    with pytest.raises(
        IsADirectoryError, match=r"^spec '.*run' is a training run's folder; explain reads a network spec"
    ):
        load_spec(run)  # "is a folder" alone, where its model.npz was named as a zip archive
    broken = tmp_path / "broken.json"
    broken.write_text('{"layers": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON: .* line 1"):
        load_spec(broken)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**VALID, "y": [[0, 1]]}), encoding="utf-8")
    with pytest.raises(TypeError, match=r"good\.json: y\[0\] must be a number"):
        load_spec(good)


def test_a_field_given_twice_is_an_error(tmp_path: Path) -> None:
    """json.loads keeps the last of two equal keys; a spec must not change its label silently."""
    text = json.dumps(VALID)
    twice = tmp_path / "twice.json"
    twice.write_text(text.replace('"y": 0', '"y": 0, "y": 1'), encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"^.*twice\.json: field 'y' is given twice in one object; give it once$"
    ):
        load_spec(twice)
    inner = tmp_path / "inner.json"
    inner.write_text(text.replace('"bias": [3]', '"bias": [3], "bias": [4]'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"inner\.json: field 'bias' is given twice"):
        load_spec(inner)


BCE_SPEC: dict[str, Any] = {
    "layers": [
        {
            "weight": [[0.2, -0.4], [0.8, 0.1]],
            "bias": [1, -3],
            "activation": {"name": "leaky_relu", "negative_slope": 0.1},
        },
        {"weight": [[0.5, -1]], "bias": [0.1], "activation": "sigmoid"},
    ],
    "x": [1, 2],
    "y": 1,
    "loss": "bce",
    "reduction": "sum",
    "params": ["w21h"],
}
HALF_SSE_SPEC: dict[str, Any] = {
    "layers": [{"weight": [[0.2, -0.4], [0.8, 0.1]], "bias": [0.1, -0.3], "activation": "tanh"}],
    "x": [1, 2],
    "y": [0.5, -0.5],
    "loss": "half_sse",
    "reduction": "mean",
    "params": ["w11^1"],
}

LOGISTIC_SPEC: dict[str, Any] = {
    "layers": [
        {"weight": [[0.2, -0.4], [0.8, 0.1]], "bias": [0.1, -0.3], "activation": "tanh"},
        {"weight": [[0.5, -1], [1.5, 0.3]], "bias": [0.1, 0.2]},
    ],
    "x": [1, 2],
    "y": [1, 0],
    "loss": "logistic",
    "reduction": "mean",
    "params": ["w11^2"],
}
BCE_OUTPUTS_SPEC: dict[str, Any] = {
    **LOGISTIC_SPEC,
    "layers": [LOGISTIC_SPEC["layers"][0], {**LOGISTIC_SPEC["layers"][1], "activation": "sigmoid"}],
    "loss": "bce",
}


@pytest.mark.parametrize(
    ("spec", "lines"),
    [
        (
            BCE_SPEC,
            [
                "  L = -[y · log(ŷ) + (1 − y) · log(1 − ŷ)] = -[1 · log(0.622459) + (1 − 1) · log(1 − 0.622459)]",
                "  ∂L/∂ŷ = ((ŷ − y)/(ŷ(1 − ŷ))) = ((0.622459 − 1)/(0.622459 · (1 − 0.622459)))",  # = -1.60653 below
            ],
        ),
        (
            HALF_SSE_SPEC,
            [
                "  ∂L/∂ŷ₁ = (1/2)(ŷ₁ − y₁) = (1/2)(-0.462117 − 0.5) = -0.481059",
                "  ∂L/∂ŷ₂ = (1/2)(ŷ₂ − y₂) = (1/2)(0.604368 − (-0.5)) = 0.552184",
            ],
        ),
        (
            LOGISTIC_SPEC,
            [
                "  ∂L/∂ŷ₁ = (1/2)(1 − 2y₁)σ((1 − 2y₁)ŷ₁) = (1/2) · (-1) · σ(0.735426) = -0.337997",
                "  ∂L/∂ŷ₂ = (1/2)(1 − 2y₂)σ((1 − 2y₂)ŷ₂) = (1/2) · 1 · σ(-0.311865) = 0.21133",
            ],
        ),
        (
            {**LOGISTIC_SPEC, "labels": "pm1", "y": [1, -1]},
            [
                "  ∂L/∂ŷ₁ = -(1/2)y₁σ(-y₁ŷ₁) = (1/2) · (-1) · σ(0.735426) = -0.337997",
                "  ∂L/∂ŷ₂ = -(1/2)y₂σ(-y₂ŷ₂) = (1/2) · 1 · σ(-0.311865) = 0.21133",
            ],
        ),
    ],
    ids=["bce", "half_sse mean of 2", "logistic mean of 2", "logistic pm1 mean of 2"],
)
def test_written_formulas_give_the_values_they_show(spec: dict[str, Any], lines: list[str]) -> None:
    """A fraction's compound parts and a scaled difference are bracketed: as written, each line
    evaluates to the value it shows ((0.622459 − 1)/(0.622459 · 0.377541) = −1.60653). The 1/K of
    a logistic mean is followed by a dot before a number ("(1/2)1 · σ(3.31)" read as ½1), and
    stands after the sign of −y ("(1/2)-yσ(…)" read as ½ − y)."""
    text = explain_spec(spec, check_torch=False).to_text().splitlines()
    for line in lines:
        assert line in text


def test_latex_of_a_logistic_mean_puts_a_dot_after_the_half() -> None:
    tex = explain_spec(LOGISTIC_SPEC, check_torch=False).to_latex()
    assert r"\frac{1}{2} \cdot 1 \cdot \sigma(-0.311865)" in tex and r"\frac{1}{2}1" not in tex


def test_loss_of_several_outputs_has_one_row_per_output() -> None:
    """The K terms of the loss on one row ran off the LaTeX page (244 pt for two BCE outputs) and read
    "… + -[…]"; now each ℓₖ has its row, then L = (1/K)[ℓ₁ + …], alike in every format."""
    e = explain_spec(BCE_OUTPUTS_SPEC, check_torch=False)
    rows = [
        "  ℓₖ = -[yₖ · log(ŷₖ) + (1 − yₖ) · log(1 − ŷₖ)]",
        "  ℓ₁ = -[1 · log(0.324005) + (1 − 1) · log(1 − 0.324005)] = 1.127",
        "  ℓ₂ = -[0 · log(0.422659) + (1 − 0) · log(1 − 0.422659)] = 0.549323",
        "  L  = (1/2)Σₖ ℓₖ",
        "     = (1/2)[ℓ₁ + ℓ₂]",
        "     = (1/2)[1.127 + 0.549323]",
        "     = 0.83816",
    ]
    assert "\n".join(rows) + "\n" in e.to_text()
    latex = [
        r"\ell_{1} &= -\left[1 \cdot \log\left(0.324005\right) + (1 - 1) \cdot \log\left(1 - 0.324005\right)\right]"
        r" = 1.127 \\",
        r"L &= \frac{1}{2}\sum_{k} \ell_{k} \\",
        r" &= \frac{1}{2}\left[\ell_{1} + \ell_{2}\right] \\",
        r" &= \frac{1}{2}\left[1.127 + 0.549323\right] \\",
    ]
    for rendered in (e.to_latex(), e.to_markdown()):
        lines = rendered.splitlines()
        assert all(line in lines for line in latex), rendered
    for rendered in (e.to_text(), e.to_markdown(), e.to_latex()):
        assert "+ -" not in rendered


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (HALF_SSE_SPEC, "Half the squared error of each output. $L$ is the mean of the 2 per-output losses"),
        (
            {**HALF_SSE_SPEC, "reduction": "sum"},
            "Half the squared error of each output. $L$ is the sum of the 2 per-output losses",
        ),
        (
            {**HALF_SSE_SPEC, "loss": "mse", "reduction": "sum"},
            "Squared error of each output. $L$ is the sum of the 2 per-output losses",
        ),
    ],
    ids=["half_sse mean", "half_sse sum", "mse sum"],
)
def test_loss_description_says_mean_or_sum(spec: dict[str, Any], words: str) -> None:
    """A mean of half squared errors was described as "Half the sum of squared errors", a sum of
    squared errors as "Mean squared error over the outputs"."""
    assert words in explain_spec(spec, check_torch=False).to_markdown()


@pytest.mark.parametrize(("outputs", "factor"), [(2, ""), (3, "(2/3)"), (4, "(1/2)")])
def test_mse_mean_writes_its_factor_in_lowest_terms(outputs: int, factor: str) -> None:
    """∂L/∂ŷₖ of a mean squared error over K outputs is (2/K)(ŷₖ − yₖ): for K = 2 it read
    "(2/2)(ŷ₁ − y₁) = (2/2) · (…)", a quotient left unworked. Now the factor is in lowest terms,
    and a factor of 1 is not written."""
    spec = {
        "layers": [
            {
                "weight": [[0.3, -0.2 * k] for k in range(outputs)],
                "bias": [0.1] * outputs,
                "activation": "tanh",
            }
        ],
        "x": [1, 2],
        "y": [0.5 - 0.25 * k for k in range(outputs)],
        "loss": "mse",
        "reduction": "mean",
        "params": ["w11^1"],
    }
    e = explain_spec(spec, check_torch=False)
    rec, style = e.derivation.loss, Style(6)
    difference = f"{style.num(float(rec.prediction[0]))} − {style.par(float(rec.target[0]))}"
    worked = f"{factor}(ŷ₁ − y₁) = {factor} · ({difference})" if factor else f"ŷ₁ − y₁ = {difference}"
    assert f"  ∂L/∂ŷ₁ = {worked} = {style.num(float(rec.grad[0]))}" in e.to_text().splitlines()
    unreduced = f"(2/{outputs})"
    assert (unreduced in e.to_text()) == (factor == unreduced)
    latex_unreduced = rf"\frac{{2}}{{{outputs}}}"
    for rendered in (e.to_markdown(), e.to_latex()):
        assert (latex_unreduced in rendered) == (factor == unreduced)
