"""Saving and loading state dicts as NumPy ``.npz`` archives, never with pickle.

``nn.save(model.state_dict(), "model.npz")`` writes one array per name, exactly at the path
given; ``model.load_state_dict(nn.load("model.npz"))`` reads it back. Object arrays are
refused on both sides, so a file can never run code when it is loaded.

Saving is atomic: the archive is written to a temporary file beside the target and moved over
it only once complete, so a crash or a full disk never leaves a half-written checkpoint.
Loading checks every header before reading any data, so a damaged or hostile file gets a
ValueError naming the file and the problem, never a huge allocation or an unpickling.
"""

from __future__ import annotations

import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from autograd_lite import Tensor

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_NPY_MAGIC = b"\x93NUMPY"
# What zipfile, zlib and NumPy's header parser raise for damaged bytes.
_DAMAGED = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def save(obj: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a flat mapping of names to Tensors, arrays or numbers to ``path`` as ``.npz``.

    The archive goes to a temporary file in the same directory, is flushed to disk, and then
    replaces ``path`` in one step: if saving fails (a full disk, a killed process) the previous
    file at ``path`` is untouched, and on an exception the temporary file is removed.
    Raises TypeError for a non-mapping, a non-string name or a value that is not numeric
    (nested dicts and objects cannot be stored without pickle), FileNotFoundError when the
    directory does not exist, and the OSError of a failed write.
    """
    arrays = _numeric_arrays(obj)
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
            _write_archive(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _numeric_arrays(obj: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The arrays ``save`` writes, checked: string names, numeric dtypes."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a mapping of names to tensors (e.g. "
                        f"model.state_dict()), got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: entry {name!r} has dtype {array.dtype} (type "
                            f"{type(value).__name__}); only numeric tensors and arrays can be "
                            f"saved without pickle")
        arrays[name] = array
    return arrays


def _write_archive(file: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    # np.savez would append ".npz" to other names and reserves the keyword "file"; writing
    # the archive directly keeps both the path and every name as given.
    with zipfile.ZipFile(file, "w") as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


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


def load(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a ``.npz`` archive written by ``save`` into ``{name: Tensor}`` (dtypes kept).

    Raises FileNotFoundError for a missing path, IsADirectoryError for a directory, and
    ValueError naming the file and the problem for anything that is not a numeric ``.npz``
    archive: a ``.npy`` file, random or truncated bytes, a member that is not a ``.npy``
    array, object arrays (refused without unpickling), or a header whose shape does not match
    the bytes stored (checked before any memory is allocated).
    """
    arrays = read_npz(path, "load", "a state dict written by nn.save")
    return {name: Tensor(array) for name, array in arrays.items()}


def read_npz(path: str | os.PathLike, caller: str, expected: str) -> dict[str, np.ndarray]:
    """The numeric arrays of the ``.npz`` archive at ``path``, by name, read without pickle.

    ``caller`` starts every error message and ``expected`` says what the file should have
    been (``"a state dict written by nn.save"``). Raises as ``load`` does.
    """
    where = os.fspath(path)
    if not os.path.exists(where):  # a dangling symlink too
        raise FileNotFoundError(f"{caller}: no file at {where!r}")
    if os.path.isdir(where):
        raise IsADirectoryError(f"{caller}: {where!r} is a directory, not {expected}; pass "
                                f"the path of the .npz file")
    with open(where, "rb") as file:
        if file.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
            raise ValueError(f"{caller}: {where!r} holds a single array, not {expected}")
        try:
            archive = zipfile.ZipFile(file)
        except _DAMAGED as error:
            raise ValueError(f"{caller}: {where!r} is not {expected} (a numeric .npz "
                             f"archive): it is not a complete zip archive ({error}); the file "
                             f"may be truncated or of another kind") from None
        with archive:
            return _read_members(archive, caller, expected, where)


def _read_members(archive: zipfile.ZipFile, caller: str, expected: str, where: str
                  ) -> dict[str, np.ndarray]:
    arrays = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"{caller}: {where!r} holds the member {info.filename!r}, which "
                             f"is not a .npy array; it is not {expected}")
        name = info.filename[:-len(".npy")]
        entry = f"{caller}: entry {name!r} of {where!r}"
        try:
            member = archive.open(info)
        except _DAMAGED as error:
            raise _damaged(entry, error) from None
        with member:
            arrays[name] = _read_array(member, info.file_size, entry)
    return arrays


def _read_array(member: BinaryIO, stored_bytes: int, entry: str) -> np.ndarray:
    """One ``.npy`` member, its header checked (a numeric dtype, a size matching the bytes
    stored) before any of its data is read."""
    try:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(member)
    except _DAMAGED as error:
        raise _damaged(entry, error) from None
    if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"{entry} has dtype {dtype}, which cannot be read without pickle; "
                         f"only numeric arrays are loaded")
    declared = math.prod(shape) * dtype.itemsize
    available = stored_bytes - member.tell()
    if declared != available:
        raise ValueError(f"{entry} declares shape {shape} of {dtype} ({declared:,} bytes) but "
                         f"stores {available:,} bytes; the file is corrupt")
    try:
        data = member.read(declared)
    except _DAMAGED as error:
        raise _damaged(entry, error) from None
    if len(data) != declared:
        raise ValueError(f"{entry} ends after {len(data):,} of {declared:,} bytes; the file is "
                         f"truncated")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array.copy()  # writable, and owning its memory


def _damaged(entry: str, error: Exception) -> ValueError:
    return ValueError(f"{entry} is damaged and cannot be read ({error}); the file may be "
                      f"truncated or corrupt")
