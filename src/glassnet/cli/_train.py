"""``glassnet train airfoil|moons``: split, train, and write the run folder.

The training knobs of :class:`glassnet.train.TrainConfig` are options, but for Adam's β and
ε, the warm-up's starting factor, and the loss and output activation, which each task fixes;
options left out take the recipe's default (``TrainConfig()`` for airfoil, ``MOONS_CONFIG``
for moons).
Numbers are checked here so that a bad value gives one line naming the option.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

from glassnet._checks import count_text, seconds_text, underflows
from glassnet._files import expand_user, os_error_text
from glassnet._signals import StopSignals, interrupted_status, interrupted_text, interrupts_held
from glassnet.checkpoint import Checkpoint
from glassnet.cli._evaluate import members_text, metrics_lines
from glassnet.cli._output import path_text, refuse_closed_stdout, write_message, writing_stdout
from glassnet.nn import ACTIVATIONS, INITS
from glassnet.train import (
    AIRFOIL_FOURIER_SIGMA,
    DEFAULT_FOURIER_SIGMA,
    ENGINES,
    MOONS_CONFIG,
    OPTIMIZERS,
    SCHEDULES,
    Run,
    SplitSettings,
    TrainConfig,
    train_airfoil,
    train_moons,
)
from glassnet.train._config import FIELD_BOUNDS, MAX_HIDDEN_LAYERS, MAX_WIDTH, SIGMA_BOUNDS, Bounds
from glassnet.train._tasks import MOONS_NOISE, MOONS_SAMPLES, saved_moons
from glassnet.train.artifacts import RESUME_SETTINGS, resume_command, shell_word, unprintable_note

# the options' bounds are TrainConfig's (FIELD_BOUNDS, the same names); the size of the whole
# network is the command's own limit:
MAX_PARAMETERS = 50_000_000
# each task's split: (test fraction, validation fraction of the rest); moons has no validation part
SPLIT_DEFAULTS = {"airfoil": (0.2, 0.1), "moons": (0.25, 0.0)}


# -- parsing of numbers: one line per mistake -----------------------------------------


def parse_int(text: str, option: str, low: int, high: int) -> int:
    """An integer in [low, high] from ``text``, or ValueError naming ``option``."""
    try:
        # no underscores, though Python groups digits with them (1_000): "64_64" is a slip of
        # "64,64" for --hidden, which int() reads as 6464
        value = int(text.strip()) if isinstance(text, str) and "_" not in text else None
    except ValueError:
        value = None
    if value is None:
        raise ValueError(f"{option} must be an integer in [{low}, {high}], got {text!r}")
    if not low <= value <= high:
        raise ValueError(f"{option} must be an integer in [{low}, {high}], got {value}")
    return value


def parse_float(
    text: str, option: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """A finite float in [low, high] (either end left out with ``low_open``/``high_open``), or
    ValueError naming ``option``; the interval is TrainConfig's kind (:class:`Bounds`)."""
    bounds = Bounds(low, high, low_open=low_open, high_open=high_open)
    try:
        # no underscores, though Python groups digits with them: "1_10" is a slip of "1,10" for a
        # list such as --fourier-sigma, which float() reads as 110
        value = float(text) if isinstance(text, str) and "_" not in text else None
    except ValueError:
        value = None
    if value is None:
        raise ValueError(f"{option} must be a number in {bounds.text()}, got {text!r}")
    if underflows(text, value):
        # 1e-400 is 0 in float64, which means something else where 0 is allowed (--clip-norm 0 is
        # off, a --val-fraction of 1e-320 takes one row, of 0 none): refused, whatever the interval
        hint = "; give 0 if 0 is meant" if bounds.holds(0.0) else ""
        raise ValueError(
            f"{option} must be a number in {bounds.text()}, got {text}, which is 0 in float64 (below "
            f"5e-324){hint}"
        )
    if not bounds.holds(value):
        raise ValueError(f"{option} must be a number in {bounds.text()}, got {text}")
    return value + 0.0  # -0 as 0: the run's files record 0.0, in the interval as written


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden widths "128,128,128" -> (128, 128, 128); empty means no hidden layer."""
    if text.strip() == "":
        return ()
    widths = tuple(parse_int(part, "--hidden widths", 1, MAX_WIDTH) for part in text.split(","))
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"--hidden takes at most {MAX_HIDDEN_LAYERS} layers, got {len(widths)}")
    return widths


def parse_sigma(text: str) -> float | tuple[float, ...]:
    """--fourier-sigma: "0.2" (every feature) or "0.2,0.2,0.3,0.1,0.2" (one per feature)."""
    bounds = SIGMA_BOUNDS
    try:
        values = tuple(
            parse_float(part, "--fourier-sigma", bounds.low, bounds.high, low_open=bounds.low_open)
            for part in text.split(",")
        )
    except ValueError:
        raise ValueError(
            f"--fourier-sigma takes one number in {bounds.text()} for every feature, or one per feature, "
            f"comma-separated, got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


def parse_activation(text: str) -> str | tuple[str, ...]:
    """--activation: "relu" (every member) or "relu,tanh" (the ensemble's members in turn)."""
    names = tuple(part.strip() for part in text.split(","))
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown:
        raise ValueError(
            f"--activation takes one of {', '.join(ACTIVATIONS)}, or several, comma-separated, "
            f"for the ensemble's members in turn; got {text!r} ({', '.join(map(repr, unknown))} unknown)"
        )
    return names[0] if len(set(names)) == 1 else names


def _comma_text(value: Any) -> str:
    """A default shown in --help: one value, or a tuple of them comma-separated, as typed."""
    return ",".join(
        f"{part:g}" if isinstance(part, float) else str(part)
        for part in (value if isinstance(value, tuple) else (value,))
    )


def bounded(field: str) -> Any:
    """The parser of the option of TrainConfig's numeric ``field`` (``--field-name``), in the
    field's own bounds (``FIELD_BOUNDS``)."""
    bounds, option = FIELD_BOUNDS[field], "--" + field.replace("_", "-")
    if bounds.integer:
        return lambda text: parse_int(text, option, int(bounds.low), int(bounds.high))
    return lambda text: parse_float(
        text, option, bounds.low, bounds.high, low_open=bounds.low_open, high_open=bounds.high_open
    )


NUMERIC_OPTIONS = (
    *("epochs", "lr", "batch_size", "ensemble", "seed", "weight_decay", "momentum", "warmup_epochs"),
    *("min_lr_factor", "step_size", "gamma", "patience", "clip_norm", "threads", "fourier_features"),
)
# option -> (TrainConfig field, parser)
PARSED_OPTIONS: dict[str, tuple[str, Any]] = {
    **{name: (name, bounded(name)) for name in NUMERIC_OPTIONS},
    "hidden": ("hidden", parse_hidden),
    "fourier_sigma": ("fourier_sigma", parse_sigma),
    "activation": ("activation", parse_activation),
}
CHOICE_OPTIONS = {
    "optimizer": "optimizer",
    "schedule": "schedule",
    "init": "init",
    "engine": "engine",
    "device": "device",
}
FLAG_OPTIONS = ("float32", "no_restore_best", "no_refit", "no_cuda_graph")
# The options that change where and how fast a run computes, not what: --resume takes them
# (the settings of RESUME_MAY_CHANGE that the command line sets), the others are refused
RESUME_OPTIONS = ("engine", "device", "no_cuda_graph", "threads")
# Options that only some configurations read: given with another, they would change nothing,
# so they are refused rather than silently ignored. option -> (what it needs, whether it has it)
OPTIONS_THAT_NEED: dict[str, tuple[str, Any]] = {
    "momentum": ("--optimizer sgd", lambda c: c.optimizer == "sgd"),
    "warmup_epochs": ("--schedule cosine", lambda c: c.schedule == "cosine"),
    "min_lr_factor": ("--schedule cosine", lambda c: c.schedule == "cosine"),
    "step_size": ("--schedule step", lambda c: c.schedule == "step"),
    "gamma": ("--schedule step or exponential", lambda c: c.schedule in ("step", "exponential")),
    "fourier_sigma": ("--fourier-features above 0", lambda c: c.fourier_features > 0),
    "activation": ("hidden layers (--hidden not empty)", lambda c: len(c.hidden) > 0),
}


# -- the parser -------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train on airfoil (regression) or moons (the exercise's 2→3→1 classifier)",
        description="Train a network and write a run folder: model.npz, metrics.json, history.csv, plots.",
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    airfoil = tasks.add_parser(
        "airfoil",
        help="NASA airfoil self-noise regression (dB)",
        description="Split airfoil (test part held out by --seed), train, report RMSE/MAE/R² in dB.",
    )
    airfoil.add_argument(
        "--data",
        metavar="PATH",
        help="airfoil file (default: $GLASSNET_DATA, the cache, ../shared/data beside a source checkout)",
    )
    airfoil.add_argument(
        "--no-log-features", action="store_true", help="do not take the log of frequency and thickness"
    )
    _add_common(airfoil, TrainConfig(), AIRFOIL_FOURIER_SIGMA, SPLIT_DEFAULTS["airfoil"])
    # messages name the task, as argparse's own do ("glassnet train moons: error: …")
    airfoil.set_defaults(command_name="train airfoil")
    moons = tasks.add_parser(
        "moons",
        help="the exercise's 2→3→1 network on the 2-D moons set (logistic loss)",
        description="Train the exercise's 2→3→1 ReLU network on two moons; plot its decision boundary.",
    )
    moons.add_argument("--samples", metavar="N", help="points in the moons set (default 400)")
    moons.add_argument("--noise", metavar="SIGMA", help="Gaussian noise of the moons (default 0.2)")
    _add_common(moons, MOONS_CONFIG, DEFAULT_FOURIER_SIGMA, SPLIT_DEFAULTS["moons"])
    moons.set_defaults(command_name="train moons")
    parser.set_defaults(handler=handle_locked)


def _add_common(
    parser: argparse.ArgumentParser,
    defaults: TrainConfig,
    sigma: float | tuple[float, ...],
    split: tuple[float, float],
) -> None:
    """The options of every task, their help showing the task's defaults: ``sigma`` is its σ of
    the Fourier frequencies, ``split`` its test and validation fractions."""
    d = defaults
    test_fraction, val_fraction = split
    model = parser.add_argument_group("model")
    model.add_argument(
        "--hidden",
        metavar="W1,W2,…",
        help=f"hidden widths; empty: no hidden layer, a linear model (default {','.join(map(str, d.hidden))})",
    )
    model.add_argument(
        "--activation",
        metavar="NAME[,NAME…]",
        help=(
            f"hidden activation: {', '.join(ACTIVATIONS)}; several, comma-separated, go to "
            "the ensemble's members in turn, and a single model takes the first "
            f"(default {_comma_text(d.activation)}"
            + (
                f": {d.activation[0]} for the single model of --ensemble 1)"
                if isinstance(d.activation, tuple) and d.ensemble == 1
                else ")"
            )
        ),
    )
    model.add_argument("--init", choices=INITS, help=f"weight initialisation (default {d.init})")
    model.add_argument(
        "--fourier-features",
        metavar="K",
        help=f"K sines and K cosines of every standardised input, 0 = none (default {d.fourier_features})",
    )
    model.add_argument(
        "--fourier-sigma",
        metavar="σ",
        help=(
            "spread of the Fourier frequencies, in standard deviations: one for every feature, or "
            f"one per feature, comma-separated (default {_comma_text(sigma)})"
        ),
    )
    model.add_argument("--float32", action="store_true", help="train in float32 (default float64)")
    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {d.optimizer}")
    opt.add_argument("--lr", metavar="LR", help=f"peak learning rate (default {d.lr:g})")
    opt.add_argument("--weight-decay", metavar="λ", help=f"weight decay (default {d.weight_decay:g})")
    opt.add_argument("--momentum", metavar="μ", help=f"SGD momentum (default {d.momentum:g})")
    opt.add_argument("--schedule", choices=SCHEDULES, help=f"learning-rate schedule (default {d.schedule})")
    opt.add_argument(
        "--warmup-epochs", metavar="N", help=f"linear warm-up epochs, cosine (default {d.warmup_epochs})"
    )
    opt.add_argument(
        "--min-lr-factor",
        metavar="F",
        help=f"cosine floor as a fraction of --lr (default {d.min_lr_factor:g})",
    )
    opt.add_argument(
        "--step-size", metavar="N", help=f"step schedule: epochs between decays (default {d.step_size})"
    )
    opt.add_argument("--gamma", metavar="G", help=f"step/exponential decay factor (default {d.gamma:g})")
    opt.add_argument("--batch-size", metavar="B", help=f"rows per batch (default {d.batch_size})")
    opt.add_argument("--epochs", metavar="N", help=f"maximum epochs (default {d.epochs})")
    # moons has no validation part unless asked for, and these three options act on it
    needs = "" if val_fraction > 0 else "; needs --val-fraction > 0 (no validation part by default)"
    refit = "under refit (the default)" if val_fraction > 0 else "under refit"
    opt.add_argument(
        "--patience",
        metavar="N",
        help=f"early stopping patience in epochs, 0 = off{needs}; {refit} it stops the "
        "validation pass, and the final pass trains as many epochs as that pass kept "
        f"(default {d.patience})",
    )
    opt.add_argument(
        "--no-restore-best",
        action="store_true",
        help=f"keep the last weights, not the best validation ones{needs}; {refit} this is "
        "the validation pass's choice (with --patience, the epochs the final pass trains), "
        "the final pass always keeps its last epoch",
    )
    opt.add_argument(
        "--no-refit",
        action="store_true",
        help="keep the validation pass's model (early-stopped, best epoch restored) instead of "
        f"retraining on training + validation rows{needs}",
    )
    opt.add_argument(
        "--clip-norm", metavar="C", help=f"clip the gradient's global norm, 0 = off (default {d.clip_norm:g})"
    )
    opt.add_argument(
        "--ensemble",
        metavar="K",
        help=f"train K models with different seeds (and the --activation names in turn), "
        f"average them (default {d.ensemble})",
    )
    opt.add_argument(
        "--seed",
        metavar="S",
        help=f"seed of the split, weights, batches and Fourier frequencies, and for moons of the "
        f"generated points (default {d.seed})",
    )
    opt.add_argument("--engine", choices=ENGINES, help=f"default {d.engine}")
    opt.add_argument("--device", choices=("cpu", "cuda"), help="torch engine: cpu or cuda (default cpu)")
    opt.add_argument(
        "--no-cuda-graph",
        action="store_true",
        help="with --engine torch --device cuda --float32, run every step eagerly instead of replaying "
        "it from a captured CUDA graph (every other run steps eagerly)",
    )
    opt.add_argument(
        "--threads",
        metavar="N",
        help=f"CPU threads while training (BLAS or torch), 0 = leave as is (default {d.threads})",
    )
    data = parser.add_argument_group("split")
    data.add_argument(
        "--test-fraction", metavar="F", help=f"share of rows held out for testing (default {test_fraction:g})"
    )
    data.add_argument(
        "--val-fraction",
        metavar="F",
        help=f"share of the rest used for validation (default {val_fraction:g}"
        + (": no validation part)" if val_fraction == 0 else ")"),
    )
    run = parser.add_argument_group("run")
    run.add_argument("--out", metavar="FOLDER", help="run folder (default: a fresh runs/TASK-DATE-TIME)")
    run.add_argument("--force", action="store_true", help="overwrite a non-empty --out folder")
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted run in --out, unchanged but for --engine, --device, "
        "--no-cuda-graph and --threads (--quiet and --no-plots are read anew)",
    )
    run.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, and only the folder line on standard output (notes and warnings still on standard error)",
    )
    run.add_argument("--no-plots", action="store_true", help="skip the figures")


# -- building the configuration ----------------------------------------------------------


def given_training_options(args: argparse.Namespace) -> list[str]:
    """Training options given on the command line that --resume may not change (all but
    :data:`RESUME_OPTIONS`)."""
    given = [name for name in (*PARSED_OPTIONS, *CHOICE_OPTIONS) if getattr(args, name, None) is not None]
    given += [name for name in FLAG_OPTIONS if getattr(args, name, False)]
    given = [name for name in given if name not in RESUME_OPTIONS]
    given += [
        name
        for name in ("test_fraction", "val_fraction", "samples", "noise")
        if getattr(args, name, None) is not None
    ]
    if getattr(args, "no_log_features", False):
        given.append("no_log_features")
    return ["--" + name.replace("_", "-") for name in given]


def config_from_args(args: argparse.Namespace, base: TrainConfig) -> TrainConfig:
    """``base`` with every option the user gave, each checked."""
    changes: dict[str, Any] = {}
    for name, (field, parse) in PARSED_OPTIONS.items():
        text = getattr(args, name, None)
        if text is not None:
            changes[field] = parse(text)
    for name, field in CHOICE_OPTIONS.items():
        value = getattr(args, name, None)
        if value is not None:
            changes[field] = value
    if args.float32:
        changes["dtype"] = "float32"
    if args.no_restore_best:
        changes["restore_best"] = False
    if args.no_refit:
        changes["refit"] = False
    if args.no_cuda_graph:
        changes["cuda_graph"] = False
    _check_engine_runs_on(changes.get("engine", base.engine), changes.get("device", base.device))
    config = base.replace(**changes)
    for name, (needs, has) in OPTIONS_THAT_NEED.items():
        if getattr(args, name, None) is not None and not has(config):
            option = "--" + name.replace("_", "-")
            raise ValueError(f"{option} has no effect in this run: it applies with {needs} only")
    _check_cuda_graph_read(args, config)
    return config


def _check_cuda_graph_read(args: argparse.Namespace, config: TrainConfig) -> None:
    """Refuse --no-cuda-graph where no step would be captured anyway (a flag, so not in
    :data:`OPTIONS_THAT_NEED`, whose options are None when not given)."""
    if args.no_cuda_graph and not (config.device.startswith("cuda") and config.dtype == "float32"):
        raise ValueError(
            "--no-cuda-graph has no effect in this run: it applies with --engine torch --device cuda "
            "--float32 only (every other run steps eagerly)"
        )


def check_size(config: TrainConfig, n_features: int) -> None:
    sizes = (n_features * (1 + 2 * config.fourier_features), *config.hidden, 1)
    count = sum(a * b + b for a, b in itertools.pairwise(sizes)) * config.ensemble
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"the network would have {count:,} parameters (ensemble included); the limit is {MAX_PARAMETERS:,}"
        )


def out_folder(text: str) -> Path:
    """``--out`` as a folder, ``~`` expanded as in ``--data`` (a shell leaves ``--out=~/runs`` as
    it is); an empty value (an unset ``"$RUN"``) is refused, not read as the current folder."""
    if not text.strip():
        raise ValueError(f"--out must name a folder, got {text!r}")
    return expand_user(text)


def split_from_args(args: argparse.Namespace, seed: int, *, test: float, val: float) -> SplitSettings:
    if args.test_fraction is not None:
        test = parse_float(args.test_fraction, "--test-fraction", 0.0, 0.9, low_open=True)
    if args.val_fraction is not None:
        val = parse_float(args.val_fraction, "--val-fraction", 0.0, 0.9)
    return SplitSettings(seed=seed, test_fraction=test, val_fraction=val)


# -- the command ------------------------------------------------------------------------------


def handle_locked(args: argparse.Namespace) -> int:
    """:func:`handle` with the run folder locked from its preparation to its last file (one run at
    a time), and the stop signals caught (:class:`~glassnet.train.StopSignals`): Ctrl-C,
    SIGTERM or SIGHUP stops the training after its batch and saves the checkpoint; once the
    training has ended, one is held back until the run's files are written."""
    from glassnet.train.artifacts import locked_run_folders

    if not args.quiet:  # the summary failed after the training
        refuse_closed_stdout("give --quiet to train without the summary written there")
    with StopSignals(), locked_run_folders():
        return handle(args)


def handle(args: argparse.Namespace) -> int:
    from glassnet.train.artifacts import fresh_run_folder, prepare_out_folder, refuse_writing_over

    if args.resume:
        return _resume(args)
    base = TrainConfig() if args.task == "airfoil" else MOONS_CONFIG
    config = config_from_args(args, base)
    activation_notes = check_activations_used(args, config)
    test, val = SPLIT_DEFAULTS[args.task]
    split = split_from_args(args, config.seed, test=test, val=val)
    check_run(config, split, 5 if args.task == "airfoil" else 2)
    # printed once every check has passed: an error stays one line
    notes = activation_notes + run_notes(config) + one_epoch_notes(args, config)
    if config.engine == "torch":
        from glassnet.torch_bridge import resolve_device

        resolve_device(config.device)  # a clear error now, before any data is read
    out = out_folder(args.out) if args.out is not None else fresh_run_folder("runs", args.task)
    if args.task == "airfoil":
        from glassnet.data import load_airfoil

        dataset = load_airfoil(args.data)
        split.split(len(dataset))  # too few rows for the split: refused before the notes, in one line
        refuse_writing_over(out, dataset.source)
        prepare_out_folder(out, force=args.force)
        print_notes(notes, args.command_name)
        run = train_airfoil(
            dataset, config, split=split, log_features=not args.no_log_features, progress=not args.quiet
        )
    else:
        samples = parse_int(args.samples, "--samples", *MOONS_SAMPLES) if args.samples is not None else 400
        noise = parse_float(args.noise, "--noise", *MOONS_NOISE) if args.noise is not None else 0.2
        split.split(samples)
        prepare_out_folder(out, force=args.force)
        print_notes(notes, args.command_name)
        run = train_moons(config, n_samples=samples, noise=noise, split=split, progress=not args.quiet)
    return finish(run, out, args)


def check_activations_used(args: argparse.Namespace, config: TrainConfig) -> list[str]:
    """The note for an --activation list longer than the ensemble, or a refusal.

    A single model takes the first name, as the default list ``relu,tanh`` gives one ReLU
    model: typing the default that --help shows must not be an error, so it is accepted with a
    note. An ensemble of fewer members than names is refused: its last names would train no
    member, unsaid. (The benchmark's settings share one list between a single model and an
    ensemble, so this belongs to the command, not to ``config_from_args``.)"""
    if args.activation is None or isinstance(config.activation, str):
        return []
    named = len(config.activation)
    if named <= config.ensemble:
        return []
    if config.ensemble == 1:
        return [
            f"--activation {','.join(config.activation)} names the activations of an ensemble's "
            f"members in turn; the run trains a single model, which takes the first, "
            f"{config.activation[0]} (--ensemble {named} trains one member of each)"
        ]
    raise ValueError(
        f"--activation names {named} activations for the members in turn, but the run "
        f"trains {config.ensemble} member(s): give --ensemble {named} or more, or fewer names"
    )


def check_run(config: TrainConfig, split: SplitSettings, n_features: int) -> None:
    """Refuse a configuration and split that cannot train together (before any data is read)."""
    check_size(config, n_features)
    sigma = config.fourier_sigma
    if isinstance(sigma, tuple) and len(sigma) != n_features and config.fourier_features > 0:
        raise ValueError(
            f"--fourier-sigma gives {len(sigma)} values for {n_features} features: "
            f"give one σ for all of them, or {n_features}, comma-separated"
        )
    if split.val_fraction > 0:
        return
    # options that act on the validation part would change nothing, unsaid (both base
    # configurations refit and restore the best epoch: False here is the option given)
    if config.patience > 0:
        raise ValueError("--patience needs a validation part; give --val-fraction > 0")
    given = [
        flag
        for flag, off in (("--no-refit", not config.refit), ("--no-restore-best", not config.restore_best))
        if off
    ]
    if given:
        verb = "act" if len(given) > 1 else "acts"
        raise ValueError(f"{' and '.join(given)} {verb} on the validation part; give --val-fraction > 0")


def run_notes(config: TrainConfig) -> list[str]:
    """Settings that do something other than their names suggest, each said in a line."""
    notes = []
    if config.schedule == "cosine" and config.epochs > 1 and config.warmup_epochs >= config.epochs - 1:
        # the warm-up is cut to all epochs but the last at most, and a cosine of one epoch runs it
        # at its start, η₀: the rate never gets to decay
        rising = min(config.warmup_epochs, config.epochs - 1)
        notes.append(
            f"the warm-up of {count_text(config.warmup_epochs, 'epoch')} leaves the run of {config.epochs} no "
            f"epoch to decay in: the rate rises to --lr over {count_text(rising, 'epoch')} and stays there; "
            f"give --warmup-epochs at most {config.epochs - 2}"
        )
    if config.schedule == "step" and config.step_size >= config.epochs > 1:
        # the first decay would come at epoch step_size, after the last (a run of one epoch has
        # no second epoch to decay at, whatever the step size)
        notes.append(
            f"--step-size {config.step_size} is not smaller than the run of {config.epochs} epochs: the rate "
            "stays at --lr throughout; give --step-size a smaller number"
        )
    if (
        config.patience > 0
        and config.patience >= config.epochs - 1
        and not (config.refit and config.restore_best)
    ):
        # epoch 1 is the first best, so the earliest stop comes after epoch 1 + patience; under
        # refit with restore-best the patience still cuts the final pass to the best epoch (does
        # something); without restore-best that pass trains to the stop, the last epoch
        kept = (
            "the final pass trains every epoch"
            if config.refit
            else "the best epoch is kept"
            if config.restore_best
            else "the last epoch is kept"
        )
        cannot = (
            f"--patience {config.patience} cannot stop the run of {count_text(config.epochs, 'epoch')} early"
        )
        notes.append(
            f"{cannot}: the earliest stop would come after epoch {1 + config.patience}; give --patience at "
            f"most {config.epochs - 2} ({kept} either way)"
            if config.epochs > 2
            else f"{cannot} ({kept} either way)"
        )
    return notes


# the options that shape the rate from epoch to epoch: a run of one epoch reads none of them
SCHEDULE_OPTIONS = ("schedule", "warmup_epochs", "min_lr_factor", "step_size", "gamma")


def one_epoch_notes(args: argparse.Namespace, config: TrainConfig) -> list[str]:
    """The note that a run of one epoch trains at --lr throughout, when schedule options were
    given: each schedule starts at η₀ and the warm-up is cut to the epochs but the last, none."""
    given = [
        "--" + name.replace("_", "-")
        for name in SCHEDULE_OPTIONS
        if getattr(args, name, None) is not None and not (name == "schedule" and args.schedule == "constant")
    ]
    if config.epochs != 1 or not given:
        return []
    return [
        f"a run of one epoch trains at --lr throughout: {', '.join(given)} change nothing; give --epochs 2 "
        "or more for the rate to change"
    ]


def print_notes(notes: list[str], command: str) -> None:
    """Each note as a line, prefixed as the command's messages are ("glassnet train moons: note: …")."""
    for note in notes:
        print(f"glassnet {command}: note: {note}", file=sys.stderr)


def _resume(args: argparse.Namespace) -> int:
    from glassnet.train.artifacts import load_resume, refuse_unwritable_run_files, refuse_writing_over

    if args.out is None:
        raise ValueError("--resume needs --out FOLDER, the folder of the interrupted run")
    given = given_training_options(args) + (["--force"] if args.force else [])  # it writes its own folder
    if given:
        raise ValueError(
            f"--resume continues the saved run unchanged; drop {', '.join(given)} "
            "(it may change --engine, --device, --no-cuda-graph and --threads only)"
        )
    out = out_folder(args.out)
    checkpoint = load_resume(out)
    refuse_unwritable_run_files(out)  # before training, not when its files are written
    info, saved, state = checkpoint.info, checkpoint.config, checkpoint.resume
    if saved is None or state is None:  # pragma: no cover - load_resume checks both
        raise ValueError(f"{out} holds no resume state")
    if info.get("task") != args.task:
        raise ValueError(f"{out} holds an interrupted {info.get('task')!r} run, not {args.task!r}")
    config = resume_config(args, saved)
    notes = resume_notes(saved, config)  # printed once every check has passed: an error stays one line
    split_info = info["split"]
    split = SplitSettings(
        seed=int(split_info["seed"]),
        test_fraction=float(split_info["test_fraction"]),
        val_fraction=float(split_info["val_fraction"]),
    )
    if args.task == "airfoil":
        from glassnet.data import load_airfoil

        dataset = load_airfoil(args.data)
        refuse_writing_over(out, dataset.source)
        _check_same_data(checkpoint, split, dataset.X, dataset.y)
        print_notes(notes, args.command_name)
        run = train_airfoil(
            dataset,
            config,
            split=split,
            log_features=bool(info.get("log_columns")),
            progress=not args.quiet,
            resume=state,
        )
    else:
        n_samples, noise, _ = saved_moons(info)
        print_notes(notes, args.command_name)
        run = train_moons(
            config,
            n_samples=n_samples,
            noise=noise,
            split=split,
            progress=not args.quiet,
            resume=state,
        )
    record_resume(run, checkpoint, saved, config)
    return finish(run, out, args)


def record_resume(run: Run, checkpoint: Checkpoint, saved: TrainConfig, config: TrainConfig) -> None:
    """Keep in ``run.info["resumed"]`` (saved with the model, and in metrics.json) each resume
    that changed how the run computes: the epochs trained before it (the resume state's
    records: the finished members' and passes', and the interrupted one's) and the settings
    they had. The saved configuration names the last settings only: a float32 run resumed on
    torch said "engine": "torch", and its numbers were neither the numpy run's nor the torch
    run's (a review, 2026-11-28)."""
    # a run resumed before, on other settings (the list checked on loading: load_resume)
    earlier = list(checkpoint.info.get("resumed") or [])
    before = {
        name: getattr(saved, name)
        for name in RESUME_SETTINGS
        if getattr(config, name) != getattr(saved, name)
    }
    state = checkpoint.resume
    if before and state is not None:  # the epochs trained so far: the finished members' and this one's
        epochs = len(state.history) + sum(len(member.history) for member in state.finished)
        earlier.append({"epochs_before": epochs, "settings": before})
    if earlier:
        run.info["resumed"] = earlier


def resume_notes(saved: TrainConfig, config: TrainConfig) -> list[str]:
    """A note when the resumed run computes otherwise than the interrupted one did: the same
    steps, but not the same bits as a run never interrupted (BLAS and torch split some sums
    across threads, and the engines and devices round otherwise)."""
    changed = [
        f"{name} {getattr(config, name)!r} (the run had {getattr(saved, name)!r})"
        for name in RESUME_SETTINGS
        if getattr(config, name) != getattr(saved, name)
    ]
    if not changed:
        return []
    return [
        f"resumed with {', '.join(changed)}: the same training, rounded otherwise, so its weights may "
        "differ in their last bits from those of a run never interrupted"
    ]


def _check_engine_runs_on(engine: str, device: str, context: str = "") -> None:
    """Refuse a device other than the CPU for the numpy engine, in the options' names (TrainConfig
    refuses it too, in its fields' names)."""
    if device != "cpu" and engine != "torch":
        raise ValueError(
            f"--device {device} needs --engine torch (the numpy engine runs on the CPU{context})"
        )


def resume_config(args: argparse.Namespace, saved: TrainConfig) -> TrainConfig:
    """The saved run's configuration with the :data:`RESUME_OPTIONS` given: where and how fast
    the resumed run computes. ``--engine numpy`` alone moves a cuda run back to the CPU."""
    changes: dict[str, Any] = {}
    if args.engine is not None:
        changes["engine"] = args.engine
    if args.device is not None:
        changes["device"] = args.device
    elif changes.get("engine") == "numpy":
        changes["device"] = "cpu"  # the numpy engine runs on the CPU only
    if args.no_cuda_graph:
        changes["cuda_graph"] = False
    if args.threads is not None:
        changes["threads"] = PARSED_OPTIONS["threads"][1](args.threads)
    _check_engine_runs_on(
        changes.get("engine", saved.engine),
        changes.get("device", saved.device),
        f"; the interrupted run trained with engine {saved.engine}",
    )
    config = saved.replace(**changes)
    _check_cuda_graph_read(args, config)
    if config.engine == "torch":
        from glassnet.torch_bridge import resolve_device

        resolve_device(config.device)  # a clear error now, before any data is read
    return config


def _check_same_data(checkpoint: Checkpoint, split: SplitSettings, x: Any, y: Any) -> None:
    """ValueError unless (x, y) are the interrupted run's rows: one run, one data set.

    The data's fingerprint (see :func:`glassnet.train._fingerprint.data_fingerprint`) tells other
    values or another row order apart; a checkpoint saved before fingerprints has only its
    row count. The regenerated split must match the saved one too, or the run's parts change.
    """
    from glassnet.train.artifacts import data_mismatch

    mismatch = data_mismatch(checkpoint, x, y)
    if mismatch is None:
        for name, rows in split.split(len(x)).to_state().items():
            saved = checkpoint.arrays.get(f"split_{name}")
            if saved is None or not np.array_equal(saved, rows):
                mismatch = "its split does not match"
    if mismatch is not None:
        raise ValueError(
            f"the data differs from the interrupted run's ({mismatch}); resume with the same --data"
        )


def finish(run: Run, out: Path, args: argparse.Namespace) -> int:
    """Write the run's files (or its resume checkpoint) and print a summary; return the exit status."""
    from glassnet.train.artifacts import save_resume, write_run

    result = run.result
    if result.status == "interrupted":
        with interrupts_held() as interrupts:  # the run has stopped already: its checkpoint is written whole
            path = save_resume(run, out, force=True)  # --out checked (prepare_out_folder)
        interrupts.clear()  # the stop this reports
        # a folder name no line prints faithfully is the FOLDER that the next line describes
        saved = path if shell_word(str(out)) is not None else f"FOLDER/{path.name}"
        # the output options are not in the checkpoint: the line asks for them again; the data
        # file is the one the run read, as evaluate and predict name it for this checkpoint
        output_flags = "".join(
            f" {flag}" for flag, given in (("--quiet", args.quiet), ("--no-plots", args.no_plots)) if given
        )
        source = run.info.get("data_source")
        command = resume_command(run.task, out, source, output_flags)
        with contextlib.suppress(
            OSError
        ):  # a SIGHUP's terminal is gone: the checkpoint is saved all the same
            print(f"{result.message}; saved {saved}", file=sys.stderr)
            print(f"continue with: {command}{unprintable_note(out, source)}", file=sys.stderr)
        return interrupted_status(result.stop_signal)
    # inside StopSignals a signal has been held since the training ended (in its last batch,
    # say): the run is finished, so its files are written first, then the signal is reported
    # an error meanwhile is raised with the signal, as its note; held through the report too: a
    # Ctrl-C while it was printed said "interrupted" alone, or ended the process without a word
    with interrupts_held() as interrupts:
        write_run(run, out, plots=not args.no_plots, force=True)  # --out checked, as above
        stopped = list(interrupts)
        interrupts.clear()  # reported below
        try:
            with contextlib.suppress(OSError) if stopped else writing_stdout():
                if not args.quiet:  # a report: what the output lacks is spelled (R^2 on an ASCII stdout)
                    write_message(summary(run) + "\n", sys.stdout)
                print(f"run folder: {path_text(out, sys.stdout)}")
                if result.status == "diverged":
                    print(f"glassnet {args.command_name}: {result.message}", file=sys.stderr)
        except BrokenPipeError:  # the reader left (`| head`): main ends quietly, as for the other commands
            if not interrupts:
                raise
            # a signal came meanwhile: said below, as after a report written whole (it read
            # "interrupted; error: [Errno 32] Broken pipe", though the run was whole)
        except OSError as error:  # the report could not be written (a full disk behind > file): the run was
            raise OSError(
                f"{os_error_text(error)}; {path_text(out, sys.stderr)} holds the whole run"
            ) from error
        stopped += interrupts
        interrupts.clear()
    # and one that came as the hold was undone (delivered at the scope's end, it was said without
    # the run's folder, or a SIGTERM killed the process without a word)
    stopped += interrupts
    interrupts.clear()
    if stopped:
        with contextlib.suppress(OSError):
            print(
                f"glassnet {args.command_name}: {interrupted_text(stopped[0])} after the training ended; {out} "
                "holds the whole run",
                file=sys.stderr,
            )
        return interrupted_status(stopped[0])
    return 1 if result.status == "diverged" else 0


def summary(run: Run) -> str:
    """A few lines: the metrics table of every part and the training time."""
    result = run.result
    lines = [
        f"{run.task}: {members_text(result.activations, 'model', result.spec.sizes)}, {result.spec.sizes} ({run.config.engine}), "
        f"{seconds_text(result.seconds)}, {result.status}"
    ]
    if result.message:
        lines.append(f"  note: {result.message}")
    # refit: "train" covers the training and validation rows the model kept was retrained on,
    # and "val" is measured by the validation pass's model (metrics.json's "protocol")
    refit = bool(result.validation_members) and "val" in run.metrics
    parts: dict[str, dict[str, float]] = {
        part: run.metrics[part] for part in ("train", "val", "test") if part in run.metrics
    }
    lines += metrics_lines(
        parts,
        run.info.get("target_unit") or "",
        labels={"train": "train+val"} if refit else None,
        notes={"val": "validation-pass model"} if refit else None,
    )
    return "\n".join(lines)
