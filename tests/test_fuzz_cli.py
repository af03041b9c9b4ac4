"""Fuzzing the command line: odd values for every numeric option end in a run or one error line.

Every numeric option of ``train`` (airfoil and moons), ``explain``, ``data fetch`` (and the
file arguments of ``predict``/``evaluate``) gets negative, zero, huge, NaN/inf, fractional
and non-numeric values. The outcome must be exit status 2 with exactly one line on
stderr, or a valid configuration. For ``train`` the configuration is caught where the
training would start (the training itself is tested elsewhere), so an accepted
``--epochs 10000000`` costs nothing here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import glassnet.cli._train as train_cli
from glassnet.cli import main
from glassnet.train import TrainConfig

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

NUMBERS = st.one_of(
    st.sampled_from(
        [
            "-1",
            "0",
            "-0",
            "1",
            "2",
            "0.5",
            "1e400",
            "-1e400",
            "1e-400",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "99999999999999999999999999",
            "1e308",
            "4294967296",
            "1.5",
            "abc",
            "",
            " ",
            "0x10",
            "1_000",
            "+3",
            "٣",  # an Arabic-Indic digit: int() reads it as 3
            "1,2",
            "1e3",
            "--",
            "-",
            "\t7\n",
        ]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(repr),
    st.text(max_size=8),
)

TRAIN_OPTIONS = [f"--{name.replace('_', '-')}" for name in train_cli.PARSED_OPTIONS] + [
    "--test-fraction",
    "--val-fraction",
]
MOONS_OPTIONS = [*TRAIN_OPTIONS, "--samples", "--noise"]


class Reached(Exception):
    """Raised where training would start: every check of the command line has passed."""


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[TrainConfig]:
    seen: list[TrainConfig] = []

    def stop(*args: Any, **kwargs: Any) -> None:
        config = args[1] if len(args) > 1 else args[0]
        assert isinstance(config, TrainConfig)
        seen.append(config)
        raise Reached

    monkeypatch.setattr(train_cli, "train_airfoil", stop)
    monkeypatch.setattr(train_cli, "train_moons", stop)
    return seen


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """ "accepted" or "refused" (exit 2, one line); anything else fails the test."""
    try:
        status = main(argv)
    except Reached:
        capsys.readouterr()
        return "accepted"
    err = capsys.readouterr().err
    assert status in (0, 2), (argv, status, err)
    if status == 0:
        return "accepted"
    assert err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert ": error: " in err, err
    return "refused"


@FUZZ
@given(task=st.sampled_from(["airfoil", "moons"]), data=st.data(), value=NUMBERS)
def test_train_options(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_training: list[TrainConfig],
    task: str,
    data: st.DataObject,
    value: str,
) -> None:
    option = data.draw(st.sampled_from(MOONS_OPTIONS if task == "moons" else TRAIN_OPTIONS))
    out = tmp_path / "run"
    argv = ["train", task, f"{option}={value}", "--out", str(out), "--force", "--quiet"]
    result = run_cli(argv, capsys)
    event(f"{result}")
    if result == "refused":
        assert not (out / "model.npz").exists()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(option=st.sampled_from(["--steps", "--digits"]), value=NUMBERS)
def test_explain_options(capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    event(run_cli(["explain", "--example", "exercise", "--no-torch", f"{option}={value}"], capsys))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(value=NUMBERS)
def test_data_fetch_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    """Accepted timeouts go on to fetch from a file URL that does not exist: one error line either way."""
    missing = (tmp_path / "absent.zip").as_uri()
    argv = [
        "data",
        "fetch",
        "airfoil",
        "--quiet",
        "--url",
        missing,
        "--dest",
        str(tmp_path),
        f"--timeout={value}",
    ]
    assert run_cli(argv, capsys) == "refused"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
@given(
    command=st.sampled_from(["evaluate", "predict"]),
    model=st.sampled_from(["", ".", "/", "/dev/null", "-1", "nan", "\x7f", "a" * 300, "../../.."]),
)
def test_model_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, model: str
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2,3,4,5\n")
    argv = [command, model] + ([str(rows)] if command == "predict" else [])
    assert run_cli(argv, capsys) == "refused"


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "moons", "--epochs", "-5"],
        ["train", "airfoil", "--lr", "nan"],
        ["train", "moons", "--samples", "1e400"],
        ["train", "airfoil", "--batch-size", "abc"],
        ["train", "airfoil", "--hidden", "99999999999999999999"],
        ["train", "moons", "--epochs"],
        ["explain", "--example", "exercise", "--steps", "1000000000000"],
        ["explain", "--example", "exercise", "--digits", "0"],
        ["data", "fetch", "airfoil", "--timeout", "inf"],
        ["evaluate", "/nonexistent/model.npz"],
    ],
)
def test_subprocess_one_line(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "runs").exists()
