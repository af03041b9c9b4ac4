"""The command line: in-process through main(argv), plus one real subprocess."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import locked_by_another_thread, shared_airfoil
from glassnet.cli import _subcommand_parsers, build_parser, main


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._subparsers._group_actions)  # type: ignore[union-attr]
    return sorted(action.choices)  # type: ignore[arg-type]


def test_demo_prints_the_exercise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shared copy, named: not whatever GLASSNET_DATA or the cache hold (and a loud failure in CI)
    monkeypatch.setenv("GLASSNET_DATA", str(shared_airfoil()))
    folder = tmp_path / "demo"
    assert main(["demo", "--out", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "ŷ = 2" in out
    assert "6.002476" in out
    assert "0.100742" in out
    assert f"plots and metrics in {folder}: " in out
    assert (folder / "metrics.json").is_file()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("frequency,angle\n800,3\n", "Airfoil self-noise: the data file cannot be used: "),
        ("800\t3\t0.3048\t71.3\t0.00266337\t126.201\n", "Airfoil self-noise: cannot train on "),
    ],
    ids=["malformed", "one row"],
)
def test_demo_goes_on_without_an_unusable_airfoil_file(
    content: str,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "airfoil.dat"
    data.write_text(content)
    monkeypatch.setenv("GLASSNET_DATA", str(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a file that differs from the published data set
        assert main(["demo", "--out", str(tmp_path / "demo" / "a" / "b")]) == 0
    out = capsys.readouterr().out
    assert "0.100742" in out and "test accuracy: glassnet" in out  # the sections before it
    (last,) = [line for line in out.splitlines() if line.startswith("Airfoil self-noise")]
    assert last.startswith(says)
    assert not (tmp_path / "demo").exists()  # nor the parents it made (they stayed, empty)


def test_demo_refuses_an_out_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"demo --out must be a new or empty folder, got {tmp_path}" in captured.err
    assert captured.err.count("\n") == 1


def test_demo_refuses_an_out_folder_in_use_before_the_tour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out is locked as train locks its run folder: a folder another run holds (or one the demo
    cannot write into) fails at once, not after the tour has run for a minute."""
    folder = tmp_path / "demo"
    with locked_by_another_thread(folder):
        assert main(["demo", "--out", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{folder} is in use by another thread of this process" in captured.err
    assert list(folder.iterdir()) == []


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
    """`--option=--` is refused as `--option --` is, in one line with exit status 2, whether argparse
    reads it as an empty list (up to Python 3.12) or as the value "--" (3.13), for a single-value
    option and an append one (--param)."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'--'" in err and "Traceback" not in err and err.count("\n") == 1


def test_every_single_value_option_refuses_double_dash(capsys: pytest.CaptureFixture[str]) -> None:
    """The same for every option of every command that takes one value, so that no option takes
    "--" as a file name. Only parsed, never run: an accepted option must not start its command."""
    parser = build_parser()
    accepted = []
    for command in _subcommand_parsers(parser):
        if command._subparsers is not None:  # `train`: its commands (`train moons`) have the options
            continue
        words = command.prog.split()[1:]  # "glassnet train moons" -> ["train", "moons"]
        positionals = [  # a valid value for each, so that only the option can be at fault
            str(next(iter(action.choices))) if action.choices else "x"
            for action in command._actions
            if not action.option_strings
        ]
        for action in command._actions:
            if not action.option_strings or action.nargs is not None:
                continue
            option = action.option_strings[-1]  # the long form
            try:
                parser.parse_args([*words, *positionals, f"{option}=--"])
            except SystemExit as stop:
                err = capsys.readouterr().err
                assert stop.code == 2 and "'--'" in err and err.count("\n") == 1, err
            else:
                accepted.append(f"{' '.join(words)} {option}")
    assert accepted == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("glassnet ")


def test_real_subprocess_runs_the_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0.100742" in result.stdout


def test_a_reader_that_leaves_early_is_not_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`glassnet data info | head -1`: the pipe closes under the command, which ends quietly."""
    from glassnet.cli import _data

    def closed_pipe(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(_data, "handle_info", closed_pipe)
    assert main(["data", "info"]) == 141
    assert capsys.readouterr().err == ""


def test_predict_to_a_reader_that_left_is_reported_as_the_others_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`glassnet predict MODEL ROWS | head -1`: predict writes its rows in one piece, which a
    pipe may take whole; the flush that finds the reader gone comes inside the command (exit
    141, as for the others), not at the interpreter's exit, where it went unreported (exit 0)."""
    run, rows = tmp_path / "run", tmp_path / "rows.csv"
    assert main(["train", "moons", "--epochs", "2", "--no-plots", "--quiet", "--out", str(run)]) == 0
    rows.write_text("0.5,0.2\n")
    capsys.readouterr()

    class LeftPipe(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", LeftPipe())
    assert main(["predict", str(run), str(rows)]) == 141
    assert capsys.readouterr().err == ""
