"""Accuracy and time of the airfoil recipe (the defaults of ``glassnet train airfoil``).

Trains the recipe on 5 random 80/20 splits (seeds 0–4; with the recipe's refit protocol,
each model is validated on 10 % of the training part, then trained again on all of it; see
docs/airfoil.md) and prints, per split and
as mean ± standard deviation, the test RMSE, MAE and R² in dB and the wall time, for one
model and for an ensemble of 5. It also splits the test RMSE between the rows at an end of a
measured spectrum and the rest (see :func:`spectrum_ends`), pooled over the splits.

    python benchmarks/airfoil_accuracy.py                      # both, the defaults
    python benchmarks/airfoil_accuracy.py --only single        # one model only
    python benchmarks/airfoil_accuracy.py -- --epochs 300 --lr 3e-3   # any `glassnet train airfoil` option

Figures measured with it are recorded in docs/airfoil.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import MAX_SEED
from glassnet.cli import build_parser
from glassnet.cli._train import check_run, config_from_args, parse_int, split_from_args
from glassnet.data import FEATURE_NAMES, Dataset, load_airfoil
from glassnet.torch_bridge import TorchMissingError, resolve_device
from glassnet.train import SplitSettings, TrainConfig, model_parts, train_airfoil
from glassnet.train._config import MAX_ENSEMBLE
from glassnet.train._tasks import airfoil_config

sys.path.insert(0, str(Path(__file__).resolve().parent))  # speed.py, beside this file
from speed import check_output_file, output_path

FREQUENCY = 0  # the column of X the spectra run along; the others name a configuration
ENSEMBLE_SIZE = 5  # the ensemble setting's members, unless --ensemble-size says otherwise


def recipe(
    options: list[str], ensemble: int | None = None, ensemble_option: str = "--ensemble-size"
) -> tuple[TrainConfig, SplitSettings, bool]:
    """The configuration, split fractions and log-features flag of `glassnet train airfoil OPTIONS`.

    Parsed by the CLI's own code, so the benchmark measures exactly what the command runs;
    the data set's own settings filled in as train_airfoil fills them (the Fourier σ). With
    ``ensemble`` (the members of the ensemble setting, when it runs) an --activation list
    longer than it is refused, as ``glassnet train`` refuses one longer than --ensemble; the
    single setting shares the list and takes its first name. ``ensemble_option`` is the calling
    script's option for the number of members, named in refusals. ``--engine torch`` needs torch
    and the device named: checked here, as the command checks it, before any data is read.
    """
    args = build_parser().parse_args(["train", "airfoil", *options])
    # the run-folder options of `glassnet train` would be read by nothing here: refused, not ignored
    if args.data is not None:
        raise ValueError(
            "give --data before --, as the benchmark's own option (after --, it would be ignored)"
        )
    for option in ("out", "resume", "force"):
        if getattr(args, option):
            raise ValueError(
                f"--{option} is an option of a training run's folder, which the benchmark does not write"
            )
    # the benchmark sets these itself for every run: after --, they would be overridden
    for option, own in (("seed", "--seeds"), ("ensemble", ensemble_option)):
        if getattr(args, option) is not None:
            raise ValueError(
                f"give {own} before --, as the benchmark's own option (after --, --{option} is overridden)"
            )
    config = config_from_args(args, TrainConfig())
    split = split_from_args(args, config.seed, test=0.2, val=0.1)
    check_run(config, split, len(FEATURE_NAMES))
    named = 1 if args.activation is None or isinstance(config.activation, str) else len(config.activation)
    if ensemble is not None and named > ensemble:  # its last names would train no member, unsaid
        raise ValueError(
            f"--activation names {named} activations for the ensemble's members in turn, but "
            f"{ensemble_option} is {ensemble}: give {ensemble_option} {named} or more, or fewer names"
        )
    if config.engine == "torch":
        resolve_device(config.device)  # no torch, or no such device: one line, before the runs
    return airfoil_config(config), split, not args.no_log_features


def benchmark_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every airfoil benchmark of the recipe takes: --seeds, --data, --json and the
    `glassnet train airfoil` options after --; described by the first paragraph of ``doc``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4", help="split/training seeds (default 0,1,2,3,4)")
    parser.add_argument("--data", help="airfoil file (default: the usual search)")
    parser.add_argument("--json", metavar="PATH", type=output_path, help="also write the results as JSON")
    parser.add_argument("options", nargs="*", help="`glassnet train airfoil` options, after --")
    return parser


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: comma-separated seeds, each one ``glassnet train --seed`` takes, none twice."""
    seeds = [parse_int(part, "--seeds", 0, MAX_SEED) for part in text.split(",")]
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ValueError(f"--seeds names {repeated} more than once; each split would count twice in the mean")
    return seeds


def spectrum_ends(
    X: npt.NDArray[np.float64], seen: npt.NDArray[np.intp], rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` lie at an end of their spectrum, as far as the rows ``seen`` show it.

    The data set is 106 spectra: for each configuration (angle, chord, velocity, displacement
    thickness: the columns after frequency) the sound level at up to 20-odd frequencies. A
    row is at an end when no seen row of its configuration has a frequency as low as its
    own, or none as high: predicting it extrapolates along the spectrum instead of
    interpolating. Shapes: X (N, 5), seen (S,) and rows (R,) row indices -> (R,) bool.
    """
    low: dict[bytes, float] = {}
    high: dict[bytes, float] = {}
    for row in seen:
        key, frequency = X[row, FREQUENCY + 1 :].tobytes(), X[row, FREQUENCY]
        low[key] = min(low.get(key, frequency), frequency)
        high[key] = max(high.get(key, frequency), frequency)
    ends = np.empty(len(rows), dtype=bool)
    for index, row in enumerate(rows):
        key, frequency = X[row, FREQUENCY + 1 :].tobytes(), X[row, FREQUENCY]
        ends[index] = key not in low or frequency < low[key] or frequency > high[key]
    return ends


def rmse_by_position(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Test RMSE of the rows at a spectrum's end and of the others, pooled over the runs."""
    pooled = {}
    for name in ("ends", "interior"):
        count = sum(run[name]["n"] for run in runs)
        squares = sum(
            run[name]["n"] * run[name]["rmse"] ** 2 for run in runs if run[name]["n"]
        )  # NaN when n = 0
        pooled[name] = {"n": count, "rmse": float(np.sqrt(squares / count)) if count else float("nan")}
    return pooled


def position_metrics(
    X: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    prediction: npt.NDArray[np.float64],
    seen: npt.NDArray[np.intp],
    test: npt.NDArray[np.intp],
) -> dict[str, dict[str, float]]:
    """{"ends" | "interior": {"n": rows, "rmse": dB}} of the test rows; ``prediction`` is (len(test),)."""
    at_end = spectrum_ends(X, seen, test)
    errors = prediction - y[test]
    return {
        name: {
            "n": int(mask.sum()),
            "rmse": float(np.sqrt(np.mean(errors[mask] ** 2))) if mask.any() else float("nan"),
        }
        for name, mask in (("ends", at_end), ("interior", ~at_end))
    }


def run(
    config: TrainConfig,
    split: SplitSettings,
    log_features: bool,
    seeds: list[int],
    dataset: Dataset,
    label: str,
) -> dict[str, Any]:
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        parts = dataclasses.replace(split, seed=seed)
        result = train_airfoil(
            dataset, config.replace(seed=seed), split=parts, log_features=log_features, handle_sigint=False
        )
        seconds = time.perf_counter() - start
        test = result.metrics["test"]
        epochs = [len(member.history) for member in result.result.members]
        kept = model_parts(result.parts(), refit=result.result.validation_ensemble() is not None)
        positions = position_metrics(
            result.X, result.y, result.predict(result.X[kept["test"]]), kept["train"], kept["test"]
        )
        rows.append(
            {
                "seed": seed,
                **{k: test[k] for k in ("rmse", "mae", "r2")},
                "seconds": seconds,
                "epochs": epochs,
                **positions,
            }
        )
        print(
            f"  {label:9s} seed {seed}: test RMSE {test['rmse']:.3f} dB  MAE {test['mae']:.3f} dB  "
            f"R² {test['r2']:.4f}  {seconds:6.1f} s  epochs {epochs}  "
            f"spectrum ends {positions['ends']['rmse']:.3f} dB ({positions['ends']['n']} rows), "
            f"interior {positions['interior']['rmse']:.3f} dB",
            flush=True,
        )
    summary = {}
    for key in ("rmse", "mae", "r2", "seconds"):
        values = [row[key] for row in rows]
        summary[key] = {
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        }
    summary["positions"] = rmse_by_position(rows)
    return {"label": label, "config": config.to_dict(), "runs": rows, "summary": summary}


def describe(outcome: dict[str, Any]) -> str:
    s = outcome["summary"]
    ends, interior = s["positions"]["ends"], s["positions"]["interior"]
    return (
        f"{outcome['label']:9s} test RMSE {s['rmse']['mean']:.3f} ± {s['rmse']['std']:.3f} dB   "
        f"MAE {s['mae']['mean']:.3f} ± {s['mae']['std']:.3f} dB   R² {s['r2']['mean']:.4f} ± {s['r2']['std']:.4f}   "
        f"time {s['seconds']['mean']:.1f} ± {s['seconds']['std']:.1f} s\n"
        f"{'':9s} pooled test RMSE at spectrum ends {ends['rmse']:.3f} dB ({ends['n']} rows), "
        f"interior {interior['rmse']:.3f} dB ({interior['n']} rows)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--only", choices=("single", "ensemble"), help="run one of the two settings")
    parser.add_argument(
        "--ensemble-size", type=int, help=f"members of the ensemble setting (default {ENSEMBLE_SIZE})"
    )
    args = parser.parse_args(argv)
    try:  # every argument checked, and the data read, before the first run
        seeds = parse_seeds(args.seeds)
        if args.ensemble_size is None:
            args.ensemble_size = ENSEMBLE_SIZE
        elif args.only == "single":  # read by nothing: refused, as glassnet train refuses such options
            raise ValueError(
                "--ensemble-size has no effect in this run: it applies with the ensemble setting only "
                "(not with --only single)"
            )
        if not 1 <= args.ensemble_size <= MAX_ENSEMBLE:
            raise ValueError(
                f"--ensemble-size must be an integer in [1, {MAX_ENSEMBLE}], got {args.ensemble_size}"
            )
        base, split, log_features = recipe(
            args.options, None if args.only == "single" else args.ensemble_size
        )
        if args.json is not None:
            check_output_file(args.json, "--json")
        dataset = load_airfoil(args.data)
    except (ValueError, TypeError, OSError, TorchMissingError) as error:
        parser.error(str(error))
    print(
        f"glassnet airfoil benchmark: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"recipe: {json.dumps({k: v for k, v in base.to_dict().items() if k != 'extra'})}")
    print(
        f"split: test {split.test_fraction}, validation {split.val_fraction} of the rest; log features {log_features}"
    )
    outcomes = []
    if args.only in (None, "single"):
        outcomes.append(run(base.replace(ensemble=1), split, log_features, seeds, dataset, "single"))
    if args.only in (None, "ensemble"):
        outcomes.append(
            run(
                base.replace(ensemble=args.ensemble_size),
                split,
                log_features,
                seeds,
                dataset,
                f"ensemble{args.ensemble_size}",
            )
        )
    print()
    for outcome in outcomes:
        print(describe(outcome))
    if args.json is not None:
        with open(args.json, "w") as handle:
            given = sys.argv[1:] if argv is None else argv  # the arguments this call ran with
            json.dump(
                {"command": ["benchmarks/airfoil_accuracy.py", *given], "results": outcomes}, handle, indent=2
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
