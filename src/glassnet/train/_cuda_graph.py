"""A training step captured in a CUDA graph: one launch replays forward, loss, backward and update.

On networks this small an eager step is a few dozen kernels that each take the GPU a
few microseconds and the host several times that to launch, so the GPU waits on Python.
Capturing the step records its kernels once; each replay launches all of them at once.

What capture asks of the step (PyTorch's notes on CUDA graphs):

- fixed addresses: the batch is copied into the graph's own input tensors before each
  replay, and everything else the step touches (weights, gradients, optimizer state,
  learning rate, running sums) is updated in place, never replaced;
- nothing read back to the host and no Python number that changes between steps: the
  learning rate is a device tensor and the optimizer keeps its step count on the device
  (torch.optim's ``fused=True``; Adam also asks for ``capturable=True``);
- a few eager warm-up steps on a side stream first (they create the optimizer's state,
  the autograd and cuBLAS workspaces). Those steps train the model: the caller keeps its
  state around the capture (:func:`warm_up_undone`) so that training starts from where it was.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

WARMUP_STEPS = 3  # eager steps before a capture, as PyTorch's examples take

Step = Callable[[Any, Any], None]  # step(x (B, in), y (B, out)): one training step on the device


@dataclass(frozen=True)
class CapturedStep:
    """``step`` recorded for one batch shape; calling it replays the step on a new batch."""

    graph: Any  # torch.cuda.CUDAGraph
    x: Any  # (B, in): the input the graph reads
    y: Any  # (B, out): the target the graph reads

    def __call__(self, x: Any, y: Any) -> None:
        self.x.copy_(x)
        self.y.copy_(y)
        self.graph.replay()


def capture_step(step: Step, x: Any, y: Any, warmup_steps: int = WARMUP_STEPS) -> CapturedStep:
    """Warm ``step`` up on (x, y) and capture it for batches of x's and y's shape and dtype.

    The warm-up steps run eagerly and change whatever the step changes; wrap the call in
    :func:`warm_up_undone` to put that state back. The captured graph is not run here.
    """
    import torch

    static_x, static_y = x.clone(), y.clone()
    side = torch.cuda.Stream(x.device)  # type: ignore[no-untyped-call]
    side.wait_stream(torch.cuda.current_stream(x.device))
    try:
        with torch.cuda.stream(side), warnings.catch_warnings():
            # a capturable optimizer warns when it runs uncaptured, which a warm-up has to
            warnings.filterwarnings("ignore", message=r".*capturable=True.*without CUDA graph capture")
            for _ in range(warmup_steps):
                step(static_x, static_y)
    finally:
        # also when a warm-up step fails: warm_up_undone's copies, on the current stream, must
        # come after the warm-up's work queued on the side stream, or they race with it
        torch.cuda.current_stream(x.device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    # on the warm-up's stream, whose cuBLAS handle and workspace the warm-up created
    with torch.cuda.graph(graph, stream=side):
        step(static_x, static_y)
    return CapturedStep(graph, static_x, static_y)


@contextlib.contextmanager
def warm_up_undone(kept: Sequence[Any], optimizer: Any) -> Iterator[None]:
    """Put ``kept`` tensors and ``optimizer``'s state back as they were before the block.

    ``kept`` (weights, running sums) get their values back in place. The optimizer's
    state tensors that existed before get theirs back; those the block created (its
    first step does that) are zeroed, which is a fresh state for Adam, AdamW and SGD
    without dampening: Adam's step count and both moments start at 0, and SGD's momentum
    buffer b satisfies b = μ·0 + g on the first step, the g that PyTorch copies into it.
    """
    import torch

    before = [tensor.detach().clone() for tensor in kept]
    # id → (tensor, its value): holding the tensor keeps its id from being reused
    state_before = {
        id(value): (value, value.detach().clone())
        for state in optimizer.state.values()
        for value in state.values()
        if torch.is_tensor(value)
    }
    try:
        yield
    finally:
        with torch.no_grad():
            for tensor, value in zip(kept, before, strict=True):
                tensor.copy_(value)
            for state in optimizer.state.values():
                for value in state.values():
                    if not torch.is_tensor(value):
                        continue
                    if id(value) in state_before:
                        value.copy_(state_before[id(value)][1])
                    else:
                        value.zero_()
