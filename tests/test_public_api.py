"""The package's top level: what ``import glassnet`` loads, what it reaches on first use, and
names that mean one thing (``glassnet.gradcheck`` is the function; there is no module of that
name to shadow it).

The lazy imports are tested in a fresh interpreter: this one has imported every module already.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet
from glassnet import GradcheckReport, GradientComparison, gradcheck
from glassnet.losses import BCELoss, MSELoss
from glassnet.nn import Linear

SRC = Path(__file__).resolve().parents[1] / "src"
LAZY = ["checkpoint", "data", "demo", "exercise", "explain", "plots", "spec", "torch_bridge", "train"]
EAGER = ["losses", "nn", "optim"]
NOT_AT_THE_TOP = {"cli", "__main__"}  # the command line: `glassnet ...`, or glassnet.cli.main(argv)


def _fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter on this checkout's sources; return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_import_glassnet_loads_the_engine_only() -> None:
    """No torch, matplotlib or tqdm, and none of the modules imported on first use; dir() lists
    them all the same (tab completion)."""
    loaded, listed = _fresh(
        """
        import json, sys
        import glassnet
        print(json.dumps([sorted(sys.modules), dir(glassnet)]))
        """
    )
    assert not {"torch", "matplotlib", "tqdm"} & {name.split(".")[0] for name in loaded}
    below = {name.split(".")[1] for name in loaded if name.startswith("glassnet.")}
    assert below == {"_checks", "_gradcheck", *EAGER}
    assert set(LAZY) <= set(listed)


def test_every_module_is_an_attribute_after_import_glassnet_alone() -> None:
    reached = _fresh(
        """
        import json, sys
        import glassnet
        reached = {
            "Trainer": glassnet.train.Trainer.__qualname__,
            "target_scale": glassnet.train.target_scale.__name__,
            "Preprocessor": glassnet.data.Preprocessor.__qualname__,
            "explain": glassnet.explain.explain.__name__,
            "load_checkpoint": glassnet.checkpoint.load_checkpoint.__name__,
            "MLPSpec": glassnet.spec.MLPSpec.__qualname__,
            "exercise_network": glassnet.exercise.exercise_network.__name__,
            "plots": glassnet.plots.__name__,
            "torch_bridge": glassnet.torch_bridge.__name__,
            "demo": glassnet.demo.__name__,
            # the import sets the attribute: a second access does not go through __getattr__
            "set": all(name in vars(glassnet) for name in {lazy}),
        }
        print(json.dumps(reached))
        """.replace("{lazy}", repr(LAZY))
    )
    assert reached == {
        "Trainer": "Trainer",
        "target_scale": "target_scale",
        "Preprocessor": "Preprocessor",
        "explain": "explain",
        "load_checkpoint": "load_checkpoint",
        "MLPSpec": "MLPSpec",
        "exercise_network": "exercise_network",
        "plots": "glassnet.plots",
        "torch_bridge": "glassnet.torch_bridge",
        "demo": "glassnet.demo",
        "set": True,
    }


def test_the_lazy_list_is_every_public_module() -> None:
    """A new public module is reachable from the top (or this test names it)."""
    found = {info.name for info in pkgutil.iter_modules(glassnet.__path__) if not info.name.startswith("_")}
    assert found - NOT_AT_THE_TOP == {*LAZY, *EAGER}
    assert sorted(glassnet._LAZY_MODULES) == LAZY


def test_dir_lists_the_modules_not_yet_imported() -> None:
    listed = dir(glassnet)
    assert {*LAZY, *EAGER, "gradcheck", "GradcheckReport", "GradientComparison", "__version__"} <= set(listed)
    assert listed == sorted(listed)
    assert not {"ModuleType", "TYPE_CHECKING"} & set(listed)  # the file's own imports


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'glassnet' has no attribute 'tarin'$"):
        glassnet.tarin  # type: ignore[attr-defined]  # noqa: B018
    assert getattr(glassnet, "nothing", None) is None


def test_gradcheck_is_the_function_and_its_report_types_are_at_the_top() -> None:
    assert glassnet.gradcheck is gradcheck and callable(gradcheck)
    assert glassnet.GradcheckReport is GradcheckReport
    assert glassnet.GradientComparison is GradientComparison
    report = gradcheck(Linear(2, 1, rng=np.random.default_rng(0)), MSELoss(), [[1.0, 2.0]], [[0.5]])
    assert isinstance(report, GradcheckReport) and isinstance(report["weight"], GradientComparison)
    assert report.ok
    assert {"gradcheck", "GradcheckReport", "GradientComparison"} <= set(glassnet.__all__)


def test_there_is_no_gradcheck_module_to_shadow_the_function() -> None:
    """It was both: ``import glassnet.gradcheck as gc`` gave the function (the package attribute),
    and ``gc.GradcheckReport`` raised AttributeError."""
    with pytest.raises(ModuleNotFoundError, match=r"glassnet\.gradcheck"):
        importlib.import_module("glassnet.gradcheck")
    assert glassnet.gradcheck is gradcheck  # the failed import left the function in place


def test_the_run_files_module_exports_its_api_not_its_imports() -> None:
    from glassnet.train import artifacts

    names: dict[str, object] = {}
    exec("from glassnet.train.artifacts import *", names)
    exported = set(names) - {"__builtins__"}
    assert exported == set(artifacts.__all__)
    assert {"write_run", "write_plots", "save_resume", "load_resume", "MODEL_FILE", "RESUME_FILE"} <= exported
    # what docs/training.md says a second writer into a run folder gets: to be caught by its name
    assert {"IncompleteRunError", "FolderInUseError"} <= exported
    assert not {"np", "os", "json", "Path", "Checkpoint", "save_checkpoint", "run_info"} & exported


@pytest.mark.parametrize("name", ["NumpyEngine", "TorchEngine", "make_engine", "make_glassnet_optimizer"])
def test_the_engines_are_reached_from_glassnet_train_with_a_deprecation_warning(name: str) -> None:
    """No longer exported (make_engine lets a caller past the Trainer's checks), they still import,
    with a warning that says where they live, rather than failing with a bare ImportError."""
    import glassnet.train
    from glassnet.train import _engines

    with pytest.warns(
        DeprecationWarning,
        match=rf"glassnet\.train\.{name} is the Trainer's plumbing.*glassnet\.train\._engines",
    ):
        assert getattr(glassnet.train, name) is getattr(_engines, name)
    assert name not in glassnet.train.__all__
    with pytest.raises(AttributeError, match=r"module 'glassnet\.train' has no attribute 'Nothing'"):
        glassnet.train.Nothing  # noqa: B018


def test_bce_eps_for_says_what_replaced_it() -> None:
    for loss in (BCELoss(), BCELoss(eps=1e-12)):  # an eps too small for float32: the same refusal
        with pytest.raises(
            AttributeError, match=r"BCELoss\.eps_for is gone: bounds_for\(dtype\) gives the interval"
        ):
            loss.eps_for(np.float32)
