"""The ops of autograd_lite: every public function that computes on tensors.

Primitives (a NumPy forward with its VJP rules) are registered in ``autograd_lite.primitive``;
``PUBLIC_OPS`` names every public op in one place, so that tests can enumerate them.
"""

from . import decompositions, norms  # ag.linalg and Tensor.norm (issue 13)
from .elementwise import (
    abs,
    add,
    astype,
    clip,
    cos,
    div,
    eq,
    exp,
    ge,
    gt,
    isfinite,
    le,
    leaky_relu,
    log,
    log1p,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    square,
    sub,
    tanh,
    where,
)
from .linalg import bmm, dot, matmul, mm, mv, outer  # bmm, mm, mv: linear algebra (issue 13)
from .reduction import (
    argmax,
    argmin,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    prod,
    softmax,
    std,
    sum,
    var,
)
from .shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    flip,
    getitem,
    index_add_to,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    transpose,
    unsqueeze,
)
from .window import conv2d, fold, unfold

PUBLIC_OPS = (
    "abs", "add", "astype", "clip", "cos", "div", "eq", "exp", "ge", "gt", "isfinite", "le",
    "leaky_relu", "log", "log1p", "lt", "maximum", "minimum", "mul", "ne", "neg", "pow", "relu",
    "sigmoid", "sign", "sin", "softplus", "sqrt", "square", "sub", "tanh", "where",
    "dot", "matmul", "outer",
    "argmax", "argmin", "log_softmax", "logsumexp", "max", "mean", "min", "prod", "softmax",
    "std", "sum", "var",
    "broadcast_to", "concatenate", "expand_dims", "flatten", "flip", "getitem", "index_add_to",
    "pad", "permute", "reshape", "split", "squeeze", "stack", "sum_to", "swapaxes", "transpose",
    "unsqueeze",
    "conv2d", "fold", "unfold",
    "bmm", "mm", "mv",  # linear algebra (issue 13)
)

__all__ = list(PUBLIC_OPS) + ["PUBLIC_OPS"]
