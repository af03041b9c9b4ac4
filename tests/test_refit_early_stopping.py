"""Under refit, early stopping chooses the final pass's number of epochs.

The validation pass stops early and keeps its best epoch (or the epoch it stopped at); the
final pass, on the training and validation rows together, then trains that many epochs, so
that the model kept is the early-stopped recipe applied to all the rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import reseal, rewrite_checkpoint
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.train import TrainConfig, Trainer


def _rows() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x, x_val = rng.normal(size=(60, 4)), rng.normal(size=(20, 4))
    noise = 0.5  # enough that the validation loss turns up within a few epochs at this rate
    y = np.sin(x[:, 0]) + noise * rng.normal(size=60)
    y_val = np.sin(x_val[:, 0]) + noise * rng.normal(size=20)
    return x, y, x_val, y_val


# a constant rate, so that a run cut after e epochs is the run of e epochs
CONFIG = TrainConfig(
    hidden=(32,), epochs=60, batch_size=16, lr=0.03, schedule="constant", weight_decay=0.0,
    fourier_features=0, patience=3, ensemble=2,
)  # fmt: skip


@pytest.mark.parametrize("restore_best", [True, False])
def test_the_final_pass_trains_the_epochs_its_validation_pass_kept(restore_best: bool) -> None:
    x, y, x_val, y_val = _rows()
    config = CONFIG.replace(restore_best=restore_best)
    result = Trainer(config, x, y, x_val, y_val).run()
    assert result.status == "completed"
    for validated, kept in zip(result.validation_members, result.members, strict=True):
        assert validated.status == "early_stopped"
        stopped_at = len(validated.history)
        chosen = validated.best_epoch if restore_best else stopped_at
        assert 1 < chosen <= stopped_at < config.epochs  # the validation pass did stop early
        assert (kept.status, kept.best_epoch, len(kept.history)) == ("completed", chosen, chosen)
        assert all(record["refit"] == 1.0 for record in kept.history)


def test_the_final_pass_is_the_run_of_that_many_epochs_on_all_the_rows() -> None:
    """The same weights, to the bit, as a validation-free run of the chosen epochs on the
    training and validation rows together (the same initial weights and batch orders)."""
    x, y, x_val, y_val = _rows()
    result = Trainer(CONFIG, x, y, x_val, y_val).run()
    x_all, y_all = np.concatenate([x, x_val]), np.concatenate([y, y_val])
    for member, kept in enumerate(result.members):
        alone = CONFIG.replace(epochs=kept.best_epoch, patience=0, ensemble=member + 1)
        direct = Trainer(alone, x_all, y_all).run().members[member]
        assert direct.weights.keys() == kept.weights.keys()
        for name, values in kept.weights.items():
            np.testing.assert_array_equal(values, direct.weights[name])


def test_without_patience_the_final_pass_trains_every_epoch() -> None:
    """restore_best alone keeps the validation pass's best epoch, and leaves the final pass all
    of its epochs (the airfoil recipe: its cosine schedule ends at a rate of 0)."""
    x, y, x_val, y_val = _rows()
    config = CONFIG.replace(patience=0, epochs=12, ensemble=1)
    result = Trainer(config, x, y, x_val, y_val).run()
    assert result.validation_members[0].best_epoch < config.epochs
    assert (result.members[0].best_epoch, len(result.members[0].history)) == (12, 12)


def test_a_run_interrupted_in_the_cut_final_pass_resumes_to_the_same_weights() -> None:
    x, y, x_val, y_val = _rows()
    straight = Trainer(CONFIG, x, y, x_val, y_val).run()

    def stop_in_the_final_pass(trainer: Trainer, record: dict[str, Any]) -> None:
        if record.get("refit") == 1.0 and record["epoch"] == 2:
            trainer.request_stop()

    interrupted = Trainer(CONFIG, x, y, x_val, y_val, callback=stop_in_the_final_pass).run()
    assert interrupted.status == "interrupted" and interrupted.resume is not None
    resumed = Trainer(CONFIG, x, y, x_val, y_val).run(interrupted.resume)
    assert [m.best_epoch for m in resumed.members] == [m.best_epoch for m in straight.members]
    for ours, theirs in zip(straight.members, resumed.members, strict=True):
        assert ours.history == theirs.history
        for name, values in ours.weights.items():
            np.testing.assert_array_equal(values, theirs.weights[name])


def test_a_hand_built_resume_state_without_the_validation_pass_is_refused() -> None:
    x, y, x_val, y_val = _rows()

    def stop_in_the_final_pass(trainer: Trainer, record: dict[str, Any]) -> None:
        if record.get("refit") == 1.0:
            trainer.request_stop()

    interrupted = Trainer(
        CONFIG.replace(ensemble=1), x, y, x_val, y_val, callback=stop_in_the_final_pass
    ).run()
    assert interrupted.resume is not None
    interrupted.resume.finished = []
    with pytest.raises(ValueError, match=r"^member 1's final pass needs its validation pass"):
        Trainer(CONFIG.replace(ensemble=1), x, y, x_val, y_val).run(interrupted.resume)


def test_a_state_saved_before_the_final_pass_was_cut_resumes_by_its_own_rule(tmp_path: Path) -> None:
    """A checkpoint without final_pass_cut comes from a glassnet whose final passes trained every
    epoch: its run goes on so, even past the epoch the validation pass kept, as it was started."""
    x, y, x_val, y_val = _rows()
    config = CONFIG.replace(ensemble=1, epochs=30)

    def stop_late_in_the_final_pass(trainer: Trainer, record: dict[str, Any]) -> None:
        if record.get("refit") == 1.0 and record["epoch"] == 2:
            trainer.request_stop()

    interrupted = Trainer(config, x, y, x_val, y_val, callback=stop_late_in_the_final_pass).run()
    assert interrupted.resume is not None and interrupted.resume.final_pass_cut
    path = save_checkpoint(
        tmp_path / "c.npz",
        Checkpoint(
            spec=interrupted.spec,
            members=[interrupted.resume.weights],
            config=config,
            resume=interrupted.resume,
        ),
    )
    assert load_checkpoint(path).resume.final_pass_cut  # type: ignore[union-attr]

    def older(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        del meta["resume"]["final_pass_cut"]
        reseal(arrays, meta)

    rewrite_checkpoint(path, older)
    state = load_checkpoint(path).resume
    assert state is not None and not state.final_pass_cut
    resumed = Trainer(config, x, y, x_val, y_val).run(state)
    assert not resumed.final_pass_cut  # what metrics.json's protocol reads
    assert resumed.validation_members[0].best_epoch < config.epochs
    assert (resumed.members[0].best_epoch, len(resumed.members[0].history)) == (30, 30)  # every epoch
    whole = Trainer(config.replace(patience=0), x, y, x_val, y_val).run()  # the old rule's final pass
    for name, values in whole.members[0].weights.items():
        np.testing.assert_array_equal(resumed.members[0].weights[name], values)


def test_a_finished_member_past_the_runs_epochs_cuts_nothing_beyond_them() -> None:
    """A state built by hand whose validation pass claims more epochs than the run has: the
    final pass trains the run's epochs, not more at a rate of 0."""
    x, y, x_val, y_val = _rows()
    config = CONFIG.replace(ensemble=1)

    def stop_in_the_final_pass(trainer: Trainer, record: dict[str, Any]) -> None:
        if record.get("refit") == 1.0:
            trainer.request_stop()

    interrupted = Trainer(config, x, y, x_val, y_val, callback=stop_in_the_final_pass).run()
    assert interrupted.resume is not None
    interrupted.resume.finished[0].best_epoch = config.epochs + 25
    resumed = Trainer(config, x, y, x_val, y_val).run(interrupted.resume)
    assert len(resumed.members[0].history) == config.epochs


@pytest.mark.parametrize("refit", [True, False])
def test_the_protocol_says_a_validation_pass_diverged(refit: bool) -> None:
    """A validation pass that diverged read "one pass: the model kept is the one validated",
    beside refit: true, for a model of 1 of its 2 members that no final pass retrained."""
    from glassnet.train import SplitSettings, train_dataset
    from glassnet.train.artifacts import metrics_document

    x, y, _, _ = _rows()
    config = CONFIG.replace(optimizer="sgd", lr=1.0, batch_size=8, patience=0, refit=refit)
    run = train_dataset("mine", x, 1e3 * y, config, split=SplitSettings(val_fraction=0.25))
    assert (run.result.status, len(run.result.members), run.result.validation_members) == ("diverged", 1, [])
    protocol = metrics_document(run)["protocol"]
    held = "the model kept holds 1 of the 2 members, with the weights 'message' names"
    if refit:
        assert protocol == (
            "refit: training diverged in a validation pass (see 'message'), before any member was retrained: "
            f"{held}, trained on the training rows only, and 'train' is measured on those rows"
        )
    else:
        assert (
            protocol
            == f"one pass: the model kept is the one validated; training diverged (see 'message'): {held}"
        )


def test_the_protocol_says_which_rule_the_final_passes_followed(tmp_path: Path) -> None:
    """A run resumed from an older state trained every epoch of its final passes: its
    metrics.json says so, not that they were cut to the validation pass's epochs."""
    from glassnet.train import SplitSettings, train_dataset
    from glassnet.train.artifacts import metrics_document

    x, y, _, _ = _rows()
    config = CONFIG.replace(ensemble=1)
    run = train_dataset("mine", x, y, config, split=SplitSettings(val_fraction=0.25))
    assert "as many epochs as its validation pass kept" in metrics_document(run)["protocol"]
    run.result.final_pass_cut = False
    assert "for all epochs, keeping the last" in metrics_document(run)["protocol"]
