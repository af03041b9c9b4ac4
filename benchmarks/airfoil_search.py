"""A batched PyTorch prototype of the airfoil recipe, for searching it: many models at once.

glassnet trains one model at a time, which is what a user runs but slow for a search over
the recipe, where each setting needs 5 splits × 5 members. This script builds exactly the
inputs of ``glassnet train airfoil`` (glassnet's own split, log features, scaling and
Fourier draw for each split seed), then trains every member of every split as one stack
of independent networks: each hidden layer is ``torch.baddbmm`` over a leading model
axis, each model has its own initial weights and batch order, and AdamW, an elementwise
update, on the stacked tensors is the same as one optimizer per model. Each model trains
once on all the training rows, as the recipe's final (refit) pass does; float32.

It prints the test RMSE in dB of every model, their mean (the "single model" figure) and
the RMSE of each split's ensemble (the mean prediction of its members), then the means
over the splits. It is a prototype, not glassnet: its initial weights and batch orders
come from torch's generator, so its figures are the recipe's up to the seed-to-seed
spread, not glassnet's numbers. docs/airfoil.md records what it measured.

    python benchmarks/airfoil_search.py                      # the recipe: 25 models, ReLU and tanh members
    python benchmarks/airfoil_search.py --activations relu,relu,relu,relu,relu   # five ReLU members
    python benchmarks/airfoil_search.py --cycles 4                        # snapshot ensembles
    python benchmarks/airfoil_search.py --seeds 8 --device cuda           # 8 ensembles per split, on a GPU
    python benchmarks/airfoil_search.py --apart-members 1,3 --apart-fourier-sigma 0.3   # the tanh members' own σ
    python benchmarks/airfoil_search.py --sam 0.05                        # sharpness-aware steps

One run's ensemble figure moves by a few percent with ``--seed`` (docs/airfoil.md), more
than most settings change it. ``--seeds S`` trains S ensembles per split at once, each
with its own initial weights and batch orders, and prints the mean and spread over them:
a setting is then measured against the spread between training runs, not one draw of it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from glassnet.data import AIRFOIL_LOG_COLUMNS, Preprocessor, load_airfoil
from glassnet.torch_bridge import TorchMissingError, resolve_device
from glassnet.train import SplitSettings, TrainConfig
from glassnet.train._tasks import AIRFOIL_FOURIER_SIGMA

Array = npt.NDArray[np.float64]
WARMUP_EPOCHS = 20  # the recipe's linear warm-up, from 0.1 η₀
ACTIVATIONS = ("relu", "tanh", "sin")
MEMBERS = 5
MAX_TORCH_SEED = 2**64 - 1  # torch's manual_seed takes a 64-bit seed
# the recipe's members, which take TrainConfig's activations in turn
RECIPE_ACTIVATIONS = ",".join(TrainConfig().member_activation(m) for m in range(MEMBERS))


@dataclass
class SplitData:
    """One split's rows as the recipe feeds them to each of its members."""

    x_train: list[Array]  # per member: (N, d) training and validation rows, preprocessed
    y_train: Array  # (N,) standardised target
    x_test: list[Array]  # per member: (T, d)
    y_test: Array  # (T,) in dB
    preprocessor: Preprocessor  # member 0's: undoes the target's scaling (the same for every member)


def split_data(X: Array, y: Array, seed: int, members: int, args: argparse.Namespace) -> SplitData:
    """The recipe's inputs for split ``seed``: the Fourier draw of ``seed`` for every member, or
    with ``--fourier-per-member`` one of its own, drawn from ``1000·seed + 7 + m``. The members
    named by ``--apart-members`` draw with ``--apart-fourier-sigma`` and have the sines and
    cosines of ``--apart-plain-columns`` set to zero (so that every member keeps one input
    width: a zero input adds nothing, and its weights get no gradient)."""
    parts = SplitSettings(seed=seed).split(len(X))
    train = np.concatenate([parts.train, parts.val])  # the final pass trains on both
    fourier_seeds = [1000 * seed + 7 + m if args.fourier_per_member else seed for m in range(members)]
    apart = [m in args.apart_members for m in range(members)]
    preprocessors = [
        Preprocessor(
            log_columns=tuple(args.log_columns),
            fourier_features=args.fourier_features,
            fourier_sigma=args.apart_fourier_sigma
            if is_apart and args.apart_fourier_sigma
            else args.fourier_sigma,
            seed=fourier_seed,
        ).fit(X[parts.train], y[parts.train])  # fitted on the training rows only, as the recipe
        for fourier_seed, is_apart in zip(fourier_seeds, apart, strict=True)
    ]
    k, d = args.fourier_features, X.shape[1]

    def periodic(columns: list[int]) -> list[int]:
        """Indices of the sines and cosines of these feature columns (column j's are K apart)."""
        return [d + part * d * k + j * k + i for part in (0, 1) for j in columns for i in range(k)]

    def inputs(rows: npt.NDArray[np.intp], preprocessor: Preprocessor, is_apart: bool) -> Array:
        z = preprocessor.transform_x(X[rows])  # (R, 5 + 10K): standardised columns, then sines, cosines
        if is_apart and args.apart_plain_columns:
            z[:, periodic(args.apart_plain_columns)] = 0.0
        if args.plain_columns:  # drop the sines and cosines of these columns
            dropped = set(periodic(args.plain_columns))
            z = z[:, [c for c in range(z.shape[1]) if c not in dropped]]
        if args.square_frequency:  # (standardised log-frequency)², a parabola along each spectrum
            z = np.concatenate([z, z[:, :1] ** 2], axis=1)
        return z

    return SplitData(
        x_train=[inputs(train, p, a) for p, a in zip(preprocessors, apart, strict=True)],
        y_train=preprocessors[0].transform_y(y[train]),
        x_test=[inputs(parts.test, p, a) for p, a in zip(preprocessors, apart, strict=True)],
        y_test=y[parts.test],
        preprocessor=preprocessors[0],
    )


def learning_rate(epoch: int, args: argparse.Namespace) -> float:
    """η of 0-based ``epoch``: the recipe's warm-up from 0.1 η₀, then cosine to 0.

    With ``--cycles`` C > 1 the epochs form C cycles, each ending at η = 0: warm restarts,
    where only the first epochs warm up and every cycle's cosine starts again at η₀; with
    ``--restart`` every cycle warms up and then runs the recipe's cosine.
    """
    length = args.epochs // args.cycles

    def warm(e: int) -> float:
        return args.lr * (0.1 + 0.9 * e / WARMUP_EPOCHS)

    def cosine(e: int, span: int) -> float:
        return args.lr * 0.5 * (1.0 + math.cos(math.pi * e / span))

    e = epoch % length
    if args.cycles == 1 or args.restart:
        return warm(e) if e < WARMUP_EPOCHS else cosine(e - WARMUP_EPOCHS, length - WARMUP_EPOCHS)
    return warm(epoch) if epoch < WARMUP_EPOCHS else cosine(e, length)


def train(splits: list[SplitData], activations: list[str], args: argparse.Namespace) -> list[Array]:
    """Train every member of every split (``args.seeds`` times) at once; per split the (S·M, T)
    test predictions in dB, seed by seed, each member's the mean over the snapshots taken at
    the end of every cycle."""
    import torch

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    generator = torch.Generator(device).manual_seed(args.seed)
    members = len(activations) * args.seeds  # per split: every seed's members in turn

    def stacked(arrays: list[Array]) -> torch.Tensor:
        return torch.tensor(np.stack(arrays), dtype=torch.float32, device=device)

    x = stacked([s.x_train[m % len(activations)] for s in splits for m in range(members)])  # (K, N, d)
    y = stacked([s.y_train for s in splits for _ in range(members)])  # (K, N)
    x_test = stacked([s.x_test[m % len(activations)] for s in splits for m in range(members)])  # (K, T, d)
    models, rows, width = x.shape[0], x.shape[1], x.shape[2]
    sizes = [width, *args.hidden, 1]
    params: list[torch.Tensor] = []
    for fan_in, fan_out in itertools.pairwise(sizes):  # PyTorch's nn.Linear init
        bound = 1.0 / math.sqrt(fan_in)
        for shape in ((models, fan_in, fan_out), (models, 1, fan_out)):
            weights = torch.rand(shape, generator=generator, device=device)
            params.append(((weights * 2 - 1) * bound).requires_grad_())
    kinds = [activations[k % len(activations)] for k in range(models)]
    masks = {
        kind: torch.tensor([k == kind for k in kinds], device=device).view(models, 1, 1)
        for kind in ("tanh", "sin")
    }
    functions: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"tanh": torch.tanh, "sin": torch.sin}

    def hidden(z: torch.Tensor) -> torch.Tensor:
        if args.unit_mix:  # the second half of every layer's units: another activation
            half = z.shape[-1] // 2
            return torch.cat([torch.relu(z[..., :half]), functions[args.unit_mix](z[..., half:])], dim=-1)
        out = torch.relu(z)
        for kind, mask in masks.items():
            if mask.any():
                out = torch.where(mask, functions[kind](z), out)
        return out

    def forward(inputs: torch.Tensor) -> torch.Tensor:  # (K, R, d) -> (K, R)
        h = inputs
        for i in range(0, len(params) - 2, 2):
            out = hidden(torch.baddbmm(params[i + 1], h, params[i]))
            # --residual: a hidden layer whose width is its input's adds that input
            h = h + out if args.residual and out.shape == h.shape else out
        return torch.baddbmm(params[-1], h, params[-2]).squeeze(-1)

    def batch_loss(batch: torch.Tensor) -> torch.Tensor:
        """Σ over models of each model's mean loss on its rows: the gradients of one model are its own."""
        return ((forward(x[model_index, batch]) - y[model_index, batch]) ** 2).mean(dim=1).sum()

    def sharpness_aware_gradients(batch: torch.Tensor) -> None:
        """SAM (Foret et al., 2021): replace every model's gradient g by the gradient at the weights
        w + ρ g/‖g‖, ‖g‖ over all of that model's parameters; the step then moves w."""
        with torch.no_grad():
            grads = [p.grad for p in params if p.grad is not None]
            norms = torch.stack([g.pow(2).sum(dim=(1, 2)) for g in grads]).sum(dim=0).sqrt()  # (K,)
            shifts = [args.sam * g / norms.clamp_min(1e-12).view(models, 1, 1) for g in grads]
            for p, shift in zip(params, shifts, strict=True):
                p.add_(shift)
        opt.zero_grad(set_to_none=True)
        batch_loss(batch).backward()
        with torch.no_grad():
            for p, shift in zip(params, shifts, strict=True):
                p.sub_(shift)

    def optimizer() -> torch.optim.Optimizer:
        return torch.optim.AdamW(params, lr=args.lr, betas=(0.9, args.beta2), weight_decay=args.weight_decay)

    opt = optimizer()
    length = args.epochs // args.cycles
    model_index = torch.arange(models, device=device).view(models, 1)
    snapshots: list[Array] = []
    for epoch in range(args.epochs):
        if args.restart and epoch > 0 and epoch % length == 0:
            opt = optimizer()
        for group in opt.param_groups:
            group["lr"] = learning_rate(epoch, args)
        # a permutation per model
        order = torch.argsort(torch.rand(models, rows, generator=generator, device=device), dim=1)
        for start in range(0, rows, args.batch_size):
            batch = order[:, start : start + args.batch_size]
            opt.zero_grad(set_to_none=True)
            batch_loss(batch).backward()
            if args.sam:
                sharpness_aware_gradients(batch)
            opt.step()
        if (epoch + 1) % length == 0:
            with torch.no_grad():
                snapshots.append(forward(x_test).cpu().numpy().astype(np.float64))
    scaled = np.mean(snapshots, axis=0)  # (K, T)
    finite = np.isfinite(scaled).all(axis=1, keepdims=True)  # (K, 1): a model that diverged predicts NaN
    in_db = np.where(finite, scaled, 0.0)  # inverse_transform_y refuses what is not finite
    return [
        np.stack(
            [
                np.where(finite[k], s.preprocessor.inverse_transform_y(in_db[k]), np.nan)
                for k in range(i * members, (i + 1) * members)
            ]
        )
        for i, s in enumerate(splits)
    ]


def rmse(prediction: Array, target: Array) -> float:
    return math.sqrt(float(np.mean((prediction - target) ** 2)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--data", help="airfoil file (default: the usual search)")
    add("--splits", default="0,1,2,3,4", help="split seeds (default 0,1,2,3,4)")
    add(
        "--activations",
        help=f"one per member: relu, tanh or sin (default {RECIPE_ACTIVATIONS}, the recipe's; relu for all "
        "with --unit-mix)",
    )
    add("--unit-mix", choices=("tanh", "sin"), help="the second half of every hidden layer's units use this")
    add("--hidden", default="128,128,128", help="hidden widths (default 128,128,128)")
    add("--residual", action="store_true", help="a hidden layer as wide as its input adds that input")
    add("--epochs", type=int, default=1000)
    add("--cycles", type=int, help="cosine cycles; the end of each is a snapshot (default 1)")
    add("--restart", action="store_true", help="a fresh AdamW state and warm-up at every cycle")
    add("--lr", type=float, default=1e-3)
    add("--weight-decay", type=float, default=0.01)
    add("--beta2", type=float, default=0.999, help="AdamW's β₂ (default 0.999, the recipe's)")
    add("--sam", type=float, default=0.0, help="SAM's radius ρ; 0 (the default) for plain AdamW steps")
    add("--batch-size", type=int, default=64)
    add("--fourier-features", type=int, default=8)
    add(
        "--fourier-sigma",
        help="σ of the Fourier frequencies: one for every feature, or one per feature (default: the recipe's)",
    )
    add("--fourier-per-member", action="store_true", help="a Fourier draw per member, not per split")
    add(
        "--plain-columns",
        default="",
        help="feature columns (0 frequency … 4 displacement thickness) given without Fourier features",
    )
    add(
        "--log-columns",
        default=",".join(str(column) for column in AIRFOIL_LOG_COLUMNS),
        help="feature columns taken as logarithms (default: the recipe's, frequency and displacement "
        "thickness, 0,4); empty for none",
    )
    add("--square-frequency", action="store_true", help="add (standardised log-frequency)² as an input")
    add("--apart-members", default="", help="members (0-based) that take the --apart- options below")
    add(
        "--apart-fourier-sigma",
        default="",
        help="σ of those members' Fourier frequencies (as --fourier-sigma)",
    )
    add(
        "--apart-plain-columns",
        default="",
        help="feature columns whose sines and cosines are zero for those members",
    )
    add("--seed", type=int, default=12345, help="torch generator: initial weights and batch orders")
    add(
        "--seeds",
        type=int,
        default=1,
        help="ensembles trained per split, each from its own draws (default 1)",
    )
    add("--device", default="cpu", help="torch device: cpu (default) or cuda")
    add("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    def integers(text: str, option: str, low: int) -> list[int]:
        try:
            values = [int(part) for part in text.split(",")]
        except ValueError:
            parser.error(f"{option} takes comma-separated integers, got {text!r}")
        if min(values) < low:
            parser.error(f"{option} takes integers of at least {low}, got {text}")
        return values

    def sigma(text: str, option: str) -> float | tuple[float, ...]:
        try:
            sigmas = tuple(float(part) for part in text.split(","))
        except ValueError:
            parser.error(f"{option} takes one number or five, comma-separated, got {text!r}")
        if len(sigmas) not in (1, 5) or not all(0 < sigma < math.inf for sigma in sigmas):
            parser.error(f"{option} takes one positive number or five, got {text}")
        return sigmas[0] if len(sigmas) == 1 else sigmas

    sigma_given = args.fourier_sigma is not None
    if not sigma_given:
        args.fourier_sigma = ",".join(f"{sigma:g}" for sigma in AIRFOIL_FOURIER_SIGMA)
    args.fourier_sigma = sigma(args.fourier_sigma, "--fourier-sigma")
    if args.apart_fourier_sigma:
        args.apart_fourier_sigma = sigma(args.apart_fourier_sigma, "--apart-fourier-sigma")
    args.hidden = integers(args.hidden, "--hidden", 1)
    args.splits = integers(args.splits, "--splits", 0)
    repeated = sorted({seed for seed in args.splits if args.splits.count(seed) > 1})
    if repeated:  # a split named twice would count twice in the mean over the splits
        parser.error(f"--splits names {repeated} more than once; each split would count twice in the mean")
    if args.activations is None:
        args.activations = ",".join(["relu"] * MEMBERS) if args.unit_mix else RECIPE_ACTIVATIONS
    args.activations = args.activations.split(",")
    for option in ("--plain-columns", "--apart-plain-columns", "--log-columns"):
        name = option[2:].replace("-", "_")
        columns = integers(getattr(args, name), option, 0) if getattr(args, name) else []
        if columns and max(columns) > 4:
            parser.error(f"{option} takes feature columns 0 to 4, got {max(columns)}")
        setattr(args, name, columns)
    args.apart_members = integers(args.apart_members, "--apart-members", 0) if args.apart_members else []
    if args.apart_members and max(args.apart_members) >= len(args.activations):
        parser.error(
            f"--apart-members takes members 0 to {len(args.activations) - 1} of the "
            f"{len(args.activations)}, got {max(args.apart_members)}"
        )
    apart_options = bool(args.apart_fourier_sigma or args.apart_plain_columns)
    if bool(args.apart_members) != apart_options:
        parser.error(
            "--apart-members names the members that --apart-fourier-sigma and --apart-plain-columns "
            "apply to: give it with at least one of them, and they with it"
        )
    for option, value in (
        ("--batch-size", args.batch_size),
        ("--threads", args.threads),
        ("--seeds", args.seeds),
    ):
        if value < 1:
            parser.error(f"{option} must be at least 1, got {value}")
    largest = float(np.finfo(np.float32).max)  # the models train in float32
    if not 0 < args.lr <= largest:
        parser.error(
            f"--lr must be a positive number of float32's range (up to {largest:.3g}), got {args.lr}"
        )
    if not 0 <= args.weight_decay <= largest:
        parser.error(
            f"--weight-decay must be a number of at least 0 in float32's range (up to {largest:.3g}), "
            f"got {args.weight_decay}"
        )
    if not 0 <= args.sam <= largest:
        parser.error(
            f"--sam must be a number of at least 0 in float32's range (up to {largest:.3g}), got {args.sam}"
        )
    if not 0 <= args.beta2 < 1:  # torch.optim refuses it too, in a traceback
        parser.error(f"--beta2 must be in [0, 1), got {args.beta2}")
    unknown = sorted(set(args.activations) - set(ACTIVATIONS))
    if unknown:
        parser.error(f"--activations: unknown {unknown}; choose from {', '.join(ACTIVATIONS)}")
    if args.unit_mix and set(args.activations) != {"relu"}:  # hidden() would ignore them
        parser.error(
            f"--unit-mix {args.unit_mix} gives every member ReLU units and {args.unit_mix} units; "
            f"it takes no --activations other than relu, got {','.join(args.activations)}"
        )
    if not 0 <= args.seed <= MAX_TORCH_SEED:  # torch's generator would refuse it after the data is prepared
        parser.error(f"--seed must be an integer in [0, {MAX_TORCH_SEED}], got {args.seed}")
    if args.cycles is None:  # one cosine over all the epochs, which must outlast the warm-up
        args.cycles = 1
        if args.epochs <= WARMUP_EPOCHS:
            parser.error(f"--epochs must be more than the {WARMUP_EPOCHS} of the warm-up, got {args.epochs}")
    if args.cycles < 1:
        parser.error(f"--cycles must be at least 1, got {args.cycles}")
    if args.epochs % args.cycles:  # the last epochs would train after the last snapshot, unused
        parser.error(f"--cycles {args.cycles} must divide --epochs {args.epochs}")
    if args.epochs // args.cycles <= WARMUP_EPOCHS:
        parser.error(
            f"--cycles {args.cycles}: each cycle needs more than {WARMUP_EPOCHS} of the {args.epochs} epochs"
        )
    # options this run would not read: refused, as glassnet train refuses them, not ignored
    fourier = args.fourier_features != 0  # below 0: refused by glassnet's Preprocessor in main
    # the inputs' width (split_data's inputs): 5 standardised columns, a sine and a cosine of each
    # Fourier feature of the columns not plain, and the squared frequency
    # (each plain column counted once, as split_data drops it once; a K below 0 is refused later,
    # by glassnet's Preprocessor, in its own words)
    plain = len(set(args.plain_columns))
    width = 5 + 2 * max(args.fourier_features, 0) * (5 - plain) + int(args.square_frequency)
    widths = [width, *args.hidden]
    residual = args.fourier_features < 0 or any(
        after == before for before, after in itertools.pairwise(widths)
    )
    for option, given, needs, used in (
        ("--fourier-sigma", sigma_given, "--fourier-features above 0", fourier),
        ("--residual", args.residual, f"a hidden layer as wide as its input (the inputs: {width})", residual),
        ("--plain-columns", args.plain_columns, "--fourier-features above 0", fourier),
        ("--apart-plain-columns", args.apart_plain_columns, "--fourier-features above 0", fourier),
        ("--apart-fourier-sigma", args.apart_fourier_sigma, "--fourier-features above 0", fourier),
        ("--fourier-per-member", args.fourier_per_member, "--fourier-features above 0", fourier),
        ("--restart", args.restart, "--cycles 2 or more", args.cycles > 1),
    ):
        if given and not used:
            parser.error(f"{option} has no effect in this run: it applies with {needs} only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:  # a missing or bad file, no torch, a device it has not, a Fourier setting glassnet refuses:
        # one line, as parse_args says it, before the data is prepared
        dataset = load_airfoil(args.data)
        resolve_device(args.device)
        start = time.perf_counter()
        splits = [split_data(dataset.X, dataset.y, seed, len(args.activations), args) for seed in args.splits]
    except (OSError, ValueError, TorchMissingError) as error:
        print(f"airfoil_search.py: error: {error}", file=sys.stderr)
        return 2
    predictions = train(splits, args.activations, args)
    size = len(args.activations)
    singles, ensembles = [], []  # per split: the mean over its models; each seed's ensemble (S,)
    for seed, data, members in zip(args.splits, splits, predictions, strict=True):
        each = [rmse(prediction, data.y_test) for prediction in members]
        singles.append(float(np.mean(each)))
        ensembles.append(
            [rmse(group.mean(axis=0), data.y_test) for group in members.reshape(args.seeds, size, -1)]
        )
        listed = " ".join(f"{value:.3f}" for value in each)
        print(f"split {seed}: single {singles[-1]:.3f} ({listed}), ensemble {np.mean(ensembles[-1]):.3f}")
    diverged = sum(int(np.isnan(members[:, 0]).sum()) for members in predictions)
    if diverged:  # their figures, and their splits' means, read nan
        print(
            f"{diverged} of {sum(len(members) for members in predictions)} models diverged (non-finite predictions)"
        )
    by_seed = np.mean(ensembles, axis=0)  # (S,): each seed's mean over the splits
    spread = f" ± {np.std(by_seed, ddof=1):.3f} over {args.seeds} seeds" if args.seeds > 1 else ""
    print(
        f"mean over {len(args.splits)} splits: single {np.mean(singles):.3f} dB, ensemble of "
        f"{size} {np.mean(by_seed):.3f}{spread} dB ({time.perf_counter() - start:.0f} s; "
        f"{' '.join(sys.argv[1:] if argv is None else argv)})"
    )
    return 1 if diverged else 0


if __name__ == "__main__":
    sys.exit(main())
