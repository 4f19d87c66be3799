"""Convolution and pooling over (N, C, H, W) images, from ``ag.conv2d`` and ``ag.unfold``.

The functions ``conv2d``, ``max_pool2d`` and ``avg_pool2d`` and their modules ``Conv2d``,
``MaxPool2d`` and ``AvgPool2d``. ``conv2d`` is the primitive ``ag.conv2d`` (im2col + one
matmul), taking single images too; the pools reduce over the kernel axes of ``ag.unfold``'s
windows. No derivative is written here: the gradients come from the primitives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.ops.window import as_pair
from autograd_lite.tensor import as_input

from .inputs import layer_input
from .module import Module, Parameter


def _batched(x: Tensor, name: str) -> tuple[Tensor, bool]:
    """Return ``x`` as a 4-D batch, and whether it was a single (C, H, W) image."""
    if x.ndim == 3:
        return ag.unsqueeze(x, 0), True
    if x.ndim != 4:
        raise ValueError(f"{name}: expects a 4-D input (N, C, H, W) or a 3-D image (C, H, W), "
                         f"got shape {x.shape}")
    return x, False


def _unbatched(out: Tensor, single: bool) -> Tensor:
    return ag.squeeze(out, 0) if single else out


def _windows(x: Tensor, name: str, kernel: Any, stride: Any, padding: Any, dilation: Any
             ) -> Tensor:
    """``ag.unfold`` whose errors also name the layer function the user called."""
    try:
        return ag.unfold(x, kernel, stride, padding, dilation)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{name}: {error}") from None


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's ``conv2d``) of a batch with a bank of kernels.

    Shapes: ``x`` (N, C_in, H, W) or one image (C_in, H, W); ``weight`` (C_out, C_in, kh, kw);
    ``bias`` (C_out,) or None; the result is (N, C_out, out_h, out_w) (or (C_out, out_h, out_w))
    with ``out = (size + 2*padding - dilation*(k-1) - 1) // stride + 1`` per axis. ``stride``,
    ``padding`` (zeros) and ``dilation`` are ints or (height, width) pairs. The batch goes to
    the primitive ``ag.conv2d``.

    Raises ValueError naming ``conv2d`` and the shapes when the channels or the bias do not
    match the weight, or the kernel does not fit the padded input; TypeError when ``x`` is a
    float tensor of another dtype than the weight (a NumPy array takes the weight's dtype).
    """
    weight = as_input(weight, "conv2d")
    x, single = _batched(layer_input(x, weight, "conv2d"), "conv2d")
    return _unbatched(ag.conv2d(x, weight, bias, stride, padding, dilation), single)


def _pool_geometry(name: str, kernel_size: Any, stride: Any, padding: Any
                   ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Kernel, stride (default: the kernel) and padding as pairs, checked by PyTorch's rules."""
    kernel = as_pair(kernel_size, "kernel_size", name, 1)
    strides = kernel if stride is None else as_pair(stride, "stride", name, 1)
    pads = as_pair(padding, "padding", name, 0)
    if pads[0] > kernel[0] // 2 or pads[1] > kernel[1] // 2:
        raise ValueError(f"{name}: padding {pads} must be at most half the kernel {kernel}, so "
                         f"that every window overlaps the input")
    return kernel, strides, pads


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> Tensor:
    """Largest value in each window, per channel: (N, C, H, W) -> (N, C, out_h, out_w).

    ``stride`` defaults to ``kernel_size``; padding adds -inf borders (the lowest integer for
    integer images), never the maximum, and may be at most half the kernel. Tied maxima share
    the gradient evenly (the ``max`` reduction's rule). A 3-D (C, H, W) image gives
    (C, out_h, out_w). Raises ValueError naming ``max_pool2d`` for a bad shape, padding or
    window size.
    """
    kernel, stride, pads = _pool_geometry("max_pool2d", kernel_size, stride, padding)
    x, single = _batched(as_input(x, "max_pool2d"), "max_pool2d")
    if pads != (0, 0):
        lowest = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
        x = ag.pad(x, ((0, 0), (0, 0), (pads[0], pads[0]), (pads[1], pads[1])), value=lowest)
    windows = _windows(x, "max_pool2d", kernel, stride, 0, dilation)
    return _unbatched(ag.max(windows, axis=(2, 3)), single)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean of each window, per channel: (N, C, H, W) -> (N, C, out_h, out_w).

    ``stride`` defaults to ``kernel_size``; padding adds zero borders (at most half the kernel).
    With ``count_include_pad=True`` (PyTorch's default) every window divides by kh*kw; with
    False, by the number of real pixels it covers. A 3-D (C, H, W) image gives
    (C, out_h, out_w). Raises ValueError naming ``avg_pool2d`` for a bad shape or padding.
    """
    kernel, stride, pads = _pool_geometry("avg_pool2d", kernel_size, stride, padding)
    x, single = _batched(as_input(x, "avg_pool2d"), "avg_pool2d")
    windows = _windows(x, "avg_pool2d", kernel, stride, pads, 1)
    if count_include_pad:
        return _unbatched(ag.mean(windows, axis=(2, 3)), single)
    with ag.no_grad():
        real_pixels = ag.unfold(np.ones((1, 1) + x.shape[2:], dtype=x.dtype), kernel, stride,
                                pads).sum(axis=(2, 3))
    return _unbatched(ag.sum(windows, axis=(2, 3)) / real_pixels, single)


# --- modules ---------------------------------------------------------------------------------


def _uniform_parameter(shape: tuple[int, ...], bound: float) -> Parameter:
    values = ag.default_generator().uniform(-bound, bound, shape)
    return Parameter(values.astype(ag.get_default_dtype()))


class Conv2d(Module):
    """2-D convolution layer: ``conv2d(x, weight, bias, stride, padding, dilation)``.

    ``weight`` is (out_channels, in_channels, kh, kw) and ``bias`` (out_channels,) (or None with
    ``bias=False``), both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    ``fan_in = in_channels*kh*kw`` (PyTorch's default) from ``ag.default_generator()``, so
    ``ag.manual_seed`` makes them reproducible. Input (N, in_channels, H, W) -> output
    (N, out_channels, out_h, out_w). Example: ``nn.Conv2d(1, 8, 3, padding=1)`` keeps 8x8 images
    8x8. Raises ValueError for non-positive channel counts or window parameters.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, bias: bool = True) -> None:
        super().__init__()
        for what, count in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
                raise ValueError(f"Conv2d: {what} must be a positive int, got {count!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = as_pair(stride, "stride", "Conv2d", 1)
        self.padding = as_pair(padding, "padding", "Conv2d", 0)
        self.dilation = as_pair(dilation, "dilation", "Conv2d", 1)
        bound = 1.0 / math.sqrt(self.in_channels * math.prod(self.kernel_size))
        self.weight = _uniform_parameter((self.out_channels, self.in_channels)
                                         + self.kernel_size, bound)
        if bias:
            self.bias = _uniform_parameter((self.out_channels,), bound)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        """Convolve a (N, in_channels, H, W) batch (or one (in_channels, H, W) image)."""
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """``in, out, kernel_size=..., stride=...`` plus the non-default settings, as PyTorch."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + (", bias=False" if self.bias is None else "")


class MaxPool2d(Module):
    """Max pooling layer: ``max_pool2d(x, kernel_size, stride, padding, dilation)``.

    ``stride`` defaults to ``kernel_size``; padding (at most half the kernel) never wins the
    maximum; tied maxima share the gradient evenly. No parameters. Raises ValueError for
    invalid window parameters when constructed.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_geometry(
            "MaxPool2d", kernel_size, stride, padding)
        self.dilation = as_pair(dilation, "dilation", "MaxPool2d", 1)

    def forward(self, x: Any) -> Tensor:
        """Pool a (N, C, H, W) batch (or one (C, H, W) image)."""
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """The window settings, as PyTorch prints them."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")


class AvgPool2d(Module):
    """Average pooling layer: ``avg_pool2d(x, kernel_size, stride, padding, count_include_pad)``.

    ``stride`` defaults to ``kernel_size``; zero padding is at most half the kernel and counts
    in the average unless ``count_include_pad=False``. No parameters. Raises ValueError for
    invalid window parameters when constructed.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_geometry(
            "AvgPool2d", kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        """Pool a (N, C, H, W) batch (or one (C, H, W) image)."""
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        """The window settings, as PyTorch prints them."""
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + ("" if self.count_include_pad else ", count_include_pad=False")
