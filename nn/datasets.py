"""Built-in data sets, all offline: toy problems generated here, wine/digits from scikit-learn's
bundled copies, and MNIST read from local IDX or ``.npz`` files.

Every loader returns NumPy arrays ``(X, y)`` with ``X`` float32; class labels are int64.
This module is their one home: ``nn.datasets.moons(...)``; ``nn.data`` has the loaders.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .npz_io import read_npz

_EXTRA_HINT = "install the examples extra: pip install autograd_lite[examples]"


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: X (4, 2) float32 in {0, 1}, y (4,) int64 = x0 xor x1."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    return x, np.array([0, 1, 1, 0], dtype=np.int64)


def sine(n: int = 1024, low: float = -3.0, high: float = 3.0, noise: float = 0.0,
         seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Regression toy: x uniform in [low, high), y = sin(x) + noise * N(0, 1).

    Returns x and y of shape (n, 1), float32.
    """
    if n < 1 or not high > low:
        raise ValueError(f"sine: need n >= 1 and high > low, got n={n}, low={low}, high={high}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=(n, 1))
    y = np.sin(x) + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def moons(n: int = 2000, noise: float = 0.25, seed: int | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, the distribution of scikit-learn's ``make_moons``.

    The first n // 2 points lie on the upper unit half circle (class 0), the rest on the lower
    one shifted by (1, -0.5) (class 1); the points are shuffled and Gaussian noise with standard
    deviation ``noise`` is added. Returns X (n, 2) float32 and y (n,) int64.
    """
    if n < 2 or noise < 0:
        raise ValueError(f"moons: need n >= 2 and noise >= 0, got n={n}, noise={noise}")
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n - n_outer)
    x = np.concatenate([np.cos(outer), 1 - np.cos(inner)])
    y = np.concatenate([np.sin(outer), 1 - np.sin(inner) - 0.5])
    points = np.stack([x, y], axis=1)
    labels = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n - n_outer, np.int64)])
    order = rng.permutation(n)
    points, labels = points[order], labels[order]
    points += noise * rng.standard_normal(points.shape)
    return points.astype(np.float32), labels


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n "spiral" data set).

    Class k has radius r in [0, 1] and angle 4 k + 4 r plus ``noise`` * N(0, 1); points are
    ``(r sin t, r cos t)``. ``n`` points in total, split as evenly as possible, grouped by class.
    Returns X (n, 2) float32 and y (n,) int64.
    """
    if classes < 2 or n < classes:
        raise ValueError(f"spirals: need classes >= 2 and n >= classes, got n={n}, "
                         f"classes={classes}")
    rng = np.random.default_rng(seed)
    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    points, labels = [], []
    for k, size in enumerate(sizes):
        radius = np.linspace(0.0, 1.0, size)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), size) + noise * rng.standard_normal(size)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(size, k, np.int64))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)


def _sklearn_datasets(name: str):
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"{name}() reads scikit-learn's bundled copy of the data set; "
                          f"{_EXTRA_HINT}") from None
    return datasets


def wine() -> tuple[np.ndarray, np.ndarray]:
    """The UCI wine data (scikit-learn's copy): X (178, 13) float32, y (178,) int64 in {0,1,2}.

    Features have very different scales: standardize them before training.
    Raises ImportError naming the ``examples`` extra when scikit-learn is missing.
    """
    x, y = _sklearn_datasets("wine").load_wine(return_X_y=True)
    return x.astype(np.float32), y.astype(np.int64)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """8x8 handwritten digits (scikit-learn's copy): X (1797, 64) float32 in [0, 16], y int64.

    Reshape X to (-1, 1, 8, 8) for convolutions. Raises ImportError naming the ``examples``
    extra when scikit-learn is missing.
    """
    x, y = _sklearn_datasets("digits").load_digits(return_X_y=True)
    return x.astype(np.float32), y.astype(np.int64)


# IDX type codes (http://yann.lecun.com/exdb/mnist/), all big-endian.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES = ", ".join(f"0x{code:02x} ({np.dtype(dtype).name})"
                       for code, dtype in _IDX_DTYPES.items())


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed, by its ``.gz`` suffix) into an array.

    The result has the shape the header declares and its type in native byte order. Raises
    ValueError naming the file for a corrupt ``.gz``, a bad magic number, an unknown type
    code, a header cut short, or data that does not match the declared shape.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"read_idx: {str(path)!r} is too short to be an IDX file ({len(raw)} "
                         f"bytes; its header alone needs at least 4)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {str(path)!r} is not an IDX file (bad magic number "
                         f"{raw[:4].hex()}; IDX files start with two zero bytes)")
    if raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {str(path)!r} has the unknown IDX type code "
                         f"0x{raw[2]:02x} (magic number {raw[:4].hex()}); the known codes are "
                         f"{_IDX_CODES}")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {str(path)!r} is cut short in its header: {ndim} "
                         f"dimensions need {header} bytes of header, the file has {len(raw)}")
    shape = tuple(int(size) for size in np.frombuffer(raw[4:header], dtype=">u4"))
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {str(path)!r} declares shape {shape} ({expected} bytes of "
                         f"data) but holds {len(raw) - header} bytes")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when its name ends in ``.gz``."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"read_idx: {str(path)!r} is not a valid gzip file ({error}); it may "
                         f"be truncated or damaged: download it again") from None


_MNIST_IDX = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        if (root / name).exists():
            return root / name
    return None


def _download(url: str, target: Path, sha256: str) -> None:
    """Fetch ``url`` to ``target`` and keep it only if its SHA-256 matches."""
    partial = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(url) as response, open(partial, "wb") as file:
        shutil.copyfileobj(response, file)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != sha256.lower():
        partial.unlink()
        raise ValueError(f"mnist: the file downloaded from {url} has SHA-256 {digest}, "
                         f"expected {sha256}; it was deleted")
    partial.replace(target)


def mnist(root: str | os.PathLike, train: bool = True, download: bool = False,
          url: str | None = None, sha256: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from a local folder: X (N, 28, 28) float32 scaled to [0, 1], y (N,) int64.

    ``root`` holds the standard IDX files (``train-images-idx3-ubyte`` etc., plain or ``.gz``)
    or ``mnist.npz`` with arrays ``x_train, y_train, x_test, y_test`` (loaded without pickle).
    With ``download=True`` and no files present, ``url`` (an ``mnist.npz``) is fetched into
    ``root`` and kept only if its SHA-256 equals ``sha256``; both must be given. Nothing is ever
    downloaded otherwise. Raises FileNotFoundError listing the expected names, and ValueError
    naming the file and the problem for a damaged file (see ``read_idx``), a garbage or
    incomplete ``mnist.npz``, images that are not (N, H, W), labels that are not (N,) integers
    in 0..9, or different numbers of images and labels.
    """
    root = Path(root)
    images_name, labels_name = _MNIST_IDX[train]
    images_path, labels_path = _find(root, images_name), _find(root, labels_name)
    if images_path is not None and labels_path is not None:
        images, labels = read_idx(images_path), read_idx(labels_path)
    else:
        images_path = labels_path = root / "mnist.npz"
        if not images_path.exists() and download:
            if not url or not sha256:
                raise ValueError("mnist: download=True needs the url of an mnist.npz file and "
                                 "its sha256, e.g. mnist(root, download=True, url=..., "
                                 "sha256=...)")
            root.mkdir(parents=True, exist_ok=True)
            _download(url, images_path, sha256)
        if not images_path.exists():
            raise FileNotFoundError(
                f"mnist: found neither {images_name}[.gz] and {labels_name}[.gz] nor mnist.npz "
                f"in {root}; put the files there or pass download=True with url and sha256")
        images, labels = _npz_split(images_path, "train" if train else "test")
    _check_mnist(images, images_path, labels, labels_path)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return (images.astype(np.float32) / np.float32(scale)), labels.astype(np.int64)


def _npz_split(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``x_<split>`` and ``y_<split>`` of an ``mnist.npz``, read without pickle."""
    arrays = read_npz(path, "mnist", "an MNIST archive (arrays x_train, y_train, x_test, "
                                     "y_test)")
    for key in (f"x_{split}", f"y_{split}"):
        if key not in arrays:
            raise ValueError(f"mnist: {str(path)!r} has no array {key!r} (it holds "
                             f"{', '.join(arrays) or 'no arrays'}); an MNIST archive holds "
                             f"x_train, y_train, x_test and y_test")
    return arrays[f"x_{split}"], arrays[f"y_{split}"]


def _check_mnist(images: np.ndarray, images_path: Path, labels: np.ndarray,
                 labels_path: Path) -> None:
    """Images (N, H, W), labels (N,) integers in 0..9: a swapped or damaged file says so."""
    if images.ndim != 3:
        raise ValueError(f"mnist: the images in {str(images_path)!r} have shape "
                         f"{images.shape}; images are (N, height, width) (a labels file in "
                         f"place of the images?)")
    if labels.ndim != 1:
        raise ValueError(f"mnist: the labels in {str(labels_path)!r} have shape "
                         f"{labels.shape}; labels are (N,) (an images file in place of the "
                         f"labels?)")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"mnist: the labels in {str(labels_path)!r} have dtype "
                         f"{labels.dtype}; labels are integers 0..9")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"mnist: the labels in {str(labels_path)!r} lie in "
                         f"{labels.min()}..{labels.max()}; MNIST labels are digits 0..9")
    if len(images) != len(labels):
        raise ValueError(f"mnist: {len(images)} images in {str(images_path)!r} but "
                         f"{len(labels)} labels in {str(labels_path)!r}")


__all__ = ["xor", "sine", "moons", "spirals", "wine", "digits", "mnist", "read_idx"]
