"""Saving and loading state dicts and checkpoints without pickle: ``.npz`` or ``.safetensors``.

``nn.save(model.state_dict(), "model.npz")`` writes one array per name, exactly at the path
given; ``model.load_state_dict(nn.load("model.npz"))`` reads it back. A path ending in
``.safetensors`` writes that format instead, which PyTorch reads with
``load_file`` from ``safetensors.torch`` (and which ``nn.load`` reads from PyTorch).

A whole training checkpoint saves the same way, as PyTorch's ``torch.save`` does::

    nn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "epoch": 5}, "checkpoint.npz")
    checkpoint = nn.load("checkpoint.npz")
    optimizer.load_state_dict(checkpoint["optimizer"])

Nested dicts, lists and tuples of tensors, arrays, numbers, strings and None are stored as
arrays plus a JSON description of the nesting (``.npz`` only; safetensors holds flat tensors).
Nothing that runs code is ever written or read.

Saving is atomic: the file is written to a temporary file beside the target and moved over it
only once complete, so a crash or a full disk never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from numbers import Number
from typing import Any, BinaryIO

import numpy as np

from autograd_lite import Tensor

from .npz_io import NUMERIC_KINDS, check_file, read_archive, write_archive
from .safetensors_io import is_safetensors_path, read_safetensors, safetensors_bytes

__all__ = ["load", "save"]

_SAVABLE = ("tensors, arrays, numbers, strings, None, and dicts, lists and tuples of them")


def save(obj: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a state dict (names to Tensors, arrays or numbers) or a checkpoint to ``path``.

    The format follows the suffix: ``.safetensors`` for safetensors (flat state dicts only),
    anything else ``.npz`` (which also stores nested dicts, lists and tuples, e.g.
    ``{"model": ..., "optimizer": optimizer.state_dict(), "epoch": 3}``).
    The file goes to a temporary file in the same directory, is flushed to disk, and then
    replaces ``path`` in one step: if saving fails (a full disk, a killed process) the previous
    file at ``path`` is untouched, and on an exception the temporary file is removed.
    Raises TypeError for a non-mapping, a non-string name or a value that cannot be stored
    without pickle (objects, object arrays; nesting in a safetensors file),
    FileNotFoundError when the directory does not exist, and the OSError of a failed write.
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a mapping of names to tensors (e.g. "
                        f"model.state_dict()), got {type(obj).__name__}")
    if is_safetensors_path(path):
        payload = safetensors_bytes(_flat_arrays(obj, "a .safetensors file"))
        _write_atomically(path, lambda file: file.write(payload))
    elif all(isinstance(name, str) and _is_array_like(value) for name, value in obj.items()):
        arrays = _flat_arrays(obj, "a state dict")
        _write_atomically(path, lambda file: write_archive(file, arrays))
    else:
        arrays: dict[str, np.ndarray] = {}
        structure = json.dumps(_describe(obj, "", arrays))
        _write_atomically(path, lambda file: write_archive(file, arrays, structure))


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray, np.generic, Number))


def _numeric(value: Any, where: str) -> np.ndarray:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"save: entry {where!r} has dtype {array.dtype} (type "
                        f"{type(value).__name__}); only numeric tensors and arrays can be "
                        f"saved without pickle")
    return array


def _flat_arrays(obj: Mapping[str, Any], container: str) -> dict[str, np.ndarray]:
    """The arrays of a flat state dict, checked: string names, numeric values."""
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        if not _is_array_like(value):
            raise TypeError(f"save: entry {name!r} is a {type(value).__name__}; {container} "
                            f"holds only tensors, arrays and numbers (save nested checkpoints "
                            f"to a .npz path)")
        arrays[name] = _numeric(value, name)
    return arrays


def _describe(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON description of ``value``, its arrays put into ``arrays`` under unique names.

    A description is one of ``{"tensor": name}``, ``{"array": name}``, ``{"scalar": name}``,
    ``{"value": number, string or None}``, ``{"dict": [[key, description], ...]}`` (keys are
    strings or integers, as in an optimizer's state), ``{"list": [...]}``, ``{"tuple": [...]}``.
    """
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        name = where or "value"
        while name in arrays:
            name += "'"
        arrays[name] = _numeric(value, name)
        kind = ("tensor" if isinstance(value, Tensor)
                else "array" if isinstance(value, np.ndarray) else "scalar")
        return {kind: name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if isinstance(value, Mapping):
        entries = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: the key {key!r} in {where or 'the mapping'!r} is a "
                                f"{type(key).__name__}; keys must be strings or integers")
            entries.append([key, _describe(item, f"{where}/{key}" if where else str(key),
                                           arrays)])
        return {"dict": entries}
    if isinstance(value, (list, tuple)):
        items = [_describe(item, f"{where}/{index}", arrays) for index, item in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    raise TypeError(f"save: {where!r} is a {type(value).__name__}, which cannot be saved "
                    f"without pickle; a checkpoint may hold {_SAVABLE}")


def _write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> None:
    target = os.path.realpath(path)  # through a symlink, replace the file it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        given = os.path.dirname(os.fspath(path))
        raise FileNotFoundError(f"save: cannot write {os.fspath(path)!r}: the directory "
                                f"{given!r} does not exist; create it first (e.g. "
                                f"os.makedirs({given!r}, exist_ok=True))")
    temporary = os.path.join(directory,
                             f".{os.path.basename(target)}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never write into (or, below, remove) someone else's file; 0o666: the umask
    # decides the mode, as for open().
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); elsewhere the rename is all there is."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory; the file itself is already synced
    finally:
        os.close(descriptor)


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read what ``save`` wrote: ``{name: Tensor}`` for a state dict (dtypes kept), or the
    checkpoint's nesting, with Tensors, NumPy arrays and numbers where they were saved.

    A ``.safetensors`` path is read as safetensors (also files written by PyTorch's
    ``safetensors.torch.save_file``), anything else as ``.npz``. Raises FileNotFoundError for
    a missing path, IsADirectoryError for a directory, and ValueError naming the file and the
    problem for anything else: a ``.npy`` file, random or truncated bytes, a member that is not
    a ``.npy`` array, object arrays (refused without unpickling), a header whose shape does not
    match the bytes stored (checked before any memory is allocated), a damaged description of
    the nesting, dtypes NumPy lacks (bfloat16).
    """
    expected = "a state dict written by nn.save"
    if is_safetensors_path(path):
        check_file(path, "load", expected)
        arrays = read_safetensors(os.fspath(path), "load")
        return {name: Tensor(array) for name, array in arrays.items()}
    arrays, structure = read_archive(path, "load", expected)
    if structure is None:
        return {name: Tensor(array) for name, array in arrays.items()}
    where = f"load: {os.fspath(path)!r}"
    try:
        description = json.loads(structure)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{where}: its description of the nesting is damaged ({error})") from None
    return _rebuild(description, arrays, where)


def _rebuild(description: Any, arrays: Mapping[str, np.ndarray], where: str) -> Any:
    """The value ``_describe`` described; ValueError for a description it cannot have made."""
    if not isinstance(description, dict) or len(description) != 1:
        raise ValueError(f"{where}: its description of the nesting is damaged (found "
                         f"{str(description)[:60]!r})")
    (kind, content), = description.items()
    if kind in ("tensor", "array", "scalar"):
        if not isinstance(content, str) or content not in arrays:
            raise ValueError(f"{where}: its description names the array {content!r}, which "
                             f"the file does not hold")
        array = arrays[content]
        return Tensor(array) if kind == "tensor" else array if kind == "array" else array[()]
    if kind == "value" and (content is None or isinstance(content, (bool, int, float, str))):
        return content
    if kind == "dict" and isinstance(content, list) and all(
            isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], (str, int))
            for entry in content):
        return {key: _rebuild(item, arrays, where) for key, item in content}
    if kind in ("list", "tuple") and isinstance(content, list):
        items = [_rebuild(item, arrays, where) for item in content]
        return tuple(items) if kind == "tuple" else items
    raise ValueError(f"{where}: its description of the nesting is damaged (found "
                     f"{str(description)[:60]!r})")
