"""Bad input to the engine: one parametrized table, the message checked each time."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glassnet import gradcheck, optim
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, MSELoss, get_loss
from glassnet.nn import MLP, LeakyReLU, Linear, Parameter, ReLU, Sequential, get_activation
from glassnet.optim import sgd_update


def _model() -> MLP:
    return MLP([2, 3, 1], rng=np.random.default_rng(0))


SCHEDULER_STATES: list[tuple[str, Any, type[Exception], str]] = [
    (
        "base_lrs too long",
        {"last_epoch": 3, "base_lrs": [0.1, 0.2]},
        ValueError,
        r"base_lrs must be a list of 1 rate\(s\), one per parameter group, got \[0.1, 0.2\]",
    ),
    ("base_lrs empty", {"last_epoch": 3, "base_lrs": []}, ValueError, r"a list of 1 rate\(s\).* got \[\]"),
    ("base_lrs a number", {"last_epoch": 3, "base_lrs": 0.1}, ValueError, r"a list of 1 rate\(s\).* got 0.1"),
    (
        "NaN base_lr",
        {"last_epoch": 3, "base_lrs": [float("nan")]},
        ValueError,
        r"base_lrs\[0\] must be finite",
    ),
    ("negative base_lr", {"last_epoch": 3, "base_lrs": [-0.1]}, ValueError, r"base_lrs\[0\] must be >= 0.0"),
    ("text base_lr", {"last_epoch": 3, "base_lrs": ["0.1"]}, TypeError, r"base_lrs\[0\] must be a number"),
    (
        "negative last_epoch",
        {"last_epoch": -1},
        ValueError,
        r"last_epoch must be a non-negative integer, got -1",
    ),
    (
        "no last_epoch",
        {"base_lrs": [0.1]},
        ValueError,
        r"^scheduler state has no last_epoch; StepLR takes last_epoch, base_lrs, step_size, gamma$",
    ),
    ("unknown key", {"last_epoch": 3, "base_lr": [0.1]}, ValueError, r"unknown keys \['base_lr'\]"),
    ("not a dict", [3, [0.1]], TypeError, r"scheduler state must be a dict, got list"),
]


def _sgd() -> optim.SGD:
    return optim.SGD(Linear(2, 1, rng=np.random.default_rng(0)).parameters(), lr=0.1)


def _params() -> list[Any]:
    return list(Linear(2, 1, rng=np.random.default_rng(0)).parameters())


def _gradcheck(**options: Any) -> Any:
    model = Linear(2, 1, rng=np.random.default_rng(0))
    return gradcheck(model, MSELoss(), np.ones((1, 2)), np.ones(1), **options)


_KEPT: list[Any] = []  # the outer Sequentials of _nested_then, alive while their inner ones change


def _nested_then(change: Callable[[Sequential, Sequential, Linear], Any]) -> Any:
    """``change(inner, sibling, outer_layer)`` on two Sequentials held by an outer one, which
    also holds ``outer_layer``."""
    inner, sibling, outer_layer = Sequential(Linear(2, 2)), Sequential(Linear(2, 2)), Linear(2, 2)
    _KEPT.append(Sequential(inner, sibling, outer_layer))
    return change(inner, sibling, outer_layer)


BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    # shapes
    (
        "wrong input width",
        lambda: _model()(np.ones((4, 3))),
        ValueError,
        r"expects input of shape \(N, 2\), got shape \(4, 3\)",
    ),
    (
        "1-D input",
        lambda: _model()(np.ones(2)),
        ValueError,
        r"must be a 2-D array \(N, features\), got shape \(2,\)",
    ),
    ("3-D input", lambda: _model()(np.ones((1, 2, 2))), ValueError, r"2-D array .* got shape \(1, 2, 2\)"),
    (  # finite, but not in float32: named as such, not as the inf the cast would make of it
        "input beyond float32",
        lambda: MLP([2, 1], dtype=np.float32, rng=np.random.default_rng(0))(np.array([[1e39, 1.0]])),
        ValueError,
        r"MLP input holds 1e\+39 at index \(0, 0\), outside the range of float32 \(largest 3\.4e\+38\)",
    ),
    (
        "state_dict value beyond float32",
        lambda: (m := MLP([2, 1], dtype=np.float32)).load_state_dict(
            {**m.state_dict(), "0.weight": np.array([[1e300, 0.0]])}
        ),
        ValueError,
        r"state_dict\['0\.weight'\] holds 1e\+300 at index \(0, 0\), outside the range of float32",
    ),
    # what is not a real number: refused by type, never cast (the imaginary part dropped,
    # strings parsed, None made NaN)
    *[
        (
            f"{what} input",
            lambda values=values: _model()(values),
            TypeError,
            rf"MLP input must be an array of numbers \(bool, int or float\), got {message}",
        )
        for what, values, message in [
            ("complex", np.array([[1 + 5j, 2 + 7j]]), r"complex numbers of dtype complex128"),
            ("text", [["a", "b"]], r"strings of dtype <U1"),
            ("numeric text", [["1.5", "2"]], r"strings of dtype <U3"),
            ("bytes", np.array([[b"1", b"2"]]), r"bytes of dtype \|S1"),
            ("datetime", np.array([["2026-01-01", "2026-01-02"]], dtype="datetime64[D]"), r"datetimes"),
            ("None", np.array([[1.0, None]]), r"dtype object holding NoneType at index \(0, 1\)"),
            ("dict", {"x": 1}, r"dtype object holding dict at index \(\)"),
        ]
    ],
    (
        "complex target",
        lambda: MSELoss()(np.array([[1.0]]), np.array([1 + 100j])),
        TypeError,
        r"MSELoss target must be an array of numbers \(bool, int or float\), got complex numbers",
    ),
    (
        "ragged input",
        lambda: _model()([[1.0, 2.0], [3.0]]),
        TypeError,
        r"MLP input must be an array of numbers, got list: .*inhomogeneous",
    ),
    (
        "integer beyond float64",
        lambda: _model()([[1, 10**400]]),
        ValueError,
        r"MLP input must be finite, got an integer too large for float64",
    ),
    (
        "NaN input",
        lambda: _model()(np.array([[1.0, np.nan]])),
        ValueError,
        r"must be finite, got nan at index \(0, 1\)",
    ),
    (
        "inf input",
        lambda: _model()(np.array([[np.inf, 1.0]])),
        ValueError,
        r"must be finite, got inf at index \(0, 0\)",
    ),
    # an int past float64's range named, where float() raised a bare OverflowError
    *[
        (
            f"{what} of 10**400",
            make,
            ValueError,
            rf"^{name} must be a finite number, got an integer of about 401 digits$",
        )
        for what, make, name in [
            ("LeakyReLU slope", lambda: LeakyReLU(10**400), "LeakyReLU negative_slope"),
            ("SGD lr", lambda: optim.SGD(_params(), lr=10**400), "SGD lr"),
            ("Adam eps", lambda: optim.Adam(_params(), eps=10**400), "Adam eps"),
        ]
    ],
    # sizes and settings of layers
    ("zero size", lambda: Linear(0, 3), ValueError, r"in_features must be a positive integer, got 0"),
    ("negative size", lambda: Linear(2, -1), ValueError, r"out_features must be a positive integer, got -1"),
    ("float size", lambda: Linear(2.5, 3), TypeError, r"in_features must be a positive integer, got 2.5"),  # type: ignore[arg-type]
    ("MLP too short", lambda: MLP([3]), ValueError, r"at least two sizes"),
    ("MLP zero width", lambda: MLP([2, 0, 1]), ValueError, r"positive integer, got 0"),
    (
        "unknown activation",
        lambda: get_activation("swish"),
        ValueError,
        r"unknown activation 'swish'; expected one of",
    ),
    (
        "unknown activation in MLP",
        lambda: MLP([2, 2], activation="gelu2", output_activation="gelu2"),
        ValueError,
        r"unknown activation 'gelu2'",
    ),
    (
        "unknown init",
        lambda: Linear(2, 2, init="glorot"),
        ValueError,
        r"init must be one of torch, he, xavier, got 'glorot'",
    ),  # type: ignore[arg-type]
    ("bad rng", lambda: Linear(2, 2, rng=42), TypeError, r"rng must be a numpy.random.Generator, got int"),  # type: ignore[arg-type]
    (
        "bad dtype",
        lambda: Linear(2, 2, dtype=np.int32),
        TypeError,
        r"dtype must be float32 or float64, got int32",
    ),
    ("NaN slope", lambda: LeakyReLU(float("nan")), ValueError, r"negative_slope must be finite"),
    (
        "Sequential of non-modules",
        lambda: Sequential(Linear(1, 1), "relu"),
        TypeError,
        r"takes Modules, got str at position 1",
    ),  # type: ignore[arg-type]
    (
        "one Linear used twice",
        lambda: Sequential(lin := Linear(2, 2), ReLU(), lin),
        ValueError,
        r"got a Linear instance that it, or a Sequential holding it, already holds \(layer at position 2\): "
        r"a module keeps its forward state for backward, .* copy\.deepcopy\(layer\)",
    ),
    (
        "one Linear used twice, once nested",
        lambda: Sequential(Sequential(lin := Linear(2, 2), ReLU()), lin),
        ValueError,
        r"got a Linear instance that it, or a Sequential holding it, already holds \(layer at position 1\)",
    ),
    (
        "one Linear appended twice",
        lambda: Sequential(lin := Linear(2, 2), ReLU()).append(lin),
        ValueError,
        r"got a Linear instance that it, or a Sequential holding it, already holds \(layer at position 2\)",
    ),
    # the module held by an outer Sequential, added to one inside it: the inner one alone did
    # not hold it, and the gradient of the outer was silently wrong
    (
        "a layer of the outer appended to an inner Sequential",
        lambda: _nested_then(lambda inner, sibling, outer_layer: inner.append(outer_layer)),
        ValueError,
        r"got a Linear instance that it, or a Sequential holding it, already holds \(layer at position 1\)",
    ),
    (
        "a layer of one inner Sequential inserted into its sibling",
        lambda: _nested_then(lambda inner, sibling, outer_layer: inner.insert(0, sibling[0])),
        ValueError,
        r"got a Linear instance that it, or a Sequential holding it, already holds \(layer at position 0\)",
    ),
    (
        "Sequential appended to itself",
        lambda: (seq := Sequential(Linear(2, 2))).append(seq),
        ValueError,
        r"got a Sequential instance that it, or a Sequential holding it, already holds \(layer at position 1\)",
    ),
    # optimizers
    (
        "negative lr",
        lambda: optim.SGD(_model().parameters(), lr=-0.1),
        ValueError,
        r"SGD lr must be >= 0.0, got -0.1",
    ),
    (
        "NaN lr",
        lambda: optim.Adam(_model().parameters(), lr=float("nan")),
        ValueError,
        r"Adam lr must be finite, got nan",
    ),
    (
        "text lr",
        lambda: optim.Adam(_model().parameters(), lr="fast"),
        TypeError,
        r"Adam lr must be a number, got 'fast'",
    ),  # type: ignore[arg-type]
    (
        "negative momentum",
        lambda: optim.SGD(_model().parameters(), momentum=-1),
        ValueError,
        r"momentum must be >= 0.0",
    ),
    (
        "nesterov without momentum",
        lambda: optim.SGD(_model().parameters(), nesterov=True),
        ValueError,
        r"nesterov needs momentum > 0",
    ),
    (
        "beta of one",
        lambda: optim.Adam(_model().parameters(), betas=(0.9, 1.0)),
        ValueError,
        r"beta2 must be in \[0, 1\), got 1.0",
    ),
    (
        "negative weight decay",
        lambda: optim.AdamW(_model().parameters(), weight_decay=-1e-2),
        ValueError,
        r"weight_decay must be >= 0.0",
    ),
    ("empty params", lambda: optim.SGD([], lr=0.1), ValueError, r"empty parameter list"),
    ("one Parameter", lambda: optim.SGD(_model()[0].weight, lr=0.1), TypeError, r"iterable of Parameters"),
    (
        "unknown setting",
        lambda: optim.SGD([{"params": _model().parameters(), "momentun": 0.9}]),
        ValueError,
        r"no setting\(s\) \['momentun'\]",
    ),
    (
        "zero step size",
        lambda: optim.StepLR(optim.SGD(_model().parameters()), step_size=0),
        ValueError,
        r"step_size must be a positive integer",
    ),
    (
        "negative gamma",
        lambda: optim.ExponentialLR(optim.SGD(_model().parameters()), gamma=-0.5),
        ValueError,
        r"gamma must be > 0.0",
    ),
    (
        "warm-up factor > 1",
        lambda: optim.CosineLR(optim.SGD(_model().parameters()), t_max=5, warmup=2, warmup_start_factor=2.0),
        ValueError,
        r"warmup_start_factor must be in \[0, 1\]",
    ),
    *[
        (
            f"scheduler state: {case}",
            lambda state=state: optim.StepLR(optim.SGD(_model().parameters()), step_size=2).load_state_dict(
                state
            ),
            error,
            message,
        )
        for case, state, error, message in SCHEDULER_STATES
    ],
    # losses
    (
        "label 2 in 01",
        lambda: LogisticLoss("01")(np.zeros((2, 1)), np.array([0.0, 2.0])),
        ValueError,
        r"expects labels in \{0, 1\}, got 2$",  # in neither convention: no advice to switch
    ),
    (
        "label -1 in 01",
        lambda: LogisticLoss("01")(np.zeros((2, 1)), np.array([-1.0, 1.0])),
        ValueError,
        r"expects labels in \{0, 1\}, got -1; use labels='pm1' for the other convention$",
    ),
    (
        "soft label in 01",
        lambda: LogisticLoss("01")(np.zeros((2, 1)), np.array([0.0, 0.5])),
        ValueError,
        r"expects labels in \{0, 1\}, got 0.5$",
    ),
    (
        "label 0 in pm1",
        lambda: LogisticLoss("pm1")(np.zeros((1, 1)), np.array([0.0])),
        ValueError,
        r"expects labels in \{-1, \+1\}, got 0; use labels='01'",
    ),
    ("unknown convention", lambda: LogisticLoss("yes/no"), ValueError, r"labels must be '01'"),  # type: ignore[arg-type]
    (
        "unknown reduction",
        lambda: MSELoss("median"),
        ValueError,
        r"reduction must be one of mean, sum, got 'median'",
    ),  # type: ignore[arg-type]
    ("unknown loss", lambda: get_loss("hinge"), ValueError, r"unknown loss 'hinge'"),
    (
        "target shape",
        lambda: MSELoss()(np.zeros((4, 1)), np.zeros(3)),
        ValueError,
        r"target must have the prediction's shape \(4, 1\), got shape \(3,\)",
    ),
    (
        "target (N,) for 2 outputs",
        lambda: MSELoss()(np.zeros((4, 2)), np.zeros(4)),
        ValueError,
        r"prediction's shape \(4, 2\)",
    ),
    *[
        (
            f"{value} target, {loss.name}",
            lambda loss=loss, value=value: loss(np.array([[0.5], [0.5]]), np.array([0.0, float(value)])),
            ValueError,
            rf"{type(loss).__name__} target must be finite, got -?{value} at index \(1,\)",  # as given
        )
        # MSE and the half SSE find a NaN/inf target through their value too
        for loss in (MSELoss(), HalfSquaredError(), LogisticLoss(), BCELoss())
        for value in ("nan", "inf", "-inf")
    ],
    (  # a NaN given in was put down to an overflow alone
        "NaN prediction: both causes",
        lambda: MSELoss()(np.array([[np.nan], [0.0]]), np.array([0.0, 0.0])),
        ValueError,
        r"^MSELoss prediction must be finite, got nan at index \(0, 0\); a NaN comes from a NaN in the inputs "
        r"or weights, or from an overflow: the numbers overflow float64",
    ),
    (
        "inf prediction: an overflow",
        lambda: MSELoss()(np.array([[np.inf], [0.0]]), np.array([0.0, 0.0])),
        ValueError,
        r"^MSELoss prediction must be finite, got inf at index \(0, 0\); the numbers overflow float64",
    ),
    (
        "NaN target and NaN prediction: the prediction is named first, as the eager losses name it",
        lambda: MSELoss()(np.array([[np.nan], [0.0]]), np.array([0.0, np.nan])),
        ValueError,
        r"^MSELoss prediction must be finite, got nan at index \(0, 0\); a NaN comes",
    ),
    (
        "NaN target: named",
        lambda: MSELoss()(np.array([[0.5], [0.0]]), np.array([0.0, np.nan])),
        ValueError,
        r"^MSELoss target must be finite, got nan at index \(1,\)$",
    ),
    *[
        (
            f"{value} prediction, {loss.name}",
            lambda loss=loss, value=value: loss(np.array([[0.5], [float(value)]]), np.array([1.0, 0.0])),
            ValueError,
            rf"{type(loss).__name__} prediction must be finite, got -?{value} at index \(1, 0\)",
        )
        # MSE and the half SSE find a NaN/inf prediction through their value, the others
        # check it first: the message is the same.
        for loss in (MSELoss(), HalfSquaredError(), LogisticLoss(), BCELoss())
        for value in ("nan", "inf", "-inf")
        if not (isinstance(loss, BCELoss) and value != "nan")  # BCE refuses ±inf as outside [0, 1]
    ],
    (
        "empty batch",
        lambda: MSELoss()(np.zeros((0, 1)), np.zeros((0, 1))),
        ValueError,
        r"at least one prediction",
    ),
    (
        "BCE on a logit",
        lambda: BCELoss()(np.array([[2.0]]), np.array([1.0])),
        ValueError,
        r"probabilities in \[0, 1\], got 2; for logits use LogisticLoss",
    ),
    (
        "BCE just above 1",  # every digit, or the message would read "got 1"
        lambda: BCELoss()(np.array([[1.000001]]), np.array([1.0])),
        ValueError,
        r"probabilities in \[0, 1\], got 1.000001; for logits",
    ),
    (
        "label just below 1",  # every digit, or the message would read "got 1"
        lambda: LogisticLoss()(np.array([0.3]), np.array([0.9999999])),
        ValueError,
        r"expects labels in \{0, 1\}, got 0.9999999$",
    ),
    (
        "BCE target just above 1",
        lambda: BCELoss()(np.array([[0.5]], dtype=np.float32), np.array([1.000001], dtype=np.float32)),
        ValueError,
        r"targets in \[0, 1\], got 1.000001$",
    ),
    (
        "BCE target",
        lambda: BCELoss()(np.array([[0.5]]), np.array([1.5])),
        ValueError,
        r"targets in \[0, 1\], got 1.5",
    ),
    # order of calls
    (
        "Linear backward first",
        lambda: Linear(2, 2).backward(np.ones((1, 2))),
        RuntimeError,
        r"Linear.backward called before forward",
    ),
    (
        "ReLU backward first",
        lambda: ReLU().backward(np.ones((1, 2))),
        RuntimeError,
        r"ReLU.backward called before forward",
    ),
    (
        "loss backward first",
        lambda: MSELoss().backward(),
        RuntimeError,
        r"MSELoss.backward called before the loss was computed",
    ),
    # state
    (
        "state_dict missing key",
        lambda: _model().load_state_dict({"0.weight": np.zeros((3, 2))}),
        ValueError,
        r"missing keys \['0.bias', '2.weight', '2.bias'\]",
    ),
    (
        "state_dict wrong shape",
        lambda: _model().load_state_dict({**_model().state_dict(), "0.bias": np.zeros(4)}),
        ValueError,
        r"state_dict\['0.bias'\] has shape \(4,\), expected \(3,\)",
    ),
    (
        "state_dict NaN",
        lambda: _model().load_state_dict({**_model().state_dict(), "2.bias": [np.nan]}),
        ValueError,
        r"state_dict\['2.bias'\] must be finite",
    ),
    (
        "state_dict complex",
        lambda: _model().load_state_dict({k: v.astype(complex) for k, v in _model().state_dict().items()}),
        TypeError,
        r"state_dict\['0.weight'\] must be an array of numbers \(bool, int or float\), got complex",
    ),
    (
        "gradcheck eps",
        lambda: gradcheck(_model(), MSELoss(), np.ones((1, 2)), np.ones(1), eps=0),
        ValueError,
        r"gradcheck eps must be > 0.0",
    ),
    # settings of gradcheck, losses, activations, optimizers and schedulers
    (
        "MLP activation misspelt, no hidden layer",
        lambda: MLP([2, 1], activation="rleu"),
        ValueError,
        r"unknown activation 'rleu'; expected one of identity, relu",
    ),
    (
        "gradcheck rtol",
        lambda: _gradcheck(rtol=-1e-5),
        ValueError,
        r"gradcheck rtol must be >= 0.0, got -1e-05",
    ),
    ("gradcheck atol", lambda: _gradcheck(atol=float("nan")), ValueError, r"gradcheck atol must be finite"),
    ("gradcheck eps text", lambda: _gradcheck(eps="1e-6"), TypeError, r"gradcheck eps must be a number"),
    (
        "report name",
        lambda: _gradcheck()["weights"],
        KeyError,
        r"no gradient named 'weights'; have \['weight'",
    ),
    ("BCE eps half", lambda: BCELoss(eps=0.5), ValueError, r"BCELoss eps must be < 0.5, got 0.5"),
    ("BCE eps zero", lambda: BCELoss(eps=0.0), ValueError, r"BCELoss eps must be > 0.0, got 0.0"),
    ("slope text", lambda: LeakyReLU("0.1"), TypeError, r"LeakyReLU negative_slope must be a number"),  # type: ignore[arg-type]
    (
        "activation not a name",
        lambda: MLP([2, 3, 1], activation=3),  # type: ignore[arg-type]
        ValueError,
        r"unknown activation 3; expected one of",
    ),
    (
        "SGD dampening",
        lambda: optim.SGD(_params(), dampening=math.inf),
        ValueError,
        r"SGD dampening must be finite",
    ),
    (
        "SGD weight_decay",
        lambda: optim.SGD(_params(), weight_decay=-1.0),
        ValueError,
        r"SGD weight_decay must be >= 0",
    ),
    (
        "SGD nesterov",
        lambda: optim.SGD(_params(), momentum=0.9, nesterov="yes"),  # type: ignore[arg-type]
        TypeError,
        r"SGD nesterov must be True or False, got 'yes'",
    ),
    (
        "SGD nesterov dampening",
        lambda: optim.SGD(_params(), momentum=0.9, dampening=0.1, nesterov=True),
        ValueError,
        r"nesterov needs momentum > 0 and dampening = 0, got momentum=0.9, dampening=0.1",
    ),
    (
        "Adam eps",
        lambda: optim.Adam(_params(), eps=-1e-8),
        ValueError,
        r"Adam eps must be >= 0.0, got -1e-08",
    ),
    (
        "Adam betas triple",
        lambda: optim.Adam(_params(), betas=(0.9, 0.99, 0.5)),  # type: ignore[arg-type]
        ValueError,
        r"Adam betas must be a pair",
    ),
    (
        "Adam beta NaN",
        lambda: optim.Adam(_params(), betas=(math.nan, 0.99)),
        ValueError,
        r"Adam beta1 must be finite",
    ),
    (
        "AdamW beta2 one",
        lambda: optim.AdamW(_params(), betas=(0.9, 1.0)),
        ValueError,
        r"AdamW beta2 must be in \[0, 1\), got 1.0",
    ),
    (
        "Adam amsgrad",
        lambda: optim.Adam(_params(), amsgrad=1),  # type: ignore[arg-type]
        TypeError,
        r"Adam amsgrad must be True or False, got 1",
    ),
    (
        "scheduler of torch's",
        lambda: optim.StepLR(object(), 2),  # type: ignore[arg-type]
        TypeError,
        r"a scheduler needs a glassnet Optimizer, got object",
    ),
    (
        "StepLR gamma zero",
        lambda: optim.StepLR(_sgd(), 2, gamma=0.0),
        ValueError,
        r"StepLR gamma must be > 0.0, got 0.0",
    ),
    (
        "StepLR step_size float",
        lambda: optim.StepLR(_sgd(), 2.5),  # type: ignore[arg-type]
        TypeError,
        r"StepLR step_size must be a positive integer, got 2.5",
    ),
    (
        "CosineLR t_max",
        lambda: optim.CosineLR(_sgd(), 0),
        ValueError,
        r"CosineLR t_max must be a positive integer, got 0",
    ),
    (
        "CosineLR eta_min",
        lambda: optim.CosineLR(_sgd(), 5, eta_min=-0.1),
        ValueError,
        r"CosineLR eta_min must be >= 0.0",
    ),
    (
        "CosineLR warmup",
        lambda: optim.CosineLR(_sgd(), 5, warmup=-1),
        ValueError,
        r"CosineLR warmup must be a non-negative integer, got -1",
    ),
    (
        "CosineLR warmup bool",
        lambda: optim.CosineLR(_sgd(), 5, warmup=True),
        TypeError,
        r"warmup must be a non-negative integer, got True \(bool\)",
    ),
    (
        "CosineLR start factor",
        lambda: optim.CosineLR(_sgd(), 5, warmup=2, warmup_start_factor=-0.1),
        ValueError,
        r"CosineLR warmup_start_factor must be >= 0.0, got -0.1",
    ),  # each of these failed deep inside, with an error that named nothing the user gave
    (
        "Adam betas one number",
        lambda: optim.Adam(_params(), betas=0.9),  # type: ignore[arg-type]
        ValueError,
        r"^Adam betas must be a pair \(beta1, beta2\), got 0.9$",
    ),
    (
        "gradcheck without a model",
        lambda: gradcheck(None, MSELoss(), np.ones((2, 2)), np.ones(2)),  # type: ignore[arg-type]
        TypeError,
        r"^gradcheck takes a glassnet Module as model, got NoneType$",
    ),
    (
        "gradcheck given the Loss class",
        lambda: gradcheck(_model(), MSELoss, np.ones((2, 2)), np.ones(2)),  # type: ignore[arg-type]
        TypeError,
        r"^gradcheck takes a glassnet Loss as loss, got type \(the class itself: give an instance, MSELoss\(\)\)$",
    ),
]


def test_linear_backward_takes_a_nested_list_as_the_activations_do() -> None:
    """``.T`` of a list failed with AttributeError; a list of the wrong shape is named as an array's."""
    model = _model()
    model(np.ones((5, 2)))
    np.testing.assert_array_equal(model.backward([[1.0]] * 5), model.backward(np.ones((5, 1))))
    with pytest.raises(ValueError, match=r"expects dL/dY of shape \(5, 1\) .* got shape \(4, 1\)"):
        model.backward([[1.0]] * 4)


@pytest.mark.parametrize("output_activation", [None, "sigmoid"])
@pytest.mark.parametrize(
    ("grad", "message"),
    [
        (np.full((5, 1), 1 + 2j), r"complex numbers of dtype complex128"),
        (np.full((5, 1), "1"), r"strings of dtype <U1"),
    ],
)
@pytest.mark.parametrize("method", ["backward", "backward_params"])
def test_a_gradient_array_that_is_not_real_is_refused_before_any_gradient_is_written(
    output_activation: str | None, grad: np.ndarray, message: str, method: str
) -> None:
    """A complex dL/dY array reached the output layer, which wrote its weight gradient without the
    imaginary part (a ComplexWarning) before NumPy refused the bias's in its own words: the model
    was left half-written, for a step to apply. Strings failed in NumPy's words too."""
    model = MLP([2, 3, 1], rng=np.random.default_rng(0), output_activation=output_activation)
    model(np.ones((5, 2)))
    model.zero_grad()
    owner = (
        r"Linear\(in_features=3, out_features=1\)\.backward's dL/dY"
        if output_activation is None
        else (
            r"Sigmoid\.backward's dL/dy"  # the first module to see it
        )
    )
    with pytest.raises(
        TypeError, match=rf"{owner} must be an array of numbers \(bool, int or float\), got {message}"
    ):
        getattr(model, method)(grad)
    for name, parameter in model.named_parameters():
        assert not parameter.grad.any(), name


@pytest.mark.parametrize("name", ["identity", "relu", "tanh"])
def test_an_activation_takes_a_masked_gradient_as_before(name: str) -> None:
    """The refusal of what is not real converts nothing: a masked array (masked entries included)
    is multiplied as it was, where converting it refused its masked values."""
    activation = get_activation(name)
    activation(np.array([[-1.0, 0.5, 2.0]]))
    grad = np.ma.masked_array([[1.0, 2.0, 3.0]], mask=[[False, True, False]])
    taken, plain = activation.backward(grad), activation.backward(grad.data)
    np.testing.assert_array_equal(np.asarray(taken)[0, [0, 2]], plain[0, [0, 2]])  # the unmasked entries


def test_an_integer_gradient_array_gives_the_float_ones_numbers() -> None:
    model = _model()
    model(np.ones((5, 2)))
    np.testing.assert_array_equal(model.backward(np.full((5, 1), 3)), model.backward(np.full((5, 1), 3.0)))


@pytest.mark.parametrize("name", ["identity", "relu", "tanh", "leaky_relu"])
def test_an_activation_refuses_a_gradient_that_is_not_real_and_takes_integers(name: str) -> None:
    """Each backward (the base class's, Identity's and ReLU's own) names a complex dL/dy, where
    NumPy refused it in its words or Identity passed it on; integers give the floats' numbers."""
    activation = get_activation(name)
    activation(np.array([[-1.0, 0.5, 2.0]]))
    owner = type(activation).__name__
    with pytest.raises(
        TypeError, match=rf"^{owner}\.backward's dL/dy must be an array of numbers .* complex"
    ):
        activation.backward(np.full((1, 3), 1 + 1j))
    np.testing.assert_array_equal(
        activation.backward(np.full((1, 3), 2)), activation.backward(np.full((1, 3), 2.0))
    )


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_an_ndarray_subclass_is_read_as_the_array_it_holds() -> None:
    """np.matrix passed the fast path as it was and failed with 'only 0-dimensional arrays can be
    converted to Python scalars'."""
    assert MSELoss()(np.matrix([[1.0], [2.0]]), [1.0, 3.0]) == MSELoss()(np.array([[1.0], [2.0]]), [1.0, 3.0])


@pytest.mark.parametrize(("case", "call", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error(
    case: str, call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_failed_load_state_dict_changes_nothing() -> None:
    model = _model()
    before = model.state_dict()
    bad = {**before, "0.weight": np.ones((3, 2)), "2.bias": np.zeros(5)}
    with pytest.raises(ValueError, match=r"2\.bias"):
        model.load_state_dict(bad)
    assert all(np.array_equal(model.state_dict()[k], before[k]) for k in before)


@pytest.mark.parametrize(
    ("second_group", "error", "message"),
    [
        ({"lr": -1.0}, ValueError, r"Adam lr must be >= 0.0, got -1.0"),
        ({"momentum": 0.9}, ValueError, r"Adam has no setting\(s\) \['momentum'\]"),
        ({"dtype": "float32"}, TypeError, r"share one dtype, got \['float32', 'float64'\]"),
    ],
    ids=["bad setting", "unknown setting", "two dtypes"],
)
def test_a_refused_optimizer_leaves_the_parameters_of_its_valid_groups_alone(
    second_group: dict[str, Any], error: type[Exception], message: str
) -> None:
    """An optimizer already on the parameters keeps stepping them: the refused one moved nothing."""
    model = _model()
    first = optim.SGD(model.parameters(), lr=0.1)
    first_layer, last_layer = model[0].parameters(), model[2].parameters()
    if second_group.pop("dtype", None):
        last_layer = [*last_layer, Linear(2, 1, dtype=np.float32).weight]
    arrays = [parameter.data for parameter in model.parameters()]
    with pytest.raises(error, match=message):
        optim.Adam([{"params": first_layer}, {"params": last_layer, **second_group}])
    assert all(parameter.data is array for parameter, array in zip(model.parameters(), arrays, strict=True))
    loss = MSELoss()
    loss(model(np.ones((1, 2))), np.zeros(1))
    model.backward(loss.backward())
    first.step()


@pytest.mark.parametrize(
    "values",
    [
        [[1, 2]],
        [[1.0, 2]],
        [[True, 2]],
        np.array([[1, 2]], dtype=np.uint8),
        np.array([[1, 2]], dtype=np.int64),
        np.array([[1, 2]], dtype=np.float16),
        np.array([[1, 2]], dtype=object),
    ],
    ids=["ints", "mixed", "bool", "uint8", "int64", "float16", "object ints"],
)
def test_real_numbers_of_any_kind_are_cast(values: Any) -> None:
    model = _model()
    np.testing.assert_array_equal(model(values), model(np.array([[1.0, 2.0]])))


@pytest.mark.parametrize(
    "state", [case[1] for case in SCHEDULER_STATES], ids=[case[0] for case in SCHEDULER_STATES]
)
def test_failed_scheduler_load_state_dict_changes_nothing(state: Any) -> None:
    optimizer = optim.SGD(_model().parameters(), lr=0.5)
    scheduler = optim.StepLR(optimizer, step_size=2, gamma=0.1)
    scheduler.step()
    scheduler.step()
    before = (scheduler.state_dict(), scheduler.get_last_lr())
    with pytest.raises((TypeError, ValueError)):
        scheduler.load_state_dict(state)
    assert (
        (scheduler.state_dict(), scheduler.get_last_lr())
        == before
        == ({"scheduler": "StepLR", "last_epoch": 2, "base_lrs": [0.5], "step_size": 2, "gamma": 0.1}, [0.05])
    )


@pytest.mark.parametrize(
    ("loss", "target"),
    [(MSELoss(), np.zeros(5)), (LogisticLoss(), np.full(4, 3.0)), (BCELoss(), np.full(4, 2.0))],
    ids=["MSE wrong shape", "logistic bad label", "BCE bad target"],
)
def test_a_failed_loss_call_leaves_no_gradient_of_the_previous_batch(loss: Any, target: np.ndarray) -> None:
    # The model's forward state is the new batch's; the loss's was the old one's, so a
    # backward after the error (a notebook cell run again, say) mixed the two silently.
    model = MLP([2, 3, 1], output_activation="sigmoid", rng=np.random.default_rng(0))
    loss(model(np.full((4, 2), 0.5)), np.ones(4))
    loss.backward()
    prediction = model(np.full((4, 2), -2.0))
    with pytest.raises(ValueError):
        loss(prediction, target)
    with pytest.raises(
        RuntimeError, match=r"backward called before the loss was computed \(or after a call that failed\)"
    ):
        loss.backward()


@pytest.mark.parametrize(
    "call",
    [lambda x: _model()(x), lambda x: _trainer_with(x, np.zeros(3))],
    ids=["model", "trainer"],
)
def test_a_masked_array_with_masked_values_is_refused(call: Any) -> None:
    """np.asarray dropped the mask: the numbers under it were used as data, silently."""
    x = np.ma.masked_array(np.ones((3, 2)), mask=[[False, False], [False, True], [False, False]])
    with pytest.raises(
        ValueError, match=r"has masked values \(the first at index \(1, 1\)\), which would be read"
    ):
        call(x)
    np.testing.assert_array_equal(_model()(np.ma.masked_array(np.ones((3, 2)))), _model()(np.ones((3, 2))))


# -- torch tensors that require grad, given as data ------------------------------------------


def _trainer_with(x: Any, y: Any) -> Any:
    from glassnet.train import TrainConfig, Trainer

    return Trainer(TrainConfig(hidden=(2,), epochs=1, fourier_features=0), x, y)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda t: _model()(t(np.ones((3, 2)), requires_grad=True)),
            r"MLP input must be an array of numbers, got a torch Tensor that requires grad; "
            r"pass tensor\.detach\(\)",
        ),
        (
            lambda t: _trainer_with(t(np.ones((8, 2)), requires_grad=True), np.zeros(8)),
            r"training inputs must be an array of numbers, got a torch Tensor that requires grad; "
            r"pass tensor\.detach\(\)",
        ),
        (
            lambda t: _trainer_with(np.ones((8, 2)), t(np.zeros(8), requires_grad=True)),
            r"got a torch Tensor that requires grad; pass tensor\.detach\(\)",
        ),
        (  # inside a list: torch's RuntimeError from np.asarray, as glassnet's TypeError
            lambda t: _model()([t(np.ones(2), requires_grad=True)]),
            r"MLP input must be an array of numbers, got list: .*requires grad",
        ),
    ],
    ids=["model", "trainer inputs", "trainer targets", "in a list"],
)
def test_a_torch_tensor_that_requires_grad_is_refused_saying_to_detach_it(
    call: Any, match: str, torch: Any
) -> None:
    """np.asarray refuses such a tensor (its values belong to an autograd graph), and glassnet
    passed on torch's raw RuntimeError "Can't call numpy() on Tensor that requires grad"."""

    def tensor(values: Any, requires_grad: bool) -> Any:
        return torch.tensor(values, requires_grad=requires_grad)

    with pytest.raises(TypeError, match=match):
        call(tensor)
    # detached, as the message says, the same values are taken
    np.testing.assert_array_equal(_model()(tensor(np.ones((3, 2)), True).detach()), _model()(np.ones((3, 2))))


# --- found by a review of the arrays users hand glassnet (2026-11-28) ------------------------------

_SGD = {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: Parameter(np.matrix(np.ones((2, 2)))),
            r"Parameter data must be a plain NumPy array, got a numpy\.matrix",
        ),
        (
            lambda: Parameter(np.ma.array(np.ones(2), mask=[False, True])),
            r"Parameter data must be a plain NumPy array, got a masked array \(its numbers under the mask",
        ),
        (
            lambda: sgd_update(np.matrix(np.ones((2, 2))), np.ones((2, 2)), {}, **_SGD),
            r"sgd_update param must be a plain NumPy array, got a numpy\.matrix",
        ),
        (
            lambda: sgd_update(np.ones((2, 2)), np.matrix(np.ones((2, 2))), {}, **_SGD),
            r"sgd_update grad must be a plain NumPy array, got a numpy\.matrix",
        ),
    ],
    ids=["parameter-matrix", "parameter-masked", "update-param", "update-grad"],
)
@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")  # NumPy's, on making one
def test_an_array_class_of_other_arithmetic_is_refused_where_it_would_be_kept(call: Any, match: str) -> None:
    """A Parameter of np.matrix gave a tanh layer's dL/dX 0.64 off (its ``**`` is a matrix
    power), then a LinAlgError; two adam_update steps of one ended 0.19 off torch."""
    with pytest.raises(TypeError, match=match):
        call()


def test_a_big_endian_parameter_is_taken_in_the_machines_order() -> None:
    """It was refused as "got an array of dtype >f8", a float64 array in another byte order."""
    values = np.array([0.5, -1.25, 3.0])
    parameter = Parameter(values.astype(">f8"))
    assert parameter.dtype == np.float64 and parameter.data.dtype.isnative
    np.testing.assert_array_equal(parameter.data, values)


def test_an_object_array_of_numpy_bools_is_taken_as_numbers() -> None:
    """ "must be an array of numbers (bool, int or float), got dtype object holding bool": NumPy's
    bool is no numbers.Real, where a Python bool passed."""
    model = _model()
    np.testing.assert_array_equal(
        model(np.array([[1.5, np.True_]], dtype=object)), model(np.array([[1.5, 1.0]]))
    )
