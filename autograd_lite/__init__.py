"""autograd_lite: reverse-mode automatic differentiation on NumPy, small enough to read.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
# ruff: noqa: I001 - tensor comes first: the engine and the ops import the Tensor class.

from .tensor import (
    Tensor, arange, default_generator, eye, full, get_default_dtype, linspace, manual_seed, ones,
    ones_like, rand, randn, set_default_dtype, tensor, zeros, zeros_like,
)
from .engine import (
    detect_anomaly, enable_grad, grad, is_grad_enabled, mark_changed_in_place, name_scope,
    no_grad, set_grad_enabled,
)
from .ops import *  # noqa: F403 - the public ops, listed in ops.PUBLIC_OPS
from .ops import PUBLIC_OPS
from .functional import log_softmax, softmax
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .viz import GraphvizNotFoundError, capture_grads, draw_graph, save_graph
from . import random  # ag.random.use_generator and friends; a module, so not in __all__

__version__ = "0.1.0"

__all__ = [
    "Tensor", "arange", "default_generator", "eye", "full", "get_default_dtype", "linspace",
    "manual_seed", "ones", "ones_like", "rand", "randn", "set_default_dtype", "tensor", "zeros",
    "zeros_like",
    "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "mark_changed_in_place",
    "name_scope", "no_grad", "set_grad_enabled",
    "log_softmax", "softmax",
    "GradcheckError", "gradcheck", "gradgradcheck",
    "GraphvizNotFoundError", "capture_grads", "draw_graph", "save_graph",
    *PUBLIC_OPS,
]
