"""How a layer takes its input: the dtype rule (README, "Dtypes") applied to layers.

A layer computes in the dtype of its parameters. Data that is not a tensor (a NumPy array from
scikit-learn, a list) is a constant and takes that dtype, as constants do in every op; a float
tensor of another float dtype is refused with PyTorch's error, since converting it silently
would hide a float64 pipeline that runs at half speed (or a float32 layer in a float64
gradient check).
"""

from __future__ import annotations

from typing import Any

from autograd_lite import Tensor
from autograd_lite.tensor import as_inputs

from .module import _CALLS


def layer_input(x: Any, weight: Tensor, where: str) -> Tensor:
    """Return ``x`` as the input tensor of a layer whose parameters have ``weight``'s dtype.

    Non-tensor data becomes a constant of the weight's float dtype (a float64 NumPy array fed
    to a float32 layer is converted once, to float32). Raises TypeError naming ``where``, the
    module being called, both dtypes and the fixes when ``x`` is a float tensor of another
    float dtype than the weight's (integer tensors are left to the ops, which never let them
    widen a float result).
    """
    if not isinstance(x, Tensor):
        x = as_inputs((x, weight), where)[0]
    if x.dtype != weight.dtype and x.dtype.kind == "f" and weight.dtype.kind == "f":
        module = ""
        if _CALLS.frames:
            called, name = _CALLS.frames[-1]
            module = f" of {type(called).__name__}" + (f" {name!r}" if name else "")
        raise TypeError(
            f"{where}: the input is {x.dtype} but the weight{module} is {weight.dtype}; they "
            f"must match, as in PyTorch. Convert the input once (x.astype('{weight.dtype}'); "
            f"a NumPy array given directly is converted for you), or the model "
            f"(model.to('{x.dtype}'))")
    return x
