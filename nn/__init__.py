"""nn: neural-network building blocks composed only from autograd_lite's differentiable ops.

No derivative is written anywhere in this package (a test checks): layers, activations and
losses are compositions of primitives, so their gradients (of any order) come from the engine.
"""

from .module import Module, ModuleDict, ModuleList, Parameter, Sequential

__all__ = ["Module", "ModuleDict", "ModuleList", "Parameter", "Sequential"]
