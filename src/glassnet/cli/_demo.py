"""``glassnet demo``: the main job, a guided tour on the exercise's network."""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.demo import run_demo


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
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    print(run_demo())
    return 0
