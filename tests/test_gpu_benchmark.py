"""benchmarks/gpu.py on the CPU: its eager loop trains glassnet's network, its figures are computed right,
and a smoke run of every path that does not need CUDA (the captured one does; it runs on the GPU machine)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import load_benchmark, shared_airfoil
from glassnet import losses, nn, optim
from glassnet.data import find_airfoil


@pytest.fixture(scope="module")
def gpu(torch: ModuleType) -> ModuleType:
    return load_benchmark("gpu")


def test_flops_per_row_by_hand(gpu: ModuleType) -> None:
    # 5 → 64 → 64 → 1: 320 + 4096 + 64 multiply-adds forward, 2 FLOPs each, backward twice the forward
    assert gpu.flops_per_row(64) == 3 * 2 * (320 + 4096 + 64) == 26_880


def test_eager_loop_trains_glassnets_network(gpu: ModuleType, torch: ModuleType) -> None:
    """Same starting weights, same batches (two of 32, one of 7), Adam: the same weights as glassnet's engine."""
    device = torch.device("cpu")
    sizes = (5, 64, 64, 1)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(71, 5)).astype(np.float32)
    y = rng.normal(size=(71, 1)).astype(np.float32)
    loop = gpu.make_eager_loop(gpu.torch_mlp(sizes, device), device)
    total = loop.run_epoch(torch.from_numpy(x), torch.from_numpy(y), 32)

    model = nn.MLP(sizes, rng=np.random.default_rng(gpu.SEED), dtype=np.float32)
    loss = losses.MSELoss()
    opt = optim.Adam(model.parameters(), lr=gpu.LR, betas=gpu.BETAS, eps=gpu.EPS)
    expected_total = 0.0
    for start in range(0, 71, 32):
        expected_total += loss(model(x[start : start + 32]), y[start : start + 32])
        model.backward(loss.backward())
        opt.step()
        opt.zero_grad()
    assert float(total) == pytest.approx(expected_total, rel=1e-5)
    for (name, ours), theirs in zip(model.named_parameters(), loop.module.parameters(), strict=True):
        np.testing.assert_allclose(theirs.detach().numpy(), ours.data, rtol=1e-4, atol=1e-6, err_msg=name)


def test_smoke_run_on_the_cpu(gpu: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gpu.json"
    assert gpu.main(["--device", "cpu", "--quick", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| Trainer (torch) |" in text and "| target | best measured | goal | |" in text
    assert "16,384 generated rows, batch 4096:" in text  # 20,000 asked, whole batches trained on
    # width 1024 is left out of a quick run: no verdict, rather than "0 | MISSED"
    assert "| TFLOP/s at width 1024 (bf16) | not measured | 100 | |" in text
    results = json.loads(out.read_text())
    assert results["rows"] == 16_384
    assert set(results["airfoil"]["ms_per_epoch"]) == {"Trainer (torch)", "eager"}  # no capture without CUDA
    assert [(row["mode"], row["dtype"]) for row in results["throughput"]] == [
        ("eager", "fp32"),
        ("eager", "bf16"),
    ]
    assert all(row["rows_per_s"] > 0 and row["width"] == 64 for row in results["throughput"])


def missing_data_says(path: str) -> str:
    """What glassnet.data says of a missing airfoil file ``path``: gpu.py prints it as it is."""
    with pytest.raises(FileNotFoundError) as caught:
        find_airfoil(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["--json", "/nonexistent/folder/gpu.json"],
            "--json /nonexistent/folder/gpu.json: the folder /nonexistent/folder does not exist",
        ),
        # a traceback from the airfoil table, after the device was set up
        (["--data", "/nonexistent/airfoil.csv"], None),
    ],
)
def test_a_bad_output_or_data_file_is_one_line_before_the_run(
    gpu: ModuleType,
    arguments: list[str],
    says: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(gpu, "airfoil", lambda *_, **__: pytest.fail("the run started"))
    assert gpu.main(["--device", "cpu", "--quick", *arguments]) == 2
    captured = capsys.readouterr()
    expected = missing_data_says(arguments[-1]) if says is None else says
    assert captured.out == "" and captured.err == f"gpu.py: error: {expected}\n"


def test_cuda_without_a_gpu_is_one_line(
    gpu: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")  # the GPU machine runs the script itself
    assert gpu.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("gpu.py: error: device 'cuda' requested but no CUDA GPU is available")
        and err.count("\n") == 1
    )


class Stop(Exception):
    """Raised by a stand-in to end a run where the test has seen what it needs."""


def test_the_airfoil_table_reads_the_data_file_given(
    gpu: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[object] = []

    def airfoil(device: object, epochs: int, capture: bool, data: object = None) -> None:
        given.append(data)
        raise Stop  # the timings are not under test

    monkeypatch.setattr(gpu, "airfoil", airfoil)
    with pytest.raises(Stop):
        gpu.main(["--device", "cpu", "--quick", "--data", str(shared_airfoil())])
    assert given == [shared_airfoil().resolve()]
