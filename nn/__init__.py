"""nn: neural-network building blocks composed only from autograd_lite's differentiable ops.

No derivative is written anywhere in this package (a test checks): layers, activations and
losses are compositions of primitives, so their gradients (of any order) come from the engine.
"""

from .conv import AvgPool2d, Conv2d, MaxPool2d
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d", "Module", "ModuleDict", "ModuleList",
           "Parameter", "Sequential"]
