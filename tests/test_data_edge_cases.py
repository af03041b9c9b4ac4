"""Edge cases of the data layer found in review: headers that swap columns, and line numbers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import DataFormatError, DataWarning, load_airfoil, read_feature_rows

ROWS = ["800,0,0.3048,71.3,0.00266337,126.201", "1000,1.5,0.1016,39.6,0.0104,125.201"]


def _load(path: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # two rows, not the published 1503
        return np.column_stack([(data := load_airfoil(path)).X, data.y])


@pytest.mark.parametrize(
    ("header", "column"),
    [
        # one name glassnet does not know (the target's), two known ones swapped
        ("frequency,angle_of_attack,chord_length,displacement_thickness,velocity,y", 4),
        # the UCI repository's variable names (ucimlrepo), angle and chord swapped
        (
            "frequency,chord-length,attack-angle,free-stream-velocity,suction-side-displacement-thickness,"
            "scaled-sound-pressure",
            2,
        ),
        # a widely shared copy's names, angle and chord swapped (one letter is not read as a name)
        ("f,c,alpha,U_infinity,delta,SSPL", 3),
    ],
)
def test_a_header_with_known_names_out_of_place_is_refused(header: str, column: int, tmp_path: Path) -> None:
    """Rows are read by position: a name of one column over another would swap them silently."""
    path = tmp_path / "swapped.csv"
    path.write_text("# a comment\n\n" + "\n".join([header, *ROWS]) + "\n")
    pattern = r"swapped\.csv: line 3: the header lists the airfoil columns in another order"
    with pytest.raises(DataFormatError, match=pattern) as error:
        _load(path)
    assert (error.value.path, error.value.line, error.value.column) == (path, 3, column)


@pytest.mark.parametrize(
    "header",
    [
        "frequency,angle_of_attack,chord_length,velocity,displacement_thickness,y",
        "frequency,attack-angle,chord-length,free-stream-velocity,suction-side-displacement-thickness,"
        "scaled-sound-pressure",
        "f,alpha,c,U_infinity,delta,SSPL",
        "x1,x2,x3,x4,x5,x6",  # names it does not know are not read
        "a,b,c,d,e,f",  # nor single letters, spreadsheet columns as often as symbols
    ],
)
def test_a_header_with_known_names_in_place_is_read(header: str, tmp_path: Path) -> None:
    path = tmp_path / "in_order.csv"
    path.write_text("\n".join([header, *ROWS]) + "\n")
    np.testing.assert_array_equal(_load(path), [[float(v) for v in row.split(",")] for row in ROWS])


def test_feature_rows_with_one_known_name_out_of_place_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("f,a,c,thickness,v\n800,0,0.3048,0.0026,71.3\n")
    with pytest.raises(DataFormatError, match=r"the header lists the airfoil features in another order"):
        read_feature_rows(path)


@pytest.mark.parametrize("odd", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_lines_are_counted_at_line_ends_only(odd: str, tmp_path: Path) -> None:
    """Only LF, CRLF and CR end a line, as an editor counts them: a form feed on a line of its own,
    or another character that str.splitlines takes for a line end, moves no line number and splits
    no row."""
    path = tmp_path / "odd.csv"
    text = f"{ROWS[0]}\n{odd}\n{ROWS[1].replace(',', f'{odd},', 1)}\n800,0,abc,71.3,0.0026,126\n"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(DataFormatError) as error:
        _load(path)
    assert str(error.value) == f"{path}: line 4, column 3 (chord_length): expected a number, got 'abc'"
    assert (error.value.line, error.value.column) == (4, 3)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"0.3\xb0", "line 3: not UTF-8 text (byte 0xb0)"),
        (b"0.3\x00", "line 3: contains a NUL byte"),
    ],
)
@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"])
def test_bytes_that_are_not_text_are_named_by_their_line_whatever_the_line_ends(
    bad: bytes, message: str, end: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(end.join([row.encode() for row in ROWS] + [b"800,0," + bad + b",71.3,0.0026,126", b""]))
    with pytest.raises(DataFormatError, match=re.escape(message)) as error:
        _load(path)
    assert error.value.line == 3


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        # Excel's "CSV UTF-8" writes a BOM; a stray cp1252 ° two lines on was named line 2, byte 0x30
        (
            b"\xef\xbb\xbfFreq,AOA,Chord,Velocity,Displacement,SPL\n800,0,0.3048,71.3,0.00266337,126.201\n"
            b"\xb0800,0,0.3048,71.3,0.00266337,126.2\n",
            "line 3: not UTF-8 text (byte 0xb0)",
            3,
        ),
        # a slice ending inside a multi-byte character failed to decode: no file, no line
        (
            b"\xef\xbb\xbf\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xff\n",
            "line 1: not UTF-8 text (byte 0xff)",
            1,
        ),
    ],
    ids=["bom-then-cp1252", "bom-then-multibyte"],
)
def test_a_byte_that_is_not_utf8_after_a_bom_is_named_by_its_line_and_value(
    content: bytes, message: str, line: int, tmp_path: Path
) -> None:
    """The text was decoded as utf-8-sig, whose error positions count from after the BOM, and read
    as positions in the whole file."""
    path = tmp_path / "bom.csv"
    path.write_bytes(content)
    with pytest.raises(DataFormatError) as error:
        _load(path)
    assert str(error.value) == f"{path}: {message}; expected a text file of numbers"
    assert error.value.line == line


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_a_quoted_field_may_hold_the_separator(separator: str, tmp_path: Path) -> None:
    """Spreadsheets quote a header name holding the separator ("Frequency, Hz"): valid CSV, which
    was split inside the quotes and refused as a header of 12 columns."""
    names = ["Frequency, Hz", "Angle; deg", "Chord\tm", "Velocity, m/s", "Thickness, m", "SPL, dB"]
    rows = [
        ["800", "0", "0.3048", "71.3", "0.00266337", "126.201"],
        ['"1000"', "0", "0.3048", "71.3", "0.00266337", "125.201"],
    ]
    lines = [separator.join(f'"{name}"' for name in names), *(separator.join(row) for row in rows)]
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(DataWarning):  # two rows, not the published 1503
        dataset = load_airfoil(path)
    np.testing.assert_array_equal(dataset.y, [126.201, 125.201])
    assert dataset.X[1, 0] == 1000.0


def test_fetch_airfoil_refuses_a_path_as_url_naming_a_url_string(tmp_path: Path) -> None:
    """url=Path(...) failed with AttributeError from urllib; nothing is fetched nor written."""
    from glassnet.data import fetch_airfoil

    archive = tmp_path / "airfoil.zip"
    with pytest.raises(TypeError, match=r"url must be a URL string .*got PosixPath.*file:///"):
        fetch_airfoil(dest=tmp_path / "out", url=archive)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"url must be a URL string .*got bytes"):
        fetch_airfoil(dest=tmp_path / "out", url=b"https://example.org/a.zip")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shape", [(1503, 5), (1503,), (2, 3, 6), (1503, 7)])
def test_compare_with_published_refuses_another_shape_naming_n_6(shape: tuple[int, ...]) -> None:
    from glassnet.data import compare_with_published

    with pytest.raises(
        ValueError,
        match=re.escape("takes an (N, 6) table (frequency, ") + ".*" + re.escape(f"got shape {shape}"),
    ):
        compare_with_published(np.ones(shape))


# --- found by a review of data loading (2026-11-28, a later session) --------------------------------


def _published_path() -> Path:
    from conftest import shared_airfoil

    return shared_airfoil()


def _published_lines() -> list[str]:
    return _published_path().read_text().splitlines()


def test_a_copy_edited_by_a_digit_is_not_the_published_data(tmp_path: Path) -> None:
    """126.201 → 126.202 and 1000 → 1001 kept the means and correlations: data info said 'matches
    the published data set', and data fetch kept such a cache as a good copy."""
    from glassnet.data import compare_with_published

    lines = _published_lines()
    first = next(i for i, line in enumerate(lines) if "126.201" in line)
    lines[first] = lines[first].replace("126.201", "126.202")
    edited = tmp_path / "typo.csv"
    edited.write_text("\n".join(lines) + "\n")
    with pytest.warns(
        DataWarning, match=r"values differ from the published rows, though the column means agree"
    ):
        dataset = load_airfoil(edited)
    assert compare_with_published(np.column_stack([dataset.X, dataset.y])) == [
        "values differ from the published rows, though the column means agree"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the published rows themselves: no warning
        published = load_airfoil(_published_path())
    assert compare_with_published(np.column_stack([published.X, published.y])) == []


@pytest.mark.parametrize(
    "header",
    [
        'Freq,AOA,Chord,Velocity,Displacement,"SSPL',
        'Freq,AOA,"Chord,Velocity,Displacement,SSPL',
        '"Frequency\n(Hz)","Angle\n(deg)",c,U,d,s',
    ],
    ids=["last-cell", "middle", "excel-line-break"],
)
def test_a_quote_left_open_in_the_header_is_named(header: str, tmp_path: Path) -> None:
    """It was read as a header (the first case), or named as a header of 3 columns, or of 1
    column 'separated by spaces' (a line break in a quoted cell, as Excel writes Alt+Enter)."""
    data = tmp_path / "quoted.csv"
    data.write_text(header + "\n800,0,0.3048,71.3,0.00266337,126.201\n")
    with pytest.raises(
        DataFormatError, match=r": line 1: a double quote is opened and not closed \(a line break inside"
    ):
        load_airfoil(data)


def test_a_long_header_name_is_cut_in_the_message(tmp_path: Path) -> None:
    """A million-character header name made a one-megabyte error line."""
    data = tmp_path / "big.csv"
    data.write_text(
        "AOA,Freq,Chord,Velocity,Displacement," + "x" * 1_000_000 + "\n800,0,0.3048,71.3,0.00266337,126.201\n"
    )
    with pytest.raises(DataFormatError) as raised:
        load_airfoil(data)
    assert len(str(raised.value)) < 1000
    assert "… (1,000,000 characters)" in str(raised.value)


@pytest.mark.parametrize("unit", ['Chord (12")', 'SSPL "dB'], ids=["inch-mark", "quote-in-a-field"])
def test_a_quote_inside_an_unquoted_header_cell_is_a_character(unit: str, tmp_path: Path) -> None:
    """The open-quote check counted quotes and refused an inch mark, which csv reads literally."""
    names = ["Freq", "AOA", "Chord", "Velocity", "Displacement", "SSPL"]
    names[2 if unit.startswith("Chord") else 5] = unit
    data = tmp_path / "inch.csv"
    data.write_text(",".join(names) + "\n800,0,0.3048,71.3,0.00266337,126.201\n")
    with pytest.warns(DataWarning):  # one row: not the published data, and read
        assert len(load_airfoil(data)) == 1


def test_a_first_row_with_an_open_quote_is_named_with_the_other_bad_rows(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text('800,0,0.3048,71.3,0.00266337,"126.201\n800,0,0.3048,71.3,x,126.201\n')
    with pytest.raises(
        DataFormatError, match=r"line 1: a double quote is opened .*; 1 more bad line, at line 2$"
    ):
        load_airfoil(data)


def test_a_negative_zero_is_the_published_zero(tmp_path: Path) -> None:
    """'-0' for an angle of 0 gave 'values differ': the digest compared the bytes of -0.0 and 0.0."""
    from glassnet.data import compare_with_published

    lines = _published_lines()
    row = next(i for i, line in enumerate(lines) if line.split(",")[1] == "0")
    fields = lines[row].split(",")
    fields[1] = "-0"
    lines[row] = ",".join(fields)
    copy = tmp_path / "minus0.csv"
    copy.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = load_airfoil(copy)
    assert compare_with_published(np.column_stack([dataset.X, dataset.y])) == []


def test_column_means_keep_the_subnormal_end_and_the_overflowing_one() -> None:
    """Dividing every value before the sum (for a column of 1e308s) averaged three 1e-320s to
    7.4e-321, outside their range, and a table of no rows to 0."""
    from glassnet.data._airfoil import column_means

    np.testing.assert_array_equal(column_means(np.full((3, 1), 1e-320)), [1e-320])
    np.testing.assert_array_equal(column_means(np.full((3, 2), 1e308)), [1e308, 1e308])
    assert np.isnan(column_means(np.empty((0, 6)))).all()


def test_column_means_of_values_whose_partial_sums_overflow_both_ways() -> None:
    """1e308s and -1e308s: NumPy's pairwise sum met +inf and -inf, NaN, which the overflow test
    (inf only) missed: data info printed a mean of nan with NumPy's warning."""
    import warnings as _warnings

    from glassnet.data._airfoil import column_means

    column = np.array([1e308, 1e308, -1e308, -1e308, 0, 0, 0, 0, 0, 0])[:, None]
    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        np.testing.assert_array_equal(column_means(column), [0.0])


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            [",".join(["1"] * 20_000), "800,0,0.3048,71.3,0.00266337,126.201"],
            r"line 1: expected 6 columns \(.*\) separated by commas, got 20000 fields$",
        ),
        (
            ["800,0,0.3048,71.3,0.00266337,126.201", ",".join(["1"] * 20_000)],
            r"line 2: expected 6 columns \(.*\) separated by commas, got 20000 fields$",
        ),
        (  # a header still (a later review: it was named a bad row once the fields were counted)
            [",".join(f"n{i}" for i in range(12_000)), ",".join(["1"] * 12_000)],
            r"line 1: the header has 12000 columns separated by commas, expected 6 columns",
        ),
    ],
    ids=["first-line", "a-row", "a-header"],
)
def test_a_line_of_very_many_fields_is_counted_not_split(rows: list[str], said: str, tmp_path: Path) -> None:
    """Named as before, counted rather than split into strings: a 20 MB line of 10,000,000 fields
    took 660 MB and 13 s to refuse, 85 MB and 2.8 s counted (a review, 2026-11-28)."""
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataFormatError, match=rf"wide\.csv: {said}"):
        load_airfoil(path)
