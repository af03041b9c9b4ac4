"""glassnet.explain: the exercise's numbers, random networks against three oracles, the API."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from conftest import require_torch
from glassnet import gradcheck
from glassnet.exercise import exercise_network
from glassnet.explain import explain, explain_exercise, explain_spec
from glassnet.explain._derivation import _finite_loss
from glassnet.explain._symbols import LatexStyle, Style
from glassnet.losses import HalfSquaredError, LogisticLoss, MSELoss
from glassnet.nn import (
    ACTIVATIONS,
    MLP,
    Activation,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    stable_sigmoid,
)
from glassnet.nn._activations import BOUNDED_OUTPUTS


def sigmoid(z: float) -> float:
    return float(stable_sigmoid(np.array(z)))


# -- the exercise --------------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise():  # type: ignore[no-untyped-def]
    return explain_exercise(check_torch=False)


def test_exercise_as_written(exercise) -> None:  # type: ignore[no-untyped-def]
    d = exercise.derivation
    np.testing.assert_array_equal(d.layers[0].z, [2.0, 2.0, -1.0])
    np.testing.assert_array_equal(d.layers[0].output, [2.0, 2.0, 0.0])
    assert d.loss.prediction[0] == 2.0
    assert d.loss.literal and d.loss.outside
    assert d.loss.value == pytest.approx(math.log1p(math.exp(6.0)), abs=1e-12)
    assert d.loss.value == pytest.approx(6.002476, abs=1e-6)
    assert d.loss.grad[0] == pytest.approx(3 * sigmoid(6.0), abs=1e-12)
    assert d.loss.grad[0] == pytest.approx(2.992582, abs=1e-6)
    w12 = exercise.param("w12h")
    assert w12.ref.dotted == "0.weight[0,1]"
    for value in (w12.chain, w12.delta_form, w12.engine, w12.numeric):
        assert value == pytest.approx(3 * sigmoid(6.0), abs=1e-9)
    assert w12.updated == pytest.approx(0.4 - 0.1 * 3 * sigmoid(6.0), abs=1e-12)
    assert w12.updated == pytest.approx(0.100742, abs=1e-6)
    factors = [f.value for f in w12.paths[0].factors]  # ∂L/∂ŷ, ∂ŷ/∂h₁, ∂h₁/∂z₁, ∂z₁/∂w₁₂ʰ
    assert factors == pytest.approx([3 * sigmoid(6.0), 0.5, 1.0, 2.0], abs=1e-12)


def test_exercise_consistent_reading(exercise) -> None:  # type: ignore[no-untyped-def]
    alt = exercise.alternative.derivation
    assert alt.loss.target[0] == 0.0 and not alt.loss.outside
    assert alt.loss.value == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-12)
    assert alt.loss.value == pytest.approx(2.126928, abs=1e-6)
    w12 = alt.params[0]
    assert w12.engine == pytest.approx(sigmoid(2.0), abs=1e-12)
    assert w12.engine == pytest.approx(0.880797, abs=1e-6)
    assert w12.numeric == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert w12.updated == pytest.approx(0.4 - 0.1 * sigmoid(2.0), abs=1e-12)
    assert w12.updated == pytest.approx(0.311920, abs=1e-6)
    # the ±1 convention with label −1 gives the same loss
    assert LogisticLoss("pm1")(np.array([[2.0]]), np.array([[-1.0]])) == pytest.approx(
        alt.loss.value, abs=1e-15
    )


def test_exercise_text_says_so(exercise) -> None:  # type: ignore[no-untyped-def]
    text = exercise.to_text()
    assert "y = -1 lies outside {0, 1}" in text
    assert "consistent reading" in text
    assert "6.00248" in text and "2.99258" in text and "0.100742" in text and "0.880797" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_exercise_json_numbers(exercise) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(exercise.to_json())
    main, alt = data["derivation"], data["alternative"]["derivation"]
    assert main["loss"]["value"] == pytest.approx(math.log1p(math.exp(6.0)), abs=1e-9)
    assert main["params"][0]["backward"] == pytest.approx(3 * sigmoid(6.0), abs=1e-9)
    assert main["params"][0]["updated"] == pytest.approx(0.4 - 0.3 * sigmoid(6.0), abs=1e-9)
    assert alt["loss"]["value"] == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-9)
    assert alt["params"][0]["backward"] == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert alt["params"][0]["updated"] == pytest.approx(0.4 - 0.1 * sigmoid(2.0), abs=1e-9)
    assert main["params"][0]["name"] == "w12h" and main["params"][0]["glassnet"] == "0.weight[0,1]"


def test_exercise_steps_and_table() -> None:
    e = explain_exercise(params=["w12h", "b1o"], all_params=True, steps=3, check_torch=False)
    d = e.derivation
    assert d.table is not None and len(d.table) == 13
    assert [s.step for s in d.steps] == [1, 2, 3]
    assert d.steps[0].loss == pytest.approx(d.loss.value)
    _, before, _, after = d.steps[0].params[0]
    assert (before, after) == (pytest.approx(0.4), pytest.approx(e.param("w12h").updated))
    assert d.steps[1].params[0][1] == pytest.approx(after)  # step 2 starts from step 1's update
    # three steps of plain gradient descent by hand, with the engine
    model = exercise_network()
    loss = LogisticLoss("01", strict_labels=False)
    for step in d.steps:
        value = loss(model(np.array([[1.0, 2.0]])), np.array([[-1.0]]))
        assert value == pytest.approx(step.loss, abs=1e-12)
        model.zero_grad()
        model.backward(loss.backward())
        for p in model.parameters():
            p.data -= 0.1 * p.grad


def _verification_rows(text: str) -> list[str]:
    """The method column of every verification table in a text explanation."""
    methods = ("chain rule", "δ form", "backward pass", "finite differences", "PyTorch autograd")
    rows = []
    for section in text.split("5. Verification")[1:]:
        rows += [line.strip() for line in section.splitlines() if line.strip().startswith(methods)]
    return rows


def test_verification_names_the_delta_form_only_where_it_is_shown() -> None:
    """A two-layer network's explanation never shows the δ form, yet its table had a δ form row and
    its first sentence named it; a three-layer one shows it, and keeps the row."""
    two = explain(exercise_network(), [1, 2], 0, params="w12h", check_torch=False).to_text()
    assert "Vectorised" not in two
    rows = _verification_rows(two)
    assert rows and not any(row.startswith("δ form") for row in rows), rows
    assert " ".join(two.split()).count("δ form") == 0
    three = explain_spec(
        Path(__file__).resolve().parents[1] / "examples" / "three_layers_mse.json", check_torch=False
    ).to_text()
    assert "Vectorised (backpropagation)" in three
    rows = _verification_rows(three)
    assert sum(row.startswith("δ form") for row in rows) == 3, rows  # one per explained parameter
    assert "the chain rule and the δ form above" in " ".join(three.split())


@pytest.mark.parametrize("check_torch", [False, True])
def test_verification_says_which_checks_are_independent(check_torch: bool) -> None:
    """The sentence read "computed independently", not true of the chain rule and the δ form: they read
    the backward pass's own forward values and derivatives. Only finite differences and PyTorch are."""
    if check_torch:
        require_torch()
    e = explain(exercise_network(), [1, 2], 0, params="w12h", check_torch=check_torch)
    for text in (" ".join(e.to_text().split()), e.to_markdown(), e.to_latex()):
        assert "independently" not in text
        assert "from the same forward values and derivatives as the backward pass" in text
    text = " ".join(e.to_text().split())
    if check_torch:
        assert (
            "and two independent checks: central finite differences (ε = 1e-06, float64) and PyTorch "
            "autograd (float64). |Δ|" in text
        )
    else:
        assert "and one independent check: central finite differences (ε = 1e-06, float64). |Δ|" in text


def test_all_params_summary_names_the_delta_form_only_where_it_is_shown() -> None:
    two = " ".join(explain_exercise(all_params=True, check_torch=False).to_text().split())
    assert "Largest difference to the backward pass over all parameters: finite differences" in two
    deep = explain(
        MLP([2, 2, 2, 1], rng=np.random.default_rng(0)), [1, 2], 0, all_params=True, check_torch=False
    ).to_text()
    assert "Largest difference to the backward pass over all parameters: δ form" in " ".join(deep.split())


def test_the_exercise_notes_say_which_rounding_the_steps_below_use(exercise) -> None:  # type: ignore[no-untyped-def]
    """The notes quote six decimals (L ≈ 6.002476), the derivation 6 significant digits
    (L = 6.00248): the notes now say so, with the derivation's own spelling."""
    d, alt, t = exercise.derivation, exercise.alternative.derivation, Style(6)
    text = " ".join(exercise.to_text().split())
    w12, c12 = exercise.param("w12h"), alt.params[0]
    assert (
        f"≈ {w12.updated:.6f} (the steps below show up to 6 significant digits: L = {t.num(d.loss.value)}, "
        f"w₁₂ʰ = {t.num(w12.updated)})." in text
    )
    assert (
        f"≈ {c12.updated:.6f} (six decimals; the steps below show up to 6 significant digits: "
        f"L = {t.num(alt.loss.value)}, w₁₂ʰ = {t.num(c12.updated)})." in text
    )
    assert f"= {t.num(c12.updated)}" in text  # the update as the derivation shows it
    eight = " ".join(explain_exercise(digits=8, check_torch=False).to_text().split())
    assert "the steps below show up to 8 significant digits" in eight
    # %g drops trailing zeros: L = 6 with 3 digits, where "3 significant digits" promised 6.00
    three = " ".join(explain_exercise(digits=3, check_torch=False).to_text().split())
    assert "the steps below show up to 3 significant digits: L = 6, w₁₂ʰ = 0.101)" in three


def test_markdown_headings_can_start_lower_for_a_notebook(exercise) -> None:  # type: ignore[no-untyped-def]
    """In a notebook the explanation's "# The exercise" and "## 1. Forward pass" read as the
    notebook's own sections; heading_level puts them below a notebook's ### heading."""
    default, embedded = exercise.to_markdown(), exercise.to_markdown(heading_level=4)
    heads = [line for line in default.splitlines() if line.startswith("#")]
    moved = [line for line in embedded.splitlines() if line.startswith("#")]
    assert [line.lstrip("#") for line in heads] == [line.lstrip("#") for line in moved]
    assert [len(line) - len(line.lstrip("#")) + 3 for line in heads] == [
        len(line) - len(line.lstrip("#")) for line in moved
    ]
    assert min(len(line) - len(line.lstrip("#")) for line in moved) == 4
    assert embedded.replace("#", "") == default.replace("#", "")  # nothing else changes
    assert exercise.to_markdown(heading_level=1) == default == exercise._repr_markdown_()


@pytest.mark.parametrize(
    ("level", "error", "match"),
    [
        (0, ValueError, r"heading_level must be between 1 and 4 .*got 0"),
        (5, ValueError, r"heading_level must be between 1 and 4 .*got 5"),
        (2.0, TypeError, r"heading_level must be an integer, got 2\.0 \(float\)"),
        (True, TypeError, r"heading_level must be an integer, got True \(bool\)"),
    ],
)
def test_markdown_heading_level_bad_values(exercise, level: object, error: type, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        exercise.to_markdown(heading_level=level)


# -- random networks: every activation, every loss, depth 1–3 ----------------------------

LOSS_CASES = ["logistic01", "logisticpm1", "mse", "half_sse", "bce"]


def _case(activation: str, loss_case: str, depth: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    sizes = [int(rng.integers(1, 4)) for _ in range(depth)] + [int(rng.integers(1, 3))]
    output = "sigmoid" if loss_case == "bce" else None
    model = MLP(sizes, activation=activation, output_activation=output, rng=rng)
    # a one-layer net still gets the activation, unless the loss takes logits that it cannot reach
    if (
        depth == 1
        and loss_case != "bce"
        and not (loss_case.startswith("logistic") and activation in BOUNDED_OUTPUTS)
    ):
        model.append(ACTIVATIONS[activation]())
    x = rng.normal(size=sizes[0])
    k = sizes[-1]
    if loss_case == "logistic01":
        return model, x, rng.integers(0, 2, size=k).astype(float), LogisticLoss("01")
    if loss_case == "logisticpm1":
        return model, x, rng.choice([-1.0, 1.0], size=k), LogisticLoss("pm1")
    if loss_case == "mse":
        return model, x, rng.normal(size=k), MSELoss()
    if loss_case == "half_sse":
        return model, x, rng.normal(size=k), HalfSquaredError()
    return model, x, rng.uniform(0.05, 0.95, size=k), "bce"


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_case", LOSS_CASES)
def test_random_networks_every_gradient(activation: str, loss_case: str, torch) -> None:  # type: ignore[no-untyped-def]
    seed = sorted(ACTIVATIONS).index(activation) * 10 + LOSS_CASES.index(loss_case)
    rng = np.random.default_rng(seed)
    for depth in (1, 2, 3):
        model, x, y, loss = _case(activation, loss_case, depth, rng)
        before = copy.deepcopy(model.state_dict())
        names = [name for name, _ in model.named_parameters()]
        e = explain(model, x, y, loss=loss, params=names, learning_rate=0.3, deltas=True)
        assert len(e.derivation.params) == model.num_parameters()
        for record in e.derivation.params:
            scale = max(1.0, abs(record.engine))
            if record.chain is not None:
                assert record.chain == pytest.approx(record.engine, abs=1e-12 * scale)
            assert record.delta_form == pytest.approx(record.engine, abs=1e-12 * scale)
            assert record.numeric == pytest.approx(record.engine, abs=1e-6 * scale)
            assert record.torch is not None
            assert record.torch == pytest.approx(record.engine, abs=1e-10 * scale)
            assert record.updated == pytest.approx(record.value - 0.3 * record.engine, abs=1e-15)
        for name, values in model.state_dict().items():  # the model is never changed
            np.testing.assert_array_equal(values, before[name])
        e.to_text(), e.to_markdown(), e.to_latex(), e.to_json()  # every format renders


def test_engine_gradient_matches_a_direct_backward() -> None:
    rng = np.random.default_rng(7)
    model = MLP([3, 4, 2], activation="tanh", rng=rng)
    x, y = rng.normal(size=3), rng.normal(size=2)
    e = explain(model, x, y, loss="half_sse", params="0.weight")
    model.zero_grad()
    loss = HalfSquaredError()
    loss(model(x[None, :]), y[None, :])
    model.backward(loss.backward())
    grads = np.array([r.engine for r in e.derivation.params]).reshape(4, 3)
    np.testing.assert_array_equal(grads, model[0].weight.grad)


def test_path_sum_written_out_for_two_paths() -> None:
    rng = np.random.default_rng(3)
    model = Sequential(Linear(2, 2, rng=rng), Tanh(), Linear(2, 2, rng=rng))
    e = explain(model, [0.3, -0.7], [0.1, 0.4], loss="mse", params="w11^1", check_torch=False)
    record = e.param("w11h")
    assert record.path_count == 2 and record.paths is not None
    assert record.chain == pytest.approx(sum(p.product for p in record.paths))
    assert "paths; their products add up" in e.to_text()


def test_path_sum_puts_each_path_on_its_own_line() -> None:
    """LaTeX does not break an equation: a sum of paths on one row ran off the page."""
    rng = np.random.default_rng(3)
    model = Sequential(Linear(2, 2, rng=rng), Tanh(), Linear(2, 2, rng=rng))
    e = explain(model, [0.3, -0.7], [0.1, 0.4], loss="mse", params="w11^1", check_torch=False)
    products = [" · ".join(Style().par(f.value) for f in path.factors) for path in e.param().paths]
    text = e.to_text().splitlines()
    assert "  ∂L/∂w₁₁ʰ = ∂L/∂ŷ₁ · ∂ŷ₁/∂h₁ · ∂h₁/∂z₁ · ∂z₁/∂w₁₁ʰ" in text
    assert "           + ∂L/∂ŷ₂ · ∂ŷ₂/∂h₁ · ∂h₁/∂z₁ · ∂z₁/∂w₁₁ʰ" in text
    assert f"  ∂L/∂w₁₁ʰ = {products[0]}" in text
    assert f"           + {products[1]}" in text
    latex = e.to_latex().splitlines()
    second = LatexStyle().times.join(LatexStyle().par(f.value) for f in e.param().paths[1].factors)
    assert f" &{{}}+ {second} \\\\" in latex


def test_float32_model_is_explained_in_float64_and_unchanged() -> None:
    model = exercise_network(np.float32)
    e = explain(model, [1, 2], 0, params="w12h", check_torch=False)
    assert e.param().engine == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert model.dtype == np.float32


def test_repr_markdown_and_save(tmp_path) -> None:  # type: ignore[no-untyped-def]
    e = explain(exercise_network(), [1, 2], 0, params="w12h", check_torch=False)
    assert e._repr_markdown_() == e.to_markdown()
    assert "$$" in e.to_markdown() and r"\begin{aligned}" in e.to_markdown()
    e.save(tmp_path / "e.md")
    e.save(tmp_path / "e.json")
    assert (tmp_path / "e.md").read_text(encoding="utf-8") == e.to_markdown()
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["format"] == "glassnet-explain"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_figure(tmp_path, suffix: str, magic: bytes) -> None:  # type: ignore[no-untyped-def]
    e = explain_exercise(check_torch=False)
    path = e.save_figure(tmp_path / f"net{suffix}")
    assert path.read_bytes().startswith(magic)


def test_figure_writes_scientific_numbers_as_maths() -> None:
    """A number the figure writes as 1.2 × 10⁴ is LaTeX: outside $…$ matplotlib showed its source."""
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(0)), ReLU())
    model.load_state_dict({"0.weight": np.array([[120.0, -2e-5]]), "0.bias": np.array([0.5])})
    figure = explain(model, [100.0, 1.0], 1.0, loss="mse", check_torch=False).figure()
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert any(r"\times 10^{4}" in t for t in texts)
    for text in texts:
        outside_maths = text.split("$")[0::2]
        assert not any("\\" in part for part in outside_maths), text


def _as_drawn(value: float) -> str:
    """A number as the figure writes it: 4 significant digits, a real minus sign (U+2212)."""
    return f"{value:.4g}".replace("-", "\u2212")


def test_figure_writes_each_gradient_as_nabla_equals_its_value() -> None:
    """The line under a weight or bias read "∇-2.993", nabla minus 2.993: now "∇ = −2.993", with
    the minus sign of the weights above it, as the title's legend "∇ = ∂L/∂w or ∂L/∂b" says."""
    e = explain_exercise(params=("w12h", "w21h", "b2h"), check_torch=False)
    w12, w21, b2 = (e.param(name) for name in ("w12h", "w21h", "b2h"))
    assert w12.engine > 0 and w21.engine < 0 and b2.engine < 0  # both signs are drawn
    figure = e.figure()
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert f"{_as_drawn(w12.value)}\n∇ = {_as_drawn(w12.engine)}" in labels
    assert f"{_as_drawn(w21.value)}\n∇ = \u2212{_as_drawn(-w21.engine)}" in labels
    assert f"$b_{{2}}^{{h}}$ = {_as_drawn(b2.value)}\n∇ = \u2212{_as_drawn(-b2.engine)}" in labels
    gradient_lines = [line for label in labels for line in label.split("\n") if "∇" in line]
    assert len(gradient_lines) == sum(layer.weight.size + layer.bias.size for layer in e.derivation.layers)
    assert all(line.startswith("∇ = ") for line in gradient_lines), gradient_lines
    for label in labels:  # a hyphen for a minus nowhere outside maths
        assert "-" not in "".join(label.split("$")[0::2]), label
    (caption,) = (t.get_text() for t in figure.texts)
    assert caption.split("\n")[1].startswith("∇ = ∂L/∂w or ∂L/∂b, from the backward pass")
    without = e.figure(gradients=False)
    assert not any("∇" in t.get_text() for t in without.findobj(Text))


def test_figure_names_the_target_and_the_reading_it_draws() -> None:
    """The exercise's figure showed L = 6.002 and ∇ = 2.993 without y = −1, nor which of the text's
    two readings it draws. Now the loss box gives y and L, and a line under the title the reading."""
    e = explain_exercise(check_torch=False)
    figure = e.figure()
    boxes = [t.get_text() for t in figure.axes[0].texts if "$L$" in t.get_text()]
    assert boxes == [f"$y$ = \u22121\n$L$ = {_as_drawn(e.derivation.loss.value)}"]
    (caption,) = (t.get_text() for t in figure.texts)
    assert caption.split("\n")[2] == (
        "y = \u22121: the logistic formula applied as written to a label outside {0, 1}; the text's second "
        "reading (y = 0) is not drawn"
    )
    # an ordinary explanation: y in the box, no reading line; several outputs, one yₖ each
    plain = explain(exercise_network(), [1, 2], 0, check_torch=False).figure()
    assert len(next(t.get_text() for t in plain.texts).split("\n")) == 2
    assert any(t.get_text() == "$y$ = 0\n$L$ = 2.127" for t in plain.axes[0].texts)
    model = MLP([2, 2, 2], rng=np.random.default_rng(0))
    two = explain(model, [1, 2], [0.5, -1.5], loss="mse", check_torch=False).figure()
    assert any(
        t.get_text().startswith("$y_{1}$ = 0.5\n$y_{2}$ = \u22121.5\n$L$ = ") for t in two.axes[0].texts
    )


def test_a_figure_without_a_title_keeps_its_legend_and_reading() -> None:
    # the caption was built only under a title: title="" dropped the line saying which reading is drawn
    e = explain_exercise(check_torch=False)
    untitled = dataclasses.replace(e, title="")
    (caption,) = (t.get_text() for t in untitled.figure().texts)
    assert caption.split("\n") == next(t.get_text() for t in e.figure().texts).split("\n")[1:]


def test_figure_shows_the_title_as_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The title was matplotlib mathtext: "$\\badcmd$" failed with a multi-line parser error, and
    "$5 and $6" lost its dollars."""
    title = r"Costs $5 and $6: $\badcmd$ x_1^2"
    e = explain(exercise_network(), [1, 2], 0, title=title, check_torch=False)
    assert any(text.get_text().split("\n")[0] == title for text in e.figure().texts)
    assert e.save_figure(tmp_path / "net.png").read_bytes().startswith(b"\x89PNG")


def test_figure_bad_suffix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"must end in \.png or \.svg"):
        explain_exercise(check_torch=False).save_figure(tmp_path / "net.pdf")


def _figure_network(name: str) -> Any:
    """The explanation a figure test draws: the exercise, the shipped three-layer example, or an
    MLP of the sizes in ``name`` ("3-4-4-2") with seeded weights."""
    if name == "exercise":
        return explain_exercise(check_torch=False)
    if name == "three_layers":
        return explain_spec(
            Path(__file__).resolve().parents[1] / "examples" / "three_layers_mse.json", check_torch=False
        )
    sizes = [int(size) for size in name.split("-")]
    rng = np.random.default_rng(1)
    model = MLP(sizes, activation="tanh", rng=rng)
    return explain(
        model, rng.normal(size=sizes[0]), rng.normal(size=sizes[-1]), loss="mse", check_torch=False
    )


@pytest.mark.parametrize(
    "name",
    [
        "exercise",
        "three_layers",
        "3-4-4-2",
        "4-4-4-4",
        "1-4-4-1",
        "4-1-4",
        "2-4-1",
        "5-5-1",
        "6-6-1",
        "3-6-2",
    ],
)
def test_figure_edge_labels_are_readable_and_on_their_edges(name: str) -> None:
    """Edge labels of the three-layer example were drawn over each other ("−0.4 ∇ = −0.01585" under
    "0.3 ∇ = 0.02766"), and the exercise's "2 / ∇ = 0" sat on the crossing with the red edge. Now,
    as drawn: no edge label overlaps another or a unit's, a bias's or the loss's text; each is
    centred on its own edge; no other edge passes within half the label's height of that centre."""
    e = _figure_network(name)
    figure = e.figure()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = figure.axes[0]
    labels = [text for text in ax.texts if (text.get_gid() or "").startswith("weight-")]
    assert len(labels) == sum(layer.weight.size for layer in e.derivation.layers)
    boxes = [text.get_window_extent(renderer) for text in labels]
    for k, (text, box) in enumerate(zip(labels, boxes, strict=True)):
        for other, other_box in zip(labels[k + 1 :], boxes[k + 1 :], strict=True):
            assert not box.overlaps(other_box), (text.get_text(), other.get_text())
        for other in ax.texts:
            if other not in labels:
                assert not box.overlaps(other.get_window_extent(renderer)), (
                    text.get_text(),
                    other.get_text(),
                )
        assert figure.bbox.contains(box.x0, box.y0) and figure.bbox.contains(box.x1, box.y1)
    lines = {line.get_gid(): ax.transData.transform(line.get_xydata()) for line in ax.lines}  # pixels
    for text, box in zip(labels, boxes, strict=True):
        centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
        own = text.get_gid().replace("weight-", "edge-")
        distances = {gid: _distance(centre, ends) for gid, ends in lines.items()}
        assert distances.pop(own) < 1.0, text.get_text()  # on its edge, to a pixel
        nearest = min(distances, key=distances.__getitem__, default=None)
        if nearest is not None:
            assert distances[nearest] > box.height / 2, (text.get_text(), nearest)


def _distance(point: Any, ends: Any) -> float:
    """The distance from ``point`` to the segment between the rows of ``ends`` (2, 2)."""
    start, step = ends[0], ends[1] - ends[0]
    along = np.clip(np.dot(point - start, step) / np.dot(step, step), 0.0, 1.0)
    return float(np.hypot(*(start + along * step - point)))


def test_figure_is_the_same_for_the_same_network(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The labels' places are searched for, deterministically: the same PNG, byte for byte."""
    e = _figure_network("three_layers")
    first, second = e.save_figure(tmp_path / "a.png"), e.save_figure(tmp_path / "b.png")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"params": "w41h"}, ValueError, r"no parameter 'w41h'.*rows 1\.\.3 and columns 1\.\.2"),
        ({"params": "w12^3"}, ValueError, r"no layer 3; the layers are numbered 1\.\.2"),
        ({"params": "v12h"}, ValueError, "unknown parameter name 'v12h'"),
        ({"params": "5.weight[0,0]"}, ValueError, r"Linear layers are named '0', '2'"),
        ({"params": "w123h"}, ValueError, "a weight needs two indices"),
        ({"params": []}, ValueError, "at least one parameter"),
        ({"x": [1, 2, 3]}, ValueError, r"x must have 2 values"),
        ({"y": [0, 1]}, ValueError, r"y must have 1 value"),
        (
            {"y": -1},
            ValueError,
            r"^y: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got -1; use labels='pm1' for the "
            r"other convention, or literal_labels \(--literal-labels\) to apply the formula to y as written$",
        ),
        (
            {"y": 0, "labels": "pm1"},
            ValueError,
            r"^y: LogisticLoss\(labels='pm1'\) expects labels in \{-1, \+1\}, got 0; use labels='01' for the "
            r"other convention, or literal_labels",
        ),
        ({"loss": "hinge"}, ValueError, "unknown loss 'hinge'"),
        ({"digits": 0}, ValueError, "digits must be a positive integer"),
        ({"digits": 30}, ValueError, "digits must be between 1 and 17"),
        ({"steps": 1.5}, TypeError, "steps must be a positive integer"),
        ({"learning_rate": -1}, ValueError, "learning_rate must be >= 0"),
        ({"notation": "ho", "model": MLP([2, 1])}, ValueError, "needs exactly 2 layers"),
        ({"params": "w11h", "model": MLP([2, 1])}, ValueError, r"this one has 1 layer, named 1 \(e\.g\."),
        ({"notation": "greek"}, ValueError, "notation must be 'auto', 'ho' or 'numbered'"),
        ({"model": Sequential(ReLU(), Linear(2, 1))}, TypeError, "starting with a Linear"),
        (
            {"model": "net"},
            TypeError,
            r"needs a glassnet Module \(glassnet\.nn\.Sequential, MLP or Linear\), got str$",
        ),
        (  # a PyTorch model, told by its class's module without importing torch: named in full
            {"model": type("Sequential", (), {"__module__": "torch.nn.modules.container"})()},
            TypeError,
            r"got torch\.nn\.modules\.container\.Sequential; convert a PyTorch model with "
            r"glassnet\.torch_bridge\.from_torch\(model\)$",
        ),
        (  # σ(σ(z)): the logistic loss reads ŷ as a logit
            {
                "model": MLP(
                    [2, 3, 1], activation="relu", output_activation="sigmoid", rng=np.random.default_rng(0)
                ),
                "y": 1,
            },
            ValueError,
            r"^LogisticLoss expects logits, any real number, got the output activation 'sigmoid', whose outputs "
            r"cannot reach every logit; for a sigmoid output's probabilities use BCELoss \(loss 'bce'\)$",
        ),
        (
            {
                "model": MLP([2, 3, 1], output_activation="relu", rng=np.random.default_rng(0)),
                "loss": LogisticLoss(),
            },
            ValueError,
            r"got the output activation 'relu', whose outputs cannot reach every logit; for logits give the "
            r"last layer no activation \(identity\)$",
        ),
        (
            {"model": Sequential(Linear(2, 1), LeakyReLU(0.0))},
            ValueError,
            r"got the output activation 'leaky_relu' with negative_slope 0, whose outputs cannot reach every logit",
        ),
        (
            {"y": 2, "literal_labels": "no"},
            TypeError,
            r"literal_labels must be True or False, got 'no' \(str\)",
        ),
        ({"all_params": "yes"}, TypeError, "all_params must be True or False"),
        ({"check_torch": 0}, TypeError, r"check_torch must be True or False, got 0 \(int\)"),
        ({"deltas": "yes"}, TypeError, "deltas must be True, False or None"),
        ({"title": 5}, TypeError, r"title must be a string or None, got 5 \(int\)"),
    ],
)
def test_bad_arguments(kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    arguments = {"model": exercise_network(), "x": [1, 2], "y": 0, "check_torch": False, **kwargs}
    model, x, y = arguments.pop("model"), arguments.pop("x"), arguments.pop("y")
    with pytest.raises(error, match=match):
        explain(model, x, y, **arguments)


@pytest.mark.parametrize("loss", ["mse", "half_sse", "bce", "MSE"])
@pytest.mark.parametrize("literal_labels", [True, np.True_], ids=["True", "np.True_"])
def test_literal_labels_is_refused_with_another_loss(loss: str, literal_labels: bool) -> None:
    """explain(…, loss="mse", literal_labels=True) gave the mse explanation without a word: only the
    logistic loss checks labels, so the flag is refused with any other loss, as a spec's is."""
    with pytest.raises(
        ValueError, match=rf"^literal_labels applies to the logistic loss only, got loss '{loss}'$"
    ):
        explain(exercise_network(), [1, 2], 0, loss=loss, literal_labels=literal_labels, check_torch=False)


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({"labels": "pm1"}, r"^labels applies to the logistic loss only, got loss 'mse'$"),
        (
            {"labels": "pm1", "literal_labels": True},
            r"^labels and literal_labels apply to the logistic loss only, got loss 'mse'$",
        ),
    ],
    ids=["labels", "both"],
)
def test_labels_are_refused_with_another_loss(given: dict[str, Any], match: str) -> None:
    """labels="pm1" with the mse was dropped without a word, as a spec's labels field is not."""
    with pytest.raises(ValueError, match=match):
        explain(exercise_network(), [1, 2], 0, loss="mse", check_torch=False, **given)


@pytest.mark.parametrize("loss", ["mse", "half_sse"])
def test_literal_labels_false_is_accepted_with_another_loss(loss: str) -> None:
    model = exercise_network()
    plain = explain(model, [1, 2], 0, loss=loss, check_torch=False).to_text()
    literal_off = explain(model, [1, 2], 0, loss=loss, literal_labels=False, check_torch=False)
    assert literal_off.to_text() == plain


def test_literal_labels_flag() -> None:
    e = explain(exercise_network(), [1, 2], -1, literal_labels=True, params="w12h", check_torch=False)
    assert e.param().engine == pytest.approx(3 * sigmoid(6.0), abs=1e-12)
    assert "outside {0, 1}" in e.to_text()


# -- edge cases: a ReLU unit at its kink, the loss after k steps, BCE at ŷ = 1 ---------------


def _exercise_by_hand(y: float, steps: int) -> tuple[float, float]:
    """ŷ and L of the exercise's network after ``steps`` full gradient-descent steps, in plain NumPy."""
    w_h = np.array([[0.2, 0.4], [0.8, 0.1], [2.0, 0.5]])
    b_h, w_o, b_o = np.array([1.0, 1.0, -4.0]), np.array([0.5, -1.0, 0.0]), 3.0
    x, s = np.array([1.0, 2.0]), 1.0 - 2.0 * y
    for _ in range(steps):
        z = w_h @ x + b_h
        h = np.maximum(z, 0.0)
        y_hat = float(w_o @ h + b_o)
        g = s * sigmoid(s * y_hat)  # ∂L/∂ŷ
        delta = w_o * g * (z > 0)  # ∂L/∂z
        w_h, b_h = w_h - 0.1 * np.outer(delta, x), b_h - 0.1 * delta
        w_o, b_o = w_o - 0.1 * g * h, b_o - 0.1 * g
    y_hat = float(w_o @ np.maximum(w_h @ x + b_h, 0.0) + b_o)
    return y_hat, math.log1p(math.exp(s * y_hat))


def test_loss_after_the_last_step_is_shown() -> None:
    """Step k's L is the loss before its update; the loss after the last update is shown too."""
    e = explain_exercise(steps=2, check_torch=False)
    for d, y in ((e.derivation, -1.0), (e.alternative.derivation, 0.0)):  # type: ignore[union-attr]
        y_hat, loss = _exercise_by_hand(y, 2)
        assert d.after_steps is not None and d.after_steps.steps == 2
        assert d.after_steps.prediction[0] == pytest.approx(y_hat, abs=1e-12)
        assert d.after_steps.loss == pytest.approx(loss, rel=1e-10)
        assert d.steps[1].loss == pytest.approx(_exercise_by_hand(y, 1)[1], rel=1e-10)  # before step 2
    assert e.derivation.after_steps.loss == pytest.approx(2.9646993872e-05, rel=1e-9)  # type: ignore[union-attr]
    assert e.alternative.derivation.after_steps.loss == pytest.approx(0.38381726408, abs=1e-10)  # type: ignore[union-attr]
    text = e.to_text()
    assert "every parameter updated at each step (ŷ and L before the step's update):" in " ".join(
        text.split()
    )
    assert "After step 2\n\n  ŷ = -3.47538\n  L = 2.9647e-05\n" in text
    assert "After step 2\n\n  ŷ = -0.759549\n  L = 0.383817\n" in text
    data = json.loads(e.to_json())
    assert data["derivation"]["after_steps"]["loss"] == pytest.approx(2.9646993872e-05, rel=1e-9)
    assert data["alternative"]["derivation"]["after_steps"]["prediction"] == [
        pytest.approx(-0.759549, abs=1e-6)
    ]
    assert "after_steps" not in json.loads(explain_exercise(check_torch=False).to_json())["derivation"]


def test_one_step_is_shown_when_asked_for() -> None:
    """steps=1 showed nothing more than the default: now it shows step 1 and ŷ, L after it."""
    assert explain(exercise_network(), [1, 2], 0, check_torch=False).derivation.after_steps is None
    d = explain(exercise_network(), [1, 2], 0, steps=1, check_torch=False).derivation
    y_hat, loss = _exercise_by_hand(0.0, 1)
    assert len(d.steps) == 1 and d.after_steps is not None and d.after_steps.steps == 1
    assert d.after_steps.prediction[0] == pytest.approx(y_hat, abs=1e-12)
    assert d.after_steps.loss == pytest.approx(loss, rel=1e-10)


def test_overflow_is_refused_by_explain_as_by_explain_spec() -> None:
    """explain gave inf, or numpy's own error, where explain_spec said the numbers overflow float64."""
    # the overflow in the bias addition, a NumPy ufunc: ndarray.dot reports one only from numpy 2.3
    # (before, the product is inf unreported, and the loss refuses the prediction in its own words)
    wide = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    wide.load_state_dict({"0.weight": np.array([[1.0]]), "0.bias": np.array([1e308])})
    tiny = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    tiny.load_state_dict({"0.weight": np.array([[1e-10]]), "0.bias": np.array([0.0])})
    with np.errstate(all="ignore"):  # a user's numpy settings: explain raises all the same
        with pytest.raises(ValueError, match=r"^the numbers overflow float64 \(overflow encountered in"):
            explain(wide, [1e308], 0.0, check_torch=False)
        # w − η·g in Python floats: -inf with no numpy error, in explain_spec too
        with pytest.raises(
            ValueError, match=r"^the numbers overflow float64 \(params\[0\]\.updated is -inf\)"
        ):
            explain(tiny, [1e308], 0.0, learning_rate=10.0, check_torch=False)
        spec = {
            "layers": [{"weight": [[1e-10]], "bias": [0]}],
            "x": 1e308,
            "y": 0,
            "loss": "logistic",
            "eta": 10,
        }
        with pytest.raises(
            ValueError, match=r"^spec: the numbers overflow float64 \(params\[0\]\.updated is -inf"
        ):
            explain_spec(spec, check_torch=False)


@pytest.mark.parametrize(
    ("loss", "learning_rate", "weight", "where"),
    [
        ("mse", 10.0, 3.0, "training step 40: L is inf"),  # the reviewer's spec: (ŷ − y)² overflows
        ("half_sse", 10.0, 3.0, "training step 43: L is inf"),
        ("mse", 1e250, 1e100, "training step 1: overflow encountered in multiply"),  # NumPy's, in the update
    ],
)
def test_training_steps_that_diverge_say_the_numbers_overflow(
    loss: str, learning_rate: float, weight: float, where: str
) -> None:
    """--steps that diverged ended in the loss's own "MSELoss value is inf for finite predictions:
    …", not the documented overflow message; now that message, naming the step."""
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(0)))
    model.load_state_dict({"0.weight": np.array([[weight, weight / 3]]), "0.bias": np.array([0.0])})
    expected = f"the numbers overflow float64 ({where}); use smaller weights, inputs or learning rate"
    with pytest.raises(ValueError) as caught:
        explain(model, [10, 20], 0.0, loss=loss, learning_rate=learning_rate, steps=1000, check_torch=False)
    assert str(caught.value) == expected
    spec = {
        "layers": [{"weight": [[weight, weight / 3]], "bias": [0]}],
        "x": [10, 20],
        "y": 0,
        "loss": loss,
        "learning_rate": learning_rate,
        "steps": 1000,
    }
    with pytest.raises(ValueError) as caught:
        explain_spec(spec, check_torch=False)
    assert str(caught.value) == f"spec: {expected}"


def test_a_bce_prediction_that_steps_leave_0_1_is_not_called_an_overflow() -> None:
    """Only an inf or NaN in the steps is an overflow: a BCE ŷ that leaves [0, 1] (no sigmoid) is refused as
    such, naming the step that moved it there (it read as a fault of the given input: a later review)."""
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(0)))
    model.load_state_dict({"0.weight": np.array([[0.1, 0.1]]), "0.bias": np.array([0.2])})
    with pytest.raises(
        ValueError,
        match=r"^training step 2: BCELoss expects probabilities in \[0, 1\], got 120\.5.* \(the steps moved ŷ there",
    ):
        explain(model, [1, 2], 1.0, loss="bce", learning_rate=10.0, steps=5, check_torch=False)


@pytest.mark.parametrize(
    ("prediction", "message"),
    [([[np.inf]], "ŷ is inf"), ([[1.0, np.nan]], "ŷ is nan"), ([[1e200]], "L is inf")],
)
def test_a_step_loss_that_is_not_finite_is_a_floating_point_error(
    prediction: list[list[float]], message: str
) -> None:
    y = np.zeros(np.shape(prediction)[1])
    with pytest.raises(FloatingPointError) as caught:
        _finite_loss(MSELoss(), np.array(prediction), y)
    assert str(caught.value) == message


def _kinked_exercise() -> Sequential:
    """The exercise's network with b₁ʰ = −1, so z₁ = 0.2·1 + 0.4·2 − 1 = 0 exactly: ReLU's kink."""
    model = exercise_network()
    model[0].bias.data[0] = -1.0
    return model


def test_unit_at_the_relu_kink_is_explained(torch) -> None:  # type: ignore[no-untyped-def]
    e = explain(_kinked_exercise(), [1, 2], 0, params=["w12h", "w22h"])
    d = e.derivation
    assert d.layers[0].z[0] == 0.0
    assert [(k.layer, k.unit, k.z, k.activation, k.derivative) for k in d.kinks] == [(1, 0, 0.0, "relu", 0.0)]
    # ŷ = 0.5 h₁ − h₂ + 3 = 1; the backward pass and PyTorch take ReLU′(0) = 0, the central
    # difference of w₁₂ʰ sees ŷ change by 0.5 · x₂ · ε on one side only: half the right slope
    w12, w22 = e.param("w12h"), e.param("w22h")
    assert w12.engine == 0.0 and w12.torch == 0.0
    assert w12.numeric == pytest.approx(0.5 * sigmoid(1.0) * 0.5 * 2.0, abs=1e-7)  # 0.365529…
    assert w22.numeric == pytest.approx(w22.engine, abs=1e-8)  # not through the kink
    assert w22.engine == pytest.approx(sigmoid(1.0) * -1.0 * 2.0, abs=1e-12)
    text = " ".join(e.to_text().split())  # the paragraphs, line breaks aside
    assert "At a kink: z₁ = 0 is at the activation's kink at 0, where it has no derivative." in text
    assert "takes ReLU′(0) = 0, the slope on the left; a central finite difference across the kink" in text
    assert (
        r"$z_{1} = 0$ is at" in e.to_markdown() and r"\operatorname{ReLU}'\left(0\right) = 0" in e.to_latex()
    )
    kinks = json.loads(e.to_json())["derivation"]["checks"]["kinks"]
    assert kinks == [{"layer": 1, "unit": 1, "z": 0.0, "activation": "relu", "derivative": 0.0}]
    # no kink, no note: the exercise's z₃ = −1 is far from 0
    plain = explain_exercise(check_torch=False)
    assert plain.derivation.kinks == () and "At a kink" not in plain.to_text()
    assert "kinks" not in json.loads(plain.to_json())["derivation"]["checks"]


def test_a_kink_is_named_where_its_large_difference_is_shown() -> None:
    """x = (−5, 0): z₁ = 0 at ReLU's kink, and w₁₁ʰ's finite difference is 1.2 off the backward
    pass. Section 4's "Largest difference" showed the 1.2 with no word of why (the kink's note
    comes in section 5), and the note said of every parameter through the unit that the loss has
    no derivative there, of w₁₂ʰ too, whose input x₂ = 0 leaves z₁ as it is (its derivative is 0,
    and both routes give it)."""
    e = explain(exercise_network(), [-5, 0], 0, params="w12h", all_params=True, check_torch=False)
    assert [(k.layer, k.unit, k.z) for k in e.derivation.kinks] == [(1, 0, 0.0)]
    assert e.param("w12h").numeric == e.param("w12h").engine == 0.0
    text = " ".join(e.to_text().split())
    assert re.search(
        r"Largest difference to the backward pass over all parameters: finite differences 1\.2e\+00 "
        r"\(across an activation's kink: see section 5\)\.",
        text,
    ), text
    assert "So for a parameter that moves this unit's z the finite difference may differ" in text
    assert "the loss may have no derivative there (a parameter that leaves z as it is" in text
    assert "both are right" not in text
    # no kink, no pointer; and none at a kink whose differences are rounding only (w₁₁ᵒ = 0: no
    # parameter's loss sees the kinked unit), where it named the kink beside 4.4e-11
    assert "see section 5" not in " ".join(explain_exercise(check_torch=False).to_text().split())
    cut = exercise_network()
    cut[2].weight.data[0, 0] = 0.0
    quiet = explain(cut, [-5, 0], 0, params="w12h", all_params=True, check_torch=False)
    assert quiet.derivation.kinks and "At a kink" in quiet.to_text()
    assert "see section 5" not in " ".join(quiet.to_text().split())
    # nor beside a difference of rounding in a unit away from the kink (z = 2), under a loss of
    # 1e8 ("finite differences 1.6e-02 (across an activation's kink …)")
    other = MLP([2, 3, 1], activation="relu", rng=np.random.default_rng(0))
    other[0].weight.data[...] = [[1.0, 1.0], [1.0, 0.5], [0.5, 1.0]]
    other[0].bias.data[...] = [-1.0, 1.0, 1.0]  # z = (0, 2, 1.5) at x = (1, 0)
    other[2].weight.data[...] = [[0.0, 1e-3, 1.0]]
    far = explain(other, [1, 0], [1e4], loss=MSELoss(), params="w11^1", all_params=True, check_torch=False)
    far_text = " ".join(far.to_text().split())
    assert [(k.layer, k.unit) for k in far.derivation.kinks] == [(1, 0)] and "At a kink" in far_text
    assert "Largest difference" in far_text and "see section 5" not in far_text
    # nor one layer down: the kinked unit z₁⁽²⁾ = 0 feeds nothing (its output weight 0), so the
    # first layer's differences that cross it, under a loss of 1e8, are rounding (gradcheck: ok)
    deep = MLP([2, 2, 2, 1], activation="relu", rng=np.random.default_rng(0))
    deep[0].weight.data[...], deep[0].bias.data[...] = [[1.0, 0.0], [1.0, 0.0]], [0.0, 1.0]  # h = (1, 2)
    deep[2].weight.data[...], deep[2].bias.data[...] = [[1.0, 0.0], [0.5, 1.0]], [-1.0, 0.0]  # z = (0, 2.5)
    deep[4].weight.data[...], deep[4].bias.data[...] = [[0.0, 1e-3]], [0.0]  # gradients of about 20
    below = explain(deep, [1, 0], [1e4], loss=MSELoss(), params="w11^1", all_params=True, check_torch=False)
    assert [(k.layer, k.unit) for k in below.derivation.kinks] == [(2, 0)]
    assert gradcheck(deep, MSELoss(), [[1.0, 0.0]], [[1e4]]).ok
    assert "see section 5" not in " ".join(below.to_text().split())


class DoubledTanh(Activation):
    """tanh with a derivative twice tanh′: a wrong backward."""

    name = "doubled_tanh"

    def function(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return 2.0 * (1.0 - np.tanh(z) ** 2)


def doubled_tanh_network() -> Sequential:
    """x (2,) → Linear → ReLU → Linear → tanh with a derivative twice tanh′ (a wrong backward) →
    Linear → ŷ. At x = (0, 1): z⁽¹⁾ = (0, 1), unit 1 at ReLU's kink; the parameters of layers 1
    and 2 that reach ŷ through the tanh read their gradients through its f′, twice over."""
    model = Sequential(Linear(2, 2), ReLU(), Linear(2, 1), DoubledTanh(), Linear(1, 1))
    model[0].weight.data[...], model[0].bias.data[...] = [[1.0, 0.0], [1.0, 1.0]], 0.0
    model[2].weight.data[...], model[2].bias.data[...] = [[1e-3, 1.0]], 0.0
    model[4].weight.data[...], model[4].bias.data[...] = 1.0, 0.0
    return model


def test_the_kink_pointer_names_the_kink_only_when_the_largest_difference_is_across_it() -> None:
    """The pointer stands beside the largest finite-difference difference, so it is about that
    row. Here two parameters step a unit at z = 0 across ReLU's kink and mismatch (3.2e-4), but
    the largest difference, 0.64, is a wrong backward (``doubled_tanh_network``). Any kinked
    row put the kink's pointer there, sending the reader to the kink note for the bug."""
    e = explain(doubled_tanh_network(), [0.0, 1.0], [0.0], loss="mse", all_params=True, check_torch=False)
    crossing_mismatches = e.derivation.kink_crossers & e.derivation.fd_mismatches
    assert crossing_mismatches == {(1, "weight", 0, 1), (1, "bias", 0, None)}
    worst = max(e.derivation.table, key=lambda r: abs((r.numeric or 0.0) - r.engine)).ref
    assert (
        worst.row == 1 and (worst.layer, worst.kind, worst.row, worst.col) not in e.derivation.kink_crossers
    )
    text = " ".join(e.to_text().split())
    assert "finite differences 6.4e-01 (a mismatch no kink explains: see section 5)." in text, text
    assert "across an activation's kink: see section 5" not in text


def test_a_mismatch_no_kink_explains_is_named_as_a_backward_to_doubt() -> None:
    """A custom activation whose derivative is twice tanh′: the chain rule and the δ form read
    the same f′ as the backward pass and agreed with it, and the finite differences' 0.64 off
    stood in the table with no word, under a kink note saying large differences may be right."""
    model = doubled_tanh_network()
    e = explain(model, [0.0, 1.0], [0.0], loss="mse", params="w22^1", check_torch=False)
    text = " ".join(e.to_text().split())
    assert (
        "Not explained by a kink: the finite differences of w₂₂⁽¹⁾, b₂⁽¹⁾, w₁₂⁽²⁾ and b₁⁽²⁾ differ from "
        "the backward pass by more than the tolerance and rounding allow (glassnet.gradcheck calls them "
        "mismatches), and no step of theirs moves a ReLU or LeakyReLU unit across its kink (kinks of "
        "activations of one's own are not looked for). The backward pass may be wrong there: check the derivatives it "
        "uses (each activation's f′, the loss's ∂L/∂ŷ); the derivations above use the same derivatives, so "
        "they agree with it either way. Or the finite differences are unreliable there"
    ) in text, text
    assert not gradcheck(model, MSELoss(), [[0.0, 1.0]], [[0.0]]).ok
    checks = json.loads(e.to_json())["derivation"]["checks"]
    assert [ref["name"] for ref in checks["unexplained_mismatches"]] == ["w22^1", "b2^1", "w12^2", "b1^2"]
    assert "Not explained by a kink" in e.to_markdown() and "Not explained by a kink" in e.to_latex()
    # one parameter: said in the singular; a correct tanh, or the exercise: no note, no JSON key
    # at x = 0 both ReLU units sit at the kink (their biases' steps cross it) and pass 0 on:
    # b₁⁽²⁾ alone reaches ŷ through the tanh with a gradient of its own
    one = " ".join(explain(model, [0.0, 0.0], [1.0], loss="mse", check_torch=False).to_text().split())
    assert "the finite difference of b₁⁽²⁾ differs from the backward pass" in one, one
    assert "calls it a mismatch), and no step of it moves" in one
    # BCE's clip: its finite differences mismatch (p = σ(−28) is held at the clip's edge), and
    # the clip's own note says why, not this one; of the parameters that reach an output it
    # does not clip, a mismatch is named still (a sigmoid whose derivative is halved: the clip
    # of ŷ₁ silenced the note on the parameters of ŷ₂, 0.31 against 0.16)
    clipped = Sequential(Linear(1, 1), Sigmoid())
    clipped[0].weight.data[...], clipped[0].bias.data[...] = -28.0, 0.0
    held = explain(clipped, [1.0], 1.0, loss="bce", check_torch=False)
    assert held.derivation.unexplained_mismatches() and "Clipped" in held.to_text()
    assert "Not explained" not in held.to_text()
    assert "unexplained_mismatches" not in json.loads(held.to_json())["derivation"]["checks"]
    beside = Sequential(Linear(1, 2), _HalfSigmoid())
    beside[0].weight.data[...], beside[0].bias.data[...] = [[-28.0], [0.5]], 0.0
    both = explain(beside, [1.0], [1.0, 0.0], loss="bce", all_params=True, check_torch=False)
    assert "Clipped" in both.to_text()
    named = json.loads(both.to_json())["derivation"]["checks"]["unexplained_mismatches"]
    assert [ref["name"] for ref in named] == ["w21^1", "b2^1"]
    right = Sequential(Linear(2, 2), ReLU(), Linear(2, 1), Tanh(), Linear(1, 1))
    for model in (right, exercise_network()):
        fine = explain(model, [0.5, 1.0], [0.0], loss="mse", all_params=True, check_torch=False)
        assert "Not explained" not in fine.to_text() and "no kink explains" not in fine.to_text()
        assert "unexplained_mismatches" not in json.loads(fine.to_json())["derivation"]["checks"]


class _HalfSigmoid(Sigmoid):
    """σ with a derivative of half σ′: a wrong backward."""

    name = "half_sigmoid"

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return 0.5 * super().derivative(z)


@pytest.mark.parametrize("end", ["lower", "upper", "near"])
def test_a_wrong_hidden_derivative_under_a_clipped_output_is_named(end: str) -> None:
    """ŷ₁ = σ(−28.5) is clipped by BCE, ŷ₂ = σ(0.32) is not, and the hidden tanh's derivative is
    doubled. The clip excused every hidden parameter, since each reaches ŷ₁: the wrong f′ went
    unnamed. Now a mismatch is the clip's only where the finite differences agree with the clipped
    loss's own derivative (∂L/∂ŷ₁ = 0): the output row of ŷ₁, and with a right tanh every row.
    At the upper end, ŷ₁ = 1 − 4e-13 under the label 0, ∂L/∂ŷ₁ ≈ 1e12 left the first check's
    rounding allowance above every gradient: unresolved, no mismatch, so nothing was named still
    (a review of the fix); the second check, without ŷ₁, resolves them. "near": ŷ₁ three floats
    below the lower edge, where every step of ε crosses it and the crossers were all excused (a
    review of that); a third check, ŷ₁ held where it is, names the hidden ones again."""
    sign, label = (-1.0, 0.0) if end == "upper" else (1.0, 1.0)
    edge = 1e-12 * (1.0 - 3 * 2.0**-49)  # for "near"
    bias = (
        math.log(edge / (1.0 - edge)) + 60.0 * float(np.tanh([0.5, -0.3]).sum()) if end == "near" else -18.25
    )

    def network(activation: Activation) -> Sequential:
        model = Sequential(Linear(1, 2), activation, Linear(2, 2), Sigmoid())
        model[0].weight.data[...], model[0].bias.data[...] = [[0.5], [-0.3]], 0.0
        model[2].weight.data[...] = [[-60.0 * sign, -60.0 * sign], [1.0, 0.5]]
        model[2].bias.data[...] = [bias * sign, 0.0]
        return model

    wrong = explain(
        network(DoubledTanh()), [1.0], [label, 0.0], loss="bce", all_params=True, check_torch=False
    )
    assert wrong.derivation.clipped_outputs == (0,)
    # the clipped output's row mismatches only where the first check resolves it (the lower end)
    expected = {(2, "weight", 0, 0), (2, "weight", 0, 1), (2, "bias", 0, None)} if end != "upper" else set()
    assert wrong.derivation.clip_explained == expected
    named = json.loads(wrong.to_json())["derivation"]["checks"]["unexplained_mismatches"]
    assert [ref["name"] for ref in named] == ["w11h", "w21h", "b1h", "b2h"]
    text = " ".join(wrong.to_text().split())
    assert (
        "Clipped: " in text
        and "Not explained by a kink: the finite differences of w₁₁ʰ, w₂₁ʰ, b₁ʰ and b₂ʰ" in text
    )
    right = explain(network(Tanh()), [1.0], [label, 0.0], loss="bce", all_params=True, check_torch=False)
    assert right.derivation.clip_explained == right.derivation.fd_mismatches
    assert bool(right.derivation.fd_mismatches) == (end != "upper")
    assert "Clipped: " in right.to_text() and "Not explained" not in right.to_text()
    assert "unexplained_mismatches" not in json.loads(right.to_json())["derivation"]["checks"]


@pytest.mark.parametrize(
    ("end", "weight", "floats"), [("upper", 300.0, 1), ("lower", 1000.0, 20), ("lower", 60.0, 3)]
)
def test_a_right_network_whose_steps_cross_the_clip_edge_is_not_doubted(
    end: str, weight: float, floats: int
) -> None:
    """ŷ a few floats past the clip's edge: a step of ε takes it back inside, where the clipped
    loss is not flat, and both checks' slopes differ from the central difference. A right tanh
    network read "the backward pass may be wrong" (17 of 30 such cases; a review of the day's
    fixes); those parameters cross the clip's edge, as kink crossers cross a kink, and are left
    to the clip's note."""
    model = Sequential(Linear(1, 2), Tanh(), Linear(2, 1), Sigmoid())
    model[0].weight.data[...], model[0].bias.data[...] = [[0.5], [-0.3]], 0.0
    model[2].weight.data[...] = weight
    edge = 1e-12 * (1.0 - floats * 2.0**-49) if end == "lower" else (1.0 - 1e-12) + floats * 2.0**-53
    model[2].bias.data[...] = math.log(edge / (1.0 - edge)) - weight * float(np.tanh([0.5, -0.3]).sum())
    e = explain(
        model, [1.0], [1.0 if end == "lower" else 0.0], loss="bce", all_params=True, check_torch=False
    )
    assert e.derivation.clipped_outputs == (0,) and e.derivation.clip_explained == e.derivation.fd_mismatches
    assert "Clipped: " in e.to_text() and "Not explained" not in e.to_text()
    assert "unexplained_mismatches" not in json.loads(e.to_json())["derivation"]["checks"]


def test_a_mismatch_pytorch_agrees_with_the_backward_on_is_the_finite_differences(torch: Any) -> None:
    """A correct tanh network, finite differences of ε = 1e-3 (too large for its curvature): the
    note said the backward pass may be wrong, where PyTorch agreed with it to 1e-17."""
    model = Sequential(Linear(2, 3), Tanh(), Linear(3, 1))
    model[0].weight.data[...] = [[-1.91, 0.03], [0.08, -1.0], [-1.57, -2.03]]
    model[0].bias.data[...] = [-0.45, -0.51, -2.02]
    model[2].weight.data[...], model[2].bias.data[...] = [[-0.91, 1.0, 0.41]], 1.67
    e = explain(model, [-2.23, 0.06], [0.5], loss="mse", fd_eps=1e-3, params="w21h", all_params=True)
    text = " ".join(e.to_text().split())
    assert (
        "finite differences 5.0e-06 (finite differences off, PyTorch agreeing with the backward pass" in text
    )
    assert "Finite differences off: the finite differences of w₂₁ʰ, w₃₁ʰ and b₂ʰ differ" in text, text
    assert (
        "PyTorch's autograd agrees with the backward pass there, so the finite differences are the ones off"
        in text
    )
    assert "may be wrong" not in text
    named = json.loads(e.to_json())["derivation"]["checks"]["unexplained_mismatches"]
    assert [(ref["name"], ref["torch_agrees"]) for ref in named] == [
        ("w21h", True),
        ("w31h", True),
        ("b2h", True),
    ]
    # without PyTorch nothing tells the two apart: both are named
    alone = " ".join(
        explain(model, [-2.23, 0.06], [0.5], loss="mse", fd_eps=1e-3, check_torch=False).to_text().split()
    )
    assert (
        "The backward pass may be wrong there" in alone
        and "Or the finite differences are unreliable" in alone
    )
    assert "PyTorch's autograd, where it can check the network, tells the two apart." in alone


def test_pytorch_agrees_with_a_gradient_near_zero_against_the_finite_differences_gap(torch: Any) -> None:
    """A network that fits its example (y = ŷ + 1e-12): gradients of 3.6e-13, PyTorch 1e-17 off the
    backward pass, finite differences of ε = 1e-3 7e-8 off. A test relative to the gradient
    called PyTorch in disagreement and the note said the backward pass may be wrong (248 of 516
    such mismatches over 60 fitted networks); it agrees next to the finite differences' gap."""
    rng = np.random.default_rng(3)
    model = MLP([3, 6, 6, 1], activation="tanh", rng=rng)
    x = rng.standard_normal(3)
    y = float(model(x[None, :])[0, 0]) + 1e-12
    e = explain(model, x, y, loss="mse", all_params=True, fd_eps=1e-3)
    named = json.loads(e.to_json())["derivation"]["checks"]["unexplained_mismatches"]
    assert named and all(ref["torch_agrees"] for ref in named)
    assert "Not explained by a kink" not in e.to_text() and "Finite differences off" in e.to_text()


def test_every_output_bces_clip_holds_is_named() -> None:
    """Outputs 1 and 3 clipped: the note named ŷ₁ alone, whose rows have a gradient of 0, and
    left unsaid the clip of ŷ₃, whose rows' differences it explains."""
    model = MLP([2, 3, 3], activation="tanh", output_activation="sigmoid", rng=np.random.default_rng(1))
    model[2].bias.data[...] = [40.0, 0.0, -40.0]
    e = explain(model, [0.5, -0.3], [0.0, 1.0, 1.0], loss="bce", all_params=True, check_torch=False)
    text = " ".join(e.to_text().split())
    assert "Clipped: ŷ₁ = 1 and ŷ₃ = 5.22333e-18 lie outside the interval" in text, text


def prelu_network() -> Sequential:
    """Linear(2, 3) → a PReLU-like activation holding its slope as a Parameter (``1.neg_slope``,
    0.25), whose backward adds dL/dα = Σ dL/dy · min(z, 0) → Linear(3, 1)."""
    from glassnet.nn import Parameter

    class PReLU(Activation):
        name = "prelu"

        def __init__(self) -> None:
            super().__init__()
            self.neg_slope = Parameter(np.array([0.25]))

        def function(self, z: np.ndarray) -> np.ndarray:
            return np.where(z > 0, z, self.neg_slope.data[0] * z)

        def derivative(self, z: np.ndarray) -> np.ndarray:
            return np.where(z > 0, 1.0, self.neg_slope.data[0])

        def backward(self, grad_out: np.ndarray) -> np.ndarray:
            assert self._z is not None
            self.neg_slope.grad[0] += float(np.sum(grad_out * np.minimum(self._z, 0.0)))
            return super().backward(grad_out)

    rng = np.random.default_rng(0)
    return Sequential(Linear(2, 3, rng=rng), PReLU(), Linear(3, 1, rng=rng))


def test_an_activation_with_a_parameter_of_its_own_is_explained_as_before() -> None:
    """A PReLU-like activation holds its slope as a Parameter, which gradcheck reports as
    "1.neg_slope": the mapping of finite-difference mismatches to layers took it for a Linear's
    and failed with KeyError: '1', where the explanation had been written (without the slope)."""
    e = explain(prelu_network(), [0.5, -1.0], [1.0], loss="mse", check_torch=False)
    assert "1. Forward pass" in e.to_text()


def test_an_activation_s_own_parameter_is_said_not_to_be_worked_out() -> None:
    """The slope of a PReLU-like activation is a parameter the steps update, but no section works
    it out: "Every parameter, its gradient …" listed the Linear layers' alone, without a word."""
    model = prelu_network()
    e = explain(model, [0.5, -1.0], [1.0], loss="mse", all_params=True, steps=2, check_torch=False)
    text = " ".join(e.to_text().split())
    assert (
        "Not worked out here: 1.neg_slope, a parameter held by an activation itself, not by a Linear "
        "layer: the chain rule, the tables and the checks cover the Linear layers' weights and biases "
        "only (the activation's derivatives shown use its value). The steps below update it with the "
        "rest, by the gradient the activation's backward pass gives."
    ) in text, text
    assert json.loads(e.to_json())["derivation"]["other_params"] == ["1.neg_slope"]
    assert "1.neg\\_slope" in e.to_latex()
    # without steps, nothing said of them; a network of Linear layers alone: no note, no key
    once = " ".join(explain(model, [0.5, -1.0], [1.0], loss="mse", check_torch=False).to_text().split())
    assert "Not worked out here: 1.neg_slope" in once and "The steps below" not in once
    plain = explain_exercise(check_torch=False)
    assert "Not worked out" not in plain.to_text() and "other_params" not in plain.to_dict()["derivation"]


def test_the_kink_pointer_follows_the_finite_differences_not_pytorch(torch) -> None:  # type: ignore[no-untyped-def]
    """With the PyTorch check on, the pointer came after PyTorch's 0, as if that were the
    difference across the kink."""
    e = explain(exercise_network(), [-5, 0], 0, params="w12h", all_params=True)
    text = " ".join(e.to_text().split())
    assert "finite differences 1.2e+00 (across an activation's kink: see section 5), PyTorch 0." in text, text


def _relu_behind_tanh(offset: float) -> Sequential:
    """x = 1 → tanh(w₁₁⁽¹⁾ x) → ReLU(100 a⁽¹⁾ − 100 tanh 1 + offset) → ŷ: z⁽²⁾ = offset (to rounding).

    A step ε on w₁₁⁽¹⁾ moves z⁽²⁾ by 100 · tanh′(1) · ε ≈ 42 ε, on w₁₁⁽²⁾ by tanh(1) ε only.
    """
    model = Sequential(Linear(1, 1), Tanh(), Linear(1, 1), ReLU(), Linear(1, 1))
    model[0].weight.data[...], model[0].bias.data[...] = 1.0, 0.0
    model[2].weight.data[...], model[2].bias.data[...] = 100.0, -100.0 * np.tanh(1.0) + offset
    model[4].weight.data[...], model[4].bias.data[...] = 1.0, 0.0
    return model


NEAR_KINK_NOTE = (
    "Near a kink: z₁⁽²⁾ = 1e-05 is so close to the activation's kink at 0 that a finite-difference step ε "
    "of a parameter moves it across. The loss has a derivative here, which the backward pass (like "
    "PyTorch) gives; a central finite difference across the kink mixes the two one-sided slopes, so for "
    "a parameter whose gradient passes through this unit it may differ from the backward pass by a large "
    "amount."
)


@pytest.mark.parametrize(("offset", "crossed"), [(1e-5, True), (1e-3, False)])
def test_a_kink_crossed_through_an_earlier_layer_is_noted(offset: float, crossed: bool) -> None:
    """Only the unit's own layer was checked (|z| ≤ ε max(1, max|a|)): z⁽²⁾ = 1e-5, crossed by a
    step on w₁₁⁽¹⁾ scaled by W⁽²⁾ = 100, had no note while the finite difference was 61 % off."""
    e = explain(_relu_behind_tanh(offset), [1.0], 0.0, loss="half_sse", params=["w11^1"], check_torch=False)
    d, record = e.derivation, e.param("w11^1")
    text = " ".join(e.to_text().split())
    checks = json.loads(e.to_json())["derivation"]["checks"]
    if crossed:
        z = float(d.layers[1].z[0])
        assert z == pytest.approx(1e-5, rel=1e-6)
        assert [(k.layer, k.unit, k.z, k.activation, k.derivative) for k in d.kinks] == [
            (2, 0, z, "relu", 1.0)
        ]
        assert record.numeric == pytest.approx(0.000675932, rel=1e-5)  # the secant across the kink
        assert record.engine == pytest.approx(0.000419974, rel=1e-5)  # the derivative: right here
        assert NEAR_KINK_NOTE in text and "At a kink" not in text
        assert checks["kinks"] == [{"layer": 2, "unit": 1, "z": z, "activation": "relu", "derivative": 1.0}]
        assert r"$z_{1}^{(2)} = 1 \times 10^{-5}$ is so close" in e.to_latex()
    else:  # 42 ε ≈ 4e-5 falls short of 1e-3: no step crosses, and the finite difference agrees
        assert d.kinks == () and "kink" not in text and "kinks" not in checks
        assert record.numeric == pytest.approx(record.engine, rel=1e-6)


def _two_leaky_layers(first: float, second: float) -> Sequential:
    """z₁⁽¹⁾ = 0 with LeakyReLU(first); z₁⁽²⁾ = z₂⁽²⁾ = 0 with LeakyReLU(second), for x = (1, 2)."""
    model = Sequential(Linear(2, 2), LeakyReLU(first), Linear(2, 2), LeakyReLU(second), Linear(2, 1))
    model[0].weight.data[...], model[0].bias.data[...] = [[1.0, -0.5], [1.0, 1.0]], 0.0
    model[2].weight.data[...], model[2].bias.data[...] = [[1.0, 0.0], [0.0, 1.0]], [0.0, -3.0]
    model[4].weight.data[...], model[4].bias.data[...] = [[1.0, 1.0]], 0.0
    return model


@pytest.mark.parametrize(
    ("slopes", "stated", "latex"),
    [
        (
            (0.1, 0.3),
            "takes LeakyReLU′(0) = 0.1 (for z₁⁽¹⁾) and LeakyReLU′(0) = 0.3 (for z₁⁽²⁾, z₂⁽²⁾), the slope on the left;",
            r"$\operatorname{LeakyReLU}'\left(0\right) = 0.1$ (for $z_{1}^{(1)}$) and "
            r"$\operatorname{LeakyReLU}'\left(0\right) = 0.3$ (for $z_{1}^{(2)}, z_{2}^{(2)}$), the slope",
        ),
        (
            (0.2, 0.2),
            "takes LeakyReLU′(0) = 0.2, the slope on the left;",
            r"$\operatorname{LeakyReLU}'\left(0\right) = 0.2$, the slope",
        ),
    ],
)
def test_the_kink_note_states_each_slope_for_its_units(
    slopes: tuple[float, float], stated: str, latex: str
) -> None:
    """LeakyReLU(0.1) in layer 1 and LeakyReLU(0.3) in layer 2: the note said LeakyReLU′(0) = 0.1 for all."""
    e = explain(_two_leaky_layers(*slopes), [1, 2], 1, loss="half_sse", params=["w11^1"], check_torch=False)
    text = " ".join(e.to_text().split())
    assert "At a kink: z₁⁽¹⁾ = 0, z₁⁽²⁾ = 0, z₂⁽²⁾ = 0 are at the activation's kink at 0" in text
    assert stated in text and latex in e.to_latex()
    assert [k.derivative for k in e.derivation.kinks] == [slopes[0], slopes[1], slopes[1]]


ROUNDING_NOTE = (
    "Rounding: σ′(z₁) = 1.77636e-15 is computed as the backward pass (and PyTorch) computes it, "
    "σ(z)(1 − σ(z)), which subtracts from 1 a number rounded to float64. It is accurate to about 1e-16 "
    "absolute only, a large relative error below 1e-08: even the leading digits shown may be off (a 0 may "
    "stand for a tiny positive number), and a gradient through this unit carries the same relative error."
)


@pytest.mark.parametrize(
    ("activation", "z", "params", "start"),
    [
        ("sigmoid", 34.0, "w11h", "Rounding: σ′(z₁) = 1.77636e-15 is computed"),  # exact 1.71391e-15
        ("sigmoid", 40.0, "w11h", "Rounding: σ′(z₁) = 0 is computed"),  # exact 4.24835e-18
        ("tanh", 17.0, "w11h", "Rounding: tanh′(z₁) = 6.88338e-15 is computed"),  # exact 6.85563e-15
        ("sigmoid", -34.0, "w11h", None),  # σ(z)(1 − σ(z)) ≈ σ(z): nothing cancels
        ("sigmoid", 17.0, "w11h", None),  # 4.13994e-08: above 1e-8
        ("tanh", 17.0, "b1o", None),  # the path of b₁ᵒ has no tanh′
    ],
)
def test_a_derivative_that_rounding_dominates_is_noted(
    activation: str, z: float, params: str, start: str | None
) -> None:
    """σ′(34) was shown 1.77636e-15 (exactly 1.71391e-15) without a word: the engine's (and
    PyTorch's) s(1 − s) is kept, and a note says how far to trust it."""
    model = Sequential(Linear(1, 1), Sigmoid() if activation == "sigmoid" else Tanh(), Linear(1, 1))
    model[0].weight.data[...], model[0].bias.data[...] = z, 0.0
    model[2].weight.data[...], model[2].bias.data[...] = 1.0, 0.0
    e = explain(model, [1.0], 0.0, loss="half_sse", params=[params], check_torch=False)
    text = " ".join(e.to_text().split())
    if start is None:
        assert "Rounding:" not in text
        return
    formula = "σ(z)(1 − σ(z))" if activation == "sigmoid" else "1 − tanh²(z)"
    assert f"{start} as the backward pass (and PyTorch) computes it, {formula}, which subtracts" in text
    if z == 34.0:
        assert ROUNDING_NOTE in text
        assert r"Rounding: $\sigma'\left(z_{1}\right) = 1.77636 \times 10^{-15}$ is computed" in e.to_latex()
        assert r"relative error below $1 \times 10^{-8}$" in e.to_latex()


def test_the_rounding_note_names_every_unit_of_the_delta_form() -> None:
    """Several units, both activations: each value, and each formula once."""
    model = Sequential(Linear(1, 2), Sigmoid(), Linear(2, 1), Tanh(), Linear(1, 1))
    model[0].weight.data[...], model[0].bias.data[...] = [[34.0], [40.0]], 0.0
    model[2].weight.data[...], model[2].bias.data[...] = [[10.0, 10.0]], 0.0
    model[4].weight.data[...], model[4].bias.data[...] = 1.0, 0.0
    e = explain(model, [1.0], 0.0, loss="half_sse", params=["w11^1"], deltas=True, check_torch=False)
    text = " ".join(e.to_text().split())
    assert (
        "Rounding: σ′(z₁⁽¹⁾) = 1.77636e-15, σ′(z₂⁽¹⁾) = 0, tanh′(z₁⁽²⁾) = 0 are computed as the backward pass "
        "(and PyTorch) computes them, σ(z)(1 − σ(z)) and 1 − tanh²(z), which subtracts from 1 a number "
        "rounded to float64. They are accurate to about 1e-16 absolute only"
    ) in text
    assert "a gradient through these units carries the same relative error." in text


def test_bce_at_one_skips_finite_differences_and_says_it_clips() -> None:
    """ŷ = 1 is a valid probability; ŷ + ε is not, so the finite differences cannot be taken."""
    model = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    model.load_state_dict({"0.weight": [[0.5]], "0.bias": [0.5]})
    e = explain(model, [1.0], 0.0, loss="bce", all_params=True, check_torch=False)
    record = e.param("w11^1")
    assert record.numeric is None
    eps = 1e-12
    p = 1.0 - eps  # the clipped ŷ the engine uses
    assert e.derivation.loss.value == pytest.approx(-math.log1p(-p), rel=1e-9)
    assert record.engine == pytest.approx(p / (p * (1.0 - p)), rel=1e-9)
    text = " ".join(e.to_text().split())  # the paragraphs, line breaks aside
    assert "Finite-difference check skipped: a step of ε = 1e-06 leaves the loss's domain" in text
    assert "finite differences 1" not in text and "glassnet's backward pass (model.backward)." in text
    assert "Here ŷ = 1 lies outside [ε, 1 − ε], ε = 1e-12: the loss and its derivative" in text
    data = json.loads(e.to_json())["derivation"]
    assert data["params"][0]["finite_difference"] is None
    assert data["params"][0]["differences_to_backward"]["finite_difference"] is None
    assert "BCELoss expects probabilities" in data["checks"]["finite_difference_skipped"]
    e.to_markdown(), e.to_latex()  # every format renders


def test_a_weight_too_large_for_the_step_skips_finite_differences_and_says_why() -> None:
    """θ ± ε rounds to θ at θ = 1e12: gradcheck refuses the step, and explain says so, not that
    the step left the loss's domain."""
    model = Sequential(Linear(1, 1, rng=np.random.default_rng(0)))
    model.load_state_dict({"0.weight": [[0.5]], "0.bias": [1e12]})
    e = explain(model, [1.0], 1e12, loss="mse", all_params=True, check_torch=False)
    assert e.param("w11^1").numeric is None
    text = " ".join(e.to_text().split())
    assert "Finite-difference check skipped: a step of ε = 1e-06 is below a weight's rounding" in text
    assert "leaves the loss's domain" not in text


def _sigmoid_output(weight: list[list[float]]) -> Sequential:
    model = Sequential(Linear(len(weight[0]), len(weight)), Sigmoid())
    model[0].weight.data[...], model[0].bias.data[...] = weight, 0.0
    return model


@pytest.mark.parametrize(
    ("weight", "y", "digits", "sentence"),
    [
        (  # ŷ = σ(16) = 0.99999988746
            [[8.0, 4.0]],
            0.0,
            6,
            "Binary cross-entropy of a probability ŷ. Here ŷ = 1 − 1.12535e-07 (shown rounded to 1): 1 − ŷ "
            "below is small, not 0.",
        ),
        (  # σ(4) = 0.982 at one digit
            [[2.0, 1.0]],
            0.0,
            1,
            "Binary cross-entropy of a probability ŷ. Here ŷ = 1 − 0.02 (shown rounded to 1): 1 − ŷ below is "
            "small, not 0.",
        ),
        (
            [[8.0, 4.0], [9.0, 9.0], [0.1, 0.0]],
            [0.0, 1.0, 0.0],
            6,
            "Binary cross-entropy of a probability ŷ. Here ŷ₁ = 1 − 1.12535e-07, ŷ₂ = 1 − 1.87961e-12 (shown "
            "rounded to 1): 1 − ŷₖ below is small, not 0.",
        ),
        ([[1.0, 0.5]], 0.0, 6, None),  # σ(2) = 0.880797
    ],
)
def test_a_bce_prediction_shown_rounded_to_one_is_written_out(
    weight: list[list[float]], y: float | list[float], digits: int, sentence: str | None
) -> None:
    """ŷ = 0.99999988746 read "σ(16) = 1", "log(1 − 1)" and "1 · (1 − 1)" without a word: log 0 and 0/0."""
    e = explain(_sigmoid_output(weight), [1, 2], y, loss="bce", digits=digits, check_torch=False)
    text = " ".join(e.to_text().split())
    if sentence is None:
        assert "shown rounded" not in text
        return
    assert sentence in text
    if digits == 6 and len(weight) == 1:
        assert "log(1 − 1)" in text  # the formula as the digits give it, which the note explains
        assert (
            r"Here $\hat{y} = 1 - 1.12535 \times 10^{-7}$ (shown rounded to 1): $1 - \hat{y}$ below"
            in e.to_latex()
        )


def test_param_accepts_every_spelling_that_params_does() -> None:
    model = MLP([3, 4, 1], activation="tanh", rng=np.random.default_rng(0))
    e = explain(model, [0.5, -1, 2], 1, params=["w21^1", "b1^2"], check_torch=False)
    first = e.derivation.params[0]
    for name in ("w21^1", "w21h", "w₂₁ʰ", "w_{21}^{h}", "w^h_{21}", "w^{h}_{21}", "wʰ₂₁", "0.weight[1,0]"):
        assert e.param(name) is first
    for name in ("b1^2", "b^o_1", "b^{(2)}_{1}", "b^2_1"):
        assert e.param(name) is e.derivation.params[1]
    with pytest.raises(KeyError, match=r"parameter 'w11\^1' was not explained; explained: w21h, b1o"):
        e.param("w11^1")
    with pytest.raises(KeyError, match=r"parameter 'w99h' was not explained \(no parameter 'w99h'"):
        e.param("w99h")


@pytest.mark.parametrize(
    ("written", "dotted"),
    [
        # the superscript first, as the notebook writes w₁₂ʰ in LaTeX (w^h_{12}): "unknown parameter name"
        ("w^h_{12}", "0.weight[0,1]"),
        ("w^{h}_{31}", "0.weight[2,0]"),
        ("b^o_1", "2.bias[0]"),
        ("b^{o}_{1}", "2.bias[0]"),
        ("wʰ₁₂", "0.weight[0,1]"),
        ("w^{(1)}_{12}", "0.weight[0,1]"),
        ("w^(1)12", "0.weight[0,1]"),
        ("w^1_{12}", "0.weight[0,1]"),
        ("w⁽²⁾₁₃", "2.weight[0,2]"),
        ("w²₁₃", "2.weight[0,2]"),
        ("b^2_1", "2.bias[0]"),
    ],
)
def test_a_superscript_may_come_first(written: str, dotted: str) -> None:
    e = explain(exercise_network(), [1, 2], 0, params=written, check_torch=False)
    assert [r.ref.dotted for r in e.derivation.params] == [dotted]


@pytest.mark.parametrize(
    ("written", "match"),
    [
        # w^112: layer 1, entry (1, 2), or layer 11, entry 2? A bare layer number needs its "_"
        ("w^112", r"unknown parameter name 'w\^112'; .*either with the superscript first \(w\^h_\{12\}\)"),
        ("w^h_{123}", r"parameter 'w\^h_\{123\}': a weight needs two indices"),
        ("b^o_{1,2}", r"parameter 'b\^o_\{1,2\}': a bias has one index"),
        ("w^h_{12}^o", r"unknown parameter name"),
    ],
)
def test_a_superscript_first_that_is_not_a_parameter(written: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        explain(exercise_network(), [1, 2], 0, params=written, check_torch=False)


def test_param_of_a_whole_array_asks_for_one_entry() -> None:
    """params takes 0.weight for every entry; param("0.weight") said it "was not explained"."""
    e = explain_exercise(params=["0.weight"], check_torch=False)
    with pytest.raises(
        KeyError,
        match=r"parameter '0\.weight' names a whole array \(6 entries\); name one entry; explained: "
        r"w11h \(0\.weight\[0,0\]\), w12h \(0\.weight\[0,1\]\), .*, w32h \(0\.weight\[2,1\]\)\"$",
    ):
        e.param("0.weight")
    assert e.param("0.weight[2,1]") is e.derivation.params[-1]
    # an array none of whose entries was explained is just not explained
    with pytest.raises(KeyError, match=r"parameter '2\.bias' was not explained; explained: w11h, "):
        e.param("2.bias")
    one = explain_exercise(check_torch=False)  # w12h only: the entries explained are named
    with pytest.raises(
        KeyError, match=r"whole array \(6 entries\); name one entry; explained: w12h \(0\.weight\[0,1\]\)\"$"
    ):
        one.param("0.weight")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh", "softplus"])
def test_the_logistic_loss_of_an_output_that_cannot_be_a_logit_is_refused(activation: str) -> None:
    """The Trainer refuses loss='logistic' on these outputs (BOUNDED_OUTPUTS); explain explained
    σ(σ(z)) for a sigmoid. Other losses and a LeakyReLU output (every real number) are explained."""
    model = MLP([2, 3, 1], activation="relu", output_activation=activation, rng=np.random.default_rng(0))
    assert activation in BOUNDED_OUTPUTS
    for loss in ("logistic", LogisticLoss("pm1")):
        with pytest.raises(
            ValueError, match=f"got the output activation '{activation}', whose outputs cannot"
        ):
            explain(model, [1, 2], 1, loss=loss, check_torch=False)
    explain(model, [1, 2], 0.5, loss="mse", check_torch=False)
    leaky = MLP([2, 3, 1], activation="relu", output_activation="leaky_relu", rng=np.random.default_rng(0))
    explain(leaky, [1, 2], 1, check_torch=False)


def test_a_pytorch_model_is_named_in_full_and_pointed_to_from_torch(torch) -> None:  # type: ignore[no-untyped-def]
    """ "needs a glassnet Module (Sequential, …), got Sequential" contradicted itself."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(
        TypeError,
        match=r"got torch\.nn\.modules\.container\.Sequential; convert a PyTorch model with "
        r"glassnet\.torch_bridge\.from_torch\(model\)$",
    ):
        explain(model, [1, 2], 0)

    class Net(torch.nn.Module):  # a subclass of the user's own: still a PyTorch model
        pass

    with pytest.raises(TypeError, match=r"got .*Net; convert a PyTorch model with glassnet\.torch_bridge"):
        explain(Net(), [1, 2], 0)


@pytest.mark.parametrize("params", [5, ["w12h", 3], {"w12h": 1}])
def test_params_of_the_wrong_type(params: object) -> None:
    with pytest.raises(TypeError, match=r"params must be a name or a list of names .*, got "):
        explain(exercise_network(), [1, 2], 0, params=params, check_torch=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "y, labels, sentence",
    [
        ([0, -1], "01", "The label y₂ = -1 lies outside {0, 1}; the logistic formula is applied to it as"),
        (
            [2, -1],
            "01",
            "The labels y₁ = 2, y₂ = -1 lie outside {0, 1}; the logistic formula is applied to them",
        ),
        ([1, 0], "pm1", "The label y₂ = 0 lies outside {-1, +1}; the logistic formula is applied to it as"),
    ],
)
def test_literal_labels_note_names_only_the_labels_outside(
    y: list[float], labels: str, sentence: str
) -> None:
    """A label inside the convention (y₁ = 0 in {0, 1}) was once listed as lying outside it."""
    model = MLP([2, 3, 2], activation="relu", rng=np.random.default_rng(0))
    e = explain(model, [1, 2], y, labels=labels, literal_labels=True, check_torch=False)  # type: ignore[arg-type]
    assert e.notes[0].text.startswith(sentence)
    assert " ".join(e.to_text().split()).count(sentence) == 1


def test_without_pytorch_the_skipped_check_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError, as without the extra
    text = explain_exercise(check_torch=True).render("text")
    assert "PyTorch check skipped: PyTorch is not installed; install the extra with:" in text
    assert "pip install 'glassnet[torch]'" in " ".join(text.split())


def test_a_check_turned_off_says_how_it_was_turned_off() -> None:
    # it read "PyTorch check skipped: PyTorch check not requested."
    explanation = explain_exercise(check_torch=False)
    assert "PyTorch check skipped: turned off (check_torch=False, or --no-torch)." in explanation.render(
        "text"
    )
    assert (
        explanation.to_dict()["derivation"]["checks"]["torch_skipped"]
        == "turned off (check_torch=False, or --no-torch)"
    )


def test_a_subclass_of_an_activation_gets_no_pytorch_function_to_be_checked_against() -> None:
    """A subclass may compute something else: PyTorch's function of its parent would have made the
    check report a disagreement (or an agreement) about another function; torch_bridge refuses
    subclasses too."""
    torch = require_torch()
    import torch.nn.functional as F

    from glassnet.explain._torch import _torch_activation

    class Doubled(Tanh):
        def function(self, z: Any) -> Any:
            return 2.0 * np.tanh(z)

    assert _torch_activation(Doubled(), torch, F) is None
    assert _torch_activation(Tanh(), torch, F) is torch.tanh
    assert _torch_activation(ReLU(), torch, F) is F.relu


def test_an_svg_figure_is_the_same_bytes_for_the_same_network(tmp_path: Path) -> None:
    """The SVG held its date and random clip-path ids: two identical runs differed."""
    explanation = explain_exercise(check_torch=False)
    first = explanation.save_figure(tmp_path / "a.svg").read_bytes()
    second = explanation.save_figure(tmp_path / "b.svg").read_bytes()
    assert first == second
