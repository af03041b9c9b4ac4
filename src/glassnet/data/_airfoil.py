"""The NASA airfoil self-noise data set: where it is, how it is read, what it must contain.

Brooks, Pope & Marcolini, NASA RP-1218 (1989), as published in the UCI Machine Learning
Repository (dataset 291, CC BY 4.0): 1503 rows of 5 features and the target, the scaled
sound pressure level in dB.
"""

from __future__ import annotations

import copy
import hashlib
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from glassnet._checks import as_float_array, count_text, shown, user_stacklevel
from glassnet._files import dash_hint, expand_user
from glassnet.data._errors import DataFormatError, DataWarning, OutOfDomainError
from glassnet.data._table import (
    Check,
    FloatArray,
    Table,
    parse_table,
    read_table,
    read_text,
    refuse_reordered_header,
    value_errors,
)

DATA_ENV_VAR = "GLASSNET_DATA"
"""Environment variable naming the airfoil file, or a folder that holds it."""

AIRFOIL_FILENAMES = ("airfoil_self_noise.dat", "airfoil_self_noise.csv")
"""File names looked for inside a folder: the UCI original first, then the CSV copy."""

FEATURE_NAMES = ("frequency", "angle_of_attack", "chord_length", "velocity", "displacement_thickness")
FEATURE_UNITS = ("Hz", "deg", "m", "m/s", "m")
TARGET_NAME = "sound_pressure_level"
TARGET_UNIT = "dB"
COLUMN_NAMES = (*FEATURE_NAMES, TARGET_NAME)
COLUMN_UNITS = dict(zip(COLUMN_NAMES, (*FEATURE_UNITS, TARGET_UNIT), strict=True))

# Other names the columns go by (the UCI description's and repository's, OpenML's, the copies'
# headers such as "Freq,AOA,Chord,Velocity,Displacement,Target(dB)" or "f,alpha,c,U_infinity,
# delta,SSPL"; one letter is too common to count), written as column_alias writes them:
# a header of these names in another order is refused, as one of glassnet's own names is.
COLUMN_ALIASES: dict[str, str] = {
    alias: column
    for column, aliases in {
        "frequency": ("frequency", "freq", "frequencyhz", "frequencyinhertzs"),
        "angle_of_attack": ("angleofattack", "aoa", "angle", "alpha", "angleofattackdeg", "attackangle"),
        "chord_length": ("chordlength", "chord", "chordlengthm"),
        "velocity": ("velocity", "freestreamvelocity", "velocityms", "freestreamvelocityms", "uinfinity"),
        "displacement_thickness": (
            "displacementthickness",
            "displacement",
            "suctionsidedisplacementthickness",
            "thickness",
            "delta",
        ),
        "sound_pressure_level": (
            "soundpressurelevel",
            "scaledsoundpressurelevel",
            "scaledsoundpressure",
            "sspl",
            "targetdb",
            "target",
            "spl",
            "ssplb",
        ),
    }.items()
    for alias in aliases
}


POSITIVE_COLUMNS = (0, 2, 3, 4)
"""Columns that are physical magnitudes and must be > 0: frequency, chord length, velocity and
displacement thickness (the angle of attack may be 0 or negative; the target is in dB)."""

AIRFOIL_ROWS = 1503
"""Rows of the published data set."""

AIRFOIL_MEANS = np.array(
    [2886.3805721889553, 6.782302062541583, 0.13654823685961412, 50.86074517631405, 0.011139880391217565,
     124.83594278110448]
)  # fmt: skip
"""Column means of the published data set (5 features, then the target), float64 sums of the
published numbers; the shared README gives them rounded: 2886.38, 6.7823, 0.136548, 50.8607,
0.0111399, 124.836."""

MEANS_RTOL = 1e-6
"""Relative tolerance on each column mean when a file is compared with the published data."""

AIRFOIL_TARGET_CORRELATIONS = np.array([-0.390711412, -0.156107529, -0.236161512, 0.125102801, -0.312669506])
"""Pearson correlation of each feature with the target in the published data set: the means
say nothing of which values share a row (a column sorted on its own keeps its mean), these do."""

CORRELATIONS_ATOL = 1e-6
"""Absolute tolerance on each correlation when a file is compared with the published data."""

AIRFOIL_ROWS_SHA256 = "f2354b540ecbb72946fa3ec27dd39da2d4d4078a368bb3351cc33eb0d531fdb8"
"""SHA-256 of the published table's values as little-endian float32, row by row in the published
order (UCI's ``airfoil_self_noise.dat``, first row 800 Hz at 0°, last 6300 Hz at 15.6°). In
float32, so that a copy written in float32 (a pandas export, say), which the column means take
for the published data, is compared too."""

AIRFOIL_SORTED_ROWS_SHA256 = "cab3d34a17c6c9567369528731746535cb905d8fa710cd53a481fc8ccb2c515f"
"""The same of its rows sorted (by frequency, then angle, chord, velocity, thickness, level):
the published rows whatever their order."""

HOW_TO_GET = (
    "get it with `glassnet data fetch airfoil` (downloads the UCI archive into the cache), "
    f"or download it by hand from https://archive.ics.uci.edu/dataset/291/airfoil+self+noise "
    f"and pass --data PATH or set {DATA_ENV_VAR}=PATH"
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A regression data set: features, target, their names and units, and where it came from.

    Shapes: X (N, d) float64, y (N,) float64. For airfoil (d = 5) the columns of X are
    frequency [Hz], angle of attack [deg], chord length [m], free-stream velocity [m/s] and
    suction-side displacement thickness [m]; y is the scaled sound pressure level [dB].

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import Dataset
    >>> data = Dataset(X=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], y=[0.5, 1.5, 2.5],
    ...                feature_names=("length", "time"), feature_units=("m", "s"),
    ...                target_name="level", target_unit="dB", source=None)
    >>> data
    Dataset(3 rows, 2 features (length [m], time [s]), target level [dB], source=None)
    >>> len(data), data.n_features, data.X.dtype  # lists become float64 arrays
    (3, 2, dtype('float64'))
    >>> part = data.subset(np.array([2, 0]))  # the rows of a split's part, say
    >>> part.X
    array([[5., 6.],
           [1., 2.]])
    >>> part.y
    array([2.5, 0.5])
    >>> data.where(1, 0)  # how a message names a value of X (1-based), without a file
    'row 2, column 1 (length)'
    """

    X: FloatArray  # (N, d) features
    y: FloatArray  # (N,) target
    feature_names: tuple[str, ...]  # one per column of X
    feature_units: tuple[str, ...]  # one per column of X
    target_name: str
    target_unit: str
    source: Path | None  # the file it was read from; None when built in memory
    # (N,) the 1-based line of ``source`` each row was read from, set by the loader
    # (:meth:`with_lines`); None when built in memory. Not an argument: dataclasses.replace(dataset,
    # X=…) passed the lines on to rows they did not describe (reversed rows named line 38 for 4)
    lines: npt.NDArray[np.intp] | None = field(default=None, init=False, compare=False, repr=False)

    def with_lines(self, lines: npt.ArrayLike) -> Dataset:
        """This Dataset, with the 1-based line of ``source`` each row was read from: (N,) integers ≥ 1."""
        array = np.asarray(lines)
        if array.shape != (len(self.X),) or array.dtype.kind not in "iu" or (array.size and array.min() < 1):
            raise ValueError(
                f"Dataset lines must be the 1-based line of each row, (N,) = ({len(self.X)},) integers ≥ 1, "
                f"got {shown(lines)}"
            )
        located = copy.copy(self)
        object.__setattr__(located, "lines", array.astype(np.intp))
        return located

    def where(self, row: int, column: int) -> str:
        """Where the value at ``row`` and ``column`` (0-based) of X comes from, for a message:
        ``FILE: line L, column C (name)``, or ``row R, column C (name)`` for a Dataset built in
        memory (R and C 1-based too)."""
        name = f"column {column + 1} ({self.feature_names[column]})"
        if self.source is None or self.lines is None:
            return f"row {row + 1}, {name}"
        return f"{self.source}: line {int(self.lines[row])}, {name}"

    def located(self, error: OutOfDomainError) -> OutOfDomainError:
        """``error``, raised for a value of X, again with that value named by :meth:`where`."""
        return OutOfDomainError(
            f"{self.where(error.row, error.column)}: {error.reason}",
            row=error.row,
            column=error.column,
            value=error.value,
            reason=error.reason,
        )

    def __repr__(self) -> str:
        """A line: its size, columns and file, not its arrays (several lines of numbers)."""
        columns = [
            f"{name} [{unit}]" if unit else name
            for name, unit in zip(self.feature_names, self.feature_units, strict=True)
        ]
        shown_columns = ", ".join(columns) if len(columns) <= 8 else f"{columns[0]}, …, {columns[-1]}"
        target = f"{self.target_name} [{self.target_unit}]" if self.target_unit else self.target_name
        source = None if self.source is None else str(self.source)
        return (
            f"Dataset({count_text(len(self), 'row')}, {count_text(self.X.shape[1], 'feature')} ({shown_columns}), "
            f"target {target}, "
            f"source={source!r})"
        )

    def __post_init__(self) -> None:
        # arrays of float64 as documented, from lists too ("'list' object has no attribute 'ndim'");
        # complex numbers, strings and objects refused by name. Finiteness is the loaders' and
        # the trainers' to check, naming the row.
        for name in ("X", "y"):
            array = as_float_array(
                getattr(self, name), name=f"Dataset {name}", dtype=np.dtype(np.float64), finite=False
            )
            object.__setattr__(self, name, array)
        if self.X.ndim != 2 or self.y.ndim != 1 or self.X.shape[0] != self.y.shape[0]:
            raise ValueError(f"Dataset needs X (N, d) and y (N,), got X {self.X.shape} and y {self.y.shape}")
        # the names as the annotations say: a string was taken as its characters, one per column
        for name in ("feature_names", "feature_units"):
            value = getattr(self, name)
            items = (
                None if isinstance(value, str | bytes) or not isinstance(value, Iterable) else tuple(value)
            )
            if items is None or not all(isinstance(item, str) for item in items):
                raise TypeError(
                    f"Dataset {name} must be a sequence of strings (a tuple, a list, an array of str), one "
                    f"per feature column, got {shown(value)}"
                )
            object.__setattr__(self, name, tuple(str(item) for item in items))  # np.str_ as str
        for name in ("target_name", "target_unit"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Dataset {name} must be a string, got {shown(getattr(self, name))}")
        if self.source is not None:
            if not isinstance(self.source, str | os.PathLike):
                raise TypeError(f"Dataset source must be a path or None, got {shown(self.source)}")
            object.__setattr__(self, "source", Path(self.source))
        if not len(self.feature_names) == len(self.feature_units) == self.X.shape[1]:
            raise ValueError(
                f"Dataset needs one name and one unit per feature column ({self.X.shape[1]}), got "
                f"{len(self.feature_names)} names and {len(self.feature_units)} units"
            )

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def subset(self, indices: np.ndarray) -> Dataset:
        """The rows ``indices`` (an integer index array, e.g. a split's ``train``) as a new Dataset,
        whose ``source`` is None: those rows are not the file's, and a run of them that named
        the file would send ``glassnet evaluate`` back to it for rows it does not hold alone."""
        index = np.asarray(indices)
        if index.shape == (0,):  # [] is float64 to NumPy: no rows, not a float index
            index = index.astype(np.intp)
        if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
            raise TypeError(
                f"indices must be a 1-D integer array, got dtype {index.dtype} shape {index.shape}"
            )
        return Dataset(
            X=self.X[index],
            y=self.y[index],
            feature_names=self.feature_names,
            feature_units=self.feature_units,
            target_name=self.target_name,
            target_unit=self.target_unit,
            source=None,
        )


def cache_dir() -> Path:
    """The user cache folder: ``$XDG_CACHE_HOME/glassnet``, else ``~/.cache/glassnet`` (not created here).

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG specification asks. Without it and
    without a home folder (no ``$HOME`` and no user entry, as under ``docker run --user N``)
    there is no cache: OSError, saying what to set. So too for an empty or relative ``$HOME``,
    which would put the cache under the root folder or the current one.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "glassnet"
    home_variable = os.environ.get("HOME")  # Windows' Path.home() reads USERPROFILE instead
    if os.name == "posix" and home_variable is not None and not Path(home_variable).is_absolute():
        raise OSError(
            f"no cache folder: $HOME is {home_variable!r}, not an absolute path; "
            "set XDG_CACHE_HOME or HOME to an absolute path"
        )
    try:
        home = Path.home()
    except RuntimeError:  # pathlib's "Could not determine home directory"
        raise OSError(
            "no cache folder: the home folder cannot be found (no $HOME and no user entry); "
            "set XDG_CACHE_HOME or HOME to an absolute path"
        ) from None
    return home / ".cache" / "glassnet"


def source_checkout_data_dir() -> Path | None:
    """``../shared/data/`` beside the repository root, when glassnet runs from a source checkout.

    Only the tests and CI rely on it; an installed package has no checkout around it and
    gets None.
    """
    root = Path(__file__).resolve().parents[3]  # src/glassnet/data/_airfoil.py -> repository root
    if not ((root / "pyproject.toml").is_file() and (root / "src" / "glassnet").is_dir()):
        return None
    return root.parent / "shared" / "data"


def _in_folder(folder: Path) -> Path | None:
    """The airfoil file in ``folder``, or None; an OSError naming the folder when it cannot be
    searched (no x permission: Python 3.11's ``is_file`` raises it, naming a file that may not
    be there)."""
    for name in AIRFOIL_FILENAMES:
        candidate = folder / name
        try:
            if candidate.is_file():
                return candidate
        except OSError as error:
            raise type(error)(error.errno, error.strerror, str(folder)) from None
    return None


def _resolve(path: Path, what: str, advice: str = HOW_TO_GET) -> Path:
    """``path`` as a file, or the airfoil file inside the folder ``path``; else FileNotFoundError
    ending with ``advice``. ``what`` is written right before the path in a message ("data path ",
    "GLASSNET_DATA=")."""
    if path.exists() and not path.is_dir():  # a file, or a pipe (<(…), /dev/stdin), read as one
        return path
    if path.is_dir():
        found = _in_folder(path)
        if found is not None:
            return found
        raise FileNotFoundError(
            f"{what}{path} is a folder without {' or '.join(AIRFOIL_FILENAMES)}; {advice}"
        )
    # for "-", what to give instead: the advice to download would not help
    raise FileNotFoundError(f"{what}{path} does not exist{dash_hint(path) or '; ' + advice}")


def find_airfoil(path: str | os.PathLike[str] | None = None) -> Path:
    """Locate the airfoil data file.

    Order: ``path`` (a file, or a folder holding ``airfoil_self_noise.dat``/``.csv``);
    ``$GLASSNET_DATA`` (same); the user cache (:func:`cache_dir`); ``../shared/data/``
    beside the repository root (source checkouts only: tests and CI). An explicit path or
    a set environment variable that points at nothing is an error, not skipped: the caller
    asked for that file. When nothing is found, the FileNotFoundError lists every place
    looked at and how to get the file.

    Examples
    --------
    >>> from pathlib import Path
    >>> from glassnet.data import find_airfoil
    >>> Path("data").mkdir()
    >>> row = "800\\t0\\t0.3048\\t71.3\\t0.00266337\\t126.201\\n"  # the first published row
    >>> _ = Path("data/airfoil_self_noise.dat").write_text(row)
    >>> find_airfoil("data/airfoil_self_noise.dat").as_posix()  # the file itself
    'data/airfoil_self_noise.dat'
    >>> find_airfoil("data").as_posix()  # or the folder that holds it
    'data/airfoil_self_noise.dat'

    Without a path, ``$GLASSNET_DATA`` is looked at first:

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"GLASSNET_DATA": "data"}):
    ...     find_airfoil().as_posix()
    'data/airfoil_self_noise.dat'

    A path given that points at nothing is an error, not skipped:

    >>> find_airfoil("elsewhere")
    Traceback (most recent call last):
        ...
    FileNotFoundError: data path elsewhere does not exist; get it with `glassnet data fetch airfoil` ...
    """
    if path is not None:
        if not os.fspath(path).strip():  # Path("") is the current folder, which nobody meant
            raise FileNotFoundError(f"data path is empty; {HOW_TO_GET}")
        return _resolve(expand_user(path), "data path ")
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        # the variable is set, to the wrong place: "set GLASSNET_DATA=PATH" would not help
        advice = (
            f"point {DATA_ENV_VAR} at the airfoil file or the folder holding it, or unset it to use "
            "the cache, which `glassnet data fetch airfoil` fills"
        )
        return _resolve(expand_user(env), f"{DATA_ENV_VAR}=", advice)
    looked = [f"${DATA_ENV_VAR} (not set)"]
    folders = []
    try:
        folders.append(cache_dir())
    except OSError as error:  # no home folder: the checkout's copy may still be there
        looked.append(f"the user cache ({error})")
    shared = source_checkout_data_dir()
    if shared is not None:
        folders.append(shared)
    for folder in folders:
        try:
            found = _in_folder(folder)
        except OSError as error:  # a cache folder we may not search: the next place may still hold it
            looked.append(f"{folder} ({error.strerror or error})")
            continue
        if found is not None:
            return found
        looked.append(str(folder / f"{{{','.join(AIRFOIL_FILENAMES)}}}"))
    raise FileNotFoundError(
        "airfoil data not found; looked at: " + "; ".join(looked) + f". To fix: {HOW_TO_GET}"
    )


def load_airfoil(path: str | os.PathLike[str] | None = None) -> Dataset:
    """Read the airfoil data (found by :func:`find_airfoil`) into a :class:`Dataset`.

    Accepts the UCI original (tab-separated, no header) and CSV files with or without a
    header (any column names; comma, semicolon or tab separated). Exactly 6 numeric,
    finite columns, at least one row, and frequency, chord length, velocity and
    displacement thickness > 0; a DataFormatError (a ValueError) names the file, line and
    column at fault. A file that parses but differs from the published data (1503 rows,
    :data:`AIRFOIL_MEANS`, :data:`AIRFOIL_TARGET_CORRELATIONS`: :func:`compare_with_published`)
    gets a :class:`DataWarning`, not a refusal.

    Shapes: X (N, 5), y (N,), both float64.

    Examples
    --------
    Once ``glassnet data fetch airfoil`` has put the file in the cache, no path is needed:

    >>> from glassnet.data import load_airfoil
    >>> data = load_airfoil()
    >>> data.X.shape, data.y.shape
    ((1503, 5), (1503,))
    >>> data.feature_names
    ('frequency', 'angle_of_attack', 'chord_length', 'velocity', 'displacement_thickness')
    >>> data.feature_units
    ('Hz', 'deg', 'm', 'm/s', 'm')
    >>> data.target_name, data.target_unit
    ('sound_pressure_level', 'dB')
    """
    source = find_airfoil(path)
    parsed = _parse_airfoil_table(read_text(source), source=str(source), path=source)
    table = parsed.values  # (N, 6)
    problems = compare_with_published(table)
    if problems:
        warnings.warn(
            f"{source}: differs from the published airfoil data set ({'; '.join(problems)}); "
            "results are not comparable with published figures",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
    return Dataset(
        X=np.ascontiguousarray(table[:, :5]),  # (N, 5)
        y=np.ascontiguousarray(table[:, 5]),  # (N,)
        feature_names=FEATURE_NAMES,
        feature_units=FEATURE_UNITS,
        target_name=TARGET_NAME,
        target_unit=TARGET_UNIT,
        source=source,
    ).with_lines(parsed.lines)


def parse_airfoil_text(text: str, *, source: str, path: Path | None = None) -> FloatArray:
    """Parse airfoil text into a (N, 6) float64 table: 5 features, then the target."""
    return _parse_airfoil_table(text, source=source, path=path).values


def _parse_airfoil_table(text: str, *, source: str, path: Path | None = None) -> Table:
    """:func:`parse_airfoil_text`'s table, with the line of every row."""
    check = airfoil_check(COLUMN_NAMES, source=source, path=path, listing="the airfoil columns")
    return parse_table(text, source=source, column_names=COLUMN_NAMES, path=path, check=check)


def airfoil_check(names: Sequence[str], *, source: str, path: Path | None, listing: str) -> Check:
    """The checks of a table of airfoil columns (``names``: the features, the target too for a
    data file), for :func:`parse_table`: a header that lists them in another order, or names
    another unit for one (:func:`refuse_reordered_header`), is refused;
    each row with a magnitude ≤ 0 is a bad row (:func:`positive_magnitude_errors`), named
    with the lines that do not parse."""

    units = [COLUMN_UNITS[name] for name in names]

    def check(table: Table) -> list[DataFormatError]:
        refuse_reordered_header(
            table,
            names,
            source=source,
            listing=listing,
            reader="glassnet",
            aliases=COLUMN_ALIASES,
            units=units,
            target=TARGET_NAME,  # in a file of the features alone
            path=path,
        )
        return positive_magnitude_errors(table, source=source, path=path, names=names)

    return check


def nonpositive_magnitudes(values: FloatArray) -> npt.NDArray[np.bool_]:
    """The (N, columns) mask of the entries of :data:`POSITIVE_COLUMNS` ≤ 0 (NaN is not marked),
    for rows whose first 5 columns are the airfoil features in order."""
    bad = np.zeros(values.shape, dtype=bool)
    bad[:, POSITIVE_COLUMNS] = values[:, POSITIVE_COLUMNS] <= 0.0
    return bad


def magnitude_refusal(value: float) -> str:
    """What a magnitude ≤ 0 is told, after where it is."""
    return f"must be > 0 (a physical magnitude), got {value:g}"


def positive_magnitude_errors(
    table: Table, *, source: str, path: Path | None, names: Sequence[str]
) -> list[DataFormatError]:
    """One DataFormatError per row with an entry of :data:`POSITIVE_COLUMNS` ≤ 0, at the first.

    For tables whose first 5 columns are the airfoil features in order: a data file's, or
    the rows ``glassnet predict`` reads for an airfoil model."""
    return value_errors(
        table,
        nonpositive_magnitudes(table.values),
        lambda value, _: magnitude_refusal(value),
        source=source,
        names=names,
        path=path,
    )


def compare_with_published(given: npt.ArrayLike) -> list[str]:
    """How a (N, 6) table differs from the published data (row count, column means, each
    feature's correlation with the target, and then its rows: the published ones in another
    order, by which a seed splits them otherwise, or other numbers, as in a copy edited by a
    digit, compared in float32 by SHA-256); empty if it matches. Another shape (the 5 features alone) raises
    ValueError."""
    table: FloatArray = np.asarray(as_float_array(given, name="table", finite=False), dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != len(COLUMN_NAMES):  # the 5 features alone: no target
        raise ValueError(
            f"compare_with_published takes an (N, {len(COLUMN_NAMES)}) table ({', '.join(COLUMN_NAMES)}), "
            f"got shape {table.shape}"
        )
    problems = []
    if table.shape[0] != AIRFOIL_ROWS:
        problems.append(f"{table.shape[0]} row{'' if table.shape[0] == 1 else 's'}, expected {AIRFOIL_ROWS}")
    means = column_means(table)  # (6,)
    off = ~np.isclose(means, AIRFOIL_MEANS, rtol=MEANS_RTOL, atol=0.0)
    if off.any():
        problems.append(f"column means differ: {_differing(off, means, AIRFOIL_MEANS, '.6g')}")
    if problems:  # another data set: the correlations would only say so again
        return problems
    # the published values, each column's, but on other rows (a column sorted on its own, say)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column's is NaN: differs too
        correlations = np.asarray(np.corrcoef(table, rowvar=False))[:5, 5]  # (5,)
    off = ~np.isclose(correlations, AIRFOIL_TARGET_CORRELATIONS, rtol=0.0, atol=CORRELATIONS_ATOL)
    if off.any():
        problems.append(
            f"rows differ (correlation with the target): {_differing(off, correlations, AIRFOIL_TARGET_CORRELATIONS, '.6f')}"
        )
    else:
        # (N, 6), as the digests are taken; + 0 makes a -0 (a copy's "-0") the +0 the published rows hold
        rows = np.ascontiguousarray(table, dtype="<f4") + np.float32(0.0)
        if _rows_digest(rows) != AIRFOIL_ROWS_SHA256:
            # a split draws rows by their positions: a seed splits these otherwise than the published file
            by_value = rows[np.lexsort(rows.T[::-1])]  # sorted by column 0, then 1, …
            if _rows_digest(by_value) == AIRFOIL_SORTED_ROWS_SHA256:
                problems.append("the published rows in another order, which a split by seed draws otherwise")
            else:  # close to the published statistics, but not their numbers: an edited or rounded copy
                problems.append("values differ from the published rows, though the column means agree")
    return problems


def column_means(table: FloatArray) -> FloatArray:
    """Each column's mean of an (N, d) table, (d,): NumPy's, except where the sum overflows though
    every value is finite (a column of 1e308s), where the values are divided first, so that the
    mean lies in the column's range (dividing first always would lose the subnormal end: 1e-320s
    averaged to 7.4e-321); NaN for no rows."""
    if len(table) == 0:
        return np.full(table.shape[1], np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        means: FloatArray = table.mean(axis=0)
    # inf, or NaN where partial sums of +inf and -inf met (1e308s and -1e308s), of finite values
    overflowed = ~np.isfinite(means) & np.isfinite(table).all(axis=0)
    if overflowed.any():
        means[overflowed] = (table[:, overflowed] / len(table)).sum(axis=0)
    return means


def _rows_digest(rows: npt.NDArray[np.float32]) -> str:
    """SHA-256 of a float32 table's bytes, row by row."""
    return hashlib.sha256(np.ascontiguousarray(rows).tobytes()).hexdigest()


def _differing(off: npt.NDArray[np.bool_], values: FloatArray, published: FloatArray, spec: str) -> str:
    """ "frequency 800 (published 2886.38), …": each column where ``off``, by name."""
    return ", ".join(
        f"{COLUMN_NAMES[i]} {values[i]:{spec}} (published {published[i]:{spec}})" for i in np.flatnonzero(off)
    )


def read_feature_rows(path: str | os.PathLike[str]) -> FloatArray:
    """Read rows of the 5 airfoil features (header optional) for prediction.

    Same rules as :func:`load_airfoil` (separators, header, finite numbers, errors naming the
    line and column, a header naming the columns in another order refused), with 5 columns:
    frequency, angle_of_attack, chord_length, velocity, displacement_thickness. Shapes:
    returns (N, 5) float64.

    Examples
    --------
    >>> from pathlib import Path
    >>> from glassnet.data import read_feature_rows
    >>> _ = Path("rows.csv").write_text(
    ...     "frequency,angle_of_attack,chord_length,velocity,displacement_thickness\\n"
    ...     "800,0,0.3048,71.3,0.00266337\\n"
    ...     "1000,1.5,0.3048,71.3,0.00266337\\n"
    ... )
    >>> rows = read_feature_rows("rows.csv")
    >>> rows.shape, rows[:, 0], rows[:, 1]  # frequency [Hz], angle of attack [deg]
    ((2, 5), array([ 800., 1000.]), array([0. , 1.5]))

    A magnitude ≤ 0 is refused, named by its line and column:

    >>> _ = Path("bad.csv").write_text("800,0,-0.3048,71.3,0.00266337\\n")
    >>> from glassnet.data import DataFormatError
    >>> try:
    ...     read_feature_rows("bad.csv")
    ... except DataFormatError as error:  # a ValueError
    ...     print(error)
    bad.csv: line 1, column 3 (chord_length): must be > 0 (a physical magnitude), got -0.3048
    """
    file = expand_user(path)
    check = airfoil_check(FEATURE_NAMES, source=str(file), path=file, listing="the airfoil features")
    return read_table(file, FEATURE_NAMES, check=check).values  # (N, 5)
