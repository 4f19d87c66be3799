"""Random tensors with PyTorch's names and signatures: ``randint``, ``randperm``, ``multinomial``,
``normal``, ``bernoulli``, ``rand_like`` and ``randn_like`` (``rand`` and ``randn`` are in
``tensor.py``).

Each takes ``generator=`` (an ``ag.Generator``, a ``np.random.Generator``, or None for
``ag.default_generator()``, which ``ag.manual_seed`` reseeds). The draws are NumPy's, so the
numbers differ from PyTorch's for the same seed. Samples are data, not functions of their
parameters: no result records a graph (PyTorch gives ``normal`` a zero gradient; for a
reparameterised sample write ``mean + std * ag.randn_like(mean)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .random import resolve_generator
from .tensor import Tensor, _float_dtype, _shape_of, rand, randn


def _integer(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {what} must be an int, got {value!r}")
    return int(value)


def randint(*args: Any, low: int | None = None, high: int | None = None, size: Any = None,
            dtype: Any = None, generator: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high), PyTorch's way: ``randint(high, size)``,
    ``randint(low, high, size)``, or keywords (``size`` is a tuple); int64 unless ``dtype``.

    TypeError without a size or for non-integer bounds; ValueError when high <= low.
    Example: ``ag.randint(0, 10, (2, 3))``.
    """
    positional = list(args)
    if size is None and positional and isinstance(positional[-1], (tuple, list)):
        size = positional.pop()
    if len(positional) > 2 or (len(positional) == 2 and (low is not None or high is not None)) \
            or (len(positional) == 1 and high is not None and low is not None):
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, size), "
                        f"got {len(args)} positional arguments and low={low!r}, high={high!r}")
    if len(positional) == 2:
        low, high = positional
    elif len(positional) == 1:
        low, high = (positional[0], high) if high is not None else (low, positional[0])
    if size is None or high is None:
        raise TypeError("randint: give the upper bound and a size, e.g. ag.randint(10, (3,)) "
                        "or ag.randint(0, 10, size=(3,))")
    low = 0 if low is None else _integer(low, "low", "randint")
    high = _integer(high, "high", "randint")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    shape = _shape_of((size,) if isinstance(size, (int, np.integer)) else tuple(size), "randint")
    values = resolve_generator(generator, "randint").integers(low, high, shape)
    return Tensor(values.astype(np.int64 if dtype is None else dtype))


def randperm(n: int, dtype: Any = None, generator: Any = None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless ``dtype``). ValueError for n < 0."""
    n = _integer(n, "n", "randperm")
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    values = resolve_generator(generator, "randperm").permutation(n)
    return Tensor(values.astype(np.int64 if dtype is None else dtype))


def multinomial(input: Any, num_samples: int, replacement: bool = False,
                generator: Any = None) -> Tensor:
    """Indices drawn from the categories of ``input``, with probabilities proportional to its
    non-negative weights (they need not add up to 1), as ``torch.multinomial``.

    ``input`` (k,) gives ``num_samples`` int64 indices, (n, k) gives (n, num_samples), one row
    per distribution. Without ``replacement`` no index repeats within a row; once the positive
    weights are used up, zero-weight categories follow (as in PyTorch), so ``num_samples`` may
    be at most k. ValueError for negative, NaN or infinite weights, a row of zeros, a wrong
    number of dimensions or too many samples without replacement.
    """
    weights = np.asarray(input._data if isinstance(input, Tensor) else input, dtype=np.float64)
    num_samples = _integer(num_samples, "num_samples", "multinomial")
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: input must be 1-D or 2-D with at least one category, "
                         f"got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: the weights contain a negative, NaN or infinite value")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("multinomial: a row of weights adds up to 0; give every distribution "
                         "a positive weight")
    categories = rows.shape[1]
    if num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be at least 1, got {num_samples}")
    if not replacement and num_samples > categories:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {categories} categories; pass replacement=True or draw at most "
                         f"{categories}")
    rng = resolve_generator(generator, "multinomial")
    if replacement:
        # Inverse CDF: side="right" never picks a zero-weight category.
        cumulative = np.cumsum(rows, axis=1)
        points = rng.random((rows.shape[0], num_samples)) * cumulative[:, -1:]
        picks = np.stack([np.searchsorted(c, p, side="right") for c, p in
                          zip(cumulative, points)])
        last_positive = categories - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
        picks = np.minimum(picks, last_positive[:, None])
    else:
        # The exponential race: sorting weight / Exp(1) draws is sampling without replacement.
        keys = rows / rng.standard_exponential(rows.shape)
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor(picks.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, generator: Any = None,
           dtype: Any = None) -> Tensor:
    """Samples of N(mean, std**2), as ``torch.normal``: tensor (or array) ``mean``/``std``
    broadcast together and give the shape; two numbers need ``size``.

    The dtype is that of a float tensor argument, else ``dtype`` or the default float dtype.
    No graph is recorded (see the module docstring). ValueError for a negative std, TypeError
    for two numbers without a size.
    """
    arrays = [x._data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
              for x in (mean, std)]
    if (arrays[1] < 0).any():
        raise ValueError("normal: std must be non-negative")
    floats = [a.dtype for a, x in zip(arrays, (mean, std)) if isinstance(x, Tensor)
              and a.dtype.kind == "f"]
    out_dtype = floats[0] if floats and dtype is None else _float_dtype(dtype)
    if size is not None:
        shape = _shape_of((size,) if isinstance(size, (int, np.integer)) else tuple(size),
                          "normal")
    elif arrays[0].ndim == arrays[1].ndim == 0 and not floats:
        raise TypeError("normal: with a number mean and std, give size=, e.g. "
                        "ag.normal(0.0, 1.0, size=(2, 3))")
    else:
        shape = np.broadcast_shapes(arrays[0].shape, arrays[1].shape)
    noise = resolve_generator(generator, "normal").standard_normal(shape)
    return Tensor((arrays[0] + arrays[1] * noise).astype(out_dtype))


def bernoulli(input: Any, p: float | None = None, generator: Any = None) -> Tensor:
    """0 or 1 for each element: 1 with probability ``input`` there (or ``p`` everywhere when
    given), as ``torch.bernoulli``; the result has input's shape and float dtype.

    ValueError for a probability outside [0, 1] or NaN.
    """
    values = input._data if isinstance(input, Tensor) else np.asarray(input, dtype=np.float64)
    probabilities = values if p is None else np.full(values.shape, p, dtype=np.float64)
    if not ((probabilities >= 0) & (probabilities <= 1)).all():
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    out_dtype = values.dtype if values.dtype.kind == "f" else _float_dtype(None)
    draws = resolve_generator(generator, "bernoulli").random(values.shape) < probabilities
    return Tensor(draws.astype(out_dtype))


def _like(input: Any, dtype: Any, where: str) -> tuple[tuple[int, ...], np.dtype]:
    array = input._data if isinstance(input, Tensor) else np.asarray(input)
    dtype = array.dtype if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{where}: needs a float dtype, got {dtype}; pass dtype='float32'")
    return array.shape, dtype


def rand_like(input: Any, dtype: Any = None, requires_grad: bool = False,
              generator: Any = None) -> Tensor:
    """``rand`` with the shape (and, unless given, the float dtype) of ``input``."""
    shape, dtype = _like(input, dtype, "rand_like")
    return rand(shape, dtype=dtype, requires_grad=requires_grad, generator=generator)


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False,
               generator: Any = None) -> Tensor:
    """``randn`` with the shape (and, unless given, the float dtype) of ``input``."""
    shape, dtype = _like(input, dtype, "randn_like")
    return randn(shape, dtype=dtype, requires_grad=requires_grad, generator=generator)
