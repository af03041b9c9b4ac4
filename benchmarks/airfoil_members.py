"""How much the airfoil recipe's ensemble owes to the members it happens to draw, and to their number.

Trains the recipe (the defaults of ``glassnet train airfoil``, or its options after ``--``) as an
ensemble of K members (``--members``, 10 by default) on each split seed, keeps every member's test
predictions in dB, and prints, per split and as the mean over the splits, the test RMSE of

- the recipe's ensemble of S (``--size``, 5 by default): its first S members, as ``--ensemble S``
  trains them (member m's weights and batches do not depend on K), and of all K members;
- the median of those S members and their trimmed mean (the largest and the smallest left out),
  in place of the mean;
- each composition of S members by activation (for the recipe's ReLU and tanh members: r ReLU
  and S − r tanh), as the mean test RMSE over every choice of S of the K members with that
  composition: what an ensemble of that kind measures on the split beyond the luck of one draw.

    python benchmarks/airfoil_members.py                               # K = 10, split seeds 0–4
    python benchmarks/airfoil_members.py --seeds 5,6,7,8,9 -- --epochs 300

Figures measured with it are recorded in docs/airfoil.md ("Which members, and how many").
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from glassnet.data import load_airfoil
from glassnet.torch_bridge import TorchMissingError
from glassnet.train import Run, model_parts, predict_raw, train_airfoil
from glassnet.train._config import MAX_ENSEMBLE
from glassnet.train._ensemble import Ensemble

sys.path.insert(0, str(Path(__file__).resolve().parent))  # airfoil_accuracy.py and speed.py, beside this file
from airfoil_accuracy import benchmark_parser, parse_seeds, recipe
from speed import check_output_file

MEMBERS = 10  # members trained per split, unless --members says otherwise
SIZE = 5  # the ensemble size studied: the ensemble of 5
MAX_CHOICES = 100_000  # subsets of S of the K members enumerated per split, at most


def rmse(prediction: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    return math.sqrt(float(np.mean((prediction - y) ** 2)))


def compositions(activations: tuple[str, ...], size: int) -> Iterator[tuple[str, list[tuple[int, ...]]]]:
    """Each way of taking ``size`` members by activation: its label ("3 relu + 2 tanh", the
    activations in the order the members first take them) and every choice of members with it."""
    families = {name: [m for m, own in enumerate(activations) if own == name] for name in activations}
    for counts in _counts([len(members) for members in families.values()], size):
        label = " + ".join(f"{count} {name}" for name, count in zip(families, counts, strict=True))
        per_family = [
            itertools.combinations(members, count)
            for members, count in zip(families.values(), counts, strict=True)
        ]
        yield label, [sum(parts, ()) for parts in itertools.product(*per_family)]


def _counts(limits: list[int], size: int) -> Iterator[tuple[int, ...]]:
    """Every tuple of counts, each at most its limit, that adds up to ``size``; built count by
    count, where a product of every count's range ran (limit + 1)^families tuples (10¹⁵ for seven
    activations over 1000 members) to keep a handful."""
    if size > sum(limits):  # the families left cannot make it up: without this, S near K walked the product
        return
    if not limits:
        yield ()
        return
    for count in range(min(limits[0], size) + 1):
        for rest in _counts(limits[1:], size - count):
            yield (count, *rest)


def summarise(
    predictions: npt.NDArray[np.float64], y: npt.NDArray[np.float64], activations: tuple[str, ...], size: int
) -> dict[str, float]:
    """Test RMSE of the ensembles above, from ``predictions`` (K, n), each member's on the n test
    rows, and the targets ``y`` (n,)."""
    first = predictions[:size]
    figures = {
        f"the first {size} (the recipe's ensemble)": rmse(first.mean(axis=0), y),
        f"all {len(predictions)}": rmse(predictions.mean(axis=0), y),
        f"median of the first {size}": rmse(np.median(first, axis=0), y),
    }
    if size >= 3:
        figures[f"trimmed mean of the first {size}"] = rmse(np.sort(first, axis=0)[1:-1].mean(axis=0), y)
    for label, choices in compositions(activations, size):
        choices_text = f"{len(choices)} choice{'s' if len(choices) != 1 else ''}"
        figures[f"{label}, mean over {choices_text}"] = statistics.fmean(
            rmse(predictions[list(choice)].mean(axis=0), y) for choice in choices
        )
    return figures


def member_predictions(run: Run) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], tuple[str, ...]]:
    """Each member's test predictions (K, n) in the target's units, the test targets (n,) and the
    members' activations, of a finished ``train_airfoil`` run."""
    ensemble = run.ensemble()
    # without hidden layers no activation is applied: one family, not the names the members would take
    activations = ensemble.activations if len(ensemble.spec.sizes) > 2 else ("linear",) * len(ensemble)
    kept = model_parts(run.parts(), refit=run.result.validation_ensemble() is not None)
    rows = run.X[kept["test"]]
    predictions = np.stack(
        [
            predict_raw(Ensemble(ensemble.spec, [weights], activations=[activation]), run.preprocessor, rows)
            for weights, activation in zip(ensemble.members, ensemble.activations, strict=True)
        ]
    )
    return predictions, run.y[kept["test"]], activations


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.add_argument(
        "--members", type=int, default=MEMBERS, help=f"members K trained per split (default {MEMBERS})"
    )
    parser.add_argument("--size", type=int, help=f"the ensemble size S studied (default {SIZE})")
    args = parser.parse_args(argv)
    try:  # every argument checked, and the data read, before the first run
        seeds = parse_seeds(args.seeds)
        if not 1 <= args.members <= MAX_ENSEMBLE:
            raise ValueError(f"--members must be an integer in [1, {MAX_ENSEMBLE}], got {args.members}")
        size_given = args.size is not None
        args.size = args.size if size_given else SIZE
        default = "" if size_given else " (its default)"
        if not 1 <= args.size <= args.members:
            raise ValueError(
                f"--size must be an integer in [1, --members = {args.members}], got {args.size}{default}"
                + ("" if size_given else f"; give --size {args.members} or less")
            )
        if math.comb(args.members, args.size) > MAX_CHOICES:
            raise ValueError(
                f"--members {args.members} and --size {args.size}{default} make "
                f"{math.comb(args.members, args.size):,} choices of members per split, past the "
                f"{MAX_CHOICES:,} this script enumerates"
            )
        config, split, log_features = recipe(args.options, args.members, ensemble_option="--members")
        if args.json is not None:
            check_output_file(args.json, "--json")
        dataset = load_airfoil(args.data)
    except (ValueError, TypeError, OSError, TorchMissingError) as error:
        parser.error(str(error))
    config = config.replace(ensemble=args.members)
    print(f"recipe: {json.dumps({k: v for k, v in config.to_dict().items() if k != 'extra'})}")
    splits = []
    for seed in seeds:
        start = time.perf_counter()
        run = train_airfoil(
            dataset,
            config.replace(seed=seed),
            split=dataclasses.replace(split, seed=seed),
            log_features=log_features,
            handle_sigint=False,
        )
        if run.result.status != "completed" or len(run.result.members) != args.members:
            # fewer members than asked: the figures would be labelled by K and S they are not of
            parser.exit(
                2,
                f"{parser.prog}: error: split seed {seed}: {run.result.message}; no figures are measured "
                "from such a run\n",
            )
        figures = summarise(*member_predictions(run), args.size)
        splits.append({"seed": seed, "seconds": time.perf_counter() - start, "test_rmse": figures})
        print(f"split seed {seed} ({splits[-1]['seconds']:.0f} s), test RMSE [dB]:", flush=True)
        for label, value in figures.items():
            print(f"  {label:48s} {value:.3f}", flush=True)
    means = {
        label: statistics.fmean(row["test_rmse"][label] for row in splits) for label in splits[0]["test_rmse"]
    }
    print(f"\nmean over split seeds {', '.join(map(str, seeds))}, test RMSE [dB]:")
    for label, value in means.items():
        per_split = ", ".join(f"{row['test_rmse'][label]:.3f}" for row in splits)
        print(f"  {label:48s} {value:.4f}   ({per_split})")
    if args.json is not None:
        given = sys.argv[1:] if argv is None else argv  # the arguments this call ran with
        document = {"command": ["benchmarks/airfoil_members.py", *given], "splits": splits, "mean": means}
        args.json.write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
