"""Shared fixtures: numpy floating-point warnings become errors, so overflow or 0/0 cannot hide."""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import settings


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors() -> Iterator[None]:
    # Underflow to 0 (e.g. e^(−1e4) in a stable sigmoid) is the right answer, not a fault.
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


@pytest.fixture(autouse=True)
def _ctrl_c_as_in_a_terminal() -> Iterator[None]:
    """Python's own SIGINT handler for every test, as a terminal gives it: a runner that starts
    the tests as a background job hands them an ignored SIGINT, which glassnet leaves ignored
    (tests/test_cli_edge_cases.py tests that case itself)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    found = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, found if found is not None else signal.default_int_handler)


def changed(state: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A copy of a saved ``state`` with ``change`` applied: a value replaces, None deletes."""
    out = dict(state)
    for key, value in change.items():
        if value is None:
            del out[key]
        else:
            out[key] = value
    return out


@pytest.fixture
def downloads_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxy (127.0.0.1 must be reached directly), no user cache or data variable."""
    from glassnet.data import DATA_ENV_VAR

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def require_torch() -> Any:  # the torch module, untyped: glassnet imports torch lazily
    """Import torch; in CI (GLASSNET_REQUIRE_TORCH=1) a missing torch fails instead of skipping."""
    if os.environ.get("GLASSNET_REQUIRE_TORCH") == "1":
        import torch
    else:
        torch = pytest.importorskip("torch")
    torch.set_num_threads(1)  # tests run in parallel workers; tiny tensors gain nothing from threads
    return torch


@pytest.fixture(scope="session")
def torch() -> Any:
    return require_torch()


# Fuzz tests draw new cases locally; in CI they are derandomized, so a red run can be replayed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
    settings.load_profile("ci")


SHARED_AIRFOIL = Path(__file__).resolve().parents[2] / "shared" / "data" / "airfoil_self_noise.csv"


@pytest.fixture(autouse=True, scope="session")
def _shared_data_found_as_in_a_checkout() -> Iterator[None]:
    """glassnet looks in ../shared/data beside a source checkout only, found from the package's
    own location (``source_checkout_data_dir``): a wheel installed in site-packages has none,
    and the tests that read the data without a path failed there (a packager testing the sdist
    against its wheel). They find it beside these tests instead, however glassnet is installed;
    tests/test_data_loading.py checks the real lookup from a checkout. Session-wide, so that
    module fixtures, set up before any test's own, find it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("glassnet.data._airfoil.source_checkout_data_dir", lambda: SHARED_AIRFOIL.parent)
        yield


@pytest.fixture(autouse=True, scope="session")
def _no_user_data_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests that read the airfoil data without a path read the shared copy, here as in CI
    (.ci/run): $GLASSNET_DATA and the user cache (``$XDG_CACHE_HOME/glassnet``, else
    ``~/.cache/glassnet``, which `glassnet data fetch` fills) come before it in the search, so the
    variable is unset and the cache is an empty folder. Tests of that search set their own."""
    from glassnet.data import DATA_ENV_VAR

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATA_ENV_VAR, raising=False)
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


def shared_airfoil() -> Path:
    """The shared copy of the airfoil data beside the checkout; missing, it fails in CI and skips elsewhere."""
    if not SHARED_AIRFOIL.is_file():
        message = f"the shared airfoil file {SHARED_AIRFOIL} is missing (see shared/data/README.md)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_AIRFOIL


@contextmanager
def locked_by_another_thread(folder: Path) -> Iterator[None]:
    """``folder``'s lock held by another thread of this process while the block runs: refused
    as another process's lock is (the thread that holds a lock takes it again, re-entrant)."""
    from glassnet._files import folder_lock

    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with folder_lock(folder):
            taken.set()
            done.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(60)
        yield
    finally:
        done.set()
        holder.join()


@contextmanager
def serving(handler: Any) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 in a thread, answering with ``handler`` (a request handler
    class, or a partial of one); yields its base URL. No test touches the internet."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def refused_before_any_run(
    bench: ModuleType,
    arguments: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The one error line an airfoil benchmark's ``main(arguments)`` exits 2 with, its training
    (``train_airfoil``) replaced by a failure: refused before the first model trains, not with a
    traceback after minutes of runs."""

    def no_training(*_: object, **__: object) -> None:
        raise AssertionError("a run started")

    monkeypatch.setattr(bench, "train_airfoil", no_training)
    with pytest.raises(SystemExit) as caught:
        bench.main(arguments)
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err  # not even the header
    last: str = captured.err.strip().splitlines()[-1]  # after argparse's usage lines
    assert "error: " in last
    return last


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py`` as a module (named ``glassnet_<name>_benchmark``)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"glassnet_{name}_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def rewrite_checkpoint(path: Path, change: Any) -> None:
    """Load a checkpoint's raw arrays, let ``change(arrays, meta)`` edit them, write them back."""
    from glassnet.checkpoint import META_KEY

    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays[META_KEY].tobytes())
    change(arrays, meta)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def reseal(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    """Recompute the array list and checksum, as a forger would, so only the content checks remain."""
    from glassnet.checkpoint import META_KEY, _digest

    meta["arrays"] = {
        key: [a.dtype.str, list(a.shape)] for key, a in sorted(arrays.items()) if key != META_KEY
    }
    meta["sha256"] = _digest(meta, {k: v for k, v in arrays.items() if k != META_KEY})
