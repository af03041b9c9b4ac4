"""benchmarks/airfoil_members.py: its ensembles of members by hand, and a short run."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import load_benchmark, refused_before_any_run, shared_airfoil
from glassnet.data import load_airfoil
from glassnet.train import train_airfoil


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("airfoil_members")


def test_compositions_by_hand(bench: ModuleType) -> None:
    found = dict(bench.compositions(("relu", "tanh", "relu"), 2))
    # one tanh member: no choice of two tanh; the families in the order the members first take them
    assert found == {"1 relu + 1 tanh": [(0, 1), (2, 1)], "2 relu + 0 tanh": [(0, 2)]}
    assert dict(bench.compositions(("relu",) * 4, 3)) == {
        "3 relu": [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    }
    # counts built one family at a time: seven activations over 1000 members are seven compositions
    # of one member, not a product of 144^7 counts to filter
    names = ("relu", "tanh", "sigmoid", "silu", "softplus", "leaky_relu", "elu")
    found = dict(bench.compositions(tuple(names[m % 7] for m in range(1000)), 1))
    assert sorted(len(choices) for choices in found.values()) == [142, 143, 143, 143, 143, 143, 143]
    # and the counts stop where the families left cannot make up the size: S = K - 1 over six
    # activations of 1000 members walked about 167^5 tuples
    assert len(list(bench._counts([167] * 4 + [166] * 2, 999))) == 6


def test_a_linear_model_is_one_family(bench: ModuleType, tmp_path: Path) -> None:
    """Without hidden layers no activation is applied: the members are not relu and tanh ones."""
    out = tmp_path / "members.json"
    arguments = ["--members", "3", "--size", "2", "--seeds", "0", "--data", str(shared_airfoil())]
    assert bench.main([*arguments, "--json", str(out), "--", "--epochs", "25", "--hidden", ""]) == 0
    (split,) = json.loads(out.read_text())["splits"]
    assert "2 linear, mean over 3 choices" in split["test_rmse"]
    assert not any("relu" in label or "tanh" in label for label in split["test_rmse"])


def test_a_run_that_kept_fewer_members_is_one_error_line(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """A member that diverged ends the run with the members before it: its figures would be labelled
    as an ensemble of S and of K they are not of (an ensemble of 2 was one member)."""
    arguments = ["--members", "3", "--size", "2", "--seeds", "0", "--data", str(shared_airfoil())]
    diverging = [
        "--epochs",
        "25",
        "--hidden",
        "8",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--schedule",
        "constant",
    ]
    with pytest.raises(SystemExit) as caught:
        bench.main([*arguments, "--", *diverging])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" not in err
    assert len(err.splitlines()) == 1  # the program's name is pytest's here
    assert ": error: split seed 0: training diverged at epoch " in err
    assert err.rstrip().endswith("no figures are measured from such a run")


def test_summarise_by_hand(bench: ModuleType) -> None:
    y = np.zeros(2)
    predictions = np.array([[1.0, -1.0], [3.0, 3.0], [-2.0, 0.0]])  # members relu, tanh, relu
    figures = bench.summarise(predictions, y, ("relu", "tanh", "relu"), 2)
    assert figures == {
        "the first 2 (the recipe's ensemble)": pytest.approx(math.sqrt((4 + 1) / 2)),  # means 2, 1
        "all 3": pytest.approx(math.sqrt((4 / 9 + 4 / 9) / 2)),  # means 2/3, 2/3
        "median of the first 2": pytest.approx(math.sqrt((4 + 1) / 2)),  # of two: their mean
        # members 0 and 1: means 2, 1; members 2 and 1: 0.5, 1.5
        "1 relu + 1 tanh, mean over 2 choices": pytest.approx(
            (math.sqrt(5 / 2) + math.sqrt((0.25 + 2.25) / 2)) / 2
        ),
        "2 relu + 0 tanh, mean over 1 choice": pytest.approx(math.sqrt((0.25 + 0.25) / 2)),  # -0.5, -0.5
    }
    # the trimmed mean from three members on: the middle one of each row
    trimmed = bench.summarise(predictions, y, ("relu", "tanh", "relu"), 3)["trimmed mean of the first 3"]
    assert trimmed == pytest.approx(math.sqrt((1 + 0) / 2))  # middles 1, 0


def test_a_short_run_gives_the_ensemble_the_train_command_trains(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'The first S members' is the ensemble of S that ``--ensemble S`` trains, to rounding."""
    out = tmp_path / "members.json"
    options = ["--epochs", "25", "--hidden", "8"]
    data = str(shared_airfoil())
    code = bench.main(
        ["--members", "3", "--size", "2", "--seeds", "0", "--data", data, "--json", str(out), "--", *options]
    )
    assert code == 0
    assert "mean over split seeds 0, test RMSE [dB]:" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["command"][1:5] == ["--members", "3", "--size", "2"]  # this call's, not pytest's
    (split,) = saved["splits"]
    assert split["seed"] == 0 and saved["mean"] == split["test_rmse"]
    assert set(split["test_rmse"]) == {
        "the first 2 (the recipe's ensemble)",
        "all 3",
        "median of the first 2",
        "1 relu + 1 tanh, mean over 2 choices",
        "2 relu + 0 tanh, mean over 1 choice",
    }

    config, settings, log_features = bench.recipe(options, 2)
    two = train_airfoil(
        load_airfoil(data),
        config.replace(ensemble=2, seed=0),
        split=dataclasses.replace(settings, seed=0),
        log_features=log_features,
        handle_sigint=False,
    )
    assert split["test_rmse"]["the first 2 (the recipe's ensemble)"] == pytest.approx(
        two.metrics["test"]["rmse"], rel=1e-12
    )


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--members", "0"], "--members must be an integer in [1, 1000], got 0"),
        (["--members", "3", "--size", "4"], "--size must be an integer in [1, --members = 3], got 4"),
        (["--size", "0"], "--size must be an integer in [1, --members = 10], got 0"),
        (
            ["--members", "4"],
            "--size must be an integer in [1, --members = 4], got 5 (its default); give --size 4 or less",
        ),
        (
            ["--members", "100", "--size", "5"],
            "--members 100 and --size 5 make 75,287,520 choices of members per split, past the 100,000 "
            "this script enumerates",
        ),
        (
            ["--members", "100"],
            "--members 100 and --size 5 (its default) make 75,287,520 choices of members per split",
        ),
        (["--seeds", "1,1"], "--seeds names [1] more than once"),
        (
            ["--members", "2", "--size", "2", "--", "--activation", "relu,tanh,sigmoid"],
            "--activation names 3 activations for the ensemble's members in turn, but --members is 2: "
            "give --members 3 or more, or fewer names",
        ),
        (["--", "--ensemble", "5"], "give --members before --, as the benchmark's own option"),
    ],
)
def test_bad_arguments_are_one_line_before_any_run(
    bench: ModuleType,
    arguments: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert says in refused_before_any_run(bench, arguments, capsys, monkeypatch)
