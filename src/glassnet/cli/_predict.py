"""``glassnet predict MODEL INPUT.csv [-o OUT.csv]``: predictions for rows of features."""

from __future__ import annotations

import argparse
import csv
import io
import math
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._files import atomic_write_text, refuse_overwrite, refuse_same_file, refuse_standard_input_file
from glassnet.checkpoint import Checkpoint, load_checkpoint
from glassnet.cli._evaluate import MODEL_HELP, feature_columns, model_path, trained_loss, warn_unfinished
from glassnet.cli._output import path_text, refuse_closed_stdout, refuse_missing_folder, writing_stdout
from glassnet.data import FEATURE_NAMES, DataFormatError, DataWarning, Preprocessor
from glassnet.data._airfoil import COLUMN_ALIASES, COLUMN_UNITS, positive_magnitude_errors
from glassnet.data._table import (
    STDIN_NAME,
    Check,
    Table,
    bad_lines_note,
    first_bad_value,
    parse_table,
    read_input_file,
    read_stdin_text,
    refuse_reordered_header,
    value_errors,
)

STDIN = STDOUT = "-"  # the usual name of the standard streams in place of a file
# |value| in [FIXED_LOW, FIXED_HIGH) (or 0) is written with 6 decimals, any other in full (the
# shortest text that reads back as the same float): below 1e-4 fixed decimals would drop its
# digits, from 1e9 on they would show more digits than a float64 holds (up to 308 of them for
# 1e300), and 7 significant digits dropped those of a level offset by 1e9 (1.000000e+09 for each)
FIXED_LOW, FIXED_HIGH = 1e-4, 1e9


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict for rows of features in a CSV file",
        description=(
            "Read INPUT (rows of the model's features in its order, by position; header optional, "
            "one that lists the model's feature names in another order is refused; comma, semicolon, tab or spaces), "
            "predict with MODEL, and write the rows with the prediction appended (stdout without -o; "
            "a level in dB with 6 decimals, in full below 1e-4 and from 1e9 on; another "
            "target in full; a classifier's logit (none for a sigmoid output) and probability in full, "
            "and its label, 1 where the logit is above 0 (a probability output: above ½), else 0; "
            "a logit just above 0 may print a probability of 0.5). "
            "INPUT - reads standard input, so rows can be piped in."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument(
        "input",
        metavar="INPUT.csv",
        help="feature rows (airfoil: the 5 features, in order); - for standard input",
    )
    parser.add_argument(
        "-o", "--output", metavar="OUT.csv", help="write here (atomically) instead of stdout (- is stdout)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing -o file")
    parser.set_defaults(handler=handle)


def number_text(value: float) -> str:
    """A predicted number as predict writes it: 6 decimals for ordinary magnitudes (``126.201234``,
    ``0.000000``), in full beyond them, Python's shortest text of the float (``1000000126.2012345``,
    ``-8.188337254317189e+159``, ``3.125e-07``), so that no finite float takes more than 24
    characters and none loses a digit it holds."""
    magnitude = abs(value)
    if magnitude == 0.0 or FIXED_LOW <= magnitude < FIXED_HIGH or not math.isfinite(value):
        return f"{value:.6f}"
    return repr(float(value))


def is_classifier(checkpoint: Checkpoint) -> bool:
    """Whether the model outputs a class (a logit, or a probability): by the loss it was trained
    with (:func:`trained_loss`), whatever its task's name, as evaluate measures it."""
    from glassnet.train._engines import REGRESSION_LOSSES

    return trained_loss(checkpoint) not in REGRESSION_LOSSES


def read_input_rows(
    input_name: str, names: list[str], *, model: str, by_data_file: bool, check: Check | None = None
) -> Table:
    """The rows of INPUT (``-``: standard input) as a table of the model's ``names``, ``check``ed
    (:func:`input_check`: its bad rows are named with the lines that do not parse).

    A file whose every row holds exactly one column more than the features is refused all
    the same (predict reads feature rows only), with a note: it reads as a data set, its
    measured target last, which ``glassnet evaluate MODEL --data FILE`` takes where
    ``by_data_file`` (every model but a moons one, which is evaluated on its regenerated
    moons); or, when that column comes first and is a row index (:func:`_counts_rows`), with a
    note that says so. INPUT is read once and parsed twice at most: a pipe cannot be read again.
    """
    path: Path | None = None
    if input_name == STDIN:
        text, source = read_stdin_text(), STDIN_NAME
    else:
        text, path = read_input_file(input_name)
        source = str(path)

    def parse(columns: list[str], check: Check | None = None) -> Table:
        return parse_table(text, source=source, column_names=columns, path=path, check=check)

    try:
        return parse(names, check)
    except DataFormatError as error:
        refused = error.with_traceback(None)  # its frames hold the whole first parse, kept through the second
    try:
        table = parse([*names, "target"])
    except DataFormatError:
        raise refused from None
    if _counts_rows(table, names):
        raise DataFormatError(
            f"{refused}; its rows have one column more than the model's {len(names)} features, the "
            "first a row index (as pandas' to_csv writes one without index=False): drop that column",
            path=refused.path,
            line=refused.line,
            column=refused.column,
        ) from None
    note = (
        f"; its rows have one column more than the model's {len(names)} features: a file holding the "
        "measured target as its last column is a data set"
    )
    if by_data_file:
        piped = path is None or not path.is_file()  # standard input or a pipe: gone once read
        data = "FILE" if piped else shlex.quote(input_name)
        saved = " once its rows are saved as FILE" if piped else ""
        command = f"glassnet evaluate {shlex.quote(model)} --data {data}"
        note += f", and `{command}` measures the model on it{saved}"
    note += "; predict takes rows of features only"
    raise DataFormatError(
        f"{refused}{note}", path=refused.path, line=refused.line, column=refused.column
    ) from None


def _counts_rows(table: Table, names: list[str]) -> bool:
    """Whether a table's first column is a row index: unnamed in a header whose other columns
    are named (pandas' ``,frequency,…``), or named in one whose other columns are the model's
    features ``names`` in order (``index,frequency,…``: a target would come last); without a
    header, counting the rows 0, 1, 2, … or 1, 2, 3, … (a column the header names is a feature,
    a time step say, whatever its values)."""
    if table.header is not None:
        features = [name.strip().lower() for name in table.header[1:]] == [name.lower() for name in names]
        return features or (not table.header[0] and all(table.header[1:]))
    first = table.values[:, 0]  # (N,)
    return len(first) > 1 and any(
        np.array_equal(first, np.arange(start, start + len(first))) for start in (0, 1)
    )


def input_check(
    preprocessor: Preprocessor | None,
    names: list[str],
    source: str,
    *,
    airfoil: bool,
    path: Path | None,
    dtype: str = "float64",
    target: str | None = None,
) -> Check:
    """The checks of the rows ``predict`` reads, for :func:`parse_table`: a header that lists the
    model's features in another order, or names the model's ``target`` over one, is refused; a
    row is bad where an airfoil magnitude is ≤ 0 (as ``load_airfoil`` refuses it), and where the
    preprocessing refuses a value (:func:`domain_errors`) for a model of ``dtype``. Each bad row
    is named, with the lines that do not parse."""

    def check(table: Table) -> list[DataFormatError]:
        refuse_reordered_header(
            table,
            names,
            source=source,
            listing="the model's features",
            reader="the model",
            aliases=COLUMN_ALIASES if airfoil else None,  # "AOA,Freq,…" is the airfoil columns reordered too
            units=[COLUMN_UNITS.get(name) for name in names] if airfoil else None,  # "AOA (rad)" refused
            target=target,
        )
        errors = positive_magnitude_errors(table, source=source, path=path, names=names) if airfoil else []
        checked = {error.line for error in errors}  # a row is named once, at its first fault
        return errors + [
            error
            for error in domain_errors(table, preprocessor, names, source, path=path, dtype=dtype)
            if error.line not in checked
        ]

    return check


def domain_errors(
    table: Table,
    preprocessor: Preprocessor | None,
    names: list[str],
    source: str,
    *,
    path: Path | None = None,
    dtype: str = "float64",
) -> list[DataFormatError]:
    """A DataFormatError for each row whose values the preprocessing refuses: x ≤ 0 where it
    takes a logarithm, or a value so large that its scaled features overflow ``dtype``, the
    model's (without preprocessing, a value beyond ``dtype``'s range, which the model reads as it is)."""
    if len(table.values) == 0:
        return []
    if preprocessor is None:
        with np.errstate(over="ignore"):  # a value the dtype rounds to inf: 3.4028235e38 is float32's largest
            beyond = np.isinf(table.values.astype(dtype)) & np.isfinite(table.values)
        return value_errors(
            table,
            beyond,
            lambda value, column: f"{value:g} is beyond {dtype}'s range, which the model computes in",
            source=source,
            names=names,
            path=path,
        )

    def reason(value: float, column: int) -> str:
        if column in preprocessor.log_columns and value <= 0.0:
            return f"{value:g} must be > 0, since the model takes its logarithm"
        return f"{value:g} is too far from the training data: its scaled features overflow {dtype}"

    outside = preprocessor.outside_domain(table.values, dtype)  # (N, d)
    return value_errors(table, outside, reason, source=source, names=names, path=path)


def warn_extrapolation(
    table: Table, preprocessor: Preprocessor | None, names: list[str], source: str
) -> None:
    """A DataWarning naming the file lines with a value outside the training range of its feature."""
    if preprocessor is None:
        return
    bounds, outside = preprocessor.training_range, preprocessor.outside_training_range(table.values)
    found = None if outside is None else first_bad_value(table, outside)
    # no range saved (an older model), or every row inside it
    if bounds is None or outside is None or found is None:
        return
    row = table.values[found.row]  # (d,)
    columns = np.flatnonzero(outside[found.row]).tolist()  # every feature of that row outside its range
    if len(columns) == 1:
        low, high = bounds[0][found.column], bounds[1][found.column]
        where = f"{found.where(source, names)}: {row[found.column]:g} is"
        ranges = f" ({low:g} to {high:g})"
    else:  # each named: one of them alone would leave the others unsaid
        each = [
            f"{names[c]} {row[c]:g} (column {c + 1}, trained on {bounds[0][c]:g} to {bounds[1][c]:g})"
            for c in columns
        ]
        where = f"{source}: line {found.line}: {', '.join(each[:-1])} and {each[-1]} are"
        ranges = ""
    warnings.warn(
        f"{where} outside the training data{ranges}, so its prediction is an extrapolation"
        + bad_lines_note(found.other_lines, "such row"),
        DataWarning,
        stacklevel=2,
    )


def handle(args: argparse.Namespace) -> int:
    from glassnet.train import class_probability, decision_threshold, predict_raw

    model = model_path(args.model)
    from_stdin = args.input == STDIN
    source = STDIN_NAME if from_stdin else args.input  # what errors name
    out = None
    if args.output in (None, STDOUT):
        refuse_closed_stdout("give a file to write the predictions to, -o FILE")
    if args.output not in (None, STDOUT):  # checked before any work
        # first the files this command reads, which --force (meant for a previous output) must
        # not let it replace, and which a link to one is named as
        refuse_same_file(
            args.output, model, f"-o {args.output} is the model file {model}; give another file name"
        )
        if not from_stdin:
            refuse_same_file(
                args.output,
                args.input,
                f"-o {args.output} is the input file {args.input}; give another file name",
            )
        else:
            refuse_standard_input_file(
                args.output, f"-o {args.output} is the file standard input reads; give another file name"
            )
        out = refuse_overwrite(args.output, force=args.force, option="-o")
        refuse_missing_folder(out, "-o")
    checkpoint = load_checkpoint(model)
    warn_unfinished(checkpoint, model)
    if checkpoint.spec.n_outputs != 1:  # one prediction per row: the other outputs would be dropped
        raise ValueError(
            f"{model} is a model of {checkpoint.spec.n_outputs} outputs; glassnet predict writes one "
            "prediction per row (models of one output): predict from Python, "
            "load_checkpoint(MODEL).ensemble().predict(rows), with the model's preprocessing"
        )
    preprocessor = checkpoint.load_preprocessor()  # built once, for the count, the checks and the prediction
    names = feature_columns(checkpoint, preprocessor)
    # airfoil's checks (magnitudes > 0, its column names and units) on its 5 columns only
    airfoil = checkpoint.info.get("task") == "airfoil" and len(names) == len(FEATURE_NAMES)
    check = input_check(
        preprocessor,
        names,
        source,
        airfoil=airfoil,
        path=None if from_stdin else Path(args.input),
        dtype=checkpoint.spec.dtype,
        target=target_name if isinstance(target_name := checkpoint.info.get("target_name"), str) else None,
    )
    by_data_file = checkpoint.info.get("task") != "moons"
    table = read_input_rows(args.input, names, model=args.model, by_data_file=by_data_file, check=check)
    rows = table.values  # (N, d)
    warn_extrapolation(table, preprocessor, names, source)
    with np.errstate(over="ignore", invalid="ignore"):
        prediction = predict_raw(checkpoint.ensemble(), preprocessor, rows)  # (N,)
    bad = np.flatnonzero(~np.isfinite(prediction))
    if bad.size:
        raise ValueError(
            f"{source}: line {table.lines[bad[0]]}: the prediction is {prediction[bad[0]]}: the row's values "
            f"are far outside what the model was trained on (the numbers overflow {checkpoint.spec.dtype})"
            + bad_lines_note(table.lines[bad[1:]].tolist())
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if is_classifier(checkpoint):
        # a logit model: logit, P(class 1), label; a probability (sigmoid output) model: P, label
        output_activation = checkpoint.spec.output_activation
        probability = class_probability(prediction, output_activation)  # (N,)
        label = prediction > decision_threshold(output_activation)  # (N,)
        logits = output_activation != "sigmoid"
        writer.writerow([*names, *(["logit"] if logits else []), "probability", "label"])
        for row, output, p, chosen in zip(rows, prediction, probability, label, strict=True):
            # in full: a probability of 1 − 1e-9 or 0.50000003 must not read as 1.000000 or 0.500000
            logit = [repr(float(output))] if logits else []
            writer.writerow([*map(repr, row.tolist()), *logit, repr(float(p)), int(chosen)])
    else:
        target = f"{checkpoint.info.get('target_name') or 'prediction'}_{checkpoint.info.get('target_unit') or ''}".rstrip(
            "_"
        )
        writer.writerow([*names, target])
        # a level in dB to 6 decimals (a millionth of a dB is far below what was measured);
        # a target of other units in full: 6 decimals of 1.5e-4 would keep 3 digits of it
        text = number_text if airfoil else lambda value: repr(float(value))
        for row, value in zip(rows, prediction, strict=True):
            writer.writerow([*map(repr, row.tolist()), text(float(value))])
    if out is None:
        # flushed now, not at exit: a reader that left (`| head -1`) is then reported as the
        # other commands report it (exit 141), where Python's flush at exit would go unseen
        with writing_stdout():
            sys.stdout.write(buffer.getvalue())
    else:
        atomic_write_text(out, buffer.getvalue(), replace=args.force)  # a file written meanwhile is kept
        print(f"wrote {len(rows)} prediction(s) to {path_text(out, sys.stderr)}", file=sys.stderr)
    return 0
