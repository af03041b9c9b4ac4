"""``glassnet demo``: the main job, a guided tour on the exercise's network."""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.demo import run_demo


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the exercise's network: forward pass, loss, one gradient step",
        description="Walk through the exercise's 2→3→1 network with glassnet's own engine.",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    print(run_demo())
    return 0
