"""Golden files: the exercise's explanation in every format, and the LaTeX compiles.

Regenerate after an intended change with
``GLASSNET_UPDATE_GOLDEN=1 python -m pytest tests/test_explain_golden.py`` and review
the diff. Printed differences (|Δ|) are masked: their last digits depend on the
platform's floating-point library. The JSON is compared value by value with tolerances.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.explain import Explanation, explain, explain_exercise, explain_spec
from glassnet.nn import MLP, stable_sigmoid
from test_explain import doubled_tanh_network, prelu_network

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UPDATE = os.environ.get("GLASSNET_UPDATE_GOLDEN") == "1"
FILES = {"text": "exercise.txt", "markdown": "exercise.md", "latex": "exercise.tex", "json": "exercise.json"}
MASKS = [
    re.compile(r"\d\.\de[-+]\d{2,3}"),  # text: 1.5e-11
    re.compile(r"\d\.\d \\times 10\^\{-?\d+\}"),  # LaTeX: 1.5 \times 10^{-11}
    # a |Δ| of exactly 0 (here, 1.1e-16 elsewhere): the last cell of a table row, right-aligned
    # under 1.5e-11 in the text, $0$ in Markdown and LaTeX
    re.compile(r"(?m) {6}0$"),
    re.compile(r"(?m)(?<=\$)0(?=\$ (?:\||\\\\)$)"),
]


def _mask(text: str) -> str:
    for pattern in MASKS:
        text = pattern.sub("<diff>", text)
    return text


@pytest.fixture(scope="module")
def exercise(torch) -> Explanation:  # type: ignore[no-untyped-def]
    return explain_exercise()  # with the PyTorch check, as glassnet explain --example exercise


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_golden(exercise: Explanation, fmt: str) -> None:
    path = GOLDEN / FILES[fmt]
    produced = exercise.render(fmt)  # type: ignore[arg-type]
    if UPDATE:
        path.write_text(produced, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if fmt == "json":
        _close(json.loads(produced), json.loads(expected), "$")
    else:
        assert _mask(produced) == _mask(expected)


def _close(got: Any, want: Any, where: str) -> None:
    """Same structure; floats to 1e-9 (finite differences and differences to 1e-6)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for key in want:
            _close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _close(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        loose = "finite_difference" in where or "differences" in where
        assert got == pytest.approx(want, abs=1e-6 if loose else 1e-9), where
    else:
        assert got == want, where


def test_golden_json_numbers() -> None:
    data = json.loads((GOLDEN / "exercise.json").read_text(encoding="utf-8"))
    main, alt = data["derivation"], data["alternative"]["derivation"]
    s6, s2 = float(stable_sigmoid(6.0)), float(stable_sigmoid(2.0))
    assert main["loss"]["prediction"] == [2.0]
    assert main["loss"]["value"] == pytest.approx(math.log1p(math.exp(6)), abs=1e-9)
    assert main["loss"]["gradient"][0] == pytest.approx(3 * s6, abs=1e-9)
    assert main["params"][0]["chain_rule"] == pytest.approx(3 * s6, abs=1e-9)
    assert main["params"][0]["updated"] == pytest.approx(0.4 - 0.3 * s6, abs=1e-9)
    assert alt["loss"]["value"] == pytest.approx(math.log1p(math.exp(2)), abs=1e-9)
    assert alt["params"][0]["backward"] == pytest.approx(s2, abs=1e-9)
    assert alt["params"][0]["updated"] == pytest.approx(0.4 - 0.1 * s2, abs=1e-9)


def _tex_engine() -> str | None:
    for engine in ("pdflatex", "lualatex"):
        if shutil.which(engine):
            return engine
    return None


def _compile(tex: str, tmp_path: Path) -> str:
    """Compile ``tex``; returns the engine's output (its log on the terminal)."""
    engine = _tex_engine()
    if engine is None:
        if os.environ.get("GLASSNET_REQUIRE_TEX") == "1":
            pytest.fail("GLASSNET_REQUIRE_TEX=1 but neither pdflatex nor lualatex is installed")
        pytest.skip("no TeX engine (pdflatex, lualatex) installed")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    result = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
    assert result.returncode == 0, f"{engine} failed: {errors or result.stdout[-2000:]}"
    assert (tmp_path / "doc.pdf").stat().st_size > 0
    return result.stdout


def test_latex_golden_compiles(tmp_path: Path) -> None:
    _compile((GOLDEN / "exercise.tex").read_text(encoding="utf-8"), tmp_path)


def test_latex_of_a_deeper_network_compiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    model = MLP([3, 3, 2, 2], activation="leaky_relu", output_activation="sigmoid", rng=rng)
    e = explain(
        model,
        rng.normal(size=3),
        [0.0, 1.0],
        loss="bce",
        params=["w21^1", "b2^3", "2.weight[0,1]"],
        all_params=True,
        steps=2,
        check_torch=False,
    )
    _compile(e.to_latex(), tmp_path)


def test_latex_keeps_accented_letters_of_a_title_and_compiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    model = MLP([2, 2, 1], rng=rng)
    title = "Réseau n°1 — naïve, “Übung” ×2 ☃"
    tex = explain(model, [1.0, -1.0], 1.0, title=title, check_torch=False).to_latex()
    # accented letters as written, the others as LaTeX writes them; a snowman has no glyph
    assert r"Réseau n\textdegree{}1 --- naïve, ``Übung'' $\times$2 ?" in tex
    _compile(tex, tmp_path)


def test_latex_keeps_latin_letters_symbols_and_greek_of_a_title_and_compiles(tmp_path: Path) -> None:
    """Ł, «, £, §, ¿ and ² had been written as "?" (only À to ÿ passed), and so had ∂, the sign
    the explanation itself writes; the characters T1 fonts lack stay "?"."""
    rng = np.random.default_rng(3)
    model = MLP([2, 2, 1], rng=rng)
    title = "Łódź: « Ćwiczenie » £5 § 2 ¿Qué? ∂L/∂w, x², α ≤ 0.1 ∞ Ħ"
    tex = explain(model, [1.0, -1.0], 1.0, title=title, check_torch=False).to_latex()
    expected = r"Łódź: « Ćwiczenie » £5 § 2 ¿Qué? $\partial$L/$\partial$w, x², $\alpha$ $\leq$ 0.1 $\infty$ ?"
    assert expected in tex
    _compile(tex, tmp_path)


def test_latex_of_a_layer_with_more_than_ten_units_compiles(tmp_path: Path) -> None:
    """amsmath's bmatrix takes 10 columns unless told more: a 12-unit layer's Wᵀ and a
    1×11 weight row must still compile."""
    rng = np.random.default_rng(5)
    model = MLP([11, 12, 1], activation="tanh", rng=rng)
    e = explain(model, rng.normal(size=11), 1.0, params="w1,11^1", deltas=True, check_torch=False)
    tex = e.to_latex()
    assert r"\setcounter{MaxMatrixCols}{12}" in tex
    _compile(tex, tmp_path)


def test_latex_of_a_mismatch_note_compiles(tmp_path: Path) -> None:
    """The note naming parameters whose finite differences mismatch, with no kink to explain it."""
    e = explain(doubled_tanh_network(), [0.0, 1.0], [0.0], loss="mse", all_params=True, check_torch=False)
    tex = e.to_latex()
    assert "Not explained by a kink" in tex and "no kink explains" in tex
    _compile(tex, tmp_path)


def test_latex_of_an_activations_own_parameter_note_compiles(tmp_path: Path) -> None:
    """The note naming an activation's own parameter (1.neg_slope: an underscore in text)."""
    e = explain(prelu_network(), [0.5, -1.0], [1.0], loss="mse", all_params=True, steps=1, check_torch=False)
    _compile(e.to_latex(), tmp_path)


def test_latex_of_the_three_layer_example_fits_the_page(tmp_path: Path) -> None:
    """Its path sums (two paths of five factors) ran 7 cm past the margin on one row."""
    e = explain_spec(EXAMPLES / "three_layers_mse.json", params=["w11^2"], check_torch=False)
    log = _compile(e.to_latex(), tmp_path)
    assert "Overfull \\hbox" not in log


@pytest.mark.parametrize(
    ("loss", "outputs"),
    [("bce", 2), ("bce", 3), ("logistic", 2), ("logistic", 3), ("mse", 3), ("half_sse", 3), ("mse", 5)],
)
def test_latex_loss_of_several_outputs_fits_the_page(loss: str, outputs: int, tmp_path: Path) -> None:
    """The loss of K outputs was one row: 244 pt past the margin for two BCE outputs, 5 pt for two
    logistic ones. Now one ℓₖ per row, then L = (1/K)[ℓ₁ + …], with ⋯ for more than four terms."""
    rng = np.random.default_rng(outputs)
    model = MLP(
        [2, 2, outputs], activation="tanh", output_activation="sigmoid" if loss == "bce" else None, rng=rng
    )
    y = [1.0, 0.0, 1.0][:outputs] if loss in ("bce", "logistic") else rng.normal(size=outputs)
    tex = explain(model, [1.0, 2.0], y, loss=loss, reduction="mean", check_torch=False).to_latex()
    assert (r"\ell_{2} + \cdots + \ell_{5}" in tex) == (outputs == 5)
    log = _compile(tex, tmp_path)
    assert "Overfull \\hbox" not in log
