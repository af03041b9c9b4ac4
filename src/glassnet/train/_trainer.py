"""Trainer: mini-batch training of one model or an ensemble, in either engine, resumable.

Randomness is a pure function of the seed, so a run can stop anywhere and continue
exactly: member m starts from weights drawn with ``default_rng([seed, m])`` (another key for
a seed of more than 32 bits: :func:`glassnet._seeds.weights_key`) and epoch e
visits the rows in the e-th order that ``default_rng([seed, m, ORDER_STREAM])`` draws
(``permutation(N)``, once per epoch). The learning rate of epoch e is the schedule's η_e
(set before the epoch's first batch).

Each epoch: permute the rows once, then for each batch of B rows
    ŷ = f(X_b),  L = loss(ŷ, y_b),  backward,  [clip ‖∇‖ to c],  optimizer step;
then the validation loss and metrics on the whole validation set, early stopping, and a
history record. Metrics are in the target's units: residuals are multiplied by
``target_scale`` (the standard deviation the target was divided by).

With ``config.refit`` and a validation set, every member is trained twice, as
scikit-learn's ``refit``: a validation pass on the training rows (its curves and
validation figures are what the run reports about generalisation), then a final pass
from the same initial weights on the training and validation rows together, with the
same schedule and no validation rows; the final pass gives the model. It trains all the
epochs, or, under early stopping (``patience`` > 0), as many as its validation pass kept
(the pass's best epoch, or the one it stopped at without ``restore_best``): the number of
epochs is what early stopping chose, and the final pass applies that choice to all the
rows. Internally the passes are jobs 0…K−1 (validation) and K…2K−1 (final), so an
interrupted run resumes in either pass.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from glassnet._checks import (
    Array,
    as_float_array,
    count_text,
    finite_float,
    int_in_range,
    nonnegative_int,
    positive_int,
    shown,
    user_stacklevel,
)
from glassnet._seeds import ORDER_STREAM, weights_key
from glassnet._signals import (
    StopSignalInterrupt,
    active_stop_signals,
    catch_sigint,
    interrupted_text,
    restore_handlers,
)
from glassnet.losses import Loss, get_loss, overflow_advice
from glassnet.nn import Module, Parameter
from glassnet.nn._activations import BOUNDED_OUTPUTS
from glassnet.optim import SGD, CosineLR, ExponentialLR, LRScheduler, StepLR
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train._config import TrainConfig
from glassnet.train._engines import REGRESSION_LOSSES, Engine, make_engine
from glassnet.train._ensemble import Ensemble
from glassnet.train._fingerprint import data_fingerprint
from glassnet.train._metrics import (
    PM1_HINT,
    classification_metrics,
    decision_threshold,
    output_deviations,
    regression_metrics,
)


@dataclass(frozen=True)
class _Rows:
    """The rows one pass trains on and, in a validation pass, validates on."""

    x: Array  # (N, d₀)
    y: Array  # (N, d_L)
    x_val: Array | None  # (N_val, d₀), or None in a final (refit) pass
    y_val: Array | None  # (N_val, d_L)
    sst: float  # Σ (y − ȳ)², for the training R²


@dataclass(eq=False)  # compared by identity: its weights are arrays, which == cannot compare to one bool
class MemberResult:
    """One trained member: its final weights, per-epoch history and how training ended."""

    # index m in the ensemble (its seed key is [seed, m]); while a refit run trains, the job
    # number (K…2K−1 for the final pass, see Trainer._job), renumbered m in the TrainResult
    member: int
    weights: dict[str, Array]  # the weights kept (best validation epoch when restore_best)
    history: list[dict[str, float]]  # one record per epoch run
    best_epoch: int  # 1-based epoch whose weights were kept (0: the initial ones)
    status: str  # completed, early_stopped, diverged
    message: str = ""  # human-readable note of a divergence; empty otherwise (status says the rest)

    def __repr__(self) -> str:
        """A line, not every weight and history record (a default member's would be about 340 kB)."""
        note = f", message={self.message!r}" if self.message else ""
        return (
            f"MemberResult(member={self.member!r}, status={self.status!r}, best_epoch={self.best_epoch!r}, "
            f"records={_count(self.history)}, weights={_count(self.weights)}{note})"
        )


def _count(items: object) -> str:
    """How many ``items`` hold, for a repr: as robust as a generated repr, on a value of any kind."""
    try:
        return str(len(items))  # type: ignore[arg-type]
    except TypeError:
        return repr(items)


@dataclass(eq=False)  # compared by identity: it holds arrays, which == cannot compare to one bool
class ResumeState:
    """Everything needed to continue an interrupted run exactly where it stopped."""

    member: int  # job in progress: the member, or K + m for member m's final pass under refit
    epoch: int  # 0-based epoch in progress
    batch: int  # batches of that epoch already done
    weights: dict[str, Array]  # current weights
    optimizer: dict[str, Any]  # engine-neutral optimizer state {"step", "buffers"}
    sums: list[float]  # running [Σ row loss, stat₁, stat₂, rows] of the epoch in progress
    history: list[dict[str, float]]  # records of this member's finished epochs
    best_weights: dict[str, Array] | None  # weights of the best validation epoch so far
    best_val: float  # best validation loss so far (inf: none)
    best_epoch: int  # 1-based epoch of best_val (0: none)
    bad_epochs: int  # epochs since the last improvement
    finished: list[MemberResult] = field(default_factory=list)  # members already done
    # weights at the start of the epoch in progress, which a divergence later in that epoch
    # keeps (None when interrupted between epochs, or saved before glassnet kept them)
    epoch_start_weights: dict[str, Array] | None = None
    # weights at the start of the epoch before the one in progress, which a divergence keeps when
    # the epoch in progress started from weights already out of range (None: none, or not saved)
    previous_epoch_start_weights: dict[str, Array] | None = None
    # seconds the run had trained when this state was taken, so that a resumed run's time
    # counts the whole run (0: not known, a state saved before glassnet kept it)
    seconds: float = 0.0
    # the settings of the run it was taken from, which a resumed run must have too (see
    # RESUME_MAY_CHANGE); None: not known (a state built by hand), nothing checked
    config: TrainConfig | None = None
    # (training rows, validation rows) of the run it was taken from, which a resumed run must
    # have too; None: not known (a state built by hand or saved before glassnet kept them)
    rows: tuple[int, int] | None = None
    # SHA-256 of those rows (Trainer.rows_fingerprint): the same counts of other values, or of
    # the same rows in another order, would train another run; None: not known, as for rows
    rows_sha256: str | None = None

    def __repr__(self) -> str:
        """A line, not every weight, buffer and record (an interrupted default run's is about 600 kB)."""
        return (
            f"ResumeState(member={self.member!r}, epoch={self.epoch!r}, batch={self.batch!r}, "
            f"finished={_count(self.finished)}, records={_count(self.history)}, best_epoch={self.best_epoch!r}, "
            f"rows={self.rows!r}, seconds={self.seconds!r})"
        )

    # whether the run's final (refit) passes under early stopping train the epochs their validation
    # passes kept; False for a state saved before glassnet did so, whose final passes train all
    # epochs, as its run was started to (a resumed run keeps the rule it started with)
    final_pass_cut: bool = True


@dataclass
class _Progress:
    """What one job has done so far, which a resume state carries and the end of its run reads:
    the records of its finished epochs, its best validation epoch, and the weights the epoch in
    progress and the one before it started from (what a divergence falls back to)."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_weights: dict[str, Array] | None = None  # kept only with restore_best
    best_val: float = math.inf
    best_epoch: int = 0  # 1-based (0: none)
    bad_epochs: int = 0  # epochs since the last improvement
    epoch_start: dict[str, Array] | None = None  # weights at the start of the epoch in progress
    previous_epoch_start: dict[str, Array] | None = None  # and of the epoch before it

    @classmethod
    def resumed(cls, state: ResumeState) -> _Progress:
        return cls(
            list(state.history), state.best_weights, state.best_val, state.best_epoch, state.bad_epochs
        )

    def start_epoch(self, engine: Engine, resume: ResumeState | None, start_batch: int) -> None:
        """Record the weights an epoch starts from; ``resume`` for the first epoch of a resumed
        run, whose start (mid-epoch) and the epoch before's come from the state."""
        self.previous_epoch_start = (
            self.epoch_start if resume is None else resume.previous_epoch_start_weights
        )
        resumed_start = resume.epoch_start_weights if resume is not None and start_batch > 0 else None
        self.epoch_start = resumed_start if resumed_start is not None else engine.get_weights()

    def validated(self, val_loss: float, epoch: int, engine: Engine, *, restore: bool, patience: int) -> bool:
        """Keep 0-based ``epoch``'s validation loss (and weights, with ``restore``) if it is the
        best so far; return whether ``patience`` epochs without one ask to stop early."""
        if val_loss < self.best_val:
            self.best_val, self.best_epoch, self.bad_epochs = val_loss, epoch + 1, 0
            if restore:
                self.best_weights = engine.get_weights()
            return False
        self.bad_epochs += 1
        return patience > 0 and self.bad_epochs >= patience


def _show_epoch(bar: Any, record: dict[str, float]) -> None:
    """Advance the progress bar (None: none) by one epoch, with its loss and validation metric."""
    if bar is None:
        return
    bar.update(1)
    shown = {"loss": f"{record['train_loss']:.4g}"}
    if "val_rmse" in record:
        shown["val_rmse"] = f"{record['val_rmse']:.4g}"
    elif "val_accuracy" in record:
        shown["val_acc"] = f"{record['val_accuracy']:.3f}"
    bar.set_postfix(shown, refresh=False)


# What a resumed run may set otherwise: where and how fast it computes, not what (though not
# always to the bit: BLAS and torch split some sums across threads, and engines and devices
# round otherwise). The CLI's --resume takes the options behind these (--engine, --device,
# --no-cuda-graph, --threads), and notes a change; the Python API is checked against this.
RESUME_MAY_CHANGE = frozenset({"engine", "device", "cuda_graph", "threads", "extra"})


def check_resume_config(saved: TrainConfig, config: TrainConfig) -> None:
    """ValueError naming every setting (other than :data:`RESUME_MAY_CHANGE`) in which
    ``config`` differs from ``saved``, the configuration of the run a resume state comes from:
    continued under other settings, the run would silently become another one."""
    differ = [
        f"{f.name} {getattr(saved, f.name)!r} there, {getattr(config, f.name)!r} here"
        for f in dataclasses.fields(TrainConfig)
        if f.name not in RESUME_MAY_CHANGE and getattr(saved, f.name) != getattr(config, f.name)
    ]
    if differ:
        raise ValueError(
            f"the resume state comes from a run with other settings ({'; '.join(differ)}); "
            "resume with the configuration it was saved with (the checkpoint's config)"
        )


class TrainingInterrupted(UserWarning):
    """What ``Trainer.run`` warns when a Ctrl-C stopped it outside a ``StopSignals`` scope. Made an
    error (``python -W error``), it carries the interrupted run as ``result``, whose resume
    state would otherwise be lost with the return value."""

    def __init__(self, message: str, result: TrainResult) -> None:
        super().__init__(message)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from both arguments: from ``args`` alone (the message), pickle and copy failed,
        # and a process pool's worker that raised it broke the pool, the run lost
        return (type(self), (str(self), self.result), self.__dict__)  # notes (add_note) too


@dataclass(eq=False)  # compared by identity: it holds arrays, which == cannot compare to one bool
class TrainResult:
    """What ``Trainer.run`` returns: the members, the run's status, and a resume state if interrupted."""

    config: TrainConfig
    # member 0's architecture; the others differ at most in hidden activation (``activations``):
    # Ensemble(spec, weights) alone would run every member with member 0's, use ensemble()
    spec: MLPSpec
    members: list[MemberResult]
    status: str  # completed (includes early stopping), diverged, interrupted
    message: str
    seconds: float
    resume: ResumeState | None = None  # set when status == "interrupted"
    validation_members: list[MemberResult] = field(default_factory=list)  # refit: the validation passes
    # the stop signal that asked the run to stop (SIGINT, SIGTERM, SIGHUP): it interrupted the run,
    # or (status "completed" or "diverged") came after the last batch, too late to stop it, and is
    # not lost; None when none came (or the stop was request_stop()'s)
    stop_signal: int | None = None
    # the rule its final passes followed under patience: cut to the validation pass's epochs, or
    # (a run resumed from a state saved before glassnet cut them) all epochs; ResumeState's
    final_pass_cut: bool = True

    @property
    def weights(self) -> list[dict[str, Array]]:
        """Copies of each member's weights (as ``Ensemble.members``): writing to them leaves the
        result, and what it predicts, as it was. Members of several activations (the default
        ``activation=("relu", "tanh")`` of an ensemble) need theirs beside the weights:
        ``Ensemble(result.spec, result.weights, activations=result.activations)``, which
        :meth:`ensemble` builds; without them every member would compute with member 0's."""
        return [
            {name: np.array(value, copy=True) for name, value in member.weights.items()}
            for member in self.members
        ]

    def __repr__(self) -> str:
        """A line, not every weight and history record (a default run's would be about 1 MB)."""
        # as robust as the generated repr was: a result built by hand may hold anything
        epochs = [getattr(member, "best_epoch", None) for member in self.members]
        seconds = f"{self.seconds:.3g}" if isinstance(self.seconds, int | float) else repr(self.seconds)
        return (
            f"TrainResult(status={self.status!r}, members={len(self.members)}, "
            f"epochs={getattr(self.config, 'epochs', None)}, "
            f"best_epochs={epochs if len(epochs) <= 10 else f'{len(epochs)} values'}, "
            f"seconds={seconds}, sizes={getattr(self.spec, 'sizes', None)}, records={len(self.history)})"
        )

    @property
    def history(self) -> list[dict[str, float]]:
        """All records, member by member: the validation passes first (refit), then the members kept.

        Records of a final (refit) pass carry ``"refit": 1.0``. ``train_loss`` and ``val_loss``
        are the mean over rows of each row's own loss (the loss of a batch of that one row):
        the loss itself for a mean-reduced loss, the loss / rows for a sum-reduced one
        (half_sse), whatever the batch size.
        """
        return [record for member in (*self.validation_members, *self.members) for record in member.history]

    @property
    def refit_kept(self) -> bool:
        """Whether the members a checkpoint of this result keeps were trained on the training and
        validation rows (a final, refit pass): its finished members, where the validation passes
        stand beside them; not where only validation passes finished (a run that diverged or
        stopped before a final pass ended keeps those); with none finished, whether the member in
        progress is a final pass (jobs K…2K−1). Not ``config.refit``, which asked for it."""
        if self.members:
            return bool(self.validation_members)
        if self.validation_members:
            return False
        return self.resume is not None and self.resume.member >= self.config.ensemble

    def validation_ensemble(self) -> Ensemble | None:
        """The validation passes' models (refit runs), which the validation figures describe."""
        if not self.validation_members:
            return None
        return self._ensemble(self.validation_members)

    def ensemble(self) -> Ensemble:
        """The trained members as an :class:`Ensemble` (numpy; ``.torch_modules()`` for torch)."""
        if not self.members:
            raise ValueError(f"no trained member to predict with (run {self.status})")
        return self._ensemble(self.members)

    @property
    def activations(self) -> list[str]:
        """The hidden activation of each member kept (``config.member_activation``)."""
        return self._activations(self.members)

    def _activations(self, members: list[MemberResult]) -> list[str]:
        return [self.config.member_activation(member.member) for member in members]

    def _ensemble(self, members: list[MemberResult]) -> Ensemble:
        weights = [member.weights for member in members]
        return Ensemble(self.spec, weights, activations=self._activations(members))

    def predict(self, x: npt.ArrayLike) -> Array:
        """Mean prediction of the members, (N, d₀) -> (N, d_L), in model units."""
        return self.ensemble().predict(x)


EpochCallback = Callable[["Trainer", dict[str, float]], None]


class Trainer:
    """Train ``config.ensemble`` models on (X, y), validating on (X_val, y_val) each epoch.

    Shapes: X (N, d₀), y (N,) or (N, d_L); the validation set likewise (optional; without
    it there is no early stopping, no best-weights restore and no refit).

    ``target_scale`` converts the model's units to the target's (the standard deviation
    of y before standardisation) for the reported RMSE and MAE. ``progress`` shows a
    tqdm bar on a terminal, and nothing elsewhere (a notebook's output is no terminal, where a
    bar would print a line per update: print from ``callback`` there). ``callback(trainer,
    record)`` runs after every epoch;
    ``trainer.request_stop()`` (or, with ``handle_sigint``, Ctrl-C while ``run`` is active;
    inside a :class:`~glassnet.train.StopSignals` scope SIGTERM and SIGHUP too) stops after the current batch
    with a :class:`ResumeState`. A signal reaches the Trainer only when ``run`` is in the main thread
    (see :func:`~glassnet._signals.catchable_stop_signals`); in another thread Ctrl-C raises KeyboardInterrupt in
    the main thread as usual, and ``request_stop()`` from there stops the run.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_moons
    >>> from glassnet.train import TrainConfig, Trainer
    >>> X, y = make_moons(64, rng=np.random.default_rng(0))
    >>> config = TrainConfig(hidden=(8,), activation="tanh", loss="logistic", fourier_features=0,
    ...                      optimizer="adam", lr=0.05, schedule="constant", batch_size=16, epochs=5,
    ...                      refit=False)
    >>> trainer = Trainer(config, X[:48], y[:48], X[48:], y[48:])  # the last 16 rows validate
    >>> result = trainer.run()
    >>> result.status, len(result.history)  # one record per epoch
    ('completed', 5)
    >>> sorted(result.history[0])
    ['epoch', 'lr', 'member', 'train_accuracy', 'train_loss', 'val_accuracy', 'val_loss']
    >>> result.history[-1]["val_loss"] < result.history[0]["val_loss"]  # it learnt something
    True
    >>> result.predict(X[48:]).shape  # logits, (N, 1)
    (16, 1)
    """

    def __init__(
        self,
        config: TrainConfig,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        x_val: npt.ArrayLike | None = None,
        y_val: npt.ArrayLike | None = None,
        *,
        target_scale: float = 1.0,
        progress: bool = False,
        callback: EpochCallback | None = None,
        handle_sigint: bool = True,
    ) -> None:
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
        self.config = config
        self.x, self.y = _check_xy(x, y, "training", config.dtype)
        self.has_val = x_val is not None
        if (x_val is None) != (y_val is None):
            raise ValueError("give both x_val and y_val, or neither")
        if config.patience > 0 and x_val is None:  # it would be ignored: nothing to stop on
            raise ValueError(
                f"patience={config.patience} needs validation rows to stop on: give x_val and y_val, or patience=0"
            )
        self.x_val: Array | None = None
        self.y_val: Array | None = None
        if x_val is not None and y_val is not None:
            self.x_val, self.y_val = _check_xy(x_val, y_val, "validation", config.dtype)
            if self.x_val.shape[1] != self.x.shape[1] or self.y_val.shape[1] != self.y.shape[1]:
                raise ValueError(
                    f"validation data has {self.x_val.shape[1]} features and {self.y_val.shape[1]} outputs, "
                    f"training data {self.x.shape[1]} and {self.y.shape[1]}"
                )
        scale: Any = target_scale
        if isinstance(scale, np.ndarray) and scale.ndim == 0:  # a StandardScaler's scale_
            scale = scale[()]  # its number, refused below if it is none
        self.target_scale = finite_float(scale, "target_scale", minimum=0.0, strict=True)
        self.progress = progress
        _check_callback(callback)  # else a TypeError after the first epoch's training
        self.callback = callback
        self.handle_sigint = handle_sigint
        self.spec = MLPSpec(  # member 0's; member_spec(m) is member m's
            sizes=(self.x.shape[1], *config.hidden, self.y.shape[1]),
            activation=config.member_activation(0),
            output_activation=config.output_activation,
            dtype=config.dtype,
        )
        self.regression = config.loss in REGRESSION_LOSSES
        self.threshold = decision_threshold(self.spec.output_activation)  # accuracy: ŷ > t ↔ class 1
        self.loss = get_loss(config.loss)
        if config.loss == "logistic" and config.output_activation in BOUNDED_OUTPUTS:
            # refused here, not by TrainConfig, so that a checkpoint saved with such a model loads
            raise ValueError(
                "loss='logistic' takes logits, any real number: it needs no output activation, got "
                f"output_activation={config.output_activation!r}, whose outputs cannot reach every logit"
            )
        if not self.regression:  # labels 0/1 (logistic) or in [0, 1] (bce), validation ones too
            for what, labels in (("training", self.y), ("validation", self.y_val)):
                if labels is not None:
                    _check_labels(self.loss, labels, what)
        self.refit = config.refit and self.has_val
        self._passes = [_Rows(self.x, self.y, self.x_val, self.y_val, _sst(self.y))]
        if self.refit and self.x_val is not None and self.y_val is not None:
            x_all, y_all = np.concatenate([self.x, self.x_val]), np.concatenate([self.y, self.y_val])
            self._passes.append(_Rows(x_all, y_all, None, None, _sst(y_all)))
        self.jobs = config.ensemble * len(self._passes)  # one job per member and pass
        self._stop = False
        self._stop_signal: int | None = None  # the stop signal that asked to stop, if one did
        self._rates = _LearningRates(config)
        self._final_pass_cut = True  # the rule of the run in progress: see ResumeState.final_pass_cut

    def __repr__(self) -> str:
        """A line: what it trains on and with which settings, not the rows."""
        validation = "no validation rows" if self.x_val is None else f"{len(self.x_val)} validation rows"
        config = self.config
        return (
            f"Trainer({len(self.x)} training rows, {validation}, sizes={self.spec.sizes}, "
            f"engine={config.engine!r}, optimizer={config.optimizer!r}, epochs={config.epochs}, "
            f"ensemble={config.ensemble}, refit={self.refit})"
        )

    # -- public ---------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop after the current batch; ``run`` then returns an interrupted result with a resume state."""
        self._stop = True

    def member_spec(self, member: int) -> MLPSpec:
        """Member m's architecture: ``spec`` with the member's hidden activation."""
        return self.spec.with_activation(self.config.member_activation(member))

    def initial_weights(self, member: int) -> dict[str, Array]:
        """Member m's starting weights, drawn by glassnet with ``default_rng([seed, m])``
        (:func:`glassnet._seeds.weights_key`: another key for a seed of more than 32 bits)."""
        return self._initial_model(member).state_dict()

    def _initial_model(self, member: int) -> Module:
        member = nonnegative_int(member, "member")  # numpy's own refusal does not name it
        rng = np.random.default_rng(weights_key(self.config.seed, member))
        return build_mlp(self.member_spec(member), rng=rng, init=self.config.init)

    def epoch_orders(
        self, member: int, n: int | None = None, start: int = 0
    ) -> Iterator[npt.NDArray[np.intp]]:
        """The row orders of the 0-based epochs ``start``, ``start`` + 1, … for member m: the
        permutations of N that ``default_rng([seed, m, ORDER_STREAM])`` draws one after the other.

        Epoch e's order is the e-th draw, a function of (seed, m, e) alone; from ``start`` > 0
        (a resumed run) the generator draws the first ``start`` orders and drops them. One
        generator per member, not one per epoch: seeding a generator takes longer than the
        permutation itself (about 27 µs against 15 µs for airfoil's 1081 rows), which was 2 %
        of a small network's epoch. N is the number of training rows, or ``n`` (a final refit
        pass has N + N_val rows, and the same key: it is the run a validation-free Trainer
        would make on those rows).
        """
        # checked here, not at the first next(): a generator's body runs only then
        member = nonnegative_int(member, "member")
        rows = len(self.x) if n is None else positive_int(n, "n (rows)")
        start = nonnegative_int(start, "start (epoch)")
        return self._epoch_orders(member, rows, start)

    def _epoch_orders(self, member: int, rows: int, start: int) -> Iterator[npt.NDArray[np.intp]]:
        rng = np.random.default_rng([self.config.seed, member, ORDER_STREAM])
        for _ in range(start):
            rng.permutation(rows)
        while True:
            yield rng.permutation(rows)

    def epoch_order(self, member: int, epoch: int, n: int | None = None) -> npt.NDArray[np.intp]:
        """The row order of 0-based ``epoch`` for member m (see :meth:`epoch_orders`)."""
        epoch = nonnegative_int(epoch, "epoch")
        return next(self.epoch_orders(member, n, start=epoch))

    def _job(self, job: int) -> tuple[int, _Rows]:
        """(member, rows) of a job: jobs 0…K−1 are the first (or only) pass, K…2K−1 the final one."""
        return job % self.config.ensemble, self._passes[job // self.config.ensemble]

    def learning_rate(self, epoch: int) -> float:
        """η of 0-based ``epoch`` under the configured schedule: an integer in [0, epochs − 1]
        (a rate between epochs, or after the last, is none the run uses)."""
        epoch = int_in_range(epoch, "epoch", 0, self.config.epochs - 1)
        return self._rates(epoch)

    def run(self, resume: ResumeState | None = None) -> TrainResult:
        """Train every member (continuing from ``resume`` if given) and return the result.

        With ``handle_sigint``, Ctrl-C stops the run after the current batch, and a second one
        at once: the run installs its handler and puts the previous one back. Inside a
        :class:`~glassnet.train.StopSignals` scope (the ``glassnet train`` command's) every stop signal
        (:data:`~glassnet._signals.STOP_SIGNALS`: Ctrl-C, SIGTERM, SIGHUP) does so, through the scope's handlers,
        which hold the signals back once the run has ended. Outside one, a run a Ctrl-C stopped
        says so in a :class:`TrainingInterrupted` warning (a notebook's Interrupt button sends
        one): it returns, with status "interrupted", rather than raising KeyboardInterrupt.
        """
        given: object = resume  # as called: the annotation does not stop a caller
        if given is not None and not isinstance(given, ResumeState):
            # a Checkpoint (load_resume's) holds one as .resume; read as a state, it failed on a missing attribute
            hint = ": pass its .resume" if isinstance(getattr(given, "resume", None), ResumeState) else ""
            raise TypeError(f"resume must be a ResumeState or None, got {type(given).__name__}{hint}")
        self._stop = False
        self._stop_signal = None
        self._final_pass_cut = resume.final_pass_cut if resume is not None else True
        start = time.perf_counter()
        scope = active_stop_signals() if self.handle_sigint else None
        if scope is not None:
            scope._start_training(self)
            result: TrainResult | None = None
            try:
                result = self._run(resume, start)
                return result
            finally:
                scope._end_training(result)
        previous_handlers = self._install_stop_handlers()
        try:
            result = self._run(resume, start)
        finally:
            restore_handlers(previous_handlers)
        if result.status == "interrupted" and result.stop_signal is not None:
            # said, as the command says it: a notebook's Interrupt otherwise ended the cell as a
            # success, and the next cells ran on a half-trained model
            finished = f", {count_text(len(result.members), 'member')} finished" if result.members else ""
            warnings.warn(
                TrainingInterrupted(
                    f"training {result.message}{finished}: the weights so far are in the result's resume "
                    "state (status 'interrupted'); Trainer.run(result.resume) continues the run",
                    result,
                ),
                stacklevel=user_stacklevel(),
            )
        return result

    # -- internals ------------------------------------------------------------------

    def _rows(self) -> tuple[int, int]:
        """(training rows, validation rows): what a resume state records and checks."""
        return len(self.x), 0 if self.x_val is None else len(self.x_val)

    def rows_fingerprint(self) -> str:
        """SHA-256 of the training rows (:func:`~glassnet.train._fingerprint.data_fingerprint`),
        then ``+`` and that of the validation rows if there are any: what a resume state
        records and checks."""
        parts = [data_fingerprint(self.x, self.y)]
        if self.x_val is not None:
            parts.append(data_fingerprint(self.x_val, self.y_val))
        return "+".join(parts)

    def _stop_for(self, signum: int) -> None:
        """Stop after the current batch, for the stop signal ``signum`` (named in the result)."""
        self._stop_signal = signum
        self._stop = True

    def _install_stop_handlers(self) -> dict[int, Any]:
        """Catch Ctrl-C (SIGINT), if it reaches Python; return the handler it replaced. Outside a
        :class:`~glassnet.train.StopSignals` scope, SIGTERM and SIGHUP are left to the program: in a script
        they end it, as a library must not keep a process alive that was told to end."""
        if not self.handle_sigint:
            return {}
        previous: dict[int, Any] = {}

        def on_signal(signum: int, frame: Any) -> None:
            if self._stop_signal is not None:  # a second one: stop at once
                restore_handlers(previous)
                raise StopSignalInterrupt(signum)
            self._stop_for(signum)

        previous.update(catch_sigint(on_signal))
        return previous

    def _run(self, resume: ResumeState | None, start: float) -> TrainResult:
        finished: list[MemberResult] = list(resume.finished) if resume is not None else []
        first_member = resume.member if resume is not None else 0
        if resume is not None and resume.config is not None:
            check_resume_config(resume.config, self.config)
        if resume is not None and resume.rows is not None and tuple(resume.rows) != self._rows():
            # other data would not fail, it would silently train another run (without its
            # validation passes, say); the CLI compares the data themselves (a fingerprint)
            (n, n_val), (here, here_val) = resume.rows, self._rows()
            raise ValueError(
                f"the resume state comes from a run on {n} training and {n_val} validation rows, this "
                f"trainer has {here} and {here_val}; resume with the data the run was trained on"
            )
        if (
            resume is not None
            and resume.rows_sha256 is not None
            and resume.rows_sha256 != self.rows_fingerprint()
        ):
            raise ValueError(
                "the resume state comes from a run on other rows (as many, but other values or another "
                "order: their SHA-256 differs); resume with the data the run was trained on"
            )
        if resume is not None and not 0 <= resume.member < self.jobs:
            raise ValueError(f"resume state is for job {resume.member}, the run has {self.jobs}")
        if resume is not None:  # the clock goes on from the time the run had taken before
            start -= resume.seconds
        else:
            self._check_loss_at_start()
        bar = self._progress_bar(first_member, resume)
        try:
            for job in range(first_member, self.jobs):
                outcome = self._train_member(job, resume if job == first_member else None, finished, bar)
                if isinstance(outcome, ResumeState):
                    outcome.seconds = time.perf_counter() - start
                    return self._result(
                        finished, "interrupted", self._interrupt_message(outcome), start, outcome
                    )
                finished.append(outcome)
                if outcome.status == "diverged":
                    return self._result(finished, "diverged", outcome.message, start)
        finally:
            if bar is not None:
                bar.close()
        notes = [m.message for m in finished if m.message]
        return self._result(finished, "completed", "; ".join(notes), start)

    def _result(
        self,
        members: list[MemberResult],
        status: str,
        message: str,
        start: float,
        resume: ResumeState | None = None,
    ) -> TrainResult:
        k = self.config.ensemble
        validation: list[MemberResult] = []
        if self.refit:  # jobs 0…K−1 validated, K…2K−1 are the members kept (numbered 0…K−1 again)
            validation = [m for m in members if m.member < k]
            members = [dataclasses.replace(m, member=m.member - k) for m in members if m.member >= k]
            if status == "diverged" and not members:  # nothing refit yet: keep what was validated
                members, validation = validation, []
        # an interrupted run's time is its resume state's: one clock reading for both
        seconds = resume.seconds if resume is not None else time.perf_counter() - start
        return TrainResult(
            config=self.config,
            spec=self.spec,
            members=list(members),
            status=status,
            message=message,
            seconds=seconds,
            resume=resume,
            validation_members=validation,
            stop_signal=self._stop_signal,
            final_pass_cut=self._final_pass_cut,
        )

    def _interrupt_message(self, state: ResumeState) -> str:
        member, rows = self._job(state.member)
        where = f"member {member + 1}/{self.config.ensemble}, " if self.config.ensemble > 1 else ""
        if self.refit:
            where = ("final pass, " if rows.x_val is None else "validation pass, ") + where
        return f"{interrupted_text(self._stop_signal)} in {where}epoch {state.epoch + 1} after {state.batch} batch(es)"

    def _progress_bar(self, first_member: int, resume: ResumeState | None) -> Any:
        # no bar without a terminal to draw it on: standard error closed (None), a file or a pipe
        if not self.progress or sys.stderr is None or not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        done = first_member * self.config.epochs + (resume.epoch if resume is not None else 0)
        return tqdm(total=self.jobs * self.config.epochs, initial=done, unit="epoch", leave=False)

    def _train_member(
        self, job: int, resume: ResumeState | None, finished: list[MemberResult], bar: Any
    ) -> MemberResult | ResumeState:
        member, rows = self._job(job)
        weights = resume.weights if resume is not None else self.initial_weights(member)
        engine = make_engine(self.config, self.member_spec(member), weights, rows.x, rows.y)
        try:
            return self._train_member_with(engine, job, rows, resume, finished, bar)
        finally:
            engine.close()

    def _train_member_with(
        self,
        engine: Engine,
        job: int,
        rows: _Rows,
        resume: ResumeState | None,
        finished: list[MemberResult],
        bar: Any,
    ) -> MemberResult | ResumeState:
        """Train one job's epochs on ``engine``: a MemberResult when it ends (completed, early
        stopped or diverged), a ResumeState when a stop was asked."""
        config = self.config
        n = len(rows.x)
        batch_size = min(config.batch_size, n)
        n_batches = -(-n // batch_size)
        epochs = self._epochs(job, finished)
        if resume is not None:
            if not (0 <= resume.epoch < epochs and 0 <= resume.batch < n_batches):
                raise ValueError(
                    f"resume state is at epoch {resume.epoch + 1}, batch {resume.batch}; the run has "
                    f"{epochs} epochs of {n_batches} batches"
                )
            engine.load_optimizer_state(resume.optimizer)
            progress = _Progress.resumed(resume)
            first_epoch, first_batch, sums = resume.epoch, resume.batch, list(resume.sums)
        else:
            progress = _Progress()
            first_epoch, first_batch, sums = 0, 0, [0.0, 0.0, 0.0, 0.0]
        restore = config.restore_best and rows.x_val is not None

        def snapshot(epoch: int, batch: int, sums: list[float]) -> ResumeState:
            return self._snapshot(job, epoch, batch, sums, engine, progress, finished)

        def diverged(epoch: int, lr: float, value: float) -> MemberResult:
            return self._diverged_job(job, epoch, lr, value, engine, rows, progress)

        if self._stop and resume is None:
            # asked to stop in the last batch of the job before: stop before this one trains a batch
            return snapshot(0, 0, sums)
        orders = self.epoch_orders(job % config.ensemble, n, start=first_epoch)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(first_epoch, epochs):
                lr = self._rates(epoch)
                engine.set_lr(lr)
                start_batch = first_batch if epoch == first_epoch else 0
                # resuming mid-epoch, the sums go on from those of the batches before the interruption
                engine.begin_epoch(next(orders), sums[:3] if start_batch > 0 else None)
                progress.start_epoch(engine, resume if epoch == first_epoch else None, start_batch)
                diverging = False  # a stop came in this epoch once its loss was no longer finite
                for batch in range(start_batch, n_batches):
                    lo = batch * batch_size
                    hi = min(n, lo + batch_size)
                    engine.train_batch(lo, hi)  # adds to the engine's epoch sums; no host sync
                    if epoch == 0 and batch == 0:  # at the initial weights: an overflow, not a divergence
                        value = engine.epoch_sums()[0] / (hi - lo)
                        if not math.isfinite(value):
                            raise ValueError(_overflow_at_start(value, config.dtype, rows.x, rows.y))
                    if self._stop and not diverging and batch + 1 < n_batches:
                        sums = _epoch_sums(engine, hi)
                        if math.isfinite(sums[0]):
                            return snapshot(epoch, batch + 1, sums)
                        # diverged already: the epoch runs to its end, where an uninterrupted run
                        # reads it (its later batches may turn an inf loss to NaN, which the
                        # message names), so that both end alike; its sums are not read again
                        diverging = True
                # Divergence is read once per epoch, with the sums: reading the loss of every
                # batch would wait for the device after every step (the torch engine on CUDA).
                # A diverged epoch ends with NaN weights: which weights are kept, see _diverged.
                sums = _epoch_sums(engine, n)
                if not math.isfinite(sums[0]):
                    return diverged(epoch, lr, sums[0] / sums[3])  # the epoch's mean loss: inf or nan
                record = self._epoch_record(job, rows, epoch, lr, sums, engine)
                progress.history.append(record)
                stop_early = rows.x_val is not None and progress.validated(
                    record["val_loss"], epoch, engine, restore=restore, patience=config.patience
                )
                _show_epoch(bar, record)
                if self.callback is not None:
                    self.callback(self, record)
                if stop_early and epoch + 1 < epochs:  # at the last epoch it stops nothing: completed
                    if bar is not None:
                        bar.update(config.epochs - epoch - 1)
                    return self._stopped_early(job, epoch, lr, engine, rows, progress, restore)
                if self._stop and epoch + 1 < epochs:
                    return snapshot(epoch + 1, 0, [0.0, 0.0, 0.0, 0.0])
        if bar is not None and epochs < config.epochs:  # a final pass cut to its validation pass's epochs
            bar.update(config.epochs - epochs)
        if restore and progress.best_weights is not None:
            return MemberResult(
                job, progress.best_weights, progress.history, progress.best_epoch, "completed"
            )
        if not math.isfinite(end := self._training_loss(engine, rows)):  # the last step went out of range
            return diverged(epochs - 1, self._rates(epochs - 1), end)
        return MemberResult(job, engine.get_weights(), progress.history, epochs, "completed")

    def _epochs(self, job: int, finished: list[MemberResult]) -> int:
        """The epochs ``job`` trains: all of them, except a final (refit) pass with patience > 0,
        which trains as many as its member's validation pass kept (its best epoch, or the epoch
        it stopped at without restore_best): the validation rows chose that number, as they
        chose the weights of the validation pass's model. A run resumed from a state saved
        before glassnet cut final passes (``final_pass_cut`` False) trains them whole."""
        member, rows = self._job(job)
        if not (self.refit and rows.x_val is None and self.config.patience > 0 and self._final_pass_cut):
            return self.config.epochs
        validated = next((result for result in finished if result.member == member), None)
        if validated is None:  # a resume state built by hand can lack it; a run never does
            raise ValueError(
                f"member {member + 1}'s final pass needs its validation pass, which is not among the finished"
            )
        # 0 would be the initial weights (no epoch improved on them); past the run's epochs, a
        # state built by hand
        return min(max(1, validated.best_epoch), self.config.epochs)

    def _snapshot(
        self,
        job: int,
        epoch: int,
        batch: int,
        sums: list[float],
        engine: Engine,
        progress: _Progress,
        finished: list[MemberResult],
    ) -> ResumeState:
        """The resume state of ``job`` stopped before batch ``batch`` of 0-based ``epoch``."""
        return ResumeState(
            member=job,  # results and resume states are numbered by job; _result renumbers refit members
            epoch=epoch,
            batch=batch,
            weights=engine.get_weights(),
            optimizer=engine.optimizer_state(),
            sums=list(sums),
            history=list(progress.history),
            best_weights=progress.best_weights,
            best_val=progress.best_val,
            best_epoch=progress.best_epoch,
            bad_epochs=progress.bad_epochs,
            finished=list(finished),
            epoch_start_weights=progress.epoch_start if batch > 0 else None,
            previous_epoch_start_weights=progress.previous_epoch_start if batch > 0 else progress.epoch_start,
            config=self.config,
            rows=self._rows(),
            rows_sha256=self.rows_fingerprint(),
            final_pass_cut=self._final_pass_cut,
        )

    def _diverged_job(
        self, job: int, epoch: int, lr: float, value: float, engine: Engine, rows: _Rows, progress: _Progress
    ) -> MemberResult:
        """:meth:`_diverged` with the weights ``progress`` holds as candidates: those each
        finished epoch ended with, latest first; the initial weights stand in for an epoch start
        that a resume state saved before glassnet kept it lacks."""
        ends = [(progress.epoch_start, epoch), (progress.previous_epoch_start, epoch - 1)]
        candidates = [(weights, done) for weights, done in ends if weights is not None and done >= 0]
        if not any(done == 0 for _, done in candidates):
            candidates.append((self.initial_weights(job % self.config.ensemble), 0))
        best = progress.best_weights, progress.best_epoch
        return self._diverged(job, epoch, lr, value, engine, rows, candidates, *best, progress.history)

    def _stopped_early(
        self, job: int, epoch: int, lr: float, engine: Engine, rows: _Rows, progress: _Progress, restore: bool
    ) -> MemberResult:
        """The result of ``job`` stopped early after 0-based ``epoch``: the best validation
        epoch's weights when restored, else the last ones (diverged if their loss is not finite)."""
        if restore and progress.best_weights is not None:
            kept, best_epoch = progress.best_weights, progress.best_epoch
        else:
            if not math.isfinite(end := self._training_loss(engine, rows)):
                return self._diverged_job(job, epoch, lr, end, engine, rows, progress)
            kept, best_epoch = engine.get_weights(), epoch + 1
        return MemberResult(job, kept, progress.history, best_epoch, "early_stopped", "")

    def _diverged(
        self,
        job: int,
        epoch: int,
        lr: float,
        value: float,
        engine: Engine,
        rows: _Rows,
        candidates: list[tuple[dict[str, Array], int]],
        best_weights: dict[str, Array] | None,
        best_epoch: int,
        history: list[dict[str, float]],
    ) -> MemberResult:
        """The result of a member whose loss became ``value`` (inf or nan) in 0-based ``epoch``.

        It keeps the best validation epoch's weights if there are any, else the first of
        ``candidates`` (weights, epochs finished: the start of the diverged epoch, of the one
        before, the initial weights) whose loss on the training rows is finite. The start of
        the diverged epoch alone is not enough: an epoch's loss is read before each step, so
        the weights its last step made are first read by the next epoch (with one batch per
        epoch, they are the very weights whose loss became inf).
        """
        member, _ = self._job(job)
        who = f" (member {member + 1})" if self.config.ensemble > 1 else ""
        if self.refit:
            who += " in the final pass" if rows.x_val is None else " in the validation pass"
        if best_weights is not None:
            kept, kept_epoch, which = (
                best_weights,
                best_epoch,
                f"the weights of the best validation epoch {best_epoch}",
            )
        else:
            kept, kept_epoch = candidates[-1]
            for weights, done in candidates:
                engine.set_weights(weights)
                if math.isfinite(self._training_loss(engine, rows)):
                    kept, kept_epoch = weights, done
                    break
            which = (
                f"the weights of the end of epoch {kept_epoch}" if kept_epoch > 0 else "the initial weights"
            )
        # the rate the user set, which a schedule scales (a warm-up's first epoch ran at a tenth
        # of it): advice in the epoch's rate named a number the user never gave
        rate = "" if lr == self.config.lr else f" (the schedule's rate in that epoch was {lr:g})"
        message = (
            f"training diverged at epoch {epoch + 1}{who}: the loss became {value} ({self.config.dtype}); "
            f"kept {which}; try a smaller learning rate than {self.config.lr:g}{rate}"
        )
        engine.set_weights(kept)
        return MemberResult(job, engine.get_weights(), history, kept_epoch, "diverged", message)

    def _epoch_record(
        self, job: int, data: _Rows, epoch: int, lr: float, sums: list[float], engine: Engine
    ) -> dict[str, float]:
        rows = sums[3]
        member, _ = self._job(job)
        record: dict[str, float] = {
            "member": member,  # ints, as history.csv writes them; the metrics are floats
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": sums[0] / rows,
        }
        if self.refit and data.x_val is None:
            record["refit"] = 1.0  # the final pass, on training and validation rows
        scale = self.target_scale
        outputs = data.y.shape[1]
        if self.regression:
            record["train_rmse"] = math.sqrt(sums[1] / (rows * outputs)) * scale
            record["train_mae"] = sums[2] / (rows * outputs) * scale
            if data.sst > 0:  # R² of constant targets is undefined: left out (see history_arrays)
                record["train_r2"] = 1.0 - sums[1] / data.sst
        else:
            record["train_accuracy"] = sums[1] / (rows * outputs)
        if data.x_val is not None and data.y_val is not None:
            prediction = engine.predict(data.x_val)  # (N_val, out), float64
            record["val_loss"] = self._loss_value(prediction, data.y_val)
            if self.regression:
                metrics = regression_metrics(prediction * scale, data.y_val * scale)
            else:
                metrics = classification_metrics(prediction, data.y_val, threshold=self.threshold)
            # a metric NaN predictions leave undefined is left out, as R² of constant targets
            # (a record holds no NaN of its own: see history_arrays)
            record.update({f"val_{k}": v for k, v in metrics.items() if not math.isnan(v)})
        return record

    def _check_loss_at_start(self) -> None:
        """ValueError, before any training, where a member's loss at its initial weights is not
        finite for a validation row of a refit run, computed in the run's dtype as training
        computes it, row by row (a sum over many rows may overflow where every row's loss is
        finite, and such a run trains). Those rows enter training only in the final pass, after
        every validation pass has trained: the first batch's check (each pass's) met them there,
        and the whole run was lost. Training rows meet that check, or diverge, in the first pass.
        In chunks of rows, so that its memory does not grow with the data."""
        if not self.refit or self.x_val is None or self.y_val is None:
            return
        dtype = np.dtype(self.config.dtype)
        for member in range(self.config.ensemble):
            model = self._initial_model(member)
            for start in range(0, len(self.x_val), CHECK_CHUNK_ROWS):
                x = self.x_val[start : start + CHECK_CHUNK_ROWS].astype(dtype)
                y = self.y_val[start : start + CHECK_CHUNK_ROWS].astype(dtype)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    prediction = model.forward(x)  # (rows, out)
                    finite = (
                        np.isfinite(prediction).all()
                        and np.isfinite(self.loss.elementwise(prediction, y)).all()
                    )
                if not finite:
                    rows = self._passes[-1]  # the final pass's, which these rows are part of
                    raise ValueError(_overflow_at_start(math.inf, self.config.dtype, rows.x, rows.y))

    def _training_loss(self, engine: Engine, rows: _Rows) -> float:
        """The training rows' loss at the engine's current weights (inf when it overflows). An
        epoch's loss is read before each step, so the weights its last step made are first
        measured here or by the next epoch."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self._loss_value(engine.predict(rows.x), rows.y)

    def _loss_value(self, prediction: Array, target: Array) -> float:
        """The mean row loss of (N, out) predictions, as train_loss (see TrainResult.history)."""
        if not np.isfinite(prediction).all():
            return math.inf
        # the prediction in the run's dtype, so that BCE clips p to that dtype's bounds, as the
        # engine's training loss does (1 − 1e-7 in float32, where float64's 1 − 1e-12 would cost a
        # saturated row 27.6, not 15.9); the loss itself is then taken against the float64 targets,
        # in float64, which a float32 run's modules would compute in float32 (a rounding apart)
        prediction = prediction.astype(self.config.dtype, copy=False)
        value = self.loss.reduce(self.loss.elementwise(prediction, target))
        return value / len(target) if self.loss.reduction == "sum" else value  # a mean is per row already


def fit(
    config: TrainConfig,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    x_val: npt.ArrayLike | None = None,
    y_val: npt.ArrayLike | None = None,
    **options: Any,
) -> TrainResult:
    """``Trainer(config, x, y, x_val, y_val, **options).run()``.

    Examples
    --------
    >>> import numpy as np
    >>> from glassnet.data import make_moons
    >>> from glassnet.train import TrainConfig, fit
    >>> X, y = make_moons(64, rng=np.random.default_rng(0))
    >>> config = TrainConfig(hidden=(8,), activation="tanh", loss="logistic", fourier_features=0, epochs=3)
    >>> result = fit(config, X, y)  # no validation rows: no early stopping, no refit
    >>> result
    TrainResult(status='completed', members=1, epochs=3, best_epochs=[3], seconds=...,
                sizes=(2, 8, 1), records=3)
    >>> result.predict(X).shape
    (64, 1)
    """
    return Trainer(config, x, y, x_val, y_val, **options).run()


def _sst(y: Array) -> float:
    """Σₖ Σᵢ (yᵢₖ − ȳₖ)²: the denominator of R², as regression_metrics takes it for val_r2
    (inf, without a warning, for deviations beyond float64: the loss at the initial weights then
    overflows too, and the run says so)."""
    # a sum of squares, as before: the same bits for K = 1
    with np.errstate(over="ignore"):
        return float((output_deviations(y) ** 2).sum())


def _epoch_sums(engine: Engine, rows: int) -> list[float]:
    """[Σ row loss, Σ r² (or correct), Σ |r|, rows]: the epoch's sums up to row ``rows``."""
    return [*engine.epoch_sums(), float(rows)]


CHECK_CHUNK_ROWS = 4096  # rows per forward pass of the check above (a few MB at width 256)


def _overflow_at_start(value: float, dtype: str, x: Array, y: Array) -> str:
    """The message for a loss that is not finite at the initial weights (no update made yet),
    naming the largest input and target, either of which may be the cause."""
    inputs, targets = float(np.abs(x).max()), float(np.abs(y).max())  # float64 here, finite
    return (
        f"the training loss is {value} at the initial weights, before any update, with inputs up to "
        f"{inputs:.3g} and targets up to {targets:.3g}: {overflow_advice(dtype, learning_rate=False)}"
    )


def _check_labels(loss: Loss, labels: Array, what: str) -> None:
    """ValueError, naming the part (training, validation) and the row, for (N, out) labels
    outside ``loss``'s domain (:meth:`Loss.target_refusal`, without the loss's own advice,
    which names options of the loss that TrainConfig has not)."""
    refused = loss.target_refusal
    if refused(labels) is None:
        return
    low, high = 0, len(labels) - 1  # bisect for the first row r such that labels[: r + 1] is refused
    while low < high:
        middle = (low + high) // 2
        if refused(labels[: middle + 1]) is None:
            low = middle + 1
        else:
            high = middle
    reasons = [refused(labels[low, k : k + 1]) for k in range(labels.shape[1])]
    column = next(k for k, reason in enumerate(reasons) if reason is not None)
    where = f" in row {low}" + (f", output {column}" if labels.shape[1] > 1 else "")
    pm1 = loss.name == "logistic" and labels[low, column] == -1.0
    hint = PM1_HINT if pm1 else ""
    raise ValueError(f"{what} targets: {reasons[column]}{where}{hint}")


def _check_xy(x: npt.ArrayLike, y: npt.ArrayLike, what: str, dtype: str = "float64") -> tuple[Array, Array]:
    """(X, y) as finite float64, y as (N, outputs), copies of the caller's arrays; values must
    fit ``dtype``, the training dtype."""
    features = as_float_array(x, name=f"{what} inputs", dtype=np.dtype(np.float64), ndim=2)
    target = as_float_array(y, name=f"{what} targets", dtype=np.dtype(np.float64))
    # the Trainer's own rows: a float64 array comes back as it is, and the caller may change it
    # between Trainer() and run(), after the R² denominator and the refit rows were taken from it
    features, target = _own(features, x), _own(target, y)
    if target.ndim == 1:
        target = target.reshape(-1, 1)  # (N,) -> (N, 1)
    if target.ndim != 2:
        raise ValueError(f"{what} targets must be (N,) or (N, outputs), got shape {target.shape}")
    if len(features) != len(target) or len(features) == 0:
        # no validation rows at all (a split of val_fraction 0, indexed): the way to say so
        hint = (
            "; without validation rows, pass x_val=None and y_val=None"
            if what == "validation" and len(features) == len(target) == 0
            else ""
        )
        raise ValueError(
            f"{what} inputs and targets need the same non-zero number of rows, got {len(features)} and "
            f"{len(target)}{hint}"
        )
    if features.shape[1] == 0 or target.shape[1] == 0:
        raise ValueError(
            f"{what} inputs and targets need at least one column each, got shapes {features.shape} and {target.shape}"
        )
    largest = float(np.finfo(np.dtype(dtype)).max)
    for name, values in (("inputs", features), ("targets", target)):
        peak = float(np.abs(values).max())
        if peak > largest:
            raise ValueError(
                f"{what} {name} reach {peak:.3g}, beyond {dtype}'s range (largest finite {largest:.3g}); "
                f"{overflow_advice(dtype, learning_rate=False)}"
            )
    return features, target


def _check_callback(callback: object) -> None:
    """TypeError unless ``callback`` is None or can be called as callback(trainer, record)."""
    if callback is None:
        return
    if not callable(callback):
        raise TypeError(
            f"callback must be a function callback(trainer, record) or None, got {shown(callback)}"
        )
    try:
        inspect.signature(callback).bind(None, None)
    except TypeError as error:
        raise TypeError(
            f"callback is called as callback(trainer, record) after every epoch, and {shown(callback)} "
            f"cannot be: {error}"
        ) from None
    except ValueError:  # no signature to read (some built-ins): called as it is
        pass


def _own(array: Array, given: object) -> Array:
    """``array``, copied unless it is a new array of its own, converted from ``given`` (a list,
    another dtype); a view may be of the caller's memory (a tensor's, through the array protocol)."""
    return array if array.flags.owndata and array is not given else array.copy()


class _LearningRates:
    """η_e for 0-based epoch e, from glassnet's schedulers (pure functions of e: ``lr_at``); an
    object rather than a closure, so that a Trainer pickles (to a multiprocessing worker: "Can't
    pickle local object '_learning_rates.<locals>.rate'")."""

    def __init__(self, config: TrainConfig) -> None:
        holder = SGD([Parameter(np.zeros(1))], lr=config.lr)  # a scheduler is built on an optimizer
        self.lr = config.lr
        self.scheduler: LRScheduler | None
        if config.schedule == "cosine":
            warmup = min(config.warmup_epochs, config.epochs - 1)
            self.scheduler = CosineLR(
                holder,
                t_max=max(1, config.epochs - warmup),
                eta_min=config.lr * config.min_lr_factor,
                warmup=warmup,
                warmup_start_factor=config.warmup_start_factor,
            )
        elif config.schedule == "step":
            self.scheduler = StepLR(holder, step_size=config.step_size, gamma=config.gamma)
        elif config.schedule == "exponential":
            self.scheduler = ExponentialLR(holder, gamma=config.gamma)
        else:
            self.scheduler = None

    def __call__(self, epoch: int) -> float:
        return self.lr if self.scheduler is None else self.scheduler.lr_at(self.lr, epoch)


INTEGER_COLUMNS = ("member", "epoch")
"""The history's columns that count (a member's number, an epoch's): ints in its records."""


def history_columns(history: list[dict[str, float]]) -> list[str]:
    """Column names of a history, in a stable order (member, epoch, lr, train_*, val_*)."""
    columns: list[str] = []
    for record in history:
        for key in record:
            if key not in columns:
                columns.append(key)
    return columns


def history_arrays(history: list[dict[str, float]]) -> dict[str, Array]:
    """The history as one float64 array per column (NaN where a record lacks it).

    A record holds no NaN of its own (an undefined metric, such as the R² of constant
    targets, is left out), so :func:`history_records` gives the records back exactly."""
    return {
        column: np.array([record.get(column, math.nan) for record in history], dtype=np.float64)
        for column in history_columns(history)
    }


def history_records(arrays: Mapping[str, npt.ArrayLike]) -> list[dict[str, float]]:
    """Inverse of :func:`history_arrays`."""
    columns = {name: np.asarray(values, dtype=np.float64).reshape(-1) for name, values in arrays.items()}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"history columns have different lengths {shown(sorted(lengths))}")
    n = lengths.pop() if lengths else 0
    return [
        {
            name: _record_value(name, float(values[i]))
            for name, values in columns.items()
            if not math.isnan(values[i])
        }
        for i in range(n)
    ]


def _record_value(column: str, value: float) -> float:
    """A history value as the Trainer's records hold it: an int in :data:`INTEGER_COLUMNS`
    (a whole number; a damaged file's 1.5 or inf stays as it is read), a float elsewhere."""
    return int(value) if column in INTEGER_COLUMNS and value.is_integer() else value
