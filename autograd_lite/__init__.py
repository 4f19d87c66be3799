"""autograd_lite: reverse-mode automatic differentiation on NumPy, small enough to read.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
from . import (
    backward,
    conversion,
    linalg,  # ag.linalg (issue 13); a module, so not in __all__
    numpy_dispatch,
    ops,
    primitive,
    random,  # ag.random.use_generator and friends; a module, so not in __all__
)
from . import tensor as _tensor_module  # the name ag.tensor is the factory
from .backward import grad
from .clock import mark_changed_in_place
from .compiler import (  # noqa: A004 - ag.compile (issue 16)
    CompileError,
    compile,
    opaque,
    runtime_arrays,
    runtime_check,
)
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    name_scope,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import *  # noqa: F403 - the public ops, listed in ops.PUBLIC_OPS
from .ops import PUBLIC_OPS
from .primitive import call_in_scope

# PyTorch spellings (issue 13)
from .random import Generator
from .sampling import bernoulli, multinomial, normal, rand_like, randint, randn_like, randperm
from .tensor import (
    Tensor,
    arange,
    default_generator,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    set_default_dtype,
    tensor,
    zeros,
    zeros_like,
)
from .viz import GraphvizNotFoundError, capture_grads, draw_graph, save_graph

# Tensor's methods call the modules that build on Tensor; see autograd_lite/tensor.py.
_tensor_module.bind_dependents(ops, primitive, backward, conversion, numpy_dispatch)

__version__ = "0.1.0"

__all__ = [
    "Tensor", "arange", "default_generator", "eye", "full", "get_default_dtype", "linspace",
    "manual_seed", "ones", "ones_like", "rand", "randn", "set_default_dtype", "tensor", "zeros",
    "zeros_like",
    "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "mark_changed_in_place",
    "call_in_scope", "name_scope", "no_grad", "set_grad_enabled",
    "GradcheckError", "gradcheck", "gradgradcheck",
    "GraphvizNotFoundError", "capture_grads", "draw_graph", "save_graph",
    *PUBLIC_OPS,
    # PyTorch spellings (issue 13)
    "Generator", "bernoulli", "empty", "from_numpy", "full_like", "multinomial", "normal",
    "rand_like", "randint", "randn_like", "randperm",
    "CompileError", "compile", "opaque", "runtime_arrays", "runtime_check",  # issue 16
]

# --- function transforms, user ops, checkpointing (issue 14) ---
from . import func  # noqa: E402 - ag.func.grad, jvp, jacrev, ...; a module, so not in __all__
from .checkpointing import checkpoint  # noqa: E402
from .user_ops import Function, FunctionCtx, custom_op  # noqa: E402

__all__ += ["Function", "FunctionCtx", "checkpoint", "custom_op"]  # issue 14
