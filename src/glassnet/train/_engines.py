"""The two training engines behind the Trainer: glassnet's NumPy modules and torch.nn + torch.optim.

Both take the same initial weights, see the same batches (the Trainer hands them one
permutation per epoch) and apply the same optimizer rule, so their weights agree to
rounding. The Trainer drives them through a handful of methods:

- ``begin_epoch(order, sums)``: permute the training rows once, so batches are slices (views),
  and start the epoch's sums at zero, or at ``sums`` when resuming an epoch mid-way (the sums
  then go on in the same order, so a resumed run's history is the same to the bit);
- ``train_batch(start, stop)``: one forward, loss, backward, optional clipping and optimizer step
  on rows ``start:stop`` of the permuted data, adding (Σ row loss, Σ r², Σ |r|) for regression
  (r = ŷ − y, model units) or (Σ row loss, number correct, 0) for classification to the sums
  (correct: ŷ on the label's side of the model's decision threshold, 0 for logits, 0.5 for
  probabilities; glassnet.train._metrics.decision_threshold). A row's loss is the loss of that
  row alone, so Σ row loss is the batch's loss × rows for a mean-reduced loss and the batch's
  loss itself for a sum-reduced one (half_sse); the epoch's train_loss, that total over N, is
  then the mean row loss whatever the reduction and the batch size;
- ``epoch_sums()``: those sums as floats. The torch engine keeps them on its device, so a
  step never waits for the device; reading them does, and the Trainer reads them once per
  epoch (and after the very first batch, to tell an overflow at the initial weights);
- ``predict(X)``, ``get_weights()``, ``set_weights()``, ``set_lr()``;
- ``optimizer_state()`` / ``load_optimizer_state()`` in an engine-neutral form
  ``{"step": t, "buffers": {"exp_avg": {name: array}, …}}``, so a run can resume in either engine
  (each engine keeps its own form of Adam's first moment, torch's m or glassnet's scaled u,
  both keep torch's v, and each converts the other's on load).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from glassnet._checks import Array, as_float_array
from glassnet._torch_losses import glassnet_bce, glassnet_half_squared_error, glassnet_logistic
from glassnet.losses import BCELoss, Loss, get_loss, sum_of_squares
from glassnet.nn import Parameter
from glassnet.optim import SGD, Adam, AdamW, Optimizer, _optimizer, moments_in_torch_form
from glassnet.optim._adam import held_name, moments_flushable
from glassnet.spec import MLPSpec, build_mlp, check_weights
from glassnet.train._config import TrainConfig
from glassnet.train._cuda_graph import CapturedStep, capture_step, warm_up_undone
from glassnet.train._ensemble import predict_rows
from glassnet.train._fused import FusedPass
from glassnet.train._metrics import correct, decision_threshold

IntArray = npt.NDArray[np.intp]


class _BlasThreads:
    """The BLAS thread limit of the runs in progress, which is the process's: the first engine
    to limit it keeps the limits in force before, and the last to close gives them back.

    Each engine kept and gave back its own: with two Trainers in threads, one started while
    the other trained, the second kept the first's limit of 1 and, closing last, left NumPy on
    one thread for the rest of the session. Runs that overlap share one limit, the latest set.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._before: Any = None  # threadpoolctl's record of the limits before the first

    def limit(self, threads: int) -> None:
        with self._lock:
            limits = threadpool_limits(threads, user_api="blas")
            if self._holders == 0:
                self._before = limits
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                self._before.restore_original_limits()
                self._before = None


BLAS_THREADS = _BlasThreads()

REGRESSION_LOSSES = ("mse", "half_sse")
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: coefficient = max_norm / (‖g‖ + 1e-6)


class Engine(Protocol):
    """What the Trainer needs from an engine (see the module docstring)."""

    def begin_epoch(self, order: IntArray, sums: Sequence[float] | None = None) -> None: ...
    def train_batch(self, start: int, stop: int) -> None: ...
    def epoch_sums(self) -> tuple[float, float, float]: ...
    def predict(self, x: Array) -> Array: ...
    def get_weights(self) -> dict[str, Array]: ...
    def set_weights(self, weights: Mapping[str, Array]) -> None: ...
    def set_lr(self, lr: float) -> None: ...
    def optimizer_state(self) -> dict[str, Any]: ...
    def load_optimizer_state(self, state: Mapping[str, Any]) -> None: ...
    def close(self) -> None: ...


def captures_steps(config: TrainConfig, device_type: str) -> bool:
    """Whether the torch engine captures its steps in CUDA graphs: on CUDA, in float32, with
    ``config.cuda_graph``. float64 steps stay eager: torch's capture-safe optimizers keep the
    learning rate (fused kernels) or Adam's bias corrections (capturable=True) in float32,
    which would cost float64 runs their agreement with the numpy engine to 1e-9."""
    return config.cuda_graph and device_type == "cuda" and config.dtype == "float32"


def make_glassnet_optimizer(config: TrainConfig, parameters: list[Parameter]) -> Optimizer:
    """The glassnet optimizer named by ``config.optimizer`` with the config's settings."""
    if config.optimizer == "sgd":
        return SGD(parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    cls = Adam if config.optimizer == "adam" else AdamW
    return cls(
        parameters,
        lr=config.lr,
        betas=(config.beta1, config.beta2),
        eps=config.eps,
        weight_decay=config.weight_decay,
    )


def check_buffers(spec: MLPSpec, buffers: Mapping[str, Mapping[str, Any]]) -> None:
    """ValueError unless every optimizer buffer ({key: {parameter name: array}}, as
    ``optimizer_state()["buffers"]``) holds an array of each parameter's shape. Their values
    may be non-finite, as a run's weights may (see :func:`run_weights`)."""
    shapes = spec.parameter_shapes()
    for key, per_name in buffers.items():
        missing = [name for name in shapes if name not in per_name]
        if missing:
            raise ValueError(f"optimizer buffer {key!r} has no values for {missing}")
        for name, expected in shapes.items():
            if (shape := np.shape(per_name[name])) != expected:
                raise ValueError(
                    f"optimizer buffer {key!r} of {name!r} has shape {shape}, expected {expected}"
                )


def run_weights(spec: MLPSpec, weights: Mapping[str, npt.ArrayLike]) -> dict[str, Array]:
    """``weights`` as arrays of the spec's dtype, by name, once their names and shapes are
    checked (ValueError naming what does not fit).

    Their values are not: an engine holds a run's state, and a step that overflowed leaves
    it non-finite. A run interrupted right after such a step resumes from those weights and
    meets the divergence it would have met uninterrupted, and the Trainer tries divergence
    candidates that may hold them; the weights a run keeps are checked where it keeps them.
    ``Module.load_state_dict``, for users, refuses them.
    """
    check_weights(spec, weights)
    with np.errstate(over="ignore", invalid="ignore"):  # float64 state into a float32 run
        return {name: np.asarray(weights[name], dtype=spec.dtype) for name in spec.parameter_shapes()}


def load_glassnet_optimizer_state(
    optimizer: Optimizer, spec: MLPSpec, named: list[tuple[str, Parameter]], state: Mapping[str, Any]
) -> None:
    """Load an engine's optimizer state ({"step", "buffers"}, as ``optimizer_state()`` gives it)
    into a glassnet ``optimizer`` over the parameters ``named``: checked as its
    ``load_state_dict`` checks a state (names, what each buffer may hold), but for the
    non-finite entries a run's state may hold; ValueError for a state it could not have saved."""
    dtype = np.dtype(spec.dtype)
    check_buffers(spec, state["buffers"])  # ravel would take a (3, 4) buffer for a (4, 3) weight
    # the step as given, which the optimizer's load checks (int() took 5.5 as 5, and "5"); each
    # buffer refused unless real numbers (complex ones lost their imaginary part)
    flat_state: dict[str, Any] = {"step": state["step"]}
    for key, per_name in state["buffers"].items():
        flat_state[key] = np.concatenate(
            [
                as_float_array(
                    per_name[name], name=f"optimizer state {key!r} of {name}", dtype=dtype, finite=False
                ).ravel()
                for name, _ in named
            ]
        )
    groups = optimizer.state_dict()["param_groups"]
    # The optimizer's load_state_dict, for users, refuses non-finite buffers, which a run's
    # state holds after a step that overflowed (see run_weights). It loads finite stand-ins
    # (checking names, shapes and what each buffer may hold, and converting torch's Adam
    # moments to glassnet's scaled ones), then the non-finite entries are put back: NaN and
    # ±inf are themselves in either form, which differ by a positive factor.
    stand_ins = {key: value if key == "step" else np.nan_to_num(value) for key, value in flat_state.items()}
    with np.errstate(over="ignore"):  # ±inf's stand-in, ±1.8e308, overflows when scaled: put back below
        optimizer.load_state_dict({"param_groups": groups, "state": [stand_ins]})
    for key, value in flat_state.items():
        if key != "step":
            buffer = optimizer.state[0][held_name(key)]
            bad = ~np.isfinite(value)
            buffer[bad] = value[bad]


class NumpyEngine:
    """glassnet's MLP, Loss and optimizer; everything in ``config.dtype``.

    A step is the modules' forward, loss and backward made by :class:`FusedPass` (their NumPy
    calls without the Python between them, the same numbers to the bit), then the optimizer's
    update (:meth:`Optimizer.step_written`).
    """

    def __init__(
        self, spec: MLPSpec, weights: Mapping[str, Array], config: TrainConfig, x: Array, y: Array
    ) -> None:
        self.spec = spec
        self.model = build_mlp(spec, rng=np.random.default_rng(0))
        self.named = list(self.model.named_parameters())
        self.set_weights(weights)
        self.params = [parameter for _, parameter in self.named]
        self.optimizer = make_glassnet_optimizer(config, self.params)  # fuses the parameters
        self.loss: Loss = get_loss(config.loss)
        # built once the optimizer has moved the parameters into its buffers, whose views it keeps
        self.fused = FusedPass(self.model, self.loss)
        self.mean_loss = self.loss.reduction == "mean"  # Σ row loss = value × rows, else value
        self.regression = config.loss in REGRESSION_LOSSES
        self.threshold = decision_threshold(spec.output_activation)  # ŷ > t ↔ class 1
        self.clip_norm = config.clip_norm
        self.dtype = np.dtype(spec.dtype)
        self.x = np.ascontiguousarray(x, dtype=self.dtype)  # (N, in)
        self.y = np.ascontiguousarray(y, dtype=self.dtype).reshape(len(x), -1)  # (N, out)
        self.xe, self.ye = self.x, self.y
        self._sums = [0.0, 0.0, 0.0]  # this epoch's (Σ row loss, Σ r² or correct, Σ |r|)
        # Regression keeps each batch's r = ŷ − y in its rows of one epoch-long buffer and adds
        # Σ|r| batch by batch when the sums are read (epoch_sums): one NumPy reduction for the
        # epoch instead of two calls per step. The batches pending, back to back, start at
        # _batch_starts and end at row _rows_end.
        self._residuals = np.empty_like(self.y) if self.regression else None  # (N, out)
        self._batch_starts: list[int] = []
        self._rows_end = 0
        # BLAS threads cost more than they give on matrices this small (tens of rows);
        # limited while training, given back by close()
        self._blas_limited = config.threads > 0
        if self._blas_limited:
            BLAS_THREADS.limit(config.threads)

    def begin_epoch(self, order: IntArray, sums: Sequence[float] | None = None) -> None:
        # np.take: the same rows as x[order], faster (docs/benchmarks.md, "What the engine does for speed")
        self.xe = np.take(self.x, order, axis=0)  # (N, in), rows in this epoch's order
        self.ye = np.take(self.y, order, axis=0)  # (N, out)
        self._sums = [0.0, 0.0, 0.0] if sums is None else [float(v) for v in sums]
        self._batch_starts = []

    def train_batch(self, start: int, stop: int) -> None:
        if self._batch_starts and start != self._rows_end:  # not the next rows (the Trainer's are)
            self._sums[2] = self._with_pending_abs(self._sums[2])  # before their residuals are written over
            self._batch_starts = []
        xb, yb = self.xe[start:stop], self.ye[start:stop]
        residual = None if self._residuals is None else self._residuals[start:stop]  # (B, out)
        # model.forward, loss.forward (without loss(ŷ, y)'s checks: the rows were checked once)
        # and model.backward_params, whose NumPy calls FusedPass makes without the modules'
        # Python between them; it writes every gradient, so no zero_grad. With the mean squared
        # error it writes r = ŷ − y into ``residual``.
        value, prediction = self.fused(xb, yb, residual)  # ŷ (B, out)
        if self.clip_norm > 0:
            self._clip()
        self.optimizer.step_written()  # the pass wrote every gradient
        sums = self._sums
        sums[0] += value * (stop - start) if self.mean_loss else value
        if residual is not None:
            if self.fused.mse:  # Σ r² = the loss's value × size
                sums[1] += value * residual.size
            else:
                np.subtract(prediction, yb, out=residual)
                sums[1] += sum_of_squares(residual.ravel())
            self._batch_starts.append(start)  # Σ|r|: epoch_sums
            self._rows_end = stop
        else:
            sums[1] += float(correct(prediction, yb, self.threshold).sum())

    def epoch_sums(self) -> tuple[float, float, float]:
        loss, first, second = self._sums
        return loss, first, self._with_pending_abs(second)

    def _with_pending_abs(self, total: float) -> float:
        """``total`` + Σ|r| of each pending batch, added batch by batch in their order: the same
        number however often the sums are read (a run stopped mid-epoch resumes from the sums
        read then, and goes on adding the next batches' to them)."""
        if self._residuals is None or not self._batch_starts:
            return total
        begin, outputs = self._batch_starts[0], self._residuals.shape[1]
        magnitudes = np.abs(self._residuals[begin : self._rows_end]).ravel()  # (rows × out,)
        offsets = [(start - begin) * outputs for start in self._batch_starts]
        with np.errstate(over="ignore"):  # inf, as np.vdot reports a Σ r² that overflows
            batch_sums = np.add.reduceat(magnitudes, offsets)
        for batch_sum in batch_sums.tolist():
            total += batch_sum
        return total

    def _clip(self) -> None:
        """Scale every gradient by min(1, c / (‖g‖ + 1e-6)), ‖g‖ the norm over all parameters."""
        norms = [np.linalg.norm(parameter.grad.ravel()) for parameter in self.params]
        total = float(np.linalg.norm(np.array(norms)))
        coefficient = self.clip_norm / (total + CLIP_EPS)
        if coefficient < 1.0:
            for parameter in self.params:
                parameter.grad *= coefficient

    def predict(self, x: Array) -> Array:
        """ŷ (N, out) in float64, a block of rows at a time (:func:`predict_rows`): each layer
        keeps its input, so all N rows at once held an (N, width) array per layer (112 GiB for
        the 750,000 rows of a run of width 20,000, measured after its last step)."""
        return _in_blocks(np.asarray(x, dtype=self.dtype), self.spec, self.model.forward)

    def get_weights(self) -> dict[str, Array]:
        return {name: parameter.data.copy() for name, parameter in self.named}

    def set_weights(self, weights: Mapping[str, Array]) -> None:
        """Copy ``weights`` into the parameters, in place (the optimizer holds views of them);
        names and shapes checked first (see :func:`run_weights`)."""
        arrays = run_weights(self.spec, weights)
        for name, parameter in self.named:
            np.copyto(parameter.data, arrays[name])

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def optimizer_state(self) -> dict[str, Any]:
        saved = self.optimizer.state_dict()["state"][0]
        buffers: dict[str, dict[str, Array]] = {}
        for key, flat in saved.items():
            if not isinstance(flat, np.ndarray) or key.startswith("_"):
                continue
            buffers[key] = {}
            offset = 0
            for name, parameter in self.named:
                buffers[key][name] = flat[offset : offset + parameter.size].reshape(parameter.shape).copy()
                offset += parameter.size
        return {"step": int(saved["step"]), "buffers": buffers}

    def load_optimizer_state(self, state: Mapping[str, Any]) -> None:
        load_glassnet_optimizer_state(self.optimizer, self.spec, self.named, state)

    def close(self) -> None:
        """Give back the BLAS thread setting if ``config.threads`` changed it (:class:`_BlasThreads`)."""
        if self._blas_limited:
            self._blas_limited = False
            BLAS_THREADS.release()


def _in_blocks(rows: npt.NDArray[Any], spec: MLPSpec, forward: Callable[[Any], Any]) -> Array:
    """``forward`` of (N, in) ``rows`` as (N, out) float64, a block of rows at a time
    (:func:`predict_rows` for the widest layer of ``spec``), written into one array."""
    prediction = np.empty((len(rows), spec.sizes[-1]))  # (N, out)
    block = predict_rows(max(spec.sizes))
    for start in range(0, len(rows), block):
        prediction[start : start + block] = forward(rows[start : start + block])
    return prediction


def _with_autograd(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of the torch engine with torch's autograd on and autocast off, whatever the
    caller's mode: a run inside ``torch.no_grad()`` or ``torch.inference_mode()`` built tensors
    that do not require grad and failed at its first backward (the numpy engine trains there as
    anywhere), and one inside ``torch.autocast("cpu")`` trained a float32 model in bfloat16, then
    failed to read its predictions. Only the engine's own calls: a Trainer's callback runs in the
    caller's mode."""

    @functools.wraps(method)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from glassnet.torch_bridge import import_torch

        torch = import_torch()
        if torch.is_grad_enabled() and not torch.is_inference_mode_enabled() and not _autocast_on(torch):
            return method(*args, **kwargs)  # the usual case, as it is
        with torch.inference_mode(False), torch.enable_grad(), _without_autocast(torch):
            return method(*args, **kwargs)

    return wrapped


_AUTOCAST_DEVICES = ("cpu", "cuda")


def _autocast_on(torch: Any) -> bool:
    return any(torch.is_autocast_enabled(device) for device in _AUTOCAST_DEVICES)


def _without_autocast(torch: Any) -> contextlib.ExitStack:
    """A context with torch's autocast off on every device it may be on (the engine computes in
    its run's dtype, as the numpy engine does)."""
    stack = contextlib.ExitStack()
    for device in _AUTOCAST_DEVICES:
        stack.enter_context(torch.autocast(device, enabled=False))
    return stack


class TorchEngine:
    """The same MLP as a ``torch.nn.Sequential``, trained with ``torch.optim`` on cpu or cuda.

    On CUDA in float32 (see :func:`captures_steps`) each batch size's step is captured in a
    CUDA graph the first time it comes and replayed after that (glassnet.train._cuda_graph);
    the optimizer is then torch's fused one, with its learning rate in a device tensor.
    Elsewhere every step runs eagerly.
    """

    @_with_autograd
    def __init__(
        self, spec: MLPSpec, weights: Mapping[str, Array], config: TrainConfig, x: Array, y: Array
    ) -> None:
        from glassnet.torch_bridge import import_torch, resolve_device, to_torch, torch_dtype

        torch = import_torch()
        self.torch = torch
        self.config = config
        self.device = resolve_device(config.device)
        self.tdtype = torch_dtype(spec.dtype)
        self.spec = spec
        self.module = to_torch(build_mlp(spec, rng=np.random.default_rng(0)), device=str(self.device))
        self.named = list(self.module.named_parameters())
        self.set_weights(weights)
        params = [parameter for _, parameter in self.named]
        # batch size -> its captured step; None: every step eager
        self._graphs: dict[int, CapturedStep] | None = (
            {} if captures_steps(config, self.device.type) else None
        )
        lr: Any = config.lr
        if self._graphs is not None:  # a captured step reads η from the device (fused kernels: float32)
            lr = torch.tensor(config.lr, dtype=torch.float32, device=self.device)
        if config.optimizer == "sgd":
            fused = {"fused": True} if self._graphs is not None else {}
            self.optimizer = torch.optim.SGD(
                params, lr=lr, momentum=config.momentum, weight_decay=config.weight_decay, **fused
            )
        else:
            # fused: one kernel for the whole update, its step count on the device
            fused = {"fused": True, "capturable": True} if self._graphs is not None else {}
            cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
            self.optimizer = cls(
                params,
                lr=lr,
                betas=(config.beta1, config.beta2),
                eps=config.eps,
                weight_decay=config.weight_decay,
                **fused,
            )
        functional = torch.nn.functional
        bce_bounds = BCELoss().bounds_for(spec.dtype)
        losses = {
            "mse": lambda p, t: functional.mse_loss(p, t),
            # ½ r² per element, then the sum, as glassnet's HalfSquaredError: ½ Σ r² would
            # overflow a float32 Σ r² up to twice the largest float where glassnet's is finite
            "half_sse": lambda p, t: glassnet_half_squared_error(p, t),
            # glassnet's, not torch's binary_cross_entropy_with_logits, whose gradient loses its
            # digits once a logit is large and its row right
            "logistic": lambda p, t: glassnet_logistic(p, t),
            "bce": lambda p, t: glassnet_bce(p, t, bce_bounds),  # glassnet's BCE, not torch's
        }
        self.loss_fn: Any = losses[config.loss]
        self.reduction = get_loss(config.loss).reduction  # glassnet's, which the functions above follow
        self.regression = config.loss in REGRESSION_LOSSES
        self.threshold = decision_threshold(spec.output_activation)  # ŷ > t ↔ class 1
        self.clip_norm = config.clip_norm
        self.x = self._tensor(x)  # (N, in)
        self.y = self._tensor(np.asarray(y).reshape(len(x), -1))  # (N, out)
        self.xe, self.ye = self.x, self.y
        # this epoch's (Σ row loss, Σ r² or correct, Σ |r|), summed on the device in float64
        self._sums = torch.zeros(3, dtype=torch.float64, device=self.device)
        # steps taken, counted here: torch's SGD keeps no count, and Adam's, fused, is on the device
        self._steps = 0
        # the optimizer's buffers whose subnormal entries are set to zero every
        # SUBNORMAL_FLUSH_EVERY steps on the CPU, as glassnet's optimizers flush theirs
        # (flush_subnormals): torch flushes none, and a CPU computes slowly with them; a GPU
        # computes with them at full speed (and only a GPU captures steps)
        self._flushed: tuple[str, ...] = ()
        if self.device.type == "cpu":
            if config.optimizer == "sgd":
                self._flushed = ("momentum_buffer",)
            elif moments_flushable(config.eps, config.beta2, spec.dtype):
                self._flushed = ("exp_avg", "exp_avg_sq")  # else none: a tiny ε steps on subnormal ones
        self._threads_before: int | None = None
        if config.threads > 0:  # last, so that an engine that failed to start changed nothing
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(config.threads)  # given back by close()

    def _tensor(self, array: npt.ArrayLike) -> Any:
        rows = np.ascontiguousarray(array)
        if not rows.flags.writeable:  # a tensor would share it, and torch warns of undefined behaviour
            rows = rows.copy()
        return self.torch.as_tensor(rows, dtype=self.tdtype, device=self.device)

    @_with_autograd
    def begin_epoch(self, order: IntArray, sums: Sequence[float] | None = None) -> None:
        torch = self.torch
        index = torch.from_numpy(np.asarray(order, dtype=np.int64)).to(self.device)
        self.xe = self.x[index]
        self.ye = self.y[index]
        if sums is None:
            self._sums.zero_()
        else:
            self._sums.copy_(torch.tensor([float(v) for v in sums], dtype=torch.float64))

    @_with_autograd
    def train_batch(self, start: int, stop: int) -> None:
        xb, yb = self.xe[start:stop], self.ye[start:stop]
        self._steps += 1
        if self._graphs is None:
            self._step(xb, yb)
            if self._flushed and self._steps % _optimizer.SUBNORMAL_FLUSH_EVERY == 0:  # at glassnet's steps
                self._flush_subnormals()
            return
        captured = self._graphs.get(stop - start)
        if captured is None:
            # the warm-up before a capture trains; undone, so that captured steps start from here
            with warm_up_undone([*self.module.parameters(), self._sums], self.optimizer):
                captured = capture_step(self._step, xb, yb)
            self._graphs[stop - start] = captured
        captured(xb, yb)

    def _step(self, xb: Any, yb: Any) -> None:
        """One step on a batch (B, in), (B, out): zero_grad, forward, loss, backward, [clip], update,
        and the batch's (Σ row loss, Σ r², Σ |r|) or (Σ row loss, correct, 0) added to the epoch's sums."""
        torch = self.torch
        self.optimizer.zero_grad()
        prediction = self.module(xb)
        loss = self.loss_fn(prediction, yb)
        loss.backward()
        if self.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.clip_norm)
        self.optimizer.step()
        with torch.no_grad():  # the sums stay on the device: no host sync per step
            if self.regression:
                residual = prediction - yb
                stats = torch.stack([loss.detach(), (residual * residual).sum(), residual.abs().sum()])
            else:
                right = correct(prediction, yb, self.threshold).sum().to(self.tdtype)
                stats = torch.stack(
                    [loss.detach(), right, torch.zeros((), dtype=self.tdtype, device=self.device)]
                )
            stats = stats.double()
            if self.reduction == "mean":  # Σ row loss = value × rows, else value
                stats[0] *= len(xb)
            self._sums += stats

    def _flush_subnormals(self) -> None:
        """Set to zero the entries of the optimizer's buffers named in ``_flushed`` that glassnet's
        optimizers flush in theirs: those below the smallest normal number, where glassnet's Adam
        keeps the first moment as u = m / (1 − β₁), so torch's m below (1 − β₁) times it."""
        torch = self.torch
        tiny = torch.finfo(self.tdtype).tiny
        with torch.no_grad():
            for group in self.optimizer.param_groups:
                below = {"exp_avg": tiny * (1.0 - group["betas"][0])} if "betas" in group else {}
                for parameter in group["params"]:
                    state = self.optimizer.state.get(parameter, {})
                    for key in self._flushed:
                        buffer = state.get(key)
                        if buffer is not None:  # none before the first step (SGD without momentum: none)
                            buffer.masked_fill_(buffer.abs() < below.get(key, tiny), 0.0)

    def epoch_sums(self) -> tuple[float, float, float]:
        loss, first, second = self._sums.tolist()  # waits for the device
        return float(loss), float(first), float(second)

    def predict(self, x: Array) -> Array:
        """ŷ (N, out) in float64 for rows X (N, in); a ValueError for any other shape, as the
        numpy engine's Linear gives (torch's would take a 1-D X as one row)."""
        rows = np.asarray(x)
        n_in = self.spec.sizes[0]
        if rows.ndim != 2 or rows.shape[1] != n_in:
            raise ValueError(
                f"Linear({n_in}, {self.spec.sizes[1]}) expects input of shape (N, {n_in}), got shape {rows.shape}"
            )
        with self.torch.no_grad(), _without_autocast(self.torch):  # in the run's dtype (see _with_autograd)
            return _in_blocks(rows, self.spec, lambda block: self.module(self._tensor(block)).cpu().numpy())

    def get_weights(self) -> dict[str, Array]:
        return {name: parameter.detach().cpu().numpy().copy() for name, parameter in self.named}

    @_with_autograd
    def set_weights(self, weights: Mapping[str, Array]) -> None:
        """Copy ``weights`` in, in place (captured steps read these tensors); names and shapes
        checked first (see :func:`run_weights`): torch's copy_ would broadcast a (1,) bias."""
        arrays = run_weights(self.spec, weights)
        with self.torch.no_grad():
            for name, parameter in self.named:
                parameter.copy_(self._tensor(arrays[name]))

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            if self.torch.is_tensor(group["lr"]):
                group["lr"].fill_(lr)  # in place: captured steps read this tensor
            else:
                group["lr"] = lr

    def optimizer_state(self) -> dict[str, Any]:
        buffers: dict[str, dict[str, Array]] = {}
        for name, parameter in self.named:
            for key, value in self.optimizer.state.get(parameter, {}).items():
                if key != "step" and value is not None and hasattr(value, "detach"):
                    buffers.setdefault(key, {})[name] = value.detach().cpu().numpy().copy()
        return {"step": self._steps, "buffers": buffers}

    @_with_autograd
    def load_optimizer_state(self, state: Mapping[str, Any]) -> None:
        torch = self.torch
        uses_step = not isinstance(self.optimizer, torch.optim.SGD)
        buffers = state["buffers"]
        # before anything changes, checked as the numpy engine loads it, into a glassnet optimizer
        # of its own: torch took a state without moments (its step count restarted), a negative
        # second moment (trained to NaN, blamed on the rate) or a buffer of another shape
        named = [
            (name, Parameter(np.zeros(shape, dtype=self.spec.dtype)))
            for name, shape in self.spec.parameter_shapes().items()
        ]
        optimizer = make_glassnet_optimizer(self.config, [parameter for _, parameter in named])
        load_glassnet_optimizer_state(optimizer, self.spec, named, state)
        if uses_step:  # Adam: the numpy engine's first moment is scaled (see adam_update)
            buffers = moments_in_torch_form(buffers, tuple(self.optimizer.param_groups[0]["betas"]))
        # Adam's step count as torch keeps it: on the host in the default dtype, or, fused, on the device in float32
        step_dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
        step_device = None
        if self._graphs is not None:
            self._graphs.clear()  # they update the state tensors replaced here
            step_dtype, step_device = torch.float32, self.device
        self.optimizer.state.clear()
        self._steps = int(state["step"])
        for name, parameter in self.named:
            entry: dict[str, Any] = {}
            for key, per_name in buffers.items():
                entry[key] = self._tensor(per_name[name]).clone()
            if uses_step and entry:
                entry["step"] = torch.tensor(float(state["step"]), dtype=step_dtype, device=step_device)
            if entry:
                self.optimizer.state[parameter] = entry

    def close(self) -> None:
        """Free the captured steps' memory; give back torch's thread setting if ``config.threads`` changed it."""
        if self._graphs is not None:
            self._graphs.clear()
        if self._threads_before is not None:
            self.torch.set_num_threads(self._threads_before)
            self._threads_before = None


def make_engine(
    config: TrainConfig, spec: MLPSpec, weights: Mapping[str, Array], x: Array, y: Array
) -> NumpyEngine | TorchEngine:
    """The engine named by ``config.engine``, starting from ``weights`` (see :func:`run_weights`)."""
    if config.engine == "torch":
        return TorchEngine(spec, weights, config, x, y)
    return NumpyEngine(spec, weights, config, x, y)
