"""Feeding data to a model: datasets of tensors, a batching ``DataLoader``, splits, preprocessing.

    x, y = nn.datasets.moons(n=1000, noise=0.2, seed=0)
    train, test = nn.data.random_split(nn.data.TensorDataset(x, y), [0.8, 0.2], seed=0)
    for xb, yb in nn.data.DataLoader(train, batch_size=32, shuffle=True, seed=0):
        ...  # xb: float32 Tensor (32, 2), yb: int64 Tensor (32,)

The built-in data sets (``xor``, ``sine``, ``moons``, ``spirals``, ``wine``, ``digits``,
``mnist``) have one home, ``nn.datasets``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor

from .functional import one_hot as functional_one_hot


def _as_array(data: Any, where: str) -> np.ndarray:
    """Tensors and arrays keep their dtype; Python lists become arrays like ``ag.tensor`` does."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        return data
    if data is None:
        raise TypeError(f"{where}: expected an array, a Tensor or nested lists, got None")
    return ag.tensor(data).data


def _generator(seed: int | None, generator: np.random.Generator | None, where: str
               ) -> np.random.Generator | None:
    """A new generator seeded with ``seed``, or ``generator``, or None for "draw from
    ``ag.default_generator()`` at the time"; ValueError when both are given."""
    if seed is not None and generator is not None:
        raise ValueError(f"{where}: give seed or generator, not both (seed={seed!r})")
    if seed is not None:
        return np.random.default_rng(seed)
    return None if generator is None else ag.random.resolve_generator(generator, where)


def _permutation(generator: np.random.Generator | None, count: int) -> np.ndarray:
    return (generator or ag.default_generator()).permutation(count)


class Dataset:
    """A sized collection of samples: subclasses define ``__len__`` and ``__getitem__(i)``.

    ``__getitem__`` returns one sample, usually a tuple ``(x, y)`` of arrays or numbers.
    ``batch(indices)`` gathers several samples at once (stacking each field); subclasses that
    can gather faster (``TensorDataset`` uses fancy indexing) override it.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Return the samples at ``indices`` stacked field by field: a tuple of arrays."""
        samples = [self[int(i)] for i in indices]
        if not isinstance(samples[0], tuple):
            return (np.stack([_as_array(s, "Dataset.batch") for s in samples]),)
        return tuple(np.stack([_as_array(field, "Dataset.batch") for field in fields])
                     for fields in zip(*samples))


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: ``TensorDataset(x, y)[i] == (x[i], y[i])``.

    Accepts arrays, tensors or nested lists (dtypes are kept; lists of floats become float32).
    Raises ValueError when the first dimensions differ.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array, e.g. TensorDataset(x, y)")
        self.arrays = tuple(_as_array(a, "TensorDataset") for a in arrays)
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: all arrays need the same first dimension (one "
                             f"row per sample), got shapes {shapes}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Gather rows ``indices`` of every array by fancy indexing."""
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (made by ``random_split``)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        """Gather through the parent data set's own ``batch``."""
        return self.dataset.batch(self.indices[indices])


class DataLoader:
    """Iterate over a data set in batches of tensors: each batch is a tuple ``(x, y, ...)``.

    ``shuffle=True`` draws a new order every epoch (every ``iter()``); with ``seed`` the sequence
    of orders is reproducible (a fresh loader with the same seed repeats it); ``generator`` (a
    ``np.random.Generator``) draws them from that generator; with neither, the orders come from
    ``ag.default_generator()`` at each ``iter()`` (so ``ag.manual_seed`` fixes them, and
    ``ag.random.use_generator`` or ``nn.fit(seed=...)`` replaces it per thread). Every sample
    appears exactly once per epoch; the last batch is smaller unless ``drop_last=True``.
    Dtypes are kept (integer labels stay integer). ``len(loader)`` is the number of batches.
    Raises ValueError when both ``seed`` and ``generator`` are given.
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"DataLoader: expected a Dataset, got {type(dataset).__name__}; "
                            f"wrap arrays in nn.data.TensorDataset(x, y)")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the data set is empty")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._rng = _generator(seed, generator, "DataLoader")

    def __len__(self) -> int:
        full, remainder = divmod(len(self.dataset), self.batch_size)
        return full + int(remainder > 0 and not self.drop_last)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        count = len(self.dataset)
        if self.shuffle:
            order = _permutation(self._rng, count)
        else:
            order = np.arange(count)
        for batch_number in range(len(self)):
            indices = order[batch_number * self.batch_size:(batch_number + 1) * self.batch_size]
            yield tuple(Tensor(field) for field in self.dataset.batch(indices))


def random_split(dataset: Dataset, lengths: Sequence[float], seed: int | None = None,
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` randomly into non-overlapping subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1 (remainders go
    to the first subsets, one each). Reproducible with ``seed``; draws from ``generator`` when
    given; otherwise uses ``ag.default_generator()``. Raises ValueError when the lengths do not
    add up or both ``seed`` and ``generator`` are given.
    """
    total = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [math.floor(total * f) for f in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(n) != n or n < 0 for n in lengths) or sum(lengths) != total:
        raise ValueError(f"random_split: lengths {lengths} must be non-negative counts summing "
                         f"to the data set's length {total}, or fractions summing to 1")
    order = _permutation(_generator(seed, generator, "random_split"), total)
    bounds = np.cumsum([0] + [int(n) for n in lengths])
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def standardize(x: Any, mean: Any = None, std: Any = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale each feature (column) to zero mean and unit standard deviation.

    Returns ``(x_std, mean, std)`` as arrays in x's float dtype. Pass the training set's
    ``mean``/``std`` to transform test data the same way. Constant features (std 0) are only
    centred (their std is taken as 1) instead of dividing by zero.
    """
    x = _as_array(x, "standardize")
    if x.dtype.kind != "f":
        x = x.astype(ag.get_default_dtype())
    mean = x.mean(axis=0) if mean is None else _as_array(mean, "standardize").astype(x.dtype)
    if std is None:
        std = x.std(axis=0)
        std = np.where(std == 0, np.ones_like(std), std)
    else:
        std = _as_array(std, "standardize").astype(x.dtype)
    return (x - mean) / std, mean, std


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Integer labels of shape (N,) -> float32 one-hot rows (N, num_classes), as a NumPy array.

    The data-pipeline form of ``nn.functional.one_hot`` (PyTorch's, which returns an int64
    tensor and takes labels of any shape): the same rules, converted to float32 for targets
    and formulas such as ``softmax - one_hot``. ``num_classes`` defaults to
    ``max(labels) + 1``. Raises TypeError for non-integer labels and ValueError for labels
    outside ``[0, num_classes)``.
    """
    encoded = functional_one_hot(_as_array(labels, "one_hot"), num_classes)
    return encoded.numpy().astype(np.float32)


def train_test_split(*arrays: Any, test_size: float = 0.25, seed: int | None = None,
                     generator: np.random.Generator | None = None) -> list[np.ndarray]:
    """Shuffle rows and split each array into a training and a test part.

    ``test_size`` is a fraction in (0, 1) or a row count. Returns ``[a_train, a_test, b_train,
    b_test, ...]`` like scikit-learn. The order is drawn as in ``random_split`` (``seed``,
    ``generator`` or ``ag.default_generator()``). Raises ValueError for arrays of different
    lengths.
    """
    arrays = [_as_array(a, "train_test_split") for a in arrays]
    if not arrays or len({len(a) for a in arrays}) != 1:
        raise ValueError(f"train_test_split: give arrays with the same number of rows, got "
                         f"shapes {[a.shape for a in arrays]}")
    total = len(arrays[0])
    n_test = math.ceil(test_size * total) if 0 < test_size < 1 else int(test_size)
    if not 0 < n_test < total:
        raise ValueError(f"train_test_split: test_size={test_size} leaves {n_test} of {total} "
                         f"rows for testing; both parts must be non-empty")
    order = _permutation(_generator(seed, generator, "train_test_split"), total)
    test, train = order[:n_test], order[n_test:]
    return [part for a in arrays for part in (a[train], a[test])]


__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "standardize",
           "one_hot", "train_test_split"]
