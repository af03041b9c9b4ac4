"""Fuzzing the data readers: random and mutated bytes end in a Dataset or a DataFormatError.

Never another exception, never a hang, never a traceback at the CLI. The seed texts are
small valid tables written here (no copy of the airfoil data).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet.cli import main
from glassnet.data import DataFormatError, DataWarning, load_airfoil, read_feature_rows

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)

ROWS = [
    [800, 0, 0.3048, 71.3, 0.00266337, 126.201],
    [1000, 0, 0.3048, 71.3, 0.00266337, 125.201],
    [1250, 1.5, 0.2286, 39.6, 0.00529514, 127.591],
    [1600, 4.8, 0.0254, 55.5, 0.000725987, 128.091],
]
HEADER = "Freq,AOA,Chord,Velocity,Displacement,Target(dB)"


def valid_text(separator: str = ",", header: bool = True) -> str:
    lines = [HEADER.replace(",", separator)] if header else []
    lines += [separator.join(repr(float(v)) for v in row) for row in ROWS]
    return "\n".join(lines) + "\n"


def load_quietly(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # a small table differs from the published one
        dataset = load_airfoil(path)
    assert dataset.X.shape[1] == 5 and np.isfinite(dataset.X).all() and np.isfinite(dataset.y).all()


MUTATIONS = st.sampled_from(
    [
        "truncate",
        "extra_column",
        "drop_column",
        "text_field",
        "nan",
        "inf",
        "huge",
        "empty_field",
        "crlf",
        "bom",
        "utf16",
        "latin1",
        "blank_lines",
        "delete_line",
        "comma_decimal",
    ]
)


def mutate(text: str, mutation: str, line: int, data: st.DataObject) -> bytes:
    lines = text.splitlines()
    index = 1 + line % (len(lines) - 1)  # a data line
    fields = lines[index].split(",")
    if mutation == "truncate":
        return text[: data.draw(st.integers(0, len(text)))].encode()
    if mutation == "extra_column":
        fields.append("1.0")
    elif mutation == "drop_column":
        fields.pop()
    elif mutation == "text_field":
        fields[line % len(fields)] = data.draw(st.text(min_size=1, max_size=8).filter(lambda s: "," not in s))
    elif mutation == "nan":
        fields[line % len(fields)] = "nan"
    elif mutation == "inf":
        fields[line % len(fields)] = "-inf"
    elif mutation == "huge":
        fields[line % len(fields)] = "1e400"
    elif mutation == "empty_field":
        fields[line % len(fields)] = ""
    elif mutation == "comma_decimal":
        fields[line % len(fields)] = "0,5"
    elif mutation == "crlf":
        return text.replace("\n", "\r\n").encode()
    elif mutation == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif mutation == "utf16":
        return text.encode("utf-16")
    elif mutation == "latin1":
        return text.replace("Freq", "Fréq").encode("latin-1")
    elif mutation == "blank_lines":
        return text.replace("\n", "\n\n").encode()
    elif mutation == "delete_line":
        del lines[index]
        return ("\n".join(lines) + "\n").encode()
    lines[index] = ",".join(fields)
    return ("\n".join(lines) + "\n").encode()


@FUZZ
@given(data=st.data(), mutation=MUTATIONS, line=st.integers(0, 100))
def test_mutated_tables_load_or_fail_clearly(
    tmp_path: Path, data: st.DataObject, mutation: str, line: int
) -> None:
    path = tmp_path / "mutated.csv"
    path.write_bytes(mutate(valid_text(), mutation, line, data))
    try:
        load_quietly(path)
    except DataFormatError as error:
        assert str(path) in str(error)
        assert "\n" not in str(error)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_load_or_fail_clearly(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "random.dat"
    path.write_bytes(raw)
    try:
        load_quietly(path)
    except DataFormatError as error:
        assert str(path) in str(error)


@FUZZ
@given(text=st.text(alphabet="0123456789.,;\t eE+-naif\n#", max_size=300))
def test_random_number_like_text_for_prediction(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    try:
        rows = read_feature_rows(path)
    except DataFormatError as error:
        assert str(path) in str(error)
    else:
        assert rows.ndim == 2 and rows.shape[1] == 5 and np.isfinite(rows).all()


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("header", [True, False])
def test_seed_tables_are_valid(tmp_path: Path, separator: str, header: bool) -> None:
    path = tmp_path / "seed.csv"
    path.write_text(valid_text(separator, header))
    load_quietly(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
@given(data=st.data(), mutation=MUTATIONS, line=st.integers(0, 100))
def test_cli_never_shows_a_traceback_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject, mutation: str, line: int
) -> None:
    path = tmp_path / "cli.csv"
    path.write_bytes(mutate(valid_text(), mutation, line, data))
    status = main(["data", "info", "--data", str(path)])
    err = capsys.readouterr().err
    assert status in (0, 2)
    assert "Traceback" not in err
    if status == 2:
        assert err.count("\n") == 1, err


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x01\x02", b"a,b,c\n1,2,3\n", "ü;ß\n".encode("utf-16"), b"1,2,3,4,5,x\n"]
)
def test_cli_subprocess_reports_bad_files_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "data", "info", "--data", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr
