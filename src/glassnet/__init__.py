"""glassnet: neural networks you can see through.

A NumPy engine whose every backward pass is explicit code, worked derivations of forward
pass, loss, chain rule and update with the engine's own numbers, and PyTorch parity.

``import glassnet`` loads the engine (``nn``, ``losses``, ``optim``, ``gradcheck``); the other
modules (``glassnet.data``, ``glassnet.train``, ``glassnet.explain``, …) are imported on first
use of the attribute, as NumPy's submodules are, so ``glassnet.train.Trainer`` works after a
bare ``import glassnet`` and the import stays quick (no torch, no matplotlib).
"""

from types import ModuleType
from typing import TYPE_CHECKING

from glassnet import losses, nn, optim
from glassnet._gradcheck import GradcheckReport, GradientComparison, gradcheck

__version__ = "0.1.0"

__all__ = ["GradcheckReport", "GradientComparison", "__version__", "gradcheck", "losses", "nn", "optim"]

# imported on first attribute access (__getattr__); left out of __all__, so that a star import
# stays as quick as `import glassnet`
_LAZY_MODULES = frozenset(
    {"checkpoint", "data", "demo", "exercise", "explain", "plots", "spec", "torch_bridge", "train"}
)

if TYPE_CHECKING:  # what type checkers see for glassnet.train and the rest: the modules themselves
    from glassnet import checkpoint as checkpoint
    from glassnet import data as data
    from glassnet import demo as demo
    from glassnet import exercise as exercise
    from glassnet import explain as explain
    from glassnet import plots as plots
    from glassnet import spec as spec
    from glassnet import torch_bridge as torch_bridge
    from glassnet import train as train
else:  # at run time only: for a type checker, a module __getattr__ would let any misspelt name pass

    def __getattr__(name: str) -> ModuleType:
        """``glassnet.train`` and the other modules, imported on first access (PEP 562); the import
        sets the package attribute, so later accesses do not come back here."""
        if name in _LAZY_MODULES:
            import importlib  # here: `import glassnet` itself does without it

            return importlib.import_module(f"glassnet.{name}")
        raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names and the modules imported on first use, for tab completion (without
    the names this file imports for its own use)."""
    return sorted((globals().keys() - {"ModuleType", "TYPE_CHECKING"}) | _LAZY_MODULES)
