"""Reading the airfoil data: every accepted format, every rejected one, where the file is found."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
import glassnet.data._table as table_module
from conftest import SHARED_AIRFOIL, shared_airfoil
from glassnet.cli import main
from glassnet.data import (
    AIRFOIL_MEANS,
    DATA_ENV_VAR,
    FEATURE_NAMES,
    FEATURE_UNITS,
    DataFormatError,
    Dataset,
    DataWarning,
    _airfoil,
    cache_dir,
    compare_with_published,
    find_airfoil,
    load_airfoil,
    read_feature_rows,
)
from glassnet.data._airfoil import COLUMN_ALIASES, COLUMN_NAMES
from glassnet.data._airfoil import source_checkout_data_dir as REAL_SOURCE_CHECKOUT_DATA_DIR
from glassnet.data._table import header_name, parse_table

SHARED = SHARED_AIRFOIL
README_MEANS = [
    2886.38,
    6.7823,
    0.136548,
    50.8607,
    0.0111399,
    124.836,
]  # /work/shared/data/README.md, rounded


@pytest.fixture(scope="module")
def shared() -> Path:
    return shared_airfoil()


@pytest.fixture(scope="module")
def reference(shared: Path) -> np.ndarray:
    return np.loadtxt(shared, delimiter=",", skiprows=1)  # (1503, 6), numpy's own reader as the oracle


@pytest.fixture(autouse=True)
def _isolated_lookup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the user's environment variable or cache."""
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def _rows(reference: np.ndarray) -> list[list[str]]:
    return [[f"{v:g}" if v != int(v) else str(int(v)) for v in row] for row in reference]


def _zipped(members: dict[str, str], method: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


# --- accepted formats --------------------------------------------------------------------------------

FORMATS = {
    # name: (file name, separator, header, line end, BOM)
    "uci-dat-tab-no-header": ("airfoil_self_noise.dat", "\t", None, "\n", False),
    "csv-header": ("a.csv", ",", "Freq,AOA,Chord,Velocity,Displacement,Target(dB)", "\n", False),
    "csv-no-header": ("a.csv", ",", None, "\n", False),
    "csv-any-header-names": ("a.csv", ",", "f, a, c, v, d, spl", "\n", False),
    # names that begin with digits or signs are names: a letter, not a separator, follows the digits
    "header-names-with-digits": ("a.csv", ",", "1st_f,2theta,3D_c,10m_v,.d,-spl", "\n", False),
    "header-names-of-words-after-a-number": (
        "a.csv",
        ",",
        "1 frequency,2 angle of attack,3 chord length,4 velocity,5 thickness,6 sound level",
        "\n",
        False,
    ),
    "semicolon-header": ("a.csv", ";", "f;a;c;v;d;spl", "\n", False),
    "tab-header": ("a.tsv", "\t", "f\ta\tc\tv\td\tspl", "\n", False),
    "crlf": ("a.csv", ",", "f,a,c,v,d,spl", "\r\n", False),
    "cr-only": ("a.csv", ",", None, "\r", False),
    "bom": ("a.csv", ",", "Freq,AOA,Chord,Velocity,Displacement,Target(dB)", "\r\n", True),
    "spaces": ("a.txt", " ", None, "\n", False),
    # R's write.table: quoted names, which may hold the separator, a space (a line split at every
    # space before this change)
    "spaces-quoted-header": (
        "a.txt",
        " ",
        '"Frequency Hz" "Angle of attack"  "Chord length" "Velocity" "Thickness" "Sound level"',
        "\n",
        False,
    ),
    "comma-space": ("a.csv", ", ", "f, a, c, v, d, spl", "\n", False),
}


@pytest.mark.filterwarnings("error::glassnet.data.DataWarning")
@pytest.mark.parametrize("fmt", FORMATS)
def test_accepted_formats_load_the_same_numbers(fmt: str, reference: np.ndarray, tmp_path: Path) -> None:
    name, separator, header, newline, bom = FORMATS[fmt]
    lines = ([header] if header else []) + [separator.join(row) for row in _rows(reference)]
    path = _write(tmp_path / name, newline.join(lines) + newline, bom=bom)
    data = load_airfoil(path)
    assert data.X.shape == (1503, 5) and data.y.shape == (1503,)
    np.testing.assert_array_equal(data.X, reference[:, :5])
    np.testing.assert_array_equal(data.y, reference[:, 5])


@pytest.mark.filterwarnings("error::glassnet.data.DataWarning")
def test_blank_lines_comments_and_no_final_newline(reference: np.ndarray, tmp_path: Path) -> None:
    rows = [",".join(row) for row in _rows(reference)]
    text = (
        "# airfoil self-noise\n\nf,a,c,v,d,spl\n" + "\n".join(rows[:700]) + "\n\n  \n" + "\n".join(rows[700:])
    )
    data = load_airfoil(_write(tmp_path / "a.csv", text))
    np.testing.assert_array_equal(data.y, reference[:, 5])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=6, max_size=6),
        min_size=1,
        max_size=20,
    )
)
def test_every_finite_float_round_trips_exactly(rows: list[list[float]]) -> None:
    """The reader gives back every finite float64 exactly (airfoil's own checks, such as
    positive magnitudes, come after it: tested with the rejected files)."""
    text = "\n".join(",".join(repr(v) for v in row) for row in rows)
    np.testing.assert_array_equal(
        parse_table(text, source="memory", column_names=COLUMN_NAMES).values, np.array(rows)
    )


# The one-pass reading of plain files (_plain_table) and the line-by-line one (_parse_lines)


def _same_table(first: Any, second: Any) -> None:
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_array_equal(first.lines, second.lines)
    assert (first.header, first.header_line) == (second.header, second.header_line)


def _both_readings(text: str, n_columns: int) -> tuple[Any, Any]:
    """(the one-pass table or None, the line-by-line table or None where it raises)."""
    try:
        lines = table_module._parse_lines(
            text, source="memory", column_names=[f"c{i}" for i in range(n_columns)]
        )
    except DataFormatError:
        lines = None
    return table_module._plain_table(text, n_columns), lines


_PLAIN_FIELD = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.3e}"),
    st.floats(-1e6, 1e6).map(lambda v: f"{v:+.4f}"),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from([".5", "5.", "-.5e-3", "1E+05", "0", "00.00"]),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(_PLAIN_FIELD, min_size=3, max_size=3), min_size=1, max_size=12),
    separator=st.sampled_from([",", ";", "\t", " ", ", ", " , "]),
    header=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    trailing=st.sampled_from(["", "\n", "\n\n  \n"]),
)
def test_a_plain_file_is_read_in_one_pass_to_the_table_read_line_by_line(
    rows: list[list[str]], separator: str, header: bool, line_end: str, trailing: str
) -> None:
    """Either both read it, to the same table, or neither (a field that overflows, 1.798e+308)."""
    lines = (["a,b,c".replace(",", separator)] if header else []) + [separator.join(row) for row in rows]
    plain, by_line = _both_readings(line_end.join(lines) + trailing, 3)
    assert (plain is None) == (by_line is None)
    if plain is not None:
        _same_table(plain, by_line)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789+-.eE ", min_size=1, max_size=7), st.sampled_from([",", ";", "\t"]))
def test_the_one_pass_reading_takes_exactly_the_fields_the_line_by_line_reading_takes(
    field: str, separator: str
) -> None:
    """np.loadtxt, of the characters the one-pass reading lets through, takes exactly the
    numbers _NUMBER takes, to the same floats; a field it takes that is not finite (1e999) is
    left to the line-by-line reading, which names it."""
    plain, by_line = _both_readings(f"{field}{separator}1\n2{separator}3\n", 2)
    assert (plain is None) == (by_line is None)
    if plain is not None:
        _same_table(plain, by_line)


@pytest.mark.parametrize(
    "text",
    [
        "1\t2\t\n",  # a tab at the end of the last row: an empty third field
        "1\t2\t\n3\t4\t\n",
        "1\t2\n3\t4\t\n",
        "\ta\tb\n1\t2\n",  # a header of three fields, the first empty
        "a\tb\t\n1\t2\n",
        "a\tb\n1\t2\n\t\n",  # a last line of one tab: blank, as the line-by-line reading skips it
        " a\tb \n1\t2 \n",  # spaces around the fields are no fields
    ],
)
def test_tabs_at_the_ends_of_lines_are_read_in_one_pass_as_line_by_line(text: str) -> None:
    """The one-pass reading stripped tabs off the header's ends and the last row's end, which
    the line-by-line reading keeps as the ends of empty fields: a file was taken or refused by
    which of the two read it."""
    plain, by_line = _both_readings(text, 2)
    if plain is not None:
        assert by_line is not None
        _same_table(plain, by_line)
    with pytest.raises(DataFormatError) if by_line is None else contextlib.nullcontext():
        parse_table(text, source="memory", column_names=["a", "b"])


@pytest.mark.parametrize(
    "text",
    [
        "1,2\n\n3,4\n",  # a blank line inside: loadtxt would skip it, and the line numbers shift
        "1,2\n  \n3,4\n",
        "# a comment\n1,2\n",
        "1,2\n# a comment\n",
        '"1","2"\n',
        "1,nan\n",
        "1,1e999\n",
        "1,٨\n",  # a digit of another script, which float() reads
        "a,b,c\n1,2\n",
        "a,b\n",  # only a header
        "1,2\n3\n",
        "\n1,2\n",
        "1\xa02,3\n",
    ],
    ids=[
        "blank-line", "spaces-line", "comment-first", "comment-later", "quotes", "nan", "overflow",
        "arabic-digit", "header-of-three", "header-only", "short-row", "blank-first", "no-break-space",
    ],
)  # fmt: skip
def test_any_other_text_is_read_line_by_line(text: str) -> None:
    assert table_module._plain_table(text, 2) is None


def test_a_blank_line_inside_keeps_the_line_numbers_of_the_rows_after_it() -> None:
    table = parse_table("1,2\n\n3,4\n5,6\n", source="memory", column_names=["a", "b"])
    assert table.lines.tolist() == [1, 3, 4]


# --- rejected files ----------------------------------------------------------------------------------

GOOD = "800,0,0.3048,71.3,0.00266337,126.201\n"
REJECTED = {
    "wrong-column-count": (
        GOOD + "1,2,3,4,5\n",
        r"line 2: expected 6 columns \(frequency, .*\) separated by commas, got 5",
    ),
    "seven-columns": ("1\t2\t3\t4\t5\t6\t7\n", r"line 1: expected 6 columns .* separated by tabs, got 7"),
    "header-width": ("a,b,c\n1,2,3\n", r"line 1: the header has 3 columns separated by commas, expected 6"),
    "text-in-number": (
        GOOD + "1,2,abc,4,5,6\n",
        r"line 2, column 3 \(chord_length\): expected a number, got 'abc'",
    ),
    "header-like-line-later": (
        GOOD + "f,a,c,v,d,spl\n",
        r"line 2, column 1 \(frequency\): expected a number, got 'f'",
    ),
    "mixed-first-line": (
        "Freq,0,1,2,3,4\n",
        r"line 1, column 1 \(frequency\): expected a number, got 'Freq'",
    ),
    "empty-field": ("1,2,,4,5,6\n", r"line 1, column 3 \(chord_length\): the field is empty"),
    # "got 5 fields", it said: the line was stripped of its first tab with the spaces
    "tab-empty-first-field": (
        "1\t2\t3\t4\t5\t6\n\t2\t3\t4\t5\t6\n",
        r"line 2, column 1 \(frequency\): the field is empty",
    ),
    "tab-empty-last-field": (
        "1\t2\t3\t4\t5\t6\n1\t2\t3\t4\t5\t\n",
        r"line 2, column 6 \(sound_pressure_level\): the field is empty",
    ),
    "nan": (GOOD + "1,2,3,nan,5,6\n", r"line 2, column 4 \(velocity\): 'nan' is not finite"),
    "inf": ("1,2,3,4,-inf,6\n", r"line 1, column 5 \(displacement_thickness\): '-inf' is not finite"),
    "overflow": ("1,2,3,4,5,1e999\n", r"line 1, column 6 \(sound_pressure_level\): '1e999' overflows"),
    "underscore": ("1_000,2,3,4,5,6\n", r"line 1, column 1 \(frequency\): expected a number, got '1_000'"),
    "decimal-comma": ("800;0;0,3048;71.3;0.002;126\n", r"line 1, column 3 .*write decimals with a point"),
    # a first line of numbers that do not parse is a row, not a header silently dropped
    "decimal-comma-first-line": (  # no field a number as written: read as a header until this change
        "800,5;0,5;0,3048;71,3;0,002;126,2\n" + GOOD.replace(",", ";"),
        r"line 1, column 1 \(frequency\): expected a number, got '800,5'; write decimals with a point, "
        r"not a comma$",
    ),
    "units-first-line": (
        "800 Hz,0 deg,0.3048 m,71.3 m/s,0.002 m,126 dB\n" + GOOD,
        r"line 1, column 1 \(frequency\): expected a number, got '800 Hz'$",
    ),
    "empty-first-line": (",,,,,\n" + GOOD, r"line 1, column 1 \(frequency\): the field is empty"),
    "digits-grouped-by-spaces-first-line": (
        "1 000;0;0,3;71,3;0,002;126\n" + GOOD.replace(",", ";"),
        r"line 1, column 1 \(frequency\): expected a number, got '1 000'",
    ),
    "thousands": (
        '"1,000",0,0.3048,71.3,0.002,126\n',
        r"got '1,000'; write numbers without thousands separators \(1,000 as 1000\) and decimals with a "
        r"point, not a comma \(0,5 as 0\.5\)$",
    ),
    "thousands-and-point": (
        '"1,000.5",0,0.3048,71.3,0.002,126\n',
        r"got '1,000\.5'; write numbers without thousands separators \(1,000\.5 as 1000\.5\)$",
    ),
    "long-field": (
        "1," + "x" * 100_000 + ",3,4,5,6\n",
        r"column 2 \(angle_of_attack\): expected a number, got 'x{59}… \(str of 100000 characters\)$",
    ),
    "long-quoted-field": (  # csv's own limit: a _csv.Error traceback before this change
        '"1",' + "2" * 200_000 + ",3,4,5,6\n",
        r"line 1: has a field longer than 131,072 characters; expected 6 columns \(frequency, ",
    ),
    "quote-left-open": (  # read as 6, the quote dropped, before this change
        GOOD + '1,2,3,4,5,"6\n',
        r"line 2: a double quote is opened and not closed; expected 6 columns \(frequency, ",
    ),
    "zero-frequency": (
        GOOD + "0,2,3,4,5,6\n",
        r"line 2, column 1 \(frequency\): must be > 0 \(a physical magnitude\), got 0$",
    ),
    "negative-magnitudes": (  # angle of attack and the dB target may be ≤ 0; the magnitudes may not
        "1,-2,3,4,5,-6\n" + GOOD + "1,2,3,-4,5,6\n1,2,0,4,5,6\n1,2,3,4,-1e-9,6\n",
        r"line 3, column 4 \(velocity\): must be > 0 .*, got -4; 2 more bad lines, at lines 4 and 5$",
    ),
    "empty-file": ("", r"has no data \(the file is empty\)"),
    "blank-lines-only": ("\n  \n\r\n", r"has no data \(the file is empty\)"),
    "comments-only": (  # "the file is empty", it said
        "# airfoil self-noise\n\n# no rows yet\n",
        r"has no rows, only blank and comment lines; expected at least one row",
    ),
    "header-only": (
        "Freq,AOA,Chord,Velocity,Displacement,Target\n",
        r"has only a header; expected at least one row",
    ),
}


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_files_name_file_line_and_column(case: str, tmp_path: Path) -> None:
    text, pattern = REJECTED[case]
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(DataFormatError, match=pattern) as caught:
        load_airfoil(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)  # callers may catch the built-in


@pytest.mark.parametrize(
    ("bad_lines", "note"),
    [
        ([3], ""),
        ([3, 5], "; 1 more bad line, at line 5$"),
        ([3, 5, 6], "; 2 more bad lines, at lines 5 and 6$"),
        (list(range(3, 15)), r"; 11 more bad lines, at lines 4, 5, .*, 12, 13 and 1 other\(s\)$"),
    ],
)
def test_one_error_names_every_bad_line(bad_lines: list[int], note: str, tmp_path: Path) -> None:
    """The file is read to its end: the first bad line is described, the others counted by line."""
    lines = ["f,a,c,v,d,spl", GOOD.strip()] + [GOOD.strip()] * 13
    for number in bad_lines:
        lines[number - 1] = "1,2,x,4,5,6" if number % 2 else "1,2,3"
    path = _write(tmp_path / "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(
        DataFormatError, match=r"line 3, column 3 \(chord_length\): expected a number, got 'x'" + note
    ) as caught:
        load_airfoil(path)
    assert (caught.value.line, caught.value.column) == (3, 3)  # the first one


@pytest.mark.parametrize("reader", ["load_airfoil", "read_feature_rows"])
def test_values_out_of_range_are_named_with_the_lines_that_do_not_parse(reader: str, tmp_path: Path) -> None:
    """docs/data.md promises that one error names every bad line: a negative velocity after a
    line with 'abc' went unnamed (the magnitudes were checked once the parse had passed)."""
    target = ",125" if reader == "load_airfoil" else ""
    rows = [f"800,0,0.3048,71.3,0.00266{target}", f"1000,0,abc,71.3,0.0026{target}"]
    rows += [f"1250,0,0.3048,-71.3,0.0026{target}", f"0,0,0.3048,71.3,0.0026{target}"]
    path = _write(tmp_path / "two_bad.csv", "\n".join(rows) + "\n")
    read = load_airfoil if reader == "load_airfoil" else read_feature_rows
    with pytest.raises(DataFormatError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        read(path)
    assert str(caught.value) == (
        f"{path}: line 2, column 3 (chord_length): expected a number, got 'abc'; 2 more bad lines, at lines 3 and 4"
    )
    assert (caught.value.line, caught.value.column, caught.value.path) == (2, 3, path)
    # the first bad line is described, whichever check refused it
    path.write_text("\n".join([rows[2], rows[1]]) + "\n")
    with pytest.raises(
        DataFormatError,
        match=r": line 1, column 4 \(velocity\): must be > 0 .*, got -71\.3; "
        r"1 more bad line, at line 2$",
    ):
        read(path)
    # a header of the columns in another order is the whole file's fault: named alone, first
    header = "velocity,frequency,angle_of_attack,chord_length,displacement_thickness" + (
        ",spl" if target else ""
    )
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(
        DataFormatError, match=r": line 1: the header lists the airfoil (columns|features) in another order"
    ):
        read(path)


def test_a_model_file_given_as_data_is_named_as_a_model(tmp_path: Path) -> None:
    """A model.npz is a zip archive, but "unzip it first" sent the user the wrong way."""
    from glassnet.checkpoint import Checkpoint, save_checkpoint
    from glassnet.spec import MLPSpec

    spec = MLPSpec(sizes=(5, 1))
    rng = np.random.default_rng(0)
    model = tmp_path / "model.npz"
    save_checkpoint(
        model, Checkpoint(spec=spec, members=[{"0.weight": rng.normal(size=(1, 5)), "0.bias": np.zeros(1)}])
    )
    with pytest.raises(
        DataFormatError,
        match=r"model\.npz: is a glassnet model file \(a checkpoint\), not a data file; "
        r"a model is read by `glassnet evaluate .*model\.npz` \(its metrics\)",
    ):
        load_airfoil(model)
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, x=np.zeros(3))
    with pytest.raises(
        DataFormatError, match=r"arrays\.npz: is a NumPy \.npz archive of arrays, expected a text file"
    ):
        load_airfoil(arrays)


def test_error_carries_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "f,a,c,v,d,spl\n\n" + GOOD + "1,2,3,4,x,6\n")
    with pytest.raises(DataFormatError) as caught:
        load_airfoil(path)
    assert (caught.value.line, caught.value.column) == (4, 5)


def test_a_quoted_line_of_a_file_separated_by_spaces_splits_at_tabs_too() -> None:
    """As an unquoted line does (str.split): the csv reader, which reads a quoted line, took
    `1000\t"0"` for one field."""
    text = '800 0 0.3048\n1000\t"0"  0.3048\n'
    table = parse_table(text, source="memory", column_names=["f", "a", "c"])
    np.testing.assert_array_equal(table.values, [[800, 0, 0.3048], [1000, 0, 0.3048]])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_as_standard_input_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """`glassnet predict MODEL - < /dev/zero` read until memory ran out, as /dev/zero by name did.
    Standard input here is /dev/zero's descriptor behind a stream that fails if read, so that a
    regression fails this test instead of filling the machine's memory."""

    class Unreadable:
        def __init__(self, descriptor: int) -> None:
            self.descriptor = descriptor

        def fileno(self) -> int:
            return self.descriptor

        def isatty(self) -> bool:
            return False

        def read(self, *_: Any) -> bytes:
            raise AssertionError("the device was read")

    with open("/dev/zero", "rb") as zero:
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=Unreadable(zero.fileno())))
        with pytest.raises(DataFormatError, match=r"^<stdin>: is a device, expected a data file$"):
            table_module.read_stdin_text()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("reader", ["load_airfoil", "read_feature_rows"])
def test_a_device_is_refused_before_it_is_read(reader: str) -> None:
    """/dev/zero was read until memory ran out. Read in a process of its own, with 2 GiB of
    address space and a minute: a regression fails this test (a MemoryError there) instead of
    filling the machine's memory."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "import glassnet.data\n"
        "try:\n"
        f"    glassnet.data.{reader}('/dev/zero')\n"
        "except glassnet.data.DataFormatError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "/dev/zero: is a device, expected a data file\n",
        "",
    )


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        (b"800,0,0.3\n\xff\xfe,1\n", r"line 2: not UTF-8 text \(byte 0xff\)"),
        (
            b"PK\x03\x04\x14\x00rest-of-a-zip",
            r"is a zip archive, expected a text file of numbers; unzip it first",
        ),
        (b"1,2,3\x00,4,5,6\n", r"line 1: contains a NUL byte"),
        # each said "not UTF-8 (byte 0x..)" or "unzip it first", or read the page as a header
        (_zipped({"[Content_Types].xml": "", "xl/workbook.xml": ""}), r"is an Excel workbook \(\.xlsx\)"),
        (
            _zipped({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": ""}),
            r"is an OpenDocument spreadsheet \(\.ods\)",
        ),
        (
            gzip.compress(GOOD.encode()),
            r"is gzip-compressed, .*; decompress it first \(gunzip FILE, or zcat FILE to pipe it\)$",
        ),
        (GOOD.encode("utf-16"), r"is UTF-16 text .*; save it as CSV UTF-8$"),
        (b"\n<!DOCTYPE html>\n<html><body>Not found</body></html>\n", r"is a web page \(HTML\)"),
        (b"<HTML>\n<head></head></HTML>", r"is a web page \(HTML\)"),
        (GOOD.encode("utf-32"), r"is UTF-32 text, expected UTF-8"),  # its mark begins with UTF-16's
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), r"is an Office 97-2003 file \(an Excel \.xls\?\)"),
        (_zipped({"[Content_Types].xml": "", "xl/workbook.bin": ""}), r"is an Excel workbook"),
        (
            _zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": ""}),
            r"is an OpenDocument file \(application/vnd\.oasis\.opendocument\.text\), expected a text file",
        ),
        # a bzip2 member is not read (zipfile unpacks a whole chunk at once: a CSV of 897 bytes took
        # 2 GB), an OpenDocument file stores its mimetype
        (
            _zipped({"mimetype": "application/vnd.oasis.opendocument.text"}, zipfile.ZIP_BZIP2),
            r"is a zip archive, expected a text file of numbers; unzip it first",
        ),
    ],
    ids=[
        "not-utf8",
        "zip",
        "nul",
        "xlsx",
        "ods",
        "gzip",
        "utf16",
        "html",
        "html-upper",
        "utf32",
        "xls",
        "xlsb",
        "odt",
        "bzip2-mimetype",
    ],
)
def test_binary_files_are_refused(raw: bytes, pattern: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.dat"
    path.write_bytes(raw)
    with pytest.raises(DataFormatError, match=pattern):
        load_airfoil(path)


# --- the published file, and the deviation warning ----------------------------------------------------


def test_shared_file_is_the_published_data(shared: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        data = load_airfoil(shared)
    assert len(data) == 1503 and data.X.shape == (1503, 5) and data.y.shape == (1503,)
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    means = np.append(data.X.mean(axis=0), data.y.mean())
    np.testing.assert_allclose(means, README_MEANS, rtol=5e-6)
    np.testing.assert_allclose(means, AIRFOIL_MEANS, rtol=1e-12)
    np.testing.assert_array_equal(data.X[0], [800.0, 0.0, 0.3048, 71.3, 0.00266337])
    assert data.y[0] == 126.201
    assert (
        data.feature_names
        == FEATURE_NAMES
        == (
            "frequency",
            "angle_of_attack",
            "chord_length",
            "velocity",
            "displacement_thickness",
        )
    )
    assert data.feature_units == FEATURE_UNITS == ("Hz", "deg", "m", "m/s", "m")
    assert (data.target_name, data.target_unit, data.source) == ("sound_pressure_level", "dB", shared)


@pytest.mark.parametrize(("rows", "count"), [(100, "100 rows"), (1, "1 row")])
def test_a_subset_loads_with_a_warning(rows: int, count: str, reference: np.ndarray, tmp_path: Path) -> None:
    path = _write(tmp_path / "part.csv", "\n".join(",".join(row) for row in _rows(reference)[:rows]))
    with pytest.warns(
        DataWarning, match=rf"part\.csv: differs from the published airfoil data set \({count}, expected 1503"
    ):
        data = load_airfoil(path)
    np.testing.assert_array_equal(data.y, reference[:rows, 5])


def test_changed_values_load_with_a_warning_naming_the_column(reference: np.ndarray, tmp_path: Path) -> None:
    rows = _rows(reference)
    rows[10][5] = "150.5"
    path = _write(tmp_path / "edited.csv", "\n".join(",".join(row) for row in rows))
    with pytest.warns(DataWarning, match=r"column means differ: sound_pressure_level 124\.8") as record:
        load_airfoil(path)
    assert "rows, expected" not in str(record[0].message)  # the row count is fine
    assert record[0].filename == __file__  # stacklevel points at the caller


def test_a_column_sorted_on_its_own_and_shuffled_rows_load_with_a_warning(
    reference: np.ndarray, tmp_path: Path
) -> None:
    """Its row count and column means are the published ones, which was all compared: the file
    was said to match the published data, and a model trained on rows that no longer belong
    together. The rows in another order are the same data, which a seed splits otherwise: said
    too (they loaded as the published file, whose figures a run on them did not reproduce)."""
    rows = _rows(reference)
    target = sorted(rows, key=lambda row: float(row[5]))
    sorted_target = [[*row[:5], other[5]] for row, other in zip(rows, target, strict=True)]
    path = _write(tmp_path / "sorted.csv", "\n".join(",".join(row) for row in sorted_target))
    with pytest.warns(DataWarning, match=r"rows differ \(correlation with the target\): frequency -0\.07"):
        load_airfoil(path)
    order = np.random.default_rng(0).permutation(len(rows))
    shuffled = _write(tmp_path / "shuffled.csv", "\n".join(",".join(rows[i]) for i in order))
    with pytest.warns(
        DataWarning, match=r"\(the published rows in another order, which a split by seed draws"
    ):
        np.testing.assert_array_equal(load_airfoil(shuffled).X, reference[order, :5])
    swapped = list(rows)  # two rows of one spectrum swapped: another order all the same
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert compare_with_published(np.array(swapped, dtype=float)) == [
        "the published rows in another order, which a split by seed draws otherwise"
    ]
    assert compare_with_published(np.array(rows, dtype=float)) == []
    written_otherwise = [[f"{float(field):.17e}" for field in row] for row in rows]  # the same numbers
    assert compare_with_published(np.array(written_otherwise, dtype=float)) == []
    # a float32 copy (a pandas export), which the means take for the published data: its order too
    in_float32 = np.array(rows, dtype=float).astype(np.float32).astype(float)
    assert compare_with_published(in_float32) == []
    assert compare_with_published(in_float32[order]) == [
        "the published rows in another order, which a split by seed draws otherwise"
    ]


def test_a_header_naming_the_columns_in_another_order_is_refused(
    reference: np.ndarray, tmp_path: Path
) -> None:
    """Columns are read by position: a header that names them, target first, would be read swapped."""
    header = "sound_pressure_level,angle_of_attack,chord_length,velocity,displacement_thickness,frequency"
    rows = [",".join([row[5], *row[1:5], row[0]]) for row in _rows(reference)]
    path = _write(tmp_path / "reordered.csv", "\n".join([header, *rows]))
    with pytest.raises(
        DataFormatError,
        match=r"reordered\.csv: line 1: the header lists the airfoil columns in another order",
    ):
        load_airfoil(path)


@pytest.mark.parametrize(
    "header",
    [
        "AOA,Freq,Chord,Velocity,Displacement,Target(dB)",  # a published copy's names, two swapped
        "Angle of attack,Frequency,Chord length,Free-stream velocity,Suction side displacement thickness,"
        "Scaled sound pressure level",  # UCI's
        # with units, which hid the names: the file was read with angle and frequency swapped
        "AOA (deg),Freq (Hz),Chord,Velocity,Displacement,SSPL (dB)",
        "aoa_deg,freq_hz,chord_m,velocity_m_s,thickness_m,spl_db",
        "Angle [deg],Frequency [Hz],Chord [m],Velocity [m/s],Thickness [m],Level [dB]",
    ],
)
def test_a_header_of_other_known_names_in_another_order_is_refused(
    header: str, reference: np.ndarray, tmp_path: Path
) -> None:
    rows = [",".join([row[1], row[0], *row[2:]]) for row in _rows(reference)]
    path = _write(tmp_path / "aliases.csv", "\n".join([header, *rows]))
    with pytest.raises(DataFormatError, match=r"the header lists the airfoil columns in another order"):
        load_airfoil(path)


@pytest.mark.parametrize(
    "header",
    [
        "Freq,AOA,Chord,Velocity,Displacement,Target(dB)",
        "Freq (Hz),AOA (deg),Chord [m],Velocity [m/s],Displacement thickness (m),SSPL (dB)",
        "delta_freq,x2,x3,x4,x5,y",  # a name that only begins like one is no alias: not read
    ],
)
def test_a_header_of_other_known_names_in_order_is_read(
    header: str, reference: np.ndarray, tmp_path: Path
) -> None:
    path = _write(tmp_path / "aliases.csv", "\n".join([header, *(",".join(row) for row in _rows(reference))]))
    np.testing.assert_array_equal(load_airfoil(path).X, reference[:, :5])


def test_quoted_fields_load_the_same_numbers(reference: np.ndarray, tmp_path: Path) -> None:
    """csv.QUOTE_ALL, as spreadsheets and some writers quote every field: read as unquoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Freq", "AOA", "Chord", "Velocity", "Displacement", "Target(dB)"])
    writer.writerows(_rows(reference))
    data = load_airfoil(_write(tmp_path / "quoted.csv", buffer.getvalue()))
    np.testing.assert_array_equal(data.X, reference[:, :5])
    np.testing.assert_array_equal(data.y, reference[:, 5])
    one_row = _write(tmp_path / "one.csv", '"800","0","0.3048","71.3","0.00266337"\n')
    np.testing.assert_array_equal(read_feature_rows(one_row), [[800, 0, 0.3048, 71.3, 0.00266337]])


# --- feature rows for `glassnet predict` ---------------------------------------------------------------


def test_read_feature_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "in.csv", "f;a;c;v;d\r\n800;0;0.3048;71.3;0.00266337\r\n1000;1.5;0.1;39.6;0.01\r\n"
    )
    rows = read_feature_rows(path)
    np.testing.assert_array_equal(rows, [[800, 0, 0.3048, 71.3, 0.00266337], [1000, 1.5, 0.1, 39.6, 0.01]])
    assert rows.shape == (2, 5) and rows.dtype == np.float64


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "800,0,0.3048,71.3,0.00266337,126.201\n",
            r"line 1: expected 5 columns \(frequency, .*\) separated by commas, got 6 fields",
        ),
        (
            "800,0,0.3048,71.3,0.002\n800,0,x,71.3,0.002\n",
            r"line 2, column 3 \(chord_length\): expected a number",
        ),
        ("f,a,c,v,d\n", r"has only a header"),
        (
            "f,a,c,v,d\n800,0,0.3,71.3,0.002\n800,0,0.3,71.3,0\n",
            r"line 3, column 5 \(displacement_thickness\)",
        ),
        (  # the published copies' names, in another order: read by position, angle as frequency
            "AOA,Freq,Chord,Velocity,Thickness\n0,800,0.3048,71.3,0.00266337\n",
            r"in\.csv: line 1: the header lists the airfoil features in another order \(AOA, Freq, .*\); glassnet "
            r"reads its columns by position, as frequency, angle_of_attack, ",
        ),
        (
            "velocity,frequency,angle_of_attack,chord_length,displacement_thickness\n71.3,800,0,0.3,0.002\n",
            r"the header lists the airfoil features in another order",
        ),
    ],
)
def test_read_feature_rows_rejects_bad_rows(text: str, pattern: str, tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=pattern):
        read_feature_rows(_write(tmp_path / "in.csv", text))


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        # an angle in radians lies inside the training range of degrees: read as degrees, silently
        (
            "Freq,AOA (rad),Chord,Velocity,Displacement",
            r"in\.csv: line 1: column 2 \(AOA \(rad\)\) names a unit other than deg, the unit glassnet reads "
            r"angle_of_attack in: convert the column to deg$",
        ),
        (
            "Frequency (rad/s),AOA,Chord,Velocity,Thickness",
            r"column 1 \(Frequency \(rad/s\)\) names a unit other than Hz",
        ),
        ("freq_khz,aoa,chord,velocity,thickness", r"column 1 \(freq_khz\) names a unit other than Hz"),
        ("Freq,AOA,Chord [cm],Velocity,Thickness", r"column 3 \(Chord \[cm\]\) names a unit other than m"),
        # units spelled out: unknown words, neither dropped nor compared, these were read by position
        (
            "Frequency (Hz),Angle of attack (radians),Chord (m),Velocity (m/s),Displacement (m)",
            r"column 2 \(Angle of attack \(radians\)\) names a unit other than deg",
        ),
        ("Frequency (kilohertz),AOA,Chord,Velocity,Thickness", r"column 1 .* names a unit other than Hz"),
        (
            "Freq,AOA,Chord length in millimetres,Velocity,Thickness",
            r"column 3 .* names a unit other than m, ",
        ),
        ("Freq,AOA,Chord (inches),Velocity,Thickness", r"column 3 .* names a unit other than m, "),
        ("Freq,AOA,Chord (in),Velocity,Thickness", r"column 3 .* names a unit other than m, "),
        ("Freq,AOA,Chord,velocity_km_per_hour,Thickness", r"column 4 .* names a unit other than m/s, "),
        ("frequency,aoa_radians,chord,velocity,thickness", r"column 2 .* names a unit other than deg, "),
        ("Freq,AOA,Chord,Velocity (miles per hour),Thickness", r"column 4 .* names a unit other than m/s, "),
        # units with a micro or milli prefix, or of another system: their words were unknown and
        # skipped ("µm" read as "m"), and the numbers read in the column's own unit
        ("Freq,AOA,Chord,Velocity,Displacement (µm)", r"column 5 .* names a unit other than m, "),
        ("Freq,AOA,Chord,Velocity,Displacement [μm]", r"column 5 .* names a unit other than m, "),
        ("Freq,AOA,Chord,Velocity,Displacement (um)", r"column 5 .* names a unit other than m, "),
        ("Freq,AOA,Chord,Velocity,Displacement (micrometers)", r"column 5 .* names a unit other than m, "),
        ("Freq,AOA,Chord,Velocity,Displacement (microns)", r"column 5 .* names a unit other than m, "),
        ("Freq,AOA (mrad),Chord,Velocity,Displacement", r"column 2 .* names a unit other than deg, "),
        ("Freq,AOA (grad),Chord,Velocity,Displacement", r"column 2 .* names a unit other than deg, "),
        (
            "Frequency, in Hertzs;Angle of attack, in degrees;Free-stream velocity, in meters per second;"
            "Chord length, in meters;Suction side displacement thickness, in meters",
            r"the header lists the airfoil features in another order",
        ),
        # the target's name over a feature: its dB read as displacement thickness
        (
            "frequency,angle_of_attack,chord_length,velocity,sound_pressure_level",
            r"in\.csv: line 1: column 5 \(sound_pressure_level\) names the target, sound_pressure_level, not "
            r"one of the airfoil features \(frequency, angle_of_attack, chord_length, velocity, "
            r"displacement_thickness\) that glassnet reads: drop the target's column$",
        ),
        ("Freq,AOA,Chord,SSPL,Thickness", r"column 4 \(SSPL\) names the target, sound_pressure_level"),
        # numpy.savetxt's header is a comment: names in another order there swapped the columns
        (
            "# frequency,angle_of_attack,displacement_thickness,velocity,chord_length",
            r"in\.csv: line 1: the header lists the airfoil features in another order",
        ),
    ],
)
def test_read_feature_rows_refuses_a_header_in_other_units_or_a_commented_one_in_another_order(
    header: str, pattern: str, tmp_path: Path
) -> None:
    with pytest.raises(DataFormatError, match=pattern):
        read_feature_rows(_write(tmp_path / "in.csv", f"{header}\n800,0.1274,0.3048,71.3,0.00266337\n"))


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        (
            "Freq,AOA,Chord,Velocity,Thickness,SSPL (Pa)",
            r"column 6 \(SSPL \(Pa\)\) names a unit other than dB, ",
        ),
        ("Freq,AOA,Chord,Velocity,Thickness,Target(dBA)", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA (mrad),Chord,Velocity,Thickness,SSPL", r"column 2 .* names a unit other than deg, "),
        ("Freq,AOA,Chord,Velocity,Thickness (µm),SSPL", r"column 5 .* names a unit other than m, "),
        # a micro prefix on a unit it knows (read as degrees once µ counted as a letter), and the
        # A-weighted dB in its IEC spellings (read as dB)
        ("Freq,AOA (µrad),Chord,Velocity,Thickness,SSPL", r"column 2 .* names a unit other than deg, "),
        ("Freq,AOA μrad,Chord,Velocity,Thickness,SSPL", r"column 2 .* names a unit other than deg, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL dB(A)", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL (dB(A))", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL [dB A]", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL_dB(A)", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL dB-A", r"column 6 .* names a unit other than dB, "),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL_dB_A", r"column 6 .* names a unit other than dB, "),
        (
            "Freq,AOA,Chord,Velocity,Thickness,SSPL dB (A-weighted)",
            r"column 6 .* names a unit other than dB, ",
        ),
        (
            'Freq,AOA,Chord,Velocity,Thickness,"SSPL (dB, A-weighted)"',
            r"column 6 .* names a unit other than dB, ",
        ),
        (
            "Freq,AOA,Chord,Velocity,Thickness,SSPL dB (A-weighting)",
            r"column 6 .* names a unit other than dB, ",
        ),
        (
            "Freq,AOA,Chord,Velocity,Thickness,SSPL dB (A\u2013weighted)",
            r"column 6 .* names a unit other than dB, ",
        ),
        (
            "Freq,AOA,Chord,Velocity,Thickness,SSPL dB (A)-weighted",
            r"column 6 .* names a unit other than dB, ",
        ),
        ("Freq,AOA,Chord,Velocity,Thickness,SSPL decibels (A)", r"column 6 .* names a unit other than dB, "),
    ],
)
def test_load_airfoil_refuses_a_header_of_units_it_did_not_know(
    header: str, pattern: str, tmp_path: Path
) -> None:
    """Each loaded, its numbers read in the column's own unit: 10 mrad as 10°."""
    with pytest.raises(DataFormatError, match=pattern):
        load_airfoil(_write(tmp_path / "in.csv", f"{header}\n800,0.1274,0.3048,71.3,0.00266337,126.2\n"))


@pytest.mark.parametrize(
    "header",
    [
        "Freq (Hz),AOA (degrees),Chord [m],Velocity [m/s],Displacement thickness (m)",
        "freq_hz,aoa_deg,chord_m,velocity_m_s,thickness_m",
        "# frequency,angle_of_attack,chord_length,velocity,displacement_thickness",  # savetxt's, in order
        "# written by a script, 2026, five columns, no names, here",  # a comment of five fields, not names
        # "in" before the unit is a word of the name, not inches: these were refused as other units
        "Frequency in Hz,aoa_in_deg,chord,velocity in m/s,thickness",
        '"Frequency, in Hertzs","Angle of attack, in degrees",Chord length,Free-stream velocity,Thickness',
        # UCI's own descriptions of the columns, units spelled out
        '"Frequency, in Hertzs","Angle of attack, in degrees","Chord length, in meters",'
        '"Free-stream velocity, in meters per second","Suction side displacement thickness, in meters"',
        "Frequency (hertz),AOA (degrees),Chord (metres),Velocity (metres per second),Thickness (meters)",
        "Frequency (per second),Angle of attack,Chord,Velocity,Thickness",  # a rate: Hz
    ],
)
def test_read_feature_rows_reads_a_header_in_the_columns_units(header: str, tmp_path: Path) -> None:
    rows = read_feature_rows(_write(tmp_path / "in.csv", f"{header}\n800,0,0.3048,71.3,0.00266337\n"))
    np.testing.assert_array_equal(rows, [[800, 0, 0.3048, 71.3, 0.00266337]])


@pytest.mark.parametrize(
    ("name", "read"),
    [
        # "(suction side)" is no unit: the name is displacement thickness's, out of place, refused as such
        ("Displacement (suction side)", ("displacement_thickness", None)),
        ("Velocity [m/s]", ("velocity", None)),  # a published name itself
        ("velocity_m_s", ("velocity", None)),  # "velocityms", one too
        ("Velocity (km/h)", ("velocity", "kmh")),
        ("U_infinity mph", ("velocity", "mph")),
        ("Angle of attack, in degrees", ("angle_of_attack", "deg")),
        ("velocity in km/h", ("velocity", "kmh")),
        ("AOA (Degrees)", ("angle_of_attack", "deg")),
        ("Level [dB]", (None, None)),
        # units spelled out: UCI's descriptions, brackets, "(in …)", a snake_case ending
        ("Chord length, in meters", ("chord_length", "m")),
        ("Free-stream velocity, in meters per second", ("velocity", "ms")),
        ("Scaled sound pressure level, in decibels", ("sound_pressure_level", "db")),
        ("Chord length (inches)", ("chord_length", "inch")),
        ("Velocity (miles per hour)", ("velocity", "mih")),
        ("Velocity (km/hr)", ("velocity", "kmh")),
        ("Velocity (mi/hr)", ("velocity", "mih")),
        # aviation's knots and feet per second, as they are written: read as m/s (a review)
        ("Velocity (kts)", ("velocity", "kn")),
        ("Velocity [kt]", ("velocity", "kn")),
        ("velocity_kts", ("velocity", "kn")),
        ("Velocity (fps)", ("velocity", "fts")),
        ("velocity_fps", ("velocity", "fts")),
        ("Chord (in)", ("chord_length", "inch")),
        ("AOA (in radians)", ("angle_of_attack", "rad")),
        ("Chord (in inches)", ("chord_length", "inch")),
        ("Velocity (in m/s)", ("velocity", "ms")),
        ("chord_length_meters", ("chord_length", "m")),
        ("velocity_km_per_hour", ("velocity", "kmh")),
        ("aoa_radians", ("angle_of_attack", "rad")),
        ("Velocity m per s", ("velocity", "ms")),
        # "per" joins two units only: a name ending in it is no name with a unit
        ("Chord per", (None, None)),
        ("Chord (per)", ("chord_length", None)),
        ("Frequency (per second)", ("frequency", None)),  # a rate: Hz
        # a time word alone ends a name as a unit only after "in" or in brackets
        ("Angle of attack, second", (None, None)),
    ],
)
def test_the_unit_words_are_read_only_when_they_are_units(
    name: str, read: tuple[str | None, str | None]
) -> None:
    assert header_name(name, COLUMN_ALIASES) == read


def test_read_feature_rows_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"input file .*nope\.csv does not exist"):
        read_feature_rows(tmp_path / "nope.csv")


# --- where the file is found ---------------------------------------------------------------------------


def _airfoil_copy(folder: Path, name: str = "airfoil_self_noise.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _write(folder / name, GOOD)


def test_explicit_path_file_or_folder(tmp_path: Path) -> None:
    file = _airfoil_copy(tmp_path / "mine")
    assert find_airfoil(file) == file
    assert find_airfoil(str(tmp_path / "mine")) == file
    dat = _airfoil_copy(tmp_path / "mine", "airfoil_self_noise.dat")
    assert find_airfoil(tmp_path / "mine") == dat  # the UCI original is preferred


def test_explicit_path_beats_environment_beats_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    explicit = _airfoil_copy(tmp_path / "explicit")
    env = _airfoil_copy(tmp_path / "env")
    cached = _airfoil_copy(cache_dir(), "airfoil_self_noise.dat")
    assert find_airfoil() == cached
    monkeypatch.setenv(DATA_ENV_VAR, str(env.parent))
    assert find_airfoil() == env
    monkeypatch.setenv(DATA_ENV_VAR, str(env))
    assert find_airfoil() == env
    assert find_airfoil(explicit) == explicit


@pytest.mark.parametrize(
    ("setup", "pattern"),
    [
        ("missing", r"data path .*nowhere does not exist; get it with `glassnet data fetch airfoil`"),
        (
            "empty-folder",
            r"data path .*empty is a folder without airfoil_self_noise.dat or airfoil_self_noise.csv",
        ),
        (
            "env-missing",
            r"GLASSNET_DATA=/\S*nowhere does not exist; point GLASSNET_DATA at the airfoil file or the "
            r"folder holding it, or unset it to use the cache, which `glassnet data fetch airfoil` fills$",
        ),
        ("empty-path", r"^data path is empty; get it with `glassnet data fetch airfoil`"),
        ("blank-path", r"^data path is empty; get it with `glassnet data fetch airfoil`"),
    ],
)
def test_a_path_that_points_at_nothing_is_an_error(
    setup: str, pattern: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _airfoil_copy(cache_dir())  # a later place holds a file: it must not be used instead
    (tmp_path / "empty").mkdir()
    if setup == "env-missing":
        monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "nowhere"))
        path = None
    elif setup in ("empty-path", "blank-path"):
        path = "" if setup == "empty-path" else "  "  # Path("") would be the current folder
    else:
        path = tmp_path / ("nowhere" if setup == "missing" else "empty")
    with pytest.raises(FileNotFoundError, match=pattern):
        find_airfoil(path)


def test_not_found_lists_every_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_airfoil, "source_checkout_data_dir", lambda: tmp_path / "shared-data")
    with pytest.raises(FileNotFoundError) as caught:
        load_airfoil()
    message = str(caught.value)
    assert "$GLASSNET_DATA (not set)" in message
    assert str(tmp_path / "xdg-cache" / "glassnet") in message
    assert str(tmp_path / "shared-data") in message
    assert "glassnet data fetch airfoil" in message and "--data PATH" in message


def _unsearchable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``folder`` without x permission, as a user (not root, which may search anything) meets it:
    Python 3.11's is_file raises PermissionError for a file inside it."""
    is_file = Path.is_file

    def refusing(path: Path) -> bool:
        if path.parent == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return is_file(path)

    monkeypatch.setattr(Path, "is_file", refusing)


def test_a_cache_folder_that_cannot_be_searched_is_passed_over(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It raised "Permission denied: …/airfoil_self_noise.dat", a file that was not there, and the
    checkout's copy behind it was never tried."""
    shared = _airfoil_copy(tmp_path / "shared-data")
    monkeypatch.setattr(_airfoil, "source_checkout_data_dir", lambda: shared.parent)
    _unsearchable(cache_dir(), monkeypatch)
    assert find_airfoil() == shared
    shared.unlink()
    with pytest.raises(
        FileNotFoundError, match=rf"looked at: .*; {re.escape(str(cache_dir()))} \(Permission denied\); "
    ):
        find_airfoil()


def test_a_folder_given_that_cannot_be_searched_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    _unsearchable(folder, monkeypatch)
    with pytest.raises(PermissionError) as caught:
        find_airfoil(folder)
    assert caught.value.filename == str(folder)  # not the .dat it never held
    monkeypatch.setenv(DATA_ENV_VAR, str(folder))
    with pytest.raises(PermissionError) as caught:
        find_airfoil()
    assert caught.value.filename == str(folder)


def test_source_checkout_falls_back_to_shared_data(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout_src = Path(__file__).resolve().parents[1] / "src"
    if not Path(glassnet.__file__).resolve().is_relative_to(checkout_src):
        # a packager testing an installed wheel: no checkout around it, so no fallback (as designed)
        pytest.skip("glassnet is imported from an installed copy, not from this checkout's src/")
    # the real lookup, which conftest replaces for every other test (installed copies have none)
    monkeypatch.setattr(_airfoil, "source_checkout_data_dir", REAL_SOURCE_CHECKOUT_DATA_DIR)
    assert find_airfoil() == shared


def test_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" / "glassnet"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for value in ("", "relative/path"):  # unset-like and relative values are ignored (XDG spec)
        monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert cache_dir() == tmp_path / "home" / ".cache" / "glassnet"


@pytest.mark.parametrize("home", ["", "relative/home"])
def test_an_empty_or_relative_home_is_no_cache(home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME="" made Path.home() the root folder, a relative HOME a folder under wherever the command
    ran: the cache would land there. Without XDG_CACHE_HOME there is no cache, as without a home."""
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", home)
    says = f"no cache folder: $HOME is {home!r}, not an absolute path; set XDG_CACHE_HOME or HOME to an absolute path"
    with pytest.raises(OSError) as caught:
        cache_dir()
    assert str(caught.value) == says


# --- Dataset, and the CLI -------------------------------------------------------------------------------


def test_dataset_subset_and_checks() -> None:
    data = Dataset(
        np.arange(10.0).reshape(5, 2), np.arange(5.0), ("a", "b"), ("m", "s"), "t", "dB", Path("data.csv")
    )
    part = data.subset(np.array([4, 1]))
    assert part.source is None  # two rows of data.csv are not data.csv: evaluate would send one back to it
    np.testing.assert_array_equal(part.X, [[8, 9], [2, 3]])
    assert data.subset([]).X.shape == (0, 2)  # [] is float64 to NumPy: it was refused as a float index
    np.testing.assert_array_equal(part.y, [4, 1])
    assert part.feature_names == ("a", "b") and len(part) == 2 and part.n_features == 2
    with pytest.raises(TypeError, match="indices must be a 1-D integer array"):
        data.subset(np.array([0.5]))
    with pytest.raises(ValueError, match=r"X \(N, d\) and y \(N,\), got X \(5, 2\) and y \(4,\)"):
        Dataset(np.zeros((5, 2)), np.zeros(4), ("a", "b"), ("m", "s"), "t", "dB", None)
    with pytest.raises(ValueError, match="one name and one unit per feature column"):
        Dataset(np.zeros((5, 2)), np.zeros(5), ("a",), ("m", "s"), "t", "dB", None)


def test_cli_data_info(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", "--data", str(shared)]) == 0
    out = capsys.readouterr().out
    assert f"file: {shared}" in out and "rows: 1503" in out and "matches the published data set" in out
    assert "frequency               Hz         2886.38" in out


def test_cli_data_info_reports_differences_and_errors(
    reference: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "part.csv", "\n".join(",".join(row) for row in _rows(reference)[:10]))
    assert main(["data", "info", "--data", str(path)]) == 0
    assert "differs from the published data: 10 rows, expected 1503" in capsys.readouterr().out
    bad = _write(tmp_path / "bad.csv", "1,2,3\n")
    assert main(["data", "info", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet data info: error: ") and "line 1: expected 6 columns" in err
    assert err.count("\n") == 1


def test_cli_data_info_subprocess(shared: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "data", "info"],
        env={**os.environ, DATA_ENV_VAR: str(shared)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rows: 1503" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_given_as_the_data_path_is_read_as_a_file(tmp_path: Path) -> None:
    """`--data <(…)` is a pipe, neither a file nor a folder: it was reported as missing."""
    pipe = tmp_path / "rows"
    os.mkfifo(pipe)
    assert find_airfoil(pipe) == pipe
    text = shared_airfoil().read_text()

    def feed() -> None:
        with open(pipe, "w") as writer:
            writer.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    data = load_airfoil(pipe)
    writer.join()
    assert data.X.shape == (1503, 5)


def test_the_bad_lines_kept_for_the_message_hold_no_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each kept its traceback, whose frames held the row's fields: 516 MB to report 200,000 bad
    rows, where the valid file parses in 131 MB."""
    kept: list[Any] = []

    def keep(errors: Any, noun: str = "bad line") -> None:
        kept.extend(errors)
        raise DataFormatError("refused")

    monkeypatch.setattr(table_module, "raise_bad_lines", keep)
    text = "".join(f"{800 + i},x,0.3,71,0.002,120\n" for i in range(3))
    with pytest.raises(DataFormatError, match="refused"):
        parse_table(text, source="memory", column_names=COLUMN_NAMES)
    assert len(kept) == 3 and all(error.__traceback__ is None for error in kept)


@pytest.mark.parametrize("first", ["0,1,2", "1,2,3"])
@pytest.mark.parametrize("rest", ["4.5,6,7\n8,9,10\n", "4.5,6,7\n# a comment: read line by line\n8,9,10\n"])
def test_a_first_line_that_numbers_the_columns_is_a_header_with_a_warning(first: str, rest: str) -> None:
    """pandas writes 0,1,2 (DataFrame(array).to_csv(index=False)) over columns without names: it
    was read as a row of data, in the one-pass reading and line by line alike."""
    with pytest.warns(
        DataWarning, match=rf"^in\.csv: line 1 \({first}\) is read as a header that numbers the columns"
    ):
        table = table_module.parse_table(f"{first}\n{rest}", source="in.csv", column_names=["a", "b", "c"])
    assert table.header == tuple(first.split(",")) and table.header_line == 1
    np.testing.assert_array_equal(table.values, [[4.5, 6, 7], [8, 9, 10]])


def test_data_warnings_name_the_callers_line(tmp_path: Path) -> None:
    """The warning of a header that numbers the columns named glassnet's own call to the table
    reader (stacklevel=2 inside a helper; a review of Jupyter use), where the other data warning
    named the user's line: both name the line that called load_airfoil now."""
    published = shared_airfoil().read_text(encoding="utf-8").splitlines()
    numbered, short = tmp_path / "numbered.csv", tmp_path / "short.csv"
    numbered.write_text("\n".join(["0,1,2,3,4,5", *published[1:]]) + "\n", encoding="utf-8")
    short.write_text("\n".join(published[:200]) + "\n", encoding="utf-8")
    for path in (numbered, short):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load_airfoil(path)
        assert [(Path(w.filename).name, w.category) for w in caught] == [(Path(__file__).name, DataWarning)]


@pytest.mark.parametrize("text", ["1,2,3\n", "0,1,2", "1,2,3\n\n# no rows after it\n"])
def test_a_lone_line_that_counts_the_columns_is_a_row(text: str) -> None:
    """With no rows after it, a counting line is read as the row it is: taken as pandas' header,
    a one-row file of predict had 'only a header'."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = table_module.parse_table(text, source="in.csv", column_names=["a", "b", "c"])
    assert table.header is None and table.lines.tolist() == [1]
    np.testing.assert_array_equal(table.values, [[float(v) for v in text.split("\n")[0].split(",")]])


@pytest.mark.parametrize("first", ["0,1", "0,1,3", "2,3,4", "0,1,2.0", "-0,1,2"])
def test_a_first_line_of_numbers_that_do_not_count_the_columns_is_data(first: str) -> None:
    """Two fields (a point (0, 1) is as likely as a header), a gap, another start, a decimal
    point, a sign: rows of data, with no warning."""
    names = [f"x{i}" for i in range(len(first.split(",")))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = table_module.parse_table(f"{first}\n{first}\n", source="in.csv", column_names=names)
    assert table.header is None and len(table.values) == 2
