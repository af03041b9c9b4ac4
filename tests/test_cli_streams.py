"""The standard streams as users' setups leave them: closed (``2>&-``), unbuffered
(``PYTHONUNBUFFERED=1``, set in many container images) on a disk that fills up, or of an
encoding without glassnet's symbols (a cp1252 console, ``LC_ALL=C``). Found by a review of
glassnet outside a UTF-8 terminal (2026-11-28)."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.cli._output import write_message
from glassnet.explain import explain_exercise, explain_spec
from glassnet.train import TrainConfig, Trainer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = ["--epochs", "2", "--quiet", "--no-plots"]
FILE_LIMIT = 4096  # bytes a command may write to a file (ulimit -f): explain's text is longer


def _glassnet(argv: list[str], stdout: Path, *, unbuffered: bool) -> subprocess.CompletedProcess[str]:
    """``python -m glassnet ARGV > stdout`` with files limited to FILE_LIMIT bytes, as on a disk
    that fills up as it is written."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    with stdout.open("w") as out:
        return subprocess.run(
            [sys.executable, "-m", "glassnet", *argv],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=limit_files,
            timeout=120,
            check=False,
        )


@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
def test_a_standard_output_that_fills_up_is_one_error(tmp_path: Path, unbuffered: bool) -> None:
    """Unbuffered, the text was cut off at the limit with exit status 0 (Python's unbuffered
    stream drops what a short write leaves); buffered, the error line was followed by Python's
    "Exception ignored … OSError" from its flush at exit, and exit status 120."""
    done = _glassnet(
        ["explain", "--example", "exercise", "--no-torch"], tmp_path / "out.txt", unbuffered=unbuffered
    )
    assert (done.returncode, done.stderr) == (2, "glassnet explain: error: standard output: File too large\n")


def test_predictions_to_an_unbuffered_standard_output_that_fills_up_are_an_error(tmp_path: Path) -> None:
    """predict's rows were cut off mid-number (a file of FILE_LIMIT bytes), exit status 0."""
    run = tmp_path / "run"
    assert main(["train", "moons", *QUICK, "--out", str(run)]) == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n" + "0.5,0.25\n" * 500)
    done = _glassnet(["predict", str(run), str(rows)], tmp_path / "out.csv", unbuffered=True)
    assert (done.returncode, done.stderr) == (2, "glassnet predict: error: standard output: File too large\n")


def test_an_unbuffered_standard_output_gets_the_whole_text(tmp_path: Path) -> None:
    """Standard output written whole and unbuffered (_WholeWrites) holds the text as it was, to the byte."""
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "explain", "--example", "exercise", "--no-torch"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=120,
        check=True,
    )
    assert done.stdout == explain_exercise(check_torch=False).to_text()


def test_commands_run_with_standard_error_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``2>&-`` (sys.stderr None) train died in silence, exit status 1 and no run written
    (the progress bar asked None whether it was a terminal), and a user error was exit status 1;
    its message went nowhere, not onto standard output."""
    monkeypatch.setattr(sys, "stderr", None)
    run = tmp_path / "run"
    assert main(["train", "moons", "--epochs", "2", "--no-plots", "--out", str(run)]) == 0
    assert (run / "model.npz").is_file()
    assert main(["predict", str(run), str(tmp_path / "missing.csv")]) == 2
    assert capsys.readouterr().out.endswith(f"run folder: {run}\n")  # train's line alone
    assert sys.stderr is None  # as it was


def test_a_trainer_with_progress_runs_without_standard_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python API under ``pythonw`` (no console: sys.stderr None) raised AttributeError."""
    monkeypatch.setattr(sys, "stderr", None)
    x = np.random.default_rng(0).normal(size=(20, 2))
    result = Trainer(TrainConfig(hidden=(3,), epochs=2), x, x[:, 0], progress=True).run()
    assert result.status == "completed"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (
            "L = log(1 + exp((1 − 2y)ŷ)) ≈ 6, η = 0.1, w₁₂ʰ, y ∈ {0, 1}, R² 0.98, Wᵀx → z",
            "ascii",
            "L = log(1 + exp((1 - 2y)y^)) ~= 6, eta = 0.1, w12h, y in {0, 1}, R^2 0.98, W^T x -> z",
        ),
        ("∂L/∂w = 3σ(6) × 1 ≤ Σ", "cp1252", "dL/dw = 3sigma(6) × 1 <= sum"),  # cp1252 has ×
        ("résumé/Δ", "ascii", "r?sum?/Delta"),  # a letter is no symbol: é is not e in a file's name
        # a word spelled before a letter stays a word (it read "etadL/dw12h"); ½ is "1/2"
        ("w₁₂ʰ ← w₁₂ʰ − η∂L/∂w₁₂ʰ, above ½", "ascii", "w12h <- w12h - eta dL/dw12h, above 1/2"),
    ],
    ids=["exercise", "cp1252", "letters", "words"],
)
def test_a_message_spells_the_symbols_its_output_lacks(text: str, encoding: str, expected: str) -> None:
    """The demo's worked solution read "(1 ? 2y)?" on such an output, − and ŷ alike."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding=encoding)
    write_message(text, stream)
    stream.flush()
    assert written.getvalue().decode(encoding) == expected


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_explain_writes_json_on_an_output_without_its_symbols(
    encoding: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON was refused there ("cannot write '\\u03b7'"), where its escapes say the same data."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding=encoding)
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["explain", "--example", "exercise", "--no-torch", "--format", "json"]) == 0
    stream.flush()
    text = written.getvalue().decode("ascii")
    assert "\\u03b7" in text
    assert json.loads(text) == json.loads(explain_exercise(check_torch=False).to_json())
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_a_spec_in_another_unicode_encoding_is_read(encoding: str, tmp_path: Path) -> None:
    """Notepad's "Unicode" (UTF-16) gave "not UTF-8 text: 'utf-8' codec can't decode byte 0xff";
    json.loads tells these encodings apart, as it does for bytes."""
    spec = EXAMPLES / "exercise.json"
    copy = tmp_path / "spec.json"
    copy.write_bytes(spec.read_text(encoding="utf-8").encode(encoding))
    assert explain_spec(copy, check_torch=False).to_text() == explain_spec(spec, check_torch=False).to_text()


def _bad_name(folder: Path, name: str) -> Path:
    return folder / os.fsdecode(b"bad\xff" + name.encode())  # not UTF-8: no printed line gives it back


def test_predict_and_evaluate_name_a_file_their_output_cannot_print_by_its_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "wrote 1 prediction(s) to bad\\udcffout.csv", a name no file has, and evaluate's table
    began with it too: named as train's run folder is, b'…bad\\xffout.csv'."""
    run = _bad_name(tmp_path, "run")
    assert main(["train", "moons", *QUICK, "--out", str(run)]) == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n0.5,0.25\n")
    out = _bad_name(tmp_path, "out.csv")
    capsys.readouterr()
    assert main(["predict", str(run), str(rows), "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"wrote 1 prediction(s) to {os.fsencode(out)!r}\n"
    assert main(["evaluate", str(run)]) == 0
    assert capsys.readouterr().out.startswith(f"{os.fsencode(run / 'model.npz')!r}: moons model ")


def test_a_message_to_a_stream_that_escapes_what_it_lacks_is_spelled_too() -> None:
    """Standard error escapes what its encoding lacks (errors="backslashreplace"), so nothing
    raised and the spelling never ran: "give one \\u03c3 for all of them" (a later review)."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="ascii", errors="backslashreplace")
    write_message("give one σ for all of them; résumé.csv\n", stream)
    stream.flush()
    # a letter is left to the stream's escape, which names the file ("?" for é would not)
    assert written.getvalue() == b"give one sigma for all of them; r\\xe9sum\\xe9.csv\n"


def test_a_reader_that_left_leaves_standard_output_as_it_was_for_the_next_call() -> None:
    """After a broken pipe, fd 1 was pointed at /dev/null for good (and a descriptor leaked):
    nothing is held back to flush now (a review of the last fixes)."""
    script = (
        "import os, sys\n"
        "from glassnet.cli import main\n"
        "import glassnet.cli._explain\n"
        "read, write = os.pipe()\n"
        "os.close(read)\n"
        "os.dup2(write, 1)\n"
        "os.close(write)\n"
        "before = len(os.listdir('/proc/self/fd'))\n"
        "status = main(['explain', '--example', 'exercise', '--no-torch'])\n"
        "after = len(os.listdir('/proc/self/fd'))\n"
        'sys.stderr.write(f\'{status} {os.readlink(chr(47).join(["", "proc", "self", "fd", "1"]))[:5]} {after - before}\\n\')\n'
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stderr.splitlines()[-1] == "141 pipe: 0"


@pytest.mark.parametrize("errors", ["surrogateescape", "ignore", "replace"])
def test_a_message_to_a_stream_that_does_not_escape_names_a_letter_it_lacks_with_a_mark(errors: str) -> None:
    """An ASCII standard output under LC_ALL=C (errors="surrogateescape") took the letter as
    escaped and failed on it ("cannot write '\\xe9'", exit 2, for evaluate's table); "ignore"
    dropped it ("rsum"): a "?" stands for it, as on a strict stream."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="ascii", errors=errors)
    write_message("résumé: R² 0.98\n", stream)
    stream.flush()
    assert written.getvalue() == b"r?sum?: R^2 0.98\n"


def test_help_on_a_full_disk_is_one_error(tmp_path: Path) -> None:
    """`glassnet --help > /dev/full` printed Python's "Exception ignored … OSError", exit 120,
    and with PYTHONUNBUFFERED=1 nothing, exit 0 (the parser's output came before the streams
    were made whole)."""
    for unbuffered in (False, True):
        done = _glassnet(["--help"], Path("/dev/full"), unbuffered=unbuffered)
        assert (done.returncode, done.stderr) == (
            2,
            "glassnet: error: standard output: No space left on device\n",
        )


def test_a_failed_write_leaves_standard_output_as_it_was_for_the_next_call(tmp_path: Path) -> None:
    """After a write that failed, standard output's file was pointed at /dev/null for good (and a
    descriptor leaked): a second main() in the process, and the caller's own print, wrote nothing."""
    out = tmp_path / "out.txt"
    script = (
        "import os, resource, sys\n"
        "from glassnet.cli import main\n"
        "import glassnet.cli._explain\n"
        "before = len(os.listdir('/proc/self/fd'))\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_LIMIT}, resource.RLIM_INFINITY))\n"
        "first = main(['explain', '--example', 'exercise', '--no-torch'])\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
        "second = main(['explain', '--example', 'exercise', '--no-torch'])\n"
        "print('done'); sys.stdout.flush()\n"
        "sys.stderr.write(f'{first} {second} {len(os.listdir(chr(47) + \"proc/self/fd\")) - before}\\n')\n"
    )
    with out.open("w") as handle:
        done = subprocess.run(
            [sys.executable, "-c", script],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.stderr.splitlines()[-1] == "2 0 0"  # exit statuses, descriptors gained
    text = explain_exercise(check_torch=False).to_text()
    assert out.read_bytes() == text.encode()[:FILE_LIMIT] + text.encode() + b"done\n"


def test_a_text_stream_of_a_callers_own_is_written_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any stream over a raw writer was rewrapped to write to its file descriptor: one without
    a descriptor failed with "error: fileno", exit 2, and a raw writer's own write was skipped."""

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            super().__init__()
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self.data += bytes(data)
            return len(data)

    sink = Sink()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sink, encoding="utf-8", write_through=True))
    assert main(["explain", "--example", "exercise", "--no-torch"]) == 0
    assert sink.data.decode() == explain_exercise(check_torch=False).to_text()
