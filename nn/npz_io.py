"""The ``.npz`` archive format of ``nn.save``, written and read without pickle.

Object arrays are refused on both sides, so a file can never run code when it is loaded; every
member's header is checked (a numeric dtype, a size matching the bytes stored) before any of its
data is read, so a damaged or hostile file gets a ValueError naming the file and the problem,
never a huge allocation or an unpickling.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_NPY_MAGIC = b"\x93NUMPY"
STRUCTURE_MEMBER = "structure.json"
# A structure describes names and small values only; anything larger is not one of ours.
_MAX_STRUCTURE_BYTES = 64 * 2**20
# What zipfile, zlib and NumPy's header parser raise for damaged bytes.
_DAMAGED = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def write_archive(file: BinaryIO, arrays: Mapping[str, np.ndarray],
                  structure: str | None = None) -> None:
    """Write ``arrays`` as ``<name>.npy`` members, and ``structure`` (JSON text describing how
    the arrays nest, see ``nn.serialization``) as the member ``structure.json`` if given."""
    # np.savez would append ".npz" to other names and reserves the keyword "file"; writing
    # the archive directly keeps both the path and every name as given.
    with zipfile.ZipFile(file, "w") as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
        if structure is not None:
            archive.writestr(STRUCTURE_MEMBER, structure)


def read_npz(path: str | os.PathLike, caller: str, expected: str) -> dict[str, np.ndarray]:
    """The numeric arrays of the ``.npz`` archive at ``path``, by name, read without pickle.

    ``caller`` starts every error message and ``expected`` says what the file should have
    been (``"an MNIST archive"``). Raises FileNotFoundError for a missing path,
    IsADirectoryError for a directory, and ValueError naming the file and the problem for
    anything that is not a numeric ``.npz`` archive: a ``.npy`` file, random or truncated bytes,
    a member that is not a ``.npy`` array, object arrays (refused without unpickling), or a
    header whose shape does not match the bytes stored (checked before any memory is
    allocated).
    """
    return read_archive(path, caller, expected, structured=False)[0]


def read_archive(path: str | os.PathLike, caller: str, expected: str, structured: bool = True
                 ) -> tuple[dict[str, np.ndarray], str | None]:
    """The arrays of the archive at ``path`` and its ``structure.json`` text (None without one).

    With ``structured=False`` a structure member is refused like any other non-array member.
    Raises as ``read_npz``.
    """
    where = check_file(path, caller, expected)
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
            return _read_members(archive, caller, expected, where, structured)


def check_file(path: str | os.PathLike, caller: str, expected: str) -> str:
    """``path`` as a string, once it is known to name a file: FileNotFoundError for a missing
    path (a dangling symlink too), IsADirectoryError for a directory."""
    where = os.fspath(path)
    if not os.path.exists(where):
        raise FileNotFoundError(f"{caller}: no file at {where!r}")
    if os.path.isdir(where):
        raise IsADirectoryError(f"{caller}: {where!r} is a directory, not {expected}; pass "
                                f"the path of the file")
    return where


def _read_members(archive: zipfile.ZipFile, caller: str, expected: str, where: str,
                  structured: bool) -> tuple[dict[str, np.ndarray], str | None]:
    arrays, structure = {}, None
    for info in archive.infolist():
        if structured and info.filename == STRUCTURE_MEMBER:
            structure = _read_structure(archive, info, f"{caller}: {where!r}")
            continue
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
    return arrays, structure


def _read_structure(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> str:
    if info.file_size > _MAX_STRUCTURE_BYTES:
        raise ValueError(f"{where}: its {STRUCTURE_MEMBER} declares {info.file_size:,} bytes, "
                         f"more than a checkpoint's description needs; the file is not one "
                         f"written by nn.save")
    try:
        return archive.read(info).decode("utf-8")
    except (*_DAMAGED, UnicodeDecodeError) as error:
        raise _damaged(f"{where}: its {STRUCTURE_MEMBER}", error) from None


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
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS:
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
