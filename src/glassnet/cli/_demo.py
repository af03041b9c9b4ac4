"""``glassnet demo``: the main job, a guided tour on the exercise's network."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from glassnet._files import LOCK_NAME, folder_lock, missing_folders
from glassnet._signals import StopSignals, interrupted_status, interrupted_text
from glassnet.cli._output import one_line, refuse_closed_stdout, write_message, writing_stdout
from glassnet.cli._train import out_folder
from glassnet.demo import InterruptedAfterWriting, demo_sections
from glassnet.train.artifacts import refuse_unmakeable_folder


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the exercise worked out, then trained in both engines, then a short airfoil run",
        description=(
            "Walk through the exercise's 2→3→1 network with glassnet's own engine: the worked "
            "solution of one gradient step (checked against finite differences and PyTorch), the "
            "network trained on two moons in the NumPy and PyTorch engines side by side, and, when "
            "the airfoil data is found, a short airfoil training with its metrics and plots."
        ),
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the airfoil run's plots and metrics (default: a fresh temporary folder)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    refuse_closed_stdout("the demo writes its tour there")
    out = out_folder(args.out) if args.out is not None else None  # as train's: ~ expanded, "" refused
    if out is not None:  # a link to nothing, or a file on the way: named, not mkdir's "File exists"
        refuse_unmakeable_folder(out, f"demo --out {out}")
    # a lock file alone is no content: its holder, if alive, is named when the demo takes the lock
    if (
        out is not None
        and out.exists()
        and (not out.is_dir() or any(e.name != LOCK_NAME for e in out.iterdir()))
    ):
        raise ValueError(
            f"demo --out must be a new or empty folder, got {out} (not empty, or not a folder); "
            "give another folder"
        )
    # the folders about to be made, deepest first: removed again if no airfoil run lands in them
    made = [] if out is None else missing_folders(out)
    if out is not None:  # made now: a folder it cannot make fails before the tour, not after it
        out.mkdir(parents=True, exist_ok=True)
    # --out locked before the tour, as train locks its run folder: a folder it cannot write into
    # fails now, not after the tour, and no other process writes into it meanwhile
    lock = folder_lock(out) if out is not None else contextlib.nullcontext()
    try:
        # SIGTERM and SIGHUP as Ctrl-C: they unwind (the folders made taken away again), or are
        # held back while the airfoil run's files are written
        with StopSignals(), lock:
            for index, section in enumerate(demo_sections(out)):
                # each section as soon as it is computed; a tour for reading, so a character the
                # output's encoding lacks (η, σ, ² on a cp1252 console) is written as "?"
                with writing_stdout():
                    write_message(("\n" if index else "") + section + "\n", sys.stdout)
    except InterruptedAfterWriting as stop:  # the airfoil run's files were finished first, as train's
        with writing_stdout():
            write_message("\n" + stop.section + "\n", sys.stdout)
        print(f"glassnet demo: {stop}", file=sys.stderr)
        return interrupted_status(stop.signum)
    except KeyboardInterrupt as stop:  # before any file was written: say what --out holds
        _remove(made)
        signum, note = getattr(stop, "signum", None), getattr(stop, "note", None)
        # a note: the writing failed while the signal was held, and says what the folder holds
        said = f"; {one_line(note)}" if note else _left_behind(out)
        print(f"glassnet demo: {interrupted_text(signum)}{said}", file=sys.stderr)
        return interrupted_status(signum)
    finally:
        _remove(made)
    return 0


def _remove(made: list[Path]) -> None:
    """Remove the folders the demo made (deepest first) that stayed empty."""
    for folder in made:
        with contextlib.suppress(OSError):  # not empty: the airfoil run's files are in it
            folder.rmdir()


def _left_behind(out: Path | None) -> str:
    """What --out holds after a Ctrl-C outside the writing of the airfoil run's files (which is
    held back until they are all written): nothing, or, just after it, the whole run."""
    if out is None:
        return ""
    if not out.exists():
        return f"; nothing was written, and {out}, made by the demo, is removed"
    files = sorted(path.name for path in out.iterdir())
    if not files:
        return f"; nothing was written, {out} is left empty"
    return f"; {out} holds the airfoil run's files, all of them: {', '.join(files)}"
