"""The ops of autograd_lite: every public function that computes on tensors.

Primitives (a NumPy forward with its VJP rules) are registered in ``autograd_lite.primitive``;
``PUBLIC_OPS`` names every public op in one place, so that tests can enumerate them.
"""

from .arrangement import (
    append,
    column_stack,
    diag,
    diagonal,
    dstack,
    hstack,
    meshgrid,
    repeat,
    roll,
    rot90,
    tile,
    tril,
    triu,
    vstack,
)
from .contraction import cross, einsum, inner, kron, tensordot, trace
from .cumulative import cummax, cummin, cumprod, cumsum, diff
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
from .indexing import (
    argsort,
    argwhere,
    gather,
    index_select,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    sort,
    take,
    take_along_axis,
    topk,
)
from .linalg import dot, matmul, outer
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
    # arrays (issue 13)
    "append", "column_stack", "diag", "diagonal", "dstack", "hstack", "meshgrid", "repeat",
    "roll", "rot90", "tile", "tril", "triu", "vstack", "cross", "einsum", "inner", "kron",
    "tensordot", "trace", "cummax", "cummin", "cumprod", "cumsum", "diff", "argsort",
    "argwhere", "gather", "index_select", "masked_select", "nonzero", "scatter", "scatter_add",
    "sort", "take", "take_along_axis", "topk",
)

__all__ = list(PUBLIC_OPS) + ["PUBLIC_OPS"]
