"""glassnet.explain at the edges: one-unit layers, long inputs, odd titles, BCE targets, LeakyReLU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.explain import explain, explain_exercise, explain_spec
from glassnet.nn import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh


def one_unit_network() -> Sequential:
    """x ∈ R¹, one tanh unit, one output: every weight matrix and vector is a single number."""
    model = Sequential(Linear(1, 1), Tanh(), Linear(1, 1))
    model[0].weight.data[...] = 0.5
    model[0].bias.data[...] = 1.0
    model[2].weight.data[...] = -2.0
    model[2].bias.data[...] = 0.25
    return model


def test_a_number_times_a_number_is_written_with_a_dot() -> None:
    """W x with W and x single numbers was written side by side: z = 0.52 + 1 for 0.5·2 + 1,
    ŷ = -20.964028 + 0.25, and the δ form -2-5.35611 for (-2)·(-5.35611)."""
    e = explain(one_unit_network(), [2.0], 1.0, loss="mse", deltas=True, check_torch=False)
    text, latex = e.to_text(), e.to_latex()
    assert "= 0.5 · 2 + 1" in text and "0.52" not in text
    assert "= (-2) · 0.964028 + 0.25" in text and "-20.964028" not in text
    assert "= (-2) · (-5.35611) ⊙ 0.0706508" in text
    assert r"&= 0.5 \cdot 2 + 1" in latex and r"&= (-2) \cdot (-5.35611) \odot 0.0706508" in latex


def test_a_column_times_a_number_is_written_with_a_dot() -> None:
    """(Wᵒ)ᵀ δᵒ of the exercise: a column and a single number ran together (⎤2.99258)."""
    e = explain_exercise(deltas=True, check_torch=False)
    assert r"\end{bmatrix} \cdot 2.99258 \odot" in e.to_latex()
    assert "⎥ · 2.99258 ⊙ ⎢" in e.to_text()


def test_a_long_input_vector_wraps_between_numbers_not_inside_one() -> None:
    """The text broke the line inside a number: "… -0.376" and "835, -1.54266]" on the next."""
    values = [-0.695796, -0.0471071, -0.689159, 0.317012, -1.07853, 1.60968, -0.376835, -1.54266]
    model = Sequential(Linear(8, 1, rng=np.random.default_rng(0)))
    text = explain(model, values, 0.5, loss="mse", check_torch=False).to_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Input x = ["))
    shown = " ".join(lines[start : start + 2])
    assert all(f"{v:g}" in shown for v in values), shown
    assert all(len(line) <= 80 for line in lines[start : start + 2])


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (r"Costs $5 and $6", r"# Costs \$5 and \$6"),
        (r"Net $\badcmd$ _x_", r"# Net \$\\badcmd\$ \_x\_"),
    ],
)
def test_a_markdown_title_is_shown_as_written(title: str, expected: str) -> None:
    """A title's $…$ became maths in Markdown (a MathJax error for $\\badcmd$), _x_ italics."""
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(0)))
    markdown = explain(model, [1.0, 2.0], 0.5, loss="mse", title=title, check_torch=False).to_markdown()
    assert markdown.splitlines()[0] == expected


def probability_network() -> Sequential:
    return Sequential(Linear(2, 1, rng=np.random.default_rng(0)), Sigmoid())


@pytest.mark.parametrize("target", [2.0, -0.5])
def test_a_bce_target_outside_0_1_names_y(target: float) -> None:
    """The error named no field: "BCELoss expects targets in [0, 1], got 2"."""
    with pytest.raises(ValueError, match=r"^y: BCELoss expects targets in \[0, 1\], got "):
        explain(probability_network(), [1.0, 2.0], target, loss="bce", check_torch=False)


def test_a_spec_with_a_bce_target_outside_0_1_names_y(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bce.json"
    data = {
        "layers": [{"weight": [[0.2, 0.4]], "bias": [0], "activation": "sigmoid"}],
        "x": [1, 2],
        "y": 2,
        "loss": "bce",
    }
    spec.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"bce\.json: y: BCELoss expects targets in \[0, 1\], got 2$"):
        explain_spec(spec)
    assert main(["explain", str(spec), "--no-torch"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "y: BCELoss expects targets" in err


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("z", "target"), [(28.0, 0.0), (33.0, 0.0), (-30.0, 1.0)])
def test_pytorch_agrees_on_bce_where_the_probability_saturates(
    z: float, target: float, reduction: str, torch: Any
) -> None:
    """p = σ(z) beyond [ε, 1 − ε]: PyTorch's check computes glassnet's clipped BCE, the engine's,
    as the Trainer's torch engine does. torch's own binary_cross_entropy divides by
    max(p (1 − p), 1e-12) rather than p̃ (1 − p̃), 2.2e-5 apart (relative) at z = 28 or 33."""
    model = Sequential(Linear(1, 1), Sigmoid())
    model.load_state_dict({"0.weight": [[z]], "0.bias": [0.0]})
    e = explain(model, [1.0], target, loss="bce", reduction=reduction, params=["w11^1", "b1^1"])
    assert e.derivation.torch_available
    for record in e.derivation.params:
        assert record.torch == pytest.approx(record.engine, rel=1e-14, abs=0), record.ref.dotted


def leaky_network() -> Sequential:
    model = Sequential(Linear(2, 2), LeakyReLU(0.2), Linear(2, 1))
    model[0].weight.data[...] = [[1.0, -1.0], [0.5, 0.5]]
    model[0].bias.data[...] = 0.0
    model[2].weight.data[...] = [[2.0, 3.0]]
    model[2].bias.data[...] = 0.5
    return model


def test_the_leaky_relu_slope_is_stated() -> None:
    """LeakyReLU(-1) = -0.2 and LeakyReLU′(-1) = 0.2 were shown, but α = 0.2 nowhere (nor in JSON)."""
    e = explain(leaky_network(), [1.0, 2.0], 1.0, loss="mse", check_torch=False)
    assert "Layer h (glassnet 0: Linear 2→2, then LeakyReLU, α = 0.2)" in e.to_text()
    assert r"then $\operatorname{LeakyReLU}$, $\alpha = 0.2$)" in e.to_latex()
    assert e.to_dict()["derivation"]["layers"][0]["negative_slope"] == 0.2
    assert "negative_slope" not in e.to_dict()["derivation"]["layers"][1]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"labels": "pm1"}, "labels"),
        ({"reduction": "sum", "literal_labels": True}, "literal_labels, reduction"),
    ],
)
def test_options_the_loss_instance_would_ignore_are_refused(options: dict[str, object], named: str) -> None:
    """explain(…, loss=LogisticLoss("pm1"), labels="01") used pm1 without a word: an instance keeps
    its own settings, so the options that would set them are refused, as get_loss refuses them."""
    from glassnet.exercise import exercise_network
    from glassnet.losses import LogisticLoss

    loss = LogisticLoss("01")
    with pytest.raises(TypeError, match=rf"^explain got {named} with a Loss instance \(LogisticLoss"):
        explain(exercise_network(), [1.0, -1.0], 0.0, loss=loss, **options)  # type: ignore[arg-type]
    assert explain(exercise_network(), [1.0, -1.0], 0.0, loss=loss).derivation.loss.value > 0


# --- found by a review of explain (2026-11-28) ---------------------------------------------------


@pytest.mark.parametrize(
    ("title", "char", "at"), [("Part 1\n\nPart 2", "\n", 6), ("bell\a", "\a", 4), ("a\u2028b", "\u2028", 1)]
)
def test_a_title_of_more_than_one_line_is_refused(
    title: str, char: str, at: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line break ended LaTeX's \\section* mid-argument (pdflatex stopped), a BEL has no glyph,
    and a caption of many lines squashed the figure until matplotlib failed ("Singular matrix")."""
    with pytest.raises(ValueError) as caught:
        explain(one_unit_network(), [2.0], 1.0, loss="mse", check_torch=False, title=title)
    assert str(caught.value) == (
        f"title must be one line of text, got {char!r} (a control character or line break) at position {at}"
    )
    spec = tmp_path / "t.json"
    network = {"layers": [{"weight": [[1]], "bias": [0]}], "x": [1], "y": 0, "loss": "mse"}
    spec.write_text(json.dumps({**network, "title": title}), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch", "-o", str(tmp_path / "t.tex")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "title must be one line of text" in err
    assert not (tmp_path / "t.tex").exists()


@pytest.mark.parametrize("bias", [0.0, 1e-9])  # a unit at the kink, and one a step would move across it
def test_notes_name_no_finite_difference_where_none_was_computed(bias: float) -> None:
    """BCE at ŷ = 1 exactly: a step of ε leaves the loss's domain, so the finite differences are
    skipped, and the notes still said what they measure ("a slope of 0", "may differ from the
    backward pass by a large amount") above a table without them."""
    model = Sequential(Linear(2, 2), ReLU(), Linear(2, 1))
    model[0].weight.data[...] = [[1.0, -1.0], [0.5, 0.25]]
    model[0].bias.data[...] = [bias, 0.25]
    model[2].weight.data[...] = [[0.5, 1.0]]
    model[2].bias.data[...] = [-bias / 2]  # ŷ = 1 exactly
    explanation = explain(model, [1.0, 1.0], 1.0, loss="bce", check_torch=False, params=["w11h"])
    text = " ".join(explanation.to_text().split())
    assert "Finite-difference check skipped" in text and "Clipped: ŷ = 1 lies outside" in text
    assert "finite difference" not in text.replace("Finite-difference check skipped", "")
    assert ("At a kink: z₁ = 0" in text) == (bias == 0.0)


@pytest.mark.parametrize("out", ["t.md", "t.tex", None])
def test_a_title_with_half_a_surrogate_pair_is_refused(
    out: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON's "\\ud800" without its pair is valid JSON and no character: the write failed with
    advice to set PYTHONIOENCODING=utf-8 (already so) or to write to a file (already given), and
    a figure's caption with matplotlib's FT2Font dump of many lines."""
    with pytest.raises(ValueError) as caught:
        explain(one_unit_network(), [2.0], 1.0, loss="mse", check_torch=False, title="bad \ud800 title")
    assert str(caught.value) == (
        "title must be Unicode text, got '\\ud800' (half of a UTF-16 surrogate pair, with no character "
        "of its own) at position 4"
    )
    spec = tmp_path / "t.json"
    network = {"layers": [{"weight": [[1]], "bias": [0]}], "x": [1], "y": 0, "loss": "mse"}
    spec.write_text(json.dumps({**network, "title": "bad \ud800 title"}), encoding="utf-8")
    argv = ["explain", str(spec), "--no-torch", "--figure", str(tmp_path / "f.png")]
    assert main([*argv, *(["-o", str(tmp_path / out)] if out else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "title must be Unicode text" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["t.json"]


@pytest.mark.parametrize("check_torch", [True, False])
def test_a_clipped_bce_says_the_pytorch_check_uses_glassnets_clip(check_torch: bool, torch: Any) -> None:
    """The note said PyTorch's numbers differ there, above a PyTorch row that agreed (the check
    computes glassnet's clipped loss); without that check, it names none."""
    model = Sequential(Linear(1, 1), Sigmoid())
    model[0].weight.data[...] = 30.0
    model[0].bias.data[...] = 0.0
    text = " ".join(explain(model, [1.0], 0.0, loss="bce", check_torch=check_torch).to_text().split())
    assert "lies outside" in text and "so its numbers differ there" not in text
    assert ("the PyTorch check below computes glassnet's clipped loss" in text) == check_torch
    assert ("PyTorch autograd" in text) == check_torch


@pytest.mark.parametrize(("labels", "y"), [("01", 1.0), ("pm1", 1.0), ("01", 0.0), ("pm1", -1.0)])
def test_the_pytorch_check_of_the_logistic_loss_keeps_its_precision_at_saturated_logits(
    labels: str, y: float, torch: Any
) -> None:
    """The check took torch's binary_cross_entropy_with_logits, whose gradient σ(z) − y is 0 at
    z = 40 for a right label, and 0.1 % off at z = 30; glassnet's (and the engine's) is
    −σ(−40) = −4.248e-18, which the check must confirm, not contradict."""
    z = 40.0 if y == 1.0 else -40.0  # a right, confident prediction
    model = Sequential(Linear(1, 1))
    model[0].weight.data[...] = z
    model[0].bias.data[...] = 0.0
    record = explain(model, [1.0], y, loss="logistic", labels=labels).param("w11^1")
    expected = -1.0 / (1.0 + np.exp(40.0)) * (1.0 if y == 1.0 else -1.0)  # s σ(s z) · x, s = 1 − 2y or −y
    assert record.engine == pytest.approx(expected, rel=1e-14, abs=0.0)
    assert record.torch == pytest.approx(expected, rel=1e-14, abs=0.0)


def test_chain_rule_paths_that_overflow_both_ways_are_named_as_an_overflow() -> None:
    """Path products of +inf and −inf made math.fsum raise '-inf + inf in fsum', which explain
    passed on as it was, where every other overflow is named."""
    big = 2.0**511
    model = Sequential(Linear(1, 1), Linear(1, 2), Linear(2, 1))
    model[0].weight.data[...] = 2.0**-7
    model[1].weight.data[...] = [[big], [-big]]
    model[2].weight.data[...] = [[big, big]]
    for layer in (0, 1, 2):
        model[layer].bias.data[...] = 0.0
    with pytest.raises(
        ValueError, match=r"^the numbers overflow float64 \(params\[0\]\.paths\[0\]\.product is -inf\)"
    ):
        explain(model, [8.0], 0.5, loss="mse", check_torch=False, params="0.weight[0,0]")


def test_the_verification_names_only_the_routes_it_wrote_out() -> None:
    """Six paths, too many to write out, and yet 'the chain rule … above' and a chain-rule row."""
    spec = Path(__file__).resolve().parents[1] / "examples" / "three_layers_mse.json"
    alone = " ".join(explain_spec(spec, params="w21^1", check_torch=False).to_text().split())
    assert "along 6 paths, too many to write out" in alone
    assert "The same gradient by each route: the δ form above" in alone
    assert "chain rule (path sum)" not in alone
    # beside parameters whose paths are written: their rows, and none for this one
    text = explain_spec(spec, check_torch=False).to_text()
    tables = text.split("  method ")[1:]
    assert len(tables) == 3 and "chain rule" not in tables[0]
    assert "chain rule (path sum)" in tables[1] and "chain rule (product)" in tables[2]
    assert "The same gradient by each route: the chain rule and the δ form above" in " ".join(text.split())


def test_a_markdown_title_keeps_html_links_and_strikethrough_as_written() -> None:
    title = "<b>x</b> ~~y~~ [a](b) R&amp;D Layer #"
    e = explain(one_unit_network(), [2.0], 1.0, loss="mse", check_torch=False, title=title)
    assert e.to_markdown().splitlines()[0] == r"# \<b>x\</b> \~\~y\~\~ [a\](b) R\&amp;D Layer \#"


def test_a_model_with_a_non_finite_parameter_is_named_not_called_an_overflow() -> None:
    model = one_unit_network()
    model[2].weight.data[...] = np.inf
    with pytest.raises(
        ValueError, match=r"^explain's parameter 2\.weight must be finite, got inf at index \(0, 0\)$"
    ):
        explain(model, [2.0], 1.0, loss="mse", check_torch=False)


def test_a_loss_subclass_gets_no_pytorch_check_and_a_subclass_is_named_as_one(torch: Any) -> None:
    """A subclass of MSELoss that computes 3 (ŷ − y)² was checked against torch's plain MSE, and
    the report said the backward pass was off by 2.2 where finite differences agreed; a subclass
    of Tanh with its own f was said to be 'tanh' without a counterpart. One that only renames Tanh
    computes glassnet's tanh, and is checked against torch's (a later review)."""
    from glassnet.losses import MSELoss

    class Scaled(MSELoss):
        def elementwise(self, p: Any, t: Any) -> Any:
            return 3.0 * (p - t) ** 2

        def elementwise_grad(self, p: Any, t: Any) -> Any:
            return 6.0 * (p - t)

    class MyTanh(Tanh):
        def function(self, z: Any) -> Any:
            return 2.0 * np.tanh(z)

    class RenamedTanh(Tanh):
        pass

    model = Sequential(
        Linear(2, 2, rng=np.random.default_rng(0)), Tanh(), Linear(2, 1, rng=np.random.default_rng(1))
    )
    text = " ".join(explain(model, [0.5, -0.2], [0.3], loss=Scaled()).to_text().split())
    assert "PyTorch check skipped: no PyTorch counterpart for the loss Scaled (a subclass of MSELoss" in text
    assert "PyTorch autograd" not in text
    model = Sequential(
        Linear(2, 2, rng=np.random.default_rng(0)), MyTanh(), Linear(2, 1, rng=np.random.default_rng(1))
    )
    text = " ".join(explain(model, [0.5, -0.2], [0.3], loss="mse").to_text().split())
    assert (
        "no PyTorch counterpart for the activation MyTanh (a subclass of Tanh, which may compute something else)"
        in text
    )
    model = Sequential(
        Linear(2, 2, rng=np.random.default_rng(0)), RenamedTanh(), Linear(2, 1, rng=np.random.default_rng(1))
    )
    text = " ".join(explain(model, [0.5, -0.2], [0.3], loss="mse").to_text().split())
    assert "PyTorch autograd" in text and "PyTorch check skipped" not in text


# --- found by a review of explain (2026-11-28, a later session) -------------------------------------


def test_tied_weights_are_refused_not_explained_with_another_layers_numbers() -> None:
    """Both layers were named by the shared Parameter's first holder: b₁ᵒ was shown as 0.bias[0]
    with the hidden bias's gradient, and the chain rule for w₁₂ʰ disagreed with the backward pass."""
    first, second = Linear(2, 2, rng=np.random.default_rng(0)), Linear(2, 2, rng=np.random.default_rng(1))
    second.weight = first.weight
    with pytest.raises(
        ValueError, match=r"^explain cannot show layers 1 and 2: they share a parameter \(tied weights\)"
    ):
        explain(Sequential(first, Tanh(), second), [1.0, 2.0], [0.1, 0.2], loss="mse", all_params=True)


def test_a_clipped_bce_prediction_says_why_finite_differences_read_zero() -> None:
    """ŷ = 4e-18 is clipped: the finite difference measured 0 against the backward pass's −4.2e-6,
    a 100 % difference that no note explained."""
    layer = Linear(1, 1, rng=np.random.default_rng(0))
    layer.load_state_dict({"weight": np.zeros((1, 1)), "bias": np.array([-40.0])})
    text = explain(Sequential(layer, Sigmoid()), [1.0], [1.0], loss="bce", params="0.bias[0]").to_text()
    verification = " ".join(text[text.index("5. Verification") :].split())
    assert "Clipped: ŷ = 4.24835e-18 lies outside the interval" in verification
    assert "measures a slope of 0" in verification
    unclipped = explain(Sequential(layer, Sigmoid()), [1.0], [1.0], loss="mse", params="0.bias[0]").to_text()
    assert "Clipped:" not in unclipped


def test_a_spec_given_as_a_pipe_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """explain <(cat spec.json) said 'spec file /dev/fd/63 not found'."""
    import os
    import threading

    spec = Path(__file__).resolve().parents[1] / "examples" / "exercise.json"
    pipe = tmp_path / "spec.fifo"
    os.mkfifo(pipe)
    # a daemon: were the pipe never opened for reading (the fault this tests), its writer would
    # block in open() and keep the test process from ending
    writer = threading.Thread(target=lambda: pipe.write_bytes(spec.read_bytes()), daemon=True)
    writer.start()
    try:
        assert main(["explain", str(pipe), "--no-torch"]) == 0
    finally:
        if writer.is_alive():  # release a writer still waiting for a reader, then let it end
            os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=10)
    assert "5. Verification" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda folder: "/dev/zero", "spec '/dev/zero' is a device; expected a JSON file"),
        (
            lambda folder: _model_file(folder),
            "is a zip archive (a glassnet model file, say), not a spec; expected a JSON file",
        ),
    ],
    ids=["device", "model"],
)
def test_a_spec_that_is_a_device_or_a_model_is_named_as_such(
    make: Any, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model file was 'not UTF-8 text: utf-8 codec can't decode byte 0xe2'."""
    assert main(["explain", make(tmp_path)]) == 2
    assert expected in capsys.readouterr().err


def _model_file(folder: Path) -> str:
    from glassnet.checkpoint import Checkpoint, save_checkpoint
    from glassnet.nn import MLP
    from glassnet.spec import spec_of

    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    return str(
        save_checkpoint(folder / "model.npz", Checkpoint(spec=spec_of(model), members=[model.state_dict()]))
    )


def test_latex_keeps_an_options_double_hyphen() -> None:
    """TeX joins -- into an en dash: the document named an option '–no-torch' that does not exist."""
    from glassnet.explain._latex import escape

    assert escape("or --no-torch).") == "or -{}-no-torch)."
    assert escape("a – b") == "a -- b"  # an en dash written as one stays one
    latex = explain_exercise(check_torch=False).to_latex()
    assert "--no-torch" not in latex.replace("-{}-no-torch", "")


@pytest.mark.parametrize(
    ("width", "error"), [("80", TypeError), (None, TypeError), (0, ValueError), (True, ValueError)]
)
def test_to_text_names_a_width_it_cannot_take(width: Any, error: type) -> None:
    with pytest.raises(error, match=r"^width must be a positive integer, got "):
        explain_exercise(check_torch=False).to_text(width)


@pytest.mark.parametrize("failing", ["-o", "--figure"])
def test_explain_writes_neither_file_when_one_fails(
    failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figure was written first and left behind when -o then failed, and the retry was refused
    for it ('--figure net.png exists'). Both are written together now, once both are made."""
    import glassnet.cli._explain
    import glassnet.explain._figure

    def fail(temporary: Path) -> None:
        raise OSError(28, "No space left on device")

    # the command imports the figure's writer when it draws one
    module, name = (
        (glassnet.cli._explain, "text_writer")
        if failing == "-o"
        else (glassnet.explain._figure, "figure_file_writer")
    )
    monkeypatch.setattr(module, name, lambda *args: fail)
    text, figure = tmp_path / "x.md", tmp_path / "net.png"
    assert (
        main(["explain", "--example", "exercise", "--no-torch", "-o", str(text), "--figure", str(figure)])
        == 2
    )
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert (
        main(["explain", "--example", "exercise", "--no-torch", "-o", str(text), "--figure", str(figure)])
        == 0
    )
    assert text.is_file() and figure.is_file()


def test_explain_lr_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    spec = Path(__file__).resolve().parents[1] / "examples" / "exercise.json"
    assert main(["explain", str(spec), "--lr", "-1"]) == 2
    assert capsys.readouterr().err == "glassnet explain: error: --lr must be >= 0.0, got -1.0\n"


def test_a_refused_figure_leaves_a_forced_output_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --force, -o was written over and then the figure refused (more than 256 weights): the
    command failed, and the previous output was gone (a later review)."""
    spec = tmp_path / "big.json"
    hidden = 200
    spec.write_text(
        json.dumps(
            {
                "layers": [
                    {"weight": [[0.01, 0.02]] * hidden, "bias": [0.0] * hidden, "activation": "relu"},
                    {"weight": [[0.01] * hidden], "bias": [0.0]},
                ],
                "x": [1, 2],
                "y": [1],
                "loss": "mse",
            }
        )
    )
    out, figure = tmp_path / "out.md", tmp_path / "net.png"
    out.write_text("OLD\n")
    assert main(["explain", str(spec), "--no-torch", "-o", str(out), "--figure", str(figure), "--force"]) == 2
    assert "256 weights" in capsys.readouterr().err
    assert out.read_text() == "OLD\n" and not figure.exists()


def test_text_that_stdout_cannot_take_leaves_no_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figure was saved before the text was printed: an ASCII stdout failed on η, and the
    figure left behind refused the retry its advice asked for."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    figure = tmp_path / "net.png"
    assert main(["explain", "--example", "exercise", "--no-torch", "--figure", str(figure)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not figure.exists()


def test_explain_refuses_a_closed_stdout_before_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A traceback ('NoneType' object has no attribute 'flush') once the text went to stdout first."""
    import sys

    monkeypatch.setattr(sys, "stdout", None)
    figure = tmp_path / "net.png"
    for extra in ([], ["-o", "-"], ["--figure", str(figure)]):
        assert main(["explain", "--example", "exercise", "--no-torch", *extra]) == 2
        assert capsys.readouterr().err == (
            "glassnet explain: error: standard output is closed; write the explanation to a file with -o FILE\n"
        )
    assert not figure.exists()
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", str(tmp_path / "x.md")]) == 0


def test_the_figure_is_written_when_the_reader_of_the_text_has_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BrokenPipeError from the text (`… --figure net.png | head`) left the figure unwritten, silently."""
    import sys

    class LeftReader:
        encoding = "utf-8"

        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            raise OSError("no file")

    monkeypatch.setattr(sys, "stdout", LeftReader())
    figure = tmp_path / "net.png"
    assert main(["explain", "--example", "exercise", "--no-torch", "--figure", str(figure)]) == 141
    assert figure.is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lr", "0_5"], "--lr takes one number, got '0_5'"),
        (["--x", "1_2,3"], "--x takes comma-separated numbers, got '1_2,3'"),
        (["--steps", "1_0"], "argument --steps: expected a whole number, got '1_0'"),
        (["--digits", "1_0"], "argument --digits: expected a whole number, got '1_0'"),
    ],
    ids=["lr", "x", "steps", "digits"],
)
def test_explain_options_refuse_underscores(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--lr 0_5 ran with η = 5 and --x 1_2,3 with x = (12, 3): Python reads underscores as digit
    grouping, where they are a slip of a comma or a point (train's options refuse them)."""
    assert main(["explain", "--example", "exercise", "--no-torch", *argv]) == 2
    assert message in capsys.readouterr().err


def test_explain_refuses_a_number_that_underflows(capsys: pytest.CaptureFixture[str]) -> None:
    """--lr 1e-400 ran as 'Update (η = 0)', --x 1e-400,2 as x = (0, 2)."""
    assert main(["explain", "--example", "exercise", "--no-torch", "--x", "1e-400,2"]) == 2
    assert "--x: 1e-400 is 0 in float64 (below 5e-324); give 0 if 0 is meant" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("layer", "y", "number"),
    [
        (
            '"weight": [[1]], "bias": [0], "activation": {"name": "leaky_relu", "negative_slope": 1e-400}',
            "0",
            "1e-400",
        ),
        ('"weight": [[-2.5e-999]], "bias": [0]', "0", "-2.5e-999"),
        ('"weight": [[1]], "bias": [0]', "1E-400", "1E-400"),
    ],
    ids=["activation option", "weight", "target"],
)
def test_a_spec_number_that_underflows_is_refused_as_the_options_refuse_it(
    layer: str, y: str, number: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec's "negative_slope": 1e-400 was shown as 'LeakyReLU, α = 0', and a weight or "y" of
    1e-400 was read as 0, where --y 1e-400 is refused."""
    spec = tmp_path / "s.json"
    spec.write_text(f'{{"layers": [{{{layer}}}], "x": [1], "y": {y}, "loss": "mse"}}', encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch", "-o", str(tmp_path / "s.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{spec}: {number} is 0 in float64 (below 5e-324); write 0 if 0 is meant" in err
    assert not (tmp_path / "s.md").exists()


# --- found by a review of crafted files and exhausted resources (2026-11-28) -----------------------


def test_the_text_of_a_wide_layer_is_laid_out_without_drawing_blocks_it_does_not_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """To measure a line, the text format drew the 1×n row of weights beside the n-vector x, n
    lines of the row's width, and then broke the line between them: a spec of 240 KB (n =
    20,000) took 3.6 GB, and n = 200,000 was killed at 24 GB. Now no block is drawn larger than
    the text it is part of."""
    from glassnet.explain import _text

    n = 1500  # the block measured was 1,500 lines of about 10,500 characters; the text is 57 KB
    spec = {
        "layers": [{"weight": [[0.001] * n], "bias": [0.0], "activation": "identity"}],
        "x": [1.0] * n,
        "y": [1.0],
        "loss": "mse",
    }
    drawn: list[int] = []
    hcat = _text.hcat

    def measured(boxes: list[list[str]]) -> list[str]:
        block = hcat(boxes)
        drawn.append(len(block) * max((len(line) for line in block), default=0))
        return block

    monkeypatch.setattr(_text, "hcat", measured)
    text = explain_spec(spec, check_torch=False).to_text()
    assert f"[{'  '.join(['0.001'] * n)}]" in text  # the row of weights, whole on its line
    assert max(drawn) <= len(text)


# -- a review of networks other than the exercise's (2026-11-29) ------------------------------

_BCE_TWO_OUTPUTS = {
    "layers": [
        {"weight": [[1.0, 0.5], [0.5, -1.0]], "bias": [0.0, 0.1], "activation": "tanh"},
        {"weight": [[20.0, 20.0], [-30.0, -20.0]], "bias": [15.0, -10.0], "activation": "sigmoid"},
    ],
    "x": [1, -2],
    "y": [1, 1],
    "loss": "bce",
    "params": ["w11o"],
    "learning_rate": 0.1,
}


def _loss_section(text: str) -> str:
    return " ".join(text[text.index("2. Loss") : text.index("3. Chain")].split())


def test_the_loss_section_names_every_output_bces_clip_holds() -> None:
    """ŷ₂ = 1.2e-13, clipped to 1e-12, gave ℓ₂ = 27.631 where its substitution reads 29.78, and
    the section named ŷ₁ alone; the JSON held no word of the clip."""
    explanation = explain_spec(_BCE_TWO_OUTPUTS)
    section = _loss_section(explanation.to_text())
    assert "Here ŷ₁ = 1 and ŷ₂ = 1.16539e-13 lie outside [ε, 1 − ε]" in section, section
    assert "use them clipped into that interval" in section and "large but finite" in section
    clip = explanation.to_dict()["derivation"]["checks"]["clip"]
    assert clip["outputs"] == [1, 2] and clip["bounds"][0] == pytest.approx(1e-12)


def test_a_clipped_output_that_agrees_with_its_label_is_not_called_large() -> None:
    """ŷ = 1 for y = 1: L ≈ 1e-12 and ∂L/∂ŷ ≈ −1, which the text called "large but finite"."""
    spec = {
        **_BCE_TWO_OUTPUTS,
        "layers": [
            _BCE_TWO_OUTPUTS["layers"][0],
            {"weight": [[20.0, 20.0]], "bias": [15.0], "activation": "sigmoid"},
        ],
        "y": 1,
    }
    section = _loss_section(explain_spec(spec).to_text())
    assert "so they are finite (the loss near 0: the label agrees)" in section, section
    assert "large" not in section


def test_a_float32_model_is_said_to_be_worked_out_on_a_float64_copy() -> None:
    """Its own float32 backward pass gave 0.00723682 where the explanation's showed 0.00723681,
    and nothing said why."""
    from glassnet.nn import MLP

    model = MLP([2, 4, 3, 1], activation="tanh", rng=np.random.default_rng(0), dtype=np.float32)
    explanation = explain(model, x=[0.3, -0.7], y=0.25, loss="mse", params=["0.weight[0,0]"])
    text = " ".join(explanation.to_text().split())
    assert "(model.backward, on a float64 copy of this float32 model, whose own float32 passes differ" in text
    assert explanation.to_dict()["derivation"]["model_dtype"] == "float32"
    assert model.dtype == np.float32  # the model itself untouched


def test_several_labels_outside_the_convention_are_named_in_the_plural() -> None:
    spec = {
        "layers": [{"weight": [[1.0, 0.5], [0.5, -1.0]], "bias": [0.0, 0.1]}],
        "x": [1, -2],
        "y": [0, 2],
        "loss": "logistic",
        "literal_labels": True,
        "params": ["0.weight[0,0]"],
    }
    section = _loss_section(explain_spec(spec).to_text())
    assert (
        "The labels lie outside {0, 1}; the formula is applied as written, and is then no likelihood."
        in section
    )
