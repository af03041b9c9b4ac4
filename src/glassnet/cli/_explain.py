"""``glassnet explain``: the worked solution of one gradient step, as text, Markdown, LaTeX or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from glassnet._checks import finite_float, underflows
from glassnet._files import atomic_write_all, refuse_overwrite, refuse_same_file, text_writer
from glassnet.cli._output import refuse_closed_stdout, refuse_missing_folder, stream_takes, writing_stdout
from glassnet.cli._predict import STDOUT
from glassnet.explain import FORMATS, explain_exercise, explain_spec, format_for
from glassnet.explain._api import MAX_STEPS

EXAMPLES = ("exercise",)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="worked solution: forward pass, loss, chain rule, update, checks",
        description=(
            "Derive one gradient step with glassnet's own numbers: the forward pass layer by layer, the "
            "loss, the chain rule for chosen parameters, the update, and a check against the backward "
            "pass, finite differences and PyTorch. The network comes from --example exercise or a JSON "
            "spec (see docs/explain.md)."
        ),
    )
    parser.add_argument("spec", nargs="?", metavar="SPEC.json", help="a network spec (JSON)")
    parser.add_argument("--example", choices=EXAMPLES, help="a built-in network: the exercise's (Figure 1)")
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME",
        help="parameter to explain, e.g. w12h, b1o, w12^1 or 0.weight[0,1] (repeatable)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, help="output format (default: from -o's suffix, else text)"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout (- is stdout)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing -o or --figure file")
    parser.add_argument("--digits", type=_whole, metavar="N", help="significant digits (default 6)")
    parser.add_argument(
        "--steps",
        type=_whole,
        metavar="K",
        help="also show K >= 1 steps of gradient descent (every parameter updated) and the loss after the last",
    )
    parser.add_argument("--all-params", action="store_true", help="table of every gradient and updated value")
    parser.add_argument("--figure", metavar="FILE", help="draw the network to FILE.png or FILE.svg")
    parser.add_argument(
        "--literal-labels",
        action="store_true",
        help="apply the logistic formula to a label outside its convention, as written",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch autograd check")
    # a variant of the step, for an exercise sheet of one's own: the same network, other numbers
    parser.add_argument(
        "--x",
        metavar="X1,X2,...",
        help="the input instead of the spec's or the exercise's (--x=-1,2 below 0)",
    )
    parser.add_argument(
        "--y", metavar="Y", help="the target (one per output, comma-separated; --y=-1,1 below 0)"
    )
    parser.add_argument("--lr", metavar="ETA", help="the learning rate η of the update")
    parser.set_defaults(handler=handle)


def _whole(text: str) -> int:
    """An integer option's value: int()'s, without the underscores it takes as digit grouping
    ("1_0" is a slip of "1,0" or "10", which int() reads as 10)."""
    if "_" in text:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _numbers(text: str | None, option: str) -> list[float] | None:
    """The comma-separated numbers of ``option``'s value, or None when it was not given; how many
    explain takes, and which (finite), it checks and names itself (the field x or y)."""
    if text is None:
        return None
    try:
        if "_" in text:  # float() groups digits with them: "1_2,3" is a slip of "1,2,3", read as 12
            raise ValueError(text)
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        what = "one number" if option == "--lr" else "comma-separated numbers"
        raise ValueError(f"{option} takes {what}, got {text!r}") from None
    for part, number in zip(text.split(","), numbers, strict=True):
        if underflows(part, number):  # 1e-400 would be shown as 0, not the number typed
            raise ValueError(f"{option}: {part.strip()} is 0 in float64 (below 5e-324); give 0 if 0 is meant")
    return numbers


def handle(args: argparse.Namespace) -> int:
    if args.output in (None, STDOUT):
        refuse_closed_stdout("write the explanation to a file with -o FILE")
    if (args.spec is None) == (args.example is None):
        raise ValueError("give either --example exercise or a SPEC.json file (one of them)")
    if args.figure is not None and not args.figure.lower().endswith((".png", ".svg")):
        raise ValueError(f"--figure must end in .png or .svg, got {args.figure!r}")
    if args.output == STDOUT:  # -o -: standard output, as without -o (and as glassnet predict -o -)
        args.output = None
    outputs = [
        (option, path)
        for option, path in (("-o", args.output), ("--figure", args.figure))
        if path is not None
    ]
    # first the clashes, which --force (meant for a previous output) must not let through: an
    # output must replace neither the other output nor the spec it is made from
    if args.output is not None and args.figure is not None:
        refuse_same_file(
            args.output, args.figure, f"-o and --figure name the same file ({args.output}); give two names"
        )
    for option, path in outputs:
        if args.spec is not None:
            refuse_same_file(
                path, args.spec, f"{option} {path} is the spec file {args.spec}; give another name"
            )
    if args.output is not None and args.format is None:
        format_for(args.output)  # an image's name refused before anything is computed
    for option, path in outputs:
        # on the name as given, which keeps a trailing separator ("out/" names a folder); then ~
        # expanded once, for the checks and the writes alike (a shell leaves "-o=~/x.tex" as it is)
        target = refuse_overwrite(path, force=args.force, option=option)
        # checked before anything is written: a missing folder for -o must not leave the
        # figure written (or the other way round) by a command that then fails
        refuse_missing_folder(target, option)
        setattr(args, "output" if option == "-o" else "figure", str(target))
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise ValueError(f"--steps must be a positive integer (at most {MAX_STEPS}), got {args.steps}")
    if args.digits is not None and not 1 <= args.digits <= 17:
        raise ValueError(f"--digits must be a positive integer (at most 17), got {args.digits}")
    x, y, lr = (_numbers(getattr(args, name), f"--{name}") for name in ("x", "y", "lr"))
    if lr is not None and len(lr) != 1:
        raise ValueError(f"--lr takes one number, got {args.lr!r}")
    # checked here too, so that a mistake names the option as typed (the library names learning_rate)
    learning_rate = None if lr is None else finite_float(lr[0], "--lr", minimum=0.0)
    if args.example is not None:
        if args.literal_labels and x is None and y is None and learning_rate is None:
            raise ValueError(
                "--literal-labels applies to spec files and to the exercise with --x, --y or --lr; the "
                "exercise as the sheet gives it shows both readings already"
            )
        explanation = explain_exercise(
            params=args.param or ("w12h",),
            all_params=args.all_params,
            steps=args.steps,
            digits=6 if args.digits is None else args.digits,
            check_torch=not args.no_torch,
            x=x,
            y=y,
            learning_rate=learning_rate,
            literal_labels=args.literal_labels,
        )
    else:
        explanation = explain_spec(
            args.spec,
            params=args.param,
            all_params=args.all_params or None,
            steps=args.steps,
            digits=args.digits,
            literal_labels=True if args.literal_labels else None,
            check_torch=not args.no_torch,
            x=x,
            y=y,
            learning_rate=learning_rate,
        )
    fmt = args.format or (format_for(args.output) if args.output else "text")
    text = explanation.render(fmt)
    if fmt == "json" and args.output is None and not stream_takes(text, sys.stdout):
        # JSON says η as "\u03b7" too, the same data: it was refused on an ASCII or cp1252 output
        text = explanation.to_json(ensure_ascii=True)
    # Both files are written together, once the text and the figure are made (a network too
    # large to draw is refused here) and the text is printed (an output that cannot take it is
    # an error): a failed command leaves neither file written nor changed. A figure left by a
    # failed command refused its retry ("--figure net.png exists"), and a text written with
    # --force over the previous one stayed so.
    writes = [] if args.output is None else [(args.output, text_writer(text))]
    if args.figure is not None:
        from glassnet.explain._figure import figure_file_writer  # matplotlib: 0.6 s every command paid

        writes.append((args.figure, figure_file_writer(explanation.figure(), args.figure)))
    if args.output is None:
        try:
            with writing_stdout():
                print(text, end="")
        except BrokenPipeError:  # the reader left (`| head`): the figure asked for is written all the same
            atomic_write_all(writes, replace=args.force)
            raise
    atomic_write_all(writes, replace=args.force)
    return 0
