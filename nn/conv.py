"""Convolution and pooling over (N, C, H, W) images and (N, C, L) signals, from
``ag.conv2d``, ``ag.conv_transpose2d`` and ``ag.unfold``.

The functions ``conv1d``, ``conv2d``, ``conv_transpose2d``, ``max_pool2d`` and ``avg_pool2d``
and their modules ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``, ``MaxPool2d`` and ``AvgPool2d``.
``conv2d`` is the primitive ``ag.conv2d`` (im2col + one matmul per group), taking single images
too; ``conv1d`` is ``conv2d`` on images of height 1; the pools reduce over the kernel axes of
``ag.unfold``'s windows. No derivative is written here: the gradients come from the primitives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.ops.window import as_pair, same_padding
from autograd_lite.tensor import as_input

from .inputs import layer_input
from .module import Module, Parameter
from .resampling import pad


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
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's ``conv2d``) of a batch with a bank of kernels.

    Shapes: ``x`` (N, C_in, H, W) or one image (C_in, H, W); ``weight``
    (C_out, C_in/groups, kh, kw); ``bias`` (C_out,) or None; the result is
    (N, C_out, out_h, out_w) (or (C_out, out_h, out_w)) with
    ``out = (size + 2*padding - dilation*(k-1) - 1) // stride + 1`` per axis. ``stride``,
    ``padding`` (zeros) and ``dilation`` are ints or (height, width) pairs; ``padding`` may also
    be ``'valid'`` (none) or ``'same'`` (stride 1; an odd total puts the extra pixel at the
    bottom/right, as PyTorch). ``groups`` splits the channels into independent convolutions.
    The batch goes to the primitive ``ag.conv2d``.

    Raises ValueError naming ``conv2d`` and the shapes when the channels, groups or the bias do
    not match the weight, or the kernel does not fit the padded input; TypeError when ``x`` is
    a float tensor of another dtype than the weight (a NumPy array takes the weight's dtype).
    """
    weight = as_input(weight, "conv2d")
    x, single = _batched(layer_input(x, weight, "conv2d"), "conv2d")
    return _unbatched(ag.conv2d(x, weight, bias, stride, padding, dilation, groups), single)


def _single(value: Any, what: str, name: str) -> Any:
    """An int or a 1-tuple (PyTorch's 1-D spelling) as an int; strings pass through."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"{name}: {what} must be an int or a 1-tuple, got {value!r}")
        return value[0]
    return value


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation (PyTorch's ``conv1d``) of (N, C_in, L) signals or one (C_in, L).

    Shapes: ``weight`` (C_out, C_in/groups, k), ``bias`` (C_out,) or None; the result is
    (N, C_out, out_len) with ``out_len = (L + 2*padding - dilation*(k-1) - 1) // stride + 1``.
    ``stride``, ``padding`` (an int, ``'valid'`` or ``'same'``) and ``dilation`` are ints or
    1-tuples. Computed as ``conv2d`` on images of height 1 (the same primitive, so the same
    speed and gradients). Raises ValueError naming ``conv1d`` and the shapes as ``conv2d``
    does.
    """
    weight = as_input(weight, "conv1d")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: weight must be 3-D (C_out, C_in/groups, k), got shape "
                         f"{weight.shape}")
    x = layer_input(x, weight, "conv1d")
    if x.ndim not in (2, 3):
        raise ValueError(f"conv1d: expects a 3-D input (N, C, L) or a 2-D signal (C, L), got "
                         f"shape {x.shape}")
    single = x.ndim == 2
    batch = ag.unsqueeze(x, 0) if single else x
    padding = _single(padding, "padding", "conv1d")
    try:
        out = ag.conv2d(ag.unsqueeze(batch, 2), ag.unsqueeze(weight, 2), bias,
                        (1, _single(stride, "stride", "conv1d")),
                        padding if isinstance(padding, str) else (0, padding),
                        (1, _single(dilation, "dilation", "conv1d")), groups)
    except (ValueError, TypeError) as error:
        raise type(error)(f"conv1d (as conv2d on a height-1 image of shape "
                          f"{(batch.shape[0], batch.shape[1], 1, batch.shape[2])}): "
                          f"{error}") from None
    return _unbatched(ag.squeeze(out, 2), single)


def conv_transpose2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution (PyTorch's ``conv_transpose2d``); see ``ag.conv_transpose2d``.

    Shapes: ``x`` (N, C_in, H, W) or one image (C_in, H, W); ``weight``
    (C_in, C_out/groups, kh, kw) as PyTorch; the result is (N, C_out, out_h, out_w) with
    ``out = (size-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1``. Raises
    ValueError naming ``conv_transpose2d`` and the shapes for mismatched channels, groups or
    bias; TypeError for a float input of another dtype than the weight.
    """
    weight = as_input(weight, "conv_transpose2d")
    x, single = _batched(layer_input(x, weight, "conv_transpose2d"), "conv_transpose2d")
    return _unbatched(ag.conv_transpose2d(x, weight, bias, stride, padding, output_padding,
                                          groups, dilation), single)


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


def _ceil_extra(sizes: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                pads: tuple[int, int], dilation: Any) -> tuple[int, int]:
    """Pixels to add at the bottom/right so that ``ceil_mode`` gets its last, partial window.

    PyTorch's rule: ``out = ceil((size + 2p - span) / stride) + 1``, minus one when that last
    window would start beyond the input and its left padding.
    """
    extra = []
    for size, k, s, p, d in zip(sizes, kernel, stride, pads, as_pair(dilation, "dilation",
                                                                     "pool", 1), strict=True):
        span, length = d * (k - 1) + 1, size + 2 * p
        if length < span:
            extra.append(0)  # the window does not fit at all: unfold reports it
            continue
        out = -(-(length - span) // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        extra.append(max(0, (out - 1) * s + span - length))
    return extra[0], extra[1]


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """Largest value in each window, per channel: (N, C, H, W) -> (N, C, out_h, out_w).

    ``stride`` defaults to ``kernel_size``; padding adds -inf borders (the lowest integer for
    integer images), never the maximum, and may be at most half the kernel. ``ceil_mode=True``
    rounds the output size up (``ceil`` instead of ``floor`` in PyTorch's formula), keeping a
    last, partial window that starts inside the input or its left padding. Tied maxima share
    the gradient evenly (the ``max`` reduction's rule). A 3-D (C, H, W) image gives
    (C, out_h, out_w). Raises ValueError naming ``max_pool2d`` for a bad shape, padding or
    window size.
    """
    kernel, stride, pads = _pool_geometry("max_pool2d", kernel_size, stride, padding)
    x, single = _batched(as_input(x, "max_pool2d"), "max_pool2d")
    extra = _ceil_extra(x.shape[2:], kernel, stride, pads, dilation) if ceil_mode else (0, 0)
    if pads != (0, 0) or extra != (0, 0):
        lowest = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
        x = ag.pad(x, ((0, 0), (0, 0), (pads[0], pads[0] + extra[0]),
                       (pads[1], pads[1] + extra[1])), value=lowest)
    windows = _windows(x, "max_pool2d", kernel, stride, 0, dilation)
    return _unbatched(ag.max(windows, axis=(2, 3)), single)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean of each window, per channel: (N, C, H, W) -> (N, C, out_h, out_w).

    ``stride`` defaults to ``kernel_size``; padding adds zero borders (at most half the kernel).
    With ``count_include_pad=True`` (PyTorch's default) every window divides by the pixels it
    covers in the padded input (kh*kw, except a ``ceil_mode`` window hanging over the padding);
    with False, by the number of real pixels it covers; ``divisor_override`` replaces the
    divisor. ``ceil_mode`` as in ``max_pool2d``. Arguments in PyTorch's order. A 3-D
    (C, H, W) image gives (C, out_h, out_w). Raises ValueError naming ``avg_pool2d`` for a bad
    shape or padding.
    """
    kernel, stride, pads = _pool_geometry("avg_pool2d", kernel_size, stride, padding)
    x, single = _batched(as_input(x, "avg_pool2d"), "avg_pool2d")
    extra = _ceil_extra(x.shape[2:], kernel, stride, pads, 1) if ceil_mode else (0, 0)
    if extra == (0, 0):
        windows = _windows(x, "avg_pool2d", kernel, stride, pads, 1)
        if count_include_pad and divisor_override is None:
            return _unbatched(ag.mean(windows, axis=(2, 3)), single)
    else:
        widths = ((0, 0), (0, 0), (pads[0], pads[0] + extra[0]), (pads[1], pads[1] + extra[1]))
        windows = _windows(ag.pad(x, widths), "avg_pool2d", kernel, stride, 0, 1)
    sums = ag.sum(windows, axis=(2, 3))
    if divisor_override is not None:
        return _unbatched(sums / divisor_override, single)
    counted = np.ones((1, 1) + x.shape[2:], dtype=x.dtype if x.dtype.kind == "f" else None)
    if count_include_pad:
        counted = np.pad(counted, ((0, 0), (0, 0), (pads[0],) * 2, (pads[1],) * 2),
                         constant_values=1)
        counted = np.pad(counted, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    else:
        counted = np.pad(counted, ((0, 0), (0, 0), (pads[0], pads[0] + extra[0]),
                                   (pads[1], pads[1] + extra[1])))
    with ag.no_grad():
        divisor = ag.unfold(counted, kernel, stride).sum(axis=(2, 3))
    return _unbatched(sums / divisor, single)


# --- modules ---------------------------------------------------------------------------------


def _uniform_parameter(shape: tuple[int, ...], bound: float) -> Parameter:
    values = ag.default_generator().uniform(-bound, bound, shape)
    return Parameter(values.astype(ag.get_default_dtype()))


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared body of Conv1d, Conv2d and ConvTranspose2d (whose arguments are Conv2d's): checks
    the settings, draws the parameters, convolves and prints as PyTorch does."""

    spatial_dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        name = type(self).__name__
        for what, count in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {count!r}")
        for what, count in (("in_channels", in_channels), ("out_channels", out_channels)):
            if count % groups:
                raise ValueError(f"{name}: {what}={count} must be divisible by groups={groups}")
        if padding_mode not in (("zeros",) if self.transposed else PADDING_MODES):
            allowed = "'zeros'" if self.transposed else ", ".join(map(repr, PADDING_MODES))
            raise ValueError(f"{name}: padding_mode must be {allowed}, got {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.groups, self.padding_mode = int(groups), padding_mode
        self.kernel_size = self._sizes(kernel_size, "kernel_size", 1)
        self.stride = self._sizes(stride, "stride", 1)
        self.dilation = self._sizes(dilation, "dilation", 1)
        self.output_padding = (0,) * self.spatial_dims  # ConvTranspose2d sets its own
        if isinstance(padding, str) and not self.transposed:
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, 'valid' or 'same', got "
                                 f"{padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride {self.stride}), as in PyTorch; give the "
                                 f"padding as numbers, e.g. padding=kernel_size // 2")
            self.padding = padding
        else:
            self.padding = self._sizes(padding, "padding", 0)
        channels = (self.in_channels, self.out_channels // self.groups) if self.transposed else (
            self.out_channels, self.in_channels // self.groups)
        fan_in = channels[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)), PyTorch's default
        self.weight = _uniform_parameter(channels + self.kernel_size, bound)
        if bias:
            self.bias = _uniform_parameter((self.out_channels,), bound)
        else:
            self.register_parameter("bias", None)

    def _sizes(self, value: Any, what: str, minimum: int) -> tuple[int, ...]:
        name = type(self).__name__
        if self.spatial_dims == 1:
            return (as_pair(_single(value, what, name), what, name, minimum)[0],)
        return as_pair(value, what, name, minimum)

    def _mode_padding(self) -> tuple[int, ...]:
        """The padding as ``pad``'s flat (before, after) tuple, last axis first."""
        if self.padding == "same":
            pairs = same_padding(self.kernel_size * (3 - self.spatial_dims),
                                 self.dilation * (3 - self.spatial_dims))[:self.spatial_dims]
        else:
            pairs = [(0, 0) if self.padding == "valid" else (p, p) for p in self.padding]
        return tuple(width for pair in reversed(pairs) for width in pair)

    def forward(self, x: Any) -> Tensor:
        """Convolve a (N, in_channels, *spatial) batch (or one unbatched input)."""
        conv = conv1d if self.spatial_dims == 1 else conv2d
        if self.padding_mode != "zeros":
            return conv(pad(x, self._mode_padding(), self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)

    def extra_repr(self) -> str:
        """``in, out, kernel_size=..., stride=...`` plus the non-default settings, as PyTorch."""
        zeros, ones = (0,) * self.spatial_dims, (1,) * self.spatial_dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += ", bias=False" if self.bias is None else ""
        return text + ("" if self.padding_mode == "zeros" else
                       f", padding_mode={self.padding_mode}")


class Conv2d(_ConvNd):
    """2-D convolution layer: ``conv2d(x, weight, bias, stride, padding, dilation, groups)``.

    ``weight`` is (out_channels, in_channels/groups, kh, kw) and ``bias`` (out_channels,) (or
    None with ``bias=False``), both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    ``fan_in = in_channels/groups*kh*kw`` (PyTorch's default) from ``ag.default_generator()``,
    so ``ag.manual_seed`` makes them reproducible; ``state_dict`` keys and shapes are
    PyTorch's. ``padding`` is an int, a pair, ``'valid'`` or ``'same'``; ``padding_mode``
    ('zeros', 'reflect', 'replicate', 'circular') says what the border holds. Input
    (N, in_channels, H, W) -> output (N, out_channels, out_h, out_w). Example:
    ``nn.Conv2d(1, 8, 3, padding=1)`` keeps 8x8 images 8x8. Raises ValueError for non-positive
    channel counts or window parameters, channels not divisible by ``groups``, or
    ``padding='same'`` with a stride.
    """


class Conv1d(_ConvNd):
    """1-D convolution layer over (N, in_channels, L) signals: ``conv1d(x, weight, ...)``.

    ``weight`` is (out_channels, in_channels/groups, k) and ``bias`` (out_channels,), drawn as
    in ``Conv2d``; the window settings are 1-tuples as PyTorch prints them. Computed as a
    ``Conv2d`` on images of height 1. Raises ValueError as ``Conv2d``.
    """

    spatial_dims = 1


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution layer: ``conv_transpose2d(x, weight, bias, stride, padding,
    output_padding, groups, dilation)``.

    ``weight`` is (in_channels, out_channels/groups, kh, kw), PyTorch's layout, and ``bias``
    (out_channels,), both U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with PyTorch's
    ``fan_in = out_channels/groups*kh*kw``. Output size per axis: ``(size-1)*stride -
    2*padding + dilation*(k-1) + output_padding + 1``. Only ``padding_mode='zeros'``, as
    PyTorch. Raises ValueError for invalid settings.
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros") -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode)
        self.output_padding = self._sizes(output_padding, "output_padding", 0)
        if any(e >= max(s, d) for e, s, d in zip(self.output_padding, self.stride,
                                                 self.dilation, strict=True)):
            raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} must be "
                             f"smaller than either stride {self.stride} or dilation "
                             f"{self.dilation}")

    def forward(self, x: Any) -> Tensor:
        """Scatter a (N, in_channels, H, W) batch (or one image) into the output."""
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                self.output_padding, self.groups, self.dilation)


class MaxPool2d(Module):
    """Max pooling layer: ``max_pool2d(x, kernel_size, stride, padding, dilation)``.

    ``stride`` defaults to ``kernel_size``; padding (at most half the kernel) never wins the
    maximum; tied maxima share the gradient evenly. No parameters. Raises ValueError for
    invalid window parameters when constructed.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_geometry(
            "MaxPool2d", kernel_size, stride, padding)
        self.dilation = as_pair(dilation, "dilation", "MaxPool2d", 1)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: Any) -> Tensor:
        """Pool a (N, C, H, W) batch (or one (C, H, W) image)."""
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode)

    def extra_repr(self) -> str:
        """The window settings, as PyTorch prints them."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}" + (", ceil_mode=True" if self.ceil_mode else ""))


class AvgPool2d(Module):
    """Average pooling layer: ``avg_pool2d(x, kernel_size, stride, padding, count_include_pad)``.

    ``stride`` defaults to ``kernel_size``; zero padding is at most half the kernel and counts
    in the average unless ``count_include_pad=False``. No parameters. Raises ValueError for
    invalid window parameters when constructed.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_geometry(
            "AvgPool2d", kernel_size, stride, padding)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        """Pool a (N, C, H, W) batch (or one (C, H, W) image)."""
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        """The window settings, as PyTorch prints them."""
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        text += ", ceil_mode=True" if self.ceil_mode else ""
        return text + ("" if self.count_include_pad else ", count_include_pad=False")
