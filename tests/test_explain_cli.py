"""glassnet explain on the command line: in-process through main(), plus one real subprocess."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.exercise import INPUT, exercise_network
from glassnet.explain import explain, explain_exercise, explain_spec
from glassnet.nn import stable_sigmoid

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_exercise_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--example", "exercise", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "2.99258" in out and "0.100742" in out and "0.880797" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_exercise_json_to_file_with_figure(tmp_path: Path) -> None:
    out, fig = tmp_path / "ex.json", tmp_path / "ex.svg"
    argv = ["explain", "--example", "exercise", "--param", "w12h", "--param", "b1o", "-o", str(out)]
    assert main([*argv, "--figure", str(fig), "--no-torch", "--digits", "8"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["digits"] == 8
    params = {p["name"]: p for p in data["derivation"]["params"]}
    assert params["w12h"]["backward"] == pytest.approx(3 * float(stable_sigmoid(6.0)), abs=1e-9)
    assert params["b1o"]["backward"] == pytest.approx(3 * float(stable_sigmoid(6.0)), abs=1e-9)
    assert fig.read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize("fmt, marker", [("markdown", "$$"), ("latex", r"\documentclass"), ("text", "=====")])
def test_formats(fmt: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--example", "exercise", "--format", fmt, "--no-torch"]) == 0
    assert marker in capsys.readouterr().out


def test_spec_with_steps_and_table(tmp_path: Path) -> None:
    out = tmp_path / "deep.md"
    spec = str(EXAMPLES / "three_layers_mse.json")
    assert main(["explain", spec, "--steps", "2", "--all-params", "-o", str(out), "--no-torch"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "### Step 2" in text and "Every parameter" in text


def test_steps_1_shows_the_step_and_the_loss_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--steps 1 ("also show K steps") added nothing to the output; so did "steps": 1 in a spec."""
    assert main(["explain", "--example", "exercise", "--no-torch", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 step of gradient descent" in " ".join(out.split()) and "\nStep 1\n" in out
    assert "After step 1\n\n  ŷ = -3.47509\n" in out
    spec = tmp_path / "one.json"
    data = json.loads((EXAMPLES / "exercise.json").read_text(encoding="utf-8"))
    spec.write_text(json.dumps({**data, "steps": 1}), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch"]) == 0
    assert "After step 1\n" in capsys.readouterr().out
    assert main(["explain", "--example", "exercise", "--no-torch"]) == 0
    assert "Step 1" not in capsys.readouterr().out


def test_a_title_with_dollars_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A spec title was parsed as maths in --figure: "$\\badcmd$" failed with a multi-line parser error."""
    spec, figure = tmp_path / "titled.json", tmp_path / "net.svg"
    data = json.loads((EXAMPLES / "exercise.json").read_text(encoding="utf-8"))
    spec.write_text(json.dumps({**data, "title": r"Net $\badcmd$"}), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch", "--figure", str(figure)]) == 0, capsys.readouterr().err
    assert "Net $\\badcmd$" in figure.read_text(encoding="utf-8")


def test_literal_labels_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "sheet.json"
    data = json.loads((EXAMPLES / "exercise.json").read_text(encoding="utf-8"))
    spec.write_text(json.dumps({**data, "y": -1}), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch"]) == 2
    assert capsys.readouterr().err == (
        f"glassnet explain: error: {spec}: y: LogisticLoss(labels='01') expects labels in {{0, 1}}, got -1; "
        "use labels='pm1' for the other convention, or literal_labels (--literal-labels) to apply the "
        "formula to y as written\n"
    )
    assert main(["explain", str(spec), "--literal-labels", "--no-torch", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["derivation"]["loss"]["literal_labels"] is True


@pytest.mark.parametrize(
    ("fields", "flags", "given"),
    [
        ({}, ["--literal-labels"], "literal_labels (--literal-labels)"),
        ({"literal_labels": True}, [], "literal_labels"),
        ({"literal_labels": True}, ["--literal-labels"], "literal_labels (--literal-labels)"),
        ({"labels": "01"}, [], "labels"),
    ],
    ids=["flag", "field", "flag and field", "labels field"],
)
def test_label_options_of_an_mse_spec_are_refused(
    fields: dict[str, object],
    flags: list[str],
    given: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`explain three_layers_mse.json --literal-labels` printed the same as without it, exit 0."""
    spec = tmp_path / "mse.json"
    data = json.loads((EXAMPLES / "three_layers_mse.json").read_text(encoding="utf-8"))
    spec.write_text(json.dumps({**data, **fields}), encoding="utf-8")
    assert main(["explain", str(spec), *flags, "--no-torch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"glassnet explain: error: {spec}: {given} applies to the logistic loss only, got loss 'mse'\n"
    )


def test_literal_labels_false_in_an_mse_spec_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "mse.json"
    data = json.loads((EXAMPLES / "three_layers_mse.json").read_text(encoding="utf-8"))
    spec.write_text(json.dumps({**data, "literal_labels": False}), encoding="utf-8")
    assert main(["explain", str(EXAMPLES / "three_layers_mse.json"), "--no-torch"]) == 0
    plain = capsys.readouterr().out
    assert main(["explain", str(spec), "--no-torch"]) == 0
    assert capsys.readouterr().out == plain


@pytest.mark.parametrize(
    "argv, match",
    [
        ([], "give either --example exercise or a SPEC.json"),
        (["--example", "exercise", "SPEC.json"], "give either --example exercise or a SPEC.json"),
        (["missing.json"], "not found"),
        (["--example", "exercise", "--param", "w99h"], "no parameter 'w99h'"),
        (["--example", "exercise", "--figure", "net.pdf"], r"--figure must end in \.png or \.svg"),
        (["--example", "exercise", "--digits", "0"], "digits must be a positive integer"),
        (["--example", "exercise", "-o", "/nonexistent-folder/x.txt"], "does not exist"),
        (
            ["--example", "exercise", "--literal-labels"],
            r"--literal-labels applies to spec files and to the exercise with --x, --y or --lr",
        ),
        (["--example", "exercise", "--x", "1,a"], r"--x takes comma-separated numbers, got '1,a'$"),
        (["--example", "exercise", "--lr", "0.1,0.2"], r"--lr takes one number, got '0\.1,0\.2'$"),
        (["--example", "exercise", "--lr", "nan"], r"error: --lr must be finite, got nan$"),
        (
            ["--example", "exercise", "--x", "1,2,3"],
            r"x must have 2 values \(one per input\), got shape \(3,\)$",
        ),
        # a fault of the option, not of the file
        (
            [str(EXAMPLES / "exercise.json"), "--x=1"],
            r"exercise\.json with the x given: x must have 2 values",
        ),
        (
            ["--example", "exercise", "--y=-1"],
            r"y: the exercise's logistic loss takes labels in \{0, 1\}, got -1; .*\(--y 0\).*--literal-labels",
        ),
    ],
)
def test_errors_are_one_line(argv: list[str], match: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *argv, "--no-torch"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("glassnet explain: error:")
    assert re.search(match, err), err


def test_a_variant_of_the_exercise_is_the_exercise_network_on_that_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--x, --y and --lr: the exercise's network on another example and rate, one reading (the
    consistent labels), as explain() gives it; a value left out is the exercise's (y: 0)."""
    argv = ["explain", "--example", "exercise", "--x=2,-1", "--y", "1", "--lr", "0.5", "--no-torch"]
    assert main(argv) == 0
    expected = explain(exercise_network(), [2, -1], 1, learning_rate=0.5, params="w12h", check_torch=False)
    out = capsys.readouterr().out
    assert out == expected.to_text()
    assert "Input x = [2, -1]" in out and "η = 0.5" in out
    assert main(["explain", "--example", "exercise", "--lr", "0.5", "--no-torch"]) == 0
    step = explain(exercise_network(), INPUT, 0, learning_rate=0.5, params="w12h", check_torch=False)
    assert capsys.readouterr().out == step.to_text()
    assert main(["explain", "--example", "exercise", "--y=-1", "--literal-labels", "--no-torch"]) == 0
    assert "(1 − 2·(-1))" in capsys.readouterr().out
    # the same from Python
    variant = explain_exercise(x=np.array([2.0, -1.0]), y=1, learning_rate=0.5, check_torch=False)
    assert variant.to_text() == expected.to_text()  # an array x: not compared with None by ==
    with pytest.raises(
        ValueError, match=r"^literal_labels applies to the exercise with x, y or learning_rate given"
    ):
        explain_exercise(literal_labels=True, check_torch=False)


def test_the_exercise_given_label_minus_one_names_its_label_in_0_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--y -1 was told to "use labels='pm1'", which neither the command nor explain_exercise
    takes: the exercise's loss has one convention, {0, 1}, where that label is 0."""
    expected = (
        "y: the exercise's logistic loss takes labels in {0, 1}, got -1; the label -1 of the ±1 convention is "
        "y = 0 in {0, 1} (--y 0), or literal_labels (--literal-labels) applies the formula to y as written"
    )
    assert main(["explain", "--example", "exercise", "--y=-1", "--no-torch"]) == 2
    assert capsys.readouterr().err == f"glassnet explain: error: {expected}\n"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        explain_exercise(y=-1, check_torch=False)
    with pytest.raises(ValueError, match=r"expects labels in \{0, 1\}, got 2; use literal_labels"):
        explain_exercise(y=2, check_torch=False)  # in no convention: explain's own message
    with pytest.raises(ValueError, match=r"^y must have 1 value \(one per output\), got shape \(2,\)$"):
        explain_exercise(y=[1, -1], check_torch=False)  # two labels: their count is the mistake


def test_a_spec_written_with_a_byte_order_mark_reads_as_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows editors write a UTF-8 byte-order mark, which was refused as "not valid JSON:
    Unexpected UTF-8 BOM (decode using utf-8-sig)"."""
    spec = EXAMPLES / "three_layers_mse.json"
    marked = tmp_path / "marked.json"
    marked.write_bytes(b"\xef\xbb\xbf" + spec.read_bytes())
    assert main(["explain", str(marked), "--no-torch"]) == 0
    from_marked = capsys.readouterr().out
    assert main(["explain", str(spec), "--no-torch"]) == 0
    assert capsys.readouterr().out == from_marked.replace(str(marked), str(spec))


def test_a_spec_takes_another_step(capsys: pytest.CaptureFixture[str]) -> None:
    """--x, --y and --lr override a spec's example and η, as explain_spec's keywords do."""
    spec = EXAMPLES / "three_layers_mse.json"
    assert main(["explain", str(spec), "--y", "0.5,-1", "--lr", "0.05", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert out == explain_spec(spec, y=[0.5, -1], learning_rate=0.05, check_torch=False).to_text()
    edited = {**json.loads(spec.read_text(encoding="utf-8")), "y": [0.5, -1], "learning_rate": 0.05}
    assert out == explain_spec(edited, check_torch=False).to_text()  # the spec as if written so
    assert main(["explain", str(spec), "--no-torch"]) == 0
    assert capsys.readouterr().out != out


def test_the_logistic_loss_of_a_sigmoid_output_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec with a sigmoid output and the logistic loss explained σ(σ(z)) without a word."""
    spec = tmp_path / "sigmoid.json"
    data = json.loads((EXAMPLES / "exercise.json").read_text(encoding="utf-8"))
    data["layers"][1]["activation"] = "sigmoid"
    spec.write_text(json.dumps(data), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"glassnet explain: error: {spec}: LogisticLoss expects logits, any real number, got the output "
        "activation 'sigmoid', whose outputs cannot reach every logit; for a sigmoid output's probabilities "
        "use BCELoss (loss 'bce')\n"
    )
    del data["labels"]  # the logistic loss's
    spec.write_text(json.dumps({**data, "loss": "bce", "y": 0}), encoding="utf-8")
    assert main(["explain", str(spec), "--no-torch"]) == 0


@pytest.mark.parametrize("fmt", [None, "markdown"])
def test_output_dash_is_stdout(
    fmt: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o - wrote a file named "-"; it means stdout, as in glassnet predict -o -."""
    monkeypatch.chdir(tmp_path)
    flags = [] if fmt is None else ["--format", fmt]
    assert main(["explain", "--example", "exercise", "--no-torch", *flags]) == 0
    plain = capsys.readouterr().out
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", "-", *flags]) == 0
    assert capsys.readouterr().out == plain
    assert list(tmp_path.iterdir()) == []


def test_output_dash_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(- is stdout)" in help_text
    # argparse reads "--y -1,1" as two options: the help names the form that works, as --x's does
    assert "--x=-1,2 below 0" in help_text and "--y=-1,1 below 0" in help_text


def test_a_failing_output_leaves_no_other_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o in a folder that does not exist: the command fails before it writes the figure."""
    figure, missing = tmp_path / "net.svg", tmp_path / "no-such-folder" / "ex.md"
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(missing), "--figure", str(figure)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"glassnet explain: error: -o {missing}: folder {str(missing.parent)!r} does not exist"
    assert not figure.exists() and list(tmp_path.iterdir()) == []
    output, missing_figure = tmp_path / "ex.md", tmp_path / "no-such-folder" / "net.svg"
    argv = [
        "explain",
        "--example",
        "exercise",
        "--no-torch",
        "-o",
        str(output),
        "--figure",
        str(missing_figure),
    ]
    assert main(argv) == 2
    assert "--figure" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


def test_subprocess() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "glassnet",
            "explain",
            "--example",
            "exercise",
            "--format",
            "json",
            "--no-torch",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["derivation"]["params"][0]["updated"] == pytest.approx(
        0.4 - 0.3 * float(stable_sigmoid(6.0)), abs=1e-9
    )


def test_a_figure_of_more_weights_than_it_can_label_is_refused_before_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each label's place was weighed against every other edge: 130 s for a 10→50→50→1 network
    (3,000 weights), and an unreadable figure; a wider one ran for half an hour."""
    rng = np.random.default_rng(0)
    sizes = [1, 16, 16, 1]  # 16 + 256 + 16 = 288 weights
    layers = [
        {"weight": rng.normal(size=(b, a)).tolist(), "bias": [0.0] * b, "activation": "tanh"}
        for a, b in itertools.pairwise(sizes)
    ]
    layers[-1]["activation"] = "identity"
    spec = tmp_path / "wide.json"
    spec.write_text(
        json.dumps({"layers": layers, "x": [0.5], "y": [1.0], "loss": "mse", "learning_rate": 0.1})
    )
    out, figure = tmp_path / "wide.txt", tmp_path / "wide.svg"
    capsys.readouterr()
    assert main(["explain", str(spec), "--no-torch", "-o", str(out), "--figure", str(figure)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "glassnet explain: error: a figure draws each weight with its value and gradient, at most 256 weights; "
        "this network has 288 (layer sizes [1, 16, 16, 1]): leave the figure out, the explanation's text gives "
        "every value\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.json"]
    assert main(["explain", str(spec), "--no-torch", "-o", str(out)]) == 0  # without the figure


@pytest.mark.parametrize("name", ["net.svg", "net.PNG", "net.pdf"])
def test_an_output_named_as_an_image_is_refused_before_anything_is_computed(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o net.svg wrote the text of the explanation under an image's name, exit 0 (where --figure
    refuses .pdf); refused now, with what to use instead, and nothing written. --format takes it."""
    out = tmp_path / name
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", str(out)]) == 2
    suffix = Path(name).suffix.lower()
    assert capsys.readouterr().err == (
        f"glassnet explain: error: {out} ends in {suffix}, an image's suffix, and an explanation is text "
        "(.txt, .md, .tex or .json); draw the network with save_figure (--figure FILE.png or FILE.svg), or "
        "give format= (--format) to write the text under that name\n"
    )
    assert not out.exists()
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", str(out), "--format", "text"]) == 0
    assert "=====" in out.read_text(encoding="utf-8")


def test_save_refuses_an_image_name_unless_told_the_format(tmp_path: Path) -> None:
    explanation = explain_exercise(check_torch=False)
    with pytest.raises(ValueError, match=r"net\.pdf ends in \.pdf, an image's suffix"):
        explanation.save(tmp_path / "net.pdf")
    assert not (tmp_path / "net.pdf").exists()
    assert explanation.save(tmp_path / "net.pdf", format="latex").read_text(encoding="utf-8").startswith("\\")


@pytest.mark.parametrize(
    ("option", "name", "starts"),
    [("--figure", ".png", b"\x89PNG"), ("--figure", ".svg", b"<?xml"), ("-o", ".json", b"{")],
)
def test_a_name_that_is_only_a_suffix_is_written_in_that_format(
    option: str, name: str, starts: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command read --figure .png as a PNG and the writer refused it: "figure file must end
    in .png or .svg, got '.png'"; -o .json wrote text, where -o x.json writes JSON."""
    monkeypatch.chdir(tmp_path)
    assert main(["explain", "--example", "exercise", option, name]) == 0
    assert (tmp_path / name).read_bytes().startswith(starts)
