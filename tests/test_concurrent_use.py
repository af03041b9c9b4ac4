"""glassnet used from several threads or processes at once: a review of concurrent use
(2026-11-28). Two commands writing one output, figures drawn in threads, a Trainer sent to a
multiprocessing worker."""

from __future__ import annotations

import errno
import functools
import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import locked_by_another_thread
from glassnet.cli import _explain, _predict, main
from glassnet.explain import explain_exercise
from glassnet.plots import plot_loss_curves
from glassnet.train import TrainConfig, Trainer

QUICK = ["--epochs", "2", "--quiet", "--no-plots"]


def _written_meanwhile(module: Any, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    """Another process writes the file a command's ``-o`` names just after the command checked
    that it was not there: its ``refuse_overwrite`` passes, then the file appears."""
    refuse = module.refuse_overwrite

    def then_written(path: Any, **kwargs: Any) -> Path:
        target: Path = refuse(path, **kwargs)
        target.write_text(content)
        return target

    monkeypatch.setattr(module, "refuse_overwrite", then_written)


def test_predict_keeps_a_file_another_process_wrote_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `predict … -o pr.csv` at once both said "wrote N prediction(s)", and the file held one
    of them: the check that it did not exist came before the run, the rename after it."""
    run = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--out", str(run)]) == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n0.5,0.25\n")
    out = tmp_path / "pr.csv"
    _written_meanwhile(_predict, monkeypatch, "theirs\n")
    capsys.readouterr()
    assert main(["predict", str(run), str(rows), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"glassnet predict: error: {out} was written by another process while this one ran; it is kept "
        "(--force replaces it)\n"
    )
    assert out.read_text() == "theirs\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pr.csv", "rows.csv", "run"]  # no temporary
    out.unlink()
    monkeypatch.undo()
    assert main(["predict", str(run), str(rows), "-o", str(out), "--force"]) == 0


def test_explain_keeps_a_file_another_process_wrote_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ex.md"
    _written_meanwhile(_explain, monkeypatch, "theirs\n")
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", str(out)]) == 2
    assert "was written by another process while this one ran; it is kept" in capsys.readouterr().err
    assert out.read_text() == "theirs\n"
    assert [path.name for path in tmp_path.iterdir()] == ["ex.md"]
    # with --force, the command's own file replaces it, as asked
    assert main(["explain", "--example", "exercise", "--no-torch", "-o", str(out), "--force"]) == 0
    assert out.read_text() == explain_exercise(check_torch=False).to_markdown()


def test_figures_drawn_from_threads_at_once_are_all_drawn(tmp_path: Path) -> None:
    """Matplotlib is not thread-safe: 8 loss plots from 4 threads all failed in its text layout
    ("ParseException: exception raised in parse action"), and the explain figure in 7 of 8."""
    history = [{"epoch": e, "train_loss": 1 / (e + 1), "val_loss": 1.2 / (e + 1)} for e in range(1, 30)]
    explanation = explain_exercise(check_torch=False)
    with ThreadPoolExecutor(4) as pool:
        plots = list(pool.map(lambda i: plot_loss_curves(history, tmp_path / f"loss{i}.png"), range(8)))
        figures = list(pool.map(lambda i: explanation.save_figure(tmp_path / f"net{i}.png"), range(4)))
    assert len({path.read_bytes() for path in plots}) == 1  # the same figure, drawn whole each time
    assert len({path.read_bytes() for path in figures}) == 1


def test_a_trainer_pickles_and_trains_as_it_would_have() -> None:
    """A Trainer sent to a multiprocessing worker: "Can't pickle local object
    '_learning_rates.<locals>.rate'"."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    config = TrainConfig(hidden=(3,), epochs=3, schedule="cosine", warmup_epochs=1)
    trainer = Trainer(config, x, x[:, 0], x[:8], x[:8, 0])
    copied = pickle.loads(pickle.dumps(trainer))
    ours, theirs = trainer.run(), copied.run()
    for name, weights in ours.members[0].weights.items():
        np.testing.assert_array_equal(theirs.members[0].weights[name], weights)
    assert [record["lr"] for record in theirs.history] == [record["lr"] for record in ours.history]


def test_write_run_refuses_a_folder_another_writer_holds(tmp_path: Path) -> None:
    """Two write_run calls into one folder at once (fork workers) left one run's model beside the
    other's metrics, both told "ok", and one swept up the other's temporary file as a killed
    save's; the second is refused now, and a thread that holds the lock writes through it."""
    from glassnet._files import FolderInUseError, folder_lock
    from glassnet.train import MOONS_CONFIG, train_moons
    from glassnet.train.artifacts import write_run

    run = train_moons(MOONS_CONFIG.replace(epochs=2))
    out = tmp_path / "run"
    with locked_by_another_thread(out):
        with pytest.raises(
            FolderInUseError, match=r"is in use by another thread of this process; wait for it"
        ):
            write_run(run, out, plots=False)
        assert sorted(path.name for path in out.iterdir()) == [".glassnet.lock"]  # nothing written
    with folder_lock(out):  # held by this thread: write_run takes it again, as the demo's does
        assert sorted(write_run(run, out, plots=False)) == ["history", "metrics", "model"]
    assert not (out / ".glassnet.lock").exists()


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard-links", "no-hard-links"])
def test_explain_takes_back_its_text_when_its_figure_was_written_meanwhile(
    hard_links: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o x.md --figure y.png`, y.png written by another process meanwhile: exit 2, and x.md was
    left written, which the retry was then refused for (a review of the last fixes); on a file
    system without hard links (FAT, some network ones) too, where a rename puts it in place."""
    if not hard_links:

        def no_link(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    refuse = _explain.refuse_overwrite
    figure = tmp_path / "y.png"

    def figure_written_meanwhile(path: Any, **kwargs: Any) -> Path:
        target: Path = refuse(path, **kwargs)
        if target == figure:
            target.write_text("theirs\n")
        return target

    monkeypatch.setattr(_explain, "refuse_overwrite", figure_written_meanwhile)
    text = tmp_path / "x.md"
    argv = ["explain", "--example", "exercise", "--no-torch", "-o", str(text), "--figure", str(figure)]
    assert main(argv) == 2
    assert "y.png was written by another process while this one ran; it is kept" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["y.png"]  # x.md taken back, no temporary
    assert figure.read_text() == "theirs\n"


def test_a_lock_file_of_this_process_pid_that_no_thread_holds_is_stale(tmp_path: Path) -> None:
    """A killed process's lock file whose pid came round to this process was "in use by another
    thread of this process", for good (the lock without fcntl, as on Windows)."""
    from glassnet._files import LOCK_NAME, folder_lock

    folder = tmp_path / "run"
    folder.mkdir()
    (folder / LOCK_NAME).write_text(f"{os.getpid()}\n")
    with folder_lock(folder, exclusive_file=True):
        assert (folder / LOCK_NAME).read_text() == f"{os.getpid()}\n"  # taken over, as a dead pid's
    assert not (folder / LOCK_NAME).exists()


def test_a_file_rewritten_meanwhile_is_not_taken_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The take-back compared inodes only: x.md rewritten by another process in the same inode
    (or in one whose number came round again) before y.png was refused was deleted."""
    from glassnet import _files

    put = _files._put_in_place
    text, figure = tmp_path / "x.md", tmp_path / "y.png"

    def others_meanwhile(temporary: Path, target: Path, *, replace: bool) -> None:
        if target == figure:  # x.md is in place: another process rewrites it, then writes y.png
            text.write_text("theirs, rewritten\n")
            figure.write_text("theirs\n")
        put(temporary, target, replace=replace)

    monkeypatch.setattr(_files, "_put_in_place", others_meanwhile)
    writes = [(text, _files.text_writer("ours\n")), (figure, _files.text_writer("ours\n"))]
    with pytest.raises(FileExistsError, match="was written by another process while this one ran"):
        _files.atomic_write_all(writes, replace=False)
    assert text.read_text() == "theirs, rewritten\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.md", "y.png"]


def _forked(body: Any) -> str:
    """Run ``body()`` in a forked child, which then leaves at once: "done", "hung" (killed after
    10 s) or "failed" (it raised)."""
    import time

    pid = os.fork()
    if pid == 0:  # the child: out, whatever happens
        status = 1
        try:
            body()
            status = 0
        finally:
            os._exit(status)
    deadline = time.monotonic() + 10
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    if done == (0, 0):
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return "hung"
    return "done" if os.waitstatus_to_exitcode(done[1]) == 0 else "failed"


def _forked_beside_threads(work: Any, child: Any, children: int) -> list[str]:
    """:func:`_forked` ``child(c)`` for c < ``children`` while two threads run ``work(i)`` in a loop."""
    import threading

    stop = threading.Event()

    def again_and_again(index: int) -> None:
        while not stop.is_set():
            work(index)

    threads = [threading.Thread(target=again_and_again, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        return [_forked(functools.partial(child, c)) for c in range(children)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX's")
def test_a_child_forked_while_threads_take_folder_locks_takes_its_own(tmp_path: Path) -> None:
    """The set of folders held in the process is guarded by a lock that a forked child inherited
    held by a thread it does not have: its first folder_lock hung, 30 children of 30."""
    from glassnet._files import folder_lock

    def lock(name: str) -> None:
        with folder_lock(tmp_path / name):
            pass

    statuses = _forked_beside_threads(lambda i: lock(f"thread{i}"), lambda c: lock(f"child{c}"), 10)
    assert statuses == ["done"] * 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX's")
def test_a_child_forked_while_threads_draw_figures_draws_its_own(tmp_path: Path) -> None:
    """It inherited the figure lock held by a thread it does not have, or Matplotlib's own locks
    mid-use, and hung in its first figure: 10 children of 10 (a review of the last fixes)."""
    history = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1)} for e in range(5)]

    def draw(name: str) -> None:
        plot_loss_curves(history, tmp_path / f"{name}.png")

    statuses = _forked_beside_threads(lambda i: draw(f"thread{i}"), lambda c: draw(f"child{c}"), 4)
    assert statuses == ["done"] * 4
    assert all((tmp_path / f"child{c}.png").stat().st_size > 0 for c in range(4))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX's")
@pytest.mark.parametrize("exclusive_file", [False, True], ids=["flock", "exclusive-file"])
def test_a_child_forked_inside_a_held_folder_is_refused_and_leaves_the_lock(
    tmp_path: Path, exclusive_file: bool
) -> None:
    """The thread that forked took its folders into the child: the child took the lock its
    parent held as its own and wrote a run into the parent's folder; leaving the block, it
    removed the parent's lock file, and a third process took the lock the parent still held."""
    import subprocess
    import sys

    from glassnet._files import LOCK_NAME, FolderInUseError, folder_lock

    out = tmp_path / "run"

    def lock_again() -> None:
        in_use = pytest.raises(FolderInUseError, match=r"in use by another glassnet process \(pid \d+\)")
        with in_use, folder_lock(out, exclusive_file=exclusive_file):
            pass

    with folder_lock(out, exclusive_file=exclusive_file):
        assert _forked(lock_again) == "done"
        assert _forked(lambda: None) == "done"  # a child leaving the block, as a script's would
        assert (out / LOCK_NAME).exists()
        third = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from glassnet._files import folder_lock\nwith folder_lock({str(out)!r}, "
                f"exclusive_file={exclusive_file}): pass",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert third.returncode == 1 and "FolderInUseError" in third.stderr, third.stderr


def test_a_resume_records_the_epochs_of_the_members_finished_before_it(tmp_path: Path) -> None:
    """epochs_before counted the interrupted member's epochs only: an ensemble stopped at a
    member's end recorded 0 (a review of the last fixes)."""
    import json

    from glassnet.train import MOONS_CONFIG, train_moons
    from glassnet.train.artifacts import save_resume

    seen = []

    def stop_after_the_first_member(trainer: Any, record: dict[str, float]) -> None:
        seen.append(record)
        if len(seen) == 3:  # member 1's three epochs: member 2 has none yet
            trainer.request_stop()

    config = MOONS_CONFIG.replace(epochs=3, ensemble=2, refit=False)
    run = train_moons(config, callback=stop_after_the_first_member)
    out = tmp_path / "run"
    save_resume(run, out)
    assert (
        main(["train", "moons", "--out", str(out), "--resume", "--threads", "2", "--quiet", "--no-plots"])
        == 0
    )
    resumed = json.loads((out / "metrics.json").read_text())["resumed"]
    assert resumed == [{"epochs_before": 3, "settings": {"threads": 1}}]


BOUNDARY_WHOSE_PREDICT_FORKS = """
import os, sys, threading
import numpy as np
from glassnet.plots import plot_decision_boundary

def predict(grid):
    # a process pool's thread forks a worker while this thread waits for it
    def fork_and_wait():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    thread = threading.Thread(target=fork_and_wait)
    thread.start()
    thread.join()
    return np.zeros(len(grid))

plot_decision_boundary(predict, [[0.0, 0.0], [1.0, 1.0]], [0, 1], sys.argv[1], output_activation=None)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX's")
def test_a_decision_boundary_whose_predict_forks_is_drawn(tmp_path: Path) -> None:
    """predict ran under the figure lock, which a fork waits for: a predict that forks from
    another thread (a process pool's) and waits for it hung for good (a review of the fixes)."""
    import subprocess
    import sys

    figure = tmp_path / "boundary.png"
    child = subprocess.run(
        [sys.executable, "-c", BOUNDARY_WHOSE_PREDICT_FORKS, str(figure)], timeout=60, check=False
    )
    assert child.returncode == 0 and figure.stat().st_size > 0
