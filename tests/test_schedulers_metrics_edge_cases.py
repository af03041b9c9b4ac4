"""Schedules, metrics and ensembles at their edges: rates past float64, shapes that pair only
when flattened, labels that are not classes, members given in the wrong form."""

from __future__ import annotations

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
