"""Tensors leaving the graph's world: ``to(dtype/device)``, format specs, pickling and copying.

``Tensor.to``, ``Tensor.__format__`` and ``Tensor.__reduce__`` delegate here, and ``nn.Module.to``
reads its arguments with ``to_arguments``, so both follow PyTorch's signatures in one place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor

DEVICE = "cpu"
# Device names PyTorch code passes to .to(); all but the CPU are refused clearly.
_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "hpu", "ipu", "mtia",
                 "vulkan", "privateuseone")


def _is_device(value: Any) -> bool:
    if isinstance(value, str):
        return value.split(":")[0] in _DEVICE_TYPES
    return isinstance(value, int) and not isinstance(value, bool)  # a CUDA ordinal: .to(0)


def _check_device(device: Any, where: str) -> None:
    if device is None or (isinstance(device, str) and device.split(":")[0] == DEVICE):
        return
    raise RuntimeError(f"{where}: autograd_lite runs on the CPU only, so device {device!r} is "
                       f"not available; drop the device (or use 'cpu')")


def to_arguments(args: tuple, kwargs: dict[str, Any], where: str) -> tuple[np.dtype | None, bool]:
    """Read PyTorch's ``to`` arguments; return ``(dtype or None, copy)``.

    Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` (its
    dtype), the keywords ``dtype=``, ``device=``, ``copy=`` and ``non_blocking=`` (ignored: CPU
    copies are synchronous), and trailing positional ``non_blocking, copy`` flags. Raises
    RuntimeError (naming ``where``) for a device other than the CPU and TypeError for anything
    that is neither a dtype nor a device.
    """
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    flags = [kwargs.pop("non_blocking", False), kwargs.pop("copy", False)]
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword {next(iter(kwargs))!r}; to() takes "
                        f"dtype=, device=, copy= and non_blocking=")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0).dtype
    elif rest and _is_device(rest[0]):
        device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    if len(rest) > 2 or not all(isinstance(flag, bool) for flag in rest):
        raise TypeError(f"{where}: expected to(dtype), to(device), to(device, dtype) or "
                        f"to(tensor), got arguments {args!r}")
    flags[:len(rest)] = rest
    _check_device(device, where)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{where}: {dtype!r} is neither a dtype (e.g. 'float64') nor a "
                            f"device ('cpu')") from None
    return dtype, bool(flags[1])


def to(tensor: Tensor, args: tuple, kwargs: dict[str, Any]) -> Tensor:
    """``Tensor.to``: the tensor converted to a dtype (differentiable like ``astype``), or the
    tensor itself when nothing changes and ``copy`` is False."""
    dtype, copy = to_arguments(args, kwargs, "Tensor.to")
    if (dtype is None or dtype == tensor.dtype) and not copy:
        return tensor
    return ops.astype(tensor, tensor.dtype if dtype is None else dtype)


def format_tensor(tensor: Tensor, spec: str) -> str:
    """``format(t, spec)``: ``str(t)`` for an empty spec, else the spec applied to the single
    element (as for a Python float); TypeError for a tensor with more than one element."""
    if not spec:
        return str(tensor)
    if tensor.size != 1:
        raise TypeError(f"format: the spec {spec!r} formats one number, but the tensor has "
                        f"shape {tensor.shape}; format t.item() of a one-element tensor, or "
                        f"the elements of t.tolist() one by one")
    return format(tensor.item(), spec)


def reduce_tensor(tensor: Tensor) -> tuple:
    """``Tensor.__reduce__`` (pickle, ``copy.deepcopy``): data, name and, for a leaf,
    ``requires_grad`` and ``grad``. A non-leaf becomes a detached copy: the graph behind it (op
    rules, saved values) is not data and is never pickled."""
    leaf = tensor.is_leaf
    state = {"grad": tensor.grad} if leaf and tensor.grad is not None else None
    extra = getattr(tensor, "__dict__", None)  # a subclass without __slots__
    return (rebuild_tensor, (type(tensor), tensor.data, leaf and tensor.requires_grad,
                             tensor.name), (extra, state) if extra or state else None)


def rebuild_tensor(cls: type, data: np.ndarray, requires_grad: bool, name: str | None
                   ) -> Tensor:
    """The inverse of ``reduce_tensor``: a fresh leaf of class ``cls`` holding ``data``."""
    tensor = cls.__new__(cls)
    Tensor.__init__(tensor, data, requires_grad=requires_grad, name=name)
    return tensor
