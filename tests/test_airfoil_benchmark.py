"""benchmarks/airfoil_accuracy.py: its split of the test error by position in a spectrum, and a short run."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt
import pytest

from conftest import load_benchmark, refused_before_any_run, require_torch, shared_airfoil
from glassnet.data import AIRFOIL_LOG_COLUMNS, Preprocessor, load_airfoil
from glassnet.torch_bridge import TORCH_MISSING
from glassnet.train import AIRFOIL_FOURIER_SIGMA, SplitSettings


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("airfoil_accuracy")


# Two configurations (the four columns after frequency) and their spectra.
A = [5.0, 0.3, 71.3, 0.002]
B = [9.0, 0.1, 39.6, 0.004]
X = np.array(
    [
        [200.0, *A],  # 0 seen
        [400.0, *A],  # 1 seen
        [800.0, *A],  # 2 seen
        [100.0, *A],  # 3 below A's seen frequencies: an end
        [600.0, *A],  # 4 between them: interior
        [1600.0, *A],  # 5 above them: an end
        [400.0, *B],  # 6 B has no seen row: an end
        [800.0, *A],  # 7 at the highest seen frequency itself: interior
    ]
)


def test_spectrum_ends_by_hand(bench: ModuleType) -> None:
    seen = np.array([0, 1, 2])
    rows = np.array([3, 4, 5, 6, 7])
    np.testing.assert_array_equal(bench.spectrum_ends(X, seen, rows), [True, False, True, True, False])


def test_position_metrics_and_pooling_by_hand(bench: ModuleType) -> None:
    y = np.zeros(len(X))
    test = np.array([3, 4, 5, 6, 7])
    prediction = np.array([1.0, 2.0, 3.0, 5.0, 4.0])  # errors of the ends 1, 3, 5; of the interior 2, 4
    metrics = bench.position_metrics(X, y, prediction, np.array([0, 1, 2]), test)
    assert metrics["ends"]["n"] == 3
    assert metrics["ends"]["rmse"] == pytest.approx(math.sqrt((1 + 9 + 25) / 3), abs=1e-12)
    assert metrics["interior"]["n"] == 2
    assert metrics["interior"]["rmse"] == pytest.approx(math.sqrt((4 + 16) / 2), abs=1e-12)

    other = {"ends": {"n": 1, "rmse": 2.0}, "interior": {"n": 0, "rmse": float("nan")}}
    pooled = bench.rmse_by_position([metrics, other])
    assert pooled["ends"] == {"n": 4, "rmse": pytest.approx(math.sqrt((1 + 9 + 25 + 4) / 4), abs=1e-12)}
    assert pooled["interior"] == {"n": 2, "rmse": pytest.approx(math.sqrt(10.0), abs=1e-12)}


def test_a_short_run_reports_every_test_row(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    options = ["--epochs", "2", "--hidden", "8", "--fourier-features", "0"]
    code = bench.main(
        [
            "--seeds",
            "0",
            "--only",
            "single",
            "--data",
            str(shared_airfoil()),
            "--json",
            str(out),
            "--",
            *options,
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "spectrum ends" in printed and "pooled test RMSE at spectrum ends" in printed
    saved = json.loads(out.read_text())
    assert saved["command"][1:6] == [
        "--seeds",
        "0",
        "--only",
        "single",
        "--data",
    ]  # this call's, not pytest's
    (outcome,) = saved["results"]
    (run,) = outcome["runs"]
    assert run["ends"]["n"] + run["interior"]["n"] == 301  # the test part: 20 % of 1503 rows
    assert run["ends"]["n"] == 53  # split 0's test rows at an end of their spectrum
    squares = (
        run["ends"]["n"] * run["ends"]["rmse"] ** 2 + run["interior"]["n"] * run["interior"]["rmse"] ** 2
    )
    assert math.sqrt(squares / 301) == pytest.approx(run["rmse"], rel=1e-9)  # the two parts make the whole
    assert outcome["summary"]["positions"]["ends"]["n"] == 53


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--data", "x.csv"], "give --data before --, as the benchmark's own option"),
        (["--out", "runs/x"], "--out is an option of a training run's folder"),
        (["--resume"], "--resume is an option of a training run's folder"),
        (["--patience", "5", "--val-fraction", "0"], "--patience needs a validation part"),
    ],
)
def test_train_options_the_benchmark_would_not_read_are_refused(
    bench: ModuleType, options: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        bench.main(["--seeds", "0", "--", *options])
    assert caught.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--seeds", "0,a"], "--seeds must be an integer in [0, 9223372036854775807], got 'a'"),
        (["--seeds", ""], "--seeds must be an integer in [0, 9223372036854775807], got ''"),
        (["--seeds", "-1"], "--seeds must be an integer in [0, 9223372036854775807], got -1"),
        (["--seeds", "1,2,1"], "--seeds names [1] more than once"),
        (["--ensemble-size", "0"], "--ensemble-size must be an integer in [1, 1000], got 0"),
        (["--seeds", "0", "--", "--seed", "3"], "give --seeds before --"),
        (["--", "--ensemble", "3"], "give --ensemble-size before --"),
        (["--json", "/nonexistent/folder/out.json"], "the folder /nonexistent/folder does not exist"),
        (["--data", "/nonexistent/airfoil.csv"], "/nonexistent/airfoil.csv does not exist"),
        # --ensemble-size was read by nothing without the ensemble setting
        (
            ["--only", "single", "--ensemble-size", "7"],
            "--ensemble-size has no effect in this run: it applies with the ensemble setting only "
            "(not with --only single)",
        ),
        # the ensemble trained relu, tanh and dropped sigmoid, unsaid (glassnet train refuses it)
        *(
            (
                [*only, "--ensemble-size", "2", "--", "--activation", "relu,tanh,sigmoid"],
                "--activation names 3 activations for the ensemble's members in turn, but --ensemble-size "
                "is 2: give --ensemble-size 3 or more, or fewer names",
            )
            for only in (["--only", "ensemble"], [])
        ),
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


NO_TORCH = TORCH_MISSING


def test_the_single_setting_shares_a_longer_activation_list(bench: ModuleType) -> None:
    """One list for both settings: the single model takes its first name, so only the ensemble checks it."""
    names = ["--activation", "relu,tanh,sigmoid"]
    assert bench.recipe(names)[0].activation == ("relu", "tanh", "sigmoid")
    assert bench.recipe(names, ensemble=3)[0].activation == ("relu", "tanh", "sigmoid")
    bench.recipe([], ensemble=1)  # the recipe's own two names were not given: not refused
    with pytest.raises(ValueError, match="--ensemble-size is 2: give --ensemble-size 3 or more"):
        bench.recipe(names, ensemble=2)


def test_torch_engine_without_torch_is_one_line_before_any_run(
    bench: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError, as without it
    with pytest.raises(SystemExit) as caught:
        bench.main(["--seeds", "0", "--", "--engine", "torch"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines()[-1].endswith(f": error: {NO_TORCH}")


def test_torch_engine_on_cuda_without_a_gpu_is_one_line_before_any_run(
    bench: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SystemExit) as caught:
        bench.main(["--seeds", "0", "--", "--engine", "torch", "--device", "cuda"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    last = captured.err.splitlines()[-1]
    assert captured.out == "" and "Traceback" not in captured.err
    assert ": error: device 'cuda' requested but no CUDA GPU is available (torch " in last
    assert last.endswith("; use device 'cpu' (--device cpu on the command line)")


def test_the_recipe_is_the_train_commands(bench: ModuleType) -> None:
    config, split, log_features = bench.recipe(["--epochs", "7", "--val-fraction", "0.2"])
    assert config.epochs == 7 and split.val_fraction == 0.2 and log_features
    assert config.fourier_sigma == AIRFOIL_FOURIER_SIGMA  # as train_airfoil fills it in, and prints it
    assert bench.recipe(["--fourier-sigma", "0.3"])[0].fourier_sigma == 0.3


# --- benchmarks/airfoil_search.py: the batched prototype behind docs/airfoil.md's searches ----------


@pytest.fixture(scope="module")
def search() -> ModuleType:
    return load_benchmark("airfoil_search")


def _schedule(search: ModuleType, *options: str) -> list[float]:
    args = search.parse_args(["--lr", "1", *options])
    return [search.learning_rate(epoch, args) for epoch in range(args.epochs)]


def test_search_schedule_is_the_recipes_and_restarts_by_hand(search: ModuleType) -> None:
    one = _schedule(search, "--epochs", "40")  # warm-up over 20 epochs from 0.1, cosine over the other 20
    assert one[0] == pytest.approx(0.1) and one[10] == pytest.approx(0.55) and one[20] == pytest.approx(1.0)
    assert one[30] == pytest.approx(0.5) and one[39] == pytest.approx(0.5 * (1 + math.cos(math.pi * 19 / 20)))
    warm = _schedule(search, "--epochs", "100", "--cycles", "2")  # only the first cycle warms up
    assert warm[0] == pytest.approx(0.1) and warm[25] == pytest.approx(0.5)  # cos(π 25/50)
    assert warm[50] == pytest.approx(1.0) and warm[75] == pytest.approx(0.5)
    again = _schedule(search, "--epochs", "100", "--cycles", "2", "--restart")  # each cycle as the recipe
    assert again[50:] == pytest.approx(again[:50]) and again[:50] == pytest.approx(
        _schedule(search, "--epochs", "50")
    )


MAX_TORCH_SEED = 2**64 - 1


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--activations", "relu,gelu"], "--activations: unknown ['gelu']; choose from relu, tanh, sin"),
        (["--epochs", "100", "--cycles", "5"], "--cycles 5: each cycle needs more than 20 of the 100 epochs"),
        (["--cycles", "0"], "--cycles must be at least 1, got 0"),
        (["--cycles", "3"], "--cycles 3 must divide --epochs 1000"),
        (["--hidden", "64,a"], "--hidden takes comma-separated integers, got '64,a'"),
        (["--hidden", "0"], "--hidden takes integers of at least 1, got 0"),
        (["--splits", ""], "--splits takes comma-separated integers, got ''"),
        (["--splits", "0,-1"], "--splits takes integers of at least 0, got 0,-1"),
        (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
        (["--seeds", "0"], "--seeds must be at least 1, got 0"),
        (["--lr", "-1"], "--lr must be a positive number of float32's range (up to 3.4e+38), got -1.0"),
        # float32's range: torch failed with a traceback at the first step, after the data was prepared
        (["--lr", "1e39"], "--lr must be a positive number of float32's range (up to 3.4e+38), got 1e+39"),
        (
            ["--weight-decay", "nan"],
            "--weight-decay must be a number of at least 0 in float32's range (up to 3.4e+38), got nan",
        ),
        (
            ["--weight-decay", "1e39"],
            "--weight-decay must be a number of at least 0 in float32's range (up to 3.4e+38), got 1e+39",
        ),
        (["--plain-columns", "5"], "--plain-columns takes feature columns 0 to 4, got 5"),
        (["--log-columns", "0,5"], "--log-columns takes feature columns 0 to 4, got 5"),
        (
            ["--sam", "-0.1"],
            "--sam must be a number of at least 0 in float32's range (up to 3.4e+38), got -0.1",
        ),
        (
            ["--sam", "nan"],
            "--sam must be a number of at least 0 in float32's range (up to 3.4e+38), got nan",
        ),
        (
            ["--fourier-sigma", "0.2,x"],
            "--fourier-sigma takes one number or five, comma-separated, got '0.2,x'",
        ),
        (["--fourier-sigma", "0.2,0.3"], "--fourier-sigma takes one positive number or five, got 0.2,0.3"),
        (["--fourier-sigma", "-1"], "--fourier-sigma takes one positive number or five, got -1"),
        # a split named twice counted twice in the mean over the splits
        (
            ["--splits", "0,1,0"],
            "--splits names [0] more than once; each split would count twice in the mean",
        ),
        # --unit-mix gave every member the same mixed layers, whatever --activations said
        (
            ["--unit-mix", "sin", "--activations", "relu,tanh"],
            "--unit-mix sin gives every member ReLU units and sin units; "
            "it takes no --activations other than relu, got relu,tanh",
        ),
        # torch's generator refused it with a traceback, after the data was prepared
        (
            ["--seed", "99999999999999999999999"],
            f"--seed must be an integer in [0, {MAX_TORCH_SEED}], got 99999999999999999999999",
        ),
        (["--seed", "-1"], f"--seed must be an integer in [0, {MAX_TORCH_SEED}], got -1"),
        (
            ["--seed", str(MAX_TORCH_SEED + 1)],
            f"--seed must be an integer in [0, {MAX_TORCH_SEED}], got {MAX_TORCH_SEED + 1}",
        ),
        # --cycles was not given: the message named it all the same
        (["--epochs", "0"], "--epochs must be more than the 20 of the warm-up, got 0"),
        (["--epochs", "20"], "--epochs must be more than the 20 of the warm-up, got 20"),
        (["--epochs", "20", "--cycles", "1"], "--cycles 1: each cycle needs more than 20 of the 20 epochs"),
        # options the run would not read, refused as glassnet train refuses them
        (
            ["--fourier-features", "0", "--plain-columns", "0"],
            "--plain-columns has no effect in this run: it applies with --fourier-features above 0 only",
        ),
        (
            ["--fourier-features", "0", "--fourier-per-member"],
            "--fourier-per-member has no effect in this run: it applies with --fourier-features above 0 only",
        ),
        (["--restart"], "--restart has no effect in this run: it applies with --cycles 2 or more only"),
        # the members apart: named with what they take, among the run's members
        (
            ["--apart-members", "1"],
            "--apart-members names the members that --apart-fourier-sigma and --apart-plain-columns "
            "apply to: give it with at least one of them, and they with it",
        ),
        (
            ["--apart-plain-columns", "0"],
            "--apart-members names the members that --apart-fourier-sigma and --apart-plain-columns "
            "apply to: give it with at least one of them, and they with it",
        ),
        (
            ["--apart-members", "5", "--apart-plain-columns", "0"],
            "--apart-members takes members 0 to 4 of the 5, got 5",
        ),
        (
            ["--activations", "relu,tanh", "--apart-members", "2", "--apart-fourier-sigma", "0.3"],
            "--apart-members takes members 0 to 1 of the 2, got 2",
        ),
        (
            ["--apart-members", "1", "--apart-plain-columns", "5"],
            "--apart-plain-columns takes feature columns 0 to 4, got 5",
        ),
        (
            ["--apart-members", "1", "--apart-fourier-sigma", "0.2,0"],
            "--apart-fourier-sigma takes one positive number or five, got 0.2,0",
        ),
        (
            ["--fourier-features", "0", "--apart-members", "1", "--apart-fourier-sigma", "0.3"],
            "--apart-fourier-sigma has no effect in this run: it applies with --fourier-features above 0 only",
        ),
        # both were read by nothing, and a row run with them was recorded as their setting's
        (
            ["--fourier-features", "0", "--fourier-sigma", "5"],
            "--fourier-sigma has no effect in this run: it applies with --fourier-features above 0 only",
        ),
        (
            ["--fourier-features", "2", "--plain-columns", "0,0", "--hidden", "17", "--residual"],
            "--residual has no effect in this run: it applies with a hidden layer as wide as its input "
            "(the inputs: 21) only",
        ),
        (
            ["--hidden", "8,16", "--residual"],
            "--residual has no effect in this run: it applies with a hidden layer as wide as its input "
            "(the inputs: 85) only",
        ),
    ],
)
def test_search_refuses_impossible_settings(
    search: ModuleType, options: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        search.parse_args(options)
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f": error: {says}")  # after argparse's usage


def test_search_accepts_the_largest_seed_and_a_restart_with_cycles(search: ModuleType) -> None:
    assert search.parse_args(["--seed", str(MAX_TORCH_SEED)]).seed == MAX_TORCH_SEED
    args = search.parse_args(["--cycles", "4", "--restart", "--plain-columns", "0"])
    assert args.cycles == 4 and args.restart and args.plain_columns == [0]
    assert search.parse_args([]).cycles == 1
    assert search.parse_args(["--residual"]).residual  # 85 inputs, then 128, 128, 128: two layers add
    assert search.parse_args(["--fourier-features", "0", "--hidden", "5,5", "--residual"]).residual
    # a plain column named twice is dropped once: 5 + 2·2·4 = 21 inputs (it counted 17)
    options = ["--fourier-features", "2", "--plain-columns", "0,0", "--residual"]
    assert search.parse_args([*options, "--hidden", "21"]).residual


def test_search_reports_models_that_diverged(
    search: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """A traceback from inverse_transform_y (the predictions NaN), after the whole training, and
    no figures for the other splits and models. (The search trains in torch.)"""
    options = [
        "--data",
        str(shared_airfoil()),
        "--splits",
        "0",
        "--epochs",
        "21",
        "--hidden",
        "4",
        "--lr",
        "1000",
    ]
    assert search.main(options) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "split 0: single nan (nan nan nan nan nan), ensemble nan"
    assert out[1] == "5 of 5 models diverged (non-finite predictions)"
    assert out[2].startswith("mean over 1 splits: single nan dB, ensemble of 5 nan dB")


def _search_refused(
    search: ModuleType,
    options: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """search.main's stderr for ``options`` on a tiny run, which must be refused before the data is prepared."""
    monkeypatch.setattr(search, "split_data", lambda *_: pytest.fail("the data was prepared"))
    base = ["--data", str(shared_airfoil()), "--splits", "0", "--epochs", "22", "--hidden", "4"]
    assert search.main([*base, *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_search_without_torch_is_one_line_before_the_data_is_prepared(
    search: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError, as without it
    assert _search_refused(search, [], monkeypatch, capsys) == f"airfoil_search.py: error: {NO_TORCH}\n"


def test_search_refuses_a_device_torch_has_not_before_the_data_is_prepared(
    search: ModuleType, torch: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _search_refused(search, ["--device", "bogus"], monkeypatch, capsys)
    assert err == "airfoil_search.py: error: device must be 'cpu' or 'cuda' (or 'cuda:N'), got 'bogus'\n"
    if not torch.cuda.is_available():
        err = _search_refused(search, ["--device", "cuda"], monkeypatch, capsys)
        assert err.startswith(
            "airfoil_search.py: error: device 'cuda' requested but no CUDA GPU is available"
        )
        assert (
            err.endswith("; use device 'cpu' (--device cpu on the command line)\n") and err.count("\n") == 1
        )


def test_search_draws_the_recipes_fourier_frequencies(search: ModuleType) -> None:
    """Its inputs are glassnet's: by default the recipe's σ per feature, and one σ for all on request."""
    data = load_airfoil(shared_airfoil())
    train = SplitSettings(seed=0).split(len(data.X)).train
    for options, sigma in (([], AIRFOIL_FOURIER_SIGMA), (["--fourier-sigma", "0.3"], 0.3)):
        drawn = search.split_data(data.X, data.y, 0, 1, search.parse_args(options)).preprocessor.fourier
        expected = Preprocessor(fourier_features=8, fourier_sigma=sigma, seed=0).fit(
            data.X[train], data.y[train]
        )
        assert drawn.sigma == sigma and expected.fourier is not None
        np.testing.assert_array_equal(drawn.frequencies_, expected.fourier.frequencies_)


def test_search_plain_columns_drop_exactly_their_sines_and_cosines(search: ModuleType) -> None:
    """The columns dropped are found from the preprocessing itself, not from its layout: those
    that move when feature 0 or 3 moves, but for those features' own standardised columns."""
    data = load_airfoil(shared_airfoil())
    recipe_split = search.split_data(data.X, data.y, 0, 1, search.parse_args([]))
    recipe = recipe_split.x_train[0]  # (R, 85)
    plain = search.split_data(data.X, data.y, 0, 1, search.parse_args(["--plain-columns", "0,3"])).x_train[0]
    rows = data.X[:20]
    moved = rows.copy()
    moved[:, [0, 3]] *= 1.1
    transform = recipe_split.preprocessor.transform_x
    changed = np.flatnonzero((transform(rows) != transform(moved)).any(axis=0))
    kept = [c for c in range(recipe.shape[1]) if c in (0, 3) or c not in changed]
    assert len(changed) == 2 + 32 and plain.shape == (len(recipe), 85 - 32)
    np.testing.assert_array_equal(plain, recipe[:, kept])


def test_search_members_apart_take_their_own_sigma_and_zeroed_columns(search: ModuleType) -> None:
    """Members 1 and 3 draw with their σ and see zeros for feature 0's sines and cosines; the
    others keep the recipe's inputs, and every member keeps the width of 85 inputs."""
    data = load_airfoil(shared_airfoil())
    train = SplitSettings(seed=0).split(len(data.X)).train
    recipe = search.split_data(data.X, data.y, 0, 5, search.parse_args([]))
    options = ["--apart-members", "1,3", "--apart-plain-columns", "0", "--apart-fourier-sigma", "0.4"]
    apart = search.split_data(data.X, data.y, 0, 5, search.parse_args(options))
    expected = Preprocessor(log_columns=AIRFOIL_LOG_COLUMNS, fourier_features=8, fourier_sigma=0.4, seed=0)
    expected.fit(data.X[train], data.y[train])
    zeroed = [5 + part * 40 + i for part in (0, 1) for i in range(8)]  # feature 0's sines, then cosines
    for member in range(5):
        inputs = apart.x_train[member]
        assert inputs.shape == recipe.x_train[member].shape == (len(recipe.y_train), 85)
        if member in (1, 3):
            columns = [c for c in range(85) if c not in zeroed]
            assert not inputs[:, zeroed].any() and recipe.x_train[member][:, zeroed].any()
            rows = np.concatenate([train, SplitSettings(seed=0).split(len(data.X)).val])
            np.testing.assert_array_equal(inputs[:, columns], expected.transform_x(data.X[rows])[:, columns])
        else:
            np.testing.assert_array_equal(inputs, recipe.x_train[member])
            np.testing.assert_array_equal(apart.x_test[member], recipe.x_test[member])


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--data", "/nonexistent/airfoil.csv"], "/nonexistent/airfoil.csv does not exist"),
        (["--fourier-features", "-1"], "fourier_features must be in [0, 1024], got -1"),
    ],
)
def test_search_refuses_bad_data_and_features_in_one_line(
    search: ModuleType, options: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = [] if "--data" in options else ["--data", str(shared_airfoil())]
    if "--fourier-features" in options:  # torch is checked before the data is prepared, which refuses these
        require_torch()
    assert search.main([*data, *options, "--splits", "0", "--epochs", "22", "--hidden", "4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("airfoil_search.py: error: ") and says in err and err.count("\n") == 1


def test_search_short_run_prints_each_model_and_is_seeded(
    search: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--data", str(shared_airfoil()), "--splits", "0,1", "--activations", "relu,tanh,sin"]
    options += ["--epochs", "22", "--hidden", "8", "--fourier-features", "2", "--square-frequency"]
    assert search.main(options) == 0
    first = capsys.readouterr().out.splitlines()
    assert len(first) == 3 and first[0].startswith("split 0: single ") and first[1].startswith("split 1: ")
    models = [float(v) for v in first[0].split("(")[1].split(")")[0].split()]
    assert len(models) == 3 and all(0 < value < 20 for value in models)
    assert "ensemble of 3" in first[2]
    search.main(options)
    assert capsys.readouterr().out.splitlines()[:2] == first[:2]  # the same seed, the same numbers


def test_search_seeds_train_an_ensemble_per_seed_and_report_their_spread(
    search: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """--seeds 2: per split two ensembles of the members named, from draws of their own; the
    split's figure is the mean of the two ensembles' RMSE, and the summary gives their spread."""
    options = ["--data", str(shared_airfoil()), "--splits", "0", "--activations", "relu,tanh"]
    options += ["--epochs", "22", "--hidden", "8", "--fourier-features", "2", "--seeds", "2"]
    args = search.parse_args(options)
    data = load_airfoil(shared_airfoil())
    split = search.split_data(data.X, data.y, 0, 2, args)
    (predictions,) = search.train([split], args.activations, args)
    assert predictions.shape == (4, len(split.y_test))
    first, second = (search.rmse(group.mean(axis=0), split.y_test) for group in predictions.reshape(2, 2, -1))
    assert first != second  # each seed's members start from draws of their own
    assert search.main(options) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines[0].split("(")[1].split(")")[0].split()) == 4
    assert lines[0].endswith(f"ensemble {(first + second) / 2:.3f}")
    assert f"ensemble of 2 {(first + second) / 2:.3f} ± " in lines[1] and " over 2 seeds dB" in lines[1]


def test_search_log_columns_are_the_preprocessors(search: ModuleType) -> None:
    """--log-columns 0,3,4 takes velocity's logarithm too; the default is the recipe's 0,4, and an
    empty value none."""
    data = load_airfoil(shared_airfoil())
    parts = SplitSettings(seed=0).split(len(data.X))
    rows = np.concatenate([parts.train, parts.val])
    assert search.parse_args([]).log_columns == list(AIRFOIL_LOG_COLUMNS)
    assert search.parse_args(["--log-columns", ""]).log_columns == []
    for columns in ((0, 3, 4), ()):
        option = ",".join(map(str, columns))
        inputs = search.split_data(data.X, data.y, 0, 1, search.parse_args(["--log-columns", option]))
        expected = Preprocessor(
            log_columns=columns, fourier_features=8, fourier_sigma=AIRFOIL_FOURIER_SIGMA, seed=0
        ).fit(data.X[parts.train], data.y[parts.train])
        np.testing.assert_array_equal(inputs.x_train[0], expected.transform_x(data.X[rows]))


def test_search_refuses_the_log_of_a_column_with_zeros_in_one_line(
    search: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--data", str(shared_airfoil()), "--splits", "0", "--epochs", "22", "--log-columns", "1"]
    assert search.main(options) == 2
    assert capsys.readouterr().err == (
        "airfoil_search.py: error: column 1 is log-transformed and must be > 0, got 0.0 at row 0\n"
    )


def _search_predictions(search: ModuleType, *options: str) -> npt.NDArray[np.float64]:
    """The test predictions of a tiny run on split 0: (members, test rows)."""
    args = search.parse_args(["--epochs", "22", "--hidden", "8,8", "--fourier-features", "2", *options])
    data = load_airfoil(shared_airfoil())
    split = search.split_data(data.X, data.y, 0, len(args.activations), args)
    (predictions,) = search.train([split], args.activations, args)
    return predictions


def test_search_sam_steps_from_the_weights_it_started_at(search: ModuleType, torch: ModuleType) -> None:
    """SAM's weights go back where they were before each step: a radius too small to move a float32
    weight gives plain AdamW's models to the bit, a radius of 0.05 other ones."""
    plain = _search_predictions(search)
    np.testing.assert_array_equal(_search_predictions(search, "--sam", "1e-30"), plain)
    assert not np.allclose(_search_predictions(search, "--sam", "0.05"), plain, rtol=1e-3)


def test_search_residual_adds_the_input_of_layers_as_wide_as_it(
    search: ModuleType, torch: ModuleType
) -> None:
    """--residual changes a network with two hidden layers of 8; one whose widths all differ it
    would not change, and it is refused there (test_search_refuses_impossible_settings)."""
    assert not np.allclose(_search_predictions(search, "--residual"), _search_predictions(search), rtol=1e-3)
