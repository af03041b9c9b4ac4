"""Stop signals and the run folder: SIGTERM and SIGHUP as Ctrl-C, a signal between the last
batch and the files, the resume line for awkward folder names, a renamed checkpoint, a killed
save's temporary file, entries that are not files, and a few messages about odd paths."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glassnet import _signals
from glassnet._signals import (
    STOP_SIGNALS,
    StopSignals,
    active_stop_signals,
    interrupted_text,
    interrupts_held,
)
from glassnet.checkpoint import load_checkpoint
from glassnet.cli import _train, main
from glassnet.train import _tasks as tasks
from glassnet.train import artifacts
from glassnet.train._engines import NumpyEngine

QUICK = ["--epochs", "3", "--quiet"]
# the moons run of QUICK: 300 training rows in batches of 32, 10 batches an epoch
RUN_FILES = ["decision_boundary.png", "history.csv", "loss_curves.png", "metrics.json", "model.npz"]
OTHER_SIGNALS = [signum for signum in STOP_SIGNALS if signum != signal.SIGINT]  # SIGTERM, SIGHUP


class UnhandledSignal(BaseException):
    """What the tests' own handler raises when a signal reaches it: glassnet did not catch it."""


@pytest.fixture(autouse=True)
def _signals_reach_the_test() -> Iterator[dict[int, Any]]:
    """SIGTERM and SIGHUP raise UnhandledSignal unless glassnet catches them: without its handlers
    a test fails, where the default action would kill the test process. Yields the handlers,
    which glassnet must put back."""

    def unhandled(signum: int, frame: Any) -> None:
        raise UnhandledSignal(signal.Signals(signum).name)

    installed = {signum: unhandled for signum in OTHER_SIGNALS}
    found = {signum: signal.signal(signum, handler) for signum, handler in installed.items()}
    try:
        yield installed
    finally:
        for signum, handler in found.items():
            signal.signal(signum, handler)


def signal_in_batch(monkeypatch: pytest.MonkeyPatch, signum: int, batch: int) -> None:
    """A real ``signum`` sent to the process during the given (1-based) training batch."""
    original = NumpyEngine.train_batch
    count = [0]

    def counting(self: Any, start: int, stop: int) -> None:
        count[0] += 1
        if count[0] == batch:
            signal.raise_signal(signum)
        original(self, start, stop)

    monkeypatch.setattr(NumpyEngine, "train_batch", counting)


def interrupted_moons(monkeypatch: pytest.MonkeyPatch, *out: str) -> None:
    """``glassnet train moons`` (QUICK) stopped by Ctrl-C in its third batch; ``out`` the options
    naming its folder."""
    with monkeypatch.context() as patch:
        signal_in_batch(patch, signal.SIGINT, 3)
        assert main(["train", "moons", *QUICK, *out]) == 130


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# -- SIGTERM and SIGHUP stop a training as Ctrl-C does ----------------------------------


@pytest.mark.parametrize("signum", OTHER_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_sigterm_in_training_saves_the_checkpoint_and_exits_128_plus_its_number(
    signum: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    _signals_reach_the_test: dict[int, Any],
) -> None:
    """`timeout 3 glassnet train …` left the folder with its lock file only: the default action
    killed the process, nothing to resume."""
    out = tmp_path / "run"
    name = signal.Signals(signum).name
    with monkeypatch.context() as patch:
        signal_in_batch(patch, signum, 3)
        assert main(["train", "moons", *QUICK, "--out", str(out)]) == 128 + signum
    assert capsys.readouterr().err.splitlines() == [
        f"interrupted by {name} in epoch 1 after 3 batch(es); saved {out / 'checkpoint.npz'}",
        f"continue with: glassnet train moons --out {out} --resume --quiet",
    ]
    assert names(out) == ["checkpoint.npz"]
    assert load_checkpoint(out / "checkpoint.npz").info["message"].startswith(f"interrupted by {name} in")
    for caught, handler in _signals_reach_the_test.items():  # put back as they were
        assert signal.getsignal(caught) is handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert main(["train", "moons", "--out", str(out), "--resume", "--quiet"]) == 0
    assert names(out) == RUN_FILES


def test_sigterm_while_the_files_of_a_forced_run_are_written_leaves_one_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It left the new model beside the previous run's plot (the writing cut half-way)."""
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--hidden", "3", "--out", str(out)]) == 0
    before = (out / "decision_boundary.png").read_bytes()
    write_plots = artifacts.write_plots

    def terminated(*args: Any, **kwargs: Any) -> Any:
        written = write_plots(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # after the plots, before the old files are removed
        return written

    monkeypatch.setattr(artifacts, "write_plots", terminated)
    capsys.readouterr()
    assert main(["train", "moons", *QUICK, "--hidden", "5", "--out", str(out), "--force"]) == 143
    captured = capsys.readouterr()
    assert captured.err == (
        f"glassnet train moons: interrupted by SIGTERM after the training ended; {out} holds the whole run\n"
    )
    assert captured.out == f"run folder: {out}\n"
    assert names(out) == RUN_FILES
    assert load_checkpoint(out / "model.npz").spec.sizes == (2, 5, 1)
    assert (out / "decision_boundary.png").read_bytes() != before


def test_a_signal_while_the_writing_fails_is_reported_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SIGTERM held while the run's files were written, then a full disk in the plots: the
    signal, delivered at the scope's end, replaced the error, and "interrupted by SIGTERM" alone
    left unsaid that the folder holds part of the run."""

    def terminated_then_full(run: Any, out: Path) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        raise OSError(27, "File too large", str(out / "loss_curves.png"))

    monkeypatch.setattr(artifacts, "write_plots", terminated_then_full)
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 143
    assert capsys.readouterr().err == (
        f"glassnet train moons: interrupted by SIGTERM; error: {out / 'loss_curves.png'}: File too large; {out} "
        "holds the run's model.npz, metrics.json and history.csv, written before it, and not the rest\n"
    )
    assert names(out) == ["history.csv", "metrics.json", "model.npz"]
    # the error's text on one line, as every message (a line break in it made two)

    def terminated_then_refused(run: Any, out: Path) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError("cannot plot: weird\nline")

    monkeypatch.setattr(artifacts, "write_plots", terminated_then_refused)
    assert main(["train", "moons", *QUICK, "--out", str(out), "--force"]) == 143
    assert (
        capsys.readouterr().err
        == "glassnet train moons: interrupted by SIGTERM; error: cannot plot: weird\\nline\n"
    )


def test_sigterm_before_training_unwinds_and_takes_the_new_folder_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the trainer runs there is nothing to save: the folder made for the run goes, as after
    Ctrl-C, instead of staying behind with the lock file alone."""
    print_notes = _train.print_notes

    def terminated(notes: list[str], command: str) -> None:  # the folder is made and locked by now
        os.kill(os.getpid(), signal.SIGTERM)
        print_notes(notes, command)

    monkeypatch.setattr(_train, "print_notes", terminated)
    out = tmp_path / "new" / "run"
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 143
    assert capsys.readouterr().err == "glassnet train moons: interrupted by SIGTERM\n"
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("signum", OTHER_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_while_explain_writes_leaves_no_temporary_file(
    signum: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only train and demo caught SIGTERM and SIGHUP: `timeout 5 glassnet explain -o a.md
    --figure a.png` was killed with both files' hidden temporaries beside them (Ctrl-C, caught,
    unwound and removed them). Every command now unwinds as on Ctrl-C, exit 128 + the signal."""
    from glassnet.explain import _figure  # the command imports its writer from there when it draws

    writer = _figure.figure_file_writer

    def killed_while_drawing(fig: Any, path: Any) -> Any:
        write = writer(fig, path)

        def drawing(temporary: Path) -> None:
            write(temporary)
            signal.raise_signal(signum)  # the text's temporary file is filled, the figure's too

        return drawing

    monkeypatch.setattr(_figure, "figure_file_writer", killed_while_drawing)
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(tmp_path / "a.md")]
    assert main([*argv, "--figure", str(tmp_path / "a.png")]) == 128 + signum
    name = signal.Signals(signum).name
    assert capsys.readouterr().err == f"glassnet explain: interrupted by {name}\n"
    assert names(tmp_path) == []


@pytest.mark.parametrize("moment", ["x.md linked", "every file placed"])
def test_a_ctrl_c_as_explains_files_are_put_in_place_takes_them_back(
    moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C just after x.md was linked in place (counted only once os.link returned), or once
    every file was placed (the folder's fsync and the temporaries' removal came after the
    take-back's reach), left the files, and the retry was refused ("exists; use --force"): two
    reviews of the fixes."""
    from glassnet import _files

    link, fsync_folder = os.link, _files.fsync_folder

    def linked_then_interrupted(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        link(source, target, *args, **kwargs)
        if Path(target).name == "x.md":
            signal.raise_signal(signal.SIGINT)

    def synced_then_interrupted(folder: Any) -> None:
        fsync_folder(folder)
        signal.raise_signal(signal.SIGINT)

    if moment == "x.md linked":
        monkeypatch.setattr(os, "link", linked_then_interrupted)
    else:
        monkeypatch.setattr(_files, "fsync_folder", synced_then_interrupted)
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(tmp_path / "x.md")]
    argv += ["--figure", str(tmp_path / "y.png")]
    assert main(argv) == 130
    assert names(tmp_path) == []
    monkeypatch.undo()
    capsys.readouterr()
    assert main(argv) == 0 and names(tmp_path) == ["x.md", "y.png"]


@pytest.mark.parametrize("moment", ["x.md renamed", "folder synced"])
@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_between_explains_forced_renames_leaves_both_new_files(
    signum: int,
    moment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`explain -o x.md --figure y.png --force` over a previous pair, stopped just after x.md's
    rename (a previous file cannot be taken back), left the new x.md beside the previous y.png
    and said "interrupted" alone; stopped in the folder's fsync, after both renames, it said
    "interrupted" alone still (a review). The signal is held from the renames to the end: both
    files are the new ones, and the message says so."""
    from glassnet import _files

    (tmp_path / "x.md").write_text("previous")
    (tmp_path / "y.png").write_bytes(b"previous")
    replace, fsync_folder = os.replace, _files.fsync_folder

    def replaced_then_stopped(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        replace(source, target, *args, **kwargs)
        if Path(target).name == "x.md":
            signal.raise_signal(signum)

    def synced_then_stopped(folder: Any) -> None:
        fsync_folder(folder)
        signal.raise_signal(signum)

    if moment == "x.md renamed":
        monkeypatch.setattr(os, "replace", replaced_then_stopped)
    else:
        monkeypatch.setattr(_files, "fsync_folder", synced_then_stopped)
    x, y = tmp_path / "x.md", tmp_path / "y.png"
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(x), "--figure", str(y), "--force"]
    assert main(argv) == 128 + signum
    assert capsys.readouterr().err == (
        f"glassnet explain: {interrupted_text(signum)}; {x} and {y} were written "
        "(it came as they were put in place)\n"
    )
    assert names(tmp_path) == ["x.md", "y.png"]
    assert x.read_text().startswith("# The exercise") and y.read_bytes().startswith(b"\x89PNG")


@pytest.fixture
def a_ctrl_c_as_a_hold_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C that comes as the first interrupts_held() block ends, its signals still held."""
    holding, sent = StopSignals.holding, []

    @contextlib.contextmanager
    def holding_then_interrupted(self: StopSignals) -> Iterator[list[int]]:
        with holding(self) as held:
            yield held
            if not sent:
                sent.append(signal.SIGINT)
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(StopSignals, "holding", holding_then_interrupted)


@pytest.mark.usefixtures("a_ctrl_c_as_a_hold_is_undone")
def test_a_ctrl_c_as_the_hold_over_explains_renames_ends_is_reported_with_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Taken inside the hold, the signals missed one that came as it was undone: delivered at
    the command's end, it said "interrupted" alone (a SIGTERM killed the process without a word)."""
    x, y = tmp_path / "x.md", tmp_path / "y.png"
    x.write_text("previous")
    y.write_bytes(b"previous")
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(x), "--figure", str(y), "--force"]
    assert main(argv) == 130
    assert capsys.readouterr().err == (
        f"glassnet explain: interrupted; {x} and {y} were written (it came as they were put in place)\n"
    )


@pytest.mark.usefixtures("a_ctrl_c_as_a_hold_is_undone")
def test_a_ctrl_c_as_the_hold_over_a_runs_files_ends_is_reported_with_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--no-plots", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err == f"glassnet train moons: interrupted after the training ended; {out} holds the whole run\n"


def test_a_second_signal_that_stops_a_run_at_once_says_what_it_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second Ctrl-C stops at once and saves nothing: the message said "interrupted" alone."""
    original = NumpyEngine.train_batch
    count = [0]

    def twice(self: Any, start: int, stop: int) -> None:
        count[0] += 1
        if count[0] == 3:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)  # 0.5 s after the first, as REPEAT_WINDOW is set below
        original(self, start, stop)

    monkeypatch.setattr(NumpyEngine, "train_batch", twice)
    monkeypatch.setattr(_signals, "REPEAT_WINDOW", 0.0)
    out = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 130
    assert capsys.readouterr().err == (
        "glassnet train moons: interrupted; stopped at once by a second signal: this run's progress is not saved\n"
    )
    assert not out.exists()


def test_a_killed_cli_run_exits_143_with_its_checkpoint(tmp_path: Path) -> None:
    """The process as a shell sees it: a real SIGTERM, exit status 143, the checkpoint saved."""
    script = (
        "import os, signal, sys\n"
        "from glassnet.train._engines import NumpyEngine\n"
        "original, count = NumpyEngine.train_batch, [0]\n"
        "def batch(self, start, stop):\n"
        "    count[0] += 1\n"
        "    if count[0] == 4:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    original(self, start, stop)\n"
        "NumpyEngine.train_batch = batch\n"
        "from glassnet.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", script, "train", "moons", *QUICK, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 143, done.stderr
    assert done.stderr.splitlines()[0].startswith("interrupted by SIGTERM in epoch 1 after 4 batch(es)")
    assert names(out) == ["checkpoint.npz"]


def test_stop_signals_change_nothing_outside_the_main_thread_or_where_ignored() -> None:
    """Handlers are installed from the main thread only; an ignored SIGHUP (nohup) stays ignored."""
    seen: list[Any] = []

    def in_thread() -> None:
        with StopSignals() as scope:
            seen.extend([scope.active, active_stop_signals()])

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [False, None]
    if not hasattr(signal, "SIGHUP"):
        return
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with StopSignals() as scope:
            assert scope.active and signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            with interrupts_held() as held:
                os.kill(os.getpid(), signal.SIGHUP)
            assert held == []
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_interrupts_held_outside_a_command_leaves_sigterm_to_the_program(
    _signals_reach_the_test: dict[int, Any],
) -> None:
    """Outside the command's scope (a program calling the library, the demo's airfoil_section)
    only Ctrl-C is held, as a Trainer there catches only Ctrl-C: the program's own SIGTERM
    handler was never called."""
    with pytest.raises(UnhandledSignal, match="SIGTERM"), interrupts_held():
        os.kill(os.getpid(), signal.SIGTERM)
    with interrupts_held() as received:
        os.kill(os.getpid(), signal.SIGINT)
    assert received == [signal.SIGINT]
    assert signal.getsignal(signal.SIGTERM) is _signals_reach_the_test[signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_held_and_not_reported_reaches_its_handler_when_the_scope_ends(
    _signals_reach_the_test: dict[int, Any],
) -> None:
    """Held after the command had reported (the folder being unlocked, say), it was dropped:
    the process told to end went on and exited 0."""
    with pytest.raises(UnhandledSignal, match="SIGTERM"), StopSignals() as scope, scope.holding():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is _signals_reach_the_test[signal.SIGTERM]
    with StopSignals() as scope:  # reported: taken, not delivered again
        with scope.holding() as held:
            os.kill(os.getpid(), signal.SIGTERM)
        assert held == [signal.SIGTERM] and scope.take_held() == [signal.SIGTERM] and held == []


def test_the_scope_is_the_main_threads_only() -> None:
    """A worker thread given a copy of the main thread's context (asyncio.to_thread) took the
    scope over and left it holding: a later Ctrl-C in the main thread was swallowed."""
    import contextvars
    import threading

    found: list[Any] = []
    with StopSignals():
        context = contextvars.copy_context()
        worker = threading.Thread(target=lambda: found.append(context.run(active_stop_signals)))
        worker.start()
        worker.join()
    assert found == [None]


# -- a signal between the last batch and the files does not lose the run ----------------


def interrupted_after_training(monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """``signum`` once the training is over, as its metrics are measured (the bar at 100 %)."""
    run_metrics = tasks.run_metrics

    def measured(run: Any) -> Any:
        os.kill(os.getpid(), signum)
        return run_metrics(run)

    monkeypatch.setattr(tasks, "run_metrics", measured)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_after_the_last_batch_keeps_the_finished_run(
    signum: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The trainer had put Python's handler back: the KeyboardInterrupt threw the finished run away
    (exit 130, the folder deleted)."""
    out = tmp_path / "run"
    interrupted_after_training(monkeypatch, signum)
    assert main(["train", "moons", *QUICK, "--ensemble", "2", "--out", str(out)]) == 128 + signum
    said = "interrupted" if signum == signal.SIGINT else "interrupted by SIGTERM"
    assert capsys.readouterr().err == (
        f"glassnet train moons: {said} after the training ended; {out} holds the whole run\n"
    )
    assert names(out) == RUN_FILES
    assert load_checkpoint(out / "model.npz").info["status"] == "completed"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_after_the_last_batch_of_a_resumed_run_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On --resume the resumed work was lost too, and the checkpoint stayed as it was."""
    out = tmp_path / "run"
    interrupted_moons(monkeypatch, "--no-plots", "--out", str(out))
    assert names(out) == ["checkpoint.npz"]
    interrupted_after_training(monkeypatch, signal.SIGINT)
    capsys.readouterr()
    assert main(["train", "moons", "--out", str(out), "--resume", "--quiet", "--no-plots"]) == 130
    assert capsys.readouterr().err.endswith(f"{out} holds the whole run\n")
    assert names(out) == ["history.csv", "metrics.json", "model.npz"]  # the checkpoint's job is done


def test_a_signal_in_the_last_batch_finishes_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing is left to stop after the last batch: the run is finished and written, and the
    signal reported after it."""
    out = tmp_path / "run"
    signal_in_batch(monkeypatch, signal.SIGTERM, 30)  # 3 epochs of 10 batches
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 143
    assert "interrupted by SIGTERM after the training ended" in capsys.readouterr().err
    assert names(out) == RUN_FILES


# -- the resume line for a folder named "-r" or with bytes that are not UTF-8 --------------


@pytest.mark.parametrize(
    ("folder", "option", "note"),
    [
        ("runs/a", "--out runs/a", ""),
        ("sp ace", "--out 'sp ace'", ""),
        ("-r", "--out=-r", ""),
        ("-r x", "--out='-r x'", ""),
        (
            os.fsdecode(b"bad\xffname"),
            "--out FOLDER",
            " (FOLDER is the run folder b'bad\\xffname', whose name cannot be printed as typed)",
        ),
        (
            "a\nb",
            "--out FOLDER",
            " (FOLDER is the run folder b'a\\nb', whose name cannot be printed as typed)",
        ),
    ],
)
def test_the_resume_line_gives_the_folder_back_or_says_it_cannot(folder: str, option: str, note: str) -> None:
    assert artifacts.resume_command("moons", folder) == f"glassnet train moons {option} --resume"
    assert artifacts.unprintable_note(folder) == note


def test_the_resume_line_of_a_folder_named_dash_r_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--out=-r` printed `--out -r`, which argparse reads as an option."""
    monkeypatch.chdir(tmp_path)
    interrupted_moons(monkeypatch, "--out=-r")
    line = capsys.readouterr().err.splitlines()[-1]
    assert line == "continue with: glassnet train moons --out=-r --resume --quiet"
    assert main(shlex.split(line.removeprefix("continue with: "))[1:]) == 0
    assert names(tmp_path / "-r") == RUN_FILES


def test_a_folder_name_that_is_not_utf8_is_not_printed_as_a_wrong_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / os.fsdecode(b"bad\xffname")
    interrupted_moons(monkeypatch, "--out", str(out))
    described = repr(os.fsencode(str(out)))
    assert capsys.readouterr().err.splitlines() == [
        "interrupted in epoch 1 after 3 batch(es); saved FOLDER/checkpoint.npz",
        "continue with: glassnet train moons --out FOLDER --resume --quiet "
        f"(FOLDER is the run folder {described}, whose name cannot be printed as typed)",
    ]


# -- a renamed checkpoint: resume only once it is back as checkpoint.npz --------------------


def test_evaluate_of_a_renamed_checkpoint_says_to_put_it_back_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It suggested `--out keep --resume`, which looks for keep/checkpoint.npz and fails."""
    out = tmp_path / "keep"
    interrupted_moons(monkeypatch, "--out", str(out))
    renamed = out / "run1-ckpt.npz"
    (out / "checkpoint.npz").rename(renamed)
    capsys.readouterr()
    command = f"glassnet train moons --out {out} --resume"
    rows = tmp_path / "rows.csv"
    rows.write_text("0.5,0.25\n")
    for argv in (["evaluate", str(renamed)], ["predict", str(renamed), str(rows)]):
        assert main(argv) == 0
        assert (
            f"not a finished model; to finish it, put it back as {out / 'checkpoint.npz'} and run `{command}`\n"
        ) in capsys.readouterr().err
    renamed.rename(out / "checkpoint.npz")
    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0
    assert f"not a finished model; `{command}` finishes it\n" in capsys.readouterr().err


# -- a killed save's temporary file ---------------------------------------------------------


def leftover(folder: Path, target: str = "model.npz") -> Path:
    """A temporary file as atomic_write names it, left as a SIGKILL mid-save leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target}.", suffix=".tmp", dir=folder)
    os.write(handle, b"PK\x03\x04partial")
    os.close(handle)
    return Path(name)


def test_a_killed_saves_temporary_file_is_named_and_force_removes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ls` showed nothing, yet the folder was "not empty"; --force then kept the file for good."""
    out = tmp_path / "ks"
    stale = leftover(out)
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: --out {out} is not empty: it holds {stale.name}, a temporary file left "
        "by a save that was cut short (a killed run); use --force to overwrite it\n"
    )
    mine = [out / ".notes.tmp", out / ".model.npz.NOTOURS1.tmp", out / ".model.npz.abcdefgh.tmp.bak"]
    for path in mine:  # not atomic_write's pattern for a run file: never removed
        path.write_text("mine")
    assert main(["train", "moons", *QUICK, "--out", str(out), "--force"]) == 0
    assert names(out) == sorted([*RUN_FILES, *(path.name for path in mine)])


def test_a_killed_saves_temporary_file_goes_once_the_resumed_run_is_saved(tmp_path: Path) -> None:
    out = tmp_path / "run"
    interrupted_moons(pytest.MonkeyPatch(), "--no-plots", "--out", str(out))
    leftover(out, "checkpoint.npz")
    assert main(["train", "moons", "--out", str(out), "--resume", "--quiet", "--no-plots"]) == 0
    assert names(out) == ["history.csv", "metrics.json", "model.npz"]


# -- entries of the run files' names that are folders ------------------------------------


@pytest.mark.parametrize(
    ("entry", "options"),
    [("metrics.json", []), ("decision_boundary.png", ["--no-plots"]), ("checkpoint.npz", [])],
)
def test_a_folder_named_as_a_run_file_is_refused_before_training(
    entry: str,
    options: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It trained, then said "dd/metrics.json: Is a directory" (hiding the real error), or wrote
    every file and exited 2 without its summary (--no-plots beside a decision_boundary.png folder)."""
    out = tmp_path / "dd"
    (out / entry).mkdir(parents=True)
    trained: list[Any] = []
    monkeypatch.setattr(NumpyEngine, "train_batch", lambda *args: trained.append(args))
    assert main(["train", "moons", *QUICK, *options, "--out", str(out), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: {out / entry} is a folder, where the run writes (or removes) its "
        f"{entry} file; move it away, or choose another folder (--out)\n"
    )
    assert trained == [] and names(out) == [entry]


@pytest.mark.parametrize("kind", ["link", "dangling link", "fifo"])
def test_a_link_or_fifo_named_as_a_run_file_is_refused_before_training(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A write would put a regular file in its place, so every write refuses it: --force trained,
    then removed the link as a previous run's file and failed to write, leaving half a run."""
    out, shared = tmp_path / "run", tmp_path / "shared.json"
    out.mkdir()
    shared.write_text("{}")
    entry = out / "metrics.json"
    if kind == "fifo":
        os.mkfifo(entry)
        said = "named pipe (FIFO)"
    else:
        target = shared if kind == "link" else tmp_path / "gone.json"
        entry.symlink_to(target)
        said = f"symbolic link (to {target})"
    trained: list[Any] = []
    monkeypatch.setattr(NumpyEngine, "train_batch", lambda *args: trained.append(args))
    assert main(["train", "moons", *QUICK, "--out", str(out), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: {entry} is a {said}, where the run writes (or removes) its "
        "metrics.json file, a regular file; move it away, or choose another folder (--out)\n"
    )
    assert trained == [] and names(out) == ["metrics.json"] and shared.read_text() == "{}"
    assert os.path.lexists(entry)


def test_resume_into_a_folder_holding_a_folder_named_as_a_run_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    interrupted_moons(monkeypatch, "--out", str(out))
    (out / "history.csv").mkdir()
    capsys.readouterr()
    assert main(["train", "moons", "--out", str(out), "--resume", "--quiet"]) == 2
    assert capsys.readouterr().err.startswith(
        f"glassnet train moons: error: {out / 'history.csv'} is a folder"
    )
    assert names(out) == ["checkpoint.npz", "history.csv"]


def test_removing_a_previous_runs_files_leaves_a_folder_of_their_name(tmp_path: Path) -> None:
    """What a failed write removes must not raise IsADirectoryError over the error that failed it."""
    (tmp_path / "metrics.json").mkdir()
    (tmp_path / "loss_curves.png").write_text("old")
    artifacts.remove_other_run_files(tmp_path, [])
    assert names(tmp_path) == ["metrics.json"]


# -- messages about odd paths -------------------------------------------------------------


def test_a_dangling_link_as_out_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It said "dangling: File exists"."""
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "gone")
    assert main(["train", "moons", *QUICK, "--out", str(link)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: --out {link} is a symbolic link to {tmp_path / 'gone'}, which does not "
        "exist; make that folder first, or give another one\n"
    )
    assert main(["train", "moons", *QUICK, "--out", str(link / "sub")]) == 2
    assert capsys.readouterr().err.startswith(
        f"glassnet train moons: error: --out {link / 'sub'}: {link} is a symbolic link to"
    )
    assert link.is_symlink() and not link.exists()


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_model_that_is_not_a_regular_file_is_named_as_such(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO and /dev/zero are there: "no model file at …" said otherwise."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rows = tmp_path / "rows.csv"
    rows.write_text("0.5,0.25\n")
    for path, kind in ((fifo, "a FIFO"), (Path(os.devnull), "a character device")):
        argv = [command, str(path)] + ([str(rows)] if command == "predict" else [])
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            f"glassnet {command}: error: {path} is not a regular file ({kind}); give a model file or a run folder\n"
        )


def test_a_truncated_checkpoint_is_not_offered_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    interrupted_moons(monkeypatch, "--out", str(out))
    whole = (out / "checkpoint.npz").read_bytes()
    (out / "checkpoint.npz").write_bytes(whole[:300])
    capsys.readouterr()
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--resume to continue" not in err
    assert err.endswith(
        "use --force to overwrite it (checkpoint.npz there is not a readable checkpoint, so --resume cannot "
        "continue it)\n"
    )
    (out / "checkpoint.npz").write_bytes(whole)
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 2
    assert capsys.readouterr().err.endswith(
        "use --force to overwrite it (or --resume to continue the interrupted run it holds)\n"
    )


def test_sigterm_while_the_demo_writes_its_airfoil_files_finishes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo holds SIGTERM back as it does Ctrl-C, and reports it by name and status 143."""
    from conftest import shared_airfoil
    from glassnet.cli import _demo
    from glassnet.demo import airfoil_section

    monkeypatch.setenv("GLASSNET_DATA", str(shared_airfoil()))
    monkeypatch.setattr(_demo, "demo_sections", lambda out: iter([airfoil_section(out, epochs=1)]))
    write_plots = artifacts.write_plots

    def terminated(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        return write_plots(*args, **kwargs)

    monkeypatch.setattr(artifacts, "write_plots", terminated)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 143
    assert capsys.readouterr().err == (
        f"glassnet demo: interrupted by SIGTERM while the airfoil run's files were written; {out} holds them all\n"
    )
    assert "model.npz" in names(out) and "loss_curves.png" in names(out)


def test_a_signal_while_the_demos_writing_fails_is_reported_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As for train: the held SIGTERM replaced the error, and the demo said the folder held the
    airfoil run's files, "all of them", without its plots."""
    from conftest import shared_airfoil
    from glassnet.cli import _demo
    from glassnet.demo import airfoil_section

    monkeypatch.setenv("GLASSNET_DATA", str(shared_airfoil()))
    monkeypatch.setattr(_demo, "demo_sections", lambda out: iter([airfoil_section(out, epochs=1)]))

    def terminated_then_full(run: Any, out: Path) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        raise OSError(27, "File too large", str(out / "loss_curves.png"))

    monkeypatch.setattr(artifacts, "write_plots", terminated_then_full)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 143
    assert capsys.readouterr().err == (
        f"glassnet demo: interrupted by SIGTERM; error: {out / 'loss_curves.png'}: File too large; {out} holds "
        "the run's model.npz, metrics.json and history.csv, written before it, and not the rest\n"
    )


def test_a_second_ctrl_c_while_the_checkpoint_fails_is_reported_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An impatient second Ctrl-C while the checkpoint was written, then a full disk: "interrupted"
    alone, no word that the checkpoint was never saved."""

    def full(run: Any, out: Path, force: bool = False) -> Path:
        os.kill(os.getpid(), signal.SIGINT)
        raise OSError(28, "No space left on device", str(Path(out) / "checkpoint.npz"))

    monkeypatch.setattr(artifacts, "save_resume", full)
    out = tmp_path / "run"
    signal_in_batch(monkeypatch, signal.SIGINT, 3)
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 130
    assert capsys.readouterr().err == (
        f"glassnet train moons: interrupted; error: {out / 'checkpoint.npz'}: No space left on device\n"
    )


# --- found by a new user's walk through the CLI (2026-11-28, a later session) ----------------------


def test_the_command_modules_are_imported_where_ctrl_c_is_caught() -> None:
    """`glassnet.cli` imported every command's module, and with them the training code, when it was
    itself imported: a Ctrl-C in that fifth of a second printed a 15-line KeyboardInterrupt
    traceback, before main() could catch it."""
    code = "import sys, glassnet.cli; print(sorted(m for m in ('glassnet.train', 'glassnet.torch_bridge') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_commands_parser_imports_neither_matplotlib_nor_torch() -> None:
    """explain's command module imported matplotlib (for --figure) when the parser was built: every
    command, `glassnet --help` too, took 0.6 s more to start (2.0 s in all, now 0.8 s, on the
    2-core Xeon), time in which a Ctrl-C also printed a traceback (a review, 2026-11-28)."""
    code = (
        "import sys, glassnet.cli; glassnet.cli.build_parser(); "
        "print(sorted(m for m in ('matplotlib', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_ctrl_c_while_the_commands_are_imported_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import glassnet.cli

    def interrupted() -> tuple[object, ...]:
        raise KeyboardInterrupt

    monkeypatch.setattr(glassnet.cli, "commands", interrupted)
    assert glassnet.cli.main(["data", "info"]) == 130
    assert capsys.readouterr().err == "glassnet: interrupted\n"
