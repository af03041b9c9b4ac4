"""What a REPL shows for optimizers, schedules, losses and explanations: the settings in use
(an optimizer's groups, not its defaults; a schedule's step and rate), those of a loss that
differ from the usual, and a line, not 6,800 characters, for an explanation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glassnet import optim
from glassnet.explain import Explanation, explain_exercise, format_for
from glassnet.losses import BCELoss, HalfSquaredError, LogisticLoss, Loss, MSELoss
from glassnet.nn import Parameter

ADAM_REST = "betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False"
SGD_REST = "momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False"


def _parameter(size: int = 2) -> Parameter:
    return Parameter(np.zeros(size))


def test_an_optimizer_shows_the_rate_a_schedule_set_not_the_one_it_was_built_with() -> None:
    opt = optim.Adam([_parameter()], lr=0.1)
    schedule = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        schedule.step()
    assert opt.param_groups[0]["lr"] == 0.0125
    assert repr(opt) == f"Adam(lr=0.0125, {ADAM_REST})"  # the rate the schedule set, not the default
    assert repr(schedule) == "StepLR(step_size=1, gamma=0.5, base_lr=0.1, last_epoch=3, last_lr=0.0125)"


def test_an_optimizer_of_two_groups_shows_each_groups_settings_on_its_line() -> None:
    groups: list[dict[str, Any]] = [{"params": [_parameter()], "lr": 0.5}, {"params": [_parameter(3)]}]
    opt = optim.SGD(groups, lr=0.01)
    assert repr(opt) == (
        f"SGD(\n  (group 0): lr=0.5, {SGD_REST}\n  (group 1): lr=0.01, {SGD_REST}\n)"
    )  # each group its own rate, not the default for both


def test_an_optimizer_shows_settings_changed_by_hand_or_loaded() -> None:
    opt = optim.SGD([_parameter()], lr=0.1, momentum=0.9)
    opt.param_groups[0]["lr"] = 0.05
    assert repr(opt) == "SGD(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)"
    other = optim.SGD([_parameter()], lr=0.3, nesterov=True, momentum=0.5)
    other.load_state_dict(opt.state_dict())
    assert repr(other) == repr(opt)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: optim.Adam(p), f"Adam(lr=0.001, {ADAM_REST})"),
        (
            lambda p: optim.AdamW(p, lr=0.02),
            "AdamW(lr=0.02, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False)",
        ),
        # NumPy scalars read as plain numbers, not np.float64(0.01)
        (
            lambda p: optim.Adam(p, lr=np.float64(0.01), betas=np.array([0.9, 0.99])),  # type: ignore[arg-type]
            "Adam(lr=0.01, betas=(0.9, 0.99), eps=1e-08, weight_decay=0.0, amsgrad=False)",
        ),
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            "SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True)",
        ),
    ],
)
def test_an_optimizer_of_one_group_is_one_line_of_its_settings(
    make: Callable[[list[Parameter]], optim.Optimizer], expected: str
) -> None:
    assert repr(make([_parameter()])) == expected


def test_schedules_show_their_settings_their_step_and_the_rate_they_set() -> None:
    exponential = optim.ExponentialLR(optim.SGD([_parameter()], lr=1.0), gamma=0.5)
    assert repr(exponential) == "ExponentialLR(gamma=0.5, base_lr=1.0, last_epoch=0, last_lr=1.0)"
    exponential.step()
    exponential.step()
    assert repr(exponential) == "ExponentialLR(gamma=0.5, base_lr=1.0, last_epoch=2, last_lr=0.25)"
    # warm-up 0.25, 0.375, then the cosine from 0.5 (t = 2) down to eta_min (t = 6)
    cosine = optim.CosineLR(
        optim.SGD([_parameter()], lr=0.5), t_max=4, eta_min=0.125, warmup=2, warmup_start_factor=0.5
    )
    settings = "t_max=4, eta_min=0.125, warmup=2, warmup_start_factor=0.5"
    seen = [repr(cosine)]
    for _ in range(6):
        cosine.step()
        seen.append(repr(cosine))
    assert seen[0] == f"CosineLR({settings}, base_lr=0.5, last_epoch=0, last_lr=0.25)"
    assert seen[1] == f"CosineLR({settings}, base_lr=0.5, last_epoch=1, last_lr=0.375)"
    assert seen[2] == f"CosineLR({settings}, base_lr=0.5, last_epoch=2, last_lr=0.5)"
    assert seen[6] == f"CosineLR({settings}, base_lr=0.5, last_epoch=6, last_lr=0.125)"


def test_a_schedule_on_two_groups_lists_a_rate_per_group() -> None:
    groups: list[dict[str, Any]] = [{"params": [_parameter()], "lr": 0.5}, {"params": [_parameter()]}]
    opt = optim.SGD(groups, lr=0.25)
    schedule = optim.StepLR(opt, step_size=2, gamma=0.5)
    schedule.step()
    schedule.step()
    assert repr(schedule) == (
        "StepLR(step_size=2, gamma=0.5, base_lrs=[0.5, 0.25], last_epoch=2, last_lr=[0.25, 0.125])"
    )
    assert repr(opt) == f"SGD(\n  (group 0): lr=0.25, {SGD_REST}\n  (group 1): lr=0.125, {SGD_REST}\n)"


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        (MSELoss(), "MSELoss(reduction='mean')"),
        (HalfSquaredError(), "HalfSquaredError(reduction='sum')"),
        (BCELoss(), "BCELoss(reduction='mean')"),
        (BCELoss(eps=1e-3), "BCELoss(reduction='mean', eps=0.001)"),  # a given eps shown
        (BCELoss("sum", eps=0.25), "BCELoss(reduction='sum', eps=0.25)"),
        (LogisticLoss(), "LogisticLoss(labels='01', reduction='mean')"),
        (LogisticLoss(strict_labels=True), "LogisticLoss(labels='01', reduction='mean')"),
        # strict_labels=False shown: the literal formula must not read as the strict one
        (
            LogisticLoss(strict_labels=False),
            "LogisticLoss(labels='01', reduction='mean', strict_labels=False)",
        ),
        (
            LogisticLoss("pm1", "sum", strict_labels=False),
            "LogisticLoss(labels='pm1', reduction='sum', strict_labels=False)",
        ),
    ],
)
def test_a_loss_shows_its_reduction_and_the_settings_that_differ_from_the_default(
    loss: Loss, expected: str
) -> None:
    assert repr(loss) == expected


CHECK = r"(0\.0|[1-9](\.\d)?e-(1[0-9]|0?[89]))"  # a |Δ| to two digits, below 1e-7


def test_an_explanation_is_one_line_of_what_it_explains() -> None:
    shown = repr(explain_exercise(check_torch=False))
    assert re.fullmatch(
        r"Explanation\(sizes=\[2, 3, 1\], "
        r"loss=LogisticLoss\(labels='01', reduction='mean', strict_labels=False\), "
        r"params=\['w12h'\], learning_rate=0\.1, "
        rf"checks=\{{'finite_difference': {CHECK}, 'torch': 'skipped'\}}, alternative=True\)",
        shown,
    ), shown
    assert len(shown) < 250  # one line, not the nested dataclasses' thousands of characters


def test_an_explanation_names_a_table_steps_and_the_torch_check(torch: Any) -> None:
    shown = repr(explain_exercise(params=["w12h", "b1o"], all_params=True, steps=2))
    assert re.fullmatch(
        r"Explanation\(sizes=\[2, 3, 1\], "
        r"loss=LogisticLoss\(labels='01', reduction='mean', strict_labels=False\), "
        r"params=\['w12h', 'b1o'\], all_params=True, steps=2, learning_rate=0\.1, "
        rf"checks=\{{'finite_difference': {CHECK}, 'torch': {CHECK}\}}, alternative=True\)",
        shown,
    ), shown


def test_an_explanation_built_by_hand_from_something_else_still_shows() -> None:
    odd = Explanation("by hand", None)  # type: ignore[arg-type]
    assert repr(odd) == "Explanation(title='by hand', derivation=NoneType)"


@pytest.mark.parametrize(
    "documented",
    [
        Loss.value_and_grad,
        Loss.reduce,
        optim.Optimizer.zero_grad,
        optim.LRScheduler.step,
        Explanation.to_json,
        format_for,
    ],
    ids=lambda f: f.__qualname__,
)
def test_the_public_methods_the_review_named_have_docstrings(documented: Callable[..., Any]) -> None:
    assert documented.__doc__ and documented.__doc__.strip()


def test_settings_in_a_list_and_float32_settings_are_written_plainly() -> None:
    """A group's betas given as a list of NumPy numbers, written as Python numbers (0.8, not
    np.float64(0.8)); a float32 rate as the float64 number the updates use (the float32 0.1's,
    as torch takes it)."""
    parameter = Parameter(np.zeros(2))
    group = {"params": [parameter], "betas": [np.float64(0.8), np.float64(0.9)], "lr": np.float32(0.1)}
    assert (
        repr(optim.Adam([group]))
        == "Adam(lr=0.10000000149011612, betas=[0.8, 0.9], eps=1e-08, weight_decay=0.0, amsgrad=False)"
    )


def test_a_gradcheck_report_is_one_line_and_ipython_shows_its_table() -> None:
    """The dataclass repr wrote out every gradient array: 15,184 characters for a 3→16→16→1
    network, which a notebook cell ending in ``gradcheck(...)`` showed (a review of Jupyter use)."""
    from glassnet import gradcheck
    from glassnet.nn import MLP

    model = MLP([3, 16, 16, 1], activation="tanh", rng=np.random.default_rng(0))
    report = gradcheck(model, MSELoss(), np.random.default_rng(1).normal(size=(4, 3)), np.zeros((4, 1)))
    assert re.fullmatch(
        r"GradcheckReport\(all ok: 6 arrays, max abs err \d\.\d{3}e-\d\d, max rel err \d\.\d{3}e-\d\d, eps=1e-06\)",
        repr(report),
    )
    assert re.fullmatch(
        r"GradientComparison\('0\.weight', shape \(16, 3\), ok, max abs err \S+, rel err \S+\)",
        repr(report.comparisons[0]),
    )

    class Printer:  # IPython's RepresentationPrinter, as far as _repr_pretty_ uses it
        def __init__(self) -> None:
            self.written = ""

        def text(self, text: str) -> None:
            self.written += text

    printer = Printer()
    report._repr_pretty_(printer, cycle=False)
    assert printer.written == str(report) and printer.written.endswith(
        "all ok (central differences, eps=1e-06, float64)"
    )


def test_a_dataset_and_a_trainer_are_one_line_of_what_they_hold() -> None:
    """A Dataset printed its arrays (several lines of numbers), a Trainer the default
    ``<glassnet.train._trainer.Trainer object at 0x…>`` (a review of the docstrings, 2026-11-28)."""
    from glassnet.data import Dataset
    from glassnet.train import TrainConfig, Trainer

    x = np.arange(12.0).reshape(6, 2)
    data = Dataset(x, x[:, 0], ("f", "g"), ("Hz", ""), "level", "dB", None)
    assert repr(data) == "Dataset(6 rows, 2 features (f [Hz], g), target level [dB], source=None)"
    trainer = Trainer(TrainConfig(hidden=(3,), epochs=2), x, x[:, 0], x[:2], x[:2, 0])
    assert repr(trainer) == (
        "Trainer(6 training rows, 2 validation rows, sizes=(2, 3, 1), engine='numpy', optimizer='adamw', "
        "epochs=2, ensemble=1, refit=True)"
    )
