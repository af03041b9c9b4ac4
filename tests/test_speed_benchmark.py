"""The speed benchmark's hand-written floor computes what glassnet computes, so the comparison is fair."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from conftest import load_benchmark, shared_airfoil
from glassnet import losses, nn, optim
from glassnet.data import find_airfoil


@pytest.fixture(scope="module")
def speed() -> ModuleType:
    return load_benchmark("speed")


MISSING = "/nonexistent/airfoil.csv"
PLOT_NAMES = "give a file name ending in .png, .svg or .pdf"


def missing_data_says(path: str) -> str:
    """What glassnet.data says of a missing airfoil file ``path``: the scripts print it as it is."""
    with pytest.raises(FileNotFoundError) as caught:
        find_airfoil(path)
    return str(caught.value)


@pytest.mark.parametrize(("dtype", "rtol", "atol"), [(np.float64, 1e-10, 1e-12), (np.float32, 2e-4, 2e-6)])
def test_floor_step_matches_glassnet_engine(speed: ModuleType, dtype: type, rtol: float, atol: float) -> None:
    sizes = (5, 16, 8, 1)
    rng = np.random.default_rng(7)
    x: np.ndarray = rng.normal(size=(71, 5)).astype(dtype)  # 71 rows: two batches of 32 and one of 7
    y: np.ndarray = rng.normal(size=(71, 1)).astype(dtype)
    weights = speed.initial_weights(sizes, dtype, seed=3)
    floor_step, floor_params = speed.make_floor_step(weights, lr=1e-2)

    model = nn.MLP(sizes, rng=np.random.default_rng(3), dtype=dtype)
    loss = losses.MSELoss()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    glassnet_step = speed.make_glassnet_step(model, loss, opt)

    for _ in range(3):  # nine steps, three batch sizes
        for start in range(0, len(x), 32):
            xb, yb = x[start : start + 32], y[start : start + 32]
            theirs = glassnet_step(xb, yb)
            ours = floor_step(xb, yb)
            assert ours == pytest.approx(theirs, rel=rtol, abs=atol)

    for (name, parameter), value in zip(model.named_parameters(), floor_params, strict=True):
        assert value.dtype == parameter.data.dtype
        np.testing.assert_allclose(value, parameter.data, rtol=rtol, atol=atol, err_msg=name)
    np.testing.assert_allclose(speed.floor_predict(floor_params, x), model(x), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_floor_step_allocates_no_array(speed: ModuleType, dtype: type) -> None:
    """After its first call at a batch size, a floor step works in its buffers only: no
    temporary the size of an activation (NumPy's buffer for a broadcast bias addition, a
    fresh sign(h)), which would make the floor slower than plain NumPy needs to be."""
    rng = np.random.default_rng(5)
    x: np.ndarray = rng.normal(size=(32, 5)).astype(dtype)
    y: np.ndarray = rng.normal(size=(32, 1)).astype(dtype)
    step, _ = speed.make_floor_step(speed.initial_weights((5, 64, 64, 1), dtype))
    step(x, y)  # makes the buffers of this batch size
    tracemalloc.start()
    try:
        step(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    activation = 32 * 64 * np.dtype(dtype).itemsize  # one (32, 64) array
    assert peak < activation / 4


def test_write_docs_replaces_only_the_results_block(speed: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(f"intro\n{speed.BEGIN}\nold\n{speed.END}\noutro\n", encoding="utf-8")
    speed.write_docs("new table", page)
    assert page.read_text(encoding="utf-8") == f"intro\n{speed.BEGIN}\nnew table\n{speed.END}\noutro\n"
    page.write_text("no markers", encoding="utf-8")
    with pytest.raises(ValueError, match="needs the markers"):
        speed.write_docs("x", page)


@pytest.mark.parametrize(
    "page",
    [
        "no markers",
        "intro\n{END}\nresults\n{BEGIN}\noutro\n",  # the end before the beginning: no block
        None,  # no page at all
    ],
)
def test_write_docs_checks_its_page_before_timing(
    speed: ModuleType,
    page: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A page without its results block was found only after the full run's five minutes."""
    docs = tmp_path / "benchmarks.md"
    if page is not None:
        docs.write_text(page.format(BEGIN=speed.BEGIN, END=speed.END), encoding="utf-8")
    monkeypatch.setattr(speed, "DOCS", docs)

    def no_timing(*_: object) -> None:
        raise AssertionError("the timings started")

    monkeypatch.setattr(speed, "run", no_timing)
    with pytest.raises(SystemExit) as caught:
        speed.main(["--write-docs", "--plot", str(tmp_path / "speed.png")])
    assert caught.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: --write-docs: " in last and str(docs) in last
    if page is not None:
        with pytest.raises(ValueError, match="needs the markers"):
            speed.write_docs("x", docs)
        assert docs.read_text(encoding="utf-8") == page.format(BEGIN=speed.BEGIN, END=speed.END)


def test_the_trainer_is_timed_per_epoch_between_its_callbacks(speed: ModuleType) -> None:
    """Its setup and first epoch are kept apart, and time_methods reads what the run measured."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 1))
    timed = speed.trainer_run(x, y, (5, 4, 1), 16, "numpy", 3)()
    assert isinstance(timed, speed.SelfTimed)
    assert timed.epochs == 3 and timed.wall > 0 and timed.cpu > 0 and timed.first > 0

    fixed = speed.SelfTimed(wall=0.6, cpu=0.3, epochs=3, first=5.0)
    timing = speed.time_methods({"run": (lambda: fixed, 3)}, rounds=2, min_seconds=0.0)
    assert timing.per_epoch["run"] == [pytest.approx(0.2)] * 2
    assert timing.cpu_per_epoch["run"] == [pytest.approx(0.1)] * 2
    assert timing.first_epoch["run"] == [5.0, 5.0]


def test_scikit_learn_is_timed_over_one_fit_of_the_epochs_asked_for(
    speed: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One partial_fit per epoch checked its arguments every epoch (about 7 % of one here); one fit
    of as many epochs pays that once, as a user's run, after a first epoch that is not timed."""
    pytest.importorskip("sklearn")
    built: list[Any] = []
    make = speed.sklearn_estimator
    monkeypatch.setattr(speed, "sklearn_estimator", lambda *a: built.append(make(*a)) or built[-1])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)).astype(np.float32), rng.normal(size=(40, 1)).astype(np.float32)
    timed = speed.sklearn_run(x, y, (5, 4, 1), 16, 3)()
    assert isinstance(timed, speed.SelfTimed)
    assert timed.epochs == 3 and timed.wall > 0 and timed.cpu > 0 and timed.first > 0
    (estimator,) = built
    assert estimator.n_iter_ == 3 and estimator.t_ == 4 * 40  # the first epoch, then the three timed
    assert estimator.coefs_[0].dtype == np.float32


def test_ratios_only_prints_the_target_ratios_of_one_process(
    speed: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    # the file named, as conftest finds it: missing, this fails in CI and skips elsewhere
    assert speed.main(["--ratios-only", "float32", "--quick", "--data", str(shared_airfoil())]) == 0
    ratios = json.loads(capsys.readouterr().out)
    assert set(ratios) == {"glassnet", "Trainer"}
    assert all(0 < ratio < math.inf for ratio in ratios.values())  # timings: only their form is checked


def test_fresh_processes_time_the_ratios_again(speed: ModuleType) -> None:
    """One real child process per dtype; their ratios come back per dtype and loop. (Their values
    are timings, which a busy machine can move anywhere: only their form is checked.)"""
    settings = dataclasses.replace(speed.QUICK, processes=1)
    # the file named: a child process of an installed glassnet has no checkout to find it beside
    found = speed.ratios_in_fresh_processes(settings, quick=True, data=shared_airfoil())
    assert set(found) == {"float32", "float64"}
    for loops in found.values():
        assert set(loops) == {"glassnet", "Trainer"}
        assert all(len(ratios) == 1 and 0 < ratios[0] < math.inf for ratios in loops.values())


def test_ratios_only_takes_no_report_options(speed: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        speed.main(["--ratios-only", "float32", "--write-docs"])
    assert "--ratios-only prints its ratios only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["--json", "/nonexistent/folder/t.json"],
            "--json /nonexistent/folder/t.json: the folder /nonexistent/folder",
        ),
        (
            ["--plot", "/nonexistent/folder/s.png"],
            "--plot /nonexistent/folder/s.png: the folder /nonexistent/folder",
        ),
        (["--json", "."], "--json . is a folder; give a file name"),
        # matplotlib refused these in savefig, after the whole benchmark
        *(
            (
                ["--plot", name],
                f"--plot {name}: the plot is written as PNG, SVG or PDF, by its suffix; {PLOT_NAMES}",
            )
            for name in ("speed.txt", "speed", "speed.png.bak")
        ),
        # a missing data file: a traceback from the first timing
        (["--data", MISSING], missing_data_says(MISSING)),
        (["--ratios-only", "float32", "--data", MISSING], missing_data_says(MISSING)),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_timing(
    speed: ModuleType,
    arguments: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_timing(*_: object) -> None:
        raise AssertionError("the timings started")

    monkeypatch.setattr(speed, "run", no_timing)
    monkeypatch.setattr(speed, "ratios_in_this_process", no_timing)
    with pytest.raises(SystemExit) as caught:
        speed.main(["--quick", *arguments])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert says in captured.err.strip().splitlines()[-1]


def recording_run(monkeypatch: pytest.MonkeyPatch, **output: str) -> list[list[str]]:
    """Replace ``subprocess.run`` by a stand-in that records every command and answers ``output``
    (``stdout``, ``stderr``) with exit status 0; returns the list it records into."""
    commands: list[list[str]] = []

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, **{"stdout": "", "stderr": "", **output})

    monkeypatch.setattr(subprocess, "run", run)
    return commands


def test_the_fresh_processes_read_the_parents_data_file(
    speed: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--data reaches the child processes: they time the file the parent checked, not the usual search's."""
    commands = recording_run(monkeypatch, stdout='{"glassnet": 1.1, "Trainer": 1.2}')
    data = speed.airfoil_file(str(shared_airfoil()))
    assert data.is_absolute()
    found = speed.ratios_in_fresh_processes(
        dataclasses.replace(speed.QUICK, processes=1), quick=True, data=data
    )
    assert found["float64"] == {"glassnet": [1.1], "Trainer": [1.2]}
    assert [command[-5:] for command in commands] == [
        ["--ratios-only", dtype, "--quick", "--data", str(data)] for dtype in ("float32", "float64")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_is_refused_as_data_read_more_than_once(speed: ModuleType, tmp_path: Path) -> None:
    """glassnet reads --data <(…) as a file, once: the check would leave nothing for the timings."""
    pipe = tmp_path / "airfoil.csv"
    os.mkfifo(pipe)  # never opened: the check refuses it first, so nothing waits for a writer
    with pytest.raises(
        ValueError, match=r"airfoil.csv is not a regular file; the benchmark reads it more than once"
    ):
        speed.airfoil_file(str(pipe))


@pytest.mark.parametrize("name", ["speed.png", "speed.svg", "speed.PDF"])
def test_the_plot_formats_the_help_promises_are_taken(speed: ModuleType, name: str, tmp_path: Path) -> None:
    speed.check_plot_file(tmp_path / name)


def test_a_failed_process_is_reported_with_its_error(
    speed: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLASSNET_DATA", "/nonexistent/airfoil.dat")  # the child cannot load the data
    settings = dataclasses.replace(speed.QUICK, processes=1)
    with pytest.raises(RuntimeError, match=r"--ratios-only float32 failed:\n(.|\n)*nonexistent"):
        speed.ratios_in_fresh_processes(settings, quick=True)


def test_process_table_gives_median_range_and_how_often_met(speed: ModuleType) -> None:
    found = {"float32": {"glassnet": [1.26, 1.24, 1.27], "Trainer": [1.2, 1.21, 1.22]}}
    lines = speed.process_table(found)
    assert "3 fresh processes" in lines[0]
    assert "| float32 | glassnet | 1.260 | 1.240–1.270 | 1 of 3 |" in lines
    assert "| float32 | Trainer | 1.210 | 1.200–1.220 | 3 of 3 |" in lines


def test_targets_show_the_floor_ratio_to_three_digits(speed: ModuleType) -> None:
    """1.251 × the floor is a miss, and the table must not print it as 1.25."""
    seconds = {"floor": 1.0, "glassnet": 1.251, "Trainer": 1.2, "torch eager": 10.0, "sklearn": 5.0}
    timing = speed.Timing(
        per_epoch={name: [value] for name, value in seconds.items()},
        cpu_per_epoch={name: [value] for name, value in seconds.items()},
    )
    lines = speed.targets({"float32": timing})
    assert "| float32 | glassnet | 1.251 MISSED (CPU time: 1.251) | 7.99 met" in lines[2]
    assert "| float32 | Trainer | 1.200 met (CPU time: 1.200) | 8.33 met" in lines[3]
    assert lines[2].endswith("| 4.00 met (CPU time: 4.00) |")


def test_targets_never_print_a_miss_as_the_goal(speed: ModuleType) -> None:
    """A ratio that rounds onto its goal gets the digits that show which side it is on."""
    seconds = {"floor": 1.0, "glassnet": 1.2502, "torch eager": 4.9995, "sklearn": 3.74}
    timing = speed.Timing(
        per_epoch={name: [value] for name, value in seconds.items()},
        cpu_per_epoch={name: [value] for name, value in seconds.items()},
    )
    (row,) = speed.targets({"float64": timing})[2:]
    assert row == (
        "| float64 | glassnet | 1.2502 MISSED (CPU time: 1.2502) | 3.999 MISSED (CPU time: 3.999) "
        "| 2.99 MISSED (CPU time: 2.99) |"
    )


@pytest.fixture(scope="module")
def instructions() -> ModuleType:
    return load_benchmark("instructions")


@pytest.mark.parametrize("loop", ["floor", "glassnet"])
def test_instruction_count_runs_the_steps_valgrind_counts(instructions: ModuleType, loop: str) -> None:
    # what each valgrind process runs, here without it (the file named, as conftest finds it)
    instructions.run_steps(loop, "float32", 3, data=shared_airfoil())


def test_instruction_count_says_when_valgrind_is_missing(
    instructions: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(instructions.shutil, "which", lambda _: None)
    with pytest.raises(SystemExit):
        instructions.main([])
    assert "valgrind is not installed" in capsys.readouterr().err


@pytest.mark.parametrize("steps", ["0", "-5"])
def test_instruction_count_refuses_steps_below_one(
    instructions: ModuleType, steps: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before valgrind runs: 0 steps divided by zero after minutes of counting, and a
    negative number printed a count that means nothing."""
    monkeypatch.setattr(instructions.shutil, "which", lambda _: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "count_instructions", lambda loop, dtype, n: 1000 + 7 * n)
    with pytest.raises(SystemExit) as caught:
        instructions.main(["--steps", steps])
    assert caught.value.code == 2
    assert f"--steps must be at least 1, got {steps}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("run", "says"),
    [
        (["flor", "float32", "200"], "--run: the loop must be one of floor, glassnet, got 'flor'"),
        (["floor", "float16", "200"], "--run: the dtype must be one of float32, float64, got 'float16'"),
        (["glassnet", "float32", "2e2"], "--run: the steps must be an integer of at least 1, got '2e2'"),
        (["glassnet", "float32", "-5"], "--run: the steps must be an integer of at least 1, got '-5'"),
        (["floor", "float32", "2", "--data", MISSING], missing_data_says(MISSING)),
    ],
)
def test_instruction_run_refuses_what_it_cannot_run(
    instructions: ModuleType,
    run: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The process valgrind counts: a misspelt loop used to run (and count) glassnet's steps,
    a bad dtype or step count ended in a traceback."""

    def no_steps(*_: object) -> None:
        raise AssertionError("the steps ran")

    monkeypatch.setattr(instructions, "run_steps", no_steps)
    with pytest.raises(SystemExit) as caught:
        instructions.main(["--run", *run])
    assert caught.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(f": error: {says}")


def test_instruction_count_checks_the_data_file_before_valgrind_reads_it(
    instructions: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data is read in the processes valgrind runs: a missing file came back as a RuntimeError
    wrapping valgrind's output. The parent checks it first."""
    monkeypatch.setattr(instructions.shutil, "which", lambda _: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "count_instructions", lambda *_: pytest.fail("valgrind ran"))
    with pytest.raises(SystemExit) as caught:
        instructions.main(["--data", MISSING])
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f": error: {missing_data_says(MISSING)}")


def test_instruction_count_gives_valgrinds_processes_the_checked_file(
    instructions: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = recording_run(monkeypatch, stderr="==1== Collected : 1234\n")
    data = shared_airfoil()
    assert instructions.count_instructions("floor", "float32", 3, data) == 1234
    (command,) = commands
    assert command[-6:] == ["--run", "floor", "float32", "3", "--data", str(data)]


def test_layouts_refuse_a_missing_data_file_before_timing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was a traceback after the product timings, from the first step timing."""
    layouts = load_benchmark("layouts")
    monkeypatch.setattr(layouts, "report", lambda *_: pytest.fail("the timings started"))
    with pytest.raises(SystemExit) as caught:
        layouts.main(["--dtype", "float32", "--data", MISSING])
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f": error: {missing_data_says(MISSING)}")


def test_json_keeps_every_timing(speed: ModuleType) -> None:
    timing = speed.Timing(
        per_epoch={"floor": [0.002, 0.003]},
        cpu_per_epoch={"floor": [0.001, 0.002]},
        first_epoch={"Trainer": [0.005]},
    )
    found = json.loads(json.dumps(speed.to_json({"main": {"float32": timing}, "seconds": 3.0})))
    assert found["seconds"] == 3.0
    assert found["main"]["float32"] == {
        "wall_ms": {"floor": [pytest.approx(2.0), pytest.approx(3.0)]},
        "cpu_ms": {"floor": [pytest.approx(1.0), pytest.approx(2.0)]},
        "first_epoch_ms": {"Trainer": [pytest.approx(5.0)]},
    }


def test_beside_goal_in_significant_digits(speed: ModuleType) -> None:
    assert speed.beside_goal(44.2e6, 30e6, False, 4, kind="g") == "4.42e+07"
    assert speed.beside_goal(29.99996e6, 30e6, False, 4, kind="g") == "2.999996e+07"  # not "3e+07"
    assert speed.beside_goal(4.00002, 4.0, True, 4, kind="g") == "4.00002"  # ms/epoch over the goal


# --- benchmarks/layouts.py: what the floor's layout is worth ------------------------------------


def test_the_layouts_train_the_same_weights() -> None:
    """Every step of the script (row-major, into buffers, transposed, blocks with fresh results,
    the floor), from the same weights on the same batches, gives the same losses step after
    step (float64): they differ in layout, not arithmetic."""
    layouts = load_benchmark("layouts")
    x64, y64 = load_benchmark("speed").load_training_split(data=shared_airfoil())
    batches = [(x64[i : i + 32], y64[i : i + 32].reshape(-1, 1)) for i in range(0, 96, 32)]
    losses = {}
    for name, make in layouts.STEPS.items():
        step = make(layouts.FlatAdam(np.dtype(np.float64), layouts.SIZES))
        losses[name] = [step(x, y) for x, y in batches * 2]
    reference = losses[layouts.FLOOR]
    for name, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=1e-12, err_msg=name)
    assert len(set(reference)) == len(reference)  # the weights moved: six different losses
