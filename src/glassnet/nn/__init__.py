"""Layers with explicit backward passes: parameters, modules, activations, the MLP builder."""

from glassnet.nn._activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softplus,
    Tanh,
    get_activation,
    stable_sigmoid,
    stable_softplus,
)
from glassnet.nn._linear import INITS, Init, Linear, init_linear
from glassnet.nn._mlp import MLP
from glassnet.nn._module import IncompatibleKeys, Module, Sequential, flatten_modules
from glassnet.nn._parameter import Parameter

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "Activation",
    "Identity",
    "IncompatibleKeys",
    "Init",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "flatten_modules",
    "get_activation",
    "init_linear",
    "stable_sigmoid",
    "stable_softplus",
]
