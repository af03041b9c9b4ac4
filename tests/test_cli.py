"""The command line: in-process through main(argv), plus one real subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from glassnet.cli import build_parser, main


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._subparsers._group_actions)  # type: ignore[union-attr]
    return sorted(action.choices)  # type: ignore[arg-type]


def test_demo_prints_the_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "ŷ = 2" in out
    assert "6.002476" in out
    assert "0.100742" in out


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert "usage: glassnet" in capsys.readouterr().out


def test_usage_mistake_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "airfoil", "--hidden=--"],
        ["train", "moons", "--lr=--"],
        ["explain", "--example=--"],
        ["explain", "--example", "exercise", "--param", "w12h", "--param=--"],
        ["predict", "model.npz", "in.csv", "--output=--"],
    ],
)
def test_an_option_given_double_dash_is_a_usage_mistake(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse before 3.12 reads "--option=--" as an empty list (no value at all): one line, exit 2."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'--'" in err and "Traceback" not in err and err.count("\n") == 1


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("glassnet ")


def test_real_subprocess_runs_the_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "demo"], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "0.100742" in result.stdout
