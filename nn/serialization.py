"""Saving and loading state dicts as NumPy ``.npz`` archives, never with pickle.

``nn.save(model.state_dict(), "model.npz")`` writes one array per name, exactly at the path
given; ``model.load_state_dict(nn.load("model.npz"))`` reads it back. Object arrays are
refused on both sides, so a file can never run code when it is loaded.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_lite import Tensor


def save(obj: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a flat mapping of names to Tensors, arrays or numbers to ``path`` as ``.npz``.

    Raises TypeError for a non-mapping, a non-string name or a value that is not numeric
    (nested dicts and objects cannot be stored without pickle).
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a mapping of names to tensors (e.g. "
                        f"model.state_dict()), got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: entry {name!r} has dtype {array.dtype} (type "
                            f"{type(value).__name__}); only numeric tensors and arrays can be "
                            f"saved without pickle")
        arrays[name] = array
    # np.savez would append ".npz" to other names and reserves the keyword "file"; writing
    # the archive directly keeps both the path and every name as given.
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a ``.npz`` archive written by ``save`` into ``{name: Tensor}`` (dtypes kept).

    Raises FileNotFoundError for a missing file and ValueError for anything that is not a
    numeric ``.npz`` archive (a ``.npy`` file, a corrupt file, object arrays).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at {os.fspath(path)!r}")
    where = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"load: {where!r} is not a state dict written by nn.save (a numeric "
                         f".npz archive): {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {where!r} holds a single array, not a state dict; save state "
                         f"dicts with nn.save")
    with archive:
        state = {}
        for name in archive.files:
            try:
                array = archive[name]
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
                raise ValueError(f"load: entry {name!r} of {where!r} cannot be read without "
                                 f"pickle: {error}") from None
            if array.dtype.kind not in "biuf":
                raise ValueError(f"load: entry {name!r} of {where!r} has non-numeric dtype "
                                 f"{array.dtype}")
            state[name] = Tensor(array)  # a fresh array: no need for ag.tensor's copy
    return state
