"""TrainConfig: every knob of a training run, one field each, checked on construction."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet._checks import MAX_SEED, check_device_name, shown
from glassnet._files import check_storable
from glassnet.data._fourier import MAX_FREQUENCIES, fourier_sigma
from glassnet.losses import LOSSES
from glassnet.nn import ACTIVATIONS, INITS

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "step", "exponential")
ENGINES = ("numpy", "torch")
DTYPES = ("float64", "float32")
MAX_EPOCHS = 1_000_000
MAX_BATCH_SIZE = 10_000_000
MAX_ENSEMBLE = 1000
MAX_WIDTH = 100_000
MAX_HIDDEN_LAYERS = 64


@dataclass(frozen=True)
class Bounds:
    """The values a numeric field takes: [low, high], either end left out when open; integers
    only when ``integer``."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def holds(self, number: float) -> bool:
        return (
            (isinstance(number, int) or math.isfinite(number))  # an int of 400 digits has no float
            and (self.low < number if self.low_open else self.low <= number)
            and (number < self.high if self.high_open else number <= self.high)
        )

    def text(self) -> str:
        """The interval as messages write it: "(0, 10]", "[0, 1000000]"."""
        low, high = (f"{int(end)}" if self.integer else f"{end:g}" for end in (self.low, self.high))
        return f"{'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"


# every numeric field's values: TrainConfig checks them, and `glassnet train` parses its options
# with them, so that the two cannot disagree
FIELD_BOUNDS: dict[str, Bounds] = {
    "lr": Bounds(0.0, 10.0, low_open=True),
    "beta1": Bounds(0.0, 1.0, high_open=True),
    "beta2": Bounds(0.0, 1.0, high_open=True),
    "eps": Bounds(0.0, 1.0, low_open=True),  # 0: 0/0 for a gradient still 0
    "momentum": Bounds(0.0, 1.0, high_open=True),
    "weight_decay": Bounds(0.0, 10.0),
    "warmup_start_factor": Bounds(0.0, 1.0),
    "min_lr_factor": Bounds(0.0, 1.0),
    "gamma": Bounds(0.0, 1.0, low_open=True),
    "clip_norm": Bounds(0.0, 1e12),
    "warmup_epochs": Bounds(0, MAX_EPOCHS, integer=True),
    "step_size": Bounds(1, MAX_EPOCHS, integer=True),
    "batch_size": Bounds(1, MAX_BATCH_SIZE, integer=True),
    "epochs": Bounds(1, MAX_EPOCHS, integer=True),
    "seed": Bounds(0, MAX_SEED, integer=True),
    "patience": Bounds(0, MAX_EPOCHS, integer=True),
    "ensemble": Bounds(1, MAX_ENSEMBLE, integer=True),
    "threads": Bounds(0, 1024, integer=True),
    "fourier_features": Bounds(0, MAX_FREQUENCIES, integer=True),
}
SIGMA_BOUNDS = Bounds(0.0, 1e6, low_open=True)  # each σ of the Fourier frequencies


@dataclass(frozen=True)
class TrainConfig:
    """How to train: architecture, loss, optimizer, schedule, batching, stopping, engine.

    The defaults are the airfoil recipe of ``glassnet train airfoil`` (see docs/airfoil.md),
    whose σ of the Fourier frequencies per feature ``train_airfoil`` fills in (``fourier_sigma``
    None: the data set's own). Most fields are options of ``glassnet train`` (named below),
    all but beta1, beta2, eps, warmup_start_factor, loss, output_activation and extra.
    Invalid values raise ValueError/TypeError naming the field, the expected range and the
    value received. The range of each numeric field is ``FIELD_BOUNDS[name]``, which its
    ``glassnet train`` option is parsed with too; of each σ of ``fourier_sigma``,
    ``SIGMA_BOUNDS``.

    Attributes:
        hidden: Hidden layer widths: the network's sizes are ``(inputs, *hidden, outputs)``
            (inputs counting the Fourier features); ``()`` is a linear model. Each width in
            [1, MAX_WIDTH], at most MAX_HIDDEN_LAYERS of them. Default (128, 128, 128).
            ``--hidden``.
        activation: Hidden activation: identity, relu, leaky_relu, sigmoid, tanh or softplus;
            or a tuple of them, which the ensemble's members take in turn (member m the
            (m mod length)-th, :meth:`member_activation`), so that they err differently: the
            default trains a single ReLU model, or with ensemble=5 the members relu, tanh,
            relu, tanh, relu (the airfoil recipe: the two families' errors are less alike, and
            their average gains). A list is taken as a tuple, a sequence of one name as that
            name. Default ("relu", "tanh"). ``--activation`` (comma-separated).
        output_activation: None: identity output (a regression value, or a logit for
            loss="logistic"); "sigmoid": a probability, which loss="bce" needs. Any hidden
            activation's name is taken, but TrainConfig refuses loss="bce" without "sigmoid" and
            loss="logistic" with it; a Trainer refuses loss="logistic" with another output that
            cannot reach every logit (relu, softplus, tanh), and ``train_dataset`` a regression
            with one of these bounded outputs (sigmoid, relu, softplus, tanh) of a standardised
            target (``scale_y``).
            Default None.
        fourier_features: K: the data pipeline (``train_dataset``, ``train_airfoil``,
            ``train_moons``, and so ``glassnet train``) puts K sines and K cosines of every
            standardised input beside it before the model (``glassnet.data.FourierFeatures``:
            d inputs become d(1 + 2K)); 0: none. The Trainer itself takes the arrays it is
            given. Default 8 (the airfoil recipe: periodic functions to build the noise
            spectrum's sharp peaks from). ``--fourier-features``.
        fourier_sigma: σ of the Fourier frequencies, in standard deviations of the input:
            one for every input, one per input (a tuple), or None for the data set's own:
            AIRFOIL_FOURIER_SIGMA for airfoil, DEFAULT_FOURIER_SIGMA for every input elsewhere
            (the run's configuration records the σ used). Default None. ``--fourier-sigma``.
        init: Weight initialisation: "torch" (U(±1/√in), PyTorch's default), "he" or
            "xavier". Default "torch". ``--init``.
        loss: "mse" or "half_sse" (regression, standardised target), "logistic" (labels 0/1,
            logit output) or "bce" (targets in [0, 1], labels 0/1 among them; probability
            output: output_activation="sigmoid"). Default "mse".
        optimizer: "sgd", "adam" or "adamw", by PyTorch's update rules. Default "adamw".
            ``--optimizer``.
        lr: Peak learning rate η₀, which the schedule scales. Default 1e-3. ``--lr``.
        beta1: Adam's β₁ (adam and adamw). Default 0.9.
        beta2: Adam's β₂ (adam and adamw). Default 0.999.
        eps: Adam's ε > 0 (adam and adamw), in float32 one that does not round to 0 there (1.401e-45,
            float32's smallest positive number, or more). Default 1e-8.
        momentum: SGD's momentum μ (optimizer="sgd" only). Default 0.9. ``--momentum``.
        weight_decay: λ, on every weight and bias: an L2 term λθ in the gradient for sgd and
            adam, decoupled θ ← θ(1 − ηλ) for adamw. Default 0.01 (the airfoil recipe: the
            best ensemble of its benchmark; a weak decay lets the members differ).
            ``--weight-decay``.
        schedule: Learning-rate schedule, set per epoch: "constant", "cosine" (linear
            warm-up, then cosine annealing to η₀·min_lr_factor), "step" (× gamma every
            step_size epochs) or "exponential" (× gamma every epoch). Default "cosine".
            ``--schedule``.
        warmup_epochs: Linear warm-up epochs (cosine only), from η₀·warmup_start_factor up
            to η₀; a run of at most warmup_epochs + 1 epochs warms up over all but its last
            epoch and does not decay (its last runs at η₀). Default 20. ``--warmup-epochs``.
        warmup_start_factor: The first warm-up epoch's rate as a fraction of η₀. Default 0.1.
        min_lr_factor: The cosine floor η_min as a fraction of η₀ (cosine only). Default 0.0.
            ``--min-lr-factor``.
        step_size: Step schedule: epochs between decays. Default 100. ``--step-size``.
        gamma: Decay factor of the step and exponential schedules. Default 0.5. ``--gamma``.
        batch_size: Rows per mini-batch (the last batch of an epoch may be smaller), in a new
            order every epoch. Default 64. ``--batch-size``.
        epochs: Maximum number of epochs (passes over the training rows). Default 1000.
            ``--epochs``.
        seed: Seeds the initial weights, the batch orders, the Fourier frequencies and the
            points of ``train_moons``, each from a stream of its own (glassnet._seeds); and the
            split of ``train_airfoil`` and ``train_moons`` unless they are given a
            ``SplitSettings`` (``train_dataset`` always is: its ``SplitSettings.seed``).
            Default 0. ``--seed`` (the split's too).
        patience: Early stopping: stop after this many epochs without a better validation
            loss; 0: off. Needs validation rows (the Trainer refuses it without). Under refit
            it stops the validation pass, and the final pass trains as many epochs as that
            pass kept (its best epoch, or the one it stopped at without restore_best).
            Default 0. ``--patience``.
        restore_best: At the end, go back to the weights of the best validation epoch (under
            refit: of the validation pass, whose kept epoch is then the final pass's length
            when patience > 0; the final pass has no validation rows and keeps its last
            epoch). Default True; ``--no-restore-best`` sets False.
        refit: With validation rows: train first with them held out (the validation pass),
            then again from the same initial weights, with the same schedule, on the
            training and validation rows together, and keep that model. Default True (the
            airfoil recipe: its validation rows are worth more than any knob tried);
            ``--no-refit`` sets False.
        clip_norm: Clip the gradient to this global L2 norm before each step (torch's
            clip_grad_norm_); 0: off. Default 0.0. ``--clip-norm``.
        ensemble: Models trained with different seeds (member m's weights and batch orders
            come from streams keyed ``[seed, m]``, with a third key past 32-bit seeds, and
            ``[seed, m, ORDER_STREAM]``) and
            activation's names in turn, their predictions averaged. Default 1. ``--ensemble``.
        engine: "numpy" (glassnet's own engine) or "torch" (torch.nn + torch.optim).
            Default "numpy". ``--engine``.
        device: Torch engine only: "cpu", "cuda" or "cuda:N"; the numpy engine runs on the
            CPU. Default "cpu". ``--device`` (cpu or cuda).
        cuda_graph: Torch engine on cuda, float32: capture each batch size's step in a CUDA
            graph and replay it (every other run steps eagerly). Default True;
            ``--no-cuda-graph`` sets False.
        dtype: "float64" or "float32", for weights, data and arithmetic. Default "float64";
            ``--float32`` sets "float32".
        threads: CPU threads while training (BLAS for numpy, intra-op for torch); 0: leave as
            is. Default 1 (the airfoil recipe: on batches of tens of rows a second thread
            costs more than it gives). ``--threads``. The setting is the process's, not the
            Trainer's: it is given back when the run ends, and Trainers run at once in threads
            of one process share it (give them ``threads=0``, and set it once around them); for
            the numpy engine, the last of runs that overlap gives back what was in force before
            the first.
            Another count may change the last bits of the results: BLAS and torch split some
            products (larger batches and layers) across threads, and round their sums otherwise.
        extra: Free-form notes kept with the run (saved with the configuration). Compared,
            not hashed.

    Examples
    --------
    >>> from glassnet.train import TrainConfig
    >>> config = TrainConfig(hidden=(16, 16), epochs=50)
    >>> config.hidden, config.optimizer, config.lr  # the fields not given keep their defaults
    ((16, 16), 'adamw', 0.001)
    >>> config.member_activation(0), config.member_activation(1)  # ("relu", "tanh") in turn
    ('relu', 'tanh')
    >>> config.replace(lr=0.01).lr  # a checked copy; the configuration itself is frozen
    0.01
    >>> TrainConfig.from_dict(config.to_dict()) == config  # as saved with a run
    True

    A value out of range is refused at once, naming the field and its range:

    >>> TrainConfig(lr=-1.0)
    Traceback (most recent call last):
        ...
    ValueError: lr must be in (0, 10], got -1.0
    """

    hidden: tuple[int, ...] = (128, 128, 128)
    activation: str | tuple[str, ...] = ("relu", "tanh")
    output_activation: str | None = None
    fourier_features: int = 8
    fourier_sigma: float | tuple[float, ...] | None = None
    init: str = "torch"
    loss: str = "mse"
    optimizer: str = "adamw"
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    momentum: float = 0.9
    weight_decay: float = 0.01
    schedule: str = "cosine"
    warmup_epochs: int = 20
    warmup_start_factor: float = 0.1
    min_lr_factor: float = 0.0
    step_size: int = 100
    gamma: float = 0.5
    batch_size: int = 64
    epochs: int = 1000
    seed: int = 0
    patience: int = 0
    restore_best: bool = True
    refit: bool = True
    clip_norm: float = 0.0
    ensemble: int = 1
    engine: str = "numpy"
    device: str = "cpu"
    cuda_graph: bool = True
    dtype: str = "float64"
    threads: int = 1
    # not hashed, since a dict is not hashable: so that configurations can be set members and
    # dict keys (a sweep's de-duplication, a cache); compared all the same
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # np.int64(5) as 5: checked, and saved to JSON, as one
            object.__setattr__(self, f.name, _plain(getattr(self, f.name)))
        object.__setattr__(self, "hidden", _hidden(self.hidden))
        object.__setattr__(self, "activation", _activation(self.activation))
        if self.output_activation is not None:
            _choice(self.output_activation, ACTIVATIONS, "output_activation")
        _choice(self.init, INITS, "init")
        _choice(self.loss, LOSSES, "loss")
        _loss_fits_output(self.loss, self.output_activation)
        _choice(self.optimizer, OPTIMIZERS, "optimizer")
        _choice(self.schedule, SCHEDULES, "schedule")
        _choice(self.engine, ENGINES, "engine")
        dtype: Any = self.dtype  # np.float32 or np.dtype("float32") too, as MLPSpec takes them
        if isinstance(dtype, np.dtype) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
            object.__setattr__(self, "dtype", np.dtype(dtype).name)
        _choice(self.dtype, DTYPES, "dtype")
        check_device_name(self.device, shown(self.device))  # as torch_bridge.resolve_device does
        if self.engine == "numpy" and self.device != "cpu":
            raise ValueError(
                f"device {shown(self.device)} needs engine='torch'; the numpy engine runs on the CPU"
            )
        for name, bounds in FIELD_BOUNDS.items():
            (_integer if bounds.integer else _number)(getattr(self, name), name, bounds)
        if self.dtype == "float32" and self.optimizer != "sgd" and np.float32(self.eps) == 0:
            # what both engines add then (SGD reads no ε)
            smallest = float(np.finfo(np.float32).smallest_subnormal)
            raise ValueError(
                f"eps must not round to 0 in float32 (0/0 for a gradient still 0): give at least "
                f"{smallest:.4g}, float32's smallest positive number, got {self.eps:g}"
            )
        if self.fourier_sigma is not None:
            sigma = fourier_sigma(self.fourier_sigma, "fourier_sigma", each=_sigma_value, per="input")
            object.__setattr__(self, "fourier_sigma", sigma)
        for flag in ("restore_best", "refit", "cuda_graph"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be True or False, got {shown(getattr(self, flag))}")
        if not isinstance(self.extra, Mapping):
            raise TypeError(f"extra must be a mapping, got {type(self.extra).__name__}")
        check_storable(self.extra, "extra")  # saved with the run: refused now, not after training
        # a dict of its own: the caller's, kept, would change this configuration when written to
        # (and replace() would share it); values nested inside are kept as given
        object.__setattr__(self, "extra", dict(self.extra))

    def member_activation(self, member: int) -> str:
        """The hidden activation of ensemble member m (0-based): ``activation`` itself, or its
        (m mod length)-th entry when it is a tuple."""
        if isinstance(self.activation, str):
            return self.activation
        return self.activation[member % len(self.activation)]

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        for name in ("activation", "fourier_sigma"):
            if isinstance(getattr(self, name), tuple):
                data[name] = list(getattr(self, name))
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown fields raise ValueError.

        A saved configuration is checked as a new one: one that this version refuses (say
        loss="bce" without a sigmoid output, accepted before) raises ValueError saying so,
        rather than describing a model whose outputs would be read the wrong way; a field of
        the wrong type (``epochs`` 5.0, ``restore_best`` 1) raises TypeError, as the
        constructor does.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a training configuration must be a mapping, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown training configuration field(s) {shown(unknown)}")
        values = dict(data)
        if "hidden" in values and isinstance(values["hidden"], list):
            values["hidden"] = tuple(values["hidden"])
        try:
            return cls(**values)
        except ValueError as error:
            raise ValueError(
                f"the saved training configuration is refused (train the model again): {error}"
            ) from None


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (np.int64(5) as 5, np.float32(0.5) as 0.5,
    np.True_ as True), as the rest of glassnet takes them; anything else as it is. A float
    narrower than float64 is taken as its shortest decimal form, the number its writer wrote
    (np.float32(0.1) as 0.1, not 0.10000000149011612), as the split's fractions are."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(str(value)) if np.finfo(value.dtype).bits < 64 else float(value)
    return value


def _hidden(value: Any) -> tuple[int, ...]:
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()  # np.array([64, 64]): Python ints (floats stay floats, refused below)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, tuple | list):
        raise TypeError(f"hidden must be a sequence of layer widths, got {shown(value)}")
    widths = tuple(_plain(width) for width in value)
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, int):
            raise TypeError(f"hidden widths must be integers, got {shown(width)} in {shown(list(widths))}")
        if not 1 <= width <= MAX_WIDTH:
            raise ValueError(
                f"hidden widths must be in [1, {MAX_WIDTH}], got {shown(width)} in {shown(list(widths))}"
            )
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(widths)}")
    return widths


def _activation(value: Any) -> str | tuple[str, ...]:
    """One hidden activation, or a tuple of them for the ensemble's members in turn; a list
    becomes a tuple, and a sequence of one name, once or repeated, that name (the same
    configuration: every member gets it)."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError(
                f"activation takes one name or a sequence of them, one per member in turn, got {value!r}"
            )
        for name in value:
            _choice(name, ACTIVATIONS, "each activation of a sequence")
        names = tuple(value)
        return names[0] if len(set(names)) == 1 else names
    if isinstance(value, str) and "," in value:  # the command line's form, not the configuration's
        raise ValueError(
            f"activation must be one of {', '.join(ACTIVATIONS)}, or a tuple of them, got {shown(value)}; "
            f"for members in turn write a tuple: {shown(tuple(part.strip() for part in value.split(',')))}"
        )
    _choice(value, ACTIVATIONS, "activation")
    return str(value)


def _sigma_value(value: Any, name: str) -> float:
    """One σ of the Fourier frequencies, in (0, 1e6]; a NumPy number as :func:`_plain` takes it
    (np.float32(0.1) in a list was refused as not a number, and in an array widened)."""
    value = _plain(value)
    _number(value, name, SIGMA_BOUNDS)
    return float(value)


def _loss_fits_output(loss: str, output_activation: str | None) -> None:
    """BCE reads the model's output as a probability, the logistic loss as a logit: refuse an
    output that is not one (BCE would clip it to [0, 1] silently; the logistic loss of a
    sigmoid output is a sigmoid applied twice), so that the decision threshold fits too."""
    if loss == "bce" and output_activation != "sigmoid":
        raise ValueError(
            "loss='bce' takes probabilities in [0, 1]: it needs output_activation='sigmoid', "
            f"got output_activation={output_activation!r}; for a logit output use loss='logistic'"
        )
    if loss == "logistic" and output_activation == "sigmoid":
        raise ValueError(
            "loss='logistic' takes logits (it applies the sigmoid itself): it needs no output "
            "activation, got output_activation='sigmoid'; for a sigmoid output use loss='bce'"
        )


def _choice(value: Any, allowed: Any, name: str) -> None:
    if not isinstance(value, str) or value not in allowed:  # a dict or list is no name (nor hashable)
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {shown(value)}")


def _number(value: Any, name: str, bounds: Bounds) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {shown(value)} ({type(value).__name__})")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        raise ValueError(f"{name} must be a finite number, got {shown(value)}") from None
    if not bounds.holds(number):
        raise ValueError(f"{name} must be in {bounds.text()}, got {value}")


def _integer(value: Any, name: str, bounds: Bounds) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {shown(value)} ({type(value).__name__})")
    if not bounds.holds(value):
        raise ValueError(f"{name} must be an integer in {bounds.text()}, got {shown(value)}")
