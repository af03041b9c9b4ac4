"""How the command line words what goes wrong: options in the name of the command that refused
them, --traceback anywhere, and errors from the system with the user's own paths."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from glassnet import _files
from glassnet.cli import error_text, main

QUICK = ["--epochs", "2", "--no-plots", "--quiet"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["train", "moons", "--data", "x.csv"], "glassnet train moons: error: unrecognized arguments: --data x.csv (see glassnet train moons --help)"),
        (["data", "info", "--bogus"], "glassnet data info: error: unrecognized arguments: --bogus (see glassnet data info --help)"),
        (["evaluate", "m", "--bogus"], "glassnet evaluate: error: unrecognized arguments: --bogus (see glassnet evaluate --help)"),
        (["--bogus", "train", "moons"], "glassnet: error: unrecognized arguments: --bogus (see glassnet --help)"),
        (["--bogus", "train", "moons", "--other"], "glassnet: error: unrecognized arguments: --bogus (see glassnet --help)"),
        # between a command and its task: train's place, which takes none; named there, with where it goes
        (["train", "--no-plots", "airfoil"], "glassnet train: error: --no-plots is an option of glassnet train airfoil: put it after airfoil (see glassnet train --help)"),
        (["data", "--quiet", "fetch", "airfoil"], "glassnet data: error: --quiet is an option of glassnet data fetch: put it after fetch (see glassnet data --help)"),
        # with a value, which argparse read as the task: "argument TASK: invalid choice: '5'"
        (["train", "--epochs", "5", "airfoil"], "glassnet train: error: --epochs is an option of glassnet train airfoil: put it after airfoil (see glassnet train --help)"),
        (["data", "--dest", "x", "fetch", "airfoil"], "glassnet data: error: --dest is an option of glassnet data fetch: put it after fetch (see glassnet data --help)"),
        # an option of the other task: following "put it after moons" switched tasks
        (["train", "--samples", "3", "airfoil"], "glassnet train: error: --samples is not an option of glassnet train airfoil (it is one of glassnet train moons) (see glassnet train --help)"),
        # a value that names a task is the option's, not the task: the advice named moons
        (["train", "--out", "moons", "airfoil"], "glassnet train: error: --out is an option of glassnet train airfoil: put it after airfoil (see glassnet train --help)"),
        # an abbreviation, which argparse takes after the task
        (["train", "--epo", "5", "airfoil"], "glassnet train: error: --epo is an option of glassnet train airfoil: put it after airfoil (see glassnet train --help)"),
        # a value already read as the task: help would not be shown, argparse's misread would
        (["train", "--epochs", "5", "--he", "moons"], "glassnet train: error: --epochs is an option of glassnet train moons: put it after moons (see glassnet train --help)"),
        # the task typed as an option's value is the one meant (it named airfoil)
        (["train", "--epochs", "moons"], "glassnet train: error: --epochs is an option of glassnet train moons: put it after moons (see glassnet train --help)"),
        # an unknown command is named first (it named train's misplaced option)
        (["bogus", "train", "--epochs", "5", "moons"], "glassnet: error: argument COMMAND: invalid choice: 'bogus' (choose from 'demo', 'data', 'train', 'evaluate', 'predict', 'explain') (see glassnet --help)"),
        # --version is glassnet's, not train's: the option before it is still the mistake named
        (["train", "--epochs", "5", "--version", "moons"], "glassnet train: error: --epochs is an option of glassnet train moons: put it after moons (see glassnet train --help)"),
        (["train", "--bogus", "moons"], "glassnet train: error: unrecognized arguments: --bogus (see glassnet train --help)"),
        (["train", "moons", "moons"], "glassnet train moons: error: unrecognized arguments: moons (see glassnet train moons --help)"),
    ],
)  # fmt: skip
def test_an_option_a_command_does_not_take_is_refused_in_that_commands_name(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was refused by the top-level parser: 'glassnet: error: … (see glassnet --help)'; one
    between a command and its task was blamed on the task, whose help lists it."""
    assert main(argv) == 2
    assert capsys.readouterr().err == said + "\n"


def test_traceback_may_follow_the_command(tmp_path: Path) -> None:
    """--traceback was taken before the command only, and refused after it."""
    argv = ["train", "moons", *QUICK, "--lr", "-1", "--out", str(tmp_path / "m")]
    for placed in (["--traceback", *argv], [*argv, "--traceback"]):
        with pytest.raises(ValueError, match=r"^--lr must be a number in \(0, 10\], got -1"):
            main(placed)
    assert main(argv) == 2


def test_an_error_from_the_system_names_the_users_path_shell_style(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'[Errno 20] Not a directory: …' is Python's wording; the shell's puts the path first."""
    (tmp_path / "file.csv").write_text("x\n")
    out = tmp_path / "file.csv" / "run"
    assert main(["train", "moons", *QUICK, "--out", str(out)]) == 2
    # the file on the way is named before mkdir's "Not a directory" (found by a later review)
    assert capsys.readouterr().err == (
        f"glassnet train moons: error: --out {out}: {tmp_path / 'file.csv'} exists and is not a folder\n"
    )
    assert (
        error_text(NotADirectoryError(errno.ENOTDIR, "Not a directory", str(out)))
        == f"{out}: Not a directory"
    )
    assert error_text(OSError(errno.EXDEV, "Invalid cross-device link", "a", None, "b")) == (
        "a -> b: Invalid cross-device link"
    )
    assert error_text(ValueError("as written")) == "as written"


def test_a_folder_that_refuses_the_temporary_file_is_named_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message named '.p.csv.b2lf5q73.tmp' (as root, a read-only folder cannot be made here)."""

    open_ = os.open

    def refuse(path: Any, flags: int, *args: Any) -> int:  # the temporary file, made with O_EXCL
        if flags & os.O_EXCL:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return open_(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    target = tmp_path / "p.csv"
    with pytest.raises(PermissionError) as caught:
        _files.atomic_write_text(target, "x")
    assert error_text(caught.value) == f"{target}: Permission denied"


def test_a_folder_that_refuses_its_lock_is_named_not_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(folder: Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(folder / _files.LOCK_NAME))

    monkeypatch.setattr(_files, "_lock_with_flock", refuse)
    with pytest.raises(PermissionError) as caught, _files.folder_lock(tmp_path):
        pass
    assert error_text(caught.value) == f"{tmp_path}: Permission denied"


@pytest.mark.parametrize(
    "name", ["p" * 246 + ".csv", "日" * 80 + ".csv", "😀" * 62 + ".csv"], ids=["ascii", "cjk", "emoji"]
)
def test_a_target_name_near_the_limit_is_written(name: str, tmp_path: Path) -> None:
    """The temporary file's name, '.NAME.XXXXXXXX.tmp', passed the 255-byte limit for a legal
    NAME of 250 bytes (the limit counts bytes: 84 CJK characters are 252), and the error blamed NAME."""
    target = tmp_path / name
    _files.atomic_write_text(target, "x\n")
    assert target.read_text() == "x\n" and [path.name for path in tmp_path.iterdir()] == [target.name]


def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unset "$MODEL" gave Path(""), the current folder: `evaluate ''` then evaluated the
    model.npz found there (exit 0); other empty paths were named '.', which nobody typed."""
    assert main(["train", "moons", *QUICK, "--out", str(tmp_path / "run")]) == 0
    (tmp_path / "run" / "model.npz").rename(tmp_path / "model.npz")
    (tmp_path / "rows.csv").write_text("x1,x2\n0.5,0.25\n")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    expected = "{} is an empty path; expected {}, got ''"
    model = "a model file or run folder name"
    for argv, what, name in [
        (["evaluate", ""], "MODEL", model),
        (["predict", "", "rows.csv"], "MODEL", model),
        # INPUT.csv is a file (a folder is refused as one): "a file or folder name" misled
        (["predict", "model.npz", ""], "input", "a file name"),
        (["predict", "model.npz", "rows.csv", "-o", ""], "-o", "a file name"),
        (["explain", ""], "spec", "a file name"),
        (["explain", "--example", "exercise", "-o", ""], "-o", "a file name"),
    ]:
        assert main(argv) == 2, argv
        assert capsys.readouterr().err == f"glassnet {argv[0]}: error: {expected.format(what, name)}\n", argv
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.npz", "rows.csv", "run"]
    assert main(["evaluate", " "]) == 2  # blank: not a name anyone means either
    assert capsys.readouterr().err == (
        "glassnet evaluate: error: MODEL is a blank path; expected a model file or run folder name, got ' '\n"
    )


@pytest.mark.parametrize(
    ("argv", "prefix"),
    [
        (["data", "info", "--data", "-"], "glassnet data info: error: data path -"),
        (["train", "airfoil", "--data", "-", *QUICK], "glassnet train airfoil: error: data path -"),
    ],
    ids=["data-info", "train-airfoil"],
)
def test_a_dash_for_data_says_it_is_not_standard_input_here(
    argv: list[str],
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """predict reads "-" as standard input; a data path does not, and the advice to download the
    data set, which its "does not exist" gave, would not help."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"{prefix} does not exist; - is not standard input here: give a file, or /dev/stdin for a pipe\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_model_file_that_cannot_be_read_says_so_not_that_it_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """zipfile.is_zipfile answers False for a file it cannot open: a model without read
    permission was 'not a readable checkpoint (truncated, or not an .npz archive)'. (The
    tests run as root, whom permissions do not stop, so open itself is made to refuse.)"""
    from glassnet import checkpoint

    assert main(["train", "moons", *QUICK, "--out", str(tmp_path / "run")]) == 0
    model = tmp_path / "run" / "model.npz"

    def refused(file: object, *args: object, **kwargs: object) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(checkpoint, "open", refused, raising=False)  # the module's own open
    capsys.readouterr()
    assert main(["evaluate", str(model)]) == 2
    assert capsys.readouterr().err == f"glassnet evaluate: error: {model}: Permission denied\n"


@pytest.mark.parametrize(
    "error",
    [
        MemoryError(
            "Unable to allocate 27.9 GiB for an array with shape (750000, 5000) and data type float64"
        ),
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried"
        ),
    ],
    ids=["numpy", "torch-cpu"],
)
def test_running_out_of_memory_is_one_line_not_a_traceback(
    error: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Settings each within bounds (--samples 1000000 --hidden 20000) trained, then failed with a
    traceback and exit 1 when their arrays outgrew the machine."""
    from glassnet.train import _trainer

    def run(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(_trainer.Trainer, "run", run)
    assert main(["train", "moons", *QUICK, "--out", str(tmp_path / "m")]) == 2
    first_line = str(error).splitlines()[0]
    said = capsys.readouterr().err
    assert said == (
        f"glassnet train moons: error: out of memory ({first_line}); give fewer rows at a time (--batch-size), "
        "a smaller network (--hidden) or less data\n"
    )
    assert not (tmp_path / "m").exists()  # the folder it made, removed as after any error


def test_running_out_of_memory_in_predict_gives_advice_it_can_follow(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """predict has no --batch-size or --hidden, which the advice named."""
    from glassnet.train import _ensemble

    assert main(["train", "moons", *QUICK, "--out", str(tmp_path / "m")]) == 0
    (tmp_path / "rows.csv").write_text("x1,x2\n0.5,0.25\n")

    def predict(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 1.22 GiB")

    monkeypatch.setattr(_ensemble.Ensemble, "predict", predict)
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "rows.csv")]) == 2
    assert capsys.readouterr().err == (
        "glassnet predict: error: out of memory (Unable to allocate 1.22 GiB); give fewer rows, or run it where "
        "more memory is free\n"
    )


def test_another_runtime_error_is_not_called_out_of_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from glassnet.train import _trainer

    def run(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_trainer.Trainer, "run", run)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["train", "moons", *QUICK, "--out", str(tmp_path / "m")])


@pytest.mark.parametrize(
    "first",
    [
        ["--version"],
        ["--vers"],
        ["train", "-h"],
        ["train", "--he"],
        ["train", "--out", "-h"],
        ["train", "--epochs", "moons", "-h"],
        ["train", "--epochs", "moons", "airfoil", "-h"],
        ["train", "--quiet", "moons", "--help"],
        ["train", "--epochs=5", "moons", "-h"],
    ],
    ids=[
        "version",
        "vers",
        "help",
        "he",
        "help-as-no-value",
        "help-after-a-task-as-a-value",
        "help-after-two",
        "help-after-the-task",
        "help-after-the-task-equals",
    ],
)
def test_help_and_the_version_come_before_a_misplaced_option(
    first: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each printed an error about the option placed after it, where argparse shows help and the
    version first (under an abbreviation too)."""
    argv = (
        [*first, "--epochs", "5", "moons"]
        if first[0] == "train"
        else [*first, "train", "--epochs", "5", "moons"]
    )
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and (
        "glassnet 0.1.0" in captured.out or "usage: glassnet train" in captured.out
    )


def test_an_abbreviation_of_the_commands_own_option_before_the_task_is_its_own(tmp_path: Path) -> None:
    """train --tr moons (--traceback, which argparse accepts there) was refused as moons' option."""
    assert main(["train", "--tr", "moons", *QUICK, "--out", str(tmp_path / "m")]) == 0
