"""The ops of autograd_lite: every public function that computes on tensors.

Primitives (a NumPy forward with its VJP rules) are registered in ``autograd_lite.primitive``;
``PUBLIC_OPS`` names every public op in one place, so that tests can enumerate them.
"""

from . import decompositions, norms  # ag.linalg and Tensor.norm (issue 13)
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
from .exponential import exp2, expm1, log2, log10, logaddexp, logaddexp2, reciprocal, rsqrt
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
from .linalg import bmm, dot, matmul, mm, mv, outer  # bmm, mm, mv: linear algebra (issue 13)
from .nan_aware import fmax, fmin, nan_to_num
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
from .rounding import ceil, floor, floor_divide, fmod, remainder, round, trunc
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
from .special import erf, erfc

# PyTorch spellings (issue 13)
from .torch_names import (
    all,
    any,
    bitwise_not,
    cat,
    chunk,
    clamp,
    clone,
    masked_fill,
    ravel,
    unbind,
)
from .trigonometric import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    deg2rad,
    hypot,
    rad2deg,
    sinc,
    sinh,
    tan,
)
from .window import conv2d, conv_transpose2d, fold, unfold

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
    # elementwise maths (issue 13)
    "exp2", "expm1", "log2", "log10", "logaddexp", "logaddexp2", "reciprocal", "rsqrt",
    "fmax", "fmin", "nan_to_num", "ceil", "floor", "floor_divide", "fmod", "remainder", "round",
    "trunc", "erf", "erfc", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinc",
    "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg",
    "asin", "acos", "atan", "atan2", "asinh", "acosh", "atanh",
    # PyTorch spellings (issue 13)
    "all", "any", "bitwise_not", "cat", "chunk", "clamp", "clone", "masked_fill", "ravel", "unbind",
    # nn.functional breadth (issue 13)
    "conv_transpose2d",
    "bmm", "mm", "mv",  # linear algebra (issue 13)
    # arrays (issue 13)
    "append", "column_stack", "diag", "diagonal", "dstack", "hstack", "meshgrid", "repeat",
    "roll", "rot90", "tile", "tril", "triu", "vstack", "cross", "einsum", "inner", "kron",
    "tensordot", "trace", "cummax", "cummin", "cumprod", "cumsum", "diff", "argsort",
    "argwhere", "gather", "index_select", "masked_select", "nonzero", "scatter", "scatter_add",
    "sort", "take", "take_along_axis", "topk",
)

__all__ = list(PUBLIC_OPS) + ["PUBLIC_OPS"]
