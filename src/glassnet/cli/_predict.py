"""``glassnet predict MODEL INPUT.csv [-o OUT.csv]``: predictions for rows of features."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._files import atomic_write_text, refuse_overwrite
from glassnet.checkpoint import load_checkpoint
from glassnet.cli._evaluate import model_path
from glassnet.data import DataFormatError, DataWarning, Preprocessor
from glassnet.data._table import Table, bad_lines_note, parse_table, read_text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict for rows of features in a CSV file",
        description=(
            "Read INPUT (rows of the model's features, header optional; comma, semicolon or tab), "
            "predict with MODEL, and write the rows with the prediction appended (stdout without -o)."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help="model file (model.npz) or run folder")
    parser.add_argument("input", metavar="INPUT.csv", help="feature rows (airfoil: the 5 features, in order)")
    parser.add_argument("-o", "--output", metavar="OUT.csv", help="write here (atomically) instead of stdout")
    parser.add_argument("--force", action="store_true", help="overwrite an existing -o file")
    parser.set_defaults(handler=handle)


def read_rows(path: str, feature_names: list[str]) -> Table:
    """Feature rows from ``path`` with the file line of each; errors name the lines and columns at fault."""
    file = Path(path).expanduser()
    if not file.exists():
        raise FileNotFoundError(f"input file {file} does not exist")
    return parse_table(read_text(file), source=str(file), column_names=feature_names, path=file)


def check_domain(table: Table, preprocessor: Preprocessor | None, names: list[str], source: str) -> None:
    """DataFormatError naming the file lines whose values the preprocessing refuses: x ≤ 0 where it
    takes a logarithm, or a value so large that standardising it overflows."""
    if preprocessor is None:
        return
    outside = preprocessor.outside_domain(table.values)  # (N, d)
    bad = np.flatnonzero(outside.any(axis=1))
    if bad.size == 0:
        return
    row = int(bad[0])
    column = int(np.flatnonzero(outside[row])[0])
    line, value = int(table.lines[row]), table.values[row, column]
    if column in preprocessor.log_columns and value <= 0.0:
        reason = "must be > 0, since the model takes its logarithm"
    else:
        reason = "is too far from the training data: its scaled features overflow float64"
    raise DataFormatError(
        f"{source}: line {line}, column {column + 1} ({names[column]}): {value:g} {reason}"
        + bad_lines_note(table.lines[bad[1:]].tolist()),
        line=line,
        column=column + 1,
    )


def warn_extrapolation(
    table: Table, preprocessor: Preprocessor | None, names: list[str], source: str
) -> None:
    """A DataWarning naming the file lines with a value outside the training range of its feature."""
    bounds = None if preprocessor is None else preprocessor.training_range
    outside = None if preprocessor is None else preprocessor.outside_training_range(table.values)
    if bounds is None or outside is None:
        return
    rows = np.flatnonzero(outside.any(axis=1))
    if rows.size == 0:
        return
    row = int(rows[0])
    column = int(np.flatnonzero(outside[row])[0])
    low, high = bounds[0][column], bounds[1][column]
    warnings.warn(
        f"{source}: line {table.lines[row]}, column {column + 1} ({names[column]}): "
        f"{table.values[row, column]:g} is outside the training data ({low:g} to {high:g}), so its "
        f"prediction is an extrapolation{bad_lines_note(table.lines[rows[1:]].tolist(), 'such row')}",
        DataWarning,
        stacklevel=2,
    )


def handle(args: argparse.Namespace) -> int:
    from glassnet.train import predict_raw

    if args.output is not None:
        refuse_overwrite(args.output, force=args.force, option="-o")  # before any work
    checkpoint = load_checkpoint(model_path(args.model))
    names = [str(name) for name in checkpoint.info.get("feature_names", [])]
    n_features = checkpoint.n_features
    if len(names) != n_features:
        names = [f"x{i + 1}" for i in range(n_features)]
    table = read_rows(args.input, names)
    rows = table.values  # (N, d)
    preprocessor = checkpoint.load_preprocessor()
    check_domain(table, preprocessor, names, args.input)
    warn_extrapolation(table, preprocessor, names, args.input)
    with np.errstate(over="ignore", invalid="ignore"):
        prediction = predict_raw(checkpoint.ensemble(), preprocessor, rows)  # (N,)
    bad = np.flatnonzero(~np.isfinite(prediction))
    if bad.size:
        raise ValueError(
            f"{args.input}: line {table.lines[bad[0]]}: the prediction is {prediction[bad[0]]}: the row's values "
            "are far outside what the model was trained on (the numbers overflow float64)"
            + bad_lines_note(table.lines[bad[1:]].tolist())
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if checkpoint.info.get("task") == "moons":
        writer.writerow([*names, "logit", "probability", "label"])
        with np.errstate(over="ignore", under="ignore"):
            probability = 1.0 / (1.0 + np.exp(-np.clip(prediction, -700, 700)))
        for row, logit, p in zip(rows, prediction, probability, strict=True):
            writer.writerow([*map(repr, row.tolist()), repr(float(logit)), repr(float(p)), int(logit > 0)])
    else:
        target = f"{checkpoint.info.get('target_name', 'prediction')}_{checkpoint.info.get('target_unit', '')}".rstrip(
            "_"
        )
        writer.writerow([*names, target])
        for row, value in zip(rows, prediction, strict=True):
            writer.writerow([*map(repr, row.tolist()), f"{value:.6f}"])
    if args.output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        out = Path(args.output)
        if not out.parent.is_dir():
            raise FileNotFoundError(f"folder {out.parent} does not exist (cannot write {out})")
        atomic_write_text(out, buffer.getvalue())
        print(f"wrote {len(rows)} prediction(s) to {out}", file=sys.stderr)
    return 0
