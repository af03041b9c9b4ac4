"""benchmarks/gpu.py on the CPU: its eager loop trains glassnet's network, its figures are computed right,
and a smoke run of every path that does not need CUDA (the captured one does; it runs on the GPU machine)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import load_benchmark
from glassnet import losses, nn, optim


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


def test_an_unwritable_json_is_refused_before_the_run(
    gpu: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_run(*_: object, **__: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(gpu, "airfoil", no_run)
    assert gpu.main(["--device", "cpu", "--quick", "--json", "/nonexistent/folder/gpu.json"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "gpu.py: --json /nonexistent/folder/gpu.json: the folder /nonexistent/folder does not exist\n"
    )


def test_cuda_without_a_gpu_is_one_line(
    gpu: ModuleType, torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")  # the GPU machine runs the script itself
    assert gpu.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("gpu.py: device 'cuda' requested but no CUDA GPU is available")
        and err.count("\n") == 1
    )
