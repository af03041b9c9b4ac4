"""The command line as a hurried user drives it: Ctrl-C while files are written, ``~`` in a
path the shell left alone, an empty ``--out``, a data set too small for its split."""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet.checkpoint import load_checkpoint
from glassnet.cli import _demo, _train, main
from glassnet.train import TrainConfig, Trainer, artifacts
from glassnet.train._engines import NumpyEngine

QUICK = ["--epochs", "2", "--quiet"]


def test_ctrl_c_while_the_run_files_are_written_leaves_one_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Held back until the files are written: a --force folder never keeps the previous run's
    plots beside the new model (it did: the interruption landed between the two)."""
    # Python's own handler is there, as in a terminal (conftest sets it for every test)
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--hidden", "3", "--out", str(out)]) == 0
    before = {name: (out / name).read_bytes() for name in ("loss_curves.png", "decision_boundary.png")}
    write_plots = artifacts.write_plots

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the plots are drawn
        return write_plots(*args, **kwargs)

    monkeypatch.setattr(artifacts, "write_plots", interrupted)
    capsys.readouterr()
    assert main(["train", "moons", *QUICK, "--hidden", "5", "--out", str(out), "--force"]) == 130
    err = capsys.readouterr().err
    assert err == f"glassnet train moons: interrupted after the training ended; {out} holds the whole run\n"
    assert load_checkpoint(out / "model.npz").spec.sizes == (2, 5, 1)
    for name, previous in before.items():
        assert (out / name).read_bytes() != previous, name  # the new run's, not the previous one's
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back as it was


def test_a_full_disk_while_the_figures_are_drawn_names_the_file_and_what_the_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "[Errno 28] No space left on device" alone, and a retry was then refused as
    "not empty" without a word about what the folder held."""
    from matplotlib.figure import Figure

    def full_disk(self: Figure, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")  # as Pillow writing into an open file says it

    monkeypatch.setattr(Figure, "savefig", full_disk)
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--hidden", "3", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: {out / 'loss_curves.png'}: No space left on device; {out} holds the run's "
        "model.npz, metrics.json and history.csv, written before it, and not the rest\n"
    )
    assert sorted(path.name for path in out.iterdir()) == ["history.csv", "metrics.json", "model.npz"]


class _FullStdout(io.StringIO):
    """Standard output on a full disk (``> file`` there, or ``> /dev/full``): its flush fails."""

    def flush(self) -> None:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "--example", "exercise", "--no-torch"],
        ["evaluate", "MODEL"],
        ["evaluate", "MODEL", "--json"],
        ["predict", "MODEL", "ROWS"],
        ["data", "info", "--data", "AIRFOIL"],
    ],
    ids=["explain", "evaluate", "evaluate-json", "predict", "data-info"],
)
def test_a_full_standard_output_is_named(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "[Errno 28] No space left on device", naming nothing."""
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", str(out)]) == 0
    (tmp_path / "rows.csv").write_text("x1,x2\n0.5,0.25\n")
    named = {"MODEL": str(out), "ROWS": str(tmp_path / "rows.csv"), "AIRFOIL": str(shared_airfoil())}
    given = [named.get(arg, arg) for arg in argv]
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    assert main(given) == 2
    command = " ".join(argv[:2]) if argv[0] == "data" else argv[0]
    assert capsys.readouterr().err == f"glassnet {command}: error: standard output: No space left on device\n"


def test_a_full_standard_output_after_a_run_says_the_run_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`glassnet train moons > /dev/full` wrote the whole run, then said "[Errno 28] No space left
    on device" alone, the folder never named."""
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: standard output: No space left on device; {out} holds the whole run\n"
    )
    assert sorted(path.name for path in out.iterdir()) == ["history.csv", "metrics.json", "model.npz"]


class _LeftReader(io.StringIO):
    """Standard output whose reader left (`| head`, `| true`): its flush breaks the pipe."""

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_leaves_after_a_run_ends_it_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`glassnet train moons | true` said "error: [Errno 32] Broken pipe; … holds the whole run",
    exit 2, where every other command ends quietly with 141, as a process SIGPIPE ended."""
    monkeypatch.setattr(sys, "stdout", _LeftReader())
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", str(out)]) == 141
    assert capsys.readouterr().err == ""
    assert sorted(path.name for path in out.iterdir()) == ["history.csv", "metrics.json", "model.npz"]


def test_a_tilde_in_out_and_model_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--out=~/runs/a`` reaches glassnet unexpanded (bash expands no ~ after ``=``): it means
    the home folder, as it does in ``--data`` and ``data fetch --dest``; so do the model of
    ``evaluate`` and ``predict`` and the outputs of ``predict -o`` and ``explain -o/--figure``."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    assert main(["train", "moons", *QUICK, "--no-plots", "--out=~/runs/a"]) == 0
    assert capsys.readouterr().out == f"run folder: {home / 'runs' / 'a'}\n"
    assert (home / "runs" / "a" / "model.npz").is_file()
    assert not (tmp_path / "~").exists()
    assert main(["evaluate", "~/runs/a"]) == 0
    assert capsys.readouterr().out.startswith(f"{home / 'runs' / 'a' / 'model.npz'}: moons model")
    seen: list[Any] = []

    def sections(out: Any) -> list[str]:
        seen.append(out)
        return []

    monkeypatch.setattr(_demo, "demo_sections", sections)
    assert main(["demo", "--out", "~/demo"]) == 0
    assert seen == [home / "demo"]
    (tmp_path / "rows.csv").write_text("0.5,0.25\n")
    assert main(["predict", "~/runs/a", "rows.csv", "-o", "~/predicted.csv"]) == 0
    assert (home / "predicted.csv").read_text().startswith("x1,x2,logit,probability,label\n")
    assert main(["explain", "--example", "exercise", "--no-torch", "-o=~/ex.md", "--figure=~/ex.svg"]) == 0
    assert (home / "ex.md").is_file() and (home / "ex.svg").is_file()
    assert not (tmp_path / "~").exists()


NO_USER = "~glassnet-no-such-user"  # a ~user with no home folder: a shell leaves it as it is


def test_a_file_named_with_a_tilde_is_read_as_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``'~old.csv'`` (quoted, or a name a script built) names no user's home folder: it is the
    file of that name, as the shell leaves it. pathlib's expanduser raised RuntimeError, a traceback."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", "run"]) == 0
    (tmp_path / "~old.csv").write_text("0.5,0.25\n")
    capsys.readouterr()
    assert main(["predict", "run", "~old.csv", "-o", "~new.csv"]) == 0
    assert (tmp_path / "~new.csv").read_text().startswith("x1,x2,logit,probability,label\n")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["predict", "run", f"{NO_USER}/rows.csv"], f"input file {NO_USER}/rows.csv does not exist"),
        (["data", "info", "--data", f"{NO_USER}/x.csv"], f"data path {NO_USER}/x.csv does not exist"),
        (["evaluate", f"{NO_USER}/run"], f"no model file at {NO_USER}/run"),
        (["predict", "run", "-", "-o", f"{NO_USER}/out.csv"], f"folder '{NO_USER}' does not exist"),
    ],
    ids=["predict", "data-info", "model", "output"],
)
def test_a_tilde_user_without_a_home_is_a_path_that_does_not_exist(
    command: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", "run"]) == 0
    capsys.readouterr()
    assert main(command) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("home", ["unset", "empty"])
def test_a_tilde_without_a_home_folder_is_refused_not_made_a_folder_named_tilde(
    home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No HOME and no passwd entry (a container's user): os.path.expanduser leaves ~/runs as it
    is, and --out would make ./~/runs, a folder a later `rm -rf ~` meets."""
    monkeypatch.chdir(tmp_path)
    if home == "unset":
        monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    else:  # "": os.path.expanduser makes ~/runs/a /runs/a
        monkeypatch.setenv("HOME", "")
    assert main(["train", "moons", *QUICK, "--out", "~/runs/a"]) == 2
    assert capsys.readouterr().err == (
        "glassnet train moons: error: ~/runs/a: ~ names the home folder, and this user has none (HOME is empty or "
        "not set)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_glassnet_data_naming_a_tilde_user_without_a_home_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLASSNET_DATA", f"{NO_USER}/x.csv")
    assert main(["data", "info"]) == 2
    assert capsys.readouterr().err.startswith(
        f"glassnet data info: error: GLASSNET_DATA={NO_USER}/x.csv does not exist; "
    )


@pytest.mark.parametrize("command", [["train", "moons", *QUICK, "--force"], ["demo"]])
def test_an_empty_out_is_refused(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--out "$RUN"`` with RUN unset: not the current folder (with --force, a run written into it)."""
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_demo, "demo_sections", lambda out: iter(()))
    assert main([*command, "--out", ""]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must name a folder, got ''" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_too_few_rows_for_the_split_is_one_line_without_the_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The split is checked before the notes are printed: a refused run says one thing."""
    out = tmp_path / "run"
    argv = ["train", "moons", "--samples", "4", "--test-fraction", "0.9", "--val-fraction", "0.5"]
    assert main([*argv, "--patience", "2", *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet train moons: error: no training rows left: n=4") and err.count("\n") == 1
    assert not out.exists()


def test_an_airfoil_file_too_small_for_its_split_is_refused_before_the_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "one.csv"
    data.write_text("800,0,0.3048,71.3,0.00266337,126.201\n")
    out = tmp_path / "run"
    assert main(["train", "airfoil", "--data", str(data), "--epochs", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1] for line in err] == [" warning", " error"]  # the data warning, the error
    assert err[-1].startswith("glassnet train airfoil: error: no training rows left: n=1")
    assert not out.exists()


def test_demo_makes_its_out_folder_before_the_tour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder it cannot make (under a file, say) fails at once, not after a minute of training."""
    toured: list[Any] = []
    monkeypatch.setattr(_demo, "demo_sections", lambda out: toured.append(out) or [])
    (tmp_path / "file").write_text("")
    capsys.readouterr()
    assert main(["demo", "--out", str(tmp_path / "file" / "demo")]) == 2
    assert capsys.readouterr().err.count("\n") == 1 and toured == []
    assert main(["demo", "--out", str(tmp_path / "new" / "demo")]) == 0
    assert toured == [tmp_path / "new" / "demo"]
    assert not (tmp_path / "new" / "demo").exists()  # made, and taken away again: nothing went into it


def test_a_process_that_ignores_ctrl_c_goes_on_ignoring_it(tmp_path: Path) -> None:
    """A background job ignores SIGINT (and Python itself leaves it so): neither the training
    nor the writing of its files starts catching it; the run goes on to the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # conftest puts Python's handler back after the test
    with _train.interrupts_held() as received:
        os.kill(os.getpid(), signal.SIGINT)
    assert received == [] and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    original = NumpyEngine.train_batch

    def interrupted(self: NumpyEngine, start: int, stop: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # every batch
        original(self, start, stop)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(NumpyEngine, "train_batch", interrupted)
        x = np.random.default_rng(0).normal(size=(40, 2))
        config = TrainConfig(hidden=(4,), epochs=2, batch_size=8, fourier_features=0)
        result = Trainer(config, x, x[:, 0]).run()
    assert result.status == "completed" and signal.getsignal(signal.SIGINT) is signal.SIG_IGN


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--no-refit"], "--no-refit acts"),
        (["--no-restore-best", "--no-refit"], "--no-refit and --no-restore-best act"),
    ],
)
def test_validation_flags_without_a_validation_part_are_refused(
    options: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """moons has no validation part unless asked: the flags changed nothing, unsaid (--patience was refused)."""
    assert main(["train", "moons", *QUICK, *options, "--out", str(tmp_path / "m")]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: {said} on the validation part; give --val-fraction > 0\n"
    )
    assert not (tmp_path / "m").exists()
    assert (
        main(["train", "moons", *QUICK, *options, "--val-fraction", "0.2", "--out", str(tmp_path / "v")]) == 0
    )


def test_ctrl_c_while_the_parser_is_built_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Building the parser imports each command's module; Ctrl-C there gave a traceback, where
    at any later moment it gives one line and exit 130."""
    import glassnet.cli

    def interrupted() -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(glassnet.cli, "build_parser", interrupted)
    assert main(["train", "moons"]) == 130
    assert capsys.readouterr().err == "glassnet: interrupted\n"


def test_ctrl_c_while_the_report_is_printed_says_the_run_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once the files were written the signals were no longer held: a Ctrl-C while the summary
    was printed said "interrupted" alone (exit 130), though the folder held the whole run (a
    review of option combinations, 2026-11-28)."""
    summary = _train.summary

    def interrupted(run: Any) -> str:
        os.kill(os.getpid(), signal.SIGINT)
        return summary(run)

    monkeypatch.setattr(_train, "summary", interrupted)
    out = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--no-plots", "--out", str(out)]) == 130
    captured = capsys.readouterr()
    assert captured.out.endswith(f"run folder: {out}\n")
    assert (
        captured.err
        == f"glassnet train moons: interrupted after the training ended; {out} holds the whole run\n"
    )
    assert load_checkpoint(out / "model.npz").spec.sizes == (2, 3, 1)


def test_ctrl_c_while_the_report_meets_a_reader_that_left_says_the_run_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C held while the report met a broken pipe read "interrupted; error: [Errno 32]
    Broken pipe", though the run was whole (a review of the last fixes)."""
    summary = _train.summary

    def interrupted(run: Any) -> str:
        os.kill(os.getpid(), signal.SIGINT)
        return summary(run)

    monkeypatch.setattr(_train, "summary", interrupted)
    monkeypatch.setattr(sys, "stdout", _LeftReader())
    out = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--no-plots", "--out", str(out)]) == 130
    assert capsys.readouterr().err == (
        f"glassnet train moons: interrupted after the training ended; {out} holds the whole run\n"
    )
