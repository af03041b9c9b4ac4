"""Shared fixtures: numpy warnings become errors, so overflow or 0/0 cannot hide."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors() -> Iterator[None]:
    with np.errstate(all="raise"):
        yield


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def require_torch():  # type: ignore[no-untyped-def]
    """Import torch; in CI (GLASSNET_REQUIRE_TORCH=1) a missing torch fails instead of skipping."""
    if os.environ.get("GLASSNET_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def torch():  # type: ignore[no-untyped-def]
    return require_torch()
