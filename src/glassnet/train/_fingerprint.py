"""SHA-256 fingerprints of a run's rows, which tell its data from other data of the same size."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def data_fingerprint(x: Any, y: Any) -> str:
    """SHA-256 of a run's rows: the shapes of X and y, then their float64 bytes in C order.

    The split depends only on the row count and the seed, so the count cannot tell a run's
    data from other data of the same size (its rows shuffled, its targets shifted): the
    fingerprint can, and ``evaluate``, ``train --resume`` and a Trainer's resume compare it.
    """
    features = np.ascontiguousarray(x, dtype=np.float64)  # (N, d)
    target = np.ascontiguousarray(y, dtype=np.float64)  # (N,) or (N, K)
    sha = hashlib.sha256(f"X{features.shape}|y{target.shape}|".encode())
    sha.update(features.tobytes())
    sha.update(target.tobytes())
    return sha.hexdigest()
