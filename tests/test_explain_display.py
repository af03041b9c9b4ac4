"""glassnet.explain as it reads: signs, cancelling sums, zero differences, section numbers, line breaks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from glassnet.exercise import exercise_network
from glassnet.explain import Explanation, explain, explain_exercise
from glassnet.explain._document import _letters
from glassnet.explain._symbols import LatexStyle, Style
from glassnet.nn import MLP, Linear, ReLU, Sequential
from test_explain_edge_cases import one_unit_network


def _words(text: str) -> str:
    """``text`` with every run of white space one space: a paragraph as one line."""
    return " ".join(text.split())


def _all_formats(e: Explanation) -> dict[str, str]:
    return {"text": e.to_text(), "markdown": e.to_markdown(), "latex": e.to_latex()}


# -- a negative number after an operator -------------------------------------------------


def test_a_negative_scalar_bias_is_bracketed_after_plus() -> None:
    """bᵒ = −3 was written "+ -3" (a one-element vector took num, not par), while every other
    negative term was bracketed: (-1)·1.6, + (-0.15)."""
    model = exercise_network()
    model[2].bias.data[...] = -3.0
    e = explain(model, [1, -2], 1, check_torch=False)
    formats = _all_formats(e)
    for fmt, out in formats.items():
        assert not re.search(r"\+ -\d", out), fmt
    text, latex = formats["text"], formats["latex"]
    assert "⎢1.6⎥ + (-3)\n" in text
    assert "= 0.5·0.4 + (-1)·1.6 + 0·0 + (-3)\n" in text and "= -1.4 + (-3)\n" in text
    assert r"&= 0.5\cdot0.4 + (-1)\cdot1.6 + 0\cdot0 + (-3) \\" in latex
    assert r"&= -1.4 + (-3) \\" in latex and r"&= -1.4 + (-3) \\" in formats["markdown"]


# -- a sum that cancels ------------------------------------------------------------------

CANCELLATION = (
    "is far smaller than the terms that make it up. The terms are shown rounded to {digits} significant "
    "digits, but the result is computed from their unrounded float64 values, so the terms as shown need "
    "not add up to it (in float64, 0.1 + 0.2 is 0.30000000000000004, shown 0.3)."
)


def _cancelling_relu(weight: list[float], bias: float) -> Sequential:
    """2 → 1 → 1: one ReLU unit with ``weight`` and ``bias``, then ŷ = h."""
    model = Sequential(Linear(2, 1), ReLU(), Linear(1, 1))
    model[0].weight.data[...] = [weight]
    model[0].bias.data[...] = bias
    model[2].weight.data[...] = 1.0
    model[2].bias.data[...] = 0.0
    return model


def test_a_forward_sum_that_cancels_is_noted() -> None:
    """0.1·1 + 0.2·1 + (-0.3) = 0.3 + (-0.3) = 5.55112e-17, and nothing said that the 0.3 is
    0.30000000000000004."""
    e = explain(_cancelling_relu([0.1, 0.2], -0.3), [1, 1], 1, loss="mse", check_torch=False)
    text = e.to_text()
    assert "= 0.3 + (-0.3)\n               = 5.55112e-17\n" in text
    note = "Cancellation: z₁ = 5.55112e-17 " + CANCELLATION.format(digits=6)
    assert note in _words(text)
    # right after the layer's equations, before its activation
    assert text.index("Cancellation") < text.index("Element by element")
    latex = _words(e.to_latex())
    assert r"Cancellation: $z_{1} = 5.55112 \times 10^{-17}$ is far smaller" in latex
    assert r"Cancellation: $z_{1} = 5.55112 \times 10^{-17}$ is far smaller" in _words(e.to_markdown())
    # at 17 digits the terms as shown add up: 0.30000000000000004 + (-0.29999999999999999)
    assert (
        "Cancellation"
        not in explain(
            _cancelling_relu([0.1, 0.2], -0.3), [1, 1], 1, loss="mse", digits=17, check_torch=False
        ).to_text()
    )


def test_a_product_that_cancels_is_noted_by_its_row() -> None:
    """0.1·3 + (-0.3)·1 is 5.55e-17 (0.1·3 is 0.30000000000000004); z = that + 1 is not small."""
    e = explain(_cancelling_relu([0.1, -0.3], 1.0), [3, 1], 1, loss="mse", check_torch=False)
    text = e.to_text()
    assert "= 0.1·3 + (-0.3)·1 + 1\n               = 5.55112e-17 + 1\n               = 1\n" in text
    assert "Cancellation: (Wʰx)₁ = 5.55112e-17 is far smaller" in _words(text)
    assert text.count("Cancellation") == 1  # z₁ = 1 is no cancellation
    assert r"Cancellation: $(W^{h}x)_{1} = 5.55112 \times 10^{-17}$" in _words(e.to_latex())


def test_no_cancellation_note_where_a_sum_is_exact_or_does_not_cancel() -> None:
    """1 + (-1) = 0 is exact (the terms as shown add up); the exercise has no cancelling sum."""
    exact = explain(_cancelling_relu([0.5, 0.5], -1.0), [1, 1], 1, loss="mse", check_torch=False)
    assert "= 1 + (-1)\n" in exact.to_text() and "Cancellation" not in exact.to_text()
    assert (
        "Cancellation" not in explain_exercise(params=["w12h", "b1o"], steps=2, check_torch=False).to_text()
    )


@pytest.mark.parametrize(
    ("weight", "bias", "x", "digits"),
    [([3.0, -4.0], 0.0, [1, 1], 1), ([1.0, -0.95], 0.0, [1, 1], 2), ([0.5, 0.25], -0.75, [1, 1], 1)],
    ids=["3-4", "1-0.95", "0.5+0.25-0.75-exact"],
)
def test_no_cancellation_note_where_the_terms_as_shown_add_up(
    weight: list[float], bias: float, x: list[float], digits: int
) -> None:
    """At few digits a small result is no cancellation when the terms as shown add up to it:
    3 + (-4) = -1 at one digit, 1 + (-0.95) = 0.05 at two."""
    e = explain(_cancelling_relu(weight, bias), x, 1, loss="mse", digits=digits, check_torch=False)
    assert "Cancellation" not in e.to_text()
    assert "Cancellation" not in explain_exercise(digits=1, check_torch=False).to_text()


def test_a_row_that_cancels_is_noted_once_not_again_for_its_z() -> None:
    """z = (W a)ᵢ + 0 adds up as shown once (W a)ᵢ is: only the row is noted."""
    e = explain(_cancelling_relu([0.1, -0.3], 0.0), [3, 1], 1, loss="mse", check_torch=False)
    words = _words(e.to_text())
    assert "Cancellation: (Wʰx)₁ = 5.55112e-17 is far smaller" in words
    assert words.count("Cancellation") == 1
    named = words[words.index("Cancellation:") : words.index("far smaller")]
    assert named == "Cancellation: (Wʰx)₁ = 5.55112e-17 is "  # not ", z₁ = 5.55112e-17 are"


def test_a_path_sum_that_cancels_is_noted() -> None:
    """Two paths whose products are g·0.3 and g·(-3)(0.1), the second 0.30000000000000004·(−g)."""
    model = Sequential(Linear(1, 1), Linear(1, 2), Linear(2, 1))
    model[0].weight.data[...] = 1.0
    model[1].weight.data[...] = [[0.3], [0.1]]
    model[2].weight.data[...] = [[1.0, -3.0]]
    for layer in (model[0], model[1], model[2]):
        layer.bias.data[...] = 0.0
    e = explain(model, [1], 1, loss="mse", params="w11^1", check_torch=False)
    record = e.param()
    assert record.paths is not None and len(record.paths) == 2
    assert record.chain is not None and 0 < abs(record.chain) < 1e-15
    words = _words(e.to_text())
    assert f"Cancellation: ∂L/∂w₁₁⁽¹⁾ = {Style().num(record.chain)} is far smaller" in words


def test_an_update_and_a_loss_difference_that_cancel_are_noted() -> None:
    """b ← 0.3 − 0.1 · 3 = -5.55e-17 (0.1 · 3 is 0.30000000000000004), in section 4 and in a step;
    ŷ − y = 0.30000000000000004 − 0.3 in the loss."""
    model = Sequential(Linear(1, 1))
    model[0].weight.data[...] = 0.0
    model[0].bias.data[...] = 0.3
    e = explain(model, [1], -1.2, loss="mse", params="b1^1", steps=1, check_torch=False)
    assert e.param().engine == 3.0 and 0 < abs(e.param().updated) < 1e-16
    text = e.to_text()
    words = _words(text)
    assert "b₁⁽¹⁾ ← b₁⁽¹⁾ − η∂L/∂b₁⁽¹⁾ = 0.3 − 0.1 · 3 = -5.55112e-17" in text
    note = "Cancellation: the updated b₁⁽¹⁾ = -5.55112e-17 " + CANCELLATION.format(digits=6)
    assert words.count(note) == 2  # section 4, and step 1
    assert text.index("Cancellation") > text.index("4. Update")

    model = Sequential(Linear(1, 1))
    model[0].weight.data[...] = 0.1
    model[0].bias.data[...] = 0.2
    e = explain(model, [1], 0.3, loss="mse", check_torch=False)
    text = e.to_text()
    assert "L = (ŷ − y)² = (0.3 − 0.3)²" in text
    assert "Cancellation: ŷ − y = 5.55112e-17 is far smaller" in _words(text)
    assert text.index("Cancellation") < text.index("3. Chain rule")


# -- numbers and sections ----------------------------------------------------------------


@pytest.mark.parametrize("style", [Style(), LatexStyle()], ids=["text", "latex"])
def test_a_difference_of_exactly_zero_is_written_0(style: Style) -> None:
    """|Δ| = 0 was written 0.0e+00, 0.0 × 10⁰ in Markdown and LaTeX."""
    assert style.diff(0.0) == "0"
    assert style.diff(1.5e-11) in ("1.5e-11", r"1.5 \times 10^{-11}")


def test_the_exercise_writes_an_exact_agreement_as_0() -> None:
    e = explain_exercise(check_torch=False)
    assert re.search(r"\n  chain rule \(product\) +2\.99258 +0\n", e.to_text())
    assert "| chain rule (product) | $2.99258$ | $0$ |" in e.to_markdown()
    assert r"chain rule (product) & $2.99258$ & $0$ \\" in e.to_latex()


def test_chain_rule_sections_are_3a_3b_for_several_parameters() -> None:
    """Every chain-rule section was "3. Chain rule for …"."""
    e = explain_exercise(params=["w12h", "b1o", "w11h"], check_torch=False)
    headings = [line for line in e.to_text().splitlines() if re.match(r"\d+[a-z]*\. ", line)]
    assert headings[:6] == [
        "1. Forward pass",
        "2. Loss",
        "3a. Chain rule for w₁₂ʰ (glassnet: 0.weight[0,1])",
        "3b. Chain rule for b₁ᵒ (glassnet: 2.bias[0])",
        "3c. Chain rule for w₁₁ʰ (glassnet: 0.weight[0,0])",
        "4. Update (η = 0.1)",
    ]
    assert "## 3b. Chain rule for $b_{1}^{o}$" in e.to_markdown()
    assert r"\subsection*{3b. Chain rule for $b_{1}^{o}$" in e.to_latex()
    one = explain_exercise(check_torch=False).to_text()
    assert "\n3. Chain rule for w₁₂ʰ" in one and "3a." not in one
    assert [_letters(n) for n in (0, 1, 25, 26, 27, 51, 52)] == ["a", "b", "z", "aa", "ab", "az", "ba"]


def test_a_one_by_one_layer_writes_its_product_once() -> None:
    """W a of a 1 × 1 layer was written twice: "1 · 5.55e-17 + 0", then "1·5.55e-17 + 0"."""
    model = one_unit_network()
    for fmt, out in _all_formats(explain(model, [2.0], 1.0, loss="mse", check_torch=False)).items():
        assert ("0.5·2" not in out) and (r"0.5\cdot2" not in out), fmt
    text = explain(model, [2.0], 1.0, loss="mse", check_torch=False).to_text()
    assert "  z = Wʰx + bʰ = 0.5 · 2 + 1\n               = 1 + 1\n               = 2\n" in text


# -- line breaks -------------------------------------------------------------------------


def test_a_long_row_breaks_before_an_operator() -> None:
    """The docs' MLP([3, 4, 1], tanh): bᵒ wrapped onto a line of its own after a trailing "+"."""
    model = MLP([3, 4, 1], activation="tanh", rng=np.random.default_rng(0))
    e = explain(model, [0.5, -1, 2], 1, params=["w21^1", "b1^2"], all_params=True, steps=3, check_torch=False)
    lines = e.to_text().splitlines()
    operator_at_end = [line for line in lines if re.search(r"[+·⊙−]$", line)]
    assert operator_at_end == []
    assert "                   + (-0.47168)" in lines
    assert max(len(line) for line in lines) <= 80


IPYTHON_FIGURE = """
import sys
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import select_figure_formats
from glassnet.explain import explain_exercise

shell = InteractiveShell.instance()  # what get_ipython() returns, as in a kernel
how, chosen = sys.argv[1].split(":")
if how == "registered":  # the backend started (%matplotlib inline, or pyplot drew) in that format
    select_figure_formats(shell, {chosen})
elif how == "config":  # %config InlineBackend.figure_formats = [...] before the backend started
    from matplotlib_inline.config import InlineBackend

    InlineBackend.instance(parent=shell).figure_formats = {chosen}
shown = shell.display_formatter.format(explain_exercise().figure())[0]
print(",".join(sorted(shown)))
"""


@pytest.mark.parametrize(
    ("chosen", "shown"),
    [
        ("none:", "image/png,text/plain"),
        ("registered:svg", "image/svg+xml,text/plain"),
        ("config:svg", "image/svg+xml,text/plain"),  # it was PNG (a review of the fix)
    ],
)
def test_a_notebook_cell_ending_in_figure_shows_the_image(chosen: str, shown: str) -> None:
    """In a fresh kernel the figure showed as the text "<Figure size 1110x670 with 1 Axes>": the
    inline backend displays figures once pyplot has made one, and glassnet draws without pyplot
    (a review of Jupyter use). A format the user chose stays the one shown."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", IPYTHON_FIGURE, chosen],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == shown
