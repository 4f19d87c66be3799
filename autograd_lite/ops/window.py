"""Sliding windows over images: ``unfold`` gathers every kernel-sized patch; ``fold`` adds back.

The two primitives are each other's adjoint, so each one's VJP is the other and gradients of
any order flow through the same two rules. ``conv2d`` is a primitive whose forward and VJPs are
written with them (im2col and one matmul); pooling (``nn.conv``) composes ``unfold`` with
reductions. VJP rules write the matrix product as ``@`` and call ``F.`` for named functions
(``F.fold``, ``F.reshape``), so one rule serves arrays and tensors.

Layout: an image batch is (N, C, H, W); its windows are (N, C, kh, kw, out_h, out_w), where
``windows[n, c, i, j, y, x]`` is the input pixel under kernel offset (i, j) of the window at
output position (y, x), ``x_padded[n, c, y*sh + i*dh, x*sw + j*dw]``. Reshaped to
(N, C*kh*kw, out_h*out_w) it is PyTorch's ``unfold`` (im2col) layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..primitive import NUMPY, primitive
from ..tensor import Tensor, as_input, as_inputs

Pair = tuple[int, int]


def _unfold_vjp(F, g, ans, x, kernel_size, stride, padding, dilation):
    return F.fold(g, output_size=x.shape[2:], kernel_size=kernel_size, stride=stride,
                  padding=padding, dilation=dilation)


def _fold_vjp(F, g, ans, windows, output_size, kernel_size, stride, padding, dilation):
    return F.unfold(g, kernel_size=kernel_size, stride=stride, padding=padding,
                    dilation=dilation)


def _output_length(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@primitive("unfold", _unfold_vjp)
def _unfold(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
            ) -> np.ndarray:
    x = np.asarray(x)
    n, c, height, width = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    if ph or pw:
        padded = np.zeros((n, c, height + 2 * ph, width + 2 * pw), dtype=x.dtype)
        padded[:, :, ph:ph + height, pw:pw + width] = x
    else:
        padded = np.ascontiguousarray(x)
    out_h = _output_length(height, kh, sh, ph, dh)
    out_w = _output_length(width, kw, sw, pw, dw)
    step_n, step_c, step_h, step_w = padded.strides
    windows = as_strided(padded, shape=(n, c, kh, kw, out_h, out_w),
                         strides=(step_n, step_c, step_h * dh, step_w * dw, step_h * sh,
                                  step_w * sw), writeable=False)
    return np.ascontiguousarray(windows)  # a private copy: callers may reshape or write it


@primitive("fold", _fold_vjp)
def _fold(windows: Any, output_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair,
          dilation: Pair) -> np.ndarray:
    windows = np.asarray(windows)
    n, c, kh, kw, out_h, out_w = windows.shape
    (height, width), (sh, sw), (ph, pw), (dh, dw) = output_size, stride, padding, dilation
    padded = np.zeros((n, c, height + 2 * ph, width + 2 * pw), dtype=windows.dtype)
    # One strided slice per kernel offset: kh*kw vectorised additions, no per-element scatter.
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh)
        for j in range(kw):
            columns = slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw)
            padded[:, :, rows, columns] += windows[:, :, i, j]
    return padded[:, :, ph:ph + height, pw:pw + width]


def _columns(F: Any, x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
             ) -> Any:
    """im2col: the windows of ``x`` as (N, C*kh*kw, out_h*out_w), PyTorch's unfold layout."""
    windows = F.unfold(x, kernel_size=kernel_size, stride=stride, padding=padding,
                       dilation=dilation)
    n, c, kh, kw, out_h, out_w = windows.shape
    return F.reshape(windows, shape=(n, c * kh * kw, out_h * out_w))


def _conv2d_vjp_input(F, g, ans, x, weight, stride, padding, dilation):
    # Each output gradient, spread over its window by the kernels, is added back into the image.
    n, c_out, out_h, out_w = g.shape
    _, c_in, kh, kw = weight.shape
    kernels = F.reshape(weight, shape=(c_out, c_in * kh * kw))
    columns = F.transpose(kernels, axes=(1, 0)) @ F.reshape(g, shape=(n, c_out, out_h * out_w))
    return F.fold(F.reshape(columns, shape=(n, c_in, kh, kw, out_h, out_w)),
                  output_size=tuple(x.shape[2:]), kernel_size=(kh, kw), stride=stride,
                  padding=padding, dilation=dilation)


def _conv2d_vjp_weight(F, g, ans, x, weight, stride, padding, dilation):
    # Each output gradient times the window it saw, summed over images and positions; the
    # windows are gathered again rather than kept from the forward pass (kh*kw times x's size).
    n, c_out, out_h, out_w = g.shape
    columns = _columns(F, x, tuple(weight.shape[2:]), stride, padding, dilation)
    per_image = F.reshape(g, shape=(n, c_out, out_h * out_w)) @ F.transpose(columns, axes=(0, 2, 1))
    return F.reshape(F.sum(per_image, axis=(0,), keepdims=False), shape=tuple(weight.shape))


@primitive("conv2d", _conv2d_vjp_input, _conv2d_vjp_weight)
def _conv2d(x: Any, weight: Any, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
    c_out, c_in, kh, kw = np.shape(weight)
    columns = _columns(NUMPY, x, (kh, kw), stride, padding, dilation)
    out = np.matmul(np.reshape(weight, (c_out, c_in * kh * kw)), columns)
    n, _, height, width = np.shape(x)
    out_h = _output_length(height, kh, stride[0], padding[0], dilation[0])
    out_w = _output_length(width, kw, stride[1], padding[1], dilation[1])
    return out.reshape(n, c_out, out_h, out_w)


def as_pair(value: Any, what: str, name: str, minimum: int) -> Pair:
    """Turn an int or a pair of ints into a pair, checking each is at least ``minimum``.

    Raises TypeError (naming ``name`` and ``what``) for anything else and ValueError for a value
    below ``minimum``.
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                             for v in pair):
        raise TypeError(f"{name}: {what} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        bound = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name}: {what} must be {bound}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _geometry(name: str, image_shape: tuple[int, ...], kernel_size: Any, stride: Any,
              padding: Any, dilation: Any) -> tuple[Pair, Pair, Pair, Pair, Pair]:
    """Check the window parameters against the image size; return them as pairs plus the
    output size (out_h, out_w)."""
    kernel = as_pair(kernel_size, "kernel_size", name, 1)
    strides = as_pair(stride, "stride", name, 1)
    pads = as_pair(padding, "padding", name, 0)
    dilations = as_pair(dilation, "dilation", name, 1)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True))
    padded = tuple(size + 2 * p for size, p in zip(image_shape[2:], pads, strict=True))
    if spans[0] > padded[0] or spans[1] > padded[1]:
        raise ValueError(
            f"{name}: kernel {kernel} with dilation {dilations} spans {spans[0]}x{spans[1]} "
            f"pixels, larger than the padded input {padded[0]}x{padded[1]} (input shape "
            f"{tuple(image_shape)}, padding {pads}); use a smaller kernel or more padding")
    output = tuple(_output_length(size, k, s, p, d) for size, k, s, p, d in
                   zip(image_shape[2:], kernel, strides, pads, dilations, strict=True))
    return kernel, strides, pads, dilations, output


def unfold(x: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1
           ) -> Tensor:
    """Gather every sliding window of a (N, C, H, W) batch: shape (N, C, kh, kw, out_h, out_w).

    ``kernel_size``, ``stride``, ``padding`` (zeros on both sides) and ``dilation`` are ints or
    (height, width) pairs; ``out = (size + 2*padding - dilation*(kernel-1) - 1) // stride + 1``
    per axis, as in PyTorch. ``windows[n, c, i, j, y, x]`` is the padded input at row
    ``y*stride + i*dilation`` and column ``x*stride + j*dilation``. The gradient is ``fold``.

    A primitive for speed: the forward is one strided view copied once. Raises ValueError
    (naming ``unfold`` and the shapes) for an input that is not 4-D, a kernel larger than the
    padded input, or a non-positive size, stride or dilation; TypeError for non-integers.

    Example: ``unfold(x, 3, padding=1)`` on shape (2, 1, 8, 8) gives (2, 1, 3, 3, 8, 8).
    """
    x = as_input(x, "unfold")
    if x.ndim != 4:
        raise ValueError(f"unfold: expects a 4-D input (N, C, H, W), got shape {x.shape}; "
                         f"for a single image use x.reshape(1, C, H, W)")
    kernel, strides, pads, dilations, _ = _geometry("unfold", x.shape, kernel_size, stride,
                                                    padding, dilation)
    return _unfold(x, kernel_size=kernel, stride=strides, padding=pads, dilation=dilations)


def fold(windows: Any, output_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1) -> Tensor:
    """Add windows (N, C, kh, kw, out_h, out_w) back into an image (N, C, H, W) of ``output_size``.

    The adjoint of ``unfold`` with the same parameters: every window element is added to the
    pixel it was gathered from (overlapping windows accumulate) and the padding is cropped.
    So ``fold(unfold(x))`` multiplies each pixel by the number of windows that cover it. The
    gradient is ``unfold``. Raises ValueError (naming ``fold``) when ``windows`` is not 6-D or
    its kernel or output axes do not match ``kernel_size`` and ``output_size``.
    """
    windows = as_input(windows, "fold")
    if windows.ndim != 6:
        raise ValueError(f"fold: expects 6-D windows (N, C, kh, kw, out_h, out_w), got shape "
                         f"{windows.shape}")
    size = as_pair(output_size, "output_size", "fold", 1)
    image_shape = windows.shape[:2] + size
    kernel, strides, pads, dilations, output = _geometry("fold", image_shape, kernel_size,
                                                         stride, padding, dilation)
    if windows.shape[2:] != kernel + output:
        raise ValueError(f"fold: windows of shape {windows.shape} do not match kernel {kernel} "
                         f"with output size {size}, which needs windows of shape "
                         f"{windows.shape[:2] + kernel + output}")
    return _fold(windows, output_size=size, kernel_size=kernel, stride=strides, padding=pads,
                 dilation=dilations)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's ``conv2d``) of a (N, C_in, H, W) batch with kernels.

    Shapes: ``weight`` (C_out, C_in, kh, kw), ``bias`` (C_out,) or None; the result is
    (N, C_out, out_h, out_w) with ``out = (size + 2*padding - dilation*(k-1) - 1) // stride + 1``
    per axis. ``stride``, ``padding`` (zeros) and ``dilation`` are ints or (height, width)
    pairs. ``nn.functional.conv2d`` also takes a single (C_in, H, W) image.

    A primitive (im2col and one matmul) rather than a composite of ``unfold``, so that the graph
    keeps only ``x`` and ``weight`` for backward instead of the windows (kh*kw times the size of
    ``x``), and a drawing shows the layer's real input. Raises ValueError naming ``conv2d`` and
    the shapes when the input is not 4-D, the channels or the bias do not match the weight, or
    the kernel does not fit the padded input.
    """
    x, weight = as_inputs((x, weight), "conv2d")
    if x.ndim != 4:
        raise ValueError(f"conv2d: expects a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (C_out, C_in, kh, kw), got shape "
                         f"{weight.shape}")
    out_channels, in_channels, kh, kw = weight.shape
    if x.shape[1] != in_channels:
        raise ValueError(f"conv2d: the input has {x.shape[1]} channels (shape {x.shape}) but the "
                         f"weight {weight.shape} expects {in_channels}")
    _, strides, pads, dilations, _ = _geometry("conv2d", x.shape, (kh, kw), stride, padding,
                                               dilation)
    out = _conv2d(x, weight, stride=strides, padding=pads, dilation=dilations)
    if bias is None:
        return out
    bias = as_inputs((bias, weight), "conv2d")[0]
    if bias.shape != (out_channels,):
        raise ValueError(f"conv2d: bias must have shape ({out_channels},) to match the "
                         f"weight {weight.shape}, got {bias.shape}")
    return out + bias.reshape(out_channels, 1, 1)
