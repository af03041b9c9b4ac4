"""Training core: user mistakes refused in one clear line, metrics beyond float64 without a
warning, and a run interrupted after any batch resuming to the uninterrupted run's bits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import require_torch, reseal, rewrite_checkpoint
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.train import TrainConfig, Trainer, TrainResult, regression_metrics
from glassnet.train._engines import NumpyEngine, TorchEngine

TINY = TrainConfig(hidden=(4,), epochs=2, batch_size=8, fourier_features=0)


def _rows(n: int = 20) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    x = np.random.default_rng(0).normal(size=(n, 3))
    return x, (x[:, 0] > 0).astype(np.float64)


@pytest.mark.parametrize(
    ("changes", "labels", "match"),
    [
        ({"loss": "logistic"}, [0.0, 1.0, 2.0, 1.0], r"^validation targets: LogisticLoss\(labels='01'\) expects labels in \{0, 1\}, got 2"),
        ({"loss": "bce", "output_activation": "sigmoid"}, [0.0, 1.0, 3.0, 1.0], r"^validation targets: BCELoss expects targets in \[0, 1\], got 3"),
    ],
    ids=["logistic", "bce"],
)  # fmt: skip
def test_validation_labels_are_checked_as_the_training_labels_are(
    changes: dict[str, Any], labels: list[float], match: str
) -> None:
    """They were taken unchecked: val_loss and val_accuracy of labels 2 or 3, silently."""
    x, y = _rows()
    with pytest.raises(ValueError, match=match):
        Trainer(TINY.replace(**changes), x, y, x[:4], np.array(labels))
    with pytest.raises(ValueError, match=r"^training targets: "):
        Trainer(TINY.replace(**changes), x[:4], np.array(labels), x, y)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((5, 0)), np.ones(5)), r"^training inputs and targets need at least one column each, got shapes \(5, 0\) and \(5, 1\)"),
        ((np.ones((5, 2)), np.ones((5, 0))), r"^training inputs and targets need at least one column each, got shapes \(5, 2\) and \(5, 0\)"),
        ((np.ones((5, 2)), np.ones(5), np.ones((3, 0)), np.ones(3)), r"^validation inputs and targets need at least one column"),
    ],
    ids=["no-features", "no-outputs", "no-validation-features"],
)  # fmt: skip
def test_arrays_without_columns_are_refused_in_one_line(args: tuple[Any, ...], match: str) -> None:
    """numpy's 'zero-size array to reduction operation maximum which has no identity' before."""
    with pytest.raises(ValueError, match=match):
        Trainer(TINY, *args)


@pytest.mark.filterwarnings("error")
def test_targets_that_overflow_the_loss_are_named_as_the_cause() -> None:
    """Inputs up to 2.3 and targets up to 1e160: the message named the inputs only (and a
    RuntimeWarning of the targets' sum of squares came first)."""
    x, _ = _rows()
    y = np.linspace(-1e160, 1e160, len(x))  # (ŷ − y)² = 1e320: inf in float64
    with pytest.raises(
        ValueError, match=r"inputs up to 2\.\d+ and targets up to 1e\+160: the numbers overflow float64"
    ):
        Trainer(TINY, x, y).run()


@pytest.mark.filterwarnings("error")
def test_residuals_beyond_float64_give_infinite_metrics_without_a_warning() -> None:
    """ŷ − y = ∓3.4e308 overflows: RMSE and MAE are inf and R² −inf, as for targets beyond
    float64, with no RuntimeWarning (an error in a program that turns warnings into errors)."""
    with np.errstate(all="raise"):
        metrics = regression_metrics(np.array([-1.7e308, 1.7e308, 0.0]), np.array([1.7e308, -1.7e308, 0.0]))
    assert metrics == {"rmse": np.inf, "mae": np.inf, "r2": -np.inf}


def _run_stopping_after(config: TrainConfig, rows: tuple[Any, ...], batch: int) -> tuple[TrainResult, int]:
    """The run stopped after its ``batch``-th batch (0: never) and resumed until it ends; the
    number of batches trained in all."""
    count, trainers = [0], list[Trainer]()
    original = NumpyEngine.train_batch

    def counting(self: NumpyEngine, start: int, stop: int) -> None:
        original(self, start, stop)
        count[0] += 1
        if count[0] == batch:
            trainers[-1].request_stop()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(NumpyEngine, "train_batch", counting)
        trainers.append(Trainer(config, *rows))
        result = trainers[-1].run()
        while result.status == "interrupted":
            trainers.append(Trainer(config, *rows))
            result = trainers[-1].run(result.resume)
    return result, count[0]


@pytest.mark.parametrize(
    ("changes", "status", "batches"),
    [
        # both validation passes stop early at epoch 3 (3 batches an epoch) and keep it, so the
        # final passes train 3 epochs of 4 batches
        ({"patience": 2, "lr": 0.03, "restore_best": False}, "completed", 2 * 3 * 3 + 2 * 3 * 4),
        # the first member's final pass diverges in its epoch 3, read after its 4th batch
        ({"optimizer": "sgd", "momentum": 0.9, "lr": 0.05, "schedule": "constant"}, "diverged", 2 * 5 * 3 + 3 * 4),
    ],
    ids=["early-stopping", "divergence-in-the-final-pass"],
)  # fmt: skip
def test_a_run_stopped_after_any_batch_resumes_to_the_same_bits(
    changes: dict[str, Any], status: str, batches: int
) -> None:
    """Two members, refit: every batch of both passes (mid-epoch, an epoch's last, a member's
    last, a pass's last, just before a divergence) as the point of interruption."""
    rng = np.random.default_rng(3)
    x, x_val = rng.normal(size=(40, 3)), rng.normal(size=(10, 3))
    y, y_val = np.sin(x[:, 0]), np.sin(x_val[:, 0])
    y_val[0] = 3e3  # an outlier only the final pass trains on
    config = TrainConfig(
        hidden=(8,), epochs=5, batch_size=16, ensemble=2, fourier_features=0, warmup_epochs=1, **changes
    )
    straight, trained = _run_stopping_after(config, (x, y, x_val, y_val), 0)
    assert (straight.status, trained) == (status, batches)
    for batch in range(1, batches + 1):
        resumed, _ = _run_stopping_after(config, (x, y, x_val, y_val), batch)
        assert resumed.status == straight.status, batch
        members = [*straight.validation_members, *straight.members]
        for ours, theirs in zip(members, [*resumed.validation_members, *resumed.members], strict=True):
            assert (ours.status, ours.best_epoch, ours.history) == (
                theirs.status,
                theirs.best_epoch,
                theirs.history,
            )
            for name, value in ours.weights.items():
                np.testing.assert_array_equal(theirs.weights[name], value, err_msg=f"batch {batch}: {name}")


def test_a_resume_state_refuses_a_trainer_with_other_settings(tmp_path: Path, torch: Any) -> None:
    """Continued under another batch size or rate, the run silently became another one; where
    and how fast it computes may change (here the engine), and the run ends as it would have.
    A checkpoint's resume state carries the checkpoint's configuration."""
    x, y = _rows(40)
    stopping = Trainer(TINY, x, y, callback=lambda trainer, record: trainer.request_stop())
    result = stopping.run()
    state = result.resume
    assert state is not None and state.config == TINY
    path = save_checkpoint(
        tmp_path / "c.npz", Checkpoint(spec=result.spec, members=[state.weights], config=TINY, resume=state)
    )
    loaded = load_checkpoint(path).resume
    assert loaded is not None and loaded.config == TINY
    with pytest.raises(
        ValueError,
        match=r"^the resume state comes from a run with other settings \(lr 0\.001 there, 0\.01 here; "
        r"batch_size 8 there, 16 here\); resume with the configuration it was saved with",
    ):
        Trainer(TINY.replace(lr=1e-2, batch_size=16), x, y).run(state)
    resumed = Trainer(TINY.replace(engine="torch", threads=0), x, y).run(state)
    uninterrupted = Trainer(TINY, x, y).run()
    for name, values in uninterrupted.members[0].weights.items():
        np.testing.assert_allclose(resumed.members[0].weights[name], values, rtol=0, atol=1e-12)


def test_a_resumed_run_counts_the_time_of_the_whole_run(tmp_path: Path) -> None:
    """metrics.json's seconds after a resume counted the resumed part only (0.05 s of a 4-s run)."""
    x, y = _rows(40)
    interrupted = Trainer(TINY, x, y, callback=lambda trainer, record: trainer.request_stop()).run()
    state = interrupted.resume
    assert state is not None and state.seconds == interrupted.seconds > 0.0
    path = save_checkpoint(
        tmp_path / "c.npz",
        Checkpoint(spec=interrupted.spec, members=[state.weights], config=TINY, resume=state),
    )
    loaded = load_checkpoint(path).resume
    assert loaded is not None and loaded.seconds == state.seconds
    loaded.seconds = 1000.0  # as if the first part had taken that long
    assert Trainer(TINY, x, y).run(loaded).seconds > 1000.0

    def older(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        del meta["resume"]["seconds"]
        reseal(arrays, meta)

    rewrite_checkpoint(path, older)  # saved before the time was kept: not known, counted as 0
    before = load_checkpoint(path).resume
    assert before is not None and before.seconds == 0.0


def test_a_checkpoint_refuses_a_resume_state_of_another_run_configuration(tmp_path: Path) -> None:
    """Loaded, the state takes the checkpoint's configuration: saved with another run's, it
    would pass the check that Trainer.run makes."""
    x, y = _rows(40)
    result = Trainer(TINY, x, y, callback=lambda trainer, record: trainer.request_stop()).run()
    assert result.resume is not None
    other = TINY.replace(lr=0.05)
    with pytest.raises(ValueError, match=r"other settings \(lr 0\.001 there, 0\.05 here\)"):
        save_checkpoint(
            tmp_path / "c.npz",
            Checkpoint(spec=result.spec, members=[result.resume.weights], config=other, resume=result.resume),
        )
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_stop_in_a_members_last_batch_stops_before_the_next_member(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """It stopped one batch into the next member, not "after the current batch"; the state taken
    at the next member's start resumes, through a checkpoint, to the uninterrupted run's bits."""
    if engine == "torch":
        request.getfixturevalue("torch")
    x, y = _rows(40)
    config = TINY.replace(ensemble=2, engine=engine, threads=0)
    batches_per_member = config.epochs * 5  # 40 rows in batches of 8
    result, trained = _run_stopping_once(config, (x, y), batches_per_member)
    state = result.resume
    assert result.status == "interrupted" and trained == batches_per_member
    assert state is not None and (state.member, state.epoch, state.batch) == (1, 0, 0)
    assert (
        len(state.finished) == 1 and result.message == "interrupted in member 2/2, epoch 1 after 0 batch(es)"
    )
    path = save_checkpoint(
        tmp_path / "c.npz", Checkpoint(spec=result.spec, members=[state.weights], config=config, resume=state)
    )
    resumed = Trainer(config, x, y).run(load_checkpoint(path).resume)
    straight = Trainer(config, x, y).run()
    assert resumed.status == straight.status == "completed"
    for ours, theirs in zip(straight.members, resumed.members, strict=True):
        for name, value in ours.weights.items():
            np.testing.assert_array_equal(theirs.weights[name], value, err_msg=name)


def _run_stopping_once(config: TrainConfig, rows: tuple[Any, ...], batch: int) -> tuple[TrainResult, int]:
    """The run asked to stop after its ``batch``-th batch, as Ctrl-C would; the batches it trained."""
    count, trainer = [0], Trainer(config, *rows)
    engine_type = NumpyEngine if config.engine == "numpy" else TorchEngine
    original = engine_type.train_batch

    def counting(self: Any, start: int, stop: int) -> None:
        original(self, start, stop)
        count[0] += 1
        if count[0] == batch:
            trainer.request_stop()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_type, "train_batch", counting)
        result = trainer.run()
    return result, count[0]


def _adam_stopped_after_an_epoch() -> tuple[TrainConfig, Any, Any, Any]:
    """(config, x, y, resume state) of an Adam run stopped after its first epoch."""
    x, y = _rows(40)
    config = TINY.replace(optimizer="adam", refit=False)
    result = Trainer(config, x, y, callback=lambda trainer, record: trainer.request_stop()).run()
    assert result.resume is not None
    return config, x, y, result.resume


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (
            lambda state: {"step": state["step"], "buffers": {}},
            r"has taken \d+ step\(s\) but holds no moments",
        ),
        (
            lambda state: {"step": state["step"], "buffers": {"exp_avg_sq": state["buffers"]["exp_avg_sq"]}},
            r"holds \['exp_avg_sq'\] but not \['exp_avg'\]",
        ),
        (
            lambda state: {
                "step": state["step"],
                "buffers": {
                    **state["buffers"],
                    "exp_avg_sq": {k: -v - 1e-3 for k, v in state["buffers"]["exp_avg_sq"].items()},
                },
            },
            r"'exp_avg_sq' of group 0 must be >= 0",
        ),
        (lambda state: {**state, "step": -2}, r"step must be a non-negative integer, got -2"),
    ],
    ids=["no-moments", "one-moment", "negative-v", "negative-step"],
)
@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_an_optimizer_state_built_by_hand_is_checked_alike_in_both_engines(
    tamper: Any, says: str, engine: str, torch: Any
) -> None:
    """The torch engine checked shapes alone: it trained from no moments (its step count started
    again), failed with a KeyError or torch's complex-number error, or trained a negative second
    moment to NaN and blamed the rate; the numpy engine refused each, naming it."""
    config, x, y, state = _adam_stopped_after_an_epoch()
    state.optimizer = tamper(state.optimizer)
    with pytest.raises(ValueError, match=says):
        Trainer(config.replace(engine=engine), x, y).run(state)


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_the_torch_engine_trains_inside_a_mode_without_autograd(mode: str, torch: Any) -> None:
    """Inside torch.no_grad() or torch.inference_mode() its first backward failed ("element 0 of
    tensors does not require grad"); it trains there as outside, to the same bits."""
    x, y = _rows(40)
    config = TINY.replace(engine="torch")
    outside = Trainer(config, x, y).run()
    with getattr(torch, mode)():
        inside = Trainer(config, x, y).run()
    assert inside.status == "completed"
    for name, values in outside.members[0].weights.items():
        np.testing.assert_array_equal(inside.members[0].weights[name], values)


def test_the_torch_engine_keeps_the_callers_autograd_mode_for_its_callback(torch: Any) -> None:
    """Autograd is on for the engine's own calls only: a callback of a run started inside
    torch.no_grad() runs in no_grad, where a model of the caller's gives tensors it may read."""
    x, y = _rows(40)
    modes: list[bool] = []
    with torch.no_grad():
        result = Trainer(
            TINY.replace(engine="torch"),
            x,
            y,
            callback=lambda trainer, record: modes.append(torch.is_grad_enabled()),
        ).run()
    assert result.status == "completed" and modes == [False, False]


# --- found by a review of the Trainer (2026-11-28, a later session) ---------------------------------


def test_a_ctrl_c_after_the_last_batch_is_not_lost() -> None:
    """The run completed and its result said nothing of the Ctrl-C, nor was KeyboardInterrupt
    raised: a loop of runs went on as if it had not been pressed."""
    import signal

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))

    def press(trainer: Trainer, record: dict[str, Any]) -> None:
        if record["epoch"] == 3:  # the last epoch, after its last batch
            signal.raise_signal(signal.SIGINT)

    config = TrainConfig(hidden=(4,), fourier_features=0, epochs=3)
    result = Trainer(config, x, x[:, 0], callback=press).run()
    assert result.status == "completed"
    assert result.stop_signal == signal.SIGINT
    assert Trainer(config, x, x[:, 0]).run().stop_signal is None


def test_a_divergence_stopped_mid_epoch_reads_as_the_straight_run() -> None:
    """A stop inside the diverging epoch reported the partial sums' inf where the straight run,
    whose later batches turned it to NaN, said nan: the messages (and metrics.json) differed."""
    rng = np.random.default_rng(3)
    x, x_val = rng.normal(size=(40, 3)), rng.normal(size=(10, 3))
    y, y_val = np.sin(x[:, 0]), np.sin(x_val[:, 0])
    y_val[0] = 3e3
    config = TrainConfig(
        hidden=(8,), epochs=5, batch_size=16, ensemble=2, fourier_features=0, warmup_epochs=1,
        optimizer="sgd", momentum=0.9, lr=0.05, schedule="constant",
    )  # fmt: skip
    straight = Trainer(config, x, y, x_val, y_val).run()
    assert straight.status == "diverged"
    trainer, calls = Trainer(config, x, y, x_val, y_val), [0]
    original = NumpyEngine.train_batch

    def counting(self: NumpyEngine, lo: int, hi: int) -> None:
        original(self, lo, hi)
        calls[0] += 1
        if calls[0] == 40:  # final pass, member 2, epoch 3: the diverging epoch
            trainer.request_stop()

    NumpyEngine.train_batch = counting  # type: ignore[method-assign]
    try:
        stopped = trainer.run()
    finally:
        NumpyEngine.train_batch = original  # type: ignore[method-assign]
    assert stopped.status == "diverged"
    assert stopped.message == straight.message
    for ours, theirs in zip(stopped.weights, straight.weights, strict=True):
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])


# --- found by a review of the torch engine (2026-11-28, a later session) ----------------------------


def test_the_torch_engine_trains_in_its_dtype_under_autocast() -> None:
    """Inside torch.autocast("cpu") a float32 run trained in bfloat16 (its loss hardly moved), then
    failed to read its predictions ('unsupported ScalarType BFloat16')."""
    torch = require_torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(53, 3))
    config = TrainConfig(
        hidden=(6,), fourier_features=0, epochs=2, engine="torch", dtype="float32", batch_size=8
    )
    plain = Trainer(config, x, x.sum(axis=1)).run()
    with torch.autocast("cpu"):
        cast = Trainer(config, x, x.sum(axis=1)).run()
    assert [r["train_loss"] for r in cast.history] == [r["train_loss"] for r in plain.history]


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (
            lambda opt: {**opt, "step": opt["step"] + 0.5},
            ValueError,
            r"step must be a non-negative integer, got \d+\.5",
        ),
        (
            lambda opt: {**opt, "step": str(opt["step"])},
            ValueError,
            r"step must be a non-negative integer, got '\d+'",
        ),
        (
            lambda opt: {
                **opt,
                "buffers": {
                    k: {n: a.astype(complex) for n, a in v.items()} for k, v in opt["buffers"].items()
                },
            },
            TypeError,
            r"optimizer state '\w+' of 0\.weight must be an array of numbers .* got complex numbers",
        ),
    ],
    ids=["half-step", "text-step", "complex-buffers"],
)
def test_a_resume_states_optimizer_is_checked_before_it_is_converted(
    engine: str, change: Any, error: type, match: str
) -> None:
    """int() took a step of 5.5 as 5 (and "5"), and np.asarray dropped a complex buffer's imaginary
    part: both engines resumed from states the optimizer itself refuses."""
    import dataclasses

    if engine == "torch":
        require_torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    config = TrainConfig(hidden=(4,), fourier_features=0, epochs=3, engine=engine)
    state = Trainer(config, x, x.sum(axis=1), callback=lambda t, r: t.request_stop()).run().resume
    assert state is not None
    with pytest.raises(error, match=match):
        Trainer(config, x, x.sum(axis=1)).run(dataclasses.replace(state, optimizer=change(state.optimizer)))


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_an_engine_predicts_a_block_of_rows_at_a_time(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """All N rows at once held an (N, width) array per layer: the check after a run's last step
    asked for 112 GiB on 750,000 rows of width 20,000, after the whole training had run."""
    if engine == "torch":
        require_torch()
    from glassnet.spec import MLPSpec, build_mlp
    from glassnet.train import _engines, _ensemble

    monkeypatch.setattr(_ensemble, "PREDICT_ROWS", 7)
    spec = MLPSpec(sizes=(3, 4, 2), activation="tanh")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    weights = build_mlp(spec, rng=rng).state_dict()
    config = TrainConfig(hidden=(4,), activation="tanh", engine=engine)
    made = _engines.make_engine(config, spec, weights, x, y)
    seen: list[int] = []
    model = made.model if engine == "numpy" else made.module
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda rows: seen.append(len(rows)) or forward(rows))
    prediction = made.predict(x)
    assert seen == [7, 7, 7, 7, 2]
    reference = build_mlp(spec, rng=np.random.default_rng(1))
    reference.load_state_dict(weights)
    np.testing.assert_allclose(prediction, reference.forward(x), rtol=0, atol=1e-14)
    made.close()


def test_a_prediction_through_wide_layers_takes_fewer_rows_at_a_time() -> None:
    """8,192 rows of a 20,000-wide layer asked for 1.2 GiB at once."""
    from glassnet.train._ensemble import PREDICT_ELEMENTS, PREDICT_ROWS, predict_rows

    assert predict_rows(128) == predict_rows(512) == PREDICT_ROWS
    assert predict_rows(20_000) == PREDICT_ELEMENTS // 20_000 == 209
    assert predict_rows(10**9) == 1
