"""``glassnet data``: fetch the airfoil data into the cache, or say where it is and what it holds."""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from glassnet._files import expand_user
from glassnet.cli._output import path_text, refuse_closed_stdout, writing_stdout
from glassnet.cli._train import parse_float
from glassnet.data import (
    AIRFOIL_URL,
    DATA_ENV_VAR,
    FEATURE_UNITS,
    TARGET_UNIT,
    DataWarning,
    cache_dir,
    compare_with_published,
    load_airfoil,
)
from glassnet.data._airfoil import column_means
from glassnet.data._download import MAX_TIMEOUT, _fetch_airfoil, check_url, dest_folder
from glassnet.train.artifacts import refuse_unmakeable_folder


def _cache_text() -> str:
    """The cache folder for help texts; its rule when the home folder cannot be found (no $HOME)."""
    try:
        return str(cache_dir())
    except OSError:  # no home folder (no $HOME, no user entry): must not break the parser
        return "$XDG_CACHE_HOME/glassnet or ~/.cache/glassnet"


def register(subparsers: Any) -> None:
    cache = _cache_text()
    parser = subparsers.add_parser(
        "data",
        help="get the airfoil data set, or show where it is and what it holds",
        description=(
            "Fetch the airfoil self-noise data (UCI dataset 291) into the cache, or show where it is "
            f"found. Lookup order: --data PATH, ${DATA_ENV_VAR}, the cache ({cache}), "
            "../shared/data beside a source checkout."
        ),
    )
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    fetch = actions.add_parser(
        "fetch",
        help="download a data set into the cache",
        description="Download the UCI archive, check its content (1503 × 6, column means), write it.",
    )
    fetch.add_argument("dataset", choices=["airfoil"], help="the data set to fetch")
    fetch.add_argument(
        "--dest", metavar="FOLDER", default=None, help=f"folder to write into (default {cache})"
    )  # a str, not a Path: Path("") would be the current folder
    fetch.add_argument(
        "--url",
        default=AIRFOIL_URL,
        help="where to download from (default: the UCI archive); file:///PATH/airfoil+self+noise.zip "
        "takes an archive downloaded by hand",
    )
    fetch.add_argument(
        "--timeout",
        metavar="SECONDS",
        default="30",
        help=f"seconds allowed for each network wait and for the whole download (default 30, at most {MAX_TIMEOUT:g})",
    )
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.add_argument(
        "--force", action="store_true", help="replace a data file already there that holds other bytes"
    )
    fetch.set_defaults(handler=handle_fetch, command_name="data fetch")

    info = actions.add_parser(
        "info",
        help="show where the airfoil file is found, its rows and column means",
        description="Show where the airfoil file is found, its row count, and its column statistics.",
    )
    info.add_argument(
        "--data", default=None, help=f"the data file or its folder (default: ${DATA_ENV_VAR}, the cache, ...)"
    )
    info.set_defaults(handler=handle_info, command_name="data info")


def handle_fetch(args: argparse.Namespace) -> int:
    # checked here, so that a mistake names the option as typed (the library names its parameters)
    check_url(args.url, "--url")
    timeout = parse_float(args.timeout, "--timeout", 0.0, MAX_TIMEOUT, low_open=True)
    folder = dest_folder(args.dest, "--dest")
    # a link to nothing, or a file on the way: named before the download (mkdir's "File exists"
    # after it); without --dest the folder is the cache, named as such
    where = (
        f"--dest {folder}"
        if args.dest is not None
        else f"the cache folder {folder} (XDG_CACHE_HOME or ~/.cache)"
    )
    refuse_unmakeable_folder(folder, where)
    path, written = _fetch_airfoil(
        url=args.url, dest=args.dest, progress=not args.quiet, timeout=timeout, force=args.force
    )
    with writing_stdout():
        print(
            f"airfoil data {'written to' if written else 'already at'} {path_text(path, sys.stdout)} "
            "(1503 rows, content checked)"
        )
    env = os.environ.get(DATA_ENV_VAR, "")
    # find_airfoil looks at the variable first: say so unless it names this file or its folder
    if (
        args.dest is None
        and env
        and expand_user(env).resolve() not in (path.resolve(), path.parent.resolve())
    ):
        print(
            f"glassnet data fetch: note: {DATA_ENV_VAR}={env} is set and is looked at before the cache, "
            f"so commands will not use {path}; unset it to use that file",
            file=sys.stderr,
        )
    return 0


def handle_info(args: argparse.Namespace) -> int:
    refuse_closed_stdout("data info writes its table there")  # exit 0 with nothing written
    with warnings.catch_warnings():
        # the differences are printed below instead; other warnings (a line read as a header) are shown
        warnings.filterwarnings(
            "ignore", message=r"(?s).*: differs from the published airfoil data set", category=DataWarning
        )
        dataset = load_airfoil(args.data)
    table_columns = [*zip(dataset.feature_names, FEATURE_UNITS, dataset.X.T, strict=True)]
    table_columns.append((dataset.target_name, TARGET_UNIT, dataset.y))
    with writing_stdout():
        # load_airfoil reads a file, so its dataset names one (a Dataset built in memory names none)
        print(f"file: {'(none)' if dataset.source is None else path_text(dataset.source, sys.stdout)}")
        print(f"rows: {len(dataset)}")
        width = max(len(name) for name, _, _ in table_columns)
        stats = {}  # name: (mean, min, max) as text
        for name, _, values in table_columns:
            mean = column_means(values[:, None])[0]  # a column of 1e308s has a mean, whose sum overflows
            digits = _significant_digits(values)
            stats[name] = [f"{value:.{digits}g}" for value in (mean, values.min(), values.max())]
        # 12 characters, or as many as the widest number takes (17 digits of a level offset by 1e12)
        number = max(12, *(len(text) for texts in stats.values() for text in texts))
        print(
            f"{'column':<{width}}  {'unit':<4}  "
            + "  ".join(f"{head:>{number}}" for head in ("mean", "min", "max"))
        )
        for name, unit, _ in table_columns:
            print(f"{name:<{width}}  {unit:<4}  " + "  ".join(f"{text:>{number}}" for text in stats[name]))
        problems = compare_with_published(np.column_stack([dataset.X, dataset.y]))
        print(
            "matches the published data set"
            if not problems
            else "differs from the published data: " + "; ".join(problems)
        )
    return 0


def _significant_digits(values: np.ndarray[Any, Any]) -> int:
    """The significant digits that show a column's spread: 6, and more where its values lie far
    from 0 beside their range (a level offset by 1e12 printed 1e+12 for mean, min and max, as
    though constant), at most 17, all a float64 holds."""
    low, high = float(values.min()), float(values.max())
    largest = max(abs(low), abs(high))
    with np.errstate(over="ignore"):
        spread = high - low  # inf where it overflows: 6 digits show it
    if spread == 0.0 or not math.isfinite(spread):
        return 6
    return min(17, 6 + max(0, math.floor(math.log10(largest / spread))))
