"""Trainer: engine parity, resume equality, divergence, early stopping, ensembles, configuration checks."""

from __future__ import annotations

import copy
import itertools
import json
import math
import pickle
import re
import signal
import warnings
from typing import Any

import numpy as np
import pytest

from glassnet import _signals
from glassnet._signals import StopSignals
from glassnet.data import Preprocessor, load_airfoil, make_moons, train_val_test_split
from glassnet.losses import MSELoss
from glassnet.spec import build_mlp
from glassnet.train import (
    MOONS_CONFIG,
    ORDER_STREAM,
    Ensemble,
    SplitSettings,
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    TrainResult,
    class_probability,
    classification_metrics,
    decision_threshold,
    fit,
    moons_data,
    regression_metrics,
    train_moons,
)
from glassnet.train._engines import NumpyEngine, TorchEngine, make_glassnet_optimizer
from glassnet.train._tasks import MOONS_STREAM

Array = np.ndarray[Any, Any]


@pytest.fixture(scope="module")
def airfoil() -> tuple[Array, Array, Array, Array, float]:
    """Standardised airfoil rows: 1000 training rows (10 batches of 100), 120 validation rows."""
    data = load_airfoil()
    split = train_val_test_split(len(data), rng=np.random.default_rng(0))
    train, val = split.train[:1000], split.val[:120]
    prep = Preprocessor(log_columns=(0, 4)).fit(data.X[train], data.y[train])
    scale = float(prep.inverse_transform_y(np.array([1.0]))[0] - prep.inverse_transform_y(np.array([0.0]))[0])
    x, y = prep.transform_x(data.X), prep.transform_y(data.y)
    return x[train], y[train], x[val], y[val], scale


def small(**changes: Any) -> TrainConfig:
    base = TrainConfig(
        hidden=(16, 16),
        optimizer="adam",
        lr=3e-3,
        weight_decay=0.0,
        schedule="cosine",
        warmup_epochs=2,
        batch_size=100,
        epochs=8,
        seed=7,
        refit=False,  # one pass: these tests look at the validation pass itself
    )
    return base.replace(**changes)


def test_engines_agree_after_100_adam_steps(airfoil: Any, torch: Any) -> None:
    """5→64→64→1 in float64, same initial weights and batches: weights within 1e-9 after 100 steps."""
    x, y, xv, yv, scale = airfoil
    config = small(hidden=(64, 64), epochs=10, schedule="constant", lr=1e-3)  # 10 epochs x 10 batches
    results = {
        engine: Trainer(config.replace(engine=engine), x, y, xv, yv, target_scale=scale).run()
        for engine in ("numpy", "torch")
    }
    ours, theirs = results["numpy"], results["torch"]
    assert ours.status == theirs.status == "completed"
    for name, value in ours.weights[0].items():
        np.testing.assert_allclose(value, theirs.weights[0][name], rtol=0, atol=1e-9, err_msg=name)
    assert len(ours.history) == len(theirs.history) == 10
    for a, b in zip(ours.history, theirs.history, strict=True):
        for key in ("train_loss", "val_loss", "val_rmse", "train_rmse"):
            assert a[key] == pytest.approx(b[key], rel=1e-10, abs=1e-12), key


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "adamw", "weight_decay": 1e-2, "clip_norm": 0.5},
        {"optimizer": "sgd", "momentum": 0.9, "lr": 1e-2, "schedule": "step", "step_size": 2},
        {
            "optimizer": "adam",
            "weight_decay": 1e-3,
            "schedule": "exponential",
            "gamma": 0.9,
            "batch_size": 64,
        },
        {"batch_size": 333},  # 1000 rows: three batches of 333, then one of a single row
        {"optimizer": "sgd", "momentum": 0.9, "lr": 1e-2, "weight_decay": 1e-2, "clip_norm": 0.1},
        {"warmup_epochs": 20, "min_lr_factor": 0.3},  # a warm-up longer than the run
        {"loss": "half_sse", "lr": 1e-4, "batch_size": 64, "schedule": "constant"},
    ],
)
def test_engines_agree_for_other_settings(changes: dict[str, Any], airfoil: Any, torch: Any) -> None:
    x, y, xv, yv, _ = airfoil
    config = small(epochs=4, **changes)
    ours = Trainer(config, x, y, xv, yv).run()
    theirs = Trainer(config.replace(engine="torch"), x, y, xv, yv).run()
    for name, value in ours.weights[0].items():
        np.testing.assert_allclose(value, theirs.weights[0][name], rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize(
    "changes",
    [
        {},  # the exercise's settings: Adam, batches of 32
        {"optimizer": "sgd", "momentum": 0.9, "lr": 0.1},
        {"optimizer": "adamw", "weight_decay": 1e-2, "clip_norm": 0.5, "batch_size": 48},
    ],
)
def test_engines_agree_on_the_logistic_loss(changes: dict[str, Any], torch: Any) -> None:
    """Logits and 0/1 labels (moons), float64: torch's binary_cross_entropy_with_logits and
    glassnet's logistic loss give the same weights and the same per-epoch losses. SGD is
    among the settings because Adam hardly moves when every gradient is scaled alike: only
    the reported loss would show a loss scaled by a constant there."""
    x, y = moons_data(200, seed=1)
    xv, yv = moons_data(100, seed=2)
    config = MOONS_CONFIG.replace(hidden=(16,), epochs=10, refit=False, **changes)
    assert config.loss == "logistic" and config.dtype == "float64"
    ours = Trainer(config, x, y, xv, yv).run()
    theirs = Trainer(config.replace(engine="torch"), x, y, xv, yv).run()
    for name, value in ours.weights[0].items():
        np.testing.assert_allclose(value, theirs.weights[0][name], rtol=0, atol=1e-10, err_msg=name)
    assert len(ours.history) == len(theirs.history) == 10
    for a, b in zip(ours.history, theirs.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-10)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-10)


SYNCING = ("item", "tolist", "__float__", "__int__", "__bool__", "numpy")  # host reads of a tensor


@pytest.mark.parametrize(
    "changes",
    [{}, {"clip_norm": 0.5, "optimizer": "adamw"}, {"loss": "logistic", "optimizer": "sgd", "momentum": 0.9}],
)
def test_torch_engine_steps_never_read_the_device(
    changes: dict[str, Any], torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On CUDA a host read of a tensor waits for every kernel queued before it. A step of the
    torch engine reads nothing back (the epoch's sums stay on the device); epoch_sums() reads
    them once. Only Adam's step counter is read, which torch keeps on the host."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(70, 3))
    y = (rng.random(70) < 0.5).astype(float) if changes.get("loss") == "logistic" else rng.normal(size=70)
    config = TrainConfig(hidden=(8,), batch_size=16, epochs=1, engine="torch", **changes)
    trainer = Trainer(config, x, y)
    engine = TorchEngine(trainer.spec, trainer.initial_weights(0), config, trainer.x, trainer.y)
    engine.begin_epoch(np.arange(70))
    reads: list[str] = []

    def host_counter(tensor: Any) -> bool:
        return any(tensor is state.get("step") for state in engine.optimizer.state.values())

    for name in SYNCING:
        original = getattr(torch.Tensor, name)

        def refuse(tensor: Any, *args: Any, _name: str = name, _original: Any = original) -> Any:
            if not host_counter(tensor):
                reads.append(_name)
            return _original(tensor, *args)

        monkeypatch.setattr(torch.Tensor, name, refuse)
    for start in range(0, 70, 16):
        engine.train_batch(start, min(70, start + 16))
    assert reads == []
    loss, first, _ = engine.epoch_sums()
    assert reads == ["tolist"]  # the one read, once per epoch
    monkeypatch.undo()
    assert math.isfinite(loss) and loss > 0 and first > 0


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_ctrl_c_in_an_epoch_that_diverged_keeps_the_last_good_weights(
    engine: str, airfoil: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Divergence is read with the epoch's sums; a Ctrl-C mid-epoch reads them too, so an epoch
    that went to NaN before the interruption ends as diverged, never as a checkpoint of NaN weights."""
    if engine == "torch":
        request.getfixturevalue("torch")
    x, y, _, _, _ = airfoil
    config = small(
        engine=engine, optimizer="sgd", momentum=0.9, lr=5.0, schedule="constant", epochs=3, dtype="float32"
    )
    trainer = Trainer(config, x * 1e3, y)  # the loss overflows float32 in the second batch (of 10)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, NumpyEngine if engine == "numpy" else TorchEngine, 6)
        result = trainer.run()
    assert result.status == "diverged" and result.resume is None
    assert re.search(r"diverged at epoch 1: the loss became (nan|inf) \(float32\)", result.message)
    for name, value in trainer.initial_weights(0).items():
        np.testing.assert_array_equal(result.weights[0][name], value, err_msg=name)


def test_history_has_metrics_in_target_units(airfoil: Any) -> None:
    x, y, xv, yv, scale = airfoil
    result = Trainer(small(), x, y, xv, yv, target_scale=scale).run()
    record = result.history[-1]
    assert set(record) >= {
        "epoch",
        "lr",
        "train_loss",
        "val_loss",
        "train_rmse",
        "val_rmse",
        "val_mae",
        "val_r2",
    }
    prediction = result.predict(xv)[:, 0]
    rmse_db = math.sqrt(np.mean((prediction - yv) ** 2)) * scale
    best = min(result.history, key=lambda r: r["val_loss"])
    assert best["val_rmse"] == pytest.approx(rmse_db, rel=1e-12)  # best weights restored
    assert record["train_rmse"] == pytest.approx(math.sqrt(record["train_loss"]) * scale, rel=1e-9)
    lrs = [r["lr"] for r in result.history]
    assert lrs[0] == pytest.approx(3e-3 * 0.1) and max(lrs) == pytest.approx(3e-3)


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, engine_cls: Any, batches: int) -> None:
    """Send the process a real SIGINT during the given batch (the batch itself still runs)."""
    original = engine_cls.train_batch
    count = [0]

    def counting(self: Any, start: int, stop: int) -> None:
        count[0] += 1
        if count[0] == batches:
            signal.raise_signal(signal.SIGINT)  # the Trainer's handler: stop after this batch
        original(self, start, stop)

    monkeypatch.setattr(engine_cls, "train_batch", counting)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("refit", "batches"),
    # mid-epoch, at an epoch's end, in the second member; with refit (100 validation-pass
    # batches, then 12 a final-pass epoch): in the final pass of the first and second member
    [(False, 23), (False, 30), (False, 73), (True, 130), (True, 170)],
)
def test_resume_gives_bit_identical_weights(
    engine: str,
    refit: bool,
    batches: int,
    airfoil: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if engine == "torch":
        request.getfixturevalue("torch")
    config = small(engine=engine, ensemble=2, epochs=5, patience=50, refit=refit)
    engine_cls = NumpyEngine if engine == "numpy" else TorchEngine
    resumed = assert_resume_is_exact(config, airfoil, engine_cls, batches, monkeypatch)
    assert resumed.status == "completed"
    assert len(resumed.validation_members) == (2 if refit else 0)


def assert_resume_is_exact(
    config: TrainConfig, airfoil: Any, engine_cls: Any, batches: int, monkeypatch: pytest.MonkeyPatch
) -> TrainResult:
    """A run interrupted during the given batch (a real SIGINT) and resumed ends with the
    members, weights and histories of an uninterrupted run, bit for bit; returns it."""
    x, y, xv, yv, _ = airfoil
    straight = Trainer(config, x, y, xv, yv).run()
    handler = signal.getsignal(signal.SIGINT)  # Python's, or SIG_IGN in a job started in the background
    # said in a warning, naming the caller's line: a notebook's Interrupt ended its cell as a success
    said = (
        r"^training interrupted in .*: the weights so far are in the result's resume state \(status "
        r"'interrupted'\); Trainer\.run\(result\.resume\) continues the run$"
    )
    with monkeypatch.context() as patch, pytest.warns(UserWarning, match=said) as caught:
        _interrupt_after(patch, engine_cls, batches)
        stopped = Trainer(config, x, y, xv, yv).run()
    assert [w.filename for w in caught] == [__file__]
    assert stopped.status == "interrupted" and stopped.resume is not None
    # made an error (python -W error), the warning carries the run: its resume state is not lost
    with monkeypatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("error")
        _interrupt_after(patch, engine_cls, batches)
        with pytest.raises(TrainingInterrupted) as raised:
            Trainer(config, x, y, xv, yv).run()
    assert raised.value.result.status == "interrupted" and raised.value.result.resume is not None
    # and it travels whole, as a process pool sends it back (it could not be rebuilt: the pool broke)
    raised.value.add_note("a note on the way")
    again = pickle.loads(pickle.dumps(raised.value))
    assert str(again) == str(raised.value) and again.result.resume is not None
    assert again.__notes__ == ["a note on the way"]  # its __dict__ too
    assert copy.deepcopy(raised.value).result.status == "interrupted"
    assert signal.getsignal(signal.SIGINT) is handler  # given back
    resumed = Trainer(config, x, y, xv, yv).run(stopped.resume)
    for a, b in zip(
        [*straight.validation_members, *straight.members],
        [*resumed.validation_members, *resumed.members],
        strict=True,
    ):
        for name in a.weights:
            np.testing.assert_array_equal(a.weights[name], b.weights[name])
        assert a.history == b.history
    return resumed


def test_epoch_orders_are_one_stream_per_member(airfoil: Any) -> None:
    """Epoch e of member m visits the rows in the e-th permutation drawn from
    default_rng([seed, m, ORDER_STREAM]); starting later (a resumed run) gives the same orders."""
    x, y, _, _, _ = airfoil
    trainer = Trainer(small(seed=11), x, y)
    for member in (0, 1):
        stream = np.random.default_rng([11, member, ORDER_STREAM])
        expected = [stream.permutation(len(x)) for _ in range(4)]
        orders = trainer.epoch_orders(member)
        for epoch in range(4):
            np.testing.assert_array_equal(next(orders), expected[epoch])
            np.testing.assert_array_equal(trainer.epoch_order(member, epoch), expected[epoch])
        later = trainer.epoch_orders(member, start=2)
        np.testing.assert_array_equal(next(later), expected[2])
        np.testing.assert_array_equal(next(later), expected[3])
    # a final refit pass has more rows, under the same key
    refit_rows = np.random.default_rng([11, 0, ORDER_STREAM]).permutation(len(x) + 7)
    np.testing.assert_array_equal(trainer.epoch_order(0, 0, n=len(x) + 7), refit_rows)
    assert not np.array_equal(trainer.epoch_order(0, 0), trainer.epoch_order(1, 0))


def test_request_stop_from_callback_stops_between_epochs(airfoil: Any) -> None:
    x, y, xv, yv, _ = airfoil

    def stop_at_three(trainer: Trainer, record: dict[str, float]) -> None:
        if record["epoch"] == 3:
            trainer.request_stop()

    result = Trainer(small(), x, y, xv, yv, callback=stop_at_three).run()
    assert result.status == "interrupted"
    assert result.resume is not None and (result.resume.epoch, result.resume.batch) == (3, 0)
    assert "epoch 4 after 0 batch" in result.message


class _SignalReachedTheTest(BaseException):
    """Raised by the test's own SIGTERM handler: the Trainer did not catch the signal."""


def test_sigterm_stops_the_trainer_as_ctrl_c_does_and_a_second_stops_at_once() -> None:
    """SIGTERM (a scheduler, `timeout`) killed the command's run: nothing saved, nothing to
    resume. Inside the command's StopSignals scope it stops the run as Ctrl-C does; outside it,
    in a script, it is the program's (it ends it), and only Ctrl-C stops the run."""

    def reached(signum: int, frame: Any) -> None:
        raise _SignalReachedTheTest

    previous = signal.signal(signal.SIGTERM, reached)  # not the default: it would kill pytest
    try:
        x = np.random.default_rng(0).normal(size=(40, 2))
        config = TrainConfig(hidden=(4,), epochs=3, batch_size=8, fourier_features=0)
        sent: list[int] = []
        original = NumpyEngine.train_batch

        def batch(self: NumpyEngine, start: int, stop: int, twice: bool = False) -> None:
            sent.append(1)
            if len(sent) == 7:
                signal.raise_signal(signal.SIGTERM)
                if twice:  # a second before the batch is over
                    signal.raise_signal(signal.SIGTERM)
            original(self, start, stop)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(NumpyEngine, "train_batch", batch)
            with pytest.raises(_SignalReachedTheTest):  # a script's own handler gets it
                Trainer(config, x, x[:, 0]).run()
            sent.clear()
            with StopSignals():
                result = Trainer(config, x, x[:, 0]).run()
        assert result.status == "interrupted" and result.stop_signal == signal.SIGTERM
        assert result.message == "interrupted by SIGTERM in epoch 2 after 2 batch(es)"
        assert result.resume is not None and signal.getsignal(signal.SIGTERM) is reached
        # a second one at once is the first sent twice (to the process group and forwarded by a
        # parent, as uv does): the run stops after the batch as for one, where it lost the
        # training; one later than REPEAT_WINDOW stops at once, and says what that cost
        sent.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(NumpyEngine, "train_batch", lambda *args: batch(*args, twice=True))
            with StopSignals():
                result = Trainer(config, x, x[:, 0]).run()
            assert result.status == "interrupted" and result.resume is not None
            sent.clear()
            patch.setattr(_signals, "REPEAT_WINDOW", 0.0)
            with pytest.raises(KeyboardInterrupt) as stopped, StopSignals():
                Trainer(config, x, x[:, 0]).run()
        assert getattr(stopped.value, "signum", None) == signal.SIGTERM
        assert stopped.value.note == "stopped at once by a second signal: this run's progress is not saved"  # type: ignore[attr-defined]
        assert signal.getsignal(signal.SIGTERM) is reached
        # another signal at once is no repeat of the first: a scheduler's SIGTERM after a Ctrl-C
        sent.clear()
        original_batch = batch

        def ctrl_c_then_sigterm(self: NumpyEngine, start: int, stop: int) -> None:
            if len(sent) == 6:
                signal.raise_signal(signal.SIGINT)
            original_batch(self, start, stop)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(NumpyEngine, "train_batch", ctrl_c_then_sigterm)
            with pytest.raises(KeyboardInterrupt) as stopped, StopSignals():
                Trainer(config, x, x[:, 0]).run()
        assert getattr(stopped.value, "signum", None) == signal.SIGTERM
        # Ctrl-C's message and status are unchanged; request_stop() names no signal
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(
                NumpyEngine,
                "train_batch",
                lambda self, a, b: (signal.raise_signal(signal.SIGINT), original(self, a, b)),
            )
            with pytest.warns(TrainingInterrupted):
                by_ctrl_c = Trainer(config, x, x[:, 0]).run()
        assert by_ctrl_c.stop_signal == signal.SIGINT and by_ctrl_c.message.startswith(
            "interrupted in epoch 1"
        )
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_divergence_advice_names_the_learning_rate_given_not_the_warm_ups(airfoil: Any) -> None:
    """In a warm-up's first epoch the rate is a tenth of lr: the advice named that (1 for lr 10),
    a number the user never gave, where a smaller lr than the one given is what helps."""
    x, y, _, _, _ = airfoil
    config = small(optimizer="sgd", momentum=0.9, lr=10.0, schedule="cosine", warmup_epochs=5, epochs=10)
    result = fit(config, x, y * 1e6)  # targets of a million: the first epoch's rate of 1 overflows
    assert result.status == "diverged"
    assert result.message.endswith(
        "try a smaller learning rate than 10 (the schedule's rate in that epoch was 1)"
    ), result.message


def test_divergence_stops_with_a_clear_message_and_keeps_good_weights(airfoil: Any) -> None:
    x, y, _, _, _ = airfoil
    config = small(optimizer="sgd", momentum=0.9, lr=5.0, schedule="constant", epochs=50)
    result = fit(config, x * 100.0, y)
    assert result.status == "diverged"
    assert re.search(r"diverged at epoch \d+", result.message)
    assert "try a smaller learning rate than 5" in result.message
    assert "kept the weights of" in result.message
    assert all(np.isfinite(w).all() for w in result.weights[0].values())
    assert len(result.history) < 50


def test_early_stopping_restores_the_best_epoch(airfoil: Any) -> None:
    x, y, xv, yv, _ = airfoil
    config = small(hidden=(64, 64), lr=3e-2, schedule="constant", epochs=200, patience=3)
    result = fit(config, x[:200], y[:200], xv, yv)
    member = result.members[0]
    assert member.status == "early_stopped"
    assert len(member.history) < 200
    losses = [r["val_loss"] for r in member.history]
    assert member.best_epoch == int(np.argmin(losses)) + 1
    assert len(member.history) - member.best_epoch == 3
    prediction = result.predict(xv)[:, 0]
    assert np.mean((prediction - yv) ** 2) == pytest.approx(min(losses), rel=1e-12)


def test_ensemble_members_differ_and_predict_their_mean(airfoil: Any) -> None:
    x, y, xv, yv, _ = airfoil
    result = fit(small(ensemble=3, epochs=2), x, y, xv, yv)
    assert [m.member for m in result.members] == [0, 1, 2]
    assert not np.array_equal(result.weights[0]["0.weight"], result.weights[1]["0.weight"])
    single = fit(small(epochs=2), x, y, xv, yv)
    np.testing.assert_array_equal(
        single.weights[0]["0.weight"], result.weights[0]["0.weight"]
    )  # member 0 = seed
    models = result.ensemble().models()
    expected = np.mean([model(xv) for model in models], axis=0)
    np.testing.assert_allclose(result.predict(xv), expected, rtol=1e-15)


def test_float32_training_stays_float32(airfoil: Any) -> None:
    x, y, xv, yv, _ = airfoil
    result = fit(small(dtype="float32", epochs=2), x, y, xv, yv)
    assert all(w.dtype == np.float32 for w in result.weights[0].values())
    assert result.history[-1]["val_loss"] < 1.0


def test_moons_exercise_network_learns() -> None:
    run = train_moons()
    assert run.result.spec.sizes == (2, 3, 1)
    assert run.metrics["test"]["accuracy"] >= 0.8
    assert MOONS_CONFIG.loss == "logistic"


def test_moons_data_has_its_own_seed_stream() -> None:
    """The moons are drawn from [seed, MOONS_STREAM], not from a member's weight stream [seed, m]."""
    x, y = moons_data(50, seed=3)
    expected_x, expected_y = make_moons(50, noise=0.2, rng=np.random.default_rng([3, MOONS_STREAM]))
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    for member in range(4):
        other, _ = make_moons(50, noise=0.2, rng=np.random.default_rng([3, member]))
        assert not np.array_equal(x, other)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"epochs": 0}, ValueError, r"epochs must be an integer in \[1, 1000000\], got 0"),
        ({"epochs": 10**9}, ValueError, "epochs must be an integer"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
        ({"lr": 0.0}, ValueError, r"lr must be in \(0, 10\], got 0"),
        ({"lr": float("nan")}, ValueError, "lr must be in"),
        ({"lr": "fast"}, TypeError, "lr must be a number"),
        ({"batch_size": -1}, ValueError, "batch_size must be an integer"),
        ({"ensemble": 0}, ValueError, "ensemble must be an integer"),
        ({"hidden": (0,)}, ValueError, "hidden widths must be in"),
        ({"hidden": "wide"}, TypeError, "hidden must be a sequence"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer must be one of sgd, adam, adamw"),
        ({"schedule": "linear"}, ValueError, "schedule must be one of"),
        ({"engine": "jax"}, ValueError, "engine must be one of numpy, torch"),
        ({"device": "cuda"}, ValueError, "needs engine='torch'"),
        # taken here and refused by torch_bridge.resolve_device when the run started
        (
            {"engine": "torch", "device": "cuda:abc"},
            ValueError,
            r"^device must be 'cpu' or 'cuda' \(or 'cuda:N'\), got 'cuda:abc'$",
        ),
        ({"engine": "torch", "device": "cuda:"}, ValueError, r"got 'cuda:'$"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of float64, float32"),
        ({"beta1": 1.0}, ValueError, r"beta1 must be in \[0, 1\)"),
        # 0/0 for a gradient still 0 (a constant input column's weights): NaN weights, reported
        # as a divergence whose advice (a smaller learning rate) cannot help
        ({"optimizer": "adam", "eps": 0.0}, ValueError, r"eps must be in \(0, 1\], got 0.0"),
        ({"clip_norm": -1.0}, ValueError, "clip_norm must be in"),
        ({"patience": -2}, ValueError, "patience must be an integer"),
        ({"restore_best": 1}, TypeError, "restore_best must be True or False"),
        ({"cuda_graph": "yes"}, TypeError, "cuda_graph must be True or False"),
        ({"loss": "huber"}, ValueError, "loss must be one of"),
        # a checkpoint's configuration is JSON: a dict or list where a name belongs was
        # "TypeError: unhashable type: 'dict'", naming no field
        ({"loss": {"name": "mse"}}, ValueError, r"loss must be one of .*, got \{'name': 'mse'\}$"),
        ({"optimizer": ["adam"]}, ValueError, r"optimizer must be one of sgd, adam, adamw, got \['adam'\]$"),
        ({"dtype": np.int32}, ValueError, r"dtype must be one of float64, float32, got 'int32'$"),
        ({"hidden": [4, 10**5000]}, ValueError, r"got an integer of about 5001 digits in a list holding an"),
        ({"fourier_sigma": 0.0}, ValueError, r"fourier_sigma must be in \(0, 1e\+06\], got 0.0"),
        (
            {"fourier_sigma": ()},
            ValueError,
            r"fourier_sigma must be a number or one number per input, got an empty",
        ),
        (
            {"fourier_sigma": (0.2, -1.0)},
            ValueError,
            r"fourier_sigma\[1\] must be in \(0, 1e\+06\], got -1.0",
        ),
        ({"fourier_sigma": (0.2, True)}, TypeError, r"fourier_sigma\[1\] must be a number, got True"),
        ({"fourier_sigma": "0.2"}, TypeError, r"fourier_sigma must be a number, got '0.2'"),
        ({"fourier_sigma": np.ones((2, 2))}, ValueError, r"a 1-D sequence of them, got shape \(2, 2\)"),
        (
            {"loss": "bce"},
            ValueError,
            r"^loss='bce' takes probabilities in \[0, 1\]: it needs output_activation='sigmoid', "
            r"got output_activation=None; for a logit output use loss='logistic'$",
        ),
        ({"loss": "bce", "output_activation": "tanh"}, ValueError, "got output_activation='tanh'"),
        (
            {"loss": "logistic", "output_activation": "sigmoid"},
            ValueError,
            r"^loss='logistic' takes logits \(it applies the sigmoid itself\): it needs no output "
            r"activation, got output_activation='sigmoid'; for a sigmoid output use loss='bce'$",
        ),
    ],
)
def test_bad_configuration_is_refused(changes: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        TrainConfig(**changes)


def test_the_smallest_eps_trains_a_constant_column() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    x[:, 2] = 0.0  # its weights' gradient is exactly 0
    config = small(eps=1e-300, optimizer="adam", weight_decay=0.0)
    assert fit(config, x, x[:, 0]).status == "completed"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((5, 2)), np.ones(4)), "same non-zero number of rows"),
        ((np.ones(5), np.ones(5)), "2-D array"),
        ((np.array([[np.nan, 1.0]]), np.ones(1)), "finite"),
        ((np.ones((5, 2)), np.ones(5), np.ones((3, 3)), np.ones(3)), "validation data has 3 features"),
        ((np.ones((5, 2)), np.ones(5), np.ones((3, 2)), None), "give both x_val and y_val"),
    ],
)
def test_bad_arrays_are_refused(args: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Trainer(small(), *args)


def test_patience_without_validation_rows_is_refused() -> None:
    """It would be ignored (nothing to stop on), as the CLI's --patience without a validation part."""
    with pytest.raises(
        ValueError, match=r"^patience=3 needs validation rows to stop on: give x_val and y_val"
    ):
        Trainer(small(patience=3), np.ones((5, 2)), np.ones(5))
    Trainer(small(patience=3), np.ones((5, 2)), np.ones(5), np.ones((3, 2)), np.ones(3))  # with them: taken


def test_logistic_loss_checks_labels() -> None:
    with pytest.raises(ValueError, match="expects labels in"):
        Trainer(MOONS_CONFIG, np.ones((4, 2)), np.array([0.0, 1.0, 2.0, 1.0]))


def test_a_numpy_dtype_is_taken_as_its_name() -> None:
    """As MLPSpec takes them; the value kept is the name, which a checkpoint's JSON holds."""
    for dtype in (np.float32, np.dtype("float32")):
        config = TrainConfig(dtype=dtype)  # type: ignore[arg-type]
        assert config.dtype == "float32" and config == TrainConfig(dtype="float32")
        assert TrainConfig.from_dict(config.to_dict()) == config


def test_numpy_numbers_are_taken_as_the_python_numbers_they_hold() -> None:
    """np.int64(5) epochs was "epochs must be an integer, got np.int64(5)", where the rest of
    glassnet (Linear, SGD, Preprocessor) takes NumPy numbers; kept as Python ones, for JSON."""
    config = TrainConfig(
        epochs=np.int64(5), lr=np.float32(0.5), hidden=np.array([4, 3]), seed=np.uint32(3), refit=np.True_
    )
    assert config == TrainConfig(epochs=5, lr=float(np.float32(0.5)), hidden=(4, 3), seed=3, refit=True)
    assert [type(v) for v in (config.epochs, config.lr, config.seed, config.refit)] == [int, float, int, bool]
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(TypeError, match=r"^hidden widths must be integers, got 4.5 in \[4.5\]$"):
        TrainConfig(hidden=np.array([4.5]))


def test_config_round_trips_through_a_dict() -> None:
    config = small(ensemble=3, extra={"note": "x"})
    assert TrainConfig.from_dict(config.to_dict()) == config
    per_input = small(fourier_sigma=[0.2, 0.3])  # a list is kept as a tuple, and saved as a list
    assert per_input.fourier_sigma == (0.2, 0.3) and per_input.to_dict()["fourier_sigma"] == [0.2, 0.3]
    assert TrainConfig.from_dict(json.loads(json.dumps(per_input.to_dict()))) == per_input
    assert small(fourier_sigma=np.array([0.2, 0.3])) == per_input  # arrays, as FourierFeatures takes them
    assert small(fourier_sigma=np.array(0.2)).fourier_sigma == 0.2
    with pytest.raises(ValueError, match="unknown training configuration field"):
        TrainConfig.from_dict({"epochz": 3})


def test_configurations_hash_as_they_compare() -> None:
    """A frozen dataclass hashes its fields, and ``extra`` is a dict: TrainConfig was unhashable,
    so a sweep could not de-duplicate its configurations in a set."""
    lists = small(hidden=[8, 8], activation=["relu", "tanh"], fourier_sigma=[0.2, 0.3], extra={"note": "x"})
    tuples = small(hidden=(8, 8), activation=("relu", "tanh"), fourier_sigma=(0.2, 0.3), extra={"note": "x"})
    assert lists == tuples and hash(lists) == hash(tuples)
    assert len({lists, tuples, small(), small(extra={"note": "y"})}) == 3  # extra still tells them apart
    assert {lists: "run"}[tuples] == "run"


def test_a_saved_configuration_refused_since_says_so() -> None:
    """BCE without a sigmoid output was accepted before; a saved one is refused on loading."""
    saved = {**MOONS_CONFIG.to_dict(), "loss": "bce"}
    with pytest.raises(
        ValueError,
        match=r"^the saved training configuration is refused \(train the model again\): loss='bce' takes",
    ):
        TrainConfig.from_dict(saved)


def test_refit_validates_then_retrains_on_all_training_rows(airfoil: Any) -> None:
    """Refit: a validation pass, then a final pass on train + val that equals a validation-free run."""
    x, y, xv, yv, scale = airfoil
    config = small(refit=True, ensemble=2, epochs=3)
    result = Trainer(config, x, y, xv, yv, target_scale=scale).run()
    assert [m.member for m in result.validation_members] == [0, 1]
    assert [m.member for m in result.members] == [0, 1]
    assert all("val_loss" in r and "refit" not in r for m in result.validation_members for r in m.history)
    assert all(r["refit"] == 1.0 and "val_loss" not in r for m in result.members for r in m.history)
    assert len(result.history) == 2 * 2 * 3
    single_pass = Trainer(config.replace(refit=False), x, y, xv, yv, target_scale=scale).run()
    for ours, theirs in zip(result.validation_members, single_pass.members, strict=True):
        for name, value in theirs.weights.items():
            np.testing.assert_array_equal(ours.weights[name], value)
    everything = Trainer(config.replace(refit=False), np.concatenate([x, xv]), np.concatenate([y, yv])).run()
    for ours, theirs in zip(result.members, everything.members, strict=True):
        for name, value in theirs.weights.items():
            np.testing.assert_array_equal(ours.weights[name], value)
    validation = result.validation_ensemble()
    assert validation is not None
    np.testing.assert_allclose(validation.predict(xv), single_pass.predict(xv), rtol=0, atol=0)


def test_refit_without_validation_rows_is_one_pass(airfoil: Any) -> None:
    x, y, _, _, _ = airfoil
    result = Trainer(small(refit=True, epochs=2), x, y).run()
    assert not result.validation_members and result.validation_ensemble() is None
    assert len(result.history) == 2 and all("refit" not in r for r in result.history)


@pytest.mark.parametrize(("first", "second"), [("numpy", "torch"), ("torch", "numpy")])
def test_a_run_resumes_in_the_other_engine(
    first: str, second: str, airfoil: Any, monkeypatch: pytest.MonkeyPatch, torch: Any
) -> None:
    """Adam's moments cross engines (torch's m, v ↔ glassnet's scaled u, w): equal to rounding."""
    x, y, xv, yv, _ = airfoil
    config = small(engine=first, epochs=4, patience=50, refit=False)
    straight = Trainer(config, x, y, xv, yv).run()
    with monkeypatch.context() as patch:
        _interrupt_after(patch, NumpyEngine if first == "numpy" else TorchEngine, 30)
        with pytest.warns(TrainingInterrupted):
            stopped = Trainer(config, x, y, xv, yv).run()
    assert stopped.status == "interrupted" and stopped.resume is not None
    resumed = Trainer(config.replace(engine=second), x, y, xv, yv).run(stopped.resume)
    assert resumed.status == "completed"
    for name, weights in straight.members[0].weights.items():
        np.testing.assert_allclose(resumed.members[0].weights[name], weights, rtol=0, atol=1e-9, err_msg=name)


def test_numpy_engine_steps_are_the_bare_loops_to_the_bit() -> None:
    """The engine's backward stops at the first layer's parameters (no dL/dX of the data);
    its weights are still those of model.backward + optimizer steps, bit for bit."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 1))
    config = small(batch_size=16)
    trainer = Trainer(config, x, y)
    weights = trainer.initial_weights(0)
    engine = NumpyEngine(trainer.spec, weights, config, x, y)
    model = build_mlp(trainer.spec, rng=np.random.default_rng(0))
    model.load_state_dict(weights)
    loss = MSELoss()
    opt = make_glassnet_optimizer(config, model.parameters())
    try:
        engine.begin_epoch(np.arange(40))
        for start in range(0, 40, 16):
            engine.train_batch(start, min(40, start + 16))
            loss(model(x[start : start + 16]), y[start : start + 16])
            opt.zero_grad()
            model.backward(loss.backward())
            opt.step()
    finally:
        engine.close()
    for name, value in engine.get_weights().items():
        np.testing.assert_array_equal(value, model.state_dict()[name], err_msg=name)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("loss", ["mse", "half_sse"])
def test_engine_sums_are_the_row_loss_and_residual_sums(
    loss: str, engine: str, request: pytest.FixtureRequest
) -> None:
    """(Σ row loss, Σ r², Σ |r|) of one batch at the starting weights, r = ŷ − y: a row's loss
    is the loss of that row alone, mean (ŷ − y)² over its 2 outputs for mse, ½ Σ (ŷ − y)² for
    half_sse. The numpy engine takes r from its fused pass and Σ r² from the loss's value for
    mse, computes them again for half_sse, and sums Σ |r| when the sums are read."""
    if engine == "torch":
        request.getfixturevalue("torch")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(12, 2))
    config = small(loss=loss, batch_size=12, engine=engine)
    trainer = Trainer(config, x, y)
    weights = trainer.initial_weights(0)
    engine_cls = NumpyEngine if engine == "numpy" else TorchEngine
    engine_ = engine_cls(trainer.spec, weights, config, x, y)
    try:
        residual = engine_.predict(x) - y  # before the step the batch makes
        engine_.begin_epoch(np.arange(12))
        engine_.train_batch(0, 12)
    finally:
        engine_.close()  # gives back the BLAS thread limit the engine set
    total, squares, absolute = engine_.epoch_sums()
    expected_loss = np.sum(residual**2) / 2  # Σ over rows of mean r² over 2 outputs, or of ½ Σ r²
    assert total == pytest.approx(expected_loss, rel=1e-13)
    assert squares == pytest.approx(np.sum(residual**2), rel=1e-13)
    assert absolute == pytest.approx(np.sum(np.abs(residual)), rel=1e-13)


def half_sse_rows() -> tuple[Array, Array, TrainConfig]:
    """50 rows of 2 outputs and plain SGD with half_sse, a sum-reduced loss."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    config = small(loss="half_sse", optimizer="sgd", momentum=0.0, schedule="constant", lr=1e-3, epochs=4)
    return x, y, config


@pytest.mark.parametrize("batch_size", [10, 50])
def test_half_sse_losses_are_the_mean_row_loss_whatever_the_batch_size(batch_size: int) -> None:
    """train_loss and val_loss of a sum-reduced loss are Σ ½ Σₖ rₖ² / rows, the mean of each
    row's own loss, by hand at the initial weights (a step of η = 1e-12 moves nothing that
    shows at 1e-9): not B/2 · MSE (train_loss, as the batch losses × rows were) nor N_val/2 · MSE
    (val_loss, the sum over the validation rows), and with the validation rows the training
    rows, the two are equal."""
    x, y, config = half_sse_rows()
    trainer = Trainer(config.replace(batch_size=batch_size, lr=1e-12, epochs=1), x, y, x, y)
    residual = Ensemble(trainer.spec, [trainer.initial_weights(0)]).predict(x) - y  # (50, 2)
    by_hand = 0.5 * float(np.sum(residual**2)) / 50
    (record,) = trainer.run().history
    assert record["train_loss"] == pytest.approx(by_hand, rel=1e-9)
    assert record["val_loss"] == pytest.approx(by_hand, rel=1e-9)


def test_half_sse_train_loss_of_a_full_batch_is_the_val_loss_of_the_epoch_before(torch: Any) -> None:
    """One batch of all rows, validated on those rows: epoch e + 1's train_loss is measured at
    the weights whose val_loss epoch e reports, so the two are one number, in both engines;
    and the engines agree."""
    x, y, config = half_sse_rows()
    runs = [Trainer(config.replace(batch_size=50, engine=e), x, y, x, y).run() for e in ("numpy", "torch")]
    for result in runs:
        for before, after in itertools.pairwise(result.history):
            assert after["train_loss"] == pytest.approx(before["val_loss"], rel=1e-13)
    ours, theirs = runs
    for a, b in zip(ours.history, theirs.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-12)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-12)


# -- classification: accuracy at the decision threshold of the model's output ------------------

LABELS = np.array([1.0, 0.0, 1.0, 0.0])
BCE_MOONS = MOONS_CONFIG.replace(loss="bce", output_activation="sigmoid", refit=False, restore_best=False)


def accuracy_by_hand(prediction: Array, labels: Array, threshold: float) -> float:
    chosen = np.asarray(prediction).reshape(-1) > threshold
    return float(np.mean(chosen == (np.asarray(labels).reshape(-1) == 1.0)))


@pytest.mark.parametrize(
    ("prediction", "threshold", "expected"),
    [
        ([0.9, 0.1, 0.6, 0.4], 0.5, 1.0),  # probabilities read at 0.5: all four right
        ([0.9, 0.1, 0.4, 0.5], 0.5, 0.75),  # 0.4 is class 0 (wrong); 0.5 is not > 0.5: class 0 (right)
        ([0.9, 0.1, 0.6, 0.4], 0.0, 0.5),  # the same read as logits: all class 1, two of four right
        ([2.0, -1.0, 0.3, -0.2], 0.0, 1.0),  # logits read at 0
        ([2.0, -1.0, -0.3, 0.0], 0.0, 0.75),  # -0.3 is class 0 (wrong); 0 is not > 0: class 0 (right)
    ],
)
def test_accuracy_by_hand(prediction: list[float], threshold: float, expected: float) -> None:
    assert classification_metrics(prediction, LABELS, threshold=threshold) == {"accuracy": expected}
    column = np.array(prediction).reshape(-1, 1)  # (N, 1), as a model gives it
    assert classification_metrics(column, LABELS, threshold=threshold) == {"accuracy": expected}


def test_decision_threshold_and_probability_of_each_output() -> None:
    """0.5 for a sigmoid output (a probability), 0 for a logit: the same decision, σ(z) > ½ ↔ z > 0."""
    assert decision_threshold("sigmoid") == 0.5
    assert decision_threshold(None) == decision_threshold("identity") == 0.0
    z = np.array([-800.0, -30.0, -2.0, -1e-3, 1e-3, 2.0, 30.0, 800.0])
    p = class_probability(z, None)
    with np.errstate(over="ignore"):  # e^800: σ(−800) = 1 / inf = 0
        np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-z)), rtol=1e-15, atol=0.0)
    np.testing.assert_array_equal(p > decision_threshold("sigmoid"), z > decision_threshold(None))
    np.testing.assert_array_equal(class_probability(p, "sigmoid"), p)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, TypeError, "missing 1 required keyword-only argument: 'threshold'"),
        ({"threshold": math.nan}, ValueError, "threshold must be finite, got nan"),
        ({"threshold": "0.5"}, TypeError, r"threshold must be a number, got '0.5' \(str\)"),
    ],
)
def test_accuracy_needs_a_finite_threshold(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        classification_metrics([0.9, 0.1, 0.6, 0.4], LABELS, **kwargs)


def test_accuracy_needs_one_label_per_prediction() -> None:
    with pytest.raises(
        ValueError, match="predictions and labels must have the same non-zero length, got 3 and 4"
    ):
        classification_metrics([0.9, 0.1, 0.6], LABELS, threshold=0.5)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_bce_accuracy_reads_probabilities_at_one_half(engine: str, request: pytest.FixtureRequest) -> None:
    """A sigmoid output trained with BCE: the history's accuracies are those of its predictions
    at 0.5, by hand. One batch per epoch, so epoch e's training accuracy is that of the
    weights after e − 1 epochs (a run one epoch shorter), its validation accuracy that of
    the weights after e epochs. Read at 0, every probability would be class 1."""
    if engine == "torch":
        request.getfixturevalue("torch")
    x, y = moons_data(200, seed=1)
    xv, yv = moons_data(100, seed=2)
    config = BCE_MOONS.replace(engine=engine, batch_size=len(x), epochs=40)
    result = Trainer(config, x, y, xv, yv).run()
    shorter = Trainer(config.replace(epochs=39), x, y, xv, yv).run()
    last = result.history[-1]
    assert last["val_accuracy"] == accuracy_by_hand(result.predict(xv), yv, 0.5)
    assert last["train_accuracy"] == accuracy_by_hand(shorter.predict(x), y, 0.5)
    assert last["val_accuracy"] >= 0.8
    assert accuracy_by_hand(result.predict(xv), yv, 0.0) == float(np.mean(yv))  # the old reading


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_logistic_accuracy_reads_logits_at_zero(engine: str, request: pytest.FixtureRequest) -> None:
    """A logit output trained with the logistic loss: the history's accuracies are those of its
    predictions at 0 (σ(z) > ½ ↔ z > 0), by hand. One batch per epoch, so epoch e's training
    accuracy is that of the weights after e − 1 epochs (a run one epoch shorter). Logits read
    at 0.5, as probabilities, give another training accuracy on these rows, so the check tells
    the two thresholds apart."""
    if engine == "torch":
        request.getfixturevalue("torch")
    x, y = moons_data(200, seed=1)
    xv, yv = moons_data(100, seed=2)
    config = MOONS_CONFIG.replace(
        engine=engine, batch_size=len(x), epochs=40, refit=False, restore_best=False
    )
    result = Trainer(config, x, y, xv, yv).run()
    shorter = Trainer(config.replace(epochs=39), x, y, xv, yv).run()
    last = result.history[-1]
    logits = shorter.predict(x)
    assert last["train_accuracy"] == accuracy_by_hand(logits, y, 0.0)
    assert last["train_accuracy"] != accuracy_by_hand(logits, y, 0.5)
    assert last["val_accuracy"] == accuracy_by_hand(result.predict(xv), yv, 0.0)
    assert last["val_accuracy"] >= 0.8


def test_bce_engines_agree_on_accuracy(torch: Any) -> None:
    """numpy and torch engines, BCE on a sigmoid output: the same accuracies in every epoch."""
    x, y = moons_data(200, seed=1)
    xv, yv = moons_data(100, seed=2)
    config = BCE_MOONS.replace(epochs=15)  # batches of 32
    ours = Trainer(config, x, y, xv, yv).run()
    theirs = Trainer(config.replace(engine="torch"), x, y, xv, yv).run()
    assert len(ours.history) == len(theirs.history) == 15
    for a, b in zip(ours.history, theirs.history, strict=True):
        assert a["train_accuracy"] == b["train_accuracy"]
        assert a["val_accuracy"] == b["val_accuracy"]
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-10)
    assert ours.history[-1]["val_accuracy"] >= 0.8


@pytest.mark.parametrize(
    ("dtype", "saturated", "loss_tolerance", "weight_tolerance"),
    [("float64", 10.0, 1e-9, 1e-9), ("float32", 5.0, 1e-3, 2e-2)],
)
def test_a_saturating_bce_run_has_one_loss_in_both_engines(
    dtype: str, saturated: float, loss_tolerance: float, weight_tolerance: float, torch: Any
) -> None:
    """η = 5 saturates the sigmoid: probabilities of 0 or 1, whose terms glassnet's clip caps (at
    −log 1e-12 = 27.6, and next to 1 in float32, whose interval ends at 1 − 1e-7, at 15.9) and
    torch's binary_cross_entropy at 100. The torch engine reports glassnet's loss (its
    train_loss was ~35 above the numpy engine's), and trains the same weights. In float32 the
    torch engine must clip at float32's interval too: 1 − 1e-12 rounds to 1 there, log(1 − p)
    is −inf, and the run diverged at once. The float32 tolerances are float32 rounding over 5
    epochs of weights of size ~80."""
    config = BCE_MOONS.replace(epochs=5, lr=5.0, hidden=(16,), dtype=dtype)
    ours = train_moons(config).result
    theirs = train_moons(config.replace(engine="torch")).result
    assert ours.status == theirs.status == "completed"
    assert len(ours.history) == len(theirs.history) == 5
    assert max(record["train_loss"] for record in ours.history) > saturated  # several terms capped
    for a, b in zip(ours.history, theirs.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=0, abs=loss_tolerance)
    for name, value in ours.weights[0].items():
        np.testing.assert_allclose(
            value, theirs.weights[0][name], rtol=0, atol=weight_tolerance, err_msg=name
        )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_torch_engines_bce_is_glassnets_in_value_and_gradient(dtype: str, torch: Any) -> None:
    """At probabilities inside the clip interval (BCELoss.bounds_for) and outside it (0, 1e-20,
    1 − 1e-13, 1), against glassnet's BCELoss: the value, and the gradient (p̃ − y) / (p̃ (1 − p̃))
    / M taken at the clipped p̃ also where p is outside. torch's own loss was 100 per capped term,
    and its gradient divided by max(p (1 − p), 1e-12) rather than by p̃ (1 − p̃)."""
    from glassnet._torch_losses import glassnet_bce
    from glassnet.losses import BCELoss

    p = np.array([[0.0, 1e-20], [0.3, 0.9], [1 - 1e-13, 1.0]], dtype=dtype)  # (3, 2)
    y = np.array([[1.0, 1.0], [0.0, 0.7], [0.0, 0.0]], dtype=dtype)
    loss = BCELoss()
    value, grad = loss.value_and_grad(p, y)
    tp = torch.tensor(p, requires_grad=True)
    theirs = glassnet_bce(tp, torch.tensor(y), loss.bounds_for(dtype))
    theirs.backward()
    tolerance = 1e-15 if dtype == "float64" else 1e-6
    assert theirs.item() == pytest.approx(value, rel=tolerance)
    np.testing.assert_allclose(tp.grad.numpy(), grad, rtol=tolerance)
    torchs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
    assert torchs > value + 20  # the loss the engine used to report: terms of 100, 46 and 100 for 27.6


def test_bce_moons_run_metrics_are_accuracies_at_one_half() -> None:
    """train_moons with BCE on a sigmoid output: each part's accuracy is its predictions' at 0.5."""
    run = train_moons(
        BCE_MOONS.replace(epochs=60), split=SplitSettings(seed=0, test_fraction=0.25, val_fraction=0.2)
    )
    for part, rows in run.parts().items():
        by_hand = accuracy_by_hand(run.predict(run.X[rows]), run.y[rows], 0.5)
        assert run.metrics[part]["accuracy"] == by_hand, part
    assert run.metrics["test"]["accuracy"] >= 0.8
    # the history's last validation accuracy is the same model's (refit and restore_best off)
    assert run.result.history[-1]["val_accuracy"] == run.metrics["val"]["accuracy"]


def test_regression_metrics_by_hand_and_for_huge_values() -> None:
    """RMSE, MAE, R² worked out by hand; the squares are taken in units of a power of two, so
    ordinary values give the naive formula's bits and values near 1e300 neither overflow nor warn."""
    prediction, target = np.array([1.0, 2.0, 3.5]), np.array([1.1, 2.2, 3.0])
    metrics = regression_metrics(prediction, target)
    residual = prediction - target
    assert metrics["rmse"] == math.sqrt(float(residual @ residual) / 3)  # the same bits
    assert metrics["mae"] == pytest.approx((0.1 + 0.2 + 0.5) / 3, abs=1e-15)
    sst = float(((target - target.mean()) ** 2).sum())
    assert metrics["r2"] == pytest.approx(1 - float(residual @ residual) / sst, abs=1e-15)
    with np.errstate(all="raise"):
        huge = regression_metrics(np.array([1e300, 3e300]), np.array([0.0, 2e300]))
    assert huge["rmse"] == pytest.approx(1e300, rel=1e-15)
    assert huge["mae"] == pytest.approx(1e300, rel=1e-15)
    assert huge["r2"] == pytest.approx(1 - 2 / 2, abs=1e-15)  # Σr² = 2e600, Σ(y − ȳ)² = 2e600


def test_r2_of_huge_residuals_is_minus_infinity_not_undefined() -> None:
    """Targets 1, 2, 3 (Σ(y − ȳ)² = 2) and a residual of 1e200: R² = 1 − 1e400 / 2 is −inf in
    float64, not NaN, which says the targets are constant. Taken in the residual's units
    (2⁶⁶⁴), the squares of the targets' deviations underflowed to 0; each sum now has its own."""
    metrics = regression_metrics(np.array([1e200, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert metrics["r2"] == -np.inf
    assert metrics["rmse"] == pytest.approx(1e200 / np.sqrt(3), rel=1e-15)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("target", "rmse"),
    [
        ([0.1, 0.1, 0.1], 0.1),  # the computed mean rounds to 0.10000000000000002: R² was about −1e32
        ([1.7e308] * 3, 1.7e308),  # the mean's sum overflowed: RMSE and MAE were inf
        (
            [1.7e308, -1.7e308, 1.7e308],
            1.7e308 * math.sqrt(1 / 3) * math.sqrt(3),
        ),  # deviations beyond float64
    ],
    ids=["constant", "constant-huge", "spread-beyond-float64"],
)
def test_r2_is_undefined_for_constant_targets_and_out_of_reach_without_a_warning(
    target: list[float], rmse: float
) -> None:
    """Constant targets have no R² (0/0): NaN, which metrics.json writes as null and the
    history leaves out, never a number; nor when the deviations overflow (SST = inf, 1 − 0 = 1)."""
    metrics = regression_metrics(np.zeros(3), np.array(target))
    assert math.isnan(metrics["r2"])
    assert metrics["rmse"] == pytest.approx(rmse, rel=1e-15)
    assert metrics["mae"] == pytest.approx(abs(target[0]), rel=1e-15)


def test_regression_metrics_of_two_outputs_by_hand() -> None:
    """K = 2 outputs of different means: R² = 1 − SSE / (SST₁ + SST₂), each output centred on
    its own mean (ȳ = 2 and 12): 1 − 2.5 / (2 + 8) = 0.75. One overall mean (7) would give
    1 − 2.5 / 152; scikit-learn's variance_weighted R² is this one."""
    target = np.array([[1.0, 10.0], [2.0, 12.0], [3.0, 14.0]])
    prediction = np.array([[1.5, 11.0], [2.0, 12.0], [2.5, 13.0]])  # residuals ±0.5 and ±1
    metrics = regression_metrics(prediction, target)
    assert metrics["r2"] == pytest.approx(0.75, abs=1e-15)
    assert metrics["rmse"] == pytest.approx(math.sqrt(2.5 / 6), abs=1e-15)
    assert metrics["mae"] == pytest.approx(3.0 / 6, abs=1e-15)
    from sklearn.metrics import r2_score  # a dev dependency: missing, the test fails, never skips

    weighted = r2_score(target, prediction, multioutput="variance_weighted")
    assert metrics["r2"] == pytest.approx(weighted, abs=1e-15)


def test_regression_metrics_of_one_output_are_the_same_bits_as_a_column_or_a_vector() -> None:
    """(N,), (N, 1) and the two mixed: one result, the flat formula's bits (R² with one mean)."""
    rng = np.random.default_rng(4)
    target = rng.normal(size=101) * 7.0 + 3.0
    prediction = target + rng.normal(size=101)
    residual, centred = prediction - target, target - target.mean()
    expected = {
        "rmse": math.sqrt(float(residual @ residual) / 101),
        "mae": float(np.abs(residual).mean()),
        "r2": 1.0 - float(residual @ residual) / float(centred @ centred),
    }
    column, row = prediction.reshape(-1, 1), target.reshape(-1, 1)
    for pair in ((prediction, target), (column, row), (prediction, row), (column, target)):
        assert regression_metrics(*pair) == expected


@pytest.mark.parametrize(
    ("prediction", "target", "match"),
    [
        (
            np.zeros(3),
            np.zeros((3, 2)),
            r"same non-zero number of rows and outputs, got shapes \(3,\) and \(3, 2\)",
        ),
        (np.zeros((3, 2)), np.zeros((2, 3)), r"got shapes \(3, 2\) and \(2, 3\)"),
        (np.zeros(0), np.zeros(0), r"must hold at least one value each, got shapes \(0,\) and \(0,\)"),
        # a pair of valid shapes, (N, 1) with (N,), of no rows: named as empty, not as unpaired
        (np.zeros((0, 1)), np.zeros(0), r"must hold at least one value each, got shapes \(0, 1\) and \(0,\)"),
        # as given: they were named (3, 1) and (2, 1)
        ([1.0, 2.0, 3.0], [1.0, 2.0], r"got shapes \(3,\) and \(2,\)"),
        (
            np.zeros((2, 2, 1)),
            np.zeros((2, 2)),
            r"predictions must be \(N,\) or \(N, outputs\), got shape \(2, 2, 1\)",
        ),
        (
            np.zeros(2),
            np.zeros((2, 1, 1)),
            r"targets must be \(N,\) or \(N, outputs\), got shape \(2, 1, 1\)",
        ),
    ],
)
def test_regression_metrics_refuse_shapes_that_do_not_pair(
    prediction: Array, target: Array, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        regression_metrics(prediction, target)


def test_regression_metrics_name_a_tensors_shape_as_a_tuple(torch: Any) -> None:
    with pytest.raises(ValueError, match=r"got shapes \(3,\) and \(2,\)$"):  # not torch.Size([3])
        regression_metrics(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0]))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_train_r2_and_val_r2_of_two_outputs_are_one_definition(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """Two outputs of different means (the second shifted by 5), one batch of all rows,
    validated on those rows: epoch e + 1's train_r2 is measured at the weights whose val_r2
    epoch e reports. With one overall mean, val_r2 was −0.64 where train_r2 was −12.6."""
    if engine == "torch":
        request.getfixturevalue("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    y = np.c_[x[:, 0], 5 + x[:, 1]]  # (50, 2)
    config = small(batch_size=50, epochs=4, optimizer="sgd", momentum=0.0, schedule="constant", engine=engine)
    history = Trainer(config, x, y, x, y).run().history
    for before, after in itertools.pairwise(history):
        assert after["train_r2"] == pytest.approx(before["val_r2"], rel=1e-12)
    assert history[0]["val_r2"] < -5  # far from the overall-mean figure


def _stop_after_epoch_2(trainer: Any, record: dict[str, float]) -> None:
    if record["epoch"] == 2:
        trainer.request_stop()


def _through_file(spec: Any, state: Any, tmp_path: Any) -> Any:
    """``state`` saved in a checkpoint (with its weights as the member) and loaded back."""
    from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

    path = save_checkpoint(tmp_path / "c.npz", Checkpoint(spec=spec, members=[state.weights], resume=state))
    loaded = load_checkpoint(path).resume
    assert loaded is not None
    return loaded


MEMBERS_EXPECTED = r"^Checkpoint members must be a list of state dicts \(one per member\), got "


@pytest.mark.parametrize(
    ("members", "received"),
    [
        ({"0.weight": np.ones((1, 2)), "0.bias": np.zeros(1)}, r"a dict; wrap it: members=\[state\]$"),
        (np.ones((1, 2)), r"ndarray$"),
        ([np.ones((1, 2))], r"a list holding ndarray at index 0$"),
        (
            [{"0.weight": np.ones((1, 2)), "0.bias": np.zeros(1)}, None],
            r"a list holding NoneType at index 1$",
        ),
    ],
    ids=["one state dict", "an array", "a list of arrays", "a list with a None"],
)
def test_checkpoint_members_must_be_a_list_of_state_dicts(members: Any, received: str, tmp_path: Any) -> None:
    """One model's state_dict given as members (no list around it) was taken member by member
    as its names, and refused as "unexpected ['.', '0', 'e', …]". Refused when the Checkpoint is
    made, and when it is saved with members set afterwards, saying what is expected."""
    from glassnet.checkpoint import Checkpoint, save_checkpoint
    from glassnet.spec import MLPSpec

    spec = MLPSpec((2, 1))
    with pytest.raises(TypeError, match=MEMBERS_EXPECTED + received):
        Checkpoint(spec=spec, members=members)
    checkpoint = Checkpoint(spec=spec, members=[{"0.weight": np.ones((1, 2)), "0.bias": np.zeros(1)}])
    checkpoint.members = members
    with pytest.raises(TypeError, match=MEMBERS_EXPECTED + received):
        save_checkpoint(tmp_path / "c.npz", checkpoint)
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.parametrize("through_file", [False, True], ids=["in memory", "through a checkpoint file"])
def test_a_run_resumed_mid_epoch_that_diverges_keeps_the_epochs_starting_weights(
    through_file: bool, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the uninterrupted run does: the weights at the start of the epoch that diverged, not
    those of the interruption (already far out: 3e153 against 1.5), which the resume state keeps."""

    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 4))
    y = np.sin(x[:, 0]) + 0.3 * x[:, 1] ** 2 + 0.1 * rng.normal(size=200)
    config = TrainConfig(
        hidden=(16,), epochs=30, batch_size=10, fourier_features=0, lr=0.2, optimizer="sgd",
        momentum=0.9, schedule="constant", weight_decay=0.0,
    )  # fmt: skip
    straight = Trainer(config, x, y).run()
    assert straight.status == "diverged" and "at epoch 2" in straight.message
    with monkeypatch.context() as patch:
        _interrupt_after(patch, NumpyEngine, 37)  # epoch 2, batch 17 of 20: before its loss is read
        with pytest.warns(TrainingInterrupted):
            stopped = Trainer(config, x, y).run()
    state = stopped.resume
    assert state is not None and (state.epoch, state.batch) == (1, 17)
    assert state.epoch_start_weights is not None
    if through_file:
        state = _through_file(stopped.spec, state, tmp_path)
        assert state.epoch_start_weights is not None
    resumed = Trainer(config, x, y).run(state)
    assert resumed.status == "diverged" and resumed.message == straight.message
    for name, value in straight.weights[0].items():
        np.testing.assert_array_equal(resumed.weights[0][name], value)
    assert resumed.members[0].history == straight.members[0].history


def test_an_undefined_metric_is_left_out_so_the_history_survives_a_checkpoint(tmp_path: Any) -> None:
    """R² of constant targets is 0/0: the record leaves it out rather than holding NaN, which
    a checkpoint's history arrays use for 'absent', so a resumed history equals a straight one."""

    rng = np.random.default_rng(1)
    x, x_val = rng.normal(size=(30, 3)), rng.normal(size=(5, 3))
    y, y_val = x[:, 0], np.ones(5)  # constant validation targets
    config = TrainConfig(hidden=(4,), epochs=4, batch_size=8, fourier_features=0, refit=False)
    straight = Trainer(config, x, y, x_val, y_val).run()
    assert all("val_r2" not in record and "val_rmse" in record for record in straight.history)

    stopped = Trainer(config, x, y, x_val, y_val, callback=_stop_after_epoch_2).run()
    assert stopped.resume is not None
    resumed = Trainer(config, x, y, x_val, y_val).run(_through_file(stopped.spec, stopped.resume, tmp_path))
    assert resumed.history == straight.history


def _overshooting_run(**changes: Any) -> tuple[TrainConfig, Array, Array]:
    """One batch per epoch, SGD at η = 10 in float32: epoch 2's loss is finite (7.7e19, read
    before its step), but that step takes the weights where epoch 3's loss overflows."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3)) * 3.0
    y = (np.sin(x[:, 0]) + x[:, 1] ** 2) * 10.0
    config = TrainConfig(
        hidden=(64, 64), epochs=3, warmup_epochs=0, batch_size=64, fourier_features=0, lr=10.0,
        optimizer="sgd", momentum=0.9, weight_decay=0.0, schedule="constant", dtype="float32",
    )  # fmt: skip
    return config.replace(**changes), x, y


def _training_loss(result: TrainResult, x: Array, y: Array) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean((result.predict(x)[:, 0] - y) ** 2))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_divergence_keeps_weights_whose_training_loss_is_finite(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """With one batch per epoch, epoch 3's loss is the loss of the weights it starts from: those
    overflow, so the weights kept are the ones epoch 2 started from (the end of epoch 1)."""
    if engine == "torch":
        request.getfixturevalue("torch")
    config, x, y = _overshooting_run(engine=engine)
    result = Trainer(config, x, y).run()
    assert result.status == "diverged"
    assert "diverged at epoch 3" in result.message
    assert "kept the weights of the end of epoch 1;" in result.message
    assert result.members[0].best_epoch == 1
    assert math.isfinite(_training_loss(result, x, y))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_last_step_that_overflows_is_a_divergence_not_a_completed_run(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """Every epoch's loss was finite, but the last step left weights whose loss overflows: a run
    that reports completed with such a model would give inf or NaN predictions silently."""
    if engine == "torch":
        request.getfixturevalue("torch")
    config, x, y = _overshooting_run(engine=engine, epochs=2)
    result = Trainer(config, x, y).run()
    assert [math.isfinite(record["train_loss"]) for record in result.history] == [True, True]
    assert result.status == "diverged"
    assert re.search(r"diverged at epoch 2: the loss became (inf|nan) \(float32\)", result.message)
    assert "kept the weights of the end of epoch 1;" in result.message
    assert math.isfinite(_training_loss(result, x, y))


@pytest.mark.parametrize("restore_best", [True, False])
def test_a_validated_run_whose_last_step_overflows_keeps_finite_weights(restore_best: bool) -> None:
    """With validation rows the best epoch is restored; without restore (or when no epoch's
    validation loss was finite) the last weights are checked as in a run without them."""
    config, x, y = _overshooting_run(epochs=2, restore_best=restore_best, refit=False)
    result = Trainer(config, x[:48], y[:48], x[48:], y[48:]).run()
    assert math.isfinite(_training_loss(result, x, y))
    assert result.status == ("completed" if restore_best else "diverged")


@pytest.mark.parametrize("through_file", [False, True], ids=["in memory", "through a checkpoint file"])
def test_a_resumed_run_keeps_the_same_weights_when_its_epoch_started_out_of_range(
    through_file: bool, tmp_path: Any
) -> None:
    """Interrupted after epoch 2, whose last step went out of range: the resumed run, like the
    straight one, keeps the end of epoch 1, which the resume state must hold for it."""

    config, x, y = _overshooting_run()
    straight = Trainer(config, x, y).run()

    stopped = Trainer(config, x, y, callback=_stop_after_epoch_2).run()
    state = stopped.resume
    assert state is not None and (state.epoch, state.batch) == (2, 0)
    if through_file:
        state = _through_file(stopped.spec, state, tmp_path)
    resumed = Trainer(config, x, y).run(state)
    assert resumed.status == "diverged" and resumed.message == straight.message
    for name, value in straight.weights[0].items():
        np.testing.assert_array_equal(resumed.weights[0][name], value)


@pytest.mark.parametrize(("epoch", "batch"), [(3, 0), (-1, 0), (1, 7), (1, -2)])
def test_a_resume_state_outside_the_run_is_refused(epoch: int, batch: int) -> None:
    """3 epochs of 7 batches: a resume state past them (or before them) would train other epochs
    or batches than the run's, silently."""
    config, x, y = _overshooting_run(batch_size=10, lr=1e-3, epochs=3)

    def stop(trainer: Any, record: dict[str, float]) -> None:
        trainer.request_stop()

    state = Trainer(config, x, y, callback=stop).run().resume
    assert state is not None
    state.epoch, state.batch = epoch, batch
    with pytest.raises(
        ValueError,
        match=rf"resume state is at epoch {epoch + 1}, batch {batch}; the run has 3 epochs of 7 batches",
    ):
        Trainer(config, x, y).run(state)


@pytest.mark.parametrize("through_file", [False, True], ids=["in memory", "through a checkpoint file"])
def test_a_resume_state_of_other_rows_is_refused(through_file: bool, airfoil: Any, tmp_path: Any) -> None:
    """Resumed without its validation rows, a run went on without them and its final passes
    (no refit), and with fewer rows it went on with other batches: both 'completed', silently."""
    x, y, xv, yv, _ = airfoil
    config = small(refit=True, ensemble=2)
    trainer = Trainer(config, x, y, xv, yv, callback=_stop_after_epoch_2)
    state = trainer.run().resume
    assert state is not None and state.rows == (1000, 120)
    if through_file:
        state = _through_file(trainer.spec, state, tmp_path)
        assert state.rows == (1000, 120)
    for args, here in (((x, y), "1000 and 0"), ((x[:20], y[:20], xv, yv), "20 and 120")):
        with pytest.raises(
            ValueError,
            match=rf"^the resume state comes from a run on 1000 training and 120 validation rows, this "
            rf"trainer has {here}; resume with the data the run was trained on$",
        ):
            Trainer(config, *args).run(state)
    assert Trainer(config, x, y, xv, yv).run(state).status == "completed"
    # a state saved before glassnet kept its rows and their fingerprint: not checked, as before
    state.rows = state.rows_sha256 = None
    assert Trainer(config, x[:20], y[:20], xv, yv).run(state).status == "completed"


@pytest.mark.parametrize("through_file", [False, True], ids=["in memory", "through a checkpoint file"])
def test_a_resume_state_of_as_many_other_rows_is_refused(
    through_file: bool, airfoil: Any, tmp_path: Any
) -> None:
    """The row counts cannot tell other values, or the same rows in another order, from the run's
    own: the run went on, on other data, 'completed', silently. The rows' SHA-256 can."""
    x, y, xv, yv, _ = airfoil
    config = small(refit=True, ensemble=2)
    trainer = Trainer(config, x, y, xv, yv, callback=_stop_after_epoch_2)
    state = trainer.run().resume
    assert state is not None and state.rows_sha256 == trainer.rows_fingerprint()
    if through_file:
        state = _through_file(trainer.spec, state, tmp_path)
        assert state.rows_sha256 == trainer.rows_fingerprint()
    others = {
        "targets shifted": (x, y + 0.5, xv, yv),
        "rows reversed": (x[::-1], y[::-1], xv, yv),
        "validation rows of the other part": (x, y, x[:120], y[:120]),
    }
    for args in others.values():
        with pytest.raises(
            ValueError, match=r"^the resume state comes from a run on other rows \(as many, but other "
        ):
            Trainer(config, *args).run(state)
    assert Trainer(config, x.copy(), y.copy(), xv.copy(), yv.copy()).run(state).status == "completed"


def test_the_preprocessor_example_in_the_docs_runs() -> None:
    """docs/training.md sent users to "a Preprocessor fitted on the training rows" with no page
    naming its methods (``pp.transform(X)``: AttributeError). docs/data.md's example runs as shown."""
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    section = text.split("### The Preprocessor", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    names: dict[str, Any] = {}
    exec(compile(code, "docs/data.md", "exec"), names)
    pp, x, result = names["pp"], names["x"], names["result"]
    assert x.shape == (1081, 85) and names["predicted_db"].shape == (301,)
    assert regression_metrics(names["predicted_db"], names["data"].y[names["split"].test])["r2"] > 0.5
    rows = names["data"].X[:3]
    assert np.array_equal(names["again"].transform_x(rows), pp.transform_x(rows))
    assert not hasattr(pp, "transform")  # as the page says
    assert (result.history[0]["member"], result.history[0]["epoch"]) == (0, 1)
