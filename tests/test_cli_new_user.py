"""What a new user following the README and docs ran into: Ctrl-C in the demo, a default that
--help shows but the command refused, a --resume hint with nothing to resume, two resume lines
for one checkpoint, one bad line named of several, an extrapolation named by one column,
another task's defaults in --help, option names in ``data fetch``'s messages, a model file
given as data."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import shared_airfoil
from glassnet.checkpoint import load_checkpoint
from glassnet.cli import _demo, main
from glassnet.demo import airfoil_section
from glassnet.train import artifacts
from glassnet.train._engines import NumpyEngine

TINY_AIRFOIL = ["--hidden", "4", "--fourier-features", "0", "--quiet", "--no-plots"]
AIRFOIL_RUN_FILES = [
    "history.csv",
    "loss_curves.png",
    "metrics.json",
    "model.npz",
    "predicted_vs_measured.png",
    "residuals_vs_frequency.png",
]


# -- Ctrl-C in `glassnet demo --out DIR` -------------------------------------------------


def short_demo(out: Any) -> Iterator[str]:
    """The demo's tour cut to its airfoil part, 2 epochs: the part that writes into --out."""
    yield "the tour so far"
    yield airfoil_section(out, epochs=2)


def test_ctrl_c_while_the_demo_writes_its_airfoil_files_finishes_them_as_train_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It left model.npz, metrics.json and history.csv without the plots, said only
    "glassnet: interrupted", and a rerun was refused for the folder not being empty."""
    monkeypatch.setenv("GLASSNET_DATA", str(shared_airfoil()))
    monkeypatch.setattr(_demo, "demo_sections", short_demo)
    write_plots = artifacts.write_plots

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the plots are drawn
        return write_plots(*args, **kwargs)

    monkeypatch.setattr(artifacts, "write_plots", interrupted)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 130
    captured = capsys.readouterr()
    assert captured.err == (
        f"glassnet demo: interrupted while the airfoil run's files were written; {out} holds them all\n"
    )
    assert f"plots and metrics in {out}: model.npz, metrics.json, history.csv" in captured.out
    assert sorted(path.name for path in out.iterdir()) == AIRFOIL_RUN_FILES
    assert load_checkpoint(out / "model.npz").info["task"] == "airfoil"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back as it was


@pytest.mark.parametrize("existed", [False, True])
def test_ctrl_c_in_the_demo_before_its_files_leaves_nothing_and_says_so(
    existed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Interrupted while training: nothing written; a folder the demo made is removed, one that
    was there stays empty (so that the same command runs again), and the message says which."""

    def interrupted_tour(out: Any) -> Iterator[str]:
        yield "the tour so far"
        raise KeyboardInterrupt

    monkeypatch.setattr(_demo, "demo_sections", interrupted_tour)
    out = tmp_path / "new" / "demo"
    if existed:
        out.mkdir(parents=True)
    assert main(["demo", "--out", str(out)]) == 130
    said = f"{out} is left empty" if existed else f"and {out}, made by the demo, is removed"
    assert capsys.readouterr().err == f"glassnet demo: interrupted; nothing was written, {said}\n"
    assert out.exists() == existed and (not existed or not any(out.iterdir()))
    assert (tmp_path / "new").exists() == existed  # the parent the demo made goes too
    monkeypatch.setattr(_demo, "demo_sections", lambda out: iter(["again"]))
    assert main(["demo", "--out", str(out)]) == 0  # the same command, run again


# -- --activation: the default --help shows ----------------------------------------------


def test_the_activation_default_shown_in_help_is_accepted_for_a_single_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--help says "default relu,tanh"; typed with one model it was refused ("names 2
    activations … but the run trains 1 member(s)")."""
    assert main(["train", "airfoil", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert (
        "a single model takes the first (default relu,tanh: relu for the single model of --ensemble 1)"
        in shown
    )
    out = tmp_path / "one"
    data = ["--data", str(shared_airfoil())]
    argv = ["train", "airfoil", *TINY_AIRFOIL, *data, "--epochs", "1", "--activation", "relu,tanh"]
    assert main([*argv, "--out", str(out)]) == 0
    assert capsys.readouterr().err == (
        "glassnet train airfoil: note: --activation relu,tanh names the activations of an ensemble's members in "
        "turn; the run trains a single model, which takes the first, relu (--ensemble 2 trains one member "
        "of each)\n"
    )
    assert list(load_checkpoint(out / "model.npz").member_activations()) == ["relu"]
    # as the default: the same model as a run without the option
    assert (
        main(["train", "airfoil", *TINY_AIRFOIL, *data, "--epochs", "1", "--out", str(tmp_path / "d")]) == 0
    )
    assert capsys.readouterr().err == ""
    typed, default = (load_checkpoint(tmp_path / name / "model.npz") for name in ("one", "d"))
    assert all((typed.members[0][k] == default.members[0][k]).all() for k in default.members[0])
    # an ensemble of fewer members than names is still refused: its last names would train nothing
    assert main(["train", "airfoil", "--activation", "relu,tanh,sigmoid", "--ensemble", "2"]) == 2
    assert "but the run trains 2 member(s): give --ensemble 3 or more" in capsys.readouterr().err


# -- each task's --help shows its own defaults -------------------------------------------


def help_text(task: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["train", task, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_each_tasks_help_shows_its_own_split_and_when_the_validation_options_apply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    moons = help_text("moons", capsys)
    assert "share of rows held out for testing (default 0.25)" in moons
    assert "share of the rest used for validation (default 0: no validation part)" in moons
    assert "0.2 / 0.25 moons" not in moons and "0.1 / 0 moons" not in moons
    for option, following in (
        ("--patience N", "--no-restore-best"),
        ("--no-restore-best", "--no-refit"),
        ("--no-refit", "--clip-norm C"),
    ):
        described = moons.split(f" {option} ", 1)[1].split(f" {following} ", 1)[0]
        assert "needs --val-fraction > 0 (no validation part by default)" in described, option
    assert "(default)" not in moons.split("--patience N", 1)[1].split("--clip-norm", 1)[0]
    airfoil = help_text("airfoil", capsys)
    assert "share of rows held out for testing (default 0.2)" in airfoil
    assert "share of the rest used for validation (default 0.1)" in airfoil
    assert "needs --val-fraction" not in airfoil and "under refit (the default) it stops" in airfoil


# -- --resume is suggested only where there is a run to resume ----------------------------


def test_a_finished_run_folder_does_not_suggest_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "small"
    argv = ["train", "moons", "--epochs", "2", "--quiet", "--no-plots", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 2
    assert (
        capsys.readouterr().err
        == f"glassnet train moons: error: --out {out} is not empty; use --force to overwrite it\n"
    )
    # a finished model under the checkpoint's name holds no resume state: --resume would fail on
    # it, so it is not suggested (an interrupted run's checkpoint is: tests/test_cli_signals.py)
    (out / "model.npz").rename(out / "checkpoint.npz")
    assert main(argv) == 2
    assert (
        capsys.readouterr().err
        == f"glassnet train moons: error: --out {out} is not empty; use --force to overwrite it\n"
    )


# -- one resume line, from train and from evaluate/predict --------------------------------


@pytest.mark.parametrize("given_data", [False, True])
def test_train_evaluate_and_predict_suggest_the_same_resume_command(
    given_data: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """train printed `… --out runs/int --resume` (no --data unless typed), evaluate and predict
    `… --out runs/int --data PATH --resume` for the same checkpoint."""
    monkeypatch.delenv("GLASSNET_DATA", raising=False)  # found by the search, as in the report
    original = NumpyEngine.train_batch
    calls = [0]

    def interrupting(self: Any, start: int, stop: int) -> None:
        calls[0] += 1
        if calls[0] == 3:
            signal.raise_signal(signal.SIGINT)
        original(self, start, stop)

    out = tmp_path / "int"
    data = ["--data", str(shared_airfoil())] if given_data else []
    with monkeypatch.context() as patch:
        patch.setattr(NumpyEngine, "train_batch", interrupting)
        assert main(["train", "airfoil", *TINY_AIRFOIL, *data, "--epochs", "3", "--out", str(out)]) == 130
    printed = capsys.readouterr().err.splitlines()[-1]
    expected = f"glassnet train airfoil --out {out} --data {shared_airfoil()} --resume"
    assert printed == f"continue with: {expected} --quiet --no-plots"
    rows = tmp_path / "rows.csv"
    rows.write_text("800,0,0.3048,71.3,0.00266337\n")
    for command in (["evaluate", str(out)], ["predict", str(out), str(rows)]):
        assert main(command) == 0
        assert f"; `{expected}` finishes it\n" in capsys.readouterr().err
    assert (
        main(["train", "airfoil", "--out", str(out), "--data", str(shared_airfoil()), "--resume", "--quiet"])
        == 0
    )


# -- predict: one error names every bad line ------------------------------------------------


@pytest.fixture(scope="module")
def tiny_airfoil_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", "airfoil", *TINY_AIRFOIL, "--epochs", "1", "--out", str(out)]) == 0
    return out


def test_predict_names_a_bad_number_and_a_bad_magnitude_in_one_error(
    tiny_airfoil_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'abc' at line 2 and a negative velocity at line 3: only line 2 was named."""
    rows = tmp_path / "bad1.csv"
    rows.write_text(
        "800,0,0.3048,71.3,0.00266\n1000,0,abc,71.3,0.0026\n1000,0,0.3,-71.3,0.0026\n1000,0,0.3,71.3\n"
    )
    assert main(["predict", str(tiny_airfoil_model), str(rows)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: {rows}: line 2, column 3 (chord_length): expected a number, got 'abc'; "
        "2 more bad lines, at lines 3 and 4\n"
    )
    rows.write_text("800,0,0.3048,-71.3,0.00266\n1000,0,abc,71.3,0.0026\n")  # the first line first
    assert main(["predict", str(tiny_airfoil_model), str(rows)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: {rows}: line 1, column 4 (velocity): must be > 0 (a physical magnitude), "
        "got -71.3; 1 more bad line, at line 2\n"
    )


def test_predict_refuses_a_column_whose_header_names_another_unit(
    tiny_airfoil_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An angle in radians lies inside the degrees the model was trained on: it was predicted
    as degrees (132.5 dB for 7.3°, against 128.2), with no warning."""
    rows = tmp_path / "rad.csv"
    rows.write_text("Freq,AOA (rad),Chord,Velocity,Displacement\n800,0.1274,0.3048,71.3,0.00266337\n")
    assert main(["predict", str(tiny_airfoil_model), str(rows)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: {rows}: line 1: column 2 (AOA (rad)) names a unit other than deg, the unit "
        "the model reads angle_of_attack in: convert the column to deg\n"
    )


# -- predict: every feature of a row outside the training range is named ----------------


def test_predict_names_every_column_of_a_row_outside_the_training_range(
    tiny_airfoil_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "800,0,0.3048,71.3,0.00266337\n5.4,1000,0.3048,71.3,0.00266337\n800,1000,0.3048,71.3,0.002\n"
    )
    assert main(["predict", str(tiny_airfoil_model), str(rows)]) == 0
    assert capsys.readouterr().err == (
        f"glassnet predict: warning: {rows}: line 2: frequency 5.4 (column 1, trained on 200 to 20000) and "
        "angle_of_attack 1000 (column 2, trained on 0 to 22.2) are outside the training data, so its "
        "prediction is an extrapolation; 1 more such row, at line 3\n"
    )


# -- a model file given as data -------------------------------------------------------------


def test_data_info_on_a_model_file_says_it_is_a_model_not_data(
    tiny_airfoil_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "is a zip archive … unzip it first" of a model.npz."""
    model = tiny_airfoil_model / "model.npz"
    assert main(["data", "info", "--data", str(model)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet data info: error: {model}: is a glassnet model file (a checkpoint), not a data file; "
        f"a model is read by `glassnet evaluate {model}` (its metrics) and `glassnet predict {model} ROWS.csv`\n"
    )


# -- data fetch: messages in the options' names -------------------------------------------


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--timeout", "0"], "--timeout must be a number in (0, 86400], got 0"),
        (["--timeout", "soon"], "--timeout must be a number in (0, 86400], got 'soon'"),
        (["--dest", ""], "--dest is empty; give a folder, or leave it out for the cache"),
        (["--dest", "{file}"], "--dest must be a folder, got the file {file}"),
        (["--url", "ftp://x/a.zip"], "--url must be an http, https or file URL, got 'ftp://x/a.zip'"),
        (
            ["--url", "file://good.zip"],
            "--url must be a file URL of an absolute path, file:///PATH (three slashes), got "
            "'file://good.zip'; for good.zip here: file://{here}/good.zip",
        ),
    ],
)
def test_data_fetch_mistakes_name_the_option_and_the_action(
    options: list[str],
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    values = {"file": str(tmp_path / "afile"), "here": str(tmp_path)}
    argv = [option.format(**values) for option in options]
    if "--dest" not in options:
        argv += ["--dest", str(tmp_path / "dest")]
    assert main(["data", "fetch", "airfoil", *argv, "--quiet"]) == 2
    assert capsys.readouterr().err == f"glassnet data fetch: error: {said.format(**values)}\n"
    assert not (tmp_path / "dest").exists()
