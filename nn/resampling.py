"""Padding and resampling of images and signals: ``pad`` (constant, reflect, replicate,
circular), ``interpolate`` (nearest, linear, bilinear, area) and ``adaptive_avg_pool2d``, with
the modules ``Upsample`` and ``AdaptiveAvgPool2d``.

Every map here is linear in the input and composed of differentiable ops: the non-constant
paddings and nearest-neighbour resampling are integer indexing (``getitem``, whose gradient
scatter-adds), linear interpolation and adaptive average pooling multiply by a constant
(out, in) matrix per axis. No derivative is written here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.tensor import as_input

from .module import Module

PAD_MODES = ("constant", "reflect", "replicate", "circular")
INTERPOLATION_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def _pad_pairs(name: str, x: Tensor, widths: Any) -> list[tuple[int, int, int]]:
    """PyTorch's flat pad tuple (last axis first) as (axis, before, after) triples."""
    try:
        flat = [int(w) for w in widths]
    except (TypeError, ValueError):
        raise TypeError(f"{name}: pad must be a sequence of ints (left, right, top, bottom, "
                        f"...), got {widths!r}") from None
    if len(flat) % 2 or len(flat) > 2 * x.ndim:
        raise ValueError(f"{name}: pad {tuple(flat)} must have an even length of at most "
                         f"2 * {x.ndim} for an input of shape {x.shape} (a (before, after) pair "
                         f"per axis, the last axis first)")
    return [(x.ndim - 1 - i, flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]


def _source_indices(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """Which input position each padded position copies, along one axis."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    mirrored = np.abs(positions)
    return np.where(mirrored >= size, 2 * (size - 1) - mirrored, mirrored)


def _check_mode_widths(mode: str, x: Tensor, axis: int, before: int, after: int) -> None:
    size = x.shape[axis]
    if min(before, after) < 0:
        raise ValueError(f"pad: mode={mode!r} needs non-negative widths, got ({before}, "
                         f"{after}) for axis {axis} of shape {x.shape}")
    if mode == "reflect" and max(before, after) >= size:
        raise ValueError(f"pad: mode='reflect' needs widths smaller than the axis size; got "
                         f"({before}, {after}) for axis {axis} of size {size} (shape "
                         f"{x.shape}); use mode='replicate' or pad less")
    if mode == "circular" and max(before, after) > size:
        raise ValueError(f"pad: mode='circular' needs widths at most the axis size; got "
                         f"({before}, {after}) for axis {axis} of size {size} (shape {x.shape})")
    if mode == "replicate" and size == 0 and (before or after):
        raise ValueError(f"pad: mode='replicate' cannot pad the empty axis {axis} of shape "
                         f"{x.shape}")


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative constant widths, crop) the trailing axes, as PyTorch's ``F.pad``.

    ``pad`` lists (before, after) widths starting from the LAST axis: ``(left, right)`` pads
    the last axis, ``(left, right, top, bottom)`` the last two, and so on. Modes:
    ``'constant'`` fills with ``value`` (default 0; a negative width crops), ``'reflect'``
    mirrors without repeating the edge (widths smaller than the axis), ``'replicate'`` repeats
    the edge, ``'circular'`` wraps around (widths at most the axis). The non-constant modes
    are integer indexing, so the gradient adds each copy back to its source pixel.

    Raises ValueError naming ``pad`` for an unknown mode, a pad tuple that does not fit the
    shape, a ``value`` with a non-constant mode, or widths a mode cannot take.
    Example: ``pad(x, (1, 1, 2, 0), mode='reflect')`` on (N, C, H, W) gives (N, C, H+2, W+2).
    """
    x = as_input(input, "pad")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    pairs = _pad_pairs("pad", x, pad)
    if mode == "constant":
        crop, widths = [slice(None)] * x.ndim, [(0, 0)] * x.ndim
        for axis, before, after in pairs:
            if x.shape[axis] + before + after < 0:
                raise ValueError(f"pad: widths ({before}, {after}) crop more than the "
                                 f"{x.shape[axis]} entries of axis {axis} (shape {x.shape})")
            crop[axis] = slice(max(0, -before), x.shape[axis] - max(0, -after))
            widths[axis] = (max(before, 0), max(after, 0))
        if any(before < 0 or after < 0 for _, before, after in pairs):
            x = x[tuple(crop)]
        return ag.pad(x, widths, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"pad: value={value!r} applies only to mode='constant', not "
                         f"mode={mode!r}")
    for axis, before, after in pairs:
        _check_mode_widths(mode, x, axis, before, after)
        if before or after:
            index = (slice(None),) * axis + (_source_indices(mode, x.shape[axis], before,
                                                            after),)
            x = x[index]
    return x


# --- resampling ------------------------------------------------------------------------------


def _along(x: Tensor, axis: int, matrix: np.ndarray, name: str) -> Tensor:
    """Apply the (out, in) ``matrix`` to axis ``axis`` (-1 or -2) of a float ``x``."""
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: averaging and interpolating need a float input, got dtype "
                        f"{x.dtype}; convert with .astype('float32')")
    matrix = matrix.astype(x.dtype)
    return ag.matmul(x, matrix.T) if axis == -1 else ag.matmul(matrix, x)


def _average_matrix(size: int, out: int) -> np.ndarray:
    """Row i averages input bins [floor(i*size/out), ceil((i+1)*size/out)), PyTorch's bins."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start, end = (i * size) // out, -(-(i + 1) * size // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _linear_matrix(size: int, out: int, scale: float, align_corners: bool) -> np.ndarray:
    """Row i mixes the two input samples around its source coordinate (PyTorch's rule)."""
    target = np.arange(out, dtype=np.float64)
    if align_corners:
        source = target * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        source = np.maximum((target + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    weight_high = source - low
    matrix = np.zeros((out, size))
    np.add.at(matrix, (np.arange(out), low), 1.0 - weight_high)
    np.add.at(matrix, (np.arange(out), high), weight_high)
    return matrix


def _nearest_indices(size: int, out: int, scale: float, exact: bool) -> np.ndarray:
    target = np.arange(out, dtype=np.float64) + (0.5 if exact else 0.0)
    return np.minimum(np.floor(target * scale).astype(np.int64), size - 1)


def _output_sizes(name: str, x: Tensor, size: Any, scale_factor: Any,
                  recompute_scale_factor: bool | None) -> tuple[list[int], list[float]]:
    """Output size per spatial axis and the input/output scale each source index uses."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor (e.g. size=(64, 64) "
                         f"or scale_factor=2), got size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = [int(s) for s in (size if isinstance(size, (tuple, list)) else
                                  [size] * len(spatial))]
        if len(sizes) != len(spatial) or min(sizes) < 1:
            raise ValueError(f"{name}: size {size!r} must be a positive int or one per spatial "
                             f"axis of the input {x.shape}")
        return sizes, [n / s for n, s in zip(spatial, sizes, strict=True)]
    factors = [float(f) for f in (scale_factor if isinstance(scale_factor, (tuple, list))
                                  else [scale_factor] * len(spatial))]
    if len(factors) != len(spatial) or min(factors) <= 0:
        raise ValueError(f"{name}: scale_factor {scale_factor!r} must be positive, one or one "
                         f"per spatial axis of the input {x.shape}")
    sizes = [math.floor(n * f) for n, f in zip(spatial, factors, strict=True)]
    if min(sizes) < 1:
        raise ValueError(f"{name}: scale_factor {scale_factor!r} shrinks the input {x.shape} "
                         f"to the empty size {tuple(sizes)}")
    if recompute_scale_factor:
        return sizes, [n / s for n, s in zip(spatial, sizes, strict=True)]
    # PyTorch maps output positions back with the given factor, not with in/out.
    return sizes, [1.0 / f for f in factors]


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize (N, C, L) signals or (N, C, H, W) images, as PyTorch's ``F.interpolate``.

    Give the output ``size`` (an int or one per spatial axis) or a ``scale_factor`` (output
    size ``floor(size * factor)``). Modes: ``'nearest'`` copies the input at
    ``floor(out_index * scale)`` (PyTorch's rule, with scale ``1/scale_factor`` when a factor is
    given, else in/out), ``'nearest-exact'`` at ``floor((out_index + 0.5) * scale)``,
    ``'linear'`` (3-D) and ``'bilinear'`` (4-D) interpolate between the two (four) nearest
    samples, with the corner pixels' centres aligned when ``align_corners=True`` and half-pixel
    centres otherwise (the default), ``'area'`` is ``adaptive_avg_pool``. The result keeps the
    input's dtype (the nearest modes also copy integer images); gradients flow to the input.

    Raises ValueError naming ``interpolate`` for a wrong rank, an unknown mode, both or neither
    of size and scale_factor, or align_corners with a mode that does not interpolate;
    TypeError for an integer input to an averaging or interpolating mode. ``antialias=True``
    (a low-pass filter before downsampling) is not available: ValueError.
    """
    x = as_input(input, "interpolate")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported; smooth first (e.g. "
                         "avg_pool2d) or use mode='area' to downsample")
    if mode not in INTERPOLATION_MODES:
        raise ValueError(f"interpolate: mode must be one of {INTERPOLATION_MODES}, got {mode!r}")
    ranks = {"linear": (3,), "bilinear": (4,)}.get(mode, (3, 4))
    if x.ndim not in ranks:
        layouts = " or ".join({3: "(N, C, L)", 4: "(N, C, H, W)"}[rank] for rank in ranks)
        raise ValueError(f"interpolate: mode={mode!r} expects a {layouts} input, got shape "
                         f"{x.shape}")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError(f"interpolate: align_corners applies only to the interpolating modes "
                         f"'linear' and 'bilinear', not mode={mode!r}")
    sizes, scales = _output_sizes("interpolate", x, size, scale_factor, recompute_scale_factor)
    for axis, out, scale in zip(range(-len(sizes), 0), sizes, scales, strict=True):
        length = x.shape[axis]
        if mode.startswith("nearest"):
            index = _nearest_indices(length, out, scale, mode == "nearest-exact")
            x = x[(Ellipsis, index) if axis == -1 else (Ellipsis, index, slice(None))]
        elif mode == "area":
            x = _along(x, axis, _average_matrix(length, out), "interpolate")
        else:
            x = _along(x, axis, _linear_matrix(length, out, scale, bool(align_corners)),
                       "interpolate")
    return x


def _adaptive_sizes(name: str, x: Tensor, output_size: Any) -> list[int]:
    wanted = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(wanted) != 2:
        raise ValueError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    sizes = [x.shape[a - 2] if s is None else int(s) for a, s in enumerate(wanted)]
    if min(sizes) < 1:
        raise ValueError(f"{name}: output_size {output_size!r} must be positive")
    return sizes


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size: (N, C, H, W) or (C, H, W) -> (..., oh, ow).

    ``output_size`` is an int or an (oh, ow) pair (None keeps that axis). Output cell i
    averages the input rows ``floor(i*H/oh)`` to ``ceil((i+1)*H/oh) - 1`` (bins may overlap
    when H is not a multiple of oh), as PyTorch; ``output_size=1`` is global average pooling.
    Composed of two matmuls with constant averaging matrices. Raises ValueError naming
    ``adaptive_avg_pool2d`` for a wrong rank or a non-positive size, TypeError for an integer
    input.
    """
    x = as_input(input, "adaptive_avg_pool2d")
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expects a (N, C, H, W) or (C, H, W) input, got "
                         f"shape {x.shape}")
    sizes = _adaptive_sizes("adaptive_avg_pool2d", x, output_size)
    for axis, out in zip((-2, -1), sizes, strict=True):
        x = _along(x, axis, _average_matrix(x.shape[axis], out), "adaptive_avg_pool2d")
    return x


class Upsample(Module):
    """Resize with ``interpolate(x, size, scale_factor, mode, align_corners)``; no parameters.

    Example: ``nn.Upsample(scale_factor=2, mode='bilinear')`` doubles H and W.
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        if mode not in INTERPOLATION_MODES:
            raise ValueError(f"Upsample: mode must be one of {INTERPOLATION_MODES}, got "
                             f"{mode!r}")
        self.size = size
        self.scale_factor = None if scale_factor is None else (
            tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (tuple, list))
            else float(scale_factor))
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        """Resize a (N, C, L) or (N, C, H, W) batch."""
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        """``size=...`` or ``scale_factor=...`` and the mode, as PyTorch."""
        shape = (f"scale_factor={self.scale_factor}" if self.size is None
                 else f"size={self.size}")
        return f"{shape}, mode={self.mode!r}"


class AdaptiveAvgPool2d(Module):
    """``adaptive_avg_pool2d(x, output_size)``: average pooling to a fixed (oh, ow)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        """Pool a (N, C, H, W) batch or one (C, H, W) image."""
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        """``output_size=...`` as PyTorch."""
        return f"output_size={self.output_size}"
