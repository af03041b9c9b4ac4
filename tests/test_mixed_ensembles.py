"""Ensembles whose members take different hidden activations in turn (TrainConfig.activation as
a tuple): configuration, Trainer in both engines, Ensemble, checkpoints and the command line."""

from __future__ import annotations

import gc
import json
import re
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet.train._ensemble as ensemble_module
from glassnet.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from glassnet.cli import main
from glassnet.nn import ReLU, Tanh
from glassnet.spec import MLPSpec, build_mlp
from glassnet.train import Ensemble, TrainConfig, Trainer, fit
from glassnet.train._engines import NumpyEngine, TorchEngine
from test_train import airfoil, assert_resume_is_exact, small  # noqa: F401 (airfoil: a fixture)

Array = np.ndarray[Any, Any]
MIXED = ("relu", "tanh")


@pytest.fixture(scope="module")
def rows() -> tuple[Array, Array, Array, Array]:
    """A small smooth regression: 96 training rows, 32 validation rows, 3 features."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(128, 3))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2]
    return x[:96], y[:96], x[96:], y[96:]


def config(**changes: Any) -> TrainConfig:
    base = TrainConfig(hidden=(8, 8), epochs=4, batch_size=32, warmup_epochs=1, seed=5, ensemble=3)
    return base.replace(**changes)


# -- the configuration ------------------------------------------------------------------


def test_members_take_the_activations_in_turn() -> None:
    mixed = config(activation=["relu", "tanh"])  # a list is kept as a tuple
    assert mixed.activation == MIXED
    assert [mixed.member_activation(m) for m in range(5)] == ["relu", "tanh", "relu", "tanh", "relu"]
    assert config(activation=("tanh",)).activation == "tanh"  # one name in a sequence: that name
    assert config(activation=["relu", "relu"]) == config(activation="relu")  # the same members
    assert config(activation="tanh").member_activation(4) == "tanh"
    assert TrainConfig.from_dict(json.loads(json.dumps(mixed.to_dict()))) == mixed


@pytest.mark.parametrize(
    ("activation", "match"),
    [
        ((), r"activation takes one name or a sequence of them, one per member in turn, got \(\)"),
        (("relu", "rleu"), r"each activation of a sequence must be one of identity, .*, got 'rleu'"),
        (("relu", None), r"each activation of a sequence must be one of .*, got None"),
        (
            "relu,tanh",
            r"activation must be one of .*, or a tuple of them, got 'relu,tanh'; for members in turn "
            r"write a tuple: \('relu', 'tanh'\)",
        ),
        ("ReLU", r"activation must be one of identity, relu, .*, got 'ReLU'"),
    ],
)
def test_bad_activations_are_refused(activation: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        config(activation=activation)


# -- training ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_each_member_trains_as_a_run_of_its_own_activation(
    engine: str, rows: Any, request: pytest.FixtureRequest
) -> None:
    """Member m of the mixed run is member m of a run with its activation for every member,
    to the bit: the same initial weights and batch orders, only the activation chosen per member."""
    if engine == "torch":
        request.getfixturevalue("torch")
    x, y, xv, yv = rows
    mixed = fit(config(activation=MIXED, engine=engine), x, y, xv, yv)
    assert mixed.activations == ["relu", "tanh", "relu"]
    for name in MIXED:
        alone = fit(config(activation=name, engine=engine), x, y, xv, yv)
        for m, activation in enumerate(mixed.activations):
            if activation == name:
                for key, value in alone.members[m].weights.items():
                    np.testing.assert_array_equal(mixed.members[m].weights[key], value)
                    np.testing.assert_array_equal(
                        mixed.validation_members[m].weights[key], alone.validation_members[m].weights[key]
                    )
    ensemble = mixed.ensemble()
    kinds = [type(model[1]) for model in ensemble.models()]
    assert kinds == [ReLU, Tanh, ReLU]
    expected = np.mean([model.forward(xv) for model in ensemble.models()], axis=0)
    np.testing.assert_allclose(mixed.predict(xv), expected, rtol=1e-15)
    assert [type(model[1]) for model in mixed.validation_ensemble().models()] == kinds  # type: ignore[union-attr]


def test_the_engines_agree_on_a_mixed_ensemble(rows: Any, torch: Any) -> None:
    x, y, xv, yv = rows
    runs = [fit(config(activation=MIXED, engine=engine), x, y, xv, yv) for engine in ("numpy", "torch")]
    for a, b in zip(runs[0].members, runs[1].members, strict=True):
        for key in a.weights:
            np.testing.assert_allclose(a.weights[key], b.weights[key], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("engine_cls", "batches"), [(NumpyEngine, 11), (TorchEngine, 11), (NumpyEngine, 38), (TorchEngine, 38)]
)
def test_a_mixed_run_resumes_to_the_bit(
    engine_cls: Any,
    batches: int,
    airfoil: Any,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """Interrupted in the tanh member's validation pass (batch 11: 10 batches of 100 rows a
    member) or its final pass (batch 38: after 20 validation-pass batches and 12 of the ReLU
    member's final pass, whose 1120 rows make 12 batches)."""
    engine = "numpy" if engine_cls is NumpyEngine else "torch"
    if engine == "torch":
        request.getfixturevalue("torch")
    run = small(activation=MIXED, ensemble=2, epochs=1, engine=engine, refit=True, patience=50)
    resumed = assert_resume_is_exact(run, airfoil, engine_cls, batches, monkeypatch)
    assert resumed.activations == ["relu", "tanh"]


# -- Ensemble ---------------------------------------------------------------------------


def test_an_ensemble_builds_each_member_with_its_activation() -> None:
    spec = MLPSpec(sizes=(2, 4, 1))
    members = [build_mlp(spec, rng=np.random.default_rng(m)).state_dict() for m in range(2)]
    ensemble = Ensemble(spec, members, activations=["tanh", "relu"])
    assert ensemble.activations == ("tanh", "relu")
    assert ensemble.member_spec(0) == MLPSpec(sizes=(2, 4, 1), activation="tanh")
    assert ensemble.member_spec(1) is spec
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    by_hand = []
    for weights, f in zip(members, (np.tanh, lambda z: np.maximum(z, 0.0)), strict=True):
        hidden = f(x @ weights["0.weight"].T + weights["0.bias"])
        by_hand.append(hidden @ weights["2.weight"].T + weights["2.bias"])
    np.testing.assert_allclose(ensemble.predict(x), np.mean(by_hand, axis=0), rtol=1e-15)
    assert Ensemble(spec, members).activations == ("relu", "relu")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("members", [1, 3])
def test_predict_runs_the_rows_in_blocks_to_the_same_numbers(
    members: int, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All rows at once kept every layer's (N, width) input in every member: 9.8 GB for a million
    rows. In blocks (7 rows here, 8192 by default) the mean is the same to the bit where the
    blocks' products are (here, and for any N up to one block)."""
    spec = MLPSpec(sizes=(3, 5, 5, 2), dtype=dtype)
    weights = [build_mlp(spec, rng=np.random.default_rng(m)).state_dict() for m in range(members)]
    ensemble = Ensemble(spec, weights, activations=["relu", "tanh", "relu"][:members])
    x = np.random.default_rng(9).normal(size=(23, 3))
    whole = [model.forward(x.astype(dtype)).astype(np.float64) for model in ensemble._models]
    monkeypatch.setattr(ensemble_module, "PREDICT_ROWS", 7)
    blocks = ensemble.predict(x)
    assert blocks.dtype == np.float64 and blocks.shape == (23, 2)
    np.testing.assert_array_equal(blocks, np.mean(whole, axis=0))
    assert ensemble.predict(x[:0]).shape == (0, 2)


def test_predict_beyond_one_block_agrees_with_one_pass_up_to_rounding() -> None:
    """Past PREDICT_ROWS rows, BLAS may round a short last block's products otherwise in the last
    place (a reviewer found rows of it differing by 7.5e-9 in float32)."""
    spec = MLPSpec(sizes=(5, 64, 64, 1), dtype="float32")
    weights = [build_mlp(spec, rng=np.random.default_rng(m)).state_dict() for m in range(2)]
    ensemble = Ensemble(spec, weights, activations=["relu", "tanh"])
    x = np.random.default_rng(4).normal(size=(ensemble_module.PREDICT_ROWS + 17, 5))
    whole = np.mean(
        [model.forward(x.astype(np.float32)).astype(np.float64) for model in ensemble._models], axis=0
    )
    np.testing.assert_allclose(ensemble.predict(x), whole, rtol=1e-6, atol=1e-6)


def test_predict_keeps_no_reference_to_its_input() -> None:
    """The first layers kept a view of the last block, and so all of x, for as long as the
    ensemble lived: a caller's `del x` freed nothing."""
    spec = MLPSpec(sizes=(3, 4, 1))
    ensemble = Ensemble(spec, [build_mlp(spec, rng=np.random.default_rng(m)).state_dict() for m in range(2)])
    x = np.random.default_rng(2).normal(size=(10, 3))  # float64 and contiguous: predict takes it as it is
    alive = weakref.ref(x)
    ensemble.predict(x)
    del x
    gc.collect()
    assert alive() is None


def test_a_members_spec_differs_in_hidden_activation_only() -> None:
    """MLPSpec.with_activation: what Ensemble.member_spec and Trainer.member_spec both build."""
    spec = MLPSpec(sizes=(2, 4, 1), output_activation="sigmoid", dtype="float32", negative_slope=0.2)
    assert spec.with_activation("relu") is spec
    assert spec.with_activation("tanh") == MLPSpec(
        sizes=(2, 4, 1), activation="tanh", output_activation="sigmoid", dtype="float32", negative_slope=0.2
    )
    with pytest.raises(ValueError, match=r"activation must be one of .*, got 'gelu'"):
        spec.with_activation("gelu")
    trainer = Trainer(small(ensemble=2), np.zeros((4, 2)), np.zeros(4))
    assert [trainer.member_spec(m).activation for m in range(2)] == ["relu", "tanh"]


@pytest.mark.parametrize(
    ("activations", "error", "match"),
    [
        (["relu"], ValueError, r"activations names 1 member\(s\), the ensemble has 2"),
        (["relu", "gelu"], ValueError, "activation must be one of .*, got 'gelu'"),
        ("relu", TypeError, "activations must be a sequence of names, one per member, got str"),
        (3, TypeError, "activations must be a sequence of names, one per member, got int"),
    ],
)
def test_bad_member_activations_are_refused(activations: Any, error: type[Exception], match: str) -> None:
    spec = MLPSpec(sizes=(2, 4, 1))
    members = [build_mlp(spec, rng=np.random.default_rng(m)).state_dict() for m in range(2)]
    with pytest.raises(error, match=match):
        Ensemble(spec, members, activations=activations)


# -- checkpoints ------------------------------------------------------------------------


def test_a_mixed_checkpoint_is_version_2_and_loads_each_member_with_its_activation(
    rows: Any, tmp_path: Path, torch: Any
) -> None:
    x, y, xv, yv = rows
    run_config = config(activation=MIXED)
    result = fit(run_config, x, y, xv, yv)
    checkpoint = Checkpoint(
        spec=result.spec, members=result.weights, config=run_config, activations=result.activations
    )
    path = save_checkpoint(tmp_path / "mixed.npz", checkpoint)
    meta = saved_meta(path)
    assert meta["version"] == 2 and meta["member_activations"] == ["relu", "tanh", "relu"]
    loaded = load_checkpoint(path)
    assert loaded.activations == ["relu", "tanh", "relu"] and loaded.config == run_config
    np.testing.assert_array_equal(loaded.ensemble().predict(xv), result.predict(xv))
    modules = loaded.torch_modules()
    assert [type(module[1]).__name__ for module in modules] == ["ReLU", "Tanh", "ReLU"]
    with torch.no_grad():
        through_torch = np.mean([module(torch.from_numpy(xv)).numpy() for module in modules], axis=0)
    np.testing.assert_allclose(through_torch, result.predict(xv), rtol=1e-12, atol=1e-14)


def saved_meta(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as archive:
        return dict(json.loads(archive["__meta__"].tobytes()))


def test_version_1_unless_a_reader_of_version_1_would_misread_the_file(rows: Any, tmp_path: Path) -> None:
    """One activation in the configuration and the members: version 1. A configuration of
    several, even for one ReLU member: version 2, which a reader of version 1 refuses by its
    number (it would fail on the tuple in the configuration, or build a tanh member as ReLU)."""
    x, y, xv, yv = rows
    for activation, version in (("relu", 1), (MIXED, 2)):
        run_config = config(activation=activation, ensemble=1)
        result = fit(run_config, x, y, xv, yv)
        path = save_checkpoint(
            tmp_path / f"v{version}.npz",
            Checkpoint(spec=result.spec, members=result.weights, config=run_config),
        )
        meta = saved_meta(path)
        assert meta["version"] == version
        assert meta.get("member_activations") == (["relu"] if version == 2 else None)
        loaded = load_checkpoint(path)
        assert loaded.member_activations() == ("relu",) and loaded.config == run_config
    spec_only = Checkpoint(spec=result.spec, members=result.weights)  # no configuration: the spec's
    assert saved_meta(save_checkpoint(tmp_path / "bare.npz", spec_only))["version"] == 1


def test_without_activations_a_checkpoint_takes_its_configurations(rows: Any, tmp_path: Path) -> None:
    x, y, xv, yv = rows
    run_config = config(activation=MIXED, ensemble=2)
    result = fit(run_config, x, y, xv, yv)
    implied = Checkpoint(spec=result.spec, members=result.weights, config=run_config)
    assert implied.member_activations() == ("relu", "tanh")
    np.testing.assert_array_equal(implied.ensemble().predict(xv), result.predict(xv))
    loaded = load_checkpoint(save_checkpoint(tmp_path / "m.npz", implied))
    assert loaded.activations == ["relu", "tanh"]
    np.testing.assert_array_equal(loaded.ensemble().predict(xv), result.predict(xv))
    # activations that contradict the configuration: one member would be rebuilt otherwise
    contradicting = Checkpoint(
        spec=result.spec, members=result.weights, config=run_config, activations=["relu", "relu"]
    )
    with pytest.raises(
        ValueError,
        match=r"activation \('relu', 'tanh'\) gives the members relu, tanh; the architecture's are relu, relu$",
    ):
        save_checkpoint(tmp_path / "c.npz", contradicting)
    assert not (tmp_path / "c.npz").exists()


# -- the command line -------------------------------------------------------------------


def test_train_evaluate_and_predict_a_mixed_airfoil_ensemble(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    quick = ["--hidden", "16,16", "--epochs", "3", "--fourier-features", "2", "--batch-size", "128"]
    options = [*quick, "--activation", "relu, tanh", "--ensemble", "3", "--out", str(out), "--no-plots"]
    assert main(["train", "airfoil", *options]) == 0
    assert "airfoil: 3 model(s) (relu, tanh, relu)," in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["activation"] == ["relu", "tanh"]
    checkpoint = load_checkpoint(out / "model.npz")
    assert checkpoint.activations == ["relu", "tanh", "relu"]
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.npz")]) == 0
    printed = capsys.readouterr().out
    assert "3 member(s) (relu, tanh, relu)" in printed and f"{metrics['test']['rmse']:.3f}" in printed
    rows_csv = tmp_path / "rows.csv"
    rows_csv.write_text("800,0,0.3048,71.3,0.00266337\n")
    assert main(["predict", str(out / "model.npz"), str(rows_csv), "-o", str(tmp_path / "p.csv")]) == 0
    predicted = float((tmp_path / "p.csv").read_text().splitlines()[-1].split(",")[-1])
    x = checkpoint.load_preprocessor().transform_x(np.array([[800, 0, 0.3048, 71.3, 0.00266337]]))
    expected = checkpoint.load_preprocessor().inverse_transform_y(checkpoint.ensemble().predict(x)[:, 0])
    assert predicted == pytest.approx(float(expected[0]), abs=5e-7)  # written to 6 decimals


def test_more_activations_than_members_are_refused_at_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    options = ["--activation", "relu,tanh,sigmoid", "--ensemble", "2", "--out", str(tmp_path / "r")]
    assert main(["train", "airfoil", *options]) == 2
    err = capsys.readouterr().err
    assert (
        "--activation names 3 activations for the members in turn, but the run trains 2 member(s): "
        "give --ensemble 3 or more, or fewer names"
    ) in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (
            "relu,gelu",
            r"--activation takes one of identity, relu, .*, or several, comma-separated, .*'gelu' unknown",
        ),
        ("relu,", r"--activation takes one of .*got 'relu,' \('' unknown\)"),
        ("", r"--activation takes one of .*\('' unknown\)"),
    ],
)
def test_a_bad_activation_list_is_one_line_at_the_command_line(
    value: str, match: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["train", "airfoil", "--activation", value, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert re.search(match, err), err
    assert not (tmp_path / "r").exists()


def test_the_members_activations_are_named_only_where_they_differ() -> None:
    """evaluate and the train summary: a default single model (version 2, one ReLU member) is
    "1 member(s)", as any model of one activation; so is an ensemble without hidden layers,
    whose members apply no activation at all (it was "2 member(s) (relu, tanh)")."""
    from glassnet.cli._evaluate import members_text

    assert members_text(("relu",), "member", (2, 3, 1)) == "1 member(s)"
    assert members_text(("tanh", "tanh"), "model", (2, 3, 1)) == "2 model(s)"
    assert members_text(("relu", "tanh", "relu"), "member", (2, 3, 1)) == "3 member(s) (relu, tanh, relu)"
    assert members_text(("relu", "tanh"), "member", (2, 1)) == "2 member(s)"
    # beyond eight members, how many take each (50 names made a line of 290 characters, 1000 of 6000)
    eight = ("relu", "tanh") * 4
    assert members_text(eight, "model", (2, 3, 1)) == f"8 model(s) ({', '.join(eight)})"
    assert members_text(("relu", "tanh", "sigmoid") * 17, "model", (2, 3, 1)) == (
        "51 model(s) (17 relu, 17 tanh, 17 sigmoid)"
    )
