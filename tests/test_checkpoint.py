"""Checkpoints: round trips across engines, atomic writes, and refusal of bad files."""

from __future__ import annotations

import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import reseal, rewrite_checkpoint
from glassnet.checkpoint import FORMAT_VERSION, META_KEY, Checkpoint, load_checkpoint, save_checkpoint
from glassnet.data import Preprocessor
from glassnet.spec import MLPSpec, build_mlp
from glassnet.torch_bridge import from_torch
from glassnet.train import TrainConfig, Trainer, fit


def trained(engine: str = "numpy", ensemble: int = 1) -> tuple[Checkpoint, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, 1.0]
    y = np.sin(x[:, 0]) + 0.02 * x[:, 1] + x[:, 2]
    prep = Preprocessor(log_columns=(2,)).fit(x, y)
    config = TrainConfig(hidden=(8, 8), epochs=3, batch_size=16, engine=engine, ensemble=ensemble, seed=1)
    result = fit(
        config, prep.transform_x(x), prep.transform_y(y), prep.transform_x(x[:16]), prep.transform_y(y[:16])
    )
    checkpoint = Checkpoint(
        spec=result.spec,
        members=result.weights,
        activations=result.activations,  # relu, tanh: the default's members in turn
        config=config,
        preprocessor=prep.to_state(),
        metrics={"test": {"rmse": 1.5, "r2": float("nan")}},
        info={"task": "toy", "feature_names": ["a", "b", "c"]},
        history=result.history,
        arrays={"split_train": np.arange(48)},
    )
    return checkpoint, x


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    checkpoint, x = trained(ensemble=2)
    path = save_checkpoint(tmp_path / "model.npz", checkpoint)
    loaded = load_checkpoint(path)
    assert loaded.spec == checkpoint.spec
    assert loaded.config == checkpoint.config
    assert loaded.metrics == {"test": {"rmse": 1.5, "r2": None}}  # NaN is stored as null
    assert loaded.info == checkpoint.info
    assert loaded.history == checkpoint.history
    np.testing.assert_array_equal(loaded.arrays["split_train"], np.arange(48))
    for ours, theirs in zip(checkpoint.members, loaded.members, strict=True):
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])
    prep = loaded.load_preprocessor()
    np.testing.assert_array_equal(
        prep.transform_x(x), Preprocessor.from_state(checkpoint.preprocessor).transform_x(x)
    )
    np.testing.assert_array_equal(
        loaded.ensemble().predict(prep.transform_x(x)), checkpoint.ensemble().predict(prep.transform_x(x))
    )
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_model_saved_by_one_engine_loads_in_the_other(engine: str, tmp_path: Path, torch: Any) -> None:
    checkpoint, x = trained(engine=engine)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "m.npz", checkpoint))
    inputs = loaded.load_preprocessor().transform_x(x)
    numpy_out = loaded.ensemble().predict(inputs)
    (module,) = loaded.torch_modules()
    with torch.no_grad():
        torch_out = module(torch.from_numpy(inputs)).numpy()
    np.testing.assert_allclose(torch_out, numpy_out, rtol=1e-12, atol=1e-12)
    again = from_torch(module)
    np.testing.assert_array_equal(again(inputs), numpy_out)


def test_save_refuses_weights_that_do_not_fit(tmp_path: Path) -> None:
    checkpoint, _ = trained()
    checkpoint.members[0]["0.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"has shape \(2, 2\)"):
        save_checkpoint(tmp_path / "m.npz", checkpoint)
    assert list(tmp_path.iterdir()) == []


def _flip_weight(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    arrays["weights/0/0.weight"] = arrays["weights/0/0.weight"] + 1e-12


def _resealed(change: Any) -> Any:
    """``change``, then the checksum recomputed: a crafted file that only the content checks can refuse."""

    def edit(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        change(arrays, meta)
        reseal(arrays, meta)

    return edit


def _nan_at(key: str) -> Any:
    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        arrays[key] = np.full_like(arrays[key], np.nan)

    return change


def _shrink_weight(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    arrays["weights/0/0.weight"] = arrays["weights/0/0.weight"][:, :2]


_shrink_and_reseal = _resealed(_shrink_weight)


def _future_version(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["version"] = FORMAT_VERSION + 1


def _other_format(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["format"] = "something-else"


def _change_metric(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["metrics"]["test"]["rmse"] = 0.1


def _drop_bias(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    del arrays["weights/0/2.bias"]


_drop_member = _resealed(_drop_bias)
_nan_weight = _resealed(_nan_at("weights/0/2.bias"))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_flip_weight, "checksum mismatch"),
        (_change_metric, "checksum mismatch"),
        (_shrink_weight, "arrays do not match the metadata"),
        (_shrink_and_reseal, r"has shape \(8, 2\), the architecture \[3, 8, 8, 1\] needs \(8, 3\)"),
        (_drop_member, r"missing \['2.bias'\]"),
        (_nan_weight, "NaN or infinite"),
        (_future_version, f"format version {FORMAT_VERSION + 1}.*reads versions 1 and {FORMAT_VERSION}"),
        (_other_format, "not a glassnet checkpoint"),
    ],
)
def test_tampered_or_mismatched_files_are_refused(change: Any, match: str, tmp_path: Path) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    rewrite_checkpoint(path, change)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def _one_member_fewer(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["n_members"] = 1  # member 1's weights stay in the file
    meta["member_activations"] = meta["member_activations"][:1]


def _add(key: str) -> Any:
    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        arrays[key] = np.zeros(3)

    return change


@pytest.mark.parametrize(
    ("change", "unread"),
    [
        (_one_member_fewer, "'weights/1/0.bias', 'weights/1/0.weight'"),
        (_add("weights/7/0.bias"), "'weights/7/0.bias'"),
        (_add("resume/weights/0.bias"), "'resume/weights/0.bias'"),  # the file has no resume state
        (_add("junk"), "'junk'"),
    ],
    ids=["member-beyond-n_members", "member-7", "resume-without-state", "top-level"],
)
def test_arrays_the_metadata_does_not_describe_are_refused(change: Any, unread: str, tmp_path: Path) -> None:
    """They loaded, ignored: a file re-sealed with n_members 1 evaluated as its first member
    alone, the second dropped without a word."""
    checkpoint, _ = trained(ensemble=2)
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    rewrite_checkpoint(path, _resealed(change))
    with pytest.raises(ValueError, match=r"arrays its metadata does not describe: \[" + re.escape(unread)):
        load_checkpoint(path)


def test_a_classification_loss_beside_a_standardised_target_is_refused(tmp_path: Path) -> None:
    """train_dataset refuses to train it; such a file loaded, and predict wrote its dB as
    logits, probabilities and labels."""
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    rewrite_checkpoint(path, _resealed(lambda arrays, meta: meta["config"].update(loss="logistic")))
    with pytest.raises(
        ValueError,
        match=r"loss 'logistic' trains on targets as given, but its preprocessing standardises them",
    ):
        load_checkpoint(path)


def test_a_bounded_output_beside_a_standardised_target_still_loads(tmp_path: Path) -> None:
    """train_dataset refuses it now, but glassnet trained such runs once (from 7fa256a to
    e2f4d9c): their files load, as they did."""
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)

    def sigmoid_output(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta["config"]["output_activation"] = meta["spec"]["output_activation"] = "sigmoid"

    rewrite_checkpoint(path, _resealed(sigmoid_output))
    assert load_checkpoint(path).spec.output_activation == "sigmoid"


@pytest.mark.parametrize(
    ("split", "match"),
    [
        (
            {"train": np.arange(48.0)},
            r"'split_train' must be a 1-D array of integer row indices, got float64 \(48,\)",
        ),
        ({"train": np.arange(48).reshape(6, 8)}, r"'split_train' must be .*, got int64 \(6, 8\)"),
        ({"train": np.arange(48) > 5}, "'split_train' must be a 1-D array of integer row indices, got bool"),
        ({"train": np.arange(1, 49)}, "'split_train' holds row 48, outside the rows 0 to 47 its parts share"),
        (  # a negative index would count from the end: the wrong rows, silently
            {"train": np.arange(1, 48), "test": np.array([-1])},
            "'split_test' holds row -1, outside the rows 0 to 47",
        ),
        (
            {"train": np.arange(40), "test": np.arange(38, 46)},
            r"row 38 appears more than once \(in split_test, split_train\)",
        ),
        ({"train": np.array([0, 0, 1])}, r"row 0 appears more than once \(in split_train, split_train\)"),
    ],
)
def test_a_damaged_split_is_refused(split: dict[str, Any], match: str, tmp_path: Path) -> None:
    """Crafted with a valid checksum, so that only the check of the row indices is left."""
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)

    def damage(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        del arrays["arrays/split_train"]
        arrays.update({f"arrays/split_{name}": rows for name, rows in split.items()})
        reseal(arrays, meta)

    rewrite_checkpoint(path, damage)
    with pytest.raises(ValueError, match="damaged split: " + match):
        load_checkpoint(path)
    checkpoint.arrays = {f"split_{name}": rows for name, rows in split.items()}
    with pytest.raises(ValueError, match="damaged split: " + match):  # nor is such a file written
        save_checkpoint(tmp_path / "other.npz", checkpoint)
    assert not (tmp_path / "other.npz").exists()


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.0])
def test_truncated_file_is_refused(keep: float, tmp_path: Path) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_pickled_payload_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, **{META_KEY: np.array([{"run": "code"}], dtype=object)})
    with pytest.raises(ValueError, match="pickled Python objects; refused"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a zip at all", "not a readable checkpoint"),
        (None, "no __meta__ entry"),
    ],
)
def test_foreign_files_are_refused(content: bytes | None, match: str, tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    if content is None:
        np.savez(path, weights=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def test_damaged_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    np.savez(path, **{META_KEY: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(ValueError, match="damaged metadata"):
        load_checkpoint(path)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "absent.npz")


def test_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    before = path.read_bytes()

    def failing_savez(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, checkpoint)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_checkpoint_is_a_plain_zip_of_npy_files(tmp_path: Path) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert f"{META_KEY}.npy" in names and "weights/0/0.weight.npy" in names
    assert MLPSpec.from_dict(json.loads(np.load(path)[META_KEY].tobytes())["spec"]) == checkpoint.spec


def test_a_checkpoint_saved_before_fourier_features_resumes_without_them(tmp_path: Path) -> None:
    """Its configuration has no fourier_features field: it means none, not today's default."""
    spec = MLPSpec(sizes=(5, 4, 1))
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    config = TrainConfig(hidden=(4,), fourier_features=0)
    path = save_checkpoint(tmp_path / "m.npz", Checkpoint(spec=spec, members=[weights], config=config))

    def older(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        del meta["config"]["fourier_features"], meta["config"]["fourier_sigma"]
        reseal(arrays, meta)

    rewrite_checkpoint(path, older)
    loaded = load_checkpoint(path).config
    assert loaded is not None and loaded.fourier_features == 0 and loaded.hidden == (4,)
    assert TrainConfig().fourier_features == 8  # while a new configuration has them


INTERRUPTED_CONFIG = TrainConfig(
    hidden=(4,), epochs=4, batch_size=16, ensemble=2, seed=1, refit=False, dtype="float32",
    optimizer="sgd", momentum=0.9, fourier_features=0,
)  # fmt: skip


def _interrupted_rows() -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of :func:`_interrupted`'s run; its first 16 rows validate it."""
    x = np.random.default_rng(5).normal(size=(64, 3))
    return x, np.sin(x[:, 0]) + x[:, 2]


def _interrupted(tmp_path: Path) -> Path:
    """An interrupted float32 run's checkpoint: member 2 of 2 in progress, member 1 finished."""
    x, y = _interrupted_rows()
    config = INTERRUPTED_CONFIG

    def stop(trainer: Any, record: dict[str, float]) -> None:
        if record["member"] == 1 and record["epoch"] == 2:
            trainer.request_stop()

    result = fit(config, x, y, x[:16], y[:16], callback=stop)
    assert result.resume is not None and result.resume.finished and result.resume.best_weights is not None
    checkpoint = Checkpoint(
        spec=result.spec, members=[result.resume.weights], config=config, resume=result.resume
    )
    return save_checkpoint(tmp_path / "c.npz", checkpoint)


def _as_float64(key: str) -> Any:
    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        arrays[key] = arrays[key].astype(np.float64)

    return change


def _resume_field(name: str, value: Any) -> Any:
    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta["resume"][name] = value

    return change


def _patience_reached(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["config"]["patience"] = 2
    meta["resume"]["bad_epochs"] = 2


def _finished_status(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["resume"]["finished"][0]["status"] = "great"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_nan_at("resume/best/2.bias"), r"resume best weights weight '2.bias' holds NaN"),
        (_nan_at("resume/previous_start/0.bias"), r"previous epoch-start weights weight '0.bias' holds NaN"),
        (_nan_at("resume/finished/0/weights/0.weight"), r"finished member 0 weight '0.weight' holds NaN"),
        (_as_float64("resume/weights/0.weight"), r"has dtype float64, the architecture says float32"),
        (
            _as_float64("resume/finished/0/weights/2.bias"),
            r"has dtype float64, the architecture says float32",
        ),
        (_resume_field("epoch", -3), r"resume epoch must be an integer >= 0, got -3"),
        (_resume_field("epoch", 4), r"resume epoch 4 \(best \d\) is outside the run's 4 epochs"),
        (_resume_field("best_epoch", 9), r"resume epoch 2 \(best 9\) is outside the run's 4 epochs"),
        (_resume_field("member", 4), r"resume member 4 is outside the run's 2 member\(s\)"),
        (_resume_field("step", -1), r"resume step must be an integer >= 0"),
        (_resume_field("bad_epochs", 1.5), r"resume bad_epochs must be an integer >= 0"),
        # counts no run writes, that went on as another run (a reviewer's resealed edits)
        (_resume_field("bad_epochs", 3), r"resume bad_epochs 3 is more than the run's 2 epoch\(s\) done$"),
        (
            _patience_reached,
            r"resume bad_epochs 2 reaches the run's patience 2, where it would have stopped$",
        ),
        (
            _resume_field("best_val", -1.0),
            r"resume best_val must be a finite number >= 0 \(a loss\) or null, got -1",
        ),
        (_resume_field("sums", [-1.0, 0.0, 0.0, 0.0]), r"resume sums must be 4 sums >= 0"),
        (_finished_status, r"finished member 0 has status 'great'"),
    ],
)
def test_a_resume_state_edited_by_hand_is_refused(change: Any, match: str, tmp_path: Path) -> None:
    """Resealed (checksum recomputed), so only the content checks stand between a damaged resume
    state and a run that goes on from NaN weights or ends with a NaN member in its model."""
    path = _interrupted(tmp_path)
    assert load_checkpoint(path).resume is not None  # unedited, it loads
    rewrite_checkpoint(path, _resealed(change))
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


@pytest.mark.parametrize("key", ["resume/weights/0.weight", "resume/optimizer/momentum_buffer/0.weight"])
def test_a_resume_state_in_progress_may_hold_what_an_overflowing_step_left(
    key: str, tmp_path: Path, torch: Any
) -> None:
    """A run interrupted just after a step that overflowed saves its weights (and buffers) so:
    they load, and the resumed epoch ends in the divergence it would have met uninterrupted.
    Only the weights a run may keep must be finite (the cases above)."""
    path = _interrupted(tmp_path)
    rewrite_checkpoint(path, _resealed(_nan_at(key)))
    state = load_checkpoint(path).resume
    assert state is not None
    group, name = key.rsplit("/", 1)
    arrays = state.weights if group == "resume/weights" else state.optimizer["buffers"]["momentum_buffer"]
    assert np.isnan(arrays[name]).all()
    x, y = _interrupted_rows()
    for engine in ("numpy", "torch"):  # both engines take the state, where they refused NaN weights
        config = INTERRUPTED_CONFIG.replace(engine=engine)
        result = Trainer(config, x, y, x[:16], y[:16]).run(state)
        assert result.status == "diverged" and "training diverged at epoch 3 (member 2)" in result.message
        assert all(
            np.isfinite(values).all() for member in result.members for values in member.weights.values()
        )


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("hidden", [16, 16], r"configuration's hidden \(16, 16\) does not match the architecture's \(8, 8\)"),
        ("dtype", "float32", r"configuration's dtype 'float32' does not match the architecture's 'float64'"),
        ("activation", "tanh", r"configuration's activation 'tanh' does not match the architecture's 'relu'"),
        ("ensemble", 1, None),  # fewer members than the configuration's is a finished part of a run: fine
    ],
)
def test_a_configuration_that_does_not_describe_the_model_is_refused(
    field: str, value: Any, match: str | None, tmp_path: Path
) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)

    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta["config"][field] = value

    rewrite_checkpoint(path, _resealed(change))
    if match is None:
        assert load_checkpoint(path).config is not None
        return
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)
    with pytest.raises(ValueError, match=match):  # and never written
        save_checkpoint(
            tmp_path / "n.npz",
            Checkpoint(
                **{
                    **checkpoint.__dict__,
                    "config": checkpoint.config.replace(
                        **{field: tuple(value) if isinstance(value, list) else value}
                    ),
                }
            ),
        )


@pytest.mark.parametrize("slope", [True, "nan", "inf"])
def test_a_leaky_relu_slope_that_is_not_a_finite_number_is_refused(slope: Any, tmp_path: Path) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)

    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta["spec"]["negative_slope"] = float(slope) if isinstance(slope, str) else slope

    # NaN and inf cannot be resealed (the checksum's JSON has no such numbers): refused on reading
    rewrite_checkpoint(path, change if isinstance(slope, str) else _resealed(change))
    with pytest.raises(ValueError, match=r"negative_slope must be a finite number|holds (NaN|Infinity)"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match=r"negative_slope must be a finite number, got"):
        MLPSpec(
            sizes=(2, 3, 1),
            activation="leaky_relu",
            negative_slope=float(slope) if isinstance(slope, str) else slope,
        )


def test_a_configuration_saved_before_refit_and_cuda_graphs_means_neither(tmp_path: Path) -> None:
    """Fields a configuration lacks were saved before they existed: such a run trained one pass
    (no refit) with eager steps (no CUDA graph), which resuming it must repeat, not today's defaults."""
    spec = MLPSpec(sizes=(5, 4, 1))
    weights = build_mlp(spec, rng=np.random.default_rng(0)).state_dict()
    path = save_checkpoint(
        tmp_path / "m.npz", Checkpoint(spec=spec, members=[weights], config=TrainConfig(hidden=(4,)))
    )

    def older(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        for name in ("refit", "cuda_graph", "fourier_features", "fourier_sigma"):
            del meta["config"][name]
        reseal(arrays, meta)

    rewrite_checkpoint(path, older)
    loaded = load_checkpoint(path).config
    assert loaded is not None
    assert (loaded.refit, loaded.cuda_graph, loaded.fourier_features) == (False, False, 0)
    assert loaded.fourier_sigma == 0.2  # the σ of the time, not None (the data set's own, filled in)
    assert TrainConfig().refit and TrainConfig().cuda_graph  # while a new configuration has both


def _member_as(dtype: str) -> Any:
    def change(checkpoint: Checkpoint) -> None:
        checkpoint.members[0] = {name: value.astype(dtype) for name, value in checkpoint.members[0].items()}

    return change


def _nan_member(checkpoint: Checkpoint) -> None:
    checkpoint.members[0]["2.bias"] = np.full_like(checkpoint.members[0]["2.bias"], np.nan)


def _resume_as_float64(checkpoint: Checkpoint) -> None:
    assert checkpoint.resume is not None
    checkpoint.resume.weights = {
        name: value.astype(np.float64) for name, value in checkpoint.resume.weights.items()
    }


def _strings_in(checkpoint: Checkpoint) -> None:
    checkpoint.arrays["names"] = np.array(["a", "b"])


def _complex_in(checkpoint: Checkpoint) -> None:
    checkpoint.arrays["phase"] = np.array([1j])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            _member_as("float64"),
            r"member 0 weight '0.weight' has dtype float64, the architecture says float32",
        ),
        (_member_as("int64"), r"member 0 weight '0.weight' has dtype int64, the architecture says float32"),
        (_nan_member, r"member 0 weight '2.bias' holds NaN or infinite values"),
        (
            _resume_as_float64,
            r"resume weights weight '0.weight' has dtype float64, the architecture says float32",
        ),
        (_strings_in, r"checkpoint array arrays/names has dtype <U1; only real numbers"),
        (_complex_in, r"checkpoint array arrays/phase has dtype complex128; only real numbers"),
    ],
)
def test_save_refuses_what_loading_would_refuse(change: Any, match: str, tmp_path: Path) -> None:
    """Such a file was written, and then every load of it failed: a model saved for nothing."""
    checkpoint = load_checkpoint(_interrupted(tmp_path))  # float32, with a resume state
    change(checkpoint)
    with pytest.raises((ValueError, TypeError), match=match):
        save_checkpoint(tmp_path / "n.npz", checkpoint)
    assert not (tmp_path / "n.npz").exists()


@pytest.mark.parametrize("group", ["arrays", "preprocessor"])
def test_an_array_name_with_a_slash_is_refused_not_lost(group: str, tmp_path: Path) -> None:
    """``arrays/a/b`` was written, and loading (which reads one level under each prefix) dropped it."""
    checkpoint, _ = trained()
    getattr(checkpoint, group)["a/b"] = np.arange(3)
    with pytest.raises(ValueError, match=rf"checkpoint array name 'a/b' \(in {group}\) holds '/'"):
        save_checkpoint(tmp_path / "m.npz", checkpoint)
    assert not (tmp_path / "m.npz").exists()


def test_nan_in_metadata_arrays_and_configuration_notes_is_stored_as_null(tmp_path: Path) -> None:
    """As a NaN metric is: json.dumps failed with 'Out of range float values are not JSON compliant'."""
    checkpoint, _ = trained()
    checkpoint.metrics["curve"] = np.array([1.0, np.nan])
    checkpoint.info["scale"] = np.float32(np.inf)
    assert checkpoint.config is not None
    checkpoint.config = checkpoint.config.replace(extra={"note": "x", "score": math.nan})
    loaded = load_checkpoint(save_checkpoint(tmp_path / "m.npz", checkpoint))
    assert loaded.metrics["curve"] == [1.0, None] and loaded.info["scale"] is None
    assert loaded.config is not None and dict(loaded.config.extra) == {"note": "x", "score": None}


@pytest.mark.parametrize("part", ["metrics", "info"])
def test_metadata_that_is_not_a_mapping_is_refused_by_name(part: str, tmp_path: Path) -> None:
    checkpoint, _ = trained()
    path = save_checkpoint(tmp_path / "m.npz", checkpoint)

    def change(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta[part] = "x"

    rewrite_checkpoint(path, _resealed(change))
    with pytest.raises(ValueError, match=rf"m.npz: checkpoint {part} must be a mapping, got str"):
        load_checkpoint(path)
