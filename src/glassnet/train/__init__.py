"""Training: a configuration dataclass, a resumable Trainer for both engines, ensembles, metrics."""

from typing import TYPE_CHECKING, Any

from glassnet._seeds import ORDER_STREAM
from glassnet._signals import StopSignals
from glassnet.train._config import DTYPES, ENGINES, OPTIMIZERS, SCHEDULES, TrainConfig
from glassnet.train._ensemble import Ensemble
from glassnet.train._metrics import (
    class_probability,
    classification_metrics,
    decision_threshold,
    regression_metrics,
)
from glassnet.train._tasks import (
    AIRFOIL_FOURIER_SIGMA,
    DEFAULT_FOURIER_SIGMA,
    MOONS_CONFIG,
    Run,
    SplitSettings,
    evaluate_parts,
    model_parts,
    moons_data,
    predict_raw,
    target_scale,
    train_airfoil,
    train_dataset,
    train_moons,
)
from glassnet.train._trainer import (
    MemberResult,
    ResumeState,
    Trainer,
    TrainingInterrupted,
    TrainResult,
    fit,
    history_arrays,
    history_columns,
    history_records,
)

__all__ = [
    "AIRFOIL_FOURIER_SIGMA",
    "DEFAULT_FOURIER_SIGMA",
    "DTYPES",
    "ENGINES",
    "MOONS_CONFIG",
    "OPTIMIZERS",
    "ORDER_STREAM",
    "SCHEDULES",
    "Ensemble",
    "MemberResult",
    "ResumeState",
    "Run",
    "SplitSettings",
    "StopSignals",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "TrainingInterrupted",
    "class_probability",
    "classification_metrics",
    "decision_threshold",
    "evaluate_parts",
    "fit",
    "history_arrays",
    "history_columns",
    "history_records",
    "model_parts",
    "moons_data",
    "predict_raw",
    "regression_metrics",
    "target_scale",
    "train_airfoil",
    "train_dataset",
    "train_moons",
]

# The Trainer's plumbing, which this module once exported: still reachable here, with a
# DeprecationWarning that says where it lives (``make_engine`` lets a caller past the Trainer's
# checks). At run time only: for a type checker a module __getattr__ would let any name pass.
_ENGINE_PLUMBING = frozenset({"NumpyEngine", "TorchEngine", "make_engine", "make_glassnet_optimizer"})

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _ENGINE_PLUMBING:
            import warnings

            warnings.warn(
                f"glassnet.train.{name} is the Trainer's plumbing, not public API: import it from "
                "glassnet.train._engines, or train through Trainer/fit (which check the configuration)",
                DeprecationWarning,
                stacklevel=2,
            )
            from glassnet.train import _engines

            return getattr(_engines, name)
        raise AttributeError(f"module 'glassnet.train' has no attribute {name!r}")
