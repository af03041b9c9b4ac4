"""A strict reader for small tables of numbers (CSV, semicolon, tab or whitespace separated).

The rules, shared by the airfoil loader and by ``glassnet predict``:

- text is UTF-8 (a byte-order mark is dropped); line ends may be LF, CRLF or CR;
- blank lines and lines starting with ``#`` are skipped;
- the separator is read from the first line with content: a tab if it has one, else a
  semicolon, else a comma, else runs of spaces;
- that first line is a header when none of its fields is a number, nor one written with
  commas or a unit ("0,5", "1,000", "800 Hz"), and not all are empty (any names are
  accepted, "2theta" too); a line mixing names and numbers is an error, not a header;
- fields may be in double quotes, read as CSV (a quoted field may hold the separator); a
  quote left open is an error;
- every data line has exactly the expected number of fields, each a finite decimal
  number (``1``, ``-0.5``, ``2.5e-3``; not ``nan``, ``inf``, ``1,5`` or ``1_000``);
- there is at least one data line.

Errors are ``DataFormatError`` naming the file, the 1-based line and column, what was
expected and what was found. Every data line is read before the error is raised, so it
describes the first bad line and lists the lines of the others (see :func:`bad_lines_note`);
a reader's own checks of the values (``check``: a magnitude that must be > 0, say) count
among them, so one message names every bad line, whatever is wrong with it.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import os
import re
import shlex
import stat
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from glassnet._checks import count_text, shown, user_stacklevel
from glassnet._files import given_path
from glassnet.data._errors import DataFormatError, DataWarning

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_SEPARATOR_NAMES = {"\t": "tabs", ";": "semicolons", ",": "commas", None: "spaces"}
_ZIP_MAGIC = b"PK\x03\x04"
# The first bytes of files that are not UTF-8 text, and what to say of each
_OTHER_FORMATS = {  # in order: UTF-32's mark begins with UTF-16's
    b"\x1f\x8b": (
        "is gzip-compressed, expected a text file of numbers; decompress it first (gunzip FILE, or "
        "zcat FILE to pipe it)"
    ),
    b"\xd0\xcf\x11\xe0": (
        "is an Office 97-2003 file (an Excel .xls?), expected a text file of numbers; save it as CSV "
        "from the spreadsheet"
    ),
    b"\xff\xfe\x00\x00": "is UTF-32 text, expected UTF-8; save it as CSV UTF-8",
    b"\x00\x00\xfe\xff": "is UTF-32 text, expected UTF-8; save it as CSV UTF-8",
    b"\xff\xfe": 'is UTF-16 text (a spreadsheet\'s "Unicode text"), expected UTF-8; save it as CSV UTF-8',
    b"\xfe\xff": 'is UTF-16 text (a spreadsheet\'s "Unicode text"), expected UTF-8; save it as CSV UTF-8',
}
STDIN_NAME = "<stdin>"  # what errors call standard input
MAX_FIELDS = 10_000  # a line of more fields is named bad without being split into them
# The zip methods whose members are read a bounded number of bytes at a time: zipfile
# decompresses bzip2 and LZMA a whole chunk at once, and a 925-byte bzip2 member came out 2 GB
INFLATED_BY_PARTS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_QUOTED = re.compile(r'"[^"]*"')  # a quoted field ("" inside it, an escaped quote, makes two)
_LINE_END = re.compile(r"\r\n|\r|\n")  # only these end a line (str.splitlines also splits at \f, \x85, …)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
LISTED_LINES = 10  # bad lines named one by one in an error; the rest are counted


class Table(NamedTuple):
    """A parsed table: ``values`` (N, columns), the ``header`` names (None without one),
    ``lines`` (N,), the 1-based line of the file each row comes from, and the header's line."""

    values: FloatArray
    header: tuple[str, ...] | None
    lines: IntArray
    header_line: int | None = None


class BadValue(NamedTuple):
    """The first value a mask marks in a table, in reading order, and the other rows it marks."""

    row: int  # index into the table's rows
    column: int  # 0-based
    line: int  # 1-based line of the file
    other_lines: list[int]  # file lines of the other rows with a marked value

    def where(self, source: str, names: Sequence[str]) -> str:
        """``source: line L, column C (name)``, the start of a message about this value."""
        return f"{source}: line {self.line}, column {self.column + 1} ({names[self.column]})"


def first_bad_value(table: Table, bad: npt.NDArray[np.bool_]) -> BadValue | None:
    """Where the (N, columns) mask ``bad`` first marks a value of ``table``; None if nowhere."""
    rows = np.flatnonzero(bad.any(axis=1))
    if rows.size == 0:
        return None
    row = int(rows[0])
    column = int(np.flatnonzero(bad[row])[0])
    return BadValue(row, column, int(table.lines[row]), table.lines[rows[1:]].tolist())


Check = Callable[[Table], list[DataFormatError]]
"""A reader's check of a parsed table (the rows that parsed): one DataFormatError per bad row,
at its first bad value (see :func:`value_errors`); it may raise one for the whole table (a
header naming the columns in another order)."""


def value_errors(
    table: Table,
    bad: npt.NDArray[np.bool_],
    reason: Callable[[float, int], str],
    *,
    source: str,
    names: Sequence[str],
    path: Path | None = None,
) -> list[DataFormatError]:
    """One DataFormatError per row of ``table`` that the (N, columns) mask ``bad`` marks, at its
    first marked value: ``source: line L, column C (name): REASON``, the reason being
    ``reason(value, column)`` (0-based column)."""
    errors = []
    for row in np.flatnonzero(bad.any(axis=1)):
        column = int(np.flatnonzero(bad[row])[0])
        line = int(table.lines[row])
        value = float(table.values[row, column])
        errors.append(
            DataFormatError(
                f"{source}: line {line}, column {column + 1} ({names[column]}): {reason(value, column)}",
                path=path,
                line=line,
                column=column + 1,
            )
        )
    return errors


def raise_bad_lines(errors: Sequence[DataFormatError], noun: str = "bad line") -> None:
    """Raise the first of ``errors`` (one per line) by line, its message followed by the lines of
    the others (:func:`bad_lines_note`); nothing when there are none."""
    if not errors:
        return
    ordered = sorted(errors, key=lambda error: error.line or 0)
    first = ordered[0]
    raise DataFormatError(
        f"{first}{bad_lines_note([error.line or 0 for error in ordered[1:]], noun)}",
        path=first.path,
        line=first.line,
        column=first.column,
    )


def read_table(
    path: str | os.PathLike[str], column_names: Sequence[str], *, check: Check | None = None
) -> Table:
    """:func:`parse_table` of the file at ``path`` (``~`` expanded), named in every error."""
    text, file = read_input_file(path)
    return parse_table(text, source=str(file), column_names=column_names, path=file, check=check)


def read_input_file(path: str | os.PathLike[str]) -> tuple[str, Path]:
    """The text of the file at ``path`` (``~`` expanded), read once (a pipe cannot be read twice),
    and its Path; FileNotFoundError naming it when it does not exist."""
    file = given_path(path, "input")
    if not file.exists():
        raise FileNotFoundError(f"input file {file} does not exist")
    return read_text(file), file


def read_stdin_text() -> str:
    """Standard input, read whole and decoded as a file's bytes are (named ``<stdin>`` in a
    decoding error): the rows a command reads when its file is given as ``-``, for
    :func:`parse_table` with ``source=STDIN_NAME``."""
    if sys.stdin is None:  # started with <&-
        raise ValueError("standard input is closed; give the rows as a file, or pipe them in")
    stream = sys.stdin.buffer
    _refuse_device(stream, STDIN_NAME)
    return decode_text(stream.read(), source=STDIN_NAME)


def _refuse_device(stream: Any, source: str, path: Path | None = None) -> None:
    """DataFormatError if ``stream`` is a device other than a terminal: ``/dev/zero`` would be
    read until memory ran out. A stream without a file descriptor (a test's) is no device."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return
    if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) and not stream.isatty():
        raise DataFormatError(f"{source}: is a device, expected a data file", path=path)


def bad_lines_note(lines: Sequence[int], noun: str = "bad row") -> str:
    """The note that follows the first error, e.g. ``; 3 more bad rows, at lines 7, 9 and 12``,
    for the other bad ``lines`` ("" when there are none); at most LISTED_LINES are named."""
    if not lines:
        return ""
    named = [str(line) for line in lines[:LISTED_LINES]]
    if len(lines) > LISTED_LINES:
        where = f"{', '.join(named)} and {len(lines) - LISTED_LINES} other(s)"
    elif len(named) > 1:
        where = f"{', '.join(named[:-1])} and {named[-1]}"
    else:
        where = named[0]
    plural = "s" if len(lines) > 1 else ""
    return f"; {len(lines)} more {noun}{plural}, at line{plural} {where}"


def read_text(path: Path) -> str:
    """Read ``path`` as UTF-8 text, refusing binary files with a message that says what they are,
    and devices other than a terminal (``/dev/zero`` would be read until memory ran out)."""
    try:
        with path.open("rb") as file:
            _refuse_device(file, str(path), path)
            raw = file.read()
    except IsADirectoryError:
        raise DataFormatError(f"{path}: is a folder, expected a data file", path=path) from None
    return decode_text(raw, source=str(path), path=path)


def decode_text(raw: bytes, *, source: str, path: Path | None = None) -> str:
    """Decode ``raw`` as UTF-8 (BOM dropped); errors name ``source`` and the line."""
    if raw.startswith(_ZIP_MAGIC):
        raise DataFormatError(f"{source}: {_zip_text(raw, path)}", path=path)
    for magic, what in _OTHER_FORMATS.items():
        if raw.startswith(magic):
            raise DataFormatError(f"{source}: {what}", path=path)
    # the BOM dropped by hand, not by "utf-8-sig": its error positions count from after the BOM
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = _line_at(body[: error.start].decode("utf-8"), error.start)  # the bytes before it decode
        raise DataFormatError(
            f"{source}: line {line}: not UTF-8 text (byte 0x{body[error.start]:02x}); "
            "expected a text file of numbers",
            path=path,
            line=line,
        ) from None
    if re.match(r"\s*<(?:!doctype html|html)[\s>]", text[:512], re.IGNORECASE):
        raise DataFormatError(
            f"{source}: is a web page (HTML), expected a text file of numbers; a download that gave "
            "a page instead of the file?",
            path=path,
        )
    if "\x00" in text:
        line = _line_at(text, text.index("\x00"))
        raise DataFormatError(
            f"{source}: line {line}: contains a NUL byte, expected a text file of numbers",
            path=path,
            line=line,
        )
    return text


def _zip_text(raw: bytes, path: Path | None) -> str:
    """What a zip archive given as a data file is: a glassnet model (a checkpoint, an .npz
    holding ``__meta__.npy``), another NumPy .npz archive, or a zip to unzip."""
    mimetype = ""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            info = archive.getinfo("mimetype") if "mimetype" in names else None
            # OpenDocument's: the kind of document, in ASCII, stored; its first bytes only
            # (a bzip2 member of a few hundred bytes can hold gigabytes)
            if info is not None and info.compress_type in INFLATED_BY_PARTS:
                with archive.open(info) as member:
                    mimetype = member.read(100).decode("ascii", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, RuntimeError):
        names = []
    if "__meta__.npy" in names:
        model = "MODEL" if path is None else shlex.quote(str(path))
        return (
            "is a glassnet model file (a checkpoint), not a data file; a model is read by "
            f"`glassnet evaluate {model}` (its metrics) and `glassnet predict {model} ROWS.csv`"
        )
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "is an Excel workbook (.xlsx), expected a text file of numbers; save it as CSV from the spreadsheet"
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        return (
            "is an OpenDocument spreadsheet (.ods), expected a text file of numbers; save it as CSV from "
            "the spreadsheet"
        )
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        return f"is an OpenDocument file ({mimetype}), expected a text file of numbers"
    if names and all(name.endswith(".npy") for name in names):
        return "is a NumPy .npz archive of arrays, expected a text file of numbers"
    return (
        "is a zip archive, expected a text file of numbers; unzip it first, or, for the UCI archive, "
        "give it to `glassnet data fetch airfoil --url file:///PATH`"
    )


def _line_at(text: str, index: int) -> int:
    """The 1-based line of ``text[index]``, counting LF, CRLF and CR as line ends."""
    return len(_LINE_END.findall(text, 0, index)) + 1


def parse_table(
    text: str,
    *,
    source: str,
    column_names: Sequence[str],
    path: Path | None = None,
    check: Check | None = None,
) -> Table:
    """Parse ``text`` into a (N, len(column_names)) float64 table, its header and row lines.

    ``source`` names the file in error messages; ``column_names`` are the expected
    columns, used for the count and to name a column at fault. ``check`` (see :data:`Check`)
    is called with the rows that parse; the bad rows it finds are named with the lines that do
    not parse, in one error. A plain text (:func:`_plain_table`: rows of numbers and perhaps a
    header, nothing else) is read in one vectorised pass, any other line by line, to the same table.
    """
    table = _plain_table(text, len(column_names))
    if table is None:
        table = _parse_lines(text, source=source, column_names=column_names, path=path, check=check)
    else:  # the common case, read in one pass: the table _parse_lines reads, and no line it refuses
        raise_bad_lines([] if check is None else check(table))
    if table.header is not None and _numbers_the_columns(table.header, len(column_names)):
        warnings.warn(
            f"{source}: line {table.header_line} ({_cut(','.join(table.header))}) is read as a header that "
            "numbers the columns, as pandas writes one for columns without names, not as a row of data",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
    return table


def _cut(name: str, limit: int = 60) -> str:
    """A header's name (or line) for a message, cut after ``limit`` characters with its length
    said: read from a file, it may be of any length, and a message holding it whole floods the
    terminal (as :func:`~glassnet._checks.shown` cuts a field, without its quotes)."""
    return name if len(name) <= limit else f"{name[:limit]}… ({len(name):,} characters)"


def _parse_lines(
    text: str,
    *,
    source: str,
    column_names: Sequence[str],
    path: Path | None = None,
    check: Check | None = None,
) -> Table:
    """:func:`parse_table`, line by line: any text, every bad line named."""
    n_columns = len(column_names)
    expected = f"{n_columns} columns ({', '.join(column_names)})"
    rows: list[list[float]] = []
    lines: list[int] = []
    errors: list[DataFormatError] = []  # one per bad line
    header: tuple[str, ...] | None = None
    header_line: int | None = None
    separator: str | None = None
    separator_known = False
    commented: tuple[int, str] | None = None  # the last comment line before the first row
    for line_number, line in enumerate(_LINE_END.split(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if stripped and not separator_known:
                commented = line_number, stripped.lstrip("#").strip()
            continue
        first_line = not separator_known
        if first_line:
            separator = _detect_separator(stripped)
            separator_known = True
        # a tab ends an empty first or last field of a tab-separated line: not stripped with the spaces
        content = line.strip(" \x0b\x0c") if separator == "\t" else stripped
        if first_line and _quote_left_open(content, separator):
            # before the header's reading, whose fields the quote would cut (the header was read,
            # or named as one of too few columns); a row's is named below, as the other bad rows
            errors.append(
                DataFormatError(
                    f"{source}: line {line_number}: a double quote is opened and not closed (a line "
                    f"break inside a quoted cell, as a spreadsheet writes one?); expected {expected}",
                    path=path,
                    line=line_number,
                )
            )
            continue
        if separator is not None and '"' not in content and content.count(separator) >= MAX_FIELDS:
            # counted, not split: a line of 10,000,000 fields took 660 MB as strings to say so
            count = content.count(separator) + 1
            if first_line and _is_header(_fields_one_by_one(content, separator)):
                raise DataFormatError(
                    f"{source}: line {line_number}: the header has {count_text(count, 'column')} "
                    f"separated by {_SEPARATOR_NAMES[separator]}, expected {expected}",
                    path=path,
                    line=line_number,
                )
            errors.append(
                DataFormatError(
                    f"{source}: line {line_number}: expected {expected} separated by "
                    f"{_SEPARATOR_NAMES[separator]}, got {count_text(count, 'field')}",
                    path=path,
                    line=line_number,
                )
            )
            continue
        try:
            fields = _split(content, separator)
        except csv.Error:  # the only one csv raises here: a quoted field longer than its limit
            errors.append(
                DataFormatError(
                    f"{source}: line {line_number}: has a field longer than {csv.field_size_limit():,} "
                    f"characters; expected {expected}",
                    path=path,
                    line=line_number,
                )
            )
            continue
        if first_line and (_is_header(fields) or _numbers_the_columns(fields, n_columns)):
            if len(fields) != n_columns:
                raise DataFormatError(
                    f"{source}: line {line_number}: the header has {count_text(len(fields), 'column')} "
                    f"separated by {_SEPARATOR_NAMES[separator]}, expected {expected}",
                    path=path,
                    line=line_number,
                )
            header, header_line = tuple(fields), line_number
            continue
        try:
            if stripped.count('"') % 2:  # csv takes "0.5 as 0.5: a quote left open, a field cut short
                raise DataFormatError(
                    f"{source}: line {line_number}: a double quote is opened and not closed; expected "
                    f"{expected}",
                    path=path,
                    line=line_number,
                )
            if len(fields) != n_columns:
                raise DataFormatError(
                    f"{source}: line {line_number}: expected {expected} separated by "
                    f"{_SEPARATOR_NAMES[separator]}, got {count_text(len(fields), 'field')}",
                    path=path,
                    line=line_number,
                )
            row = [
                _parse_number(
                    field, source=source, path=path, line=line_number, column=col, names=column_names
                )
                for col, field in enumerate(fields, start=1)
            ]
        except DataFormatError as error:  # read on, so that one error names every bad line
            # without its traceback, whose frames hold the row's fields: 2 KB a bad row otherwise
            errors.append(error.with_traceback(None))
            continue
        rows.append(row)
        lines.append(line_number)
    if (
        not rows
        and not errors
        and header is not None
        and header_line is not None
        and _numbers_the_columns(header, n_columns)
    ):
        # a lone line that counts its columns is a row: a header over no rows would be no table
        rows, lines = [[float(field) for field in header]], [header_line]
        header = header_line = None
    if header is None and commented is not None:
        # np.savetxt writes its header as a comment ("# frequency,angle_of_attack,…"): names in
        # another order there would swap columns as silently as a plain header's
        fields = _split(commented[1], separator)
        if len(fields) == n_columns and all(
            _NUMBER.fullmatch(field) is None and _NON_FINITE.fullmatch(field) is None for field in fields
        ):
            header, header_line = tuple(fields), commented[0]
    values = np.array(rows, dtype=np.float64).reshape(len(rows), n_columns)  # (N, n_columns)
    table = Table(values, header, np.array(lines, dtype=np.intp), header_line)
    if check is not None:  # the values out of range count among the bad lines
        errors += check(table)
    raise_bad_lines(errors)
    if not rows:
        if header is not None:
            what = "only a header"
        else:
            what = (
                "no data (the file is empty)" if not text.strip() else "no rows, only blank and comment lines"
            )
        raise DataFormatError(f"{source}: has {what}; expected at least one row of {expected}", path=path)
    return table


@functools.cache
def _not_plain(separator: str | None) -> re.Pattern[str]:
    """Any character but those of rows of plain numbers: ASCII digits, ``+-.eE``, the separator,
    spaces, tabs and line ends."""
    return re.compile(rf"[^0-9+\-.eE \t\r\n{re.escape(separator or '')}]")


def _plain_table(text: str, n_columns: int) -> Table | None:
    """The table of ``text`` when it is plain: an optional header (a first line of names, no
    quotes), then rows of finite numbers only, without quotes, comments or blank lines but at
    the end; None for any other text, which :func:`parse_table` reads line by line.

    ``np.loadtxt`` reads the rows, three times faster than the line-by-line reading (0.38
    against 1.17 s for 200,000 rows of airfoil features), which stays the one that words an
    error, and to the same table: of the characters allowed here,
    it takes exactly the fields that ``_NUMBER`` takes, each to the same float (correctly
    rounded), and refuses the rest with a ValueError (tests/test_data_loading.py holds both).
    """
    first_end = _LINE_END.search(text)
    first_line = text if first_end is None else text[: first_end.start()]
    first = first_line.strip()
    if not first or first.startswith("#") or '"' in first:
        return None
    separator = _detect_separator(first)
    if separator is not None and first.count(separator) >= MAX_FIELDS:
        return None  # an error, worded by _parse_lines without splitting the line
    # as _parse_lines reads a tab-separated line: a tab at either end ends an empty field, so it
    # stays, in the header and at the end of the last row (a row starting with one is no number)
    blank = " \x0b\x0c\r\n" if separator == "\t" else " \t\r\n"
    fields = _split(first_line.strip(blank), separator)
    header, header_line, start = None, None, 0
    if _is_header(fields) or _numbers_the_columns(fields, n_columns):
        if len(fields) != n_columns or first_end is None:  # an error, or no rows
            return None
        header, header_line, start = tuple(fields), 1, first_end.end()
    body = text[start:].rstrip(blank)  # trailing blank lines; loadtxt reads "  " as a row
    if not body or _not_plain(separator).search(body) is not None:
        return None
    try:
        values = np.loadtxt(
            io.StringIO(body, newline=None), delimiter=separator, comments=None, dtype=np.float64, ndmin=2
        )  # (N, columns)
    except ValueError:  # a field that is not a number, a row of another width
        return None
    rows = body.count("\n") + body.count("\r") - body.count("\r\n") + 1  # LF, CRLF or CR each end one
    # loadtxt skips blank lines, which would shift the line numbers; 1e999 is read as inf
    if values.shape != (rows, n_columns) or not np.isfinite(values).all():
        return None
    first_row = 1 if header_line is None else 2
    return Table(values, header, np.arange(first_row, first_row + rows, dtype=np.intp), header_line)


def _detect_separator(line: str) -> str | None:
    unquoted = _QUOTED.sub("", line) if '"' in line else line  # a quoted field may hold any of them
    for separator in ("\t", ";", ","):
        if separator in unquoted:
            return separator
    return None  # runs of spaces


def _split(line: str, separator: str | None) -> list[str]:
    """The fields of a line, each without surrounding spaces and without one pair of surrounding
    double quotes (spreadsheets and csv writers may quote every field: "800","0",…). A line
    with quotes is split as CSV, so that a quoted field may hold the separator ("Frequency, Hz")."""
    if '"' in line:  # runs of spaces as one separator: skipinitialspace skips all but the first
        spaced = line.replace("\t", " ") if separator is None else line  # split() splits at tabs too
        fields = next(csv.reader([spaced], delimiter=separator or " ", skipinitialspace=True))
    elif separator is None:
        fields = line.split()
    else:
        fields = line.split(separator)
    return [_unquoted(field.strip()) for field in fields]


def _quote_left_open(line: str, separator: str | None) -> bool:
    """Whether a quoted field of ``line``, read as :func:`_split` reads it, is opened and not
    closed. A quote inside an unquoted field (``Chord (12")``, an inch mark) is a character of it."""
    if '"' not in line:
        return False
    spaced = line.replace("\t", " ") if separator is None else line
    try:
        next(csv.reader([spaced], delimiter=separator or " ", skipinitialspace=True, strict=True))
    except csv.Error as error:  # strict refuses other quoting too ("a"b): only the missing end is one
        return "end of data" in str(error)
    return False


def _unquoted(field: str) -> str:
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].strip()
    return field


# A number written otherwise than the table takes it: digits grouped or split by commas, points
# or spaces ("0,5", "1,000", "1,000.5", "1 000"), with an exponent, then perhaps a space and one
# short word of a unit ("800 Hz", "0.3 m", "39.7 m/s"). Column names seldom look so ("2theta", "10m_wind",
# "3D_x" have a letter right after the digits; "2 metre temperature" has more than a unit after
# its number): a first line with such a field is a row to read, its fields that do not parse
# named as errors, rather than the line dropped as a header.
_NUMBER_LIKE = re.compile(
    r"[+-]?(?:\d+(?:(?:[.,]|\s(?=\d))\d*)*|[.,]\d+)(?:[eE][+-]?\d+)?(?:\s+[^\s\d]\S{0,4})?"
)


def _is_header(fields: Iterable[str]) -> bool:
    """Whether a file's first line is a header: names, not numbers. No field a number, nor one
    written otherwise (a decimal comma, thousands separators or a unit would make a row of data
    a header, silently dropped), and not every field empty."""
    named = False
    for field in fields:
        if _NUMBER_LIKE.fullmatch(field) is not None or _NON_FINITE.fullmatch(field) is not None:
            return False
        named = named or bool(field)
    return named


def _fields_one_by_one(line: str, separator: str) -> Iterator[str]:
    """The fields of an unquoted ``line``, as :func:`_split` gives them, one at a time: a line of
    millions of them is read without holding them all."""
    start = 0
    while (end := line.find(separator, start)) != -1:
        yield line[start:end].strip()
        start = end + len(separator)
    yield line[start:].strip()


def _numbers_the_columns(fields: Sequence[str], n_columns: int) -> bool:
    """Whether a first line of the table's ``n_columns`` fields, three or more, counts them, 0, 1,
    2, … or 1, 2, 3, …: the header that pandas writes for a frame of unnamed columns
    (``DataFrame(array).to_csv(index=False)``), which was read as a row of data. Two fields are
    left as numbers (a row (0, 1) is a point of a two-feature file as likely as a header), and a
    count of another width is a row of the wrong width, named as such; a lone such line, with
    no rows after it, is read as a row (:func:`_parse_lines`)."""
    return len(fields) == n_columns > 2 and any(
        list(fields) == [str(number) for number in range(start, start + len(fields))] for start in (0, 1)
    )


def _number_hint(field: str) -> str:
    """A hint for a field that is a number written with a comma, or "" for any other."""
    if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+\.\d*", field):  # 1,000.5: commas group thousands
        return "; write numbers without thousands separators (1,000.5 as 1000.5)"
    if re.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+", field):  # 1,000: thousands, or a decimal comma
        return (
            "; write numbers without thousands separators (1,000 as 1000) and decimals with a "
            "point, not a comma (0,5 as 0.5)"
        )
    if re.fullmatch(r"[+-]?\d*,\d+", field):
        return "; write decimals with a point, not a comma"
    return ""


def _parse_number(
    field: str, *, source: str, path: Path | None, line: int, column: int, names: Sequence[str]
) -> float:
    if _NUMBER.fullmatch(field) is not None:
        value = float(field)
        if math.isfinite(value):
            return value
    where = f"{source}: line {line}, column {column} ({names[column - 1]})"
    if _NUMBER.fullmatch(field) is not None:
        message = f"{where}: {shown(field, 60)} overflows to infinity; every value must be a finite number"
    elif _NON_FINITE.fullmatch(field) is not None:
        message = f"{where}: {field!r} is not finite; every value must be a finite number"
    elif not field:
        message = f"{where}: the field is empty, expected a number"
    else:
        message = f"{where}: expected a number, got {shown(field, 60)}{_number_hint(field)}"
    raise DataFormatError(message, path=path, line=line, column=column)


def column_alias(name: str) -> str:
    """A column name as ``aliases`` are keyed: lower case, letters and digits only ("Target(dB)"
    -> "targetdb", "angle_of_attack" -> "angleofattack")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Unit words a header may give with a column's name ("freq_hz", "Velocity [m/s]", "AOA (deg)"),
# each as unit_text spells it: dropped before the name is looked up among the aliases, and
# compared with the unit the column is read in. Units spelled out count as their symbols
# ("Chord length, in meters", "Free-stream velocity, in meters per second": UCI's descriptions);
# as unknown words they were neither dropped nor compared, and such a header was not read.
_UNIT_SPELLING = {
    "hz": "hz", "hertz": "hz", "hertzs": "hz", "khz": "khz", "kilohertz": "khz",
    "mhz": "mhz", "megahertz": "mhz", "rad": "rad", "radian": "rad", "radians": "rad",
    "deg": "deg", "degree": "deg", "degrees": "deg",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "s": "s", "second": "s", "seconds": "s", "sec": "s", "per": "",
    "ms": "ms", "mps": "ms", "cm": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm",
    "centimetres": "cm", "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm",
    "millimetres": "mm", "ft": "ft", "foot": "ft", "feet": "ft",
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "h": "h", "hour": "h", "hours": "h", "kmh": "kmh", "kph": "kmh", "mph": "mph",
    "kn": "kn", "knot": "kn", "knots": "kn", "kt": "kn", "kts": "kn", "fps": "fts", "ftps": "fts",
    "db": "db", "decibel": "db", "decibels": "db",
    "hr": "h", "inch": "inch", "inches": "inch", "mile": "mi", "miles": "mi", "mi": "mi",
    "µm": "um", "μm": "um", "um": "um", "micron": "um", "microns": "um", "micrometer": "um",
    "micrometers": "um", "micrometre": "um", "micrometres": "um", "mrad": "mrad",
    "milliradian": "mrad", "milliradians": "mrad", "grad": "grad", "gon": "grad", "gradian": "grad",
    "gradians": "grad", "pa": "pa", "pascal": "pa", "pascals": "pa", "dba": "dba",
}  # fmt: skip

# Time words that end names as often as units ("Angle of attack, second" is a second angle): a
# name ending in them alone gives a unit only in brackets or after "in" ("Period, in seconds")
_AMBIGUOUS_UNIT_WORDS = frozenset({"second", "seconds", "sec", "hour", "hours"})


# a word of a lower-cased header name; µ (micro sign) and μ (Greek mu) are letters of one, so
# that "µm" is micrometres, not metres
_WORD = re.compile(r"[a-z0-9µμ]+")
_BRACKETED = re.compile(r"\((.*?)\)|\[(.*?)\]|\{(.*?)\}")  # a part in brackets, its inside grouped


def _unit_word(word: str) -> str | None:
    """A word of a header as a unit, spelled as :data:`_UNIT_SPELLING` spells it, or None: a known
    unit, or one with a micro prefix µ or μ ("µrad": "urad"), which no column is read in."""
    if word in _UNIT_SPELLING:
        return _UNIT_SPELLING[word]
    if word[:1] in ("µ", "μ") and word[1:] in _UNIT_SPELLING:
        return "u" + _UNIT_SPELLING[word[1:]]
    return None


# A-weighted decibels, dB(A), dB A, dB-A, dB_A, dB (A-weighted), decibels (A), as the one word that unit_text
# spells "dba": read as "db" and a word "a", they passed as the published (unweighted) level's
# dB (bounded as _WORD splits words, where \b would count "_" as a letter: "sspl_db(a)")
_WEIGHTED = r"(?:[\s_\-\u2010-\u2015]*weight(?:ed|ing))?"  # "-weighted", "‑weighting" (any dash)
_A_WEIGHTED = re.compile(
    rf"(?<![a-z0-9µμ])(?:db|decibels?)\s*(?:\(\s*a{_WEIGHTED}\s*\){_WEIGHTED}|\[\s*a{_WEIGHTED}\s*\]{_WEIGHTED}"
    rf"|[^a-z0-9µμ()\[\]]+a{_WEIGHTED}(?![a-z0-9µμ]))"
)


def unit_text(unit: str) -> str:
    """A unit as header names are compared by: "m/s", "[m s]" and "mps" as "ms", "Degrees" as
    "deg", "Hz" as "hz"."""
    words = _WORD.findall(_A_WEIGHTED.sub("dba", unit.lower()))
    spelled = [_unit_word(word) for word in words]  # "per" is spelled "": a unit word all the same
    return "".join(word if unit is None else unit for word, unit in zip(words, spelled, strict=True))


def header_name(name: str, aliases: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(the column of ``aliases`` a header's ``name`` stands for, or None; the unit it gives, as
    :func:`unit_text` spells it, or None). The name is looked up as :func:`column_alias` writes
    it, then without its unit: a part in brackets made of unit words ("AOA (deg)", "Velocity
    [m/s]"), or unit words at its end ("aoa_deg", "Freq Hz")."""
    found = aliases.get(column_alias(name))
    if found is not None:
        return found, None
    lowered = _A_WEIGHTED.sub("dba", name.lower())
    unit: str | None = None
    for bracketed in _BRACKETED.findall(lowered):
        words = _WORD.findall("".join(bracketed))
        if words[:1] == ["in"] and len(words) > 1:  # "(in radians)", "(in km/h)": the units after it
            words = words[1:]
        # "(per second)" is no unit of the column's, but of a rate: not compared
        if words and words[0] != "per" and all(_unit_word(word) is not None for word in words):
            unit = unit_text(" ".join(words))
        elif words == ["in"]:  # "Chord (in)": inches, where a bare "in" is a word of the name
            unit = "inch"
    words = _WORD.findall(_BRACKETED.sub(" ", lowered))
    trailing: list[str] = []
    while words and _unit_word(words[-1]) is not None:
        trailing.insert(0, words.pop())
    while trailing and trailing[0] == "per":  # "per" joins two units ("meters per second") only
        words.append(trailing.pop(0))
    after_in = bool(trailing) and bool(words) and words[-1] == "in"
    if trailing and not after_in and all(word in _AMBIGUOUS_UNIT_WORDS for word in trailing):
        words += trailing  # words of the name, not a unit
        trailing = []
    if after_in:  # "Frequency in Hz", "Angle of attack, in degrees"
        words.pop()
    if unit is None and trailing:
        unit = unit_text(" ".join(trailing))
    column = aliases.get("".join(words)) if words else None
    return column, unit if column is not None else None


def refuse_reordered_header(
    table: Table,
    names: Sequence[str],
    *,
    source: str,
    listing: str,
    reader: str,
    aliases: Mapping[str, str] | None = None,
    units: Sequence[str | None] | None = None,
    target: str | None = None,
    path: Path | None = None,
) -> None:
    """DataFormatError when the header lists ``names`` in another order, or in other units, or
    names the ``target`` over one of them.

    Rows are read by position, so such a file would be read with its columns swapped,
    silently wrong; it is refused rather than reordered, so that every message keeps the
    file's own columns. One name of ``names`` over another column is enough (the target
    named "y", say, and two features swapped). ``aliases`` ({:func:`column_alias` of
    another name: the name in ``names``}) lets a header of other known names (the published
    copies' abbreviations, with or without a unit: :func:`header_name`) be checked too; names
    it does not know are not read. ``units`` (one per name, None where not known) are the units
    the columns are read in: a known name that gives another unit ("AOA (rad)" for degrees, "Freq (kHz)" for Hz) is
    refused too, since its numbers would be read in the wrong unit. ``listing`` names the
    columns ("the model's features"), ``reader`` who reads them ("the model"); the error names
    ``source`` and the header's line, and keeps ``path``, the line and the first column out of place.
    ``target`` is the name of the column the features predict (known by its aliases too): in a
    header of features only (``names`` without it), a column of that name holds the target's
    values, which would be read as a feature's.
    """
    if table.header is None:
        return
    known = aliases or {}
    read = [header_name(name, known) for name in table.header]
    given = [(column or name.strip()).lower() for (column, _), name in zip(read, table.header, strict=True)]
    expected = [name.lower() for name in names]
    if target is not None and target.lower() not in expected and target.lower() in given:
        column = given.index(target.lower()) + 1
        raise DataFormatError(
            f"{source}: line {table.header_line}: column {column} ({_cut(table.header[column - 1])}) names the "
            f"target, {target}, not one of {listing} ({', '.join(names)}) that {reader} reads: drop the "
            "target's column",
            path=path,
            line=table.header_line,
            column=column,
        )
    # one known name over another column is enough: the other names may be ones it does not know
    misplaced = [
        column
        for column, (name, want) in enumerate(zip(given, expected, strict=True), start=1)
        if name in expected and name != want
    ]
    if misplaced:
        raise DataFormatError(
            f"{source}: line {table.header_line}: the header lists {listing} in another order "
            f"({', '.join(map(_cut, table.header))}); {reader} reads its columns by position, as {', '.join(names)}: "
            "put the columns in that order",
            path=path,
            line=table.header_line,
            column=misplaced[0],
        )
    for column, (name, (_, unit), want) in enumerate(
        zip(table.header, read, units or (), strict=False), start=1
    ):
        if unit is not None and want is not None and unit != unit_text(want):
            raise DataFormatError(
                f"{source}: line {table.header_line}: column {column} ({_cut(name)}) names a unit other than "
                f"{want}, the unit {reader} reads {names[column - 1]} in: convert the column to {want}",
                path=path,
                line=table.header_line,
                column=column,
            )
