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

from ..primitive import NUMPY, TENSORS, primitive
from ..tensor import Tensor, as_input, as_inputs
from .shape import pad

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


def _conv2d_input_gradient(F: Any, g: Any, weight: Any, image_size: Pair, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> Any:
    """The adjoint of conv2d with respect to its input: ``g`` (N, C_out, out_h, out_w) spread
    over the windows by the kernels and added back into an (N, C_in, *image_size) image.

    Both conv2d's input VJP and ``conv_transpose2d`` (which is this map) use it.
    """
    n, c_out, out_h, out_w = g.shape
    _, c_in_per_group, kh, kw = weight.shape
    kernels = F.reshape(weight, shape=(groups, c_out // groups, c_in_per_group * kh * kw))
    per_group = F.reshape(g, shape=(n, groups, c_out // groups, out_h * out_w))
    columns = F.transpose(kernels, axes=(0, 2, 1)) @ per_group
    return F.fold(F.reshape(columns, shape=(n, groups * c_in_per_group, kh, kw, out_h, out_w)),
                  output_size=tuple(image_size), kernel_size=(kh, kw), stride=stride,
                  padding=padding, dilation=dilation)


def _conv2d_vjp_input(F, g, ans, x, weight, stride, padding, dilation, groups):
    return _conv2d_input_gradient(F, g, weight, tuple(x.shape[2:]), stride, padding, dilation,
                                  groups)


def _grouped_columns(F: Any, x: Any, kernel_size: Pair, stride: Pair, padding: Pair,
                     dilation: Pair, groups: int) -> Any:
    """im2col split by group: (N, groups, C_in/groups*kh*kw, out_h*out_w)."""
    columns = _columns(F, x, kernel_size, stride, padding, dilation)
    n, rows, positions = columns.shape
    return F.reshape(columns, shape=(n, groups, rows // groups, positions))


def _conv2d_vjp_weight(F, g, ans, x, weight, stride, padding, dilation, groups):
    # Each output gradient times the window it saw, summed over images and positions; the
    # windows are gathered again rather than kept from the forward pass (kh*kw times x's size).
    n, c_out, out_h, out_w = g.shape
    columns = _grouped_columns(F, x, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    per_group = F.reshape(g, shape=(n, groups, c_out // groups, out_h * out_w))
    per_image = per_group @ F.transpose(columns, axes=(0, 1, 3, 2))
    return F.reshape(F.sum(per_image, axis=(0,), keepdims=False), shape=tuple(weight.shape))


@primitive("conv2d", _conv2d_vjp_input, _conv2d_vjp_weight)
def _conv2d(x: Any, weight: Any, stride: Pair, padding: Pair, dilation: Pair, groups: int
            ) -> np.ndarray:
    c_out, c_in_per_group, kh, kw = np.shape(weight)
    columns = _grouped_columns(NUMPY, x, (kh, kw), stride, padding, dilation, groups)
    kernels = np.reshape(weight, (groups, c_out // groups, c_in_per_group * kh * kw))
    out = np.matmul(kernels, columns)
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


def _positive_int(value: Any, what: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
    return int(value)


def same_padding(kernel_size: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """The (before, after) padding per axis that keeps a stride-1 output at the input's size:
    ``dilation*(k-1)`` in total, the odd pixel after (bottom, right), as PyTorch."""
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation, strict=True)]
    return ((totals[0] // 2, totals[0] - totals[0] // 2),
            (totals[1] // 2, totals[1] - totals[1] // 2))


def _resolve_padding(name: str, padding: Any, kernel_size: Pair, stride: Any, dilation: Any
                     ) -> tuple[Any, tuple[Pair, Pair] | None]:
    """Turn ``'valid'``/``'same'`` into numbers: the symmetric padding for the primitive and
    the extra (after-only) pixels ``'same'`` needs with an even span, or None."""
    if not isinstance(padding, str):
        return padding, None
    if padding == "valid":
        return 0, None
    if padding != "same":
        raise ValueError(f"{name}: padding must be an int, a pair of ints, 'valid' or 'same', "
                         f"got {padding!r}")
    if as_pair(stride, "stride", name, 1) != (1, 1):
        raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride!r}), as in PyTorch; give the padding as numbers, "
                         f"e.g. padding=kernel_size // 2")
    (top, bottom), (left, right) = same_padding(kernel_size, as_pair(dilation, "dilation",
                                                                     name, 1))
    extra = ((0, bottom - top), (0, right - left))
    return (top, left), (extra if extra != ((0, 0), (0, 0)) else None)


def _check_groups(name: str, groups: Any, channels: int, weight_shape: tuple[int, ...],
                  what: str) -> int:
    """``groups`` as an int that divides ``channels`` (the weight's first axis)."""
    groups = _positive_int(groups, "groups", name)
    if channels % groups:
        raise ValueError(f"{name}: groups={groups} must divide the {channels} {what} of the "
                         f"weight {weight_shape} (axis 0)")
    return groups


def _add_bias(name: str, out: Tensor, bias: Any, weight: Tensor, channels: int) -> Tensor:
    if bias is None:
        return out
    bias = as_inputs((bias, weight), name)[0]
    if bias.shape != (channels,):
        raise ValueError(f"{name}: bias must have shape ({channels},) to match the weight "
                         f"{weight.shape}, got {bias.shape}")
    return out + bias.reshape(channels, 1, 1)


def _image_and_kernels(name: str, x: Any, weight: Any, layout: str
                       ) -> tuple[Tensor, Tensor]:
    x, weight = as_inputs((x, weight), name)
    if x.ndim != 4:
        raise ValueError(f"{name}: expects a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be 4-D ({layout}, kh, kw), got shape "
                         f"{weight.shape}")
    return x, weight


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's ``conv2d``) of a (N, C_in, H, W) batch with kernels.

    Shapes: ``weight`` (C_out, C_in/groups, kh, kw), ``bias`` (C_out,) or None; the result is
    (N, C_out, out_h, out_w) with ``out = (size + 2*padding - dilation*(k-1) - 1) // stride + 1``
    per axis. ``stride``, ``padding`` (zeros) and ``dilation`` are ints or (height, width)
    pairs; ``padding='valid'`` is 0 and ``padding='same'`` (stride 1 only) keeps the size,
    padding ``dilation*(k-1)`` pixels per axis with the odd one at the bottom/right, as PyTorch.
    ``groups`` splits the channels into that many independent convolutions: output channels
    ``[g*C_out/groups, (g+1)*C_out/groups)`` see input channels ``[g*C_in/groups, ...)``
    (``groups=C_in`` is a depthwise convolution). ``nn.functional.conv2d`` also takes a single
    (C_in, H, W) image.

    A primitive (im2col and one batched matmul per group) rather than a composite of
    ``unfold``, so that the graph keeps only ``x`` and ``weight`` for backward instead of the
    windows (kh*kw times the size of ``x``), and a drawing shows the layer's real input.
    Raises ValueError naming ``conv2d`` and the shapes when the input is not 4-D, the channels,
    groups or the bias do not match the weight, the kernel does not fit the padded input, or
    ``padding='same'`` is asked of a strided convolution.
    """
    x, weight = _image_and_kernels("conv2d", x, weight, "C_out, C_in/groups")
    out_channels, in_per_group, kh, kw = weight.shape
    groups = _check_groups("conv2d", groups, out_channels, weight.shape, "output channels")
    if x.shape[1] != in_per_group * groups:
        grouped = f" with groups={groups}" if groups > 1 else ""
        fix = (f"; the weight is (C_out, C_in/groups, kh, kw), so this input needs "
               f"{(out_channels, x.shape[1] // groups, kh, kw)}" if groups > 1
               and x.shape[1] % groups == 0 else "")
        raise ValueError(f"conv2d: the input has {x.shape[1]} channels (shape {x.shape}) but the "
                         f"weight {weight.shape}{grouped} expects {in_per_group * groups}{fix}")
    padding, extra = _resolve_padding("conv2d", padding, (kh, kw), stride, dilation)
    if extra is not None:
        x = pad(x, ((0, 0), (0, 0)) + extra)
    _, strides, pads, dilations, _ = _geometry("conv2d", x.shape, (kh, kw), stride, padding,
                                               dilation)
    out = _conv2d(x, weight, stride=strides, padding=pads, dilation=dilations, groups=groups)
    return _add_bias("conv2d", out, bias, weight, out_channels)


def conv_transpose2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution (PyTorch's ``conv_transpose2d``): the adjoint of ``conv2d``
    with respect to its input, which scatters each input pixel over a kernel-sized patch.

    Shapes: ``x`` (N, C_in, H, W); ``weight`` (C_in, C_out/groups, kh, kw), PyTorch's layout
    (the weight of the conv2d it transposes); ``bias`` (C_out,) or None. The result is
    (N, C_out, out_h, out_w) with ``out = (size - 1)*stride - 2*padding + dilation*(k-1) +
    output_padding + 1`` per axis: ``padding`` crops that many pixels from each side and
    ``output_padding`` (smaller than stride or dilation) adds rows and columns at the
    bottom/right, so that ``stride=2, padding=1, output_padding=1`` with k=3 exactly doubles
    the size. Argument order as PyTorch: groups before dilation.

    A composite: the very rule conv2d's input VJP uses (one matmul per group, then ``fold``),
    so its gradients are conv2d's and of any order. Raises ValueError naming
    ``conv_transpose2d`` and the shapes for mismatched channels, groups or bias, a negative
    output size, or an output_padding that is not smaller than stride or dilation.
    """
    x, weight = _image_and_kernels("conv_transpose2d", x, weight,
                                   "C_in, C_out/groups")
    in_channels, out_per_group, kh, kw = weight.shape
    groups = _check_groups("conv_transpose2d", groups, in_channels, weight.shape,
                           "input channels")
    if x.shape[1] != in_channels:
        raise ValueError(f"conv_transpose2d: the input has {x.shape[1]} channels (shape "
                         f"{x.shape}) but the weight {weight.shape} expects {in_channels}")
    strides = as_pair(stride, "stride", "conv_transpose2d", 1)
    pads = as_pair(padding, "padding", "conv_transpose2d", 0)
    extra = as_pair(output_padding, "output_padding", "conv_transpose2d", 0)
    dilations = as_pair(dilation, "dilation", "conv_transpose2d", 1)
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dilations, strict=True)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than either "
                         f"stride {strides} or dilation {dilations}, per axis; it only picks "
                         f"one of the output sizes that stride maps to the same input size")
    # The full scatter covers (size-1)*stride + dilation*(k-1) + 1 pixels; the output is its
    # window [padding, padding + out), zero beyond the scatter (where output_padding reaches).
    covered = tuple((size - 1) * s + d * (k - 1) + 1 for size, s, d, k in
                    zip(x.shape[2:], strides, dilations, (kh, kw), strict=True))
    size = tuple(c - 2 * p + e for c, p, e in zip(covered, pads, extra, strict=True))
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: input {x.shape} with kernel {(kh, kw)}, stride "
                         f"{strides}, padding {pads} and dilation {dilations} gives an output "
                         f"of size {size}; use less padding")
    scattered = _conv2d_input_gradient(TENSORS, x, weight, covered, strides, (0, 0), dilations,
                                       groups)
    kept = scattered[:, :, pads[0]:pads[0] + size[0], pads[1]:pads[1] + size[1]]
    beyond = tuple(max(0, p + s - c) for p, s, c in zip(pads, size, covered, strict=True))
    if beyond != (0, 0):
        kept = pad(kept, ((0, 0), (0, 0), (0, beyond[0]), (0, beyond[1])))
    return _add_bias("conv_transpose2d", kept, bias, weight, out_per_group * groups)
