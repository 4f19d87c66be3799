"""The safetensors format of ``nn.save`` and ``nn.load``: state dicts PyTorch reads directly.

A ``.safetensors`` file is a JSON header (names, dtypes, shapes, byte offsets) followed by the
raw bytes of each array, and nothing that could run code. In PyTorch, ``load_file(path)`` from
the ``safetensors.torch`` module gives the same names, shapes and values, so a model trained
here carries on there (and back).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import safetensors
import safetensors.numpy


def safetensors_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """The bytes of a safetensors file holding ``arrays`` (C-contiguous copies where needed)."""
    # Not np.ascontiguousarray: it turns a 0-d array (a BatchNorm's step count) into shape (1,).
    return safetensors.numpy.save({name: np.require(array, requirements="C")
                                   for name, array in arrays.items()})


def read_safetensors(where: str, caller: str) -> dict[str, np.ndarray]:
    """The arrays of the safetensors file at ``where``, by name, in the file's order.

    Raises ValueError naming the file for a damaged or foreign file (the header is checked
    by the safetensors library before any data is read) and for dtypes NumPy lacks
    (bfloat16: convert it in PyTorch with ``.float()`` before saving).
    """
    try:
        arrays = safetensors.numpy.load_file(where)
    except safetensors.SafetensorError as error:
        raise ValueError(f"{caller}: {where!r} is not a readable safetensors file ({error}); "
                         f"the file may be truncated or of another kind") from None
    except TypeError as error:  # NumPy has no such dtype (bfloat16)
        raise ValueError(f"{caller}: {where!r} holds a dtype NumPy cannot represent ({error}); "
                         f"convert those tensors before saving, e.g. with .float() in "
                         f"PyTorch") from None
    return {name: np.array(array) for name, array in arrays.items()}


def is_safetensors_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a safetensors file (by its suffix, ``.safetensors``)."""
    return os.fspath(path).endswith(".safetensors")
