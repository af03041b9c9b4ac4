"""Optimizers (SGD, Adam, AdamW) with PyTorch's update rules, and learning-rate schedules."""

from glassnet.optim._adam import Adam, AdamW, adam_update, moments_in_scaled_form, moments_in_torch_form
from glassnet.optim._optimizer import Optimizer
from glassnet.optim._schedulers import CosineLR, ExponentialLR, LRScheduler, StepLR
from glassnet.optim._sgd import SGD, sgd_update

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "StepLR",
    "adam_update",
    "moments_in_scaled_form",
    "moments_in_torch_form",
    "sgd_update",
]
