"""Checkpoint edge cases: metadata nested past the JSON parser's depth, and resume states
whose optimizer buffers, finished members or parts are of the wrong kind, each refused on
loading with a ValueError that names the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet.train._trainer as trainer_module
from conftest import reseal, rewrite_checkpoint
from glassnet.checkpoint import META_KEY, Checkpoint, load_checkpoint, save_checkpoint
from glassnet.cli import main
from glassnet.train import TrainConfig, Trainer

ROWS = np.random.default_rng(5).normal(size=(64, 3))
TARGET = np.sin(ROWS[:, 0]) + ROWS[:, 2]


def _interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, optimizer: str) -> Path:
    """A run of 2 members (4 epochs of 8 batches each) stopped mid-epoch 1 of member 2."""
    config = TrainConfig(
        hidden=(4,), epochs=4, batch_size=8, ensemble=2, seed=1, refit=False, optimizer=optimizer,
        fourier_features=0,
        activation="relu",  # the model saved is member 2's weights as the one member: one kind
    )  # fmt: skip
    trainer = Trainer(config, ROWS, TARGET, ROWS[:16], TARGET[:16])
    make_engine, batches = trainer_module.make_engine, [0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        engine = make_engine(*args, **kwargs)
        train_batch = engine.train_batch

        def counted(start: int, stop: int) -> None:
            train_batch(start, stop)
            batches[0] += 1
            if batches[0] == 4 * 8 + 3:
                trainer.request_stop()

        engine.train_batch = counted
        return engine

    monkeypatch.setattr(trainer_module, "make_engine", counting)
    run = trainer.run()
    monkeypatch.undo()
    assert run.resume is not None and run.resume.member == 1 and run.resume.batch == 3
    checkpoint = Checkpoint(spec=run.spec, members=[run.resume.weights], config=config, resume=run.resume)
    return save_checkpoint(tmp_path / "checkpoint.npz", checkpoint)


def _resealed(change: Any) -> Any:
    def edit(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        change(arrays, meta)
        reseal(arrays, meta)

    return edit


def test_metadata_nested_past_the_parsers_depth_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """json.loads raised RecursionError (a traceback from evaluate), not the ValueError of damaged metadata."""
    path = tmp_path / "deep.npz"
    text = '{"format": "glassnet-checkpoint", "version": 1, "info": ' + "[" * 5000 + "]" * 5000 + "}"
    with open(path, "wb") as handle:
        np.savez(handle, **{META_KEY: np.frombuffer(text.encode(), dtype=np.uint8)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"deep.npz: damaged metadata \(nested too deeply\)"):
        load_checkpoint(path)
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged metadata (nested too deeply)" in err, err


def _buffers_of(optimizer: str) -> Any:
    """A resume state's optimizer buffers replaced by ``optimizer``'s, of the same shapes."""
    names = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq"], "none": []}[optimizer]

    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        held = {k: v for k, v in arrays.items() if k.startswith("resume/optimizer/")}
        template = {k.rsplit("/", 1)[1]: v for k, v in held.items()}
        for key in held:
            del arrays[key]
        for name in names:
            for parameter, values in template.items():
                arrays[f"resume/optimizer/{name}/{parameter}"] = np.zeros_like(values)
        meta["resume"]["buffers"] = names

    return change


@pytest.mark.parametrize(
    ("optimizer", "buffers", "match"),
    [
        ("adam", "sgd", r"resume optimizer buffers \['momentum_buffer'\] are not those of adam"),
        ("adam", "none", r"resume optimizer buffers \[\] are not those of adam after 3 step\(s\)"),
        ("sgd", "adam", r"resume optimizer buffers \['exp_avg', 'exp_avg_sq'\] are not those of sgd"),
    ],
)
def test_optimizer_buffers_of_another_optimizer_are_refused(
    optimizer: str, buffers: str, match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch: Any
) -> None:
    """Such a state loaded; resumed, the torch engine failed with KeyError 'exp_avg' (a traceback
    from train --resume) or silently restarted Adam's moments, where the numpy engine refused."""
    path = _interrupted(tmp_path, monkeypatch, optimizer)
    rewrite_checkpoint(path, _resealed(_buffers_of(buffers)))
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def _finished(change: Any) -> Any:
    def edit(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        change(meta["resume"]["finished"])

    return edit


def _set_first(key: str, value: Any) -> Any:
    return _finished(lambda finished: finished[0].__setitem__(key, value))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_finished(list.clear), r"resume member 1 follows 0 finished member\(s\), not 1"),
        (
            _set_first("member", 5),
            r"resume finished member 0 is numbered 5; finished members are numbered 0, 1",
        ),
        (_set_first("member", -1), r"resume finished member 0 is numbered -1"),
        (_set_first("member", "0"), r"resume finished member 0 is numbered '0'"),
        (_set_first("member", 0.0), r"resume finished member 0 is numbered 0.0"),
        (
            _set_first("best_epoch", "x"),
            r"resume finished member 0 best_epoch must be an integer >= 0, got 'x'",
        ),
        (
            _set_first("best_epoch", -5),
            r"resume finished member 0 best_epoch must be an integer >= 0, got -5",
        ),
        (
            _set_first("best_epoch", 1.5),
            r"resume finished member 0 best_epoch must be an integer >= 0, got 1.5",
        ),
        (
            _finished(lambda finished: finished.__setitem__(0, 5)),
            r"resume finished member 0 must be a mapping, got int",
        ),
    ],
)
def test_finished_members_out_of_order_or_of_the_wrong_kind_are_refused(
    change: Any, match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They loaded: resumed, the run ended with 1 member of 2, or one numbered 5 or -1 (which a
    refit run sorts into its validation or its final members by number); a string or a float was
    taken by int(), and 'x' failed with "invalid literal for int()", naming no field."""
    path = _interrupted(tmp_path, monkeypatch, "sgd")
    assert len(load_checkpoint(path).resume.finished) == 1  # type: ignore[union-attr]
    rewrite_checkpoint(path, _resealed(change))
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def _resume_part(key: str | None, value: Any) -> Any:
    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        if key is None:
            meta["resume"] = value
        else:
            meta["resume"][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_resume_part(None, []), r"checkpoint resume must be a mapping, got list"),
        (_resume_part(None, "x"), r"checkpoint resume must be a mapping, got str"),
        (_resume_part("buffers", 5), r"resume buffers must be a list of names, got 5"),
        (_resume_part("buffers", [5]), r"resume buffers must be a list of names, got \[5\]"),
        (_resume_part("sums", None), r"resume sums must be 4 finite sums >= 0, got None"),
        (_resume_part("sums", "abcd"), r"resume sums must be 4 finite sums >= 0, got 'abcd'"),
        (_resume_part("sums", ["1", "2", "3", "4"]), r"resume sums must be 4 finite sums >= 0"),
        (_resume_part("finished", None), r"resume finished must be a list, got None"),
        (_resume_part("finished", "x"), r"resume finished must be a list, got 'x'"),
    ],
)
def test_resume_parts_of_the_wrong_kind_are_refused_by_name(
    change: Any, match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They failed inside the loader (TypeError "'int' object is not iterable", "list indices must
    be integers", ...), reported as damaged content without naming the field, or were taken
    (sums as strings)."""
    path = _interrupted(tmp_path, monkeypatch, "sgd")
    rewrite_checkpoint(path, _resealed(change))
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_interrupted_states_still_load_and_resave_identically(
    optimizer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _interrupted(tmp_path, monkeypatch, optimizer)
    again = save_checkpoint(tmp_path / "again.npz", load_checkpoint(path))
    assert again.read_bytes() == path.read_bytes()
