"""glassnet evaluate / predict for a moons model that outputs probabilities (BCE on a sigmoid
output, trained from Python: the CLI trains the logistic loss on logits), and for a saved
configuration that glassnet refuses now (BCE without a sigmoid output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import reseal, rewrite_checkpoint
from glassnet.checkpoint import load_checkpoint
from glassnet.cli import main
from glassnet.train import MOONS_CONFIG, moons_data, predict_raw, train_moons
from glassnet.train.artifacts import write_run

BCE_MOONS = MOONS_CONFIG.replace(loss="bce", output_activation="sigmoid", epochs=60, refit=False)


@pytest.fixture(scope="module")
def probability_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BCE + sigmoid moons run folder, figures included (the decision boundary at 0.5)."""
    out = tmp_path_factory.mktemp("runs") / "bce"
    write_run(train_moons(BCE_MOONS), out)
    return out


def test_evaluate_reads_probabilities_at_one_half(
    probability_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (probability_run / "decision_boundary.png").is_file()
    assert main(["evaluate", str(probability_run), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    checkpoint = load_checkpoint(probability_run / "model.npz")
    assert (checkpoint.info["n_samples"], checkpoint.info["noise"], checkpoint.info["data_seed"]) == (
        400,
        0.2,
        0,
    )
    x, y = moons_data(400, 0.2, 0)  # train_moons' defaults
    probability = predict_raw(checkpoint.ensemble(), checkpoint.load_preprocessor(), x)  # (N,)
    assert ((probability >= 0) & (probability <= 1)).all()
    for part in ("train", "test"):
        rows = checkpoint.arrays[f"split_{part}"]
        by_hand = float(np.mean((probability[rows] > 0.5) == (y[rows] == 1.0)))
        assert metrics[part]["accuracy"] == by_hand, part
    assert metrics["all"]["accuracy"] == float(np.mean((probability > 0.5) == (y == 1.0)))
    assert metrics["test"]["accuracy"] >= 0.8
    saved = json.loads((probability_run / "metrics.json").read_text())
    assert saved["test"]["accuracy"] == metrics["test"]["accuracy"]


def test_predict_gives_probability_and_label_at_one_half(
    probability_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A probability model has no logit column: x1, x2, probability, label (p > 0.5)."""
    rows = np.array([[-1.0, 0.5], [0.0, 1.0], [1.0, -0.5], [2.0, 0.2], [0.5, 0.25]])
    source = tmp_path / "in.csv"
    source.write_text("".join(f"{a!r},{b!r}\n" for a, b in rows.tolist()))
    assert main(["predict", str(probability_run), str(source)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "x1,x2,probability,label"
    checkpoint = load_checkpoint(probability_run / "model.npz")
    expected = predict_raw(checkpoint.ensemble(), checkpoint.load_preprocessor(), rows)
    written = [line.split(",") for line in lines[1:]]
    np.testing.assert_array_equal([float(p) for _, _, p, _ in written], expected)
    assert [int(label) for *_, label in written] == (expected > 0.5).astype(int).tolist()
    assert 0 < sum(int(label) for *_, label in written) < len(rows)  # both classes among the rows


def test_a_saved_configuration_refused_now_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run saved before BCE needed a sigmoid output: its outputs were clipped to [0, 1] in
    training, neither logits nor probabilities, so no threshold reads them right; evaluate and
    predict (and --resume, which loads its file the same way) refuse it in one line."""
    run = train_moons(MOONS_CONFIG.replace(epochs=2))
    object.__setattr__(run.result.config, "loss", "bce")  # what an older glassnet saved unchecked
    out = tmp_path / "old"
    write_run(run, out, plots=False)
    source = tmp_path / "in.csv"
    source.write_text("0.5,0.2\n")
    expected = (
        "the saved training configuration is refused (train the model again): loss='bce' takes "
        "probabilities in [0, 1]: it needs output_activation='sigmoid', got output_activation=None"
    )
    for argv in (["evaluate", str(out)], ["predict", str(out), str(source)]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"glassnet {argv[0]}: error: {out / 'model.npz'}: {expected}"
        )


def test_a_moons_model_whose_data_seed_is_past_the_largest_is_named_out_of_range(
    probability_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resealed data_seed of 2**63 reached moons_data's own check, a bare "seed must be in …"
    that named neither the model nor its settings."""
    model = tmp_path / "model.npz"
    model.write_bytes((probability_run / "model.npz").read_bytes())

    def past_the_largest(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta["info"]["data_seed"] = 2**63
        reseal(arrays, meta)

    rewrite_checkpoint(model, past_the_largest)
    assert main(["evaluate", str(model)]) == 2
    assert capsys.readouterr().err == (
        "glassnet evaluate: error: the model's moons settings are out of range: 400 samples, noise 0.2, "
        f"seed {2**63}\n"
    )
