"""Schedules, metrics and ensembles at their edges: rates past float64, settings in a saved
schedule, shapes that pair only when flattened, labels that are not classes, members given in
the wrong form."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from glassnet import optim
from glassnet.nn import Linear, Parameter
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import Ensemble, classification_metrics, regression_metrics

# -- schedules: γ > 1 ------------------------------------------------------------------------


def _optimizers(torch: Any, lrs: tuple[float, ...]) -> tuple[optim.SGD, Any]:
    ours = optim.SGD([{"params": [Parameter(np.ones(1))], "lr": lr} for lr in lrs])
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs])
    return ours, theirs


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda o: optim.ExponentialLR(o, 2.0), lambda ls, o: ls.ExponentialLR(o, 2.0)),
        (lambda o: optim.StepLR(o, 2, 4.0), lambda ls, o: ls.StepLR(o, 2, 4.0)),
    ],
    ids=["exponential", "step"],
)
def test_a_growing_rate_follows_torch_where_gamma_to_the_t_alone_overflows(
    ours: Any, theirs: Any, torch: Any
) -> None:
    """γᵗ passes float64's limit at t = 1024 for γ = 2, but η₀ γᵗ of η₀ = 1e-10 does not (torch
    gives 9e297), and a group of lr 0 stays at 0. It raised OverflowError: Numerical result out
    of range."""
    ours_opt, theirs_opt = _optimizers(torch, (1e-10, 0.0))
    scheduler, reference = ours(ours_opt), theirs(torch.optim.lr_scheduler, theirs_opt)
    for epoch in range(1030):
        assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12), epoch
        ours_opt.step()
        theirs_opt.step()
        scheduler.step()
        reference.step()
    assert scheduler.get_last_lr()[0] > 1e297 and scheduler.get_last_lr()[1] == 0.0


def test_a_rate_beyond_float64_is_refused_and_changes_nothing() -> None:
    sgd = optim.SGD([Parameter(np.ones(1))], lr=1.0)
    scheduler = optim.ExponentialLR(sgd, 2.0)
    scheduler.load_state_dict({"last_epoch": 1023})
    with pytest.raises(
        ValueError, match=r"ExponentialLR rate at step 1024 is beyond float64: 1\.0 · 2\.0\^1024"
    ):
        scheduler.step()
    assert scheduler.last_epoch == 1023 and sgd.param_groups[0]["lr"] == 2.0**1023
    step = optim.StepLR(sgd, 2, 2.0)  # built on the group's rate 2^1023, at t = 0
    with pytest.raises(ValueError, match=r"StepLR rate at step 2050 is beyond float64: 1\.0 · 2\.0\^1025"):
        step.load_state_dict({"last_epoch": 2050, "base_lrs": [1.0]})
    assert (step.last_epoch, step.base_lrs, sgd.param_groups[0]["lr"]) == (0, [2.0**1023], 2.0**1023)


@pytest.mark.parametrize(("gamma", "expected"), [(0.5, 0.0), (1.0, 0.3)])
def test_a_step_count_beyond_float64_gives_the_limit_of_a_rate_that_does_not_grow(
    gamma: float, expected: float
) -> None:
    """γ ** 10⁴⁰⁰ raised OverflowError: int too large to convert to float."""
    scheduler = optim.ExponentialLR(optim.SGD([Parameter(np.ones(1))], lr=0.3), gamma)
    scheduler.load_state_dict({"last_epoch": 10**400})
    assert scheduler.get_last_lr() == [expected]


# -- schedules: settings in the saved state -------------------------------------------------


def _sgd(lrs: tuple[float, ...] = (0.1, 0.03)) -> optim.SGD:
    return optim.SGD([{"params": [Parameter(np.ones(1))], "lr": lr} for lr in lrs])


def _step(o: optim.SGD, **change: Any) -> optim.StepLR:
    return optim.StepLR(o, **{"step_size": 2, "gamma": 0.5, **change})


def _exponential(o: optim.SGD, **change: Any) -> optim.ExponentialLR:
    return optim.ExponentialLR(o, **{"gamma": 0.9, **change})


def _cosine(o: optim.SGD, **change: Any) -> optim.CosineLR:
    return optim.CosineLR(
        o, **{"t_max": 6, "eta_min": 0.01, "warmup": 2, "warmup_start_factor": 0.2, **change}
    )


def _everything(scheduler: optim.LRScheduler) -> tuple[Any, ...]:
    """What a refused state must leave as it was: state (settings included), rates, groups' lr."""
    lrs = [group["lr"] for group in scheduler.optimizer.param_groups]
    return scheduler.state_dict(), scheduler.get_last_lr(), lrs


@pytest.mark.parametrize(
    ("saving", "loading"),
    [
        (lambda o: _step(o, step_size=3), lambda o: _step(o, step_size=1, gamma=0.9)),
        (lambda o: _exponential(o, gamma=0.8), lambda o: _exponential(o, gamma=1.1)),
        (_cosine, lambda o: optim.CosineLR(o, 3)),
    ],
    ids=["step", "exponential", "cosine"],
)
def test_a_saved_schedule_goes_on_in_a_scheduler_built_with_other_settings(saving: Any, loading: Any) -> None:
    """The state held only last_epoch and base_lrs: the loading scheduler went on with its own
    step_size, gamma, t_max, …, another schedule, silently (torch's state holds them)."""
    saved_opt, loaded_opt = _sgd(), _sgd((1.0, 2.0))
    scheduler = saving(saved_opt)
    for _ in range(4):
        scheduler.step()
    saved = scheduler.state_dict()
    assert json.loads(json.dumps(saved)) == saved  # plain numbers: JSON keeps them as they are
    resumed = loading(loaded_opt)
    resumed.load_state_dict(json.loads(json.dumps(saved)))
    assert resumed.state_dict() == saved
    for epoch in range(4, 16):
        assert resumed.get_last_lr() == scheduler.get_last_lr(), epoch
        assert [g["lr"] for g in loaded_opt.param_groups] == scheduler.get_last_lr(), epoch
        scheduler.step()
        resumed.step()


@pytest.mark.parametrize(
    ("make", "state", "expected"),
    [
        (lambda o: _step(o, step_size=3), {"last_epoch": 4, "base_lrs": [0.2]}, 0.2 * 0.5),
        (_exponential, {"last_epoch": 3}, 0.1 * 0.9**3),
        (_cosine, {"last_epoch": 1, "base_lrs": [0.2]}, 0.2 * (0.2 + 0.8 * 1 / 2)),
        (_cosine, {"last_epoch": 4, "base_lrs": [0.2]}, 0.01 + 0.19 * (1 + math.cos(math.pi * 2 / 6)) / 2),
    ],
    ids=["step", "exponential", "cosine warm-up", "cosine"],
)
def test_a_state_saved_without_settings_keeps_the_schedulers_own(
    make: Any, state: dict[str, Any], expected: float
) -> None:
    """States saved before the settings were, and the Trainer's {last_epoch, base_lrs}."""
    scheduler = make(_sgd((0.1,)))
    settings = {k: v for k, v in scheduler.state_dict().items() if k not in ("last_epoch", "base_lrs")}
    scheduler.load_state_dict(state)
    assert scheduler.state_dict() == {
        "last_epoch": state["last_epoch"],
        "base_lrs": state.get("base_lrs", [0.1]),
        **settings,
    }
    assert scheduler.get_last_lr() == [pytest.approx(expected, rel=1e-12)]


def test_a_users_scheduler_that_checks_nothing_loads_its_saved_settings() -> None:
    """A subclass naming its settings in _SETTINGS without _checked_settings (as its docstring's
    example does) saved them, and a load dropped them: the scheduler built with epochs=5 went on
    with 5, not the saved 2 (a resumed run followed another schedule, with no error)."""

    class HalvedAfter(optim.LRScheduler):
        _SETTINGS = ("epochs",)

        def __init__(self, optimizer: optim.Optimizer, epochs: int) -> None:
            self.epochs = epochs
            super().__init__(optimizer)

        def lr_at(self, base_lr: float, t: int) -> float:
            return base_lr if t < self.epochs else base_lr / 2

    saved = HalvedAfter(optim.SGD([Parameter(np.zeros(1))], lr=0.1), epochs=2)
    for _ in range(3):
        saved.step()
    loaded = HalvedAfter(optim.SGD([Parameter(np.zeros(1))], lr=0.1), epochs=5)
    loaded.load_state_dict(saved.state_dict())
    assert (loaded.epochs, loaded.get_last_lr()) == (2, [0.05])


def test_settings_loaded_from_numpy_are_saved_as_plain_numbers() -> None:
    scheduler = _step(_sgd((0.1,)))
    scheduler.load_state_dict({"last_epoch": np.int64(3), "step_size": np.int64(3), "gamma": np.float32(0.5)})
    saved = scheduler.state_dict()
    assert saved == {"scheduler": "StepLR", "last_epoch": 3, "base_lrs": [0.1], "step_size": 3, "gamma": 0.5}
    assert [type(saved[k]) for k in ("last_epoch", "step_size", "gamma")] == [int, int, float]


@pytest.mark.parametrize(
    ("make", "key", "value", "error", "match"),
    [
        (_step, "step_size", 0, ValueError, r"^StepLR step_size must be a positive integer, got 0$"),
        (
            _step,
            "step_size",
            2.0,
            TypeError,
            r"^StepLR step_size must be a positive integer, got 2\.0 \(float\)$",
        ),
        (
            _step,
            "step_size",
            True,
            TypeError,
            r"^StepLR step_size must be a positive integer, got True \(bool\)$",
        ),
        (_step, "gamma", "0.5", TypeError, r"^StepLR gamma must be a number, got '0\.5' \(str\)$"),
        (_step, "gamma", 0.0, ValueError, r"^StepLR gamma must be > 0\.0, got 0\.0$"),
        (
            _exponential,
            "gamma",
            None,
            TypeError,
            r"^ExponentialLR gamma must be a number, got None \(NoneType\)$",
        ),
        (_exponential, "gamma", float("nan"), ValueError, r"^ExponentialLR gamma must be finite, got nan$"),
        (_exponential, "gamma", -0.5, ValueError, r"^ExponentialLR gamma must be > 0\.0, got -0\.5$"),
        (_cosine, "t_max", -3, ValueError, r"^CosineLR t_max must be a positive integer, got -3$"),
        (_cosine, "t_max", "6", TypeError, r"^CosineLR t_max must be a positive integer, got '6' \(str\)$"),
        (_cosine, "eta_min", -0.1, ValueError, r"^CosineLR eta_min must be >= 0\.0, got -0\.1$"),
        (_cosine, "warmup", -1, ValueError, r"^CosineLR warmup must be a non-negative integer, got -1$"),
        (
            _cosine,
            "warmup",
            1.5,
            TypeError,
            r"^CosineLR warmup must be a non-negative integer, got 1\.5 \(float\)$",
        ),
        (
            _cosine,
            "warmup",
            "2",
            TypeError,
            r"^CosineLR warmup must be a non-negative integer, got '2' \(str\)$",
        ),
        (
            _cosine,
            "warmup_start_factor",
            1.5,
            ValueError,
            r"^CosineLR warmup_start_factor must be in \[0, 1\], got 1\.5$",
        ),
        (
            _cosine,
            "warmup_start_factor",
            math.inf,
            ValueError,
            r"^CosineLR warmup_start_factor must be finite, got inf$",
        ),
    ],
    ids=[
        "step_size 0",
        "step_size float",
        "step_size bool",
        "step gamma str",
        "step gamma 0",
        "exponential gamma None",
        "exponential gamma NaN",
        "exponential gamma < 0",
        "t_max < 0",
        "t_max str",
        "eta_min < 0",
        "warmup < 0",
        "warmup float",
        "warmup str",
        "warmup_start_factor > 1",
        "warmup_start_factor inf",
    ],
)
def test_a_bad_setting_in_a_state_is_refused_as_the_constructor_refuses_it(
    make: Any, key: str, value: Any, error: type[Exception], match: str
) -> None:
    scheduler = make(_sgd())
    scheduler.step()
    before = _everything(scheduler)
    with pytest.raises(error, match=match) as loaded:
        scheduler.load_state_dict({"last_epoch": 5, key: value})
    assert _everything(scheduler) == before
    with pytest.raises(error, match=match) as built:
        make(_sgd(), **{key: value})
    assert str(loaded.value) == str(built.value)


@pytest.mark.parametrize(
    ("make", "state", "match"),
    [
        (
            _step,
            lambda: _cosine(_sgd()).state_dict(),
            r"^scheduler state has unknown keys \['eta_min', 't_max', 'warmup', 'warmup_start_factor'\]; "
            r"StepLR takes last_epoch, base_lrs, step_size, gamma$",
        ),
        (
            _exponential,
            lambda: _step(_sgd()).state_dict(),
            r"^scheduler state has unknown keys \['step_size'\]; ExponentialLR takes last_epoch, base_lrs, gamma$",
        ),
        (
            _cosine,
            lambda: _exponential(_sgd()).state_dict(),
            r"^scheduler state has unknown keys \['gamma'\]; "
            r"CosineLR takes last_epoch, base_lrs, t_max, eta_min, warmup, warmup_start_factor$",
        ),
        (  # torch's spelling of t_max
            _cosine,
            lambda: {"last_epoch": 1, "T_max": 6},
            r"^scheduler state has unknown keys \['T_max'\]; CosineLR takes .*, t_max,",
        ),
    ],
    ids=["cosine into step", "step into exponential", "exponential into cosine", "torch's T_max"],
)
def test_a_state_of_another_scheduler_is_refused_naming_the_keys(make: Any, state: Any, match: str) -> None:
    scheduler = make(_sgd())
    scheduler.step()
    before = _everything(scheduler)
    with pytest.raises(ValueError, match=match):
        scheduler.load_state_dict(state())
    assert _everything(scheduler) == before


@pytest.mark.parametrize(
    ("make", "state", "match"),
    [
        (  # only the settings change: step 1030's rate of γ = 0.5 is 8.7e-311, of γ = 2 past 1.8e308
            lambda o: _exponential(o, gamma=0.5),
            {"last_epoch": 1030, "base_lrs": [1.0, 1.0], "gamma": 2.0},
            r"ExponentialLR rate at step 1030 is beyond float64: 1\.0 · 2\.0\^1030",
        ),
        (  # the first group's rate can be had, the second's cannot
            lambda o: _step(o, step_size=5),
            {"last_epoch": 2050, "base_lrs": [0.0, 1.0], "step_size": 2, "gamma": 2.0},
            r"StepLR rate at step 2050 is beyond float64: 1\.0 · 2\.0\^1025",
        ),
    ],
    ids=["exponential", "step"],
)
def test_settings_that_make_the_rate_beyond_float64_change_nothing(
    make: Any, state: dict[str, Any], match: str
) -> None:
    """The settings are set before the rates are computed (lr_at reads them): a refused rate
    must put them back with base_lrs and last_epoch, and leave the groups' lr alone."""
    scheduler, twin = make(_sgd()), make(_sgd())
    scheduler.load_state_dict({"last_epoch": state["last_epoch"], "base_lrs": [1.0, 1.0]})
    twin.load_state_dict({"last_epoch": state["last_epoch"], "base_lrs": [1.0, 1.0]})
    before = _everything(scheduler)
    with pytest.raises(ValueError, match=match):
        scheduler.load_state_dict(state)
    assert _everything(scheduler) == before
    for _ in range(3):  # and it goes on with its own settings
        scheduler.step()
        twin.step()
        assert _everything(scheduler) == _everything(twin)


# glassnet's name for a setting where torch's differs: CosineLR's t_max is CosineAnnealingLR's
# T_max (glassnet keeps its own, lower-case, parameter name); eta_min is the same in both.
TORCH_NAMES = {"t_max": "T_max"}


@pytest.mark.parametrize(
    ("ours", "theirs", "ours_only"),
    [
        (lambda o: optim.StepLR(o, 3, 0.5), lambda ls, o: ls.StepLR(o, 3, 0.5), set()),
        (lambda o: optim.ExponentialLR(o, 0.9), lambda ls, o: ls.ExponentialLR(o, 0.9), set()),
        (  # the warm-up is torch's LinearLR's, in a SequentialLR, not CosineAnnealingLR's
            lambda o: optim.CosineLR(o, 7, eta_min=0.01),
            lambda ls, o: ls.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
            {"warmup", "warmup_start_factor"},
        ),
    ],
    ids=["step", "exponential", "cosine"],
)
def test_the_settings_in_a_state_are_named_and_valued_as_torchs(
    ours: Any, theirs: Any, ours_only: set[str], torch: Any
) -> None:
    ours_opt, theirs_opt = _optimizers(torch, (0.1, 0.03))
    scheduler, reference = ours(ours_opt), theirs(torch.optim.lr_scheduler, theirs_opt)
    for _ in range(4):
        ours_opt.step()
        theirs_opt.step()
        scheduler.step()
        reference.step()
    saved, torch_saved = scheduler.state_dict(), reference.state_dict()
    shared = set(saved) - ours_only - {"scheduler"}  # glassnet's own: torch's state names no class
    for key in sorted(shared):
        theirs_key = TORCH_NAMES.get(key, key)
        assert theirs_key in torch_saved, key
        assert saved[key] == torch_saved[theirs_key], key
        assert type(saved[key]) is type(torch_saved[theirs_key]), key
    assert {"last_epoch", "base_lrs"} < shared


@pytest.mark.parametrize("warmup", [0, 3])
@pytest.mark.parametrize(("lr", "eta_min"), [(0.3, 0.03), (0.01, 0.001), (1e-3, 1e-4)])
def test_the_cosines_first_rate_is_the_learning_rate_itself(warmup: int, lr: float, eta_min: float) -> None:
    """η_min + (η₀ − η_min) rounds 1 ulp above η₀ for these pairs: the peak epoch's rate read
    0.30000000000000004 in history.csv, and the divergence advice named it beside the 0.3 given
    as if the schedule had moved it. torch's CosineAnnealingLR starts at η₀ itself."""
    from glassnet.train import TrainConfig
    from glassnet.train._trainer import _LearningRates

    scheduler = optim.CosineLR(_sgd((lr,)), t_max=5, eta_min=eta_min, warmup=warmup, warmup_start_factor=0.1)
    for _ in range(warmup):
        scheduler.step()
    assert scheduler.get_last_lr() == [lr]
    config = TrainConfig(lr=lr, epochs=8, schedule="cosine", warmup_epochs=warmup, min_lr_factor=eta_min / lr)
    assert _LearningRates(config)(warmup) == lr


def test_a_state_of_another_scheduler_with_the_same_keys_is_refused() -> None:
    """ExponentialLR's state holds gamma, a StepLR setting too: it loaded into a StepLR, whose
    rate went from 0.0125 back to 0.1 without a word."""
    exponential = optim.ExponentialLR(_sgd((0.1,)), 0.5)
    for _ in range(3):
        exponential.step()
    scheduler = optim.StepLR(_sgd((0.1,)), step_size=10)
    before = _everything(scheduler)
    with pytest.raises(
        ValueError, match=r"^StepLR.load_state_dict got a state saved by 'ExponentialLR', not by StepLR$"
    ):
        scheduler.load_state_dict(exponential.state_dict())
    assert _everything(scheduler) == before

    class Halving(optim.StepLR):  # a subclass takes its base's states, as an optimizer's does
        pass

    subclass = Halving(_sgd((0.1,)), step_size=10)
    subclass.load_state_dict(_step(_sgd((0.1,))).state_dict())
    assert subclass.state_dict()["scheduler"] == "StepLR"
    scheduler.load_state_dict({"last_epoch": 3, "gamma": 0.5})  # a state without the class: taken
    assert scheduler.get_last_lr() == [0.1]


def test_base_lrs_set_by_hand_are_saved_as_plain_numbers() -> None:
    """The state kept the list as set: np.float32(0.05) made json.dumps fail, where the
    docstring promises plain Python numbers; an array was refused only at the next step()."""
    scheduler = _step(_sgd((0.1,)))
    scheduler.base_lrs = [np.float32(0.05)]
    saved = scheduler.state_dict()
    assert saved["base_lrs"] == [float(np.float32(0.05))] and type(saved["base_lrs"][0]) is float
    json.dumps(saved)
    scheduler.base_lrs = np.array([0.05])  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"^base_lrs must be a list of 1 rate\(s\), one per parameter group"):
        scheduler.state_dict()


# -- metrics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "labels", "match"),
    [
        (np.zeros((2, 3)), np.zeros((3, 2)), r"same shape, got \(2, 3\) and \(3, 2\)"),
        (np.zeros((3, 2)), np.zeros(6), r"same shape, got \(3, 2\) and \(6,\)"),
        (np.zeros(4), np.zeros((2, 2)), r"same shape, got \(4,\) and \(2, 2\)"),
    ],
)
def test_accuracy_refuses_shapes_that_pair_only_when_flattened(
    prediction: Any, labels: Any, match: str
) -> None:
    """They were flattened and paired in the wrong order: accuracy 1.0 for (2, 3) against (3, 2)."""
    with pytest.raises(ValueError, match=match):
        classification_metrics(prediction, labels, threshold=0.5)


def test_a_nan_prediction_makes_the_accuracy_nan_not_a_class_0_vote() -> None:
    """NaN > t is False: [nan, -1, 2] against [1, 0, 1] measured 2/3, as if NaN were a
    confident class 0; an RMSE of the same predictions is NaN."""
    accuracy = classification_metrics([np.nan, -1.0, 2.0], [1.0, 0.0, 1.0], threshold=0.0)["accuracy"]
    assert np.isnan(accuracy)
    assert classification_metrics([-np.inf, -1.0, np.inf], [0.0, 0.0, 1.0], threshold=0.0) == {
        "accuracy": 1.0
    }


def test_accuracy_takes_a_column_against_a_vector_and_two_outputs_against_two() -> None:
    """What the shape check must keep (passed before the fix too)."""
    labels = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    prediction = np.array([[0.9, 0.2], [0.7, 0.6], [0.1, 0.8]])
    assert classification_metrics(prediction, labels, threshold=0.5) == {"accuracy": 4 / 6}
    assert classification_metrics(prediction[:, :1], labels[:, 0], threshold=0.5) == {"accuracy": 1 / 3}


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ([1.0, 2.0, 1.0], r"labels must be 0/1 \(or probabilities in \[0, 1\]\), got 2 at index 1"),
        ([-1.0, 1.0, 1.0], r"got -1 at index 0"),
        ([0.0, 1.0, np.nan], r"got nan at index 2"),
    ],
)
def test_accuracy_refuses_labels_that_are_not_classes_0_and_1(labels: list[float], match: str) -> None:
    """Labels 1/2 were all read as class 1, and NaN as class 0: a wrong accuracy, silently."""
    with pytest.raises(ValueError, match=match):
        classification_metrics([0.9, 0.8, 0.1], labels, threshold=0.5)


@pytest.mark.parametrize("metrics", ["regression", "classification"])
@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        (np.array([1 + 2j, 0.0, 1.0]), TypeError, r"must be an array of numbers .*got complex numbers"),
        (["1", "0", "1"], TypeError, r"must be an array of numbers .*got strings"),
        ([1.0, None, 0.0], TypeError, r"must be an array of numbers .*holding NoneType at index \(1,\)"),
    ],
    ids=["complex", "strings", "None"],
)
def test_metrics_refuse_values_that_are_not_real_numbers(
    metrics: str, values: Any, error: type[Exception], match: str
) -> None:
    """Complex numbers lost their imaginary part and strings were parsed, silently."""
    with pytest.raises(error, match=f"predictions {match}"):
        if metrics == "regression":
            regression_metrics(values, [1.0, 0.0, 1.0])
        else:
            classification_metrics(values, [1.0, 0.0, 1.0], threshold=0.5)


# -- ensembles -------------------------------------------------------------------------------

SPEC = MLPSpec((2, 3, 1))


def _weights(seed: int) -> dict[str, Any]:
    return build_mlp(SPEC, rng=np.random.default_rng(seed)).state_dict()


@pytest.mark.parametrize(
    ("members", "error", "match"),
    [
        (_weights(0), TypeError, r"members must be a list of weight dicts, one per member, got one dict"),
        (None, TypeError, r"members must be a list of weight dicts, one per member, got NoneType"),
        ("0.weight", TypeError, r"one per member, got str"),
        (
            [build_mlp(SPEC, rng=np.random.default_rng(0))],
            TypeError,
            r"member 0 weights must be a dict of arrays \(model.state_dict\(\)\), got MLP",
        ),
        ([_weights(0), list(_weights(1).values())], TypeError, r"member 1 weights must be a dict .*got list"),
        ([], ValueError, r"an ensemble needs at least one member"),
    ],
    ids=["one dict", "None", "str", "a model", "a list of arrays", "empty"],
)
def test_ensemble_refuses_members_given_wrongly_in_one_line(
    members: Any, error: type[Exception], match: str
) -> None:
    """One member's dict read as its keys' characters ("unexpected ['.', '0', 'e', …]"), a model
    as "'<' not supported between instances of 'Linear' and 'ReLU'"."""
    with pytest.raises(error, match=match):
        Ensemble(SPEC, members)


def test_ensemble_takes_members_from_any_iterable() -> None:
    """A generator of members was refused: "object of type 'generator' has no len()"."""
    listed = Ensemble(SPEC, [_weights(0), _weights(1)])
    generated = Ensemble(SPEC, (_weights(seed) for seed in range(2)))
    x = np.random.default_rng(3).normal(size=(4, 2))
    assert len(generated) == 2
    np.testing.assert_array_equal(generated.predict(x), listed.predict(x))


def test_a_schedule_of_ones_own_may_read_base_lrs_and_last_epoch_in_lr_at() -> None:
    """lr_at was called before base_lrs and last_epoch were set (AttributeError at construction)."""

    class HalveFirstRate(optim.LRScheduler):
        def lr_at(self, base_lr: float, t: int) -> float:
            return base_lr * 0.5**t if base_lr == self.base_lrs[0] else base_lr

    model = Linear(2, 1, rng=np.random.default_rng(0))
    opt = optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.3}], lr=0.1)
    scheduler = HalveFirstRate(opt)
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05, 0.3] and scheduler.last_epoch == 1


def test_predict_raw_refuses_a_model_of_several_outputs() -> None:
    """It returned the first output alone, the others dropped without a word."""
    from glassnet.spec import MLPSpec, build_mlp
    from glassnet.train import Ensemble, predict_raw

    spec = MLPSpec(sizes=(2, 3, 2))
    ensemble = Ensemble(spec, [build_mlp(spec, rng=np.random.default_rng(0)).state_dict()])
    with pytest.raises(ValueError, match=r"^predict_raw takes a model of one output, got 2; use Ensemble"):
        predict_raw(ensemble, None, np.ones((4, 2)))


# -- names: a typo is refused, not read as another activation or loss --------------------------


@pytest.mark.parametrize("name", ["Sigmoid", "sigmod", "", 1, ["sigmoid"]])
def test_unknown_output_activation_is_refused(name: Any) -> None:
    from glassnet.train import class_probability, decision_threshold

    with pytest.raises(ValueError, match=r"output_activation must be None or one of .*sigmoid.*got"):
        class_probability([0.9], name)
    with pytest.raises(ValueError, match=r"output_activation must be None or one of .*sigmoid.*got"):
        decision_threshold(name)


def test_known_output_activations_keep_their_meaning() -> None:
    from glassnet.train import class_probability, decision_threshold

    assert decision_threshold("sigmoid") == 0.5
    assert decision_threshold(None) == 0.0
    assert decision_threshold("identity") == 0.0
    np.testing.assert_allclose(class_probability([0.0], None), [0.5])
    np.testing.assert_array_equal(class_probability([0.9], "sigmoid"), [0.9])


def test_class_probability_of_a_probability_is_a_new_array() -> None:
    from glassnet.train import class_probability

    given = np.array([0.2, 0.9])
    probability = class_probability(given, "sigmoid")
    assert probability is not given
    probability[0] = 7.0
    np.testing.assert_array_equal(given, [0.2, 0.9])


def test_class_probability_of_a_very_negative_logit_is_not_clipped() -> None:
    """Logits were clipped to ±700 first: −710, −745, −1000 and −∞ all read 9.86e-305, which
    predict writes out in full. σ(−710) = 4.5e-309, σ(−745) the smallest subnormal, σ(−1000) =
    σ(−∞) = 0; above −700 the numbers are 1 / (1 + e^(−ŷ))'s to the bit, as before."""
    from glassnet.train import class_probability

    z = np.array([-1000.0, -745.0, -710.0, -np.inf, 710.0, np.inf])
    probability = class_probability(z, None)
    np.testing.assert_array_equal(probability, [0.0, 5e-324, probability[2], 0.0, 1.0, 1.0])
    assert probability[2] == pytest.approx(4.476286225675e-309, rel=1e-9)
    moderate = np.random.default_rng(0).uniform(-699.0, 40.0, size=2000)
    np.testing.assert_array_equal(class_probability(moderate, None), 1.0 / (1.0 + np.exp(-moderate)))


@pytest.mark.parametrize("loss", ["MSE", "mse ", "l2", None])
def test_evaluate_parts_refuses_an_unknown_loss(loss: Any) -> None:
    from glassnet.train import evaluate_parts

    ensemble = Ensemble(SPEC, [_weights(0)])
    x, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match=r"loss must be one of .*mse.*got"):
        evaluate_parts(ensemble, None, x, y, {"train": np.arange(4)}, loss=loss)
    assert "rmse" in evaluate_parts(ensemble, None, x, y, {"train": np.arange(4)}, loss="mse")["train"]
