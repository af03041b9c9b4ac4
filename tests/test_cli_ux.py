"""Rough edges of the command line found by a user walkthrough: a data set given to predict,
predictions of any magnitude, the refit summary, --hidden '' and --resume --threads, counts in
metrics.json."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import require_torch, shared_airfoil
from glassnet.checkpoint import load_checkpoint, save_checkpoint
from glassnet.cli import build_parser, main
from glassnet.cli._predict import number_text
from glassnet.train import MOONS_CONFIG, predict_raw, train_moons
from glassnet.train.artifacts import RESUME_FILE, load_resume, save_resume

TINY = ["--hidden", "8", "--epochs", "2", "--fourier-features", "0", "--warmup-epochs", "1", "--no-plots"]
FEATURES = "frequency, angle_of_attack, chord_length, velocity, displacement_thickness"


@pytest.fixture(scope="module")
def airfoil_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "air"
    data = ["--data", str(shared_airfoil())]
    assert main(["train", "airfoil", *TINY, *data, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "moons"
    assert main(["train", "moons", "--epochs", "2", "--no-plots", "--out", str(out), "--quiet"]) == 0
    return out


def predict_refusal(run: Path, rows: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What `glassnet predict RUN ROWS` writes to stderr for ``text`` written to ``rows``, once it
    has been checked that it exits with status 2 and writes nothing to stdout."""
    rows.write_text(text)
    capsys.readouterr()
    assert main(["predict", str(run), str(rows)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


# -- 1. a data set given to predict ------------------------------------------------------------


def test_predict_names_evaluate_for_a_data_set_with_its_target_column(
    airfoil_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The published file (5 features and the measured target) is refused, as before, and the
    message says what the file is and which command measures the model on it."""
    data = shared_airfoil()
    capsys.readouterr()
    assert main(["predict", str(airfoil_run), str(data)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"glassnet predict: error: {data}: line 1: the header has 6 columns separated by commas, "
        f"expected 5 columns ({FEATURES}); its rows have one column more than the model's 5 features: "
        "a file holding the measured target as its last column is a data set, and "
        f"`glassnet evaluate {airfoil_run} --data {data}` measures the model on it; "
        "predict takes rows of features only\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_predict_reads_a_named_pipe_once(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It opened the pipe again for its second parse and waited there for a writer, for ever."""
    pipe = tmp_path / "rows"
    os.mkfifo(pipe)
    head = "".join(shared_airfoil().read_text().splitlines(keepends=True)[:3])

    def feed() -> None:
        with open(pipe, "w") as writer:
            writer.write(head)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    status: list[int] = []
    reader = threading.Thread(
        target=lambda: status.append(main(["predict", str(airfoil_run), str(pipe)])), daemon=True
    )
    reader.start()
    reader.join(timeout=30)  # a second open of the pipe would wait for a writer for ever: fail, do not hang
    assert not reader.is_alive() and status == [2], "predict opened the pipe again"
    writer.join(timeout=5)
    assert capsys.readouterr().err.endswith(
        f"`glassnet evaluate {airfoil_run} --data FILE` measures the model on it once its rows are saved "
        "as FILE; predict takes rows of features only\n"
    )


def test_predict_names_evaluate_for_a_data_set_without_header(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "my data.csv"  # a name the shell needs quoted
    assert predict_refusal(
        airfoil_run,
        rows,
        "800,0,0.3048,71.3,0.00266337,126.201\n1000,0,0.3048,71.3,0.00266337,125.201\n",
        capsys,
    ) == (
        f"glassnet predict: error: {rows}: line 1: expected 5 columns ({FEATURES}) separated by commas, "
        "got 6 fields; 1 more bad line, at line 2; its rows have one column more than the model's 5 "
        "features: a file holding the measured target as its last column is a data set, and "
        f"`glassnet evaluate {airfoil_run} --data '{rows}'` measures the model on it; "
        "predict takes rows of features only\n"
    )


def test_predict_names_evaluate_for_a_data_set_on_standard_input(
    airfoil_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    head = "".join(shared_airfoil().read_text().splitlines(keepends=True)[:3])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(head.encode())))
    assert main(["predict", str(airfoil_run), "-"]) == 2
    assert capsys.readouterr().err == (
        "glassnet predict: error: <stdin>: line 1: the header has 6 columns separated by commas, "
        f"expected 5 columns ({FEATURES}); its rows have one column more than the model's 5 features: "
        "a file holding the measured target as its last column is a data set, and "
        f"`glassnet evaluate {airfoil_run} --data FILE` measures the model on it once its rows are saved "
        "as FILE; predict takes rows of features only\n"
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (  # pandas' to_csv without index=False: an unnamed first column
            f",{FEATURES.replace(', ', ',')}\n0,800,0,0.3048,71.3,0.00266337\n1,1000,0,0.3048,71.3,0.00266337\n",
            f"line 1: the header has 6 columns separated by commas, expected 5 columns ({FEATURES})",
        ),
        (  # the same without a header: the first column counts the rows
            "1,800,0,0.3048,71.3,0.00266337\n2,1000,0,0.3048,71.3,0.00266337\n",
            f"line 1: expected 5 columns ({FEATURES}) separated by commas, got 6 fields; 1 more bad line, at line 2",
        ),
        (  # a named index before the features (reset_index().to_csv(index=False)): a target comes last
            f"index,{FEATURES.replace(', ', ',')}\n0,800,0,0.3048,71.3,0.00266337\n1,1000,0,0.3048,71.3,0.00266337\n",
            f"line 1: the header has 6 columns separated by commas, expected 5 columns ({FEATURES})",
        ),
    ],
    ids=["unnamed", "counting", "named"],
)
def test_predict_names_a_row_index_column_rather_than_a_target(
    text: str, first: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It sent the user to `glassnet evaluate --data`, which then refused the file."""
    rows = tmp_path / "indexed.csv"
    assert predict_refusal(airfoil_run, rows, text, capsys) == (
        f"glassnet predict: error: {rows}: {first}; its rows have one column more than the model's 5 "
        "features, the first a row index (as pandas' to_csv writes one without index=False): drop that column\n"
    )


def test_a_first_column_the_header_names_is_a_feature_whatever_its_values(
    moons_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feature counting 0, 1, 2 (a time step, an id) was taken for pandas' row index, and the
    note said to drop it; named in the header, it is a feature, and the extra column the target."""
    rows = tmp_path / "steps.csv"
    err = predict_refusal(moons_run, rows, "x1,x2,label\n0,0.5,1\n1,0.25,0\n2,-0.5,1\n", capsys)
    assert "a file holding the measured target as its last column is a data set" in err
    assert "row index" not in err


@pytest.mark.parametrize("stream", ["stdin", "stdout"])
def test_predict_names_a_closed_standard_stream(
    stream: str,
    airfoil_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Started with <&- or >&-, Python's sys.stdin or sys.stdout is None: an AttributeError traceback."""
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    monkeypatch.setattr(sys, stream, None)
    assert main(["predict", str(airfoil_run), "-" if stream == "stdin" else str(rows)]) == 2
    expected = {
        "stdin": "standard input is closed; give the rows as a file, or pipe them in",
        "stdout": "standard output is closed; give a file to write the predictions to, -o FILE",
    }[stream]
    assert capsys.readouterr().err == f"glassnet predict: error: {expected}\n"


def test_a_moons_data_set_is_named_without_evaluate_which_regenerates_its_moons(
    moons_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "moons.csv"
    assert predict_refusal(moons_run, rows, "0.5,0.2,1\n", capsys) == (
        f"glassnet predict: error: {rows}: line 1: expected 2 columns (x1, x2) separated by commas, "
        "got 3 fields; its rows have one column more than the model's 2 features: a file holding the "
        "measured target as its last column is a data set; predict takes rows of features only\n"
    )


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("800,0,0.3048,71.3\n", f"line 1: expected 5 columns ({FEATURES}) separated by commas, got 4 fields"),
        (  # two columns more: not a data set of this model
            "800,0,0.3048,71.3,0.0026,126.2,1\n",
            f"line 1: expected 5 columns ({FEATURES}) separated by commas, got 7 fields",
        ),
        (  # one row of 6, one of 5: a damaged file, not a data set
            "800,0,0.3048,71.3,0.0026,126.2\n800,0,0.3048,71.3,0.0026\n",
            f"line 1: expected 5 columns ({FEATURES}) separated by commas, got 6 fields",
        ),
    ],
)
def test_other_column_counts_keep_the_plain_message(
    content: str, error: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    assert (
        predict_refusal(airfoil_run, rows, content, capsys) == f"glassnet predict: error: {rows}: {error}\n"
    )


# -- 2. predicted numbers of any magnitude -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (126.25, "126.250000"),
        (-0.5, "-0.500000"),
        (0.0, "0.000000"),
        (1e-4, "0.000100"),
        (999_999_999.5, "999999999.500000"),
        (1e9, "1000000000.0"),
        (1_000_000_126.2012345, "1000000126.2012345"),  # it was 1.000000e+09, as for 1e9 + any level
        (1e12 + 0.25, "1000000000000.25"),
        (-8.188337254317189e298, "-8.188337254317189e+298"),
        (3.125e-7, "3.125e-07"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_number_text_is_short_for_any_finite_float_and_keeps_its_digits(value: float, text: str) -> None:
    assert number_text(value) == text
    if not 1e-4 <= abs(value) < 1e9:  # in full: the float read back
        assert float(text) == value


def test_predict_writes_a_huge_prediction_in_scientific_notation(
    airfoil_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An angle of 1e300 extrapolates to about -1e298 dB: its shortest text, not 300 digits."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"800,1e300,0.3048,71.3,0.00266337\n")))
    assert main(["predict", str(airfoil_run), "-"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header == (
        "frequency,angle_of_attack,chord_length,velocity,displacement_thickness,sound_pressure_level_dB"
    )
    assert re.fullmatch(r"800\.0,1e\+300,0\.3048,71\.3,0\.00266337,-?\d\.\d{1,16}e\+\d{3}", row), row


def test_predict_writes_ordinary_predictions_with_six_decimals(
    airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    capsys.readouterr()
    assert main(["predict", str(airfoil_run), str(rows)]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert re.fullmatch(r"800\.0,0\.0,0\.3048,71\.3,0\.00266337,\d{2,3}\.\d{6}", row), row


def test_moons_predictions_are_written_in_full(
    moons_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A logit and a probability keep every digit (their repr): at 6 decimals a probability of
    0.50000003 and one of 0.49999997 would both read 0.500000, with labels 1 and 0."""
    rows = tmp_path / "points.csv"
    rows.write_text("0,0\n1.5,-0.5\n-40,40\n")
    capsys.readouterr()
    assert main(["predict", str(moons_run), str(rows)]) == 0
    header, *written = capsys.readouterr().out.splitlines()
    assert header == "x1,x2,logit,probability,label"
    checkpoint = load_checkpoint(moons_run / "model.npz")
    points = np.array([[0.0, 0.0], [1.5, -0.5], [-40.0, 40.0]])
    logits = predict_raw(checkpoint.ensemble(), checkpoint.load_preprocessor(), points)
    probabilities = 1.0 / (1.0 + np.exp(-logits))  # σ(logit), as predict computes it for a logit model
    for line, logit, probability in zip(written, logits, probabilities, strict=True):
        assert line.split(",")[2] == repr(float(logit)), line
        assert float(line.split(",")[3]) == pytest.approx(probability, rel=1e-15, abs=0.0), line


# -- 3. the summary of a refit run ----------------------------------------------------------------

METRICS = r"RMSE \d+\.\d{3} dB  MAE \d+\.\d{3} dB  R² -?\d+\.\d{4}"


def test_the_summary_of_a_refit_run_says_what_train_and_val_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", "airfoil", *TINY, "--data", str(shared_airfoil()), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[-1] == f"run folder: {out}"
    assert re.fullmatch(rf"  train\+val  {METRICS}  \(n=1202\)", lines[1]), lines[1]
    assert re.fullmatch(rf"  val        {METRICS}  \(n=121, validation-pass model\)", lines[2]), lines[2]
    assert re.fullmatch(rf"  test       {METRICS}  \(n=301\)", lines[3]), lines[3]
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics)[:5] == ["task", "unit", "train", "val", "test"]  # the keys stay


@pytest.mark.parametrize(
    ("options", "parts"),
    [
        (["--no-refit"], [("train", 1081), ("val", 121), ("test", 301)]),
        (["--val-fraction", "0"], [("train", 1202), ("test", 301)]),
    ],
)
def test_the_summary_of_a_run_without_refit_keeps_plain_labels(
    options: list[str], parts: list[tuple[str, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data", str(shared_airfoil())]
    assert main(["train", "airfoil", *TINY, *options, *data, "--out", str(tmp_path / "r")]) == 0
    lines = capsys.readouterr().out.splitlines()[1:-1]
    assert len(lines) == len(parts)
    for line, (part, n) in zip(lines, parts, strict=True):
        assert re.fullmatch(rf"  {part:5s}  {METRICS}  \(n={n}\)", line), line


def test_the_summary_of_a_refit_moons_run_labels_its_parts_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refit = ["--val-fraction", "0.2"]
    assert main(["train", "moons", "--epochs", "2", *refit, "--no-plots", "--out", str(tmp_path / "m")]) == 0
    lines = capsys.readouterr().out.splitlines()[1:4]
    assert [re.sub(r"accuracy \d\.\d{3}", "accuracy A", line) for line in lines] == [
        "  train+val  accuracy A  (n=300)",
        "  val        accuracy A  (n=60, validation-pass model)",
        "  test       accuracy A  (n=100)",
    ]


# -- 4. --hidden '' and the options --resume takes ------------------------------------------------


def _train_option(task: str, dest: str) -> argparse.Action:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    tasks = next(a for a in commands.choices["train"]._actions if isinstance(a, argparse._SubParsersAction))
    return next(a for a in tasks.choices[task]._actions if a.dest == dest)


@pytest.mark.parametrize(("task", "default"), [("airfoil", "128,128,128"), ("moons", "3")])
def test_hidden_help_says_that_empty_means_a_linear_model(task: str, default: str) -> None:
    assert _train_option(task, "hidden").help == (
        f"hidden widths; empty: no hidden layer, a linear model (default {default})"
    )


def test_an_empty_hidden_trains_a_linear_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "linear"
    assert main(["train", "moons", "--hidden", "", "--epochs", "1", "--no-plots", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("moons: 1 model(s), (2, 1) (numpy)")
    assert load_checkpoint(out / "model.npz").spec.sizes == (2, 1)


def _interrupted_moons_run(out: Path) -> None:
    """A moons run stopped after its first epoch, its resume checkpoint saved in ``out``."""

    def stop(trainer: Any, record: dict[str, float]) -> None:
        trainer.request_stop()

    run = train_moons(MOONS_CONFIG.replace(epochs=3), callback=stop)
    assert run.result.status == "interrupted"
    save_resume(run, out)


@pytest.mark.parametrize(
    "damaged",
    [
        {"split": list(range(10**6))},
        {"n_samples": "x" * 10**6},
        {"resumed": 5},  # trained to the end, then "'int' object is not iterable" (a later review)
        {"resumed": "abc"},  # saved as ["a", "b", "c"]
        {"resumed": [{"epochs_before": True, "settings": {}}]},
        {"resumed": [{"epochs_before": 3, "settings": {"lr": 0.1}}]},
    ],
    ids=["split", "n_samples", "resumed-int", "resumed-text", "resumed-bool", "resumed-other-setting"],
)
def test_a_damaged_run_description_is_named_in_a_short_line(damaged: dict[str, Any], tmp_path: Path) -> None:
    """The run description (``info``) --resume reads, forged with a huge value: the message
    held it whole."""
    out = tmp_path / "run"
    _interrupted_moons_run(out)
    path = out / RESUME_FILE
    checkpoint = load_checkpoint(path)
    checkpoint.info = {**checkpoint.info, **damaged}
    save_checkpoint(path, checkpoint)
    with pytest.raises(ValueError, match=r"damaged run description \((split|n_samples|resumed) ") as caught:
        load_resume(out)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    ("options", "changed", "note"),
    [
        (["--threads", "1"], {}, None),
        (["--threads", "2"], {"threads": 2}, "threads 2 (the run had 1)"),
        (
            ["--engine", "torch", "--device", "cpu"],
            {"engine": "torch", "device": "cpu"},
            "engine 'torch' (the run had 'numpy')",
        ),
    ],
)
def test_resume_takes_the_options_of_where_and_how_fast_it_computes(
    options: list[str],
    changed: dict[str, Any],
    note: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A change is noted: BLAS and torch split some sums across threads, and the engines round
    otherwise, so the weights may differ in their last bits from a run never interrupted."""
    if "torch" in options:
        require_torch()
    out = tmp_path / "run"
    _interrupted_moons_run(out)
    saved = load_checkpoint(out / "checkpoint.npz").config
    assert saved is not None
    assert main(["train", "moons", "--out", str(out), "--resume", *options, "--quiet", "--no-plots"]) == 0
    expected = (
        ""
        if note is None
        else f"glassnet train moons: note: resumed with {note}: the same training, rounded otherwise, so "
        "its weights may differ in their last bits from those of a run never interrupted\n"
    )
    assert capsys.readouterr().err == expected
    model = load_checkpoint(out / "model.npz")
    assert model.config == saved.replace(**changed)
    assert not (out / "checkpoint.npz").exists()
    # the settings the epochs before the resume had, where it changed them: the configuration
    # names the last only (a review of option combinations, 2026-11-28)
    resumed = (
        [
            {
                "epochs_before": 1,  # the interrupted run's one epoch, trained on the settings before
                "settings": {
                    name: getattr(saved, name)
                    for name, value in changed.items()
                    if getattr(saved, name) != value
                },
            }
        ]
        if changed
        else None
    )
    assert model.info.get("resumed") == resumed
    assert json.loads((out / "metrics.json").read_text()).get("resumed") == resumed


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (
            ["--threads", "2", "--epochs", "7", "--lr", "0.1"],
            "--resume continues the saved run unchanged; drop --epochs, --lr (it may change --engine, "
            "--device, --no-cuda-graph and --threads only)",
        ),
        # --resume writes into its own folder: --force was accepted and read by nothing
        (
            ["--force"],
            "--resume continues the saved run unchanged; drop --force (it may change --engine, "
            "--device, --no-cuda-graph and --threads only)",
        ),
        (["--threads", "-1"], "--threads must be an integer in [0, 1024], got -1"),
        # the resumed run steps on the CPU, where nothing is captured
        (
            ["--engine", "torch", "--no-cuda-graph"],
            "--no-cuda-graph has no effect in this run: it applies with --engine torch --device cuda "
            "--float32 only (every other run steps eagerly)",
        ),
        (
            ["--device", "cuda"],
            "--device cuda needs --engine torch (the numpy engine runs on the CPU; the interrupted run "
            "trained with engine numpy)",
        ),
    ],
)
def test_resume_refuses_the_other_options_and_bad_values(
    options: list[str], error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    _interrupted_moons_run(out)
    assert main(["train", "moons", "--out", str(out), "--resume", *options]) == 2
    assert capsys.readouterr().err == f"glassnet train moons: error: {error}\n"
    assert sorted(path.name for path in out.iterdir()) == ["checkpoint.npz"]


# -- 5. counts in metrics.json -------------------------------------------------------------------


def test_metrics_json_writes_counts_as_integers(
    airfoil_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (airfoil_run / "metrics.json").read_text()
    assert re.findall(r'"n": [^,\n}]+', text) == ['"n": 1202', '"n": 121', '"n": 301']
    metrics = json.loads(text)
    assert all(type(metrics[part]["n"]) is int for part in ("train", "val", "test"))
    assert all(type(metrics[part]["rmse"]) is float for part in ("train", "val", "test"))
    # the run's files still load and measure: the checkpoint's metrics agree with metrics.json
    checkpoint = load_checkpoint(airfoil_run / "model.npz")
    assert {part: checkpoint.metrics[part] for part in ("train", "val", "test")} == {
        part: metrics[part] for part in ("train", "val", "test")
    }
    capsys.readouterr()
    assert main(["evaluate", str(airfoil_run), "--data", str(shared_airfoil()), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert measured["test"] == pytest.approx(metrics["test"])
    assert (
        type(measured["test"]["n"]) is int and type(checkpoint.metrics["test"]["n"]) is int
    )  # 301.0 in both


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
@pytest.mark.parametrize(
    "argv", [["--help"], ["train", "airfoil", "--help"], ["explain", "--help"], ["demo", "--help"]]
)
def test_help_prints_on_a_stream_whose_encoding_lacks_its_symbols(
    argv: list[str], errors: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The help's →, σ and η raised UnicodeEncodeError, a traceback, on a cp1252 stream (a Windows
    console, or `glassnet --help > help.txt` there) or an ASCII one (LC_ALL=C): written in ASCII
    spellings (-> for →, sigma for σ), any other character as "?"."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="cp1252" if errors == "strict" else "ascii", errors=errors)
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(argv) == 0
    stream.flush()
    text = written.getvalue().decode("cp1252")
    assert text.startswith("usage: glassnet")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(argv) == 0
    # every symbol spelled (the help's → as ->, σ as sigma), none a "?"
    assert text.count("?") == sys.stdout.getvalue().count("?") and text != sys.stdout.getvalue()
    assert stream.errors == errors  # the stream itself unchanged: data is written as it is


def test_a_finished_run_reports_its_summary_and_folder_on_an_ascii_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary's R² failed on an ASCII stdout: exit 2 with an encoding error after the whole
    run was written, and the 'run folder:' line never printed. A report, written with R^2 for R²."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    out = tmp_path / "run"
    argv = [
        "train",
        "airfoil",
        "--data",
        str(shared_airfoil()),
        "--epochs",
        "2",
        "--hidden",
        "4",
        "--no-plots",
    ]
    assert main([*argv, "--warmup-epochs", "0", "--out", str(out)]) == 0
    stream.flush()
    text = written.getvalue().decode("ascii")
    assert "R^2 " in text and text.endswith(f"run folder: {out}\n")
    assert (out / "metrics.json").is_file()
    assert capsys.readouterr().err == ""
    # evaluate's table too: it stopped after its first line with an encoding error, exit 2
    start = len(written.getvalue())
    assert main(["evaluate", str(out)]) == 0
    stream.flush()
    table = written.getvalue()[start:].decode("ascii").splitlines()
    assert table[0].startswith(f"{out / 'model.npz'}: airfoil model ") and len(table) == 4
    assert all("R^2 " in line for line in table[1:]) and capsys.readouterr().err == ""


def test_the_demo_writes_its_tour_on_an_output_without_its_characters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a cp1252 console the demo printed nothing and exited 2 at its first η: a tour for
    reading is written with ASCII spellings for what the output cannot show (η as eta), as
    train's summary is."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr("glassnet.cli._demo.demo_sections", lambda out: iter(["η = 0.1, R² 0.98", "done"]))
    assert main(["demo"]) == 0
    stream.flush()
    assert written.getvalue().decode("cp1252") == "eta = 0.1, R² 0.98\n\ndone\n"  # cp1252 has ², not η
    assert capsys.readouterr().err == ""


def test_data_an_output_cannot_encode_is_one_line_naming_the_way_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain's η on a cp1252 stdout: refused, not written as "?" (data is not altered), in words
    naming the encoding, the character and what to do, where Python's named a codec."""
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["explain", "--example", "exercise", "--no-torch"]) == 2
    assert capsys.readouterr().err == (
        "glassnet explain: error: the output's encoding (cp1252) cannot write '\\u03b7'; set "
        "PYTHONIOENCODING=utf-8 (or PYTHONUTF8=1), or write to a file where the command takes -o FILE\n"
    )


# --- found by a review of the run folders and their files (2026-11-28, a later session) ------------


def _ascii_stdout(
    monkeypatch: pytest.MonkeyPatch, encoding: str = "ascii"
) -> tuple[io.BytesIO, io.TextIOWrapper]:
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding=encoding)
    monkeypatch.setattr(sys, "stdout", stream)
    return written, stream


@pytest.mark.parametrize(
    ("encoding", "name", "shown"),
    [("ascii", "résumé", r"/r\xc3\xa9sum\xc3\xa9'"), ("utf-8", "line\nbreak", r"/line\nbreak'")],
    ids=["not-ascii", "line-break"],
)
def test_a_finished_run_names_a_folder_its_stdout_cannot_print(
    encoding: str,
    name: str,
    shown: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'run folder: résumé' on an ASCII stdout ended a finished run with exit 2 and an encoding
    error (whose advice named an -o that train does not take): the folder is named by its bytes."""
    written, stream = _ascii_stdout(monkeypatch, encoding)
    out = tmp_path / name
    assert main(["train", "moons", "--epochs", "2", "--quiet", "--no-plots", "--out", str(out)]) == 0
    stream.flush()
    assert written.getvalue().decode(encoding) == f"run folder: {os.fsencode(out)!r}\n"
    assert shown in f"{os.fsencode(out)!r}"
    assert (out / "metrics.json").is_file()
    assert capsys.readouterr().err == ""


def test_data_info_names_a_file_its_stdout_cannot_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "é.csv"
    data.write_bytes(shared_airfoil().read_bytes())
    written, stream = _ascii_stdout(monkeypatch)
    assert main(["data", "info", "--data", str(data)]) == 0
    stream.flush()
    first = written.getvalue().decode("ascii").splitlines()[0]
    assert first.startswith("file: b'") and first.endswith(r"\xc3\xa9.csv'")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (None, "runs (the folder of new runs; --out names another) exists and is not a folder"),
        ("runs/a/b", "--out runs/a/b: runs exists and is not a folder"),
        ("runs", "--out runs exists and is not a folder"),
    ],
    ids=["default", "under-a-file", "a-file"],
)
def test_a_file_where_the_run_folder_goes_is_named(
    out: str | None,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file named runs gave 'runs: File exists' for the default folder, and one on the way of
    --out 'Not a directory'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("notes\n")
    argv = ["train", "moons", "--epochs", "2", "--quiet"] + ([] if out is None else ["--out", out])
    assert main(argv) == 2
    assert capsys.readouterr().err == f"glassnet train moons: error: {expected}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]


def test_a_split_without_training_rows_names_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "moons", "--samples", "4", "--val-fraction", "0.9", "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        "glassnet train moons: error: no training rows left: n=4, test_fraction=0.25 (--test-fraction) "
        "takes 1, val_fraction=0.9 (--val-fraction) takes 3\n"
    )


def test_seed_help_says_it_draws_the_moons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "moons", "--help"]) == 0
    assert "and for moons of the generated points" in " ".join(capsys.readouterr().out.split())


def test_data_info_shows_a_line_read_as_a_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every warning was silenced, not only the published-data one the table prints: a row of
    1,2,3,4,5,6 (physically valid) read as a pandas header went unsaid (a later review)."""
    data = tmp_path / "g.csv"
    data.write_text("1,2,3,4,5,6\n800,0,0.3048,71.3,0.00266337,126.201\n")
    assert main(["data", "info", "--data", str(data)]) == 0
    captured = capsys.readouterr()
    assert "is read as a header that numbers the columns" in captured.err
    assert "differs from the published" not in captured.err  # that one is the table's last line
    assert captured.out.splitlines()[-1].startswith("differs from the published data: ")


def test_a_warning_made_an_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Under python -W error the header warning ended `data info` in a traceback (a review)."""
    data = tmp_path / "g.csv"
    data.write_text("1,2,3,4,5,6\n800,0,0.3048,71.3,0.00266337,126.201\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["data", "info", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet data info: error: ") and "numbers the columns" in err
    assert err.count("\n") == 1


def test_data_info_says_the_published_difference_once_and_means_without_overflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line break in the file's name let the published-data warning through beside the table's
    last line; a column of 1e308s printed NumPy's overflow warnings and an inf mean."""
    named = tmp_path / "c\nd.csv"
    named.write_text("800,0,0.3048,71.3,0.00266337,126.201\n")
    assert main(["data", "info", "--data", str(named)]) == 0
    assert "differs from the published" not in capsys.readouterr().err
    huge = tmp_path / "huge.csv"
    huge.write_text("1e308,1e308,1e308,1e308,1e308,1e308\n" * 3)
    assert main(["data", "info", "--data", str(huge)]) == 0
    captured = capsys.readouterr()
    assert "overflow" not in captured.err
    assert " inf " not in captured.out and "1e+308" in captured.out


def test_data_info_prints_the_mean_of_subnormal_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dividing every value before the sum printed 7.4e-321 for a column of 1e-320s."""
    data = tmp_path / "tiny.csv"
    data.write_text("800,1e-320,0.3048,71.3,0.00266337,126.201\n" * 3)
    assert main(["data", "info", "--data", str(data)]) == 0
    angle = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("angle_of_attack"))
    _, _, mean, low, high = angle.split()
    assert mean == low == high == "9.99989e-321"  # 1e-320, as float64 holds it (7.4e-321: out of range)


# --- found by a review of the day's commands as a whole (2026-11-28, a later session) --------------


def test_data_info_refuses_a_closed_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It exited 0 having written nothing, where every other command refuses."""
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["data", "info", "--data", str(shared_airfoil())]) == 2
    assert (
        capsys.readouterr().err
        == "glassnet data info: error: standard output is closed; data info writes its table there\n"
    )


@pytest.mark.parametrize("command", ["explain", "predict"])
def test_an_output_under_a_file_names_the_file(
    command: str, airfoil_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain said the folder 'afile' did not exist; predict did for afile/sub."""
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    out = afile / "sub" / "x.csv"
    argv = (
        ["explain", "--example", "exercise", "--no-torch", "-o", str(out.with_suffix(".md"))]
        if command == "explain"
        else ["predict", str(airfoil_run), str(afile), "-o", str(out)]
    )
    assert main(argv) == 2
    assert capsys.readouterr().err.endswith(f": {afile} is not a folder\n")


def test_data_fetch_names_a_dest_it_cannot_make_before_downloading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'cannot write the airfoil data into dl (File exists)', after the download."""
    link = tmp_path / "dl"
    link.symlink_to(tmp_path / "nowhere")
    url = (tmp_path / "never-read.zip").as_uri()  # no file: the refusal comes before the download
    assert main(["data", "fetch", "airfoil", "--url", url, "--dest", str(link)]) == 2
    assert (
        f"--dest {link} is a symbolic link to {tmp_path / 'nowhere'}, which does not exist"
        in capsys.readouterr().err
    )


def test_explain_of_a_dash_points_to_dev_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "-"]) == 2
    assert "- is not standard input here: give a file, or /dev/stdin for a pipe" in capsys.readouterr().err


def test_data_fetch_names_the_cache_it_cannot_use_as_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --dest, a cache folder that links to nothing (or is a file) was blamed on --dest."""
    cache = tmp_path / "xdg"
    cache.mkdir()
    (cache / "glassnet").symlink_to(tmp_path / "nowhere")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    url = (tmp_path / "never-read.zip").as_uri()
    assert main(["data", "fetch", "airfoil", "--url", url, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"the cache folder {cache / 'glassnet'} (XDG_CACHE_HOME or ~/.cache) is a symbolic link" in err
    assert "--dest " not in err.split(";")[0]
    (cache / "glassnet").unlink()
    (cache / "glassnet").write_text("x\n")
    assert main(["data", "fetch", "airfoil", "--url", url, "--quiet"]) == 2
    assert (
        f"the cache folder {cache / 'glassnet'} (XDG_CACHE_HOME or ~/.cache) is a file"
        in capsys.readouterr().err
    )


def test_running_out_of_memory_in_a_resume_gives_advice_it_can_follow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advice named --batch-size and --hidden, which --resume refuses."""
    from glassnet.train import _trainer

    out = tmp_path / "run"
    _interrupted_moons_run(out)

    def run(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 1.22 GiB")

    monkeypatch.setattr(_trainer.Trainer, "run", run)
    capsys.readouterr()
    assert main(["train", "moons", "--out", str(out), "--resume", "--quiet", "--no-plots"]) == 2
    assert capsys.readouterr().err == (
        "glassnet train moons: error: out of memory (Unable to allocate 1.22 GiB); a resumed run keeps its "
        "settings: resume it where more memory is free\n"
    )
    assert sorted(path.name for path in out.iterdir()) == ["checkpoint.npz"]
