"""glassnet: neural networks you can see through.

A NumPy engine whose every backward pass is explicit code, worked derivations of forward
pass, loss, chain rule and update with the engine's own numbers, and PyTorch parity.
"""

from glassnet import losses, nn, optim
from glassnet.gradcheck import GradcheckReport, GradientComparison, gradcheck

__version__ = "0.1.0"

__all__ = ["GradcheckReport", "GradientComparison", "__version__", "gradcheck", "losses", "nn", "optim"]
