"""Files: atomic writes everywhere, SIGKILL while saving, --force, one training per folder, and no escapes.

The SIGKILL test is real: child processes save checkpoints in a loop and are killed at
random moments; each time the file on disk must load and be the last version saved or
the one being saved.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import shared_airfoil
from glassnet._files import (
    LOCK_NAME,
    FolderInUseError,
    atomic_write,
    atomic_write_all,
    atomic_write_bytes,
    atomic_write_text,
    folder_lock,
    os_error_text,
    placed_together,
    refuse_overwrite,
    text_writer,
)
from glassnet.checkpoint import load_checkpoint
from glassnet.cli import main
from glassnet.data import fetch_airfoil
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train.artifacts import locked_run_folders, prepare_out_folder

# -- atomic writes -----------------------------------------------------------------------


def test_atomic_write_replaces_whole_and_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old\n")

    def half_then_fail(temporary: Path) -> None:
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert (target.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _ctrl_c_after_renaming(first: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real Ctrl-C (SIGINT) just after os.replace puts a file at ``first``."""
    replace = os.replace

    def replaced_then_interrupted(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        replace(source, target, *args, **kwargs)
        if Path(target) == first:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(os, "replace", replaced_then_interrupted)


def test_a_ctrl_c_between_replacing_renames_comes_once_every_file_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python (no command's scope of stop signals): a Ctrl-C just after the first of two
    renames that replace files left the new first file beside the previous second one. It is
    held until both are in place, then raised as KeyboardInterrupt naming them."""
    from glassnet._signals import StopSignalInterrupt

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("previous a")
    second.write_text("previous b")
    _ctrl_c_after_renaming(first, monkeypatch)
    writes = [(first, text_writer("new a")), (second, text_writer("new b"))]
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt) as stop:
        atomic_write_all(writes)
    assert isinstance(stop.value, StopSignalInterrupt) and stop.value.signum == signal.SIGINT
    assert stop.value.note == f"{first} and {second} were written (it came as they were put in place)"
    assert (first.read_text(), second.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    assert signal.getsignal(signal.SIGINT) is handler  # put back


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    """A private file (0600) replaced with --force became world-readable (0666 less the umask);
    ``sed -i`` keeps them, and so does an atomic write now. Set-id bits are not carried."""
    target = tmp_path / "private.csv"
    target.write_text("secret\n")
    for mode in (0o600, 0o640, 0o755):
        target.chmod(mode)
        atomic_write_text(target, "new\n")
        assert (target.stat().st_mode & 0o7777) == mode
    target.chmod(0o4755)
    atomic_write_text(target, "again\n")
    assert (target.stat().st_mode & 0o7777) == 0o755
    # a read-only or write-only file is replaced, as before: the temporary file is filled while
    # its owner may write and read it (a 0444 one refused the write, a 0200 one the fsync's
    # read, for a user other than root), and given the target's permissions after
    for mode in (0o444, 0o200):
        target.chmod(mode)

        def fill(temporary: Path) -> None:
            assert temporary.stat().st_mode & 0o600 == 0o600
            temporary.write_text("replaced\n")

        atomic_write(target, fill)
        assert (target.stat().st_mode & 0o7777) == mode
        target.chmod(0o600)
        assert target.read_text() == "replaced\n"
    # root replacing another user's private file leaves it theirs (it became root's, unreadable to them);
    # a user who may not give a file away keeps at least its group (all or nothing, it kept neither)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(target, 65534, 65534)
        atomic_write_text(target, "theirs\n")
        kept = target.stat()
        assert (kept.st_uid, kept.st_gid, kept.st_mode & 0o777) == (65534, 65534, 0o600)
        chown = os.chown

        def not_root(path: Any, uid: int, gid: int) -> None:
            if uid != -1:
                raise PermissionError(1, "Operation not permitted", str(path))
            chown(path, uid, gid)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "chown", not_root)
            atomic_write_text(target, "group\n")
        assert (target.stat().st_uid, target.stat().st_gid) == (0, 65534)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_new_file_follows_the_umask_in_force_when_it_is_written(tmp_path: Path) -> None:
    """The umask was read once, at glassnet's first write: a program that made its files private
    later (umask 077) still got 0644 models, metrics and figures (a review of side effects).
    The lock file, made by os.open, follows the live umask too."""
    from glassnet._files import folder_lock

    before = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "first.txt", "a\n")
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.txt", "b\n")
        with folder_lock(tmp_path):
            lock_mode = (tmp_path / ".glassnet.lock").stat().st_mode & 0o777
    finally:
        os.umask(before)
    assert (tmp_path / "first.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600
    assert lock_mode == 0o600


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        # Pillow writing a PNG into an open file: a full disk without a path
        (lambda temporary: OSError(28, "No space left on device"), "{target}: No space left on device"),
        # a failed fsync or write names the temporary file, which the caller never asked for
        (lambda temporary: OSError(5, "Input/output error", str(temporary)), "{target}: Input/output error"),
        # another file named by the writer keeps its name; a message without errno stays as it is
        (lambda temporary: FileNotFoundError(2, "No such file or directory", "/elsewhere"), "/elsewhere: No such file or directory"),
        (lambda temporary: OSError("cannot write mode P as JPEG"), "cannot write mode P as JPEG"),
    ],
    ids=["no path", "temporary path", "other path", "no errno"],
)  # fmt: skip
def test_a_failed_write_names_the_file_asked_for(raised: Any, expected: str, tmp_path: Path) -> None:
    """glassnet train on a full disk said "[Errno 28] No space left on device", naming no file."""
    target = tmp_path / "figure.png"

    def failing(temporary: Path) -> None:
        raise raised(temporary)

    with pytest.raises(OSError) as caught:
        atomic_write(target, failing)
    assert type(caught.value) is type(raised(target))
    assert os_error_text(caught.value) == expected.format(target=target)
    assert list(tmp_path.iterdir()) == []  # the temporary file removed, nothing written


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: p / "missing" / "f.txt", FileNotFoundError, "does not exist"),
        (lambda p: p, IsADirectoryError, "it is a folder"),
    ],
)
def test_atomic_write_refuses_bad_targets(
    make: Any, error: type[Exception], match: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=match):
        atomic_write_text(make(tmp_path), "x")


def _special_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files the rename of an atomic write would replace with a regular file: name -> (path, kind)."""
    (folder / "real.txt").write_text("mine")
    (folder / "link").symlink_to("real.txt")
    os.mkfifo(folder / "fifo")
    return {
        "link": (folder / "link", r"symbolic link \(to real\.txt\)"),
        "fifo": (folder / "fifo", r"named pipe \(FIFO\)"),
        "device": (Path("/dev/null"), "character device"),
        "stdout": (Path("/dev/stdout"), r"symbolic link \(to /proc/self/fd/1\)"),
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/stdout").is_symlink(), reason="POSIX files")
@pytest.mark.parametrize("name", ["link", "fifo", "device", "stdout"])
def test_no_write_puts_a_file_in_place_of_a_link_a_fifo_or_a_device(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rename onto /dev/stdout (a link to the shell's own output) would replace it, and the
    rest of the output be lost; onto /dev/null, run as root, the device itself."""
    path, kind = _special_files(tmp_path)[name]
    before = os.lstat(path)
    with pytest.raises(
        ValueError, match=rf"cannot write '{re.escape(str(path))}': it is a {kind}, not a regular file"
    ):
        atomic_write_text(path, "x")
    for force in (False, True):
        with pytest.raises(
            ValueError,
            match=rf"^-o {re.escape(str(path))} is a {kind}, not a regular file; .*give the name of a file; -o - writes to standard output$",
        ):
            refuse_overwrite(path, force=force, option="-o")
    rows = tmp_path / "rows.csv"
    rows.write_text("0.5,0.2\n")
    model = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--out", str(model), "--quiet", "--no-plots"]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(rows), "-o", str(path), "--force"]) == 2
    assert f"is a {kind.replace(chr(92), '')}" in capsys.readouterr().err
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert (tmp_path / "real.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["new/", "new//"])
def test_a_name_ending_in_a_separator_is_a_folder_not_a_file(name: str, tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="a name ending in a separator names a folder"):
        atomic_write_text(f"{tmp_path}/{name}", "x")
    with pytest.raises(
        IsADirectoryError, match=r"ends in a separator, which names a folder; give a file name$"
    ):
        refuse_overwrite(f"{tmp_path}/{name}", force=True, option="-o")
    assert list(tmp_path.iterdir()) == []


def test_explain_takes_a_name_ending_in_a_separator_as_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain expanded ~ in its outputs before checking them, which dropped the separator: the
    file "new" was written."""
    name = f"{tmp_path}/new/"
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", name]) == 2
    assert capsys.readouterr().err == (
        f"glassnet explain: error: -o {name} ends in a separator, which names a folder; give a file name\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_explain_names_its_spec_before_saying_the_file_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`explain SPEC -o SPEC` said "exists; use --force", and with --force that it was the spec."""
    spec = tmp_path / "spec.json"
    spec.write_text(Path(__file__).resolve().parents[1].joinpath("examples", "exercise.json").read_text())
    for force in ([], ["--force"]):
        assert main(["explain", str(spec), "--no-torch", "-o", str(spec), *force]) == 2
        assert capsys.readouterr().err == (
            f"glassnet explain: error: -o {spec} is the spec file {spec}; give another name\n"
        )


def test_every_writer_goes_through_files_module() -> None:
    """Outside glassnet._files, no module renames or creates temporary files, and every write fills a temporary."""
    source = Path(__file__).resolve().parents[1] / "src" / "glassnet"
    renames = re.compile(r"os\.replace\(|os\.rename\(|NamedTemporaryFile|mkstemp\(")
    writes = re.compile(r"\.savefig\(|\bopen\([^)]*[\"'][wax]b?[\"']|np\.savez?\(|\.write_(text|bytes)\(")
    offenders = []
    for path in sorted(source.rglob("*.py")):
        if path.name == "_files.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if code.lstrip().startswith((">>> ", "... ")):  # a docstring's example: a user's code
                continue
            if renames.search(code) or (
                writes.search(code) and "temporary" not in code and "handle" not in code
            ):
                offenders.append(f"{path.relative_to(source)}:{number}: {line.strip()}")
    assert offenders == []


def test_plots_are_written_atomically_with_an_explicit_format(tmp_path: Path) -> None:
    from glassnet import plots

    history = [
        {"member": 0.0, "epoch": 1.0, "train_loss": 1.0},
        {"member": 0.0, "epoch": 2.0, "train_loss": 0.5},
    ]
    for name in ("curves.png", "curves.svg", "curves.pdf"):
        path = plots.plot_loss_curves(history, tmp_path / name)
        assert path.stat().st_size > 0
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="must end in"):
        plots.plot_loss_curves(history, tmp_path / "curves.tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.pdf", "curves.png", "curves.svg"]


# -- SIGKILL while saving ----------------------------------------------------------------------

CHILD = """
import sys
import numpy as np
from glassnet.checkpoint import Checkpoint, save_checkpoint
from glassnet.spec import MLPSpec, build_mlp

spec = MLPSpec(sizes=(64, 256, 256, 1))
shapes = {name: value.shape for name, value in build_mlp(spec).state_dict().items()}
path, version = sys.argv[1], int(sys.argv[2])
while True:
    weights = {name: np.full(shape, float(version)) for name, shape in shapes.items()}
    save_checkpoint(path, Checkpoint(spec=spec, members=[weights], info={"version": version}))
    print(version, flush=True)
    version += 1
"""


def test_sigkill_while_saving_leaves_the_old_or_the_new_checkpoint(tmp_path: Path) -> None:
    """30 kills (5 rounds of 6 processes) at random moments: every file loads and is a version saved."""
    rng = np.random.default_rng(2024)
    spec = MLPSpec(sizes=(64, 256, 256, 1))
    names = set(build_mlp(spec).state_dict())
    versions = [0] * 6
    kills = mid_write = 0
    for _ in range(5):
        children = []
        for index in range(6):
            folder = tmp_path / f"child{index}"
            folder.mkdir(exist_ok=True)
            children.append(
                subprocess.Popen(
                    [sys.executable, "-c", CHILD, str(folder / "model.npz"), str(versions[index] + 1)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for child in children:  # each has saved at least once
            assert child.stdout is not None and child.stdout.readline().strip()
        for child in children:
            time.sleep(float(rng.uniform(0.0, 0.02)))
            child.send_signal(signal.SIGKILL)
        for index, child in enumerate(children):
            out, _ = child.communicate(timeout=30)
            assert child.returncode == -signal.SIGKILL
            kills += 1
            printed = [int(line) for line in out.split()]
            done = printed[-1] if printed else None
            path = tmp_path / f"child{index}" / "model.npz"
            checkpoint = load_checkpoint(path)
            version = int(checkpoint.info["version"])
            assert done is None or version in (done, done + 1), (version, done)
            assert set(checkpoint.members[0]) == names
            assert all(np.all(w == float(version)) for w in checkpoint.members[0].values())
            versions[index] = version
            leftovers = [p for p in path.parent.iterdir() if p.name != "model.npz"]
            assert all(p.name.startswith(".model.npz.") and p.name.endswith(".tmp") for p in leftovers)
            mid_write += bool(leftovers)  # killed between creating its temporary file and the rename
            for leftover in leftovers:
                leftover.unlink()
    assert kills == 30
    assert mid_write >= 1  # about 12 of the 30 kills land inside a save on a local disk


def test_files_placed_together_are_renamed_at_the_end_of_the_block(tmp_path: Path) -> None:
    """Filled inside the block, in place at its end; after an error, those filled before it."""
    first, second, third = (tmp_path / name for name in ("a.txt", "b.txt", "c.txt"))
    first.write_text("old a")
    placed: list[Path] = []

    def write_two() -> str:
        assert atomic_write_text(first, "new a") == first
        atomic_write_text(second, "new b")
        assert first.read_text() == "old a" and not second.exists() and placed == []
        return "returned"

    assert placed_together(placed, write_two) == "returned"
    assert (first.read_text(), second.read_text(), placed) == ("new a", "new b", [first, second])

    def fails(temporary: Path) -> None:
        raise OSError(28, "No space left on device")

    def write_then_fail() -> None:
        atomic_write_text(first, "newer a")
        atomic_write(third, fails)

    placed = []
    with pytest.raises(OSError, match=r"No space left on device: '.*c\.txt'"):
        placed_together(placed, write_then_fail)
    assert first.read_text() == "newer a" and placed == [first]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_a_rename_at_the_end_of_the_block_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    placed: list[Path] = []

    def write() -> None:
        atomic_write_text(first, "a")
        atomic_write_text(second, "b")
        second.mkdir()  # made a folder meanwhile: the rename onto it fails

    with pytest.raises(IsADirectoryError):
        placed_together(placed, write)
    assert placed == [first] and first.read_text() == "a"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_a_ctrl_c_just_after_a_rename_counts_that_file_as_placed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted after os.replace returned, a file renamed just before a Ctrl-C was left out of
    ``placed``: write_run then kept the new model beside the previous run's files, named nowhere."""
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    replace = os.replace

    def then_interrupted(source: Any, target: Any) -> None:
        replace(source, target)
        if Path(target) == first:
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", then_interrupted)
    placed: list[Path] = []
    with pytest.raises(KeyboardInterrupt):
        placed_together(placed, lambda: (atomic_write_text(first, "a"), atomic_write_text(second, "b")))
    assert placed == [first] and sorted(path.name for path in tmp_path.iterdir()) == ["a.txt"]


def test_a_ctrl_c_as_the_renames_are_deferred_leaves_none_deferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C just after placed_together() set its list, before its try, or as contextlib
    entered or left the block (two reviews): the list stayed in force for good, every later
    atomic_write of the thread a hidden temporary file returned as written, and every write_run
    "placed_together() blocks do not nest". The list lives in a copy of the context now."""
    from glassnet import _files

    real = _files._PENDING

    class InterruptedAfterSet:
        get = real.get

        def set(self, value: Any) -> Any:
            token = real.set(value)
            if value is not None:
                raise KeyboardInterrupt
            return token

    monkeypatch.setattr(_files, "_PENDING", InterruptedAfterSet())
    with pytest.raises(KeyboardInterrupt):
        placed_together([], lambda: None)
    monkeypatch.undo()
    assert real.get() is None

    def interrupted() -> None:
        assert real.get() is not None  # deferring, in its own context
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        placed_together([], interrupted)
    assert real.get() is None
    atomic_write_text(tmp_path / "notes.txt", "kept")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_ctrl_c_once_a_write_is_handed_to_its_block_is_a_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C just after atomic_write handed its temporary file to placed_together() removed it;
    the rename at the end then raised FileNotFoundError in the Ctrl-C's place, and counted the
    file as placed (a review). It is put in place, as the others."""
    from glassnet import _files

    calls = []

    def zip_then_interrupted(*iterables: Any, strict: bool = False) -> Any:
        calls.append(None)
        yield from zip(*iterables, strict=strict)
        if len(calls) == 4:  # b.txt's hand-over (two zips for each write)
            raise KeyboardInterrupt

    monkeypatch.setattr(_files, "zip", zip_then_interrupted, raising=False)
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("previous a")
    placed: list[Path] = []
    with pytest.raises(KeyboardInterrupt):
        placed_together(placed, lambda: (atomic_write_text(first, "a"), atomic_write_text(second, "b")))
    assert placed == [first, second]
    assert (first.read_text(), second.read_text()) == ("a", "b")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_a_ctrl_c_as_the_hold_over_the_renames_ends_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python, the held signals were taken inside the hold: a Ctrl-C as its handler was put
    back was held and then dropped, and the program went on (a review)."""
    from glassnet import _signals
    from glassnet._signals import StopSignalInterrupt

    restore_handlers = _signals.restore_handlers

    def interrupted_then_restored(previous: Any) -> None:
        signal.raise_signal(signal.SIGINT)  # still the hold's handler: held
        restore_handlers(previous)

    monkeypatch.setattr(_signals, "restore_handlers", interrupted_then_restored)
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    with pytest.raises(StopSignalInterrupt) as stop:
        atomic_write_all([(first, text_writer("a")), (second, text_writer("b"))])
    assert stop.value.note == f"{first} and {second} were written (it came as they were put in place)"
    assert (first.read_text(), second.read_text()) == ("a", "b")


def test_a_stop_signal_held_by_a_caller_stays_the_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """atomic_write_all replacing two files inside a caller's interrupts_held() (a run being
    written) raised the caller's held signal in the middle of the caller's block, saying it came
    as the files were put in place; outside a command's scope it replaced the caller's Ctrl-C
    handler with its own (a review). The caller holds them, and reports them."""
    from glassnet._signals import interrupts_held

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    _ctrl_c_after_renaming(first, monkeypatch)
    with interrupts_held() as held:
        atomic_write_all([(first, text_writer("a")), (second, text_writer("b"))])
        assert held == [signal.SIGINT]
        held.clear()
    assert (first.read_text(), second.read_text()) == ("a", "b")


def test_an_error_with_a_ctrl_c_held_outside_a_command_raises_both() -> None:
    """From Python (no command's scope), an error in an interrupts_held() block dropped the
    Ctrl-C held meanwhile: the program went on as if none had come (a review). It is raised as
    the Ctrl-C, the error its note, as inside a command."""
    from glassnet._signals import StopSignalInterrupt, interrupts_held

    with pytest.raises(StopSignalInterrupt) as stop, interrupts_held():
        signal.raise_signal(signal.SIGINT)
        raise PermissionError(13, "Permission denied", "b.txt")
    assert stop.value.signum == signal.SIGINT
    assert stop.value.note == "error: b.txt: Permission denied"


@pytest.mark.parametrize("moment", ["made", "closed"])
def test_a_ctrl_c_as_the_temporary_file_is_made_leaves_none(
    moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C just after the temporary file was made (inside mkstemp, or before its descriptor
    was closed) left a hidden full-size `.x.md.*.tmp`, which nothing sweeps for an -o output
    (two reviews of the fixes)."""
    open_, close, interrupted = os.open, os.close, []

    def made_then_interrupted(path: Any, flags: int, *args: Any) -> int:
        handle = open_(path, flags, *args)
        if flags & os.O_EXCL and not interrupted:
            interrupted.append(path)
            raise KeyboardInterrupt
        return handle

    def closed_then_interrupted(handle: int) -> None:
        close(handle)
        if not interrupted:
            interrupted.append(handle)
            raise KeyboardInterrupt

    if moment == "made":
        monkeypatch.setattr(os, "open", made_then_interrupted)
    else:
        monkeypatch.setattr(os, "close", closed_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(tmp_path / "x.md", "text")
    assert interrupted and list(tmp_path.iterdir()) == []


RUN_THEN_KILLED_CHILD = """
import os, sys
from glassnet import _files
from glassnet.checkpoint import load_checkpoint
from glassnet.train import MOONS_CONFIG, train_moons
from glassnet.train.artifacts import save_resume, write_run

folder, before = sys.argv[1], sys.argv[2]
config = MOONS_CONFIG.replace(epochs=2, seed=1)
if before == "plots":  # a finished run with its plots
    write_run(train_moons(config), folder)
else:  # an interrupted run's state
    save_resume(train_moons(config, callback=lambda trainer, record: trainer.request_stop()), folder)
if before == "its-own-state":  # this run finishes it
    run = train_moons(config, resume=load_checkpoint(folder + "/checkpoint.npz").resume)
else:
    run = train_moons(config.replace(seed=2))
_files.fsync_folder = lambda path: os._exit(9)  # killed once its files are renamed into place
write_run(run, folder, force=True, plots=False)
"""


@pytest.mark.parametrize(
    ("before", "left"),
    [("plots", []), ("another-runs-state", []), ("its-own-state", ["checkpoint.npz"])],
)
def test_a_kill_once_a_runs_files_are_renamed_leaves_no_file_of_the_previous_run(
    tmp_path: Path, before: str, left: list[str]
) -> None:
    """The previous run's files of names a run does not write (its plots under --no-plots,
    another run's resume state) were removed after the renames: a kill between the two left the
    new run beside them, and a later --resume replaced the new run with the other. The state
    this run finished is kept until then: --resume finishes it again."""
    import json

    folder = tmp_path / "run"
    child = subprocess.run([sys.executable, "-c", RUN_THEN_KILLED_CHILD, str(folder), before], check=False)
    assert child.returncode == 9
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith(".")) == sorted(
        ["history.csv", "metrics.json", "model.npz", *left]
    )
    seed = 1 if before == "its-own-state" else 2
    assert json.loads((folder / "metrics.json").read_text())["split"]["seed"] == seed


@pytest.mark.parametrize(
    ("inside", "message"),
    [
        (lambda path: placed_together([], lambda: None), "do not nest"),
        (lambda path: atomic_write_text(path, "x", replace=False), "replace=True"),
    ],
    ids=["nested", "without-replace"],
)
def test_what_placed_together_refuses(tmp_path: Path, inside: Any, message: str) -> None:
    with pytest.raises((RuntimeError, ValueError), match=message):
        placed_together([], lambda: inside(tmp_path / "x.txt"))
    assert list(tmp_path.iterdir()) == []


RUNS_CHILD = """
import itertools, sys
from glassnet.train import MOONS_CONFIG, train_moons
from glassnet.train.artifacts import write_run

runs = [train_moons(MOONS_CONFIG.replace(epochs=3, seed=seed)) for seed in (1, 2)]
for index in itertools.count():
    write_run(runs[index % 2], sys.argv[1], force=True)
    print(index, flush=True)
"""


def _run_files_of(folder: Path) -> dict[str, bytes]:
    """The run files in ``folder``, by name, with the bytes that tell two runs apart (metrics.json's
    training time differs from one writing to the next: its split seed instead)."""
    import json

    from glassnet.train.artifacts import RUN_FILES

    files = {path.name: path.read_bytes() for path in folder.iterdir() if path.name in RUN_FILES}
    if "metrics.json" in files:
        files["metrics.json"] = str(json.loads(files["metrics.json"])["split"]["seed"]).encode()
    if "model.npz" in files:
        files["model.npz"] = str(load_checkpoint(folder / "model.npz").config.seed).encode()
    return files


def test_sigkill_while_a_run_is_written_over_another_leaves_one_run_whole(tmp_path: Path) -> None:
    """12 kills (2 rounds of 6 processes) while write_run(force=True) writes two runs over each
    other in turn: every time the folder holds one run's files, all of them. Written one by one,
    a kill left the model of one run beside the metrics and plots of the other."""
    from glassnet.train import MOONS_CONFIG, train_moons
    from glassnet.train.artifacts import write_run

    references = []
    for seed in (1, 2):
        write_run(train_moons(MOONS_CONFIG.replace(epochs=3, seed=seed)), tmp_path / f"ref{seed}")
        references.append(_run_files_of(tmp_path / f"ref{seed}"))
    assert len(references[0]) == 5 and all(
        references[0][name] != references[1][name] for name in references[0]
    )
    rng = np.random.default_rng(7)
    kills = mid_write = 0
    for round_ in range(2):
        children = []
        for index in range(6):
            folder = tmp_path / f"run{round_}{index}"
            children.append(
                (
                    folder,
                    subprocess.Popen([sys.executable, "-c", RUNS_CHILD, str(folder)], stdout=subprocess.PIPE),
                )
            )
        for _, child in children:  # each has written a run whole at least once
            assert child.stdout is not None and child.stdout.readline().strip()
        for _, child in children:
            time.sleep(float(rng.uniform(0.0, 0.1)))
            child.send_signal(signal.SIGKILL)
        for folder, child in children:
            child.communicate(timeout=60)
            assert child.returncode == -signal.SIGKILL
            kills += 1
            found = _run_files_of(folder)
            # the run (1 or 2) each file is of
            origin = {
                name: [ref.get(name) for ref in references].index(data) + 1 for name, data in found.items()
            }
            assert set(found) == set(references[0]) and len(set(origin.values())) == 1, origin
            leftovers = [path.name for path in folder.iterdir() if path.name not in references[0]]
            assert all(name.startswith(".") and name.endswith((".tmp", ".lock")) for name in leftovers)
            mid_write += any(name.endswith(".tmp") for name in leftovers)
    assert kills == 12
    assert mid_write >= 1  # most kills land inside a writing: the plots take most of the time


# -- --force and locks ------------------------------------------------------------------------


def test_explain_and_predict_outputs_need_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ex.md"
    out.write_text("mine")
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(out)]
    assert main(argv) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "mine"
    assert main([*argv, "--force"]) == 0 and out.read_text().startswith("#")
    figure = tmp_path / "fig.svg"
    figure.write_text("mine")
    assert main(["explain", "--example", "exercise", "--no-torch", "--figure", str(figure)]) == 2
    assert "--figure" in capsys.readouterr().err and figure.read_text() == "mine"
    with pytest.raises(IsADirectoryError, match="is a folder"):
        refuse_overwrite(tmp_path, force=True, option="-o")


def test_predict_output_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--out", str(model), "--quiet", "--no-plots"]) == 0
    rows, out = tmp_path / "rows.csv", tmp_path / "pred.csv"
    rows.write_text("0.5,0.2\n")
    out.write_text("mine")
    assert main(["predict", str(model), str(rows), "-o", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["predict", str(model), str(rows), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("x1,x2,logit")


def test_an_output_never_replaces_a_file_the_same_command_reads_or_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force is for a previous output: not for the model being read, nor for the other output."""
    run = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--out", str(run), "--quiet", "--no-plots"]) == 0
    rows, model = tmp_path / "rows.csv", run / "model.npz"
    rows.write_text("0.5,0.2\n")
    (tmp_path / "link.npz").symlink_to(model)
    before = model.read_bytes()
    for output in (model, run / ".." / "run" / "model.npz", tmp_path / "link.npz"):
        assert main(["predict", str(run), str(rows), "-o", str(output), "--force"]) == 2
        assert capsys.readouterr().err == (
            f"glassnet predict: error: -o {output} is the model file {model}; give another file name\n"
        )
    assert model.read_bytes() == before
    assert main(["predict", str(run), str(rows), "-o", str(tmp_path / "." / "rows.csv"), "--force"]) == 2
    assert f"is the input file {rows}; give another file name" in capsys.readouterr().err
    assert rows.read_text() == "0.5,0.2\n"
    with (
        rows.open() as stdin,
        pytest.MonkeyPatch.context() as patch,
    ):  # predict MODEL - -o rows.csv < rows.csv
        patch.setattr(sys, "stdin", stdin)
        assert main(["predict", str(run), "-", "-o", str(rows), "--force"]) == 2
    assert f"-o {rows} is the file standard input reads; give another file name" in capsys.readouterr().err
    assert rows.read_text() == "0.5,0.2\n"
    same = tmp_path / "same.svg"
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(same), "--figure", str(same)]
    assert main(argv) == 2 and not same.exists()
    assert "-o and --figure name the same file" in capsys.readouterr().err
    spec = tmp_path / "spec.json"
    spec.write_text((Path(__file__).resolve().parents[1] / "examples" / "exercise.json").read_text())
    spec_text, output = spec.read_text(), tmp_path / "." / "spec.json"
    assert main(["explain", str(spec), "--no-torch", "-o", str(output), "--force"]) == 2
    assert f"-o {output} is the spec file {spec}; give another name" in capsys.readouterr().err
    assert spec.read_text() == spec_text


@pytest.mark.parametrize("exclusive_file", [False, True])
def test_a_held_folder_is_refused_with_the_holders_pid(tmp_path: Path, exclusive_file: bool) -> None:
    """Another process holds the lock: refused, naming the folder and its pid; free again once it ends."""
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom glassnet._files import folder_lock\n"
            f"with folder_lock(sys.argv[1], exclusive_file={exclusive_file}):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(
                FolderInUseError,
                match=rf"{folder} is in use by another glassnet process \(pid {holder.pid}\)",
            ),
            folder_lock(folder, exclusive_file=exclusive_file),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # the holder died without releasing: its lock file is stale, and the next process takes it over
    assert (folder / LOCK_NAME).read_text().strip() == str(holder.pid)
    with folder_lock(folder, exclusive_file=exclusive_file):
        assert (folder / LOCK_NAME).read_text().strip() == str(os.getpid())
    assert not (folder / LOCK_NAME).exists()


def test_two_trainings_into_one_folder_cannot_interleave(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While one `glassnet train` holds --out (even with --force), a second one is refused before writing."""
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom glassnet.train.artifacts import locked_run_folders, prepare_out_folder\n"
            "with locked_run_folders():\n    prepare_out_folder(sys.argv[1], force=False)\n"
            "    print('held', flush=True)\n    time.sleep(60)\n",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # --resume too: a run in progress has no resume checkpoint yet, and it was reported as
        # "no interrupted run to resume in …" rather than as the folder in use
        for extra in (["--epochs", "2"], ["--epochs", "2", "--force"], ["--resume"]):
            assert main(["train", "moons", *extra, "--out", str(out), "--quiet"]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and f"{out} is in use" in err and f"pid {holder.pid}" in err, err
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert main(["train", "moons", "--epochs", "2", "--out", str(out), "--quiet", "--no-plots"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "metrics.json", "model.npz"]


def test_the_lock_is_released_when_training_fails(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="boom"), locked_run_folders():
        prepare_out_folder(out, force=False)
        assert (out / LOCK_NAME).is_file()
        raise RuntimeError("boom")
    assert not (out / LOCK_NAME).exists()
    prepare_out_folder(out, force=False)  # empty again: a lock file never makes a folder "not empty"


# -- security: nothing from a file becomes a path, nothing is written outside its folder -----


def _airfoil_bytes() -> bytes:
    lines = shared_airfoil().read_text().splitlines()[1:]
    return ("\r\n".join(line.replace(",", "\t") for line in lines) + "\r\n").encode()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "names",
    [
        ["../../evil.dat", "../../airfoil_self_noise.dat"],
        ["/tmp/airfoil_self_noise.dat"],
        ["../../../airfoil_self_noise.dat", "airfoil_self_noise.dat/../../evil.dat"],
        ["a/../../airfoil_self_noise.dat", "..\\..\\evil.dat"],
    ],
)
def test_a_malicious_archive_writes_nothing_outside_the_cache(tmp_path: Path, names: list[str]) -> None:
    data = _airfoil_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(
                zipfile.ZipInfo(name), data if name.endswith("airfoil_self_noise.dat") else b"evil"
            )
    root = tmp_path / "root"
    cache = root / "a" / "b" / "cache"
    cache.mkdir(parents=True)
    served = tmp_path / "served.zip"
    served.write_bytes(buffer.getvalue())
    before = _tree(tmp_path)
    try:
        written = fetch_airfoil(url=served.as_uri(), dest=cache, progress=False)
    except ValueError as error:  # no member named like the data file
        assert "nothing was written" in str(error)
        assert _tree(tmp_path) == before
        return
    assert written == cache / "airfoil_self_noise.dat"
    assert written.read_bytes() == data
    assert _tree(tmp_path) - before == {"root/a/b/cache/airfoil_self_noise.dat"}
    assert (
        not Path("/tmp/airfoil_self_noise.dat").exists()
        or Path("/tmp/airfoil_self_noise.dat").read_bytes() != data
    )


def test_checkpoint_info_paths_are_never_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose recorded data_source points elsewhere still evaluates on the data the user names.

    Nothing a checkpoint or spec holds is used as a path: evaluate and predict read the
    files given on the command line (or the usual airfoil search), and write only -o.
    """
    out = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--out", str(out), "--quiet", "--no-plots"]) == 0
    from glassnet.checkpoint import save_checkpoint

    checkpoint = load_checkpoint(out / "model.npz")
    checkpoint.info["data_source"] = "/etc/shadow"
    checkpoint.info["feature_names"] = ["../../x1", "/abs/x2"]
    save_checkpoint(out / "model.npz", checkpoint)
    before = _tree(tmp_path)
    assert main(["evaluate", str(out), "--json"]) == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("0.5,0.2\n")
    assert main(["predict", str(out), str(rows)]) == 0
    assert _tree(tmp_path) == before | {"rows.csv"}
    capsys.readouterr()


# --- found by a review of the run folders and their files (2026-11-28, a later session) ------------


def test_a_failed_cleanup_does_not_hide_the_error_that_caused_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an append-only folder (chattr +a) nothing can be removed: the temporary file's removal,
    then the lock's, raised PermissionError over the failed write, and the message named the lock
    file. The write's own error is raised, naming the file asked for."""
    import errno

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", str(self))

    def full_disk(temporary: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(OSError, match=r"No space left on device") as raised, folder_lock(tmp_path):
        atomic_write(tmp_path / "model.npz", full_disk)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(tmp_path / "model.npz")
    monkeypatch.undo()
    with folder_lock(tmp_path):  # the lock was released (its handle closed) all the same
        pass
