"""nn.save and nn.load when things go wrong: a full disk, a killed process, damaged files."""

import errno
import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
import nn

REPO = Path(__file__).resolve().parents[1]


def old_state() -> dict[str, np.ndarray]:
    return {"weight": np.arange(6, dtype=np.float32).reshape(2, 3),
            "bias": np.array([1.5, -2.5], np.float32)}


def assert_holds(path: Path, state: dict[str, np.ndarray]) -> None:
    loaded = nn.load(path)
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name].data, array)


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def npy_bytes(header: dict, payload: bytes) -> bytes:
    """A .npy file with a hand-written header (which may lie about the data)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


# --- saving is atomic ---------------------------------------------------------------------


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     KeyboardInterrupt()], ids=["disk full", "interrupted"])
def test_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch,
                                                                     failure):
    path = tmp_path / "model.npz"
    nn.save(old_state(), path)
    real_write = np.lib.format.write_array

    def write_half_then_fail(member, array, **kwargs):
        real_write(member, array, **kwargs)
        member.write(b"\0" * 100)  # some bytes of the next array reach the disk
        raise failure

    monkeypatch.setattr(np.lib.format, "write_array", write_half_then_fail)
    with pytest.raises(type(failure)) as raised:
        nn.save({"weight": np.ones((300, 300), np.float32)}, path)
    if isinstance(failure, OSError):
        assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    assert_holds(path, old_state())


def test_failed_first_save_leaves_no_file_at_all(tmp_path, monkeypatch):
    def full_disk(member, array, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", full_disk)
    with pytest.raises(OSError):
        nn.save(old_state(), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_save_replaces_the_file_and_keeps_only_it(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(old_state(), path)
    new = {"weight": np.full((2, 3), 7.0, np.float32)}
    nn.save(new, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_holds(path, new)


def test_saved_file_gets_the_usual_permissions(tmp_path):
    """The temporary file is not created private (0o600): the umask decides, as for open()."""
    previous = os.umask(0o022)
    try:
        nn.save(old_state(), tmp_path / "model.npz")
    finally:
        os.umask(previous)
    assert (tmp_path / "model.npz").stat().st_mode & 0o777 == 0o644


def test_save_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: cannot write .*the directory .*nowhere"):
        nn.save(old_state(), tmp_path / "nowhere" / "model.npz")


# The child saves a big state dict over the file and stops at ``point`` (inside the archive
# while writing the second array, or with the temporary file complete just before it replaces
# the target), says so on stdout, and waits to be killed.
CHILD = """
import os, sys, time
import numpy as np
import nn

path, point = sys.argv[1], sys.argv[2]

def stop_here(*args, **kwargs):
    print("stopped", flush=True)
    time.sleep(60)

if point == "mid-write":
    real_write, calls = np.lib.format.write_array, []
    def write_then_stop(member, array, **kwargs):
        real_write(member, array, **kwargs)
        calls.append(array)
        if len(calls) == 2:
            stop_here()
    np.lib.format.write_array = write_then_stop
else:
    os.fsync = stop_here
big = np.full(1_000_000, 3.0, np.float32)
nn.save({"weight": big, "bias": big, "extra": big}, path)
"""


@pytest.mark.parametrize("point", ["mid-write", "before-replace"])
def test_save_killed_with_sigkill_keeps_the_previous_file(tmp_path, point):
    path = tmp_path / "model.npz"
    nn.save(old_state(), path)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), point], cwd=REPO,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout.readline() == "stopped\n"
        temporaries = [name for name in os.listdir(tmp_path) if name != "model.npz"]
        assert len(temporaries) == 1 and (tmp_path / temporaries[0]).stat().st_size > 4_000_000
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert_holds(path, old_state())


# --- loading damaged files ----------------------------------------------------------------


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.npz"
    nn.save(old_state(), path)
    return path


def assert_load_fails(path: Path, expected: type, pattern: str) -> None:
    """nn.load raises ``expected`` naming the path, never NumPy's allow_pickle hint."""
    with pytest.raises(expected, match=pattern) as raised:
        nn.load(path)
    assert type(raised.value) is expected
    message = str(raised.value)
    assert repr(str(path)) in message
    assert "allow_pickle" not in message


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -1], ids=["10%", "50%", "90%", "last byte"])
def test_load_truncated_archive_says_it_is_incomplete(tmp_path, keep):
    path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - 1] if keep == -1 else data[:int(len(data) * keep)])
    assert_load_fails(path, ValueError, "not a complete zip archive.*may be truncated")


def test_load_random_bytes_is_refused(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_load_fails(path, ValueError, "is not a state dict written by nn.save")


def test_load_zip_with_a_non_array_member_names_the_member(tmp_path):
    path = write_npz(tmp_path / "notes.npz", {"notes.txt": b"hello"})
    assert_load_fails(path, ValueError, "member 'notes.txt', which is not a .npy array")


def test_load_member_that_is_not_npy_data_names_the_entry(tmp_path):
    path = write_npz(tmp_path / "fake.npz", {"weight.npy": b"this is text, not an array"})
    assert_load_fails(path, ValueError, "entry 'weight' of .* is damaged")


def test_load_absurd_declared_shape_is_refused_before_allocating(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**40,)}
    path = write_npz(tmp_path / "huge.npz", {"weight.npy": npy_bytes(header, b"\0" * 16)})
    assert_load_fails(path, ValueError, r"entry 'weight' of .* declares shape \(1099511627776,\)"
                                        r" of float64 \(8,796,093,022,208 bytes\) but stores 16")


def test_load_shape_larger_than_the_data_is_refused(tmp_path):
    header = {"descr": "<f4", "fortran_order": False, "shape": (2, 3)}
    path = write_npz(tmp_path / "short.npz", {"weight.npy": npy_bytes(header, b"\0" * 20)})
    assert_load_fails(path, ValueError, r"declares shape \(2, 3\) of float32 \(24 bytes\) but "
                                        r"stores 20 bytes")


def test_load_corrupted_data_fails_its_checksum(tmp_path):
    path = saved(tmp_path)
    data = bytearray(path.read_bytes())
    offset = data.index(np.arange(6, dtype=np.float32).tobytes())
    data[offset + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    assert_load_fails(path, ValueError, "entry 'weight' of .* is damaged .*CRC")


def test_load_corrupt_compressed_member_is_a_value_error(tmp_path):
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, weight=np.zeros(10_000, np.float32))
    assert set(nn.load(path)) == {"weight"}  # a valid compressed archive loads
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle:middle + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert_load_fails(path, ValueError, "entry 'weight' of .* is damaged")


class Trap:
    """Unpickling this object creates a file: the test can see whether load unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_load_refuses_object_arrays_without_unpickling_them(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.array([Trap(marker)], dtype=object))
    assert_load_fails(path, ValueError, "entry 'weight' of .* has dtype object, which cannot be "
                                        "read without pickle")
    assert not marker.exists()


def test_load_directory_says_it_is_a_directory(tmp_path):
    assert_load_fails(tmp_path, IsADirectoryError, "is a directory, not a state dict")


def test_load_missing_path_names_it(tmp_path):
    assert_load_fails(tmp_path / "missing.npz", FileNotFoundError, "load: no file at")


def test_failed_load_leaves_the_model_unchanged(tmp_path):
    model = nn.Linear(3, 2)
    before = {name: value.data.copy() for name, value in model.state_dict().items()}
    path = saved(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError):
        model.load_state_dict(nn.load(path))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[name])


def test_round_trip_of_every_numeric_dtype_and_fortran_order(tmp_path):
    state = {"bool": np.array([True, False]), "int8": np.arange(-3, 3, dtype=np.int8),
             "uint16": np.arange(4, dtype=np.uint16), "float64": np.asfortranarray(
                 np.arange(6.0).reshape(2, 3)), "scalar": np.float32(2.5)}
    path = tmp_path / "all.npz"
    nn.save(state, path)
    loaded = nn.load(path)
    for name, array in state.items():
        assert loaded[name].dtype == np.asarray(array).dtype
        np.testing.assert_array_equal(loaded[name].data, array)
    assert isinstance(loaded["scalar"], ag.Tensor) and loaded["scalar"].shape == ()
